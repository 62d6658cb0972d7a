"""The emergency mechanism (应急机制): the contact chain, the call list, incidents.

For each child the seed's schools keep a chain of people to reach in an
emergency: the child's **class teacher**, the **mentor**, the **guardian**, the
**parents** working away, the **village committee** contact, and the
**township and police**. :func:`chain` says, for each link, who can be called
(someone with a phone) or why the link is missing; the check
``EMERGENCY_CHAIN_INCOMPLETE`` (:func:`check_emergency_chain`, one finding per
child in the care programme, listing the missing links) runs among the
built-in checks. A mentor is required only for a child who has one this term
or was nominated for one; a parents' link only while a parent can be reached
(not both deceased or declared missing).

:func:`call_list` turns the chains of an incident's children into the list of
calls to make, in order (the police first for suspected harm and a missing
child); phone numbers are masked in every ``repr``.

Incidents move forward only: ``reported`` -> ``referred`` -> ``followed up``
-> ``closed`` (a step may repeat the current state, to record one more
report, but nothing follows ``closed``). :func:`advance` returns the incident
with the new step, or raises :class:`IllegalTransition`; storing it is an
``uow.update`` of the incident, which the store audits. Suspected harm must be
reported at once to the police and the education authority
(未成年人保护法 art. 11; :attr:`~liushou_core.checks.CheckPolicy.report_to`):
:func:`missing_reports` lists the authorities not yet told, the ``incidents``
check makes it an error finding, and :func:`report_event` the urgent
``incident.reported`` event that :mod:`liushou_core.notices` turns into notices.

Pure: no clock (every rule takes ``on``), no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import attrs

from liushou_core.dated import Dated
from liushou_core.errors import LiushouError
from liushou_core.hookspecs import Event
from liushou_core.i18n import N_, Message
from liushou_core.masking import mask_phone
from liushou_core.models import (
    Authority,
    Child,
    ConditionKind,
    Finding,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    Pairing,
    Severity,
    StaffRole,
    Subject,
)

if TYPE_CHECKING:
    from liushou_core.checks import CheckContext, CheckPolicy, SchoolRecords

__all__ = [
    "DEFAULT_EMERGENCY_POLICY",
    "STATE_ORDER",
    "Call",
    "EmergencyChain",
    "EmergencyPolicy",
    "IllegalTransition",
    "Link",
    "LinkRole",
    "Reachable",
    "advance",
    "advance_event",
    "call_list",
    "can_advance",
    "chain",
    "check_emergency_chain",
    "missing_reports",
    "report_event",
]

_SRC_POLICE: Final = "公安部: 110 is the national police emergency number"
_SRC_SEED: Final = (
    "the seed's schools: contact chain child - school - guardian/parents - village - "
    "township/police (应急机制)"
)


@attrs.frozen
class EmergencyPolicy:
    """The dated parameters of the emergency mechanism."""

    #: The number that reaches the police.
    police_number: Dated[str] = Dated.since(dt.date(1986, 1, 10), "110", _SRC_POLICE)
    #: Incident kinds for which the police are called first.
    police_first: Dated[frozenset[IncidentKind]] = Dated.since(
        dt.date(2016, 2, 4),
        frozenset({IncidentKind.SUSPECTED_HARM, IncidentKind.MISSING}),
        "未成年人保护法 (2020) art. 11 (report at once); a missing child: call 110 at once",
    )


#: The parameters as liushou ships them.
DEFAULT_EMERGENCY_POLICY: Final = EmergencyPolicy()


class LinkRole(StrEnum):
    """The links of the chain, in the order they are called."""

    CLASS_TEACHER = N_("class teacher")
    MENTOR = N_("mentor")
    GUARDIAN = N_("guardian")
    PARENTS = N_("parents")
    VILLAGE_COMMITTEE = N_("village committee contact")
    AUTHORITY = N_("township and police")


#: A missing link as an item of a list, translated ("[class teacher]", "【班主任】").
_LIST_ITEM: Final[dict[LinkRole, str]] = {
    LinkRole.CLASS_TEACHER: N_("[class teacher]"),
    LinkRole.MENTOR: N_("[mentor]"),
    LinkRole.GUARDIAN: N_("[guardian]"),
    LinkRole.PARENTS: N_("[parents]"),
    LinkRole.VILLAGE_COMMITTEE: N_("[village committee contact]"),
    LinkRole.AUTHORITY: N_("[township and police]"),
}


def _masked(value: str | None) -> str:
    return "None" if value is None else repr(mask_phone(value))


@attrs.frozen
class Reachable:
    """Someone the chain reaches: a name, a phone (masked in the ``repr``), and
    ``public`` for a public number such as 110 (never masked)."""

    name: str
    phone: str | None = attrs.field(default=None, repr=_masked)
    relationship: str = ""
    public: bool = False

    def shown_phone(self, *, unmask: bool = False) -> str:
        """The phone as it may be shown: masked unless public or ``unmask``."""
        if self.phone is None:
            return ""
        return self.phone if (self.public or unmask) else mask_phone(self.phone)


@attrs.frozen
class Link:
    """One link of the chain: who can be called (``people``), whether the chain
    needs it (``required``) and why it is present or missing (``reason``)."""

    role: LinkRole
    people: tuple[Reachable, ...]
    reason: Message
    required: bool = True

    @property
    def present(self) -> bool:
        """Someone in the link can be called."""
        return bool(self.people)


@attrs.frozen
class EmergencyChain:
    """A child's chain, in calling order."""

    child_id: str
    school_id: str
    links: tuple[Link, ...]

    @property
    def missing(self) -> tuple[LinkRole, ...]:
        """The required links nobody can be called in."""
        return tuple(k.role for k in self.links if k.required and not k.present)

    @property
    def complete(self) -> bool:
        return not self.missing

    def link(self, role: LinkRole) -> Link:
        """The link of ``role``."""
        return next(k for k in self.links if k.role is role)

    def explain(self, lang: str = "zh") -> list[str]:
        """Each link's reason in ``lang``."""
        return [k.reason.render(lang) for k in self.links]


