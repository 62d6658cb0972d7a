"""review_term: plan, compliance, checks and figures of a school's term agree."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from liushou_core import synth
from liushou_core.checks import SchoolRecords
from liushou_core.models import ContactEvent, ContactKind, MentorKind, Pairing, Severity
from liushou_core.review import review_term
from liushou_core.school_calendar import term_before, term_on

ON = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def records() -> SchoolRecords:
    s = synth.school(5, on=ON)
    term = term_on(ON)
    left_behind = [c for c in s.children if c.parents and all(p.away for p in c.parents)][:6]
    teacher = s.teachers[0]
    pairings = [
        Pairing(
            id=f"p{i}",
            school_id=s.school.id,
            term_id=term.id,
            child_id=c.id,
            mentor_id=teacher.id,
            mentor_kind=MentorKind.TEACHER,
            start=term.first_day,
        )
        for i, c in enumerate(left_behind[:3])
    ]
    return SchoolRecords(
        school=s.school,
        term=term,
        classes=s.classes,
        teachers=s.teachers,
        volunteers=s.volunteers,
        children=s.children,
        households=s.households,
        pairings=pairings,
    )


def test_the_review_counts_what_the_plan_planned_up_to_the_day(records: SchoolRecords) -> None:
    review = review_term(records, on=ON)
    assert review.plan.pairs, "the term's pairs are planned"
    for kind in ContactKind:
        due = sum(1 for c in review.plan.contacts if c.kind == kind.value and c.date <= ON)
        assert review.summary.planned[kind] == due
    assert review.summary.pairs == 3


def test_overdue_contacts_are_findings_and_events(records: SchoolRecords) -> None:
    review = review_term(records, on=ON)  # nothing recorded since September: overdue
    codes = {f.code for f in review.findings}
    assert any(c.startswith("CADENCE_") and c.endswith("_OVERDUE") for c in codes)
    assert review.overdue
    assert {e.kind for e in review.overdue} == {"contact.overdue"}
    assert review.errors == sum(1 for f in review.findings if f.severity is Severity.ERROR)
    assert review.errors > 0


def test_a_recorded_talk_is_counted_and_never_adds_findings(records: SchoolRecords) -> None:
    before = review_term(records, on=ON)
    p = records.pairings[0]
    talk = ContactEvent(
        id="talk-1",
        school_id=records.school.id,
        kind=ContactKind.TALK,
        date=ON - dt.timedelta(days=3),
        child_ids=(p.child_id,),
        staff_ids=(p.mentor_id,),
    )
    after = review_term(attrs.evolve(records, events=(talk,)), on=ON)
    assert after.summary.held[ContactKind.TALK] == 1
    assert len(after.findings) <= len(before.findings)


def test_findings_gone_since_the_previous_review_count_as_closed(records: SchoolRecords) -> None:
    earlier = review_term(attrs.evolve(records, term=term_before(records.term)), on=ON)
    review = review_term(records, on=ON, previous_findings=earlier.findings)
    now = {(f.code, f.subject) for f in review.findings}
    then = {(f.code, f.subject) for f in earlier.findings}
    assert review.summary.findings_closed == len(then - now)


def test_the_review_is_a_function_of_its_inputs(records: SchoolRecords) -> None:
    assert review_term(records, on=ON) == review_term(records, on=ON)
