"""Ports: the Protocols that adapters implement.

The core depends on these, never on an adapter. A store is opened from a URL by
the backend that declares its scheme (see :mod:`liushou_core.plugins`).

Store and unit of work::

    with store.unit_of_work(actor="system") as uow:
        child = uow.get(Child, "s1", "c1")
        uow.update(attrs.evolve(child, boarding=True))
        uow.commit()          # leaving the block without commit rolls back

Every record carries a ``version``: ``add`` stores version 1, ``update``
requires the stored version and raises :class:`~liushou_core.errors.ConflictError`
(writing nothing) on a stale one, ``delete`` likewise. Every write appends an
audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

import attrs

__all__ = ["AuditEntry", "Exporter", "Notifier", "Store", "UnitOfWork"]

T = TypeVar("T")


@attrs.frozen
class AuditEntry:
    """One row of the append-only audit trail."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    kind: str
    school_id: str
    record_id: str
    old_version: int | None
    new_version: int | None
    purpose: str = ""


@runtime_checkable
class UnitOfWork(Protocol):
    """A transaction over the store's repositories."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def add(self, record: T) -> T: ...

    def add_all(self, records: Iterable[T]) -> list[T]: ...

    def update(self, record: T) -> T: ...

    def delete(self, cls: type, school_id: str, id: str, version: int) -> None: ...

    def get(self, cls: type[T], school_id: str, id: str) -> T: ...

    def list(self, cls: type[T], school_id: str, **filters: Any) -> list[T]: ...


@runtime_checkable
class Store(Protocol):
    """A storage backend: opens units of work, keeps the audit trail and schema."""

    def unit_of_work(self, actor: str = "system") -> UnitOfWork: ...

    def audit_trail(self, *, school_id: str | None = None) -> Sequence[AuditEntry]: ...

    def upgrade(self) -> list[int]: ...

    def close(self) -> None: ...


@runtime_checkable
class Notifier(Protocol):
    """A channel that delivers notices (console, e-mail, a group robot, SMS)."""

    name: str

    def send(self, notice: Any) -> None: ...


@runtime_checkable
class Exporter(Protocol):
    """Writes a dataset to a file format (CSV, JSON, XLSX, ICS, HTML)."""

    name: str
    suffix: str

    def export(self, rows: Iterable[Any], path: str) -> None: ...
