"""Mentor pairing at county and province scale: liushou's solver vs greedy and scipy.

Usage::

    python benchmarks/bench_pairing.py                    # county: 200 schools
    python benchmarks/bench_pairing.py --province         # and province: 2,000 schools
    python benchmarks/bench_pairing.py --schools 5 --json out.json

Every left-behind child needs a mentor (``pair_all_left_behind``), as the issue's
county scale asks. For each school, in the same run:

* **liushou**: :func:`liushou_core.pairing.pair`, end to end (types, the exact
  flow, the reasons), with ``min_load`` 1 so that the problem is exactly the
  assignment scipy solves; also timed with the default rules (2-3 per mentor);
* **greedy**: children by priority, each to the cheapest allowed mentor with room;
* **scipy**: ``linear_sum_assignment`` on the expanded seat matrix (one column
  per free seat of each mentor), the cost matrix built with the same cost code
  over individual children and mentors; its time is the matrix plus the solve,
  and the solve alone is reported too.

The synthetic data are generated and nominated before any timing; that time is
reported apart. The province is 2,000 school instances: the county's 200
schools solved ten times each unless ``--province-generate`` makes 2,000
distinct schools (generating them takes long on a small machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _env import environment
from liushou_core import pairing as P
from liushou_core import synth
from liushou_core.dated import Dated

SEED = 0
ON = synth.DEFAULT_ON
#: every left-behind child needs a mentor
RULES = attrs.evolve(P.DEFAULT_RULES, pair_all_left_behind=True)
#: the same, as a pure assignment (no minimum load): what scipy solves
ASSIGN = attrs.evolve(RULES, min_load=Dated.since(ON.replace(year=2000), 1, "benchmark"))
#: targets of the issue
TARGET_RATIO = 2.0
TARGET_PROVINCE_S = 60.0


@attrs.frozen
class Instance:
    school_id: str
    needs: tuple[P.Need, ...]
    mentors: tuple[P.Mentor, ...]
    classes: tuple[Any, ...]


def make_instances(schools: int, seed: int = SEED) -> tuple[list[Instance], float]:
    """The county's schools, nominated; and the seconds it took."""
    t = time.perf_counter()
    out = []
    for s in synth.county(seed, schools=schools, on=ON):
        nom = P.nominate(s.children, on=ON, households=s.households, rules=RULES)
        out.append(Instance(s.school.id, nom.nominated, (*s.teachers, *s.volunteers), s.classes))
    return out, time.perf_counter() - t


def _facts(inst: Instance, rules: P.PairingRules) -> tuple[list[Any], list[Any], Any]:
    r = P._Resolved.of(rules, ON)
    grades = {k.id: k.grade for k in inst.classes}
    cts: dict[str, set[str]] = {}
    for k in inst.classes:
        if k.class_teacher_id:
            cts.setdefault(k.class_teacher_id, set()).add(k.id)
    cs = [P._child_facts(n, grades, r.female_age) for n in inst.needs]
    ms = [P._mentor_facts(m, grades, cts) for m in inst.mentors]
    ms = [m for m in ms if P._mentor_barred(m, r, ON) is None]
    return cs, ms, r


def _barred(cs: list[Any], ms: list[Any]) -> set[tuple[str, str]]:
    """Relatives and guardians (one school: no pair across schools), found by index."""
    by_number: dict[str, list[str]] = {}
    for c in cs:
        for x in c.ids:
            by_number.setdefault(x, []).append(c.id)
    ids = {c.id for c in cs}
    out = set()
    for m in ms:
        out.update((cid, m.id) for cid in m.related if cid in ids)
        for x in m.ids:
            out.update((cid, m.id) for cid in by_number.get(x, ()))
    return out


def solve_ours(inst: Instance, rules: P.PairingRules) -> tuple[int, int]:
    plan = P.pair(inst.needs, inst.mentors, rules, classes=inst.classes)
    return plan.paired, plan.cost


