"""The PostgreSQL store against a real server: the SQLite store's behaviours, and more.

Versions, conflicts, rollback, the audit trail and its trigger, migrations, COPY
bulk loads, serialization failures and deadlocks retried, and 4 processes x 200
read-modify-write transactions on one record. The server comes from the
``postgres_server`` plugin (see ``tests/postgres_server.py``); without one these
tests are skipped, or fail when ``LIUSHOU_REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from liushou_adapters.storage import InvalidStoreUrl, UnknownStoreScheme
from liushou_adapters.storage import postgres as postgres_module
from liushou_adapters.storage.postgres import (
    LATEST_SCHEMA,
    PostgresStore,
    PostgresUnitOfWork,
    SchemaError,
    TransactionConflict,
)
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
    Parent,
    ParentRole,
    Relationship,
    School,
    SchoolClass,
    Sex,
    Teacher,
    Volunteer,
)
from liushou_core.ports import Store, UnitOfWork

pytestmark = pytest.mark.postgres

COUNTY = "431121"
AT = dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def fixed_clock() -> dt.datetime:
    return AT


@pytest.fixture
def store(postgres_db: str) -> Iterator[PostgresStore]:
    s = PostgresStore.from_url(postgres_db, clock=fixed_clock)
    yield s
    s.close()


def school(sid: str = "S1", county: str = COUNTY) -> School:
    return School(id=sid, name="清溪中心小学", county_code=county)


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


def event(eid: str, on: dt.date, staff: tuple[str, ...], children: tuple[str, ...]) -> ContactEvent:
    return ContactEvent(
        id=eid,
        school_id="S1",
        kind=ContactKind.HOME_VISIT,
        date=on,
        child_ids=children,
        staff_ids=staff,
        summary="家访",
    )


def seeded(store: PostgresStore, *records: Any) -> list[Any]:
    with store.unit_of_work(actor="tester") as uow:
        out = uow.add_all([school(), *records])
        uow.commit()
    return out


def raw(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description is not None else []


def raw_count(url: str, sql: str) -> int:
    return int(raw(url, sql)[0][0])


# ----------------------------------------------------------------------------- basics


def test_add_then_get_returns_version_1_and_an_equal_record(store: PostgresStore) -> None:
    original = child()
    _, added = seeded(store, original)
    assert added.version == 1
    assert original.version == 0  # the caller's object is left alone
    with store.unit_of_work(readonly=True) as uow:
        got = uow.get(Child, "S1", "c1")
    assert got == added
    assert unstructure(got) == {**unstructure(original), "version": 1}


def test_data_is_jsonb_with_readable_chinese(store: PostgresStore, postgres_db: str) -> None:
    seeded(store, child())
    [(data, text, county, kind)] = raw(
        postgres_db,
        "SELECT data, data::text, county_code, pg_typeof(data)::text FROM records "
        "WHERE kind = 'child'",
    )
    assert kind == "jsonb"
    assert "李小花" in text
    assert data["parents"][0]["away"][0]["province"] == "广东省"
    assert county == COUNTY


def test_text_with_nul_and_private_use_characters_round_trips(store: PostgresStore) -> None:
    """jsonb cannot hold U+0000: it is escaped reversibly (and so is the escape)."""
    tricky = "a\x00b \ue000 \ue0000 \\u0000 end"
    h = Household(id="h1", school_id="S1", income_source=tricky)
    seeded(store, h)
    with store.unit_of_work(readonly=True) as uow:
        assert uow.get(Household, "S1", "h1").income_source == tricky
        assert [x.id for x in uow.list(Household, "S1", income_source=tricky)] == ["h1"]
        assert uow.list(Household, "S1", income_source="a") == []


def test_get_missing_raises_not_found(store: PostgresStore) -> None:
    seeded(store)
    with store.unit_of_work() as uow, pytest.raises(NotFound, match="c9"):
        uow.get(Child, "S1", "c9")


def test_list_filters_on_simple_fields(store: PostgresStore) -> None:
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
        assert uow.list(Child, "S1", boarding=True) == []
        assert uow.list(Child, "S1", birth_date=dt.date(2016, 5, 4))[0].id == "c1"
        assert uow.list(Child, "S2") == []
        assert uow.count(Child, "S1") == 4
        with pytest.raises(ValueError, match="no field 'klass'"):
            uow.list(Child, "S1", klass="k1")
        with pytest.raises(ValueError, match="cannot filter Child on parents"):
            uow.list(Child, "S1", parents=())


def test_ids_are_ordered_by_code_point_whatever_the_collation(store: PostgresStore) -> None:
    ids = ["b", "B", "a-2", "a10", "a2", "Ä", "张", "z"]
    seeded(store, *(child(i) for i in ids))
    with store.unit_of_work(readonly=True) as uow:
        assert [c.id for c in uow.list(Child, "S1")] == sorted(ids)


def test_list_membership_and_date_range(store: PostgresStore) -> None:
    d = dt.date(2026, 9, 1)
    seeded(
        store,
        event("e1", d, ("T1",), ("c1", "c2")),
        event("e2", d + dt.timedelta(days=10), ("T1", "T2"), ("c2",)),
        event("e3", d + dt.timedelta(days=40), ("T2",), ("c3",)),
        Household(id="h1", school_id="S1", categories=(HouseholdCategory.DIBAO,)),
        Household(id="h2", school_id="S1"),
    )
    with store.unit_of_work(readonly=True) as uow:
        assert [e.id for e in uow.list(ContactEvent, "S1", staff_ids="T1")] == ["e1", "e2"]
        assert [e.id for e in uow.list(ContactEvent, "S1", child_ids="c2")] == ["e1", "e2"]
        assert [e.id for e in uow.list(ContactEvent, "S1", staff_ids="T9")] == []
        assert [e.id for e in uow.list(ContactEvent, "S1", since=d + dt.timedelta(days=10))] == [
            "e2",
            "e3",
        ]
        assert [e.id for e in uow.list(ContactEvent, "S1", until=d + dt.timedelta(days=10))] == [
            "e1",
            "e2",
        ]
        window = uow.list(
            ContactEvent, "S1", since=d, until=d + dt.timedelta(days=39), staff_ids="T2"
        )
        assert [e.id for e in window] == ["e2"]
        assert [h.id for h in uow.list(Household, "S1", categories=HouseholdCategory.DIBAO)] == [
            "h1"
        ]
        with pytest.raises(ValueError, match="no date"):
            uow.list(Child, "S1", since=d)


def test_schools_of_a_county(store: PostgresStore) -> None:
    with store.unit_of_work() as uow:
        uow.add_all([school("S2"), school("S1"), school("S3", county="431122")])
        uow.commit()
    with store.unit_of_work(readonly=True) as uow:
        assert [s.id for s in uow.schools()] == ["S1", "S2", "S3"]
        assert [s.id for s in uow.schools(county_code=COUNTY)] == ["S1", "S2"]
        assert uow.schools(county_code="000000") == []


def test_record_of_an_unknown_school_is_refused(store: PostgresStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFound, match="school S1 is not stored"):
        uow.add(child())


# ----------------------------------------------------------------------------- versions


def test_update_raises_the_version(store: PostgresStore) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work() as uow:
        c2 = uow.update(attrs.evolve(c, name="李小红"))
        c3 = uow.update(attrs.evolve(c2, boarding=True))
        uow.commit()
    assert (c2.version, c3.version) == (2, 3)
    with store.unit_of_work(readonly=True) as uow:
        got = uow.get(Child, "S1", "c1")
    assert (got.name, got.boarding, got.version) == ("李小红", True, 3)


def test_stale_update_raises_conflict_and_writes_nothing(
    store: PostgresStore, postgres_db: str
) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work(actor="teacher A") as uow:
        uow.update(attrs.evolve(c, name="A 的修改"))
        uow.commit()
    audit_before = raw_count(postgres_db, "SELECT count(*) FROM audit")
    with store.unit_of_work(actor="teacher B") as uow:
        with pytest.raises(ConflictError, match="version 1, the stored one 2") as info:
            uow.update(attrs.evolve(c, name="B 的修改"))  # B still holds version 1
        assert not isinstance(info.value, TransactionConflict)
        uow.commit()  # the unit of work stays usable; there is nothing to commit
    with store.unit_of_work(readonly=True) as uow:
        got = uow.get(Child, "S1", "c1")
    assert (got.name, got.version) == ("A 的修改", 2)
    assert raw_count(postgres_db, "SELECT count(*) FROM audit") == audit_before


def test_update_of_a_missing_record_raises_not_found(store: PostgresStore) -> None:
    seeded(store)
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.update(attrs.evolve(child(), version=1))


@pytest.mark.parametrize("threshold", [1, 1000], ids=["copy", "insert"])
def test_adding_an_existing_id_conflicts_and_adds_nothing(postgres_db: str, threshold: int) -> None:
    store = PostgresStore(postgres_db, clock=fixed_clock, copy_threshold=threshold)
    seeded(store, child("c1"))
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError, match="child c1 of school S1"):
            uow.add_all([child("c2"), child("c1"), child("c3")])
        uow.add(child("c4"))  # still usable
        uow.commit()
    store.close()
    assert raw_count(postgres_db, "SELECT count(*) FROM records WHERE kind = 'child'") == 2
    assert raw_count(postgres_db, "SELECT count(*) FROM audit") == 3


@pytest.mark.parametrize("threshold", [1, 1000], ids=["copy", "insert"])
def test_a_batch_repeating_an_id_conflicts(postgres_db: str, threshold: int) -> None:
    store = PostgresStore(postgres_db, copy_threshold=threshold)
    seeded(store)
    with store.unit_of_work() as uow, pytest.raises(ConflictError, match="child c2"):
        uow.add_all([child("c2"), child("c2")])
    store.close()


def test_adding_an_existing_school_conflicts(store: PostgresStore) -> None:
    seeded(store)
    with store.unit_of_work() as uow, pytest.raises(ConflictError, match="school S1 of school S1"):
        uow.add_all([school("S2"), school("S1")])
    with store.unit_of_work(readonly=True) as uow:
        assert [s.id for s in uow.schools()] == ["S1"]


def test_delete_checks_the_version(store: PostgresStore, postgres_db: str) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            uow.delete(Child, "S1", "c1", version=7)
        uow.delete(Child, "S1", "c1", version=c.version)
        with pytest.raises(NotFound):
            uow.delete(Child, "S1", "c1", version=c.version)
        uow.commit()
    assert raw_count(postgres_db, "SELECT count(*) FROM records WHERE kind = 'child'") == 0


def test_a_school_with_records_cannot_be_deleted(store: PostgresStore) -> None:
    s, c = seeded(store, child())
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError, match="still has records"):
            uow.delete(School, "S1", "S1", version=s.version)
        uow.delete(Child, "S1", "c1", version=c.version)
        uow.delete(School, "S1", "S1", version=s.version)
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.get(School, "S1", "S1")
    assert [(a.action, a.kind) for a in store.audit_trail()][-2:] == [
        ("delete", "child"),
        ("delete", "school"),
    ]


def test_moving_a_school_to_another_county_moves_its_rows(
    store: PostgresStore, postgres_db: str
) -> None:
    s, _ = seeded(store, child())
    with store.unit_of_work() as uow:
        uow.update(attrs.evolve(s, county_code="431122"))
        uow.commit()
    assert raw_count(postgres_db, "SELECT count(*) FROM records WHERE county_code = '431122'") == 2
    assert raw_count(postgres_db, "SELECT count(*) FROM schools WHERE county_code = '431122'") == 1


# ----------------------------------------------------------------------------- transactions


def test_leaving_without_commit_rolls_back(store: PostgresStore, postgres_db: str) -> None:
    seeded(store)
    with store.unit_of_work() as uow:
        uow.add(child())
        assert uow.get(Child, "S1", "c1").version == 1  # visible inside
    with store.unit_of_work(readonly=True) as uow, pytest.raises(NotFound):
        uow.get(Child, "S1", "c1")
    assert raw_count(postgres_db, "SELECT count(*) FROM audit") == 1  # the school only


def test_an_exception_rolls_back(store: PostgresStore) -> None:
    seeded(store)

    def fail_halfway() -> None:
        with store.unit_of_work() as uow:
            uow.add(child())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_halfway()
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.get(Child, "S1", "c1")


def test_commit_then_go_on(store: PostgresStore) -> None:
    seeded(store)
    with store.unit_of_work() as uow:
        uow.add(child("c1"))
        uow.commit()
        uow.add(child("c2"))  # a new transaction, rolled back on leaving
    with store.unit_of_work(readonly=True) as uow:
        assert [c.id for c in uow.list(Child, "S1")] == ["c1"]


def test_readonly_unit_of_work_refuses_writes(store: PostgresStore) -> None:
    seeded(store)
    with store.unit_of_work(readonly=True) as uow, pytest.raises(Exception, match="read-only"):
        uow.add(child())


def test_nested_units_of_work_on_one_thread_are_refused(store: PostgresStore) -> None:
    with store.unit_of_work() as outer:
        with pytest.raises(LiushouError, match="another unit of work"), store.unit_of_work():
            pass
        outer.add(school())
        outer.commit()
    with store.unit_of_work(readonly=True) as uow:
        assert uow.get(School, "S1", "S1").version == 1


def test_concurrent_writer_threads(postgres_db: str) -> None:
    store = PostgresStore(postgres_db)
    seeded(store)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                store.run_in_transaction(
                    lambda uow, i=i: uow.add(child(f"c{n}-{i}")), actor=f"w{n}"
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert errors == []
    assert raw_count(postgres_db, "SELECT count(*) FROM records WHERE kind = 'child'") == 40
    assert raw_count(postgres_db, "SELECT count(*) FROM audit WHERE kind = 'child'") == 40


def test_a_lost_connection_is_replaced(store: PostgresStore, postgres_db: str) -> None:
    seeded(store)
    with store.unit_of_work() as uow:
        [(pid,)] = uow._cursor().execute("SELECT pg_backend_pid()").fetchall()
    raw(postgres_db, "SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.1)
    with store.unit_of_work(readonly=True) as uow:
        assert uow.get(School, "S1", "S1").version == 1


# ----------------------------------------------------------------------------- conflicts


def _two_stores(url: str) -> tuple[PostgresStore, PostgresStore]:
    return PostgresStore(url, clock=fixed_clock), PostgresStore(url, clock=fixed_clock)


def test_a_serialization_failure_raises_transaction_conflict(postgres_db: str) -> None:
    a, b = _two_stores(postgres_db)
    seeded(a, Household(id="h1", school_id="S1", income_source="0"))
    with a.unit_of_work(actor="A") as ua:
        h = ua.get(Household, "S1", "h1")  # A's snapshot is taken here
        with b.unit_of_work(actor="B") as ub:
            ub.update(attrs.evolve(h, income_source="B"))
            ub.commit()
        with pytest.raises(TransactionConflict, match="40001") as info:
            ua.update(attrs.evolve(h, income_source="A"))
        assert info.value.sqlstate == "40001"
        assert isinstance(info.value, ConflictError)
        with pytest.raises(TransactionConflict):  # the unit of work is done for
            ua.get(Household, "S1", "h1")
        with pytest.raises(TransactionConflict):
            ua.commit()
    with a.unit_of_work(readonly=True) as uow:
        assert uow.get(Household, "S1", "h1").income_source == "B"
    assert [e.actor for e in a.audit_trail(kind="household")] == ["tester", "B"]
    a.close()
    b.close()


def test_write_skew_is_refused_at_commit(postgres_db: str) -> None:
    """Two transactions each check a class has no pupil, then add one: SERIALIZABLE
    lets only one commit (REPEATABLE READ would let both)."""
    a, b = _two_stores(postgres_db)
    seeded(a)
    with a.unit_of_work(actor="A") as ua, b.unit_of_work(actor="B") as ub:
        assert ua.list(Child, "S1", class_id="k1") == []
        assert ub.list(Child, "S1", class_id="k1") == []
        ua.add(child("cA"))
        ub.add(child("cB"))
        ua.commit()
        with pytest.raises(TransactionConflict, match="40001"):
            ub.commit()
    with a.unit_of_work(readonly=True) as uow:
        assert [c.id for c in uow.list(Child, "S1")] == ["cA"]
    a.close()
    b.close()


def test_run_in_transaction_retries_a_serialization_failure(postgres_db: str) -> None:
    a, b = _two_stores(postgres_db)
    seeded(a, Household(id="h1", school_id="S1", income_source="0"))
    calls = 0

    def increment(uow: PostgresUnitOfWork) -> Household:
        nonlocal calls
        calls += 1
        h = uow.get(Household, "S1", "h1")
        if calls == 1:  # someone else commits in between, once
            with b.unit_of_work(actor="B") as ub:
                ub.update(attrs.evolve(h, income_source=str(int(h.income_source) + 10)))
                ub.commit()
        return uow.update(attrs.evolve(h, income_source=str(int(h.income_source) + 1)))

    result = a.run_in_transaction(increment, actor="A", purpose="计数")
    assert calls == 2
    assert (result.income_source, result.version) == ("11", 3)
    trail = [(e.actor, e.action, e.new_version, e.purpose) for e in a.audit_trail(kind="household")]
    assert trail == [("tester", "add", 1, ""), ("B", "update", 2, ""), ("A", "update", 3, "计数")]
    a.close()
    b.close()


def test_run_in_transaction_gives_up_after_its_attempts(postgres_db: str) -> None:
    a, b = _two_stores(postgres_db)
    seeded(a, Household(id="h1", school_id="S1", income_source="0"))
    calls = 0

    def always_overtaken(uow: PostgresUnitOfWork) -> None:
        nonlocal calls
        calls += 1
        h = uow.get(Household, "S1", "h1")
        with b.unit_of_work(actor="B") as ub:
            ub.update(attrs.evolve(h, income_source=str(calls)))
            ub.commit()
        uow.update(h)

    with pytest.raises(TransactionConflict):
        a.run_in_transaction(always_overtaken, attempts=3, backoff=0.001)
    assert calls == 3
    a.close()
    b.close()


def test_run_in_transaction_does_not_retry_a_stale_version(store: PostgresStore) -> None:
    _, h = seeded(store, Household(id="h1", school_id="S1"))
    store.run_in_transaction(lambda uow: uow.update(h))
    calls = 0

    def stale(uow: PostgresUnitOfWork) -> None:
        nonlocal calls
        calls += 1
        uow.update(h)  # brought in from outside: version 1, stored 2

    with pytest.raises(ConflictError, match="version 1, the stored one 2"):
        store.run_in_transaction(stale)
    assert calls == 1


def test_run_in_transaction_commits_itself(store: PostgresStore) -> None:
    seeded(store)

    def commits(uow: PostgresUnitOfWork) -> None:
        uow.add(child())
        uow.commit()

    with pytest.raises(LiushouError, match="must not commit"):
        store.run_in_transaction(commits)
    with store.unit_of_work(readonly=True) as uow:
        assert uow.count(Child, "S1") == 0
    store.run_in_transaction(lambda uow: uow.add(child()))
    with store.unit_of_work(readonly=True) as uow:
        assert uow.count(Child, "S1") == 1


def test_a_deadlock_raises_a_retryable_conflict(postgres_db: str) -> None:
    """Two transactions take two records in opposite orders: one is chosen as the victim."""
    url = postgres_db + "?options=" + quote("-c deadlock_timeout=50ms")
    a, b = _two_stores(url)
    _, h1, h2 = seeded(
        a,
        Household(id="h1", school_id="S1"),
        Household(id="h2", school_id="S1"),
    )
    first_done = threading.Barrier(2, timeout=10)
    outcomes: dict[str, BaseException | None] = {}

    def run(name: str, store: PostgresStore, first: Household, second: Household) -> None:
        try:
            with store.unit_of_work(actor=name) as uow:
                uow.update(first)
                first_done.wait()
                uow.update(second)
                uow.commit()
            outcomes[name] = None
        except BaseException as exc:
            outcomes[name] = exc

    threads = [
        threading.Thread(target=run, args=("A", a, h1, h2)),
        threading.Thread(target=run, args=("B", b, h2, h1)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    failures = [exc for exc in outcomes.values() if exc is not None]
    assert len(outcomes) == 2
    assert len(failures) == 1, outcomes
    [failure] = failures
    assert isinstance(failure, TransactionConflict)
    assert failure.sqlstate in {"40P01", "40001"}
    a.close()
    b.close()


# ----------------------------------------------------------------------------- audit


def test_audit_rows_equal_the_operations(store: PostgresStore) -> None:
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


def test_audit_rows_carry_the_county_and_purpose(store: PostgresStore, postgres_db: str) -> None:
    seeded(store)
    with store.unit_of_work(actor="王老师", purpose="家访记录") as uow:
        uow.add(child())
        uow.commit()
    assert store.audit_trail(kind="child")[0].purpose == "家访记录"
    assert raw_count(postgres_db, f"SELECT count(*) FROM audit WHERE county_code = '{COUNTY}'") == 2


def test_reads_are_audited_with_their_fields(store: PostgresStore, postgres_db: str) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work(actor="mentor:t7", purpose="结对帮扶") as uow:
        uow.record_read(Child, "S1", "c1", fields=["guardians", "name"])
        uow.update(attrs.evolve(c, boarding=True, parents=c.parents[:1]))
        uow.commit()
    with store.unit_of_work(actor="principal:p1", readonly=True) as uow:
        uow.record_read(Child, "S1", "c1", fields=["id_number"], purpose="资助审核")
        uow.commit()
    rows = raw(
        postgres_db,
        "SELECT actor, action, old_version, new_version, purpose, fields, county_code "
        "FROM audit WHERE kind = 'child' ORDER BY seq",
    )
    assert rows[0][:5] == ("tester", "add", None, 1, "")
    assert rows[0][5][:3] == ["id", "school_id", "name"]
    assert "version" not in rows[0][5]
    assert rows[1:] == [
        ("mentor:t7", "read", 1, 1, "结对帮扶", ["name", "guardians"], COUNTY),
        ("mentor:t7", "update", 1, 2, "结对帮扶", ["boarding", "parents"], COUNTY),
        ("principal:p1", "read", 2, 2, "资助审核", ["id_number"], COUNTY),
    ]
    assert store.audit_trail(kind=Child, action="read")[-1].fields == ("id_number",)


@pytest.mark.parametrize("threshold", [1, 1000], ids=["copy", "insert"])
def test_added_records_audit_every_field(postgres_db: str, threshold: int) -> None:
    with PostgresStore(postgres_db, copy_threshold=threshold) as store:
        seeded(store, child("c1"), child("c2"))
        trail = store.audit_trail(kind="child", action="add")
    assert [e.record_id for e in trail] == ["c1", "c2"]
    assert {e.fields for e in trail} == {
        tuple(f.name for f in attrs.fields(Child) if f.name != "version")
    }


def test_a_readonly_unit_of_work_records_reads_at_commit(postgres_db: str) -> None:
    """A READ ONLY transaction cannot insert: its reads are appended at commit,
    after its snapshot, even when another writer committed in between."""
    store = PostgresStore(postgres_db, clock=fixed_clock)
    other = PostgresStore(postgres_db)
    try:
        _, c = seeded(store, child())
        with store.unit_of_work(actor="mentor:t7", readonly=True) as uow:
            assert uow.get(Child, "S1", "c1").name == "李小花"
            with other.unit_of_work(actor="teacher") as w:
                w.update(attrs.evolve(c, name="李小红"))
                w.commit()
            uow.record_read(Child, "S1", "c1", fields=["name"])
            assert store.audit_trail(action="read") == []  # not before commit
            uow.commit()
            uow.record_read(Child, "S1", "c1", fields=["sex"])  # not committed: dropped
        trail = [(e.actor, e.action, e.old_version, e.fields) for e in store.audit_trail()]
        assert trail[-2:] == [
            ("teacher", "update", 1, ("name",)),
            ("mentor:t7", "read", 1, ("name",)),
        ]
        result = store.run_in_transaction(
            lambda uow: uow.record_read(Child, "S1", "c1", fields=["sex"]),
            actor="run",
            readonly=True,
        )
        assert result is None
        assert [(e.actor, e.old_version) for e in store.audit_trail(action="read")][-1] == (
            "run",
            2,
        )
    finally:
        other.close()
        store.close()


def old_postgres_database(url: str) -> list[tuple[Any, ...]]:
    """A database as liushou with schema 1 left it: a school, two children (c1 updated
    once) and their audit rows, written with schema 1's SQL. Returns the audit rows."""
    import psycopg

    with psycopg.connect(url) as conn:  # one transaction
        for statement in postgres_module.MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1, 'schema 1', now())")
        conn.execute("INSERT INTO schools VALUES ('S1', %s)", (COUNTY,))

        def put(record: Any, version: int, action: str, purpose: str = "") -> None:
            kind = "school" if isinstance(record, School) else "child"
            data = json.dumps(unstructure(attrs.evolve(record, version=version)))
            conn.execute(
                "INSERT INTO records VALUES ('S1', %s, %s, %s, %s, %s::jsonb) "
                "ON CONFLICT (school_id, kind, id) DO UPDATE "
                "SET version = excluded.version, data = excluded.data",
                (kind, record.id, COUNTY, version, data),
            )
            conn.execute(
                "INSERT INTO audit (at, actor, action, school_id, county_code, kind, record_id, "
                "old_version, new_version, purpose) "
                "VALUES (%s, 'old liushou', %s, 'S1', %s, %s, %s, %s, %s, %s)",
                (AT, action, COUNTY, kind, record.id, version - 1 or None, version, purpose),
            )

        put(school(), 1, "add")
        put(child("c1"), 1, "add")
        put(child("c2"), 1, "add")
        put(attrs.evolve(child("c1"), boarding=True), 2, "update", "家访记录")
    return raw(url, "SELECT * FROM audit ORDER BY seq")


