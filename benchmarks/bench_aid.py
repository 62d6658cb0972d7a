"""Assessing aid for every child of a synthetic province, against baselines in the same run.

A synthetic province (:func:`liushou_core.synth.province`, 2,000 schools: about
500,000 children with their households) is made one school at a time; making a
school is not timed (it is reported apart). Each school's children are then
assessed on one day of the school year three ways:

* **liushou**: :func:`liushou_core.aid.assess_many`: every scheme of the
  national policy, each criterion with its reason, the evidence missing;
  parameters looked up once for the day, stage-only decisions built once;
* **naive**: :func:`liushou_core.aid.assess` called for each child, as a first
  loop over the pupils would do it: every dated parameter looked up and every
  message built again for each child (the same decisions);
* **bare**: a hand-written function that computes only the outcomes (eligible,
  yearly amount) of the four schemes, with the policy figures as constants and
  no reasons, evidence, sources or decision records: the floor of the work.

The three are interleaved school by school, with the garbage collector paused
while timing (as :mod:`timeit` does; ``--gc`` keeps it on). After timing, the
benchmark checks that liushou and naive give equal decisions and that liushou's
outcomes equal the bare ones for every child.

Target: the whole province (about 500,000 children) assessed by liushou in under
20 seconds. For a smaller run the figure is extrapolated from children per second.

Run ``python benchmarks/bench_aid.py`` (2,000 schools; ``--quick``: 100;
``--schools N``), ``--on YYYY-MM-DD``, ``--json FILE``, ``--check`` (exit 1 when
the target is missed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from _env import environment
from liushou_core import aid, synth
from liushou_core.models import (
    AidDecision,
    Child,
    Household,
    HouseholdCategory,
    SchoolingStatus,
)

DEFAULT_SCHOOLS = 2000
QUICK_SCHOOLS = 100
SEED = 0
ON = dt.date(2026, 10, 8)
METHODS = ("liushou", "naive", "bare")
#: Target: seconds to assess the province (500,000 children) with liushou.
TARGET_SECONDS = 20.0
PROVINCE_CHILDREN = 500_000

Outcome = tuple[tuple[str, bool, Decimal | None], ...]

# --------------------------------------------------------------------------- bare

_COMPULSORY = frozenset({SchoolingStatus.PRIMARY, SchoolingStatus.JUNIOR_SECONDARY})
_RATE = {SchoolingStatus.PRIMARY: Decimal(1000), SchoolingStatus.JUNIOR_SECONDARY: Decimal(1250)}
_NON_BOARDER = frozenset(
    {
        HouseholdCategory.REGISTERED_POOR,
        HouseholdCategory.DIBAO,
        HouseholdCategory.TEKUN,
        HouseholdCategory.DISABLED,
    }
)
_SPECIAL = _NON_BOARDER | {HouseholdCategory.ORPHAN, HouseholdCategory.MARTYR}
_MEALS = Decimal(5) * 200  # from autumn 2021
_HALF = Decimal("0.5")


def bare(child: Child, household: Household | None, year_start: dt.date, on: dt.date) -> Outcome:
    """The four outcomes, with the figures in force from autumn 2021 as constants."""
    compulsory = child.schooling in _COMPULSORY
    cats = set(household.categories) if household is not None else set()
    living: Decimal | None = None
    if compulsory:
        if child.boarding:
            identified = (
                household is not None
                and household.difficulty_level is not None
                and household.identified_on is not None
                and year_start <= household.identified_on <= on
            )
            if cats & _SPECIAL or identified:
                living = _RATE[child.schooling]
        elif cats & _NON_BOARDER:
            living = _RATE[child.schooling] * _HALF
    return (
        (aid.FREE_TUITION, compulsory, None),
        (aid.FREE_TEXTBOOKS, compulsory, None),
        (
            aid.LIVING_SUBSIDY,
            living is not None,
            None if living is None else living.quantize(Decimal("0.01")),
        ),
        (aid.NUTRITION, compulsory, _MEALS.quantize(Decimal("0.01")) if compulsory else None),
    )


def outcome(decision: AidDecision) -> Outcome:
    return tuple((s.scheme, s.eligible, s.amount) for s in decision.schemes)


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    method: str
    n: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Results:
    schools: int
    on: str
    children: int = 0
    generate_seconds: float = 0.0
    timings: dict[str, Timing] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    eligible: dict[str, int] = field(default_factory=dict)
    cash: str = "0"
    environment: dict[str, str] = field(default_factory=dict)

    def ratio(self, method: str) -> float:
        """liushou children/s over ``method`` children/s."""
        return self.timings["liushou"].per_second / self.timings[method].per_second

    def province_seconds(self) -> float:
        """Seconds liushou takes (or would take, by its rate) for 500,000 children."""
        t = self.timings["liushou"]
        if t.n >= PROVINCE_CHILDREN * 0.8:
            return t.seconds * PROVINCE_CHILDREN / t.n
        return PROVINCE_CHILDREN / t.per_second

    def targets(self) -> list[dict[str, Any]]:
        secs = self.province_seconds()
        return [
            {
                "target": f"province (500,000 children) in under {TARGET_SECONDS:g} s",
                "value": round(secs, 2),
                "passed": secs < TARGET_SECONDS,
                "extrapolated": self.timings["liushou"].n < PROVINCE_CHILDREN * 0.8,
            }
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "aid",
            "schools": self.schools,
            "on": self.on,
            "children": self.children,
            "generate_seconds": round(self.generate_seconds, 3),
            "timings": {
                k: {**asdict(t), "per_second": t.per_second} for k, t in self.timings.items()
            },
            "ratios": {
                "liushou/naive": self.ratio("naive"),
                "liushou/bare": self.ratio("bare"),
            },
            "targets": self.targets(),
            "checks": self.checks,
            "eligible": self.eligible,
            "cash": self.cash,
            "environment": self.environment,
        }


def _timed(fn: Callable[[], Any], keep_gc: bool) -> tuple[float, Any]:
    enabled = gc.isenabled()
    if not keep_gc:
        gc.collect()
        gc.disable()
    try:
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out
    finally:
        if enabled:
            gc.enable()


def run(
    schools: int,
    *,
    seed: int = SEED,
    on: dt.date = ON,
    keep_gc: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """Make the province school by school; assess each school three ways; compare."""
    if on < dt.date(2021, 9, 1):
        raise ValueError(
            "the bare baseline has the figures of autumn 2021 onwards: --on >= 2021-09-01"
        )
    res = Results(schools=schools, on=on.isoformat(), environment=environment("attrs", "cattrs"))
    res.timings = {m: Timing(m) for m in METHODS}
    policy = aid.DEFAULT_POLICY
    year_start = policy.params(on).school_year_first_day
    mismatches: list[str] = []
    eligible: dict[str, int] = {}
    cash = Decimal(0)
    gen_start = time.perf_counter()
    generated = 0.0
    province = synth.province(seed, schools=schools, on=on)
    for i, school in enumerate(province):
        generated = time.perf_counter() - gen_start
        children = school.children
        hh = {h.id: h for h in school.households}

        def ours(
            children: Sequence[Child] = children, hh: dict[str, Household] = hh
        ) -> list[AidDecision]:
            return aid.assess_many(children, hh, policy, on=on)

        def naive(
            children: Sequence[Child] = children, hh: dict[str, Household] = hh
        ) -> list[AidDecision]:
            return [
                aid.assess(c, hh.get(c.household_id) if c.household_id else None, policy, on=on)
                for c in children
            ]

        def floor(
            children: Sequence[Child] = children, hh: dict[str, Household] = hh
        ) -> list[Outcome]:
            return [
                bare(c, hh.get(c.household_id) if c.household_id else None, year_start, on)
                for c in children
            ]

        runs: dict[str, Any] = {}
        order = METHODS[i % 3 :] + METHODS[: i % 3]  # interleaved, rotating
        for method in order:
            fn = {"liushou": ours, "naive": naive, "bare": floor}[method]
            secs, runs[method] = _timed(fn, keep_gc)
            res.timings[method].seconds += secs
            res.timings[method].n += len(children)
        if runs["liushou"] != runs["naive"]:
            mismatches.append(f"{school.school.id}: liushou and naive decisions differ")
        for d, b in zip(runs["liushou"], runs["bare"], strict=True):
            if outcome(d) != b and len(mismatches) < 20:
                mismatches.append(f"{d.child_id}: {outcome(d)} != bare {b}")
        for d in runs["liushou"]:
            cash += d.total
            for s in d.schemes:
                if s.eligible:
                    eligible[s.scheme] = eligible.get(s.scheme, 0) + 1
        res.children += len(children)
        gen_start = time.perf_counter()
        res.generate_seconds += generated
        if progress is not None:
            progress(i + 1, schools)
    res.checks = {
        "compared": res.children,
        "mismatches": len(mismatches),
        "problems": mismatches[:20],
    }
    res.eligible = eligible
    res.cash = str(cash)
    return res


def report(res: Results) -> None:
    print(f"aid: {res.schools} schools, {res.children:,} children, assessed on {res.on}")
    print(f"  making the schools (not timed): {res.generate_seconds:.1f} s")
    for m in METHODS:
        t = res.timings[m]
        print(f"  {m:8} {t.seconds:8.2f} s  {t.per_second:12,.0f} children/s")
    print(f"  liushou/naive: {res.ratio('naive'):.2f}x (higher is faster)")
    print(f"  liushou/bare:  {res.ratio('bare'):.2f}x (the price of reasons and evidence)")
    for t in res.targets():
        mark = "met" if t["passed"] else "MISSED"
        how = " (extrapolated)" if t["extrapolated"] else ""
        print(f"  target {t['target']}: {t['value']} s{how}: {mark}")
    print(f"  checks: {res.checks['compared']:,} compared, {res.checks['mismatches']} mismatches")
    print(f"  eligible: {res.eligible}; cash a year: {res.cash} yuan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SCHOOLS} schools")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--on", type=dt.date.fromisoformat, default=ON, help="YYYY-MM-DD")
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    schools = QUICK_SCHOOLS if args.quick else args.schools

    def progress(done: int, total: int) -> None:
        if not args.quiet and (done % 100 == 0 or done == total):
            print(f"  {done}/{total} schools", file=sys.stderr, flush=True)

    res = run(schools, seed=args.seed, on=args.on, keep_gc=args.gc, progress=progress)
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), ensure_ascii=False, indent=2), "utf-8")
    if res.checks["mismatches"]:
        return 1
    if args.check and not all(t["passed"] for t in res.targets()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
