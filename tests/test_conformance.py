"""Every storage backend passes the shipped conformance suite.

The ``test_*`` functions imported from :mod:`liushou_core.testing.conformance`
run once per backend through the ``store_factory`` fixture. Adding a backend
is one line in :data:`BACKENDS`: its name and a function of the pytest
request returning a factory of new, empty stores (it may skip, as the
PostgreSQL one does without a server).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from liushou_adapters.storage.memory import MemoryStore, MemoryUnitOfWork
from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core.ports import AuditEntry, Store
from liushou_core.testing.conformance import (
    StoreConformance,
    StoreFactory,
    store_state_machine,
    test_audit_fields,
    test_audit_trail_cannot_be_changed,
    test_audit_trail_filters,
    test_every_kind_round_trips,
    test_failed_write_keeps_the_unit_of_work_usable,
    test_lookup_by_sensitive_fields,
    test_purge,
    test_queries,
    test_readonly_refuses_writes,
    test_record_read,
    test_rollback,
    test_stale_versions_conflict,
    test_store_state_machine,
)

__all__ = [  # the imported tests, run here for every backend
    "test_audit_fields",
    "test_audit_trail_cannot_be_changed",
    "test_audit_trail_filters",
    "test_every_kind_round_trips",
    "test_failed_write_keeps_the_unit_of_work_usable",
    "test_lookup_by_sensitive_fields",
    "test_purge",
    "test_queries",
    "test_readonly_refuses_writes",
    "test_record_read",
    "test_rollback",
    "test_stale_versions_conflict",
    "test_store_state_machine",
]


def _sqlite_files(request: pytest.FixtureRequest) -> StoreFactory:
    tmp_path: Path = request.getfixturevalue("tmp_path")
    numbers = itertools.count(1)
    return lambda: SqliteStore(tmp_path / f"store-{next(numbers)}.db")


def _postgres(request: pytest.FixtureRequest) -> StoreFactory:
    # postgres_db_factory (tests/postgres_server.py) skips when no server can be started
    try:
        new_database: Callable[[], str] = request.getfixturevalue("postgres_db_factory")
    except pytest.FixtureLookupError:
        pytest.skip("no postgres_db_factory fixture: tests/postgres_server.py is not loaded")
    from liushou_adapters.storage.postgres import PostgresStore

    # encrypted, as a deployment with LIUSHOU_KEY set runs
    return lambda: PostgresStore.from_url(new_database(), key=TEST_KEY)


#: A fixed key for the encrypted PostgreSQL stores of the suite.
TEST_KEY = "ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM="

#: Backend name -> (pytest request -> factory of new, empty stores).
BACKENDS: dict[str, Callable[[pytest.FixtureRequest], StoreFactory]] = {
    "memory": lambda request: MemoryStore,
    "sqlite-file": _sqlite_files,
    "sqlite-memory": lambda request: lambda: SqliteStore(":memory:"),
    "postgres": _postgres,
}

_MARKS = {"postgres": [pytest.mark.postgres]}


@pytest.fixture(params=[pytest.param(name, marks=_MARKS.get(name, ())) for name in BACKENDS])
def store_factory(request: pytest.FixtureRequest) -> StoreFactory:
    return BACKENDS[request.param](request)


# ----------------------------------------------------------------------------- the class form


class TestTheClassForm(StoreConformance):
    """What a deployer writes (here with SQLite files), including raw tampering checks."""

    max_examples = 5
    stateful_step_count = 10

    def make_store(self) -> Store:
        return SqliteStore(self.fresh_path(".db"))

    def tamper_with_audit(self, store: Store) -> Iterable[Callable[[], object]]:
        path = store.path  # type: ignore[attr-defined]

        def run(sql: str) -> Callable[[], object]:
            def attempt() -> None:
                with sqlite3.connect(path) as conn:
                    conn.execute(sql)

            return attempt

        return [run("UPDATE audit SET actor = 'mallory'"), run("DELETE FROM audit")]


def test_the_class_form_needs_make_store() -> None:
    with pytest.raises(NotImplementedError, match="make_store"):
        StoreConformance().make_store()


def test_the_state_machine_catches_a_store_that_forgets_the_audit() -> None:
    """The suite is not vacuous: a store whose audit trail loses updates fails it."""

    class Forgetful(MemoryStore):
        def audit_trail(self, **query: Any) -> list[AuditEntry]:
            return [e for e in super().audit_trail(**query) if e.action != "update"]

    machine = store_state_machine(Forgetful)
    fast = settings(max_examples=50, phases=[Phase.generate], database=None, deadline=None)
    with pytest.raises(AssertionError):
        run_state_machine_as_test(machine, settings=fast)


class _ForgetsReads(MemoryStore):
    def audit_trail(self, **query: Any) -> list[AuditEntry]:
        return [e for e in super().audit_trail(**query) if e.action != "read"]


class _ForgetsFields(MemoryStore):
    def audit_trail(self, **query: Any) -> list[AuditEntry]:
        return [attrs.evolve(e, fields=()) for e in super().audit_trail(**query)]


class _IgnoresTheActionFilter(MemoryStore):
    def audit_trail(self, **query: Any) -> list[AuditEntry]:
        query.pop("action", None)
        return super().audit_trail(**query)


class _LeakyUnitOfWork(MemoryUnitOfWork):
    def rollback(self) -> None:  # publishes the reads it should drop
        reads = [p for p in self._pending if p[1] == "read"]
        super().rollback()
        if reads:
            self._pending = reads
            self.commit()


class _KeepsRolledBackReads(MemoryStore):
    def unit_of_work(
        self, actor: str = "system", *, purpose: str = "", readonly: bool = False
    ) -> MemoryUnitOfWork:
        return _LeakyUnitOfWork(self, actor=actor, purpose=purpose, readonly=readonly)


@pytest.mark.parametrize(
    "broken",
    [_ForgetsReads, _ForgetsFields, _IgnoresTheActionFilter, _KeepsRolledBackReads],
    ids=lambda c: c.__name__.strip("_"),
)
def test_the_state_machine_catches_a_store_that_audits_reads_wrongly(broken: type) -> None:
    machine = store_state_machine(broken)
    fast = settings(max_examples=200, phases=[Phase.generate], database=None, deadline=None)
    with pytest.raises(AssertionError):
        run_state_machine_as_test(machine, settings=fast)
