"""A school's term on a day: plan, who is overdue, the checks' findings, the figures.

:func:`review_term` ties the rules together for one school, from its records
(:class:`~liushou_core.checks.SchoolRecords`): the cadence plan of the term's
pairs (:func:`liushou_core.cadence.plan`), compliance with it on the day
(:func:`~liushou_core.cadence.compliance`) and the escalation events it
raises, the children each class nominates for a mentor
(:func:`liushou_core.pairing.nominate`, unless the records say), every
completeness check (:func:`~liushou_core.checks.run_checks`, the cadence
findings included), and the term summary figures
(:func:`~liushou_core.summary.term_summary`), planned contacts counted from the
plan. ``liushou check``, ``liushou report`` and ``liushou demo`` all use it, so
they agree.

Like every rule it is a pure function of its inputs and the day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import attrs
import pluggy

from liushou_core.cadence import (
    DEFAULT_POLICY,
    CadencePolicy,
    Plan,
    care_pairs,
    compliance,
    escalations,
    plan,
)
from liushou_core.checks import DEFAULT_CHECK_POLICY, CheckPolicy, SchoolRecords, run_checks
from liushou_core.hookspecs import Event
from liushou_core.models import ContactEvent, ContactKind, Finding, HealthCheck, Severity
from liushou_core.pairing import DEFAULT_RULES, PairingRules, nominate
from liushou_core.school_calendar import school_calendar
from liushou_core.summary import TermSummary, term_summary

__all__ = ["TermReview", "review_term"]


@attrs.frozen
class TermReview:
    """The review of one school's term on ``on``.

    ``findings`` holds the checks' and the cadence's findings, ordered by
    subject; ``overdue`` the ``contact.overdue`` events for the notifiers.
    """

    records: SchoolRecords
    on: dt.date
    plan: Plan
    findings: tuple[Finding, ...]
    overdue: tuple[Event, ...]
    summary: TermSummary

    @property
    def errors(self) -> int:
        """How many findings are errors (``liushou check`` exits 1 when there are any)."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)


def review_term(
    records: SchoolRecords,
    *,
    on: dt.date,
    cadence_policy: CadencePolicy = DEFAULT_POLICY,
    check_policy: CheckPolicy = DEFAULT_CHECK_POLICY,
    pairing_rules: PairingRules = DEFAULT_RULES,
    closed: Sequence[dt.date] = (),
    pm: pluggy.PluginManager | None = None,
    previous_findings: Sequence[Finding] | None = None,
) -> TermReview:
    """Plan, compliance, checks and summary of ``records.school`` in ``records.term`` on ``on``.

    :param cadence_policy: the cadence rules (with plugin rules, see
        :func:`liushou_core.cadence.policy_from_plugins`).
    :param pairing_rules: the rules by which classes nominate children for a mentor
        (used when ``records.nominated`` is ``None``: every nominated child must be paired).
    :param closed: the school's own closed days.
    :param pm: a plugin manager whose ``liushou_checks`` run too (``None``: built-ins only).
    :param previous_findings: the findings of an earlier review, for those closed since.
    """
    term = records.term
    calendar = school_calendar(term, closed=closed)
    households = {h.id: h for h in records.households}
    pairs = care_pairs(
        records.pairings,
        records.children,
        term,
        households=households,
        boardings=records.boardings,
    )
    the_plan = plan(calendar, pairs, cadence_policy)
    nominated = records.nominated
    if nominated is None:  # the children each class nominates for a mentor on the day
        chosen = nominate(
            records.children,
            on=on,
            households=households,
            incidents=records.incidents,
            rules=pairing_rules,
        )
        nominated = frozenset(n.child.id for n in chosen.nominated)
    held: list[ContactEvent | HealthCheck] = [e for e in records.events if not e.planned]
    held += records.health_checks
    # the problems only: the per-mentor, child and school tallies (info) are not findings
    # to fix, and would bury them in ``liushou check``
    cadence = [f for f in compliance(held, the_plan, on=on) if f.severity is not Severity.INFO]
    overdue = escalations(held, the_plan, on=on)
    with_cadence = attrs.evolve(records, cadence_findings=tuple(cadence), nominated=nominated)
    findings = run_checks(with_cadence, on=on, policy=check_policy, pm=pm)
    planned: Counter[ContactKind] = Counter()
    for c in the_plan.contacts:
        if c.kind in ContactKind._value2member_map_ and c.date <= on:
            planned[ContactKind(c.kind)] += 1
    summary = term_summary(
        with_cadence,
        on=on,
        findings=findings,
        previous_findings=previous_findings,
        planned=planned,
        policy=check_policy,
    )
    return TermReview(
        records=with_cadence,
        on=on,
        plan=the_plan,
        findings=tuple(findings),
        overdue=tuple(overdue),
        summary=summary,
    )