def test_a_version_1_database_gets_the_audit_of_reads_in_place(postgres_db: str) -> None:
    import psycopg

    before = old_postgres_database(postgres_db)
    store = PostgresStore(postgres_db, auto_upgrade=False, clock=fixed_clock)
    try:
        assert store.schema_version() == 1
        with pytest.raises(SchemaError, match="run upgrade"), store.unit_of_work():
            pass
        assert store.upgrade() == [2, 3]
        assert store.upgrade() == []
        assert store.schema_version() == LATEST_SCHEMA == 3
        after = raw(postgres_db, "SELECT * FROM audit ORDER BY seq")
        assert after == [(*row, []) for row in before]  # every row, its seq; no fields known
        trail = store.audit_trail(kind=Child, record_id="c1")
        assert [(e.action, e.purpose, e.fields) for e in trail] == [
            ("add", "", ()),
            ("update", "家访记录", ()),
        ]
        with store.unit_of_work(actor="班主任 王老师") as uow:
            assert uow.get(Child, "S1", "c1").version == 2
            uow.record_read(Child, "S1", "c1", fields=["boarding"])
            uow.commit()
        last = store.audit_trail()[-1]
        assert (last.seq, last.action, last.new_version, last.fields) == (
            5,
            "read",
            2,
            ("boarding",),
        )
    finally:
        store.close()
    with pytest.raises(psycopg.errors.CheckViolation):
        raw(
            postgres_db,
            "INSERT INTO audit (school_id, at, actor, action, county_code, kind, record_id) "
            f"VALUES ('S1', now(), 'x', 'peek', '{COUNTY}', 'child', 'c1')",
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        raw(postgres_db, "UPDATE audit SET fields = '{name}'")


def test_the_store_implements_the_port(store: PostgresStore) -> None:
    assert isinstance(store, Store)
    with store.unit_of_work() as uow:
        assert isinstance(uow, UnitOfWork)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit SET actor = 'mallory'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE seq > 1000",  # refused even when no row matches
        "TRUNCATE audit",
    ],
)
def test_audit_trail_refuses_update_and_delete(
    store: PostgresStore, postgres_db: str, sql: str
) -> None:
    import psycopg

    seeded(store)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        raw(postgres_db, sql)
    assert [a.actor for a in store.audit_trail()] == ["tester"]


