"""The school calendar: real 2026-27 arrangements, closed days, make-up working days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_core.models import Semester, Term
from liushou_core.school_calendar import (
    ARRANGEMENTS,
    TERM_DEFAULTS,
    Arrangement,
    days_between,
    default_term,
    national_arrangement,
    school_calendar,
)

D = dt.date
AUTUMN_2026 = Term(2026, Semester.AUTUMN, D(2026, 9, 1), D(2027, 1, 22))
SPRING_2027 = Term(2026, Semester.SPRING, D(2027, 2, 22), D(2027, 7, 2))


# ----------------------------------------------------------------------------- 2026 autumn


def test_national_day_2026_is_closed_and_its_make_up_days_are_open() -> None:
    cal = school_calendar(AUTUMN_2026)
    # 国务院办公厅关于2026年部分节假日安排的通知:
    # 10月1日至7日放假调休, 9月20日(周日)、10月10日(周六)上班
    for day in days_between(D(2026, 10, 1), D(2026, 10, 7)):
        assert not cal.is_open(day), day
    assert cal.is_open(D(2026, 9, 20))  # a Sunday, a make-up working day
    assert cal.is_open(D(2026, 10, 10))  # a Saturday, a make-up working day
    assert D(2026, 9, 20).weekday() == 6
    assert D(2026, 10, 10).weekday() == 5
    assert cal.is_open(D(2026, 10, 8))
    assert cal.is_open(D(2026, 10, 9))
    assert not cal.is_open(D(2026, 10, 11))  # an ordinary Sunday
    assert not cal.is_open(D(2026, 9, 25))  # Mid-Autumn Festival, a Friday


def test_new_years_day_2027_is_closed_in_the_autumn_term() -> None:
    cal = school_calendar(AUTUMN_2026)
    assert not cal.is_open(D(2027, 1, 1))
    assert cal.is_open(D(2026, 12, 31))
    assert any(s.startswith("2026: ") for s in cal.sources)
    assert any(s.startswith("2027: ") for s in cal.sources)


def test_closed_reasons_render_in_both_languages() -> None:
    cal = school_calendar(AUTUMN_2026, closed=[D(2026, 11, 12)])
    holiday = cal.why_closed(D(2026, 10, 1))
    assert holiday is not None
    assert holiday.code == "CAL_HOLIDAY"
    assert "国庆节" in holiday.render("zh")
    assert "public holiday" in holiday.render("en")
    closed = cal.why_closed(D(2026, 11, 12))
    assert closed is not None
    assert closed.render("zh") == "2026-11-12：不上课（学校停课）"
    assert closed.render("en") == "2026-11-12: no school (school closed)"
    weekend = cal.why_closed(D(2026, 10, 11))
    assert weekend is not None
    assert weekend.render("en").endswith("(weekend)")
    out = cal.why_closed(D(2027, 2, 1))
    assert out is not None
    assert out.code == "CAL_BREAK"
    assert cal.why_closed(D(2026, 10, 10)) is None


# ----------------------------------------------------------------------------- 2027 spring


def test_spring_festival_2027_falls_in_the_winter_break() -> None:
    arr = national_arrangement(2027)
    # Spring Festival 2027: eve 5 February, first day 6 February (statutory: eve and days 1-3)
    for day in days_between(D(2027, 2, 5), D(2027, 2, 8)):
        assert day in arr.days_off, day
    autumn, spring = school_calendar(AUTUMN_2026), school_calendar(SPRING_2027)
    for day in days_between(D(2027, 2, 5), D(2027, 2, 8)):
        assert not autumn.is_open(day)
        assert not spring.is_open(day)
        why = spring.why_closed(day)
        assert why is not None
        assert why.code == "CAL_BREAK"


def test_spring_2027_term_closes_on_its_statutory_holidays() -> None:
    cal = school_calendar(SPRING_2027)
    for day in (D(2027, 4, 5), D(2027, 5, 3), D(2027, 5, 4), D(2027, 6, 9)):
        assert not cal.is_open(day), day  # Qingming, Labour Day observed, Dragon Boat
    assert cal.is_open(D(2027, 2, 22))
    assert cal.is_open(D(2027, 7, 2))


def test_the_missing_2027_notice_is_flagged_and_can_be_supplied() -> None:
    arr = national_arrangement(2027)
    assert not arr.complete
    assert "UNCONFIRMED" in arr.source
    assert national_arrangement(2026).complete
    assert 2027 not in ARRANGEMENTS
    # a county passes the published notice (here a stand-in with one make-up Saturday)
    notice = Arrangement(
        2027,
        {**arr.days_off, D(2027, 2, 12): "春节"},
        {D(2027, 2, 27)},
        "国务院办公厅关于2027年部分节假日安排的通知 (as published)",
    )
    cal = school_calendar(SPRING_2027, arrangements={2027: notice})
    assert cal.is_open(D(2027, 2, 27))  # a Saturday made a working day
    assert not school_calendar(SPRING_2027).is_open(D(2027, 2, 27))
    assert any("as published" in s for s in cal.sources)


def test_an_arrangement_checks_its_days() -> None:
    with pytest.raises(ValueError, match="not in the year"):
        Arrangement(2027, {D(2026, 10, 1): "x"}, (), "s")
    with pytest.raises(ValueError, match="both off and working"):
        Arrangement(2027, {D(2027, 2, 6): "x"}, {D(2027, 2, 6)}, "s")


def test_default_terms_are_dated_data() -> None:
    autumn = default_term(2026, Semester.AUTUMN)
    spring = default_term(2026, Semester.SPRING)
    assert autumn.first_day == D(2026, 9, 1)
    assert autumn.last_day.year == 2027
    assert spring.first_day.year == 2027
    assert autumn.last_day < spring.first_day
    assert "UNCONFIRMED" in TERM_DEFAULTS.source_at(D(2026, 9, 1))


# ----------------------------------------------------------------------------- properties

days_2026_27 = st.dates(min_value=D(2026, 9, 1), max_value=D(2027, 1, 22))


@given(
    closed=st.frozensets(days_2026_27, max_size=20), opened=st.frozensets(days_2026_27, max_size=5)
)
def test_open_days_are_exactly_the_open_ones(
    closed: frozenset[dt.date], opened: frozenset[dt.date]
) -> None:
    cal = school_calendar(AUTUMN_2026, closed=closed, opened=opened - closed)
    open_days = set(cal.open_days)
    for day in days_between(AUTUMN_2026.first_day, AUTUMN_2026.last_day):
        assert (day in open_days) == cal.is_open(day)
        assert (cal.why_closed(day) is None) == (day in open_days)
        if day in closed:
            assert day not in open_days
        elif day in opened:
            assert day in open_days
        elif day.weekday() >= 5 and day not in cal.workdays:
            assert day not in open_days
    assert list(cal.open_days) == sorted(open_days)
