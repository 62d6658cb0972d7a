"""The use-case layer: the all-or-nothing bulk import, on real stores.

Fakes, not mocks: the services run against the real SQLite store (and the
memory store when it exists); the fault-injecting store below wraps a real one.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core import synth
from liushou_core.convert import unstructure
from liushou_core.errors import ConflictError, LiushouError, PermissionDenied
from liushou_core.models import (
    Child,
    Household,
    School,
    SchoolClass,
    Sex,
    Teacher,
)
from liushou_core.ports import Store
from liushou_core.privacy import SYSTEM, Actor, Role
from liushou_core.services import (
    BadRecord,
    ImportCounts,
    ImportRejected,
    ImportResult,
    import_records,
    load_school,
)

COUNTY = "431121"
PRINCIPAL = Actor(Role.PRINCIPAL, "T-0001", schools=("S1",), purpose="term start")


def _module(name: str) -> bool:
    return importlib.util.find_spec(f"liushou_adapters.storage.{name}") is not None


@pytest.fixture(params=["sqlite", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each backend."""
    s: Store
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "liushou.db")
    elif not _module(request.param):
        pytest.skip(f"liushou_adapters.storage.{request.param} is not there")
    elif request.param == "memory":
        from liushou_adapters.storage.memory import MemoryStore

        s = MemoryStore()
    else:
        from liushou_adapters.storage.postgres import PostgresStore

        s = PostgresStore.from_url(request.getfixturevalue("postgres_db"))
    yield s
    s.close()


@pytest.fixture(scope="module")
def small_school() -> synth.SyntheticSchool:
    return synth.school(seed=7, index=0, children=30)


def school(sid: str = "S1") -> School:
    return School(id=sid, name="清溪中心小学", county_code=COUNTY)


def child_row(i: int, sid: str = "S1") -> dict[str, Any]:
    return {
        "id": f"c{i:03d}",
        "school_id": sid,
        "name": "李小花",
        "sex": "female",
        "birth_date": "2016-05-04",
        "class_id": "k1",
    }


def teacher(tid: str = "t1", sid: str = "S1", **changes: Any) -> Teacher:
    return Teacher(id=tid, school_id=sid, name="王老师", sex=Sex.MALE, **changes)


def everything(store: Store) -> list[Any]:
    """Every record of every school, for before/after comparisons."""
    out: list[Any] = []
    with store.unit_of_work(readonly=True) as uow:
        for sid in ("S1", "S2"):
            for cls in (School, SchoolClass, Teacher, Household, Child):
                out.extend(uow.list(cls, sid))
    return out


# ----------------------------------------------------------------------------- writing


def test_import_model_instances(store: Store) -> None:
    result = import_records(store, PRINCIPAL, [school(), teacher("t1"), teacher("t2")])
    assert result == ImportResult(
        added=3,
        updated=0,
        unchanged=0,
        by_kind={"School": ImportCounts(added=1), "Teacher": ImportCounts(added=2)},
        schools=("S1",),
    )
    assert result.total == result.written == 3
    with store.unit_of_work(readonly=True) as uow:
        assert [t.id for t in uow.list(Teacher, "S1")] == ["t1", "t2"]
        assert uow.get(Teacher, "S1", "t2").version == 1


def test_import_dicts_with_cls_and_mixed_pairs(store: Store) -> None:
    import_records(store, PRINCIPAL, [unstructure(school())], cls=School)
    rows = [child_row(i) for i in range(3)]
    result = import_records(
        store,
        PRINCIPAL,
        [(SchoolClass, {"id": "k1", "school_id": "S1", "grade": 3, "name": "三年级一班"}), *rows],
        cls=Child,
    )
    assert result.by_kind == {"SchoolClass": ImportCounts(added=1), "Child": ImportCounts(added=3)}
    with store.unit_of_work(readonly=True) as uow:
        got = uow.get(Child, "S1", "c001")
    assert got.birth_date == dt.date(2016, 5, 4)
    assert got.sex is Sex.FEMALE


def test_every_write_is_audited_with_the_actor_and_purpose(store: Store) -> None:
    import_records(store, PRINCIPAL, [school(), teacher()])
    trail = store.audit_trail(school_id="S1")
    assert [(e.action, e.kind, e.record_id) for e in trail] == [
        ("add", "school", "S1"),
        ("add", "teacher", "t1"),
    ]
    assert {e.actor for e in trail} == {"principal:T-0001"}
    assert {e.purpose for e in trail} == {"term start"}


