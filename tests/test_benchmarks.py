"""Smoke tests of the benchmarks: they run, and what they compare is equivalent.

These are not timing tests. The conversion benchmark runs on 200 records: its
functions work, its figures are sane, and liushou, pydantic and msgspec build
equivalent records from the same dicts (so the timings compare like with like).
The storage benchmark runs on a county of 2 schools: the store and the bare
table hold the same rows, the store reads back what went in, and its command
line works. Run the benchmarks themselves with ``python benchmarks/bench_convert.py``
and ``python benchmarks/bench_storage.py``.
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

N = 200


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    pytest.importorskip("pydantic")
    pytest.importorskip("msgspec")
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


# ----------------------------------------------------------------------------- storage

SCHOOLS = 2


@pytest.fixture(scope="module")
def storage() -> Iterator[Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_storage

        yield bench_storage
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def county(storage: Any) -> Any:
    return storage.make_county(SCHOOLS, seed=1)


@pytest.fixture(scope="module")
def storage_results(storage: Any, county: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return storage.run(
        SCHOOLS,
        county=county,
        repeat=1,
        batch_size=100,
        directory=tmp_path_factory.mktemp("bench-storage"),
    )


def test_county_rows_are_the_stores_rows(storage: Any, county: Any) -> None:
    from liushou_core.models import Child, School, Teacher

    assert len(county.records) == len(county.rows) == sum(county.kinds.values())
    assert county.kinds["School"] == SCHOOLS
    assert county.kinds["Child"] > 100
    assert county.kinds["Teacher"] > 40
    assert {cls for cls, _ in county.groups} >= {School, Teacher, Child}
    sid, kind, rid, county_code, version, data = county.rows[0]
    assert (kind, version) == ("school", 1)
    assert sid == rid == county.records[0].id
    assert json.loads(data)["county_code"] == county_code
    assert "\\u" not in data  # Chinese kept as it is, as the stores write it


def test_storage_benchmark_times_store_and_bare(storage: Any, storage_results: Any) -> None:
    res = storage_results
    assert list(res.backends) == ["sqlite"]
    assert res.backends["sqlite"]["bare"] == "executemany"
    assert {(t.operation, t.method) for t in res.timings} == {
        (op, m) for op in ("load", "read") for m in storage.METHODS
    }
    for t in res.timings:
        assert t.n == res.records
        assert 0 < t.best < 60
        assert math.isfinite(t.per_second)
    for op in ("load", "read"):
        for base in storage.METHODS[1:]:
            assert 0 < res.ratio("sqlite", op, base) < math.inf


def test_storage_benchmark_compares_like_with_like(storage_results: Any) -> None:
    check = storage_results.checks["sqlite"]
    assert check["mismatches"] == 0, check["problems"]
    n = storage_results.records
    assert check["records_read"] == check["rows_compared"] == check["audit_entries"] == n


def test_storage_benchmark_json(storage: Any, storage_results: Any) -> None:
    data = storage_results.to_json()
    assert data["benchmark"] == "storage"
    assert data["schools"] == SCHOOLS
    assert "sqlite: load store/bare" in data["ratios"]
    [target] = data["targets"]
    assert target["target"] == storage.TARGET == 0.5
    assert isinstance(target["passed"], bool)
    json.dumps(data)


def test_storage_command_line(
    storage: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "storage.json"
    argv = ["--schools", str(SCHOOLS), "--repeat", "1", "--quiet", "--dir", str(tmp_path)]
    assert storage.main([*argv, "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["records"] > 0
    assert saved["checks"]["sqlite"]["mismatches"] == 0
    shown = capsys.readouterr().out
    assert "records/s" in shown
    assert "bare executemany" in shown
    assert "sqlite: load store/bare >= 0.5" in shown
    assert sorted(p.name for p in tmp_path.iterdir()) == ["storage.json"]  # databases removed


@pytest.mark.postgres
def test_storage_benchmark_on_postgres(storage: Any, county: Any, request: Any) -> None:
    pytest.importorskip("liushou_adapters.storage.postgres")
    url = request.getfixturevalue("postgres_url")
    res = storage.run(SCHOOLS, county=county, backends=["postgres"], repeat=1, postgres_url=url)
    assert res.backends["postgres"]["bare"] == "COPY"
    assert res.checks["postgres"]["mismatches"] == 0, res.checks["postgres"]["problems"]
    assert 0 < res.ratio("postgres", "load") < math.inf


# ----------------------------------------------------------------------------- roster import

ROSTER_ROWS = 30


@pytest.fixture(scope="module")
def roster_bench() -> Iterator[Any]:
    pytest.importorskip("openpyxl")
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_import

        yield bench_import
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def roster_results(roster_bench: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    school = roster_bench.make_school(ROSTER_ROWS, seed=1)
    return roster_bench.run(
        school=school, repeat=1, directory=tmp_path_factory.mktemp("bench-import")
    )


def test_import_benchmark_times_import_and_baseline(roster_bench: Any, roster_results: Any) -> None:
    res = roster_results
    assert res.n == ROSTER_ROWS
    assert {(t.format, t.method) for t in res.timings} == {
        (f, m) for f in roster_bench.FORMATS for m in roster_bench.METHODS
    }
    for t in res.timings:
        assert 0 < t.best < 60
        assert math.isfinite(t.per_second)
    for fmt in roster_bench.FORMATS:
        assert 0 < res.ratio(fmt, "import") < math.inf


def test_import_benchmark_compares_like_with_like(roster_results: Any) -> None:
    for check in roster_results.checks.values():
        assert check["mismatches"] == 0
        assert check["added"] == check["stored"] == check["baseline_records"] == ROSTER_ROWS
        assert check["second_import_written"] == 0
        assert check["audit_entries"] == ROSTER_ROWS  # one add each; the second import wrote none


def test_import_benchmark_report_and_json(roster_bench: Any, roster_results: Any) -> None:
    data = roster_results.to_json()
    assert data["benchmark"] == "import"
    assert set(data["ratios"]) == {
        f"{f}: {m}/baseline" for f in roster_bench.FORMATS for m in roster_bench.METHODS[1:]
    }
    assert all(isinstance(t["passed"], bool) for t in data["targets"])
    json.dumps(data)
    shown = roster_bench.report(roster_results)
    assert "csv: import/baseline" in shown
    assert "0 mismatches" in shown


# ----------------------------------------------------------------------------- pairing


@pytest.fixture(scope="module")
def pairing_bench() -> Iterator[Any]:
    pytest.importorskip("scipy")
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_pairing

        yield bench_pairing
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_pairing_benchmark_agrees_with_scipy(
    pairing_bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pairing.json"
    assert pairing_bench.main(["--schools", "2", "--json", str(out)]) == 0  # 0: costs equal
    [county] = json.loads(out.read_text())["scales"]
    assert county["schools"] == 2
    assert county["equal_cost_schools"] == county["compared_schools"] == 2
    assert county["paired"]["liushou"] == county["paired"]["scipy"] > 0
    assert county["cost"]["greedy"] >= county["cost"]["liushou"]
    assert 0 < county["ratios"]["liushou/scipy time"] < math.inf
    assert "liushou/greedy time" in capsys.readouterr().out


# ----------------------------------------------------------------------------- emergency


def test_emergency_benchmark_agrees_with_the_naive_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_emergency
    finally:
        sys.path.remove(str(BENCHMARKS))
    out = tmp_path / "emergency.json"
    assert bench_emergency.main(["--schools", "2", "--repeat", "1", "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["schools"] == 2
    assert saved["same_findings"] is True
    assert saved["children_in_programme"] > 0
    assert 0 < saved["ratio_naive_over_chain"] < math.inf
    assert "ratio chain/contact card" in capsys.readouterr().out
