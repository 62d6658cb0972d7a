"""Notices from events by policy (pure): who is notified, templates, masking, delivery states."""

from __future__ import annotations

import datetime as dt
import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_core.convert import structure, unstructure
from liushou_core.dated import Dated
from liushou_core.hookspecs import Event
from liushou_core.masking import mask_id, mask_phone
from liushou_core.models import (
    Child,
    Guardian,
    IncidentKind,
    MentorKind,
    Notice,
    NoticeState,
    Pairing,
    RecipientRole,
    Relationship,
    School,
    SchoolClass,
    Sex,
    StaffRole,
    Teacher,
    Urgency,
    label,
)
from liushou_core.models.notice import notice_id
from liushou_core.notices import (
    DEFAULT_NOTICE_POLICY,
    NoticePolicy,
    NoticeRule,
    Recipient,
    RetryPolicy,
    Template,
    claim,
    delivered,
    escalation_level,
    failed,
    is_due,
    notices_for,
    plan_notices,
    recipients_for,
    release,
)
from liushou_core.testing import strategies as lst

ON = dt.date(2026, 11, 29)
NOW = dt.datetime(2026, 11, 29, 8, 0)
UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")

PEOPLE = [
    Recipient(RecipientRole.MENTOR, "T1", "李老师", "13812345678"),
    Recipient(RecipientRole.CLASS_TEACHER, "T2", "王老师"),
    Recipient(RecipientRole.PRINCIPAL, "T0", "张校长", "zhang@school.example"),
    Recipient(RecipientRole.GUARDIAN, "C1/guardian/0", "王德福"),
]


def overdue(level: int | None = None, days: int | None = None, **data: str) -> Event:
    items = {"contact_kind": "talk", "due": "2026-11-20", **data}
    if level is not None:
        items["level"] = str(level)
    if days is not None:
        items["days_overdue"] = str(days)
    return Event("contact.overdue", "S1", "child", "C1", ON, data=tuple(sorted(items.items())))


def roles(notices: list[Notice]) -> set[RecipientRole]:
    return {n.role for n in notices}


# --------------------------------------------------------------------------- who


def test_overdue_escalates_mentor_then_class_teacher_then_principal() -> None:
    assert roles(notices_for(overdue(1), PEOPLE, on=ON)) == {RecipientRole.MENTOR}
    assert roles(notices_for(overdue(2), PEOPLE, on=ON)) == {
        RecipientRole.MENTOR,
        RecipientRole.CLASS_TEACHER,
    }
    top = notices_for(overdue(3), PEOPLE, on=ON)
    assert roles(top) == {
        RecipientRole.MENTOR,
        RecipientRole.CLASS_TEACHER,
        RecipientRole.PRINCIPAL,
    }
    assert {n.urgency for n in top if n.role == RecipientRole.PRINCIPAL} == {Urgency.HIGH}


def test_level_comes_from_days_overdue_and_the_dated_escalation_days() -> None:
    assert escalation_level(overdue(days=0)) == 0
    assert escalation_level(overdue(days=1)) == 1
    assert escalation_level(overdue(days=7)) == 2
    assert escalation_level(overdue(days=30)) == 3
    assert escalation_level(overdue(level=2, days=30)) == 2  # an explicit level wins
    county = attrs.evolve(
        DEFAULT_NOTICE_POLICY,
        escalation_days=DEFAULT_NOTICE_POLICY.escalation_days.with_change(
            dt.date(2026, 9, 1), (3, 5, 10), "某县教育局 2026 通知"
        ),
    )
    assert escalation_level(overdue(days=4), county) == 1
    assert escalation_level(overdue(days=10), county) == 3
    old = attrs.evolve(overdue(days=10), on=dt.date(2026, 8, 1))
    assert escalation_level(old, county) == 2  # before the county's change


