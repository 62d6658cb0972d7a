"""Paper records the checks look for: archive sign-offs, parents' written notices of
the care arrangement, activities, and the filed term work summary.

These are the binders an inspector leafs through: the survey form's sign-off
(填表人, 审核人, 单位负责人), the parents' written notice to the school of who
cares for the child (未成年人保护法 art. 23), the noon and after-school
activities the summary reports, and the term work summary (工作总结) itself.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_

__all__ = ["Activity", "ActivityKind", "ArchiveSignOff", "CareNotice", "WorkSummary"]


@attrs.define
class ArchiveSignOff:
    """The sign-off of a child's survey form: who filled it, who reviewed it, the unit head."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    filled_by: str = attrs.field(converter=v.name)
    reviewed_by: str = attrs.field(converter=v.name)
    unit_head: str = attrs.field(converter=v.name)
    signed_on: dt.date
    version: int = 0


@attrs.define
class CareNotice:
    """The parents' written notice of the care arrangement (未成年人保护法 art. 23).

    ``given_by`` is the parent who wrote it, ``carer`` the entrusted guardian it
    names; ``to_village_committee`` records that the village committee was told too.
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    given_by: str = attrs.field(converter=v.name)
    carer: str = attrs.field(converter=v.name)
    given_on: dt.date
    to_village_committee: bool = True
    version: int = 0


class ActivityKind(StrEnum):
    """Activities of the care project (noon and after-school, contests, lessons)."""

    READING = N_("reading")
    SPORTS = N_("sports")
    LABOUR_SKILLS = N_("labour skills")
    SPEECH_CONTEST = N_("speech contest")
    PSYCHOLOGY_LESSON = N_("psychology lesson")
    GUARDIAN_TRAINING = N_("guardian training")
    OTHER = N_("other activity")


@attrs.define
class Activity:
    """An activity held on a day, run by staff, with the number of children taking part.

    ``child_ids`` names the children of the care programme who took part (their
    participation, counted per child in the term summary); ``participants`` is
    the head count, which may include other pupils.
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    kind: ActivityKind
    date: dt.date
    title: str = attrs.field(default="", converter=v.text)
    staff_ids: tuple[str, ...] = ()
    participants: int = attrs.field(default=0, converter=v.participants)
    version: int = 0
    child_ids: tuple[str, ...] = ()


@attrs.define
class WorkSummary:
    """The term work summary (工作总结) as filed: for which term, when, by whom."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    term_id: str = attrs.field(converter=v.name)
    filed_on: dt.date
    filed_by: str = attrs.field(converter=v.name)
    title: str = attrs.field(default="", converter=v.text)
    version: int = 0
