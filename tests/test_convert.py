"""Bad input gives :class:`InvalidRecord` with every problem at its path, numbers masked."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from liushou_core.convert import diagnose, make_converter, structure, unstructure
from liushou_core.errors import InvalidRecord, LiushouError
from liushou_core.models import (
    ALL_MODELS,
    Child,
    ContactEvent,
    IncidentStep,
    Relationship,
    Sex,
    Term,
)
from liushou_core.testing import strategies as lst


def make_id(area: str, born: str, sequence: int) -> str:
    body = f"{area}{born}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


CHILD_ID = make_id("430121", "20150301", 12)  # a girl born 2015-03-01
GUARDIAN_ID = make_id("430121", "19580704", 21)
MOBILE = "13800138000"


def child_data() -> dict[str, Any]:
    """A valid child record as plain data."""
    return {
        "id": "c-001",
        "school_id": "s-001",
        "name": "李梓涵",
        "sex": "female",
        "birth_date": "2015-03-01",
        "id_number": CHILD_ID,
        "boarding": False,
        "hukou": {"registered": True, "place": "湖南省长沙县", "rural": True, "local": True},
        "parents": [
            {
                "role": "father",
                "name": "李强",
                "away": [{"start": "2019-02-20", "end": None, "province": "广东省"}],
            },
        ],
        "guardians": [
            {
                "name": "王桂英",
                "relationship": "paternal grandmother",
                "phone": MOBILE,
                "id_number": GUARDIAN_ID,
                "birth_date": "1958-07-04",
            },
        ],
    }


def problems_of(data: Any, cls: type = Child) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRecord) as info:
        structure(data, cls)
    return info.value.problems


def paths_of(data: Any, cls: type = Child) -> list[str]:
    return [path for path, _ in problems_of(data, cls)]


def codes_of(data: Any, cls: type = Child) -> dict[str, str]:
    with pytest.raises(InvalidRecord) as info:
        structure(data, cls)
    return {path: m.code for path, m in info.value.details}


def with_(path: str, value: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``data`` (default: the child) with ``value`` at ``a.b[0].c``."""
    out = copy.deepcopy(child_data() if data is None else data)
    *parents, last = re.findall(r"[^.\[\]]+", path)
    node: Any = out
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return out


def test_the_valid_record_is_valid() -> None:
    child = structure(child_data(), Child)
    assert child.guardians[0].phone == MOBILE
    assert child.guardians[0].relationship is Relationship.PATERNAL_GRANDMOTHER
    assert child.sex is Sex.FEMALE
    assert diagnose(child_data(), Child) == []


# --------------------------------------------------------------------------- kinds of problem


def test_unknown_key() -> None:
    data = child_data()
    data["nickname"] = "小涵"
    assert problems_of(data) == [("$.nickname", "unknown field")]


def test_unknown_key_in_a_nested_record() -> None:
    data = child_data()
    data["guardians"][0]["wechat"] = "wxid_1"
    assert paths_of(data) == ["$.guardians[0].wechat"]


def test_missing_required_field() -> None:
    data = child_data()
    del data["name"]
    assert problems_of(data) == [("$.name", "this field is required")]


def test_missing_required_field_in_a_nested_record() -> None:
    data = child_data()
    del data["guardians"][0]["relationship"]
    assert paths_of(data) == ["$.guardians[0].relationship"]


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ("boarding", "false", "NOT_BOOL"),
        ("boarding", 0, "NOT_BOOL"),
        ("hukou.rural", "true", "NOT_BOOL"),
        ("version", "1", "NOT_INT"),
        ("version", 1.0, "NOT_INT"),
        ("version", True, "NOT_INT"),
        ("name", 5, "NOT_TEXT"),
        ("guardians[0].name", 5, "NOT_TEXT"),
        ("guardians[0].phone", 13800138000, "NOT_TEXT"),
        ("id_number", 430121201503010120, "NOT_TEXT"),
        ("parents", "father", "EXPECTED_LIST"),
        ("parents", {"role": "father"}, "EXPECTED_LIST"),
        ("hukou", "rural", "EXPECTED_OBJECT"),
        ("hukou", [], "EXPECTED_OBJECT"),
    ],
)
def test_wrong_type(path: str, value: Any, code: str) -> None:
    assert codes_of(with_(path, value)) == {f"$.{path}": code}


@pytest.mark.parametrize("value", ["c-1", {"c-1": True}, 7])
def test_a_list_of_text_is_not_text(value: Any) -> None:
    """cattrs alone would turn "c-1" into ("c", "-", "1")."""
    data = {"id": "e-1", "school_id": "s-1", "kind": "talk", "date": "2024-03-01"}
    data["child_ids"] = value
    assert codes_of(data, ContactEvent) == {"$.child_ids": "EXPECTED_LIST"}


