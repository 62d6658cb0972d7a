"""Mentor pairing: properties over generated schools, a reference solver, the seed's figures."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core import synth
from liushou_core.dated import Dated
from liushou_core.models import (
    Address,
    AwayPeriod,
    CareAssessment,
    Child,
    Guardian,
    Household,
    HouseholdCategory,
    Incident,
    IncidentKind,
    Parent,
    ParentRole,
    RecordCheck,
    Relationship,
    SchoolClass,
    Sex,
    StaffRole,
    Teacher,
    Volunteer,
)
from liushou_core.pairing import (
    Need,
    Override,
    PairingPlan,
    PairingRules,
    need,
    nominate,
    pair,
    pair_cost,
)
from liushou_core.testing.pairing import ON, PairingCase, pairing_cases

SRC = "test"


def loads(lo: int, hi: int, **kw: object) -> PairingRules:
    return attrs.evolve(
        PairingRules(),
        min_load=Dated.since(dt.date(2016, 1, 1), lo, SRC),
        max_load=Dated.since(dt.date(2016, 1, 1), hi, SRC),
        **kw,
    )


def solve(case: PairingCase, **kw: object) -> PairingPlan:
    return pair(case.needs, case.mentors, case.rules, classes=case.classes, **kw)  # type: ignore[arg-type]


def pairs_of(plan: PairingPlan) -> set[tuple[str, str]]:
    return {(p.child_id, p.mentor_id) for p in plan.pairs}


# --------------------------------------------------------------------------- reference


def reference(case: PairingCase) -> tuple[Counter[int], int]:
    """(paired children by priority score, total cost) from scipy on the expanded seat matrix.

    The objective is the same lexicographic one, written independently: pairing
    one more child first, then children of higher priority, then the cost.
    """
    scipy_optimize = pytest.importorskip("scipy.optimize")  # a test-only dependency
    np = pytest.importorskip("numpy")
    r = case.rules
    hi = r.max_load.at(ON)
    profile: Counter[int] = Counter()
    total = 0
    schools = sorted({n.child.school_id for n in case.needs})
    for sid in schools:
        kids = [n for n in case.needs if n.child.school_id == sid]
        ments = [m for m in case.mentors if m.school_id == sid]
        n = len(kids)
        scores = sorted({k.score for k in kids})
        cap = 6 * max(attrs.asdict(r.weights).values(), default=0) + 1
        unit = n * cap + 1
        reward = {s: unit * (n + 1) ** (i + 1) for i, s in enumerate(scores)}
        count = unit * (n + 1) ** (len(scores) + 2)
        big = float(count * (n + 2))
        seats = [m for m in ments for _ in range(hi)]
        matrix = np.full((n, len(seats) + n), big)
        costs: dict[tuple[int, int], int] = {}
        for i, k in enumerate(kids):
            for j, m in enumerate(seats):
                c = pair_cost(k, m, r, classes=case.classes)
                if c is not None:
                    matrix[i, j] = c
                    costs[i, j] = c
            matrix[i, len(seats) + i] = count + reward[k.score]
        rows, cols = scipy_optimize.linear_sum_assignment(matrix)
        for i, j in zip(rows, cols, strict=True):
            if j < len(seats):
                assert (i, j) in costs
                profile[kids[i].score] += 1
                total += costs[i, j]
    return profile, total


@settings(max_examples=40)
@given(pairing_cases(overrides=False, min_load=1))
def test_optimal_as_the_reference_solver(case: PairingCase) -> None:
    plan = solve(case)
    score = {n.child.id: n.score for n in case.needs}
    profile, cost = reference(case)
    assert Counter(score[p.child_id] for p in plan.pairs) == profile
    assert plan.cost == cost


@given(pairing_cases(overrides=False))
def test_minimum_load_never_costs_a_pair(case: PairingCase) -> None:
    plan = solve(case)
    relaxed = solve(
        attrs.evolve(case, rules=attrs.evolve(case.rules, min_load=loads(1, 1).min_load))
    )
    score = {n.child.id: n.score for n in case.needs}
    assert Counter(score[p.child_id] for p in plan.pairs) == Counter(
        score[p.child_id] for p in relaxed.pairs
    )
    assert plan.cost >= relaxed.cost


# --------------------------------------------------------------------------- hard rules


@given(pairing_cases())
def test_hard_rules_hold(case: PairingCase) -> None:
    plan = solve(case)
    r = case.rules
    pinned = {(o.child_id, o.mentor_id) for o in r.pins}
    forbidden = {(o.child_id, o.mentor_id) for o in r.forbids}
    mentors = {m.id: m for m in case.mentors}
    school = {n.child.id: n.child.school_id for n in case.needs}
    made = pairs_of(plan)
    assert pinned <= made  # pins are kept
    children = [p.child_id for p in plan.pairs]
    assert len(children) == len(set(children))  # one mentor per child
    pinned_load = Counter(m for _, m in pinned)
    for mid, k in plan.load().items():
        assert k <= max(r.max_load.at(ON), pinned_load[mid])  # never over capacity
    for c, m in made - pinned:
        mentor = mentors[m]
        assert school[c] == mentor.school_id  # nobody across schools
        assert (c, m) not in forbidden
        assert c not in mentor.related_child_ids
        assert mentor.active
        if isinstance(mentor, Volunteer):
            assert mentor.record_check is not None
            assert mentor.record_check.cleared
    assert {u.child_id for u in plan.unpaired} | set(children) == set(school)
    for u in plan.unpaired:
        assert u.reasons
        assert all(m.render("zh") and m.render("en") for m in u.reasons)
    broken = [w for w in plan.warnings if w.code == "PIN_BREAKS_RULE"]
    for c, m in pinned:
        if (c, m) in forbidden or school[c] != mentors[m].school_id:
            assert any(w.param_dict["child"] == c for w in broken)


@given(pairing_cases(), st.randoms(use_true_random=False))
def test_same_input_same_plan(case: PairingCase, rnd: random.Random) -> None:
    plan = solve(case)
    needs, mentors = list(case.needs), list(case.mentors)
    rnd.shuffle(needs)
    rnd.shuffle(mentors)
    again = pair(needs, mentors, case.rules, classes=case.classes)
    assert again == plan


@given(pairing_cases())
def test_re_pairing_an_unchanged_school_changes_nothing(case: PairingCase) -> None:
    plan = solve(case)
    again = solve(case, previous=plan.pairings("2026-autumn"))
    assert pairs_of(again) == pairs_of(plan)
    assert again.cost == plan.cost
    assert not again.ended


@given(pairing_cases(overrides=False), st.data())
def test_a_teacher_who_leaves_frees_only_their_children(
    case: PairingCase, data: st.DataObject
) -> None:
    plan = solve(case)
    used = sorted(plan.load())
    if not used:
        return
    gone = data.draw(st.sampled_from(used))
    left = attrs.evolve(case, mentors=tuple(m for m in case.mentors if m.id != gone))
    again = solve(left, previous=plan.pairings("2026-autumn"))
    kept = {(c, m) for c, m in pairs_of(plan) if m != gone}
    assert kept <= pairs_of(again)
    assert {p.child_id for p, _ in again.ended} == {c for c, m in pairs_of(plan) if m == gone}


# --------------------------------------------------------------------------- examples


def teacher(tid: str, classes: tuple[str, ...] = (), *, ct: bool = False, **kw: object) -> Teacher:
    roles = (StaffRole.CLASS_TEACHER,) if ct else (StaffRole.SUBJECT_TEACHER,)
    return Teacher(id=tid, school_id="S", name=f"教师{tid}", sex=kw.pop("sex", Sex.FEMALE),  # type: ignore[arg-type]
                   roles=roles, class_ids=classes, **kw)  # type: ignore[arg-type]  # fmt: skip


def child(cid: str, cls: str = "k1", *, score: int = 0, **kw: object) -> Need:
    c = Child(id=cid, school_id="S", name=f"学生{cid}", sex=kw.pop("sex", Sex.MALE),  # type: ignore[arg-type]
              birth_date=kw.pop("birth", dt.date(2017, 3, 1)), class_id=cls, **kw)  # type: ignore[arg-type]  # fmt: skip
    return Need(c, ON, score, ())


def test_capacity_shortage_says_how_many_to_recruit() -> None:
    kids = [child(f"c{i:02d}", score=i % 3) for i in range(12)]
    mentors = [teacher(f"t{i}", ("k1",)) for i in range(3)]
    plan = pair(kids, mentors)
    assert plan.paired == 9
    assert len(plan.unpaired) == 3
    assert all(u.score == 0 for u in plan.unpaired)  # higher priority first
    msg = plan.unpaired[0].reasons[0]
    assert msg.render("en") == (
        "12 children need mentors, capacity 9: recruit 2 volunteers or raise capacity."
    )
    assert "12" in msg.render("zh")
    assert "志愿者" in msg.render("zh")


def test_preferences_choose_the_class_teacher_and_a_woman_for_an_older_girl() -> None:
    girl = child("g", "k2", sex=Sex.FEMALE, birth=dt.date(2014, 1, 1))
    boy = child("b", "k1")
    mentors = [
        teacher("ct1", ("k1",), ct=True, sex=Sex.MALE),
        teacher("m2", ("k2",), sex=Sex.MALE),
        teacher("f2", ("k2",), sex=Sex.FEMALE),
    ]
    plan = pair([girl, boy], mentors, loads(1, 3))
    assert pairs_of(plan) == {("g", "f2"), ("b", "ct1")}
    by_child = {p.child_id: p for p in plan.pairs}
    assert "class_teacher" not in dict(by_child["b"].breakdown)
    assert any(m.code == "MATCH_FEMALE" for m in by_child["g"].reasons)
    assert dict(plan.breakdown)["class_teacher"] == 2  # the girl's mentor is not her CT
    assert plan.cost == sum(p.cost for p in plan.pairs)


def test_volunteers_need_a_cleared_check_and_relatives_never_mentor() -> None:
    kid = child("c")
    uncle = teacher("t1", ("k1",), ct=True, related_child_ids=("c",))
    unchecked = Volunteer(id="v1", school_id="S", name="志愿者", sex=Sex.FEMALE)
    refused = attrs.evolve(unchecked, id="v2", record_check=RecordCheck(ON, False))
    plan = pair([kid], [uncle, unchecked, refused])
    assert plan.pairs == ()
    [u] = plan.unpaired
    assert u.reasons[0].code == "UNPAIRED_NO_MENTOR"
    assert {mid for mid, _ in plan.excluded} == {"v1", "v2"}
    assert {m.code for _, m in plan.excluded} == {"MENTOR_NO_CHECK"}
    cleared = attrs.evolve(unchecked, id="v3", record_check=RecordCheck(ON, True))
    assert pairs_of(pair([kid], [uncle, cleared])) == {("c", "v3")}


def test_a_guardian_by_phone_is_not_a_mentor() -> None:
    kid = child("c")
    grandma = Guardian("王奶奶", Relationship.PATERNAL_GRANDMOTHER, phone="13812345678")
    kid = attrs.evolve(kid, child=attrs.evolve(kid.child, guardians=(grandma,)))
    t = teacher("t1", ("k1",), ct=True, phone="13812345678")
    assert pair([kid], [t]).pairs == ()
    assert pair_cost(kid, t) is None


def test_pins_are_kept_and_a_broken_rule_is_said() -> None:
    kids = [child("a"), child("b")]
    rules = loads(
        1,
        3,
        pins=(Override("a", "t2", "principal's decision"),),
        forbids=(Override("a", "t2", "family request"), Override("b", "t1")),
    )
    plan = pair(kids, [teacher("t1", ("k1",), ct=True), teacher("t2")], rules)
    assert pairs_of(plan) == {("a", "t2"), ("b", "t2")}
    [w] = plan.warnings
    assert w.code == "PIN_BREAKS_RULE"
    assert "a" in w.render("zh")
    assert "t2" in w.render("en")


def test_mentors_are_not_left_below_the_minimum_when_avoidable() -> None:
    kids = [child(f"c{i}", "k1") for i in range(4)]
    mentors = [teacher("ct", ("k1",), ct=True), teacher("s1", ("k1",)), teacher("s2", ("k1",))]
    plan = pair(kids, mentors)  # default: 2-3 each
    assert sorted(plan.load().values()) == [2, 2]
    assert not plan.below_minimum
    relaxed = pair(kids, mentors, loads(1, 3))
    assert sorted(relaxed.load().values()) == [1, 3]  # cheapest: 3 with the class teacher
    assert relaxed.cost < plan.cost
    one = pair(kids[:1], mentors)
    [b] = one.below_minimum
    assert b.load == 1
    assert b.reasons[0].code == "BELOW_MINIMUM"


# --------------------------------------------------------------------------- priority


def test_need_scores_each_point_with_its_reason() -> None:
    away = (AwayPeriod(dt.date(2024, 2, 1), province="广东省", city="东莞市"),)
    kid = Child(
        id="c",
        school_id="S",
        name="李小红",
        sex=Sex.FEMALE,
        birth_date=dt.date(2016, 5, 1),
        class_id="k1",
        parents=(
            Parent(ParentRole.FATHER, "李父", away=away),
            Parent(ParentRole.MOTHER, "张母", away=away),
        ),
        guardians=(
            Guardian(
                "李奶奶", Relationship.PATERNAL_GRANDMOTHER, capacity=CareAssessment.INSUFFICIENT
            ),
        ),
        boarding=True,
        psychological_flag=True,
        household_id="h",
    )
    household = Household(id="h", school_id="S", categories=(HouseholdCategory.DIBAO,))
    incidents = [
        Incident("i1", "S", IncidentKind.INJURY, dt.date(2026, 5, 1), child_ids=("c",)),
        Incident("i2", "S", IncidentKind.INJURY, dt.date(2024, 5, 1), child_ids=("c",)),
    ]
    n = need(kid, on=ON, household=household, incidents=incidents)
    assert n.candidate
    assert [r.code for r in n.reasons] == [
        "PRI_BOTH_AWAY",
        "PRI_NO_GUARDIAN",
        "PRI_HOUSEHOLD",
        "PRI_PSYCH",
        "PRI_BOARDING",
        "PRI_INCIDENTS",
    ]
    assert n.score == 3 + 3 + 2 + 2 + 1 + 1
    assert sum(int(r.param_dict["points"]) for r in n.reasons) == n.score
    assert all("+" in line for line in n.explain("zh"))
    assert "外出务工" in n.explain("zh")[0]


def test_each_class_nominates_within_its_quota() -> None:
    s = synth.school(5, on=ON, children=600)
    nom = nominate(s.children, on=ON, households=s.households)
    by_class = Counter(n.child.class_id for n in nom.nominated)
    for cls, k in by_class.items():
        assert k <= 5
        candidates = [n for n in nom.nominated if n.child.class_id == cls]
        passed = [n for n, _ in nom.passed_over if n.child.class_id == cls]
        if passed:
            assert k >= 4
            assert max(p.score for p in passed) <= min(c.score for c in candidates)
    assert all(n.candidate for n in nom.nominated)
    all_lb = nominate(
        s.children,
        on=ON,
        households=s.households,
        rules=attrs.evolve(PairingRules(), pair_all_left_behind=True),
    )
    assert len(all_lb.nominated) == len(nom.nominated) + len(nom.passed_over)
    assert not all_lb.passed_over


# --------------------------------------------------------------------------- the seed


def seed_school() -> tuple[list[Need], list[Teacher], list[SchoolClass]]:
    """16 classes (grades 1-6), 7 nominating 5 children and 9 nominating 4: 71, as in the seed.

    Each class has its class teacher and a subject teacher; four more teachers
    teach two classes each; children live in six villages, teachers in some.
    """
    rng = random.Random("seed school")
    villages = ["上坝村", "下坝村", "石门村", "桃园村", "新华村", "柳林村"]
    classes = [
        SchoolClass(f"k{i:02d}", "S", 1 + i * 6 // 16, f"{i + 1}班", class_teacher_id=f"ct{i:02d}")
        for i in range(16)
    ]
    teachers: list[Teacher] = []
    needs: list[Need] = []
    for i, k in enumerate(classes):
        sex = Sex.FEMALE if i % 3 else Sex.MALE
        teachers.append(teacher(f"ct{i:02d}", (k.id,), ct=True, sex=sex, village=villages[i % 6]))
        teachers.append(teacher(f"st{i:02d}", (k.id,), village=rng.choice([*villages, ""])))
        for j in range(5 if i < 7 else 4):
            age = 6 + k.grade + rng.choice([0, 1])
            needs.append(
                child(
                    f"{k.id}-c{j}",
                    k.id,
                    score=rng.randint(2, 9),
                    sex=rng.choice(list(Sex)),
                    birth=dt.date(ON.year - age, rng.randint(1, 8), 1),
                    address=Address(village=rng.choice(villages)),
                )
            )
    for i in range(4):
        teachers.append(teacher(f"x{i}", (classes[i].id, classes[15 - i].id), sex=Sex.FEMALE))
    return needs, teachers, classes


def test_seed_school_every_child_paired_every_teacher_at_two_or_three() -> None:
    needs, teachers, classes = seed_school()
    assert len(needs) == 71
    per_class = Counter(n.child.class_id for n in needs)
    assert len(per_class) == 16
    assert set(per_class.values()) == {4, 5}
    plan = pair(needs, teachers, classes=classes)
    assert plan.paired == 71
    assert not plan.unpaired
    assert set(plan.load().values()) <= {2, 3}
    assert not plan.below_minimum
    per_mentor: dict[str, set[str]] = defaultdict(set)
    for p in plan.pairs:
        per_mentor[p.mentor_id].add(p.child_id)
    assert math.fsum(len(v) for v in per_mentor.values()) == 71
    assert any("班主任" in m.render("zh") for p in plan.pairs for m in p.reasons)


def test_a_synthetic_school_end_to_end() -> None:
    s = synth.school(2, on=ON)
    nom = nominate(s.children, on=ON, households=s.households)
    mentors = [*s.teachers, *s.volunteers]
    plan = pair(nom.nominated, mentors, classes=s.classes)
    assert plan.paired + len(plan.unpaired) == len(nom.nominated)
    assert all(v <= 3 for v in plan.load().values())
    records = plan.pairings("2026-autumn", start=ON)
    assert len(records) == plan.paired
    assert all(r.term_id == "2026-autumn" and r.start == ON for r in records)
    assert plan.explain("zh")[0].startswith(f"已结对{plan.paired}")
