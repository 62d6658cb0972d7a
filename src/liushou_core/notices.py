"""Which events notify whom: notices from events, by policy data.

:func:`plan_notices` turns an :class:`~liushou_core.hookspecs.Event` (a contact
overdue, an incident recorded, an aid decision changed) into
:class:`~liushou_core.models.Notice` records, one per recipient and channel,
ready to be written to the outbox in the same unit of work as the change that
caused them. Which event notifies which role at which escalation level is data
(:class:`NoticePolicy`, :class:`NoticeRule`, with effective dates and sources),
so a county changes it without code:

* a contact overdue notifies the mentor from level 1, the class teacher from
  level 2 and the principal from level 3; the level comes from the event's
  ``level``, or from its ``days_overdue`` and the policy's escalation days;
* an incident notifies the principal and the class teacher at once (urgent):
  the emergency mechanism (应急机制) of the schools' work summaries, and the
  duty to report suspected harm at once (未成年人保护法 art. 11); each later step
  of an incident (``incident.advanced``, :func:`liushou_core.emergency.advance`)
  notifies them too (high);
* an aid decision recorded or changed notifies the guardian and the class
  teacher.

Subjects and bodies are rendered from templates (:class:`Template`, English
message ids with Chinese translations in the catalogue) in the policy's
language, and masked: a notice never carries an ID or phone number in full.
Each notice's idempotency key (:func:`idempotency_key`) names the event, the
level, the recipient and the channel, so raising the same event twice makes
the same notices, which the outbox stores once.

Pure: no clock (every call takes ``on``), no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from liushou_core.dated import Dated
from liushou_core.hookspecs import Event
from liushou_core.i18n import LANGS, N_, Message, ParamValue
from liushou_core.models.child import Child
from liushou_core.models.notice import Notice, NoticeState, RecipientRole, Urgency, notice_id
from liushou_core.models.pairing import Pairing
from liushou_core.models.school import School, SchoolClass, StaffRole, Teacher

__all__ = [
    "DEFAULT_NOTICE_POLICY",
    "DEFAULT_RETRY",
    "DEFAULT_RULES",
    "DEFAULT_TEMPLATES",
    "ESCALATION_DAYS",
    "NoticePlan",
    "NoticePolicy",
    "NoticeRule",
    "Recipient",
    "RetryPolicy",
    "Template",
    "child_ids_of",
    "claim",
    "delivered",
    "escalation_level",
    "failed",
    "idempotency_key",
    "is_due",
    "notices_for",
    "plan_notices",
    "recipients_for",
    "release",
    "render",
]

_ROLE_ORDER: Final = {r: i for i, r in enumerate(RecipientRole)}
_SINCE: Final = dt.date(2016, 2, 4)  # 国发〔2016〕13号, the care system for left-behind children


@attrs.frozen
class NoticeRule:
    """An event of kind ``event`` (and record kind ``subject``, if given) at
    escalation ``level`` or above notifies ``roles`` with ``urgency``.

    ``level`` 0 means any level (events without escalation); ``source`` names
    the policy text or local practice the rule comes from.
    """

    event: str
    roles: tuple[RecipientRole, ...]
    subject: str = ""
    level: int = 0
    urgency: Urgency = Urgency.NORMAL
    source: str = ""

    def matches(self, event: Event, level: int) -> bool:
        """Whether the rule applies to ``event`` at escalation ``level``."""
        return (
            self.event == event.kind
            and (not self.subject or self.subject == event.subject_kind)
            and level >= self.level
        )


@attrs.frozen
class Template:
    """A notice's subject and body: English message ids with ``{placeholders}``.

    Placeholders: ``child``, ``contact``, ``due``, ``days``, ``level``, ``on``,
    ``incident``, ``summary``, ``change``, ``event``, ``subject_kind``,
    ``subject_id``, and any other key of the event's ``data``.
    """

    subject: str
    body: str


_OVERDUE_SOURCE: Final = (
    "local practice (目标责任制, level by level, in the schools' work summaries); "
    "levels and recipients UNCONFIRMED nationally: set by the county"
)

#: The built-in rules (see the module documentation).
DEFAULT_RULES: Final[tuple[NoticeRule, ...]] = (
    NoticeRule("contact.overdue", (RecipientRole.MENTOR,), level=1, source=_OVERDUE_SOURCE),
    NoticeRule(
        "contact.overdue",
        (RecipientRole.CLASS_TEACHER,),
        level=2,
        urgency=Urgency.HIGH,
        source=_OVERDUE_SOURCE,
    ),
    NoticeRule(
        "contact.overdue",
        (RecipientRole.PRINCIPAL,),
        level=3,
        urgency=Urgency.HIGH,
        source=_OVERDUE_SOURCE,
    ),
    NoticeRule(
        "record.added",
        (RecipientRole.PRINCIPAL, RecipientRole.CLASS_TEACHER),
        subject="incident",
        urgency=Urgency.URGENT,
        source="应急机制 (schools' emergency mechanism); 未成年人保护法 (2020) art. 11",
    ),
    NoticeRule(
        "incident.reported",
        (RecipientRole.PRINCIPAL, RecipientRole.CLASS_TEACHER),
        urgency=Urgency.URGENT,
        source="应急机制 (schools' emergency mechanism); 未成年人保护法 (2020) art. 11",
    ),
    NoticeRule(
        "incident.advanced",
        (RecipientRole.PRINCIPAL, RecipientRole.CLASS_TEACHER),
        urgency=Urgency.HIGH,
        source="应急机制 (schools' emergency mechanism): each step of an incident",
    ),
    *(
        NoticeRule(
            kind,
            (RecipientRole.GUARDIAN, RecipientRole.CLASS_TEACHER),
            subject="aid_decision",
            source="教财〔2018〕16号 (提前告知, 结果告知); never published with details",
        )
        for kind in ("record.added", "record.updated")
    ),
)

#: Days overdue from which escalation levels 1, 2, 3, ... start.
ESCALATION_DAYS: Final[Dated[tuple[int, ...]]] = Dated.since(
    _SINCE, (1, 7, 14), "local practice; UNCONFIRMED: set by the county"
)

_GENERIC: Final = Template(
    N_("{event}: {subject_kind} {subject_id}"),
    N_("{event} concerning {subject_kind} {subject_id} on {on}."),
)

#: Templates by ``event`` or ``event:subject`` (the more specific wins).
DEFAULT_TEMPLATES: Final[Mapping[str, Template]] = {
    "contact.overdue": Template(
        N_("Overdue {contact} for pupil {child}"),
        N_(
            "The {contact} with pupil {child} was due on {due} and is {days} day(s) "
            "overdue (escalation level {level}). Please hold it and record it in liushou. "
            "{summary}"
        ),
    ),
    "record.added:incident": Template(
        N_("Incident: {incident} concerning pupil {child}"),
        N_(
            "An incident ({incident}) concerning pupil {child} was recorded on {on}. "
            "Follow the emergency procedure; suspected harm is reported at once to the "
            "police, civil affairs or education authority. {summary}"
        ),
    ),
    "incident.reported": Template(
        N_("Incident: {incident} concerning pupil {child}"),
        N_(
            "An incident ({incident}) concerning pupil {child} was recorded on {on}. "
            "Follow the emergency procedure; suspected harm is reported at once to the "
            "police, civil affairs or education authority. {summary}"
        ),
    ),
    "incident.advanced": Template(
        N_("Incident {incident} concerning pupil {child}: {state}"),
        N_(
            "The incident ({incident}) concerning pupil {child} is now recorded as {state} "
            "(at {at})."
        ),
    ),
    "record.added:aid_decision": Template(
        N_("Aid decision for pupil {child}"),
        N_("An aid decision for pupil {child} was recorded on {on}. {change}"),
    ),
    "record.updated:aid_decision": Template(
        N_("Aid decision for pupil {child} changed"),
        N_("The aid decision for pupil {child} changed on {on}. {change}"),
    ),
}


def _role_channels(
    value: Mapping[RecipientRole, Sequence[str]] | Iterable[tuple[RecipientRole, Sequence[str]]],
) -> tuple[tuple[RecipientRole, tuple[str, ...]], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    pairs = ((RecipientRole(r), tuple(c)) for r, c in items)
    return tuple(sorted(pairs, key=lambda x: _ROLE_ORDER[x[0]]))


def _templates(
    value: Mapping[str, Template] | Iterable[tuple[str, Template]],
) -> tuple[tuple[str, Template], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted(items, key=lambda x: x[0]))


def _lang(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in LANGS:
        raise ValueError(f"unknown language {value!r}; known: {', '.join(LANGS)}")


@attrs.frozen
class NoticePolicy:
    """Who is notified of what, how, and in which language.

    ``rules`` and ``escalation_days`` are dated (a county adds a change with
    :meth:`~liushou_core.dated.Dated.with_change`); ``channels`` maps a role to
    the channel names its notices go through (the deployment's settings pick
    the channels by these names), ``default_channels`` serves the other roles;
    ``templates`` add or replace templates by ``event`` or ``event:subject``.
    """

    rules: Dated[tuple[NoticeRule, ...]] = Dated.since(
        _SINCE, DEFAULT_RULES, "liushou defaults (see each rule's source)"
    )
    escalation_days: Dated[tuple[int, ...]] = ESCALATION_DAYS
    channels: tuple[tuple[RecipientRole, tuple[str, ...]], ...] = attrs.field(
        default=(), converter=_role_channels
    )
    default_channels: tuple[str, ...] = ("console",)
    templates: tuple[tuple[str, Template], ...] = attrs.field(default=(), converter=_templates)
    lang: str = attrs.field(default="zh", validator=_lang)

    def channels_for(self, role: RecipientRole) -> tuple[str, ...]:
        """The channels that carry ``role``'s notices."""
        for r, names in self.channels:
            if r == role:
                return names
        return self.default_channels

    def template_for(self, event: Event) -> Template:
        """The template for ``event``: ``event:subject``, then ``event``, then a generic one."""
        own = dict(self.templates)
        for key in (f"{event.kind}:{event.subject_kind}", event.kind):
            found = own.get(key) or DEFAULT_TEMPLATES.get(key)
            if found is not None:
                return found
        return _GENERIC


