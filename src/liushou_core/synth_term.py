"""A synthetic term of care records for a synthetic school, seeded and repeatable.

:func:`term_records` makes what a school records in a term, up to a day: the
pairs of nominated children with mentors (or the pairs you pass in), talks,
calls with parents, home visits and class meetings with guardians, growth-diary
entries, health checks, guardians' consents, archive sign-offs, parents'
written notices of the care arrangement, safety pledges at each level,
incidents and activities. A realistic share is left undone (a talk skipped, a
consent not yet collected, an incident not reported to the police) so that
the checks, the cadence and the report have something to find. The demo and
the benchmarks use it; no real person's data is involved.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Final

import attrs

from liushou_core.checks import SchoolRecords
from liushou_core.classify import Category, classify
from liushou_core.models import (
    Activity,
    ActivityKind,
    ArchiveSignOff,
    Authority,
    Boarding,
    CareNotice,
    Child,
    Consent,
    ContactEvent,
    ContactKind,
    DiaryEntry,
    Duty,
    GroupMember,
    GuardianTraining,
    HealthCheck,
    HealthResult,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    LeadingGroup,
    Measure,
    MentorKind,
    Pairing,
    Partner,
    PartnerKind,
    PledgeLevel,
    SafetyPledge,
    StaffRole,
    Term,
    WorkPlan,
)
from liushou_core.rota import rota
from liushou_core.school_calendar import term_on
from liushou_core.synth import SyntheticSchool

__all__ = ["term_records"]

DAY = dt.timedelta(days=1)


def _default_pairings(
    rng: random.Random,
    school_id: str,
    term_id: str,
    first: dt.date,
    nominated: Sequence[str],
    mentors: Sequence[str],
    volunteers: Sequence[str],
) -> list[Pairing]:
    pairings: list[Pairing] = []
    for i, cid in enumerate(nominated):
        if rng.random() < 0.04 or not (mentors or volunteers):
            continue  # a nominated child left without a mentor
        use_volunteer = bool(volunteers) and rng.random() < 0.1
        mentor = rng.choice(volunteers) if use_volunteer else mentors[i // 3 % len(mentors)]
        kind = MentorKind.VOLUNTEER if use_volunteer else MentorKind.TEACHER
        pairings.append(
            Pairing(f"{term_id}-{cid}", school_id, term_id, cid, mentor, kind, start=first)
        )
    return pairings


def term_records(
    school: SyntheticSchool,
    *,
    on: dt.date,
    seed: int = 0,
    pairings: Sequence[Pairing] | None = None,
) -> SchoolRecords:
    """A seeded term of records for ``school`` up to ``on``, with a share left undone.

    The term is the one ``on`` falls in (:func:`~liushou_core.school_calendar.term_on`);
    record ids are ``<school>-<kind><n>``, so the same seed and day give the same
    records. ``pairings``: the term's pairs (from :func:`liushou_core.pairing.pair`);
    by default each class's first five left-behind children are nominated and
    paired with the school's teachers (three each) or, one in ten, a cleared
    volunteer, and one nominated child in 25 is left without a mentor (the
    returned ``nominated`` says who was nominated; ``None`` with your pairs).
    """
    rng = random.Random(f"term:{seed}:{school.school.id}")
    term = term_on(on)
    sid = school.school.id
    first = term.first_day
    hh = {h.id: h for h in school.households}
    programme = [
        c
        for c in school.children
        if {Category.LEFT_BEHIND, Category.DE_FACTO_UNSUPPORTED}
        & set(classify(c, on=on, household=hh.get(c.household_id or "")).categories)
    ]
    mentors = [t.id for t in school.teachers if t.active and StaffRole.PRINCIPAL not in t.roles]
    volunteers = [v.id for v in school.volunteers if v.record_check and v.record_check.cleared]
    by_class: dict[str, list[str]] = {}
    for c in programme:
        by_class.setdefault(c.class_id or "", []).append(c.id)
    nominated = [cid for kids in by_class.values() for cid in kids[:5]]
    n = iter(range(10**9))

    def rid(prefix: str) -> str:
        return f"{sid}-{prefix}{next(n)}"

    def day(lo: dt.date, hi: dt.date) -> dt.date:
        return lo + dt.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))

    events: list[ContactEvent] = []
    diaries: list[DiaryEntry] = []
    chosen: list[str] | None = nominated
    if pairings is None:
        pairings = _default_pairings(rng, sid, term.id, first, nominated, mentors, volunteers)
    else:  # the caller's pairs: who was nominated is the caller's to say
        pairings = list(pairings)
        chosen = None
    for p in pairings:
        cid, mentor = p.child_id, p.mentor_id
        d = first
        while d <= on:
            if rng.random() < 0.85:
                events.append(
                    ContactEvent(
                        rid("e"),
                        sid,
                        ContactKind.TALK,
                        day(d, min(on, d + 14 * DAY)),
                        (cid,),
                        (mentor,),
                    )
                )
            if rng.random() < 0.35:
                events.append(
                    ContactEvent(
                        rid("e"),
                        sid,
                        ContactKind.PHONE_CALL,
                        day(d, min(on, d + 14 * DAY)),
                        (cid,),
                        (mentor,),
                        with_parent=True,
                    )
                )
            if rng.random() < 0.6:
                diaries.append(
                    DiaryEntry(
                        rid("d"), sid, cid, mentor, day(d, min(on, d + 14 * DAY)), "成长日记"
                    )
                )
            d += 15 * DAY
        if rng.random() < 0.7:
            events.append(
                ContactEvent(
                    rid("e"),
                    sid,
                    ContactKind.HOME_VISIT,
                    day(first, on),
                    (cid,),
                    (mentor,),
                    with_guardian=True,
                )
            )
        if rng.random() < 0.2:
            events.append(
                ContactEvent(
                    rid("e"),
                    sid,
                    ContactKind.HOME_VISIT,
                    day(on, term.last_day),
                    (cid,),
                    (mentor,),
                    planned=True,
                )
            )
    for k in school.classes:
        kids = tuple(by_class.get(k.id, ()))
        if not kids:
            continue
        month = first
        while month <= on:
            if rng.random() < 0.9:
                events.append(
                    ContactEvent(
                        rid("e"),
                        sid,
                        ContactKind.MEETING,
                        day(month, min(on, month + 20 * DAY)),
                        kids,
                        (k.class_teacher_id or "",) if k.class_teacher_id else (),
                        with_guardian=True,
                    )
                )
            month += 30 * DAY
    checks = [
        HealthCheck(
            rid("hc"),
            sid,
            c.id,
            day(on - 330 * DAY, on),
            HealthResult.FOLLOW_UP if rng.random() < 0.05 else HealthResult.NORMAL,
            "",
            None,
        )
        for c in programme
        if rng.random() < 0.9
    ]
    checks = [
        h
        if h.result is HealthResult.NORMAL
        else HealthCheck(h.id, sid, h.child_id, h.date, h.result, "复查", h.date + 30 * DAY)
        for h in checks
    ]
    consents, sign_offs, notices, pledges = [], [], [], []
    for c in programme:
        g = c.guardians[0] if c.guardians else None
        if g is not None and rng.random() < 0.92:
            consents.append(
                Consent(
                    rid("cs"),
                    sid,
                    c.id,
                    g.name,
                    g.relationship,
                    day(first - 300 * DAY, first + 20 * DAY),
                )
            )
        if rng.random() < 0.9:
            sign_offs.append(
                ArchiveSignOff(
                    rid("so"), sid, c.id, "填表人", "审核人", "校长", day(first - 300 * DAY, first)
                )
            )
        if g is not None and c.parents and rng.random() < 0.88:
            notices.append(
                CareNotice(
                    rid("cn"), sid, c.id, c.parents[0].name, g.name, day(first - 300 * DAY, first)
                )
            )
        if g is not None and rng.random() < 0.9:
            pledges.append(
                SafetyPledge(
                    rid("sp"),
                    sid,
                    term.id,
                    PledgeLevel.GUARDIAN,
                    g.name,
                    day(first, first + 25 * DAY),
                    child_id=c.id,
                )
            )
    if rng.random() < 0.97:
        pledges.append(SafetyPledge(rid("sp"), sid, term.id, PledgeLevel.SCHOOL, "校长", first))
    for k in school.classes:
        if k.class_teacher_id and rng.random() < 0.9:
            pledges.append(
                SafetyPledge(
                    rid("sp"),
                    sid,
                    term.id,
                    PledgeLevel.TEACHER,
                    k.class_teacher_id,
                    day(first, first + 20 * DAY),
                )
            )
    incidents = []
    for _ in range(max(1, len(school.children) // 100)):
        c = rng.choice(school.children)
        occurred = day(first, on)
        kind = rng.choice(list(IncidentKind))
        at = dt.datetime.combine(occurred, dt.time(rng.randint(7, 18)))
        told = (Authority.POLICE, Authority.EDUCATION) if rng.random() < 0.85 else ()
        steps = [
            IncidentStep(
                IncidentState.REPORTED, at + dt.timedelta(hours=rng.randint(0, 30)), "", told
            )
        ]
        if rng.random() < 0.8:
            steps.append(
                IncidentStep(IncidentState.CLOSED, at + dt.timedelta(days=rng.randint(1, 10)))
            )
        incidents.append(Incident(rid("i"), sid, kind, occurred, (c.id,), tuple(steps)))
    activities = [
        Activity(
            rid("a"),
            sid,
            rng.choice(list(ActivityKind)),
            day(first, on),
            "",
            (),
            rng.randint(10, 80),
        )
        for _ in range(20)
    ]
    practice = _practice(school, term, on, programme, activities, mentors, seed)
    activities = practice.activities
    group, work_plan = _leadership(school, term, on, random.Random(f"lead:{seed}:{sid}"))
    return SchoolRecords(
        school=school.school,
        term=term,
        classes=school.classes,
        teachers=school.teachers,
        volunteers=school.volunteers,
        children=school.children,
        households=school.households,
        pairings=pairings,
        events=events,
        diaries=diaries,
        health_checks=checks,
        incidents=incidents,
        pledges=pledges,
        consents=consents,
        sign_offs=sign_offs,
        care_notices=notices,
        activities=activities,
        duties=practice.duties,
        boardings=practice.boardings,
        trainings=practice.trainings,
        partners=practice.partners,
        nominated=chosen,
        leading_groups=(group,),
        work_plans=(work_plan,),
    )


_DUTIES: Final = ("档案与联系卡", "结对帮扶", "谈心与家访", "安全与应急", "活动与值日")
_MEASURES: Final = (
    "摸清底数，建立留守儿童档案和联系卡",
    "确定结对帮扶名单，每位教师帮扶2-3名儿童",
    "每月召开一次座谈会",
    "签订安全责任书",
    "开展一次委托监护人培训",
    "组织读书、体育和演讲比赛",
    "完成期中家访",
    "撰写学期工作总结",
)


def _leadership(
    school: SyntheticSchool, term: Term, on: dt.date, rng: random.Random
) -> tuple[LeadingGroup, WorkPlan]:
    """The term's leading group (headed by the principal) and work plan, one measure
    in six left undone after its due day."""
    sid = school.school.id
    first = term.first_day
    staff = [t for t in school.teachers if t.active]
    head = school.school.principal_id or (staff[0].id if staff else f"{sid}-t000")
    others = [t.id for t in staff if t.id != head]
    members = tuple(
        GroupMember(tid, duty) for tid, duty in zip(others[: len(_DUTIES)], _DUTIES, strict=False)
    )
    group = LeadingGroup(f"{sid}-lg-{term.id}", sid, term.id, head, first, members)
    span = max(1, (term.last_day - first).days)
    measures = []
    for n, text in enumerate(_MEASURES):
        due = first + dt.timedelta(days=span * (n + 1) // (len(_MEASURES) + 1))
        owner = others[n % len(others)] if others else head
        done: dt.date | None = None
        if rng.random() > 1 / 6:
            done = due - dt.timedelta(days=rng.randint(0, 10))
        measures.append(Measure(text, owner, due, done if done and done <= on else None))
    plan = WorkPlan(f"{sid}-wp-{term.id}", sid, term.id, first, tuple(measures), "关爱工程工作计划")
    return group, plan


@attrs.frozen
class _Practice:
    activities: list[Activity]
    duties: tuple[Duty, ...]
    boardings: list[Boarding]
    trainings: list[GuardianTraining]
    partners: list[Partner]


_TOPICS: Final = ("如何与留守儿童沟通", "儿童安全与防溺水", "家庭教育与学习习惯")


def _practice(
    school: SyntheticSchool,
    term: Term,
    on: dt.date,
    programme: Sequence[Child],
    activities: Sequence[Activity],
    mentors: Sequence[str],
    seed: int,
) -> _Practice:
    """The duty rota, boarders, guardian training, partners and who took part in the
    activities: from their own random stream, so the other records stay as they were."""
    rng = random.Random(f"practice:{seed}:{school.school.id}")
    sid = school.school.id
    kids = [c.id for c in programme]
    took_part = [
        attrs.evolve(
            a, child_ids=tuple(sorted(rng.sample(kids, min(len(kids), rng.randint(0, 8)))))
        )
        for a in activities
    ]
    duties = rota(term, mentors, school_id=sid).duties if mentors else ()
    boardings = []
    for c in school.children:
        if not c.boarding:
            continue
        start = None if rng.random() < 0.95 else term.first_day + dt.timedelta(rng.randint(7, 40))
        dorm = f"{'男' if c.sex.value == 'male' else '女'}生{rng.randint(1, 4)}号宿舍"
        boardings.append(Boarding(f"{sid}-bd-{c.id}", sid, c.id, term.id, dorm, start=start))
    trainings = []
    days = [dt.date(term.school_year, 9, 15), term.first_day + dt.timedelta(days=30)]
    for i, held in enumerate(sorted(set(days))):
        if held > on:
            continue
        came = [c for c in programme if c.guardians and rng.random() < 0.6]
        trainings.append(
            GuardianTraining(
                f"{sid}-gt{i}",
                sid,
                held,
                _TOPICS[i % len(_TOPICS)],
                tuple(c.guardians[0].name for c in came),
                tuple(c.id for c in came),
                "德育主任",
            )
        )
    villages = sorted({c.address.village for c in programme if c.address.village})[:3]
    partners = [
        Partner(f"{sid}-pt{i}", sid, PartnerKind.VILLAGE_COMMITTEE, f"{v}村委会", "村主任")
        for i, v in enumerate(villages)
    ]
    partners.append(Partner(f"{sid}-ptc", sid, PartnerKind.CARE_COMMITTEE, "镇关工委", "主任"))
    partners.append(Partner(f"{sid}-ptr", sid, PartnerKind.RETIRED_TEACHERS, "退休教师志愿队"))
    return _Practice(took_part, duties, boardings, trainings, partners)
