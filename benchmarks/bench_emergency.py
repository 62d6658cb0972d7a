"""The emergency chain over a synthetic county, against two baselines in the same run.

A synthetic county (:func:`liushou_core.synth.county`) is made once, each school
with a seeded term of records (:func:`liushou_core.synth_term.term_records`).

* **chain check**: :func:`liushou_core.emergency.check_emergency_chain` for every
  school (the school's records are indexed once, then each child's chain is built);
* **naive**: the public :func:`liushou_core.emergency.chain` called child by child,
  which indexes the school's records again for every child (what a caller who
  loops over children without the check would do); both must find the same
  missing links;
* **contact card**: the built-in ``contact_card`` check on the same schools, a
  per-child check of the same kind, as the yardstick;
* **call lists**: :func:`liushou_core.emergency.call_list` for every incident.

Each timing is the best of ``--repeat`` runs (CPU time of the process, the
garbage collector paused). Figures: seconds, children per second, and the
ratios naive/chain and chain/contact card.

Run ``python benchmarks/bench_emergency.py`` (``--schools N``, default 50;
``--quick``: 10 schools; ``--json FILE``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from _env import environment
from liushou_core import synth
from liushou_core.checks import (
    DEFAULT_CHECK_POLICY,
    CheckContext,
    SchoolRecords,
    check_contact_card,
)
from liushou_core.emergency import call_list, chain, check_emergency_chain
from liushou_core.synth_term import term_records

ON = dt.date(2026, 11, 2)
SEED = 7
DEFAULT_SCHOOLS = 50


def build(schools: int, *, seed: int = SEED) -> list[SchoolRecords]:
    """A county of ``schools`` schools, each with a term of records up to :data:`ON`."""
    return [term_records(s, on=ON, seed=seed) for s in synth.county(seed, schools=schools, on=ON)]


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            c0 = time.process_time()
            out = fn()
            best = min(best, time.process_time() - c0)
    finally:
        if enabled:
            gc.enable()
    return best, out


def run(
    schools: int = DEFAULT_SCHOOLS,
    *,
    repeat: int = 3,
    data: list[SchoolRecords] | None = None,
) -> dict[str, Any]:
    """Time the chain check, the naive loop, the contact-card check and the call lists."""
    county = data if data is not None else build(schools)
    contexts = [CheckContext(r, ON, DEFAULT_CHECK_POLICY) for r in county]
    children = sum(len(c.programme) for c in contexts)

    def checked() -> dict[tuple[str, str], int]:
        return {
            (f.school_id, f.subject.id): int(f.message.param_dict["count"])
            for c in contexts
            for f in check_emergency_chain(c)
        }

    def naive() -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for c in contexts:
            for child in c.programme:
                missing = chain(child, c.records, on=ON).missing
                if missing:
                    out[(c.school_id, child.id)] = len(missing)
        return out

    def card() -> int:
        return sum(1 for c in contexts for _ in check_contact_card(c))

    def calls() -> int:
        return sum(len(call_list(i, r, on=ON)) for r in county for i in r.incidents)

    t_chain, ours = _best(checked, repeat)
    t_naive, theirs = _best(naive, repeat)
    t_card, _ = _best(card, repeat)
    t_calls, n_calls = _best(calls, repeat)
    incidents = sum(len(r.incidents) for r in county)
    return {
        "schools": len(county),
        "children_in_programme": children,
        "incidents": incidents,
        "seconds": {"chain": t_chain, "naive": t_naive, "contact_card": t_card, "calls": t_calls},
        "children_per_second": children / t_chain if t_chain else float("inf"),
        "ratio_naive_over_chain": t_naive / t_chain if t_chain else float("inf"),
        "ratio_chain_over_contact_card": t_chain / t_card if t_card else float("inf"),
        "incomplete_chains": len(ours),
        "calls": n_calls,
        "same_findings": ours == theirs,
        "env": environment("attrs", "cattrs"),
    }


def report(r: dict[str, Any]) -> str:
    s = r["seconds"]
    return "\n".join(
        [
            f"county: {r['schools']} schools, {r['children_in_programme']} children in the "
            f"programme, {r['incidents']} incidents, on {ON.isoformat()}",
            f"chain check: {s['chain']:.3f} s CPU, {r['children_per_second']:,.0f} children/s, "
            f"{r['incomplete_chains']} incomplete chains",
            f"naive (chain() child by child): {s['naive']:.3f} s, "
            f"ratio naive/chain {r['ratio_naive_over_chain']:.1f}x",
            f"contact-card check (yardstick): {s['contact_card']:.3f} s, "
            f"ratio chain/contact card {r['ratio_chain_over_contact_card']:.1f}x",
            f"call lists: {s['calls']:.3f} s for {r['incidents']} incidents ({r['calls']} calls)",
            f"same findings (chain check vs naive): {r['same_findings']}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    parser.add_argument("--quick", action="store_true", help="10 schools")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", dest="json_path", default=None, metavar="FILE")
    args = parser.parse_args(argv)
    schools = 10 if args.quick else args.schools
    t0 = time.perf_counter()
    county = build(schools)
    print(f"built {len(county)} schools with a term of records in {time.perf_counter() - t0:.1f} s")
    results = run(schools, repeat=args.repeat, data=county)
    print(report(results))
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as fp:
            json.dump(results, fp, indent=2, ensure_ascii=False)
    return 0 if results["same_findings"] else 1


if __name__ == "__main__":
    sys.exit(main())
