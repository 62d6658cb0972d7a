"""The privacy core: roles, field access as data, masking and unmasking, writes, aggregates.

The property tests compute what a role may see from the policy's data with
their own, deliberately plain, reading of the rules (longest enclosing path
wins, per role), and compare it with what :func:`view` returns.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import pickle
import re
from collections.abc import Iterable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_core.convert import unstructure
from liushou_core.errors import InvalidRecord, PermissionDenied
from liushou_core.masking import mask_id, mask_phone
from liushou_core.models import (
    Child,
    Contact,
    DiaryEntry,
    Guardian,
    Health,
    HealthStatus,
    Household,
    Incident,
    IncidentKind,
    MentorKind,
    Pairing,
    Parent,
    ParentRole,
    Relationship,
    SchoolClass,
    Sex,
    Teacher,
)
from liushou_core.privacy import (
    DEFAULT_ACCESS_POLICY,
    SYSTEM,
    Access,
    AccessPolicy,
    Actor,
    FieldAccessDenied,
    FieldRule,
    Permission,
    Relation,
    Role,
    RolePolicy,
    Scope,
    can_see,
    changed_paths,
    check_write,
    kind_of,
    relation_to,
    relation_to_school,
    suppress_small,
    view,
)
from liushou_core.testing import strategies as lst

S1, S2 = "S1", "S2"
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

CHILD_ID = "110105201503010010"  # a boy born 2015-03-01
FATHER_ID = "430121198502020014"
GRANDMA_ID = "430121195804040025"
FATHER_PHONE = "13812341234"
GRANDMA_PHONE = "15907311234"


# --------------------------------------------------------------------------- helpers


def a_child(**changes: Any) -> Child:
    child = Child(
        id="c1",
        school_id=S1,
        name="王小明",
        sex=Sex.MALE,
        birth_date=dt.date(2015, 3, 1),
        class_id="k1",
        id_number=CHILD_ID,
        student_number="G" + CHILD_ID,
        health=Health(HealthStatus.ILL, illness="哮喘"),
        household_id="h1",
        parents=(Parent(ParentRole.FATHER, "王建国", id_number=FATHER_ID, phone=FATHER_PHONE),),
        guardians=(
            Guardian(
                "李桂兰",
                Relationship.PATERNAL_GRANDMOTHER,
                phone=GRANDMA_PHONE,
                id_number=GRANDMA_ID,
            ),
        ),
        emergency_contacts=(Contact("王二叔", "13712345678", "叔叔"),),
        psychological_flag=True,
        behaviour_flag=True,
    )
    return attrs.evolve(child, **changes) if changes else child


def pairing(child: str = "c1", mentor: str = "t1", **kw: Any) -> Pairing:
    return Pairing(
        id=f"p-{child}-{mentor}",
        school_id=kw.pop("school_id", S1),
        term_id="2025-autumn",
        child_id=child,
        mentor_id=mentor,
        **kw,
    )


CLASSES = (
    SchoolClass("k1", S1, 3, "3年级1班", class_teacher_id="t2"),
    SchoolClass("k2", S1, 3, "3年级2班", class_teacher_id="t3"),
)
PAIRINGS = (
    pairing("c1", "t1"),
    pairing("c9", "t4"),
    pairing("c1", "v1", mentor_kind=MentorKind.VOLUNTEER),
)

MENTOR = Actor(Role.MENTOR, "t1", schools=(S1,))
OTHER_MENTOR = Actor(Role.MENTOR, "t4", schools=(S1,))
CLASS_TEACHER = Actor(Role.CLASS_TEACHER, "t2", schools=(S1,))
OTHER_CLASS_TEACHER = Actor(Role.CLASS_TEACHER, "t3", schools=(S1,))
PSYCHOLOGIST = Actor(Role.PSYCHOLOGIST, "t5", schools=(S1,))
PRINCIPAL = Actor(Role.PRINCIPAL, "t6", schools=(S1,), purpose="aid review")
OTHER_PRINCIPAL = Actor(Role.PRINCIPAL, "t7", schools=(S2,), purpose="aid review")
OFFICER = Actor(Role.DISTRICT_OFFICER, "d1")
OFFICER_WITH_PURPOSE = Actor(Role.DISTRICT_OFFICER, "d1", purpose="suspected neglect report")
VOLUNTEER = Actor(Role.VOLUNTEER, "v1", schools=(S1,))


def rel(actor: Actor, child: Child | None = None) -> Relation:
    return relation_to(actor, child or a_child(), pairings=PAIRINGS, classes=CLASSES)


def see(actor: Actor, child: Child | None = None, **kw: Any) -> Any:
    child = child or a_child()
    return view(child, actor, relation=rel(actor, child), **kw)


def leaf_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted leaf paths of plain data, without list indices."""
    if isinstance(value, dict) and value:
        return set().union(
            *(leaf_paths(v, f"{prefix}.{k}" if prefix else k) for k, v in value.items())
        )
    if isinstance(value, list) and any(isinstance(e, dict) for e in value):
        return set().union(*(leaf_paths(e, prefix) for e in value))
    return {prefix}