def test_an_application_role_without_rights_on_the_audit_trail(
    store: PostgresStore, postgres_db: str
) -> None:
    """The role set-up of docs/postgres.md works, and the role cannot touch the audit."""
    import os

    import psycopg

    role = f"liushou_app_{os.getpid()}"
    raw(postgres_db, f"CREATE ROLE {role} LOGIN")
    try:
        for grant in (
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON schools, records TO {role}",
            f"GRANT SELECT, INSERT ON audit TO {role}",
            f"GRANT SELECT ON schema_version, keyring TO {role}",
            f"GRANT UPDATE (purpose) ON audit TO {role}",  # a purge blanks purposes
        ):
            raw(postgres_db, grant)
        url = postgres_db.replace("postgresql://liushou@", f"postgresql://{role}@")
        with PostgresStore(url, auto_upgrade=False, copy_threshold=2) as app:
            with app.unit_of_work(actor="app") as uow:
                _, c, _ = uow.add_all([school(), child("c1"), child("c2")])
                uow.update(c)
                uow.delete(Child, "S1", "c2", version=1)
                uow.record_read(Child, "S1", "c1", fields=["name"])
                uow.commit()
            with app.unit_of_work(actor="app", readonly=True) as uow:
                uow.record_read(Child, "S1", "c1", fields=["name"])
                uow.commit()
            assert len(app.audit_trail()) == 7
            assert len(app.audit_trail(action="read")) == 2
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw(url, "DELETE FROM audit")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw(url, "UPDATE audit SET actor = 'mallory'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            raw(url, "UPDATE audit SET purpose = 'rewritten'")  # only the purge marker
    finally:
        raw(postgres_db, f"DROP OWNED BY {role}")
        raw(postgres_db, f"DROP ROLE {role}")


def test_unit_of_work_needs_an_actor(store: PostgresStore) -> None:
    with pytest.raises(ValueError, match="actor"):
        store.unit_of_work(actor=" ")


# ----------------------------------------------------------------------------- schema


def test_new_database_gets_the_schema_and_upgrade_is_idempotent(postgres_db: str) -> None:
    store = PostgresStore(postgres_db, auto_upgrade=False)  # an empty database is always set up
    assert store.schema_version() == LATEST_SCHEMA
    assert store.upgrade() == []
    assert store.upgrade() == []
    store.close()
    assert raw_count(postgres_db, "SELECT count(*) FROM schema_version") == LATEST_SCHEMA
    again = PostgresStore(postgres_db)
    assert again.schema_version() == LATEST_SCHEMA
    again.close()


def test_keys_start_with_the_school_id(store: PostgresStore, postgres_db: str) -> None:
    """Citus-ready: every table's primary key starts with school_id."""
    rows = raw(
        postgres_db,
        """SELECT c.relname, a.attname
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
           WHERE i.indisprimary AND c.relname IN ('schools', 'records', 'audit')""",
    )
    assert sorted(rows) == [
        ("audit", "school_id"),
        ("records", "school_id"),
        ("schools", "school_id"),
    ]


def test_upgrade_applies_pending_migrations_in_place(
    postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresStore(postgres_db)
    seeded(store, child())
    store.close()
    step = postgres_module.Migration(
        LATEST_SCHEMA + 1,
        "an index for tests",
        ("CREATE INDEX records_by_version ON records (version)",),
    )
    monkeypatch.setattr(postgres_module, "MIGRATIONS", (*postgres_module.MIGRATIONS, step))
    monkeypatch.setattr(postgres_module, "LATEST_SCHEMA", step.version)

    old = PostgresStore(postgres_db, auto_upgrade=False)
    assert old.schema_version() == LATEST_SCHEMA
    with pytest.raises(SchemaError, match="run upgrade"), old.unit_of_work():
        pass
    assert old.upgrade() == [step.version]
    assert old.upgrade() == []
    with old.unit_of_work() as uow:
        assert uow.get(Child, "S1", "c1").version == 1
    old.close()
    assert raw_count(
        postgres_db, "SELECT count(*) FROM pg_class WHERE relname = 'records_by_version'"
    )
    assert PostgresStore(postgres_db).schema_version() == step.version


def test_concurrent_first_opens_set_the_schema_up_once(postgres_db: str) -> None:
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(postgres_db))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    assert raw_count(postgres_db, "SELECT count(*) FROM schema_version") == LATEST_SCHEMA


def test_a_newer_schema_is_refused(postgres_db: str) -> None:
    PostgresStore(postgres_db).close()
    raw(postgres_db, "INSERT INTO schema_version VALUES (999, 'future', now())")
    with pytest.raises(SchemaError, match="newer"):
        PostgresStore(postgres_db)


# ----------------------------------------------------------------------------- URLs, plugin


def test_url_forms(postgres_db: str, postgres_socket_url: str, postgres_url: str) -> None:
    dbname = postgres_db.rsplit("/", 1)[1]
    socket_url = postgres_socket_url.replace("postgresql:///postgres", f"postgresql:///{dbname}")
    assert "?host=/" in socket_url
    short = postgres_db.replace("postgresql://", "postgres://", 1)
    for url in (postgres_db, short, socket_url):
        with PostgresStore.from_url(url) as s, s.unit_of_work(readonly=True) as uow:
            assert uow.schools() == []
    with pytest.raises(UnknownStoreScheme, match="postgresql://"):
        PostgresStore.from_url("mysql://u@h/db")
    with pytest.raises(InvalidStoreUrl, match="libpq") as info:
        PostgresStore.from_url("postgresql://u:s%zzret@h/db?nonsense=1")
    assert "zz" not in str(info.value)


def test_repr_hides_the_password(postgres_db: str) -> None:
    url = postgres_db.replace("postgresql://liushou@", "postgresql://liushou:s3cret@")
    with PostgresStore.from_url(url) as s:
        assert "s3cret" not in repr(s)


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(LiushouError, match=r"cannot connect to postgresql://u:\*\*\*@127\.0\.0\.1"):
        PostgresStore.from_url("postgresql://u:secret@127.0.0.1:1/x?connect_timeout=2")


def test_the_plugin_opens_the_store_by_url(postgres_db: str) -> None:
    from liushou_core import plugins

    pm = plugins.plugin_manager(entry_points=False, plugins=[("postgres", postgres_module)])
    backend = plugins.storage_backend(pm, "postgres")
    assert backend.schemes == ("postgresql", "postgres")
    assert backend.requires == ("psycopg",)
    assert plugins.storage_backend_for_url(pm, "postgres://x/y") == backend
    store = plugins.open_store(postgres_db, pm)
    assert isinstance(store, PostgresStore)
    store.close()


def test_the_module_loads_without_psycopg() -> None:
    """A missing driver must not break loading the plugin (psycopg is imported lazily)."""
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from liushou_adapters.storage import postgres\n"
        "from liushou_core import plugins\n"
        "pm = plugins.plugin_manager(entry_points=False, plugins=[('postgres', postgres)])\n"
        "b = plugins.storage_backend(pm, 'postgres')\n"
        "print(b.name, plugins.missing_requirements(b) == [] or 'n/a')\n"
        "try:\n"
        "    postgres.PostgresStore('postgresql://x/y')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.startswith("postgres ")
    assert "LiushouError" in out
    assert "pip install 'liushou[postgres]'" in out


# ----------------------------------------------------------------------------- records


def test_household_round_trip(store: PostgresStore) -> None:
    h = Household(id="h1", school_id="S1", categories=(HouseholdCategory.DIBAO,))
    seeded(store, h)
    with store.unit_of_work() as uow:
        assert uow.get(Household, "S1", "h1").categories == (HouseholdCategory.DIBAO,)


def _synthetic_groups() -> tuple[Any, list[tuple[type, tuple[Any, ...]]]]:
    from liushou_core import synth

    s = synth.school(3)
    groups: list[tuple[type, tuple[Any, ...]]] = [
        (SchoolClass, s.classes),
        (Teacher, s.teachers),
        (Volunteer, s.volunteers),
        (Household, s.households),
        (Child, s.children),
    ]
    return s, groups


def test_round_trip_of_a_full_synthetic_school_by_copy(
    store: PostgresStore, postgres_db: str, record_property: Callable[[str, object], None]
) -> None:
    s, groups = _synthetic_groups()
    everything = [s.school, *(r for _, records in groups for r in records)]
    assert len(everything) >= store.copy_threshold  # the COPY path
    started = time.perf_counter()
    with store.unit_of_work(actor="synth") as uow:
        added = uow.add_all(everything)
        uow.commit()
    elapsed = time.perf_counter() - started
    record_property("copy_seconds", elapsed)
    record_property("copy_records", len(everything))
    print(f"\nCOPY of a synthetic school: {len(everything)} records in {elapsed * 1000:.0f} ms")
    assert all(r.version == 1 for r in added)
    sid = s.school.id
    with store.unit_of_work(readonly=True) as uow:
        assert uow.get(School, sid, sid) == attrs.evolve(s.school, version=1)
        for cls, records in groups:
            expected = sorted((attrs.evolve(r, version=1) for r in records), key=lambda r: r.id)
            assert uow.list(cls, sid) == expected
    trail = store.audit_trail(school_id=sid)
    assert len(trail) == len(everything)
    assert [(a.kind, a.record_id) for a in trail] == [
        (postgres_module.kind_of(type(r)), r.id) for r in everything
    ]
    assert raw_count(postgres_db, "SELECT count(*) FROM records") == len(everything)


def test_copy_of_a_synthetic_school_is_all_or_nothing(
    store: PostgresStore, postgres_db: str
) -> None:
    s, groups = _synthetic_groups()
    children = s.children
    with store.unit_of_work(actor="synth") as uow:
        uow.add(s.school)
        uow.add(children[136])
        uow.commit()
    everything = [r for _, records in groups for r in records]
    with store.unit_of_work(actor="synth") as uow:
        with pytest.raises(ConflictError, match=f"child {children[136].id} of school"):
            uow.add_all(everything)
        uow.commit()
    assert raw_count(postgres_db, "SELECT count(*) FROM records") == 2
    assert raw_count(postgres_db, "SELECT count(*) FROM audit") == 2


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
def test_every_entity_round_trips(postgres_db: str, cls: type) -> None:
    strategies = pytest.importorskip("liushou_core.testing.strategies")
    store = PostgresStore(postgres_db)

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=strategies.from_model(cls))
    def check(record: Any) -> None:
        sid = postgres_module.school_id_of(record)
        with store.unit_of_work(actor="property") as uow:  # never committed
            if cls is not School:
                uow.add(School(id=sid, name="学校", county_code=COUNTY))
            added = uow.add(record)
            got = uow.get(cls, sid, added.id)
            assert got == attrs.evolve(record, version=1)
            assert uow.update(got) == attrs.evolve(record, version=2)

    try:
        check()
    finally:
        store.close()


