"""The household: difficulty categories, income source and assistance received."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_
from liushou_core.models.common import not_before

__all__ = [
    "Assistance",
    "DifficultyLevel",
    "Evidence",
    "EvidenceKind",
    "Household",
    "HouseholdCategory",
]


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


class EvidenceKind(StrEnum):
    """Documents that prove a ground of difficulty, kept on file by the school."""

    POVERTY_REGISTRATION = N_("poverty registration record")  # 建档立卡证明
    DIBAO_CERTIFICATE = N_("minimum living allowance certificate")  # 低保证明
    TEKUN_CERTIFICATE = N_("destitute support certificate")  # 特困供养证明
    ORPHAN_CERTIFICATE = N_("orphan certificate")  # 孤儿证明
    DISABILITY_CERTIFICATE = N_("disability certificate")  # 残疾人证
    MARTYR_CERTIFICATE = N_("martyr's family certificate")  # 烈士证明
    HARDSHIP_STATEMENT = N_("statement of the hardship")  # 情况说明
    APPLICATION_FORM = N_("application form")  # 认定申请表


@attrs.frozen
class Evidence:
    """A document on file: its kind, when it was received, until when it is valid."""

    kind: EvidenceKind
    received_on: dt.date
    valid_until: dt.date | None = attrs.field(default=None, validator=not_before("received_on"))

    def valid_on(self, on: dt.date) -> bool:
        """Whether the document is on file and still valid on ``on``."""
        return self.received_on <= on and (self.valid_until is None or on <= self.valid_until)


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
    #: Documents on file that prove the grounds of difficulty (see :mod:`liushou_core.aid`).
    evidence: tuple[Evidence, ...] = ()
    version: int = 0

    def evidence_on(self, kind: EvidenceKind, on: dt.date) -> Evidence | None:
        """A valid document of ``kind`` on file on ``on``, if any."""
        for e in self.evidence:
            if e.kind is kind and e.valid_on(on):
                return e
        return None