def covering_rules(policy: AccessPolicy, kind: str, path: str) -> list[FieldRule]:
    """The rules covering ``path``, the longest path first (the test's own reading)."""
    rules = [
        r
        for r in policy.rules
        if r.kind == kind and (r.path == "" or path == r.path or path.startswith(r.path + "."))
    ]
    return sorted(rules, key=lambda r: len(r.path), reverse=True)


def expected_access(
    policy: AccessPolicy, actor: Actor, kind: str, path: str, *, unmask: bool, write: bool = False
) -> Access:
    """What ``actor`` may do with ``path``, computed from the policy's data directly."""
    rules = covering_rules(policy, kind, path)
    settings = [r for r in policy.roles if r.role is actor.role]
    perms = set(actor.permissions) | (set(settings[0].permissions) if settings else set())
    base = next(
        (getattr(r, actor.role.name.lower()) for r in rules if getattr(r, actor.role.name.lower())),
        settings[0].default if settings else Access.NONE,
    )
    grant = next((r.grant for r in rules if r.grant), None)
    lift = next((r.unmask for r in rules if r.unmask), None)
    if not write and grant in perms:
        return Access.FULL
    if base is Access.MASKED and lift in perms and (unmask or write):
        return Access.FULL
    return base


def child_ids_of(record: Any) -> tuple[str, ...]:
    if isinstance(record, Child):
        return (record.id,)
    if isinstance(getattr(record, "child_id", None), str):
        return (record.child_id,)
    return tuple(getattr(record, "child_ids", ()) or ())


# --------------------------------------------------------------------------- strategies

RECORDS = st.one_of(
    lst.children(school_id=S1),
    lst.children(school_id=S1),  # the child is the record that matters most
    lst.health_checks(school_id=S1),
    lst.diary_entries(school_id=S1),
    lst.incidents(school_id=S1),
    lst.households(school_id=S1),
    lst.teachers(school_id=S1),
    lst.volunteers(school_id=S1),
    lst.contact_events(school_id=S1),
    lst.consents(school_id=S1),
    lst.aid_decisions(school_id=S1),
)


@st.composite
def actors(draw: st.DrawFn, role: Role | None = None) -> Actor:
    return Actor(
        role if role is not None else draw(st.sampled_from(Role)),
        "p1",
        schools=draw(st.sampled_from([(S1,), (S2,), (), (S1, S2)])),
        purpose=draw(st.sampled_from(["", "home visit follow-up"])),
        permissions=draw(st.lists(st.sampled_from(Permission), max_size=3, unique=True)),
    )


@st.composite
def relations(draw: st.DrawFn, actor: Actor, record: Any) -> Relation:
    ids = child_ids_of(record)
    return Relation(
        record.school_id,
        ids,
        mentor_of_child=bool(ids) and draw(st.booleans()),
        class_teacher_of_child=bool(ids) and draw(st.booleans()),
        same_school=record.school_id in actor.schools,
        in_scope=actor.covers(record.school_id),
    )


UNMASK = st.one_of(
    st.booleans(),
    st.sets(st.sampled_from(["id_number", "parents.phone", "guardians.phone", "text", "phone"])),
)


# --------------------------------------------------------------------------- properties


