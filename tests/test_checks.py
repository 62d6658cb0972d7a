"""The completeness checks: each check passes on complete records and fails on a gap."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liushou_core import checks
from liushou_core.checks import SchoolRecords, run_checks
from liushou_core.classify import Category
from liushou_core.i18n import Message
from liushou_core.models import (
    AidDecision,
    Authority,
    CareAssessment,
    Child,
    Disqualification,
    Finding,
    HealthResult,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    ParentRole,
    RecordCheck,
    Semester,
    Severity,
    Subject,
    WorkSummary,
)
from liushou_core.models import (
    HealthCheck as HealthCheckRecord,
)
from liushou_core.models.aid import SchemeDecision
from liushou_core.school_calendar import parse_term, term_on
from liushou_core.testing import strategies as lst
from liushou_core.testing.checks import ALSO_RAISES, REMOVALS, complete_records

ON = dt.date(2026, 11, 2)  # autumn term 2026, past the pledges' 30 days of grace
FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Mutation = Callable[[SchoolRecords, dt.date], SchoolRecords]


def codes(records: SchoolRecords, on: dt.date = ON) -> list[str]:
    return [f.code for f in run_checks(records, on=on)]


def first(records: SchoolRecords) -> Child:
    return records.children[0]


def with_child(records: SchoolRecords, **changes: object) -> SchoolRecords:
    c = first(records)
    return attrs.evolve(records, children=(attrs.evolve(c, **changes), *records.children[1:]))


def with_guardian(records: SchoolRecords, **changes: object) -> SchoolRecords:
    c = first(records)
    return with_child(records, guardians=(attrs.evolve(c.guardians[0], **changes),))


def incident(
    records: SchoolRecords, kind: IncidentKind, occurred: dt.date, *steps: IncidentStep
) -> SchoolRecords:
    i = Incident("S1-ix", "S1", kind, occurred, (first(records).id,), steps)
    return attrs.evolve(records, incidents=(*records.incidents, i))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


# --------------------------------------------------------------------------- properties


@given(complete_records())
def test_complete_records_yield_no_finding(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    assert run_checks(records, on=on) == []


@pytest.mark.parametrize("field", sorted(REMOVALS))
@FEW
@given(built=complete_records())
def test_removing_a_required_field_yields_exactly_its_finding(
    field: str, built: tuple[SchoolRecords, dt.date]
) -> None:
    records, on = built
    remove, code = REMOVALS[field]
    child = records.children[-1]
    found = run_checks(remove(records, child.id), on=on)
    if code == "PLEDGE_GUARDIAN" and (on - records.term.first_day).days < 30:
        assert found == []  # pledges are not due yet
        return
    assert sorted(f.code for f in found) == sorted([code, *ALSO_RAISES.get(field, ())])
    assert found[0].subject == Subject("child", child.id)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(lst.children(school_id="S1"), max_size=4),
    st.lists(lst.households(school_id="S1"), max_size=3),
    st.lists(lst.incidents(school_id="S1"), max_size=2),
    st.lists(lst.health_checks(school_id="S1"), max_size=2),
    st.lists(lst.pairings(school_id="S1"), max_size=2),
    st.lists(lst.volunteers(school_id="S1"), max_size=2),
    st.lists(lst.aid_decisions(school_id="S1"), max_size=2),
    st.lists(lst.school_classes(school_id="S1"), max_size=2),
    lst.schools(school_id="S1"),
    # from the day the first classification policy is in force (2016-06-13)
    lst.dates(dt.date(2016, 6, 13), dt.date(2030, 1, 1)),
)
def test_checks_never_raise_on_incomplete_data(
    kids: list[Child],
    households: list[object],
    incidents: list[Incident],
    health: list[HealthCheckRecord],
    pairings: list[object],
    volunteers: list[object],
    aid: list[AidDecision],
    classes: list[object],
    school: object,
    on: dt.date,
) -> None:
    unique = list({c.id: c for c in kids}.values())
    records = SchoolRecords(
        school=school,  # type: ignore[arg-type]
        term=term_on(on),
        children=unique,
        households=households,  # type: ignore[arg-type]
        incidents=incidents,
        health_checks=health,
        pairings=pairings,  # type: ignore[arg-type]
        volunteers=volunteers,  # type: ignore[arg-type]
        aid_decisions=aid,
        classes=classes,  # type: ignore[arg-type]
        nominated={c.id for c in unique},
    )
    found = run_checks(records, on=on)
    assert "CHECK_FAILED" not in {f.code for f in found}
    for f in found:
        assert f.school_id == "S1"
        assert f.on == on
        assert f.fix is not None
        for lang in ("zh", "en"):
            assert "{" not in f.message.render(lang)
            assert "{" not in f.fix.render(lang)


# --------------------------------------------------------------------------- each check


def _late_report(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    day = on - dt.timedelta(days=10)
    report = IncidentStep(
        IncidentState.REPORTED,
        at(day + dt.timedelta(days=3)),
        "",
        (Authority.POLICE, Authority.EDUCATION),
    )
    return incident(
        r,
        IncidentKind.SUSPECTED_HARM,
        day,
        report,
        IncidentStep(IncidentState.CLOSED, at(day + dt.timedelta(days=4))),
    )


def _unreported(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    day = on - dt.timedelta(days=2)
    told_school = IncidentStep(IncidentState.REPORTED, at(day), "", (Authority.EDUCATION,))
    return incident(r, IncidentKind.SUSPECTED_HARM, day, told_school)


def _open(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    day = on - dt.timedelta(days=20)
    return incident(r, IncidentKind.INJURY, day, IncidentStep(IncidentState.REPORTED, at(day)))


def _follow_up(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    day = on - dt.timedelta(days=60)
    hc = HealthCheckRecord(
        "S1-hcx", "S1", first(r).id, day, HealthResult.FOLLOW_UP, "", day + dt.timedelta(days=30)
    )
    return attrs.evolve(
        r, health_checks=(*[h for h in r.health_checks if h.child_id != first(r).id], hc)
    )


def _psych(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    cid = first(r).id
    r = with_child(r, psychological_flag=True)
    return attrs.evolve(
        r,
        events=tuple(e for e in r.events if cid not in e.child_ids),
        diaries=tuple(d for d in r.diaries if d.child_id != cid),
        health_checks=tuple(
            attrs.evolve(h, date=on - dt.timedelta(days=200)) if h.child_id == cid else h
            for h in r.health_checks
        ),
        pairings=tuple(p for p in r.pairings if p.child_id != cid),
        nominated=frozenset(),
    )


def _diary(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    cid = first(r).id
    return attrs.evolve(r, diaries=tuple(d for d in r.diaries if d.child_id != cid))


def _volunteer(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    v = r.volunteers[0]
    return attrs.evolve(r, volunteers=(attrs.evolve(v, record_check=RecordCheck(on, False)),))


def _no_school_pledge(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    return attrs.evolve(r, pledges=tuple(p for p in r.pledges if p.level.value != "school"))


def _no_teacher_pledge(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    return attrs.evolve(r, pledges=tuple(p for p in r.pledges if p.level.value != "teacher"))


def _no_class_teacher(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    return attrs.evolve(r, classes=(attrs.evolve(r.classes[0], class_teacher_id=None),))


def _aid(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    scheme = SchemeDecision("living subsidy", False, None, (), (Message("X", "proof of dibao"),))
    d = AidDecision("S1-ad", "S1", first(r).id, on, (scheme,))
    return attrs.evolve(r, aid_decisions=(d,))


def _alone(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    return with_guardian(r, lives_with_child=False)


def _cadence(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    f = Finding(
        "CADENCE_OVERDUE",
        Severity.WARNING,
        "S1",
        Subject("child", first(r).id),
        on,
        Message("CADENCE_OVERDUE", "x"),
    )
    other = attrs.evolve(f, school_id="S2")
    return attrs.evolve(r, cadence_findings=(f, other))


def _no_mother(r: SchoolRecords, on: dt.date) -> SchoolRecords:
    # classify cannot tell without the mother; a school that knows says so in ``categories``
    known = {c.id: (Category.LEFT_BEHIND,) for c in r.children}
    return attrs.evolve(with_child(r, parents=first(r).parents[:1]), categories=known)


MUTATIONS: dict[str, tuple[Mutation, list[str]]] = {
    "disqualified guardian": (
        lambda r, on: with_guardian(r, disqualifications=(Disqualification.GAMBLING,)),
        # no suitable carer lives with the child, nor is one in the emergency chain
        ["EMERGENCY_CHAIN_INCOMPLETE", "GUARDIAN_DISQUALIFIED", "LIVES_ALONE"],
    ),
    "guardian under 18": (
        lambda r, on: with_guardian(r, birth_date=on - dt.timedelta(days=365 * 17), id_number=None),
        ["ARCHIVE_GUARDIAN_ID", "GUARDIAN_NOT_ADULT"],
    ),
    "guardian of insufficient capacity": (
        lambda r, on: with_guardian(r, capacity=CareAssessment.INSUFFICIENT),
        ["GUARDIAN_CAPACITY"],
    ),
    "child living alone": (_alone, ["LIVES_ALONE"]),
    "no guardian": (
        lambda r, on: with_child(r, guardians=()),
        ["ARCHIVE_GUARDIAN", "EMERGENCY_CHAIN_INCOMPLETE", "LIVES_ALONE"],
    ),
    "no mother recorded, categories given": (_no_mother, ["ARCHIVE_PARENT"]),
    "phone confirmed long ago": (
        lambda r, on: with_guardian(r, phone_confirmed_on=on - dt.timedelta(days=181)),
        ["CARD_PHONE_UNCONFIRMED"],
    ),
    "no emergency contact": (
        lambda r, on: with_child(r, emergency_contacts=()),
        ["CARD_EMERGENCY_CONTACTS"],
    ),
    "no class teacher": (_no_class_teacher, ["CARD_CLASS_TEACHER", "EMERGENCY_CHAIN_INCOMPLETE"]),
    "no diary for 30 days": (_diary, ["DIARY_RHYTHM"]),
    "volunteer not cleared": (_volunteer, ["VOLUNTEER_RECORD_CHECK"]),
    "no school pledge": (_no_school_pledge, ["PLEDGE_SCHOOL"]),
    "no teacher pledge": (_no_teacher_pledge, ["PLEDGE_TEACHER"]),
    "health follow-up overdue": (_follow_up, ["HEALTH_FOLLOW_UP"]),
    "psychological flag not followed up": (_psych, ["PSYCH_FOLLOW_UP"]),
    "suspected harm not reported to the police": (_unreported, ["INCIDENT_NOT_REPORTED"]),
    "suspected harm reported late": (_late_report, ["INCIDENT_REPORT_LATE"]),
    "incident left open": (_open, ["INCIDENT_OPEN"]),
    "aid evidence missing": (_aid, ["AID_MISSING_EVIDENCE"]),
    "cadence findings of this school": (_cadence, ["CADENCE_OVERDUE"]),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@FEW
@given(built=complete_records(on=ON))
def test_each_check_fails_on_its_gap(name: str, built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    mutate, expected = MUTATIONS[name]
    assert codes(records, on) == []  # the passing example
    broken = mutate(records, on)
    assert sorted(set(codes(broken, on))) == sorted(expected)


@FEW
@given(built=complete_records(on=dt.date(2027, 3, 10)))
def test_summary_is_due_after_the_term(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    autumn = parse_term("2026-autumn")
    ended = attrs.evolve(records, term=autumn)
    found = run_checks(ended, on=on)
    assert "SUMMARY_NOT_FILED" not in codes(ended, autumn.last_day)
    [summary] = [f for f in found if f.code == "SUMMARY_NOT_FILED"]
    assert summary.severity is Severity.ERROR
    assert "2026-autumn" in summary.message.render("en")
    filed = attrs.evolve(ended, summaries=(WorkSummary("S1-ws", "S1", autumn.id, on, "校长"),))
    assert "SUMMARY_NOT_FILED" not in {f.code for f in run_checks(filed, on=on)}


@FEW
@given(built=complete_records(on=ON))
def test_consent_is_only_needed_under_14(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    older = with_child(records, birth_date=dt.date(2011, 1, 1), id_number=None)
    cid = first(records).id
    no_consent = attrs.evolve(older, consents=tuple(c for c in older.consents if c.child_id != cid))
    assert codes(no_consent) == ["ARCHIVE_ID_NUMBER"]
    younger = attrs.evolve(
        records, consents=tuple(c for c in records.consents if c.child_id != first(records).id)
    )
    assert "CONSENT_MISSING" in codes(younger)
    withdrawn = attrs.evolve(
        records,
        consents=tuple(
            attrs.evolve(c, withdrawn_on=on) if c.child_id == cid else c for c in records.consents
        ),
    )
    assert "CONSENT_MISSING" in codes(withdrawn)


@FEW
@given(built=complete_records(on=ON))
def test_children_outside_the_programme_need_no_archive(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, _ = built
    mother = first(records).parent(ParentRole.MOTHER)
    assert mother is not None
    home = attrs.evolve(mother, away=())
    parents = tuple(home if p.role is ParentRole.MOTHER else p for p in first(records).parents)
    not_left_behind = with_child(records, parents=parents, id_number=None, ethnicity="")
    assert codes(not_left_behind) == []


def test_severities_and_sources_are_stated() -> None:
    assert {c.code for c in checks.BUILTIN_CHECKS} >= {"archive", "contact_card", "incidents"}
    assert all(c.source and c.title for c in checks.BUILTIN_CHECKS)
    policy = checks.DEFAULT_CHECK_POLICY
    assert policy.consent_age.at(ON) == 14
    assert "个人信息保护法" in policy.consent_age.source_at(ON)
    assert policy.alone_age.at(ON) == 16


# --------------------------------------------------------------------------- terms


def test_terms_by_id_and_day() -> None:
    autumn = parse_term("2026-autumn")
    assert autumn.semester is Semester.AUTUMN
    assert autumn.covers(dt.date(2026, 11, 29))
    spring = parse_term("2026-spring")
    assert spring.semester is Semester.SPRING
    assert spring.first_day.year == 2027
    assert term_on(dt.date(2026, 9, 1)) == autumn
    assert term_on(dt.date(2027, 3, 1)) == spring
    for bad in ("2026", "autumn-2026", "2026-summer", "26-autumn"):
        with pytest.raises(ValueError, match="YEAR-autumn"):
            parse_term(bad)


@given(lst.dates(dt.date(2001, 1, 1), dt.date(2040, 12, 31)))
def test_every_day_lies_in_its_term_or_the_break_after_it(day: dt.date) -> None:
    term = term_on(day)
    assert term.first_day <= day
    assert term.covers(day) or term_on(term.last_day + dt.timedelta(days=1)) == term
    assert parse_term(term.id) == term


# --------------------------------------------------------------------------- synthetic data


def test_a_synthetic_school_is_checked_quickly_and_in_order() -> None:
    from liushou_core import synth

    s = synth.school(3, children=120)
    records = SchoolRecords(
        school=s.school,
        term=term_on(ON),
        classes=s.classes,
        teachers=s.teachers,
        volunteers=s.volunteers,
        children=s.children,
        households=s.households,
    )
    found = run_checks(records, on=ON)
    assert found == run_checks(records, on=ON)
    assert found == sorted(found, key=lambda f: (f.school_id, f.subject.kind, f.subject.id, f.code))
    assert {f.school_id for f in found} == {s.school.id}
    assert "ARCHIVE_SIGN_OFF" in {f.code for f in found}  # no sign-offs are stored
    pattern = re.compile(r"\d{17}[\dX]|1[3-9]\d{9}")
    assert not any(pattern.search(f.message.render("zh")) for f in found)
