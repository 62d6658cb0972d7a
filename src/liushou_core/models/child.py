"""The child aggregate: the child, the family and the archive (档案).

Fields follow the 2016 national survey form (农村留守儿童基本情况登记表). A
parent's time away is a timeline of :class:`AwayPeriod` entries, and a parent's
circumstances (illness, disability, custody, lost contact, death) a timeline of
:class:`ParentCondition` entries, so that the child's status on any date can be
derived (:func:`liushou_core.classify.classify`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_, Message
from liushou_core.models.common import Address, Contact, Sex, not_before
from liushou_core.validate import (
    FieldProblem,
    resident_id_birth_date,
)

__all__ = [
    "AwayPeriod",
    "CareAssessment",
    "Child",
    "ConditionKind",
    "Disability",
    "DisabilityType",
    "Disqualification",
    "Grandparent",
    "Guardian",
    "Health",
    "HealthStatus",
    "Hukou",
    "Parent",
    "ParentCondition",
    "ParentRole",
    "Relationship",
    "SchoolingStatus",
]


class ParentRole(StrEnum):
    FATHER = N_("father")
    MOTHER = N_("mother")


class Relationship(StrEnum):
    """How a guardian or contact is related to the child."""

    FATHER = N_("father")
    MOTHER = N_("mother")
    PATERNAL_GRANDFATHER = N_("paternal grandfather")
    PATERNAL_GRANDMOTHER = N_("paternal grandmother")
    MATERNAL_GRANDFATHER = N_("maternal grandfather")
    MATERNAL_GRANDMOTHER = N_("maternal grandmother")
    UNCLE = N_("uncle")
    AUNT = N_("aunt")
    SIBLING = N_("adult sibling")
    OTHER_RELATIVE = N_("other relative")
    NEIGHBOUR = N_("neighbour")
    OTHER = N_("other")


class CareAssessment(StrEnum):
    """The survey form's assessment of the care the child receives."""

    NONE = N_("no guardian")  # 无人监护
    PARENT_INCAPABLE = N_("parent at home without capacity")  # 父或母无监护能力
    INSUFFICIENT = N_("entrusted guardian of insufficient capacity")  # 委托监护人监护能力不足
    FAIR = N_("fair")  # 一般
    GOOD = N_("good")  # 较好


class Disqualification(StrEnum):
    """Grounds that disqualify an entrusted carer (未成年人保护法 art. 22)."""

    SEXUAL_ASSAULT = N_("record of sexual assault")
    ABUSE = N_("record of abuse")
    ABANDONMENT = N_("record of abandonment")
    TRAFFICKING = N_("record of trafficking")
    VIOLENCE = N_("record of violence")
    DRUG_ABUSE = N_("drug abuse")
    ALCOHOLISM = N_("alcoholism")
    GAMBLING = N_("gambling")
    NEGLECT = N_("refused or long neglected guardianship duties")
    OTHER = N_("other unsuitability")


class HealthStatus(StrEnum):
    HEALTHY = N_("healthy")
    DISABLED = N_("disabled")
    ILL = N_("ill")


class DisabilityType(StrEnum):
    """Disability types of the disability certificate (残疾人证)."""

    VISUAL = N_("visual")
    HEARING = N_("hearing")
    SPEECH = N_("speech")
    PHYSICAL = N_("physical")
    INTELLECTUAL = N_("intellectual")
    MENTAL = N_("mental")
    MULTIPLE = N_("multiple")


class SchoolingStatus(StrEnum):
    KINDERGARTEN = N_("kindergarten")
    PRIMARY = N_("primary school")
    JUNIOR_SECONDARY = N_("junior secondary school")
    SENIOR_SECONDARY = N_("senior secondary school")
    SECONDARY_VOCATIONAL = N_("secondary vocational school")
    DROPPED_OUT = N_("dropped out")
    NOT_IN_SCHOOL = N_("not in school")