def test_purpose_defaults_to_import(store: Store) -> None:
    import_records(store, SYSTEM, [school()])
    assert [e.purpose for e in store.audit_trail()] == ["import"]
    assert [e.actor for e in store.audit_trail()] == ["system:liushou"]


def test_a_school_may_come_after_its_records(store: Store) -> None:
    result = import_records(store, PRINCIPAL, [teacher("t1"), teacher("t2"), school()])
    assert result.added == 3
    with store.unit_of_work(readonly=True) as uow:
        assert uow.count(Teacher, "S1") == 2


def test_small_batches_give_the_same_result(store: Store, small_school: Any) -> None:
    result = load_school(store, SYSTEM, small_school, batch_size=7)
    records = list(small_school.records())
    assert result.added == len(records)
    with store.unit_of_work(readonly=True) as uow:
        assert uow.list(Child, small_school.school.id) == [
            attrs.evolve(c, version=1) for c in sorted(small_school.children, key=lambda c: c.id)
        ]


def test_empty_import_touches_nothing(store: Store) -> None:
    seen: list[tuple[int, int]] = []
    result = import_records(store, PRINCIPAL, [], progress=lambda d, t: seen.append((d, t)))
    assert result == ImportResult(added=0, updated=0, unchanged=0)
    assert seen == [(0, 0)]
    assert list(store.audit_trail()) == []


# ----------------------------------------------------------------------------- idempotency


def test_reimporting_the_same_records_changes_nothing(store: Store, small_school: Any) -> None:
    first = load_school(store, SYSTEM, small_school)
    trail = list(store.audit_trail())
    before = everything(store)
    second = load_school(store, SYSTEM, small_school)
    assert second.added == second.updated == 0
    assert second.unchanged == first.added
    assert all(c.added == c.updated == 0 for c in second.by_kind.values())
    assert list(store.audit_trail()) == trail
    assert everything(store) == before


def test_input_versions_are_ignored(store: Store) -> None:
    import_records(store, PRINCIPAL, [school(), teacher()])
    again = import_records(store, PRINCIPAL, [teacher(version=42)])
    assert again.unchanged == 1


def test_changed_records_are_updated_from_the_stored_version(store: Store) -> None:
    import_records(store, PRINCIPAL, [school(), teacher("t1"), teacher("t2")])
    result = import_records(
        store, PRINCIPAL, [teacher("t1", village="大坪村"), teacher("t2"), teacher("t3")]
    )
    assert (result.added, result.updated, result.unchanged) == (1, 1, 1)
    assert result.by_kind == {"Teacher": ImportCounts(added=1, updated=1, unchanged=1)}
    with store.unit_of_work(readonly=True) as uow:
        t1 = uow.get(Teacher, "S1", "t1")
    assert (t1.village, t1.version) == ("大坪村", 2)
    updates = [e for e in store.audit_trail() if e.action == "update"]
    assert [(e.record_id, e.old_version, e.new_version) for e in updates] == [("t1", 1, 2)]


# ----------------------------------------------------------------------------- rejection


def test_bad_rows_are_all_named_and_nothing_is_written(store: Store) -> None:
    import_records(store, PRINCIPAL, [school()])
    trail = list(store.audit_trail())
    rows = [child_row(i) for i in range(10)]
    rows[2]["birth_date"] = "2016-02-30"
    rows[7]["sex"] = "boy"
    rows[7]["guardians"] = [
        {"name": "李奶奶", "relationship": "paternal grandmother", "phone": "1"}
    ]
    with pytest.raises(ImportRejected) as info:
        import_records(store, PRINCIPAL, rows, cls=Child, sources=range(2, 12))
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, LiushouError)
    assert err.total == 10
    assert err.rows == [4, 9]
    assert [r.index for r in err.records] == [2, 7]
    assert [r.kind for r in err.records] == ["Child", "Child"]
    where = {(w, p) for w, p, _ in err.problems}
    assert where == {
        ("row 4", "$.birth_date"),
        ("row 9", "$.sex"),
        ("row 9", "$.guardians[0].phone"),
    }
    text = str(err)
    assert "2 of 10 records are invalid" in text
    assert "row 9 $.sex" in text
    zh = err.render("zh")
    assert zh[0] == err.headline("zh")
    assert any(line.startswith("第4行 $.birth_date") for line in zh), zh
    assert any("第9行 $.sex" in line for line in zh), zh
    assert list(store.audit_trail()) == trail
    with store.unit_of_work(readonly=True) as uow:
        assert uow.count(Child, "S1") == 0


