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

    :func:`read_children` shows many children's records the same way (those
    the actor may not see left out), for lists and exports shown to a person.

Consent
    :func:`record_consent` and :func:`withdraw_consent` keep the guardian's
    consent; :func:`check_consent` (and ``processing=`` of :func:`read_child`,
    :func:`read_children` and :func:`update_child`) refuses processing that
    needs a consent not in force with
    :class:`~liushou_core.privacy.ConsentRequired`.

The audit trail and purges
    :func:`audit_of_child` lists who saw or changed a child's record, for an
    actor allowed to read the trail. :func:`purge_child` removes a child's
    personal data once the retention policy makes it due (a dry run by
    default), leaving tombstones in the trail; ``purgers=`` extends it to data
    kept outside the store's records.

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
from liushou_core.models import (
    ENTITIES,
    Child,
    Consent,
    Household,
    Pairing,
    School,
    SchoolClass,
)
from liushou_core.privacy import (
    DEFAULT_ACCESS_POLICY,
    DEFAULT_CONSENT_POLICY,
    DEFAULT_RETENTION_POLICY,
    PURGED_PURPOSE,
    AccessPolicy,
    Actor,
    ConsentPolicy,
    Decision,
    FieldAccessDenied,
    Permission,
    PurgeBasis,
    Relation,
    RetentionPolicy,
    RetentionStatus,
    View,
    check_write,
    consent_decision,
    relation_to,
    require_consent,
    retention_status,
    scrub_child,
    view,
)

if TYPE_CHECKING:
    from liushou_core.ports import AuditEntry, Store, UnitOfWork
    from liushou_core.synth import SyntheticSchool

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_BATCH_SIZE",
    "BadRecord",
    "ImportCounts",
    "ImportRejected",
    "ImportResult",
    "Progress",
    "PurgeNotDue",
    "PurgePlan",
    "PurgeResult",
    "Purger",
    "audit_of_child",
    "check_consent",
    "import_records",
    "load_school",
    "purge_child",
    "read_child",
    "read_children",
    "record_consent",
    "update_child",
    "withdraw_consent",
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
    processing: str | None = None,
    consent: ConsentPolicy = DEFAULT_CONSENT_POLICY,
) -> View:
    """What ``actor`` sees of one child's record on the day ``on``, audited.

    ``processing`` is what the record is read for (a
    :class:`~liushou_core.privacy.Processing` value; by default the school's
    register, and always the care programme for a volunteer: see
    :meth:`~liushou_core.privacy.ConsentPolicy.processing_for`). When that needs
    the guardian's consent and the child is under 14, a consent in force on
    ``on`` must be stored, else :class:`~liushou_core.privacy.ConsentRequired`
    is raised: nothing shown, nothing recorded.

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
        _require_consent(uow, child, consent.processing_for(actor, processing), on, consent)
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


def read_children(
    store: Store,
    actor: Actor,
    school_id: str,
    *,
    on: dt.date,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
    processing: str | None = None,
    consent: ConsentPolicy = DEFAULT_CONSENT_POLICY,
    **filters: Any,
) -> list[View]:
    """What ``actor`` sees of the school's children (``filters`` as in ``uow.list``),
    each as :func:`read_child` would show it, in one unit of work, audited.

    For lists and exports that show children's records to a person: the
    children the actor may not see, and those whose processing lacks a
    consent it needs, are left out (not an error); a ``read`` entry is recorded
    for every view that must be audited, and committed before returning.
    """
    purpose = actor.purpose or "read"
    shown: list[View] = []
    with store.unit_of_work(actor.label, purpose=purpose) as uow:
        children = uow.list(Child, school_id, **filters)
        pairings = uow.list(Pairing, school_id)
        classes = uow.list(SchoolClass, school_id)
        consents = uow.list(Consent, school_id)
        why = consent.processing_for(actor, processing)
        for child in children:
            mine = [c for c in consents if c.child_id == child.id]
            if not consent_decision(child, mine, why, on=on, policy=consent).allowed:
                continue
            relation = relation_to(actor, child, pairings=pairings, classes=classes, on=on)
            try:
                seen = view(child, actor, relation=relation, policy=policy)
            except FieldAccessDenied:
                continue
            if seen.must_audit:
                top = [
                    f
                    for f in dict.fromkeys(p.partition(".")[0] for p in seen.fields)
                    if f != "version"
                ]
                uow.record_read(Child, school_id, child.id, fields=top, purpose=purpose)
            shown.append(seen)
        uow.commit()
    return shown


def update_child(
    store: Store,
    actor: Actor,
    new_child: Child,
    *,
    on: dt.date,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
    processing: str | None = None,
    consent: ConsentPolicy = DEFAULT_CONSENT_POLICY,
) -> Child:
    """Write ``new_child`` over the stored child as ``actor``, if the access policy allows it.

    ``processing`` and ``consent`` as in :func:`read_child`: processing that
    needs the guardian's consent raises
    :class:`~liushou_core.privacy.ConsentRequired` without it.

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
        _require_consent(uow, old, consent.processing_for(actor, processing), on, consent)
        relation = _child_relation(uow, actor, old, on)
        check_write(old, new_child, actor, relation=relation, policy=policy)
        stored = uow.update(new_child)
        uow.commit()
    return stored


