"""Field validators: phones, names, resident ID numbers, student numbers."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from liushou_core import validate as v
from liushou_core.convert import structure
from liushou_core.errors import InvalidRecord
from liushou_core.models import Activity, ActivityKind, ContactEvent, ContactKind
from liushou_core.testing import strategies as lst
from liushou_core.validate import FieldProblem


def code_of(fn: object, value: object) -> str:
    with pytest.raises(FieldProblem) as info:
        fn(value)  # type: ignore[operator]
    return info.value.message.code


def make_id(area: str, born: str, sequence: int) -> str:
    body = f"{area}{born}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def ric_is_valid(number: str) -> bool:
    """``stdnum.cn.ric.is_valid``, less its KeyError for a known province's unknown county."""
    try:
        return ric.is_valid(number)
    except KeyError:
        return False


# --------------------------------------------------------------------------- digits


def test_digits_are_nfkc_normalised() -> None:
    assert v.digits("１２３４") == "1234"
    assert v.digits("  0731  ") == "0731"
    assert v.digits("１３８００１３８０００") == "13800138000"


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        (" 13800138000 ", "13800138000"),
        ("＋８６　１３８００１３８０００", "13800138000"),
        ("19912345678", "19912345678"),
        ("0731-84561234", "0731-84561234"),
        ("073184561234", "0731-84561234"),
        ("0731 8456 1234", "0731-84561234"),
        ("(0731)84561234", "0731-84561234"),
        ("（0731）84561234", "0731-84561234"),
        ("０７３１－８４５６１２３４", "0731-84561234"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("020 8765 4321", "020-87654321"),
        ("0851-8456123", "0851-8456123"),
        ("+86 0731 84561234", "0731-84561234"),
    ],
)
def test_phone_formats_are_accepted_and_normalised(raw: str, expected: str) -> None:
    got = v.phone(raw)
    assert got == expected
    assert type(got) is v.Phone
    assert v.phone(got) is got  # already validated: kept as it is


@pytest.mark.parametrize(
    "raw",
    [
        "12800138000",  # no 12x network
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "138abcd1234",
        "0731-12345",  # local part too short
        "0731-123456789",
        "84561234",  # no area code
        "+1 415 555 0100",
        "13" + "\u0660" * 9,  # Arabic-Indic digits are digits, but not ours
        "phone",
    ],
)
def test_bad_phones_are_refused(raw: str) -> None:
    assert code_of(v.phone, raw) == "PHONE"


@given(lst.invalid_phones())
def test_every_generated_invalid_phone_is_refused(raw: str) -> None:
    assert code_of(v.phone, raw) == "PHONE"
    assert code_of(v.optional_phone, raw) == "PHONE"


@given(lst.phones())
def test_generated_phones_are_valid_and_stable(number: v.Phone) -> None:
    assert v.phone(str(number)) == number
    assert number.isascii()


def test_phone_needs_text() -> None:
    assert code_of(v.phone, 13800138000) == "NOT_TEXT"
    assert code_of(v.optional_phone, 13800138000) == "NOT_TEXT"


@pytest.mark.parametrize("blank", [None, "", "   ", "\u3000"])
def test_optional_phone_blank_means_none(blank: str | None) -> None:
    assert v.optional_phone(blank) is None


def test_phone_problem_masks_the_number() -> None:
    with pytest.raises(FieldProblem) as info:
        v.phone("12800138000")
    assert "12800138000" not in str(info.value)
    assert "128****8000" in str(info.value)


# --------------------------------------------------------------------------- names and text


def test_decomposed_letters_are_composed() -> None:
    decomposed = "Jose\u0301 Lu\u0308"
    assert v.name(decomposed) == "José Lü"
    assert unicodedata.is_normalized("NFC", v.name(decomposed))
    assert len(v.name(decomposed)) == len("José Lü")


def test_chinese_name_with_a_compatibility_ideograph_is_normalised() -> None:
    # U+F9DC is a CJK compatibility ideograph: NFC maps it to U+9686 (隆).
    assert v.name("李\uf9dc") == "李\u9686"
    # A pinyin name with a combining diaeresis and tone mark.
    assert v.name("Lu\u0308 Xia\u0300o") == "L\u00fc Xi\u00e0o"


def test_names_are_stripped() -> None:
    assert v.name("  张三\u3000") == "张三"
    assert v.name("阿依古丽·买买提") == "阿依古丽·买买提"


@pytest.mark.parametrize(
    "raw", ["张\x00三", "李\n四", "王\t五", "\x1b[31m赵", "钱\u200b孙", "周\x7f"]
)
def test_control_characters_are_refused(raw: str) -> None:
    assert code_of(v.name, raw) == "NAME_CONTROL"
    assert code_of(v.optional_name, raw) == "NAME_CONTROL"


