"""The leading group (领导小组) and the term's work plan (目标责任制): rules.

The seed's schools form a leading group headed by the principal, adopt a work
plan each term and assign each measure to a named person. This module says,
on a day ``on``, which measures of a plan are done, not done yet or overdue,
each with its reason (:func:`measure_status`, :func:`plan_progress`), and
holds the checks that :mod:`liushou_core.checks` runs among its built-ins:

* ``LEADING_GROUP_MISSING`` (warning): no leading group is recorded for the
  term once the grace days after the term's first day are over;
* ``LEADING_GROUP_HEAD`` (warning): the group is not headed by the school's
  principal (``School.principal_id``, else the staff with the principal's role);
* ``PLAN_MISSING`` (warning): no work plan for the term after the grace days;
* ``PLAN_MEASURE_OVERDUE`` (warning): a measure past its due date and not done,
  one finding per measure, naming its owner.

The grace days are dated policy data (:class:`LeadershipPolicy`). Pure: no
clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import attrs

from liushou_core.dated import Dated
from liushou_core.i18n import N_, Message
from liushou_core.models import (
    Finding,
    LeadingGroup,
    Measure,
    School,
    Severity,
    StaffRole,
    Subject,
    Teacher,
    WorkPlan,
)

if TYPE_CHECKING:
    from liushou_core.checks import CheckContext

__all__ = [
    "DEFAULT_LEADERSHIP_POLICY",
    "LeadershipPolicy",
    "MeasureOutcome",
    "MeasureStatus",
    "PlanProgress",
    "check_leading_group",
    "check_work_plan",
    "group_of",
    "measure_status",
    "plan_of",
    "plan_progress",
    "principal_ids",
]

_SRC_SEED: Final = (
    "the seed's schools: a leading group headed by the principal, a work plan per term, "
    "measures assigned to named people (目标责任制)"
)
_SRC_LOCAL: Final = "local practice; liushou default, set your own (UNCONFIRMED)"


@attrs.frozen
class LeadershipPolicy:
    """The dated parameters of the leadership checks."""

    #: The leading group is formed within this many days of the term's first day.
    group_grace_days: Dated[int] = Dated.since(dt.date(2016, 2, 4), 30, _SRC_LOCAL)
    #: The work plan is adopted within this many days of the term's first day.
    plan_grace_days: Dated[int] = Dated.since(dt.date(2016, 2, 4), 30, _SRC_LOCAL)


#: The parameters as liushou ships them.
DEFAULT_LEADERSHIP_POLICY: Final = LeadershipPolicy()


class MeasureStatus(StrEnum):
    """Where a measure stands on a day."""

    DONE = N_("done")
    NOT_DONE = N_("not done yet")
    OVERDUE = N_("overdue")


@attrs.frozen
class MeasureOutcome:
    """A measure's status on ``on`` and the reason, as a message."""

    measure: Measure
    status: MeasureStatus
    reason: Message

    def explain(self, lang: str = "zh") -> str:
        """The reason in ``lang``."""
        return self.reason.render(lang)


def measure_status(measure: Measure, *, on: dt.date) -> MeasureOutcome:
    """Whether ``measure`` is done, not done yet, or overdue on ``on``.

    A measure done on or before ``on`` is done (early, on time or late, the
    reason says which); a measure not done by ``on`` is overdue once its due
    day has passed (the due day itself still counts as in time).
    """
    params: dict[str, str | int] = {
        "measure": measure.text,
        "owner": measure.owner,
        "due": measure.due.isoformat(),
    }
    done = measure.done_on
    if done is not None and done <= on:
        params["done"] = done.isoformat()
        if done > measure.due:
            params["days"] = (done - measure.due).days
            text = N_(
                "{measure} ({owner}) was done on {done}, {days} day(s) after it was due on {due}."
            )
        else:
            text = N_("{measure} ({owner}) was done on {done}; it was due on {due}.")
        return MeasureOutcome(measure, MeasureStatus.DONE, Message("MEASURE_DONE", text, params))
    if on > measure.due:
        params["days"] = (on - measure.due).days
        return MeasureOutcome(
            measure,
            MeasureStatus.OVERDUE,
            Message(
                "MEASURE_OVERDUE",
                N_("{measure} ({owner}) was due on {due} and is {days} day(s) overdue."),
                params,
            ),
        )
    params["days"] = (measure.due - on).days
    return MeasureOutcome(
        measure,
        MeasureStatus.NOT_DONE,
        Message(
            "MEASURE_NOT_DONE",
            N_("{measure} ({owner}) is not done yet; it is due on {due}, in {days} day(s)."),
            params,
        ),
    )


@attrs.frozen
class PlanProgress:
    """Every measure of the plans counted on ``on``, in plan order."""

    on: dt.date
    outcomes: tuple[MeasureOutcome, ...]

    def count(self, status: MeasureStatus) -> int:
        """How many measures have ``status``."""
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def done(self) -> int:
        return self.count(MeasureStatus.DONE)

    @property
    def not_done(self) -> int:
        """Measures not done and not yet due."""
        return self.count(MeasureStatus.NOT_DONE)

    @property
    def overdue(self) -> int:
        return self.count(MeasureStatus.OVERDUE)

    def explain(self, lang: str = "zh") -> list[str]:
        """Each measure's reason in ``lang``."""
        return [o.explain(lang) for o in self.outcomes]