# ----------------------------------------------------------------------------- load


def _increment_worker(url: str, rounds: int) -> dict[str, int]:
    """One process: ``rounds`` read-modify-write transactions on household h1."""
    store = PostgresStore(url)
    attempts = 0

    def increment(uow: PostgresUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        h = uow.get(Household, "S1", "h1")
        uow.update(attrs.evolve(h, income_source=str(int(h.income_source) + 1)))

    try:
        for _ in range(rounds):
            store.run_in_transaction(increment, actor="counter")
    finally:
        store.close()
    return {"attempts": attempts, "rounds": rounds}


def test_four_processes_increment_one_record_exactly(
    postgres_db: str, record_property: Callable[[str, object], None]
) -> None:
    """4 processes x 200 read-modify-write transactions: the sum is exact, no error surfaces."""
    processes, rounds = 4, 200
    store = PostgresStore(postgres_db)
    seeded(store, Household(id="h1", school_id="S1", income_source="0"))
    started = time.perf_counter()
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_increment_worker, postgres_db, rounds) for _ in range(processes)]
        results = [f.result(timeout=120) for f in futures]
    elapsed = time.perf_counter() - started
    with store.unit_of_work(readonly=True) as uow:
        h = uow.get(Household, "S1", "h1")
    updates = store.audit_trail(kind="household")
    store.close()
    total = processes * rounds
    assert int(h.income_source) == total
    assert h.version == total + 1
    assert len(updates) == total + 1  # the add, then one row per committed increment
    retries = sum(r["attempts"] for r in results) - total
    record_property("load_seconds", elapsed)
    record_property("load_retries", retries)
    print(f"\n{total} increments in {elapsed:.1f} s, {retries} serialization retries")