@pytest.mark.parametrize("raw", ["", "   ", "\u3000"])
def test_a_name_is_required(raw: str) -> None:
    assert code_of(v.name, raw) == "NAME_EMPTY"
    assert v.optional_name(raw) is None


def test_a_name_is_text() -> None:
    assert code_of(v.name, 5) == "NOT_TEXT"
    assert code_of(v.text, None) == "NOT_TEXT"


def test_free_text_is_normalised_and_may_be_empty() -> None:
    assert v.text("  ") == ""
    assert v.text(" Cafe\u0301\n") == "Café"
    assert v.text("第一行\n第二行") == "第一行\n第二行"


@given(st.text(max_size=20))
def test_text_is_idempotent_and_nfc(raw: str) -> None:
    once = v.text(raw)
    assert v.text(once) == once
    assert unicodedata.is_normalized("NFC", once)


@given(st.text(max_size=12))
def test_name_is_idempotent(raw: str) -> None:
    try:
        once = v.name(raw)
    except FieldProblem:
        return
    assert v.name(once) == once
    assert once
    assert once.isprintable()


@given(lst.chinese_names())
def test_generated_names_are_valid(name: str) -> None:
    assert v.name(name) == name


# --------------------------------------------------------------------------- resident ID numbers


VALID_ID = make_id("110105", "19491231", 2)  # the textbook example, 11010519491231002X


def test_the_textbook_example() -> None:
    assert VALID_ID == "11010519491231002X"
    assert v.resident_id(VALID_ID) == VALID_ID
    assert v.resident_id(VALID_ID.lower()) == VALID_ID
    assert v.resident_id(" 11010519491231002x ") == VALID_ID
    assert type(v.resident_id(VALID_ID)) is v.ResidentId
    assert v.resident_id_birth_date(VALID_ID) == dt.date(1949, 12, 31)
    assert not v.resident_id_is_male(VALID_ID)


def test_full_width_id_numbers_are_normalised() -> None:
    full = VALID_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert v.resident_id(full) == VALID_ID
    assert v.resident_id(full).isascii()


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (VALID_ID[:-1] + "3", "ID_CHECKSUM"),
        (make_id("110105", "19490230", 2), "ID_BIRTH_DATE"),
        (make_id("110105", "19491331", 2), "ID_BIRTH_DATE"),
        (make_id("990101", "19491231", 2), "ID_AREA"),
        (make_id("110001", "19491231", 2), "ID_AREA"),  # stdnum raises KeyError for this one
        (make_id("430124", "20200101", 2), "ID_AREA"),  # 宁乡县 no longer a county in 2020
        (VALID_ID[:15], "ID_LENGTH"),
        (VALID_ID + "1", "ID_LENGTH"),
        ("11010519491231002Y", "ID_FORMAT"),
        ("1101051949123100A2", "ID_FORMAT"),
        ("１１０１０５١٩٤٩１２３１００２Ｘ", "ID_FORMAT"),  # Arabic-Indic digits inside
    ],
)
def test_bad_id_numbers(number: str, code: str) -> None:
    assert code_of(v.resident_id, number) == code


def test_id_number_needs_text() -> None:
    assert code_of(v.resident_id, 11010519491231002) == "NOT_TEXT"


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_optional_id_number_blank_means_none(blank: str | None) -> None:
    assert v.optional_resident_id(blank) is None


def _agrees(number: str) -> None:
    try:
        v.resident_id(number)
    except FieldProblem:
        ours = False
    else:
        ours = True
    assert ours == ric_is_valid(number), number


_ID_CHARS = "0123456789Xx"


@settings(max_examples=200)
@given(st.text(_ID_CHARS, min_size=18, max_size=18))
@example("11010519491231002X")
@example("11010519491231002x")
@example("11000120100101001X")
def test_fast_validator_agrees_with_stdnum_on_random_strings(number: str) -> None:
    _agrees(number)


@settings(max_examples=200)
@given(st.text("0123456789", min_size=17, max_size=17))
def test_agrees_with_stdnum_when_the_check_digit_is_right(body: str) -> None:
    """A right check digit, so that birth dates and area codes are what is tested."""
    _agrees(body + ric.calc_check_digit(body + "0"))


@settings(max_examples=100)
@given(
    area=st.sampled_from([*lst.COUNTY_CODES, *lst.UNKNOWN_AREA_CODES, "430124", "110000"]),
    born=st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    sequence=st.integers(0, 999),
)
def test_agrees_with_stdnum_on_well_formed_numbers(area: str, born: dt.date, sequence: int) -> None:
    _agrees(make_id(area, born.strftime("%Y%m%d"), sequence))


