"""An in-process store, for tests, examples and small tools.

URL: ``memory://`` opens a fresh, empty store each time; ``memory://name``
opens the store called ``name``, shared by every opening of that name in the
process (until :meth:`MemoryStore.forget`). Nothing is written to disk.

The semantics are those of the SQLite store, so that a test written against
one holds for the other (both pass :mod:`liushou_core.testing.conformance`):

* ``add`` stores version 1, ``update`` and ``delete`` need the stored version
  and raise :class:`~liushou_core.errors.ConflictError` on a stale one; a failed
  write leaves nothing behind and the unit of work stays usable;
* a record's school must be stored first; a school with records cannot be
  deleted; every school has a county code;
* a unit of work is a transaction: leaving it without :meth:`commit
  <MemoryUnitOfWork.commit>` undoes its writes. A writing unit of work takes
  the store's write lock on entry (like ``BEGIN IMMEDIATE``; other writers wait
  up to ``timeout`` seconds) and works on a copy-on-write copy of the state,
  published at commit; a ``readonly`` one reads the state as it was when it
  began and refuses writes;
* every write appends an :class:`~liushou_core.ports.AuditEntry` in the same
  transaction, and so does :meth:`MemoryUnitOfWork.record_read` (also in a
  ``readonly`` unit of work: its entries are appended at commit, without the
  write lock, and dropped by a rollback). Entries are frozen,
  :meth:`MemoryStore.audit_trail` returns a copy, and no method changes or
  removes them. (There is no stored schema to migrate: the entries have had
  ``fields`` and the ``read`` action since the SQLite store's schema 3.)

Records are kept as objects, never shared with callers: a record handed in or
out is a copy, so changing it changes nothing stored.

>>> from liushou_core.models import School
>>> store = MemoryStore()
>>> with store.unit_of_work(actor="doctest") as uow:
...     school = uow.add(School(id="S1", name="中心小学", county_code="431121"))
...     uow.commit()
>>> school.version, [e.action for e in store.audit_trail()]
(1, ['add'])
"""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import attrs

from liushou_adapters.storage import (
    Condition,
    InvalidStoreUrl,
    audit_filters,
    changed_fields,
    kind_of,
    plain_value,
    plan_query,
    read_fields,
    school_id_of,
    written_fields,
)
from liushou_core import hookimpl
from liushou_core.errors import ConflictError, LiushouError, NotFound
from liushou_core.hookspecs import StorageBackend
from liushou_core.models import School, with_version
from liushou_core.ports import AuditEntry
from liushou_core.privacy import PURGED_PURPOSE

if TYPE_CHECKING:
    from liushou_core.ports import Store, UnitOfWork

__all__ = ["MemoryStore", "MemoryUnitOfWork", "liushou_storage_backends"]

T = TypeVar("T")

#: Default seconds a writer waits for another writer's unit of work to end.
DEFAULT_TIMEOUT: Final = 30.0

_Key = tuple[str, str]  # (school_id, kind)
_Pending = tuple[dt.datetime, str, str, str, str, int | None, int | None, str, tuple[str, ...]]


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


@attrs.frozen
class _State:
    """The committed contents. Published states are never changed in place:
    a writer copies what it changes (the outer maps once, a bucket at its first
    change) and publishes the new state at commit."""

    buckets: Mapping[_Key, Mapping[str, Any]] = attrs.Factory(dict)
    counties: Mapping[str, str] = attrs.Factory(dict)  # school_id -> county_code


