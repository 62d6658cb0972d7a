"""Roster import: 10,000 rows of CSV and XLSX into SQLite, against a bare read + convert.

A synthetic school of ``--n`` pupils (:func:`liushou_core.synth.school`) is
written as a roster, once as CSV (UTF-8 with BOM) and once as XLSX, with the
school's classes by name and no record ids (as a school's own file comes).
For each format the benchmark times, in the same run:

* **baseline**: the bare minimum any importer does: read the file (``csv.reader``,
  or openpyxl's read-only mode), map each row's cells to the model's plain
  shape with dictionary look-ups, and build each ``Child`` with
  :func:`liushou_core.convert.structure` (all of the models' validation: ID
  check characters, birth dates against ID numbers, phones, names). No
  encoding detection, no merging, no store;
* **check**: :func:`~liushou_adapters.roster.read_table` and
  :func:`~liushou_adapters.roster.build_children` for the school without
  pupils: encoding detection, every cell read, merged and checked, duplicates
  looked for; no store (the roster layer's own cost);
* **import**: :func:`liushou_adapters.roster.import_roster` into a fresh SQLite
  store holding the school and its classes: encoding detection, every row
  checked and merged, duplicates looked for, then the all-or-nothing write
  with its audit trail, committed once;
* **reimport**: the same file again into the store now holding its pupils:
  everything is read, checked and compared, and nothing is written.

The import reads workbooks with python-calamine (Rust) when it is installed,
as the ``xlsx`` extra does; the baseline reads them with openpyxl, the usual
pure-Python reader, so the XLSX ratios also show what the faster reader buys.

Each timing is the best of ``--repeat`` runs (default 3), in wall-clock and
in CPU seconds of this process (on a machine shared with other work the
wall-clock time stretches, the CPU time much less). Ratios are each method's
over the baseline's (how many times the bare read and convert it costs); the
target is that 10,000 rows import in seconds (under 10 s wall-clock).

Run ``python benchmarks/bench_import.py`` (10,000 rows), ``--quick`` (2,000),
``--json FILE`` to save the figures, ``--check`` to exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _env import environment
from liushou_adapters.roster import build_children, import_roster, read_table
from liushou_adapters.roster.layout import BY_KEY, parse_cell
from liushou_adapters.roster.rows import child_row, write_roster
from liushou_adapters.storage import open_store
from liushou_core import synth
from liushou_core.convert import structure
from liushou_core.models import Child
from liushou_core.privacy import SYSTEM
from liushou_core.services import import_records

DEFAULT_N = 10_000
QUICK_N = 2_000
SEED = 0
ON = dt.date(2026, 9, 1)
FORMATS = ("csv", "xlsx")
#: What is timed per format (see the module's notes).
METHODS = ("baseline", "check", "import", "reimport")
#: Target: seconds to import ``DEFAULT_N`` rows, per format.
TARGET_SECONDS = 10.0


@dataclass
class Timing:
    format: str
    method: str
    n: int
    runs: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def per_second(self) -> float:
        return self.n / self.best

    @property
    def best_cpu(self) -> float:
        return min(self.cpu)


@dataclass
class Results:
    n: int
    timings: list[Timing]
    checks: dict[str, dict[str, Any]]
    env: dict[str, str]

    def timing(self, fmt: str, method: str) -> Timing:
        return next(t for t in self.timings if t.format == fmt and t.method == method)

    def ratio(self, fmt: str, method: str) -> float:
        return self.timing(fmt, method).best / self.timing(fmt, "baseline").best

    def targets(self) -> list[dict[str, Any]]:
        scale = self.n / DEFAULT_N
        return [
            {
                "target": f"{fmt}: import {DEFAULT_N} rows in under {TARGET_SECONDS:g} s",
                "seconds_for_10000": self.timing(fmt, "import").best / scale,
                "passed": self.timing(fmt, "import").best / scale < TARGET_SECONDS,
            }
            for fmt in FORMATS
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "import",
            "n": self.n,
            "timings": [
                {**asdict(t), "best": t.best, "best_cpu": t.best_cpu, "per_second": t.per_second}
                for t in self.timings
            ],
            "ratios": {
                f"{fmt}: {m}/baseline": self.ratio(fmt, m) for fmt in FORMATS for m in METHODS[1:]
            },
            "targets": self.targets(),
            "checks": self.checks,
            "env": self.env,
        }


# --------------------------------------------------------------------------- input


def make_school(n: int, seed: int = SEED) -> synth.SyntheticSchool:
    return synth.school(seed, children=n, on=ON)


def roster_rows(school: synth.SyntheticSchool) -> list[dict[str, str]]:
    names = {c.id: c.name for c in school.classes}
    rows = [child_row(c, names) for c in school.children]
    for row in rows:
        row.pop("record_id", None)
    return rows


def write_files(school: synth.SyntheticSchool, directory: Path) -> dict[str, Path]:
    rows = roster_rows(school)
    return {fmt: write_roster(directory / f"roster.{fmt}", rows) for fmt in FORMATS}


# --------------------------------------------------------------------------- baseline


def _csv_cells(path: Path) -> Iterable[Mapping[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as fp:
        reader = csv.reader(fp)
        next(reader)
        keys = next(reader)
        for row in reader:
            yield {k: v for k, v in zip(keys, row, strict=False) if v}


def _xlsx_cells(path: Path) -> Iterable[Mapping[str, Any]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        next(rows)
        keys = [str(k) for k in next(rows)]
        for row in rows:
            yield {k: v for k, v in zip(keys, row, strict=False) if v not in (None, "")}
    finally:
        book.close()


def _value(cells: Mapping[str, Any], key: str) -> Any:
    return parse_cell(BY_KEY[key], cells[key])


def _pick(cells: Mapping[str, Any], pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {f: _value(cells, k) for f, k in pairs if k in cells}


def baseline_dict(
    cells: Mapping[str, Any], i: int, school_id: str, classes: Mapping[str, str]
) -> dict[str, Any]:
    """The plain shape of a row's child, by direct look-ups (no merging, no checks)."""
    d: dict[str, Any] = {"id": f"{school_id}-b{i:05d}", "school_id": school_id}
    d.update(
        _pick(
            cells,
            [
                ("name", "name"),
                ("sex", "sex"),
                ("ethnicity", "ethnicity"),
                ("birth_date", "birth_date"),
                ("id_number", "id_number"),
                ("student_number", "student_number"),
                ("schooling", "schooling"),
                ("boarding", "boarding"),
            ],
        )
    )
    if "class" in cells:
        d["class_id"] = classes[str(cells["class"])]
    d["hukou"] = _pick(
        cells, [(f, f"hukou_{f}") for f in ("registered", "place", "rural", "local")]
    )
    d["address"] = _pick(
        cells,
        [
            (f, f"address_{f}")
            for f in ("province", "city", "county", "township", "village", "detail")
        ],
    )
    health = _pick(cells, [("status", "health"), ("illness", "illness")])
    if "disability_type" in cells:
        health["disability"] = _pick(
            cells, [("type", "disability_type"), ("grade", "disability_grade")]
        )
    d["health"] = health
    parents = []
    for role in ("father", "mother"):
        if f"{role}_name" not in cells:
            continue
        p = {
            "role": role,
            **_pick(
                cells, [(f, f"{role}_{f}") for f in ("name", "birth_date", "id_number", "phone")]
            ),
        }
        if f"{role}_away_since" in cells:
            p["away"] = [
                _pick(
                    cells,
                    [
                        ("start", f"{role}_away_since"),
                        ("province", f"{role}_work_province"),
                        ("city", f"{role}_work_city"),
                    ],
                )
            ]
        if f"{role}_condition" in cells:
            c = _pick(cells, [("kind", f"{role}_condition"), ("start", f"{role}_condition_since")])
            if f"{role}_disability_type" in cells:
                c["disability"] = _pick(
                    cells,
                    [("type", f"{role}_disability_type"), ("grade", f"{role}_disability_grade")],
                )
            p["conditions"] = [c]
        parents.append(p)
    d["parents"] = parents
    if "guardian_name" in cells:
        g = _pick(
            cells,
            [
                ("name", "guardian_name"),
                ("relationship", "guardian_relationship"),
                ("phone", "guardian_phone"),
                ("id_number", "guardian_id_number"),
                ("address", "guardian_address"),
                ("capacity", "care_assessment"),
            ],
        )
        g["entrusted"] = g.get("relationship") not in ("father", "mother")
        d["guardians"] = [g]
    grandparents = []
    for prefix in (
        "paternal_grandfather",
        "paternal_grandmother",
        "maternal_grandfather",
        "maternal_grandmother",
    ):
        if f"{prefix}_name" in cells:
            grandparents.append(
                {
                    "relationship": prefix.replace("_", " "),
                    **_pick(
                        cells, [("name", f"{prefix}_name"), ("birth_date", f"{prefix}_birth_date")]
                    ),
                }
            )
    d["grandparents"] = grandparents
    if "village_contact" in cells:
        d["village_committee"] = {
            "relationship": "村（居）委会",
            **_pick(cells, [("name", "village_contact"), ("phone", "village_phone")]),
        }
    return d


