"""Smoke test of ``benchmarks/bench_cadence.py`` at a tiny size.

Not a timing test: the benchmark runs on 2 schools and 4,000 contacts, its
baseline gives the same statuses as ``assess`` (it raises otherwise), and its
figures and command line are sane. Run the benchmark itself with
``python benchmarks/bench_cadence.py``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_cadence

        yield bench_cadence
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def result(bench: Any) -> Any:
    return bench.run(2, 4000, sample=3)


def test_the_benchmark_plans_and_checks_a_tiny_county(result: Any) -> None:
    assert result.schools == 2
    assert result.pairs == result.children > 0
    assert result.planned >= result.obligations
    assert abs(result.events - 4000) <= result.pairs
    assert result.findings > 0
    assert set(result.seconds) == {"care_pairs", "plan", "compliance", "assess"}
    assert all(v > 0 for v in result.seconds.values())
    assert result.baseline_sample == 3
    assert result.ratio > 0


def test_the_recorded_contacts_follow_the_calendar(bench: Any) -> None:
    county = bench.make_county(1)
    pairs = bench.care_pairs(county.pairings, county.children, bench.TERM)
    p = bench.plan(bench.TERM, pairs)
    events = bench.make_events(p, 500)
    assert all(p.calendar.is_open(e.date) for e in events)
    assert len({e.id for e in events}) == len(events)


def test_the_command_line(bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cadence.json"
    assert (
        bench.main(["--schools", "1", "--events", "1000", "--sample", "2", "--json", str(out)]) == 0
    )
    text = capsys.readouterr().out
    assert "baseline" in text
    assert "ratio" in text
    data = json.loads(out.read_text())
    assert data["schools"] == 1
    assert data["ok"] is (data["seconds"]["compliance"] < data["target_seconds"])