def _msg(code: str, text: str, **params: str | int) -> Message:
    return Message(code, text, params)


class _Index:
    """The school's records a chain looks up, indexed once for many children."""

    def __init__(self, records: SchoolRecords) -> None:
        self.records = records
        self.classes = {k.id: k for k in records.classes}
        self.staff = {t.id: t for t in records.teachers if t.active}
        self.class_teachers: dict[str, list[str]] = {}
        for t in sorted(self.staff.values(), key=lambda t: t.id):
            if StaffRole.CLASS_TEACHER in t.roles:
                for cid in t.class_ids:
                    self.class_teachers.setdefault(cid, []).append(t.id)
        self.mentors: dict[str, tuple[str, str | None]] = {
            t.id: (t.name, t.phone) for t in self.staff.values()
        }
        self.mentors |= {v.id: (v.name, v.phone) for v in records.volunteers if v.active}
        self.pairings: dict[str, list[Pairing]] = {}
        for p in records.pairings:
            if p.term_id == records.term.id:
                self.pairings.setdefault(p.child_id, []).append(p)


def _class_teacher(child: Child, index: _Index) -> Link:
    role = LinkRole.CLASS_TEACHER
    if child.class_id is None:
        return Link(role, (), _msg("CHAIN_NO_CLASS", N_("The child's class is not recorded.")))
    klass = index.classes.get(child.class_id)
    staff = index.staff
    ids = [klass.class_teacher_id] if klass is not None and klass.class_teacher_id else []
    ids += index.class_teachers.get(child.class_id, [])
    teachers = [staff[i] for i in dict.fromkeys(ids) if i in staff]
    name = klass.name if klass is not None else child.class_id
    if not teachers:
        return Link(
            role,
            (),
            _msg("CHAIN_NO_CLASS_TEACHER", N_("Class {name} has no class teacher."), name=name),
        )
    people = tuple(Reachable(t.name, t.phone) for t in teachers if t.phone)
    if not people:
        return Link(
            role,
            (),
            _msg(
                "CHAIN_CLASS_TEACHER_PHONE",
                N_("The class teacher {teacher} has no phone recorded."),
                teacher=teachers[0].name,
            ),
        )
    return Link(
        role,
        people[:1],
        _msg(
            "CHAIN_CLASS_TEACHER",
            N_("Class teacher {teacher} of class {name}."),
            teacher=people[0].name,
            name=name,
        ),
    )


