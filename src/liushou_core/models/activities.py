"""Records of the care project's activities and community: the duty rota,
boarding, guardian training sessions and partners.

* :class:`Duty`: a mentor teacher on duty for the noon or after-school
  activities (轮流值日) on one day of a term (built by :func:`liushou_core.rota.rota`);
* :class:`Boarding`: a child boarding at school (住校) in a term, with the
  dormitory and, when it did not cover the whole term, its first and last day;
* :class:`GuardianTraining`: a training session for entrusted guardians
  (委托监护人培训): when, the topic, who came;
* :class:`Partner`: the school's partners in the community: village
  committees, care committees (关工委), residents' committees, retired teachers.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_
from liushou_core.models.common import not_before

__all__ = [
    "Boarding",
    "Duty",
    "DutySlot",
    "GuardianTraining",
    "Partner",
    "PartnerKind",
]


class DutySlot(StrEnum):
    """The activity periods of a school day that a mentor supervises in turn."""

    NOON = N_("noon activities")
    AFTER_SCHOOL = N_("after-school activities")


@attrs.define
class Duty:
    """A mentor on duty for one slot of one school day of a term.

    ``id`` is ``<term>-<date>-<slot>`` when the rota made it, so that storing
    a new rota of the same term replaces the old one day by day.
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    term_id: str = attrs.field(converter=v.name)
    date: dt.date
    slot: DutySlot
    mentor_id: str = attrs.field(converter=v.name)
    version: int = 0


@attrs.define
class Boarding:
    """A child boarding at school in a term (住校), in a dormitory.

    ``start``/``end`` bound the stay when it did not cover the whole term
    (``None``: from the term's first day, to its last day).
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    term_id: str = attrs.field(converter=v.name)
    dormitory: str = attrs.field(default="", converter=v.text)
    start: dt.date | None = None
    end: dt.date | None = attrs.field(default=None, validator=not_before("start"))
    version: int = 0


@attrs.define
class GuardianTraining:
    """A training session for entrusted guardians (委托监护人培训) and who came.

    ``attendees`` are the guardians' names as they signed in; ``child_ids`` the
    children whose guardian came (a guardian of two children counts for both).
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    date: dt.date
    topic: str = attrs.field(converter=v.name)
    attendees: tuple[str, ...] = ()
    child_ids: tuple[str, ...] = ()
    trainer: str = attrs.field(default="", converter=v.text)
    version: int = 0


class PartnerKind(StrEnum):
    """The school's partners in the community (the education network, 教育网络)."""

    VILLAGE_COMMITTEE = N_("village committee")  # 村委会
    CARE_COMMITTEE = N_("care committee")  # 关工委
    RESIDENTS_COMMITTEE = N_("residents' committee")  # 居委会
    RETIRED_TEACHERS = N_("retired teachers")  # 退休教师
    OTHER = N_("other partner")


@attrs.define
class Partner:
    """A partner of the school's care project, with the person the school deals with."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    kind: PartnerKind
    name: str = attrs.field(converter=v.name)
    contact_person: str = attrs.field(default="", converter=v.text)
    joined_on: dt.date | None = None
    active: bool = True
    version: int = 0