# --------------------------------------------------------------------------- consent


def _require_consent(
    uow: UnitOfWork, child: Child, processing: str, on: dt.date, policy: ConsentPolicy
) -> Decision:
    consents = uow.list(Consent, child.school_id, child_id=child.id)
    return require_consent(child, consents, processing, on=on, policy=policy)


def check_consent(
    store: Store,
    actor: Actor,
    school_id: str,
    child_id: str,
    processing: str,
    *,
    on: dt.date,
    policy: ConsentPolicy = DEFAULT_CONSENT_POLICY,
) -> Decision:
    """Whether the stored consents allow processing ``child_id``'s data for ``processing``.

    For services that process a child's data for a purpose (pairing a volunteer,
    planning visits, assessing aid): call it first, in the same unit of work or
    before it. Returns the :class:`~liushou_core.privacy.Decision` when allowed;
    raises :class:`~liushou_core.privacy.ConsentRequired` (zh/en message) when
    the child is under the age limit and no consent covering ``processing`` is
    in force on ``on``; :class:`~liushou_core.errors.NotFound` for an unknown child.
    """
    with store.unit_of_work(actor.label, purpose=actor.purpose, readonly=True) as uow:
        child = uow.get(Child, school_id, child_id)
        return _require_consent(uow, child, processing, on, policy)


def record_consent(
    store: Store,
    actor: Actor,
    consent: Consent,
    *,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
) -> Consent:
    """Store a guardian's consent (who, when, for what, after which notice), audited.

    The actor must be able to see the child (the consent is about the child)
    and may write consents; the child must be stored
    (:class:`~liushou_core.errors.NotFound`). Returns the stored copy.
    """
    purpose = actor.purpose or "consent"
    with store.unit_of_work(actor.label, purpose=purpose) as uow:
        child = uow.get(Child, consent.school_id, consent.child_id)
        relation = _child_relation(uow, actor, child, consent.given_on)
        check_write(None, consent, actor, relation=relation, policy=policy)
        stored = uow.add(consent)
        uow.commit()
    return stored


def withdraw_consent(
    store: Store,
    actor: Actor,
    school_id: str,
    consent_id: str,
    *,
    on: dt.date,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
) -> Consent:
    """Record that the guardian withdrew a consent on ``on`` (PIPL art. 47: the data is
    then purged, see :func:`purge_child`). Returns the stored copy."""
    purpose = actor.purpose or "consent withdrawn"
    with store.unit_of_work(actor.label, purpose=purpose) as uow:
        old = uow.get(Consent, school_id, consent_id)
        child = uow.get(Child, school_id, old.child_id)
        relation = _child_relation(uow, actor, child, on)
        new = attrs.evolve(old, withdrawn_on=on)
        check_write(old, new, actor, relation=relation, policy=policy)
        stored = uow.update(new)
        uow.commit()
    return stored