@given(RECORDS, actors(), st.data(), UNMASK)
def test_a_view_shows_only_permitted_fields_and_no_unmasked_numbers(
    record: Any, actor: Actor, data: st.DataObject, unmask: bool | set[str]
) -> None:
    policy = DEFAULT_ACCESS_POLICY
    relation = data.draw(relations(actor, record))
    kind = kind_of(record)
    decision = can_see(actor, record, relation, policy)
    purpose_missing = bool(unmask) and actor.role is not Role.SYSTEM and not actor.purpose
    if not decision.allowed or purpose_missing:
        with pytest.raises(FieldAccessDenied) as info:
            view(record, actor, relation=relation, unmask=unmask)
        assert not ID_RE.search(str(info.value))
        return
    v = view(record, actor, relation=relation, unmask=unmask)
    assert decision.allowed
    shown, hidden = set(v.fields), set(v.hidden)
    assert not shown & hidden

    def requested(path: str) -> bool:
        return unmask is True or (isinstance(unmask, set) and path in unmask)

    for path in shown:
        assert expected_access(policy, actor, kind, path, unmask=requested(path)) is not Access.NONE
    for path in hidden:
        assert expected_access(policy, actor, kind, path, unmask=requested(path)) is Access.NONE
    # Every field of the record is either shown or lies in a hidden path.
    for path in leaf_paths(unstructure(record)):
        assert path in shown or any(path == h or path.startswith(h + ".") for h in hidden)
    assert leaf_paths(v.data) - {""} == shown  # what is listed is exactly what is there
    # No number in full unless asked for and permitted.
    perms = policy.permissions_of(actor)
    text = json.dumps(v.data, ensure_ascii=False)
    if not (Permission.UNMASK_ID in perms and unmask):
        assert not ID_RE.search(text), text
    if not (Permission.UNMASK_PHONE in perms and unmask):
        assert not MOBILE_RE.search(text), text
    if not unmask:
        assert v.unmasked == ()
    assert v.full_record is (kind in policy.audited_kinds and bool(v.fields))
    assert v.must_audit is (v.full_record or bool(v.unmasked))


@given(lst.children(school_id=S1), lst.children(school_id=S1), actors(), st.data())
def test_a_write_is_refused_exactly_when_a_changed_field_is_not_writable(
    old: Child, other: Child, actor: Actor, data: st.DataObject
) -> None:
    new = attrs.evolve(other, id=old.id, version=old.version + 1)
    if data.draw(st.booleans()):  # a small change now and then
        new = attrs.evolve(
            old,
            psychological_flag=not old.psychological_flag,
            name=other.name,
            guardians=other.guardians,
        )
    creating = data.draw(st.booleans())
    before = None if creating else old
    relation = data.draw(relations(actor, new if creating else old))
    snapshot = copy.deepcopy((unstructure(old), unstructure(new)))
    changed = changed_paths(before, new)
    forbidden = {
        p
        for p in changed
        if expected_access(DEFAULT_ACCESS_POLICY, actor, "child", p, unmask=False, write=True)
        is not Access.FULL
    }
    allowed = can_see(actor, new if creating else old, relation).allowed
    if allowed and not forbidden:
        check_write(before, new, actor, relation=relation)
    else:
        with pytest.raises(FieldAccessDenied) as info:
            check_write(before, new, actor, relation=relation)
        if allowed:
            assert set(info.value.fields) == forbidden
            for path in forbidden:
                assert path in str(info.value)
        assert not ID_RE.search(str(info.value))
        assert not MOBILE_RE.search(str(info.value))
        assert isinstance(info.value, PermissionDenied)
    assert copy.deepcopy((unstructure(old), unstructure(new))) == snapshot  # nothing changed


@given(lst.mobile_phones(), lst.resident_ids(), actors(), st.booleans(), st.data())
def test_numbers_typed_into_free_text_are_masked(
    phone: str, number: str, actor: Actor, unmask: bool, data: st.DataObject
) -> None:
    entry = DiaryEntry(
        "d1", S1, "c1", "t1", dt.date(2025, 10, 8), f"祖母电话{phone}，身份证{number}"
    )
    relation = data.draw(relations(actor, entry))
    if not can_see(actor, entry, relation).allowed or (unmask and not actor.purpose):
        return
    v = view(entry, actor, relation=relation, unmask=unmask)
    perms = DEFAULT_ACCESS_POLICY.permissions_of(actor)
    text = json.dumps(v.data, ensure_ascii=False)
    if unmask and {Permission.UNMASK_ID, Permission.UNMASK_PHONE} <= perms and "text" in v.fields:
        assert v.unmasked == ("text",)
        assert phone in text
    else:
        assert not ID_RE.search(text)
        assert not MOBILE_RE.search(text)


@given(RECORDS, actors(Role.VOLUNTEER), st.data())
def test_a_volunteer_never_sees_an_id_number(
    record: Any, actor: Actor, data: st.DataObject
) -> None:
    actor = attrs.evolve(actor, permissions=tuple(Permission), purpose="weekend care")
    relation = data.draw(relations(actor, record))
    if not can_see(actor, record, relation).allowed:
        return
    v = view(record, actor, relation=relation, unmask=True)
    assert not any(p.endswith(("id_number", "student_number")) for p in v.fields)
    assert not ID_RE.search(json.dumps(v.data, ensure_ascii=False))


# --------------------------------------------------------------------------- scope


