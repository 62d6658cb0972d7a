"""Exporting a county's children and aid decisions, against bare csv and openpyxl.

A synthetic county (:func:`liushou_core.synth.county`, 200 schools: about
50,000 children) is made once, with an aid decision for every child
(:func:`liushou_core.aid.assess_many` on the first school day of autumn, one
row per scheme: about 200,000 rows). The two datasets are built as tables once
(:func:`~liushou_adapters.export.datasets.children_table` with the age and the
categories, :func:`~liushou_adapters.export.datasets.aid_table`; the time is
shown as **dataset**). Then each table is written, in the same run:

* **liushou**: the ``csv`` exporter (UTF-8 with BOM) and the ``xlsx`` exporter:
  rendering in Chinese, masking ID and phone numbers (also inside free text),
  neutralising formula triggers, typed cells, widths, frozen header, written to
  a temporary file and renamed into place;
* **bare**: the same rows, already rendered in Chinese before the clock starts
  (the text a naive program would write: no masking, no neutralising), written
  with ``csv.writer(...).writerows`` to a UTF-8 file, and with an openpyxl
  write-only workbook, ``ws.append(row)`` per row, one sheet.

Each timing is the best of ``--repeat`` runs (default 3), liushou and bare
interleaved, with the garbage collector paused (``--gc`` keeps it on). The
figures are rows per second and the ratio liushou/bare. After the runs the
benchmark reads the CSV files back and checks that both hold the same number
of rows, the same names, and that liushou's holds no unmasked ID or mobile
number.

Targets (regression guards set from the first measurements): liushou/bare >= 0.1
for CSV (the bare writer hands ready-made lists to the csv module's C loop; liushou
looks at every cell in Python) and >= 0.5 for XLSX, for each dataset.

Run ``python benchmarks/bench_export.py`` (200 schools; ``--quick``: 20;
``--schools N``), ``--json FILE``, ``--check`` (exit 1 when a target is missed).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import math
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _env import environment
from liushou_adapters.export import Table, exporter
from liushou_adapters.export.datasets import aid_table, children_table
from liushou_adapters.export.tables import render_cell
from liushou_core import plugins
from liushou_core.aid import assess_many

DEFAULT_SCHOOLS = 200
QUICK_SCHOOLS = 20
SEED = 0
ON = dt.date(2026, 9, 1)
FORMATS = ("csv", "xlsx")
DATASETS = ("children", "aid")
METHODS = ("liushou", "bare")
#: Targets: liushou rows/s over bare rows/s, at least, per format (for each dataset).
TARGETS = {"csv": 0.1, "xlsx": 0.5}
UNMASKED = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")


@dataclass
class County:
    """A county's tables, and their rows rendered for the bare writers."""

    schools: int
    children: int
    tables: dict[str, Table]
    plain: dict[str, list[list[Any]]]
    make_seconds: float
    dataset_seconds: dict[str, float]


def _plain_rows(table: Table) -> list[list[Any]]:
    """The rows as a naive program writes them: rendered in Chinese, nothing masked."""
    label = [c.type == "label" for c in table.columns]
    return [[render_cell(v, "zh", label=label[j]) for j, v in enumerate(row)] for row in table.rows]


