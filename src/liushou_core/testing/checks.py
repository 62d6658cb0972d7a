"""Hypothesis strategies for the completeness checks: school records built complete.

:func:`complete_records` draws a :class:`~liushou_core.checks.SchoolRecords` for
a day ``on`` in which every check of :mod:`liushou_core.checks` passes: a
school with its pledges and (after the term) its filed work summary, classes
with class teachers who signed, and one to three left-behind children with a
complete archive and contact card, a capable entrusted guardian, the parents'
notice, consent, a mentor with a recent diary entry, a recent health check, and
(sometimes) an incident reported to the police and the education authority at
once and closed, a complete emergency chain, and the term's leading group
(headed by the principal) and work plan.

:data:`REMOVALS` lists, for each required field, how to remove it from a
child's records and the one finding code that removal must raise (and
:data:`ALSO_RAISES` the chain's finding, for a removal that breaks a link of the
child's emergency chain)::

    records, on = data.draw(complete_records())
    for name, (remove, code) in REMOVALS.items():
        broken = remove(records, child_id)
        assert [f.code for f in run_checks(broken, on=on)] == [code]

Like :mod:`liushou_core.testing.strategies`, this module needs Hypothesis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from liushou_core.checks import SchoolRecords
from liushou_core.models import (
    Address,
    ArchiveSignOff,
    Authority,
    AwayPeriod,
    CareAssessment,
    CareNotice,
    Child,
    Consent,
    Contact,
    ContactEvent,
    ContactKind,
    DiaryEntry,
    GroupMember,
    Guardian,
    GuardianTraining,
    Health,
    HealthCheck,
    HealthStatus,
    Household,
    Hukou,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    LeadingGroup,
    Measure,
    Pairing,
    Parent,
    ParentRole,
    PledgeLevel,
    RecordCheck,
    Relationship,
    SafetyPledge,
    School,
    SchoolClass,
    Sex,
    Teacher,
    Volunteer,
    WorkPlan,
    WorkSummary,
)
from liushou_core.school_calendar import term_on
from liushou_core.testing.strategies import chinese_names, mobile_phones, resident_ids

__all__ = ["ALSO_RAISES", "REMOVALS", "Removal", "complete_children", "complete_records"]

_DAY: Final = dt.timedelta(days=1)
_VILLAGES: Final = ("红星村", "大坪村", "柳树村", "双河村")
_CITIES: Final = (("广东省", "东莞市"), ("浙江省", "宁波市"), ("福建省", "泉州市"))
_GRANDPARENTS: Final = (
    Relationship.PATERNAL_GRANDFATHER,
    Relationship.PATERNAL_GRANDMOTHER,
    Relationship.MATERNAL_GRANDMOTHER,
)


def _recent(draw: st.DrawFn, on: dt.date, days: int) -> dt.date:
    """A day in the ``days`` days up to ``on`` (inclusive)."""
    return on - dt.timedelta(days=draw(st.integers(0, days - 1)))


@st.composite
def complete_children(
    draw: st.DrawFn, *, school_id: str, class_id: str, child_id: str, on: dt.date
) -> tuple[Child, Household]:
    """A left-behind child on ``on`` (aged 6-13, both parents away) with every archive
    and contact-card field filled, and the child's household."""
    sex = draw(st.sampled_from(list(Sex)))
    age = draw(st.integers(6, 12))  # on ``on`` the child is ``age`` or ``age + 1``
    born = dt.date(on.year - age - 1, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)))
    village = draw(st.sampled_from(_VILLAGES))
    parents = []
    for role, male in ((ParentRole.FATHER, True), (ParentRole.MOTHER, False)):
        province, city = draw(st.sampled_from(_CITIES))
        start = on - dt.timedelta(days=draw(st.integers(30, 2000)))
        parents.append(
            Parent(
                role=role,
                name=draw(chinese_names()),
                id_number=draw(
                    resident_ids(
                        born_from=dt.date(1975, 1, 1), born_until=dt.date(1995, 12, 31), male=male
                    )
                ),
                phone=draw(mobile_phones()),
                away=(AwayPeriod(start, None, province, city),),
            )
        )
    g_birth = dt.date(draw(st.integers(1945, 1970)), draw(st.integers(1, 12)), 1)
    guardian = Guardian(
        name=draw(chinese_names()),
        relationship=draw(st.sampled_from(_GRANDPARENTS)),
        entrusted=True,
        phone=draw(mobile_phones()),
        id_number=draw(resident_ids(g_birth)),
        birth_date=g_birth,
        address=f"{village}{draw(st.integers(1, 9))}组",
        capacity=draw(st.sampled_from([CareAssessment.FAIR, CareAssessment.GOOD])),
        lives_with_child=True,
        phone_confirmed_on=_recent(draw, on, 180),
    )
    phones = draw(st.lists(mobile_phones(), min_size=2, max_size=3, unique=True))
    contacts = tuple(
        Contact(draw(chinese_names()), phone, rel)
        for phone, rel in zip(phones, ("父亲", "母亲", "叔叔"), strict=False)
    )
    ill = draw(st.booleans())
    household = Household(
        id=child_id + "-h",
        school_id=school_id,
        income_source=draw(st.sampled_from(["务工", "务农", "外出务工、务农"])),
    )
    child = Child(
        id=child_id,
        school_id=school_id,
        name=draw(chinese_names()),
        sex=sex,
        birth_date=born,
        class_id=class_id,
        id_number=draw(resident_ids(born, male=sex is Sex.MALE)),
        ethnicity=draw(st.sampled_from(["汉族", "苗族", "土家族"])),
        hukou=Hukou(registered=True, place="湖南省湘西州花垣县", rural=True, local=True),
        address=Address("湖南省", "湘西州", "花垣县", "城关镇", village, "1组"),
        health=Health(HealthStatus.ILL, None, "哮喘") if ill else Health(),
        boarding=draw(st.booleans()),
        household_id=household.id,
        parents=tuple(parents),
        guardians=(guardian,),
        emergency_contacts=contacts,
        village_committee=Contact(draw(chinese_names()), draw(mobile_phones()), "村委会主任"),
        psychological_flag=draw(st.booleans()),
    )
    return child, household