def test_without_sources_records_are_numbered_from_1(store: Store) -> None:
    rows = [child_row(i) for i in range(3)]
    rows[0]["name"] = ""
    with pytest.raises(ImportRejected) as info:
        import_records(store, PRINCIPAL, [school(), *[(Child, r) for r in rows]])
    assert info.value.rows == [2]
    assert info.value.problems[0][:2] == ("record 2", "$.name")
    assert info.value.render("zh")[1].startswith("第2条记录 $.name")


def test_text_sources_are_shown_as_given(store: Store) -> None:
    rows = [child_row(0)]
    rows[0]["birth_date"] = "soon"
    with pytest.raises(ImportRejected) as info:
        import_records(
            store, PRINCIPAL, [school(), *rows], cls=Child, sources=["a", "儿童.xlsx!A3"]
        )
    assert info.value.rows == ["儿童.xlsx!A3"]
    assert info.value.render("zh")[1].startswith("儿童.xlsx!A3 $.birth_date")


def test_numbers_are_masked_in_the_error(store: Store) -> None:
    row = child_row(0)
    row["id_number"] = "431121201605040022"  # wrong check digit
    row["guardians"] = [
        {"name": "李奶奶", "relationship": "paternal grandmother", "phone": "2381234123"}
    ]
    with pytest.raises(ImportRejected) as info:
        import_records(store, PRINCIPAL, [school(), row], cls=Child)
    shown = "\n".join([str(info.value), *info.value.render("zh"), *map(str, info.value.problems)])
    assert "431121201605040022" not in shown
    assert "2381234123" not in shown
    assert {p for _, p, _ in info.value.problems} >= {"$.id_number", "$.guardians[0].phone"}


def test_duplicates_within_the_input_are_bad(store: Store) -> None:
    with pytest.raises(ImportRejected) as info:
        import_records(store, PRINCIPAL, [school(), teacher("t1"), teacher("t2"), teacher("t1")])
    assert info.value.rows == [2, 4]
    assert {(w, p) for w, p, _ in info.value.problems} == {
        ("record 2", "$.id"),
        ("record 4", "$.id"),
    }
    assert "t1 appears more than once" in str(info.value)
    assert list(store.audit_trail()) == []


def test_records_of_an_unknown_school_are_bad(store: Store) -> None:
    import_records(store, PRINCIPAL, [school("S1")])
    trail = list(store.audit_trail())
    actor = Actor(Role.DISTRICT_OFFICER, "d1")
    with pytest.raises(ImportRejected) as info:
        import_records(store, actor, [teacher("t1"), teacher("t2", sid="S2"), teacher("t3")])
    assert info.value.rows == [2]
    assert info.value.problems == [
        ("record 2", "$.school_id", "school S2 is neither stored nor part of this import")
    ]
    assert list(store.audit_trail()) == trail


def test_the_whole_input_is_checked_before_rejecting(store: Store) -> None:
    rows = [child_row(i) for i in range(2000)]
    for i in (0, 999, 1000, 1999):
        rows[i]["sex"] = "?"
    with pytest.raises(ImportRejected) as info:
        import_records(store, PRINCIPAL, [school(), *rows], cls=Child, batch_size=100)
    assert info.value.rows == [2, 1001, 1002, 2001]
    assert "... and" not in str(info.value)


def test_the_summary_is_capped_but_render_lists_all(store: Store) -> None:
    rows = [child_row(i) for i in range(50)]
    for row in rows:
        row["sex"] = "?"
    with pytest.raises(ImportRejected) as info:
        import_records(store, PRINCIPAL, rows, cls=Child)
    assert "... and 30 more bad records" in str(info.value)
    assert len(info.value.render("en")) == 51


def test_the_rejection_pickles(store: Store) -> None:
    rows = [child_row(0)]
    rows[0]["sex"] = "?"
    with pytest.raises(ImportRejected) as info:
        import_records(store, PRINCIPAL, rows, cls=Child, sources=[5])
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.records == info.value.records
    assert copy.total == 1
    assert str(copy) == str(info.value)


def test_bad_record_where() -> None:
    bad = BadRecord(4, None, "Child", ())
    assert (bad.where("en"), bad.where("zh")) == ("record 5", "第5条记录")
    assert BadRecord(4, 17, "Child", ()).where("en") == "row 17"