def test_text_inside_a_list() -> None:
    data = {"id": "e-1", "school_id": "s-1", "kind": "talk", "date": "2024-03-01"}
    data["child_ids"] = ["c-1", 2]
    assert paths_of(data, ContactEvent) == ["$.child_ids[1]"]


@pytest.mark.parametrize(
    ("path", "value"),
    [("sex", "男"), ("sex", "MALE"), ("sex", None), ("schooling", "primary"), ("sex", ["male"])],
)
def test_bad_enum_value(path: str, value: Any) -> None:
    [(where, message)] = problems_of(with_(path, value))
    assert where == f"$.{path}"
    assert message.startswith("not one of:")


def test_bad_enum_value_lists_the_choices() -> None:
    [(_, message)] = problems_of(with_("sex", "男"))
    assert message == "not one of: male, female"


@pytest.mark.parametrize(
    "value",
    [
        "2015-02-30",
        "2015-13-01",
        "2015-3-1",
        "2015/03/01",
        "20150301",
        "2015-03-01T00:00:00",
        "2015-03-01 00:00",
        "2015-W09-7",
        "２０１５-03-01",
        " 2015-03-01",
        "",
        20150301,
        None,
    ],
)
def test_bad_date(value: Any) -> None:
    assert codes_of(with_("birth_date", value)) == {"$.birth_date": "BAD_DATE"}


def test_a_datetime_object_is_not_a_date() -> None:
    data = with_("birth_date", dt.datetime(2015, 3, 1))
    assert codes_of(data) == {"$.birth_date": "BAD_DATE"}


def test_a_date_object_is_taken_as_it_is() -> None:
    assert structure(with_("birth_date", dt.date(2015, 3, 1)), Child).birth_date.day == 1


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2024-03-01T10:00:00+08:00", "DATETIME_TZ"),
        ("2024-03-01T02:00:00Z", "DATETIME_TZ"),
        (dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC), "DATETIME_TZ"),
        ("yesterday", "BAD_DATETIME"),
        (1709258400, "BAD_DATETIME"),
    ],
)
def test_incident_step_needs_a_local_time(value: Any, code: str) -> None:
    data = {"state": "reported", "at": value}
    assert codes_of(data, IncidentStep) == {"$.at": code}


def test_incident_step_local_time_is_kept() -> None:
    step = structure({"state": "reported", "at": "2024-03-01T10:00:00"}, IncidentStep)
    assert step.at == dt.datetime(2024, 3, 1, 10)
    assert unstructure(step)["at"] == "2024-03-01T10:00:00"


# --------------------------------------------------------------------------- ID numbers


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (CHILD_ID[:-1] + ("0" if CHILD_ID[-1] != "0" else "1"), "ID_CHECKSUM"),
        (make_id("430121", "20150230", 12), "ID_BIRTH_DATE"),
        (make_id("430121", "20151301", 12), "ID_BIRTH_DATE"),
        (make_id("990101", "20150301", 12), "ID_AREA"),
        (make_id("110001", "20150301", 12), "ID_AREA"),  # stdnum itself raises KeyError here
        (make_id("430124", "20180301", 12), "ID_AREA"),  # 宁乡县 became a city in 2017
        (CHILD_ID[:17], "ID_LENGTH"),
        ("43012120150301012", "ID_LENGTH"),
        ("43012A201503010120", "ID_FORMAT"),
    ],
)
def test_bad_id_number(number: str, code: str) -> None:
    assert codes_of(with_("id_number", number)) == {"$.id_number": code}


@given(kind=st.sampled_from(lst.INVALID_ID_KINDS), data=st.data())
def test_every_kind_of_bad_id_number_is_reported_at_its_path(kind: str, data: Any) -> None:
    number = data.draw(lst.invalid_resident_ids(kind))  # type: ignore[arg-type]
    expected = {
        "checksum": "ID_CHECKSUM",
        "birth_date": "ID_BIRTH_DATE",
        "length": "ID_LENGTH",
        "format": "ID_FORMAT",
        "area": "ID_AREA",
    }[kind]
    assert codes_of(with_("guardians[0].id_number", number)) == {
        "$.guardians[0].id_number": expected
    }


def test_id_birth_date_disagreeing_with_the_birth_date() -> None:
    data = with_("birth_date", "2015-03-02")
    [(path, message)] = problems_of(data)
    assert path == "$.birth_date"
    assert "2015-03-01" in message
    assert codes_of(data) == {"$.birth_date": "BIRTH_MISMATCH"}


def test_guardian_id_birth_date_disagreeing() -> None:
    data = with_("guardians[0].birth_date", "1958-07-05")
    assert codes_of(data) == {"$.guardians[0].birth_date": "BIRTH_MISMATCH"}


