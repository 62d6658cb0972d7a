"""Hypothesis strategies for aid rules: pupils, households with evidence, identifications,
manual decisions, assessment days and policies (a province that pays more).

::

    from hypothesis import given
    from liushou_core.testing import aid as aid_st

    @given(aid_st.cases())
    def test_my_scheme(case):
        child, household, policy, on = case
        ...

This module imports Hypothesis (a test dependency); ``liushou_core`` itself
never imports it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

import attrs
from hypothesis import strategies as st

from liushou_core.aid import DEFAULT_POLICY, AidPolicy, Rates
from liushou_core.models import (
    Child,
    DifficultyIdentification,
    DifficultyLevel,
    Evidence,
    EvidenceKind,
    Household,
    HouseholdCategory,
    IdentificationStep,
    LevelChange,
    ManualDecision,
    SchoolingStatus,
    StepRecord,
)
from liushou_core.testing import strategies as lst

__all__ = [
    "BOUNDARIES",
    "aid_days",
    "aid_pupils",
    "cases",
    "evidence",
    "households",
    "identifications",
    "manual_decisions",
    "policies",
]

#: Days where the rules change: autumn 2019 (non-boarders), autumn 2021 (5 yuan meals).
BOUNDARIES: Final = (
    dt.date(2019, 8, 31),
    dt.date(2019, 9, 1),
    dt.date(2021, 8, 31),
    dt.date(2021, 9, 1),
)


def aid_days() -> st.SearchStrategy[dt.date]:
    """Days from 2010 to 2030, with the policy boundaries drawn often."""
    return st.one_of(
        st.sampled_from(BOUNDARIES),
        st.dates(dt.date(2010, 1, 1), dt.date(2030, 12, 31)),
    )


@st.composite
def aid_pupils(draw: st.DrawFn, *, school_id: str | None = None) -> Child:
    """Pupils of any schooling stage, boarding or not."""
    child = draw(lst.children(school_id=school_id))
    return attrs.evolve(
        child,
        schooling=draw(st.sampled_from(SchoolingStatus)),
        boarding=draw(st.booleans()),
        household_id=None,
    )


@st.composite
def evidence(draw: st.DrawFn) -> Evidence:
    """Documents on file, some with an end of validity."""
    received = draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)))
    until = (
        received + dt.timedelta(days=draw(st.integers(0, 1500))) if draw(st.booleans()) else None
    )
    return Evidence(draw(st.sampled_from(EvidenceKind)), received, until)


@st.composite
def households(draw: st.DrawFn, *, school_id: str = "s-1", id: str = "h-1") -> Household:
    """Households with grounds of difficulty, maybe a level, and documents on file."""
    level = draw(st.none() | st.sampled_from(DifficultyLevel))
    return Household(
        id=id,
        school_id=school_id,
        categories=tuple(draw(st.sets(st.sampled_from(HouseholdCategory), max_size=3))),
        difficulty_level=level,
        identified_on=(
            draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31))) if level else None
        ),
        evidence=tuple(draw(st.lists(evidence(), max_size=3))),
    )


@st.composite
def manual_decisions(draw: st.DrawFn, *, scheme: str = "") -> ManualDecision:
    """A school's inclusion or exclusion with its reason."""
    return ManualDecision(
        include=draw(st.booleans()),
        reason=draw(st.sampled_from(("家庭突发变故", "核实后不符合条件", "校务会议决定"))),
        decided_by=draw(st.sampled_from(("校长", "资助专干"))),
        decided_on=draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31))),
        scheme=scheme,
        amount=draw(st.none() | st.integers(0, 3000).map(Decimal)),
    )


@st.composite
def identifications(
    draw: st.DrawFn, *, child_id: str = "c-1", school_year: int | None = None
) -> DifficultyIdentification:
    """Identifications with steps in order, levels adjusted by term, maybe a manual decision."""
    year = school_year if school_year is not None else draw(st.integers(2018, 2029))
    start = dt.date(year, 9, 1)
    n = draw(st.integers(0, len(IdentificationStep)))
    gaps = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    steps = []
    day = start
    for step, gap in zip(list(IdentificationStep)[:n], gaps, strict=True):
        day += dt.timedelta(days=gap)
        steps.append(StepRecord(step, day))
    levels = tuple(
        LevelChange(start + dt.timedelta(days=d), lv)
        for d, lv in draw(
            st.lists(
                st.tuples(st.integers(0, 300), st.none() | st.sampled_from(DifficultyLevel)),
                max_size=2,
                unique_by=lambda t: t[0],
            )
        )
    )
    return DifficultyIdentification(
        id=f"{child_id}-diff-{year}",
        school_id="s-1",
        child_id=child_id,
        school_year=year,
        categories=tuple(draw(st.sets(st.sampled_from(HouseholdCategory), max_size=2))),
        levels=levels,
        steps=tuple(steps),
        manual=draw(st.none() | manual_decisions()),
    )


@st.composite
def policies(draw: st.DrawFn) -> AidPolicy:
    """The national policy, or a province that pays more from some day, or a non-pilot county."""
    policy = DEFAULT_POLICY
    if draw(st.booleans()):
        extra = draw(st.integers(0, 1000))
        day = draw(st.dates(dt.date(2017, 1, 1), dt.date(2028, 12, 31)))
        policy = attrs.evolve(
            policy,
            living_subsidy=policy.living_subsidy.with_change(
                day, Rates(Decimal(1000 + extra), Decimal(1250 + extra)), "province (test)"
            ),
        )
    if draw(st.booleans()):
        policy = attrs.evolve(
            policy,
            nutrition_pilot=policy.nutrition_pilot.with_change(
                dt.date(2016, 9, 1), False, "not a pilot county (test)"
            ),
        )
    return policy


@st.composite
def cases(draw: st.DrawFn) -> tuple[Child, Household, AidPolicy, dt.date]:
    """A pupil, the household, a policy and a day."""
    household = draw(households())
    child = attrs.evolve(draw(aid_pupils(school_id="s-1")), household_id=household.id)
    return child, household, draw(policies()), draw(aid_days())