# ----------------------------------------------------------------------------- permission


def test_an_actor_outside_the_school_is_refused_before_writing(store: Store) -> None:
    import_records(store, SYSTEM, [school("S1"), school("S2")])
    trail = list(store.audit_trail())
    with pytest.raises(PermissionDenied, match="S2") as info:
        import_records(store, PRINCIPAL, [teacher("t1"), teacher("t2", sid="S2")])
    assert "principal:T-0001" in str(info.value)
    assert list(store.audit_trail()) == trail


def test_scope_is_checked_even_for_bad_rows(store: Store) -> None:
    row = child_row(0, sid="S2")
    row["sex"] = "?"
    with pytest.raises(PermissionDenied):
        import_records(store, PRINCIPAL, [school("S1"), row], cls=Child)


def test_a_district_officer_covers_the_county(store: Store) -> None:
    officer = Actor(Role.DISTRICT_OFFICER, "d1")
    assert import_records(store, officer, [school("S1"), school("S2")]).added == 2
    mentor = Actor(Role.MENTOR, "t9")  # an empty scope covers nothing but for officers
    with pytest.raises(PermissionDenied):
        import_records(store, mentor, [teacher()])


# ----------------------------------------------------------------------------- progress


def test_progress_runs_from_0_to_total(store: Store, small_school: Any) -> None:
    seen: list[tuple[int, int]] = []
    n = len(list(small_school.records()))
    load_school(
        store, SYSTEM, small_school, progress=lambda d, t: seen.append((d, t)), batch_size=10
    )
    assert {t for _, t in seen} == {2 * n}
    done = [d for d, _ in seen]
    assert done[0] == 0
    assert done[-1] == 2 * n
    assert done == sorted(done)
    assert len(done) > 2 * n // 10  # at least one call per batch, checking and writing
    assert done.count(2 * n) == 1


def test_progress_reaches_total_only_after_commit(tmp_path: Path) -> None:
    db = tmp_path / "liushou.db"
    store = SqliteStore(db)
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        with sqlite3.connect(db) as conn:
            (n,) = conn.execute("SELECT count(*) FROM audit").fetchone()
        seen.append((done, total, n))

    try:
        import_records(
            store,
            SYSTEM,
            [school(), *[teacher(f"t{i}") for i in range(5)]],
            progress=progress,
            batch_size=2,
        )
    finally:
        store.close()
    assert seen[-1] == (12, 12, 6)
    assert all(n == 0 for done, _, n in seen[:-1])


def test_progress_of_a_reimport_counts_skipped_records(store: Store) -> None:
    records = [school(), teacher("t1"), teacher("t2")]
    import_records(store, PRINCIPAL, records)
    seen: list[tuple[int, int]] = []
    import_records(store, PRINCIPAL, records, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 6)
    assert seen[-1] == (6, 6)


