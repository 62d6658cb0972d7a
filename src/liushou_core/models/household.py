"""The household: difficulty categories, income source and assistance received."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_

__all__ = ["Assistance", "DifficultyLevel", "Household", "HouseholdCategory"]


class HouseholdCategory(StrEnum):
    """Grounds of financial difficulty (教财〔2018〕16号 and the survey form)."""

    REGISTERED_POOR = N_("registered poor household")  # 建档立卡
    DIBAO = N_("minimum living allowance")  # 低保
    TEKUN = N_("destitute support")  # 特困供养
    ORPHAN = N_("orphan")  # 孤儿
    DISABLED = N_("disabled in difficulty")  # 残疾: disabled pupil or parent
    MARTYR = N_("martyr's child")  # 烈士子女
    SUDDEN_HARDSHIP = N_("sudden hardship")  # 突发变故
    OTHER = N_("other difficulty")


class Assistance(StrEnum):
    """Assistance a household receives (survey form)."""

    DIBAO = N_("minimum living allowance")  # 低保
    TEMPORARY_RELIEF = N_("temporary relief")  # 临时救助
    MEDICAL_RELIEF = N_("medical relief")  # 医疗救助
    HOUSING_RELIEF = N_("housing relief")  # 住房救助
    EDUCATION_AID = N_("education aid")  # 教育资助
    OTHER = N_("other assistance")


class DifficultyLevel(StrEnum):
    """Levels of financial difficulty; their criteria are set locally."""

    SPECIAL = N_("special difficulty")  # 特别困难
    DIFFICULT = N_("difficulty")  # 困难
    GENERAL = N_("general difficulty")  # 一般困难


@attrs.define
class Household:
    """A family household; siblings share one."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    categories: tuple[HouseholdCategory, ...] = ()
    income_source: str = attrs.field(default="", converter=v.text)
    assistance: tuple[Assistance, ...] = ()
    difficulty_level: DifficultyLevel | None = None
    identified_on: dt.date | None = None
    version: int = 0
