"""Masking of ID and phone numbers: shapes, free text, and the reprs of models."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_core import validate as v
from liushou_core.convert import unstructure
from liushou_core.masking import mask_id, mask_phone, mask_text
from liushou_core.models import (
    Child,
    Contact,
    Guardian,
    Parent,
    Relationship,
    Sex,
    Teacher,
    Volunteer,
)
from liushou_core.testing import strategies as lst

ID = "11010519491231002X"
FULL_WIDTH = str.maketrans("0123456789X+-", "０１２３４５６７８９Ｘ＋－")


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (ID, "110105********002X"),
        (ID.lower(), "110105********002x"),
        (ID.translate(FULL_WIDTH), "110105********002X"),
        (f" {ID} ", "110105********002X"),
        ("430121201503010128", "430121********0128"),
        ("1101051949123", "************3"),  # malformed: all but the last character
        ("12345", "****5"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("+8613812341234", "138****1234"),
        ("13812341234".translate(FULL_WIDTH), "138****1234"),
        ("0731-84561234", "0731-****1234"),
        ("073184561234", "0731-****1234"),
        ("010-12345678", "010-****5678"),
        ("01012345678", "010-****5678"),
        ("0851-8456123", "0851-****6123"),
        ("123456", "**3456"),
        ("12", "**"),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


@given(lst.resident_ids())
def test_mask_id_keeps_first_six_and_last_four(number: str) -> None:
    masked = mask_id(number)
    assert masked == number[:6] + "********" + number[-4:]
    assert mask_id(masked) == masked  # masking twice changes nothing


@given(lst.mobile_phones())
def test_mask_mobile_keeps_first_three_and_last_four(number: str) -> None:
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


@given(lst.landline_phones())
def test_mask_landline_keeps_area_and_last_four(number: str) -> None:
    area = number.split("-")[0]
    assert mask_phone(number) == f"{area}-****{number[-4:]}"


# --------------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"身份证{ID}。", "身份证110105********002X。"),
        (f"ID: {ID.lower()}", "ID: 110105********002x"),
        (f"学籍号G{ID}", "学籍号G110105********002X"),
        (f"ID{ID}", "ID110105********002X"),
        (f"id={ID}&name=x", "id=110105********002X&name=x"),
        (f"{ID}abc", "110105********002Xabc"),
        ("电话13812341234，", "电话138****1234，"),
        ("call +86 138 1234 1234 now", "call 138****1234 now"),
        ("座机0731-84561234", "座机0731-****1234"),
        ("座机(0731)84561234", "座机0731-****1234"),
        ("座机0731 8456 1234", "座机0731-****1234"),
        ("手机138\u30001234\u30001234", "手机138****1234"),
        ("2024-03-01，补助1250元，编号c-00042", "2024-03-01，补助1250元，编号c-00042"),
        ("", ""),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def _phone_formats(number: str) -> list[str]:
    """Ways of writing a normalised phone number that ``validate.phone`` accepts."""
    if "-" in number:  # landline: area-local
        area, local = number.split("-")
        return [
            number,
            area + local,
            f"{area} {local[:-4]} {local[-4:]}",
            f"({area}){local}",
            f"（{area}）{local}",
            f"{area}-{local[:-4]}-{local[-4:]}",
            number.translate(FULL_WIDTH),
        ]
    return [
        number,
        f"{number[:3]} {number[3:7]} {number[7:]}",
        f"{number[:3]}-{number[3:7]}-{number[7:]}",
        f"+86 {number}",
        f"+86{number}",
        f"{number[:3]}\u3000{number[3:7]}\u3000{number[7:]}",
        number.translate(FULL_WIDTH),
    ]


_SURROUNDINGS = st.text(st.sampled_from("电话联系人是：，。的 abc"), max_size=6)


@given(number=lst.phones(), before=_SURROUNDINGS, after=_SURROUNDINGS)
def test_every_accepted_phone_format_is_masked_in_text(
    number: str, before: str, after: str
) -> None:
    for written in _phone_formats(number):
        assert v.phone(written) == number  # the format is one we accept
        out = mask_text(before + written + after)
        assert number.replace("-", "") not in re.sub(r"\D", "", out), (written, out)
        assert number[-4:] in out


@given(number=lst.resident_ids(), before=_SURROUNDINGS, after=_SURROUNDINGS)
def test_id_numbers_are_masked_in_text(number: str, before: str, after: str) -> None:
    out = mask_text(before + number + after)
    assert number not in out
    assert mask_id(number) in out
    assert mask_text(out) == out


# --------------------------------------------------------------------------- reprs


def _numbers_in(record: Any) -> list[str]:
    """Every ID, phone and student number in the record's plain data."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("id_number", "phone", "student_number") and item:
                    found.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(unstructure(record))
    return found


@pytest.mark.parametrize(
    "cls", [Child, Parent, Guardian, Contact, Teacher, Volunteer], ids=lambda c: c.__name__
)
@given(data=st.data())
def test_reprs_of_models_are_masked(cls: type, data: st.DataObject) -> None:
    record = data.draw(lst.from_model(cls))
    text = repr(record)
    for number in _numbers_in(record):
        assert str(number) not in text
    assert not re.search(r"\d{11,}", text)


def test_repr_of_a_child_shows_masked_numbers() -> None:
    child = Child(
        id="c-1",
        school_id="s-1",
        name="李梓涵",
        sex=Sex.FEMALE,
        birth_date=v.resident_id_birth_date(ID),
        id_number=ID,
        student_number="G" + ID,
        guardians=(
            Guardian(
                name="王桂英", relationship=Relationship.PATERNAL_GRANDMOTHER, phone="13812341234"
            ),
        ),
        emergency_contacts=(Contact(name="李强", phone="0731-84561234"),),
    )
    text = repr(child)
    assert "id_number='110105********002X'" in text
    assert "student_number='G110105********002X'" in text
    assert "phone='138****1234'" in text
    assert "phone='0731-****1234'" in text
    assert ID not in text
    # The values themselves are not masked: only their repr is.
    assert child.id_number == ID
    assert f"{child.id_number}" == ID
    assert str(child.guardians[0].phone) == "13812341234"


def test_validated_numbers_have_masked_reprs() -> None:
    assert repr(v.resident_id(ID)) == "'110105********002X'"
    assert repr(v.phone("13812341234")) == "'138****1234'"
    assert repr(v.student_number("G" + ID)) == "'G110105********002X'"
    assert repr(v.student_number("L123456789012345678")) == "'L123456********5678'"
    assert repr([v.phone("0731-84561234")]) == "['0731-****1234']"