def test_an_exception_from_progress_cancels_the_import(store: Store) -> None:
    import_records(store, PRINCIPAL, [school()])
    trail = list(store.audit_trail())

    class Cancelled(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done > total // 2:  # while writing
            raise Cancelled

    teachers = [teacher(f"t{i}") for i in range(10)]
    with pytest.raises(Cancelled):
        import_records(store, PRINCIPAL, teachers, progress=progress, batch_size=2)
    assert list(store.audit_trail()) == trail
    with store.unit_of_work(readonly=True) as uow:
        assert uow.count(Teacher, "S1") == 0


# ----------------------------------------------------------------------------- faults


class FailingStore:
    """A real store whose units of work fail on the ``fail_at``-th ``add_all`` call."""

    def __init__(self, inner: Store, fail_at: int) -> None:
        self.inner = inner
        self.fail_at = fail_at
        self.calls = 0

    def unit_of_work(
        self, actor: str = "system", *, purpose: str = "", readonly: bool = False
    ) -> Any:
        store = self
        uow = self.inner.unit_of_work(actor, purpose=purpose, readonly=readonly)

        class Wrapped:
            def __enter__(self) -> Any:
                uow.__enter__()
                return self

            def __exit__(self, *exc: Any) -> None:
                uow.__exit__(*exc)

            def add_all(self, records: Any) -> Any:
                store.calls += 1
                if store.calls == store.fail_at:
                    raise OSError("disk full")
                return uow.add_all(records)

            def __getattr__(self, name: str) -> Any:
                return getattr(uow, name)

        return Wrapped()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_failure_while_writing_rolls_everything_back(store: Store, small_school: Any) -> None:
    import_records(store, SYSTEM, [school()])
    trail = list(store.audit_trail())
    failing = FailingStore(store, fail_at=3)
    with pytest.raises(OSError, match="disk full"):
        load_school(failing, SYSTEM, small_school, batch_size=10)
    assert failing.calls == 3
    assert list(store.audit_trail()) == trail
    with store.unit_of_work(readonly=True) as uow:
        assert uow.count(School, small_school.school.id) == 0
    assert load_school(store, SYSTEM, small_school).added == len(list(small_school.records()))


class ConflictingStore:
    """A real store whose first ``conflicts`` units of work fail at commit, as a
    PostgreSQL serialization failure would (everything rolled back)."""

    def __init__(self, inner: Store, conflicts: int) -> None:
        self.inner = inner
        self.conflicts = conflicts
        self.opened = 0

    def unit_of_work(self, actor: str = "system", **options: Any) -> Any:
        outer = self
        uow = self.inner.unit_of_work(actor, **options)
        self.opened += 1

        class Wrapped:
            def __enter__(self) -> Any:
                uow.__enter__()
                return self

            def __exit__(self, *exc: Any) -> None:
                uow.__exit__(*exc)

            def commit(self) -> None:
                if outer.conflicts:
                    outer.conflicts -= 1
                    raise ConflictError("could not serialize access (40001)")
                uow.commit()

            def __getattr__(self, name: str) -> Any:
                return getattr(uow, name)

        return Wrapped()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_conflict_runs_the_writing_again(store: Store) -> None:
    import_records(store, PRINCIPAL, [school(), teacher("t1")])
    flaky = ConflictingStore(store, conflicts=2)
    seen: list[tuple[int, int]] = []
    records = [teacher("t1", village="大坪村"), teacher("t2")]
    result = import_records(
        flaky,
        PRINCIPAL,
        records,
        progress=lambda d, t: seen.append((d, t)),
        batch_size=1,
    )
    assert flaky.opened == 3
    assert (result.added, result.updated) == (1, 1)
    assert [(e.action, e.record_id) for e in store.audit_trail()][2:] == [
        ("add", "t2"),
        ("update", "t1"),
    ]
    done = [d for d, _ in seen]
    assert done == sorted(set(done))
    assert seen[-1] == (4, 4)


def test_conflicts_beyond_the_attempts_propagate(store: Store) -> None:
    import_records(store, PRINCIPAL, [school()])
    flaky = ConflictingStore(store, conflicts=2)
    with pytest.raises(ConflictError):
        import_records(flaky, PRINCIPAL, [teacher()], attempts=2)
    assert flaky.opened == 2
    assert len(store.audit_trail()) == 1
    with pytest.raises(ValueError, match="attempts"):
        import_records(store, PRINCIPAL, [teacher()], attempts=0)


# ----------------------------------------------------------------------------- misuse


def test_plain_data_needs_a_class(store: Store) -> None:
    with pytest.raises(TypeError, match="cls="):
        import_records(store, PRINCIPAL, [unstructure(school())])


@pytest.mark.parametrize(
    "records",
    [["S1"], [(int, {})], [(Child, teacher())]],
    ids=["text", "not-an-entity", "wrong-record"],
)
def test_input_that_is_not_a_record_is_a_type_error(store: Store, records: list[Any]) -> None:
    with pytest.raises(TypeError):
        import_records(store, PRINCIPAL, records)


def test_cls_must_be_a_stored_record_type(store: Store) -> None:
    with pytest.raises(TypeError, match="not a stored record type"):
        import_records(store, PRINCIPAL, [{}], cls=dict)


def test_sources_must_match_the_records(store: Store) -> None:
    with pytest.raises(ValueError, match="2 sources given for 1 records"):
        import_records(store, PRINCIPAL, [school()], sources=[1, 2])
    with pytest.raises(ValueError, match="batch_size"):
        import_records(store, PRINCIPAL, [school()], batch_size=0)


def test_load_school(store: Store, small_school: Any) -> None:
    result = load_school(store, SYSTEM, small_school)
    assert result.schools == (small_school.school.id,)
    assert result.by_kind["Child"] == ImportCounts(added=len(small_school.children))
    assert result.by_kind["Household"] == ImportCounts(added=len(small_school.households))
    with store.unit_of_work(readonly=True) as uow:
        assert uow.count(Child, small_school.school.id) == len(small_school.children)
