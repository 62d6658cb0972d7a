"""The table exporters (CSV, JSON, XLSX): round trips, masking, unmasking and its audit.

Files are read back with the real readers (the csv module, json, openpyxl).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liushou_adapters.export import (
    Column,
    RecordRef,
    Table,
    exporter,
    exporter_spec,
    neutralise,
    table_formats,
)
from liushou_adapters.export.datasets import (
    aid_table,
    children_table,
    contacts_table,
    findings_table,
    pairs_table,
    rows_table,
)
from liushou_adapters.export.tables import TRIGGERS, csv_plugin, json_plugin, xlsx_plugin
from liushou_adapters.storage import open_store
from liushou_core import hookimpl, plugins
from liushou_core.convert import unstructure
from liushou_core.hookspecs import ExporterSpec
from liushou_core.i18n import Message, catalogue
from liushou_core.models import (
    AidDecision,
    Child,
    Finding,
    MentorKind,
    Pairing,
    SchemeDecision,
    Severity,
    Subject,
    Teacher,
)
from liushou_core.privacy import Actor, FieldAccessDenied, Permission, Role
from liushou_core.testing import strategies as lst

openpyxl = pytest.importorskip("openpyxl")

ON = dt.date(2026, 11, 29)
FORMATS = ("csv", "json", "xlsx")
# An 18-character resident ID number or an 11-digit mobile number, in full (\d is any
# Unicode digit, so full-width digits count too).
UNMASKED_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
UNMASKED_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Characters XML 1.0 cannot hold (an XLSX drops them), tab, LF and CR aside.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def manager() -> Any:
    """The built-in table exporters, without the other entry points."""
    return plugins.plugin_manager(
        entry_points=False,
        disabled=(),
        plugins=[("csv", csv_plugin), ("json", json_plugin), ("xlsx", xlsx_plugin)],
    )


PM = manager()
ZH = catalogue("zh").gettext


def make(name: str, **settings: Any) -> Any:
    return exporter(name, pm=PM, **settings)


@pytest.fixture(scope="module")
def school() -> Any:
    from liushou_core import synth

    return synth.school(3, children=40, on=ON)


# --------------------------------------------------------------------------- readers


def read_csv(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fp:
        return list(csv.reader(fp))


def read_xlsx(path: Path) -> dict[str, list[list[Any]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}


def file_text(path: Path, encoding: str = "utf-8-sig") -> str:
    """Everything a file shows, as one text (cells joined by a tab for XLSX)."""
    if path.suffix == ".xlsx":
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for rows in read_xlsx(path).values()
            for row in rows
        )
    return path.read_bytes().decode(encoding)


def assert_masked(text: str) -> None:
    assert not UNMASKED_ID.search(text), UNMASKED_ID.search(text)
    assert not UNMASKED_MOBILE.search(text), UNMASKED_MOBILE.search(text)


# --------------------------------------------------------------------------- round trips

# Text as people type it, and as attackers do: separators, quotes, line breaks,
# Chinese, formula triggers and their full-width forms, digits.
TRICKY = st.text(
    st.one_of(
        st.sampled_from(list(",;\"'\n\r\t =+-@＝＋－＠ 　|!()")),
        st.sampled_from(list("王小明留守儿童监护人电话，。、“”")),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=24,
)
TEXTS = st.lists(TRICKY, min_size=1, max_size=12)


def text_table(texts: list[str]) -> Table:
    return Table(
        "notes",
        "Notes",
        (Column("note", "Note", mask="none"), Column("n", "No.", "int")),
        [(t, i) for i, t in enumerate(texts)],
    )


def expected_csv(text: str) -> str:
    return "'" + text if text and text[0] in TRIGGERS else text


def expected_xlsx(text: str) -> str | None:
    text = XML_ILLEGAL.sub("", text)
    if not text:
        return None
    text = "'" + text if text[0] in TRIGGERS else text
    return text.replace("\r\n", "\n").replace("\r", "\n")


@given(texts=TEXTS, encoding=st.sampled_from(["utf-8-sig", "gb18030"]))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_csv_round_trip_changes_only_formula_triggers(
    tmp_path: Path, texts: list[str], encoding: str
) -> None:
    path = tmp_path / "notes.csv"
    make("csv", encoding=encoding).write(text_table(texts), path)
    header, *rows = read_csv(path, encoding)
    assert header == ["Note", "No."]
    assert [r[0] for r in rows] == [expected_csv(t) for t in texts]
    assert [int(r[1]) for r in rows] == list(range(len(texts)))
    for r in rows:
        assert not r[0] or r[0][0] not in TRIGGERS  # nothing a spreadsheet would run


@given(texts=TEXTS)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_xlsx_round_trip_changes_only_formula_triggers(tmp_path: Path, texts: list[str]) -> None:
    path = tmp_path / "notes.xlsx"
    make("xlsx").write(text_table(texts), path)
    [(_, rows)] = read_xlsx(path).items()
    assert rows[0] == ["Note", "No."]
    assert [r[0] for r in rows[1:]] == [expected_xlsx(t) for t in texts]
    assert [r[1] for r in rows[1:]] == list(range(len(texts)))
    wb = openpyxl.load_workbook(path)
    for cell in wb.active["A"][1:]:
        assert cell.data_type in ("s", "n")  # text (or empty), never a formula ("f")


@given(texts=TEXTS)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_json_keeps_text_exactly(tmp_path: Path, texts: list[str]) -> None:
    path = tmp_path / "notes.json"
    make("json").write(text_table(texts), path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [r["note"] for r in doc["tables"][0]["rows"]] == texts


@given(
    columns=st.lists(
        st.lists(st.one_of(st.none(), TRICKY, lst.mobile_phones()), min_size=3, max_size=3),
        min_size=1,
        max_size=4,
    ),
    mask=st.sampled_from(["text", "none", "phone"]),
)
def test_column_by_column_equals_cell_by_cell(columns: list[list[Any]], mask: str) -> None:
    """The fast path (a column that needs nothing is copied) writes what the cell path does."""
    from liushou_adapters.export.tables import _Cells, _xlsx_value

    cols = tuple(Column(f"c{i}", f"C{i}", mask=mask) for i in range(len(columns)))
    table = Table("t", "T", cols, [tuple(c[r] for c in columns) for r in range(3)])
    for text_out in (neutralise, _xlsx_value):
        fast = list(_Cells(table, "zh", None).rows(text_out))
        slow = list(_Cells(table, "zh", [set(), set(), set()]).rows(text_out))
        assert fast == slow


def test_neutralise_every_trigger() -> None:
    for ch in "=+-@\t\r＝＋－＠":
        assert neutralise(ch + "SUM(A1)") == "'" + ch + "SUM(A1)"
    for text in ("", "王小明", "1+1", " =1", "'=1"):
        assert neutralise(text) == text


# --------------------------------------------------------------------------- masking


@st.composite
def children_with_numbers_in_text(draw: st.DrawFn) -> list[Child]:
    """Children whose free text also holds ID and phone numbers (as people write them)."""
    kids = draw(st.lists(lst.children(school_id="s-1"), min_size=1, max_size=4))
    out = []
    for i, child in enumerate(kids):
        number = draw(lst.resident_ids())
        phone = draw(lst.mobile_phones())
        detail = draw(st.sampled_from([f"电话{phone}", f"身份证{number}", f"{phone} {number}"]))
        out.append(
            attrs.evolve(
                child,
                id=f"c-{i}",
                address=attrs.evolve(child.address, detail=detail),
                ethnicity=f"汉族 {phone}",
            )
        )
    return out


def finding_about(child: Child, phone: str) -> Finding:
    return Finding(
        "NO_CONSENT",
        Severity.WARNING,
        child.school_id,
        Subject("child", child.id),
        ON,
        Message("NO_CONSENT", "Call the guardian on {phone}.", {"phone": phone}),
    )


@given(kids=children_with_numbers_in_text(), phone=lst.mobile_phones())
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_export_holds_an_unmasked_number(tmp_path: Path, kids: list[Child], phone: str) -> None:
    tables = [
        children_table(kids, on=ON),
        contacts_table(kids),
        findings_table([finding_about(c, phone) for c in kids]),
        rows_table("notes", "Notes", [{"text": f"{c.name} {phone}"} for c in kids]),
    ]
    for name in FORMATS:
        if name == "csv":
            for i, table in enumerate(tables):
                for encoding in ("utf-8-sig", "gb18030"):
                    path = tmp_path / f"{i}-{encoding}.csv"
                    make("csv", encoding=encoding).write(table, path)
                    assert_masked(file_text(path, encoding))
        else:
            path = tmp_path / f"all.{name}"
            make(name, lang="en").write(tables, path)
            assert_masked(file_text(path))


def test_masked_export_shows_the_masked_forms(tmp_path: Path, school: Any) -> None:
    kids = [c for c in school.children if c.id_number and c.guardians and c.guardians[0].phone]
    child = kids[0]
    path = tmp_path / "c.csv"
    make("csv").write(children_table([child]), path)
    header, row = read_csv(path)
    cells = dict(zip(header, row, strict=True))
    number, phone = str(child.id_number), str(child.guardians[0].phone)
    assert cells[ZH("ID number")] == number[:6] + "*" * 8 + number[-4:]
    assert cells[ZH("Guardian's phone")] == phone[:3] + "****" + phone[-4:]
    assert cells[ZH("Name")] == child.name


# --------------------------------------------------------------------------- unmasking


@pytest.fixture
def store(school: Any) -> Iterator[Any]:
    s = open_store("memory://")
    with s.unit_of_work("test") as uow:
        uow.add_all(list(school.records()))
        uow.commit()
    yield s
    s.close()


def principal(**kw: Any) -> Actor:
    return Actor(Role.PRINCIPAL, "p-1", schools=("s-1",), **kw)


def test_unmasking_needs_the_permission(store: Any) -> None:
    with pytest.raises(FieldAccessDenied, match="needs the permission export unmasked") as info:
        make("csv", unmask=True, actor=principal(purpose="visits"), store=store)
    assert "导出" in info.value.render("zh")[0]


def test_unmasking_needs_a_purpose(store: Any) -> None:
    actor = principal(permissions=[Permission.EXPORT_UNMASKED])
    with pytest.raises(FieldAccessDenied, match="must record a purpose"):
        make("xlsx", unmask=True, actor=actor, store=store)


def test_unmasking_needs_an_actor_and_a_store(store: Any) -> None:
    with pytest.raises(ValueError, match="actor"):
        make("json", unmask=True, store=store)
    actor = principal(permissions=[Permission.EXPORT_UNMASKED], purpose="visits")
    with pytest.raises(ValueError, match="store"):
        make("json", unmask=True, actor=actor)


@pytest.mark.parametrize("name", FORMATS)
def test_unmasked_export_shows_numbers_and_audits_each_record(
    tmp_path: Path, school: Any, store: Any, name: str
) -> None:
    sid = school.school.id
    actor = Actor(
        Role.PRINCIPAL,
        "p-1",
        schools=(sid,),
        purpose="home visits",
        permissions=[Permission.EXPORT_UNMASKED],
    )
    table = contacts_table(school.children, classes=school.classes)
    path = tmp_path / f"cards.{name}"
    before = len(store.audit_trail(action="read"))
    summary = make(name, unmask=True, actor=actor, store=store).write(table, path)
    text = file_text(path)
    phones = {str(p.phone) for c in school.children for p in c.parents if p.phone}
    assert phones
    assert all(p in text for p in phones)  # in full
    reads = store.audit_trail(action="read")[before:]
    with_phone = {
        c.id
        for c in school.children
        if any(x.phone for x in (*c.parents, *c.guardians, *c.emergency_contacts))
        or (c.village_committee and c.village_committee.phone)
    }
    assert summary.audited == len(reads) == len(with_phone)
    assert not summary.masked
    assert {e.record_id for e in reads} == with_phone
    for e in reads:
        assert (e.actor, e.purpose, e.kind) == (actor.label, "home visits", "child")
        assert set(e.fields) <= {"parents", "guardians", "emergency_contacts", "village_committee"}
        assert e.fields


def test_unmasking_outside_the_scope_is_refused_and_not_audited(
    tmp_path: Path, school: Any, store: Any
) -> None:
    actor = Actor(
        Role.PRINCIPAL, "p-2", schools=("other",), purpose="x",
        permissions=[Permission.EXPORT_UNMASKED],
    )  # fmt: skip
    path = tmp_path / "c.csv"
    with pytest.raises(FieldAccessDenied, match="outside the scope"):
        make("csv", unmask=True, actor=actor, store=store).write(
            children_table(school.children), path
        )
    assert not path.exists()
    assert store.audit_trail(action="read") == []


def test_rows_without_a_stored_record_stay_masked(tmp_path: Path, store: Any) -> None:
    actor = Actor(Role.SYSTEM, "job", purpose="x")
    table = rows_table("notes", "Notes", [{"text": "call 13812345678"}])
    path = tmp_path / "n.json"
    summary = make("json", unmask=True, actor=actor, store=store).write(table, path)
    assert summary.audited == 0
    assert "138****5678" in path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- formats


def test_xlsx_sheets_headers_types_and_layout(tmp_path: Path, school: Any) -> None:
    child = school.children[0]
    decision = AidDecision(
        "a-1", child.school_id, child.id, ON,
        (
            SchemeDecision("living subsidy", True, Decimal("1250"), source="财教〔2021〕"),
            SchemeDecision("free textbooks", True),
        ),
    )  # fmt: skip
    tables = [
        children_table(school.children, classes=school.classes, on=ON),
        aid_table([decision], children=school.children, classes=school.classes),
    ]
    path = tmp_path / "term.xlsx"
    make("xlsx").write(tables, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [ZH("Children and archives"), ZH("Aid decisions")]
    kids, aid = wb[ZH("Children and archives")], wb[ZH("Aid decisions")]
    for ws in (kids, aid):
        assert ws.freeze_panes == "A2"
        assert all(c.font.bold for c in ws[1])
        assert ws.auto_filter.ref.startswith("A1:")
    headers = [c.value for c in kids[1]]
    assert headers[:3] == [ZH("School"), ZH("Pupil id"), ZH("Name")]
    assert kids.max_row == len(school.children) + 1
    row = dict(zip(headers, kids[2], strict=True))
    assert row["出生日期"].value.date() == child.birth_date  # a date cell, the same day
    assert row["出生日期"].number_format == "yyyy-mm-dd"
    assert row["年龄"].value == child.age_on(ON)
    assert row["寄宿"].value is child.boarding
    assert kids.column_dimensions["C"].width >= 6
    aid_headers = [c.value for c in aid[1]]
    amount = aid.cell(2, aid_headers.index(ZH("Amount (yuan/year)")) + 1)
    assert amount.value == 1250
    assert amount.number_format == "0.00"
    assert aid.cell(3, aid_headers.index(ZH("Amount (yuan/year)")) + 1).value is None


def test_csv_encodings_and_english(tmp_path: Path, school: Any) -> None:
    table = children_table(school.children[:5], on=ON)
    bom, gb = tmp_path / "bom.csv", tmp_path / "gb.csv"
    make("csv").write(table, bom)
    make("csv", encoding="gb18030", lang="en").write(table, gb)
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    assert not gb.read_bytes().startswith(b"\xef\xbb\xbf")
    zh = read_csv(bom)
    en = read_csv(gb, "gb18030")
    assert zh[0][:3] == [ZH("School"), ZH("Pupil id"), ZH("Name")]
    assert en[0][:3] == ["School", "Pupil id", "Name"]
    assert [r[2] for r in zh[1:]] == [r[2] for r in en[1:]] == [c.name for c in school.children[:5]]
    sex = {ZH("female"): "female", ZH("male"): "male"}
    assert [sex[r[3]] for r in zh[1:]] == [r[3] for r in en[1:]]


def test_csv_holds_one_table(tmp_path: Path, school: Any) -> None:
    tables = [children_table(school.children), contacts_table(school.children)]
    with pytest.raises(ValueError, match="holds one table"):
        make("csv").write(tables, tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def test_json_uses_the_converters_shapes(tmp_path: Path, school: Any) -> None:
    child = school.children[0]
    teacher = school.teachers[0]
    pairing = Pairing("p-1", child.school_id, "2026-1", child.id, teacher.id, start=ON)
    path = tmp_path / "pairs.json"
    make("json", lang="en").write(
        pairs_table([pairing], children=school.children, teachers=school.teachers), path
    )
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"], doc["lang"], doc["masked"]) == (
        "liushou-export", 1, "en", True,
    )  # fmt: skip
    [table] = doc["tables"]
    assert table["title"] == "Mentor pairs"
    [row] = table["rows"]
    assert row["start"] == unstructure(ON) == "2026-11-29"
    assert row["mentor_kind"] == unstructure(MentorKind.TEACHER) == "teacher"
    assert row["child_name"] == child.name
    assert row["mentor_name"] == teacher.name
    assert row["end"] is None
    if teacher.phone:
        assert row["mentor_phone"] != teacher.phone
        assert "****" in row["mentor_phone"]


def test_findings_render_their_messages(tmp_path: Path) -> None:
    f = Finding(
        "X", Severity.ERROR, "s-1", Subject("child", "c-1"), ON,
        Message("M", "Both parents are working away."),
        Message("F", "Call the guardian on {phone}.", {"phone": "13812345678"}),
    )  # fmt: skip
    path = tmp_path / "f.csv"
    make("csv", lang="en").write(findings_table([f]), path)
    header, row = read_csv(path)
    cells = dict(zip(header, row, strict=True))
    assert cells["Finding"] == "Both parents are working away."
    assert cells["How to fix"] == "Call the guardian on 138****5678."
    assert cells["Severity"] == "error"


def test_rows_table_for_later_datasets(tmp_path: Path) -> None:
    rows = [{"class": "一年级1班", "planned": 4, "done": 3}, {"class": "=cmd", "planned": 2}]
    cols = [
        Column("class", "Class"),
        Column("planned", "Planned", "int"),
        Column("done", "Done", "int"),
    ]
    path = tmp_path / "cadence.xlsx"
    make("xlsx").write(rows_table("cadence", "Cadence compliance", rows, cols), path)
    [(_, got)] = read_xlsx(path).items()
    assert got == [
        [ZH("Class"), ZH("Planned"), ZH("Done")],
        ["一年级1班", 4, 3],
        ["'=cmd", 2, None],
    ]
    with pytest.raises(ValueError, match="unknown keys"):
        rows_table("x", "X", [{"a": 1}, {"b": 2}])


def test_failed_export_leaves_no_file(tmp_path: Path, school: Any) -> None:
    def boom(done: int, total: int) -> None:
        if done:
            raise RuntimeError("disk full")

    path = tmp_path / "c.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        make("xlsx", progress=boom).write(children_table(school.children), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.xlsx"]


def test_progress_counts_every_row(tmp_path: Path, school: Any) -> None:
    seen: list[tuple[int, int]] = []
    table = contacts_table(school.children)
    make("csv", progress=lambda d, t: seen.append((d, t))).write(table, tmp_path / "c.csv")
    assert seen[0] == (0, len(table))
    assert seen[-1] == (len(table), len(table))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# --------------------------------------------------------------------------- registry


def test_built_ins_are_entry_points() -> None:
    pm = plugins.plugin_manager(disabled=())
    assert {"csv", "json", "xlsx"} <= set(table_formats(pm))
    blocked = plugins.plugin_manager(disabled=["xlsx"])
    assert "xlsx" not in plugins.exporters(blocked)


def test_unknown_exporter_lists_the_known_ones() -> None:
    with pytest.raises(
        plugins.UnknownName, match=r"unknown exporter 'pdf'; known: csv, json, xlsx"
    ):
        exporter("pdf", pm=PM)


class _Needy:
    @hookimpl
    def liushou_exporters(self) -> list[ExporterSpec]:
        return [ExporterSpec("ods", ".ods", dict, requires=("no_such_module_xyz",))]


def test_missing_library_is_listed_but_says_what_to_install() -> None:
    pm = plugins.plugin_manager(entry_points=False, disabled=(), plugins=[("ods", _Needy())])
    assert "ods" in plugins.exporters(pm)
    with pytest.raises(plugins.PluginError, match=r"needs no_such_module_xyz.*liushou\[ods\]"):
        exporter_spec("ods", pm)


def test_exporters_satisfy_the_port() -> None:
    from liushou_core.ports import Exporter

    for name in FORMATS:
        e = make(name)
        assert isinstance(e, Exporter)
        assert e.name == name
        assert e.suffix == f".{name}"


def test_record_refs_name_stored_records(school: Any) -> None:
    table = children_table(school.children)
    assert table.refs is not None
    assert table.refs[0]["child"] == RecordRef(Child, school.school.id, school.children[0].id)
    pairing = Pairing("p-1", school.school.id, "t", school.children[0].id, school.teachers[0].id)
    pairs = pairs_table([pairing], teachers=school.teachers)
    assert pairs.refs == [{"mentor": RecordRef(Teacher, school.school.id, school.teachers[0].id)}]