@st.composite
def complete_records(
    draw: st.DrawFn, *, on: dt.date | None = None
) -> tuple[SchoolRecords, dt.date]:
    """One school's records and the day on which no check finds anything in them.

    ``on`` fixes the day (default: a drawn school day of 2024-2027). The children are
    classified by the checks themselves (``categories`` is left unset).
    """
    day = on if on is not None else draw(st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)))
    term = term_on(day)
    if on is None:
        day = max(day, term.first_day)  # a drawn day in a break moves to the next term
    sid = "S1"
    school = School(sid, "清溪中心小学", "431121", "城关镇", principal_id="S1-t0")
    teacher = Teacher(
        "S1-t1",
        sid,
        draw(chinese_names()),
        Sex.FEMALE,
        phone=draw(mobile_phones()),
        class_ids=("S1-k1",),
    )
    principal = Teacher("S1-t0", sid, draw(chinese_names()), Sex.MALE, phone=draw(mobile_phones()))
    klass = SchoolClass("S1-k1", sid, 3, "3年级1班", class_teacher_id=teacher.id)
    volunteer = Volunteer(
        "S1-v1",
        sid,
        draw(chinese_names()),
        Sex.MALE,
        phone=draw(mobile_phones()),
        record_check=RecordCheck(term.first_day, True),
    )
    n = draw(st.integers(1, 3))
    children: list[Child] = []
    households: list[Household] = []
    pairings: list[Pairing] = []
    diaries: list[DiaryEntry] = []
    events: list[ContactEvent] = []
    checks: list[HealthCheck] = []
    consents: list[Consent] = []
    notices: list[CareNotice] = []
    sign_offs: list[ArchiveSignOff] = []
    pledges: list[SafetyPledge] = [
        SafetyPledge(
            "S1-sp-school", sid, term.id, PledgeLevel.SCHOOL, principal.name, term.first_day
        ),
        SafetyPledge("S1-sp-t1", sid, term.id, PledgeLevel.TEACHER, teacher.id, term.first_day),
    ]
    incidents: list[Incident] = []
    first = term.first_day
    for i in range(n):
        cid = f"S1-c{i}"
        child, household = draw(
            complete_children(school_id=sid, class_id=klass.id, child_id=cid, on=day)
        )
        children.append(child)
        households.append(household)
        g = child.guardians[0]
        mentor = draw(st.sampled_from([teacher.id, volunteer.id]))
        pairings.append(Pairing(f"S1-p{i}", sid, term.id, cid, mentor, start=first))
        when = _recent(draw, day, 30) if day >= first else first
        diaries.append(DiaryEntry(f"S1-d{i}", sid, cid, mentor, max(when, first), "谈心记录"))
        events.append(
            ContactEvent(
                f"S1-e{i}", sid, ContactKind.TALK, _recent(draw, day, 30), (cid,), (mentor,)
            )
        )
        checks.append(HealthCheck(f"S1-hc{i}", sid, cid, _recent(draw, day, 300)))
        given = day - dt.timedelta(days=draw(st.integers(0, 400)))
        consents.append(Consent(f"S1-cs{i}", sid, cid, g.name, g.relationship, given))
        notices.append(CareNotice(f"S1-cn{i}", sid, cid, child.parents[0].name, g.name, given))
        sign_offs.append(
            ArchiveSignOff(
                f"S1-so{i}", sid, cid, teacher.name, principal.name, principal.name, given
            )
        )
        pledges.append(
            SafetyPledge(
                f"S1-sp-g{i}", sid, term.id, PledgeLevel.GUARDIAN, g.name, first, child_id=cid
            )
        )
        if draw(st.booleans()):
            occurred = day - dt.timedelta(days=draw(st.integers(0, 60)))
            at = dt.datetime.combine(occurred, dt.time(9))
            incidents.append(
                Incident(
                    f"S1-i{i}",
                    sid,
                    IncidentKind.SUSPECTED_HARM,
                    occurred,
                    (cid,),
                    (
                        IncidentStep(
                            IncidentState.REPORTED,
                            at,
                            reported_to=(Authority.POLICE, Authority.EDUCATION),
                        ),
                        IncidentStep(IncidentState.CLOSED, at + dt.timedelta(hours=2)),
                    ),
                )
            )
    summaries = (
        [WorkSummary("S1-ws", sid, term.id, day, principal.name)] if day > term.last_day else []
    )
    training = GuardianTraining(  # every entrusted guardian came to the term's training
        "S1-gt",
        sid,
        first,
        "如何与留守儿童沟通",
        tuple(c.guardians[0].name for c in children),
        tuple(c.id for c in children),
    )
    records = SchoolRecords(
        school=school,
        term=term,
        trainings=(training,),
        classes=(klass,),
        teachers=(principal, teacher),
        volunteers=(volunteer,),
        children=children,
        households=households,
        pairings=pairings,
        events=events,
        diaries=diaries,
        health_checks=checks,
        incidents=incidents,
        pledges=pledges,
        consents=consents,
        sign_offs=sign_offs,
        care_notices=notices,
        summaries=summaries,
        nominated=frozenset(c.id for c in children),
        leading_groups=(
            LeadingGroup(
                "S1-lg", sid, term.id, principal.id, first, (GroupMember(teacher.id, "档案"),)
            ),
        ),
        work_plans=(
            WorkPlan(
                "S1-wp",
                sid,
                term.id,
                first,
                (Measure("建立留守儿童档案", teacher.id, max(term.last_day, day)),),
            ),
        ),
    )
    return records, day


