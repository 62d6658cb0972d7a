"""Evaluation of mentors, classes and schools, and the district view."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.checks import SchoolRecords
from liushou_core.evaluation import (
    DEFAULT_EVALUATION_POLICY,
    Level,
    Part,
    PartKind,
    Score,
    district,
    evaluate,
)
from liushou_core.models import ContactEvent, ContactKind, DiaryEntry, Period
from liushou_core.testing.checks import complete_records

ON = dt.date(2026, 11, 2)
PERIOD = Period(dt.date(2026, 9, 1), ON)
FEW = settings(max_examples=10, deadline=None)


def by(scores: list[Score], level: Level, key: str) -> Score:
    return next(s for s in scores if s.level is level and s.id == key)


@FEW
@given(
    built=complete_records(on=ON),
    kind=st.sampled_from(list(ContactKind)),
    day=st.dates(PERIOD.start, ON),
    which=st.integers(0, 2),
    diary=st.booleans(),
)
def test_one_more_talk_never_lowers_a_score(
    built: tuple[SchoolRecords, dt.date], kind: ContactKind, day: dt.date, which: int, diary: bool
) -> None:
    records, on = built
    pair = records.pairings[which % len(records.pairings)]
    before = evaluate(records, period=PERIOD, on=on)
    extra: SchoolRecords
    if diary:
        entry = DiaryEntry("S1-dx", "S1", pair.child_id, pair.mentor_id, day)
        extra = attrs.evolve(records, diaries=(*records.diaries, entry))
    else:
        event = ContactEvent("S1-ex", "S1", kind, day, (pair.child_id,), (pair.mentor_id,))
        extra = attrs.evolve(records, events=(*records.events, event))
    after = evaluate(extra, period=PERIOD, on=on)
    assert [(s.level, s.id) for s in after] == [(s.level, s.id) for s in before]
    for b, a in zip(before, after, strict=True):
        assert a.total >= b.total, (b, a)
        for pb, pa in zip(b.parts, a.parts, strict=True):
            assert pa.due == pb.due
            assert pa.done >= pb.done


@FEW
@given(built=complete_records(on=ON))
def test_scores_cover_mentors_classes_and_the_school(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    scores = evaluate(records, period=PERIOD, on=on)
    assert {s.id for s in scores if s.level is Level.MENTOR} == {
        p.mentor_id for p in records.pairings
    }
    assert {s.id for s in scores if s.level is Level.CLASS} == {"S1-k1"}
    school = by(scores, Level.SCHOOL, "S1")
    assert school.pairs == len(records.pairings)
    assert school.part(PartKind.ARCHIVE).due == len(records.children)
    assert school.part(PartKind.ARCHIVE).done == len(records.children)  # complete archives
    assert school.part(PartKind.INCIDENTS).done == school.part(PartKind.INCIDENTS).due
    for s in scores:
        assert 0 <= s.total <= 100
        assert all(0 <= p.done <= p.due or p.due == 0 for p in s.parts)
        assert sum(p.weight for p in s.parts) == 100


@FEW
@given(built=complete_records(on=ON))
def test_a_missing_archive_field_lowers_the_archive_part(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    c = records.children[0]
    broken = attrs.evolve(records, children=(attrs.evolve(c, ethnicity=""), *records.children[1:]))
    before = by(evaluate(records, period=PERIOD, on=on), Level.SCHOOL, "S1")
    after = by(evaluate(broken, period=PERIOD, on=on), Level.SCHOOL, "S1")
    assert after.part(PartKind.ARCHIVE).done == before.part(PartKind.ARCHIVE).done - 1
    assert after.total < before.total


def test_weights_are_dated_policy_with_a_source() -> None:
    weights = DEFAULT_EVALUATION_POLICY.weights
    assert sum(weights.at(ON).values()) == 100
    assert weights.source_at(ON)
    county = attrs.evolve(
        DEFAULT_EVALUATION_POLICY,
        weights=weights.with_change(dt.date(2026, 9, 1), {PartKind.ARCHIVE: 1}, "县教育局考核办法"),
    )
    part = Part(PartKind.ARCHIVE, 1, 2, 1)
    score = Score(Level.SCHOOL, "S1", "S1", PERIOD, (part,), 10, 3)
    assert score.total == 50.0
    assert county.weights.at(ON) == {PartKind.ARCHIVE: 1}


def test_a_part_with_nothing_due_counts_as_done() -> None:
    assert Part(PartKind.AID, 0, 0, 10).share == 1.0
    assert Score(Level.SCHOOL, "S", "S", PERIOD, (), 0, 0).total == 100.0


# --------------------------------------------------------------------------- district

counts = st.integers(0, 40)


@st.composite
def school_scores(draw: st.DrawFn) -> Score:
    parts = []
    for kind in PartKind:
        due = draw(counts)
        parts.append(Part(kind, draw(st.integers(0, due)), due, 20))
    sid = draw(st.sampled_from([f"S{i}" for i in range(30)]))
    return Score(Level.SCHOOL, sid, sid, PERIOD, tuple(parts), draw(counts), draw(counts))


@given(st.lists(school_scores(), max_size=8, unique_by=lambda s: s.id))
def test_the_district_view_never_shows_a_count_from_1_to_4(scores: list[Score]) -> None:
    view = district(scores, on=ON)
    assert all(c is None or c == 0 or c >= 5 for c in view.counts())
    assert [r.rank for r in view.rows] == list(range(1, len(scores) + 1))
    totals = [r.total for r in view.rows]
    assert totals == sorted(totals, reverse=True)
    for row in view.rows:
        for _, done, due, share in row.parts:
            assert (share is None) == (due is None)
            if done is not None and due is not None and due:
                assert share == pytest.approx(done / due, abs=1e-3)


def test_the_district_view_ranks_only_schools() -> None:
    a = Score(Level.SCHOOL, "A", "A", PERIOD, (Part(PartKind.AID, 9, 10, 1),), 50, 20)
    b = Score(Level.SCHOOL, "B", "B", PERIOD, (Part(PartKind.AID, 10, 10, 1),), 3, 2)
    mentor = Score(Level.MENTOR, "t1", "A", PERIOD, (), 2, 2)
    view = district([a, mentor, b], on=ON)
    assert [r.school_id for r in view.rows] == ["B", "A"]
    assert (view.rows[0].children, view.rows[0].pairs) == (None, None)
    assert (view.rows[1].children, view.rows[1].pairs) == (50, 20)
