"""Datasets as tables: each a function from records to a :class:`~.tables.Table`.

Every function takes the records (as a store's ``list`` returns them, or any
iterable) and the records it needs to name things (classes for class names,
children for names, teachers and volunteers for mentors), and returns a table
with Chinese and English headers. The values stay raw (dates, amounts,
enumerations, messages); the exporters render, mask and neutralise them.

- :func:`children_table`: the children and their archive (档案): class, sex,
  birth date, masked ID and student numbers, boarding, registration, where the
  parents work, the guardian, and with ``on`` the age and the categories of
  :func:`liushou_core.classify.classify`;
- :func:`contacts_table`: contact cards (联系卡), one row per person to call:
  parents, guardians, emergency contacts and the village committee;
- :func:`pairs_table`: mentor pairs (结对帮扶) from stored
  :class:`~liushou_core.models.Pairing` records;
- :func:`aid_table`: aid decisions (资助), one row per scheme of each stored
  :class:`~liushou_core.models.AidDecision`;
- :func:`findings_table`: findings (:class:`~liushou_core.models.Finding`
  objects passed in, as the checks or the cadence rules return them);
- :func:`rows_table`: any other rows as dicts (cadence compliance, evaluation).

Health details, psychological and behaviour flags and household difficulty
are in none of them: they are not for sharing in a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from liushou_adapters.export.tables import Column, RecordRef, Table
from liushou_core.classify import age_on, classify
from liushou_core.i18n import N_
from liushou_core.models import (
    AidDecision,
    Child,
    Finding,
    Household,
    MentorKind,
    Pairing,
    ParentRole,
    SchoolClass,
    Teacher,
    Volunteer,
)

__all__ = [
    "DATASETS",
    "aid_table",
    "children_table",
    "contacts_table",
    "findings_table",
    "pairs_table",
    "rows_table",
]

#: The datasets by key, with their titles (English message ids).
DATASETS: Final[Mapping[str, str]] = {
    "children": N_("Children and archives"),
    "contacts": N_("Contact cards"),
    "pairs": N_("Mentor pairs"),
    "aid": N_("Aid decisions"),
    "findings": N_("Findings"),
}

_SCHOOL = Column("school_id", N_("School"))
_CHILD_ID = Column("child_id", N_("Pupil id"))
_CHILD_NAME = Column("child_name", N_("Pupil"))
_CLASS = Column("class", N_("Class"))


def _class_names(classes: Iterable[SchoolClass]) -> dict[tuple[str, str], str]:
    return {(c.school_id, c.id): c.name for c in classes}


def _class_of(child: Child | None, names: Mapping[tuple[str, str], str]) -> str | None:
    if child is None or child.class_id is None:
        return None
    return names.get((child.school_id, child.class_id), child.class_id)


def _by_key(records: Iterable[Any]) -> dict[tuple[str, str], Any]:
    return {(r.school_id, r.id): r for r in records}


# --------------------------------------------------------------------------- children

_CHILD_COLUMNS: Final = (
    _SCHOOL,
    Column("id", N_("Pupil id")),
    Column("name", N_("Name")),
    Column("sex", N_("Sex")),
    Column("birth_date", N_("Date of birth"), "date"),
    Column("class", N_("Class")),
    Column("id_number", N_("ID number"), mask="id", ref="child", field="id_number"),
    Column(
        "student_number",
        N_("Student number"),
        mask="student_number",
        ref="child",
        field="student_number",
    ),
    Column("ethnicity", N_("Ethnic group")),
    Column("boarding", N_("Boarding"), "bool"),
    Column("schooling", N_("School stage")),
    Column("hukou_place", N_("Household registration")),
    Column("address", N_("Address")),
    Column("father_away", N_("Father working in")),
    Column("mother_away", N_("Mother working in")),
    Column("guardian", N_("Guardian")),
    Column("guardian_relationship", N_("Guardian's relationship")),
    Column("guardian_phone", N_("Guardian's phone"), mask="phone", ref="child", field="guardians"),
    Column("enrolled_on", N_("Enrolled on"), "date"),
)
_ON_COLUMNS: Final = (
    Column("age", N_("Age"), "int"),
    Column("categories", N_("Categories")),
)


def _away(child: Child, role: ParentRole, on: dt.date | None) -> str | None:
    parent = child.parent(role)
    if parent is None or not parent.away:
        return None
    period = parent.away_on(on) if on is not None else parent.away[-1]
    if period is None:
        return None
    return period.place or None


def children_table(
    children: Iterable[Child],
    *,
    classes: Iterable[SchoolClass] = (),
    households: Iterable[Household] = (),
    on: dt.date | None = None,
) -> Table:
    """The children and their archive, one row each, in the order given.

    With ``on``, the age on that day and the categories (left-behind, migrant,
    in difficulty, de-facto unsupported) as :func:`~liushou_core.classify.classify`
    finds them (households give the difficulty grounds), and where each parent
    works that day; without it, each parent's latest place of work.
    """
    names = _class_names(classes)
    homes = _by_key(households)
    columns = _CHILD_COLUMNS + (_ON_COLUMNS if on is not None else ())
    rows: list[tuple[Any, ...]] = []
    refs: list[Mapping[str, RecordRef]] = []
    for c in children:
        guardian = c.guardians[0] if c.guardians else None
        row: tuple[Any, ...] = (
            c.school_id,
            c.id,
            c.name,
            c.sex,
            c.birth_date,
            _class_of(c, names),
            c.id_number,
            c.student_number,
            c.ethnicity,
            c.boarding,
            c.schooling,
            c.hukou.place or None,
            str(c.address) or None,
            _away(c, ParentRole.FATHER, on),
            _away(c, ParentRole.MOTHER, on),
            guardian.name if guardian else None,
            guardian.relationship if guardian else None,
            guardian.phone if guardian else None,
            c.enrolled_on,
        )
        if on is not None:
            household = homes.get((c.school_id, c.household_id)) if c.household_id else None
            result = classify(c, on=on, household=household)
            row += (age_on(c.birth_date, on), result.categories)
        rows.append(row)
        refs.append({"child": RecordRef(Child, c.school_id, c.id)})
    return Table("children", DATASETS["children"], columns, rows, refs)


# --------------------------------------------------------------------------- contacts

_CONTACT_COLUMNS: Final = (
    _SCHOOL,
    _CHILD_ID,
    _CHILD_NAME,
    _CLASS,
    Column("role", N_("Role"), "label"),
    Column("name", N_("Name")),
    Column("relationship", N_("Relationship"), "label"),
    Column("phone", N_("Phone"), mask="phone", ref="child"),
    Column("lives_with_child", N_("Lives with the pupil"), "bool"),
    Column("phone_confirmed_on", N_("Phone confirmed on"), "date"),
)
_PARENT: Final = N_("parent")
_GUARDIAN: Final = N_("guardian")
_EMERGENCY: Final = N_("emergency contact")
_COMMITTEE: Final = N_("village committee")


def contacts_table(children: Iterable[Child], *, classes: Iterable[SchoolClass] = ()) -> Table:
    """Contact cards: for each child, one row per person to call, in the order
    parents, guardians, emergency contacts, village committee."""
    names = _class_names(classes)
    rows: list[tuple[Any, ...]] = []
    refs: list[Mapping[str, RecordRef]] = []
    for c in children:
        head = (c.school_id, c.id, c.name, _class_of(c, names))

        def ref(field: str, child: Child = c) -> Mapping[str, RecordRef]:
            return {"child": RecordRef(Child, child.school_id, child.id, field)}

        for p in c.parents:
            rows.append((*head, _PARENT, p.name, p.role, p.phone, None, None))
            refs.append(ref("parents"))
        for g in c.guardians:
            rows.append(
                (*head, _GUARDIAN, g.name, g.relationship, g.phone, g.lives_with_child,
                 g.phone_confirmed_on)
            )  # fmt: skip
            refs.append(ref("guardians"))
        for e in c.emergency_contacts:
            rows.append((*head, _EMERGENCY, e.name, e.relationship or None, e.phone, None, None))
            refs.append(ref("emergency_contacts"))
        if c.village_committee is not None:
            v = c.village_committee
            rows.append((*head, _COMMITTEE, v.name, v.relationship or None, v.phone, None, None))
            refs.append(ref("village_committee"))
    return Table("contacts", DATASETS["contacts"], _CONTACT_COLUMNS, rows, refs)


# --------------------------------------------------------------------------- pairs

_PAIR_COLUMNS: Final = (
    _SCHOOL,
    Column("term_id", N_("Term")),
    _CHILD_ID,
    _CHILD_NAME,
    _CLASS,
    Column("mentor_id", N_("Mentor id")),
    Column("mentor_name", N_("Mentor")),
    Column("mentor_kind", N_("Mentor kind")),
    Column("mentor_phone", N_("Mentor's phone"), mask="phone", ref="mentor", field="phone"),
    Column("start", N_("From"), "date"),
    Column("end", N_("Until"), "date"),
)


def pairs_table(
    pairings: Iterable[Pairing],
    *,
    children: Iterable[Child] = (),
    teachers: Iterable[Teacher] = (),
    volunteers: Iterable[Volunteer] = (),
    classes: Iterable[SchoolClass] = (),
) -> Table:
    """Mentor pairs, one row per stored pairing, with the names of child and mentor."""
    kids = _by_key(children)
    staff = _by_key(teachers)
    helpers = _by_key(volunteers)
    names = _class_names(classes)
    rows: list[tuple[Any, ...]] = []
    refs: list[Mapping[str, RecordRef]] = []
    for p in pairings:
        child = kids.get((p.school_id, p.child_id))
        is_volunteer = p.mentor_kind is MentorKind.VOLUNTEER
        mentor = (helpers if is_volunteer else staff).get((p.school_id, p.mentor_id))
        rows.append(
            (
                p.school_id,
                p.term_id,
                p.child_id,
                child.name if child else None,
                _class_of(child, names),
                p.mentor_id,
                mentor.name if mentor else None,
                p.mentor_kind,
                mentor.phone if mentor else None,
                p.start,
                p.end,
            )
        )
        cls = Volunteer if is_volunteer else Teacher
        refs.append({"mentor": RecordRef(cls, p.school_id, p.mentor_id)} if mentor else {})
    return Table("pairs", DATASETS["pairs"], _PAIR_COLUMNS, rows, refs)


# --------------------------------------------------------------------------- aid

_AID_COLUMNS: Final = (
    _SCHOOL,
    _CHILD_ID,
    _CHILD_NAME,
    _CLASS,
    Column("on", N_("Assessed on"), "date"),
    Column("scheme", N_("Scheme"), "label"),
    Column("eligible", N_("Eligible"), "bool"),
    Column("amount", N_("Amount (yuan/year)"), "amount"),
    Column("term_amount", N_("Amount this term (yuan)"), "amount"),
    Column("in_kind", N_("In kind"), "bool"),
    Column("reasons", N_("Reasons")),
    Column("missing_evidence", N_("Missing evidence")),
    Column("source", N_("Policy source")),
)


def aid_table(
    decisions: Iterable[AidDecision],
    *,
    children: Iterable[Child] = (),
    classes: Iterable[SchoolClass] = (),
) -> Table:
    """Aid decisions, one row per scheme of each decision (a decision with no
    scheme gives one row with the scheme empty)."""
    kids = _by_key(children)
    names = _class_names(classes)
    rows: list[tuple[Any, ...]] = []
    for d in decisions:
        child = kids.get((d.school_id, d.child_id))
        head = (d.school_id, d.child_id, child.name if child else None, _class_of(child, names))
        if not d.schemes:
            rows.append((*head, d.on, None, None, None, None, None, None, None, None))
        for s in d.schemes:
            rows.append(
                (*head, d.on, s.scheme, s.eligible, s.amount, s.term_amount, s.in_kind,
                 s.reasons, s.missing_evidence, s.source or None)
            )  # fmt: skip
    return Table("aid", DATASETS["aid"], _AID_COLUMNS, rows)


# --------------------------------------------------------------------------- findings

_FINDING_COLUMNS: Final = (
    _SCHOOL,
    Column("on", N_("Date"), "date"),
    Column("severity", N_("Severity")),
    Column("code", N_("Code")),
    Column("subject_kind", N_("Record kind")),
    Column("subject_id", N_("Record id")),
    Column("message", N_("Finding")),
    Column("fix", N_("How to fix")),
)


def findings_table(findings: Iterable[Finding]) -> Table:
    """Findings, one row each in the order given (their messages rendered by the exporter)."""
    rows = [
        (f.school_id, f.on, f.severity, f.code, f.subject.kind, f.subject.id, f.message, f.fix)
        for f in findings
    ]
    return Table("findings", DATASETS["findings"], _FINDING_COLUMNS, rows)


# --------------------------------------------------------------------------- any rows


def rows_table(
    key: str,
    title: str,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column] | None = None,
) -> Table:
    """Any rows as a table: a later dataset (cadence compliance, evaluation) passes
    its rows in as dicts, with :class:`~.tables.Column` objects for headers and types.

    ``title`` and the columns' headers are English message ids (``N_``). Such
    rows name no stored record: their ID and phone numbers stay masked even in
    an unmasked export.
    """
    return Table.from_dicts(key, title, rows, columns)
