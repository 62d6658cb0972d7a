"""The SQLite store: versions, conflicts, rollback, the audit trail, the schema."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from liushou_adapters.storage import (
    InvalidStoreUrl,
    UnknownStoreScheme,
    kind_of,
    known_schemes,
    open_store,
    redact_url,
    school_id_of,
)
from liushou_adapters.storage import memory as memory_module
from liushou_adapters.storage import sqlite as sqlite_module
from liushou_adapters.storage.sqlite import LATEST_SCHEMA, SchemaError, SqliteStore
from liushou_core import plugins
from liushou_core.convert import unstructure
from liushou_core.errors import ConflictError, LiushouError, NotFound
from liushou_core.models import (
    ENTITIES,
    AwayPeriod,
    Child,
    ContactEvent,
    ContactKind,
    Guardian,
    Household,
    HouseholdCategory,
    Pairing,
    Parent,
    ParentRole,
    Relationship,
    School,
    SchoolClass,
    Sex,
    StaffRole,
    Teacher,
    Volunteer,
)
from liushou_core.ports import Store, UnitOfWork

COUNTY = "431121"
AT = dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def fixed_clock() -> dt.datetime:
    return AT


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "liushou.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(db, clock=fixed_clock)
    yield s
    s.close()


def school(sid: str = "S1") -> School:
    return School(id=sid, name="清溪中心小学", county_code=COUNTY)


def child(cid: str = "c1", sid: str = "S1", class_id: str | None = "k1") -> Child:
    return Child(
        id=cid,
        school_id=sid,
        name="李小花",
        sex=Sex.FEMALE,
        birth_date=dt.date(2016, 5, 4),
        class_id=class_id,
        id_number="431121201605040021",
        household_id="h1",
        parents=(
            Parent(
                role=ParentRole.FATHER,
                name="李大山",
                phone="13812341234",
                away=(AwayPeriod(dt.date(2024, 2, 20), province="广东省", city="东莞市"),),
            ),
            Parent(role=ParentRole.MOTHER, name="王芳", away=(AwayPeriod(dt.date(2025, 3, 1)),)),
        ),
        guardians=(
            Guardian(
                name="李奶奶",
                relationship=Relationship.PATERNAL_GRANDMOTHER,
                phone="13900001111",
            ),
        ),
    )


def seeded(store: SqliteStore, *records: object) -> list[object]:
    with store.unit_of_work(actor="tester") as uow:
        out = uow.add_all([school(), *records])
        uow.commit()
    return out


def raw_count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


# ----------------------------------------------------------------------------- basics


def test_add_then_get_returns_version_1_and_an_equal_record(store: SqliteStore) -> None:
    original = child()
    _, added = seeded(store, original)
    assert added.version == 1
    assert original.version == 0  # the caller's object is left alone
    with store.unit_of_work(readonly=True) as uow:
        got = uow.get(Child, "S1", "c1")
    assert got == added
    assert unstructure(got) == {**unstructure(original), "version": 1}


def test_data_is_the_converters_json_with_readable_chinese(store: SqliteStore, db: Path) -> None:
    seeded(store, child())
    with sqlite3.connect(db) as conn:
        (data,) = conn.execute("SELECT data FROM records WHERE kind = 'child'").fetchone()
        (county,) = conn.execute("SELECT county_code FROM records WHERE kind = 'child'").fetchone()
    assert "李小花" in data  # ensure_ascii=False
    assert json.loads(data)["parents"][0]["away"][0]["province"] == "广东省"
    assert county == COUNTY


def test_get_missing_raises_not_found(store: SqliteStore) -> None:
    seeded(store)
    with store.unit_of_work() as uow, pytest.raises(NotFound, match="c9"):
        uow.get(Child, "S1", "c9")


def test_list_filters_on_simple_fields(store: SqliteStore) -> None:
    seeded(
        store,
        child("c1", class_id="k1"),
        child("c2", class_id="k2"),
        child("c3", class_id="k1"),
        child("c4", class_id=None),
    )
    with store.unit_of_work(readonly=True) as uow:
        assert [c.id for c in uow.list(Child, "S1")] == ["c1", "c2", "c3", "c4"]
        assert [c.id for c in uow.list(Child, "S1", class_id="k1")] == ["c1", "c3"]
        assert [c.id for c in uow.list(Child, "S1", class_id=None)] == ["c4"]
        assert [c.id for c in uow.list(Child, "S1", sex=Sex.FEMALE, boarding=False)] == [
            "c1",
            "c2",
            "c3",
            "c4",
        ]
        assert uow.list(Child, "S1", birth_date=dt.date(2016, 5, 4))[0].id == "c1"
        assert uow.list(Child, "S2") == []
        assert uow.count(Child, "S1") == 4
        with pytest.raises(ValueError, match="no field 'klass'"):
            uow.list(Child, "S1", klass="k1")


def event(eid: str, day: dt.date, staff: tuple[str, ...]) -> ContactEvent:
    return ContactEvent(
        id=eid, school_id="S1", kind=ContactKind.HOME_VISIT, date=day, staff_ids=staff
    )


def test_list_by_membership_and_date_range(store: SqliteStore) -> None:
    day = dt.date(2026, 9, 7)
    week = dt.timedelta(days=7)
    seeded(
        store,
        event("e1", day, ("T7",)),
        event("e2", day + week, ("T7", "T8")),
        event("e3", day + 2 * week, ("T8",)),
        Teacher(
            id="t1",
            school_id="S1",
            name="王老师",
            sex=Sex.FEMALE,
            roles=(StaffRole.CLASS_TEACHER, StaffRole.PSYCHOLOGIST),
        ),
    )
    with store.unit_of_work(readonly=True) as uow:

        def ids(**query: object) -> list[str]:
            return [e.id for e in uow.list(ContactEvent, "S1", **query)]

        assert ids(staff_ids="T7") == ["e1", "e2"]
        assert ids(staff_ids="T9") == []
        assert ids(since=day + week) == ["e2", "e3"]
        assert ids(until=day + week) == ["e1", "e2"]
        assert ids(staff_ids="T8", since=day, until=day + week) == ["e2"]
        assert ids(since=day + week, until=day) == []
        assert ids(kind=ContactKind.HOME_VISIT, planned=False) == ["e1", "e2", "e3"]
        # a tuple of choices (StrEnum) is a tuple of text
        assert [t.id for t in uow.list(Teacher, "S1", roles=StaffRole.PSYCHOLOGIST)] == ["t1"]
        assert uow.list(Teacher, "S1", roles=StaffRole.PRINCIPAL) == []


@pytest.mark.parametrize(
    ("cls", "query", "message"),
    [
        (Child, {"since": dt.date(2026, 9, 1)}, "Child has no date to bound"),
        (ContactEvent, {"since": dt.datetime(2026, 9, 1, 8, 0)}, "since must be a date"),
        (ContactEvent, {"until": "2026-09-01"}, "until must be a date"),
        (ContactEvent, {"staff_ids": ("T7", "T8")}, "filter it by one member"),
        (Child, {"parents": ()}, "cannot filter Child on parents"),
        (Child, {"class_id": ["k1"]}, "only simple values"),
    ],
)
def test_bad_queries_are_refused(
    store: SqliteStore, cls: type, query: dict[str, object], message: str
) -> None:
    seeded(store)
    with store.unit_of_work(readonly=True) as uow, pytest.raises(ValueError, match=message):
        uow.list(cls, "S1", **query)


def test_schools_by_county(store: SqliteStore) -> None:
    with store.unit_of_work() as uow:
        uow.add_all(
            [
                School(id="S2", name="二小", county_code="431122"),
                school("S1"),
                School(id="S3", name="三小", county_code="431122"),
            ]
        )
        uow.commit()
        assert [s.id for s in uow.schools()] == ["S1", "S2", "S3"]
        assert [s.id for s in uow.schools(county_code="431122")] == ["S2", "S3"]
        assert uow.schools(county_code="110101") == []
        assert uow.schools()[0] == attrs.evolve(school("S1"), version=1)


def query_plan(store: SqliteStore, cls: type, school_id: str, **query: object) -> str:
    """The plan SQLite picks for ``uow.list(cls, school_id, **query)``."""
    from liushou_adapters.storage import plan_query

    since = query.pop("since", None)
    until = query.pop("until", None)
    conditions = plan_query(cls, since=since, until=until, filters=query)  # type: ignore[arg-type]
    sql, params = sqlite_module._select("id, data", kind_of(cls), school_id, conditions)
    with store._connection_held() as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return " | ".join(str(r[-1]) for r in rows)


def test_queries_by_class_mentor_and_date_use_the_indexes(store: SqliteStore) -> None:
    day = dt.date(2026, 9, 1)
    records: list[object] = [child(f"c{i:03d}", class_id=f"k{i % 10}") for i in range(100)]
    records += [
        Pairing(
            id=f"p{i:03d}",
            school_id="S1",
            term_id="2026-autumn",
            child_id=f"c{i:03d}",
            mentor_id=f"t{i % 10}",
        )
        for i in range(100)
    ]
    records += [
        event(f"e{i:04d}", day + dt.timedelta(days=i % 120), (f"T{i % 9}",)) for i in range(600)
    ]
    seeded(store, *records)
    store.close()
    again = SqliteStore(store.path)  # no statistics yet (no ANALYZE)
    try:
        assert "records_child_class_id" in query_plan(again, Child, "S1", class_id="k3")
        assert "records_pairing_mentor_id" in query_plan(again, Pairing, "S1", mentor_id="t3")
        plan = query_plan(again, ContactEvent, "S1", since=day, until=day + dt.timedelta(days=6))
        assert "records_contact_event_date" in plan
        with again.unit_of_work(readonly=True) as uow:
            assert len(uow.list(Child, "S1", class_id="k3")) == 10
            assert len(uow.list(ContactEvent, "S1", until=day + dt.timedelta(days=6))) == 35
    finally:
        again.close()


def test_record_of_an_unknown_school_is_refused(store: SqliteStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFound, match="school S1 is not stored"):
        uow.add(child())


def test_kinds_are_stable_names() -> None:
    assert kind_of(Child) == "child"
    assert kind_of(SchoolClass) == "school_class"
    with pytest.raises(TypeError, match="not a stored record type"):
        kind_of(Parent)


# ----------------------------------------------------------------------------- versions


def test_update_raises_the_version(store: SqliteStore) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work() as uow:
        c2 = uow.update(attrs.evolve(c, name="李小红"))
        c3 = uow.update(attrs.evolve(c2, boarding=True))
        uow.commit()
    assert (c2.version, c3.version) == (2, 3)
    with store.unit_of_work(readonly=True) as uow:
        got = uow.get(Child, "S1", "c1")
    assert (got.name, got.boarding, got.version) == ("李小红", True, 3)


def test_stale_update_raises_conflict_and_writes_nothing(store: SqliteStore, db: Path) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work(actor="teacher A") as uow:
        uow.update(attrs.evolve(c, name="A 的修改"))
        uow.commit()
    audit_before = raw_count(db, "SELECT count(*) FROM audit")
    with store.unit_of_work(actor="teacher B") as uow:
        with pytest.raises(ConflictError, match="version 1, the stored one 2"):
            uow.update(attrs.evolve(c, name="B 的修改"))  # B still holds version 1
        uow.commit()  # the unit of work stays usable; there is nothing to commit
    with store.unit_of_work(readonly=True) as uow:
        got = uow.get(Child, "S1", "c1")
    assert (got.name, got.version) == ("A 的修改", 2)
    assert raw_count(db, "SELECT count(*) FROM audit") == audit_before


def test_update_of_a_missing_record_raises_not_found(store: SqliteStore) -> None:
    seeded(store)
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.update(attrs.evolve(child(), version=1))


def test_adding_an_existing_id_conflicts_and_adds_nothing(store: SqliteStore, db: Path) -> None:
    seeded(store, child("c1"))
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError, match="child c1 of school S1"):
            uow.add_all([child("c2"), child("c1"), child("c3")])
        uow.commit()
    assert raw_count(db, "SELECT count(*) FROM records WHERE kind = 'child'") == 1
    assert raw_count(db, "SELECT count(*) FROM audit") == 2


def test_a_batch_repeating_an_id_conflicts(store: SqliteStore) -> None:
    seeded(store)
    with store.unit_of_work() as uow, pytest.raises(ConflictError, match="child c2"):
        uow.add_all([child("c2"), child("c2")])


def test_delete_checks_the_version(store: SqliteStore, db: Path) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            uow.delete(Child, "S1", "c1", version=7)
        uow.delete(Child, "S1", "c1", version=c.version)
        with pytest.raises(NotFound):
            uow.delete(Child, "S1", "c1", version=c.version)
        uow.commit()
    assert raw_count(db, "SELECT count(*) FROM records WHERE kind = 'child'") == 0


def test_a_school_with_records_cannot_be_deleted(store: SqliteStore) -> None:
    s, c = seeded(store, child())
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError, match="still has records"):
            uow.delete(School, "S1", "S1", version=s.version)
        uow.delete(Child, "S1", "c1", version=c.version)
        uow.delete(School, "S1", "S1", version=s.version)
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.get(School, "S1", "S1")


def test_moving_a_school_to_another_county_moves_its_rows(store: SqliteStore, db: Path) -> None:
    s, _ = seeded(store, child())
    with store.unit_of_work() as uow:
        uow.update(attrs.evolve(s, county_code="431122"))
        uow.commit()
    assert raw_count(db, "SELECT count(*) FROM records WHERE county_code = '431122'") == 2


# ----------------------------------------------------------------------------- transactions


def test_leaving_without_commit_rolls_back(store: SqliteStore, db: Path) -> None:
    seeded(store)
    with store.unit_of_work() as uow:
        uow.add(child())
        assert uow.get(Child, "S1", "c1").version == 1  # visible inside
    with store.unit_of_work(readonly=True) as uow, pytest.raises(NotFound):
        uow.get(Child, "S1", "c1")
    assert raw_count(db, "SELECT count(*) FROM audit") == 1  # the school only


def test_an_exception_rolls_back(store: SqliteStore) -> None:
    seeded(store)

    def fail_halfway() -> None:
        with store.unit_of_work() as uow:
            uow.add(child())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_halfway()
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.get(Child, "S1", "c1")


def test_readonly_unit_of_work_refuses_writes(store: SqliteStore) -> None:
    seeded(store)
    with store.unit_of_work(readonly=True) as uow, pytest.raises(Exception, match="read-only"):
        uow.add(child())


def test_nested_units_of_work_on_one_thread_are_refused(store: SqliteStore) -> None:
    with store.unit_of_work() as outer:
        with pytest.raises(LiushouError, match="another unit of work"), store.unit_of_work():
            pass
        outer.add(school())
        outer.commit()
    with store.unit_of_work(readonly=True) as uow:
        assert uow.get(School, "S1", "S1").version == 1


def test_concurrent_writers_wait_instead_of_failing(db: Path) -> None:
    """Threads with their own connections: BEGIN IMMEDIATE + busy timeout, no 'locked'."""
    store = SqliteStore(db)
    seeded(store)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with store.unit_of_work(actor=f"w{n}") as uow:
                    uow.add(child(f"c{n}-{i}"))
                    uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert errors == []
    assert raw_count(db, "SELECT count(*) FROM records WHERE kind = 'child'") == 40


# ----------------------------------------------------------------------------- audit


def test_audit_rows_equal_the_operations(store: SqliteStore) -> None:
    seeded(store, child("c1"))
    with store.unit_of_work(actor="班主任 王老师") as uow:
        c = uow.get(Child, "S1", "c1")
        uow.update(attrs.evolve(c, name="李小红"))
        uow.add(Teacher(id="t1", school_id="S1", name="王老师", sex=Sex.FEMALE))
        uow.delete(Teacher, "S1", "t1", version=1)
        uow.commit()
    with store.unit_of_work(actor="someone") as uow:
        uow.add(child("c2"))  # rolled back: no audit row either
    trail = [
        (a.actor, a.action, a.kind, a.record_id, a.old_version, a.new_version)
        for a in store.audit_trail(school_id="S1")
    ]
    assert trail == [
        ("tester", "add", "school", "S1", None, 1),
        ("tester", "add", "child", "c1", None, 1),
        ("班主任 王老师", "update", "child", "c1", 1, 2),
        ("班主任 王老师", "add", "teacher", "t1", None, 1),
        ("班主任 王老师", "delete", "teacher", "t1", 1, None),
    ]
    first = store.audit_trail(record_id="c1")[0]
    assert (first.at, first.school_id, first.purpose) == (AT, "S1", "")


def test_audit_rows_carry_the_county_and_purpose(store: SqliteStore, db: Path) -> None:
    seeded(store)
    with store.unit_of_work(actor="王老师", purpose="家访记录") as uow:
        uow.add(child())
        uow.commit()
    assert store.audit_trail(kind="child")[0].purpose == "家访记录"
    assert raw_count(db, f"SELECT count(*) FROM audit WHERE county_code = '{COUNTY}'") == 2


def test_reads_are_audited_with_their_fields(store: SqliteStore, db: Path) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work(actor="mentor:t7", purpose="结对帮扶") as uow:
        uow.record_read(Child, "S1", "c1", fields=["guardians", "name"])
        uow.update(attrs.evolve(c, boarding=True))
        uow.commit()
    with store.unit_of_work(actor="principal:p1", readonly=True) as uow:
        uow.record_read(Child, "S1", "c1", fields=["id_number"], purpose="资助审核")
        uow.commit()
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT actor, action, old_version, new_version, purpose, fields, county_code "
            "FROM audit WHERE kind = 'child' ORDER BY seq"
        ).fetchall()
    fields = '["id","school_id","name"'
    assert rows[0][:5] == ("tester", "add", None, 1, "")
    assert rows[0][5].startswith(fields)
    assert rows[1:] == [
        ("mentor:t7", "read", 1, 1, "结对帮扶", '["name","guardians"]', COUNTY),
        ("mentor:t7", "update", 1, 2, "结对帮扶", '["boarding"]', COUNTY),
        ("principal:p1", "read", 2, 2, "资助审核", '["id_number"]', COUNTY),
    ]


def test_a_readonly_unit_of_work_records_reads_despite_other_writers(db: Path) -> None:
    """Its snapshot could not become a write transaction once another writer has
    committed (SQLite fails at once, whatever the busy timeout): so its reads are
    written at commit, in a transaction of their own."""
    store = SqliteStore(db, clock=fixed_clock)
    _, c = seeded(store, child())
    other = SqliteStore(db)  # another connection, as another process would have
    with store.unit_of_work(actor="mentor:t7", readonly=True) as uow:
        assert uow.get(Child, "S1", "c1").name == "李小花"  # the snapshot begins
        with other.unit_of_work(actor="teacher") as w:
            w.update(attrs.evolve(c, name="李小红"))
            w.commit()
        uow.record_read(Child, "S1", "c1", fields=["name"])
        assert uow.get(Child, "S1", "c1").name == "李小花"  # still the snapshot
        uow.commit()
    other.close()
    trail = [(e.actor, e.action, e.old_version, e.new_version) for e in store.audit_trail()]
    assert trail[-2:] == [("teacher", "update", 1, 2), ("mentor:t7", "read", 1, 1)]
    store.close()

    # what a snapshot upgraded in place would have met
    reader = sqlite3.connect(db, isolation_level=None, timeout=5)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM records").fetchone()
    with sqlite3.connect(db) as writer:
        writer.execute("INSERT INTO schools VALUES ('S2', '431121')")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        reader.execute("INSERT INTO schools VALUES ('S3', '431121')")
    reader.close()


def test_reads_recorded_by_a_readonly_unit_of_work_wait_for_a_writer(db: Path) -> None:
    store = SqliteStore(db)
    seeded(store, child())
    held = threading.Event()
    done = threading.Event()

    def writer() -> None:
        with store.unit_of_work(actor="slow writer") as uow:
            uow.add(child("c2"))
            held.set()
            done.wait(5)
            time.sleep(0.2)
            uow.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(5)
    with store.unit_of_work(actor="reader", readonly=True) as uow:
        uow.record_read(Child, "S1", "c1", fields=["name"])
        done.set()
        uow.commit()  # waits for the writer's lock (busy timeout), no "database is locked"
    thread.join()
    assert [(e.actor, e.action) for e in store.audit_trail()][-2:] == [
        ("slow writer", "add"),
        ("reader", "read"),
    ]
    store.close()


def test_the_store_implements_the_port(store: SqliteStore) -> None:
    assert isinstance(store, Store)
    with store.unit_of_work() as uow:
        assert isinstance(uow, UnitOfWork)


@pytest.mark.parametrize(
    "sql", ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit", "DELETE FROM audit WHERE 1"]
)
def test_audit_trail_refuses_update_and_delete(store: SqliteStore, db: Path, sql: str) -> None:
    seeded(store)
    with sqlite3.connect(db) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(sql)
    assert [a.actor for a in store.audit_trail()] == ["tester"]


def test_unit_of_work_needs_an_actor(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="actor"):
        store.unit_of_work(actor=" ")


# ----------------------------------------------------------------------------- schema, settings


def test_pragmas_are_set(store: SqliteStore) -> None:
    assert store.pragmas() == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 30_000,
        "secure_delete": 1,  # a purge leaves no old bytes in free space
    }


def test_new_database_gets_the_schema_and_upgrade_is_idempotent(db: Path) -> None:
    store = SqliteStore(db, auto_upgrade=False)  # an empty database is always set up
    assert store.schema_version() == LATEST_SCHEMA
    assert store.upgrade() == []
    assert store.upgrade() == []
    store.close()
    assert raw_count(db, "SELECT count(*) FROM schema_version") == LATEST_SCHEMA
    again = SqliteStore(db)
    assert again.schema_version() == LATEST_SCHEMA
    again.close()


def test_upgrade_applies_pending_migrations_in_place(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore(db)
    seeded(store, child())
    store.close()
    step = sqlite_module.Migration(
        LATEST_SCHEMA + 1,
        "an index for tests",
        ("CREATE INDEX records_by_version ON records (version)",),
    )
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS, step))
    monkeypatch.setattr(sqlite_module, "LATEST_SCHEMA", step.version)

    old = SqliteStore(db, auto_upgrade=False)
    assert old.schema_version() == LATEST_SCHEMA
    with pytest.raises(SchemaError, match="run upgrade"), old.unit_of_work():
        pass
    assert old.upgrade() == [step.version]
    assert old.upgrade() == []
    with old.unit_of_work() as uow:
        assert uow.get(Child, "S1", "c1").version == 1
    old.close()
    assert raw_count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'records_by_version'")
    assert SqliteStore(db).schema_version() == step.version


def old_database(db: Path, version: int) -> list[tuple[object, ...]]:
    """A database as a liushou with schema ``version`` left it: the schema built by its
    migrations, a school and two children (c1 updated once) and their audit rows, all
    written with that schema's SQL. Returns the audit rows."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for m in sqlite_module.MIGRATIONS[:version]:
            for statement in m.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                (m.version, m.description, AT.isoformat()),
            )
        conn.execute("INSERT INTO schools VALUES ('S1', ?)", (COUNTY,))

        def put(record: object, version: int, action: str, purpose: str = "") -> None:
            kind, rid = kind_of(type(record)), record.id  # type: ignore[attr-defined]
            data = json.dumps(unstructure(attrs.evolve(record, version=version)))
            conn.execute(
                "INSERT OR REPLACE INTO records VALUES ('S1', ?, ?, ?, ?, ?)",
                (kind, rid, COUNTY, version, data),
            )
            conn.execute(
                "INSERT INTO audit (at, actor, action, school_id, county_code, kind, record_id, "
                "old_version, new_version, purpose) VALUES (?, 'old liushou', ?, 'S1', ?, ?, ?, "
                "?, ?, ?)",
                (AT.isoformat(), action, COUNTY, kind, rid, version - 1 or None, version, purpose),
            )

        put(school(), 1, "add")
        put(child("c1", class_id="k1"), 1, "add")
        put(child("c2", class_id="k2"), 1, "add")
        put(attrs.evolve(child("c1", class_id="k1"), boarding=True), 2, "update", "家访记录")
        conn.execute("COMMIT")
        return conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_a_version_1_database_is_upgraded_in_place(db: Path) -> None:
    old_database(db, 1)
    assert raw_count(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%json_extract%'") == 0

    store = SqliteStore(db, auto_upgrade=False)
    assert store.schema_version() == 1
    with pytest.raises(SchemaError, match="run upgrade"), store.unit_of_work():
        pass
    assert store.upgrade() == [2, 3, 4]
    assert store.upgrade() == []
    assert store.schema_version() == LATEST_SCHEMA == 4
    with store.unit_of_work(readonly=True) as uow:
        assert [c.id for c in uow.list(Child, "S1", class_id="k1")] == ["c1"]
    assert "records_child_class_id" in query_plan(store, Child, "S1", class_id="k1")
    assert [a.record_id for a in store.audit_trail()] == ["S1", "c1", "c2", "c1"]  # kept
    store.close()
    indexes = raw_count(
        db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql LIKE '%json_extract%'"
    )
    assert indexes == 12


def test_opening_a_version_1_database_upgrades_it_by_default(db: Path) -> None:
    old_database(db, 1)
    with SqliteStore(db) as store:
        assert store.schema_version() == LATEST_SCHEMA
    assert raw_count(db, "SELECT max(version) FROM schema_version") == LATEST_SCHEMA


def audit_columns(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[1] for row in conn.execute("PRAGMA table_info(audit)")]
    finally:
        conn.close()


def test_a_version_2_database_gets_the_audit_of_reads_in_place(db: Path) -> None:
    """Migration 3 rebuilds the audit table: every row kept with its seq, reads allowed,
    the fields column added, the index and the append-only triggers back."""
    before = old_database(db, 2)
    assert "fields" not in audit_columns(db)
    store = SqliteStore(db, auto_upgrade=False, clock=fixed_clock)
    assert store.schema_version() == 2
    with pytest.raises(SchemaError, match="run upgrade"), store.unit_of_work():
        pass
    assert store.upgrade() == [3, 4]
    assert store.upgrade() == []

    assert audit_columns(db)[-1] == "fields"
    with sqlite3.connect(db) as conn:
        after = conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
        objects = conn.execute(
            "SELECT type, name FROM sqlite_master WHERE tbl_name LIKE 'audit%' ORDER BY name"
        ).fetchall()
    assert after == [(*row, "[]") for row in before]  # same rows, same seq; no fields known
    assert objects == [
        ("table", "audit"),
        ("trigger", "audit_no_delete"),
        ("trigger", "audit_no_update"),
        ("index", "audit_record"),
    ]
    trail = store.audit_trail(kind=Child, record_id="c1")
    assert [(e.seq, e.action, e.purpose, e.fields) for e in trail] == [
        (2, "add", "", ()),
        (4, "update", "家访记录", ()),
    ]

    # the upgraded table takes reads, with their fields, after the old rows
    with store.unit_of_work("班主任 王老师", purpose="家访") as uow:
        c1 = uow.get(Child, "S1", "c1")
        assert (c1.version, c1.boarding) == (2, True)
        uow.record_read(Child, "S1", "c1", fields=["name", "boarding"])
        uow.commit()
    last = store.audit_trail()[-1]
    assert (last.seq, last.action, last.old_version, last.fields) == (
        5,
        "read",
        2,
        ("name", "boarding"),
    )
    assert "USING INDEX audit_record" in " ".join(
        str(r[-1])
        for r in sqlite3.connect(db)
        .execute(
            "EXPLAIN QUERY PLAN SELECT * FROM audit "
            "WHERE school_id = 'S1' AND kind = 'child' AND record_id = 'c1'"
        )
        .fetchall()
    )
    store.close()
    for sql in ("UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"):
        with sqlite3.connect(db) as conn, pytest.raises(sqlite3.IntegrityError, match="append"):
            conn.execute(sql)
    with sqlite3.connect(db) as conn, pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(
            "INSERT INTO audit (at, actor, action, school_id, county_code, kind, record_id) "
            "VALUES ('2026-11-29', 'x', 'peek', 'S1', ?, 'child', 'c1')",
            (COUNTY,),
        )
    assert raw_count(db, "SELECT count(*) FROM audit") == 5


def test_migration_3_never_reuses_a_seq(db: Path) -> None:
    """AUTOINCREMENT's high-water mark survives the rebuild, even above the last row."""
    old_database(db, 2)
    with sqlite3.connect(db, isolation_level=None) as conn:  # as if row 4 had gone
        conn.execute("DROP TRIGGER audit_no_delete")
        conn.execute("DELETE FROM audit WHERE seq = 4")
    assert raw_count(db, "SELECT seq FROM sqlite_sequence WHERE name = 'audit'") == 4
    with SqliteStore(db) as store:
        with store.unit_of_work() as uow:
            uow.record_read(Child, "S1", "c1", fields=["name"])
            uow.commit()
        assert [e.seq for e in store.audit_trail()] == [1, 2, 3, 5]


def test_a_failed_migration_3_leaves_the_database_as_it_was(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = old_database(db, 2)
    third = sqlite_module.MIGRATIONS[2]
    broken = attrs.evolve(third, statements=(*third.statements, "INSERT INTO nosuch VALUES (1)"))
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS[:2], broken))
    store = SqliteStore(db, auto_upgrade=False)
    with pytest.raises(sqlite3.OperationalError, match="nosuch"):
        store.upgrade()
    assert store.schema_version() == 2
    store.close()
    assert "fields" not in audit_columns(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT * FROM audit ORDER BY seq").fetchall() == before
        names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit")
    assert "audit_v3" not in names
    assert {"audit_no_update", "audit_no_delete", "audit_record"} <= names


def test_a_newer_schema_is_refused(db: Path) -> None:
    SqliteStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (999, 'future', '2030-01-01')")
    with pytest.raises(SchemaError, match="newer"):
        SqliteStore(db)


def test_passwords_in_urls_are_redacted() -> None:
    assert (
        redact_url("postgresql://liushou:s3cret@db:5432/x") == "postgresql://liushou:***@db:5432/x"
    )
    assert redact_url("sqlite:///liushou.db") == "sqlite:///liushou.db"


def test_open_store_by_url(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SqliteStore)
    assert store.path == str(path)
    store.close()
    memory = open_store("sqlite:///:memory:")
    assert isinstance(memory, SqliteStore)
    seeded(memory, child())
    with memory.unit_of_work() as uow:
        assert uow.get(Child, "S1", "c1").version == 1
    memory.close()


def test_the_plugin_declares_the_sqlite_scheme(tmp_path: Path) -> None:
    (backend,) = sqlite_module.liushou_storage_backends()
    assert (backend.name, backend.schemes, backend.requires) == ("sqlite", ("sqlite",), ())
    store = backend.open(f"sqlite:///{tmp_path / 'p.db'}")
    assert isinstance(store, SqliteStore)
    store.close()


def test_open_store_uses_the_plugin_manager_it_is_given(tmp_path: Path) -> None:
    only_memory = plugins.plugin_manager(entry_points=False, plugins=[("memory", memory_module)])
    assert known_schemes(only_memory) == ("memory",)
    with pytest.raises(
        UnknownStoreScheme, match="unknown store scheme 'sqlite'; known schemes: memory"
    ):
        open_store(f"sqlite:///{tmp_path / 'x.db'}", pm=only_memory)
    both = plugins.plugin_manager(
        entry_points=False, plugins=[("memory", memory_module), ("sqlite", sqlite_module)]
    )
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}", both)
    assert isinstance(store, SqliteStore)
    store.close()