# --------------------------------------------------------------------------- phones


def test_bad_phone_inside_a_nested_list() -> None:
    data = with_("guardians[0].phone", "12800138000")
    assert problems_of(data) == [
        ("$.guardians[0].phone", "not a mainland phone number: 128****8000")
    ]


@given(phone=lst.invalid_phones())
def test_every_bad_phone_is_reported_at_its_path(phone: str) -> None:
    assert codes_of(with_("guardians[0].phone", phone)) == {"$.guardians[0].phone": "PHONE"}


# --------------------------------------------------------------------------- cross-field rules


def test_end_before_start() -> None:
    data = with_("parents[0].away[0].end", "2019-02-19")
    assert codes_of(data) == {"$.parents[0].away[0].end": "END_BEFORE_START"}


def test_term_last_day_before_first_day() -> None:
    data = {
        "school_year": 2024,
        "semester": "autumn",
        "first_day": "2024-09-01",
        "last_day": "2024-08-31",
    }
    assert codes_of(data, Term) == {"$.last_day": "TERM_DAYS"}


def test_a_parent_twice() -> None:
    data = child_data()
    data["parents"].append({"role": "father", "name": "李明"})
    assert codes_of(data) == {"$.parents": "PARENT_TWICE"}


def test_disabled_health_without_a_disability() -> None:
    data = with_("health", {"status": "disabled"})
    assert codes_of(data) == {"$.health.disability": "HEALTH_DISABILITY"}


def test_disabled_parent_without_a_disability() -> None:
    data = with_("parents[0].conditions", [{"kind": "disabled", "start": "2020-01-01"}])
    assert codes_of(data) == {"$.parents[0].conditions[0].disability": "CONDITION_DISABILITY"}


# --------------------------------------------------------------------------- all at once


def test_several_problems_are_all_reported() -> None:
    data = child_data()
    data["nickname"] = "小涵"
    del data["name"]
    data["sex"] = "girl"
    data["boarding"] = "no"
    data["birth_date"] = "2015-02-30"
    data["guardians"][0]["phone"] = "12800138000"
    data["guardians"].append({"name": "李\x00明", "relationship": "uncle", "entrusted": "yes"})
    data["parents"][0]["away"][0]["start"] = "2019-02-30"
    with pytest.raises(InvalidRecord) as info:
        structure(data, Child)
    assert sorted(p for p, _ in info.value.problems) == sorted(
        [
            "$.nickname",
            "$.name",
            "$.sex",
            "$.boarding",
            "$.birth_date",
            "$.guardians[0].phone",
            "$.guardians[1].name",
            "$.guardians[1].entrusted",
            "$.parents[0].away[0].start",
        ]
    )
    assert str(info.value).startswith("invalid Child: 9 problems\n")


# --------------------------------------------------------------------------- masking

_LONG_DIGITS = re.compile(r"\d{11,}")


def _all_text(exc: InvalidRecord) -> list[str]:
    return [
        str(exc),
        repr(exc),
        *(f"{p}: {m}" for p, m in exc.problems),
        *exc.render("zh"),
        *exc.render("en"),
        *(str(a) for a in exc.args),
    ]


def test_messages_mask_id_and_phone_numbers() -> None:
    bad_id = CHILD_ID[:-1] + ("0" if CHILD_ID[-1] != "0" else "1")
    data = with_("id_number", bad_id)
    data["guardians"][0]["phone"] = "12800138000"
    data["parents"][0]["id_number"] = make_id("990101", "19850101", 11)
    data["parents"][0]["phone"] = "+86 128 0013 8000"
    with pytest.raises(InvalidRecord) as info:
        structure(data, Child)
    assert len(info.value.problems) == 4
    for text in _all_text(info.value):
        assert bad_id not in text
        assert "12800138000" not in text
        assert not _LONG_DIGITS.search(text), text
    assert "430121********" in str(info.value)
    assert "128****8000" in str(info.value)


@settings(max_examples=40)
@given(number=lst.invalid_resident_ids(), phone=lst.invalid_phones())
def test_no_number_leaks_into_any_message(number: str, phone: str) -> None:
    data = with_("id_number", number)
    data["guardians"][0]["phone"] = phone
    data["guardians"][0]["id_number"] = number
    with pytest.raises(InvalidRecord) as info:
        structure(data, Child)
    for text in _all_text(info.value):
        # masked numbers show at most 6 digits in a row (an ID's area code)
        assert not re.search(r"\d{7,}", text), text
        assert number not in text
        assert phone not in text


# --------------------------------------------------------------------------- the error itself


def test_invalid_record_is_a_value_error() -> None:
    assert issubclass(InvalidRecord, ValueError)
    assert issubclass(InvalidRecord, LiushouError)
    with pytest.raises(ValueError, match="invalid Child"):
        structure(with_("sex", "?"), Child)