# --------------------------------------------------------------------------- removals

#: Remove a required field from one child's records: ``remove(records, child_id)``.
Removal = Callable[[SchoolRecords, str], SchoolRecords]


def _child(records: SchoolRecords, cid: str, **changes: Any) -> SchoolRecords:
    children = tuple(attrs.evolve(c, **changes) if c.id == cid else c for c in records.children)
    return attrs.evolve(records, children=children)


def _of(records: SchoolRecords, cid: str) -> Child:
    return next(c for c in records.children if c.id == cid)


def _parent(records: SchoolRecords, cid: str, role: ParentRole, **changes: Any) -> SchoolRecords:
    child = _of(records, cid)
    parents = tuple(attrs.evolve(p, **changes) if p.role is role else p for p in child.parents)
    return _child(records, cid, parents=parents)


def _no_city(records: SchoolRecords, cid: str) -> SchoolRecords:
    p = _of(records, cid).parent(ParentRole.MOTHER)
    assert p is not None
    return _parent(
        records, cid, ParentRole.MOTHER, away=tuple(attrs.evolve(a, city="") for a in p.away)
    )


def _guardian(records: SchoolRecords, cid: str, **changes: Any) -> SchoolRecords:
    child = _of(records, cid)
    return _child(
        records, cid, guardians=tuple(attrs.evolve(g, **changes) for g in child.guardians)
    )


