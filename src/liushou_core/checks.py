"""Completeness checks (档案检查): what an inspector looks for in a school's binders.

:func:`run_checks` runs every check over one school's records for a term
(:class:`SchoolRecords`) on a day ``on`` and returns the :class:`Finding` list:
each finding has a stable ``code``, a :class:`Severity`, the ``subject`` (a
child, class, school, volunteer or incident), a message in Chinese and English,
and how to fix it. A check never raises on incomplete data: missing data is
what it reports. A check that fails all the same (a plugin's bug) is reported
as a ``CHECK_FAILED`` error finding naming the check, and the others still run.

Built-in checks (codes of the findings each may raise; sources in ``docs/checks.md``):

* ``archive``: the fields of the 2016 national survey form for every child in
  the care programme (``ARCHIVE_*``);
* ``contact_card``: two reachable emergency contacts, the guardian's phone
  confirmed lately, the village committee and the class teacher in the chain
  (``CARD_*``);
* ``guardianship``: an entrusted guardian is an adult able to care, the
  parents' written notice is on file, no child under 16 lives alone
  (``GUARDIAN_*``, ``CARE_NOTICE``, ``LIVES_ALONE``);
* ``consent``: the guardian's consent for a child under 14 (``CONSENT_MISSING``);
* ``pairing``: every nominated child has a mentor, growth-diary entries at the
  set rhythm, volunteers' record checks (``PAIRING_NO_MENTOR``,
  ``DIARY_RHYTHM``, ``VOLUNTEER_RECORD_CHECK``);
* ``pledges``: safety pledges signed at each level for the term (``PLEDGE_*``);
* ``health``: a health check within 12 months, follow-ups of health checks and
  of psychological flags (``HEALTH_*``, ``PSYCH_FOLLOW_UP``);
* ``incidents``: suspected harm reported at once to the police and the education
  authority, every incident closed or followed up (``INCIDENT_*``);
* ``summary``: the term work summary filed (``SUMMARY_NOT_FILED``);
* ``aid``: aid decisions without missing evidence (``AID_MISSING_EVIDENCE``);
* ``emergency_chain``: each child's chain class teacher - mentor - guardian -
  parents - village committee - township and police (``EMERGENCY_CHAIN_INCOMPLETE``,
  :mod:`liushou_core.emergency`);
* ``leading_group``, ``work_plan``: the term's leading group headed by the
  principal, the work plan and its overdue measures (``LEADING_GROUP_*``,
  ``PLAN_*``, :mod:`liushou_core.leadership`).

Other modules' results come in through :class:`SchoolRecords`: the ids of the
children nominated for pairing (``nominated``), the cadence module's findings
(``cadence_findings``, passed through as they are) and aid decisions
(``aid_decisions``). Schools and counties add checks through the
``liushou_checks`` hook (:class:`Check` objects; pass the plugin manager as
``pm``).

Thresholds are dated policy data (:class:`CheckPolicy`), each with its source.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from liushou_core import plugins
from liushou_core.classify import (
    DEFAULT_POLICY as CLASSIFICATION_POLICY,
)
from liushou_core.classify import (
    Category,
    ClassificationPolicy,
    add_months,
    age_on,
    classify,
)
from liushou_core.community import check_guardian_training
from liushou_core.dated import Dated
from liushou_core.emergency import check_emergency_chain, missing_reports
from liushou_core.errors import LiushouError
from liushou_core.i18n import N_, Message
from liushou_core.leadership import check_leading_group, check_work_plan
from liushou_core.masking import mask_text
from liushou_core.models import (
    Activity,
    AidDecision,
    ArchiveSignOff,
    Authority,
    Boarding,
    CareAssessment,
    CareNotice,
    Child,
    Consent,
    ContactEvent,
    ContactKind,
    DiaryEntry,
    Duty,
    Finding,
    GuardianTraining,
    HealthCheck,
    HealthResult,
    HealthStatus,
    Household,
    Incident,
    IncidentKind,
    IncidentState,
    LeadingGroup,
    Pairing,
    ParentRole,
    Partner,
    PledgeLevel,
    SafetyPledge,
    School,
    SchoolClass,
    Severity,
    Subject,
    Teacher,
    Term,
    Volunteer,
    WorkPlan,
    WorkSummary,
)

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "BUILTIN_CHECKS",
    "DEFAULT_CHECK_POLICY",
    "STORED",
    "Check",
    "CheckContext",
    "CheckError",
    "CheckPolicy",
    "SchoolRecords",
    "collect_checks",
    "run_checks",
]

# --------------------------------------------------------------------------- policy

_D2016 = dt.date(2016, 2, 4)
_SRC_LB = "国发〔2016〕13号 (an archive and contact card for every left-behind child)"
_SRC_MPL = "未成年人保护法 (revised 2020, in force 2021-06-01)"
_SRC_PIPL = "个人信息保护法 art. 28, 31 (2021-11-01)"
_SRC_LOCAL = "local practice of the seed's schools; liushou default, set your own (UNCONFIRMED)"


@attrs.frozen
class CheckPolicy:
    """The dated parameters of the checks; override one with :meth:`Dated.with_change`."""

    #: Children in the care programme: they need the archive and contact card.
    programme: Dated[frozenset[Category]] = Dated.since(
        _D2016, frozenset({Category.LEFT_BEHIND, Category.DE_FACTO_UNSUPPORTED}), _SRC_LB
    )
    #: Reachable emergency contacts a contact card needs.
    min_contacts: Dated[int] = Dated.since(_D2016, 2, _SRC_LOCAL)
    #: Days within which a guardian's phone must have been confirmed.
    phone_confirmed_days: Dated[int] = Dated.since(_D2016, 180, _SRC_LOCAL)
    #: An entrusted carer is an adult: at least this age (art. 22).
    adult_age: Dated[int] = Dated.since(_D2016, 18, _SRC_MPL + " art. 22 (and its 2006 text)")
    #: Under this age a child never lives apart from guardianship (art. 21).
    alone_age: Dated[int] = Dated.since(_D2016, 16, _SRC_LB + "; " + _SRC_MPL + " art. 21")
    #: Under this age the guardian's consent is recorded.
    consent_age: Dated[int] = Dated.since(
        _D2016, 14, _SRC_PIPL + "; 儿童个人信息网络保护规定 (2019)"
    )
    #: A growth-diary entry at least every this many days of a pairing.
    diary_days: Dated[int] = Dated.since(_D2016, 30, _SRC_LOCAL)
    #: Safety pledges are due this many days after the term's first day.
    pledge_grace_days: Dated[int] = Dated.since(_D2016, 30, _SRC_LOCAL)
    #: The levels at which pledges are signed each term.
    pledge_levels: Dated[frozenset[PledgeLevel]] = Dated.since(
        _D2016, frozenset(PledgeLevel), "the seed's schools: signed level by level"
    )
    #: A health check within this many months.
    health_check_months: Dated[int] = Dated.since(_D2016, 12, _SRC_LOCAL)
    #: A psychological flag is followed up (talk, home visit, diary, check) within this many days.
    psych_follow_up_days: Dated[int] = Dated.since(_D2016, 30, _SRC_LOCAL)
    #: Incident kinds that must be reported to the police at once (art. 11).
    report_kinds: Dated[frozenset[IncidentKind]] = Dated.since(
        _D2016, frozenset({IncidentKind.SUSPECTED_HARM}), _SRC_MPL + " art. 11"
    )
    #: "At once": the report is made within this many days of the day it occurred.
    report_days: Dated[int] = Dated.since(_D2016, 1, _SRC_MPL + " art. 11; liushou reads 1 day")
    #: The authorities those incidents are reported to, every one of them (art. 11 names
    #: the police, civil affairs and education; liushou requires the police and the
    #: school's education authority).
    report_to: Dated[frozenset[Authority]] = Dated.since(
        _D2016,
        frozenset({Authority.POLICE, Authority.EDUCATION}),
        _SRC_MPL + " art. 11; liushou requires the police and the education authority",
    )
    #: An incident is followed up or closed within this many days.
    incident_days: Dated[int] = Dated.since(_D2016, 14, _SRC_LOCAL)
    #: The term work summary is filed at most this many days after the term's last day.
    summary_days: Dated[int] = Dated.since(_D2016, 0, "the seed: one work summary each term")
    #: The classification rules that decide who is in the programme.
    classification: ClassificationPolicy = CLASSIFICATION_POLICY


#: The checks' parameters as liushou ships them.
DEFAULT_CHECK_POLICY: Final = CheckPolicy()

#: Categories a child can have only with a parent away or a parent's recorded condition.
_AWAY_OR_CONDITION: Final = frozenset({Category.LEFT_BEHIND, Category.DE_FACTO_UNSUPPORTED})

# --------------------------------------------------------------------------- records


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


def _frozen_ids(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


#: The record kinds a store keeps for a school, by field of this class.
STORED: Final[dict[str, type]] = {
    "classes": SchoolClass,
    "teachers": Teacher,
    "volunteers": Volunteer,
    "children": Child,
    "households": Household,
    "pairings": Pairing,
    "events": ContactEvent,
    "diaries": DiaryEntry,
    "health_checks": HealthCheck,
    "incidents": Incident,
    "pledges": SafetyPledge,
    "consents": Consent,
    "sign_offs": ArchiveSignOff,
    "care_notices": CareNotice,
    "activities": Activity,
    "summaries": WorkSummary,
    "aid_decisions": AidDecision,
    "duties": Duty,
    "boardings": Boarding,
    "trainings": GuardianTraining,
    "partners": Partner,
    "leading_groups": LeadingGroup,
    "work_plans": WorkPlan,
}


@attrs.frozen
class SchoolRecords:
    """One school's records for a term, and results other rules computed.

    ``nominated``: ids of the children chosen for pairing (from the pairing
    module); ``None`` skips the "every nominated child has a mentor" check.
    ``cadence_findings``: the cadence module's findings, reported as they are.
    ``aid_decisions``: stored decisions and/or fresh ones from ``aid.assess``.
    ``categories``: each child's categories on the day, if already computed
    (otherwise the checks classify the children themselves).
    """

    school: School
    term: Term
    classes: tuple[SchoolClass, ...] = attrs.field(default=(), converter=_tuple)
    teachers: tuple[Teacher, ...] = attrs.field(default=(), converter=_tuple)
    volunteers: tuple[Volunteer, ...] = attrs.field(default=(), converter=_tuple)
    children: tuple[Child, ...] = attrs.field(default=(), converter=_tuple)
    households: tuple[Household, ...] = attrs.field(default=(), converter=_tuple)
    pairings: tuple[Pairing, ...] = attrs.field(default=(), converter=_tuple)
    events: tuple[ContactEvent, ...] = attrs.field(default=(), converter=_tuple)
    diaries: tuple[DiaryEntry, ...] = attrs.field(default=(), converter=_tuple)
    health_checks: tuple[HealthCheck, ...] = attrs.field(default=(), converter=_tuple)
    incidents: tuple[Incident, ...] = attrs.field(default=(), converter=_tuple)
    pledges: tuple[SafetyPledge, ...] = attrs.field(default=(), converter=_tuple)
    consents: tuple[Consent, ...] = attrs.field(default=(), converter=_tuple)
    sign_offs: tuple[ArchiveSignOff, ...] = attrs.field(default=(), converter=_tuple)
    care_notices: tuple[CareNotice, ...] = attrs.field(default=(), converter=_tuple)
    activities: tuple[Activity, ...] = attrs.field(default=(), converter=_tuple)
    summaries: tuple[WorkSummary, ...] = attrs.field(default=(), converter=_tuple)
    aid_decisions: tuple[AidDecision, ...] = attrs.field(default=(), converter=_tuple)
    duties: tuple[Duty, ...] = attrs.field(default=(), converter=_tuple)
    boardings: tuple[Boarding, ...] = attrs.field(default=(), converter=_tuple)
    trainings: tuple[GuardianTraining, ...] = attrs.field(default=(), converter=_tuple)
    partners: tuple[Partner, ...] = attrs.field(default=(), converter=_tuple)
    leading_groups: tuple[LeadingGroup, ...] = attrs.field(default=(), converter=_tuple)
    work_plans: tuple[WorkPlan, ...] = attrs.field(default=(), converter=_tuple)
    nominated: frozenset[str] | None = attrs.field(default=None, converter=_frozen_ids)
    cadence_findings: tuple[Finding, ...] = attrs.field(default=(), converter=_tuple)
    categories: Mapping[str, tuple[Category, ...]] | None = None

    @classmethod
    def load(cls, uow: Any, school: School, term: Term, **extra: Any) -> SchoolRecords:
        """Read a school's records through a unit of work (``uow.list``); ``extra``
        sets ``nominated``, ``cadence_findings``, more ``aid_decisions``, ...

        The store reads are the caller's I/O; this only asks the port for lists.
        """
        found: dict[str, Any] = {name: uow.list(kind, school.id) for name, kind in STORED.items()}
        if "aid_decisions" in extra:
            found["aid_decisions"] = (*found["aid_decisions"], *extra.pop("aid_decisions"))
        return cls(school=school, term=term, **found, **extra)


# --------------------------------------------------------------------------- checks


class CheckError(LiushouError, TypeError):
    """A contributed check is not a :class:`Check`, or two checks share a code."""


@attrs.frozen
class Check:
    """A named rule: a stable ``code``, a ``title`` (an ``N_`` text), its ``source``,
    and ``run(ctx) -> Iterable[Finding]`` (build findings with :meth:`CheckContext.finding`).

    A plugin contributes checks through the ``liushou_checks`` hook::

        @hookimpl
        def liushou_checks():
            return [Check("photo", N_("Archive photo"), run=my_photo_check)]
    """

    code: str
    title: str
    run: Callable[[CheckContext], Iterable[Finding]]
    source: str = ""


class CheckContext:
    """What a check sees: the records, the day, the policy, and ready-made indexes.

    ``categories`` maps each child id to the categories on ``on`` (by default
    only the categories that decide the programme are worked out: a child who
    cannot be in it gets ``()``; ``classify_all=True`` classifies every child);
    ``programme`` is the children in the care programme on ``on`` (their
    categories meet :attr:`CheckPolicy.programme`). ``sign_offs``,
    ``care_notices``, ``consents``, ``health_checks``, ``diaries``,
    ``aid_decisions``, ``events`` (held, not planned) and ``pairings`` (of the
    term) map a child id to that child's records; ``households``, ``classes``,
    ``teachers``, ``volunteers`` and ``children`` map ids to records.
    """

    def __init__(
        self,
        records: SchoolRecords,
        on: dt.date,
        policy: CheckPolicy,
        *,
        classify_all: bool = False,
    ) -> None:
        self.classify_all = classify_all
        self.records = records
        self.on = on
        self.policy = policy
        self.school_id = records.school.id
        self.term = records.term
        self.households = {h.id: h for h in records.households}
        self.classes = {c.id: c for c in records.classes}
        self.teachers = {t.id: t for t in records.teachers}
        self.volunteers = {v.id: v for v in records.volunteers}
        self.children = {c.id: c for c in records.children}
        self.categories = self._categories()
        wanted = policy.programme.at(on)
        self.programme: tuple[Child, ...] = tuple(
            c for c in records.children if wanted.intersection(self.categories.get(c.id, ()))
        )
        self.sign_offs = _by_child(records.sign_offs)
        self.care_notices = _by_child(records.care_notices)
        self.consents = _by_child(records.consents)
        self.health_checks = _by_child(records.health_checks)
        self.diaries = _by_child(records.diaries)
        self.aid_decisions = _by_child(records.aid_decisions)
        self.events: dict[str, list[ContactEvent]] = defaultdict(list)
        for e in records.events:
            if not e.planned:
                for cid in e.child_ids:
                    self.events[cid].append(e)
        self.pairings: dict[str, list[Pairing]] = defaultdict(list)
        for p in records.pairings:
            if p.term_id == self.term.id:
                self.pairings[p.child_id].append(p)
        self.pledges = [p for p in records.pledges if p.term_id == self.term.id]

    def _categories(self) -> Mapping[str, tuple[Category, ...]]:
        given = self.records.categories
        if given is not None:
            return given
        out: dict[str, tuple[Category, ...]] = {}
        policy = self.policy.classification
        # Left-behind needs a rural child under 16 with a parent away on the day,
        # de-facto unsupported a minor with a parent's recorded condition: when the
        # programme is only those, other children need no classification (a
        # shortcut, not a rule: the result is the same).
        on = self.on
        shortcut = not self.classify_all and self.policy.programme.at(on) <= _AWAY_OR_CONDITION
        lb_age = policy.left_behind_max_age.at(on)
        rural_only = policy.left_behind_rural_only.at(on)
        minor_age = policy.minor_age.at(on)
        for c in self.records.children:
            if shortcut:
                age = age_on(c.birth_date, on)
                may_be_lb = (
                    age < lb_age
                    and (c.hukou.rural or not rural_only)
                    and any(p.away_on(on) for p in c.parents)
                )
                if not may_be_lb and not (age < minor_age and any(p.conditions for p in c.parents)):
                    out[c.id] = ()
                    continue
            household = self.households.get(c.household_id) if c.household_id else None
            out[c.id] = classify(c, on=self.on, household=household, policy=policy).categories
        return out

    def age(self, child: Child) -> int:
        """The child's age in full years on the day."""
        return age_on(child.birth_date, self.on)

    def finding(
        self,
        code: str,
        severity: Severity,
        subject: Subject,
        message: Message,
        fix: Message | None = None,
    ) -> Finding:
        """A finding of this school on this day."""
        return Finding(code, severity, self.school_id, subject, self.on, message, fix)

    def about_child(
        self,
        child: Child,
        code: str,
        severity: Severity,
        text: str,
        fix: str,
        **params: str | int,
    ) -> Finding:
        """A finding about ``child``; ``text`` and ``fix`` are ``N_`` texts with ``params``."""
        return self.finding(
            code,
            severity,
            Subject("child", child.id),
            Message(code, text, params),
            Message(code + "_FIX", fix, params),
        )


