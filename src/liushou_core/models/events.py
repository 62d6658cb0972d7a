"""Dated records of care: contacts, diary entries, health checks, incidents, pledges."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_

__all__ = [
    "Authority",
    "ContactEvent",
    "ContactKind",
    "DiaryEntry",
    "HealthCheck",
    "HealthResult",
    "Incident",
    "IncidentKind",
    "IncidentState",
    "IncidentStep",
    "PledgeLevel",
    "SafetyPledge",
]


class ContactKind(StrEnum):
    """Kinds of contact in the talk system (谈心制度)."""

    MEETING = N_("meeting")  # 座谈会: mentors, children and guardians
    TALK = N_("talk")  # 谈心: mentor and child one to one
    HOME_VISIT = N_("home visit")  # 家访
    PHONE_CALL = N_("phone call")  # call with parents working away
    PARENT_MEETING = N_("parent meeting")  # 家长会


@attrs.define
class ContactEvent:
    """A contact that took place (or is planned, ``planned=True``) on a day."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    kind: ContactKind
    date: dt.date
    child_ids: tuple[str, ...] = ()
    staff_ids: tuple[str, ...] = ()
    with_guardian: bool = False
    with_parent: bool = False
    minutes: int | None = attrs.field(default=None, converter=v.optional_minutes)
    summary: str = attrs.field(default="", converter=v.text)
    planned: bool = False
    version: int = 0


@attrs.define
class DiaryEntry:
    """A mentor's dated note in a child's growth diary (成长日记)."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    mentor_id: str = attrs.field(converter=v.name)
    date: dt.date
    text: str = attrs.field(default="", converter=v.text)
    version: int = 0


class HealthResult(StrEnum):
    NORMAL = N_("normal")
    FOLLOW_UP = N_("needs follow-up")
    REFERRED = N_("referred for treatment")


@attrs.define
class HealthCheck:
    """A (free) health check of a child and its follow-up."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    date: dt.date
    result: HealthResult = HealthResult.NORMAL
    findings: str = attrs.field(default="", converter=v.text)
    follow_up_due: dt.date | None = None
    version: int = 0


class IncidentKind(StrEnum):
    INJURY = N_("injury")
    MISSING = N_("missing child")
    SUSPECTED_HARM = N_("suspected abuse or neglect")
    ILLNESS = N_("illness")
    PSYCHOLOGICAL_CRISIS = N_("psychological crisis")
    OTHER = N_("other incident")


class IncidentState(StrEnum):
    REPORTED = N_("reported")
    REFERRED = N_("referred")
    FOLLOWED_UP = N_("followed up")
    CLOSED = N_("closed")


class Authority(StrEnum):
    """Authorities a suspected harm is reported to (未成年人保护法 art. 11)."""

    POLICE = N_("police")
    CIVIL_AFFAIRS = N_("civil affairs")
    EDUCATION = N_("education authority")


@attrs.frozen
class IncidentStep:
    """A state an incident reached, at a local time (no time zone)."""

    state: IncidentState
    at: dt.datetime
    note: str = attrs.field(default="", converter=v.text)
    reported_to: tuple[Authority, ...] = ()


@attrs.define
class Incident:
    """An incident concerning one or more children, with the steps taken."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    kind: IncidentKind
    occurred_on: dt.date
    child_ids: tuple[str, ...] = ()
    steps: tuple[IncidentStep, ...] = ()
    summary: str = attrs.field(default="", converter=v.text)
    version: int = 0

    @property
    def state(self) -> IncidentState:
        """The latest state reached (``reported`` when no step is recorded)."""
        return max(self.steps, key=lambda s: s.at).state if self.steps else IncidentState.REPORTED


class PledgeLevel(StrEnum):
    """Levels at which safety pledges (安全责任书) are signed."""

    SCHOOL = N_("school")
    TEACHER = N_("teacher")
    GUARDIAN = N_("guardian")


@attrs.define
class SafetyPledge:
    """A safety responsibility letter signed at one level for a term."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    term_id: str = attrs.field(converter=v.name)
    level: PledgeLevel
    signer: str = attrs.field(converter=v.name)
    signed_on: dt.date
    child_id: str | None = attrs.field(default=None, converter=v.optional_name)
    version: int = 0