def _mentor(child: Child, index: _Index, on: dt.date) -> Link:
    role = LinkRole.MENTOR
    pairs = [
        p
        for p in index.pairings.get(child.id, ())
        if (p.start is None or p.start <= on) and (p.end is None or on <= p.end)
    ]
    nominated = index.records.nominated is not None and child.id in index.records.nominated
    if not pairs:
        if nominated:
            return Link(
                role,
                (),
                _msg(
                    "CHAIN_NO_MENTOR",
                    N_("The child was nominated for a mentor but has none this term."),
                ),
            )
        return Link(
            role,
            (),
            _msg(
                "CHAIN_MENTOR_NOT_NEEDED",
                N_("The child has no mentor this term and was not nominated for one."),
            ),
            required=False,
        )
    staff = index.mentors
    people = []
    names = []
    for p in sorted(pairs, key=lambda p: p.mentor_id):
        name, phone = staff.get(p.mentor_id, (p.mentor_id, None))
        names.append(name)
        if phone:
            people.append(Reachable(name, phone))
    if not people:
        return Link(
            role,
            (),
            _msg(
                "CHAIN_MENTOR_PHONE",
                N_("The mentor {mentor} has no phone recorded."),
                mentor=names[0],
            ),
        )
    return Link(
        role,
        tuple(people),
        _msg("CHAIN_MENTOR", N_("Mentor {mentor}."), mentor=people[0].name),
    )


def _guardian(child: Child) -> Link:
    role = LinkRole.GUARDIAN
    if not child.guardians:
        return Link(role, (), _msg("CHAIN_NO_GUARDIAN", N_("No guardian is recorded.")))
    suitable = [g for g in child.guardians if not g.disqualifications]
    if not suitable:
        return Link(
            role,
            (),
            _msg(
                "CHAIN_GUARDIAN_DISQUALIFIED",
                N_("Every recorded guardian is disqualified from caring for the child."),
            ),
        )
    ordered = sorted(suitable, key=lambda g: not g.lives_with_child)
    people = tuple(Reachable(g.name, g.phone, g.relationship.value) for g in ordered if g.phone)
    if not people:
        return Link(
            role,
            (),
            _msg(
                "CHAIN_GUARDIAN_PHONE",
                N_("The guardian {name} has no phone recorded."),
                name=ordered[0].name,
            ),
        )
    return Link(role, people, _msg("CHAIN_GUARDIAN", N_("Guardian {name}."), name=people[0].name))


_GONE: Final = frozenset({ConditionKind.DECEASED, ConditionKind.MISSING})


def _parents(child: Child, on: dt.date) -> Link:
    role = LinkRole.PARENTS
    if not child.parents:
        return Link(role, (), _msg("CHAIN_NO_PARENT", N_("No parent is recorded.")))
    living = [p for p in child.parents if not {c.kind for c in p.conditions_on(on)} & _GONE]
    if not living:
        return Link(
            role,
            (),
            _msg("CHAIN_PARENTS_GONE", N_("No parent can be reached: deceased or missing.")),
            required=False,
        )
    people = tuple(Reachable(p.name, p.phone, p.role.value) for p in living if p.phone)
    if not people:
        return Link(
            role,
            (),
            _msg("CHAIN_PARENT_PHONE", N_("No parent's phone is recorded.")),
        )
    return Link(
        role,
        people,
        _msg("CHAIN_PARENTS", N_("{count} parent(s) with a phone."), count=len(people)),
    )