def test_nothing_is_half_built() -> None:
    data = with_("guardians[0].phone", "12800138000")
    before = copy.deepcopy(data)
    result: Any = "untouched"
    with pytest.raises(InvalidRecord):
        result = structure(data, Child)
    assert result == "untouched"
    assert data == before  # the input is not changed either


def test_render_gives_lines_in_chinese_and_english() -> None:
    data = child_data()
    del data["name"]
    data["guardians"][0]["phone"] = "12800138000"
    with pytest.raises(InvalidRecord) as info:
        structure(data, Child)
    zh = info.value.render("zh")
    en = info.value.render("en")
    assert isinstance(zh, list)
    assert all(isinstance(line, str) for line in zh)
    assert len(zh) == len(en) == 2
    assert [line.split(": ", 1)[0] for line in zh] == ["$.name", "$.guardians[0].phone"]
    assert en == [f"{p}: {m}" for p, m in info.value.problems]
    assert zh != en
    assert all(re.search(r"[\u4e00-\u9fff]", line) for line in zh)
    assert "128****8000" in zh[1]
    assert info.value.render() == zh  # Chinese is the default


def test_invalid_record_pickles_with_its_problems() -> None:
    with pytest.raises(InvalidRecord) as info:
        structure(with_("sex", "?"), Child)
    again = pickle.loads(pickle.dumps(info.value))
    assert again.problems == info.value.problems
    assert again.render("zh") == info.value.render("zh")


def test_whole_record_of_the_wrong_shape() -> None:
    for data in ([], "child", None, 5):
        assert problems_of(data) == [("$", "expected an object")]


def test_a_fresh_converter_behaves_the_same() -> None:
    conv = make_converter()
    with pytest.raises(InvalidRecord) as info:
        structure(with_("boarding", "false"), Child, conv=conv)
    assert [p for p, _ in info.value.problems] == ["$.boarding"]
    assert structure(child_data(), Child, conv=conv) == structure(child_data(), Child)


def test_full_width_and_spaced_numbers_are_normalised_on_the_way_in() -> None:
    data = with_("guardians[0].phone", "１３８ ００１３ ８０００")
    data["id_number"] = CHILD_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    child = structure(data, Child)
    assert child.guardians[0].phone == MOBILE
    assert child.id_number == CHILD_ID
    assert json.loads(json.dumps(unstructure(child)))["id_number"] == CHILD_ID


# --------------------------------------------------------------------------- corruption property


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@given(data=st.data())
def test_a_corrupted_record_always_raises_at_the_corrupted_path(
    cls: type, data: st.DataObject
) -> None:
    broken = data.draw(lst.corrupted(cls), label="corrupted")
    with pytest.raises(InvalidRecord) as info:
        structure(broken.data, cls)
    paths = [p for p, _ in info.value.problems]
    assert broken.path in paths, (broken.kind, paths)
    assert len(info.value.details) == len(info.value.problems) >= 1


@pytest.mark.parametrize("kind", lst.CORRUPTION_KINDS)
@given(data=st.data())
def test_each_kind_of_corruption_of_a_child(kind: Any, data: st.DataObject) -> None:
    broken = data.draw(lst.corrupted(Child, kinds=[kind]))
    assert broken.kind == kind
    with pytest.raises(InvalidRecord) as info:
        structure(json.loads(json.dumps(broken.data)), Child)
    assert broken.path in [p for p, _ in info.value.problems]


# --------------------------------------------------------------------------- fast path vs diagnosis

_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=6),
    st.sampled_from(
        ["2024-03-01", "2024-W09-5", "1", "false", "male", "", " ", "１３８００１３８０００"]
    ),
    lst.mobile_phones(),
    lst.resident_ids(),
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=4,
)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in JSON-shaped data."""
    out: list[tuple[Any, Any]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        out.append((value, key))
        if isinstance(item, dict | list):
            out.extend(_slots(item))
    return out


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=30)
@given(data=st.data())
def test_fast_path_and_diagnosis_agree(cls: type, data: st.DataObject) -> None:
    """``structure`` succeeds exactly when the diagnostic pass finds no problem."""
    record = copy.deepcopy(unstructure(data.draw(lst.from_model(cls))))
    slots = _slots(record)
    container, key = data.draw(st.sampled_from(slots))
    container[key] = data.draw(_JSON_VALUES, label="replacement")
    problems = diagnose(record, cls)
    if problems:
        with pytest.raises(InvalidRecord) as info:
            structure(record, cls)
        assert info.value.details == problems
    else:  # the fast path must take it, and the result must round-trip
        result = structure(record, cls)
        assert structure(unstructure(result), cls) == result
