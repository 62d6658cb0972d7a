"""Boarders: the term's records feed the living subsidy and the weekend contact rule."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.aid import LIVING_SUBSIDY, assess, assess_many
from liushou_core.boarding import boarders, boarding_spans, dormitories, span_in, with_boarding
from liushou_core.cadence import (
    DEFAULT_POLICY,
    CarePair,
    Condition,
    Window,
    care_pairs,
    compliance,
    plan,
)
from liushou_core.checks import SchoolRecords
from liushou_core.models import (
    AwayPeriod,
    Boarding,
    Child,
    ContactEvent,
    ContactKind,
    Household,
    HouseholdCategory,
    Pairing,
    Parent,
    ParentRole,
    School,
    SchoolingStatus,
    Sex,
)
from liushou_core.school_calendar import parse_term
from liushou_core.summary import term_summary
from liushou_core.testing import strategies as lst

D = dt.date
TERM = parse_term("2026-autumn")  # 2026-09-01 to 2027-01-20


def child(cid: str = "c1", *, boarding: bool = False) -> Child:
    away = (AwayPeriod(D(2020, 1, 1), None, "广东省", "东莞市"),)
    return Child(
        id=cid,
        school_id="S1",
        name="王小明",
        sex=Sex.MALE,
        birth_date=D(2015, 5, 4),
        schooling=SchoolingStatus.PRIMARY,
        boarding=boarding,
        household_id="h1",
        parents=(
            Parent(ParentRole.FATHER, "王建国", away=away),
            Parent(ParentRole.MOTHER, "李秀英", away=away),
        ),
    )


POOR = Household("h1", "S1", categories=(HouseholdCategory.DIBAO,))


def test_a_boarder_of_the_term_gets_the_boarders_living_subsidy() -> None:
    kid = child()
    on = D(2026, 10, 8)
    record = Boarding("b1", "S1", kid.id, TERM.id, "3号宿舍", start=D(2026, 9, 14))
    (boarder,) = with_boarding([kid], [record], TERM)
    assert boarder.boarding
    full = assess(boarder, POOR, on=on).scheme(LIVING_SUBSIDY)
    half = assess(kid, POOR, on=on).scheme(LIVING_SUBSIDY)
    assert full is not None
    assert half is not None
    assert full.eligible
    assert full.amount == Decimal(1000)
    assert any("Boards at school" in r for r in full.explain("en"))
    assert half.amount == Decimal(500)  # a non-boarder on 低保: half the rate
    # a record of another term does not make a boarder; the flag follows the records
    other = attrs.evolve(record, term_id="2025-spring")
    (back,) = with_boarding([child(boarding=True)], [other], TERM)
    assert not back.boarding
    [decision] = assess_many(with_boarding([kid], [record], TERM), [POOR], on=on)
    assert decision.scheme(LIVING_SUBSIDY) == full


@settings(max_examples=40, deadline=None)
@given(st.lists(lst.boardings(school_id="S1"), max_size=6))
def test_spans_lie_in_the_term_and_name_the_boarders(records: list[Boarding]) -> None:
    for b in records:
        term = parse_term(b.term_id)
        span = span_in(b, term)
        if span is not None:
            assert term.first_day <= span[0] <= span[1] <= term.last_day
        spans = boarding_spans(records, term)
        assert set(spans) == boarders(records, term)
        for parts in spans.values():
            assert all(a <= z for a, z in parts)
            assert all(z < a2 for (_, z), (a2, _) in itertools.pairwise(parts))
        assert {c for kids in dormitories(records, term).values() for c in kids} == set(spans)


def _pairs(records: list[Boarding]) -> tuple[CarePair, ...]:
    pairing = Pairing("p1", "S1", TERM.id, "c1", "t1", start=TERM.first_day)
    return care_pairs([pairing], [child()], TERM, boardings=records)


def test_the_weekend_contact_rule_applies_only_while_the_child_boards() -> None:
    rule = next(r for r in DEFAULT_POLICY.rules_on(TERM.first_day) if r.code == "BOARDER_CONTACT")
    assert rule.condition is Condition.BOARDING
    assert rule.window is Window.FORTNIGHT
    assert "UNCONFIRMED" in rule.source
    day_pupil = plan(TERM, _pairs([]))
    assert not [o for o in day_pupil.obligations if o.rule.code == "BOARDER_CONTACT"]
    since = D(2026, 11, 2)
    p = plan(TERM, _pairs([Boarding("b1", "S1", "c1", TERM.id, "3号宿舍", start=since)]))
    obs = [o for o in p.obligations if o.rule.code == "BOARDER_CONTACT"]
    assert obs
    assert all(o.start >= since and (o.end - o.start).days < 14 for o in obs)
    calls = [c for c in p.contacts if c.rule_code == "BOARDER_CONTACT"]
    assert len(calls) == len(obs)
    assert all(p.calendar.is_open(c.date) for c in calls)


def test_a_boarder_without_a_call_for_three_weeks_is_overdue() -> None:
    board = [Boarding("b1", "S1", "c1", TERM.id, "3号宿舍", start=D(2026, 11, 2))]
    p = plan(TERM, _pairs(board))
    on = D(2026, 11, 30)

    def codes(events: list[ContactEvent]) -> set[str]:
        return {f.code for f in compliance(events, p, on=on) if "BOARDER" in f.code}

    # the clock starts when boarding begins, not at the start of term
    assert codes([]) >= {"CADENCE_BOARDER_CONTACT_SINCE_LAST"}
    weekly = [
        ContactEvent(f"e{i}", "S1", ContactKind.PHONE_CALL, D(2026, 11, 6) + i * dt.timedelta(7))
        for i in range(4)
    ]
    weekly = [attrs.evolve(e, child_ids=("c1",), with_guardian=True) for e in weekly]
    assert codes(weekly) == set()
    # before boarding begins nothing is due
    assert not {f.code for f in compliance([], p, on=D(2026, 10, 30)) if "BOARDER" in f.code}


def test_the_summary_counts_the_boarders() -> None:
    records = SchoolRecords(
        school=School("S1", "清溪中心小学", "431121"),
        term=TERM,
        children=(child("c1"), child("c2")),
        boardings=(
            Boarding("b1", "S1", "c1", TERM.id, "1号宿舍"),
            Boarding("b2", "S1", "c2", "2025-spring", "1号宿舍"),
        ),
    )
    assert term_summary(records, on=D(2026, 10, 8)).figures()["practice.boarders"] == 1