@given(lst.resident_ids())
def test_generated_id_numbers_are_valid_for_stdnum(number: str) -> None:
    assert ric.is_valid(number)
    assert v.resident_id(number) == number


@given(
    born=st.dates(dt.date(1940, 1, 1), dt.date(2030, 12, 31)), male=st.booleans(), data=st.data()
)
def test_generated_id_numbers_carry_the_birth_date_and_sex(
    born: dt.date, male: bool, data: st.DataObject
) -> None:
    number = data.draw(lst.resident_ids(born, male=male))
    assert v.resident_id_birth_date(number) == born
    assert ric.get_birth_date(number) == born
    assert v.resident_id_is_male(number) is male


@pytest.mark.parametrize("kind", lst.INVALID_ID_KINDS)
@given(data=st.data())
def test_generated_invalid_id_numbers_are_refused_for_their_reason(
    kind: lst.InvalidIdKind, data: st.DataObject
) -> None:
    number = data.draw(lst.invalid_resident_ids(kind))
    expected = {
        "checksum": "ID_CHECKSUM",
        "birth_date": "ID_BIRTH_DATE",
        "length": "ID_LENGTH",
        "format": "ID_FORMAT",
        "area": "ID_AREA",
    }[kind]
    assert code_of(v.resident_id, number) == expected
    assert not ric_is_valid(number)


def test_county_codes_are_known_for_every_year_from_1940_to_2030() -> None:
    for area in lst.COUNTY_CODES:
        for year in range(1940, 2031):
            place = ric.get_birth_place(f"{area}{year}0101000")
            assert place["county"] == lst.COUNTIES[area][1], (area, year)


def test_unknown_area_codes_are_unknown_for_their_years() -> None:
    for area, (first, last) in lst.UNKNOWN_AREA_CODES.items():
        for year in range(first, last + 1):
            with pytest.raises((ValidationError, KeyError)):
                ric.get_birth_place(f"{area}{year}0101000")
            assert code_of(v.resident_id, make_id(area, f"{year}0101", 1)) == "ID_AREA"


# --------------------------------------------------------------------------- student numbers


def test_formal_student_number_is_g_and_an_id_number() -> None:
    got = v.student_number("G" + VALID_ID)
    assert got == "G" + VALID_ID
    assert type(got) is v.StudentNumber
    assert v.student_number("g" + VALID_ID.lower()) == "G" + VALID_ID
    assert v.student_number(got) is got


def test_formal_student_number_checks_its_id_number() -> None:
    assert code_of(v.student_number, "G" + VALID_ID[:-1] + "3") == "ID_CHECKSUM"
    assert code_of(v.student_number, "G" + make_id("990101", "20150101", 1)) == "ID_AREA"


@pytest.mark.parametrize(
    "raw",
    [
        "L123456789012345678",
        "J12345678901234567X",
        "l12345678901234567x",
        "Ｌ１２３４５６７８９０１２３４５６７８",
    ],
)
def test_temporary_student_numbers(raw: str) -> None:
    got = v.student_number(raw)
    assert got == v.digits(raw).upper()
    assert got.isascii()


@pytest.mark.parametrize(
    "raw",
    [
        "L12345678901234567",  # 17 after L
        "L1234567890123456789",
        "L12345678901234567Y",
        "Q123456789012345678",
        "123456789012345678",
        "L" + "\u0661" * 18,  # Arabic-Indic digits
        "J1234567890123456\u06637",
    ],
)
def test_bad_student_numbers(raw: str) -> None:
    assert code_of(v.student_number, raw) == "STUDENT_NUMBER"


def test_optional_student_number() -> None:
    assert v.optional_student_number(None) is None
    assert v.optional_student_number(" ") is None
    assert v.optional_student_number("L123456789012345678") == "L123456789012345678"


@given(lst.student_numbers())
def test_generated_student_numbers_are_valid(number: str) -> None:
    assert v.student_number(number) == number
    if number.startswith("G"):
        assert ric.is_valid(number[1:])


def test_counts_are_bounded_whole_numbers() -> None:
    event = ContactEvent("e1", "S1", ContactKind.TALK, dt.date(2026, 11, 2), minutes=30)
    assert event.minutes == 30
    for bad in (-1, 24 * 60 + 1, 10**30, 1.5, True):
        with pytest.raises(ValueError, match="minutes are a whole number"):
            ContactEvent("e1", "S1", ContactKind.TALK, dt.date(2026, 11, 2), minutes=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecord) as caught:
        structure(
            {
                "id": "a1",
                "school_id": "S1",
                "kind": "reading",
                "date": "2026-11-02",
                "participants": 2**70,
            },
            Activity,
        )
    assert [path for path, _ in caught.value.problems] == ["$.participants"]
    assert Activity("a1", "S1", ActivityKind.READING, dt.date(2026, 11, 2), participants=0)