# --------------------------------------------------------------------------- the audit trail


def audit_of_child(
    store: Store,
    actor: Actor,
    school_id: str,
    child_id: str,
    *,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
) -> list[AuditEntry]:
    """Who saw or changed one child's record: the committed audit entries, oldest first.

    The trail says who looked at which child, so reading it needs the
    permission ``read the audit trail`` (a principal, a district officer and
    the system hold it by default) and the school in the actor's scope; else
    :class:`~liushou_core.privacy.FieldAccessDenied`.
    """
    params = {"role": actor.role.value, "person": actor.person_id, "school": school_id}
    if not policy.may(actor, Permission.READ_AUDIT):
        raise FieldAccessDenied(
            Message(
                "AUDIT_DENIED",
                N_("{role} {person} may not read the audit trail."),
                params,
            )
        )
    if not actor.covers(school_id):
        raise FieldAccessDenied(
            Message(
                "AUDIT_OUTSIDE",
                N_("School {school} lies outside the scope of {person}."),
                params,
            )
        )
    return list(store.audit_trail(school_id=school_id, kind=Child, record_id=child_id))


# --------------------------------------------------------------------------- purge

#: A purger for data a store's records do not hold (an exports cache, an outbox kept
#: elsewhere): ``purger(uow, child, dry_run)`` removes (or, in a dry run, counts)
#: what concerns ``child`` and returns how many items. It runs inside the purge's
#: unit of work, before the commit; raising stops the purge and writes nothing.
Purger: TypeAlias = Callable[["UnitOfWork", Child, bool], int]

#: The fields by which a stored record names the children it concerns. A new stored
#: kind that names a child in one of them is purged with the child automatically, and
#: so is a record that points at the child or at a deleted record by a pair of text
#: fields ``<x>_kind`` and ``<x>_id`` (a notice of the outbox: ``event_subject_kind``
#: ``"child"``, ``event_subject_id`` the child's id).
CHILD_REFERENCES: Final = ("child_id", "child_ids", "related_child_ids")


class PurgeNotDue(LiushouError):
    """A purge asked for before the retention policy makes it due (and not forced).

    ``status`` is the :class:`~liushou_core.privacy.RetentionStatus` with the reasons.
    """

    def __init__(self, child_id: str, status: RetentionStatus) -> None:
        self.status = status
        self.message = Message(
            "PURGE_NOT_DUE",
            N_("The data of {child} is not due to be purged yet."),
            {"child": child_id},
        )
        super().__init__(" ".join([self.message.render("en"), *status.render("en")]))

    def render(self, lang: str = "zh") -> list[str]:
        return [self.message.render(lang), *self.status.render(lang)]


@attrs.frozen
class PurgePlan:
    """What a purge of one child removes: found in one unit of work.

    ``delete`` lists ``(kind, id)`` of the records that concern only this child
    (the child, its pairings, diaries, health checks, consents, aid decisions,
    pledges, events and incidents of this child alone, its household when no
    other child shares it); ``scrub`` those shared with other children, kept
    with this child's id removed and its name and numbers replaced by
    :data:`~liushou_core.privacy.ERASED`. ``audit_entries`` counts the trail's
    entries of these records, whose free-text purpose the purge blanks.
    """

    school_id: str
    child_id: str
    status: RetentionStatus
    basis: PurgeBasis
    delete: tuple[tuple[str, str], ...]
    scrub: tuple[tuple[str, str], ...]
    audit_entries: int
    extensions: Mapping[str, int] = attrs.field(factory=dict)