def test_a_mentor_sees_own_mentees_only() -> None:
    assert can_see(MENTOR, a_child(), rel(MENTOR)).allowed
    decision = can_see(OTHER_MENTOR, a_child(), rel(OTHER_MENTOR))
    assert not decision.allowed
    assert decision.render("en") == [
        "A mentor sees only their own mentees; c1 is not paired with t4."
    ]
    with pytest.raises(FieldAccessDenied) as info:
        see(OTHER_MENTOR)
    assert info.value.render("zh")[0] == "帮扶教师t4无权查看记录c1。"
    # Paired, but the school is not in the mentor's scope.
    outside = Actor(Role.MENTOR, "t1", schools=(S2,))
    assert can_see(outside, a_child(), rel(outside)).render("en") == [
        "School S1 lies outside the scope of t1."
    ]


def test_a_mentor_pairing_counts_only_while_it_runs() -> None:
    p = pairing(start=dt.date(2025, 9, 1), end=dt.date(2026, 1, 20))
    child = a_child()
    assert relation_to(MENTOR, child, pairings=[p], on=dt.date(2025, 10, 1)).mentor_of_child
    assert not relation_to(MENTOR, child, pairings=[p], on=dt.date(2026, 3, 1)).mentor_of_child
    assert relation_to(MENTOR, child, pairings=[p]).mentor_of_child
    # A pairing of another school, or a volunteer's pairing for a teacher, does not count.
    assert not relation_to(MENTOR, child, pairings=[pairing(school_id=S2)]).mentor_of_child
    volunteer_pairing = pairing(mentor="t1", mentor_kind=MentorKind.VOLUNTEER)
    assert not relation_to(MENTOR, child, pairings=[volunteer_pairing]).mentor_of_child
    assert rel(VOLUNTEER).mentor_of_child


def test_a_class_teacher_sees_own_class_only() -> None:
    assert can_see(CLASS_TEACHER, a_child(), rel(CLASS_TEACHER)).allowed
    decision = can_see(OTHER_CLASS_TEACHER, a_child(), rel(OTHER_CLASS_TEACHER))
    assert not decision.allowed
    assert decision.render("zh") == ["班主任只能查看本班儿童；c1不在t3任班主任的班级。"]
    moved = a_child(class_id="k2")
    assert can_see(OTHER_CLASS_TEACHER, moved, rel(OTHER_CLASS_TEACHER, moved)).allowed
    assert not can_see(CLASS_TEACHER, moved, rel(CLASS_TEACHER, moved)).allowed


def test_a_principal_sees_own_school_only() -> None:
    assert can_see(PRINCIPAL, a_child(), rel(PRINCIPAL)).allowed
    decision = can_see(OTHER_PRINCIPAL, a_child(), rel(OTHER_PRINCIPAL))
    assert not decision.allowed
    assert decision.render("en") == [
        "A principal sees only the children of their own school; school S1 is not the school of t7."
    ]


def test_a_district_officer_needs_a_recorded_purpose() -> None:
    decision = can_see(OFFICER, a_child(), rel(OFFICER))
    assert not decision.allowed
    assert decision.render("en")[-1] == (
        "A district officer reads a single child's record only for a recorded purpose, "
        "and none was given."
    )
    assert (
        decision.render("zh")[-1]
        == "区县教育部门工作人员须登记用途才能查看单个儿童的记录，但未登记用途。"
    )
    decision = can_see(OFFICER_WITH_PURPOSE, a_child(), rel(OFFICER_WITH_PURPOSE))
    assert decision.allowed
    assert decision.render("en")[-1] == (
        "A district officer reads a single child's record only for a recorded purpose: "
        "suspected neglect report."
    )
    # Only schools in scope.
    elsewhere = Actor(Role.DISTRICT_OFFICER, "d2", schools=(S2,), purpose="inspection")
    assert not can_see(elsewhere, a_child(), rel(elsewhere)).allowed
    # The officer's view: no psychological flags, no illness, numbers masked.
    v = see(OFFICER_WITH_PURPOSE)
    assert {"psychological_flag", "behaviour_flag", "health.illness"} <= set(v.hidden)
    assert v.data["id_number"] == mask_id(CHILD_ID)


def test_a_role_without_scopes_sees_aggregates_only() -> None:
    policy = DEFAULT_ACCESS_POLICY.with_role(RolePolicy(Role.DISTRICT_OFFICER))
    decision = can_see(OFFICER_WITH_PURPOSE, a_child(), rel(OFFICER_WITH_PURPOSE), policy)
    assert not decision.allowed
    assert decision.render("zh") == [
        "区县教育部门工作人员只能查看汇总数据，不能查看单个儿童的记录。"
    ]


