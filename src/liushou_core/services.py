"""Use cases: what a school person or a job asks liushou to do, on a given store.

Every call takes the :class:`~liushou_core.privacy.Actor` first: who acts, in
which role, for which schools and for what purpose. The services are pure: they
do no I/O of their own and read no clock; they work through the
:class:`~liushou_core.ports.Store` port they are given, inside one unit of work
per call, whose audit entries carry the actor's label and purpose.

Bulk import
    :func:`import_records` loads many records **all or nothing**. Every record is
    checked first, and if any is bad :class:`ImportRejected` names each bad
    record (its source row, or its place in the input) and each bad field, in
    Chinese and English, and nothing is written. Valid input is written in one
    unit of work, committed once.

    Importing is idempotent. A record whose kind, school and id are already
    stored is compared with the stored one, ignoring ``version``: an equal one
    is skipped (no write, no audit entry); a different one replaces the stored
    one (an update from the stored version, audited as such). So the imported
    file wins over what is stored, record by record, and importing the same
    file twice changes nothing the second time. The ``version`` of input
    records is ignored. To compare, the import reads the stored records of the
    kinds and schools it touches, in its own unit of work.

One child's record
    :func:`read_child` shows a child's record as the actor may see it
    (:func:`~liushou_core.privacy.view`: fields filtered and numbers masked by
    the access policy, from the actor's pairings and class on a given day),
    recording a ``read`` audit entry with the fields shown and committing it
    before returning. A refused read raises
    :class:`~liushou_core.privacy.FieldAccessDenied`, shows nothing and is not
    recorded as a read. :func:`update_child` writes a changed child only if
    :func:`~liushou_core.privacy.check_write` allows every changed field.

Example (``store`` is any :class:`~liushou_core.ports.Store`)::

    from liushou_core.models import School
    from liushou_core.privacy import SYSTEM
    from liushou_core.services import import_records

    rows = [{"id": "S1", "name": "清溪中心小学", "county_code": "431121"}]
    result = import_records(store, SYSTEM, rows, cls=School)   # result.added == 1
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import attrs

from liushou_core.convert import structure
from liushou_core.errors import (
    ConflictError,
    InvalidRecord,
    LiushouError,
    NotFound,
)
from liushou_core.i18n import N_, Message
from liushou_core.masking import mask_text
from liushou_core.models import ENTITIES, Child, Pairing, School, SchoolClass
from liushou_core.privacy import (
    DEFAULT_ACCESS_POLICY,
    AccessPolicy,
    Actor,
    FieldAccessDenied,
    Relation,
    View,
    check_write,
    relation_to,
    view,
)

if TYPE_CHECKING:
    from liushou_core.ports import Store, UnitOfWork
    from liushou_core.synth import SyntheticSchool

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_BATCH_SIZE",
    "BadRecord",
    "ImportCounts",
    "ImportRejected",
    "ImportResult",
    "Progress",
    "import_records",
    "load_school",
    "read_child",
    "update_child",
]

#: Records per ``add_all`` call (and per progress report) by default.
DEFAULT_BATCH_SIZE: Final = 1000

#: How often :func:`import_records` runs its unit of work when it meets a conflict.
DEFAULT_ATTEMPTS: Final = 3

#: ``progress(done, total)``: called as an import advances (see :func:`import_records`).
Progress: TypeAlias = Callable[[int, int], None]

#: How many bad records ``str(ImportRejected)`` lists before "and N more".
_SHOWN: Final = 20

_ENTITIES: Final = frozenset(ENTITIES)


# --------------------------------------------------------------------------- results


@attrs.frozen
class ImportCounts:
    """What an import did with the records of one kind."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


