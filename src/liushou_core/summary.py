"""The figures of a term work summary (工作总结), from one school's records.

:func:`term_summary` counts what a school's summary reports for a term:
children by category and by class, pairs and mentors, meetings, talks, home
visits and calls held against plan, aid decisions and amounts, health checks,
activities, incidents, the checks' findings open (and closed since last term),
and :func:`changes` gives the change since last term. The export issue turns
these figures into the report.

Every figure is a whole count (amounts in yuan, :class:`~decimal.Decimal`) and
:meth:`TermSummary.figures` flattens them to ``{"name": count}``; for a report
that leaves the school, :meth:`TermSummary.suppressed` suppresses counts below
5 group by group (:func:`liushou_core.privacy.suppress_small`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

import attrs

from liushou_core.boarding import boarders
from liushou_core.checks import DEFAULT_CHECK_POLICY, CheckContext, CheckPolicy, SchoolRecords
from liushou_core.classify import Category
from liushou_core.leadership import plan_of, plan_progress
from liushou_core.models import (
    ActivityKind,
    ContactKind,
    Finding,
    HealthResult,
    IncidentKind,
    IncidentState,
    MentorKind,
    PledgeLevel,
    Severity,
)
from liushou_core.privacy import suppress_small

__all__ = ["FIGURE_GROUPS", "TermSummary", "changes", "term_summary"]

#: The groups of figures, each one row of counts for suppression.
FIGURE_GROUPS: Final = (
    "children",
    "category",
    "pairing",
    "held",
    "planned",
    "aid",
    "health",
    "activities",
    "incidents",
    "findings",
    "practice",
    "measures",
)


@attrs.frozen
class TermSummary:
    """What a term work summary reports for one school and term, counted on ``on``.

    ``by_class`` maps a class id (``""`` for children without a class) to the
    counts by category of its children. ``held`` and ``planned`` count contact
    events by kind within the term up to ``on``; ``aid_amount`` is the yearly
    cash total of the aid decisions made in the term.
    """

    school_id: str
    term_id: str
    on: dt.date
    children: int
    by_category: Mapping[Category, int]
    by_class: Mapping[str, Mapping[Category, int]]
    pairs: int
    mentors: int
    volunteer_mentors: int
    held: Mapping[ContactKind, int]
    planned: Mapping[ContactKind, int]
    aid_decisions: int
    aid_eligible: Mapping[str, int]
    aid_amount: Decimal
    health_checks: int
    health_follow_ups: int
    activities: Mapping[ActivityKind, int]
    participants: int
    incidents: Mapping[IncidentKind, int]
    incidents_open: int
    findings_open: Mapping[Severity, int]
    findings_closed: int | None
    #: Activities each child took part in (child id -> count); never leaves the school.
    participation: Mapping[str, int] = attrs.field(factory=dict)
    #: Children who took part in at least one activity.
    children_in_activities: int = 0
    #: Duties of the activities rota in the term up to the day.
    duties: int = 0
    #: Children boarding on some day of the term.
    boarders: int = 0
    #: Guardian training sessions held in the term, and the guardians who came.
    guardian_trainings: int = 0
    guardians_trained: int = 0
    #: Active community partners.
    partners: int = 0
    #: Safety pledges of the term signed by the day, per level.
    pledges: Mapping[PledgeLevel, int] = attrs.field(factory=dict)
    #: The term's work-plan measures on ``on``: done, not done yet, overdue.
    measures_done: int = 0
    measures_not_done: int = 0
    measures_overdue: int = 0

    def figures(self) -> dict[str, int]:
        """Every count by a stable name (``"held.talk"``, ``"category.left-behind"``)."""
        out: dict[str, int] = {"children.total": self.children}
        out |= {f"category.{k.value}": v for k, v in self.by_category.items()}
        out |= {
            "pairing.pairs": self.pairs,
            "pairing.mentors": self.mentors,
            "pairing.volunteer_mentors": self.volunteer_mentors,
        }
        out |= {f"held.{k.value}": v for k, v in self.held.items()}
        out |= {f"planned.{k.value}": v for k, v in self.planned.items()}
        out |= {"aid.decisions": self.aid_decisions}
        out |= {f"aid.{k}": v for k, v in self.aid_eligible.items()}
        out |= {"health.checks": self.health_checks, "health.follow_ups": self.health_follow_ups}
        out |= {f"activities.{k.value}": v for k, v in self.activities.items()}
        out |= {
            "activities.participants": self.participants,
            "activities.children": self.children_in_activities,
        }
        out |= {f"incidents.{k.value}": v for k, v in self.incidents.items()}
        out |= {"incidents.open": self.incidents_open}
        out |= {f"findings.{k.value}": v for k, v in self.findings_open.items()}
        if self.findings_closed is not None:
            out["findings.closed"] = self.findings_closed
        out |= {
            "practice.duties": self.duties,
            "practice.boarders": self.boarders,
            "practice.guardian_trainings": self.guardian_trainings,
            "practice.guardians_trained": self.guardians_trained,
            "practice.partners": self.partners,
        }
        out |= {f"practice.pledges.{k.value}": v for k, v in self.pledges.items()}
        out |= {
            "measures.done": self.measures_done,
            "measures.not_done": self.measures_not_done,
            "measures.overdue": self.measures_overdue,
        }
        return out

    def suppressed(self, threshold: int = 5) -> dict[str, int | None]:
        """:meth:`figures` fit to leave the school: each group a row for
        :func:`~liushou_core.privacy.suppress_small`, so no count from 1 to
        ``threshold - 1`` is shown and none can be worked back from the others."""
        figures = self.figures()
        out: dict[str, int | None] = {}
        for group in FIGURE_GROUPS:
            row = {k: v for k, v in figures.items() if k.split(".", 1)[0] == group}
            out |= suppress_small(row, threshold=threshold) if row else {}
        return out


def term_summary(
    records: SchoolRecords,
    *,
    on: dt.date,
    findings: Sequence[Finding] = (),
    previous_findings: Sequence[Finding] | None = None,
    planned: Mapping[ContactKind, int] | None = None,
    policy: CheckPolicy = DEFAULT_CHECK_POLICY,
) -> TermSummary:
    """Count the term's work of ``records.school`` in ``records.term`` up to ``on``.

    ``findings``: the checks' findings on ``on`` (:func:`~liushou_core.checks.run_checks`);
    ``previous_findings``: those of an earlier day (the start of term, or last
    term's end): a finding (code and subject) found then and not now counts as
    closed. ``planned``: the contacts planned per kind (from the cadence plan);
    by default the held contacts plus those still recorded as ``planned``.
    """
    ctx = CheckContext(records, on, policy, classify_all=True)
    term = records.term
    last = min(on, term.last_day)

    def in_term(day: dt.date) -> bool:
        return term.first_day <= day <= last

    by_category: Counter[Category] = Counter()
    by_class: dict[str, Counter[Category]] = {}
    for c in records.children:
        cats = ctx.categories.get(c.id, ())
        by_category.update(cats)
        by_class.setdefault(c.class_id or "", Counter()).update(cats)
    pairs = [p for ps in ctx.pairings.values() for p in ps]
    held: Counter[ContactKind] = Counter()
    still: Counter[ContactKind] = Counter()
    for e in records.events:
        if in_term(e.date) or (e.planned and term.covers(e.date)):
            (still if e.planned else held)[e.kind] += 1
    plan = (
        {k: planned.get(k, 0) for k in ContactKind}
        if planned is not None
        else {k: held[k] + still[k] for k in ContactKind}
    )
    decisions = [d for d in records.aid_decisions if in_term(d.on)]
    eligible: Counter[str] = Counter()
    for d in decisions:
        eligible.update(s.scheme for s in d.schemes if s.eligible)
    checks = [h for h in records.health_checks if in_term(h.date)]
    activities = [a for a in records.activities if in_term(a.date)]
    participation: Counter[str] = Counter(cid for a in activities for cid in set(a.child_ids))
    trainings = [t for t in records.trainings if in_term(t.date)]
    incidents = [i for i in records.incidents if in_term(i.occurred_on)]
    done = (IncidentState.FOLLOWED_UP, IncidentState.CLOSED)
    closed: int | None = None
    if previous_findings is not None:
        now = {(f.code, f.subject) for f in findings}
        closed = len({(f.code, f.subject) for f in previous_findings} - now)
    severities = Counter(f.severity for f in findings)
    progress = plan_progress(plan_of(records.work_plans, term.id, on), on=on)
    return TermSummary(
        school_id=records.school.id,
        term_id=term.id,
        on=on,
        children=len(records.children),
        by_category={k: by_category.get(k, 0) for k in Category},
        by_class={k: {c: v.get(c, 0) for c in Category} for k, v in sorted(by_class.items())},
        pairs=len(pairs),
        mentors=len({p.mentor_id for p in pairs}),
        volunteer_mentors=len(
            {p.mentor_id for p in pairs if p.mentor_kind is MentorKind.VOLUNTEER}
        ),
        held={k: held.get(k, 0) for k in ContactKind},
        planned=plan,
        aid_decisions=len(decisions),
        aid_eligible=dict(sorted(eligible.items())),
        aid_amount=sum((d.total for d in decisions), Decimal(0)),
        health_checks=len(checks),
        health_follow_ups=sum(1 for h in checks if h.result is not HealthResult.NORMAL),
        activities={k: sum(1 for a in activities if a.kind is k) for k in ActivityKind},
        participants=sum(a.participants for a in activities),
        incidents={k: sum(1 for i in incidents if i.kind is k) for k in IncidentKind},
        incidents_open=sum(1 for i in incidents if i.state not in done),
        findings_open={k: severities.get(k, 0) for k in Severity},
        findings_closed=closed,
        participation=dict(sorted(participation.items())),
        children_in_activities=len(participation),
        duties=sum(1 for d in records.duties if d.term_id == term.id and d.date <= on),
        boarders=len(boarders(records.boardings, term)),
        guardian_trainings=len(trainings),
        guardians_trained=len({name for t in trainings for name in t.attendees}),
        partners=sum(1 for p in records.partners if p.active),
        pledges={
            k: sum(1 for p in ctx.pledges if p.level is k and p.signed_on <= on)
            for k in PledgeLevel
        },
        measures_done=progress.done,
        measures_not_done=progress.not_done,
        measures_overdue=progress.overdue,
    )


def changes(current: TermSummary, previous: TermSummary) -> dict[str, int]:
    """The change of every figure since ``previous`` (a figure missing then counts as 0)."""
    before = previous.figures()
    now = current.figures()
    return {k: v - before.get(k, 0) for k, v in now.items()} | {
        k: -v for k, v in before.items() if k not in now
    }