def test_the_system_sees_everything_but_masked_by_default() -> None:
    child = a_child()
    masked = view(child, SYSTEM, relation=relation_to(SYSTEM, child))
    assert masked.hidden == ()
    assert masked.data["id_number"] == mask_id(CHILD_ID)
    full = view(child, SYSTEM, relation=relation_to(SYSTEM, child), unmask=True)
    assert full.data == json.loads(json.dumps(unstructure(child)))
    assert "id_number" in full.unmasked
    assert can_see(SYSTEM, child, relation_to(SYSTEM, child)).render("en") == [
        "The system processes every record; what leaves liushou is masked."
    ]


# --------------------------------------------------------------------------- fields and masking


def test_what_each_role_sees_of_a_child() -> None:
    seen = {
        actor.role: see(actor)
        for actor in (
            MENTOR, CLASS_TEACHER, PSYCHOLOGIST, PRINCIPAL, OFFICER_WITH_PURPOSE, VOLUNTEER,
        )
    }  # fmt: skip
    psych = {r for r, v in seen.items() if "psychological_flag" in v.fields}
    assert psych == {Role.MENTOR, Role.PSYCHOLOGIST}
    behaviour = {r for r, v in seen.items() if "behaviour_flag" in v.fields}
    assert behaviour == {Role.MENTOR, Role.CLASS_TEACHER, Role.PSYCHOLOGIST}
    illness = {r for r, v in seen.items() if "health.illness" in v.fields}
    assert illness == {Role.MENTOR, Role.CLASS_TEACHER, Role.PSYCHOLOGIST}
    assert all("health.status" in v.fields for v in seen.values())
    assert seen[Role.PRINCIPAL].data["health"] == {"status": "ill", "disability": None}
    volunteer = seen[Role.VOLUNTEER]
    for path in ("id_number", "student_number", "parents.id_number", "guardians.id_number"):
        assert path in volunteer.hidden
    assert "household_id" in volunteer.hidden
    assert volunteer.data["guardians"][0]["phone"] == mask_phone(GRANDMA_PHONE)
    for v in seen.values():
        assert v.full_record
        assert v.unmasked == ()
        text = json.dumps(v.data, ensure_ascii=False)
        assert not ID_RE.search(text)
        assert not MOBILE_RE.search(text)


def test_unmasking_needs_the_permission_and_a_purpose() -> None:
    # A mentor holds UNMASK_PHONE, not UNMASK_ID.
    with pytest.raises(FieldAccessDenied) as info:
        see(MENTOR, unmask=True)
    assert info.value.render("zh") == ["帮扶教师t1须先登记用途，才能查看完整的身份证号或电话号码。"]
    mentor = attrs.evolve(MENTOR, purpose="call the father about the parents' meeting")
    v = see(mentor, unmask=True)
    assert v.data["parents"][0]["phone"] == FATHER_PHONE
    assert v.data["id_number"] == mask_id(CHILD_ID)
    assert set(v.unmasked) == {"parents.phone", "guardians.phone", "emergency_contacts.phone"}
    assert "id_number" in v.masked
    # Only the paths asked for.
    v = see(mentor, unmask={"guardians.phone"})
    assert v.unmasked == ("guardians.phone",)
    assert v.data["parents"][0]["phone"] == mask_phone(FATHER_PHONE)
    assert see(mentor, unmask={"guardians"}).unmasked == ("guardians.phone",)  # inside it
    # A principal holds both; a person may be given more.
    v = see(PRINCIPAL, unmask=True)
    assert v.data["id_number"] == CHILD_ID
    assert v.data["student_number"] == "G" + CHILD_ID
    teacher = attrs.evolve(CLASS_TEACHER, purpose="insurance", permissions=("unmask ID numbers",))
    assert see(teacher, unmask=True).data["id_number"] == CHILD_ID


def test_free_text_is_shown_with_its_numbers_masked() -> None:
    entry = DiaryEntry("d1", S1, "c1", "t1", dt.date(2025, 10, 8), "祖母电话13912345678，周末家访")
    relation = rel(MENTOR)
    v = view(entry, MENTOR, relation=relation)
    assert v.data["text"] == "祖母电话139****5678，周末家访"
    assert v.masked == ("text",)
    assert v.full_record
    principal = view(entry, PRINCIPAL, relation=rel(PRINCIPAL), unmask=True)
    assert principal.data["text"] == entry.text
    assert principal.unmasked == ("text",)
    officer = view(entry, OFFICER_WITH_PURPOSE, relation=rel(OFFICER_WITH_PURPOSE))
    assert "text" in officer.hidden


