"""Smoke test of ``benchmarks/bench_notify.py`` at a tiny size: it runs, and every variant
delivers each notice exactly once (so the timings compare like with like)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
N = 40


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_notify

        yield bench_notify
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_notices_are_distinct(bench: Any) -> None:
    notices = bench.make_notices(N)
    assert len({n.idempotency_key for n in notices}) == N
    assert {n.channel for n in notices} == {"webhook"}


def test_every_variant_delivers_each_notice_once(bench: Any, tmp_path: Path) -> None:
    res = bench.run(N, directory=tmp_path)
    assert set(res.checks) == {"direct", *res.variants}
    for name, check in res.checks.items():
        assert check == {"expected": N, "delivered": N, "repeats": 0, "strays": 0}, name
    for name in res.variants:
        assert 0 < res.ratio(name) < math.inf
    assert list(tmp_path.iterdir()) == []  # databases removed
    data = res.to_json()
    assert set(data["ratios"]) == {f"{v}/direct" for v in res.variants}
    json.dumps(data)


def test_command_line(bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "notify.json"
    assert bench.main(["--n", "20", "--quiet", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["n"] == 20
    shown = capsys.readouterr().out
    assert "notices/s" in shown
    assert "outbox sqlite ack=1/direct" in shown
    assert "each key delivered exactly once: yes" in shown
