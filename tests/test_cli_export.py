"""``liushou export``, driven through the real entry point on a demo SQLite store."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cli_run import run_cli
from liushou_adapters.export.datasets import DATASETS
from liushou_adapters.storage import open_store
from liushou_core.i18n import catalogue
from liushou_core.models import AidDecision, Child, Pairing, SchemeDecision, Teacher

openpyxl = pytest.importorskip("openpyxl")

ON = "2026-11-29"
UNMASKED = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")


def zh(msgid: str) -> str:
    return catalogue("zh").gettext(msgid)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=160)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A demo store with one school, and (instead of the demo's) two pairings and an aid
    decision."""
    where = tmp_path_factory.mktemp("export-cli")
    db = where / "demo.db"
    result = run("--store", f"sqlite:///{db}", "--on", ON, "demo", "--out", "o", cwd=where)
    assert result.returncode == 0, result.stderr
    store = open_store(f"sqlite:///{db}")
    try:
        with store.unit_of_work("test") as uow:
            [school] = uow.schools()
            sid = school.id
            kids = uow.list(Child, sid)
            teachers = uow.list(Teacher, sid)
            # the demo pairs and assesses aid itself: start from none, to know every row
            for kind in (Pairing, AidDecision):
                for r in uow.list(kind, sid):
                    uow.delete(kind, sid, r.id, r.version)
            uow.add(Pairing("p-1", sid, "2026-1", kids[0].id, teachers[0].id))
            uow.add(Pairing("p-2", sid, "2026-1", kids[1].id, teachers[0].id))
            scheme = SchemeDecision("living subsidy", True, Decimal("1000"))
            uow.add(AidDecision("a-1", sid, kids[0].id, dt.date(2026, 9, 1), (scheme,)))
            uow.commit()
    finally:
        store.close()
    return {"dir": where, "db": db, "store": f"sqlite:///{db}", "school": sid, "children": kids}


def export(demo: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return run("--store", demo["store"], "--on", ON, *args, cwd=demo["dir"])


def test_help_has_an_example(tmp_path: Path) -> None:
    result = run("export", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: liushou export" in result.stdout
    assert "Example" in result.stdout
    assert "--unmask" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_xlsx_of_every_dataset(demo: dict[str, Any]) -> None:
    out = demo["dir"] / "term.xlsx"
    result = export(
        demo, "export", "--dataset", "children", "--dataset", "contacts", "--dataset", "pairs",
        "--dataset", "aid", "--school", demo["school"], "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when not on a terminal
    assert zh("ID and phone numbers are masked.") in result.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [zh(DATASETS[d]) for d in ("children", "contacts", "pairs", "aid")]
    assert wb[zh(DATASETS["children"])].max_row == len(demo["children"]) + 1
    assert wb[zh(DATASETS["pairs"])].max_row == 3
    assert wb[zh(DATASETS["aid"])].max_row == 2
    for ws in wb:
        assert ws.freeze_panes == "A2"
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and UNMASKED.search(value)), value


def test_csv_in_english_and_gb18030(demo: dict[str, Any]) -> None:
    out = demo["dir"] / "contacts.csv"
    result = export(
        demo, "--lang", "en", "export", "--dataset", "contacts", "--encoding", "gb18030",
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout
    assert "masked" in result.stdout
    text = out.read_bytes().decode("gb18030")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][:4] == ["School", "Pupil id", "Pupil", "Class"]
    assert len(rows) > len(demo["children"])
    assert not UNMASKED.search(text)


def test_json_by_format_option(demo: dict[str, Any]) -> None:
    out = demo["dir"] / "pairs.data"
    result = export(demo, "export", "--dataset", "pairs", "--format", "json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [r["child_id"] for r in doc["tables"][0]["rows"]] == [
        demo["children"][0].id,
        demo["children"][1].id,
    ]


def test_unmasked_export_is_audited(demo: dict[str, Any]) -> None:
    out = demo["dir"] / "cards.csv"
    purpose = "home visits before the winter break"
    result = export(
        demo, "export", "--dataset", "contacts", "--out", str(out), "--unmask",
        "--purpose", purpose,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert purpose in result.stdout
    text = out.read_text(encoding="utf-8-sig")
    assert UNMASKED.search(text)  # the numbers in full, as asked
    store = open_store(demo["store"])
    try:
        reads = [e for e in store.audit_trail(action="read") if e.purpose == purpose]
    finally:
        store.close()
    assert reads
    assert {e.actor for e in reads} == {"system:liushou export"}
    assert {e.kind for e in reads} == {"child"}
    n = int(re.search(r"(\d+)", result.stdout.split("\n")[1]).group(1))  # type: ignore[union-attr]
    assert n == len(reads)


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--dataset", "children", "--format", "pdf", "--out", "x.pdf"], "not a table format"),
        (["--dataset", "children", "--out", "noext"], "--format"),
        (["--dataset", "children", "--dataset", "aid", "--out", "x.csv"], "one dataset"),
        (["--dataset", "children", "--out", "x.csv", "--unmask"], "--purpose"),
        (["--dataset", "children", "--out", "x.csv", "--purpose", "p"], "--unmask"),
        (["--dataset", "children", "--school", "nope", "--out", "x.csv"], "--school"),
        (["--dataset", "children", "--out", "x.xlsx", "--encoding", "gb18030"], "--encoding"),
        (["--dataset", "children", "--out", "no/dir/x.csv"], "does not exist"),
        (["--dataset", "everything", "--out", "x.csv"], "--dataset"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    demo: dict[str, Any], tmp_path: Path, args: list[str], names: str
) -> None:
    result = run("--store", demo["store"], "export", *args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert names in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_store_is_bad_input(tmp_path: Path) -> None:
    result = run(
        "--store", f"sqlite:///{tmp_path / 'none.db'}", "export", "--dataset", "children",
        "--out", "x.csv", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "not found" in result.stderr
    assert list(tmp_path.iterdir()) == []