def _village(child: Child) -> Link:
    role = LinkRole.VILLAGE_COMMITTEE
    vc = child.village_committee
    if vc is None:
        return Link(
            role,
            (),
            _msg("CHAIN_NO_VILLAGE", N_("The village committee contact is not recorded.")),
        )
    if vc.phone is None:
        return Link(
            role,
            (),
            _msg(
                "CHAIN_VILLAGE_PHONE",
                N_("The village committee contact {name} has no phone recorded."),
                name=vc.name,
            ),
        )
    return Link(
        role,
        (Reachable(vc.name, vc.phone, vc.relationship),),
        _msg("CHAIN_VILLAGE", N_("Village committee contact {name}."), name=vc.name),
    )


def _authority(records: SchoolRecords, on: dt.date, policy: EmergencyPolicy) -> Link:
    role = LinkRole.AUTHORITY
    township = records.school.township
    if not township:
        return Link(
            role,
            (),
            _msg(
                "CHAIN_NO_TOWNSHIP",
                N_("The school's township is not recorded: its government and police are unknown."),
            ),
        )
    number = policy.police_number.at(on)
    return Link(
        role,
        (Reachable(township, number, Authority.POLICE.value, public=True),),
        _msg(
            "CHAIN_AUTHORITY",
            N_("Township {township}: its government, and the police on {number}."),
            township=township,
            number=number,
        ),
    )


def chain(
    child: Child,
    records: SchoolRecords,
    *,
    on: dt.date,
    policy: EmergencyPolicy = DEFAULT_EMERGENCY_POLICY,
) -> EmergencyChain:
    """The emergency chain of ``child`` from the school's ``records`` on ``on``.

    Links in order: class teacher, mentor, guardian, parents, village committee
    contact, township and police; each names who can be called (with a phone)
    or why nobody can.
    """
    return _chain(child, _Index(records), on, policy)


def _chain(child: Child, index: _Index, on: dt.date, policy: EmergencyPolicy) -> EmergencyChain:
    records = index.records
    links = (
        _class_teacher(child, index),
        _mentor(child, index, on),
        _guardian(child),
        _parents(child, on),
        _village(child),
        _authority(records, on, policy),
    )
    return EmergencyChain(child.id, child.school_id, links)


# --------------------------------------------------------------------------- calls


@attrs.frozen
class Call:
    """One call to make: the ``order`` (1 first), the link, who, the phone (masked
    in the ``repr``), the children it concerns and why this call."""

    order: int
    role: LinkRole
    person: Reachable
    child_ids: tuple[str, ...]
    reason: Message

    def explain(self, lang: str = "zh") -> str:
        return self.reason.render(lang)


