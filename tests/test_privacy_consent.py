"""The guardian's consent (PIPL art. 31): the rule, and the services that need it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_adapters.storage import open_store
from liushou_core.dated import Dated
from liushou_core.errors import PermissionDenied
from liushou_core.models import Child, Consent, MentorKind, Pairing, Relationship, School, Sex
from liushou_core.ports import Store
from liushou_core.privacy import (
    DEFAULT_CONSENT_POLICY,
    SYSTEM,
    Actor,
    ConsentPolicy,
    ConsentRequired,
    FieldAccessDenied,
    Processing,
    Role,
    consent_decision,
    require_consent,
)
from liushou_core.services import (
    check_consent,
    read_child,
    record_consent,
    update_child,
    withdraw_consent,
)
from liushou_core.testing import strategies as lst

ON = dt.date(2026, 11, 29)
BORN_10 = dt.date(2016, 5, 4)  # 10 years old on ON
BORN_15 = dt.date(2011, 5, 4)  # 15 years old on ON
CARE = Processing.CARE_PROGRAMME.value


def child(born: dt.date = BORN_10, cid: str = "c1") -> Child:
    return Child(id=cid, school_id="S1", name="李小花", sex=Sex.FEMALE, birth_date=born)


def consent(
    cid: str = "c1",
    purposes: tuple[str, ...] = (CARE,),
    given_on: dt.date = dt.date(2026, 9, 1),
    withdrawn_on: dt.date | None = None,
    kid: str = "k1",
) -> Consent:
    return Consent(
        kid,
        "S1",
        cid,
        "李桂兰",
        Relationship.MATERNAL_GRANDMOTHER,
        given_on,
        purposes=purposes,
        withdrawn_on=withdrawn_on,
        notice_version="2026-1",
    )


# ----------------------------------------------------------------------------- the rule


def test_an_under_14_child_needs_a_consent_for_the_care_programme() -> None:
    refused = consent_decision(child(), [], CARE, on=ON)
    assert not refused.allowed
    assert refused.render("zh") == [
        "c1未满14周岁（PIPL art. 28, 31 (个人信息保护法)）：为关爱帮扶处理其个人信息"
        "须取得监护人同意，目前没有有效的同意。"
    ]
    allowed = consent_decision(child(), [consent()], CARE, on=ON)
    assert allowed.allowed
    assert allowed.render("en") == [
        "The guardian's consent k1 of 2026-09-01 covers care programme (notice version 2026-1)."
    ]


def test_no_consent_is_needed_from_14_or_for_a_legal_duty() -> None:
    assert consent_decision(child(BORN_15), [], CARE, on=ON).allowed
    on_birthday = dt.date(2030, 5, 4)  # 14 on the day: inclusive
    assert consent_decision(child(), [], CARE, on=on_birthday).allowed
    assert not consent_decision(child(), [], CARE, on=on_birthday - dt.timedelta(days=1)).allowed
    for duty in (Processing.SCHOOL_RECORDS, Processing.SAFEGUARDING, Processing.EMERGENCY):
        assert consent_decision(child(), [], duty.value, on=ON).allowed


def test_a_withdrawn_or_unrelated_consent_counts_for_nothing() -> None:
    withdrawn = consent(withdrawn_on=dt.date(2026, 10, 1))
    assert consent_decision(child(), [withdrawn], CARE, on=dt.date(2026, 9, 30)).allowed
    assert not consent_decision(child(), [withdrawn], CARE, on=dt.date(2026, 10, 1)).allowed
    assert not consent_decision(child(), [consent(cid="c2")], CARE, on=ON).allowed
    health_only = consent(purposes=(Processing.HEALTH_CHECKS.value,))
    assert not consent_decision(child(), [health_only], CARE, on=ON).allowed
    assert not consent_decision(
        child(), [consent(given_on=dt.date(2026, 12, 1))], CARE, on=ON
    ).allowed


def test_require_consent_raises_a_permission_error_in_both_languages() -> None:
    with pytest.raises(ConsentRequired) as refused:
        require_consent(child(), [], CARE, on=ON)
    assert isinstance(refused.value, PermissionDenied)
    assert str(refused.value) == "No guardian's consent for care programme is in force for c1."
    assert refused.value.render("zh")[0] == "c1没有涵盖关爱帮扶的有效监护人同意。"


def test_the_age_limit_is_dated_policy_data() -> None:
    county = ConsentPolicy(
        age_limit=DEFAULT_CONSENT_POLICY.age_limit.with_change(
            dt.date(2026, 1, 1), 16, "县级规定（示例）"
        )
    )
    assert consent_decision(child(BORN_15), [], CARE, on=ON, policy=county).allowed is False
    assert consent_decision(child(BORN_15), [], CARE, on=dt.date(2025, 6, 1), policy=county).allowed
    assert county.age_limit.source_at(ON) == "县级规定（示例）"
    assert isinstance(county.needs_consent, Dated)


@given(
    record=lst.children(school_id="S1"),
    consents=st.lists(lst.consents(school_id="S1"), max_size=4),
    on=st.dates(dt.date(2022, 1, 1), dt.date(2030, 12, 31)),
    purpose=st.sampled_from([p.value for p in Processing]),
)
def test_property_allowed_exactly_when_the_rule_says(
    record: Child, consents: list[Consent], on: dt.date, purpose: str
) -> None:
    """Allowed iff no consent is needed (purpose, age) or one of this child's consents
    covers the purpose on the day; require_consent agrees with consent_decision."""
    mine = [attrs.evolve(c, child_id=record.id) for c in consents[::2]] + consents[1::2]
    decision = consent_decision(record, mine, purpose, on=on)
    needed = purpose in DEFAULT_CONSENT_POLICY.needs_consent.at(on) and record.age_on(on) < 14
    covered = any(c.child_id == record.id and c.covers(purpose, on) for c in mine)
    assert decision.allowed == (not needed or covered)
    if decision.allowed:
        require_consent(record, mine, purpose, on=on)
    else:
        with pytest.raises(ConsentRequired):
            require_consent(record, mine, purpose, on=on)


# ----------------------------------------------------------------------------- the services


@pytest.fixture
def store() -> Iterator[Store]:
    s = open_store("memory://")
    with s.unit_of_work("tester") as uow:
        uow.add_all(
            [
                School("S1", "清溪中心小学", "431121"),
                child(),
                child(BORN_15, cid="c2"),
                Pairing("P1", "S1", "T1", "c1", "v1", mentor_kind=MentorKind.VOLUNTEER),
                Pairing("P2", "S1", "T1", "c2", "v1", mentor_kind=MentorKind.VOLUNTEER),
            ]
        )
        uow.commit()
    yield s
    s.close()


PRINCIPAL = Actor(Role.PRINCIPAL, "p1", schools=("S1",), purpose="consent form")
VOLUNTEER = Actor(Role.VOLUNTEER, "v1", schools=("S1",))


def test_a_volunteer_reads_an_under_14_childs_record_only_with_consent(store: Store) -> None:
    trail = store.audit_trail()
    with pytest.raises(ConsentRequired):
        read_child(store, VOLUNTEER, "S1", "c1", on=ON)
    assert store.audit_trail() == trail  # refused: nothing shown, nothing recorded
    read_child(store, VOLUNTEER, "S1", "c2", on=ON)  # 15: no consent needed
    record_consent(store, PRINCIPAL, consent())
    shown = read_child(store, VOLUNTEER, "S1", "c1", on=ON)
    assert shown.data["name"] == "李小花"


def test_a_principal_reads_the_register_without_consent_but_not_for_the_programme(
    store: Store,
) -> None:
    read_child(store, PRINCIPAL, "S1", "c1", on=ON)  # the school's register: a legal duty
    with pytest.raises(ConsentRequired):
        read_child(store, PRINCIPAL, "S1", "c1", on=ON, processing=CARE)
    with pytest.raises(ConsentRequired):
        update_child(
            store,
            PRINCIPAL,
            attrs.evolve(child(), version=1, boarding=True),
            on=ON,
            processing=CARE,
        )


def test_consent_is_recorded_audited_and_withdrawn(store: Store) -> None:
    stored = record_consent(store, PRINCIPAL, consent())
    assert stored.version == 1
    assert check_consent(store, PRINCIPAL, "S1", "c1", CARE, on=ON).allowed
    adds = store.audit_trail(kind=Consent, action="add")
    assert [(e.actor, e.purpose) for e in adds] == [("principal:p1", "consent form")]
    withdrawn = withdraw_consent(store, PRINCIPAL, "S1", "k1", on=dt.date(2026, 12, 1))
    assert withdrawn.withdrawn_on == dt.date(2026, 12, 1)
    with pytest.raises(ConsentRequired):
        check_consent(store, PRINCIPAL, "S1", "c1", CARE, on=dt.date(2026, 12, 2))


def test_recording_a_consent_needs_access_to_the_child(store: Store) -> None:
    outsider = Actor(Role.PRINCIPAL, "p9", schools=("S9",))
    with pytest.raises(FieldAccessDenied):
        record_consent(store, outsider, consent())
    assert store.audit_trail(kind=Consent) == []
    record_consent(store, SYSTEM, consent(kid="k2"))
    assert [e.record_id for e in store.audit_trail(kind=Consent)] == ["k2"]
