"""The term work summary's figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.checks import SchoolRecords, run_checks
from liushou_core.classify import Category
from liushou_core.models import (
    Activity,
    ActivityKind,
    AidDecision,
    ContactEvent,
    ContactKind,
    IncidentKind,
    Severity,
)
from liushou_core.models.aid import SchemeDecision
from liushou_core.school_calendar import term_on
from liushou_core.summary import FIGURE_GROUPS, changes, term_summary
from liushou_core.testing.checks import complete_records

ON = dt.date(2026, 11, 2)
FEW = settings(max_examples=10, deadline=None)


@FEW
@given(built=complete_records(on=ON))
def test_figures_count_the_records(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    s = term_summary(records, on=on)
    n = len(records.children)
    assert s.children == n
    assert s.by_category[Category.LEFT_BEHIND] == n
    assert s.by_class == {"S1-k1": {c: (n if c is Category.LEFT_BEHIND else 0) for c in Category}}
    assert s.pairs == n
    assert s.mentors == len({p.mentor_id for p in records.pairings})
    assert s.held[ContactKind.TALK] == n
    assert s.planned[ContactKind.TALK] == n  # nothing else planned
    assert s.health_checks == sum(
        1 for h in records.health_checks if h.date >= records.term.first_day
    )
    assert sum(s.incidents.values()) == sum(
        1 for i in records.incidents if i.occurred_on >= records.term.first_day
    )
    assert s.incidents_open == 0
    assert s.findings_open == dict.fromkeys(Severity, 0)
    assert s.findings_closed is None
    figures = s.figures()
    assert figures["children.total"] == n
    assert figures["held.talk"] == n
    assert all(type(v) is int for v in figures.values())
    assert {k.split(".", 1)[0] for k in figures} <= set(FIGURE_GROUPS)


@FEW
@given(built=complete_records(on=ON), planned=st.integers(0, 20))
def test_held_against_plan_activities_and_aid(
    built: tuple[SchoolRecords, dt.date], planned: int
) -> None:
    records, on = built
    cid = records.children[0].id
    future = ContactEvent(
        "S1-ep", "S1", ContactKind.HOME_VISIT, on + dt.timedelta(days=5), (cid,), planned=True
    )
    activity = Activity("S1-a1", "S1", ActivityKind.READING, on, "读书会", ("S1-t1",), 30)
    subsidy = SchemeDecision("living subsidy", True, Decimal(1000))
    tuition = SchemeDecision("free tuition", True, None)
    decision = AidDecision("S1-ad", "S1", cid, on, (subsidy, tuition))
    more = attrs.evolve(
        records,
        events=(*records.events, future),
        activities=(activity,),
        aid_decisions=(decision,),
    )
    s = term_summary(more, on=on)
    assert s.held[ContactKind.HOME_VISIT] == 0
    assert s.planned[ContactKind.HOME_VISIT] == 1
    assert s.activities[ActivityKind.READING] == 1
    assert s.participants == 30
    assert s.aid_decisions == 1
    assert s.aid_eligible == {"free tuition": 1, "living subsidy": 1}
    assert s.aid_amount == Decimal(1000)
    given_plan = term_summary(more, on=on, planned={ContactKind.TALK: planned})
    assert given_plan.planned[ContactKind.TALK] == planned
    assert given_plan.planned[ContactKind.HOME_VISIT] == 0


@FEW
@given(built=complete_records(on=ON))
def test_findings_open_and_closed_and_the_change_since_last_term(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    c = records.children[0]
    gappy = attrs.evolve(records, children=(attrs.evolve(c, ethnicity=""), *records.children[1:]))
    before = run_checks(gappy, on=on)
    assert [f.code for f in before] == ["ARCHIVE_ETHNICITY"]
    last = term_summary(gappy, on=on, findings=before)
    assert last.findings_open[Severity.WARNING] == 1
    now = term_summary(
        records, on=on, findings=run_checks(records, on=on), previous_findings=before
    )
    assert now.findings_closed == 1
    assert now.findings_open[Severity.WARNING] == 0
    delta = changes(now, last)
    assert delta["findings.warning"] == -1
    assert delta["findings.closed"] == 1
    assert delta["children.total"] == 0


@FEW
@given(built=complete_records(on=ON))
def test_suppressed_figures_never_show_1_to_4(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    shown = term_summary(records, on=on).suppressed()
    assert all(v is None or v == 0 or v >= 5 for v in shown.values())
    assert set(shown) == set(term_summary(records, on=on).figures())


def test_a_synthetic_school_summary() -> None:
    from liushou_core import synth

    s = synth.school(5, children=150)
    records = SchoolRecords(
        school=s.school,
        term=term_on(ON),
        classes=s.classes,
        children=s.children,
        households=s.households,
    )
    summary = term_summary(records, on=ON)
    assert summary.children == 150
    assert sum(sum(row.values()) for row in summary.by_class.values()) == sum(
        summary.by_category.values()
    )
    assert summary.incidents == dict.fromkeys(IncidentKind, 0)
    assert 20 < summary.by_category[Category.LEFT_BEHIND] < 90
    from liushou_core.classify import survey

    counted = survey(s.children, on=ON, households=s.households)
    assert summary.by_category == counted.counts
    assert summary.by_class == counted.by_class
