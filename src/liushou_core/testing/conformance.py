"""The conformance suite every Store adapter must pass.

It checks an implementation of :class:`liushou_core.ports.Store` against a
plain in-memory model: a Hypothesis stateful test
(:class:`~hypothesis.stateful.RuleBasedStateMachine`) runs random sequences of
adds, batch adds (with duplicates: nothing written), updates with the current
and with stale versions, deletes, reads and queries (by field, membership in a
tuple field, date range), counts, school listings, audited reads
(``record_read``, committed or not, in read-only and writing units of work),
audit trail queries and rolled-back units of work, and after every step
compares the store's contents and its audit trail with the model's. A few
plain tests check the same rules on fixed examples, so that a failure is easy
to read.

A deployer checks their own store in three lines (pytest collects the
inherited tests)::

    from liushou_core.testing.conformance import StoreConformance

    class TestMyStore(StoreConformance):
        def make_store(self):
            return MyStore(...)

``make_store`` is called for every example and must return a new, empty
store; :meth:`StoreConformance.fresh_path` gives a new file path in the
test's temporary directory for stores kept in files. Class attributes tune the
run (``max_examples``, ``stateful_step_count``, ``kinds``).

Without classes: :func:`run_conformance(factory) <run_conformance>`, the
state machine itself (:func:`store_state_machine`), or the ``check_*``
functions, each taking a ``factory`` returning a new empty store. The
``test_*`` functions of this module take a pytest fixture named
``store_factory``; import them into a test module that defines it.

What a store must do (the contract of :mod:`liushou_core.ports`):

* ``add``/``add_all`` store version 1 and return the stored copies; a record
  whose school is not stored raises :class:`~liushou_core.errors.NotFound`;
  an id already stored (or repeated in the batch) raises
  :class:`~liushou_core.errors.ConflictError`; a failing batch writes nothing;
* ``update`` needs the stored version, returns version + 1, raises
  ``ConflictError`` on a stale version and ``NotFound`` for a missing record;
  ``delete`` likewise; a school that still has records cannot be deleted;
* a failed write leaves nothing behind and the unit of work usable; leaving a
  unit of work without ``commit`` (or after ``rollback``) undoes its writes;
  after ``commit`` it may go on;
* ``list`` orders by id and filters by equality, by membership for tuples of
  text, and by ``since``/``until`` on the kind's date field (``ValueError``
  for a kind without one, or an unknown field); ``count``; ``schools``;
* every successful write appends one audit entry (action, kind, school,
  record id, old and new version, actor, purpose, fields) in the same
  transaction, in order; rolled back and failed writes leave none. ``fields``
  is every field but ``version`` for an add or delete, the fields whose value
  changed for an update, in the model's order;
* ``record_read(cls, school_id, id, fields=..., purpose=...)`` appends a
  ``read`` entry (fields in the model's order, each once; versions both the
  stored one; purpose the unit of work's unless given), in a read-only unit
  of work too; it is kept only if the unit of work commits, changes no
  version, and raises ``NotFound`` for a record that is not stored and
  ``ValueError`` for a name that is not a field (writing nothing);
* ``audit_trail`` gives the committed entries oldest first, filtered by
  ``school_id``, ``kind`` (a name or a class), ``record_id`` and ``action``
  (``ValueError`` for an unknown kind or action), and nothing done through
  its result changes it;
* a lookup by a sensitive field gives the same answer whether the store
  encrypts it or not (``uow.list(Child, "S1", id_number=...)``:
  :func:`check_lookup_by_sensitive_fields`);
* a purge (:func:`liushou_core.services.purge_child`) works on it: the unit
  of work has ``redact_audit(keys)``, which blanks the purposes of the audit
  entries of those records (to :data:`~liushou_core.privacy.PURGED_PURPOSE`,
  the only change the trail allows) and is kept or dropped with the unit of
  work; after a purge nothing stored names the child (:func:`check_purge`).

This module needs Hypothesis and pytest (test dependencies); ``liushou_core``
itself never imports it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from liushou_core.errors import ConflictError, LiushouError, NotFound
from liushou_core.models import (
    ENTITIES,
    AwayPeriod,
    Child,
    Consent,
    ContactEvent,
    ContactKind,
    DiaryEntry,
    Pairing,
    Parent,
    ParentRole,
    Relationship,
    School,
    SchoolClass,
    Sex,
    Teacher,
)
from liushou_core.ports import (
    AUDIT_ACTIONS,
    DATE_FIELDS,
    RECORD_KINDS,
    AuditEntry,
    Store,
    kind_of,
)
from liushou_core.testing import strategies as lst

__all__ = [
    "COUNTY_CODES",
    "DEFAULT_KINDS",
    "SCHOOL_IDS",
    "StoreConformance",
    "StoreFactory",
    "check_audit_fields",
    "check_audit_trail_cannot_be_changed",
    "check_audit_trail_filters",
    "check_every_kind_round_trips",
    "check_failed_write_keeps_the_unit_of_work_usable",
    "check_lookup_by_sensitive_fields",
    "check_purge",
    "check_queries",
    "check_readonly_refuses_writes",
    "check_record_read",
    "check_rollback",
    "check_stale_versions_conflict",
    "run_conformance",
    "store_state_machine",
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

#: A function returning a new, empty store.
StoreFactory = Callable[[], Store]

#: The two schools the state machine works in, and the counties they may be in.
SCHOOL_IDS: tuple[str, str] = ("S1", "S2")
COUNTY_CODES: tuple[str, str] = ("431121", "522422")
#: Record kinds the state machine uses by default: every entity but School.
DEFAULT_KINDS: tuple[type, ...] = tuple(c for c in ENTITIES if c is not School)

_IDS = ("r1", "r2", "r3", "r4")  # few ids, so that adds collide
_REFS = ("x1", "x2", "x3")  # few references (class, mentor, child ids), so that filters match
_ACTORS = ("system", "班主任 王老师", "importer")
_PURPOSES = ("", "家访记录")
_READ_PURPOSES = ("", "个案会商")

# (action, kind, school_id, record_id, old_version, new_version, actor, purpose, fields)
_Audit = tuple[str, str, str, str, int | None, int | None, str, str, tuple[str, ...]]
_Key = tuple[str, str, str]  # (school_id, kind, id)


# ----------------------------------------------------------------------------- helpers


@contextmanager
def _raises(*errors: type[BaseException]) -> Iterator[None]:
    """Like ``pytest.raises``, for use inside the state machine."""
    try:
        yield
    except errors:
        return
    names = " or ".join(e.__name__ for e in errors)
    raise AssertionError(f"the store did not raise {names}")


def _audit_row(e: AuditEntry) -> _Audit:
    return (
        e.action,
        e.kind,
        e.school_id,
        e.record_id,
        e.old_version,
        e.new_version,
        e.actor,
        e.purpose,
        tuple(e.fields),
    )


def _names(cls: type) -> tuple[str, ...]:
    """Every field of ``cls``, in the model's order."""
    return tuple(f.name for f in attrs.fields(cls))


def _written(cls: type) -> tuple[str, ...]:
    """The ``fields`` of an add or delete: every field but ``version``."""
    return tuple(n for n in _names(cls) if n != "version")


def _changed(old: Any, new: Any) -> tuple[str, ...]:
    """The ``fields`` of an update: those whose value differs, ``version`` aside."""
    return tuple(n for n in _written(type(new)) if getattr(old, n) != getattr(new, n))