#: The built-in policy: the default rules, Chinese, every role on the console.
DEFAULT_NOTICE_POLICY: Final = NoticePolicy()


@attrs.frozen
class Recipient:
    """A person to notify in a role; ``address`` is how a channel reaches them."""

    role: RecipientRole
    person_id: str
    name: str = ""
    address: str = ""


@attrs.frozen
class NoticePlan:
    """The notices an event makes, and the reasons (why each role was or was not notified)."""

    notices: tuple[Notice, ...]
    reasons: tuple[Message, ...]
    level: int

    def explain(self, lang: str = "zh") -> list[str]:
        """The reasons in ``lang``."""
        return [m.render(lang) for m in self.reasons]


def _data(event: Event) -> dict[str, str]:
    return dict(event.data)


def escalation_level(event: Event, policy: NoticePolicy = DEFAULT_NOTICE_POLICY) -> int:
    """The escalation level of ``event``.

    The event's ``level`` if it has one; else, from its ``days_overdue``, the
    number of the policy's escalation days (in force on ``event.on``) it has
    reached; else 0 (an event without escalation).
    """
    data = _data(event)
    if data.get("level", "").isdigit():
        return int(data["level"])
    days = data.get("days_overdue", "")
    if days.lstrip("-").isdigit():
        return sum(1 for d in policy.escalation_days.at(event.on) if int(days) >= d)
    return 0


