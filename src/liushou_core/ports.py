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

Reads are audited too: a service that shows a child's record records which
fields it showed, then commits, then shows them::

    with store.unit_of_work(actor.label, purpose=actor.purpose, readonly=True) as uow:
        child = uow.get(Child, "s1", "c1")
        uow.record_read(Child, "s1", "c1", fields=("name", "class_id"))
        uow.commit()          # the read entry is kept only when the unit of work commits
    show(child)

A ``read`` entry is committed (or rolled back) with its unit of work, also a
read-only one; see :meth:`UnitOfWork.record_read`.
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

import attrs

from liushou_core.models import (
    ENTITIES,
    Activity,
    AidDecision,
    ArchiveSignOff,
    CareNotice,
    Consent,
    ContactEvent,
    DiaryEntry,
    Duty,
    GuardianTraining,
    HealthCheck,
    Incident,
    SafetyPledge,
    School,
    WorkSummary,
)

__all__ = [
    "AUDIT_ACTIONS",
    "DATE_FIELDS",
    "RECORD_KINDS",
    "AuditEntry",
    "Exporter",
    "Notifier",
    "Store",
    "UnitOfWork",
    "kind_of",
]

T = TypeVar("T")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


#: Kind name -> record class, for every entity a store keeps: a stable snake_case
#: name per class (``Child`` -> ``child``, ``SchoolClass`` -> ``school_class``),
#: the ``kind`` of :class:`AuditEntry`.
RECORD_KINDS: Mapping[str, type] = {_snake(cls.__name__): cls for cls in ENTITIES}
_KIND_OF: dict[type, str] = {cls: kind for kind, cls in RECORD_KINDS.items()}


def kind_of(cls: type) -> str:
    """The stored kind of a record class (``Child`` -> ``"child"``).

    Raises :class:`TypeError` for a class that is not a stored entity.
    """
    try:
        return _KIND_OF[cls]
    except KeyError:
        known = ", ".join(c.__name__ for c in _KIND_OF)
        raise TypeError(f"{cls.__name__} is not a stored record type; known: {known}") from None


#: The date field that ``since``/``until`` bound, per record kind.
DATE_FIELDS: dict[type, str] = {
    ContactEvent: "date",
    DiaryEntry: "date",
    HealthCheck: "date",
    Incident: "occurred_on",
    AidDecision: "on",
    SafetyPledge: "signed_on",
    Consent: "given_on",
    ArchiveSignOff: "signed_on",
    CareNotice: "given_on",
    Activity: "date",
    WorkSummary: "filed_on",
    Duty: "date",
    GuardianTraining: "date",
}


#: The actions of the audit trail: the three writes, and ``read`` (fields shown to someone).
AUDIT_ACTIONS: tuple[str, ...] = ("add", "update", "delete", "read")


@attrs.frozen
class AuditEntry:
    """One row of the append-only audit trail.

    ``seq`` orders the trail; ``at`` is local time with its UTC offset;
    ``actor`` and ``purpose`` are the unit of work's (a read may give its own
    purpose). ``action`` is one of :data:`AUDIT_ACTIONS`.

    ``old_version``/``new_version``: ``None``/1 for an add, v/v+1 for an
    update, v/``None`` for a delete, and for a read both the version that was
    read (a read changes nothing).

    ``fields`` names top-level fields of the record, in the model's order:
    for an add or a delete every field but ``version``; for an update the
    fields whose value changed (empty when none did); for a read the fields
    that were shown. Entries written before the stores recorded fields (SQLite
    schema 3, PostgreSQL schema 2) have none.
    """

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
    fields: tuple[str, ...] = ()


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

    def add_all(self, records: Iterable[T]) -> builtins.list[T]: ...

    def update(self, record: T) -> T: ...

    def delete(self, cls: type, school_id: str, id: str, version: int) -> None: ...

    def get(self, cls: type[T], school_id: str, id: str) -> T: ...

    def record_read(
        self,
        cls: type,
        school_id: str,
        id: str,
        *,
        fields: Sequence[str],
        purpose: str = "",
    ) -> None:
        """Append a ``read`` audit entry: ``fields`` of the stored record were shown.

        The entry joins this unit of work's transaction: :meth:`commit` keeps
        it, a rollback (or leaving the ``with`` block without commit) drops it,
        like a write. A ``readonly`` unit of work may record reads too (they
        are its only writes; each store says how it keeps them). So: read,
        record, commit, and only then show.

        ``fields`` are field names of ``cls`` (kept in the model's order, each
        once; empty means the record was looked up but nothing of it shown);
        ``purpose`` defaults to the unit of work's. The entry's versions are
        the stored version, which the read does not change.

        :raises NotFound: the record is not stored (as this unit of work sees it).
        :raises ValueError: a name is not a field of ``cls`` (or ``fields`` is a str).
        :raises TypeError: ``cls`` is not a stored record type.
        """
        ...

    def list(
        self,
        cls: type[T],
        school_id: str,
        /,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        **filters: Any,
    ) -> builtins.list[T]:
        """The school's records of ``cls``, ordered by id.

        ``filters`` compare a simple field for equality (``class_id="S1-g3c1"``,
        ``boarding=True``, ``household_id=None``) or, for a tuple-of-text field,
        membership (``staff_ids="T7"``: events the mentor T7 took part in).
        ``since``/``until`` (inclusive) bound the kind's date field, see
        :data:`DATE_FIELDS`; a kind without one raises :class:`ValueError`.
        """
        ...

    def count(self, cls: type, school_id: str) -> int: ...

    def schools(self, *, county_code: str | None = None) -> builtins.list[School]:
        """Every stored school, or those of one county, ordered by id."""
        ...


@runtime_checkable
class Store(Protocol):
    """A storage backend: opens units of work, keeps the audit trail and schema."""

    def unit_of_work(
        self, actor: str = "system", *, purpose: str = "", readonly: bool = False
    ) -> UnitOfWork: ...

    def audit_trail(
        self,
        *,
        school_id: str | None = None,
        kind: str | type | None = None,
        record_id: str | None = None,
        action: str | None = None,
    ) -> Sequence[AuditEntry]:
        """The committed audit entries, oldest first, that match every filter given.

        ``kind`` is a kind name (``"child"``) or a record class (``Child``);
        ``action`` one of :data:`AUDIT_ACTIONS`. Who saw or changed one child:
        ``audit_trail(school_id="S1", kind=Child, record_id="c1")``. An unknown
        kind or action raises :class:`ValueError`.
        """
        ...

    def upgrade(self) -> builtins.list[int]: ...

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
