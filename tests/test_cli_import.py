"""``liushou template`` and ``liushou import``, through the real entry point in a subprocess."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli
from liushou_adapters.roster import COLUMNS
from liushou_adapters.roster.rows import child_row, roster_bytes
from liushou_adapters.storage import open_store
from liushou_core import synth
from liushou_core.privacy import SYSTEM
from liushou_core.services import import_records

UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=160)


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


CHILDREN = "SELECT count(*) FROM records WHERE kind = 'child'"
WRITES = "SELECT count(*) FROM audit WHERE action != 'read'"


@pytest.fixture(scope="module")
def school() -> synth.SyntheticSchool:
    return synth.school(11, children=40)


@pytest.fixture
def db(tmp_path: Path, school: synth.SyntheticSchool) -> Path:
    """An SQLite store holding the school and its classes, without pupils."""
    path = tmp_path / "school.db"
    store = open_store(f"sqlite:///{path}")
    try:
        import_records(store, SYSTEM, [school.school, *school.classes])
    finally:
        store.close()
    return path


def filled_template(tmp_path: Path, school: synth.SyntheticSchool) -> Path:
    """The CSV template written by the command, filled in as a person would, in GB18030."""
    result = run("template", "--out", "forms", "--format", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    template = tmp_path / "forms" / "roster-template.csv"
    header, keys = list(csv.reader(io.StringIO(template.read_text(encoding="utf-8-sig"))))
    names = {c.id: c.name for c in school.classes}
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow(keys)
    for child in school.children:
        row = child_row(child, names)
        writer.writerow(row.get(k, "") if k != "record_id" else "" for k in keys)
    path = tmp_path / "花名册.csv"
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


@pytest.mark.parametrize("command", ["template", "import"])
def test_help_has_an_example(tmp_path: Path, command: str) -> None:
    result = run(command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Usage: liushou {command}" in result.stdout
    assert "Example" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_template_writes_both_formats(tmp_path: Path) -> None:
    result = run("--lang", "en", "template", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "roster-template.csv",
        "roster-template.xlsx",
    ]
    assert f"({len(COLUMNS)} columns" in result.stdout
    only = run("template", "--out", "x", "--format", "xlsx", cwd=tmp_path)
    assert only.returncode == 0, only.stderr
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["roster-template.xlsx"]
    assert "已写入" in only.stdout


def test_template_bad_input(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = run("template", "--out", "afile/sub", cwd=tmp_path)
    assert result.returncode == 2
    assert "--out" in result.stderr
    assert "Traceback" not in result.stderr
    bad_format = run("template", "--format", "ods", cwd=tmp_path)
    assert bad_format.returncode == 2
    assert "--format" in bad_format.stderr


def test_import_a_filled_template_then_again(
    tmp_path: Path, db: Path, school: synth.SyntheticSchool
) -> None:
    roster = filled_template(tmp_path, school)
    store = ("--store", f"sqlite:///{db}")
    n = len(school.children)
    first = run(*store, "import", str(roster), "--school", school.school.id, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"新增学生{n}名" in first.stdout
    assert first.stderr == ""  # piped: no progress bar
    assert count(db, CHILDREN) == n
    writes = count(db, WRITES)
    again = run(
        *store, "--lang", "en", "import", str(roster), "--school", school.school.id, cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert f"{n} rows, 0 pupils added, 0 updated, {n} unchanged" in again.stdout
    assert count(db, WRITES) == writes
    assert not UNMASKED.search(first.stdout + again.stdout)


def test_import_bad_rows_lists_them_and_writes_nothing(
    tmp_path: Path, db: Path, school: synth.SyntheticSchool
) -> None:
    rows = [child_row(c) for c in school.children[:6]]
    for row in rows:
        del row["record_id"]
    rows[1]["father_phone"] = "12345"
    rows[4]["class"] = "九年级9班"
    path = tmp_path / "bad.csv"
    path.write_bytes(roster_bytes(rows))
    writes = count(db, WRITES)
    result = run(
        "--store", f"sqlite:///{db}", "--lang", "en", "import", str(path), "--school",
        school.school.id, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "line 4, 父亲联系电话 (father_phone)" in result.stderr
    assert "line 7, 班级 (class): unknown class 九年级9班" in result.stderr
    assert "nothing was written: 2 of 6 rows have problems" in result.stderr
    assert not UNMASKED.search(result.stderr)
    assert count(db, WRITES) == writes
    assert count(db, CHILDREN) == 0
    zh = run(
        "--store", f"sqlite:///{db}", "import", str(path), "--school", school.school.id,
        cwd=tmp_path,
    )  # fmt: skip
    assert zh.returncode == 2
    assert "第4行「父亲联系电话」" in zh.stderr


def test_import_bad_input(tmp_path: Path, db: Path, school: synth.SyntheticSchool) -> None:
    store = ("--store", f"sqlite:///{db}")
    missing = run(*store, "import", "nope.csv", "--school", school.school.id, cwd=tmp_path)
    assert missing.returncode == 2
    assert "nope.csv" in missing.stderr
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04 broken")
    broken = run(*store, "import", str(garbage), "--school", school.school.id, cwd=tmp_path)
    assert broken.returncode == 2
    assert "xlsx" in broken.stderr
    roster = tmp_path / "r.csv"
    roster.write_bytes(roster_bytes([{"name": "王小明", "sex": "男", "birth_date": "2016-05-04"}]))
    no_school = run(*store, "--lang", "en", "import", str(roster), "--school", "X", cwd=tmp_path)
    assert no_school.returncode == 2
    assert "school X is not stored" in no_school.stderr
    no_db = run(
        "--store", f"sqlite:///{tmp_path / 'none.db'}", "import", str(roster), "--school", "X",
        cwd=tmp_path,
    )  # fmt: skip
    assert no_db.returncode == 2
    assert not (tmp_path / "none.db").exists()
    no_option = run(*store, "import", str(roster), cwd=tmp_path)
    assert no_option.returncode == 2
    assert "--school" in no_option.stderr
    for result in (missing, broken, no_school, no_db, no_option):
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2
    assert count(db, CHILDREN) == 0