def child_ids_of(event: Event) -> tuple[str, ...]:
    """The pupils an event concerns: its ``child_ids`` (comma separated) or ``child_id``
    data, or its subject when that is a child."""
    data = _data(event)
    raw = data.get("child_ids") or data.get("child_id") or ""
    ids = tuple(i.strip() for i in raw.split(",") if i.strip())
    if not ids and event.subject_kind == "child":
        ids = (event.subject_id,)
    return ids


def idempotency_key(
    event: Event, level: int, role: RecipientRole, person_id: str, channel: str
) -> str:
    """The key that makes a notice unique: event, level, recipient and channel.

    The event part is the event's ``key`` data if it has one (a caller's own
    key, such as ``overdue:P17:2026-11``), else its kind, school, subject and day.
    """
    data = _data(event)
    what = data.get("key") or (
        f"{event.kind}/{event.school_id}/{event.subject_kind}/{event.subject_id}/"
        f"{event.on.isoformat()}"
    )
    return f"{what}|L{level}|{role.value}:{person_id}|{channel}"


def _params(event: Event, level: int) -> dict[str, ParamValue]:
    data = _data(event)
    params: dict[str, ParamValue] = {
        "event": event.kind,
        "subject_kind": event.subject_kind,
        "subject_id": event.subject_id,
        "on": event.on.isoformat(),
        "level": level,
        "child": ", ".join(child_ids_of(event)) or event.subject_id,
        "contact": "",
        "due": event.on.isoformat(),
        "days": data.get("days_overdue", "0"),
        "incident": "",
        "summary": "",
        "change": "",
    }
    params.update(data)
    if data.get("child_name"):
        params["child"] = data["child_name"]
    if data.get("contact_kind"):
        params["contact"] = data["contact_kind"]
    if data.get("incident_kind"):
        params["incident"] = data["incident_kind"]
    return params


