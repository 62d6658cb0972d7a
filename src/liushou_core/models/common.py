"""Enumerations and small values shared by the aggregates.

Every enumeration's value is its English key; its Chinese and English labels
come from the message catalogue (:func:`label`).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum, StrEnum
from typing import Any

import attrs

from liushou_core import validate as v
from liushou_core.i18n import DEFAULT_LANG, N_, Message, catalogue
from liushou_core.validate import FieldProblem

__all__ = [
    "Address",
    "Contact",
    "Period",
    "Sex",
    "label",
    "not_before",
]


class Sex(StrEnum):
    """Sex as recorded on the survey form."""

    MALE = N_("male")
    FEMALE = N_("female")


def label(value: Enum, lang: str = DEFAULT_LANG) -> str:
    """The label of an enumeration member in ``lang`` (``zh`` or ``en``)."""
    return catalogue(lang).gettext(str(value.value))


def not_before(start_field: str) -> Any:
    """An attrs validator: the (optional) end date is not before ``start_field``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: dt.date | None) -> None:
        start = getattr(instance, start_field)
        if value is not None and start is not None and value < start:
            raise FieldProblem(
                Message(
                    "END_BEFORE_START",
                    N_("{end} ends before it starts ({start})"),
                    {"end": value.isoformat(), "start": start.isoformat()},
                ),
                field=attribute.name,
            )

    check.start_field = start_field  # type: ignore[attr-defined]  # lets the fast path inline it
    return check


@attrs.frozen
class Period:
    """A span of dates, both ends inclusive; ``end=None`` means still going on."""

    start: dt.date
    end: dt.date | None = attrs.field(default=None, validator=not_before("start"))

    def covers(self, on: dt.date) -> bool:
        """Whether ``on`` lies in the period."""
        return self.start <= on and (self.end is None or on <= self.end)


@attrs.frozen
class Address:
    """A postal address down to the village (村) and its detail."""

    province: str = attrs.field(default="", converter=v.text)
    city: str = attrs.field(default="", converter=v.text)
    county: str = attrs.field(default="", converter=v.text)
    township: str = attrs.field(default="", converter=v.text)
    village: str = attrs.field(default="", converter=v.text)
    detail: str = attrs.field(default="", converter=v.text)

    def __str__(self) -> str:
        return "".join(
            (self.province, self.city, self.county, self.township, self.village, self.detail)
        )


@attrs.frozen
class Contact:
    """A reachable person: name, phone and how they relate to the child."""

    name: str = attrs.field(converter=v.name)
    phone: str | None = attrs.field(default=None, converter=v.optional_phone)
    relationship: str = attrs.field(default="", converter=v.text)
