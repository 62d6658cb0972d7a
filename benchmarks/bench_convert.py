"""Throughput of liushou's converter against pydantic v2 and msgspec, in one run.

Synthetic children (:func:`liushou_core.synth.children`) are turned into plain
JSON-shaped dicts once. The same dicts are then structured by

* **liushou**: ``liushou_core.convert.structure(d, Child)``, our validation
  included (resident ID check digits and area codes, phone numbers, NFC names,
  birth dates against ID numbers, strict booleans and numbers);
* **pydantic**: ``PChild.model_validate(d)``, where ``PChild`` and its nested
  models mirror the attrs classes field for field (same names, same types, the
  same enums, ``extra="forbid"``) and do no domain validation;
* **msgspec**: ``msgspec.convert(d, Child)`` into the *same* attrs classes.
  msgspec builds attrs instances itself: it runs ``__attrs_post_init__`` but
  not attrs converters or validators, and it ignores unknown keys, so it checks
  types only. Dates come from ISO strings and enums from their values without a
  ``dec_hook``; the default ``strict=True`` is kept.

and unstructured back (``unstructure(child)``, ``model.model_dump(mode="json")``,
``msgspec.to_builtins(child)``). Each timing is the best of ``--repeat`` runs
(default 3) after a warm-up, with :func:`time.perf_counter`, the garbage
collector paused during a run (as :mod:`timeit` does; ``--gc`` keeps it on).
The runs of the three libraries are interleaved, so that a change in the
machine's load during the benchmark affects them alike.

Run ``python benchmarks/bench_convert.py --n 100000`` (or ``--quick``);
``--json FILE`` saves the figures; ``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import sys
import time
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import attrs
import msgspec
import pydantic

from _env import environment
from liushou_core.convert import structure, unstructure
from liushou_core.models import Child

DEFAULT_N = 100_000
QUICK_N = 10_000
SEED = 0
#: The day the synthetic records are made for.
ON = dt.date(2026, 9, 1)
LIBRARIES = ("liushou", "pydantic", "msgspec")

#: Targets: liushou's structure throughput over each baseline's, at least.
TARGETS: dict[str, float] = {"pydantic": 3.0, "msgspec": 1 / 3}

Record = dict[str, Any]


# ----------------------------------------------------------------------------- inputs


def make_records(n: int, seed: int = SEED) -> list[Record]:
    """``n`` synthetic children as JSON-shaped dicts (lists, ISO dates, enum values)."""
    from liushou_core.synth import children

    kids = list(children(seed=seed, n=n, on=ON))
    records: list[Record] = json.loads(
        json.dumps([unstructure(c) for c in kids], ensure_ascii=False)
    )
    return records


# ----------------------------------------------------------------------------- pydantic mirror

_mirrors: dict[type, type[pydantic.BaseModel]] = {}


def _mirror_type(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_mirror_type(a) for a in args)]  # noqa: UP007
    if origin is tuple:
        return tuple[tuple(_mirror_type(a) if a is not Ellipsis else a for a in args)]  # type: ignore[misc]
    if isinstance(tp, type) and attrs.has(tp):
        return pydantic_mirror(tp)
    return tp


def pydantic_mirror(cls: type) -> type[pydantic.BaseModel]:
    """A pydantic model with the fields, types and defaults of the attrs class ``cls``.

    Nested attrs classes become nested mirrored models; enums, dates, strings and
    tuples keep their types. No validators: pydantic checks the types only.
    """
    if cls in _mirrors:
        return _mirrors[cls]
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for a in attrs.fields(cls):
        if not a.init:
            continue
        tp = _mirror_type(hints[a.name])
        if a.default is attrs.NOTHING:
            default: Any = ...
        elif isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            factory = a.default.factory
            if isinstance(factory, type) and attrs.has(factory):
                factory = pydantic_mirror(factory)
            default = pydantic.Field(default_factory=factory)
        else:
            default = a.default
        fields[a.alias or a.name] = (tp, default)
    model = pydantic.create_model(
        f"P{cls.__name__}",
        __config__=pydantic.ConfigDict(extra="forbid"),
        __module__=__name__,
        **fields,
    )
    _mirrors[cls] = model
    return model  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- the operations


def structure_liushou(data: Sequence[Record]) -> list[Child]:
    return [structure(d, Child) for d in data]


def structure_pydantic(data: Sequence[Record]) -> list[pydantic.BaseModel]:
    validate = pydantic_mirror(Child).model_validate
    return [validate(d) for d in data]


def structure_msgspec(data: Sequence[Record]) -> list[Child]:
    convert = msgspec.convert
    return [convert(d, Child) for d in data]


def unstructure_liushou(objs: Sequence[Child]) -> list[Any]:
    return [unstructure(c) for c in objs]


def unstructure_pydantic(objs: Sequence[pydantic.BaseModel]) -> list[Any]:
    return [m.model_dump(mode="json") for m in objs]


def unstructure_msgspec(objs: Sequence[Child]) -> list[Any]:
    to_builtins = msgspec.to_builtins
    return [to_builtins(c) for c in objs]


STRUCTURE: dict[str, Callable[[Sequence[Record]], list[Any]]] = {
    "liushou": structure_liushou,
    "pydantic": structure_pydantic,
    "msgspec": structure_msgspec,
}
UNSTRUCTURE: dict[str, Callable[[Sequence[Any]], list[Any]]] = {
    "liushou": unstructure_liushou,
    "pydantic": unstructure_pydantic,
    "msgspec": unstructure_msgspec,
}


# ----------------------------------------------------------------------------- timing


@dataclass
class Timing:
    operation: str
    library: str
    n: int
    runs: list[float]

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def per_second(self) -> float:
        return self.n / self.best if self.best > 0 else math.inf


def time_once(
    fn: Callable[[Sequence[Any]], list[Any]], data: Sequence[Any], *, keep_gc: bool = False
) -> tuple[float, list[Any]]:
    """Seconds that ``fn(data)`` takes, and its result (GC paused unless ``keep_gc``)."""
    gc.collect()
    paused = not keep_gc and gc.isenabled()
    if paused:
        gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn(data)
        return time.perf_counter() - t0, result
    finally:
        if paused:
            gc.enable()


def _json_shape(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False))


def equivalence(
    data: Sequence[Record],
    ours: Sequence[Child],
    pyd: Sequence[pydantic.BaseModel],
    msg: Sequence[Child],
    *,
    sample: int | None = 1000,
) -> dict[str, Any]:
    """Compare the three libraries' records on the first ``sample`` records (all: ``None``).

    * liushou and msgspec build the same attrs classes: they must be equal;
    * pydantic's JSON dump must equal liushou's unstructured record;
    * liushou's unstructured record must equal the input (a lossless round trip).
    """
    k = len(data) if sample is None else min(sample, len(data))
    problems: list[str] = []
    for i in range(k):
        if ours[i] != msg[i]:
            problems.append(f"record {i}: msgspec built a different Child")
        mine = _json_shape(unstructure(ours[i]))
        if _json_shape(pyd[i].model_dump(mode="json")) != mine:
            problems.append(f"record {i}: pydantic's dump differs from liushou's")
        if mine != data[i]:
            problems.append(f"record {i}: liushou's round trip differs from the input")
    return {"compared": k, "mismatches": len(problems), "first": problems[:5]}


@dataclass
class Results:
    n: int
    seed: int
    repeat: int
    gc_paused: bool
    prepare_seconds: float
    timings: list[Timing] = field(default_factory=list)
    equivalence: dict[str, Any] = field(default_factory=dict)

    def timing(self, operation: str, library: str) -> Timing:
        for t in self.timings:
            if t.operation == operation and t.library == library:
                return t
        raise KeyError((operation, library))

    def ratio(self, operation: str, baseline: str) -> float:
        """liushou's records per second over ``baseline``'s."""
        return (
            self.timing(operation, "liushou").per_second
            / self.timing(operation, baseline).per_second
        )

    def targets(self) -> list[dict[str, Any]]:
        return [
            {
                "what": f"structure: liushou/{lib} >= {goal:.3g}",
                "ratio": self.ratio("structure", lib),
                "target": goal,
                "passed": self.ratio("structure", lib) >= goal,
            }
            for lib, goal in TARGETS.items()
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "convert",
            "n": self.n,
            "seed": self.seed,
            "repeat": self.repeat,
            "gc_paused": self.gc_paused,
            "prepare_seconds": self.prepare_seconds,
            "environment": environment(
                "liushou", "attrs", "cattrs", "pydantic", "pydantic-core", "msgspec"
            ),
            "timings": [
                {**asdict(t), "best": t.best, "records_per_second": t.per_second}
                for t in self.timings
            ],
            "ratios": {
                f"{op}: liushou/{lib}": self.ratio(op, lib)
                for op in ("structure", "unstructure")
                for lib in LIBRARIES[1:]
            },
            "targets": self.targets(),
            "equivalence": self.equivalence,
        }


def run(
    n: int = DEFAULT_N,
    *,
    seed: int = SEED,
    repeat: int = 3,
    warmup: int = 1000,
    keep_gc: bool = False,
    data: Sequence[Record] | None = None,
    sample: int | None = 1000,
) -> Results:
    """Run the whole benchmark and return its figures."""
    t0 = time.perf_counter()
    records = list(data) if data is not None else make_records(n, seed)
    prepare = time.perf_counter() - t0
    res = Results(
        n=len(records), seed=seed, repeat=repeat, gc_paused=not keep_gc, prepare_seconds=prepare
    )
    # Runs are interleaved (liushou, pydantic, msgspec, liushou, ...) so that a
    # change in the machine's load affects every library alike.
    built: dict[str, list[Any]] = {}
    for op, fns in (("structure", STRUCTURE), ("unstructure", UNSTRUCTURE)):
        runs: dict[str, list[float]] = {lib: [] for lib in LIBRARIES}
        for lib in LIBRARIES:  # warm-up
            fns[lib](records[:warmup] if op == "structure" else built[lib][:warmup])
        for _ in range(repeat):
            for lib in LIBRARIES:
                if op == "structure":
                    built.pop(lib, None)  # free the previous run's records first
                    seconds, built[lib] = time_once(fns[lib], records, keep_gc=keep_gc)
                else:
                    seconds, _ = time_once(fns[lib], built[lib], keep_gc=keep_gc)
                runs[lib].append(seconds)
        res.timings.extend(Timing(op, lib, len(records), runs[lib]) for lib in LIBRARIES)
    res.equivalence = equivalence(
        records, built["liushou"], built["pydantic"], built["msgspec"], sample=sample
    )
    return res


# ----------------------------------------------------------------------------- report


def report(res: Results) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"liushou convert: {res.n:,} child records, best of {res.repeat}"
        + ("" if res.gc_paused else " (GC on)")
    )
    table.add_column("operation")
    table.add_column("library")
    table.add_column("best s", justify="right")
    table.add_column("records/s", justify="right")
    table.add_column("µs/record", justify="right")
    table.add_column("liushou ÷ this", justify="right")
    for t in res.timings:
        ratio = res.timing(t.operation, "liushou").per_second / t.per_second
        table.add_row(
            t.operation,
            t.library,
            f"{t.best:.3f}",
            f"{t.per_second:,.0f}",
            f"{1e6 / t.per_second:.1f}",
            f"{ratio:.2f}×",
        )
    console.print(table)
    console.print(f"input prepared (synth + unstructure + JSON) in {res.prepare_seconds:.1f} s")
    eq = res.equivalence
    verdict = "[green]equivalent[/]" if eq["mismatches"] == 0 else "[red]DIFFERENT[/]"
    console.print(f"records compared across the three libraries: {eq['compared']:,}: {verdict}")
    for line in eq["first"]:
        console.print(f"  {line}")
    for target in res.targets():
        mark = "[green]PASS[/]" if target["passed"] else "[red]FAIL[/]"
        console.print(f"{mark} {target['what']}: measured {target['ratio']:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help=f"records (default {DEFAULT_N:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_N:,} records")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts")
    parser.add_argument("--warmup", type=int, default=1000, help="records in the warm-up run")
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    n = args.n if args.n is not None else (QUICK_N if args.quick else DEFAULT_N)
    if n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")
    res = run(n, seed=args.seed, repeat=args.repeat, warmup=args.warmup, keep_gc=args.gc)
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=2, ensure_ascii=False) + "\n")
        print(f"saved {args.json}")
    failed = res.equivalence["mismatches"] > 0 or not all(t["passed"] for t in res.targets())
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
