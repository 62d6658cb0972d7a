"""Smoke test of the conversion benchmark: it runs, and the libraries agree.

This is not a timing test: it checks with 200 records that the benchmark's
functions work, that its figures are sane, and that liushou, pydantic and
msgspec build equivalent records from the same dicts (so the timings compare
like with like). Run the benchmark itself with
``python benchmarks/bench_convert.py``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

pytest.importorskip("pydantic")
pytest.importorskip("msgspec")

N = 200


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_convert

        yield bench_convert
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def records(bench: Any) -> list[dict[str, Any]]:
    return bench.make_records(N, seed=1)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def results(bench: Any, records: list[dict[str, Any]]) -> Any:
    return bench.run(N, data=records, repeat=1, warmup=10, sample=None)


def test_records_are_json_shaped(records: list[dict[str, Any]]) -> None:
    assert len(records) == N
    assert json.loads(json.dumps(records)) == records
    assert all(r["parents"] and r["guardians"] for r in records)


def test_every_library_is_timed(bench: Any, results: Any) -> None:
    assert {(t.operation, t.library) for t in results.timings} == {
        (op, lib) for op in ("structure", "unstructure") for lib in bench.LIBRARIES
    }
    for t in results.timings:
        assert t.n == N
        assert len(t.runs) == 1
        assert 0 < t.best < 60
        assert math.isfinite(t.per_second)
        assert t.per_second > 0
    for op in ("structure", "unstructure"):
        for lib in ("pydantic", "msgspec"):
            assert 0 < results.ratio(op, lib) < math.inf


def test_the_three_libraries_agree(results: Any) -> None:
    assert results.equivalence["compared"] == N
    assert results.equivalence["mismatches"] == 0, results.equivalence["first"]


def test_the_operations_agree_record_by_record(bench: Any, records: list[dict[str, Any]]) -> None:
    from liushou_core.convert import unstructure
    from liushou_core.models import Child

    ours = bench.structure_liushou(records)
    pyd = bench.structure_pydantic(records)
    msg = bench.structure_msgspec(records)
    assert all(type(c) is Child for c in ours + msg)
    assert ours == msg
    assert [bench._json_shape(d) for d in bench.unstructure_pydantic(pyd)] == records
    assert [bench._json_shape(d) for d in bench.unstructure_liushou(ours)] == records
    assert [bench._json_shape(d) for d in bench.unstructure_msgspec(msg)] == [
        bench._json_shape(unstructure(c)) for c in ours
    ]


def test_pydantic_mirror_has_the_same_fields(bench: Any) -> None:
    from liushou_core.models import Child, Guardian, Parent

    for cls in (Child, Parent, Guardian):
        mirror = bench.pydantic_mirror(cls)
        assert set(mirror.model_fields) == {a.alias for a in attrs.fields(cls) if a.init}
    with pytest.raises(Exception, match="extra"):
        bench.pydantic_mirror(Child).model_validate({"unknown": 1})


def test_targets_and_json(bench: Any, results: Any, tmp_path: Path) -> None:
    targets = results.targets()
    assert [t["target"] for t in targets] == list(bench.TARGETS.values())
    assert all(isinstance(t["passed"], bool) for t in targets)
    data = results.to_json()
    assert data["n"] == N
    assert set(data["ratios"]) == {
        f"{op}: liushou/{lib}"
        for op in ("structure", "unstructure")
        for lib in ("pydantic", "msgspec")
    }
    json.dumps(data)  # serialisable


def test_command_line(bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    status = bench.main(["--n", "50", "--repeat", "1", "--warmup", "5", "--json", str(out)])
    assert status == 0
    saved = json.loads(out.read_text())
    assert saved["n"] == 50
    assert saved["equivalence"]["mismatches"] == 0
    shown = capsys.readouterr().out
    assert "records/s" in shown
    assert "structure: liushou/pydantic" in shown
