"""The emergency mechanism: the chain, the call list, incident steps, mandatory reporting."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core.checks import BUILTIN_CHECKS, SchoolRecords, run_checks
from liushou_core.emergency import (
    STATE_ORDER,
    IllegalTransition,
    LinkRole,
    advance,
    advance_event,
    call_list,
    can_advance,
    chain,
    missing_reports,
    report_event,
)
from liushou_core.models import (
    Authority,
    Child,
    ConditionKind,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    ParentCondition,
    RecipientRole,
    School,
    Severity,
    Subject,
    Urgency,
)
from liushou_core.notices import plan_notices, recipients_for
from liushou_core.testing import strategies as lst
from liushou_core.testing.checks import complete_records

ON = dt.date(2026, 11, 2)
UNMASKED_MOBILE = r"(?<!\d)1[3-9]\d{9}(?!\d)"

Removal = Callable[[SchoolRecords, Child], SchoolRecords]


def with_child(records: SchoolRecords, child: Child, **changes: object) -> SchoolRecords:
    kids = tuple(attrs.evolve(c, **changes) if c.id == child.id else c for c in records.children)
    return attrs.evolve(records, children=kids)


def _no_class_teacher(r: SchoolRecords, c: Child) -> SchoolRecords:
    return attrs.evolve(r, classes=tuple(attrs.evolve(k, class_teacher_id=None) for k in r.classes))


def _no_mentor(r: SchoolRecords, c: Child) -> SchoolRecords:
    return attrs.evolve(r, pairings=tuple(p for p in r.pairings if p.child_id != c.id))


def _no_guardian_phone(r: SchoolRecords, c: Child) -> SchoolRecords:
    return with_child(r, c, guardians=tuple(attrs.evolve(g, phone=None) for g in c.guardians))


def _no_parent_phone(r: SchoolRecords, c: Child) -> SchoolRecords:
    return with_child(r, c, parents=tuple(attrs.evolve(p, phone=None) for p in c.parents))


def _no_village(r: SchoolRecords, c: Child) -> SchoolRecords:
    return with_child(r, c, village_committee=None)


def _no_township(r: SchoolRecords, c: Child) -> SchoolRecords:
    return attrs.evolve(r, school=attrs.evolve(r.school, township=""))


#: How to remove each link of a child's chain from complete records.
REMOVE: dict[LinkRole, Removal] = {
    LinkRole.CLASS_TEACHER: _no_class_teacher,
    LinkRole.MENTOR: _no_mentor,
    LinkRole.GUARDIAN: _no_guardian_phone,
    LinkRole.PARENTS: _no_parent_phone,
    LinkRole.VILLAGE_COMMITTEE: _no_village,
    LinkRole.AUTHORITY: _no_township,
}


def test_every_link_has_a_removal() -> None:
    assert set(REMOVE) == set(LinkRole)


# --------------------------------------------------------------------------- the chain


@given(built=complete_records())
def test_the_chain_of_a_complete_record_has_no_missing_link(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    for child in records.children:
        found = chain(child, records, on=on)
        assert found.missing == ()
        assert [k.role for k in found.links] == list(LinkRole)
        assert all(k.present for k in found.links)
        for lang in ("zh", "en"):
            assert all("{" not in text for text in found.explain(lang))


@pytest.mark.parametrize("role", list(LinkRole), ids=lambda r: r.name.lower())
@settings(max_examples=10)
@given(built=complete_records())
def test_removing_a_link_yields_exactly_that_link_missing(
    role: LinkRole, built: tuple[SchoolRecords, dt.date]
) -> None:
    records, on = built
    child = records.children[-1]
    broken = REMOVE[role](records, child)
    found = chain(next(c for c in broken.children if c.id == child.id), broken, on=on)
    assert found.missing == (role,)
    assert not found.link(role).present
    # the check reports it once for the child, naming the link in both languages
    chain_findings = [
        f for f in run_checks(broken, on=on) if f.code == "EMERGENCY_CHAIN_INCOMPLETE"
    ]
    assert Subject("child", child.id) in {f.subject for f in chain_findings}
    mine = next(f for f in chain_findings if f.subject.id == child.id)
    assert mine.message.param_dict["count"] == 1
    assert role.value in mine.message.render("en")


@given(built=complete_records())
def test_two_links_missing_make_one_finding_listing_both(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    child = records.children[0]
    broken = _no_village(_no_township(records, child), child)
    mine = [
        f
        for f in run_checks(broken, on=on)
        if f.code == "EMERGENCY_CHAIN_INCOMPLETE" and f.subject.id == child.id
    ]
    assert len(mine) == 1
    assert mine[0].severity is Severity.WARNING
    zh = mine[0].message.render("zh")
    assert "【村委会联系人】" in zh
    assert "【乡镇和公安】" in zh
    assert "缺少2个环节" in zh
    en = mine[0].message.render("en")
    assert en.endswith("[village committee contact][township and police].")


@given(built=complete_records())
def test_no_family_link_is_an_error(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    child = records.children[0]
    broken = _no_parent_phone(_no_guardian_phone(records, child), child)
    mine = [
        f
        for f in run_checks(broken, on=on)
        if f.code == "EMERGENCY_CHAIN_INCOMPLETE" and f.subject.id == child.id
    ]
    assert [f.severity for f in mine] == [Severity.ERROR]


@given(built=complete_records())
def test_links_that_cannot_exist_are_not_required(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    child = records.children[0]
    gone = ParentCondition(ConditionKind.DECEASED, on - dt.timedelta(days=400))
    orphan = attrs.evolve(
        child,
        parents=tuple(attrs.evolve(p, phone=None, conditions=(gone,)) for p in child.parents),
    )
    unpaired = attrs.evolve(_no_mentor(records, child), nominated=frozenset(), children=(orphan,))
    found = chain(orphan, unpaired, on=on)
    assert found.complete
    assert not found.link(LinkRole.MENTOR).present
    assert not found.link(LinkRole.PARENTS).present


def test_the_check_is_built_in() -> None:
    assert "emergency_chain" in {c.code for c in BUILTIN_CHECKS}


# --------------------------------------------------------------------------- calls


def _incident(records: SchoolRecords, kind: IncidentKind, *kids: Child) -> Incident:
    return Incident("S1-ix", "S1", kind, ON, tuple(c.id for c in kids))


@given(built=complete_records(on=ON))
def test_the_call_list_follows_the_chain_and_masks_phones(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    import re

    records, on = built
    child = records.children[0]
    calls = call_list(_incident(records, IncidentKind.INJURY, child), records, on=on)
    roles = [c.role for c in calls]
    assert roles[0] is LinkRole.CLASS_TEACHER
    assert roles[-1] is LinkRole.AUTHORITY
    assert roles == sorted(roles, key=list(LinkRole).index)
    assert [c.order for c in calls] == list(range(1, len(calls) + 1))
    assert all(c.child_ids == (child.id,) for c in calls)
    assert not re.search(UNMASKED_MOBILE, repr(calls))
    police = calls[-1].person
    assert police.shown_phone() == "110"
    assert police.public
    teacher = calls[0].person
    assert teacher.phone is not None
    assert teacher.shown_phone() != teacher.phone
    assert teacher.shown_phone(unmask=True) == teacher.phone


@given(built=complete_records(on=ON))
def test_suspected_harm_calls_the_police_first_and_each_person_once(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    incident = _incident(records, IncidentKind.SUSPECTED_HARM, *records.children)
    calls = call_list(incident, records, on=on)
    assert calls[0].role is LinkRole.AUTHORITY
    assert "110" in calls[0].explain("zh")
    # the class teacher of every child is called once, for all of them
    teacher_calls = [c for c in calls if c.role is LinkRole.CLASS_TEACHER]
    assert len(teacher_calls) == 1
    assert set(teacher_calls[0].child_ids) == {c.id for c in records.children}
    keys = [(c.role, c.person.name, c.person.phone) for c in calls]
    assert len(keys) == len(set(keys))


# --------------------------------------------------------------------------- transitions

AT = dt.datetime(2026, 11, 2, 9, 0)


def test_closed_cannot_go_back_to_reported() -> None:
    i = Incident("i1", "S1", IncidentKind.INJURY, ON)
    closed = advance(i, IncidentState.CLOSED, AT)
    with pytest.raises(IllegalTransition, match="closed"):
        advance(closed, IncidentState.REPORTED, AT + dt.timedelta(hours=1))
    with pytest.raises(IllegalTransition, match="back from 'followed up' to 'referred'"):
        advance(
            advance(i, IncidentState.FOLLOWED_UP, AT),
            IncidentState.REFERRED,
            AT + dt.timedelta(hours=1),
        )
    with pytest.raises(IllegalTransition, match="before the last one"):
        advance(advance(i, IncidentState.REFERRED, AT), IncidentState.CLOSED, AT - dt.timedelta(1))
    with pytest.raises(IllegalTransition, match="before the day it occurred"):
        advance(i, IncidentState.REFERRED, AT - dt.timedelta(days=2))
    assert isinstance(IllegalTransition("x"), ValueError)


@given(
    st.lists(
        st.tuples(st.sampled_from(STATE_ORDER), st.integers(-120, 60 * 24 * 5)),
        max_size=8,
    )
)
def test_transitions_never_go_backwards(moves: list[tuple[IncidentState, int]]) -> None:
    incident = Incident("i1", "S1", IncidentKind.SUSPECTED_HARM, ON)
    at = AT
    for state, minutes in moves:
        when = at + dt.timedelta(minutes=minutes)
        in_time = not incident.steps or when >= at
        legal = can_advance(incident.state, state) and in_time and when.date() >= ON
        try:
            after = advance(incident, state, when, reported_to=(Authority.POLICE,))
        except IllegalTransition:
            assert not legal
            continue
        assert legal
        assert after.steps[:-1] == incident.steps
        assert after.state is state
        incident, at = after, when
    states = [STATE_ORDER.index(s.state) for s in incident.steps]
    assert states == sorted(states)
    times = [s.at for s in incident.steps]
    assert times == sorted(times)
    assert IncidentState.CLOSED not in [s.state for s in incident.steps[:-1]]


def test_every_state_change_is_audited_on_sqlite() -> None:
    with tempfile.TemporaryDirectory() as where, SqliteStore(Path(where) / "a.db") as store:
        _audited_steps(store)


@settings(max_examples=5)
@given(st.lists(st.sampled_from(STATE_ORDER), min_size=1, max_size=5))
def test_every_state_change_is_audited_property(states: list[IncidentState]) -> None:
    legal = sorted(states, key=STATE_ORDER.index)
    legal = (
        legal[: legal.index(IncidentState.CLOSED) + 1] if IncidentState.CLOSED in legal else legal
    )
    with tempfile.TemporaryDirectory() as where, SqliteStore(Path(where) / "a.db") as store:
        _audited_steps(store, legal)


def _audited_steps(store: SqliteStore, states: list[IncidentState] | None = None) -> None:
    states = states or [IncidentState.REPORTED, IncidentState.REFERRED, IncidentState.CLOSED]
    with store.unit_of_work("test") as uow:
        uow.add(School("S1", "清溪中心小学", "431121", "城关镇"))
        uow.add(Incident("S1-i1", "S1", IncidentKind.SUSPECTED_HARM, ON, ("S1-c0",)))
        uow.commit()
    for n, state in enumerate(states):
        with store.unit_of_work("班主任", purpose="emergency") as uow:
            before = uow.get(Incident, "S1", "S1-i1")
            uow.update(advance(before, state, AT + dt.timedelta(hours=n)))
            uow.commit()
    trail = store.audit_trail(school_id="S1", kind=Incident, record_id="S1-i1")
    assert [e.action for e in trail] == ["add"] + ["update"] * len(states)
    updates = trail[1:]
    assert all(e.fields == ("steps",) for e in updates)
    assert all(e.actor == "班主任" and e.purpose == "emergency" for e in updates)
    assert [e.new_version for e in updates] == list(range(2, len(states) + 2))
    with store.unit_of_work("test", readonly=True) as uow:
        stored = uow.get(Incident, "S1", "S1-i1")
    assert [s.state for s in stored.steps] == states


# --------------------------------------------------------------------------- reporting


@settings(max_examples=20)
@given(
    built=complete_records(on=ON),
    incident=lst.incidents(school_id="S1"),
    told=st.lists(st.sampled_from([Authority.CIVIL_AFFAIRS, Authority.EDUCATION]), max_size=2),
)
def test_suspected_harm_without_a_police_report_is_always_an_error(
    built: tuple[SchoolRecords, dt.date], incident: Incident, told: list[Authority]
) -> None:
    records, on = built
    occurred = min(incident.occurred_on, on)
    steps = tuple(
        attrs.evolve(
            s,
            at=dt.datetime.combine(occurred, s.at.time()),
            reported_to=tuple(a for a in (*s.reported_to, *told) if a is not Authority.POLICE),
        )
        for s in incident.steps
    )
    harm = attrs.evolve(
        incident, kind=IncidentKind.SUSPECTED_HARM, occurred_on=occurred, steps=steps
    )
    found = run_checks(attrs.evolve(records, incidents=(harm,)), on=on)
    errors = [f for f in found if f.subject == Subject("incident", harm.id)]
    assert [f.code for f in errors if f.severity is Severity.ERROR] == ["INCIDENT_NOT_REPORTED"]
    assert Authority.POLICE in missing_reports(harm, on=on)
    assert "【公安机关】" in errors[0].message.render("zh")
    event = report_event(harm, on=on)
    assert event is not None
    assert event.kind == "incident.reported"
    assert dict(event.data)["urgency"] == "urgent"


def test_both_police_and_education_are_required() -> None:
    at = dt.datetime(2026, 11, 1, 10)
    police_only = Incident(
        "i1",
        "S1",
        IncidentKind.SUSPECTED_HARM,
        dt.date(2026, 11, 1),
        ("c1",),
        (IncidentStep(IncidentState.REPORTED, at, reported_to=(Authority.POLICE,)),),
    )
    assert missing_reports(police_only, on=ON) == (Authority.EDUCATION,)
    both = advance(
        police_only,
        IncidentState.REFERRED,
        at + dt.timedelta(hours=1),
        reported_to=[Authority.EDUCATION],
    )
    assert missing_reports(both, on=ON) == ()
    assert report_event(both, on=ON) is None
    injury = attrs.evolve(police_only, kind=IncidentKind.INJURY)
    assert missing_reports(injury, on=ON) == ()


@given(built=complete_records(on=ON))
def test_the_missing_report_makes_urgent_notices(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    child = records.children[0]
    incident = Incident("S1-ix", "S1", IncidentKind.SUSPECTED_HARM, on, (child.id,))
    event = report_event(incident, on=on)
    assert event is not None
    people = recipients_for(
        event,
        on=on,
        school=records.school,
        classes=records.classes,
        teachers=records.teachers,
        pairings=records.pairings,
        children=records.children,
    )
    plan = plan_notices(event, people, on=on)
    roles = {n.role for n in plan.notices}
    assert {RecipientRole.PRINCIPAL, RecipientRole.CLASS_TEACHER} <= roles
    assert {n.urgency for n in plan.notices} == {Urgency.URGENT}
    assert all("尚未向公安机关和教育行政部门报告" in n.body for n in plan.notices)
    step = advance(incident, IncidentState.REFERRED, AT, reported_to=[Authority.POLICE])
    moved = plan_notices(advance_event(incident, step, on=on), people, on=on)
    assert moved.notices
    assert {n.urgency for n in moved.notices} == {Urgency.HIGH}
    assert all("已转介" in n.body or "referred" in n.body for n in moved.notices)