@given(st.integers(-5, 60), st.integers(0, 60))
def test_more_days_overdue_never_notify_fewer_roles(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert escalation_level(overdue(days=lo)) <= escalation_level(overdue(days=hi))
    assert roles(notices_for(overdue(days=lo), PEOPLE, on=ON)) <= roles(
        notices_for(overdue(days=hi), PEOPLE, on=ON)
    )


def test_an_incident_goes_at_once_to_the_principal_and_the_class_teacher() -> None:
    event = Event(
        "record.added",
        "S1",
        "incident",
        "I1",
        ON,
        data=(("child_id", "C1"), ("incident_kind", "injury"), ("summary", "跌倒擦伤")),
    )
    plan = plan_notices(event, PEOPLE, on=ON)
    assert roles(list(plan.notices)) == {RecipientRole.PRINCIPAL, RecipientRole.CLASS_TEACHER}
    assert {n.urgency for n in plan.notices} == {Urgency.URGENT}
    zh = next(n for n in plan.notices if n.role == RecipientRole.PRINCIPAL)
    assert label(IncidentKind.INJURY, "zh") in zh.subject
    assert label(IncidentKind.INJURY, "zh") != "injury"
    assert "跌倒擦伤" in zh.body
    assert any("未成年人保护法" in r for r in plan.explain("en"))


def test_an_aid_change_reaches_the_guardian() -> None:
    event = Event("record.updated", "S1", "aid_decision", "A1", ON, data=(("child_id", "C1"),))
    assert RecipientRole.GUARDIAN in roles(notices_for(event, PEOPLE, on=ON))


def test_a_role_without_anybody_is_named_in_the_reasons() -> None:
    plan = plan_notices(overdue(3), [PEOPLE[0]], on=ON)
    assert roles(list(plan.notices)) == {RecipientRole.MENTOR}
    text = " ".join(plan.explain("en"))
    assert "No principal is known" in text
    assert "校长" in " ".join(plan.explain("zh"))


def test_rules_are_dated_policy_data_a_county_replaces() -> None:
    own = NoticeRule(
        "contact.overdue", (RecipientRole.DISTRICT_OFFICER,), level=1, source="县教育局 2027"
    )
    policy = attrs.evolve(
        DEFAULT_NOTICE_POLICY,
        rules=DEFAULT_NOTICE_POLICY.rules.with_change(dt.date(2027, 1, 1), (own,), own.source),
    )
    officer = [*PEOPLE, Recipient(RecipientRole.DISTRICT_OFFICER, "D1")]
    assert roles(notices_for(overdue(1), officer, policy, on=ON)) == {RecipientRole.MENTOR}
    later = dt.date(2027, 3, 1)
    assert roles(notices_for(overdue(1), officer, policy, on=later)) == {
        RecipientRole.DISTRICT_OFFICER
    }


def test_channels_per_role_make_one_notice_per_channel() -> None:
    policy = NoticePolicy(
        channels={RecipientRole.MENTOR: ("console", "webhook")}, default_channels=("smtp",)
    )
    got = notices_for(overdue(3), PEOPLE, policy, on=ON)
    assert sorted((n.role.value, n.channel) for n in got) == [
        ("class teacher", "smtp"),
        ("mentor", "console"),
        ("mentor", "webhook"),
        ("principal", "smtp"),
    ]
    assert len({n.idempotency_key for n in got}) == len(got)


# --------------------------------------------------------------------------- text


def test_templates_render_in_chinese_and_english() -> None:
    [zh] = notices_for(overdue(1), PEOPLE, on=ON)
    [en] = notices_for(overdue(1), PEOPLE, NoticePolicy(lang="en"), on=ON)
    assert en.subject == "Overdue talk for pupil C1"
    assert "2026-11-20" in en.body
    assert "level 1" in en.body
    assert zh.lang == "zh"
    assert "谈心" in zh.subject
    assert "逾期" in zh.subject
    assert zh.body != en.body


def test_a_deployer_template_replaces_the_built_in_one() -> None:
    policy = NoticePolicy(
        templates={"contact.overdue": Template("{child}: {contact}!", "due {due}")}, lang="en"
    )
    [n] = notices_for(overdue(1, child_name="王小明"), PEOPLE, policy, on=ON)
    assert (n.subject, n.body) == ("王小明: talk!", "due 2026-11-20")


@given(lst.resident_ids(), lst.mobile_phones(), lst.free_text())
def test_a_body_with_an_id_or_phone_is_masked(number: str, phone: str, text: str) -> None:
    event = overdue(1, summary=f"{text} 身份证{number} 电话{phone}")
    policy = NoticePolicy(
        templates={"contact.overdue": Template("call {summary}", "{summary}")}, lang="en"
    )
    [n] = notices_for(event, PEOPLE, policy, on=ON)
    for shown in (n.subject, n.body, repr(n)):
        assert not UNMASKED.search(shown), shown
    assert mask_id(number) in n.body
    assert mask_phone(phone) in n.body
    assert "138****5678" in repr(n)  # the recipient's address in the repr


@given(lst.from_model(Notice))
def test_notices_never_hold_numbers_in_full_and_round_trip(notice: Notice) -> None:
    assert not UNMASKED.search(notice.body + notice.subject + notice.last_error)
    assert notice.id == notice_id(notice.idempotency_key)
    assert structure(unstructure(notice), Notice) == notice


def test_a_notice_id_must_derive_from_its_key() -> None:
    [n] = notices_for(overdue(1), PEOPLE, on=ON)
    with pytest.raises(ValueError, match="notice_id"):
        attrs.evolve(n, id="n-other")


# --------------------------------------------------------------------------- keys


@given(st.integers(0, 4), st.sampled_from(["contact.overdue", "record.added"]))
def test_the_same_event_makes_the_same_notices(level: int, kind: str) -> None:
    event = attrs.evolve(overdue(level), kind=kind)
    first = notices_for(event, PEOPLE, on=ON)
    again = notices_for(event, list(reversed(PEOPLE)), on=ON)
    assert first == again
    assert len({n.id for n in first}) == len(first)


def test_keys_differ_by_level_day_person_and_a_callers_key() -> None:
    a = notices_for(overdue(1), PEOPLE, on=ON)[0].idempotency_key
    assert a != notices_for(overdue(2), PEOPLE, on=ON)[0].idempotency_key
    assert (
        a
        != notices_for(attrs.evolve(overdue(1), on=ON + dt.timedelta(1)), PEOPLE, on=ON)[
            0
        ].idempotency_key
    )
    keyed = notices_for(overdue(1, key="overdue:P17:2026-11"), PEOPLE, on=ON)[0]
    assert keyed.idempotency_key.startswith("overdue:P17:2026-11|L1|mentor:T1|console")


# --------------------------------------------------------------------------- recipients


def test_recipients_come_from_pairings_classes_and_the_school() -> None:
    school = School("S1", "清溪中心小学", "431121", principal_id="T0")
    klass = SchoolClass("S1-g3c1", "S1", 3, "三年级一班", class_teacher_id="T2")
    teachers = [
        Teacher("T0", "S1", "张校长", Sex.MALE, roles=(StaffRole.PRINCIPAL,)),
        Teacher("T1", "S1", "李老师", Sex.FEMALE, phone="13812345678"),
        Teacher("T2", "S1", "王老师", Sex.FEMALE, roles=(StaffRole.CLASS_TEACHER,)),
        Teacher("T9", "S1", "赵老师", Sex.MALE),
    ]
    pairings = [
        Pairing("P1", "S1", "2026-autumn", "C1", "T1", MentorKind.TEACHER, start=ON),
        Pairing("P2", "S1", "2026-autumn", "C1", "T9", end=ON - dt.timedelta(1)),  # ended
        Pairing("P3", "S1", "2026-autumn", "C2", "T9"),  # another pupil
    ]
    child = Child(
        id="C1",
        school_id="S1",
        name="王小明",
        sex=Sex.MALE,
        birth_date=dt.date(2017, 5, 4),
        class_id="S1-g3c1",
        guardians=(Guardian("王德福", Relationship.PATERNAL_GRANDFATHER, phone="13900001111"),),
    )
    found = recipients_for(
        overdue(3),
        on=ON,
        school=school,
        classes=[klass],
        teachers=teachers,
        pairings=pairings,
        children=[child],
    )
    assert [(r.role, r.person_id) for r in found] == [
        (RecipientRole.MENTOR, "T1"),
        (RecipientRole.CLASS_TEACHER, "T2"),
        (RecipientRole.PRINCIPAL, "T0"),
        (RecipientRole.GUARDIAN, "C1/guardian/0"),
    ]
    assert found[0].address == "13812345678"
    assert found[0].name == "李老师"
    got = notices_for(overdue(3), found, on=ON)
    assert {n.person_id for n in got} == {"T0", "T1", "T2"}


# --------------------------------------------------------------------------- states


@given(
    st.lists(st.booleans(), min_size=1, max_size=10),
    st.integers(1, 6),
    st.floats(0, 600),
    st.floats(1, 4),
)
def test_delivery_states(outcomes: list[bool], tries: int, base: float, factor: float) -> None:
    """A notice is sent at most once; dead exactly after `tries` failures; backoff grows."""
    retry = RetryPolicy(max_attempts=tries, base_seconds=base, factor=factor)
    [n] = notices_for(overdue(1), PEOPLE, on=ON)
    now, lease = NOW, dt.timedelta(minutes=5)
    sends, waits = 0, []
    for ok in outcomes:
        if not is_due(n, now):
            assert n.state in (NoticeState.SENT, NoticeState.DEAD)
            break
        before = n
        n = claim(n, now, lease)
        assert n.state == NoticeState.SENDING
        assert n.attempts == before.attempts + 1
        assert not is_due(n, now)
        assert is_due(n, now + lease)
        assert release(n, before) == before
        sends += 1
        if ok:
            n = delivered(n, now)
        else:
            n = failed(n, f"HTTP 500 for {n.address}", now, retry)
            if n.state == NoticeState.PENDING:
                assert n.next_attempt_at is not None
                waits.append(n.next_attempt_at - now)
                now = n.next_attempt_at
        assert UNMASKED.search(n.last_error) is None
    assert n.attempts == sends <= tries
    assert waits == sorted(waits)
    if n.state == NoticeState.SENT:
        assert outcomes[sends - 1]
        assert not any(outcomes[: sends - 1])
    if n.state == NoticeState.DEAD:
        assert sends == tries
        assert not any(outcomes[:tries])
        assert "138****5678" in n.last_error
    assert not is_due(n, now + dt.timedelta(days=365)) or n.state == NoticeState.PENDING


def test_claiming_a_notice_that_is_not_due_is_refused() -> None:
    [n] = notices_for(overdue(1), PEOPLE, on=ON)
    sent = delivered(claim(n, NOW, dt.timedelta(minutes=1)), NOW)
    with pytest.raises(ValueError, match="not due"):
        claim(sent, NOW + dt.timedelta(days=1), dt.timedelta(minutes=1))


def test_a_retry_policy_is_checked() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    assert RetryPolicy(base_seconds=60, factor=2, cap_seconds=100).delay(5) == dt.timedelta(
        seconds=100
    )


def test_policy_rules_are_dated() -> None:
    assert isinstance(DEFAULT_NOTICE_POLICY.rules, Dated)
    assert all(rule.source for rule in DEFAULT_NOTICE_POLICY.rules.at(ON))
    with pytest.raises(ValueError, match="unknown language"):
        NoticePolicy(lang="fr")


def test_an_event_without_its_own_template_gets_the_generic_one() -> None:
    own = NoticeRule("finding.raised", (RecipientRole.PRINCIPAL,), source="县规定")
    policy = NoticePolicy(rules=Dated.since(ON, (own,), "县规定"), lang="en")
    event = Event("finding.raised", "S1", "child", "C9", ON)
    [n] = notices_for(event, PEOPLE, policy, on=ON)
    assert (n.subject, n.body) == (
        "finding.raised: child C9",
        "finding.raised concerning child C9 on 2026-11-29.",
    )
    [zh] = notices_for(event, PEOPLE, attrs.evolve(policy, lang="zh"), on=ON)
    assert zh.subject == "事件finding.raised：儿童 C9"  # "child" is in the catalogue