def render(
    event: Event, level: int, policy: NoticePolicy = DEFAULT_NOTICE_POLICY
) -> tuple[Message, Message]:
    """The subject and body of ``event``'s notices, as messages to render."""
    template = policy.template_for(event)
    params = _params(event, level)
    code = f"NOTICE_{event.kind.upper().replace('.', '_')}"
    return (
        Message(code + "_SUBJECT", template.subject, params),
        Message(code, template.body, params),
    )


def plan_notices(
    event: Event,
    recipients: Iterable[Recipient],
    policy: NoticePolicy = DEFAULT_NOTICE_POLICY,
    *,
    on: dt.date,
) -> NoticePlan:
    """The notices ``event`` makes for ``recipients`` under ``policy`` on ``on``.

    Each rule in force on ``on`` that matches the event at its escalation
    level (:func:`escalation_level`) names roles; every recipient in such a
    role gets one notice per channel of the role, with the rule's urgency (the
    highest when several rules name the same role). A role with no recipient
    is named in the reasons. Notices come out in a stable order (role,
    person, channel), each once.
    """
    level = escalation_level(event, policy)
    urgency: dict[RecipientRole, Urgency] = {}
    reasons: list[Message] = []
    order = list(Urgency)
    for rule in policy.rules.at(on):
        if not rule.matches(event, level):
            continue
        for role in rule.roles:
            if role not in urgency or order.index(rule.urgency) > order.index(urgency[role]):
                urgency[role] = rule.urgency
            reasons.append(
                Message(
                    "NOTICE_RULE",
                    N_("{event} at level {level} notifies the {role} ({source})"),
                    {
                        "event": event.kind,
                        "level": level,
                        "role": role.value,
                        "source": rule.source,
                    },
                )
            )
    by_role: dict[RecipientRole, list[Recipient]] = {}
    for r in recipients:
        by_role.setdefault(r.role, []).append(r)
    subject, body = render(event, level, policy)
    subject_text, body_text = subject.render(policy.lang), body.render(policy.lang)
    notices: dict[str, Notice] = {}
    for role in sorted(urgency, key=_ROLE_ORDER.__getitem__):
        people = sorted(by_role.get(role, ()), key=lambda r: r.person_id)
        if not people:
            reasons.append(
                Message(
                    "NOTICE_NO_RECIPIENT",
                    N_("No {role} is known for this event: nobody in that role is notified"),
                    {"role": role.value},
                )
            )
        for person in people:
            for channel in policy.channels_for(role):
                key = idempotency_key(event, level, role, person.person_id, channel)
                notices.setdefault(
                    key,
                    Notice(
                        id=notice_id(key),
                        school_id=event.school_id,
                        idempotency_key=key,
                        channel=channel,
                        role=role,
                        person_id=person.person_id,
                        name=person.name,
                        address=person.address,
                        subject=subject_text,
                        body=body_text,
                        created_on=on,
                        event_kind=event.kind,
                        event_subject_kind=event.subject_kind,
                        event_subject_id=event.subject_id,
                        event_on=event.on,
                        level=level,
                        urgency=urgency[role],
                        lang=policy.lang,
                    ),
                )
    return NoticePlan(tuple(notices.values()), tuple(reasons), level)


def notices_for(
    event: Event,
    recipients: Iterable[Recipient],
    policy: NoticePolicy = DEFAULT_NOTICE_POLICY,
    *,
    on: dt.date,
) -> list[Notice]:
    """The notices of :func:`plan_notices`, without the reasons."""
    return list(plan_notices(event, recipients, policy, on=on).notices)


def _covers(pairing: Pairing, on: dt.date) -> bool:
    return (pairing.start is None or pairing.start <= on) and (
        pairing.end is None or on <= pairing.end
    )