def _household(records: SchoolRecords, cid: str, **changes: Any) -> SchoolRecords:
    hid = _of(records, cid).household_id
    households = tuple(attrs.evolve(h, **changes) if h.id == hid else h for h in records.households)
    return attrs.evolve(records, households=households)


def _without(field: str) -> Removal:
    def remove(records: SchoolRecords, cid: str) -> SchoolRecords:
        kept = tuple(r for r in getattr(records, field) if getattr(r, "child_id", None) != cid)
        changes: dict[str, Any] = {field: kept}
        return attrs.evolve(records, **changes)

    return remove


#: Each required field: how to remove it from a child's records, and the finding code
#: that alone must then be raised (for a child under 14 without psychological flag).
REMOVALS: Final[dict[str, tuple[Removal, str]]] = {
    "id_number": (
        lambda r, c: _child(r, c, id_number=None, student_number=None),
        "ARCHIVE_ID_NUMBER",
    ),
    "ethnicity": (lambda r, c: _child(r, c, ethnicity=""), "ARCHIVE_ETHNICITY"),
    "hukou.place": (
        lambda r, c: _child(r, c, hukou=attrs.evolve(_of(r, c).hukou, place="")),
        "ARCHIVE_HUKOU",
    ),
    "address": (
        lambda r, c: _child(r, c, address=Address("湖南省", "湘西州", "花垣县")),
        "ARCHIVE_ADDRESS",
    ),
    "health.illness": (
        lambda r, c: _child(r, c, health=Health(HealthStatus.ILL, None, "")),
        "ARCHIVE_HEALTH",
    ),
    "class_id": (lambda r, c: _child(r, c, class_id=None), "ARCHIVE_CLASS"),
    "father.phone": (
        lambda r, c: _parent(r, c, ParentRole.FATHER, phone=None),
        "ARCHIVE_PARENT_PHONE",
    ),
    "mother.work_city": (_no_city, "ARCHIVE_PARENT_WORKPLACE"),
    "guardian.phone": (lambda r, c: _guardian(r, c, phone=None), "ARCHIVE_GUARDIAN_PHONE"),
    "guardian.id_number": (lambda r, c: _guardian(r, c, id_number=None), "ARCHIVE_GUARDIAN_ID"),
    "guardian.address": (lambda r, c: _guardian(r, c, address=""), "ARCHIVE_GUARDIAN_ADDRESS"),
    "guardian.phone_confirmed_on": (
        lambda r, c: _guardian(r, c, phone_confirmed_on=None),
        "CARD_PHONE_UNCONFIRMED",
    ),
    "household": (lambda r, c: _child(r, c, household_id=None), "ARCHIVE_HOUSEHOLD"),
    "household.income_source": (
        lambda r, c: _household(r, c, income_source=""),
        "ARCHIVE_INCOME_SOURCE",
    ),
    "sign_off": (_without("sign_offs"), "ARCHIVE_SIGN_OFF"),
    "emergency_contacts": (
        lambda r, c: _child(r, c, emergency_contacts=_of(r, c).emergency_contacts[:1]),
        "CARD_EMERGENCY_CONTACTS",
    ),
    "village_committee": (
        lambda r, c: _child(r, c, village_committee=None),
        "CARD_VILLAGE_COMMITTEE",
    ),
    "care_notice": (_without("care_notices"), "CARE_NOTICE"),
    "consent": (_without("consents"), "CONSENT_MISSING"),
    "pairing": (_without("pairings"), "PAIRING_NO_MENTOR"),
    "guardian_pledge": (_without("pledges"), "PLEDGE_GUARDIAN"),
    "health_check": (_without("health_checks"), "HEALTH_CHECK_DUE"),
}

#: Removals that also break a link of the child's emergency chain, and so raise the
#: chain's finding too (once per child, listing the missing links).
_CHAIN: Final = ("EMERGENCY_CHAIN_INCOMPLETE",)
ALSO_RAISES: Final[dict[str, tuple[str, ...]]] = {
    "class_id": _CHAIN,
    "guardian.phone": _CHAIN,
    "village_committee": _CHAIN,
    "pairing": _CHAIN,
}