def make_county(schools: int, seed: int = SEED) -> County:
    """Make the county, its aid decisions and the two tables (once)."""
    from liushou_core.synth import county

    t0 = time.perf_counter()
    kids: list[Any] = []
    classes: list[Any] = []
    households: list[Any] = []
    decisions: list[Any] = []
    for s in county(seed, schools=schools, on=ON):
        kids.extend(s.children)
        classes.extend(s.classes)
        households.extend(s.households)
        decisions.extend(assess_many(s.children, s.households, on=ON))
    made = time.perf_counter() - t0
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    tables = {"children": children_table(kids, classes=classes, households=households, on=ON)}
    seconds["children"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tables["aid"] = aid_table(decisions, children=kids, classes=classes)
    seconds["aid"] = time.perf_counter() - t0
    plain = {k: _plain_rows(t) for k, t in tables.items()}
    return County(schools, len(kids), tables, plain, made, seconds)


# ----------------------------------------------------------------------------- writers


def bare_csv(table: Table, rows: list[list[Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fp:
        writer = csv.writer(fp)
        writer.writerow(table.headers("zh"))
        writer.writerows(rows)


def bare_xlsx(table: Table, rows: list[list[Any]], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(table.headers("zh"))
    for row in rows:
        ws.append(row)
    wb.save(path)


def ours(name: str) -> Callable[[Table, list[list[Any]], Path], None]:
    pm = plugins.plugin_manager()

    def write(table: Table, rows: list[list[Any]], path: Path) -> None:
        exporter(name, pm=pm).write(table, path)

    return write


# ----------------------------------------------------------------------------- timing


@dataclass
class Timing:
    format: str
    dataset: str
    method: str
    n: int
    runs: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def per_second(self) -> float:
        return self.n / self.best if self.best > 0 else math.inf


@dataclass
class Results:
    schools: int
    children: int
    rows: dict[str, int]
    make_seconds: float
    dataset_seconds: dict[str, float]
    timings: list[Timing]
    checks: dict[str, Any]
    environment: dict[str, str]

    def timing(self, fmt: str, dataset: str, method: str) -> Timing:
        return next(
            t for t in self.timings if (t.format, t.dataset, t.method) == (fmt, dataset, method)
        )

    def ratio(self, fmt: str, dataset: str) -> float:
        """liushou rows/s over bare rows/s."""
        return (
            self.timing(fmt, dataset, "liushou").per_second
            / self.timing(fmt, dataset, "bare").per_second
        )

    def targets(self) -> list[dict[str, Any]]:
        return [
            {
                "target": TARGETS[fmt],
                "what": f"{fmt} {d}: liushou/bare",
                "ratio": round(self.ratio(fmt, d), 3),
                "passed": self.ratio(fmt, d) >= TARGETS[fmt],
            }
            for fmt in FORMATS
            for d in DATASETS
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "export",
            "schools": self.schools,
            "children": self.children,
            "rows": self.rows,
            "make_seconds": round(self.make_seconds, 3),
            "dataset_seconds": {k: round(v, 3) for k, v in self.dataset_seconds.items()},
            "timings": [
                {**asdict(t), "best": t.best, "per_second": round(t.per_second, 1)}
                for t in self.timings
            ],
            "ratios": {
                f"{fmt} {d}: liushou/bare": round(self.ratio(fmt, d), 3)
                for fmt in FORMATS
                for d in DATASETS
            },
            "targets": self.targets(),
            "checks": self.checks,
            "environment": self.environment,
        }


def _check(county: County, directory: Path) -> dict[str, Any]:
    """Both CSV files of each dataset hold the same rows; liushou's masks every number."""
    out: dict[str, Any] = {"mismatches": 0, "problems": []}
    for d in DATASETS:
        with (directory / f"liushou-{d}.csv").open(encoding="utf-8-sig", newline="") as fp:
            mine = list(csv.reader(fp))
        with (directory / f"bare-{d}.csv").open(encoding="utf-8", newline="") as fp:
            bare = list(csv.reader(fp))
        out[f"{d}_rows"] = len(mine) - 1
        name = 2  # school, pupil id, then the name (children) or the pupil (aid)
        if len(mine) != len(bare) or [r[name] for r in mine] != [r[name] for r in bare]:
            out["mismatches"] += 1
            out["problems"].append(f"{d}: the rows differ")
        if any(UNMASKED.search(c) for r in mine for c in r):
            out["mismatches"] += 1
            out["problems"].append(f"{d}: an unmasked number in liushou's file")
    return out


def run(
    schools: int,
    *,
    county: County | None = None,
    seed: int = SEED,
    repeat: int = 3,
    keep_gc: bool = False,
    directory: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Results:
    if county is None:
        log(f"making a county of {schools} schools and its aid decisions ...")
        county = make_county(schools, seed)
    writers: dict[tuple[str, str], Callable[[Table, list[list[Any]], Path], None]] = {
        ("csv", "liushou"): ours("csv"),
        ("csv", "bare"): bare_csv,
        ("xlsx", "liushou"): ours("xlsx"),
        ("xlsx", "bare"): bare_xlsx,
    }
    timings = {
        (f, d, m): Timing(f, d, m, len(county.tables[d]))
        for f in FORMATS
        for d in DATASETS
        for m in METHODS
    }
    with tempfile.TemporaryDirectory(prefix="bench-export-", dir=directory) as tmp:
        where = Path(tmp)
        for i in range(repeat):
            for f in FORMATS:
                for d in DATASETS:
                    for m in METHODS:
                        path = where / f"{m}-{d}.{f}"
                        enabled = gc.isenabled()
                        if not keep_gc:
                            gc.collect()
                            gc.disable()
                        try:
                            t0 = time.perf_counter()
                            writers[(f, m)](county.tables[d], county.plain[d], path)
                            elapsed = time.perf_counter() - t0
                        finally:
                            if enabled:
                                gc.enable()
                        timings[(f, d, m)].runs.append(elapsed)
                        log(f"run {i + 1}/{repeat} {f} {d} {m}: {elapsed:.2f} s")
        checks = _check(county, where)
    return Results(
        schools=county.schools,
        children=county.children,
        rows={d: len(county.tables[d]) for d in DATASETS},
        make_seconds=county.make_seconds,
        dataset_seconds=county.dataset_seconds,
        timings=list(timings.values()),
        checks=checks,
        environment=environment("openpyxl", "attrs", "cattrs"),
    )


def report(res: Results) -> None:
    print(
        f"\nexport: {res.schools} schools, {res.children} children; rows: "
        + ", ".join(f"{d} {n}" for d, n in res.rows.items())
    )
    print(
        "dataset (records to table): "
        + ", ".join(
            f"{d} {s:.2f} s ({res.rows[d] / s:,.0f} rows/s)" for d, s in res.dataset_seconds.items()
        )
    )
    print(f"{'format':<6} {'dataset':<9} {'method':<8} {'best s':>8} {'rows/s':>12}")
    for t in res.timings:
        print(f"{t.format:<6} {t.dataset:<9} {t.method:<8} {t.best:>8.3f} {t.per_second:>12,.0f}")
    for target in res.targets():
        mark = "ok" if target["passed"] else "MISSED"
        print(f"{target['what']} >= {target['target']}: {target['ratio']:.2f} {mark}")
    c = res.checks
    print(f"checks: {c['mismatches']} mismatches {c['problems'] or ''}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--schools", type=int, default=None, help=f"schools (default {DEFAULT_SCHOOLS})"
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SCHOOLS} schools")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts")
    parser.add_argument("--dir", type=Path, help="where the files go (default: a temp dir)")
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    schools = (
        args.schools
        if args.schools is not None
        else (QUICK_SCHOOLS if args.quick else DEFAULT_SCHOOLS)
    )
    if schools < 1 or args.repeat < 1:
        parser.error("--schools and --repeat must be at least 1")
    res = run(
        schools,
        seed=args.seed,
        repeat=args.repeat,
        keep_gc=args.gc,
        directory=args.dir,
        log=(lambda _: None) if args.quiet else (lambda line: print(line, flush=True)),
    )
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=2, ensure_ascii=False) + "\n")
        print(f"saved {args.json}")
    failed = res.checks["mismatches"] > 0 or not all(t["passed"] for t in res.targets())
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
