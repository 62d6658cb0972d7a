"""The synthetic term of care records: repeatable, consistent, and realistically incomplete."""

from __future__ import annotations

import datetime as dt

import pytest

from liushou_core import synth
from liushou_core.checks import SchoolRecords, run_checks
from liushou_core.models import MentorKind, Pairing
from liushou_core.school_calendar import term_on
from liushou_core.synth_term import term_records

ON = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def school() -> synth.SyntheticSchool:
    return synth.school(2, on=ON)


@pytest.fixture(scope="module")
def records(school: synth.SyntheticSchool) -> SchoolRecords:
    return term_records(school, on=ON, seed=1)


def test_same_seed_same_records(school: synth.SyntheticSchool, records: SchoolRecords) -> None:
    assert term_records(school, on=ON, seed=1) == records
    assert term_records(school, on=ON, seed=2) != records


def test_records_belong_to_the_school_and_the_term(records: SchoolRecords) -> None:
    sid, term = records.school.id, term_on(ON)
    assert records.term == term
    kinds = (
        records.pairings,
        records.events,
        records.diaries,
        records.health_checks,
        records.incidents,
        records.pledges,
        records.consents,
        records.activities,
    )
    for group in kinds:
        assert group, "every kind of record is made"
        assert all(r.school_id == sid for r in group)
        assert len({r.id for r in group}) == len(group)
    held = [e for e in records.events if not e.planned]
    assert all(term.first_day <= e.date <= ON for e in held)
    assert {p.term_id for p in records.pairings} == {term.id}
    children = {c.id for c in records.children}
    assert {p.child_id for p in records.pairings} <= children
    assert records.nominated is not None
    assert {p.child_id for p in records.pairings} <= records.nominated


def test_a_share_is_left_undone_for_the_checks_to_find(records: SchoolRecords) -> None:
    codes = {f.code for f in run_checks(records, on=ON)}
    assert "CONSENT_MISSING" in codes or "HEALTH_CHECK_DUE" in codes
    assert len(codes) >= 3


def test_the_callers_pairings_are_used(school: synth.SyntheticSchool) -> None:
    term = term_on(ON)
    child = school.children[0]
    mentor = school.teachers[1]
    mine = Pairing("mine", school.school.id, term.id, child.id, mentor.id, MentorKind.TEACHER)
    got = term_records(school, on=ON, seed=1, pairings=[mine])
    assert got.pairings == (mine,)
    assert got.nominated is None
    talks = [e for e in got.events if child.id in e.child_ids and mentor.id in e.staff_ids]
    assert talks, "the pair's talks are recorded"
