"""Field validators that normalise as they check.

Each function takes raw input and returns the canonical value, or raises
:class:`FieldProblem` (a :class:`ValueError`) carrying a translatable
:class:`~liushou_core.i18n.Message`. They are used as attrs converters, so a
model validates itself whether it is built by hand or by the converter.

Resident ID numbers (GB 11643-1999) are checked with python-stdnum's
``stdnum.cn.ric``: its check digit, its birth date and its area code (known for
the birth year). The area look-up is cached per (area, year), which keeps
validation fast enough for province-scale imports.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from functools import lru_cache
from typing import Any

from stdnum import exceptions as _stdnum_exc
from stdnum.cn import ric

from liushou_core.i18n import N_, Message
from liushou_core.masking import mask_id, mask_phone

__all__ = [
    "FieldProblem",
    "Phone",
    "ResidentId",
    "digits",
    "name",
    "optional_name",
    "optional_phone",
    "optional_resident_id",
    "optional_student_number",
    "phone",
    "resident_id",
    "resident_id_birth_date",
    "resident_id_is_male",
    "student_number",
    "text",
]


class FieldProblem(ValueError):
    """A value that a field refuses. ``message`` is translatable; ``str()`` is English."""

    def __init__(self, message: Message, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message.render("en"))


class ResidentId(str):
    """A validated 18-character resident ID number. Its ``repr`` is masked."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(mask_id(self))


class Phone(str):
    """A validated mainland phone number (mobile or landline). Its ``repr`` is masked."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(mask_phone(self))


def digits(value: str) -> str:
    """NFKC-normalise ``value`` (full-width digits become ASCII) and strip it."""
    if value.isascii():
        return value.strip()
    return unicodedata.normalize("NFKC", value).strip()


def _require_str(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldProblem(
            Message("NOT_TEXT", N_("expected text, got {kind}"), {"kind": type(value).__name__})
        )
    return value


@lru_cache(maxsize=65536)
def _area_known(area: str, year: int) -> bool:
    try:
        ric.get_birth_place(f"{area}{year:04d}01010000")
    except _stdnum_exc.ValidationError:
        return False
    return True


def resident_id(value: Any) -> ResidentId:
    """Validate and normalise a resident ID number (checksum, birth date, area code)."""
    if type(value) is ResidentId:
        return value
    raw = _require_str(value)
    n = digits(raw).upper()
    if len(n) != 18 or not n[:17].isdigit():
        n = ric.compact(n)
    if len(n) != 18:
        raise FieldProblem(
            Message(
                "ID_LENGTH",
                N_("not a resident ID number: it has {count} characters, not 18"),
                {"count": len(n)},
            )
        )
    if not (n[:17].isdigit() and n[:17].isascii()) or not (n[17].isdigit() or n[17] == "X"):
        raise FieldProblem(
            Message(
                "ID_FORMAT",
                N_("not a resident ID number: 17 digits and a digit or X are expected"),
            )
        )
    if n[17] != ric.calc_check_digit(n):
        raise FieldProblem(
            Message(
                "ID_CHECKSUM",
                N_("resident ID number {id} fails its check digit"),
                {"id": mask_id(n)},
            )
        )
    try:
        year = int(n[6:10])
        _dt.date(year, int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise FieldProblem(
            Message(
                "ID_BIRTH_DATE",
                N_("resident ID number {id} holds no valid birth date"),
                {"id": mask_id(n)},
            )
        ) from None
    if not _area_known(n[:6], year):
        raise FieldProblem(
            Message(
                "ID_AREA",
                N_("resident ID number {id} has area code {area}, unknown for its birth year"),
                {"id": mask_id(n), "area": n[:6]},
            )
        )
    return ResidentId(n)


def optional_resident_id(value: Any) -> ResidentId | None:
    """Like :func:`resident_id`, but ``None`` and blank text mean no number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return resident_id(value)


def resident_id_birth_date(number: str) -> _dt.date:
    """The birth date a valid resident ID number carries."""
    return _dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def resident_id_is_male(number: str) -> bool:
    """Whether the sequence code (odd for men) of a valid ID number says male."""
    return int(number[16]) % 2 == 1


_PHONE_SEP = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")


def phone(value: Any) -> Phone:
    """Validate a mainland mobile (11 digits, 13x-19x) or landline number.

    A leading ``+86``/``0086`` is dropped; landlines come back as
    ``area-number`` (``0731-84561234``).
    """
    if type(value) is Phone:
        return value
    raw = digits(_require_str(value))
    if len(raw) == 11 and raw.isdigit() and _MOBILE.fullmatch(raw):
        return Phone(raw)
    n = _PHONE_SEP.sub("", raw)
    if n.startswith("+86"):
        n = n[3:]
    elif n.startswith("0086"):
        n = n[4:]
    if n.isascii() and _MOBILE.fullmatch(n):
        return Phone(n)
    if n.isascii() and _LANDLINE.fullmatch(n):
        if "-" in raw and raw.index("-") in (3, 4) and raw.startswith("0"):
            area = raw[: raw.index("-")]
        else:
            area = n[:3] if n[1] in "12" else n[:4]
        rest = n[len(area) :]
        if 7 <= len(rest) <= 8:
            return Phone(f"{area}-{rest}")
    raise FieldProblem(
        Message("PHONE", N_("not a mainland phone number: {phone}"), {"phone": mask_phone(raw)})
    )


def optional_phone(value: Any) -> Phone | None:
    """Like :func:`phone`, but ``None`` and blank text mean no number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return phone(value)


def text(value: Any) -> str:
    """Free text: NFC-normalised and stripped (may be empty)."""
    s = _require_str(value)
    if not s.isascii() and not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    return s.strip()


def name(value: Any) -> str:
    """A person's or place's name: NFC, stripped, non-empty, no control characters."""
    s = text(value)
    if not s:
        raise FieldProblem(Message("NAME_EMPTY", N_("a name is required")))
    if not s.isprintable():
        raise FieldProblem(Message("NAME_CONTROL", N_("a name must not hold control characters")))
    return s


def optional_name(value: Any) -> str | None:
    """Like :func:`name`, but ``None`` and blank text mean no name."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return name(value)


def student_number(value: Any) -> str:
    """A national student number (学籍号): ``G`` + a valid ID number, or ``L``/``J`` + 18.

    ``G`` marks a formal number built on the pupil's ID number (checked in
    full); ``L`` a temporary one and ``J`` one made where no usable ID exists
    (18 characters, digits and a final digit or X).
    """
    s = digits(_require_str(value)).upper()
    if len(s) == 19 and s[0] == "G":
        return "G" + resident_id(s[1:])
    if len(s) == 19 and s[0] in "LJ" and s[1:18].isdigit() and (s[18].isdigit() or s[18] == "X"):
        return s
    raise FieldProblem(
        Message(
            "STUDENT_NUMBER",
            N_("not a national student number: G, L or J and 18 characters are expected"),
        )
    )


def optional_student_number(value: Any) -> str | None:
    """Like :func:`student_number`, but ``None`` and blank text mean no number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return student_number(value)