@attrs.frozen
class PurgeResult:
    """What :func:`purge_child` did (or, with ``dry_run``, would do)."""

    plan: PurgePlan
    dry_run: bool
    deleted: int = 0
    scrubbed: int = 0
    redacted: int = 0
    erased: bool | None = None


def _kind_name(cls: type) -> str:
    from liushou_core.ports import kind_of

    return kind_of(cls)


def _strip(record: Any, child: Child) -> Any:
    from liushou_core.convert import unstructure

    data = unstructure(record)
    for name in ("child_ids", "related_child_ids"):
        if isinstance(data.get(name), list):
            data[name] = [c for c in data[name] if c != child.id]
    return structure(scrub_child(data, child), type(record))


def _purge_targets(uow: UnitOfWork, child: Child) -> tuple[list[Any], list[Any]]:
    """The records to delete and those to keep scrubbed, in deletion order."""
    sid, cid = child.school_id, child.id
    delete: list[Any] = []
    scrub: dict[tuple[type, str], Any] = {}
    for cls in ENTITIES:
        if cls in (School, SchoolClass, Child, Household):
            continue
        names = {f.name for f in attrs.fields(cls)}
        if "child_id" in names:
            delete.extend(uow.list(cls, sid, child_id=cid))
        if "child_ids" in names:
            record: Any
            for record in uow.list(cls, sid, child_ids=cid):
                if set(record.child_ids) == {cid}:
                    delete.append(record)
                else:
                    scrub[(cls, record.id)] = record
        if "related_child_ids" in names:
            for record in uow.list(cls, sid, related_child_ids=cid):
                scrub[(cls, record.id)] = record
    delete.append(child)
    _subject_references(uow, sid, delete)
    if child.household_id is not None:
        others = [c for c in uow.list(Child, sid, household_id=child.household_id) if c.id != cid]
        if not others:
            with contextlib.suppress(NotFound):
                delete.append(uow.get(Household, sid, child.household_id))
    return delete, list(scrub.values())


def _subject_pairs(cls: type) -> list[tuple[str, str]]:
    """The ``(<x>_kind, <x>_id)`` text field pairs by which ``cls`` points at a record."""
    import typing

    hints = typing.get_type_hints(cls)
    names = {f.name for f in attrs.fields(cls)}
    return [
        (n, n[: -len("_kind")] + "_id")
        for n in sorted(names)
        if n.endswith("_kind") and n[: -len("_kind")] + "_id" in names and hints.get(n) is str
    ]


def _subject_references(uow: UnitOfWork, sid: str, delete: list[Any]) -> None:
    """Add to ``delete`` the records that point at one of them by kind and id (a notice
    in the outbox about the child or about one of its records)."""
    seen = {(type(r), r.id) for r in delete}
    targets = sorted({(_kind_name(type(r)), str(r.id)) for r in delete})
    for cls in ENTITIES:
        for kind_field, id_field in _subject_pairs(cls):
            for kind, rid in targets:
                query: dict[str, Any] = {kind_field: kind, id_field: rid}
                record: Any
                for record in uow.list(cls, sid, **query):
                    if (cls, record.id) not in seen:
                        seen.add((cls, record.id))
                        delete.insert(0, record)


