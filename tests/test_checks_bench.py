"""Smoke test of ``benchmarks/bench_checks.py`` at a tiny size: it runs, its synthetic
term gives the checks something to find, and the naive baseline finds the same."""

from __future__ import annotations

import json
import math
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
        import bench_checks

        yield bench_checks
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def data(bench: Any) -> list[Any]:
    return bench.build(2, seed=3)  # type: ignore[no-any-return]


def test_the_term_is_seeded_and_has_records_of_every_kind(bench: Any, data: list[Any]) -> None:
    again = bench.build(1, seed=3)
    assert again[0] == data[0]
    r = data[0]
    for name in ("pairings", "events", "diaries", "health_checks", "consents", "pledges"):
        assert getattr(r, name), name
    assert r.nominated
    assert {p.term_id for p in r.pairings} == {r.term.id}


def test_checks_and_naive_agree(bench: Any, data: list[Any]) -> None:
    res = bench.run(len(data), naive_schools=2, repeat=1, data=data)
    assert res.equivalence["mismatches"] == 0
    assert res.equivalence["compared"] > 0
    for t in res.timings.values():
        assert 0 < t.best < 60
        assert math.isfinite(t.findings_per_second)
    assert res.ratio() > 0
    assert {"ARCHIVE_SIGN_OFF", "CARE_NOTICE"} & set(res.codes)
    saved = res.to_json()
    json.dumps(saved)
    assert saved["targets"][0]["passed"] in (True, False)


def test_naive_context_finds_the_same(bench: Any, data: list[Any]) -> None:
    from liushou_core.checks import run_checks

    r = data[1]
    assert bench.naive_checks(r, on=bench.ON) == run_checks(r, on=bench.ON)


def test_command_line(bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "checks.json"
    assert (
        bench.main(
            [
                "--schools",
                "1",
                "--repeat",
                "1",
                "--naive-schools",
                "1",
                "--quiet",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    saved = json.loads(out.read_text())
    assert saved["schools"] == 1
    shown = capsys.readouterr().out
    assert "findings/s" in shown
    assert "ratio checks/naive" in shown
