"""The school aggregate: the school, its classes, terms, teachers and volunteers."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_, Message
from liushou_core.models.common import Sex
from liushou_core.validate import (
    FieldProblem,
    name,
)

__all__ = [
    "RecordCheck",
    "School",
    "SchoolClass",
    "Semester",
    "StaffRole",
    "Teacher",
    "Term",
    "Volunteer",
    "VolunteerKind",
]


def _county_code(value: Any) -> str:
    s = name(value)
    if len(s) != 6 or not s.isdigit():
        raise FieldProblem(Message("COUNTY_CODE", N_("a county code has 6 digits (GB/T 2260)")))
    return s


@attrs.define
class School:
    """A school, keyed by ``id``; ``county_code`` is its GB/T 2260 county."""

    id: str = attrs.field(converter=v.name)
    name: str = attrs.field(converter=v.name)
    county_code: str = attrs.field(converter=_county_code)
    township: str = attrs.field(default="", converter=v.text)
    boarding: bool = False
    principal_id: str | None = attrs.field(default=None, converter=v.optional_name)
    version: int = 0


def _grade_no(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= 12:
        raise FieldProblem(Message("GRADE", N_("a grade is a whole number from 1 to 12")))
    return value


@attrs.define
class SchoolClass:
    """A class (班级) of a school: grade 1-6 primary, 7-9 junior secondary."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    grade: int = attrs.field(converter=_grade_no)
    name: str = attrs.field(converter=v.name)
    class_teacher_id: str | None = attrs.field(default=None, converter=v.optional_name)
    version: int = 0


class Semester(StrEnum):
    AUTUMN = N_("autumn")
    SPRING = N_("spring")


@attrs.frozen
class Term:
    """A school term: the school year it belongs to (by its starting year), the
    semester and its first and last day (inclusive)."""

    school_year: int
    semester: Semester
    first_day: dt.date
    last_day: dt.date

    def __attrs_post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise FieldProblem(
                Message("TERM_DAYS", N_("a term's last day comes before its first day")),
                field="last_day",
            )

    @property
    def id(self) -> str:
        """A stable key such as ``2026-autumn``."""
        return f"{self.school_year}-{self.semester.value}"

    def covers(self, on: dt.date) -> bool:
        return self.first_day <= on <= self.last_day


class StaffRole(StrEnum):
    PRINCIPAL = N_("principal")
    CLASS_TEACHER = N_("class teacher")
    SUBJECT_TEACHER = N_("subject teacher")
    PSYCHOLOGIST = N_("school psychologist")
    HEALTH_OFFICER = N_("health officer")


@attrs.define
class Teacher:
    """A member of staff who may mentor children (帮扶教师)."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    name: str = attrs.field(converter=v.name)
    sex: Sex
    phone: str | None = attrs.field(default=None, converter=v.optional_phone)
    id_number: str | None = attrs.field(default=None, converter=v.optional_resident_id)
    roles: tuple[StaffRole, ...] = (StaffRole.SUBJECT_TEACHER,)
    class_ids: tuple[str, ...] = ()
    village: str = attrs.field(default="", converter=v.text)
    related_child_ids: tuple[str, ...] = ()
    active: bool = True
    version: int = 0


class VolunteerKind(StrEnum):
    CARE_COMMITTEE = N_("care committee member")  # 关工委
    RESIDENTS_COMMITTEE = N_("residents' committee member")  # 居委会
    RETIRED_TEACHER = N_("retired teacher")  # 退休教师
    OTHER = N_("other volunteer")


@attrs.frozen
class RecordCheck:
    """The criminal-record check of art. 62 (未成年人保护法) before contact with minors."""

    checked_on: dt.date
    cleared: bool


@attrs.define
class Volunteer:
    """A volunteer who may act as proxy parent (代理家长)."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    name: str = attrs.field(converter=v.name)
    sex: Sex
    kind: VolunteerKind = VolunteerKind.OTHER
    phone: str | None = attrs.field(default=None, converter=v.optional_phone)
    id_number: str | None = attrs.field(default=None, converter=v.optional_resident_id)
    village: str = attrs.field(default="", converter=v.text)
    record_check: RecordCheck | None = None
    related_child_ids: tuple[str, ...] = ()
    active: bool = True
    version: int = 0