class _Database:
    """One store's contents, audit trail and write lock (shared by name)."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.state = _State()
        self.audit: list[AuditEntry] = []
        self.audit_lock = threading.Lock()  # appending to the trail (seq order)
        self.lock = threading.Lock()
        self.writer: int | None = None  # the thread holding the write lock


_named: dict[str, _Database] = {}
_named_lock = threading.Lock()


def _attributes(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in written_fields(type(record))}


def _clone(record: T) -> T:
    """A shallow copy: entities are mutable, their values (tuples, frozen attrs) are not."""
    return copy.copy(record)


class MemoryStore:
    """A store kept in this process's memory (see the module documentation).

    ``name`` shares one store's contents between every :class:`MemoryStore`
    of that name; without it the store is private. ``timeout`` is how long a
    writing unit of work waits for another one to finish. ``clock`` gives the
    audit trail's timestamps (local time with its UTC offset).
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], dt.datetime] = _local_now,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.clock = clock
        self._closed = False
        if name is None:
            self._db = _Database(None)
        else:
            with _named_lock:
                self._db = _named.setdefault(name, _Database(name))

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MemoryStore:
        """Open ``memory://`` (a fresh store) or ``memory://name`` (shared by name)."""
        scheme, sep, rest = url.partition("://")
        if scheme.lower() != "memory" or not sep:
            raise InvalidStoreUrl("a memory store URL is memory:// or memory://name")
        if "/" in rest or "?" in rest:
            raise InvalidStoreUrl(
                "a memory store URL is memory:// or memory://name (a name without / or ?)"
            )
        return cls(rest or None, **options)

    @staticmethod
    def forget(name: str) -> None:
        """Drop the contents of the store called ``name``; the next opening starts empty.

        Stores already open on that name keep the old contents.
        """
        with _named_lock:
            _named.pop(name, None)

    @property
    def url(self) -> str:
        """The URL that opens this store again (a private store has none to share)."""
        return f"memory://{self.name or ''}"

    def __repr__(self) -> str:
        return f"MemoryStore({self.name!r})" if self.name else "MemoryStore()"

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop using this store. Idempotent; a named store's contents stay for others."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise LiushouError(f"{self!r} is closed")

    def upgrade(self) -> builtins.list[int]:
        """Nothing to migrate: the memory store has no stored schema."""
        self._check_open()
        return []

    def unit_of_work(
        self, actor: str = "system", *, purpose: str = "", readonly: bool = False
    ) -> MemoryUnitOfWork:
        """A transaction: ``with store.unit_of_work(actor="...") as uow: ...; uow.commit()``.

        ``actor`` (who) and ``purpose`` (why) go into the audit entry of every
        write and recorded read. Leaving the block without commit undoes the
        writes and drops the reads.
        """
        if not actor or not actor.strip():
            raise ValueError("a unit of work needs an actor (who is making the changes)")
        return MemoryUnitOfWork(self, actor=actor, purpose=purpose, readonly=readonly)

    def audit_trail(
        self,
        *,
        school_id: str | None = None,
        kind: str | type | None = None,
        record_id: str | None = None,
        action: str | None = None,
    ) -> builtins.list[AuditEntry]:
        """The committed audit entries, oldest first, that match every filter given.

        ``kind`` is a kind name or a record class; ``action`` one of ``add``,
        ``update``, ``delete``, ``read``. The list is a copy; the entries are frozen.
        """
        query = audit_filters(school_id=school_id, kind=kind, record_id=record_id, action=action)
        self._check_open()
        with self._db.audit_lock:
            entries = list(self._db.audit)
        return [e for e in entries if query.match(e)]


def _matches(record: Any, conditions: Sequence[Condition]) -> bool:
    for c in conditions:
        value = getattr(record, c.field)
        if c.op == "eq":
            if value is None or plain_value(value) != c.plain:
                return False
        elif c.op == "is_null":
            if value is not None:
                return False
        elif c.op == "has":
            if not any(plain_value(v) == c.plain for v in value):
                return False
        elif c.op == "since":
            if value is None or value < c.value:
                return False
        elif value is None or value > c.value:  # until
            return False
    return True