def test_the_json_helpers_round_trip_anything() -> None:
    data = {"a": ["x\x00y", "\ue000", "\ue000e", "plain", 1, None, True], "b": {"c": "\x00"}}
    text = postgres_module._dumps(data)
    assert "\\u0000" not in text
    assert postgres_module._loads(text) == data
    assert postgres_module._loads(text.encode()) == data
    assert json.loads(postgres_module._dumps({"a": "plain"})) == {"a": "plain"}


# ----------------------------------------------------------------------------- the test server


def test_without_a_server_the_tests_skip_or_fail_when_required(tmp_path: Any) -> None:
    """No binaries: a skip with the reason; with LIUSHOU_REQUIRE_POSTGRES=1, a failure."""
    import os

    target = f"{__file__}::test_get_missing_raises_not_found"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUSHOU_")}
    env["LIUSHOU_TEST_POSTGRES_BINDIR"] = str(tmp_path)  # holds no initdb
    command = [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", target]

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env={**env, **extra}, capture_output=True, text=True, timeout=120
        )

    skipped = run()
    assert skipped.returncode == 0, skipped.stdout
    assert "1 skipped" in skipped.stdout
    assert "no PostgreSQL server binaries (initdb, pg_ctl) found" in skipped.stdout
    failed = run(LIUSHOU_REQUIRE_POSTGRES="1")
    assert failed.returncode == 1, failed.stdout
    assert "PostgreSQL is required (LIUSHOU_REQUIRE_POSTGRES=1)" in failed.stdout


def test_write_skew_passes_under_repeatable_read(postgres_db: str) -> None:
    """The isolation option is honoured: REPEATABLE READ lets both writers commit."""
    a = PostgresStore(postgres_db, isolation="repeatable read")
    b = PostgresStore(postgres_db, isolation="repeatable read")
    seeded(a)
    with a.unit_of_work(actor="A") as ua, b.unit_of_work(actor="B") as ub:
        assert ua.list(Child, "S1", class_id="k1") == []
        assert ub.list(Child, "S1", class_id="k1") == []
        ua.add(child("cA"))
        ub.add(child("cB"))
        ua.commit()
        ub.commit()
    with a.unit_of_work(readonly=True) as uow:
        assert uow.count(Child, "S1") == 2
    a.close()
    b.close()
    with pytest.raises(ValueError, match="isolation"):
        PostgresStore(postgres_db, isolation="read committed")