def test_blocking_the_sqlite_plugin_removes_its_scheme(tmp_path: Path) -> None:
    pm = plugins.plugin_manager(
        entry_points=False,
        plugins=[("memory", memory_module), ("sqlite", sqlite_module)],
        disabled=["sqlite"],
    )
    with pytest.raises(UnknownStoreScheme, match="known schemes: memory"):
        open_store(f"sqlite:///{tmp_path / 'x.db'}", pm=pm)


def test_the_installed_entry_points_serve_sqlite() -> None:
    assert "sqlite" in known_schemes()


@pytest.mark.parametrize(
    ("url", "error", "message"),
    [
        (
            "mysql://u:secret@host/db",
            UnknownStoreScheme,
            r"unknown store scheme 'mysql'; known schemes: .*sqlite",
        ),
        ("liushou.db", UnknownStoreScheme, "starts with a scheme"),
        ("sqlite://", InvalidStoreUrl, "three slashes"),
        ("sqlite:///", InvalidStoreUrl, "needs a path"),
        ("sqlite:///x.db?mode=ro", InvalidStoreUrl, "unknown SQLite store URL parameter 'mode'"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message) as info:
        open_store(url)
    assert isinstance(info.value, ValueError)  # the CLI's bad input, exit status 2
    assert isinstance(info.value, InvalidStoreUrl)
    assert "secret" not in str(info.value)


def test_an_unknown_scheme_is_also_an_unknown_plugin_name() -> None:
    with pytest.raises(plugins.UnknownName):
        open_store("mysql://host/db")


# ----------------------------------------------------------------------------- households


def test_household_round_trip(store: SqliteStore) -> None:
    h = Household(id="h1", school_id="S1", categories=(HouseholdCategory.DIBAO,))
    seeded(store, h)
    with store.unit_of_work() as uow:
        assert uow.get(Household, "S1", "h1").categories == (HouseholdCategory.DIBAO,)


# ----------------------------------------------------------------------------- synthetic school

HAS_SYNTH = importlib.util.find_spec("liushou_core.synth") is not None


@pytest.mark.skipif(not HAS_SYNTH, reason="liushou_core.synth not available yet")
def test_round_trip_of_a_full_synthetic_school(store: SqliteStore) -> None:
    from liushou_core import synth

    s = synth.school(3)
    groups: list[tuple[type, tuple[object, ...]]] = [
        (SchoolClass, s.classes),
        (Teacher, s.teachers),
        (Volunteer, s.volunteers),
        (Household, s.households),
        (Child, s.children),
    ]
    everything = [s.school, *(r for _, records in groups for r in records)]
    with store.unit_of_work(actor="synth") as uow:
        added = uow.add_all(everything)
        uow.commit()
    assert all(r.version == 1 for r in added)
    sid = s.school.id
    with store.unit_of_work(readonly=True) as uow:
        assert uow.get(School, sid, sid) == attrs.evolve(s.school, version=1)
        for cls, records in groups:
            expected = sorted((attrs.evolve(r, version=1) for r in records), key=lambda r: r.id)
            assert uow.list(cls, sid) == expected
    assert len(store.audit_trail(school_id=sid)) == len(everything)


# ----------------------------------------------------------------------------- every entity


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
def test_every_entity_round_trips(cls: type) -> None:
    strategies = pytest.importorskip("liushou_core.testing.strategies")

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=strategies.from_model(cls))
    def check(record: object) -> None:
        sid = school_id_of(record)
        with SqliteStore(":memory:") as store, store.unit_of_work(actor="property") as uow:
            if cls is not School:
                uow.add(School(id=sid, name="学校", county_code=COUNTY))
            added = uow.add(record)
            uow.commit()
            got = uow.get(cls, sid, added.id)
            assert got == attrs.evolve(record, version=1)
            assert uow.update(got) == attrs.evolve(record, version=2)

    check()