def call_list(
    incident: Incident,
    records: SchoolRecords,
    *,
    on: dt.date,
    policy: EmergencyPolicy = DEFAULT_EMERGENCY_POLICY,
) -> list[Call]:
    """Who to call about ``incident``, in order, from its children's chains on ``on``.

    Each child's chain is walked in order (class teacher, mentor, guardian,
    parents, village committee, township and police); someone in several
    children's chains is called once, for all of them. For kinds in
    :attr:`EmergencyPolicy.police_first` (suspected harm, a missing child) the
    police come first. A child of the incident who is not in ``records`` is
    skipped.
    """
    kids = {c.id: c for c in records.children}
    index = _Index(records)
    seen: dict[tuple[LinkRole, str, str], list[str]] = {}
    reasons: dict[tuple[LinkRole, str, str], Message] = {}
    people: dict[tuple[LinkRole, str, str], Reachable] = {}
    for cid in incident.child_ids:
        child = kids.get(cid)
        if child is None:
            continue
        for link in _chain(child, index, on, policy).links:
            for person in link.people:
                key = (link.role, person.name, person.phone or "")
                seen.setdefault(key, [])
                if cid not in seen[key]:
                    seen[key].append(cid)
                reasons.setdefault(key, link.reason)
                people.setdefault(key, person)
    keys = list(seen)
    if incident.kind in policy.police_first.at(on):
        first = [k for k in keys if k[0] is LinkRole.AUTHORITY]
        keys = first + [k for k in keys if k[0] is not LinkRole.AUTHORITY]
        for k in first:
            reasons[k] = Message(
                "CALL_POLICE_FIRST",
                N_("{kind}: call the police first ({number})."),
                {"kind": incident.kind.value, "number": policy.police_number.at(on)},
            )
    else:
        order = list(LinkRole)
        keys.sort(key=lambda k: order.index(k[0]))
    return [
        Call(n, k[0], people[k], tuple(seen[k]), reasons[k]) for n, k in enumerate(keys, start=1)
    ]


# --------------------------------------------------------------------------- incidents

#: The states in the order an incident moves through them.
STATE_ORDER: Final[tuple[IncidentState, ...]] = (
    IncidentState.REPORTED,
    IncidentState.REFERRED,
    IncidentState.FOLLOWED_UP,
    IncidentState.CLOSED,
)


class IllegalTransition(LiushouError, ValueError):
    """A step that would move an incident backwards, after it closed, or back in time."""


def can_advance(current: IncidentState, new: IncidentState) -> bool:
    """Whether an incident in ``current`` may record a step in ``new``.

    Forward, or the same state again (one more report) unless closed.
    """
    if current is IncidentState.CLOSED:
        return False
    return STATE_ORDER.index(new) >= STATE_ORDER.index(current)


def advance(
    incident: Incident,
    state: IncidentState,
    at: dt.datetime,
    *,
    reported_to: Iterable[Authority] = (),
    note: str = "",
) -> Incident:
    """``incident`` with one more step: ``state`` reached at ``at`` (local time).

    :raises IllegalTransition: the incident is closed, ``state`` comes before
        its current state, or ``at`` is before its last step or the day it occurred.
    """
    current = incident.state
    if not can_advance(current, state):
        if current is IncidentState.CLOSED:
            why = f"it is closed; nothing follows 'closed' (asked: {state.value!r})"
        else:
            why = f"it cannot go back from {current.value!r} to {state.value!r}"
        raise IllegalTransition(f"incident {incident.id}: {why}")
    last = max((s.at for s in incident.steps), default=None)
    if last is not None and at < last:
        raise IllegalTransition(
            f"incident {incident.id}: the step at {at.isoformat(sep=' ', timespec='minutes')} "
            f"comes before the last one at {last.isoformat(sep=' ', timespec='minutes')}"
        )
    if at.date() < incident.occurred_on:
        raise IllegalTransition(
            f"incident {incident.id}: the step at {at.date().isoformat()} comes before "
            f"the day it occurred, {incident.occurred_on.isoformat()}"
        )
    step = IncidentStep(state, at, note, tuple(dict.fromkeys(reported_to)))
    return attrs.evolve(incident, steps=(*incident.steps, step))


def missing_reports(
    incident: Incident, *, on: dt.date, policy: CheckPolicy | None = None
) -> tuple[Authority, ...]:
    """The authorities ``incident`` must be reported to and is not, by ``on``.

    Only incidents of the kinds in ``policy.report_kinds`` (suspected harm) must
    be reported; to every authority in ``policy.report_to`` (the police and the
    education authority, 未成年人保护法 art. 11).
    """
    if policy is None:
        from liushou_core.checks import DEFAULT_CHECK_POLICY

        policy = DEFAULT_CHECK_POLICY
    if incident.kind not in policy.report_kinds.at(on):
        return ()
    told = {a for s in incident.steps if s.at.date() <= on for a in s.reported_to}
    wanted = policy.report_to.at(on)
    return tuple(a for a in Authority if a in wanted and a not in told)