def baseline(path: Path, fmt: str, school: synth.SyntheticSchool) -> list[Child]:
    cells = _csv_cells(path) if fmt == "csv" else _xlsx_cells(path)
    classes = {c.name: c.id for c in school.classes}
    sid = school.school.id
    return [structure(baseline_dict(c, i, sid, classes), Child) for i, c in enumerate(cells)]


# --------------------------------------------------------------------------- import


def fresh_store(school: synth.SyntheticSchool, directory: Path, name: str) -> str:
    path = directory / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    store = open_store(url)
    try:
        import_records(store, SYSTEM, [school.school, *school.classes])
    finally:
        store.close()
    return url


def timed(fn: Callable[[], Any], *, keep_gc: bool = False) -> tuple[float, float, Any]:
    """Wall-clock and CPU seconds of ``fn()`` (this process's CPU: a loaded machine
    stretches the first, much less the second), and its result."""
    gc.collect()
    enabled = gc.isenabled()
    if not keep_gc:
        gc.disable()
    try:
        cpu = time.process_time()
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, time.process_time() - cpu, out
    finally:
        if enabled:
            gc.enable()


def check_only(path: Path, school: synth.SyntheticSchool) -> list[Child]:
    """Read and check a roster for a school without pupils, writing nothing."""
    table = read_table(path)
    plan = build_children(table, school_id=school.school.id, existing=[], classes=school.classes)
    return list(plan.children)


