"""Mentor pairs (结对帮扶) per term."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_
from liushou_core.models.common import not_before

__all__ = ["MentorKind", "Pairing"]


class MentorKind(StrEnum):
    TEACHER = N_("teacher")
    VOLUNTEER = N_("volunteer")


@attrs.define
class Pairing:
    """A mentor (teacher or volunteer proxy parent) caring for a child in a term."""

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    term_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    mentor_id: str = attrs.field(converter=v.name)
    mentor_kind: MentorKind = MentorKind.TEACHER
    start: dt.date | None = None
    end: dt.date | None = attrs.field(default=None, validator=not_before("start"))
    version: int = 0
