"""Synthetic schools, counties and provinces (:mod:`liushou_core.synth`).

Shares are computed here directly from the records (the parents' away
timelines and conditions on the date), not through the classifier, so that
these tests check the generator alone; one test at the end cross-checks with
:func:`liushou_core.classify.classify` when it is there.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from liushou_core import synth
from liushou_core.convert import unstructure
from liushou_core.models import (
    Child,
    ConditionKind,
    DisabilityType,
    HouseholdCategory,
    Parent,
    ParentRole,
    Relationship,
    Sex,
    StaffRole,
)
from liushou_core.validate import phone as validate_phone

ON = synth.DEFAULT_ON
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-\d{7,8}")
GRANDPARENTS = {
    Relationship.PATERNAL_GRANDFATHER,
    Relationship.PATERNAL_GRANDMOTHER,
    Relationship.MATERNAL_GRANDFATHER,
    Relationship.MATERNAL_GRANDMOTHER,
}
MALE_RELATIONSHIPS = {
    Relationship.FATHER,
    Relationship.PATERNAL_GRANDFATHER,
    Relationship.MATERNAL_GRANDFATHER,
    Relationship.UNCLE,
}
FEMALE_RELATIONSHIPS = {
    Relationship.MOTHER,
    Relationship.PATERNAL_GRANDMOTHER,
    Relationship.MATERNAL_GRANDMOTHER,
    Relationship.AUNT,
}


@pytest.fixture(scope="module")
def sample() -> list[synth.SyntheticSchool]:
    """Eight schools of one county (about 2,000 children)."""
    return list(itertools.islice(synth.county(11, schools=200), 8))


@pytest.fixture(scope="module")
def one() -> synth.SyntheticSchool:
    return synth.school(3)


def kids(schools: list[synth.SyntheticSchool]) -> Iterator[Child]:
    for s in schools:
        yield from s.children


def years(a: dt.date, b: dt.date) -> float:
    return (b - a).days / 365.25


# ----------------------------------------------------------------------------- rules by hand


def unable(p: Parent, on: dt.date) -> bool:
    """Seriously ill or severely disabled (重病/重残) on ``on``."""
    for c in p.conditions_on(on):
        if c.kind is ConditionKind.SERIOUSLY_ILL:
            return True
        if c.kind is ConditionKind.DISABLED and c.disability is not None:
            mental = c.disability.type in (DisabilityType.MENTAL, DisabilityType.INTELLECTUAL)
            if c.disability.grade <= 2 or mental:
                return True
    return False


def left_behind(c: Child, on: dt.date) -> bool:
    """Both parents away, or one away and the other ill or disabled (by the timelines)."""
    if len(c.parents) != 2:
        return False
    away = [p.away_on(on) is not None for p in c.parents]
    if all(away):
        return True
    return any(away) and any(unable(p, on) for p, a in zip(c.parents, away, strict=True) if not a)


GONE = {
    ConditionKind.DECEASED,
    ConditionKind.IMPRISONED,
    ConditionKind.LOST_CONTACT,
    ConditionKind.SERIOUSLY_ILL,
    ConditionKind.DISABLED,
}


def de_facto_like(c: Child, on: dt.date) -> bool:
    return len(c.parents) == 2 and all(
        any(k.kind in GONE for k in p.conditions_on(on)) for p in c.parents
    )


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_school() -> None:
    assert unstructure(synth.school(5, index=2)) == unstructure(synth.school(5, index=2))


def test_different_seeds_and_indexes_differ() -> None:
    a = unstructure(synth.school(5))
    assert a != unstructure(synth.school(6))
    assert a != unstructure(synth.school(5, index=1))


def test_a_school_alone_equals_the_same_school_in_its_county() -> None:
    c = synth.county(21, schools=50)
    inside = list(itertools.islice(c, 4))[3]
    alone = synth.school(21, index=3)
    assert alone.school.county_code == c.code
    assert unstructure(alone) == unstructure(inside)
    assert alone == inside


def test_a_school_of_a_province_equals_the_same_school_alone() -> None:
    p = synth.province(4, schools=300)
    first = next(iter(p))
    code = p.county_sizes[0][0]
    assert unstructure(first) == unstructure(synth.school(4, county_code=code, index=0))


def test_output_does_not_depend_on_the_hash_seed() -> None:
    code = (
        "import hashlib, json; from liushou_core import synth; "
        "from liushou_core.convert import unstructure; "
        "s = unstructure(synth.school(9, index=4, children=40)); "
        "print(hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_the_children_stream_is_deterministic() -> None:
    a = [unstructure(c) for c in synth.children(2, 30)]
    b = [unstructure(c) for c in synth.children(2, 30)]
    assert a == b
    assert a != [unstructure(c) for c in synth.children(3, 30)]


# ----------------------------------------------------------------------------- numbers


def check_id(number: str | None, birth: dt.date | None, male: bool | None) -> None:
    if number is None:
        return
    assert ric.is_valid(number), number
    assert ric.calc_check_digit(number) == number[-1]
    assert ric.get_birth_place(number)["county"].endswith("县")
    if birth is not None:
        assert ric.get_birth_date(number) == birth
    if male is not None:
        assert (int(number[16]) % 2 == 1) is male


def all_ids(s: synth.SyntheticSchool) -> Iterator[tuple[str | None, dt.date | None, bool | None]]:
    for c in s.children:
        yield c.id_number, c.birth_date, c.sex is Sex.MALE
        for p in c.parents:
            yield p.id_number, p.birth_date, p.role is ParentRole.FATHER
        for g in c.guardians:
            male = (
                True
                if g.relationship in MALE_RELATIONSHIPS
                else False
                if g.relationship in FEMALE_RELATIONSHIPS
                else None
            )
            yield g.id_number, g.birth_date, male
    for t in s.teachers:
        yield t.id_number, None, t.sex is Sex.MALE
    for v in s.volunteers:
        yield v.id_number, None, v.sex is Sex.MALE


def test_every_id_number_validates_and_agrees_with_birth_date_and_sex(
    one: synth.SyntheticSchool,
) -> None:
    seen = 0
    for number, birth, male in all_ids(one):
        check_id(number, birth, male)
        seen += number is not None
    assert seen > 3 * len(one.children)


def test_id_numbers_of_a_county_without_stable_codes_still_validate() -> None:
    # 攸县 (430223) has its code only from 1983: older people get another valid code.
    s = synth.school(1, county_code="430223", children=120)
    areas = Counter()
    for number, birth, male in all_ids(s):
        check_id(number, birth, male)
        if number is not None:
            areas[number[:6]] += 1
    assert areas["430223"] > 0
    assert len(areas) > 1


def test_child_id_numbers_are_unique_in_a_county(sample: list[synth.SyntheticSchool]) -> None:
    numbers = [c.id_number for c in kids(sample) if c.id_number is not None]
    assert len(numbers) == len(set(numbers))


def test_student_numbers(one: synth.SyntheticSchool) -> None:
    with_g = [c for c in one.children if c.student_number and c.student_number[0] == "G"]
    assert len(with_g) > 0.85 * len(one.children)
    assert all(c.student_number == "G" + (c.id_number or "") for c in with_g)


def phones(s: synth.SyntheticSchool) -> Iterator[str | None]:
    for c in s.children:
        yield from (p.phone for p in c.parents)
        yield from (g.phone for g in c.guardians)
        yield from (k.phone for k in c.emergency_contacts)
        if c.village_committee is not None:
            yield c.village_committee.phone
    yield from (t.phone for t in s.teachers)
    yield from (v.phone for v in s.volunteers)


def test_phones_are_mainland_mobiles_or_landlines(one: synth.SyntheticSchool) -> None:
    numbers = [p for p in phones(one) if p is not None]
    assert all(MOBILE.fullmatch(p) or LANDLINE.fullmatch(p) for p in numbers)
    assert all(validate_phone(p) == p for p in numbers)
    assert any(LANDLINE.fullmatch(p) for p in numbers)
    assert sum(bool(MOBILE.fullmatch(p)) for p in numbers) > 0.9 * len(numbers)


# ----------------------------------------------------------------------------- structure


def test_ids_are_unique_and_prefixed_by_the_school(sample: list[synth.SyntheticSchool]) -> None:
    school_ids = [s.school.id for s in sample]
    assert len(set(school_ids)) == len(school_ids)
    assert len({s.school.name for s in sample}) == len(sample)
    for s in sample:
        sid = s.school.id
        for records in (s.children, s.households, s.teachers, s.volunteers, s.classes):
            ids = [r.id for r in records]
            assert len(ids) == len(set(ids))
            assert all(i.startswith(sid + "-") for i in ids)
            assert all(r.school_id == sid for r in records)


def test_classes_households_and_teachers_fit_together(one: synth.SyntheticSchool) -> None:
    classes = {c.id: c for c in one.classes}
    households = {h.id for h in one.households}
    teachers = {t.id: t for t in one.teachers}
    sizes = Counter(c.class_id for c in one.children)
    assert set(sizes) == set(classes)
    assert max(sizes.values()) <= 45
    for c in one.children:
        assert c.household_id in households
        assert classes[c.class_id or ""].grade == int((c.class_id or "").split("-g")[1][0])
    for cls in one.classes:
        assert re.fullmatch(rf"{re.escape(one.school.id)}-g{cls.grade}c\d+", cls.id)
        teacher = teachers[cls.class_teacher_id or ""]
        assert StaffRole.CLASS_TEACHER in teacher.roles
        assert cls.id in teacher.class_ids
        assert teacher.active
    principal = teachers[one.school.principal_id or ""]
    assert StaffRole.PRINCIPAL in principal.roles
    assert one.school.county_code == one.school.id[:6]
    # siblings share a household (and their parents)
    by_household = Counter(c.household_id for c in one.children)
    assert any(n > 1 for n in by_household.values())
    for hid, n in by_household.items():
        if n > 1:
            family = [c for c in one.children if c.household_id == hid]
            assert all(c.parents == family[0].parents for c in family)


def test_ages_and_generations(sample: list[synth.SyntheticSchool]) -> None:
    for c in kids(sample):
        age = years(c.birth_date, ON)
        grade = int((c.class_id or "").split("-g")[1][0])
        assert 5.9 <= age <= 16.1
        assert 4.5 <= age - grade <= 7.5
        for p in c.parents:
            assert p.birth_date is not None
            assert 19 <= years(p.birth_date, c.birth_date) <= 47
        father = c.parent(ParentRole.FATHER)
        mother = c.parent(ParentRole.MOTHER)
        for g in c.grandparents:
            assert g.birth_date is not None
            parent = father if g.relationship.value.startswith("paternal") else mother
            if parent is not None and parent.birth_date is not None:
                assert 19 <= years(g.birth_date, parent.birth_date) <= 33
        names = [c.name, *(p.name for p in c.parents), *(g.name for g in c.guardians)]
        assert all(2 <= len(n) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", n) for n in names)
        assert c.enrolled_on is not None
        assert c.enrolled_on <= ON


def test_children_mostly_share_the_fathers_surname(sample: list[synth.SyntheticSchool]) -> None:
    with_father = [(c, c.parent(ParentRole.FATHER)) for c in kids(sample)]
    same = [c.name[0] == f.name[0] for c, f in with_father if f is not None]
    assert 0.85 < sum(same) / len(same) < 0.99


# ----------------------------------------------------------------------------- shares


def test_shares_are_realistic(sample: list[synth.SyntheticSchool]) -> None:
    children = list(kids(sample))
    n = len(children)
    assert 1000 < n < 5000
    lb = [c for c in children if left_behind(c, ON)]
    assert 0.25 <= len(lb) / n <= 0.40
    migrants = [c for c in children if not c.hukou.local]
    assert 0.02 <= len(migrants) / n <= 0.12
    assert all(any(p.away_on(ON) is None for p in c.parents) and c.hukou.place for c in migrants)
    boarders = sum(c.boarding for c in children) / n
    assert 0.05 <= boarders <= 0.35
    households = [h for s in sample for h in s.households]
    difficult = [h for h in households if h.categories]
    assert 0.05 <= len(difficult) / len(households) <= 0.16
    assert {
        HouseholdCategory.REGISTERED_POOR,
        HouseholdCategory.DIBAO,
    } <= {k for h in difficult for k in h.categories}
    assert all(h.identified_on is not None and h.identified_on <= ON for h in difficult)
    assert 0.01 <= sum(c.psychological_flag for c in children) / n <= 0.08
    assert 0.01 <= sum(c.behaviour_flag for c in children) / n <= 0.08
    unhealthy = sum(c.health.status.value != "healthy" for c in children) / n
    assert 0.005 <= unhealthy <= 0.06
    de_facto = sum(de_facto_like(c, ON) for c in children)
    assert 0 < de_facto / n <= 0.02


def test_grandparents_care_for_most_left_behind_children(
    sample: list[synth.SyntheticSchool],
) -> None:
    lb = [c for c in kids(sample) if left_behind(c, ON)]
    with_grandparent = [
        c for c in lb if c.guardians and c.guardians[0].relationship in GRANDPARENTS
    ]
    assert len(with_grandparent) / len(lb) > 0.75
    assert all(g.entrusted for c in with_grandparent for g in c.guardians)
    guardians = [g for c in kids(sample) for g in c.guardians]
    parents_as_guardians = [g for g in guardians if g.relationship.value in ("father", "mother")]
    assert parents_as_guardians
    assert not any(g.entrusted for g in parents_as_guardians)


def test_parents_work_in_coastal_cities_and_come_home_for_spring_festival(
    sample: list[synth.SyntheticSchool],
) -> None:
    parents = {id(p): p for c in kids(sample) for p in c.parents}.values()
    places = Counter(p.away_on(ON).province for p in parents if p.away_on(ON))  # type: ignore[union-attr]
    assert {"广东省", "浙江省", "江苏省", "福建省"} <= set(places)
    assert places.most_common(1)[0][0] == "广东省"
    festival = synth.spring_festival(2026)
    assert festival == dt.date(2026, 2, 17)
    long_away = [p for p in parents if p.away and p.away[0].start < dt.date(2025, 6, 1)]
    back_home = [p for p in long_away if p.away_on(ON) and not p.away_on(festival)]
    assert len(back_home) > 0.4 * len(long_away)
    for p in back_home:
        gap = [a for a in p.away if a.end is not None and a.end < festival]
        assert gap
        assert 3 <= (festival - gap[-1].end).days <= 13  # type: ignore[operator]


def test_conditions_agree_with_the_timelines(sample: list[synth.SyntheticSchool]) -> None:
    parents = {id(p): p for c in kids(sample) for p in c.parents}.values()
    kinds = Counter(k.kind for p in parents for k in p.conditions)
    assert {ConditionKind.SERIOUSLY_ILL, ConditionKind.DISABLED, ConditionKind.DECEASED} <= set(
        kinds
    )
    for p in parents:
        for k in p.conditions:
            assert k.start <= ON
            if k.kind is ConditionKind.DECEASED:
                assert p.phone is None
                assert all(a.end is not None and a.end < k.start for a in p.away)
            elif k.kind is ConditionKind.IMPRISONED and k.covers(ON):
                assert p.phone is None
                assert p.away_on(ON) is None
            elif k.kind is ConditionKind.LOST_CONTACT:
                assert p.away_on(ON) is not None
                assert all(a.start <= k.start for a in p.away)
                assert p.away[-1].end is None
            elif k.kind is ConditionKind.DISABLED:
                assert k.disability is not None


def test_spring_festival_empties_the_left_behind_count() -> None:
    festival = synth.spring_festival(2027)
    assert festival is not None
    s = synth.school(8, on=festival, children=400)
    share = sum(left_behind(c, festival) for c in s.children) / len(s.children)
    assert share < 0.15


def test_completeness_gaps_exist_for_checks_to_find(sample: list[synth.SyntheticSchool]) -> None:
    children = list(kids(sample))
    contacts = Counter(min(len(c.emergency_contacts), 2) for c in children)
    assert contacts[0] > 0
    assert contacts[1] > 0
    assert contacts[2] > 0.7 * len(children)
    assert sum(c.village_committee is not None for c in children) > 0.9 * len(children)
    confirmed = [g.phone_confirmed_on for c in children for g in c.guardians]
    assert None in confirmed
    assert all(d is None or d <= ON for d in confirmed)
    volunteers = [v for s in sample for v in s.volunteers]
    cleared = [v for v in volunteers if v.record_check is not None and v.record_check.cleared]
    assert 0.6 < len(cleared) / len(volunteers) < 1
    assert {v.kind.value for v in volunteers} >= {
        "care committee member",
        "residents' committee member",
        "retired teacher",
    }


# ----------------------------------------------------------------------------- scale


def test_a_small_county_is_sized_right() -> None:
    c = synth.county(2, schools=5)
    assert len(c) == 5
    schools = list(c)
    assert len(schools) == 5
    assert [s.school.id for s in schools] == [f"{c.code}-{i:03d}" for i in range(5)]
    assert c.name.endswith("县")
    assert c.full_name.startswith(c.province)
    n = sum(len(s.children) for s in schools)
    assert 5 * 25 <= n <= 5 * 1600
    teachers = sum(len(s.teachers) for s in schools)
    assert 0.25 * n <= teachers <= 0.6 * n
    with pytest.raises(IndexError):
        c.at(5)


def test_a_province_is_lazy() -> None:
    start = time.perf_counter()
    p = synth.province(0)
    first = next(iter(p))
    assert time.perf_counter() - start < 5
    assert len(p) == p.schools == 2000
    sizes = [n for _, n in p.county_sizes]
    assert sum(sizes) == 2000
    assert all(100 <= n <= 250 for n in sizes)
    codes = [c for c, _ in p.county_sizes]
    assert len(set(codes)) == len(codes)
    assert all(c[:2] == p.code for c in codes)
    assert first.school.id == f"{codes[0]}-000"
    counties = list(p.counties())
    assert [len(c) for c in counties] == sizes


def test_the_children_stream_has_complete_families() -> None:
    stream = list(synth.children(1, 300))
    assert len(stream) == 300
    assert len({c.id for c in stream}) == 300
    for c in stream:
        assert len(c.parents) == 2
        assert all(p.away for p in c.parents)
        assert len(c.guardians) == 2
        assert len(c.emergency_contacts) >= 2
        assert c.id_number is not None
        check_id(c.id_number, c.birth_date, c.sex is Sex.MALE)
    share = sum(left_behind(c, ON) for c in stream) / len(stream)
    assert 0.2 <= share <= 0.45
    assert list(synth.children(1, 0)) == []


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="county code"):
        synth.school(county_code="999999")
    with pytest.raises(ValueError, match="county code"):
        synth.county(code="430200")
    with pytest.raises(ValueError, match="index"):
        synth.school(index=-1)
    with pytest.raises(ValueError, match="children"):
        synth.school(children=-1)


def test_rural_county_codes_are_counties_valid_in_the_year() -> None:
    codes = synth.rural_county_codes(1950)
    assert len(codes) > 500
    for code in codes[::97]:
        body = f"{code}19500101001"
        number = body + ric.calc_check_digit(body + "0")
        assert ric.is_valid(number)
        assert ric.get_birth_place(number)["county"].endswith("县")


# ----------------------------------------------------------------------------- properties


@settings(max_examples=12)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    on=st.dates(min_value=dt.date(2016, 1, 1), max_value=dt.date(2032, 12, 31)),
    n=st.integers(min_value=0, max_value=60),
)
def test_any_seed_and_date_gives_valid_records(seed: int, on: dt.date, n: int) -> None:
    s = synth.school(seed, on=on, children=n)
    assert len(s.children) == n
    for number, birth, male in all_ids(s):
        check_id(number, birth, male)
    for c in s.children:
        assert 5.9 <= years(c.birth_date, on) <= 17.01
        for p in c.parents:
            for a in p.away:
                assert a.start <= on
                assert a.end is None or a.end <= on
            periods = sorted(p.away, key=lambda a: a.start)
            for earlier, later in itertools.pairwise(periods):
                assert earlier.end is not None
                assert earlier.end < later.start
    assert all(v.record_check is None or v.record_check.checked_on <= on for v in s.volunteers)


# ----------------------------------------------------------------------------- classifier


def test_the_classifier_agrees_on_the_left_behind_share(
    sample: list[synth.SyntheticSchool],
) -> None:
    classify = pytest.importorskip("liushou_core.classify")
    households = {h.id: h for s in sample for h in s.households}
    children = list(kids(sample))
    found = sum(
        classify.classify(c, on=ON, household=households.get(c.household_id or "")).left_behind
        for c in children
    )
    assert 0.25 <= found / len(children) <= 0.40