def plan_progress(plans: WorkPlan | Iterable[WorkPlan], *, on: dt.date) -> PlanProgress:
    """The status of every measure of ``plans`` (one plan or several) on ``on``."""
    items = (plans,) if isinstance(plans, WorkPlan) else tuple(plans)
    return PlanProgress(on, tuple(measure_status(m, on=on) for p in items for m in p.measures))


def principal_ids(school: School, teachers: Iterable[Teacher]) -> frozenset[str]:
    """Who is the principal: ``school.principal_id``, else the active staff with that role."""
    if school.principal_id:
        return frozenset({school.principal_id})
    return frozenset(t.id for t in teachers if t.active and StaffRole.PRINCIPAL in t.roles)


def group_of(groups: Iterable[LeadingGroup], term_id: str, on: dt.date) -> LeadingGroup | None:
    """The term's leading group formed by ``on`` (the latest formed, if several)."""
    mine = [g for g in groups if g.term_id == term_id and g.formed_on <= on]
    return max(mine, key=lambda g: (g.formed_on, g.id)) if mine else None


def plan_of(plans: Iterable[WorkPlan], term_id: str, on: dt.date) -> Sequence[WorkPlan]:
    """The term's work plans adopted by ``on``, in order of adoption."""
    return sorted(
        (p for p in plans if p.term_id == term_id and p.adopted_on <= on),
        key=lambda p: (p.adopted_on, p.id),
    )


# --------------------------------------------------------------------------- checks

W: Final = Severity.WARNING


def check_leading_group(ctx: CheckContext) -> Iterator[Finding]:
    """The term's leading group is recorded and headed by the principal."""
    on, term = ctx.on, ctx.term
    policy = DEFAULT_LEADERSHIP_POLICY
    group = group_of(ctx.records.leading_groups, term.id, on)
    school = Subject("school", ctx.school_id)
    if group is None:
        if (on - term.first_day).days >= policy.group_grace_days.at(on):
            yield ctx.finding(
                "LEADING_GROUP_MISSING",
                W,
                school,
                Message(
                    "LEADING_GROUP_MISSING",
                    N_("No leading group of the care project is recorded for term {term}."),
                    {"term": term.id},
                ),
                Message(
                    "LEADING_GROUP_MISSING_FIX",
                    N_("Form the leading group, headed by the principal, and record its members."),
                ),
            )
        return
    heads = principal_ids(ctx.records.school, ctx.records.teachers)
    if group.head_id not in heads:
        head = ctx.teachers.get(group.head_id)
        yield ctx.finding(
            "LEADING_GROUP_HEAD",
            W,
            Subject("leading_group", group.id),
            Message(
                "LEADING_GROUP_HEAD",
                N_("The leading group of term {term} is headed by {head}, not by the principal."),
                {"term": term.id, "head": head.name if head else group.head_id},
            ),
            Message(
                "LEADING_GROUP_HEAD_FIX",
                N_("The principal heads the leading group: record the principal as its head."),
            ),
        )


def check_work_plan(ctx: CheckContext) -> Iterator[Finding]:
    """The term's work plan is adopted, and its measures are done when due."""
    on, term = ctx.on, ctx.term
    policy = DEFAULT_LEADERSHIP_POLICY
    plans = plan_of(ctx.records.work_plans, term.id, on)
    if not plans:
        if (on - term.first_day).days >= policy.plan_grace_days.at(on):
            yield ctx.finding(
                "PLAN_MISSING",
                W,
                Subject("school", ctx.school_id),
                Message(
                    "PLAN_MISSING",
                    N_("No work plan of the care project is recorded for term {term}."),
                    {"term": term.id},
                ),
                Message(
                    "PLAN_MISSING_FIX",
                    N_("Adopt the term's work plan: each measure with an owner and a due date."),
                ),
            )
        return
    for plan in plans:
        for n, measure in enumerate(plan.measures, start=1):
            outcome = measure_status(measure, on=on)
            if outcome.status is not MeasureStatus.OVERDUE:
                continue
            owner = ctx.teachers.get(measure.owner)
            params: dict[str, str | int] = {
                "measure": measure.text,
                "owner": owner.name if owner else measure.owner,
                "due": measure.due.isoformat(),
                "days": (on - measure.due).days,
            }
            yield ctx.finding(
                "PLAN_MEASURE_OVERDUE",
                W,
                Subject("measure", f"{plan.id}/{n}"),
                Message(
                    "PLAN_MEASURE_OVERDUE",
                    N_("Measure {measure} ({owner}) was due on {due}: {days} day(s) overdue."),
                    params,
                ),
                Message(
                    "PLAN_MEASURE_OVERDUE_FIX",
                    N_("Ask {owner} to finish the measure, or record the day it was done."),
                    params,
                ),
            )