class MemoryUnitOfWork:
    """One transaction on a :class:`MemoryStore`; use it as a context manager.

    Writes return a copy of the record with its new version (a fresh record
    becomes version 1; each update adds 1). Each write is atomic on its own: a
    failed one leaves nothing behind and the unit of work stays usable. After
    :meth:`commit` the unit of work may go on; the next write starts a new
    transaction.
    """

    def __init__(self, store: MemoryStore, *, actor: str, purpose: str, readonly: bool) -> None:
        self.store = store
        self.actor = actor
        self.purpose = purpose
        self.readonly = readonly
        self._db = store._db
        self._open = False
        self._locked = False
        self._snapshot: _State | None = None
        self._buckets: dict[_Key, dict[str, Any]] | None = None  # the working copy
        self._counties: dict[str, str] | None = None
        self._copied: set[_Key] = set()
        # (at, action, kind, school, id, old, new, purpose, fields), until commit
        self._pending: list[_Pending] = []
        # (school, kind, id) whose entries' purposes a purge blanks at commit
        self._redact: set[tuple[str, str, str]] = set()

    # ------------------------------------------------------------------ transaction

    def __enter__(self) -> MemoryUnitOfWork:
        if self._open:
            raise LiushouError("this unit of work is already open")
        self.store._check_open()
        if self.readonly:
            self._snapshot = self._db.state
        else:
            self._acquire()
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._open = False

    def _acquire(self) -> None:
        if self._locked:
            return
        if self._db.writer == threading.get_ident():
            raise LiushouError(
                "another unit of work that writes is open on this thread; "
                "finish it before starting a new one"
            )
        if not self._db.lock.acquire(timeout=self.store.timeout):
            raise LiushouError(
                f"{self.store!r} is busy: another unit of work kept the write lock "
                f"for {self.store.timeout:g} s"
            )
        self._db.writer = threading.get_ident()
        self._locked = True

    def _release(self) -> None:
        self._buckets = None
        self._counties = None
        self._copied = set()
        self._pending = []
        self._redact = set()
        if self._locked:
            self._locked = False
            self._db.writer = None
            self._db.lock.release()

    def commit(self) -> None:
        """Make the writes (and recorded reads) so far visible to every other unit of work."""
        self._require()
        db = self._db
        with db.audit_lock:
            if self._buckets is not None and self._counties is not None:
                db.state = _State(self._buckets, self._counties)
            if self._redact:
                db.audit[:] = [
                    attrs.evolve(e, purpose=PURGED_PURPOSE)
                    if (e.school_id, e.kind, e.record_id) in self._redact
                    else e
                    for e in db.audit
                ]
            seq = db.audit[-1].seq if db.audit else 0
            db.audit.extend(
                AuditEntry(seq + i, at, self.actor, action, kind, sid, rid, old, new, why, fields)
                for i, (at, action, kind, sid, rid, old, new, why, fields) in enumerate(
                    self._pending, 1
                )
            )
        self._release()
        self._snapshot = None

    def rollback(self) -> None:
        """Undo the writes since the last commit."""
        self._release()
        self._snapshot = None

    def _require(self) -> None:
        if not self._open:
            raise LiushouError("use the unit of work in a with block")

    def redact_audit(self, keys: Iterable[tuple[str, str, str]]) -> int:
        """Blank (to :data:`~liushou_core.privacy.PURGED_PURPOSE`) the purpose of the
        committed audit entries of these records, ``(school_id, kind, id)``, at commit.

        The one change the trail allows, for a purge: the purpose is free text
        that may name the child. Returns how many entries it will change.
        """
        self._work()
        wanted = {(sid, kind, rid) for sid, kind, rid in keys}
        self._redact |= wanted
        with self._db.audit_lock:
            return sum(
                1
                for e in self._db.audit
                if (e.school_id, e.kind, e.record_id) in wanted and e.purpose != PURGED_PURPOSE
            )

    def _view(self) -> tuple[Mapping[_Key, Mapping[str, Any]], Mapping[str, str]]:
        self._require()
        if self._buckets is not None and self._counties is not None:
            return self._buckets, self._counties
        state = self._snapshot or self._db.state
        return state.buckets, state.counties

    def _work(self) -> tuple[dict[_Key, dict[str, Any]], dict[str, str]]:
        """The working copy, made at the first write of a transaction."""
        self._require()
        if self.readonly:
            raise LiushouError("this unit of work is read-only")
        self._acquire()
        if self._buckets is None or self._counties is None:
            state = self._db.state
            self._buckets = cast(dict[_Key, dict[str, Any]], dict(state.buckets))
            self._counties = dict(state.counties)
        return self._buckets, self._counties

    def _bucket(self, key: _Key) -> dict[str, Any]:
        buckets, _ = self._work()
        if key not in self._copied:
            buckets[key] = dict(buckets.get(key, {}))
            self._copied.add(key)
        return buckets[key]

    def _audit(
        self,
        action: str,
        kind: str,
        sid: str,
        rid: str,
        old: int | None,
        new: int | None,
        fields: tuple[str, ...],
        purpose: str | None = None,
    ) -> None:
        at = self.store.clock().replace(microsecond=0)
        why = self.purpose if purpose is None else purpose
        self._pending.append((at, action, kind, sid, rid, old, new, why, fields))

    @staticmethod
    def _school_missing(sid: str) -> NotFound:
        return NotFound(f"school {sid} is not stored: add its School record first")

    # ------------------------------------------------------------------ writes

    def add(self, record: T) -> T:
        """Insert a new record; the returned copy has version 1.

        Raises :class:`ConflictError` if a record of that kind and id already
        exists in the school, :class:`NotFound` if its school is not stored.
        """
        return self.add_all([record])[0]

    def add_all(self, records: Iterable[T]) -> builtins.list[T]:
        """Insert many records at once (all or none); the copies have version 1.

        Schools in the batch are stored first, so a school and its classes,
        children and staff can go in one call.
        """
        fresh: builtins.list[T] = []
        keyed: builtins.list[tuple[str, str, str, Any]] = []
        for record in records:
            kind = kind_of(type(record))
            new = with_version(record, 1)
            fresh.append(new)
            keyed.append((school_id_of(new), kind, str(cast(Any, new).id), new))
        if not keyed:
            return fresh
        buckets, counties = self._work()
        # check everything first: a failed batch writes nothing
        schools = [(sid, new.county_code) for sid, _, _, new in keyed if isinstance(new, School)]
        school_ids = [sid for sid, _ in schools]
        if any(sid in counties for sid in school_ids) or len(set(school_ids)) < len(school_ids):
            raise self._duplicates(
                [(sid, "school", sid) for sid in school_ids],
                lambda key: key[0] in counties,
            )
        after = {**counties, **dict(schools)}
        for sid, *_ in keyed:
            if sid not in after:
                raise self._school_missing(sid)
        keys = [(sid, kind, rid) for sid, kind, rid, _ in keyed]
        if len(set(keys)) < len(keys) or any(
            rid in buckets.get((sid, kind), {}) for sid, kind, rid in keys
        ):
            raise self._duplicates(keys, lambda key: key[2] in buckets.get(key[:2], {}))
        counties.update(schools)
        for sid, kind, rid, new in keyed:
            self._bucket((sid, kind))[rid] = new
            self._audit("add", kind, sid, rid, None, 1, written_fields(type(new)))
        return [_clone(r) for r in fresh]

    @staticmethod
    def _duplicates(
        keys: Sequence[tuple[str, str, str]], stored: Callable[[tuple[str, str, str]], bool]
    ) -> ConflictError:
        seen: set[tuple[str, str, str]] = set()
        dupes: set[tuple[str, str, str]] = set()
        for key in keys:
            if key in seen or stored(key):
                dupes.add(key)
            seen.add(key)
        names = [f"{kind} {rid} of school {sid}" for sid, kind, rid in sorted(dupes)]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return ConflictError(f"already stored, nothing was added: {shown}")

    def _stored(self, kind: str, sid: str, rid: str, version: int) -> None:
        """Check the stored record has ``version``: NotFound or ConflictError if not."""
        buckets, _ = self._view()
        current = buckets.get((sid, kind), {}).get(rid)
        if current is None:
            raise NotFound(f"{kind} {rid} of school {sid} is not stored")
        if current.version != version:
            raise ConflictError(
                f"{kind} {rid} of school {sid} was changed by someone else: your copy has "
                f"version {version}, the stored one {current.version}; reload it and try again"
            )

    def update(self, record: T) -> T:
        """Replace a stored record; the returned copy's version is one higher.

        ``record.version`` must equal the stored version, else
        :class:`ConflictError` is raised and nothing is written.
        """
        kind = kind_of(type(record))
        sid = school_id_of(record)
        rid = str(cast(Any, record).id)
        old = int(cast(Any, record).version)
        new = with_version(record, old + 1)
        _, counties = self._work()
        if sid not in counties:
            raise self._school_missing(sid)
        self._stored(kind, sid, rid, old)
        if isinstance(new, School):
            counties[sid] = new.county_code
        bucket = self._bucket((sid, kind))
        changed = changed_fields(type(new), _attributes(bucket[rid]), _attributes(new))
        bucket[rid] = new
        self._audit("update", kind, sid, rid, old, old + 1, changed)
        return _clone(new)

    def delete(self, cls: type, school_id: str, id: str, version: int) -> None:
        """Delete a record whose stored version is ``version``.

        Raises :class:`ConflictError` for a stale version (or a school that still
        has records) and :class:`NotFound` for a record that is not stored.
        """
        kind = kind_of(cls)
        buckets, counties = self._work()
        if school_id not in counties:
            raise self._school_missing(school_id)
        self._stored(kind, school_id, id, version)
        if cls is School:
            if any(
                rows for (sid, k), rows in buckets.items() if sid == school_id and k != "school"
            ):
                raise ConflictError(f"school {school_id} still has records: delete them first")
            del counties[school_id]
        del self._bucket((school_id, kind))[id]
        self._audit("delete", kind, school_id, id, version, None, written_fields(cls))

    # ------------------------------------------------------------------ audited reads

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

        The entry is published at :meth:`commit`, with the writes (a read-only
        unit of work too), and dropped by a rollback. ``purpose`` defaults to
        the unit of work's; the entry's versions are the stored version.

        :raises NotFound: the record is not stored (as this unit of work sees it).
        :raises ValueError: a name in ``fields`` is not a field of ``cls``.
        """
        kind = kind_of(cls)
        shown = read_fields(cls, fields)
        buckets, _ = self._view()
        record = buckets.get((school_id, kind), {}).get(id)
        if record is None:
            raise NotFound(f"{kind} {id} of school {school_id} is not stored")
        version = record.version
        self._audit("read", kind, school_id, id, version, version, shown, purpose or self.purpose)

    # ------------------------------------------------------------------ reads

    def get(self, cls: type[T], school_id: str, id: str) -> T:
        """The stored record, or :class:`NotFound`."""
        kind = kind_of(cls)
        buckets, _ = self._view()
        record = buckets.get((school_id, kind), {}).get(id)
        if record is None:
            raise NotFound(f"{kind} {id} of school {school_id} is not stored")
        return cast(T, _clone(record))

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
        """The school's records of ``cls``, by id, that meet every condition.

        Same queries as :meth:`SqliteUnitOfWork.list
        <liushou_adapters.storage.sqlite.SqliteUnitOfWork.list>`: equality on
        simple fields, membership in tuple-of-text fields, ``since``/``until``
        on the kind's date field.
        """
        conditions = plan_query(cls, since=since, until=until, filters=filters)
        buckets, _ = self._view()
        rows = buckets.get((school_id, kind_of(cls)), {})
        return [
            cast(T, _clone(rows[rid]))
            for rid in sorted(rows)
            if not conditions or _matches(rows[rid], conditions)
        ]

    def count(self, cls: type, school_id: str) -> int:
        """How many records of ``cls`` the school has."""
        buckets, _ = self._view()
        return len(buckets.get((school_id, kind_of(cls)), {}))

    def schools(self, *, county_code: str | None = None) -> builtins.list[School]:
        """Every stored school, or those of one county, ordered by id."""
        buckets, counties = self._view()
        return [
            _clone(buckets[(sid, "school")][sid])
            for sid in sorted(counties)
            if county_code is None or counties[sid] == county_code
        ]


@hookimpl
def liushou_storage_backends() -> builtins.list[StorageBackend]:
    """The memory backend: ``memory://`` and ``memory://name``."""
    return [
        StorageBackend(
            name="memory",
            schemes=("memory",),
            open=MemoryStore.from_url,
            description="in this process, for tests and small tools: memory:// or memory://name",
        )
    ]


if TYPE_CHECKING:  # the store satisfies the port (checked by mypy)

    def _conforms(store: MemoryStore) -> Store:
        return store

    def _conforms_uow(uow: MemoryUnitOfWork) -> UnitOfWork:
        return uow