def _projection(c: Child) -> tuple[Any, ...]:
    return (
        c.name,
        c.sex,
        c.birth_date,
        c.id_number,
        c.class_id,
        tuple((p.role, p.name, p.phone, p.away, p.conditions) for p in c.parents),
        tuple((g.name, g.relationship, g.phone) for g in c.guardians),
        c.grandparents,
        c.village_committee,
        c.health,
        c.hukou,
        c.address,
    )


def run(
    n: int = DEFAULT_N,
    *,
    school: synth.SyntheticSchool | None = None,
    repeat: int = 3,
    directory: Path | None = None,
    keep_gc: bool = False,
) -> Results:
    school = school or make_school(n)
    n = len(school.children)
    own = directory is None
    work = Path(tempfile.mkdtemp(prefix="bench-import-")) if directory is None else directory
    try:
        files = write_files(school, work)
        timings: list[Timing] = []
        checks: dict[str, dict[str, Any]] = {}
        for fmt, path in files.items():
            base, check, imp, again = (Timing(fmt, m, n) for m in METHODS)

            def record(timing: Timing, fn: Callable[[], Any]) -> Any:
                seconds, cpu, out = timed(fn, keep_gc=keep_gc)
                timing.runs.append(seconds)
                timing.cpu.append(cpu)
                return out

            built: list[Child] = []
            sid = school.school.id
            for _ in range(repeat):
                built = record(base, lambda p=path, f=fmt: baseline(p, f, school))
                record(check, lambda p=path: check_only(p, school))
                url = fresh_store(school, work, fmt)
                store = open_store(url)
                try:
                    first = record(
                        imp, lambda s=store, p=path, i=sid: import_roster(s, SYSTEM, p, school_id=i)
                    )
                    second = record(
                        again,
                        lambda s=store, p=path, i=sid: import_roster(s, SYSTEM, p, school_id=i),
                    )
                    with store.unit_of_work(readonly=True) as uow:
                        stored = uow.list(Child, sid)
                    audit = len(store.audit_trail(kind=Child))
                finally:
                    store.close()
            want = sorted(_projection(c) for c in built)
            got = sorted(_projection(c) for c in stored)
            checks[fmt] = {
                "rows": n,
                "added": first.added,
                "second_import_written": second.written,
                "stored": len(stored),
                "audit_entries": audit,
                "baseline_records": len(built),
                "mismatches": sum(a != b for a, b in zip(want, got, strict=True)),
            }
            timings += [base, check, imp, again]
        return Results(n, timings, checks, environment("openpyxl", "cattrs", "attrs"))
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def report(results: Results) -> str:
    lines = [f"Roster import: {results.n} rows (best of {len(results.timings[0].runs)} runs)", ""]
    lines.append(f"{'format':8} {'method':10} {'seconds':>9} {'cpu s':>9} {'rows/s':>10}")
    for t in results.timings:
        lines.append(
            f"{t.format:8} {t.method:10} {t.best:9.3f} {t.best_cpu:9.3f} {t.per_second:10.0f}"
        )
    lines.append("")
    for fmt in FORMATS:
        for m in METHODS[1:]:
            lines.append(f"{fmt}: {m}/baseline = {results.ratio(fmt, m):.2f}")
    lines.append("")
    for t in results.targets():
        verdict = "passed" if t["passed"] else "MISSED"
        lines.append(f"{t['target']}: {t['seconds_for_10000']:.2f} s ({verdict})")
    for fmt, c in results.checks.items():
        lines.append(
            f"{fmt}: {c['added']} added, {c['second_import_written']} written by the second "
            f"import, {c['mismatches']} mismatches against the baseline"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="rows (pupils)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_N} rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument("--json", type=Path, help="save the figures here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    n = QUICK_N if args.quick else args.n
    results = run(n, school=make_school(n, args.seed), repeat=args.repeat, keep_gc=args.gc)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results.to_json(), indent=2, ensure_ascii=False))
    if any(c["mismatches"] for c in results.checks.values()):
        return 1
    if args.check and not all(t["passed"] for t in results.targets()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