def test_a_permission_opens_a_field_to_one_person() -> None:
    assert "psychological_flag" not in see(PRINCIPAL).fields
    crisis = attrs.evolve(PRINCIPAL, permissions=(Permission.READ_PSYCH,))
    assert see(crisis).data["psychological_flag"] is True
    assert "health.illness" not in see(PRINCIPAL).fields
    health = attrs.evolve(PRINCIPAL, permissions=(Permission.READ_HEALTH,))
    assert see(health).data["health"]["illness"] == "哮喘"


def test_records_about_children_and_about_no_child() -> None:
    incident = Incident("i1", S1, IncidentKind.SUSPECTED_HARM, dt.date(2025, 11, 3), ("c1", "c9"))
    other = a_child(id="c9")
    joined = rel(OTHER_MENTOR, a_child()) | rel(OTHER_MENTOR, other)
    assert joined.child_ids == ("c1", "c9")
    assert view(incident, OTHER_MENTOR, relation=joined).full_record
    hidden = view(incident, VOLUNTEER, relation=rel(VOLUNTEER))  # paired, but not for incidents
    assert hidden.data == {}
    assert hidden.fields == ()
    assert "summary" in hidden.hidden
    assert not hidden.full_record
    household = Household("h1", S1, income_source="务工")
    assert "income_source" in view(household, MENTOR, relation=rel(MENTOR)).fields
    teacher = Teacher("t9", S1, "张老师", Sex.FEMALE, phone="13612345678")
    v = view(teacher, PRINCIPAL, relation=relation_to_school(PRINCIPAL, S1))
    assert v.data["phone"] == "136****5678"
    assert not v.full_record
    with pytest.raises(FieldAccessDenied):
        view(teacher, MENTOR, relation=relation_to_school(MENTOR, S1))


def test_a_relation_for_other_records_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="other children"):
        view(a_child(id="c2"), MENTOR, relation=rel(MENTOR))
    with pytest.raises(ValueError, match="school"):
        view(a_child(school_id=S2), MENTOR, relation=rel(MENTOR))
    with pytest.raises(ValueError, match="different schools"):
        _ = rel(MENTOR) | relation_to_school(MENTOR, S2)
    with pytest.raises(TypeError):
        view({"id": "c1"}, MENTOR, relation=rel(MENTOR))


# --------------------------------------------------------------------------- writing


def test_writes_need_full_access_to_every_changed_field() -> None:
    child = a_child()
    relation = rel(CLASS_TEACHER)
    # A class teacher may change the name and the behaviour flag ...
    check_write(child, attrs.evolve(child, name="王晓明", behaviour_flag=False), CLASS_TEACHER,
                relation=relation)  # fmt: skip
    # ... and a guardian's phone (holding UNMASK_PHONE), but not the ID number or the
    # psychological flag.
    guardian = attrs.evolve(child.guardians[0], phone="13900001111")
    check_write(child, attrs.evolve(child, guardians=(guardian,)), CLASS_TEACHER, relation=relation)
    new = attrs.evolve(child, id_number=None, psychological_flag=False, student_number=None)
    with pytest.raises(FieldAccessDenied) as info:
        check_write(child, new, CLASS_TEACHER, relation=relation)
    assert info.value.fields == ("id_number", "psychological_flag", "student_number")
    assert str(info.value) == (
        "class teacher t2 may not write these fields of record c1: "
        "id_number, psychological_flag, student_number."
    )
    assert info.value.render("zh") == [
        "班主任t2无权修改记录c1的以下字段：id_number, psychological_flag, student_number。"
    ]
    assert CHILD_ID not in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).fields == info.value.fields
    assert child == a_child()  # nothing changed
    # A principal may change the ID number.
    check_write(child, attrs.evolve(child, id_number=None, student_number=None), PRINCIPAL,
                relation=rel(PRINCIPAL))  # fmt: skip
    # Somebody who may not see the record may change nothing of it.
    with pytest.raises(FieldAccessDenied) as info:
        check_write(
            child, attrs.evolve(child, name="王晓明"), OTHER_MENTOR, relation=rel(OTHER_MENTOR)
        )
    assert str(info.value) == "mentor t4 may not change record c1."
    assert info.value.reasons


def test_a_new_record_counts_every_field_set() -> None:
    child = a_child()
    assert "id_number" in changed_paths(None, child)
    assert "name" in changed_paths(None, child)
    assert "boarding" not in changed_paths(None, child)  # left at its default
    with pytest.raises(FieldAccessDenied) as info:
        check_write(None, child, CLASS_TEACHER, relation=rel(CLASS_TEACHER))
    assert "id_number" in info.value.fields
    bare = a_child(id_number=None, student_number=None, parents=(), psychological_flag=False)
    bare = attrs.evolve(bare, guardians=(attrs.evolve(bare.guardians[0], id_number=None),))
    check_write(None, bare, CLASS_TEACHER, relation=rel(CLASS_TEACHER, bare))
    check_write(None, child, SYSTEM, relation=relation_to(SYSTEM, child))