def purge_child(
    store: Store,
    actor: Actor,
    school_id: str,
    child_id: str,
    *,
    on: dt.date,
    left_on: dt.date | None = None,
    force: bool = False,
    dry_run: bool = True,
    erase: bool = True,
    purgers: Mapping[str, Purger] | None = None,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
    retention: RetentionPolicy = DEFAULT_RETENTION_POLICY,
) -> PurgeResult:
    """Remove one child's personal data from the store (PIPL art. 47), or (``dry_run``,
    the default) say what would be removed.

    The actor needs the permission ``purge personal data`` (a principal and the
    system hold it) and the school in scope, else
    :class:`~liushou_core.privacy.FieldAccessDenied`. The retention policy must
    make the purge due on ``on`` (:func:`~liushou_core.privacy.retention_status`,
    with ``left_on`` when the school knows the day the child left), else
    :class:`PurgeNotDue`, unless ``force`` (recorded as ordered early).

    In one unit of work: every record that concerns only this child is deleted
    (see :class:`PurgePlan`; a record names its children in one of
    :data:`CHILD_REFERENCES`), shared records keep no trace of the child, the
    free-text purposes of the audit entries of these records are blanked
    (``uow.redact_audit``, see :data:`~liushou_core.privacy.PURGED_PURPOSE`),
    and each of ``purgers`` runs (the hook for data kept outside the records,
    such as an exports cache). The trail keeps a tombstone: the ``delete``
    entries, with the actor, the time, the kind and id of each record and the
    purpose ``purge: <basis>``, never a name or a number. After the commit,
    ``erase`` asks the store to make the freed bytes unrecoverable
    (``store.erase_freed()``: SQLite checkpoints and vacuums, PostgreSQL vacuums).
    """
    params = {"role": actor.role.value, "person": actor.person_id, "school": school_id}
    if not policy.may(actor, Permission.PURGE):
        raise FieldAccessDenied(
            Message("PURGE_DENIED", N_("{role} {person} may not purge personal data."), params)
        )
    if not actor.covers(school_id):
        raise FieldAccessDenied(
            Message(
                "PURGE_OUTSIDE",
                N_("School {school} lies outside the scope of {person}."),
                params,
            )
        )
    extra = dict(purgers or {})
    with store.unit_of_work(actor.label, purpose="purge", readonly=dry_run) as uow:
        child = uow.get(Child, school_id, child_id)
        status = retention_status(
            child,
            pairings=uow.list(Pairing, school_id, child_id=child_id),
            consents=uow.list(Consent, school_id, child_id=child_id),
            on=on,
            left_on=left_on,
            policy=retention,
        )
        if not status.due and not force and not dry_run:
            raise PurgeNotDue(child_id, status)
        basis = status.basis if status.due and status.basis else PurgeBasis.ORDERED
        delete, scrub = _purge_targets(uow, child)
        keys = [(school_id, _kind_name(type(r)), str(r.id)) for r in (*delete, *scrub)]
        counts = {name: purger(uow, child, True) for name, purger in extra.items()}
        plan = PurgePlan(
            school_id=school_id,
            child_id=child_id,
            status=status,
            basis=basis,
            delete=tuple((k, rid) for _, k, rid in keys[: len(delete)]),
            scrub=tuple((k, rid) for _, k, rid in keys[len(delete) :]),
            audit_entries=sum(
                1
                for sid, kind, rid in keys
                for e in store.audit_trail(school_id=sid, kind=kind, record_id=rid)
                if e.purpose != PURGED_PURPOSE
            ),
            extensions=counts,
        )
        if dry_run:
            return PurgeResult(plan, dry_run=True)
        redact = getattr(uow, "redact_audit", None)
        if redact is None:
            raise TypeError(
                f"{type(store).__name__} cannot purge: its unit of work has no redact_audit()"
            )
        uow.purpose = f"purge: {basis.value}"  # type: ignore[attr-defined]
        redacted = int(redact(keys))
        for record in delete:
            uow.delete(type(record), school_id, record.id, record.version)
        for record in scrub:
            uow.update(_strip(record, child))
        for name, purger in extra.items():
            counts[name] = purger(uow, child, False)
        uow.commit()
    erased: bool | None = None
    eraser = getattr(store, "erase_freed", None)
    if erase and eraser is not None:
        erased = bool(eraser())
    return PurgeResult(
        attrs.evolve(plan, extensions=counts),
        dry_run=False,
        deleted=len(delete),
        scrubbed=len(scrub),
        redacted=redacted,
        erased=erased,
    )
