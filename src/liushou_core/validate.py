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
from typing import Any, Final
from unicodedata import is_normalized as _is_normalized

from stdnum import exceptions as _stdnum_exc
from stdnum.cn import ric

from liushou_core.i18n import N_, Message
from liushou_core.masking import mask_id, mask_phone

__all__ = [
    "MAX_MINUTES",
    "MAX_PARTICIPANTS",
    "FieldProblem",
    "Phone",
    "ResidentId",
    "StudentNumber",
    "digits",
    "name",
    "optional_minutes",
    "optional_name",
    "optional_phone",
    "optional_resident_id",
    "optional_student_number",
    "participants",
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


class StudentNumber(str):
    """A validated national student number. Its ``repr`` is masked (a ``G`` number
    holds the pupil's ID number)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(self[:1] + mask_id(self[1:]))


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
    except (_stdnum_exc.ValidationError, KeyError):
        # stdnum raises KeyError('county') when the province is known but the
        # county is not (110001, 430199, ...): unknown all the same.
        return False
    return True


@lru_cache(maxsize=65536)
def _birth(yyyymmdd: str) -> _dt.date | None:
    try:
        return _dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None


def resident_id(value: Any) -> ResidentId:
    """Validate and normalise a resident ID number (checksum, birth date, area code).

    The same number recurs within a record (a parent who is also the guardian,
    the ID inside a ``G`` student number) and across siblings: valid numbers
    are remembered in a small cache.
    """
    if type(value) is ResidentId:
        return value
    if type(value) is str:
        return _resident_id_cached(value)
    return _resident_id(value)


@lru_cache(maxsize=4096)
def _resident_id_cached(value: str) -> ResidentId:
    return _resident_id(value)


def _resident_id(value: Any) -> ResidentId:
    if type(value) is str and len(value) == 18 and value.isascii() and value[:17].isdigit():
        n = value.upper()
    else:
        n = digits(_require_str(value)).upper()
        if len(n) != 18 or not n.isascii() or not n[:17].isdigit():
            n = ric.compact(n)
    if len(n) != 18:
        raise FieldProblem(
            Message(
                "ID_LENGTH",
                N_("not a resident ID number: it has {count} characters, not 18"),
                {"count": len(n)},
            )
        )
    if not (n.isascii() and n[:17].isdigit()) or not (n[17].isdigit() or n[17] == "X"):
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
    birth = _birth(n[6:14])
    if birth is None:
        raise FieldProblem(
            Message(
                "ID_BIRTH_DATE",
                N_("resident ID number {id} holds no valid birth date"),
                {"id": mask_id(n)},
            )
        )
    year = birth.year
    if not _area_known(n[:6], year):  # cached per (area, year)
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
    birth = _birth(number[6:14])
    if birth is None:
        raise ValueError(f"no valid birth date in {mask_id(number)}")
    return birth


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
    if (
        type(value) is str
        and len(value) == 11
        and value.isascii()
        and value.isdigit()
        and value[0] == "1"
        and value[1] in "3456789"
    ):
        return Phone(value)
    raw = digits(_require_str(value))
    if len(raw) == 11 and raw.isascii() and raw.isdigit() and _MOBILE.fullmatch(raw):
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
    s: str = value if type(value) is str else _require_str(value)
    if s.isascii() or _is_normalized("NFC", s):
        return s.strip()
    return unicodedata.normalize("NFC", s).strip()


def name(value: Any) -> str:
    """A person's or place's name: NFC, stripped, non-empty, no control characters."""
    s = text(value)
    if not s:
        raise FieldProblem(Message("NAME_EMPTY", N_("a name is required")))
    if not s.isprintable() and any(unicodedata.category(ch)[0] == "C" for ch in s):
        raise FieldProblem(Message("NAME_CONTROL", N_("a name must not hold control characters")))
    return s


#: The most minutes a contact can last (a day).
MAX_MINUTES: Final = 24 * 60
#: The most children one activity can count (far above any school).
MAX_PARTICIPANTS: Final = 100_000


def optional_minutes(value: Any) -> int | None:
    """How long a contact lasted: ``None``, or a whole number of minutes up to a day."""
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_MINUTES:
        raise FieldProblem(
            Message(
                "MINUTES", N_("minutes are a whole number from 0 to {most}"), {"most": MAX_MINUTES}
            )
        )
    return value


def participants(value: Any) -> int:
    """How many children took part: a whole number from 0."""
    if type(value) is not int or not 0 <= value <= MAX_PARTICIPANTS:
        raise FieldProblem(
            Message(
                "PARTICIPANTS",
                N_("the number taking part is a whole number from 0 to {most}"),
                {"most": MAX_PARTICIPANTS},
            )
        )
    return value


def optional_name(value: Any) -> str | None:
    """Like :func:`name`, but ``None`` and blank text mean no name."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return name(value)


def student_number(value: Any) -> StudentNumber:
    """A national student number (学籍号): ``G`` + a valid ID number, or ``L``/``J`` + 18.

    ``G`` marks a formal number built on the pupil's ID number (checked in
    full); ``L`` a temporary one and ``J`` one made where no usable ID exists
    (18 characters, digits and a final digit or X).
    """
    if type(value) is StudentNumber:
        return value
    s = digits(_require_str(value)).upper()
    if len(s) == 19 and s[0] == "G":
        return StudentNumber("G" + resident_id(s[1:]))
    if (
        len(s) == 19
        and s.isascii()
        and s[0] in "LJ"
        and s[1:18].isdigit()
        and (s[18].isdigit() or s[18] == "X")
    ):
        return StudentNumber(s)
    raise FieldProblem(
        Message(
            "STUDENT_NUMBER",
            N_("not a national student number: G, L or J and 18 characters are expected"),
        )
    )


def optional_student_number(value: Any) -> StudentNumber | None:
    """Like :func:`student_number`, but ``None`` and blank text mean no number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return student_number(value)
