"""Dated values: looked up by day, boundaries inclusive, overridden by a later change."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_core.dated import Change, Dated
from liushou_core.errors import LiushouError, PolicyError

AUTUMN_2019 = dt.date(2019, 9, 1)
SUBSIDY = Dated(
    (
        Change(dt.date(2011, 9, 1), 750, "财教〔2011〕...（小学）"),
        Change(dt.date(2019, 9, 1), 1000, "财教〔2019〕19号"),
    )
)


def test_value_on_a_day() -> None:
    assert SUBSIDY.at(dt.date(2015, 3, 1)) == 750
    assert SUBSIDY.at(dt.date(2024, 3, 1)) == 1000


def test_the_effective_day_itself_has_the_new_value() -> None:
    assert SUBSIDY.at(AUTUMN_2019) == 1000
    assert SUBSIDY.at(AUTUMN_2019 - dt.timedelta(days=1)) == 750
    assert SUBSIDY.at(dt.date(2011, 9, 1)) == 750


def test_before_the_first_change_there_is_no_value() -> None:
    with pytest.raises(PolicyError, match="2011-09-01") as info:
        SUBSIDY.at(dt.date(2011, 8, 31))
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, LiushouError)


def test_far_in_the_future_the_last_value_holds() -> None:
    assert SUBSIDY.at(dt.date(2999, 12, 31)) == 1000


def test_source_and_change_on_a_day() -> None:
    assert SUBSIDY.source_at(dt.date(2020, 1, 1)) == "财教〔2019〕19号"
    change = SUBSIDY.change_at(dt.date(2020, 1, 1))
    assert change == Change(AUTUMN_2019, 1000, "财教〔2019〕19号")


def test_since() -> None:
    age = Dated.since(dt.date(2016, 2, 4), 16, "国发〔2016〕13号")
    assert age.at(dt.date(2016, 2, 4)) == 16
    with pytest.raises(PolicyError):
        age.at(dt.date(2016, 2, 3))


def test_with_change_overrides_from_its_day_on() -> None:
    raised = SUBSIDY.with_change(dt.date(2023, 9, 1), 1200, "某省教育厅2023年文件")
    assert raised.at(dt.date(2023, 8, 31)) == 1000
    assert raised.at(dt.date(2023, 9, 1)) == 1200
    assert raised.source_at(dt.date(2024, 1, 1)) == "某省教育厅2023年文件"
    # the original is untouched
    assert SUBSIDY.at(dt.date(2024, 1, 1)) == 1000
    assert len(SUBSIDY.changes) == 2


def test_with_change_on_an_existing_day_replaces_that_change() -> None:
    county = SUBSIDY.with_change(AUTUMN_2019, 1100, "县级文件")
    assert county.at(AUTUMN_2019) == 1100
    assert len(county.changes) == 2
    assert county.source_at(AUTUMN_2019) == "县级文件"


def test_with_change_before_the_first_extends_the_past() -> None:
    earlier = SUBSIDY.with_change(dt.date(2008, 1, 1), 500, "older")
    assert earlier.at(dt.date(2010, 1, 1)) == 500
    assert earlier.at(dt.date(2012, 1, 1)) == 750


def test_changes_are_sorted_whatever_the_order_given() -> None:
    shuffled = Dated(tuple(reversed(SUBSIDY.changes)))
    assert shuffled == SUBSIDY
    assert [c.effective for c in shuffled.changes] == sorted(c.effective for c in SUBSIDY.changes)


def test_a_dated_value_needs_a_change() -> None:
    with pytest.raises(PolicyError):
        Dated(())


def test_two_changes_on_one_day_are_refused() -> None:
    with pytest.raises(PolicyError, match="same day"):
        Dated((Change(AUTUMN_2019, 1, "a"), Change(AUTUMN_2019, 2, "b")))


def test_dated_values_are_immutable() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        SUBSIDY.changes = ()  # type: ignore[misc]


_DAYS = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))


@given(
    changes=st.dictionaries(_DAYS, st.integers(0, 5000), min_size=1, max_size=6),
    on=_DAYS,
)
def test_at_is_the_latest_change_not_after_the_day(
    changes: dict[dt.date, int], on: dt.date
) -> None:
    dated = Dated(tuple(Change(day, value, f"doc {value}") for day, value in changes.items()))
    in_force = [day for day in changes if day <= on]
    if not in_force:
        with pytest.raises(PolicyError):
            dated.at(on)
    else:
        assert dated.at(on) == changes[max(in_force)]
        assert dated.source_at(on) == f"doc {changes[max(in_force)]}"


@given(
    changes=st.dictionaries(_DAYS, st.integers(0, 5000), min_size=1, max_size=4),
    day=_DAYS,
    value=st.integers(0, 5000),
    on=_DAYS,
)
def test_with_change_is_adding_or_replacing(
    changes: dict[dt.date, int], day: dt.date, value: int, on: dt.date
) -> None:
    dated = Dated(tuple(Change(d, v, "") for d, v in changes.items()))
    expected = Dated(tuple(Change(d, v, "") for d, v in {**changes, day: value}.items()))
    got = dated.with_change(day, value, "")
    assert got == expected
    try:
        want = expected.at(on)
    except PolicyError:
        with pytest.raises(PolicyError):
            got.at(on)
    else:
        assert got.at(on) == want
