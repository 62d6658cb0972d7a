"""Smoke test of the aid benchmark at a tiny size: it runs, and what it compares agrees.

Not a timing test. Run the benchmark itself with ``python benchmarks/bench_aid.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCHOOLS = 2


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_aid

        yield bench_aid
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def results(bench: Any) -> Any:
    return bench.run(SCHOOLS, seed=1)


def test_every_method_is_timed_on_every_child(bench: Any, results: Any) -> None:
    assert results.children > 100
    assert set(results.timings) == set(bench.METHODS)
    for t in results.timings.values():
        assert t.n == results.children
        assert 0 < t.seconds < 60
        assert math.isfinite(t.per_second)
    for method in ("naive", "bare"):
        assert 0 < results.ratio(method) < math.inf


def test_liushou_naive_and_bare_agree(results: Any) -> None:
    assert results.checks["compared"] == results.children
    assert results.checks["mismatches"] == 0, results.checks["problems"]
    assert results.eligible["free tuition"] == results.children
    assert results.eligible.get("living subsidy", 0) > 0


def test_json_and_targets(bench: Any, results: Any) -> None:
    data = results.to_json()
    assert data["benchmark"] == "aid"
    assert set(data["ratios"]) == {"liushou/naive", "liushou/bare"}
    [target] = data["targets"]
    assert target["extrapolated"] is True
    assert isinstance(target["passed"], bool)
    json.dumps(data)


def test_the_bare_baseline_refuses_older_days(bench: Any) -> None:
    with pytest.raises(ValueError, match="2021-09-01"):
        bench.run(1, on=dt.date(2020, 9, 1))


def test_command_line(bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "aid.json"
    assert bench.main(["--schools", "1", "--quiet", "--json", str(out)]) == 0
    saved = json.loads(out.read_text("utf-8"))
    assert saved["schools"] == 1
    assert saved["checks"]["mismatches"] == 0
    shown = capsys.readouterr().out
    assert "children/s" in shown
    assert "liushou/naive" in shown
