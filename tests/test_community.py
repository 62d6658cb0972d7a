"""Guardian training, partners, volunteers as proxy parents, activity participation and
the pledges of each level: the checks pass and fail, and the term summary counts them."""

from __future__ import annotations

import datetime as dt

import attrs
from hypothesis import HealthCheck, given, settings

from liushou_core.checks import BUILTIN_CHECKS, SchoolRecords, run_checks
from liushou_core.community import DEFAULT_COMMUNITY_POLICY, trained, training_year
from liushou_core.models import (
    Activity,
    ActivityKind,
    GuardianTraining,
    Partner,
    PartnerKind,
    PledgeLevel,
    RecordCheck,
    Severity,
    Sex,
    Subject,
    Volunteer,
)
from liushou_core.pairing import pair
from liushou_core.school_calendar import parse_term
from liushou_core.summary import term_summary
from liushou_core.testing.checks import complete_records

ON = dt.date(2026, 11, 2)  # autumn 2026: past the pledges' and the training's grace days
EARLY = dt.date(2026, 9, 20)  # before the training is due
FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def codes(records: SchoolRecords, on: dt.date) -> list[str]:
    return [f.code for f in run_checks(records, on=on)]


def test_the_check_is_built_in_with_its_source() -> None:
    [check] = [c for c in BUILTIN_CHECKS if c.code == "guardian_training"]
    assert "委托监护人培训" in check.source
    assert DEFAULT_COMMUNITY_POLICY.grace_days.source_at(ON)


@FEW
@given(built=complete_records(on=ON))
def test_an_untrained_entrusted_guardian_is_a_warning(built: tuple[SchoolRecords, dt.date]) -> None:
    records, on = built
    assert codes(records, on) == []  # every guardian came to the term's training
    untrained = attrs.evolve(records, trainings=())
    found = [f for f in run_checks(untrained, on=on) if f.code == "GUARDIAN_TRAINING"]
    assert [f.code for f in run_checks(untrained, on=on)] == ["GUARDIAN_TRAINING"] * len(found)
    assert {f.subject for f in found} == {Subject("child", c.id) for c in records.children}
    assert all(f.severity is Severity.WARNING for f in found)
    name = records.children[0].guardians[0].name
    assert name in found[0].message.render("zh") or any(
        name in f.message.render("en") for f in found
    )
    assert found[0].fix is not None
    assert "training" in found[0].fix.render("en")
    # a session of last school year does not count; the name alone, or the child alone, does
    (session,) = records.trainings
    old = attrs.evolve(session, date=dt.date(2026, 6, 20))
    assert "GUARDIAN_TRAINING" in codes(attrs.evolve(records, trainings=(old,)), on)
    by_name = attrs.evolve(session, child_ids=())
    assert codes(attrs.evolve(records, trainings=(by_name,)), on) == []
    by_child = attrs.evolve(session, attendees=())
    assert codes(attrs.evolve(records, trainings=(by_child,)), on) == []
    # not due in the first weeks of the school year
    assert "GUARDIAN_TRAINING" not in codes(untrained, EARLY)


def test_the_training_year_and_who_came() -> None:
    start, due = training_year(parse_term("2026-autumn"), ON)
    assert start == dt.date(2026, 8, 1)
    assert due == dt.date(2026, 10, 30)
    sessions = [
        GuardianTraining("g1", "S1", dt.date(2026, 9, 5), "安全教育", ("王奶奶",), ("c1",)),
        GuardianTraining("g2", "S1", dt.date(2026, 7, 5), "安全教育", ("李爷爷",), ("c2",)),
    ]
    assert trained(sessions, start, ON) == (frozenset({"王奶奶"}), frozenset({"c1"}))


@FEW
@given(built=complete_records(on=ON))
def test_a_proxy_parent_volunteer_needs_a_cleared_check(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    (volunteer,) = records.volunteers
    unchecked = attrs.evolve(volunteer, record_check=None)
    broken = attrs.evolve(records, volunteers=(unchecked,))
    assert "VOLUNTEER_RECORD_CHECK" in codes(broken, on)
    # pairing never makes an unchecked volunteer a proxy parent
    kids = records.children
    plan = pair(kids, [unchecked], on=on)
    assert plan.pairs == ()
    assert [m for m, _ in plan.excluded] == [volunteer.id]
    cleared = attrs.evolve(volunteer, record_check=RecordCheck(on, True))
    assert pair(kids, [cleared], on=on).excluded == ()


@FEW
@given(built=complete_records(on=ON))
def test_the_summary_counts_participation_trainings_partners_and_pledges(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    ids = [c.id for c in records.children]
    day = records.term.first_day + dt.timedelta(days=10)
    activities = (
        Activity("a1", "S1", ActivityKind.READING, day, "读书会", (), 30, child_ids=tuple(ids)),
        Activity(
            "a2", "S1", ActivityKind.SPEECH_CONTEST, day, "演讲比赛", (), 12, child_ids=ids[:1]
        ),
        Activity("a3", "S1", ActivityKind.SPORTS, on + dt.timedelta(days=3), child_ids=tuple(ids)),
    )
    partners = (
        Partner("pt1", "S1", PartnerKind.VILLAGE_COMMITTEE, "红星村村委会", "村主任"),
        Partner("pt2", "S1", PartnerKind.RETIRED_TEACHERS, "退休教师协会", active=False),
    )
    full = attrs.evolve(records, activities=activities, partners=partners)
    s = term_summary(full, on=on)
    assert s.participation == {cid: 2 if cid == ids[0] else 1 for cid in ids}
    assert s.children_in_activities == len(ids)
    figures = s.figures()
    assert figures["activities.children"] == len(ids)
    assert figures["practice.partners"] == 1
    assert figures["practice.guardian_trainings"] == 1
    assert figures["practice.guardians_trained"] == len(
        {c.guardians[0].name for c in records.children}
    )
    assert s.pledges[PledgeLevel.GUARDIAN] == len(ids)
    assert s.pledges[PledgeLevel.SCHOOL] == 1
    assert s.pledges[PledgeLevel.TEACHER] == 1
    assert not any(cid in key for key in figures for cid in ids)  # no child id leaves


def test_volunteers_are_still_built_as_before() -> None:
    v = Volunteer("S1-v9", "S1", "张老师", Sex.FEMALE)
    assert v.record_check is None