def test_changed_paths_pair_list_elements() -> None:
    child = a_child()
    second = Guardian("王大伯", Relationship.UNCLE, phone="13511112222")
    added = attrs.evolve(child, guardians=(second, *child.guardians))
    assert set(changed_paths(child, added)) == {
        f"guardians.{k}" for k, v in unstructure(second).items() if v not in (None, "", [])
    }
    assert changed_paths(child, attrs.evolve(added, guardians=added.guardians[::-1])) != ()
    assert changed_paths(added, attrs.evolve(added, guardians=added.guardians[::-1])) == ()
    assert changed_paths(child, attrs.evolve(child, version=9)) == ()


def test_moving_a_record_out_of_scope_is_refused() -> None:
    child = a_child()
    with pytest.raises(FieldAccessDenied) as info:
        check_write(child, attrs.evolve(child, school_id=S2), PRINCIPAL, relation=rel(PRINCIPAL))
    assert info.value.fields == ("school_id",)
    both = attrs.evolve(PRINCIPAL, schools=(S1, S2))
    check_write(child, attrs.evolve(child, school_id=S2), both, relation=rel(both))


# --------------------------------------------------------------------------- the policy as data


def test_the_policy_round_trips_as_plain_data() -> None:
    data = DEFAULT_ACCESS_POLICY.to_data()
    again = AccessPolicy.from_data(json.loads(json.dumps(data)))
    assert again == DEFAULT_ACCESS_POLICY
    rule = next(r for r in data["rules"] if r["path"] == "id_number" and r["kind"] == "child")
    assert rule == {
        "kind": "child",
        "path": "id_number",
        "mentor": "masked",
        "class_teacher": "masked",
        "psychologist": "masked",
        "principal": "masked",
        "district_officer": "masked",
        "volunteer": "hidden",
        "system": "masked",
        "unmask": "unmask ID numbers",
        "masker": "id",
    }


def test_a_county_overrides_the_policy_without_code() -> None:
    county = DEFAULT_ACCESS_POLICY.merged(
        {
            "rules": [{"kind": "child", "path": "behaviour_flag", "principal": "full"}],
            "roles": [
                {
                    "role": "class teacher",
                    "permissions": ["unmask phone numbers", "unmask ID numbers"],
                }
            ],
            "min_count": 10,
        }
    )
    assert county.access(Role.PRINCIPAL, "child", "behaviour_flag") is Access.FULL
    assert county.access(Role.VOLUNTEER, "child", "behaviour_flag") is Access.NONE  # kept
    assert county.may(CLASS_TEACHER, Permission.UNMASK_ID)
    assert county.role(Role.CLASS_TEACHER).scopes == (Scope.OWN_CLASS,)  # kept
    assert county.min_count == 10
    assert DEFAULT_ACCESS_POLICY.access(Role.PRINCIPAL, "child", "behaviour_flag") is Access.NONE
    v = view(a_child(), PRINCIPAL, relation=rel(PRINCIPAL), policy=county)
    assert "behaviour_flag" in v.fields
    # with_rule replaces the rule of the same path.
    strict = DEFAULT_ACCESS_POLICY.with_rule(
        FieldRule("child", "name", district_officer=Access.MASKED, masker="name")
    )
    assert see_with(strict, OFFICER_WITH_PURPOSE).data["name"] == "王**"
    assert strict.without_rule("child", "name") == DEFAULT_ACCESS_POLICY


def see_with(policy: AccessPolicy, actor: Actor) -> Any:
    return view(a_child(), actor, relation=rel(actor), policy=policy)


def test_bad_policy_data_names_every_problem() -> None:
    bad = {"kind": "Child!", "path": "a..b", "mentor": "everything", "masker": "x"}
    with pytest.raises(InvalidRecord) as info:
        AccessPolicy.from_data({"roles": [], "rules": [bad]})
    paths = {p for p, _ in info.value.problems}
    assert {"$.rules[0].kind", "$.rules[0].path", "$.rules[0].mentor", "$.rules[0].masker"} <= paths
    with pytest.raises(InvalidRecord):
        DEFAULT_ACCESS_POLICY.merged({"rules": ["not a rule"]})
    with pytest.raises(InvalidRecord) as info:
        AccessPolicy.from_data({"roles": [{"role": "mentor"}, {"role": "mentor"}]})
    assert info.value.render("zh") == ["$.roles: 角色帮扶教师重复列出"]


