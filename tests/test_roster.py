"""Roster templates and import: layout, encodings, merging, all-or-nothing, fuzzing."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_adapters.roster import (
    COLUMNS,
    RosterRejected,
    build_children,
    import_roster,
    read_table,
    write_template,
)
from liushou_adapters.roster.layout import BY_KEY, Kind, choices
from liushou_adapters.roster.rows import child_row, roster_bytes, write_roster
from liushou_adapters.storage import open_store
from liushou_core import synth
from liushou_core.models import (
    AwayPeriod,
    Child,
    Contact,
    Relationship,
    School,
    SchoolClass,
)
from liushou_core.ports import Store
from liushou_core.privacy import SYSTEM
from liushou_core.services import import_records, load_school

UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def school() -> synth.SyntheticSchool:
    return synth.school(5, children=60)


@pytest.fixture
def store() -> Iterator[Store]:
    s = open_store("memory://")
    yield s
    s.close()


def class_names(school: synth.SyntheticSchool) -> dict[str, str]:
    return {c.id: c.name for c in school.classes}


def rows_of(school: synth.SyntheticSchool, *, record_ids: bool = True) -> list[dict[str, str]]:
    rows = [child_row(c, class_names(school)) for c in school.children]
    if not record_ids:
        for row in rows:
            del row["record_id"]
    return rows


def empty_school(store: Store, school: synth.SyntheticSchool) -> None:
    """The school and its classes, without pupils."""
    import_records(store, SYSTEM, [school.school, *school.classes])


def children(store: Store, sid: str) -> list[Child]:
    with store.unit_of_work(readonly=True) as uow:
        return uow.list(Child, sid)


def writes(store: Store) -> int:
    return len([e for e in store.audit_trail() if e.action != "read"])


def rejected(
    store: Store, data: bytes | Path, sid: str, **kw: Any
) -> RosterRejected:  # the import must fail, having written nothing
    before = writes(store)
    with pytest.raises(RosterRejected) as info:
        import_roster(store, SYSTEM, data, school_id=sid, **kw)
    assert writes(store) == before
    return info.value


def keys_by_line(exc: RosterRejected) -> dict[int | None, set[str]]:
    out: dict[int | None, set[str]] = {}
    for p in exc.problems:
        out.setdefault(p.line, set()).add(p.key)
    return out


# --------------------------------------------------------------------------- layout and templates


def test_columns_are_unique_and_follow_the_form() -> None:
    assert len({c.key for c in COLUMNS}) == len(COLUMNS)
    assert len({c.header for c in COLUMNS}) == len(COLUMNS)
    required = {c.key for c in COLUMNS if c.required}
    assert required == {"name", "sex", "birth_date"}
    keys = {c.key for c in COLUMNS}
    # the survey form's groups: the child, both parents, the guardian, grandparents, village
    for key in ("id_number", "hukou_place", "boarding", "schooling", "health", "care_assessment"):
        assert key in keys
    for who in ("father", "mother"):
        assert {f"{who}_name", f"{who}_phone", f"{who}_work_province"} <= keys
    assert {"paternal_grandfather_name", "maternal_grandmother_birth_date"} <= keys


def test_every_choice_column_accepts_its_labels_and_values() -> None:
    for column in COLUMNS:
        if column.kind is not Kind.CHOICE:
            continue
        assert column.enum is not None
        for member, text in zip(column.enum, choices(column.enum), strict=True):
            row = {"name": "王小明", "sex": "男", "birth_date": "2016-05-04", column.key: text}
            table = read_table(roster_bytes([row]))
            assert table.rows[0].cells[column.key] == text
            from liushou_adapters.roster.layout import parse_cell

            assert parse_cell(column, text) == member.value
            assert parse_cell(column, member.value) == member.value


def test_csv_template_has_headers_and_keys(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.csv")
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    header, keys = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == [c.header for c in COLUMNS]
    assert keys == [c.key for c in COLUMNS]


def test_xlsx_template_has_lists_text_columns_and_a_guide(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_template(tmp_path / "t.xlsx")
    book = load_workbook(path)
    sheet = book["花名册"]
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
    assert [c.value for c in sheet[2]] == [c.key for c in COLUMNS]
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"男,女"' in lists
    assert '"是,否"' in lists
    letter = {c.key: i for i, c in enumerate(COLUMNS, start=1)}
    from openpyxl.utils import get_column_letter

    id_column = sheet.column_dimensions[get_column_letter(letter["id_number"])]
    assert id_column.number_format == "@"
    assert sheet.cell(row=1, column=letter["name"]).comment is not None
    guide = book["填写说明"]
    assert guide.max_row == len(COLUMNS) + 1


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_blank_template_is_a_roster_without_rows(tmp_path: Path, suffix: str) -> None:
    path = write_template(tmp_path / f"t.{suffix}")
    with pytest.raises(RosterRejected) as info:
        read_table(path)
    [problem] = info.value.problems
    assert problem.line is None
    assert problem.message.code == "ROSTER_NO_ROWS"


def test_unknown_template_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown template format"):
        write_template(tmp_path / "t.ods")


# --------------------------------------------------------------------------- encodings and formats


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_encodings_are_detected(school: synth.SyntheticSchool, encoding: str) -> None:
    rows = rows_of(school)
    table = read_table(roster_bytes(rows, encoding=encoding))
    assert table.format == "csv"
    assert [r.cells.get("name") for r in table.rows] == [r["name"] for r in rows]
    # lines: header 1, key row 2, pupils from 3
    assert [r.line for r in table.rows] == list(range(3, 3 + len(rows)))


def test_bytes_in_no_known_encoding_are_refused() -> None:
    # valid in neither UTF-8 nor GB18030 (0x80 alone, 0xFF)
    with pytest.raises(RosterRejected) as info:
        read_table(b"\xff\x80\xff" + "姓名".encode("gb18030"))
    assert info.value.problems[0].message.code == "ROSTER_ENCODING"


def test_old_xls_is_refused_with_advice() -> None:
    with pytest.raises(RosterRejected) as info:
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    assert info.value.problems[0].message.code == "ROSTER_XLS"


def test_a_broken_workbook_is_refused() -> None:
    with pytest.raises(RosterRejected) as info:
        read_table(b"PK\x03\x04 not really a zip")
    assert info.value.problems[0].message.code == "ROSTER_XLSX"


def test_tab_separated_text_and_a_missing_key_row() -> None:
    text = "姓名\t性别\t出生日期\n王小明\t男\t2016-05-04\n"
    table = read_table(text.encode("utf-16"))
    assert table.rows[0].cells == {"name": "王小明", "sex": "男", "birth_date": "2016-05-04"}
    assert table.rows[0].line == 2


def test_english_keys_may_head_the_file_and_headers_may_carry_a_star() -> None:
    table = read_table("name,性别*,birth_date\n王小明,男,2016-05-04\n".encode())
    assert table.rows[0].cells["sex"] == "男"


def test_line_numbers_count_lines_inside_quoted_cells() -> None:
    text = '姓名,性别,出生日期,现住址详细地址\n王小明,男,2016-05-04,"一组\n二号"\n李华,女,x,\n'
    with pytest.raises(RosterRejected) as info:
        build_children(read_table(text.encode()), school_id="S1", existing=[], classes=[])
    assert keys_by_line(info.value) == {4: {"birth_date"}}


def test_header_problems_are_listed_together() -> None:
    data = "姓名,姓名,学号,,性别\n王小明,王小明,1,extra,男,more\n".encode()
    with pytest.raises(RosterRejected) as info:
        read_table(data)
    codes = {p.message.code for p in info.value.problems}
    assert codes == {
        "ROSTER_COLUMN_TWICE",
        "ROSTER_UNKNOWN_COLUMN",
        "ROSTER_MISSING_COLUMN",
        "ROSTER_CELL_NO_HEADER",
    }


def test_numbers_a_spreadsheet_kept_as_numbers_are_named(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "性别", "出生日期", "身份证号"])
    sheet.append(["王小明", "男", "2016-05-04", 430124201605040011])
    book.save(tmp_path / "r.xlsx")
    for data in (
        (tmp_path / "r.xlsx").read_bytes(),
        "姓名,性别,出生日期,身份证号\n王小明,男,2016-05-04,4.30124E+17\n".encode("gb18030"),
    ):
        with pytest.raises(RosterRejected) as info:
            build_children(read_table(data), school_id="S1", existing=[], classes=[])
        [problem] = info.value.problems
        assert (problem.key, problem.message.code) == ("id_number", "ROSTER_NUMBER_CELL")


def test_xlsx_dates_and_numbers_are_read(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "性别", "出生日期", "父亲姓名", "父亲联系电话", "是否寄宿", "残疾等级"])
    sheet.append(["王小明", "男", dt.datetime(2016, 5, 4), "王建国", 13812345678, True, None])
    book.save(tmp_path / "r.xlsx")
    plan = build_children(read_table(tmp_path / "r.xlsx"), school_id="S1", existing=[], classes=[])
    [child] = plan.children
    assert child.birth_date == dt.date(2016, 5, 4)
    assert child.parents[0].phone == "13812345678"
    assert child.boarding is True


@pytest.mark.parametrize("text", ["2016-05-04", "2016/5/4", "2016.5.4", "2016年5月4日", "20160504"])
def test_dates_are_read_in_the_ways_people_write_them(text: str) -> None:
    import datetime as dt

    data = f"姓名,性别,出生日期\n王小明,男,{text}\n".encode()
    [child] = build_children(read_table(data), school_id="S1", existing=[], classes=[]).children
    assert child.birth_date == dt.date(2016, 5, 4)


# --------------------------------------------------------------------------- building


def test_common_words_for_relationships_are_understood() -> None:
    data = "姓名,性别,出生日期,监护人姓名,监护人与儿童关系\n王小明,男,2016-05-04,王德福,爷爷\n"
    [child] = build_children(
        read_table(data.encode()), school_id="S1", existing=[], classes=[]
    ).children
    [guardian] = child.guardians
    assert guardian.relationship is Relationship.PATERNAL_GRANDFATHER
    assert guardian.entrusted


def test_sex_and_birth_date_come_from_the_id_number_when_blank(
    school: synth.SyntheticSchool,
) -> None:
    original = next(c for c in school.children if c.id_number)
    row = {"name": original.name, "id_number": original.id_number or ""}
    [child] = build_children(
        read_table(roster_bytes([row])), school_id="S1", existing=[], classes=[]
    ).children
    assert (child.sex, child.birth_date) == (original.sex, original.birth_date)


def test_the_reasons_of_the_issue_are_named_by_line_and_column(
    store: Store, school: synth.SyntheticSchool
) -> None:
    empty_school(store, school)
    rows = rows_of(school, record_ids=False)[:8]
    number = rows[0]["id_number"]
    rows[0]["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")  # check digit
    rows[1]["birth_date"] = "2001-01-01"  # disagrees with the ID number
    rows[2]["class"] = "九年级9班"  # not a class of the school
    rows[3]["guardian_phone"] = "12345"  # not a phone number
    rows[4]["sex"] = "女" if rows[4]["sex"] == "男" else "男"  # disagrees with the ID number
    exc = rejected(store, roster_bytes(rows), school.school.id)
    assert keys_by_line(exc) == {
        3: {"id_number"},
        4: {"birth_date"},
        5: {"class"},
        6: {"guardian_phone"},
        7: {"sex"},
    }
    assert exc.lines == [3, 4, 5, 6, 7]
    assert exc.rows == 8
    zh, en = "\n".join(exc.render("zh")), "\n".join(exc.render("en"))
    assert "第3行「身份证号」" in zh
    assert "校验" in zh
    assert "line 6, 监护人联系电话 (guardian_phone)" in en
    assert "5 of 8 rows" in en
    assert not UNMASKED.search(zh + en + str(exc))
    assert children(store, school.school.id) == []


def test_the_same_pupil_twice_in_a_file(school: synth.SyntheticSchool) -> None:
    rows = rows_of(school, record_ids=False)[:3]
    rows.append(dict(rows[0], name="另一个"))
    with pytest.raises(RosterRejected) as info:
        build_children(
            read_table(roster_bytes(rows)), school_id="S1", existing=[], classes=school.classes
        )
    assert keys_by_line(info.value) == {3: {"id_number"}, 6: {"id_number"}}


def test_a_record_id_must_not_take_another_pupils_id_number(
    school: synth.SyntheticSchool,
) -> None:
    a, b = [c for c in school.children if c.id_number][:2]
    row = child_row(a, class_names(school))
    row["record_id"] = b.id
    with pytest.raises(RosterRejected) as info:
        build_children(
            read_table(roster_bytes([row])),
            school_id=school.school.id,
            existing=school.children,
            classes=school.classes,
        )
    assert info.value.problems[0].message.code == "ROSTER_ID_OTHER_RECORD"


def test_unknown_school(store: Store, school: synth.SyntheticSchool) -> None:
    exc = rejected(store, roster_bytes(rows_of(school)), "NOPE")
    assert exc.problems[0].message.code == "ROSTER_UNKNOWN_SCHOOL"


# --------------------------------------------------------------------------- importing


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_roster_of_the_stored_pupils_changes_nothing(
    store: Store, school: synth.SyntheticSchool, tmp_path: Path, suffix: str
) -> None:
    load_school(store, SYSTEM, school)
    before = writes(store)
    path = write_roster(tmp_path / f"r.{suffix}", rows_of(school))
    result = import_roster(store, SYSTEM, path, school_id=school.school.id)
    assert (result.added, result.updated, result.unchanged) == (0, 0, len(school.children))
    assert result.format == suffix
    assert writes(store) == before
    stored = [attrs.evolve(c, version=0) for c in children(store, school.school.id)]
    assert stored == sorted(school.children, key=lambda c: c.id)


def test_a_new_school_imports_and_reimports_idempotently(
    store: Store, school: synth.SyntheticSchool
) -> None:
    empty_school(store, school)
    data = roster_bytes(rows_of(school, record_ids=False), encoding="gb18030")
    sid = school.school.id
    progress: list[tuple[int, int]] = []
    first = import_roster(
        store, SYSTEM, data, school_id=sid, progress=lambda d, t: progress.append((d, t))
    )
    assert first.added == len(school.children)
    n = 3 * len(school.children)
    assert progress[0] == (0, n)
    assert progress[-1] == (n, n)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    stored = children(store, sid)
    before = writes(store)
    again = import_roster(store, SYSTEM, data, school_id=sid)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(school.children))
    assert writes(store) == before
    assert children(store, sid) == stored
    # every covered field came through: the stored pupils give back the same rows
    names = class_names(school)
    got = sorted((child_row(c, names) for c in stored), key=lambda r: r["name"] + r["birth_date"])
    want = sorted(rows_of(school), key=lambda r: r["name"] + r["birth_date"])
    for g, w in zip(got, want, strict=True):
        g.pop("record_id")
        w.pop("record_id")
        assert g == w


def test_a_roster_updates_what_it_covers_and_keeps_the_rest(
    store: Store, school: synth.SyntheticSchool
) -> None:
    sid = school.school.id
    original = next(c for c in school.children if c.parents and c.guardians)
    past = AwayPeriod(
        start=original.birth_date,
        end=original.birth_date.replace(
            year=2020 if original.birth_date.year < 2020 else original.birth_date.year
        ),
    )
    father = attrs.evolve(original.parents[0], away=(past, *original.parents[0].away))
    kept = attrs.evolve(
        original,
        parents=(father, *original.parents[1:]),
        emergency_contacts=(Contact("王大伯", "13912345678", "uncle"),),
        psychological_flag=True,
    )
    import_records(store, SYSTEM, [school.school, *school.classes, kept])
    row = {
        "id_number": kept.id_number or "",
        "student_number": kept.student_number or "",
        "name": kept.name,
        "guardian_phone": "13700001111",
        "boarding": "是",
    }
    row = {k: v for k, v in row.items() if v}
    result = import_roster(store, SYSTEM, roster_bytes([row]), school_id=sid)
    assert (result.added, result.updated) == (0, 1)
    [now] = children(store, sid)
    assert now.id == kept.id
    assert now.boarding is True
    assert now.guardians[0].phone == "13700001111"
    assert now.guardians[0].name == kept.guardians[0].name
    assert now.emergency_contacts == kept.emergency_contacts
    assert now.psychological_flag
    assert now.parents == kept.parents  # blank columns keep what is stored
    assert now.class_id == kept.class_id


def test_a_new_current_away_period_keeps_the_past_ones(store: Store) -> None:
    import_records(store, SYSTEM, [School("S1", "清溪小学", "431121")])
    head = "姓名,性别,出生日期,学籍号,父亲姓名,父亲外出务工起始日期,父亲务工省份\n"
    first = head + "王小明,男,2016-05-04,L123456789012345678,王建国,2020-02-01,广东省\n"
    import_roster(store, SYSTEM, first.encode(), school_id="S1")
    [child] = children(store, "S1")
    closed = attrs.evolve(
        child.parents[0].away[0], end=child.parents[0].away[0].start.replace(year=2023)
    )
    with store.unit_of_work() as uow:
        uow.update(attrs.evolve(child, parents=(attrs.evolve(child.parents[0], away=(closed,)),)))
        uow.commit()
    second = head + "王小明,男,2016-05-04,L123456789012345678,王建国,2024-03-01,浙江省\n"
    import_roster(store, SYSTEM, second.encode(), school_id="S1")
    [child] = children(store, "S1")
    assert [(p.start.isoformat(), p.end, p.province) for p in child.parents[0].away] == [
        ("2020-02-01", closed.end, "广东省"),
        ("2024-03-01", None, "浙江省"),
    ]


def test_pupils_without_numbers_are_found_by_name_and_birth_date(store: Store) -> None:
    import_records(store, SYSTEM, [School("S1", "清溪小学", "431121")])
    data = "姓名,性别,出生日期\n王小明,男,2016-05-04\n李华,女,2016-07-01\n".encode()
    assert import_roster(store, SYSTEM, data, school_id="S1").added == 2
    again = import_roster(store, SYSTEM, data, school_id="S1")
    assert (again.added, again.unchanged) == (0, 2)
    twice = "姓名,性别,出生日期\n王小明,男,2016-05-04\n王小明,男,2016-05-04\n".encode()
    exc = rejected(store, twice, "S1")
    assert keys_by_line(exc) == {2: {"name"}, 3: {"name"}}


# --------------------------------------------------------------------------- properties and fuzzing


@pytest.fixture(scope="module")
def valid_rows(school: synth.SyntheticSchool) -> list[dict[str, str]]:
    return rows_of(school, record_ids=False)[:12]


@given(data=st.data())
def test_a_changed_cell_is_imported_or_named_and_nothing_is_half_written(
    school: synth.SyntheticSchool, valid_rows: list[dict[str, str]], data: st.DataObject
) -> None:
    rows = [dict(r) for r in valid_rows]
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    key = data.draw(st.sampled_from([c.key for c in COLUMNS if c.key != "record_id"]), label="key")
    value = data.draw(
        st.one_of(
            st.text(max_size=25),
            st.sampled_from(["", "是", "否", "2016-02-30", "13800000000", "爷爷", "4.3E+17"]),
        ),
        label="value",
    )
    rows[index][key] = value
    store = open_store("memory://")
    try:
        empty_school(store, school)
        try:
            result = import_roster(store, SYSTEM, roster_bytes(rows), school_id=school.school.id)
        except RosterRejected as exc:
            assert writes(store) == len(school.classes) + 1
            assert children(store, school.school.id) == []
            for problem in exc.problems:
                assert problem.line == index + 3 or problem.key == "id_number"
                problem.render("zh")
                problem.render("en")
        else:
            assert result.added + result.updated + result.unchanged == len(rows)
            assert len(children(store, school.school.id)) == result.added
    finally:
        store.close()


_HEADERS = [c.header for c in COLUMNS] + [c.key for c in COLUMNS] + ["", "备注"]


@st.composite
def roster_files(draw: st.DrawFn) -> bytes:
    """Arbitrary rows under real (and some unknown) headers, in one of the encodings."""
    header = draw(st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=8))
    cell = st.one_of(
        st.text(max_size=12),
        st.sampled_from(["王小明", "男", "女", "2016-05-04", "430124201605040017", "是", "1"]),
    )
    rows = draw(st.lists(st.lists(cell, max_size=10), max_size=6))
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    try:
        return out.getvalue().encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate: not text any encoder writes
        return out.getvalue().encode("utf-8", "surrogatepass")


def _only_the_documented_error(data: bytes) -> None:
    error: RosterRejected | None = None
    try:
        table = read_table(data)
        build_children(table, school_id="S1", existing=[], classes=[])
    except RosterRejected as exc:
        error = exc
    if error is not None:
        assert error.render("zh")
        assert error.render("en")
        assert str(error)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_the_roster_error(data: bytes) -> None:
    _only_the_documented_error(data)


@given(
    st.sampled_from(
        [b"", b"PK\x03\x04", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, "姓名,性别,出生日期\n".encode()]
    ),
    st.binary(max_size=200),
)
def test_arbitrary_bytes_after_a_known_start(prefix: bytes, data: bytes) -> None:
    _only_the_documented_error(prefix + data)


@given(roster_files())
def test_arbitrary_rows_raise_only_the_roster_error(data: bytes) -> None:
    _only_the_documented_error(data)


@settings(max_examples=10)
@given(st.binary(min_size=1, max_size=2000))
def test_a_damaged_workbook_raises_only_the_roster_error(
    tmp_path_factory: pytest.TempPathFactory, damage: bytes
) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "r.xlsx"
    write_roster(path, [{"name": "王小明", "sex": "男", "birth_date": "2016-05-04"}])
    good = path.read_bytes()
    at = len(damage) % len(good)
    _only_the_documented_error(good[:at] + damage + good[at + len(damage) :])


def test_the_error_pickles() -> None:
    import pickle

    with pytest.raises(RosterRejected) as info:
        read_table(b"")
    again = pickle.loads(pickle.dumps(info.value))
    assert again.render("en") == info.value.render("en")


def test_every_key_column_is_reachable_from_its_header() -> None:
    from liushou_adapters.roster.layout import BY_HEADER, normalise_header

    for column in COLUMNS:
        assert BY_HEADER[normalise_header(column.header)] is column
        assert BY_HEADER[normalise_header(column.key)] is column
        assert BY_KEY[column.key] is column


def test_every_class_name_and_id_is_understood(school: synth.SyntheticSchool) -> None:
    rows = []
    for i, klass in enumerate(school.classes):
        for text in (klass.name, klass.id):
            rows.append(
                {
                    "name": f"学生{i}",
                    "sex": "男",
                    "birth_date": f"2016-01-{len(rows) + 1:02d}",
                    "class": text,
                }
            )
    plan = build_children(
        read_table(roster_bytes(rows)), school_id="S1", existing=[], classes=school.classes
    )
    assert [c.class_id for c in plan.children] == [k.id for k in school.classes for _ in (1, 2)]


def test_classes_are_checked_against_the_school(school: synth.SyntheticSchool) -> None:
    other = SchoolClass("X-g1c1", "X", 1, "一年级1班")
    data = "姓名,性别,出生日期,班级\n王小明,男,2016-05-04,三年级1班\n".encode()
    with pytest.raises(RosterRejected) as info:
        build_children(read_table(data), school_id="S1", existing=[], classes=[other])
    assert info.value.problems[0].message.code == "ROSTER_UNKNOWN_CLASS"
    assert "一年级1班" in info.value.problems[0].render("en")


class _SchoolDeletedMeanwhile:
    """A store whose school is deleted by somebody else between the read and the write."""

    def __init__(self, store: Store, school_id: str) -> None:
        self.store = store
        self.school_id = school_id

    def unit_of_work(
        self, actor: str = "system", *, purpose: str = "", readonly: bool = False
    ) -> Any:
        if not readonly:
            with self.store.unit_of_work("somebody else") as uow:
                school = uow.get(School, self.school_id, self.school_id)
                uow.delete(School, self.school_id, self.school_id, school.version)
                uow.commit()
        return self.store.unit_of_work(actor, purpose=purpose, readonly=readonly)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_school_deleted_meanwhile_rejects_the_rows_by_line(
    store: Store, school: synth.SyntheticSchool
) -> None:
    import_records(store, SYSTEM, [school.school])  # no classes: a school can be deleted
    rows = [{k: v for k, v in r.items() if k != "class"} for r in rows_of(school)[:3]]
    racing = _SchoolDeletedMeanwhile(store, school.school.id)
    with pytest.raises(RosterRejected) as info:
        import_roster(racing, SYSTEM, roster_bytes(rows), school_id=school.school.id)  # type: ignore[arg-type]
    assert info.value.lines == [3, 4, 5]
    assert all(p.message.code == "IMPORT_UNKNOWN_SCHOOL" for p in info.value.problems)
    assert children(store, school.school.id) == []


def test_the_xlsx_template_filled_in_imports(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    import_records(
        store,
        SYSTEM,
        [School("S1", "清溪中心小学", "430522"), SchoolClass("S1-g3c1", "S1", 3, "三年级1班")],
    )
    path = write_template(tmp_path / "t.xlsx")
    book = load_workbook(path)
    sheet = book["花名册"]
    at = {c.key: i for i, c in enumerate(COLUMNS, start=1)}
    for key, value in {
        "name": "王小明",
        "id_number": "430522201605040010",
        "class": "三年级1班",
        "boarding": "是",
        "guardian_name": "王德福",
        "guardian_relationship": "祖父",
        "care_assessment": "较好",
    }.items():
        sheet.cell(row=3, column=at[key], value=value)
    book.save(path)
    result = import_roster(store, SYSTEM, path, school_id="S1")
    assert (result.rows, result.added, result.format) == (1, 1, "xlsx")
    [child] = children(store, "S1")
    assert (child.class_id, child.boarding, child.guardians[0].capacity.value) == (
        "S1-g3c1",
        True,
        "good",
    )


def test_both_workbook_readers_agree(tmp_path: Path, school: synth.SyntheticSchool) -> None:
    from liushou_adapters.roster.layout import cell_text
    from liushou_adapters.roster.read import _openpyxl_rows, _xlsx_rows

    data = write_roster(tmp_path / "r.xlsx", rows_of(school)[:10]).read_bytes()

    def texts(rows: list[tuple[int, list[object]]]) -> list[tuple[int, list[str]]]:
        out = [(n, [cell_text(c) for c in cells]) for n, cells in rows]
        return [(n, cells[: len(COLUMNS)]) for n, cells in out if any(cells)]

    assert texts(_xlsx_rows(data)) == texts(_openpyxl_rows(data))
    with pytest.raises(RosterRejected):
        _openpyxl_rows(b"PK\x03\x04 broken")


@pytest.mark.parametrize(
    ("cell", "expected"), [(13812345678.0, "13812345678"), (13812345678, "13812345678")]
)
def test_a_phone_kept_as_a_number_is_read(cell: object, expected: str) -> None:
    from liushou_adapters.roster.layout import parse_cell

    assert parse_cell(BY_KEY["father_phone"], cell) == expected
    with pytest.raises(Exception, match="lost digits"):
        parse_cell(BY_KEY["id_number"], 4.30124201605040e17)
