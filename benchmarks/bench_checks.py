"""All completeness checks over a synthetic county with a term of events, against a
naive baseline in the same run.

A synthetic county (:func:`liushou_core.synth.county`, 200 schools: about 50,000
children) is made once, and for each school a seeded term of records
(:func:`liushou_core.synth_term.term_records`): pairings of priority children
with mentors, talks, calls,
home visits and class meetings, growth-diary entries, health checks, consents,
archive sign-offs, parents' notices, safety pledges, incidents, activities,
each with a realistic share left undone so that the checks find something.

* **checks**: :func:`liushou_core.checks.run_checks` for every school (the
  children are classified inside, as a caller without precomputed categories
  would);
* **naive**: the same checks run against a context written straight from the
  rules: every child is classified (no shortcut for children with both parents
  at home) and every lookup of a child's records scans the school's whole
  list. It is quadratic, so it runs on the first ``--naive-schools`` schools
  (default 5); the checks are timed on
  the same schools for the ratio, and both must give the same findings there.

Each timing is the best of ``--repeat`` runs (default 3) with the garbage
collector paused. Figures: seconds, schools, children, records and findings per
second (wall clock, and the CPU time of the process), and the ratio of CPU
times naive/checks on the same schools (on a shared machine the wall clock
mostly measures the other processes).

Target: all checks over the county in under 10 seconds.

Run ``python benchmarks/bench_checks.py`` (``--schools N``, ``--quick``: 20
schools, ``--json FILE``, ``--check``: exit 1 when the target is missed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import environment
from liushou_core import synth
from liushou_core.checks import (
    BUILTIN_CHECKS,
    DEFAULT_CHECK_POLICY,
    CheckContext,
    SchoolRecords,
    run_checks,
)
from liushou_core.classify import Category, classify
from liushou_core.models import (
    Finding,
)
from liushou_core.synth_term import term_records

DEFAULT_SCHOOLS = 200
QUICK_SCHOOLS = 20
SEED = 7
ON = dt.date(2026, 12, 15)
TARGET_SECONDS = 10.0
DAY = dt.timedelta(days=1)


def record_count(r: SchoolRecords) -> int:
    return sum(len(getattr(r, name)) for name in (
        "classes", "teachers", "volunteers", "children", "households", "pairings", "events",
        "diaries", "health_checks", "incidents", "pledges", "consents", "sign_offs",
        "care_notices", "activities",
    ))  # fmt: skip


# --------------------------------------------------------------------------- naive baseline


class _Scan:
    """A stand-in for the context's ``{child_id: [records]}`` index that scans the list."""

    def __init__(self, records: Iterable[Any], key: Callable[[Any], Iterable[str]]) -> None:
        self.records = list(records)
        self.key = key

    def get(self, child_id: str, default: Any = ()) -> list[Any]:
        found = [r for r in self.records if child_id in self.key(r)]
        return found or default

    def items(self) -> Iterator[tuple[str, list[Any]]]:
        seen: list[str] = []
        for r in self.records:
            for cid in self.key(r):
                if cid not in seen:
                    seen.append(cid)
        for cid in seen:
            yield cid, self.get(cid)


class NaiveContext(CheckContext):
    """The checks' context as written straight from the rules: every child classified,
    every per-child lookup done by scanning the school's list."""

    def _categories(self) -> dict[str, tuple[Category, ...]]:
        hh = self.households
        policy = self.policy.classification
        return {
            c.id: classify(
                c, on=self.on, household=hh.get(c.household_id or ""), policy=policy
            ).categories
            for c in self.records.children
        }

    def __init__(self, records: SchoolRecords, on: dt.date) -> None:
        super().__init__(records, on, DEFAULT_CHECK_POLICY)
        one = lambda r: (r.child_id,)  # noqa: E731
        self.sign_offs = _Scan(records.sign_offs, one)  # type: ignore[assignment]
        self.care_notices = _Scan(records.care_notices, one)  # type: ignore[assignment]
        self.consents = _Scan(records.consents, one)  # type: ignore[assignment]
        self.health_checks = _Scan(records.health_checks, one)  # type: ignore[assignment]
        self.diaries = _Scan(records.diaries, one)  # type: ignore[assignment]
        self.aid_decisions = _Scan(records.aid_decisions, one)  # type: ignore[assignment]
        self.events = _Scan((e for e in records.events if not e.planned), lambda e: e.child_ids)  # type: ignore[assignment]
        term_id = records.term.id
        self.pairings = _Scan((p for p in records.pairings if p.term_id == term_id), one)  # type: ignore[assignment]


def naive_checks(records: SchoolRecords, *, on: dt.date) -> list[Finding]:
    ctx = NaiveContext(records, on)
    found = [f for check in BUILTIN_CHECKS for f in check.run(ctx)]
    found.sort(key=lambda f: (f.school_id, f.subject.kind, f.subject.id, f.code))
    return found


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    method: str
    schools: int
    children: int
    records: int
    findings: int
    runs: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def per_school(self) -> float:
        return self.best / self.schools

    @property
    def findings_per_second(self) -> float:
        return self.findings / self.best if self.best else float("inf")

    @property
    def children_per_second(self) -> float:
        return self.children / self.best if self.best else float("inf")