def recipients_for(
    event: Event,
    *,
    on: dt.date,
    school: School | None = None,
    classes: Iterable[SchoolClass] = (),
    teachers: Iterable[Teacher] = (),
    pairings: Iterable[Pairing] = (),
    children: Iterable[Child] = (),
) -> list[Recipient]:
    """Everyone who could be notified of ``event``, from the school's records on ``on``.

    Mentors: the mentors paired with the event's pupils (:func:`child_ids_of`)
    on ``on``; class teachers: of the pupils' classes; the principal: the
    school's ``principal_id``, else the staff with the principal's role; the
    school psychologist: staff with that role; guardians: the pupils'
    guardians (their phone as the address). Staff reach by their phone.
    Which of them are notified is for :func:`plan_notices` to say.
    """
    ids = set(child_ids_of(event))
    staff = {t.id: t for t in teachers if t.active}
    kids = [c for c in children if c.id in ids]
    out: dict[tuple[RecipientRole, str], Recipient] = {}

    def add(role: RecipientRole, person_id: str, name: str = "", address: str = "") -> None:
        t = staff.get(person_id)
        name = name or (t.name if t else "")
        address = address or (t.phone or "" if t else "")
        out.setdefault((role, person_id), Recipient(role, person_id, name, address))

    for p in pairings:
        if p.child_id in ids and _covers(p, on):
            add(RecipientRole.MENTOR, p.mentor_id)
    class_ids = {c.class_id for c in kids if c.class_id}
    for k in classes:
        if k.id in class_ids and k.class_teacher_id:
            add(RecipientRole.CLASS_TEACHER, k.class_teacher_id)
    for t in staff.values():
        if StaffRole.CLASS_TEACHER in t.roles and class_ids & set(t.class_ids):
            add(RecipientRole.CLASS_TEACHER, t.id)
        if StaffRole.PSYCHOLOGIST in t.roles:
            add(RecipientRole.PSYCHOLOGIST, t.id)
    if school is not None and school.principal_id:
        add(RecipientRole.PRINCIPAL, school.principal_id)
    else:
        for t in staff.values():
            if StaffRole.PRINCIPAL in t.roles:
                add(RecipientRole.PRINCIPAL, t.id)
    for c in kids:
        for i, g in enumerate(c.guardians):
            add(RecipientRole.GUARDIAN, f"{c.id}/guardian/{i}", g.name, g.phone or "")
    return sorted(out.values(), key=lambda r: (_ROLE_ORDER[r.role], r.person_id))


# --------------------------------------------------------------------------- delivery states


@attrs.frozen
class RetryPolicy:
    """How a failing notice is retried: ``max_attempts`` tries in all, waiting
    ``base_seconds * factor ** (attempts - 1)`` (at most ``cap_seconds``) after
    each failure; after the last failure the notice is dead."""

    max_attempts: int = 5
    base_seconds: float = 60.0
    factor: float = 2.0
    cap_seconds: float = 6 * 3600.0

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_seconds < 0 or self.factor < 1:
            raise ValueError("a retry policy needs max_attempts >= 1, base >= 0 and factor >= 1")

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failed attempt (1 for the first)."""
        seconds = self.base_seconds * self.factor ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.cap_seconds))


#: Five tries, one minute after the first failure, doubling, at most six hours apart.
DEFAULT_RETRY: Final = RetryPolicy()


def is_due(notice: Notice, now: dt.datetime) -> bool:
    """Whether a dispatcher may take ``notice`` at ``now``: pending and due, or
    claimed by a dispatcher whose lease has run out (it stopped mid-run)."""
    if notice.state == NoticeState.PENDING:
        return notice.next_attempt_at is None or notice.next_attempt_at <= now
    if notice.state == NoticeState.SENDING:
        return notice.claimed_until is None or notice.claimed_until <= now
    return False


def claim(notice: Notice, now: dt.datetime, lease: dt.timedelta) -> Notice:
    """``notice`` claimed for an attempt until ``now + lease`` (one more attempt counted)."""
    if not is_due(notice, now):
        raise ValueError(f"notice {notice.id} is {notice.state.value}, not due at {now}")
    return attrs.evolve(
        notice,
        state=NoticeState.SENDING,
        attempts=notice.attempts + 1,
        claimed_until=now + lease,
    )


def release(claimed: Notice, before: Notice) -> Notice:
    """A claimed notice given back untried: as it was ``before`` the claim."""
    return attrs.evolve(
        claimed,
        state=before.state,
        attempts=before.attempts,
        claimed_until=before.claimed_until,
    )


def delivered(notice: Notice, now: dt.datetime) -> Notice:
    """``notice`` delivered and acknowledged at ``now``: never sent again."""
    return attrs.evolve(
        notice, state=NoticeState.SENT, sent_at=now, claimed_until=None, next_attempt_at=None
    )


def failed(
    notice: Notice, error: str, now: dt.datetime, retry: RetryPolicy = DEFAULT_RETRY
) -> Notice:
    """``notice`` after a failed attempt: pending again after the backoff, or dead
    when it has had ``retry.max_attempts`` attempts. The error is kept (masked)."""
    if notice.attempts >= retry.max_attempts:
        return attrs.evolve(
            notice,
            state=NoticeState.DEAD,
            last_error=error,
            claimed_until=None,
            next_attempt_at=None,
        )
    return attrs.evolve(
        notice,
        state=NoticeState.PENDING,
        last_error=error,
        claimed_until=None,
        next_attempt_at=now + retry.delay(notice.attempts),
    )
