"""``liushou audit``: who saw or changed a pupil's record, through the real command.

The demo records a read for each pupil of its example table and prints the
``liushou audit`` command for one of them; these tests run that command (as a
subprocess, on a temporary SQLite store) and check the table, the JSON lines,
the filters and the refusals.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from liushou_adapters.cli import (
    DEMO_ACTOR,
    DEMO_PURPOSE,
    EXAMPLE_FIELDS,
    Settings,
    _audit_command,
)
from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core.models import Child

ON = "2026-11-29"
LATER = "2027-02-01"
# An 18-character resident ID number or an 11-digit mobile number, unmasked.
UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "LIUSHOU_STORE"}
    environ.update({"COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    return subprocess.run(
        [sys.executable, "-m", "liushou_adapters.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


@attrs.frozen
class Demo:
    """A temporary store after ``liushou demo``, and what the demo printed."""

    dir: Path
    db: Path
    stdout: str
    hint: list[str]  # the suggested command, split as a shell would

    @property
    def store(self) -> str:
        return f"sqlite:///{self.db}"

    @property
    def school(self) -> str:
        return self.hint[self.hint.index("--school") + 1]

    @property
    def child(self) -> str:
        return self.hint[self.hint.index("--child") + 1]

    def audit(self, *args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
        options = ["--store", self.store, *(["--lang", lang] if lang else [])]
        return run(*options, "audit", *args, cwd=self.dir)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    pytest.importorskip("liushou_core.synth")
    where = tmp_path_factory.mktemp("audit")
    db = where / "demo.db"
    result = run(
        "--store", f"sqlite:///{db}", "--on", ON, "demo", "--out", str(where / "out"), cwd=where
    )
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stdout.splitlines() if "liushou" in x and " audit " in x]
    command = line.split("：", 1)[1] if "：" in line else line.split(": ", 1)[1]
    return Demo(where, db, result.stdout, shlex.split(command))


# ----------------------------------------------------------------------------- the demo


def test_the_demo_records_a_read_for_each_pupil_it_shows(demo: Demo) -> None:
    # the demo's notices read pupils' records too, with their own purpose
    reads = demo.rows(
        "SELECT actor, purpose, kind, record_id, old_version, new_version, fields "
        "FROM audit WHERE action = 'read' AND purpose = ? ORDER BY seq",
        DEMO_PURPOSE,
    )
    assert 1 <= len(reads) <= 5  # one per example pupil
    assert len({r[3] for r in reads}) == len(reads)
    for actor, purpose, kind, _, old, new, fields in reads:
        assert (actor, purpose, kind, old, new) == (DEMO_ACTOR, DEMO_PURPOSE, "child", 1, 1)
        assert tuple(json.loads(fields)) == EXAMPLE_FIELDS
    assert demo.child in {r[3] for r in reads}


def test_the_demo_suggests_the_audit_command_for_a_shown_pupil(demo: Demo) -> None:
    assert demo.hint[:3] == ["liushou", "--store", demo.store]
    assert demo.hint[3:5] == ["audit", "--school"]
    assert "谁看过" in demo.stdout  # the hint is in Chinese, like the rest
    (name,) = demo.rows(
        "SELECT json_extract(data, '$.name') FROM records WHERE kind = 'child' AND id = ?",
        demo.child,
    )
    assert name[0] in demo.stdout  # the pupil is one of those shown


def test_running_the_suggested_command_shows_the_demos_read(demo: Demo) -> None:
    result = run(*demo.hint[1:], cwd=demo.dir)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for header in ("时间", "操作人", "操作", "用途", "字段"):
        assert header in out
    assert demo.child in out
    assert DEMO_ACTOR in out
    assert "新建" in out  # the add
    assert "查看" in out  # the demo's read
    assert "姓名、出生日期、班级、身份证号" in out  # the fields shown, by their labels
    assert not UNMASKED.search(out + result.stderr)
    assert result.stderr == ""


def test_english_headers_and_labels(demo: Demo) -> None:
    result = demo.audit("--school", demo.school, "--child", demo.child, lang="en")
    assert result.returncode == 0, result.stderr
    for word in ("Time", "Who", "Action", "Purpose", "Fields", "created", "viewed"):
        assert word in result.stdout
    assert "name, date of birth, class, ID number" in result.stdout


def test_json_lines(demo: Demo) -> None:
    result = demo.audit("--school", demo.school, "--child", demo.child, "--json")
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["action"] for e in entries] == ["add", "read"]
    add, read = entries
    assert set(read) == {
        "seq",
        "at",
        "actor",
        "action",
        "kind",
        "school_id",
        "record_id",
        "old_version",
        "new_version",
        "purpose",
        "fields",
    }
    assert (read["actor"], read["purpose"], read["fields"]) == (
        DEMO_ACTOR,
        DEMO_PURPOSE,
        list(EXAMPLE_FIELDS),
    )
    assert (read["kind"], read["school_id"], read["record_id"]) == (
        "child",
        demo.school,
        demo.child,
    )
    assert read["old_version"] == read["new_version"] == add["new_version"] == 1
    assert add["seq"] < read["seq"]
    assert "id_number" in add["fields"]
    assert "version" not in add["fields"]
    assert read["at"][:4].isdigit()
    assert "T" in read["at"]

    only_reads = demo.audit(
        "--school", demo.school, "--child", demo.child, "--json", "--action", "read"
    )
    assert [json.loads(x)["action"] for x in only_reads.stdout.splitlines()] == ["read"]


def test_an_action_without_entries(demo: Demo) -> None:
    table = demo.audit("--school", demo.school, "--child", demo.child, "--action", "delete")
    assert table.returncode == 0, table.stderr
    assert "没有所查类型的审计记录" in table.stdout
    lines = demo.audit(
        "--school", demo.school, "--child", demo.child, "--action", "delete", "--json"
    )
    assert (lines.returncode, lines.stdout) == (0, "")


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("which", "fragment"),
    [("child", "--child: pupil c-nobody"), ("school", "--school: school S-nowhere")],
)
def test_a_pupil_or_school_not_stored_exits_2_with_one_line(
    demo: Demo, which: str, fragment: str
) -> None:
    school = "S-nowhere" if which == "school" else demo.school
    before = demo.rows("SELECT count(*) FROM audit")
    result = demo.audit("--school", school, "--child", "c-nobody")
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("liushou: error: ")
    assert fragment in lines[0]
    assert result.stdout == ""
    assert demo.rows("SELECT count(*) FROM audit") == before


def test_a_store_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    result = run(
        "--store",
        f"sqlite:///{tmp_path / 'typo.db'}",
        "audit",
        "--school",
        "S1",
        "--child",
        "c1",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no database there" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--school", "S1"], "--child"),
        (["--child", "c1"], "--school"),
        (["--school", "S1", "--child", "c1", "--action", "peek"], "--action"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = run("--store", f"sqlite:///{tmp_path / 'x.db'}", "audit", *args, cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert fragment in line
    assert list(tmp_path.iterdir()) == []


def test_help_with_an_example(tmp_path: Path) -> None:
    result = run("audit", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: liushou audit" in result.stdout
    assert "Example" in result.stdout
    assert "liushou audit --school" in result.stdout
    for option in ("--school", "--child", "--action", "--json"):
        assert option in result.stdout
    assert "audit" in run("--help", cwd=tmp_path).stdout
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- history


def test_changes_reads_by_others_and_a_deleted_record(tmp_path: Path) -> None:
    """Updates show the changed fields; other actors' reads show masked; a deleted
    pupil keeps the trail."""
    pytest.importorskip("liushou_core.synth")
    db = tmp_path / "d.db"
    store_url = f"sqlite:///{db}"
    for day in (ON, LATER):  # the later day updates some pupils
        demo = run("--store", store_url, "--on", day, "demo", "--out", str(tmp_path), cwd=tmp_path)
        assert demo.returncode == 0, demo.stderr
    with SqliteStore(db) as store:
        changed = store.audit_trail(kind=Child, action="update")[0]
        sid, cid = changed.school_id, changed.record_id
        assert changed.fields
        with store.unit_of_work("班主任 王老师", purpose="家访，联系电话 13812345678") as uow:
            child = uow.get(Child, sid, cid)
            uow.record_read(Child, sid, cid, fields=["name", "guardians"])
            uow.delete(Child, sid, cid, child.version)
            uow.commit()

    result = run(
        "--store", store_url, "--lang", "en", "audit", "--school", sid, "--child", cid, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for word in ("created", "changed", "viewed", "deleted", "班主任 王老师", "name, guardians"):
        assert word in out
    assert "138****5678" in out
    assert not UNMASKED.search(out)

    lines = run(
        "--store",
        store_url,
        "audit",
        "--school",
        sid,
        "--child",
        cid,
        "--json",
        "--action",
        "update",
        cwd=tmp_path,
    )
    updates = [json.loads(x) for x in lines.stdout.splitlines()]
    assert updates[0]["fields"] == list(changed.fields)
    assert all(u["old_version"] + 1 == u["new_version"] for u in updates)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (Settings("sqlite:///liushou.db", "zh", dt.date(2026, 11, 29)), "liushou audit"),
        (  # from LIUSHOU_STORE: the environment still says it
            Settings("sqlite:///county.db", "zh", dt.date(2026, 11, 29), store_given=False),
            "liushou audit",
        ),
        (
            Settings("sqlite:///my db.db", "en", dt.date(2026, 11, 29), store_given=True),
            "liushou --store 'sqlite:///my db.db' --lang en audit",
        ),
        (
            Settings("postgresql://u:secret@h/x", "zh", dt.date(2026, 11, 29), store_given=True),
            "liushou --store 'postgresql://u:***@h/x' audit",
        ),
    ],
)
def test_the_suggested_command_keeps_the_options_in_force(
    settings: Settings, expected: str
) -> None:
    command = _audit_command(settings, "S1", "S1-c0001")
    assert command == f"{expected} --school S1 --child S1-c0001"


# ----------------------------------------------------------------------------- who may read it


@pytest.mark.parametrize("role", ["mentor", "class-teacher", "psychologist", "volunteer"])
def test_a_role_without_the_permission_may_not_list_the_trail(demo: Demo, role: str) -> None:
    refused = demo.audit("--school", demo.school, "--child", demo.child, "--as", role, lang="en")
    assert refused.returncode == 2
    assert "may not read the audit trail" in refused.stderr
    assert refused.stdout == ""


@pytest.mark.parametrize("role", ["principal", "district-officer", "system"])
def test_a_principal_a_district_officer_and_the_system_may(demo: Demo, role: str) -> None:
    listed = demo.audit(
        "--school",
        demo.school,
        "--child",
        demo.child,
        "--as",
        role,
        "--purpose",
        "review",
        "--json",
    )
    assert listed.returncode == 0, listed.stderr
    assert next(json.loads(line)["action"] for line in listed.stdout.splitlines()) == "add"


def test_the_audit_service_checks_the_permission_and_the_scope(tmp_path: Path) -> None:
    from liushou_core.models import School, Sex
    from liushou_core.privacy import Actor, FieldAccessDenied, Role
    from liushou_core.services import audit_of_child

    with SqliteStore(tmp_path / "x.db") as store:
        with store.unit_of_work("tester") as uow:
            uow.add_all(
                [
                    School("S1", "清溪中心小学", "431121"),
                    Child("c1", "S1", "李小花", Sex.FEMALE, dt.date(2016, 5, 4)),
                ]
            )
            uow.commit()
        principal = Actor(Role.PRINCIPAL, "p1", schools=("S1",))
        assert [e.action for e in audit_of_child(store, principal, "S1", "c1")] == ["add"]
        with pytest.raises(FieldAccessDenied, match="outside the scope"):
            audit_of_child(store, Actor(Role.PRINCIPAL, "p2", schools=("S2",)), "S1", "c1")
        with pytest.raises(FieldAccessDenied, match="may not read the audit trail"):
            audit_of_child(store, Actor(Role.MENTOR, "t1", schools=("S1",)), "S1", "c1")