@attrs.frozen
class ImportResult:
    """What :func:`import_records` did: records added, updated and left unchanged.

    ``by_kind`` maps a record class name (``"Child"``) to its counts, in the
    order the kinds first appeared in the input; ``schools`` lists the ids of
    the schools the import touched, sorted.
    """

    added: int
    updated: int
    unchanged: int
    by_kind: Mapping[str, ImportCounts] = attrs.field(factory=dict)
    schools: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Records in the input."""
        return self.added + self.updated + self.unchanged

    @property
    def written(self) -> int:
        """Records written (added or updated)."""
        return self.added + self.updated


@attrs.frozen
class BadRecord:
    """One rejected input record and everything wrong with it.

    ``index`` is its place in the input (from 0); ``source`` the caller's row
    number or label for it (``None`` when none was given); ``kind`` its record
    class name (empty when unknown); ``problems`` the ``(path, message)`` pairs,
    paths as in :class:`~liushou_core.errors.InvalidRecord` (``$.guardians[0].phone``).
    """

    index: int
    source: int | str | None
    kind: str
    problems: tuple[tuple[str, Message], ...]

    def where(self, lang: str = "zh") -> str:
        """Where the record came from: ``第137行`` / ``row 137``, or ``record 5``."""
        if isinstance(self.source, str):
            return self.source
        if self.source is not None:
            return Message("IMPORT_ROW", N_("row {row}"), {"row": self.source}).render(lang)
        return Message("IMPORT_RECORD", N_("record {number}"), {"number": self.index + 1}).render(
            lang
        )

    def render(self, lang: str = "zh") -> list[str]:
        """Each problem as ``where path: message`` in ``lang``, numbers masked."""
        where = self.where(lang)
        return [f"{where} {path}: {mask_text(m.render(lang))}" for path, m in self.problems]


class ImportRejected(LiushouError, ValueError):
    """An import with bad records: nothing was written.

    ``records`` lists every bad record (:class:`BadRecord`) in input order, and
    ``total`` the number of records in the input. ``problems`` gives each
    problem as ``(where, path, message)`` in English, numbers masked, such as
    ``("row 137", "$.guardians[0].phone", "not a mainland phone number")``;
    :meth:`render` gives the same in Chinese (the default) or English.
    """

    records: tuple[BadRecord, ...]
    total: int

    def __init__(self, records: Iterable[BadRecord], total: int) -> None:
        self.records = tuple(records)
        self.total = total
        super().__init__(self._summary())

    @property
    def problems(self) -> list[tuple[str, str, str]]:
        return [
            (r.where("en"), path, mask_text(m.render("en")))
            for r in self.records
            for path, m in r.problems
        ]

    @property
    def rows(self) -> list[int | str]:
        """The source (or, without one, the 1-based place) of each bad record."""
        return [r.source if r.source is not None else r.index + 1 for r in self.records]

    def headline(self, lang: str = "zh") -> str:
        return Message(
            "IMPORT_REJECTED",
            N_("import rejected, nothing was written: {bad} of {total} records are invalid"),
            {"bad": len(self.records), "total": self.total},
        ).render(lang)

    def render(self, lang: str = "zh") -> list[str]:
        """The headline, then every problem as ``where path: message``, in ``lang``."""
        return [self.headline(lang), *(line for r in self.records for line in r.render(lang))]

    def _summary(self) -> str:
        lines = [self.headline("en")]
        for r in self.records[:_SHOWN]:
            lines.extend(f"  {line}" for line in r.render("en"))
        if len(self.records) > _SHOWN:
            lines.append(f"  ... and {len(self.records) - _SHOWN} more bad records")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ImportRejected, (self.records, self.total))


# --------------------------------------------------------------------------- import


@attrs.define
class _Item:
    index: int
    source: int | str | None
    cls: type
    data: Any
    record: Any = None
    key: tuple[type, str, str] = (object, "", "")  # kind, school and id, once built
    problems: list[tuple[str, Message]] = attrs.field(factory=list)

    @property
    def school_id(self) -> str | None:
        """The school of the record, or (for bad input) of the raw data when readable."""
        if self.record is not None:
            return self.key[1]
        if isinstance(self.data, Mapping):
            value = self.data.get("id" if self.cls is School else "school_id")
            return value if isinstance(value, str) else None
        return None


def _school_of(record: Any) -> str:
    return cast(str, record.id if isinstance(record, School) else record.school_id)


def _key(record: Any) -> tuple[type, str, str]:
    return (type(record), _school_of(record), cast(str, record.id))


def _entity(cls: Any, where: str) -> type:
    if not isinstance(cls, type) or cls not in _ENTITIES:
        known = ", ".join(c.__name__ for c in ENTITIES)
        name = getattr(cls, "__name__", repr(cls))
        raise TypeError(f"{where}: {name} is not a stored record type; known: {known}")
    return cls


def _items(
    records: Iterable[Any], cls: type | None, sources: Sequence[int | str] | None
) -> list[_Item]:
    entries = list(records)
    if sources is not None and len(sources) != len(entries):
        raise ValueError(f"{len(sources)} sources given for {len(entries)} records")
    items: list[_Item] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], type):
            kind, data = _entity(entry[0], f"input {index}"), entry[1]
        elif isinstance(entry, Mapping):
            if cls is None:
                raise TypeError(
                    f"input {index} is plain data: pass cls=, or give (cls, data) pairs"
                )
            kind, data = cls, entry
        elif type(entry) in _ENTITIES:
            kind, data = type(entry), entry
        else:
            raise TypeError(
                f"input {index} is a {type(entry).__name__}: expected a record, "
                "a dict (with cls=) or a (cls, data) pair"
            )
        source = None if sources is None else sources[index]
        items.append(_Item(index, source, kind, data))
    return items


def _validate(item: _Item) -> None:
    if isinstance(item.data, item.cls):
        item.record = item.data
    elif attrs.has(type(item.data)):
        raise TypeError(
            f"input {item.index} is a {type(item.data).__name__}, not a {item.cls.__name__}"
        )
    else:
        try:
            item.record = structure(item.data, item.cls)
        except InvalidRecord as exc:
            item.problems.extend(exc.details)
    if item.record is not None:
        item.key = _key(item.record)


def _duplicates(items: Sequence[_Item]) -> None:
    seen = Counter(i.key for i in items if i.record is not None)
    for item in items:
        if item.record is not None and seen[item.key] > 1:
            item.problems.append(
                (
                    "$.id",
                    Message(
                        "IMPORT_DUPLICATE",
                        N_("{id} appears more than once in this import"),
                        {"id": item.record.id},
                    ),
                )
            )


def _check_scope(actor: Actor, items: Sequence[_Item]) -> None:
    outside = sorted(
        {sid for item in items if (sid := item.school_id) is not None and not actor.covers(sid)}
    )
    if outside:
        shown = ", ".join(outside[:10]) + (f" and {len(outside) - 10} more" if outside[10:] else "")
        raise FieldAccessDenied(
            Message(
                "IMPORT_OUT_OF_SCOPE",
                N_(
                    "{actor} may not import records of school {schools}: outside the actor's "
                    "scope; nothing was written"
                ),
                {"actor": actor.label, "schools": shown},
            ),
            fields=("school_id",),
        )


def _rejected(items: Sequence[_Item]) -> ImportRejected | None:
    bad = [
        BadRecord(i.index, i.source, i.cls.__name__, tuple(i.problems)) for i in items if i.problems
    ]
    return ImportRejected(bad, len(items)) if bad else None


def _stored(uow: UnitOfWork, items: Sequence[_Item]) -> dict[tuple[type, str, str], Any]:
    """The stored records of the kinds and schools in the input, by kind, school and id."""
    groups = sorted({(i.cls, i.key[1]) for i in items}, key=lambda g: (g[1], g[0].__name__))
    stored: dict[tuple[type, str, str], Any] = {}
    for cls, sid in groups:
        if uow.count(cls, sid):
            found: list[Any] = uow.list(cls, sid)
            stored.update((_key(record), record) for record in found)
    return stored


def _unknown_schools(uow: UnitOfWork, items: Sequence[_Item]) -> None:
    """Mark the records whose school is neither stored nor in the input."""
    known = {i.key[1] for i in items if i.cls is School}
    missing = {sid for sid in {i.key[1] for i in items} - known if not uow.count(School, sid)}
    for item in items:
        sid = item.key[1]
        if sid in missing:
            item.problems.append(
                (
                    "$.school_id",
                    Message(
                        "IMPORT_UNKNOWN_SCHOOL",
                        N_("school {school} is neither stored nor part of this import"),
                        {"school": sid},
                    ),
                )
            )


def _batches(records: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def import_records(
    store: Store,
    actor: Actor,
    records: Iterable[Any],
    *,
    cls: type | None = None,
    sources: Sequence[int | str] | None = None,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    attempts: int = DEFAULT_ATTEMPTS,
) -> ImportResult:
    """Import ``records`` into ``store`` as ``actor``: all of them, or nothing.

    ``records`` holds model instances (``Child``, ``School``, ...), plain dicts
    (JSON shapes, structured into ``cls`` with
    :func:`liushou_core.convert.structure`), or ``(cls, data)`` pairs for input
    that mixes kinds; they may be mixed. ``sources`` optionally gives each
    record's source: an ``int`` is a row number (shown as ``第137行`` /
    ``row 137``), a ``str`` a label shown as it is (``"children.xlsx!A138"``);
    without it a record is named by its place in the input, from 1.

    Steps, and what stops them (nothing is written when one does):

    1. every record is built and checked: a problem in any raises
       :class:`ImportRejected`, naming each bad record and field, after the
       whole input has been checked (records whose kind, school and id repeat
       within the input are bad too);
    2. the actor must cover the school of every record
       (:meth:`~liushou_core.privacy.Actor.covers`), else
       :class:`~liushou_core.errors.PermissionDenied`;
    3. in one unit of work (audited with ``actor.label`` and
       ``actor.purpose``, or ``"import"`` without one), every record's school
       must be stored or in the input (else :class:`ImportRejected`); then new
       records are added (schools first) with ``add_all`` in batches of
       ``batch_size``, changed ones updated from the stored version, equal
       ones skipped (see the module's notes on idempotency), and the unit of
       work is committed once. An error while writing rolls everything back
       and propagates. A :class:`~liushou_core.errors.ConflictError` (somebody
       changed the same records meanwhile; PostgreSQL's serialization
       failures) instead runs this step again, comparing afresh, up to
       ``attempts`` times in all; the last one propagates.

    ``progress(done, total)`` is called as the work advances, with ``total``
    twice the number of records: checking counts one step per record, writing
    another (a skipped record counts as written). It is called with ``done=0``
    first and ``done=total`` once the import has been committed, and ``done``
    never goes back (a step run again is not shown twice). An exception
    raised by ``progress`` (the user cancelled) stops the import: nothing is
    written.

    Raises :class:`TypeError` for input that is not a record, a dict with
    ``cls`` or a ``(cls, data)`` pair of a stored record type.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    if cls is not None:
        _entity(cls, "cls")
    items = _items(records, cls, sources)
    total = 2 * len(items)
    bar = _Bar(progress, total)
    bar.show(0)
    if not items:
        return ImportResult(added=0, updated=0, unchanged=0)
    for batch in _batches(items, batch_size):
        for item in batch:
            _validate(item)
        bar.advance(len(batch))
    _duplicates(items)
    _check_scope(actor, items)
    rejected = _rejected(items)
    if rejected is not None:
        raise rejected

    checked = bar.done
    for attempt in range(1, attempts + 1):
        bar.done = checked
        try:
            with store.unit_of_work(actor.label, purpose=actor.purpose or "import") as uow:
                result = _write(uow, items, batch_size, bar)
                uow.commit()
        except ConflictError:
            if attempt == attempts:
                raise
        else:
            break
    bar.show(total)
    return result


class _Bar:
    """Calls ``progress`` with a ``done`` that never goes back, ``total`` only at the end."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        self.shown = -1

    def show(self, done: int) -> None:
        if self.progress is not None and done > self.shown:
            self.shown = done
            self.progress(done, self.total)

    def advance(self, steps: int) -> None:
        # The last step is shown only once the unit of work is committed.
        self.done += steps
        if self.done < self.total:
            self.show(self.done)


def _write(uow: UnitOfWork, items: Sequence[_Item], batch_size: int, bar: _Bar) -> ImportResult:
    """Check the schools, compare with the stored records, and write the difference."""
    _unknown_schools(uow, items)
    rejected = _rejected(items)
    if rejected is not None:
        raise rejected
    stored = _stored(uow, items)
    counts: dict[str, Counter[str]] = {i.cls.__name__: Counter() for i in items}
    new: list[Any] = []
    changed: list[Any] = []
    unchanged = 0
    for item in items:
        record = item.record
        old = stored.get(item.key)
        tally = counts[item.cls.__name__]
        if old is None:
            new.append(record)
            tally["added"] += 1
            continue
        candidate = attrs.evolve(record, version=old.version)
        if candidate == old:
            unchanged += 1
            tally["unchanged"] += 1
        else:
            changed.append(candidate)
            tally["updated"] += 1
    bar.advance(unchanged)
    # Schools first, so that a school and its records may come in any order.
    new.sort(key=lambda r: not isinstance(r, School))
    for batch in _batches(new, batch_size):
        uow.add_all(batch)
        bar.advance(len(batch))
    for batch in _batches(changed, batch_size):
        for record in batch:
            uow.update(record)
        bar.advance(len(batch))
    return ImportResult(
        added=len(new),
        updated=len(changed),
        unchanged=unchanged,
        by_kind={
            kind: ImportCounts(c["added"], c["updated"], c["unchanged"])
            for kind, c in counts.items()
        },
        schools=tuple(sorted({i.key[1] for i in items})),
    )


def load_school(
    store: Store,
    actor: Actor,
    school: SyntheticSchool,
    *,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportResult:
    """Import a synthetic school (:func:`liushou_core.synth.school`) with everything in it.

    The school, its classes, teachers, volunteers, households and children go in
    one all-or-nothing :func:`import_records`; loading the same school again
    changes nothing.
    """
    return import_records(
        store, actor, list(school.records()), progress=progress, batch_size=batch_size
    )


# --------------------------------------------------------------------------- one child's record


def _child_relation(uow: UnitOfWork, actor: Actor, child: Child, on: dt.date | None) -> Relation:
    """The relation of ``actor`` to ``child`` from the stored pairings and the child's class."""
    pairings = uow.list(Pairing, child.school_id, child_id=child.id)
    classes: list[SchoolClass] = []
    if child.class_id is not None:
        with contextlib.suppress(NotFound):  # a class not (yet) stored makes no class teacher
            classes.append(uow.get(SchoolClass, child.school_id, child.class_id))
    return relation_to(actor, child, pairings=pairings, classes=classes, on=on)


def read_child(
    store: Store,
    actor: Actor,
    school_id: str,
    child_id: str,
    *,
    on: dt.date,
    unmask: bool | Collection[str] = False,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
) -> View:
    """What ``actor`` sees of one child's record on the day ``on``, audited.

    In one unit of work (audited with ``actor.label``): the child, its
    pairings (those covering ``on`` count) and its class are loaded, the
    relation is built (:func:`~liushou_core.privacy.relation_to`) and the
    record is filtered and masked for the actor
    (:func:`~liushou_core.privacy.view`; ``unmask`` as there). When the view
    must be audited (:attr:`~liushou_core.privacy.View.must_audit`) a ``read``
    entry naming the top-level fields shown (``version`` aside) is recorded with
    ``actor.purpose`` (or ``"read"``) and committed *before* the view is
    returned, so nothing is shown that the trail does not hold.

    A refused read (:class:`~liushou_core.privacy.FieldAccessDenied`: the actor
    may not see the child, or asks to unmask without a purpose) shows nothing
    and is not recorded as a read: the unit of work is left without commit.
    :class:`~liushou_core.errors.NotFound` when the child is not stored.
    """
    purpose = actor.purpose or "read"
    with store.unit_of_work(actor.label, purpose=purpose) as uow:
        child = uow.get(Child, school_id, child_id)
        relation = _child_relation(uow, actor, child, on)
        shown = view(child, actor, relation=relation, policy=policy, unmask=unmask)
        if shown.must_audit:
            # top-level names, each once; ``version`` is the store's, not the child's data
            top = [
                f
                for f in dict.fromkeys(p.partition(".")[0] for p in shown.fields)
                if f != "version"
            ]
            uow.record_read(Child, school_id, child_id, fields=top, purpose=purpose)
            uow.commit()
    return shown


def update_child(
    store: Store,
    actor: Actor,
    new_child: Child,
    *,
    on: dt.date,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
) -> Child:
    """Write ``new_child`` over the stored child as ``actor``, if the access policy allows it.

    In one unit of work (audited with ``actor.label`` and ``actor.purpose``,
    or ``"update"``): the stored child is loaded (by the school and id of
    ``new_child``), the relation built as in :func:`read_child`, and
    :func:`~liushou_core.privacy.check_write` must allow every changed field;
    then the record is updated from ``new_child.version`` and committed.
    Returns the stored copy (its version bumped).

    Raises :class:`~liushou_core.privacy.FieldAccessDenied` (nothing written),
    :class:`~liushou_core.errors.NotFound` or
    :class:`~liushou_core.errors.ConflictError` as the store does.
    """
    with store.unit_of_work(actor.label, purpose=actor.purpose or "update") as uow:
        old = uow.get(Child, new_child.school_id, new_child.id)
        relation = _child_relation(uow, actor, old, on)
        check_write(old, new_child, actor, relation=relation, policy=policy)
        stored = uow.update(new_child)
        uow.commit()
    return stored