@dataclass
class Results:
    schools: int
    naive_schools: int
    on: str
    build_seconds: float
    timings: dict[str, Timing]
    codes: dict[str, int]
    equivalence: dict[str, Any]
    env: dict[str, str]

    def ratio(self) -> float:
        """How many times faster (CPU time) the checks are than the naive baseline
        on the same schools; CPU time, because wall time on a shared machine is noise."""
        return min(self.timings["naive"].cpu) / min(self.timings["checks_same"].cpu)

    def passed(self) -> bool:
        return self.timings["checks"].best < TARGET_SECONDS

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "checks",
            "schools": self.schools,
            "naive_schools": self.naive_schools,
            "on": self.on,
            "build_seconds": round(self.build_seconds, 3),
            "timings": {
                k: asdict(t) | {"best": t.best, "findings_per_second": t.findings_per_second}
                for k, t in self.timings.items()
            },
            "ratios": {"naive/checks CPU time on the same schools": self.ratio()},
            "targets": [
                {
                    "target": f"all checks over {self.schools} schools < {TARGET_SECONDS:g} s",
                    "value": self.timings["checks"].best,
                    "passed": self.passed(),
                }
            ],
            "codes": self.codes,
            "equivalence": self.equivalence,
            "env": self.env,
        }


def _timed(
    fn: Callable[[], list[Finding]], repeat: int
) -> tuple[list[float], list[float], list[Finding]]:
    runs: list[float] = []
    cpu: list[float] = []
    found: list[Finding] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            found = fn()
            runs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    finally:
        if enabled:
            gc.enable()
    return runs, cpu, found


def build(schools: int, *, seed: int = SEED, on: dt.date = ON) -> list[SchoolRecords]:
    county = synth.county(seed, schools=schools, on=on)
    return [term_records(s, on=on, seed=seed) for s in county]


def run(
    schools: int = DEFAULT_SCHOOLS,
    *,
    naive_schools: int = 5,
    repeat: int = 3,
    seed: int = SEED,
    data: list[SchoolRecords] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Results:
    t0 = time.perf_counter()
    county = data if data is not None else build(schools, seed=seed)
    built = time.perf_counter() - t0
    log(f"built {len(county)} schools with a term of records in {built:.1f} s")
    children = sum(len(r.children) for r in county)
    records = sum(record_count(r) for r in county)

    def everything() -> list[Finding]:
        return [f for r in county for f in run_checks(r, on=ON)]

    runs, cpu, found = _timed(everything, repeat)
    timings = {"checks": Timing("checks", len(county), children, records, len(found), runs, cpu)}
    few = county[: max(1, min(naive_schools, len(county)))]

    def naive() -> list[Finding]:
        return [f for r in few for f in naive_checks(r, on=ON)]

    naive_runs, naive_cpu, naive_found = _timed(naive, repeat)
    timings["naive"] = Timing(
        "naive",
        len(few),
        sum(len(r.children) for r in few),
        sum(record_count(r) for r in few),
        len(naive_found),
        naive_runs,
        naive_cpu,
    )

    def same_schools() -> list[Finding]:
        return [f for r in few for f in run_checks(r, on=ON)]

    few_runs, few_cpu, ours = _timed(same_schools, repeat)
    timings["checks_same"] = Timing(
        "checks_same",
        len(few),
        timings["naive"].children,
        timings["naive"].records,
        len(ours),
        few_runs,
        few_cpu,
    )
    mismatches = sum(1 for a, b in zip(ours, naive_found, strict=False) if a != b) + abs(
        len(ours) - len(naive_found)
    )
    return Results(
        schools=len(county),
        naive_schools=len(few),
        on=ON.isoformat(),
        build_seconds=built,
        timings=timings,
        codes=dict(Counter(f.code for f in found).most_common()),
        equivalence={"compared": len(ours), "mismatches": mismatches},
        env=environment("attrs", "cattrs"),
    )


def report(res: Results) -> None:
    c, n = res.timings["checks"], res.timings["naive"]
    print(f"county: {res.schools} schools, {c.children} children, {c.records} records, on {res.on}")
    print(
        f"checks: {c.best:.2f} s (CPU {min(c.cpu):.2f} s), {c.findings} findings, "
        f"{c.findings_per_second:,.0f} findings/s, "
        f"{c.children_per_second:,.0f} children/s, {1000 * c.per_school:.1f} ms/school"
    )
    print(
        f"naive ({n.schools} schools): {n.best:.2f} s, {n.findings_per_second:,.0f} findings/s, "
        f"{1000 * n.per_school:.1f} ms/school"
    )
    same = res.timings["checks_same"]
    print(
        f"checks on the same {same.schools} schools: {same.best:.3f} s "
        f"(CPU {min(same.cpu):.3f} s); naive CPU {min(n.cpu):.3f} s"
    )
    print(f"ratio checks/naive (CPU time, same schools): {res.ratio():.1f}x faster")
    print(f"same findings on the naive schools: {res.equivalence}")
    print(f"target all checks < {TARGET_SECONDS:g} s: {'passed' if res.passed() else 'MISSED'}")
    top = ", ".join(f"{k} {v}" for k, v in list(res.codes.items())[:8])
    print(f"most frequent: {top}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=None, help=f"default {DEFAULT_SCHOOLS}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SCHOOLS} schools")
    parser.add_argument("--naive-schools", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    schools = args.schools or (QUICK_SCHOOLS if args.quick else DEFAULT_SCHOOLS)
    if schools < 1 or args.repeat < 1 or args.naive_schools < 1:
        parser.error("--schools, --repeat and --naive-schools must be at least 1")
    res = run(
        schools,
        naive_schools=args.naive_schools,
        repeat=args.repeat,
        seed=args.seed,
        log=(lambda _: None) if args.quiet else (lambda line: print(line, flush=True)),
    )
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=2, ensure_ascii=False) + "\n")
        print(f"saved {args.json}")
    if res.equivalence["mismatches"]:
        return 1
    return 1 if args.check and not res.passed() else 0


if __name__ == "__main__":
    sys.exit(main())
