"""Smoke test of ``benchmarks/bench_export.py`` on a county of one small school.

Not a timing test: the benchmark runs, times every format, dataset and method,
compares like with like (the same rows, names in the same order, liushou's
file masked), and its command line works. Run the benchmark itself with
``python benchmarks/bench_export.py``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_export

        yield bench_export
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def county(bench: Any) -> Any:
    return bench.make_county(1, seed=2)


def test_the_county_has_both_datasets(bench: Any, county: Any) -> None:
    assert county.children > 50
    assert len(county.tables["children"]) == county.children
    assert len(county.tables["aid"]) >= county.children  # a row per scheme
    for d in bench.DATASETS:
        assert len(county.plain[d]) == len(county.tables[d])
        assert all(len(r) == len(county.tables[d].columns) for r in county.plain[d])


def test_every_writer_is_timed_and_checked(bench: Any, county: Any, tmp_path: Path) -> None:
    res = bench.run(1, county=county, repeat=1, directory=tmp_path)
    assert {(t.format, t.dataset, t.method) for t in res.timings} == {
        (f, d, m) for f in bench.FORMATS for d in bench.DATASETS for m in bench.METHODS
    }
    for t in res.timings:
        assert len(t.runs) == 1
        assert 0 < t.best < 120
        assert math.isfinite(t.per_second)
    assert res.checks["mismatches"] == 0, res.checks["problems"]
    assert res.checks["children_rows"] == county.children
    for f in bench.FORMATS:
        for d in bench.DATASETS:
            assert 0 < res.ratio(f, d) < math.inf
    data = res.to_json()
    assert data["benchmark"] == "export"
    assert {t["target"] for t in data["targets"]} == set(bench.TARGETS.values())
    json.dumps(data)
    assert list(tmp_path.iterdir()) == []  # the files are removed


def test_command_line(bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "export.json"
    assert bench.main(["--schools", "1", "--repeat", "1", "--quiet", "--json", str(out)]) == 0
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["checks"]["mismatches"] == 0
    shown = capsys.readouterr().out
    assert "rows/s" in shown
    assert "csv children: liushou/bare" in shown
