"""Masking of resident ID numbers and phone numbers.

Common practice (no binding digit count exists): an ID number keeps its first 6
and last 4 characters (the birth date is hidden), a mobile number keeps its
first 3 and last 4 (``138****1234``), a landline keeps its area code and last 4.
"""

from __future__ import annotations

import re

__all__ = ["mask_id", "mask_phone", "mask_text"]

_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ＋－", "0123456789Xx+-")

# Letters next to an ID number do not shield it: "ID110105...", a student number's
# "G110105...", "...002Xa" are all masked.
_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
# Separators as validate.phone accepts them: hyphens, any space (U+3000 too), brackets.
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?(1[3-9]\d)[-\s]?\d{4}[-\s]?(\d{4})(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)[(（]?(0\d{2,3})[)）]?[-\s]?\d{3,4}[-\s]?(\d{4})(?!\d)")


def mask_id(number: str) -> str:
    """Mask a resident ID number: ``110105********002X``.

    Anything that is not 18 characters long is masked whole but for its last
    character, so that a malformed number never leaks in full.
    """
    n = number.translate(_FULLWIDTH).strip()
    if len(n) == 18:
        return n[:6] + "*" * 8 + n[-4:]
    if len(n) <= 4:
        return "*" * len(n)
    return "*" * (len(n) - 1) + n[-1]


def mask_phone(number: str) -> str:
    """Mask a phone number: ``138****1234`` (mobile) or ``0731-****5678`` (landline)."""
    n = number.translate(_FULLWIDTH).strip()
    digits = re.sub(r"\D", "", n)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        area = n.split("-", 1)[0] if "-" in n else digits[: 4 if digits[1] not in "12" else 3]
        return area + "-****" + digits[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_text(text: str) -> str:
    """Mask every ID number and phone number found in free text."""
    t = text.translate(_FULLWIDTH)
    t = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), t)
    t = _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(2), t)
    return _LANDLINE_RE.sub(lambda m: m.group(1) + "-****" + m.group(2), t)