class ConditionKind(StrEnum):
    """A parent's circumstance that bears on guardianship capacity."""

    SERIOUSLY_ILL = N_("seriously ill")  # 重病
    DISABLED = N_("disabled")  # 残疾 (severity decided by the rules from type and grade)
    IMPRISONED = N_("serving a sentence or in custody")  # 服刑在押
    COMPULSORY_REHAB = N_("in compulsory drug rehabilitation")  # 强制隔离戒毒
    RESTRICTED = N_("otherwise deprived of liberty")  # 其他限制人身自由
    LOST_CONTACT = N_("lost contact")  # 失联
    DECEASED = N_("deceased")  # 死亡
    MISSING = N_("declared missing")  # 宣告失踪
    GUARDIANSHIP_REVOKED = N_("guardianship revoked")  # 被撤销监护资格
    DEPORTED = N_("deported")  # 被遣送(驱逐)出境


def _grade(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 1 <= value <= 4:
        raise FieldProblem(Message("DISABILITY_GRADE", N_("a disability grade is 1, 2, 3 or 4")))
    return value


@attrs.frozen
class Disability:
    """A disability with its certificate type and grade (1 most severe, 4 least)."""

    type: DisabilityType
    grade: int = attrs.field(converter=_grade)


@attrs.frozen
class AwayPeriod:
    """A parent working away from home: where, from when, until when (inclusive).

    ``end=None`` means still away. A parent home for Spring Festival has two
    periods with a gap, and is at home on the days between them.
    """

    start: dt.date
    end: dt.date | None = attrs.field(default=None, validator=not_before("start"))
    province: str = attrs.field(default="", converter=v.text)
    city: str = attrs.field(default="", converter=v.text)

    def covers(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    @property
    def place(self) -> str:
        return self.province + self.city


@attrs.frozen
class ParentCondition:
    """A parent's circumstance over a span of dates (``end=None``: ongoing or unknown).

    For custody (``imprisoned``, ``compulsory_rehab``, ``restricted``) ``end``
    is the expected release date; for ``lost_contact``, ``start`` is the last
    contact. ``disability`` is required for ``disabled``.
    """

    kind: ConditionKind
    start: dt.date
    end: dt.date | None = attrs.field(default=None, validator=not_before("start"))
    disability: Disability | None = None
    note: str = attrs.field(default="", converter=v.text)

    def __attrs_post_init__(self) -> None:
        if self.kind is ConditionKind.DISABLED and self.disability is None:
            raise FieldProblem(
                Message(
                    "CONDITION_DISABILITY",
                    N_("a disability needs its type and grade"),
                ),
                field="disability",
            )

    def covers(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@attrs.frozen
class Parent:
    """A parent, with the timelines of work away and of circumstances."""

    role: ParentRole
    name: str = attrs.field(converter=v.name)
    birth_date: dt.date | None = None
    id_number: str | None = attrs.field(default=None, converter=v.optional_resident_id)
    phone: str | None = attrs.field(default=None, converter=v.optional_phone)
    away: tuple[AwayPeriod, ...] = ()
    conditions: tuple[ParentCondition, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_birth(self.birth_date, self.id_number)

    def away_on(self, on: dt.date) -> AwayPeriod | None:
        """The away period covering ``on``, if the parent is away that day."""
        for p in self.away:
            if p.covers(on):
                return p
        return None

    def conditions_on(self, on: dt.date) -> tuple[ParentCondition, ...]:
        """The circumstances in force on ``on``."""
        return tuple(c for c in self.conditions if c.covers(on))


@attrs.frozen
class Guardian:
    """The adult who actually cares for the child (often a grandparent).

    ``entrusted`` is true for a carer the parents entrusted (委托监护人): anyone
    who is not a parent; false for a parent acting as guardian. ``capacity`` is
    the survey's care assessment;
    ``disqualifications`` records grounds of art. 22 that bar an entrusted carer.
    """

    name: str = attrs.field(converter=v.name)
    relationship: Relationship
    entrusted: bool = True
    phone: str | None = attrs.field(default=None, converter=v.optional_phone)
    id_number: str | None = attrs.field(default=None, converter=v.optional_resident_id)
    birth_date: dt.date | None = None
    address: str = attrs.field(default="", converter=v.text)
    capacity: CareAssessment = CareAssessment.FAIR
    lives_with_child: bool = True
    phone_confirmed_on: dt.date | None = None
    disqualifications: tuple[Disqualification, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_birth(self.birth_date, self.id_number)


@attrs.frozen
class Grandparent:
    """A grandparent as the survey form lists them (name and birth date)."""

    relationship: Relationship
    name: str = attrs.field(converter=v.name)
    birth_date: dt.date | None = None


@attrs.frozen
class Hukou:
    """Household registration: whether registered, where, rural or not.

    ``local`` is true when the registration lies in the county where the child
    lives; a child living with parents away from a non-local registration is a
    migrant child (流动儿童).
    """

    registered: bool = True
    place: str = attrs.field(default="", converter=v.text)
    rural: bool = True
    local: bool = True


@attrs.frozen
class Health:
    """Health as recorded on the survey form."""

    status: HealthStatus = HealthStatus.HEALTHY
    disability: Disability | None = None
    illness: str = attrs.field(default="", converter=v.text)

    def __attrs_post_init__(self) -> None:
        if self.status is HealthStatus.DISABLED and self.disability is None:
            raise FieldProblem(
                Message("HEALTH_DISABILITY", N_("a disability needs its type and grade")),
                field="disability",
            )


def _check_birth(birth_date: dt.date | None, id_number: str | None) -> None:
    if birth_date is not None and id_number is not None:
        id_birth = resident_id_birth_date(id_number)
        if id_birth != birth_date:
            raise FieldProblem(
                Message(
                    "BIRTH_MISMATCH",
                    N_("birth date {birth} disagrees with the ID number, which says {id_birth}"),
                    {"birth": birth_date.isoformat(), "id_birth": id_birth.isoformat()},
                ),
                field="birth_date",
            )


@attrs.define
class Child:
    """A pupil of a school, with family, guardianship and archive fields.

    Entities carry ``id`` (unique within the school) and ``version`` (raised by
    the store on each update; a stale update raises ``ConflictError``).
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    name: str = attrs.field(converter=v.name)
    sex: Sex
    birth_date: dt.date
    class_id: str | None = attrs.field(default=None, converter=v.optional_name)
    id_number: str | None = attrs.field(default=None, converter=v.optional_resident_id)
    student_number: str | None = attrs.field(default=None, converter=v.optional_student_number)
    ethnicity: str = attrs.field(default="汉族", converter=v.text)
    hukou: Hukou = attrs.Factory(Hukou)
    address: Address = attrs.Factory(Address)
    health: Health = attrs.Factory(Health)
    boarding: bool = False
    schooling: SchoolingStatus = SchoolingStatus.PRIMARY
    household_id: str | None = attrs.field(default=None, converter=v.optional_name)
    parents: tuple[Parent, ...] = ()
    guardians: tuple[Guardian, ...] = ()
    grandparents: tuple[Grandparent, ...] = ()
    emergency_contacts: tuple[Contact, ...] = ()
    village_committee: Contact | None = None
    psychological_flag: bool = False
    behaviour_flag: bool = False
    enrolled_on: dt.date | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        _check_birth(self.birth_date, self.id_number)
        roles = [p.role for p in self.parents]
        if len(set(roles)) != len(roles):
            raise FieldProblem(
                Message("PARENT_TWICE", N_("each parent may be recorded only once")),
                field="parents",
            )

    def parent(self, role: ParentRole) -> Parent | None:
        """The father or the mother, if recorded."""
        for p in self.parents:
            if p.role is role:
                return p
        return None

    def age_on(self, on: dt.date) -> int:
        """Age in full years on ``on``; see :func:`liushou_core.classify.age_on`."""
        from liushou_core.classify import age_on

        return age_on(self.birth_date, on)
