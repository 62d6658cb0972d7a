"""Classification: age boundaries, parents' timelines, each category's reasons, properties."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.classify import (
    DEFAULT_POLICY,
    Category,
    add_months,
    age_on,
    birthday_in,
    classify,
    survey,
)
from liushou_core.errors import PolicyError
from liushou_core.models import (
    AwayPeriod,
    CareAssessment,
    Child,
    ConditionKind,
    Disability,
    DisabilityType,
    Disqualification,
    Guardian,
    Health,
    HealthStatus,
    Household,
    HouseholdCategory,
    Hukou,
    Parent,
    ParentCondition,
    ParentRole,
    Relationship,
    Sex,
)

D = dt.date
ON = D(2026, 11, 29)
GRANDMA = Guardian(name="王秀英", relationship=Relationship.PATERNAL_GRANDMOTHER)


def away(start: dt.date, end: dt.date | None = None) -> AwayPeriod:
    return AwayPeriod(start, end, "广东省", "东莞市")


def father(*periods: AwayPeriod, conditions: tuple[ParentCondition, ...] = ()) -> Parent:
    return Parent(role=ParentRole.FATHER, name="张建国", away=periods, conditions=conditions)


def mother(*periods: AwayPeriod, conditions: tuple[ParentCondition, ...] = ()) -> Parent:
    return Parent(role=ParentRole.MOTHER, name="李桂兰", away=periods, conditions=conditions)


BIRTH = D(2016, 5, 1)


def child(*parents: Parent, birth: dt.date = BIRTH, **kw: object) -> Child:
    kw.setdefault("guardians", (GRANDMA,))
    return Child(
        id="c1",
        school_id="s1",
        name="张小明",
        sex=Sex.MALE,
        birth_date=birth,
        parents=parents,
        **kw,  # type: ignore[arg-type]
    )


def codes(c: object) -> list[str]:
    return [r.code for r in c.reasons]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (D(2010, 11, 29), D(2026, 11, 28), 15),
        (D(2010, 11, 29), D(2026, 11, 29), 16),  # birthday inclusive
        (D(2008, 2, 29), D(2024, 2, 28), 15),
        (D(2008, 2, 29), D(2024, 2, 29), 16),  # leap year: the day itself
        (D(2008, 2, 29), D(2023, 2, 28), 14),  # common year: 29 Feb falls on 1 March
        (D(2008, 2, 29), D(2023, 3, 1), 15),
    ],
)
def test_age_on(birth: dt.date, on: dt.date, age: int) -> None:
    assert age_on(birth, on) == age


def test_birthday_in_common_year() -> None:
    assert birthday_in(D(2012, 2, 29), 2026) == D(2026, 3, 1)
    assert birthday_in(D(2012, 2, 29), 2028) == D(2028, 2, 29)


def test_add_months_clamps() -> None:
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert add_months(D(2025, 1, 15), 6) == D(2025, 7, 15)
    assert add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)


def test_sixteenth_birthday_ends_left_behind() -> None:
    c = child(father(away(D(2020, 1, 1))), mother(away(D(2020, 1, 1))), birth=D(2010, 11, 29))
    assert classify(c, on=D(2026, 11, 28)).left_behind
    after = classify(c, on=D(2026, 11, 29))
    assert not after.left_behind
    assert "NOT_LB_AGE" in codes(after)


def test_leap_day_child_turns_16_on_29_february_or_1_march() -> None:
    leap = child(father(away(D(2020, 1, 1))), mother(away(D(2020, 1, 1))), birth=D(2012, 2, 29))
    assert classify(leap, on=D(2028, 2, 28)).left_behind
    assert not classify(leap, on=D(2028, 2, 29)).left_behind
    leap_common = child(
        father(away(D(2020, 1, 1))), mother(away(D(2020, 1, 1))), birth=D(2008, 2, 29)
    )
    assert classify(leap_common, on=D(2023, 2, 28)).left_behind  # aged 14 till 1 March
    assert classify(leap_common, on=D(2024, 2, 28)).left_behind  # aged 15
    assert not classify(leap_common, on=D(2024, 2, 29)).left_behind


# --------------------------------------------------------------------------- left-behind


def test_both_parents_away() -> None:
    c = classify(child(father(away(D(2024, 3, 1))), mother(away(D(2025, 2, 10)))), on=ON)
    assert c.categories == (Category.LEFT_BEHIND,)
    assert codes(c) == ["LB_PARENT_AWAY", "LB_PARENT_AWAY"]
    assert "广东省东莞市" in c.explain("en")[0]
    assert "2024-03-01" in c.explain("zh")[0]


def test_spring_festival_at_home() -> None:
    f = father(away(D(2025, 3, 1), D(2026, 2, 9)), away(D(2026, 2, 25)))
    c = child(f, mother(away(D(2024, 1, 1))))
    assert classify(c, on=D(2026, 2, 9)).left_behind
    home = classify(c, on=D(2026, 2, 17))
    assert home.categories == (Category.NONE,)
    assert "NOT_LB_PARENT_HOME" in codes(home)
    assert classify(c, on=D(2026, 2, 25)).left_behind


def test_one_away_other_seriously_ill() -> None:
    ill = ParentCondition(ConditionKind.SERIOUSLY_ILL, D(2025, 1, 1))
    c = classify(child(father(away(D(2024, 1, 1))), mother(conditions=(ill,))), on=ON)
    assert c.left_behind
    assert "LB_OTHER_INCAPABLE" in codes(c)


@pytest.mark.parametrize(
    ("disability", "severe"),
    [
        (Disability(DisabilityType.PHYSICAL, 1), True),
        (Disability(DisabilityType.PHYSICAL, 2), True),
        (Disability(DisabilityType.PHYSICAL, 3), False),
        (Disability(DisabilityType.INTELLECTUAL, 4), True),
        (Disability(DisabilityType.MENTAL, 3), True),
        (Disability(DisabilityType.VISUAL, 4), False),
    ],
)
def test_severe_disability_makes_parent_incapable(disability: Disability, severe: bool) -> None:
    cond = ParentCondition(ConditionKind.DISABLED, D(2020, 1, 1), disability=disability)
    c = classify(child(father(away(D(2024, 1, 1))), mother(conditions=(cond,))), on=ON)
    assert c.left_behind is severe


def test_one_away_other_home_is_not_left_behind() -> None:
    c = classify(child(father(away(D(2024, 1, 1))), mother()), on=ON)
    assert c.categories == (Category.NONE,)
    assert codes(c) == ["NOT_LB_PARENT_HOME"]
    assert "母亲" in c.explain("zh")[0] or "mother" in c.explain("en")[0]


def test_other_parent_unknown() -> None:
    c = classify(child(father(away(D(2024, 1, 1)))), on=ON)
    assert not c.left_behind
    assert "NOT_LB_PARENT_UNKNOWN" in codes(c)


def test_urban_hukou_is_not_rural_left_behind() -> None:
    c = child(father(away(D(2024, 1, 1))), mother(away(D(2024, 1, 1))), hukou=Hukou(rural=False))
    result = classify(c, on=ON)
    assert not result.left_behind
    assert "NOT_LB_URBAN" in codes(result)


def test_before_the_definition_raises_policy_error() -> None:
    c = child(father(away(D(2014, 1, 1))), mother(away(D(2014, 1, 1))), birth=D(2008, 1, 1))
    with pytest.raises(PolicyError):
        classify(c, on=D(2015, 1, 1))


def test_county_override_of_age_limit() -> None:
    policy = attrs.evolve(
        DEFAULT_POLICY,
        left_behind_max_age=DEFAULT_POLICY.left_behind_max_age.with_change(
            D(2026, 1, 1), 18, "某县文件"
        ),
    )
    c = child(father(away(D(2020, 1, 1))), mother(away(D(2020, 1, 1))), birth=D(2009, 1, 1))
    assert not classify(c, on=ON).left_behind
    assert classify(c, on=ON, policy=policy).left_behind
    assert not classify(c, on=D(2025, 12, 31), policy=policy).left_behind


# --------------------------------------------------------------------------- migrant


def test_migrant_child() -> None:
    c = child(
        father(),
        mother(),
        hukou=Hukou(place="四川省乡城县", local=False),
    )
    result = classify(c, on=ON)
    assert result.categories == (Category.MIGRANT,)
    assert "四川省乡城县" in result.explain("zh")[0]


def test_non_local_child_with_both_parents_away_is_left_behind_not_migrant() -> None:
    c = child(father(away(D(2024, 1, 1))), mother(away(D(2024, 1, 1))), hukou=Hukou(local=False))
    assert classify(c, on=ON).categories == (Category.LEFT_BEHIND,)


# --------------------------------------------------------------------------- de-facto


def _custody(start: dt.date, end: dt.date | None) -> ParentCondition:
    return ParentCondition(ConditionKind.IMPRISONED, start, end)


def test_de_facto_both_parents() -> None:
    lost = ParentCondition(ConditionKind.LOST_CONTACT, D(2025, 1, 1))
    c = child(
        father(conditions=(_custody(D(2024, 1, 1), D(2030, 1, 1)),)), mother(conditions=(lost,))
    )
    result = classify(c, on=ON)
    assert Category.DE_FACTO_UNSUPPORTED in result.categories
    assert Category.IN_DIFFICULTY in result.categories
    assert codes(result).count("DF_PARENT") == 2


def test_lost_contact_needs_six_months() -> None:
    dead = ParentCondition(ConditionKind.DECEASED, D(2020, 1, 1))
    lost = ParentCondition(ConditionKind.LOST_CONTACT, D(2026, 6, 1))
    c = child(father(conditions=(dead,)), mother(conditions=(lost,)))
    assert not classify(c, on=D(2026, 11, 30)).has(Category.DE_FACTO_UNSUPPORTED)
    assert classify(c, on=D(2026, 12, 1)).has(Category.DE_FACTO_UNSUPPORTED)


def test_short_sentence_does_not_count() -> None:
    dead = ParentCondition(ConditionKind.DECEASED, D(2020, 1, 1))
    c = child(
        father(conditions=(dead,)), mother(conditions=(_custody(D(2026, 9, 1), D(2027, 1, 1)),))
    )
    assert not classify(c, on=ON).has(Category.DE_FACTO_UNSUPPORTED)
    c2 = child(
        father(conditions=(dead,)), mother(conditions=(_custody(D(2026, 9, 1), D(2027, 3, 1)),))
    )
    assert classify(c2, on=ON).has(Category.DE_FACTO_UNSUPPORTED)


def test_de_facto_age_limit_is_18() -> None:
    dead = ParentCondition(ConditionKind.DECEASED, D(2020, 1, 1))
    ill = ParentCondition(ConditionKind.SERIOUSLY_ILL, D(2020, 1, 1))
    c = child(father(conditions=(dead,)), mother(conditions=(ill,)), birth=D(2008, 11, 30))
    assert classify(c, on=D(2026, 11, 29)).has(Category.DE_FACTO_UNSUPPORTED)
    assert not classify(c, on=D(2026, 11, 30)).has(Category.DE_FACTO_UNSUPPORTED)


def test_deportation_counts_only_from_2021() -> None:
    dead = ParentCondition(ConditionKind.DECEASED, D(2018, 1, 1))
    dep = ParentCondition(ConditionKind.DEPORTED, D(2019, 1, 1))
    c = child(father(conditions=(dead,)), mother(conditions=(dep,)), birth=D(2012, 1, 1))
    assert not classify(c, on=D(2020, 6, 1)).has(Category.DE_FACTO_UNSUPPORTED)
    assert classify(c, on=D(2021, 6, 1)).has(Category.DE_FACTO_UNSUPPORTED)


# --------------------------------------------------------------------------- in difficulty


def test_poverty_and_disability() -> None:
    hh = Household(id="h1", school_id="s1", categories=(HouseholdCategory.DIBAO,))
    c = child(
        father(),
        mother(),
        health=Health(HealthStatus.DISABLED, Disability(DisabilityType.HEARING, 3)),
    )
    result = classify(c, on=ON, household=hh)
    assert result.categories == (Category.IN_DIFFICULTY,)
    assert codes(result) == ["DIFF_POVERTY", "DIFF_DISABILITY"]


def test_guardianship_problems() -> None:
    weak = Guardian(
        name="王秀英",
        relationship=Relationship.PATERNAL_GRANDMOTHER,
        capacity=CareAssessment.INSUFFICIENT,
        disqualifications=(Disqualification.ALCOHOLISM,),
    )
    c = child(father(away(D(2024, 1, 1))), mother(away(D(2024, 1, 1))), guardians=(weak,))
    result = classify(c, on=ON)
    assert result.categories == (Category.LEFT_BEHIND, Category.IN_DIFFICULTY)
    assert {"DIFF_LIVES_ALONE", "DIFF_GUARDIAN_CAPACITY", "DIFF_GUARDIAN_UNSUITABLE"} <= set(
        codes(result)
    )


def test_none_has_a_reason() -> None:
    result = classify(child(father(), mother()), on=ON)
    assert result.categories == (Category.NONE,)
    assert codes(result) == ["NONE_PARENTS_HOME"]
    assert result.explain("zh")[0] != result.explain("en")[0]


def test_survey_counts() -> None:
    kids = [
        child(father(away(D(2024, 1, 1))), mother(away(D(2024, 1, 1))), class_id="g1"),
        attrs.evolve(child(father(), mother(), class_id="g1"), id="c2"),
        attrs.evolve(child(father(), mother(), class_id="g2"), id="c3", household_id="h1"),
    ]
    hh = [Household(id="h1", school_id="s1", categories=(HouseholdCategory.TEKUN,))]
    s = survey(kids, on=ON, households=hh)
    assert s.total == 3
    assert s.counts[Category.LEFT_BEHIND] == 1
    assert s.counts[Category.IN_DIFFICULTY] == 1
    assert s.counts[Category.NONE] == 1
    assert s.by_class["g1"][Category.LEFT_BEHIND] == 1
    assert s.by_class["g2"][Category.IN_DIFFICULTY] == 1


# --------------------------------------------------------------------------- properties

days = st.dates(min_value=D(2017, 1, 1), max_value=D(2030, 12, 31))


@st.composite
def periods(draw: st.DrawFn) -> tuple[AwayPeriod, ...]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(days)
        end = draw(st.none() | st.dates(min_value=start, max_value=D(2031, 12, 31)))
        out.append(away(start, end))
    return tuple(out)


conditions = st.lists(
    st.builds(
        ParentCondition,
        kind=st.sampled_from([k for k in ConditionKind if k is not ConditionKind.DISABLED]),
        start=days,
        end=st.none(),
    ),
    max_size=2,
).map(tuple)


@settings(max_examples=150, deadline=None)
@given(
    fp=periods(),
    mp=periods(),
    fc=conditions,
    mc=conditions,
    extra=periods(),
    to_father=st.booleans(),
    on=days,
    birth=st.dates(min_value=D(2005, 1, 1), max_value=D(2020, 12, 31)),
)
def test_adding_an_away_period_never_undoes_left_behind(
    fp: tuple[AwayPeriod, ...],
    mp: tuple[AwayPeriod, ...],
    fc: tuple[ParentCondition, ...],
    mc: tuple[ParentCondition, ...],
    extra: tuple[AwayPeriod, ...],
    to_father: bool,
    on: dt.date,
    birth: dt.date,
) -> None:
    before = child(father(*fp, conditions=fc), mother(*mp, conditions=mc), birth=birth)
    if to_father:
        after = child(father(*fp, *extra, conditions=fc), mother(*mp, conditions=mc), birth=birth)
    else:
        after = child(father(*fp, conditions=fc), mother(*mp, *extra, conditions=mc), birth=birth)
    if classify(before, on=on).left_behind:
        assert classify(after, on=on).left_behind


@settings(max_examples=150, deadline=None)
@given(fp=periods(), mp=periods(), fc=conditions, mc=conditions, on=days)
def test_every_result_has_a_category_and_reasons(
    fp: tuple[AwayPeriod, ...],
    mp: tuple[AwayPeriod, ...],
    fc: tuple[ParentCondition, ...],
    mc: tuple[ParentCondition, ...],
    on: dt.date,
) -> None:
    c = classify(child(father(*fp, conditions=fc), mother(*mp, conditions=mc)), on=on)
    assert c.categories
    assert c.reasons
    assert (Category.NONE in c.categories) == (
        len(c.categories) == 1 and c.categories[0] is Category.NONE
    )
    assert not (c.has(Category.LEFT_BEHIND) and c.has(Category.MIGRANT))
    if c.has(Category.DE_FACTO_UNSUPPORTED):
        assert c.has(Category.IN_DIFFICULTY)
    for lang in ("zh", "en"):
        assert all(c.explain(lang))


@settings(max_examples=100, deadline=None)
@given(fp=periods(), mp=periods(), on=days)
def test_left_behind_iff_both_away_for_capable_parents(
    fp: tuple[AwayPeriod, ...], mp: tuple[AwayPeriod, ...], on: dt.date
) -> None:
    f, m = father(*fp), mother(*mp)
    young = child(f, m, birth=D(2016, 1, 1))
    expected = f.away_on(on) is not None and m.away_on(on) is not None
    assert classify(young, on=on).left_behind is (expected and age_on(young.birth_date, on) < 16)