def solve_greedy(inst: Instance, rules: P.PairingRules) -> tuple[int, int]:
    cs, ms, r = _facts(inst, rules)
    rows = P._cost_rows(cs, ms, rules.weights, {}, _barred(cs, ms))
    room = [r.max_load] * len(ms)
    paired = cost = 0
    for i in sorted(range(len(cs)), key=lambda i: (-cs[i].need.score, cs[i].id)):
        best = None
        for j, c in enumerate(rows[i]):
            if c is not None and room[j] and (best is None or c < rows[i][best]):  # type: ignore[operator]
                best = j
        if best is not None:
            room[best] -= 1
            paired += 1
            cost += rows[i][best]  # type: ignore[operator]
    return paired, cost


def solve_scipy(inst: Instance, rules: P.PairingRules) -> tuple[int, int, float]:
    """(paired, cost, seconds of the solve alone) by linear_sum_assignment on seats."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    cs, ms, r = _facts(inst, rules)
    rows = P._cost_rows(cs, ms, rules.weights, {}, _barred(cs, ms))
    n = len(cs)
    if not n or not ms:
        return 0, 0, 0.0
    big = 10.0**6
    matrix = np.array([[big if c is None else c for c in row] for row in rows], dtype=float)
    seats = np.repeat(matrix, r.max_load, axis=1)
    # one private "unpaired" column per child, priced by priority (exact in float64 here)
    levels = sorted({c.need.score for c in cs})
    unit = big * (n + 1)
    skip = {s: unit * (n + 1) ** (i + 1) for i, s in enumerate(levels)}
    count = unit * (n + 1) ** (len(levels) + 1)
    if count * (n + 1) < 2.0**52:
        dummy = np.full((n, n), np.inf)
        for i, c in enumerate(cs):
            dummy[i, i] = count + skip[c.need.score]
        seats = np.hstack([seats, dummy])
    t = time.perf_counter()
    ri, ci = linear_sum_assignment(seats)
    solve = time.perf_counter() - t
    used = [(i, j) for i, j in zip(ri, ci, strict=True) if j < len(ms) * r.max_load]
    used = [(i, j) for i, j in used if seats[i, j] < big]
    return len(used), int(sum(seats[i, j] for i, j in used)), solve


@attrs.define
class Scale:
    name: str
    schools: int
    children: int
    mentors: int
    seconds: dict[str, float] = attrs.Factory(dict)
    paired: dict[str, int] = attrs.Factory(dict)
    cost: dict[str, int] = attrs.Factory(dict)
    equal_cost_schools: int = 0
    compared_schools: int = 0
    note: str = ""


def run(
    instances: Sequence[Instance], name: str, *, repeat_to: int | None = None, scipy: bool = True
) -> Scale:
    """Solve every instance (cycled up to ``repeat_to``) with each method and time them."""
    total = repeat_to or len(instances)
    chosen = [instances[i % len(instances)] for i in range(total)]
    sc = Scale(
        name,
        len(chosen),
        sum(len(i.needs) for i in chosen),
        sum(len(i.mentors) for i in chosen),
    )
    methods: dict[str, Any] = {
        "liushou": lambda i: solve_ours(i, ASSIGN),
        "liushou (2-3 per mentor)": lambda i: solve_ours(i, RULES),
        "greedy": lambda i: solve_greedy(i, ASSIGN),
    }
    results: dict[str, list[tuple[int, int]]] = {}
    for label, fn in methods.items():
        t = time.perf_counter()
        results[label] = [fn(i) for i in chosen]
        sc.seconds[label] = time.perf_counter() - t
    if scipy:
        t = time.perf_counter()
        out = [solve_scipy(i, ASSIGN) for i in chosen]
        sc.seconds["scipy"] = time.perf_counter() - t
        sc.seconds["scipy (solve only)"] = sum(o[2] for o in out)
        results["scipy"] = [(o[0], o[1]) for o in out]
        ours = results["liushou"]
        sc.compared_schools = len(chosen)
        sc.equal_cost_schools = sum(
            1 for a, b in zip(ours, results["scipy"], strict=True) if a == b
        )
    for label, res in results.items():
        sc.paired[label] = sum(p for p, _ in res)
        sc.cost[label] = sum(c for _, c in res)
    return sc


def ratios(sc: Scale) -> dict[str, float]:
    s = sc.seconds
    out = {"liushou/greedy time": s["liushou"] / s["greedy"]}
    if "scipy" in s:
        out["liushou/scipy time"] = s["liushou"] / s["scipy"]
        out["liushou/scipy solve-only time"] = s["liushou"] / max(s["scipy (solve only)"], 1e-9)
    if sc.cost.get("liushou"):
        out["greedy/liushou cost"] = sc.cost["greedy"] / sc.cost["liushou"]
    return out


def report(sc: Scale) -> str:
    lines = [
        f"{sc.name}: {sc.schools:,} schools, {sc.children:,} children to pair, "
        f"{sc.mentors:,} teachers and volunteers" + (f" ({sc.note})" if sc.note else "")
    ]
    for label, sec in sc.seconds.items():
        key = label.replace(" (solve only)", "")
        if key in sc.paired:
            lines.append(
                f"  {label:<26} {sec:8.2f} s   paired {sc.paired[key]:,}   cost {sc.cost[key]:,}"
            )
        else:
            lines.append(f"  {label:<26} {sec:8.2f} s   (see below)")
    if sc.compared_schools:
        lines.append(
            f"  same paired count and cost as scipy: {sc.equal_cost_schools}"
            f"/{sc.compared_schools} schools"
        )
    for k, v in ratios(sc).items():
        lines.append(f"  {k}: {v:.2f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200, help="schools of the county")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--province", action="store_true", help="also 2,000 schools")
    parser.add_argument(
        "--province-generate",
        action="store_true",
        help="generate 2,000 distinct schools for the province (slow) instead of reusing",
    )
    parser.add_argument(
        "--province-scipy", type=int, default=200, help="province schools scipy solves (sample)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    args = parser.parse_args(argv)

    instances, gen = make_instances(args.schools, args.seed)
    print(f"generated and nominated {len(instances)} schools in {gen:.1f} s (not timed below)")
    county = run(instances, "county")
    print(report(county))
    scales = [county]
    ok = county.equal_cost_schools == county.compared_schools
    if args.province:
        if args.province_generate:
            more, gen2 = make_instances(2000, args.seed)
            print(f"generated the province's 2,000 schools in {gen2:.1f} s (not timed)")
            province = run(more, "province", scipy=False)
            sample = more[: args.province_scipy]
        else:
            province = run(instances, "province", repeat_to=2000, scipy=False)
            province.note = (
                f"the county's {len(instances)} schools solved {2000 // len(instances)} times each"
            )
            sample = instances[: args.province_scipy]
        sp = run(sample, "province scipy sample")
        province.seconds["scipy (sample)"] = sp.seconds["scipy"]
        print(report(province))
        print(report(sp))
        scales += [province, sp]
        target = province.seconds["liushou"] < TARGET_PROVINCE_S
        print(f"  province under {TARGET_PROVINCE_S:.0f} s: {'yes' if target else 'no'}")
    ratio = county.seconds["liushou"] / county.seconds["scipy"]
    print(
        f"county liushou/scipy time <= {TARGET_RATIO}: {'yes' if ratio <= TARGET_RATIO else 'no'}"
    )
    print(f"county cost equal to scipy on every school: {'yes' if ok else 'no'}")
    if args.json:
        data = {
            "benchmark": "pairing",
            "environment": environment("scipy", "numpy"),
            "generation_seconds": gen,
            "scales": [attrs.asdict(s) | {"ratios": ratios(s)} for s in scales],
        }
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
