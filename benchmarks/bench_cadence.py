"""A county's term: plan every pair, then check ~1.5 million recorded contacts.

The synthetic county (:func:`liushou_core.synth.county`, 200 schools, about
50,000 pupils) is classified on the first day of the 2026 autumn term; every
left-behind pupil is paired with a teacher of the school (round robin, 2-3
children a mentor). Then, in one run:

* **care pairs**: :func:`~liushou_core.cadence.care_pairs` (the relaxations:
  parents' time away, a child who stops being left-behind);
* **plan**: :func:`~liushou_core.cadence.plan` for the whole county on the
  national calendar;
* **compliance**: :func:`~liushou_core.cadence.compliance` of the recorded
  contacts (``--events``, default 1.5 million, spread over the term's open days;
  one pair in ten stops being visited half-way, so that there is something to
  find) on the term's last day;
* **baseline**: the straightforward way, recomputing each child's statuses by
  scanning every recorded contact for that child. It is timed on ``--sample``
  children (default 8), checked to give the same statuses as ``assess``, and
  extrapolated linearly to every child.

Timings are single runs with :func:`time.perf_counter` (the garbage collector
paused, as :mod:`timeit` does). Target: county compliance under 10 seconds.

Run ``python benchmarks/bench_cadence.py`` (``--quick``: 20 schools, 150,000
contacts); ``--json FILE`` saves the figures; ``--check`` exits 1 when the
target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from _env import environment
from liushou_core import synth
from liushou_core.cadence import (
    Plan,
    State,
    Status,
    Window,
    assess,
    care_pairs,
    compliance,
    plan,
)
from liushou_core.classify import Category, classify
from liushou_core.models import Child, ContactEvent, ContactKind, Pairing, Semester, Term

SEED = 0
SCHOOLS = 200
EVENTS = 1_500_000
QUICK_SCHOOLS = 20
QUICK_EVENTS = 150_000
TERM = Term(2026, Semester.AUTUMN, dt.date(2026, 9, 1), dt.date(2027, 1, 22))
#: County compliance must take less than this many seconds.
TARGET_SECONDS = 10.0

T = TypeVar("T")

#: Kinds of recorded contacts and their shares.
KINDS = (
    (ContactKind.TALK, 0.55),
    (ContactKind.PHONE_CALL, 0.35),
    (ContactKind.HOME_VISIT, 0.05),
    (ContactKind.MEETING, 0.05),
)


# ----------------------------------------------------------------------------- inputs


@dataclass
class County:
    children: dict[str, Child]
    pairings: list[Pairing]
    schools: int


def make_county(schools: int, seed: int = SEED) -> County:
    """The synthetic county with every left-behind pupil paired to a teacher."""
    children: dict[str, Child] = {}
    pairings: list[Pairing] = []
    county = synth.county(seed, schools=schools, on=TERM.first_day)
    for s in county:
        teachers = [t.id for t in s.teachers if t.active] or [t.id for t in s.teachers]
        n = 0
        for c in s.children:
            if Category.LEFT_BEHIND not in classify(c, on=TERM.first_day).categories:
                continue
            children[c.id] = c
            mentor = teachers[(n // 3) % len(teachers)]
            pairings.append(Pairing(f"{c.id}-pair", s.school.id, TERM.id, c.id, mentor))
            n += 1
    return County(children, pairings, schools)


def make_events(p: Plan, n: int, seed: int = SEED) -> list[ContactEvent]:
    """About ``n`` recorded contacts over the term's open days; one pair in ten stops."""
    rng = random.Random(seed)
    days = list(p.calendar.open_days)
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    per_pair = max(1, n // max(1, len(p.pairs)))
    out: list[ContactEvent] = []
    for pair in p.pairs:
        last = len(days) if rng.random() >= 0.1 else rng.randrange(len(days) // 2, len(days))
        child_ids, staff_ids = (pair.child_id,), (pair.mentor_id,)
        picked = rng.choices(range(last), k=per_pair)
        kind_of = rng.choices(kinds, weights, k=per_pair)
        for j, (i, kind) in enumerate(zip(picked, kind_of, strict=True)):
            out.append(
                ContactEvent(f"{pair.id}-e{j}", pair.school_id, kind, days[i], child_ids, staff_ids)
            )
    return out


# ----------------------------------------------------------------------------- baseline


def baseline_child(
    events: Sequence[ContactEvent], p: Plan, child_id: str, on: dt.date
) -> list[tuple[Any, ...]]:
    """The window statuses of one child's obligations, by scanning every contact."""
    mine = [e for e in events if child_id in e.child_ids and not e.planned and e.date <= on]
    out = []
    soon = p.due_soon_days
    for ob in p.obligations:
        if ob.child_id != child_id or on < ob.start:
            continue
        a = ob.end - dt.timedelta(days=364) if ob.rule.window is Window.YEAR else ob.start
        done = sum(
            1
            for e in mine
            if e.kind.value == ob.rule.kind
            and e.school_id == ob.school_id
            and a <= e.date <= ob.end
        )
        if done >= ob.needed:
            state, late = State.DONE, 0
        elif on > ob.end:
            state, late = State.OVERDUE, (on - ob.end).days
        elif (ob.end - on).days <= soon:
            state, late = State.DUE_SOON, 0
        else:
            state, late = State.OPEN, 0
        out.append((ob.subject.id, ob.rule.code, ob.start, done, state, late))
    return sorted(out)


def _key(s: Status) -> tuple[Any, ...]:
    ob = s.obligation
    return (ob.subject.id, ob.rule.code, ob.start, s.done, s.state, s.days_overdue)


# ----------------------------------------------------------------------------- timing


def timed(fn: Callable[[], T], gc_on: bool = False) -> tuple[float, T]:
    enabled = gc.isenabled()
    if not gc_on:
        gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    finally:
        if enabled:
            gc.enable()


@dataclass
class Result:
    schools: int
    children: int
    pairs: int
    obligations: int
    planned: int
    unmet: int
    events: int
    findings: int
    overdue: int
    seconds: dict[str, float]
    baseline_sample: int
    baseline_seconds_per_child: float
    baseline_seconds_estimated: float
    ratio: float
    target_seconds: float
    env: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.seconds["compliance"] < self.target_seconds

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def run(schools: int, events: int, *, sample: int = 8, seed: int = SEED) -> Result:
    county = make_county(schools, seed)
    on = TERM.last_day
    t_pairs, pairs = timed(lambda: care_pairs(county.pairings, county.children, TERM))
    t_plan, the_plan = timed(lambda: plan(TERM, pairs))
    recorded = make_events(the_plan, events, seed)
    gc.collect()
    t_comp, findings = timed(lambda: compliance(recorded, the_plan, on=on))
    t_assess, statuses = timed(lambda: assess(recorded, the_plan, on=on))
    # the baseline on a sample of children, checked against assess
    rng = random.Random(seed)
    ids = sorted({p.child_id for p in pairs})
    chosen = rng.sample(ids, min(sample, len(ids)))
    by_child: dict[str, list[tuple[Any, ...]]] = {c: [] for c in chosen}
    for s in statuses:
        c = s.obligation.child_id
        if c in by_child and not s.since_last:
            by_child[c].append(_key(s))
    t0 = time.perf_counter()
    for c in chosen:
        base = baseline_child(recorded, the_plan, c, on)
        if base != sorted(by_child[c]):
            raise AssertionError(f"the baseline and assess disagree for child {c}")
    per_child = (time.perf_counter() - t0) / max(1, len(chosen))
    estimated = per_child * len(ids)
    return Result(
        schools=county.schools,
        children=len(ids),
        pairs=len(pairs),
        obligations=len(the_plan.obligations),
        planned=len(the_plan.contacts),
        unmet=len(the_plan.unmet),
        events=len(recorded),
        findings=len(findings),
        overdue=sum(1 for f in findings if f.code.endswith("_OVERDUE")),
        seconds={
            "care_pairs": t_pairs,
            "plan": t_plan,
            "compliance": t_comp,
            "assess": t_assess,
        },
        baseline_sample=len(chosen),
        baseline_seconds_per_child=per_child,
        baseline_seconds_estimated=estimated,
        ratio=estimated / t_comp if t_comp else float("inf"),
        target_seconds=TARGET_SECONDS,
        env=environment("holidays", "icalendar", "attrs"),
    )


def report(r: Result) -> str:
    s = r.seconds
    lines = [
        f"county: {r.schools} schools, {r.children:,} paired children, {r.pairs:,} pairs",
        f"care pairs  {s['care_pairs']:8.2f} s",
        f"plan        {s['plan']:8.2f} s  {r.planned:,} contacts, {r.obligations:,} obligations, "
        f"{r.unmet} unmet ({r.pairs / s['plan']:,.0f} pairs/s)",
        f"compliance  {s['compliance']:8.2f} s  {r.events:,} recorded contacts -> "
        f"{r.findings:,} findings, {r.overdue:,} overdue "
        f"({r.events / s['compliance']:,.0f} contacts/s)",
        f"  (assess alone {s['assess']:.2f} s)",
        f"baseline    {r.baseline_seconds_estimated:8.1f} s  estimated: "
        f"{r.baseline_seconds_per_child:.3f} s per child x {r.children:,} children "
        f"(measured on {r.baseline_sample}, same statuses)",
        f"ratio       {r.ratio:8.0f} x  baseline / compliance",
        f"target      compliance < {r.target_seconds:.0f} s: {'met' if r.ok else 'MISSED'}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=None, help=f"default {SCHOOLS}")
    parser.add_argument("--events", type=int, default=None, help=f"default {EVENTS:,}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SCHOOLS} schools")
    parser.add_argument("--sample", type=int, default=8, help="children timed in the baseline")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    schools = args.schools or (QUICK_SCHOOLS if args.quick else SCHOOLS)
    events = args.events or (QUICK_EVENTS if args.quick else EVENTS)
    res = run(schools, events, sample=args.sample, seed=args.seed)
    print(report(res))
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=2, ensure_ascii=False) + "\n")
        print(f"saved {args.json}")
    return 1 if args.check and not res.ok else 0


if __name__ == "__main__":
    sys.exit(main())
