"""A county's duty rotas: every school's term rota, against plain round robin.

For ``--schools`` schools (default 200, a county) with ``--mentors`` mentor
teachers each (default 20), one mentor in ``--away`` (default 5) is unavailable
for a random span of 1 to 8 weeks, and every mentor for a few random days. In
one run:

* **rota**: :func:`liushou_core.rota.rota` for each school on the school calendar
  of the 2026 autumn term (the calendar is built once, as a county does);
* **baseline**: plain round robin, the way a rota is made by hand: the mentors
  in a fixed cycle, one who is away skipped (and not made up for later).

Both give every slot a free mentor; the figures are the time per school, the
ratio of the two, and how many schools each leaves unfair (a mentor with two
duties more than another) although a fair rota exists (``rota`` leaves none:
it is exact, see ``docs/activities.md``). Timings are single runs with
:func:`time.perf_counter`, the garbage collector paused.

Run ``python benchmarks/bench_rota.py`` (``--quick``: 20 schools); ``--json FILE``
saves the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _env import environment
from liushou_core.models import DutySlot, Period
from liushou_core.rota import DEFAULT_SLOTS, rota
from liushou_core.school_calendar import SchoolCalendar, parse_term, school_calendar

SEED = 0
TERM = parse_term("2026-autumn")

School = tuple[list[str], dict[str, list[dt.date | Period]]]


def make_schools(n: int, mentors: int, away: int, seed: int = SEED) -> list[School]:
    """``n`` schools' mentors and their unavailability, seeded."""
    rng = random.Random(seed)
    out: list[School] = []
    span = (TERM.last_day - TERM.first_day).days
    for s in range(n):
        ids = [f"s{s}-t{i}" for i in range(mentors)]
        off: dict[str, list[dt.date | Period]] = {}
        for m in ids:
            days: list[dt.date | Period] = [
                TERM.first_day + dt.timedelta(rng.randrange(span)) for _ in range(rng.randint(0, 4))
            ]
            if rng.randrange(away) == 0:
                start = TERM.first_day + dt.timedelta(rng.randrange(span))
                days.append(Period(start, start + dt.timedelta(weeks=rng.randint(1, 8))))
            if days:
                off[m] = days
        out.append((ids, off))
    return out


def round_robin(
    cal: SchoolCalendar,
    mentors: Sequence[str],
    off: dict[str, list[dt.date | Period]],
    slots: Sequence[DutySlot] = DEFAULT_SLOTS,
) -> Counter[str]:
    """The baseline: mentors in a fixed cycle, one who is away skipped; duty counts."""
    count: Counter[str] = Counter(dict.fromkeys(mentors, 0))
    i = 0
    n = len(mentors)

    def away(m: str, day: dt.date) -> bool:
        return any(s == day if isinstance(s, dt.date) else s.covers(day) for s in off.get(m, ()))

    for day in cal.open_days:
        if day.weekday() >= 5:
            continue
        taken: list[str] = []
        for _ in range(n):
            if len(taken) == len(slots):
                break
            m = mentors[i % n]
            i += 1
            if m not in taken and not away(m, day):
                taken.append(m)
        count.update(taken)
    return count


def _spread(counts: Counter[str] | dict[str, int]) -> int:
    return max(counts.values()) - min(counts.values())


def run(schools: list[School]) -> dict[str, Any]:
    """Time both over every school; count the unfair rotas of each."""
    cal = school_calendar(TERM)
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        rotas = [rota(cal, ids, unavailable=off, school_id="S") for ids, off in schools]
        t_rota = time.perf_counter() - t0
        t0 = time.perf_counter()
        robin = [round_robin(cal, ids, off) for ids, off in schools]
        t_robin = time.perf_counter() - t0
    finally:
        gc.enable()
    fair_possible = [r.fair for r in rotas]  # rota is exact: fair whenever it can be
    duties = sum(len(r.duties) for r in rotas)
    assert duties == sum(sum(c.values()) for c in robin), "both fill every free slot"
    return {
        "schools": len(schools),
        "mentors": len(schools[0][0]) if schools else 0,
        "duties": duties,
        "rota_seconds": t_rota,
        "baseline_seconds": t_robin,
        "rota_ms_per_school": 1000 * t_rota / max(1, len(schools)),
        "baseline_ms_per_school": 1000 * t_robin / max(1, len(schools)),
        "ratio_rota_over_baseline": t_rota / t_robin if t_robin else float("inf"),
        "unfair_rota": sum(1 for r in rotas if not r.fair),
        "unfair_baseline": sum(
            1 for c, ok in zip(robin, fair_possible, strict=True) if ok and _spread(c) > 1
        ),
        "max_spread_rota": max((_spread(r.counts) for r in rotas), default=0),
        "max_spread_baseline": max((_spread(c) for c in robin), default=0),
        "environment": environment("holidays"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--mentors", type=int, default=20)
    parser.add_argument("--away", type=int, default=5, help="one mentor in AWAY is away for weeks")
    parser.add_argument("--quick", action="store_true", help="20 schools")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    args = parser.parse_args(argv)
    n = 20 if args.quick else args.schools
    res = run(make_schools(n, args.mentors, args.away))
    print(
        f"{res['schools']} schools x {res['mentors']} mentors, {res['duties']} duties "
        f"(2026 autumn term, noon and after school)"
    )
    print(
        f"rota:        {res['rota_seconds']:.3f} s ({res['rota_ms_per_school']:.1f} ms a school), "
        f"unfair: {res['unfair_rota']}, largest spread {res['max_spread_rota']}"
    )
    print(
        f"round robin: {res['baseline_seconds']:.3f} s "
        f"({res['baseline_ms_per_school']:.1f} ms a school), unfair although a fair rota "
        f"exists: {res['unfair_baseline']}, largest spread {res['max_spread_baseline']}"
    )
    print(f"ratio rota/round robin: {res['ratio_rota_over_baseline']:.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