#: The notice text naming the authorities not told yet (translated in the notice).
_NOT_TOLD: Final[dict[frozenset[Authority], str]] = {
    frozenset({Authority.POLICE}): N_("Not yet reported to the police."),
    frozenset({Authority.EDUCATION}): N_("Not yet reported to the education authority."),
    frozenset({Authority.POLICE, Authority.EDUCATION}): N_(
        "Not yet reported to the police or the education authority."
    ),
}
_NOT_TOLD_OTHER: Final = N_("Not yet reported to every authority the law names.")


def report_event(
    incident: Incident, *, on: dt.date, policy: CheckPolicy | None = None
) -> Event | None:
    """The urgent ``incident.reported`` event of a mandatory report still missing on
    ``on`` (``None`` when nothing is missing): the notices module notifies the
    principal and the class teacher at once."""
    missing = missing_reports(incident, on=on, policy=policy)
    if not missing:
        return None
    names = ",".join(a.name.lower() for a in missing)
    data = (
        ("child_ids", ",".join(incident.child_ids)),
        ("incident_kind", incident.kind.value),
        ("urgency", "urgent"),
        ("missing", names),
        ("summary", _NOT_TOLD.get(frozenset(missing), _NOT_TOLD_OTHER)),
        ("key", f"incident-report:{incident.id}:{names}:{on.isoformat()}"),
    )
    return Event("incident.reported", incident.school_id, "incident", incident.id, on, data=data)


def advance_event(before: Incident, after: Incident, *, on: dt.date) -> Event:
    """The ``incident.advanced`` event of the step ``after`` has and ``before`` had not."""
    step = after.steps[-1]
    told = ",".join(a.name.lower() for a in step.reported_to)
    at = step.at.isoformat(sep=" ", timespec="minutes")
    data = (
        ("child_ids", ",".join(after.child_ids)),
        ("incident_kind", after.kind.value),
        ("state", step.state.value),
        ("at", at),
        ("reported_to", told),
        ("key", f"incident-step:{after.id}:{len(after.steps)}:{step.state.name.lower()}:{at}"),
    )
    return Event("incident.advanced", after.school_id, "incident", after.id, on, data=data)


# --------------------------------------------------------------------------- check


def check_emergency_chain(ctx: CheckContext) -> Iterator[Finding]:
    """Every child in the programme has a complete emergency chain (one finding per child)."""
    index = _Index(ctx.records)
    for c in ctx.programme:
        found = _chain(c, index, ctx.on, DEFAULT_EMERGENCY_POLICY)
        missing = found.missing
        if not missing:
            continue
        family = {LinkRole.GUARDIAN, LinkRole.PARENTS}
        required = {k.role for k in found.links if k.required} & family
        severity = Severity.ERROR if required and required <= set(missing) else Severity.WARNING
        items: dict[str, str | int] = {
            r.name.lower(): (_LIST_ITEM[r] if r in missing else "") for r in LinkRole
        }
        params: dict[str, str | int] = {"count": len(missing), **items}
        yield ctx.finding(
            "EMERGENCY_CHAIN_INCOMPLETE",
            severity,
            Subject("child", c.id),
            Message(
                "EMERGENCY_CHAIN_INCOMPLETE",
                N_(
                    "The emergency chain lacks {count} link(s): {class_teacher}{mentor}"
                    "{guardian}{parents}{village_committee}{authority}."
                ),
                params,
            ),
            Message(
                "EMERGENCY_CHAIN_INCOMPLETE_FIX",
                N_("Record who can be called, with a phone, for each missing link."),
            ),
        )
