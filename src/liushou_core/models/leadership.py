"""The leading group (领导小组) and the term's work plan (目标责任制).

Each school forms a leading group for the term, headed by the principal, whose
members carry named duties; the group adopts the term's work plan, a list of
:class:`Measure` entries, each with a named owner and a due date, and records
the day each was done. The rules over them are in :mod:`liushou_core.leadership`.
"""

from __future__ import annotations

import datetime as dt

import attrs

from liushou_core import validate as v

__all__ = ["GroupMember", "LeadingGroup", "Measure", "WorkPlan"]


@attrs.frozen
class GroupMember:
    """A member of the leading group: a person (a teacher's id, or a name) and a duty."""

    person_id: str = attrs.field(converter=v.name)
    duty: str = attrs.field(default="", converter=v.text)


@attrs.define
class LeadingGroup:
    """The care project's leading group of a school for a term.

    ``head_id`` is the member who heads it: the school's principal (the checks
    say so when it is someone else); ``members`` list the others with their duties.
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    term_id: str = attrs.field(converter=v.name)
    head_id: str = attrs.field(converter=v.name)
    formed_on: dt.date
    members: tuple[GroupMember, ...] = ()
    version: int = 0


@attrs.frozen
class Measure:
    """One measure of a work plan: what is to be done, by whom (``owner``, a
    teacher's id or a name) and by when; ``done_on`` is the day it was done."""

    text: str = attrs.field(converter=v.name)
    owner: str = attrs.field(converter=v.name)
    due: dt.date
    done_on: dt.date | None = None


@attrs.define
class WorkPlan:
    """The term's work plan of a school (工作计划), adopted on a day."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    term_id: str = attrs.field(converter=v.name)
    adopted_on: dt.date
    measures: tuple[Measure, ...] = ()
    title: str = attrs.field(default="", converter=v.text)
    version: int = 0