def test_a_role_the_policy_does_not_list_sees_nothing() -> None:
    policy = AccessPolicy(roles=(RolePolicy(Role.MENTOR, scopes=(Scope.OWN_MENTEES,)),))
    assert not can_see(PRINCIPAL, a_child(), rel(PRINCIPAL), policy).allowed
    assert policy.access(Role.PRINCIPAL, "child", "name") is Access.NONE
    assert policy.permissions_of(PRINCIPAL) == frozenset()


def test_actor_permissions_are_normalised() -> None:
    actor = Actor(Role.MENTOR, "t1", permissions=["read health details", Permission.UNMASK_ID])
    assert actor.permissions == (Permission.READ_HEALTH, Permission.UNMASK_ID)
    with pytest.raises(ValueError, match="not a valid Permission"):
        Actor(Role.MENTOR, "t1", permissions=["see everything"])
    with pytest.raises(TypeError):
        Actor(Role.MENTOR, "t1", permissions="unmask ID numbers")
    assert Actor(Role.MENTOR, "t1").label == "mentor:t1"
    assert DEFAULT_ACCESS_POLICY.permissions_of(actor) >= {Permission.UNMASK_PHONE}


@pytest.mark.parametrize("enum", [Access, Permission, Scope])
def test_labels_render_in_both_languages(enum: Any) -> None:
    from liushou_core.models import label

    for member in enum:
        assert label(member, "en") == member.value
        assert label(member, "zh") != member.value


# --------------------------------------------------------------------------- aggregates


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, {}),
        ({"a": 12, "b": 7}, {"a": 12, "b": 7}),
        ({"a": 0, "b": 9}, {"a": 0, "b": 9}),  # a zero names nobody
        ({"a": 3, "b": 10, "c": 0}, {"a": None, "b": None, "c": 0}),
        ({"a": 3, "b": 10, "c": 6}, {"a": None, "b": 10, "c": None}),
        ({"a": 1, "b": 1, "c": 30, "d": 40}, {"a": None, "b": None, "c": None, "d": 40}),
        ({"a": 2, "b": 4, "c": 30}, {"a": None, "b": None, "c": 30}),
        ({"a": 3, "b": 0, "c": 0}, {"a": None, "b": None, "c": None}),
        ({"a": 4}, {"a": None}),
        ({"a": 6, "b": 6, "c": 4}, {"a": None, "b": 6, "c": None}),
    ],
)
def test_suppress_small_examples(counts: dict[str, int], expected: dict[str, int | None]) -> None:
    assert suppress_small(counts) == expected


def test_suppress_small_threshold_and_bad_input() -> None:
    assert suppress_small({"a": 9, "b": 20}, threshold=10) == {"a": None, "b": None}
    with pytest.raises(ValueError, match="threshold"):
        suppress_small({"a": 1}, threshold=0)
    with pytest.raises(ValueError, match="'a'"):
        suppress_small({"a": -1})
    with pytest.raises(ValueError, match="'a'"):
        suppress_small({"a": True})


def _alternatives(
    out: dict[str, int | None], total: int, threshold: int
) -> Iterable[dict[str, int]]:
    """Rows an onlooker cannot tell from the true one, knowing the shown cells, the total,
    and that some suppressed cell was a small count."""
    hidden = [k for k, v in out.items() if v is None]
    rest = total - sum(v for v in out.values() if v is not None)
    for values in itertools.product(range(rest + 1), repeat=len(hidden)):
        if sum(values) == rest and any(0 < x < threshold for x in values):
            yield dict(zip(hidden, values, strict=True))


@given(
    st.dictionaries(st.sampled_from("abcde"), st.integers(0, 12), max_size=5),
    st.integers(3, 8),  # with 2, two suppressed ones adding up to 2 are both 1
)
def test_suppress_small_properties(counts: dict[str, int], threshold: int) -> None:
    out = suppress_small(counts, threshold=threshold)
    assert out.keys() == counts.keys()
    hidden = [k for k, v in out.items() if v is None]
    for k, v in out.items():
        if v is not None:
            assert v == counts[k]
            assert v == 0 or v >= threshold
    if hidden and len(counts) > 1:
        assert len(hidden) >= 2
        assert sum(counts[k] for k in hidden) >= threshold or len(hidden) == len(counts)
        # No suppressed cell can be worked out from the shown cells and the row total.
        values: dict[str, set[int]] = {k: set() for k in hidden}
        for alternative in _alternatives(out, sum(counts.values()), threshold):
            for k, x in alternative.items():
                values[k].add(x)
        assert all(len(v) >= 2 for v in values.values()), values