def _by_child(records: Iterable[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for r in records:
        out[r.child_id].append(r)
    return out


W, E = Severity.WARNING, Severity.ERROR

# --------------------------------------------------------------------------- archive


def check_archive(ctx: CheckContext) -> Iterator[Finding]:
    """The survey form's fields for every child in the programme."""
    on = ctx.on
    for c in ctx.programme:
        f = ctx.about_child
        if c.id_number is None:
            yield f(
                c,
                "ARCHIVE_ID_NUMBER",
                W,
                N_("The child's resident ID number is not recorded."),
                N_("Copy the ID number from the household register (户口簿)."),
            )
        if not c.ethnicity:
            yield f(
                c,
                "ARCHIVE_ETHNICITY",
                W,
                N_("The child's ethnic group is not recorded."),
                N_("Record the ethnic group as the household register shows it."),
            )
        if c.hukou.registered and not c.hukou.place:
            yield f(
                c,
                "ARCHIVE_HUKOU",
                W,
                N_("The place of household registration is not recorded."),
                N_("Record where the child's household is registered."),
            )
        if not (c.address.village or c.address.detail):
            yield f(
                c,
                "ARCHIVE_ADDRESS",
                W,
                N_("The current address is not recorded down to the village."),
                N_("Record the village and house where the child lives now."),
            )
        if c.health.status is HealthStatus.ILL and not c.health.illness:
            yield f(
                c,
                "ARCHIVE_HEALTH",
                W,
                N_("The child is recorded as ill but the illness is not named."),
                N_("Name the illness on the health line of the archive."),
            )
        if c.class_id is None:
            yield f(
                c,
                "ARCHIVE_CLASS",
                W,
                N_("The child's class is not recorded."),
                N_("Record the child's class, so that the class teacher is in the chain."),
            )
        for role in (ParentRole.FATHER, ParentRole.MOTHER):
            p = c.parent(role)
            if p is None:
                yield f(
                    c,
                    "ARCHIVE_PARENT",
                    W,
                    N_("The {parent} is not recorded."),
                    N_("Record the {parent}'s name and situation."),
                    parent=role.value,
                )
                continue
            away = p.away_on(on)
            if away is None:
                continue
            if not (away.province and away.city):
                yield f(
                    c,
                    "ARCHIVE_PARENT_WORKPLACE",
                    W,
                    N_("The {parent}'s work place is not recorded down to the city."),
                    N_("Ask the {parent} for the province and city where they work."),
                    parent=role.value,
                )
            if p.phone is None:
                yield f(
                    c,
                    "ARCHIVE_PARENT_PHONE",
                    W,
                    N_("The phone of the {parent}, who works away, is not recorded."),
                    N_("Record a phone number that reaches the {parent}."),
                    parent=role.value,
                )
        if not c.guardians:
            yield f(
                c,
                "ARCHIVE_GUARDIAN",
                E,
                N_("No guardian is recorded for the child."),
                N_("Record who actually cares for the child, with phone and address."),
            )
        for g in c.guardians:
            if not g.entrusted:
                continue
            if g.phone is None:
                yield f(
                    c,
                    "ARCHIVE_GUARDIAN_PHONE",
                    W,
                    N_("The phone of the entrusted guardian {name} is not recorded."),
                    N_("Record a phone number that reaches {name}."),
                    name=g.name,
                )
            if g.id_number is None:
                yield f(
                    c,
                    "ARCHIVE_GUARDIAN_ID",
                    W,
                    N_("The ID number of the entrusted guardian {name} is not recorded."),
                    N_("Copy {name}'s ID number from their ID card."),
                    name=g.name,
                )
            if not g.address:
                yield f(
                    c,
                    "ARCHIVE_GUARDIAN_ADDRESS",
                    W,
                    N_("The address of the entrusted guardian {name} is not recorded."),
                    N_("Record where {name} lives."),
                    name=g.name,
                )
        household = ctx.households.get(c.household_id) if c.household_id else None
        if household is None:
            yield f(
                c,
                "ARCHIVE_HOUSEHOLD",
                W,
                N_("The child's household (income and assistance) is not recorded."),
                N_("Record the household: its income source and the assistance it receives."),
            )
        elif not household.income_source:
            yield f(
                c,
                "ARCHIVE_INCOME_SOURCE",
                W,
                N_("The household's source of income is not recorded."),
                N_("Record how the household earns its living."),
            )
        if not ctx.sign_offs.get(c.id):
            yield f(
                c,
                "ARCHIVE_SIGN_OFF",
                W,
                N_("The archive form is not signed off."),
                N_("Have the form-filler, the reviewer and the unit head sign the form."),
            )


# --------------------------------------------------------------------------- contact card


def check_contact_card(ctx: CheckContext) -> Iterator[Finding]:
    """Reachable contacts and the chain child - school - guardian - parents - village."""
    on = ctx.on
    need = ctx.policy.min_contacts.at(on)
    days = ctx.policy.phone_confirmed_days.at(on)
    classes_seen: set[str] = set()
    for c in ctx.programme:
        reachable = {x.phone for x in c.emergency_contacts if x.phone is not None}
        if len(reachable) < need:
            yield ctx.about_child(
                c,
                "CARD_EMERGENCY_CONTACTS",
                E if not reachable else W,
                N_("The contact card has {count} reachable emergency contacts; {need} are needed."),
                N_("Add emergency contacts with a phone number until there are {need}."),
                count=len(reachable),
                need=need,
            )
        for g in c.guardians:
            if g.phone is None:
                continue
            confirmed = g.phone_confirmed_on
            if confirmed is None or (on - confirmed).days > days:
                yield ctx.about_child(
                    c,
                    "CARD_PHONE_UNCONFIRMED",
                    W,
                    N_("The guardian {name}'s phone was not confirmed in the last {days} days."),
                    N_("Call {name}, confirm the number and record the date."),
                    name=g.name,
                    days=days,
                )
        vc = c.village_committee
        if vc is None or vc.phone is None:
            yield ctx.about_child(
                c,
                "CARD_VILLAGE_COMMITTEE",
                W,
                N_("The village committee's contact is missing from the contact card."),
                N_("Record the village committee member (with phone) who looks after the child."),
            )
        if c.class_id is not None:
            classes_seen.add(c.class_id)
    for class_id in sorted(classes_seen):
        k = ctx.classes.get(class_id)
        if k is not None and k.class_teacher_id is None:
            yield ctx.finding(
                "CARD_CLASS_TEACHER",
                W,
                Subject("class", class_id),
                Message(
                    "CARD_CLASS_TEACHER",
                    N_("Class {name} has no class teacher in the contact chain."),
                    {"name": k.name},
                ),
                Message(
                    "CARD_CLASS_TEACHER_FIX",
                    N_("Name the class teacher of class {name}."),
                    {"name": k.name},
                ),
            )


# --------------------------------------------------------------------------- guardianship


def _parent_home(c: Child, ctx: CheckContext, incapable: frozenset[Any]) -> bool:
    for role in (ParentRole.FATHER, ParentRole.MOTHER):
        p = c.parent(role)
        if p is None or p.away_on(ctx.on) is not None:
            continue
        if not any(k.kind in incapable for k in p.conditions_on(ctx.on)):
            return True
    return False


def check_guardianship(ctx: CheckContext) -> Iterator[Finding]:
    """Entrusted carers are capable adults; the parents' notice; nobody under 16 alone."""
    on = ctx.on
    adult = ctx.policy.adult_age.at(on)
    alone = ctx.policy.alone_age.at(on)
    programme = {c.id for c in ctx.programme}
    incapable = ctx.policy.classification.incapable.at(on)
    for c in ctx.records.children:
        if c.id in programme:
            for g in c.guardians:
                if not g.entrusted:
                    continue
                if g.disqualifications:
                    yield ctx.about_child(
                        c,
                        "GUARDIAN_DISQUALIFIED",
                        E,
                        N_("The entrusted guardian {name} is disqualified: {ground}."),
                        N_("Tell the parents at once to entrust the child to a suitable adult."),
                        name=g.name,
                        ground=g.disqualifications[0].value,
                    )
                if g.birth_date is not None and age_on(g.birth_date, on) < adult:
                    yield ctx.about_child(
                        c,
                        "GUARDIAN_NOT_ADULT",
                        E,
                        N_("The entrusted guardian {name} is under {age}."),
                        N_("Tell the parents to entrust the child to an adult."),
                        name=g.name,
                        age=adult,
                    )
                if g.capacity in (CareAssessment.NONE, CareAssessment.INSUFFICIENT):
                    yield ctx.about_child(
                        c,
                        "GUARDIAN_CAPACITY",
                        W,
                        N_("The care by {name} is assessed as: {assessment}."),
                        N_("Visit the home, support {name} and tell the parents."),
                        name=g.name,
                        assessment=g.capacity.value,
                    )
            if not ctx.care_notices.get(c.id):
                yield ctx.about_child(
                    c,
                    "CARE_NOTICE",
                    W,
                    N_("The parents' written notice of who cares for the child is not on file."),
                    N_("Ask the parents for a written notice of the care arrangement."),
                )
        if (
            c.parents
            and age_on(c.birth_date, on) < alone
            and not _parent_home(c, ctx, incapable)
            and not any(g.lives_with_child and not g.disqualifications for g in c.guardians)
        ):
            yield ctx.about_child(
                c,
                "LIVES_ALONE",
                E,
                N_("The child is under {age} and no parent or suitable guardian lives with them."),
                N_("Contact the parents and the village committee today to arrange care."),
                age=alone,
            )


# --------------------------------------------------------------------------- consent


def check_consent(ctx: CheckContext) -> Iterator[Finding]:
    """The guardian's consent for every child under 14 in the programme."""
    limit = ctx.policy.consent_age.at(ctx.on)
    for c in ctx.programme:
        if ctx.age(c) >= limit:
            continue
        if not any(x.in_force(ctx.on) for x in ctx.consents.get(c.id, ())):
            yield ctx.about_child(
                c,
                "CONSENT_MISSING",
                E,
                N_("The child is under {age} and no guardian's consent is in force."),
                N_("Ask the guardian for written consent and record it."),
                age=limit,
            )


# --------------------------------------------------------------------------- pairing


def _active(p: Pairing, on: dt.date) -> bool:
    return (p.start is None or p.start <= on) and (p.end is None or on <= p.end)


def check_pairing(ctx: CheckContext) -> Iterator[Finding]:
    """Nominated children have a mentor; diary rhythm; volunteers' record checks."""
    on = ctx.on
    nominated = ctx.records.nominated
    if nominated is not None:
        for cid in sorted(nominated):
            child = ctx.children.get(cid)
            if child is None:
                continue
            if not any(_active(p, on) for p in ctx.pairings.get(cid, ())):
                yield ctx.about_child(
                    child,
                    "PAIRING_NO_MENTOR",
                    E,
                    N_("The child is nominated for pairing but has no mentor this term."),
                    N_("Pair the child with a teacher or a checked volunteer."),
                )
    every = ctx.policy.diary_days.at(on)
    mentoring: set[str] = set()
    for cid, pairs in sorted(ctx.pairings.items()):
        child = ctx.children.get(cid)
        for p in pairs:
            if not _active(p, on):
                continue
            mentoring.add(p.mentor_id)
            if child is None:
                continue
            since = max(p.start or ctx.term.first_day, ctx.term.first_day)
            dates = [d.date for d in ctx.diaries.get(cid, ()) if d.mentor_id == p.mentor_id]
            last = max((d for d in dates if d <= on), default=since)
            if (on - max(last, since)).days > every:
                yield ctx.about_child(
                    child,
                    "DIARY_RHYTHM",
                    W,
                    N_("No growth-diary entry by mentor {mentor} in the last {days} days."),
                    N_("Write the growth-diary entry after the next talk with the child."),
                    mentor=p.mentor_id,
                    days=every,
                )
    for v in ctx.records.volunteers:
        if not v.active:
            continue
        check = v.record_check
        if check is None or not check.cleared:
            yield ctx.finding(
                "VOLUNTEER_RECORD_CHECK",
                E if (check is not None or v.id in mentoring) else W,
                Subject("volunteer", v.id),
                Message(
                    "VOLUNTEER_RECORD_CHECK",
                    N_("Volunteer {name} has no cleared criminal-record check."),
                    {"name": v.name},
                ),
                Message(
                    "VOLUNTEER_RECORD_CHECK_FIX",
                    N_("Check {name}'s record before any contact with children."),
                    {"name": v.name},
                ),
            )


# --------------------------------------------------------------------------- pledges


def check_pledges(ctx: CheckContext) -> Iterator[Finding]:
    """Safety pledges signed at each level for the term, once the grace days are over."""
    on = ctx.on
    if (on - ctx.term.first_day).days < ctx.policy.pledge_grace_days.at(on):
        return
    levels = ctx.policy.pledge_levels.at(on)
    signed = [p for p in ctx.pledges if p.signed_on <= on]
    if PledgeLevel.SCHOOL in levels and not any(p.level is PledgeLevel.SCHOOL for p in signed):
        yield ctx.finding(
            "PLEDGE_SCHOOL",
            E,
            Subject("school", ctx.school_id),
            Message(
                "PLEDGE_SCHOOL",
                N_("The school's safety pledge for term {term} is not signed."),
                {"term": ctx.term.id},
            ),
            Message("PLEDGE_SCHOOL_FIX", N_("Have the principal sign the safety pledge.")),
        )
    if PledgeLevel.TEACHER in levels:
        teachers = {p.signer for p in signed if p.level is PledgeLevel.TEACHER}
        for k in ctx.records.classes:
            tid = k.class_teacher_id
            if tid is None:
                continue
            t = ctx.teachers.get(tid)
            if tid in teachers or (t is not None and t.name in teachers):
                continue
            yield ctx.finding(
                "PLEDGE_TEACHER",
                W,
                Subject("class", k.id),
                Message(
                    "PLEDGE_TEACHER",
                    N_("The class teacher of {name} has not signed the safety pledge."),
                    {"name": k.name},
                ),
                Message("PLEDGE_TEACHER_FIX", N_("Have the class teacher sign the safety pledge.")),
            )
    if PledgeLevel.GUARDIAN in levels:
        guardians = {p.child_id for p in signed if p.level is PledgeLevel.GUARDIAN}
        for c in ctx.programme:
            if c.id not in guardians:
                yield ctx.about_child(
                    c,
                    "PLEDGE_GUARDIAN",
                    W,
                    N_("The guardian has not signed the safety pledge for term {term}."),
                    N_("Have the guardian sign the safety pledge at the next meeting or visit."),
                    term=ctx.term.id,
                )


# --------------------------------------------------------------------------- health


def check_health(ctx: CheckContext) -> Iterator[Finding]:
    """A health check within 12 months; follow-ups of checks and psychological flags."""
    on = ctx.on
    months = ctx.policy.health_check_months.at(on)
    since = add_months(on, -months)
    for c in ctx.programme:
        checks = ctx.health_checks.get(c.id, ())
        if not any(since < h.date <= on for h in checks):
            yield ctx.about_child(
                c,
                "HEALTH_CHECK_DUE",
                W,
                N_("No health check in the last {months} months."),
                N_("Take the child to the next free health check."),
                months=months,
            )
    for c in ctx.records.children:
        checks = [h for h in ctx.health_checks.get(c.id, ()) if h.date <= on]
        for h in checks:
            if h.result is HealthResult.NORMAL or h.follow_up_due is None:
                continue
            if h.follow_up_due < on and not any(x.date > h.date for x in checks):
                yield ctx.about_child(
                    c,
                    "HEALTH_FOLLOW_UP",
                    W,
                    N_("The follow-up of the health check of {date} was due on {due}."),
                    N_("Record the follow-up check or the treatment."),
                    date=h.date.isoformat(),
                    due=h.follow_up_due.isoformat(),
                )
    days = ctx.policy.psych_follow_up_days.at(on)
    start = on - dt.timedelta(days=days)
    kinds = (ContactKind.TALK, ContactKind.HOME_VISIT)
    for c in ctx.records.children:
        if not c.psychological_flag:
            continue
        done = (
            any(start < e.date <= on and e.kind in kinds for e in ctx.events.get(c.id, ()))
            or any(start < d.date <= on for d in ctx.diaries.get(c.id, ()))
            or any(start < h.date <= on for h in ctx.health_checks.get(c.id, ()))
        )
        if not done:
            yield ctx.about_child(
                c,
                "PSYCH_FOLLOW_UP",
                W,
                N_(
                    "The child needs psychological attention; no follow-up in the last {days} days."
                ),
                N_("Have a one-to-one talk or a home visit and record it."),
                days=days,
            )


# --------------------------------------------------------------------------- incidents

#: An authority as an item of a list, translated ("[police]", "【公安机关】").
_AUTHORITY_ITEM: Final[dict[Authority, str]] = {
    Authority.POLICE: N_("[police]"),
    Authority.CIVIL_AFFAIRS: N_("[civil affairs]"),
    Authority.EDUCATION: N_("[education authority]"),
}


def check_incidents(ctx: CheckContext) -> Iterator[Finding]:
    """Mandatory reporting of suspected harm; every incident closed or followed up."""
    on = ctx.on
    report = ctx.policy.report_kinds.at(on)
    report_days = ctx.policy.report_days.at(on)
    follow = ctx.policy.incident_days.at(on)
    for i in ctx.records.incidents:
        if i.occurred_on > on:
            continue
        subject = Subject("incident", i.id)
        steps = sorted((s for s in i.steps if s.at.date() <= on), key=lambda s: s.at)
        if i.kind in report:
            missing = missing_reports(i, on=on, policy=ctx.policy)
            if missing:
                yield ctx.finding(
                    "INCIDENT_NOT_REPORTED",
                    E,
                    subject,
                    Message(
                        "INCIDENT_NOT_REPORTED",
                        N_(
                            "Incident of {date} ({kind}) is not recorded as reported to: "
                            "{police}{civil_affairs}{education}."
                        ),
                        {
                            "date": i.occurred_on.isoformat(),
                            "kind": i.kind.value,
                            **{
                                a.name.lower(): _AUTHORITY_ITEM[a] if a in missing else ""
                                for a in Authority
                            },
                        },
                    ),
                    Message(
                        "INCIDENT_NOT_REPORTED_FIX",
                        N_("Report it to them now and record the time of each report."),
                    ),
                )
            else:
                firsts = {
                    a: min(s.at for s in steps if a in s.reported_to)
                    for a in ctx.policy.report_to.at(on)
                }
                late, at = max(
                    firsts.items(), key=lambda x: (x[1], x[0].name), default=(None, None)
                )
                if (
                    late is not None
                    and at is not None
                    and (at.date() - i.occurred_on).days > report_days
                ):
                    yield ctx.finding(
                        "INCIDENT_REPORT_LATE",
                        W,
                        subject,
                        Message(
                            "INCIDENT_REPORT_LATE",
                            N_("Incident of {date} was reported to the {authority} only at {at}."),
                            {
                                "date": i.occurred_on.isoformat(),
                                "authority": late.value,
                                "at": at.isoformat(sep=" ", timespec="minutes"),
                            },
                        ),
                        Message(
                            "INCIDENT_REPORT_LATE_FIX",
                            N_("Report suspected harm at once; note why the report was late."),
                        ),
                    )
        done = any(s.state in (IncidentState.FOLLOWED_UP, IncidentState.CLOSED) for s in steps)
        if not done and (on - i.occurred_on).days > follow:
            yield ctx.finding(
                "INCIDENT_OPEN",
                W,
                subject,
                Message(
                    "INCIDENT_OPEN",
                    N_("Incident of {date} is neither followed up nor closed after {days} days."),
                    {"date": i.occurred_on.isoformat(), "days": follow},
                ),
                Message("INCIDENT_OPEN_FIX", N_("Record the follow-up, or close the incident.")),
            )


# --------------------------------------------------------------------------- summary, aid


def check_summary(ctx: CheckContext) -> Iterator[Finding]:
    """The term work summary is filed after the term."""
    due = ctx.term.last_day + dt.timedelta(days=ctx.policy.summary_days.at(ctx.on))
    if ctx.on <= due:
        return
    if any(s.term_id == ctx.term.id and s.filed_on <= ctx.on for s in ctx.records.summaries):
        return
    yield ctx.finding(
        "SUMMARY_NOT_FILED",
        E,
        Subject("school", ctx.school_id),
        Message(
            "SUMMARY_NOT_FILED",
            N_("The work summary of term {term} was due on {due} and is not filed."),
            {"term": ctx.term.id, "due": due.isoformat()},
        ),
        Message("SUMMARY_NOT_FILED_FIX", N_("Write and file the term work summary.")),
    )


def check_aid(ctx: CheckContext) -> Iterator[Finding]:
    """Aid decisions whose evidence is missing."""
    for cid, decisions in sorted(ctx.aid_decisions.items()):
        child = ctx.children.get(cid)
        if child is None:
            continue
        for d in decisions:
            missing = [s.scheme for s in d.schemes if s.missing_evidence]
            if missing:
                yield ctx.about_child(
                    child,
                    "AID_MISSING_EVIDENCE",
                    W,
                    N_("The aid decision of {date} lacks evidence for: {schemes}."),
                    N_("Collect the missing evidence and assess again."),
                    date=d.on.isoformat(),
                    schemes=", ".join(missing),
                )


#: The built-in checks, in the order they run.
BUILTIN_CHECKS: Final[tuple[Check, ...]] = (
    Check("archive", N_("Archive (survey form)"), check_archive, "2016 national survey form"),
    Check("contact_card", N_("Contact card"), check_contact_card, _SRC_LB),
    Check("guardianship", N_("Guardianship"), check_guardianship, _SRC_MPL + " art. 21-23"),
    Check("consent", N_("Guardian's consent"), check_consent, _SRC_PIPL),
    Check("pairing", N_("Pairing and growth diary"), check_pairing, _SRC_MPL + " art. 62"),
    Check("pledges", N_("Safety pledges"), check_pledges, "the seed's schools"),
    Check("health", N_("Health"), check_health, _SRC_LOCAL),
    Check("incidents", N_("Incidents"), check_incidents, _SRC_MPL + " art. 11"),
    Check("summary", N_("Term work summary"), check_summary, "the seed's schools"),
    Check("aid", N_("Aid decisions"), check_aid, "教财〔2018〕16号"),
    Check(
        "guardian_training",
        N_("Guardian training"),
        check_guardian_training,
        "the seed's schools (委托监护人培训); " + _SRC_LOCAL,
    ),
    Check(
        "emergency_chain",
        N_("Emergency contact chain"),
        check_emergency_chain,
        "the seed's schools (应急机制); 国发〔2016〕13号",
    ),
    Check(
        "leading_group",
        N_("Leading group"),
        check_leading_group,
        "the seed's schools: a leading group headed by the principal",
    ),
    Check(
        "work_plan",
        N_("Work plan and its measures"),
        check_work_plan,
        "the seed's schools: a work plan per term, measures owned by named people (目标责任制)",
    ),
)


def collect_checks(pm: pluggy.PluginManager | None = None) -> tuple[Check, ...]:
    """The built-in checks and those plugins contribute through ``liushou_checks``.

    :raises CheckError: a contribution is not a :class:`Check`, or two share a code.
    """
    extra: Sequence[Any] = plugins.contributions(pm, "liushou_checks") if pm is not None else ()
    out = list(BUILTIN_CHECKS)
    codes = {c.code for c in out}
    for item in extra:
        if not isinstance(item, Check):
            raise CheckError(
                f"a liushou_checks plugin returned {item!r}; "
                "return liushou_core.checks.Check objects"
            )
        if item.code in codes:
            raise CheckError(f"two checks have the code {item.code!r}; give each its own code")
        codes.add(item.code)
        out.append(item)
    return tuple(out)


def _failed(ctx: CheckContext, check: Check, exc: Exception) -> Finding:
    return ctx.finding(
        "CHECK_FAILED",
        Severity.ERROR,
        Subject("school", ctx.school_id),
        Message(
            "CHECK_FAILED",
            N_("The check {check} failed ({error}); its findings are missing."),
            {"check": check.code, "error": mask_text(f"{type(exc).__name__}: {exc}")[:200]},
        ),
        Message("CHECK_FAILED_FIX", N_("Tell whoever maintains the check; the others ran.")),
    )


def _order(f: Finding) -> tuple[str, str, str, str]:
    return (f.school_id, f.subject.kind, f.subject.id, f.code)


def run_checks(
    records: SchoolRecords,
    *,
    on: dt.date,
    policy: CheckPolicy = DEFAULT_CHECK_POLICY,
    pm: pluggy.PluginManager | None = None,
    checks: Sequence[Check] | None = None,
) -> list[Finding]:
    """Every check over one school's records on ``on``, with the cadence findings given.

    :param pm: a plugin manager whose ``liushou_checks`` contributions run too
        (:func:`liushou_core.plugins.plugin_manager`); ``None``: built-ins only.
    :param checks: run exactly these checks instead (``pm`` is then ignored).
    :returns: findings ordered by subject kind, subject id and code.
    """
    ctx = CheckContext(records, on, policy)
    found: list[Finding] = []
    for check in checks if checks is not None else collect_checks(pm):
        try:
            found.extend(check.run(ctx))
        except Exception as exc:
            found.append(_failed(ctx, check, exc))
    found.extend(f for f in records.cadence_findings if f.school_id == ctx.school_id)
    found.sort(key=_order)
    return found