def _shown(cls: type, fields: Iterable[str]) -> tuple[str, ...]:
    """The ``fields`` of a read: the names given, in the model's order, each once."""
    wanted = set(fields)
    return tuple(n for n in _names(cls) if n in wanted)


def _school_of(record: Any) -> str:
    return record.id if isinstance(record, School) else str(record.school_id)


def _key(record: Any) -> _Key:
    return (_school_of(record), kind_of(type(record)), str(record.id))


def _evolve(record: Any, **changes: Any) -> Any:
    return attrs.evolve(record, **changes)


_SCALAR_TYPES = (str, int, float, bool, dt.date, Enum, type(None))


def _field_kind(tp: Any) -> str:
    """``scalar`` (filter by equality), ``texts`` (by membership) or ``other``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple:
        ok = len(args) == 2 and args[1] is Ellipsis and isinstance(args[0], type)
        return "texts" if ok and issubclass(args[0], str) else "other"
    if origin in (typing.Union, types.UnionType):
        return "scalar" if all(_field_kind(a) == "scalar" for a in args) else "other"
    if isinstance(tp, type) and issubclass(tp, _SCALAR_TYPES):
        return "scalar"
    return "other"


def _filterable(cls: type) -> dict[str, tuple[str, bool]]:
    """Field -> (``scalar`` or ``texts``, whether it may be None), for the fields
    ``list`` filters on (all but the school, which is ``list``'s own argument)."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in attrs.fields(cls):
        tp = hints[f.name]
        shape = _field_kind(tp)
        if shape != "other" and f.name != "school_id":
            out[f.name] = (shape, type(None) in typing.get_args(tp))
    return out


_FILTERABLE: dict[type, dict[str, tuple[str, bool]]] = {}


def _fields_of(cls: type) -> dict[str, tuple[str, bool]]:
    if cls not in _FILTERABLE:
        _FILTERABLE[cls] = _filterable(cls)
    return _FILTERABLE[cls]


@st.composite
def _records(draw: st.DrawFn, cls: type, school_ids: Sequence[str] = SCHOOL_IDS) -> Any:
    """A valid record of ``cls`` in one of the schools, with an id from a small
    pool and references (``class_id``, ``staff_ids``, ...) from another, so
    that adds collide and filters match several records."""
    record = draw(lst.from_model(cls))
    changes: dict[str, Any] = {
        "school_id": draw(st.sampled_from(school_ids)),
        "id": draw(st.sampled_from(_IDS)),
        "version": draw(st.integers(0, 3)),  # a store ignores it on add
    }
    for f in attrs.fields(cls):
        if f.name in changes:
            continue
        value = getattr(record, f.name)
        if f.name.endswith("_id") and isinstance(value, str):
            changes[f.name] = draw(st.sampled_from(_REFS))
        elif f.name.endswith("_ids") and isinstance(value, tuple):
            size = min(len(value), 1)
            picked = draw(st.lists(st.sampled_from(_REFS), min_size=size, max_size=3, unique=True))
            changes[f.name] = tuple(picked)
    try:
        return _evolve(record, **changes)
    except ValueError:
        # a kind whose id is derived from its contents (a notice's from its
        # idempotency key) keeps the id it was drawn with
        del changes["id"]
        return _evolve(record, **changes)


def _with_id(record: Any, rid: str) -> Any | None:
    """``record`` with the id ``rid``, or ``None`` for a kind whose id is derived."""
    try:
        return _evolve(record, id=rid)
    except ValueError:
        return None


def _school(sid: str, county: str, name: str = "清溪中心小学") -> School:
    return School(id=sid, name=name, county_code=county)


# ----------------------------------------------------------------------------- the machine


class _StoreMachine(RuleBasedStateMachine):
    """Compares a store with a model: dicts of records and schools, a list of audit rows."""

    make_store: ClassVar[Callable[[], Store]]
    kinds: ClassVar[tuple[type, ...]] = DEFAULT_KINDS

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).make_store()
        self.records: dict[_Key, Any] = {}  # every stored record, schools included
        self.audit: list[_Audit] = []
        self.active: tuple[type, ...] = self.kinds  # the kinds this example uses

    def teardown(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ the model

    @property
    def schools(self) -> dict[str, School]:
        return {k[0]: r for k, r in self.records.items() if k[1] == "school"}

    def _has_records(self, sid: str) -> bool:
        return any(k[0] == sid and k[1] != "school" for k in self.records)

    def _stored(self, cls: type, sid: str) -> list[Any]:
        kind = kind_of(cls)
        found = [r for k, r in self.records.items() if k[0] == sid and k[1] == kind]
        return sorted(found, key=lambda r: r.id)

    def _row(
        self,
        action: str,
        record_key: _Key,
        old: int | None,
        new: int | None,
        fields: tuple[str, ...],
        purpose: str = "",
    ) -> _Audit:
        sid, kind, rid = record_key
        return (action, kind, sid, rid, old, new, self._actor, purpose or self._purpose, fields)

    def _uow(self, data: st.DataObject, *, readonly: bool = False) -> Any:
        self._actor = data.draw(st.sampled_from(_ACTORS), label="actor")
        self._purpose = data.draw(st.sampled_from(_PURPOSES), label="purpose")
        return self.store.unit_of_work(self._actor, purpose=self._purpose, readonly=readonly)

    def _draw_kind(self, data: st.DataObject) -> type:
        return data.draw(st.sampled_from(self.active), label="kind")

    def _draw_stored(self, data: st.DataObject, *, schools: bool = False) -> Any:
        keys = sorted(k for k in self.records if (k[1] == "school") == schools)
        return self.records[data.draw(st.sampled_from(keys), label="stored")]

    def _check_add_error(self, batch: Sequence[Any]) -> tuple[type[BaseException], ...]:
        """The errors an add of ``batch`` may raise (empty: it must succeed)."""
        errors: list[type[BaseException]] = []
        keys = [_key(r) for r in batch]
        if len(set(keys)) < len(keys) or any(k in self.records for k in keys):
            errors.append(ConflictError)
        schools = set(self.schools) | {r.id for r in batch if isinstance(r, School)}
        if any(_school_of(r) not in schools for r in batch):
            errors.append(NotFound)
        return tuple(errors)

    # ------------------------------------------------------------------ rules

    def _add(self, data: st.DataObject, batch: list[Any], *, single: bool = False) -> None:
        errors = self._check_add_error(batch)
        with self._uow(data) as uow:
            if errors:
                with _raises(*errors):
                    uow.add(batch[0]) if single else uow.add_all(batch)
            else:
                added = [uow.add(batch[0])] if single else uow.add_all(batch)
                assert added == [_evolve(r, version=1) for r in batch], "add returns the copies"
                for r in added:
                    assert uow.get(type(r), *_key(r)[::2]) == r, "a write is visible at once"
            uow.commit()
        if not errors:
            for r in batch:
                self.records[_key(r)] = _evolve(r, version=1)
                self.audit.append(self._row("add", _key(r), None, 1, _written(type(r))))

    def _batch(self, data: st.DataObject, min_size: int, max_size: int) -> list[Any]:
        return data.draw(
            st.lists(
                st.deferred(lambda: _records(self._draw_kind(data))),
                min_size=min_size,
                max_size=max_size,
            ),
            label="batch",
        )

    @initialize(data=st.data())
    def two_schools(self, data: st.DataObject) -> None:
        # A few kinds per example, so that a school holds several records of a
        # kind and queries have records to tell apart; every kind over the run.
        kinds = st.lists(st.sampled_from(self.kinds), min_size=1, max_size=3, unique=True)
        self.active = tuple(data.draw(kinds, label="kinds"))
        schools = [
            _evolve(
                data.draw(lst.schools(school_id=sid), label=f"school {sid}"),
                county_code=data.draw(st.sampled_from(COUNTY_CODES), label="county"),
            )
            for sid in SCHOOL_IDS
        ]
        self._add(data, schools)
        # start with some records, distinct keys: the rules then have work to do
        first = {_key(r): r for r in self._batch(data, 0, 6)}
        if first:
            self._add(data, list(first.values()))

    @rule(data=st.data())
    def add(self, data: st.DataObject) -> None:
        self._add(data, self._batch(data, 1, 1), single=True)

    @rule(data=st.data())
    def add_all(self, data: st.DataObject) -> None:
        batch = self._batch(data, 1, 5)
        if data.draw(st.booleans(), label="repeat one"):
            batch.append(data.draw(st.sampled_from(batch), label="repeated"))
        self._add(data, batch)

    @rule(data=st.data(), how=st.sampled_from(["current", "stale", "missing"]))
    def update(self, data: st.DataObject, how: str) -> None:
        """An update with the stored version, a stale one, or of a missing record."""
        if how == "missing" or not self.records:
            record = data.draw(_records(self._draw_kind(data)), label="record")
            if _key(record) not in self.records:
                with self._uow(data) as uow, _raises(NotFound):
                    uow.update(_evolve(record, version=1))
            return
        current = self.records[data.draw(st.sampled_from(sorted(self.records)), label="stored")]
        key = _key(current)
        if isinstance(current, School):
            new = _evolve(
                data.draw(lst.schools(school_id=current.id), label="new school"),
                county_code=data.draw(st.sampled_from(COUNTY_CODES), label="county"),
            )
        else:
            new = _evolve(data.draw(_records(type(current)), label="new"), school_id=key[0])
            new = _with_id(new, key[2]) or current
        new = _evolve(new, version=current.version)
        then_current = False
        with self._uow(data) as uow:
            if how == "stale":
                stale = data.draw(
                    st.integers(0, current.version + 3).filter(lambda v: v != current.version),
                    label="stale version",
                )
                with _raises(ConflictError):
                    uow.update(_evolve(new, version=stale))
                # the failed write left the unit of work usable
                then_current = data.draw(st.booleans(), label="then with the current version")
            if how == "current" or then_current:
                updated = uow.update(new)
                assert updated == _evolve(new, version=current.version + 1)
            uow.commit()
        if how == "current" or then_current:
            self.records[key] = updated
            changed = _changed(current, updated)
            self.audit.append(
                self._row("update", key, current.version, current.version + 1, changed)
            )

    @rule(data=st.data(), how=st.sampled_from(["current", "stale", "missing"]))
    def delete(self, data: st.DataObject, how: str) -> None:
        """A delete with the stored version, a stale one, or of a missing record."""
        others = sorted(k for k in self.records if k[1] != "school")
        if how == "missing" or not others:
            cls = self._draw_kind(data)
            sid = data.draw(st.sampled_from(SCHOOL_IDS), label="school")
            rid = data.draw(st.sampled_from(_IDS), label="id")
            if (sid, kind_of(cls), rid) not in self.records:
                with self._uow(data) as uow, _raises(NotFound):
                    uow.delete(cls, sid, rid, 1)
            return
        current = self.records[data.draw(st.sampled_from(others), label="stored")]
        sid, _, rid = key = _key(current)
        with self._uow(data) as uow:
            if how == "stale":
                with _raises(ConflictError):
                    uow.delete(type(current), sid, rid, current.version + 1)
            else:
                uow.delete(type(current), sid, rid, current.version)
                with _raises(NotFound):
                    uow.get(type(current), sid, rid)
            uow.commit()
        if how == "current":
            del self.records[key]
            self.audit.append(
                self._row("delete", key, current.version, None, _written(type(current)))
            )

    @precondition(lambda self: bool(self.schools))
    @rule(data=st.data())
    def delete_a_school(self, data: st.DataObject) -> None:
        school = self._draw_stored(data, schools=True)
        stale = data.draw(st.booleans(), label="stale")
        fails = stale or self._has_records(school.id)
        with self._uow(data) as uow:
            version = school.version + 1 if stale else school.version
            if fails:
                with _raises(ConflictError):
                    uow.delete(School, school.id, school.id, version)
            else:
                uow.delete(School, school.id, school.id, version)
            uow.commit()
        if not fails:
            del self.records[_key(school)]
            self.audit.append(
                self._row("delete", _key(school), school.version, None, _written(School))
            )

    @precondition(lambda self: len(self.schools) < len(SCHOOL_IDS))
    @rule(data=st.data())
    def add_a_school_again(self, data: st.DataObject) -> None:
        sid = next(s for s in SCHOOL_IDS if s not in self.schools)
        school = _school(sid, data.draw(st.sampled_from(COUNTY_CODES), label="county"))
        with self._uow(data) as uow:
            uow.add(school)
            uow.commit()
        self.records[_key(school)] = _evolve(school, version=1)
        self.audit.append(self._row("add", _key(school), None, 1, _written(School)))

    @rule(data=st.data())
    def get(self, data: st.DataObject) -> None:
        cls = data.draw(st.sampled_from((*self.active, School)), label="kind")
        sid = data.draw(st.sampled_from(SCHOOL_IDS), label="school")
        rid = sid if cls is School else data.draw(st.sampled_from(_IDS), label="id")
        expected = self.records.get((sid, kind_of(cls), rid))
        with self._uow(data, readonly=data.draw(st.booleans(), label="readonly")) as uow:
            if expected is None:
                with _raises(NotFound):
                    uow.get(cls, sid, rid)
            else:
                assert uow.get(cls, sid, rid) == expected

    def _check_a_query(self, data: st.DataObject, uow: Any) -> None:
        """Draw a query (filters from the stored values, a date range) and check it."""
        cls = self._draw_kind(data)
        sid = data.draw(st.sampled_from(SCHOOL_IDS), label="school")
        stored = self._stored(cls, sid)
        fields = _fields_of(cls)
        filters: dict[str, Any] = {}
        names = data.draw(
            st.lists(st.sampled_from(sorted(fields)), max_size=2, unique=True), label="fields"
        )
        for name in names:
            shape, nullable = fields[name]
            # values that some stored records have and others may not
            if shape == "texts":
                options = {v for r in stored for v in getattr(r, name)} | set(_REFS)
            else:
                options = {getattr(r, name) for r in stored} | ({None} if nullable else set())
            if options:
                ordered = sorted(options, key=lambda v: (v is not None, repr(v)))
                filters[name] = data.draw(st.sampled_from(ordered), label=name)
        since = until = None
        date_field = DATE_FIELDS.get(cls)
        if date_field is not None:
            days = sorted({getattr(r, date_field) for r in stored}) or [dt.date(2026, 9, 1)]
            pick = st.one_of(st.none(), st.sampled_from(days), lst.dates())
            since = data.draw(pick, label="since")
            until = data.draw(pick, label="until")

        def wanted(r: Any) -> bool:
            for name, value in filters.items():
                field = getattr(r, name)
                if fields[name][0] == "texts":
                    if value not in field:
                        return False
                elif field != value:
                    return False
            if date_field is not None:
                day = getattr(r, date_field)
                if (since is not None and day < since) or (until is not None and day > until):
                    return False
            return True

        expected = [r for r in stored if wanted(r)]
        got = uow.list(cls, sid, since=since, until=until, **filters)
        assert got == expected, f"list({cls.__name__}, {sid}, {since=}, {until=}, {filters})"

    @rule(data=st.data(), queries=st.integers(1, 4))
    def list_with_filters(self, data: st.DataObject, queries: int) -> None:
        with self._uow(data, readonly=True) as uow:
            for _ in range(queries):
                self._check_a_query(data, uow)
            undated = [c for c in (*self.kinds, School) if c not in DATE_FIELDS]
            check_undated: bool = data.draw(st.booleans(), label="since on an undated kind")
            if undated and check_undated:
                other = data.draw(st.sampled_from(undated), label="undated kind")
                with _raises(ValueError):
                    uow.list(other, SCHOOL_IDS[0], since=dt.date(2026, 9, 1))

    @rule(data=st.data())
    def schools_by_county(self, data: st.DataObject) -> None:
        county = data.draw(st.sampled_from((None, *COUNTY_CODES, "110101")), label="county")
        expected = [
            s for _, s in sorted(self.schools.items()) if county is None or s.county_code == county
        ]
        with self._uow(data, readonly=True) as uow:
            assert uow.schools(county_code=county) == expected

    @rule(data=st.data(), how=st.sampled_from(["leave", "raise", "rollback"]))
    def rollback(self, data: st.DataObject, how: str) -> None:
        """Writes in a unit of work that is not committed leave no trace."""
        fresh = [
            r
            for r in data.draw(
                st.lists(st.deferred(lambda: _records(self._draw_kind(data))), max_size=3),
                label="adds",
            )
            if not self._check_add_error([r])
        ]
        fresh = list({_key(r): r for r in fresh}.values())
        existing = [r for k, r in self.records.items() if k[1] != "school"]
        changed = data.draw(st.sampled_from(existing), label="update") if existing else None

        class Abandon(Exception):
            pass

        with suppress(Abandon), self._uow(data) as uow:
            for r in fresh:
                uow.add(r)
            if changed is not None:
                uow.update(changed)
                assert uow.get(type(changed), *_key(changed)[::2]).version == changed.version + 1
            if how == "raise":
                raise Abandon
            if how == "rollback":
                uow.rollback()
                uow.commit()  # nothing left to commit

    @precondition(lambda self: any(k[1] != "school" for k in self.records))
    @rule(data=st.data())
    def commit_then_go_on(self, data: st.DataObject) -> None:
        """After commit a unit of work may go on; what follows is undone if not committed."""
        first = self._draw_stored(data)
        second = self._draw_stored(data)
        with self._uow(data) as uow:
            updated = uow.update(first)
            uow.commit()
            if _key(second) == _key(first):
                second = updated
            uow.update(second)  # left without commit
            sid, _, rid = _key(second)
            uow.record_read(type(second), sid, rid, fields=("id",))  # so is this read
        self.records[_key(first)] = updated
        self.audit.append(self._row("update", _key(first), first.version, first.version + 1, ()))

    @rule(data=st.data(), how=st.sampled_from(["commit", "leave", "raise", "rollback"]))
    def read(self, data: st.DataObject, how: str) -> None:
        """``record_read``: entries with the fields shown, in order with the writes
        around them, kept only when the unit of work commits; a read changes no
        version; a missing record raises NotFound and records nothing."""
        readonly: bool = data.draw(st.booleans(), label="readonly")
        missing: bool = not self.records or data.draw(st.booleans(), label="missing")
        if missing:
            cls = data.draw(st.sampled_from((*self.active, School)), label="kind")
            sid = data.draw(st.sampled_from(SCHOOL_IDS), label="school")
            rid = sid if cls is School else data.draw(st.sampled_from(_IDS), label="id")
            if (sid, kind_of(cls), rid) in self.records:
                return
            with self._uow(data, readonly=readonly) as uow:
                with _raises(NotFound):
                    uow.record_read(cls, sid, rid, fields=("id",))
                uow.commit()
            return
        record = self.records[data.draw(st.sampled_from(sorted(self.records)), label="stored")]
        cls, key = type(record), _key(record)
        sid, _, rid = key
        names = _names(cls)
        pick = st.lists(st.sampled_from(names), max_size=5)
        reads = data.draw(
            st.lists(st.tuples(pick, st.sampled_from(_READ_PURPOSES)), min_size=1, max_size=3),
            label="reads",
        )
        # in a writing unit of work, maybe an update between the reads
        update_after: int | None = None
        if not readonly and len(reads) > 1 and data.draw(st.booleans(), label="update too"):
            update_after = data.draw(st.integers(0, len(reads) - 2), label="update after")

        class Abandon(Exception):
            pass

        rows: list[_Audit] = []
        current = record
        with suppress(Abandon), self._uow(data, readonly=readonly) as uow:
            for i, (fields, purpose) in enumerate(reads):
                # a list, a tuple or a generator of names, with repeats
                given = data.draw(st.sampled_from([list, tuple]), label="sequence type")(fields)
                uow.record_read(cls, sid, rid, fields=given, purpose=purpose)
                v = current.version
                rows.append(self._row("read", key, v, v, _shown(cls, fields), purpose))
                assert uow.get(cls, sid, rid) == current, "a read changes nothing"
                if i == update_after:
                    updated = uow.update(current)
                    rows.append(self._row("update", key, v, v + 1, ()))
                    current = updated
            if how == "raise":
                raise Abandon
            if how == "rollback":
                uow.rollback()
                uow.commit()  # nothing left to commit
            if how == "commit":
                uow.commit()
        if how == "commit":
            self.records[key] = current
            self.audit.extend(rows)

    @rule(data=st.data())
    def query_the_audit_trail(self, data: st.DataObject) -> None:
        """``audit_trail`` filtered by school, kind (name or class), record and action."""
        keys = sorted({(a[2], a[1], a[3]) for a in self.audit})
        sid = data.draw(st.sampled_from((None, *SCHOOL_IDS)), label="school_id")
        kinds = sorted({k for _, k, _ in keys}) or ["child"]
        kind: str | None = data.draw(st.sampled_from((None, *kinds)), label="kind")
        rids = sorted({r for _, _, r in keys}) or ["r1"]
        rid = data.draw(st.sampled_from((None, *rids, "nobody")), label="record_id")
        action = data.draw(st.sampled_from((None, *AUDIT_ACTIONS)), label="action")
        as_class = kind is not None and data.draw(st.booleans(), label="kind as a class")
        got = self.store.audit_trail(
            school_id=sid,
            kind=RECORD_KINDS[kind] if as_class and kind is not None else kind,
            record_id=rid,
            action=action,
        )
        expected = [
            a
            for a in self.audit
            if (sid is None or a[2] == sid)
            and (kind is None or a[1] == kind)
            and (rid is None or a[3] == rid)
            and (action is None or a[0] == action)
        ]
        assert [_audit_row(e) for e in got] == expected, f"{sid=} {kind=} {rid=} {action=}"

    # ------------------------------------------------------------------ invariants

    @invariant()
    def contents_equal_the_model(self) -> None:
        with self.store.unit_of_work("conformance", readonly=True) as uow:
            for sid in SCHOOL_IDS:
                for cls in (*self.active, School):
                    expected = self._stored(cls, sid)
                    got: list[Any] = uow.list(cls, sid)
                    assert got == expected, f"{cls.__name__} of {sid}: {got} != {expected}"
                    assert uow.count(cls, sid) == len(expected)
            assert uow.schools() == [s for _, s in sorted(self.schools.items())]

    @invariant()
    def audit_rows_equal_the_operations(self) -> None:
        trail = self.store.audit_trail()
        assert [_audit_row(e) for e in trail] == self.audit
        # nothing done to what audit_trail() returns changes the trail
        if trail:
            with _raises(attrs.exceptions.FrozenInstanceError, AttributeError, TypeError):
                trail[-1].actor = "mallory"  # type: ignore[misc]
        if isinstance(trail, list):
            trail.clear()
        trail = self.store.audit_trail()
        assert [_audit_row(e) for e in trail] == self.audit
        seqs = [e.seq for e in trail]
        assert seqs == sorted(set(seqs)), "audit entries are in order, each once"
        assert all(isinstance(e.at, dt.datetime) for e in trail)
        for sid in SCHOOL_IDS:
            mine = [_audit_row(e) for e in self.store.audit_trail(school_id=sid)]
            assert mine == [a for a in self.audit if a[2] == sid]


def store_state_machine(
    factory: StoreFactory, *, kinds: Iterable[type] | None = None
) -> type[RuleBasedStateMachine]:
    """The conformance state machine for stores made by ``factory``.

    ``factory()`` must return a new, empty store each time (one per example);
    the machine closes it at the end. ``kinds`` restricts the record kinds
    used (default :data:`DEFAULT_KINDS`). Run it with
    :func:`hypothesis.stateful.run_state_machine_as_test`, or expose its
    ``TestCase`` to unittest/pytest, or use :func:`run_conformance`.
    """
    attributes: dict[str, Any] = {"make_store": staticmethod(factory)}
    if kinds is not None:
        chosen = tuple(kinds)
        for cls in chosen:
            kind_of(cls)  # a stored record kind, or TypeError
        if School in chosen:
            raise ValueError("School is always used; pass the other kinds")
        attributes["kinds"] = chosen
    return type("StoreStateMachine", (_StoreMachine,), attributes)


#: Steps per example unless the caller or the Hypothesis profile says otherwise.
DEFAULT_STEPS = 30


def run_conformance(
    factory: StoreFactory,
    *,
    max_examples: int | None = None,
    stateful_step_count: int | None = None,
    kinds: Iterable[type] | None = None,
) -> None:
    """Run the conformance state machine on stores made by ``factory``.

    ``max_examples`` defaults to the current Hypothesis profile's;
    ``stateful_step_count`` to :data:`DEFAULT_STEPS`. Raises (with the
    shortest failing sequence of steps) when the store differs from the model.
    """
    machine = store_state_machine(factory, kinds=kinds)
    base = settings()
    run_state_machine_as_test(
        machine,
        settings=settings(
            base,
            max_examples=max_examples or base.max_examples,
            stateful_step_count=stateful_step_count or DEFAULT_STEPS,
            deadline=None,
            suppress_health_check=[
                *base.suppress_health_check,
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.filter_too_much,
            ],
        ),
    )


# ----------------------------------------------------------------------------- fixed examples


@contextmanager
def _opened(factory: StoreFactory) -> Iterator[Store]:
    store = factory()
    try:
        yield store
    finally:
        store.close()


def _seed(store: Store, *records: Any, actor: str = "tester") -> list[Any]:
    with store.unit_of_work(actor) as uow:
        out = uow.add_all([_school("S1", COUNTY_CODES[0]), *records])
        uow.commit()
    return out


def _child(cid: str, class_id: str | None = "k1") -> Child:
    return Child(
        id=cid,
        school_id="S1",
        name="李小花",
        sex=Sex.FEMALE,
        birth_date=dt.date(2016, 5, 4),
        class_id=class_id,
    )


def _event(eid: str, day: dt.date, staff: tuple[str, ...], children: tuple[str, ...]) -> Any:
    return ContactEvent(
        id=eid,
        school_id="S1",
        kind=ContactKind.TALK,
        date=day,
        child_ids=children,
        staff_ids=staff,
    )


def check_every_kind_round_trips(factory: StoreFactory, *, max_examples: int = 5) -> None:
    """A record of every kind comes back equal, version 1, then 2 after an update."""

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(records=st.tuples(*(_records(cls, ("S1",)) for cls in DEFAULT_KINDS)))
    def round_trip(records: tuple[Any, ...]) -> None:
        with _opened(factory) as store:
            _seed(store, *records)
            with store.unit_of_work("tester") as uow:
                for record in records:
                    got = uow.get(type(record), "S1", record.id)
                    assert got == _evolve(record, version=1)
                    assert uow.update(got) == _evolve(record, version=2)
                uow.commit()

    round_trip()


def check_stale_versions_conflict(factory: StoreFactory) -> None:
    """A stale update or delete raises ConflictError and writes nothing (audit included)."""
    with _opened(factory) as store:
        _, c = _seed(store, _child("c1"))
        with store.unit_of_work("teacher A") as uow:
            uow.update(_evolve(c, name="李小红"))
            uow.commit()
        before = [_audit_row(e) for e in store.audit_trail()]
        with store.unit_of_work("teacher B") as uow:
            with pytest.raises(ConflictError):
                uow.update(_evolve(c, name="李小兰"))  # still version 1
            with pytest.raises(ConflictError):
                uow.delete(Child, "S1", "c1", c.version)
            with pytest.raises(NotFound):
                uow.update(_evolve(_child("c9"), version=1))
            uow.commit()
        with store.unit_of_work("reader", readonly=True) as uow:
            got = uow.get(Child, "S1", "c1")
        assert (got.name, got.version) == ("李小红", 2)
        assert [_audit_row(e) for e in store.audit_trail()] == before


def check_rollback(factory: StoreFactory) -> None:
    """Leaving without commit, an exception, or rollback() undo the writes."""
    with _opened(factory) as store:
        _seed(store)
        before = [_audit_row(e) for e in store.audit_trail()]
        with store.unit_of_work("tester") as uow:
            uow.add(_child("c1"))
            assert uow.get(Child, "S1", "c1").version == 1  # visible inside

        def fail_halfway() -> None:
            with store.unit_of_work("tester") as uow:
                uow.add(_child("c2"))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail_halfway()
        with store.unit_of_work("tester") as uow:
            uow.add(_child("c3"))
            uow.rollback()
            uow.commit()
        with store.unit_of_work("reader", readonly=True) as uow:
            assert uow.list(Child, "S1") == []
        assert [_audit_row(e) for e in store.audit_trail()] == before


def check_failed_write_keeps_the_unit_of_work_usable(factory: StoreFactory) -> None:
    """A failed write (a duplicate in a batch) writes nothing; later writes still commit."""
    with _opened(factory) as store:
        _seed(store, _child("c1"))
        with store.unit_of_work("tester") as uow:
            with pytest.raises(ConflictError):
                uow.add_all([_child("c2"), _child("c1"), _child("c3")])
            with pytest.raises(ConflictError):
                uow.add_all([_child("c4"), _child("c4")])
            with pytest.raises(NotFound):
                uow.add(_evolve(_child("c5"), school_id="S9"))
            uow.add(_child("c6"))
            uow.commit()
        with store.unit_of_work("reader", readonly=True) as uow:
            assert [c.id for c in uow.list(Child, "S1")] == ["c1", "c6"]
        assert [(e.action, e.record_id) for e in store.audit_trail()] == [
            ("add", "S1"),
            ("add", "c1"),
            ("add", "c6"),
        ]


def check_readonly_refuses_writes(factory: StoreFactory) -> None:
    """A read-only unit of work refuses writes; a unit of work needs an actor."""
    with _opened(factory) as store:
        _seed(store)
        with store.unit_of_work("reader", readonly=True) as uow, pytest.raises(LiushouError):
            uow.add(_child("c1"))
        with pytest.raises(ValueError, match="actor"), store.unit_of_work(" "):
            pass
        with store.unit_of_work("reader", readonly=True) as uow:
            assert uow.list(Child, "S1") == []


def check_queries(factory: StoreFactory) -> None:
    """Queries by class, by mentor (membership), by date range, counts and schools."""
    day = dt.date(2026, 9, 1)
    records = [
        _school("S2", COUNTY_CODES[1]),
        SchoolClass(id="k1", school_id="S1", grade=3, name="三年级一班"),
        _child("c1", "k1"),
        _child("c2", "k2"),
        _child("c3", "k1"),
        _child("c4", None),
        Teacher(id="t7", school_id="S1", name="王老师", sex=Sex.FEMALE, class_ids=("k1", "k2")),
        Pairing(id="p1", school_id="S1", term_id="2026-autumn", child_id="c1", mentor_id="t7"),
        _event("e1", day, ("t7",), ("c1",)),
        _event("e2", day + dt.timedelta(days=7), ("t7", "t8"), ("c1", "c3")),
        _event("e3", day + dt.timedelta(days=14), ("t8",), ("c2",)),
    ]
    with _opened(factory) as store:
        _seed(store, *records)
        with store.unit_of_work("reader", readonly=True) as uow:

            def ids(cls: type, **query: Any) -> list[str]:
                found: list[Any] = uow.list(cls, "S1", **query)
                return [r.id for r in found]

            assert ids(Child) == ["c1", "c2", "c3", "c4"]
            assert ids(Child, class_id="k1") == ["c1", "c3"]
            assert ids(Child, class_id=None) == ["c4"]
            assert ids(Child, class_id="k1", sex=Sex.FEMALE, boarding=False) == ["c1", "c3"]
            assert ids(Child, birth_date=dt.date(2016, 5, 4)) == ["c1", "c2", "c3", "c4"]
            assert ids(Teacher, class_ids="k2") == ["t7"]
            assert ids(Teacher, class_ids="k9") == []
            assert ids(Pairing, mentor_id="t7", term_id="2026-autumn") == ["p1"]
            assert ids(ContactEvent, staff_ids="t7") == ["e1", "e2"]
            assert ids(ContactEvent, child_ids="c1", staff_ids="t8") == ["e2"]
            assert ids(ContactEvent, since=day + dt.timedelta(days=7)) == ["e2", "e3"]
            assert ids(ContactEvent, until=day + dt.timedelta(days=7)) == ["e1", "e2"]
            assert ids(ContactEvent, since=day, until=day) == ["e1"]
            assert ids(ContactEvent, since=day + dt.timedelta(days=1), until=day) == []
            assert ids(ContactEvent, staff_ids="t8", since=day + dt.timedelta(days=10)) == ["e3"]
            assert uow.list(Child, "S2") == []
            assert uow.count(Child, "S1") == 4
            assert uow.count(ContactEvent, "S2") == 0
            assert [s.id for s in uow.schools()] == ["S1", "S2"]
            assert [s.id for s in uow.schools(county_code=COUNTY_CODES[1])] == ["S2"]
            assert uow.schools(county_code="110101") == []
            with pytest.raises(ValueError, match="klass"):
                uow.list(Child, "S1", klass="k1")
            with pytest.raises(ValueError):  # noqa: PT011 - the message is the store's
                uow.list(Child, "S1", since=day)


def check_audit_trail_cannot_be_changed(factory: StoreFactory) -> None:
    """The audit trail records who did what, and its readers cannot change it."""
    with _opened(factory) as store:
        _, c = _seed(store, _child("c1"))
        with store.unit_of_work("班主任 王老师", purpose="家访记录") as uow:
            uow.update(_evolve(c, name="李小红"))
            uow.delete(Child, "S1", "c1", 2)
            uow.commit()
        everything = _written(Child)
        expected = [
            ("add", "school", "S1", "S1", None, 1, "tester", "", _written(School)),
            ("add", "child", "S1", "c1", None, 1, "tester", "", everything),
            ("update", "child", "S1", "c1", 1, 2, "班主任 王老师", "家访记录", ("name",)),
            ("delete", "child", "S1", "c1", 2, None, "班主任 王老师", "家访记录", everything),
        ]
        trail = store.audit_trail()
        assert [_audit_row(e) for e in trail] == expected
        with pytest.raises((attrs.exceptions.FrozenInstanceError, AttributeError)):
            trail[0].actor = "mallory"  # type: ignore[misc]
        if isinstance(trail, list):
            trail.clear()
        assert [_audit_row(e) for e in store.audit_trail()] == expected
        assert [_audit_row(e) for e in store.audit_trail(school_id="S2")] == []


def check_audit_fields(factory: StoreFactory) -> None:
    """An add or delete names every field but version; an update the changed ones."""
    with _opened(factory) as store:
        _, c = _seed(store, _child("c1"))
        father = Parent(
            role=ParentRole.FATHER, name="李大山", away=(AwayPeriod(dt.date(2024, 2, 1)),)
        )
        with store.unit_of_work("班主任 王老师") as uow:
            c2 = uow.update(_evolve(c, boarding=True, name="李小红"))
            c3 = uow.update(c2)  # nothing changed: an entry, no fields
            c4 = uow.update(_evolve(c3, parents=(father,)))
            uow.delete(Child, "S1", "c1", c4.version)
            uow.commit()
        got = [(e.action, e.old_version, e.new_version, e.fields) for e in store.audit_trail()]
        everything = _written(Child)
        assert everything[:3] == ("id", "school_id", "name")
        assert "version" not in everything
        assert got == [
            ("add", None, 1, _written(School)),
            ("add", None, 1, everything),
            ("update", 1, 2, ("name", "boarding")),  # the model's order, not the call's
            ("update", 2, 3, ()),
            ("update", 3, 4, ("parents",)),
            ("delete", 4, None, everything),
        ]


def check_record_read(factory: StoreFactory) -> None:
    """record_read: entries in order with the writes, in read-only units of work too;
    kept only on commit; no version changes; refusals record nothing."""
    with _opened(factory) as store:
        _, c = _seed(store, _child("c1"))
        with store.unit_of_work("班主任 王老师", purpose="家访记录") as uow:
            uow.record_read(Child, "S1", "c1", fields=["class_id", "name", "class_id"])
            c2 = uow.update(_evolve(c, name="李小红"))
            uow.record_read(Child, "S1", "c1", fields=("name",), purpose="个案会商")
            uow.commit()
        with store.unit_of_work("心理老师", purpose="心理辅导", readonly=True) as uow:
            assert uow.get(Child, "S1", "c1") == c2
            uow.record_read(Child, "S1", "c1", fields=["psychological_flag", "health"])
            uow.record_read(School, "S1", "S1", fields=[])  # looked up, nothing shown
            uow.commit()
            assert uow.get(Child, "S1", "c1") == c2, "a read changes no version"
        with store.unit_of_work("mentor", readonly=True) as uow:
            uow.record_read(Child, "S1", "c1", fields=["name"])
            uow.commit()
            uow.record_read(Child, "S1", "c1", fields=["sex"])  # after commit: not kept
        for readonly in (False, True):
            with store.unit_of_work("gone", readonly=readonly) as uow:
                uow.record_read(Child, "S1", "c1", fields=["name"])  # left without commit
            with store.unit_of_work("gone", readonly=readonly) as uow:
                uow.record_read(Child, "S1", "c1", fields=["name"])
                uow.rollback()
                uow.commit()
            with suppress(RuntimeError), store.unit_of_work("gone", readonly=readonly) as uow:
                uow.record_read(Child, "S1", "c1", fields=["name"])
                raise RuntimeError("boom")
            with store.unit_of_work("refused", readonly=readonly) as uow:
                with pytest.raises(NotFound):
                    uow.record_read(Child, "S1", "c9", fields=["name"])
                with pytest.raises(NotFound):
                    uow.record_read(Child, "S9", "c1", fields=["name"])
                with pytest.raises(ValueError, match="nickname"):
                    uow.record_read(Child, "S1", "c1", fields=["name", "nickname"])
                with pytest.raises(ValueError, match="fields"):
                    uow.record_read(Child, "S1", "c1", fields="name")
                with pytest.raises(TypeError):
                    uow.record_read(Parent, "S1", "c1", fields=["name"])
                uow.commit()
        reads = [
            (e.actor, e.purpose, e.kind, e.record_id, e.old_version, e.new_version, e.fields)
            for e in store.audit_trail(action="read")
        ]
        assert reads == [
            ("班主任 王老师", "家访记录", "child", "c1", 1, 1, ("name", "class_id")),
            ("班主任 王老师", "个案会商", "child", "c1", 2, 2, ("name",)),
            ("心理老师", "心理辅导", "child", "c1", 2, 2, ("health", "psychological_flag")),
            ("心理老师", "心理辅导", "school", "S1", 1, 1, ()),
            ("mentor", "", "child", "c1", 2, 2, ("name",)),
        ]
        assert [e.action for e in store.audit_trail(kind=Child, record_id="c1")] == [
            "add",
            "read",
            "update",
            "read",
            "read",
            "read",
        ]
        with store.unit_of_work("reader", readonly=True) as uow:
            assert uow.get(Child, "S1", "c1").version == 2


def check_audit_trail_filters(factory: StoreFactory) -> None:
    """audit_trail by school, kind (name or class), record and action: who saw a child."""
    with _opened(factory) as store:
        with store.unit_of_work("tester") as uow:
            uow.add_all(
                [
                    _school("S1", COUNTY_CODES[0]),
                    _school("S2", COUNTY_CODES[1]),
                    _child("c1"),
                    _child("c2"),
                    _evolve(_child("c1"), school_id="S2"),
                    Teacher(id="c1", school_id="S1", name="王老师", sex=Sex.FEMALE),
                ]
            )
            uow.commit()
        with store.unit_of_work("mentor:t7", purpose="结对帮扶") as uow:
            uow.record_read(Child, "S1", "c1", fields=["name"])
            uow.record_read(Child, "S1", "c2", fields=["name"])
            uow.record_read(Child, "S2", "c1", fields=["name"])
            uow.record_read(Teacher, "S1", "c1", fields=["name"])
            uow.commit()

        def seen(**query: Any) -> list[tuple[str, str, str, str]]:
            return [
                (e.action, e.school_id, e.kind, e.record_id) for e in store.audit_trail(**query)
            ]

        assert seen(school_id="S1", kind=Child, record_id="c1") == [
            ("add", "S1", "child", "c1"),
            ("read", "S1", "child", "c1"),
        ]
        assert seen(school_id="S1", kind="child", record_id="c1", action="read") == [
            ("read", "S1", "child", "c1")
        ]
        assert seen(record_id="c1", action="read") == [
            ("read", "S1", "child", "c1"),
            ("read", "S2", "child", "c1"),
            ("read", "S1", "teacher", "c1"),
        ]
        assert seen(kind="teacher") == [
            ("add", "S1", "teacher", "c1"),
            ("read", "S1", "teacher", "c1"),
        ]
        assert seen(school_id="S2", action="add") == [
            ("add", "S2", "school", "S2"),
            ("add", "S2", "child", "c1"),
        ]
        assert seen(action="delete") == []
        assert seen(school_id="S3") == []
        with pytest.raises(ValueError, match="action"):
            store.audit_trail(action="peek")
        with pytest.raises(ValueError, match="kind"):
            store.audit_trail(kind="pupil")
        with pytest.raises(ValueError):  # noqa: PT011 - the message is the store's
            store.audit_trail(kind=Parent)


def check_lookup_by_sensitive_fields(factory: StoreFactory) -> None:
    """Children and staff are found by ID number (an encrypting store uses its blind
    index), and a diary by its text, as a plain store finds them."""
    first = "110105201605040202"
    second = "110105201605040210"
    with _opened(factory) as store:
        _seed(
            store,
            attrs.evolve(_child("c1"), id_number=first),
            attrs.evolve(_child("c2"), id_number=second),
            _child("c3"),
            Teacher("t1", "S1", "王老师", Sex.MALE, id_number=first),
            DiaryEntry("d1", "S1", "c1", "t1", dt.date(2026, 10, 1), text="今天很开心"),
        )
        with store.unit_of_work("tester", readonly=True) as uow:
            assert [c.id for c in uow.list(Child, "S1", id_number=first)] == ["c1"]
            assert [c.id for c in uow.list(Child, "S1", id_number=second)] == ["c2"]
            assert [c.id for c in uow.list(Child, "S1", id_number=None)] == ["c3"]
            assert uow.list(Child, "S1", id_number="110105201605040229") == []
            assert [t.id for t in uow.list(Teacher, "S1", id_number=first)] == ["t1"]
            assert [d.id for d in uow.list(DiaryEntry, "S1", text="今天很开心")] == ["d1"]
            assert uow.list(DiaryEntry, "S1", text="今天") == []


def check_purge(factory: StoreFactory) -> None:
    """A purge removes the child's records, keeps shared ones without the child, blanks
    the purposes of their audit entries and leaves ``delete`` tombstones; a dry run
    and a rolled-back ``redact_audit`` change nothing."""
    from liushou_core.privacy import PURGED_PURPOSE, SYSTEM, Actor, Role
    from liushou_core.services import purge_child

    name = "欧阳晓雯"
    child = attrs.evolve(_child("c1"), name=name, id_number="110105201605040202")
    other = _child("c2")
    records = (
        child,
        other,
        Pairing("p1", "S1", "T1", "c1", "t1", end=dt.date(2025, 1, 15)),
        DiaryEntry("d1", "S1", "c1", "t1", dt.date(2024, 10, 1), text=f"{name}很开心"),
        Consent("k1", "S1", "c1", "欧阳建国", Relationship.FATHER, dt.date(2024, 9, 1)),
        _event("e1", dt.date(2024, 10, 2), ("t1",), ("c1",)),
        attrs.evolve(
            _event("e2", dt.date(2024, 10, 3), ("t1",), ("c1", "c2")),
            summary=f"{name}和同学谈心",
        ),
    )
    with _opened(factory) as store:
        _seed(store, *records)
        with store.unit_of_work("班主任", purpose=f"给{name}的奶奶打电话") as uow:
            uow.record_read(Child, "S1", "c1", fields=("name",))
            uow.commit()
        before = [_audit_row(e) for e in store.audit_trail()]
        with store.unit_of_work("tester") as uow:
            assert hasattr(uow, "redact_audit"), "a unit of work needs redact_audit() for purges"
            assert uow.redact_audit([("S1", "child", "c1")]) == 2
            # left without commit: nothing changes
        assert [_audit_row(e) for e in store.audit_trail()] == before

        principal = Actor(Role.PRINCIPAL, "p1", schools=("S1",))
        on = dt.date(2026, 2, 1)
        plan = purge_child(store, principal, "S1", "c1", on=on).plan
        assert [_audit_row(e) for e in store.audit_trail()] == before  # a dry run
        assert sorted(plan.delete) == sorted(
            [("child", "c1"), ("pairing", "p1"), ("diary_entry", "d1"),
             ("consent", "k1"), ("contact_event", "e1")]
        )  # fmt: skip
        assert plan.scrub == (("contact_event", "e2"),)
        done = purge_child(store, principal, "S1", "c1", on=on, dry_run=False)
        assert done.deleted == 5
        assert done.scrubbed == 1

        with store.unit_of_work("tester", readonly=True) as uow:
            for kind, rid in plan.delete:
                with pytest.raises(NotFound):
                    uow.get(RECORD_KINDS[kind], "S1", rid)
            shared = uow.get(ContactEvent, "S1", "e2")
            assert shared.child_ids == ("c2",)
            assert name not in shared.summary
            assert uow.get(Child, "S1", "c2") == _evolve(other, version=1)
        trail = store.audit_trail()
        assert all(name not in e.purpose and name not in e.actor for e in trail)
        purged = {(kind, rid) for kind, rid in (*plan.delete, *plan.scrub)}
        tombstones = {(e.kind, e.record_id) for e in trail if e.action == "delete"}
        assert tombstones == set(plan.delete)
        old = [e for e in trail[: len(before)] if (e.kind, e.record_id) in purged]
        assert old
        assert all(e.purpose == PURGED_PURPOSE for e in old)
        new = trail[len(before) :]
        assert {e.purpose for e in new} == {"purge: retention period ended"}
        with pytest.raises(NotFound):
            purge_child(store, SYSTEM, "S1", "c1", on=on, dry_run=False)


# ----------------------------------------------------------------------------- pytest forms


def test_store_state_machine(store_factory: StoreFactory) -> None:
    """The stateful comparison with the model (see :func:`run_conformance`)."""
    run_conformance(store_factory)


def test_every_kind_round_trips(store_factory: StoreFactory) -> None:
    check_every_kind_round_trips(store_factory)


def test_stale_versions_conflict(store_factory: StoreFactory) -> None:
    check_stale_versions_conflict(store_factory)


def test_rollback(store_factory: StoreFactory) -> None:
    check_rollback(store_factory)


def test_failed_write_keeps_the_unit_of_work_usable(store_factory: StoreFactory) -> None:
    check_failed_write_keeps_the_unit_of_work_usable(store_factory)


def test_readonly_refuses_writes(store_factory: StoreFactory) -> None:
    check_readonly_refuses_writes(store_factory)


def test_queries(store_factory: StoreFactory) -> None:
    check_queries(store_factory)


def test_audit_trail_cannot_be_changed(store_factory: StoreFactory) -> None:
    check_audit_trail_cannot_be_changed(store_factory)


def test_audit_fields(store_factory: StoreFactory) -> None:
    check_audit_fields(store_factory)


def test_record_read(store_factory: StoreFactory) -> None:
    check_record_read(store_factory)


def test_audit_trail_filters(store_factory: StoreFactory) -> None:
    check_audit_trail_filters(store_factory)


def test_lookup_by_sensitive_fields(store_factory: StoreFactory) -> None:
    check_lookup_by_sensitive_fields(store_factory)


def test_purge(store_factory: StoreFactory) -> None:
    check_purge(store_factory)


class StoreConformance:
    """Subclass as ``Test...`` and define :meth:`make_store`; pytest runs the suite.

    Class attributes: ``max_examples`` and ``stateful_step_count`` for the
    state machine (default: the Hypothesis profile's examples,
    :data:`DEFAULT_STEPS` steps), ``kinds`` (default :data:`DEFAULT_KINDS`).
    Override :meth:`tamper_with_audit` to also check that your backend's raw
    access (SQL) cannot change the audit trail.
    """

    max_examples: ClassVar[int | None] = None
    stateful_step_count: ClassVar[int | None] = None
    kinds: ClassVar[tuple[type, ...] | None] = None

    tmp_path: Path
    _paths = itertools.count(1)

    def make_store(self) -> Store:
        """A new, empty store (called once per example)."""
        raise NotImplementedError("define make_store() in your subclass")

    def tamper_with_audit(self, store: Store) -> Iterable[Callable[[], object]]:
        """Attempts to change the audit trail behind the API, each of which must raise."""
        return ()

    @pytest.fixture(autouse=True)
    def _liushou_tmp_path(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def fresh_path(self, suffix: str = ".db") -> Path:
        """A new file path in this test's temporary directory."""
        return self.tmp_path / f"store-{next(self._paths)}{suffix}"

    def test_state_machine(self) -> None:
        run_conformance(
            self.make_store,
            max_examples=self.max_examples,
            stateful_step_count=self.stateful_step_count,
            kinds=self.kinds,
        )

    def test_every_kind_round_trips(self) -> None:
        check_every_kind_round_trips(self.make_store)

    def test_stale_versions_conflict(self) -> None:
        check_stale_versions_conflict(self.make_store)

    def test_rollback(self) -> None:
        check_rollback(self.make_store)

    def test_failed_write_keeps_the_unit_of_work_usable(self) -> None:
        check_failed_write_keeps_the_unit_of_work_usable(self.make_store)

    def test_readonly_refuses_writes(self) -> None:
        check_readonly_refuses_writes(self.make_store)

    def test_queries(self) -> None:
        check_queries(self.make_store)

    def test_audit_trail_cannot_be_changed(self) -> None:
        check_audit_trail_cannot_be_changed(self.make_store)

    def test_audit_fields(self) -> None:
        check_audit_fields(self.make_store)

    def test_record_read(self) -> None:
        check_record_read(self.make_store)

    def test_audit_trail_filters(self) -> None:
        check_audit_trail_filters(self.make_store)

    def test_lookup_by_sensitive_fields(self) -> None:
        check_lookup_by_sensitive_fields(self.make_store)

    def test_purge(self) -> None:
        check_purge(self.make_store)

    def test_audit_trail_refuses_raw_changes(self) -> None:
        with _opened(self.make_store) as store:
            _seed(store, _child("c1"))
            before = [_audit_row(e) for e in store.audit_trail()]
            for attempt in self.tamper_with_audit(store):
                with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal will do
                    attempt()
            assert [_audit_row(e) for e in store.audit_trail()] == before
