"""The memory store: URLs, sharing by name, isolation, locking and the plugin.

The semantics it shares with the SQLite store (versions, conflicts, rollback,
queries, the audit trail) are checked by the conformance suite in
``test_conformance.py``; this module covers what is its own.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import attrs
import pluggy
import pytest

from liushou_adapters.storage import InvalidStoreUrl, open_store
from liushou_adapters.storage import memory as memory_module
from liushou_adapters.storage import sqlite as sqlite_module
from liushou_adapters.storage.memory import MemoryStore
from liushou_core import plugins
from liushou_core.errors import LiushouError, NotFound
from liushou_core.models import Child, School, Sex, Teacher
from liushou_core.ports import Store, UnitOfWork

AT = dt.datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def school(sid: str = "S1") -> School:
    return School(id=sid, name="清溪中心小学", county_code="431121")


def child(cid: str = "c1", sid: str = "S1") -> Child:
    return Child(
        id=cid, school_id=sid, name="李小花", sex=Sex.FEMALE, birth_date=dt.date(2016, 5, 4)
    )


def seeded(store: MemoryStore, *records: object) -> list[object]:
    with store.unit_of_work(actor="tester") as uow:
        out = uow.add_all([school(), *records])
        uow.commit()
    return out


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    s = MemoryStore(clock=lambda: AT)
    yield s
    s.close()


@pytest.fixture
def pm() -> pluggy.PluginManager:
    return plugins.plugin_manager(
        entry_points=False, plugins=[("memory", memory_module), ("sqlite", sqlite_module)]
    )


# ----------------------------------------------------------------------------- URLs and names


def test_each_plain_url_opens_a_fresh_store(pm: pluggy.PluginManager) -> None:
    a = open_store("memory://", pm=pm)
    assert isinstance(a, MemoryStore)
    seeded(a)
    b = open_store("memory://", pm=pm)
    with b.unit_of_work() as uow:
        assert uow.schools() == []


def test_a_named_store_is_shared_within_the_process(pm: pluggy.PluginManager) -> None:
    name = "shared-test-store"
    try:
        a = open_store(f"memory://{name}", pm=pm)
        assert isinstance(a, MemoryStore)
        seeded(a)
        a.close()
        b = MemoryStore.from_url(f"MEMORY://{name}")
        with b.unit_of_work() as uow:
            assert [s.id for s in uow.schools()] == ["S1"]
        assert [e.record_id for e in b.audit_trail()] == ["S1"]
        assert b.url == f"memory://{name}"
        MemoryStore.forget(name)
        with MemoryStore(name) as c, c.unit_of_work() as uow:
            assert uow.schools() == []
    finally:
        MemoryStore.forget(name)


@pytest.mark.parametrize("url", ["memory:/x", "memory://a/b", "memory://x?y=1", "sqlite:///x"])
def test_bad_memory_urls(url: str) -> None:
    with pytest.raises(InvalidStoreUrl, match="memory://"):
        MemoryStore.from_url(url)


def test_the_plugin_declares_the_memory_scheme() -> None:
    (backend,) = memory_module.liushou_storage_backends()
    assert (backend.name, backend.schemes, backend.requires) == ("memory", ("memory",), ())
    assert isinstance(backend.open("memory://"), MemoryStore)


# ----------------------------------------------------------------------------- the port


def test_the_store_implements_the_port(store: MemoryStore) -> None:
    assert isinstance(store, Store)
    with store.unit_of_work() as uow:
        assert isinstance(uow, UnitOfWork)
    assert store.upgrade() == []


def test_records_handed_out_are_copies(store: MemoryStore) -> None:
    original = Teacher(id="t1", school_id="S1", name="王老师", sex=Sex.FEMALE)
    _, added = seeded(store, original)
    original.name = "改了原件"
    added.name = "改了副本"  # type: ignore[attr-defined]
    with store.unit_of_work() as uow:
        got = uow.get(Teacher, "S1", "t1")
        got.name = "改了读出的"
        assert uow.get(Teacher, "S1", "t1").name == "王老师"
        assert uow.list(Teacher, "S1")[0].name == "王老师"


def test_audit_entries_are_frozen_with_the_clocks_time(store: MemoryStore) -> None:
    seeded(store)
    trail = store.audit_trail()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        trail[0].actor = "mallory"  # type: ignore[misc]
    trail.clear()
    (entry,) = store.audit_trail()
    assert entry.at == AT.replace(microsecond=0)  # to the second, as SQLite keeps it
    assert (entry.seq, entry.actor, entry.action) == (1, "tester", "add")
    assert store.audit_trail(kind="child") == []
    assert store.audit_trail(record_id="S1") == [entry]


def test_a_closed_store_refuses_work(store: MemoryStore) -> None:
    store.close()
    store.close()  # idempotent
    with pytest.raises(LiushouError, match="closed"), store.unit_of_work():
        pass


def test_a_unit_of_work_outside_a_with_block_is_refused(store: MemoryStore) -> None:
    uow = store.unit_of_work()
    with pytest.raises(LiushouError, match="with block"):
        uow.get(School, "S1", "S1")


def test_a_school_update_moves_its_county(store: MemoryStore) -> None:
    (s,) = seeded(store)
    with store.unit_of_work() as uow:
        uow.update(attrs.evolve(s, county_code="431122"))
        uow.commit()
        assert uow.schools(county_code="431121") == []
        assert [x.id for x in uow.schools(county_code="431122")] == ["S1"]


# ----------------------------------------------------------------------------- transactions


def test_a_reader_sees_the_state_of_when_it_began(store: MemoryStore) -> None:
    seeded(store)
    with store.unit_of_work(readonly=True) as reader:
        with store.unit_of_work() as writer:
            writer.add(child())
            writer.commit()
        with pytest.raises(NotFound):
            reader.get(Child, "S1", "c1")
        reader.commit()  # ends the snapshot: the next read sees the latest state
        assert reader.get(Child, "S1", "c1").version == 1


def test_a_second_writer_on_the_same_thread_is_refused(store: MemoryStore) -> None:
    with store.unit_of_work() as outer:
        with pytest.raises(LiushouError, match="another unit of work"), store.unit_of_work():
            pass
        with store.unit_of_work(readonly=True) as reader:  # reading is fine
            assert reader.schools() == []
        outer.add(school())
        outer.commit()


def test_a_writer_waits_for_another_and_gives_up_after_the_timeout() -> None:
    store = MemoryStore(timeout=0.05)
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.unit_of_work(actor="holder"):
            entered.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    try:
        with pytest.raises(LiushouError, match="busy"), store.unit_of_work():
            pass
    finally:
        release.set()
        holder.join()
    with store.unit_of_work() as uow:  # free again
        uow.add(school())
        uow.commit()


def test_concurrent_read_modify_write_loses_nothing() -> None:
    """4 threads x 50 increments of one record: writers are serialised."""
    store = MemoryStore()
    seeded(store, Teacher(id="t1", school_id="S1", name="王老师", sex=Sex.FEMALE, village="0"))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                with store.unit_of_work(actor="counter") as uow:
                    t = uow.get(Teacher, "S1", "t1")
                    time.sleep(0)  # let the others run
                    uow.update(attrs.evolve(t, village=str(int(t.village) + 1)))
                    uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.unit_of_work(readonly=True) as uow:
        final = uow.get(Teacher, "S1", "t1")
    assert (final.village, final.version) == ("200", 201)
    assert len(store.audit_trail(record_id="t1")) == 201


def test_after_commit_a_unit_of_work_goes_on(store: MemoryStore) -> None:
    with store.unit_of_work() as uow:
        uow.add(school())
        uow.commit()
        uow.add(child("c1"))  # a new transaction, rolled back on leaving
    with store.unit_of_work() as uow:
        assert uow.count(School, "S1") == 1
        assert uow.count(Child, "S1") == 0


# ----------------------------------------------------------------------------- audited reads


def test_reads_are_audited_at_commit_in_order_with_the_writes(store: MemoryStore) -> None:
    _, c = seeded(store, child())
    with store.unit_of_work(actor="mentor:t7", purpose="结对帮扶") as uow:
        uow.record_read(Child, "S1", "c1", fields=("sex", "name"))
        assert [e.action for e in store.audit_trail()] == ["add", "add"]  # not yet
        uow.update(attrs.evolve(c, name="李小红"))
        uow.record_read(Child, "S1", "c1", fields=["name"], purpose="个案会商")
        uow.commit()
    trail = store.audit_trail(record_id="c1")
    assert [
        (e.seq, e.action, e.old_version, e.new_version, e.purpose, e.fields) for e in trail
    ] == [
        (2, "add", None, 1, "", trail[0].fields),
        (3, "read", 1, 1, "结对帮扶", ("name", "sex")),
        (4, "update", 1, 2, "结对帮扶", ("name",)),
        (5, "read", 2, 2, "个案会商", ("name",)),
    ]
    assert all(e.at == AT.replace(microsecond=0) for e in trail)


def test_a_reader_records_reads_without_waiting_for_a_writer() -> None:
    """A read-only unit of work never takes the write lock, not even to record reads."""
    store = MemoryStore(timeout=0.05)
    seeded(store, child())
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.unit_of_work(actor="holder") as uow:
            uow.add(child("c2"))
            entered.set()
            release.wait(5)
            uow.commit()

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    try:
        with store.unit_of_work(actor="reader", readonly=True) as uow:
            uow.record_read(Child, "S1", "c1", fields=["name"])
            with pytest.raises(NotFound):  # the holder's child is not committed
                uow.record_read(Child, "S1", "c2", fields=["name"])
            uow.commit()
        assert [(e.actor, e.action) for e in store.audit_trail()][-1] == ("reader", "read")
    finally:
        release.set()
        holder.join()
    assert [(e.seq, e.actor, e.action) for e in store.audit_trail()][-2:] == [
        (3, "reader", "read"),
        (4, "holder", "add"),
    ]


def test_the_installed_entry_points_serve_memory() -> None:
    store = open_store("memory://")  # the process's plugin manager, from entry points
    assert isinstance(store, MemoryStore)
