"""The ``liushou`` command, driven through its real entry point in a subprocess."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli
from liushou_adapters.cli import cli
from liushou_core.classify import Category
from liushou_core.models import label

HAS_SYNTH = importlib.util.find_spec("liushou_core.synth") is not None
needs_synth = pytest.mark.skipif(not HAS_SYNTH, reason="liushou_core.synth not available yet")

ON = "2026-11-29"
LATER = "2027-02-01"  # in the Spring Festival break
# An 18-character resident ID number or an 11-digit mobile number, unmasked.
UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=env, columns=160)


def scalar(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*"))


# ----------------------------------------------------------------------------- help


def _commands() -> list[list[str]]:
    return [[], *([name] for name in sorted(cli.commands))]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "liushou")
def test_every_command_has_help_with_an_example(tmp_path: Path, command: list[str]) -> None:
    result = run(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: liushou" in result.stdout
    assert "Example" in result.stdout
    assert files_under(tmp_path) == []


def test_bare_command_prints_help(tmp_path: Path) -> None:
    result = run(cwd=tmp_path)
    assert result.returncode == 0
    assert "Usage: liushou" in result.stdout
    assert "demo" in result.stdout


def test_main_help_lists_the_global_options(tmp_path: Path) -> None:
    out = run("--help", cwd=tmp_path).stdout
    for option in ("--store", "--lang", "--on", "LIUSHOU_STORE", "sqlite:///liushou.db"):
        assert option in out
    for command in ("demo", "audit"):
        assert command in out


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--on", "2026-13-01", "demo"], "--on"),
        (["--on", "29.11.2026", "demo"], "YYYY-MM-DD"),
        (["--store", "mysql://u:secret@db/x", "demo"], "unknown store scheme 'mysql'"),
        (["--store", "sqlite://", "demo"], "three slashes"),
        (["--store", "sqlite:////nonexistent-dir/x/y.db", "demo"], "cannot open"),
        (["--lang", "fr", "demo"], "--lang"),
        (["demo", "--schools", "0"], "--schools"),
        (["demo", "--seed", "x"], "--seed"),
        (["demo", "--bogus"], "--bogus"),
        (["nosuch"], "nosuch"),
        (["audit", "--school", "S1", "--child", "c1"], "no database there"),
        (["audit", "--school", "S1"], "--child"),
        (["audit", "--school", "S1", "--child", "c1", "--action", "peek"], "--action"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    store = tmp_path / "store.db"
    if not any(a.startswith("--store") for a in args):
        args = ["--store", f"sqlite:///{store}", *args]
    if "demo" in args:
        args = [*args, "--out", str(tmp_path / "out")]
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "error" in lines[0]
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr
    assert result.stdout == ""
    assert files_under(tmp_path) == []


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run("--store", f"sqlite:///{tmp_path / 's.db'}", "demo", "--out", "file", cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "'file' is a file" in result.stderr
    assert files_under(tmp_path) == [tmp_path / "file"]


def test_store_from_the_environment(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path, env={"LIUSHOU_STORE": "nosuch:///x"})
    assert result.returncode == 2
    assert "unknown store scheme 'nosuch'" in result.stderr


# ----------------------------------------------------------------------------- demo


@needs_synth
def test_demo_stores_classifies_and_reports_in_chinese(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    out = tmp_path / "out"
    result = run("--store", f"sqlite:///{db}", "--on", ON, "demo", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    zh = [label(c, "zh") for c in Category]
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in zh), f"no Chinese labels yet: {zh}"
    for s in zh:
        assert s in text
    assert "按类别统计" in text
    assert "按班级统计" in text
    assert not UNMASKED.search(text + result.stderr)

    survey = json.loads((out / "survey.json").read_text(encoding="utf-8"))
    assert survey["on"] == ON
    assert set(survey["counts"]) == {c.value for c in Category}
    children = survey["schools"][0]["children"]
    assert len(children) == survey["total"] > 0
    assert all(c["categories"] and c["reasons"] for c in children)
    assert not UNMASKED.search((out / "survey.json").read_text(encoding="utf-8"))

    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM records WHERE kind = 'child'").fetchone()[0]
        actors = {a for (a,) in conn.execute("SELECT DISTINCT actor FROM audit")}
    assert stored == survey["total"]
    assert actors == {"liushou demo", "liushou notify"}  # without --as, no role reads

    # the term: pairs, a term of records, aid, the review, the notices and the files
    assert "2026-autumn学期（截至2026-11-29）" in text
    assert "通知：逾期最久的联系，以及尚未上报的突发事件" in text
    assert re.search(r"已向控制台和群机器人发出[1-9]\d*条通知", text)
    assert re.search(r"群机器人 .*收到[1-9]\d*条消息", text.replace("\n", ""))
    [report] = out.glob("report-*-2026-autumn.html")
    assert "关爱留守儿童工作总结" in report.read_text(encoding="utf-8")
    assert not UNMASKED.search(report.read_text(encoding="utf-8"))
    assert list(out.glob("export-*.xlsx")) or list(out.glob("children-*.csv"))
    assert list(out.glob("calendars/*/*.ics"))
    for kind in ("pairing", "contact_event", "aid_decision", "notice", "consent"):
        assert scalar(db, f"SELECT count(*) FROM records WHERE kind = '{kind}'") > 0, kind
    # the example pupils shown were read, and the read is in the audit trail
    reads = "SELECT count(*) FROM audit WHERE action = 'read' AND purpose = 'demo'"
    shown = scalar(db, reads)
    assert 1 <= shown <= 5
    assert "liushou --store sqlite:///" in text
    assert " audit --school " in text

    # again on the same day: the same data is already stored, nothing is written
    # (but the examples are shown, and read, again)
    writes = "SELECT count(*) FROM audit WHERE action != 'read'"
    before = scalar(db, writes)
    again = run("--store", f"sqlite:///{db}", "--on", ON, "demo", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "未重复写入" in again.stderr
    assert scalar(db, writes) == before
    assert "已向控制台和群机器人发出0条通知" in again.stdout.replace("\n", "")  # none twice
    assert scalar(db, reads) == 2 * shown

    # another day: the school's records are brought up to date, with new versions
    later = run(
        "--store", f"sqlite:///{db}", "--on", LATER, "demo", "--out", str(out), cwd=tmp_path
    )
    assert later.returncode == 0, later.stderr
    survey = json.loads((out / "survey.json").read_text(encoding="utf-8"))
    assert survey["on"] == LATER
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM records WHERE kind = 'child'").fetchone()[0]
        updates = conn.execute("SELECT count(*) FROM audit WHERE action = 'update'").fetchone()[0]
        max_version = conn.execute(
            "SELECT max(version) FROM records WHERE kind = 'child'"
        ).fetchone()[0]
    assert stored == survey["total"]
    assert updates > 0
    assert max_version == 2


@needs_synth
def test_demo_shows_a_pupil_as_a_principal_and_as_a_mentor(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    url = f"sqlite:///{db}"
    common = ("--store", url, "--lang", "en", "--on", ON, "demo", "--out", str(tmp_path))
    principal = run(*common, "--as", "principal", cwd=tmp_path)
    mentor = run(*common, "--as", "mentor", cwd=tmp_path)
    for result in (principal, mentor):
        assert result.returncode == 0, result.stderr
        assert not UNMASKED.search(result.stdout + result.stderr)
    head = re.compile(r"Pupil (\S+) as a (\w+) \((\S+)\) sees the record")
    p, m = head.search(principal.stdout), head.search(mentor.stdout)
    assert p is not None
    assert m is not None
    assert p[1] == m[1]  # the same pupil
    assert (p[2], p[3]) == ("principal", "demo-principal")
    assert m[2] == "mentor"
    # the principal does not see the psychological and behaviour flags; the mentor does
    p_view = principal.stdout[p.end() :]
    m_view = mentor.stdout[m.end() :]
    assert "Hidden from a principal:" in p_view
    assert "psychological attention" in p_view.split("Hidden from a principal:")[1]
    assert "Hidden from a mentor: (none)" in m_view
    assert "psychological attention" in m_view.split("Hidden from a mentor:")[0]
    assert "Shown masked:" in p_view
    assert "ID number" in p_view.split("Shown masked:")[1]
    # each view is a read in the audit trail under the role, with the fields shown
    audit = run(
        "--store",
        url,
        "audit",
        "--school",
        p[1].rsplit("-c", 1)[0],
        "--child",
        p[1],
        "--json",
        cwd=tmp_path,
    )
    assert audit.returncode == 0, audit.stderr
    entries = [json.loads(line) for line in audit.stdout.splitlines() if line.strip()]
    by_role = {e["actor"]: e for e in entries if e["action"] == "read" and ":" in e["actor"]}
    assert set(by_role) == {"principal:demo-principal", f"mentor:{m[3]}"}
    assert "psychological_flag" in by_role[f"mentor:{m[3]}"]["fields"]
    assert "psychological_flag" not in by_role["principal:demo-principal"]["fields"]
    # the mentor's pairing is made once: running as a mentor again writes nothing
    writes = "SELECT count(*) FROM audit WHERE action != 'read'"
    before = scalar(db, writes)
    assert run(*common, "--as", "mentor", cwd=tmp_path).returncode == 0
    assert scalar(db, writes) == before


def test_demo_rejects_an_unknown_role(tmp_path: Path) -> None:
    result = run("demo", "--as", "volunteer", cwd=tmp_path)
    assert result.returncode == 2
    assert "--as" in result.stderr


@needs_synth
def test_demo_in_english_for_several_schools(tmp_path: Path) -> None:
    result = run(
        "--store",
        f"sqlite:///{tmp_path / 'county.db'}",
        "--lang",
        "en",
        "--on",
        ON,
        "demo",
        "--schools",
        "2",
        "--seed",
        "7",
        "--out",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    for c in Category:
        assert label(c, "en") in result.stdout
    assert "By school" in result.stdout
    assert not UNMASKED.search(result.stdout + result.stderr)
    (hint,) = [line for line in result.stdout.splitlines() if " audit --school " in line]
    assert hint.startswith("Who has seen or changed a pupil's record: liushou --store sqlite:///")
    assert " --lang en audit --school " in hint
    survey = json.loads((tmp_path / "survey.json").read_text(encoding="utf-8"))
    assert len(survey["schools"]) == 2


@needs_synth
def test_demo_writes_csv_when_the_xlsx_exporter_is_unavailable(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "--store",
        f"sqlite:///{tmp_path / 'demo.db'}",
        "--lang",
        "en",
        "--on",
        ON,
        "demo",
        "--out",
        str(out),
        cwd=tmp_path,
        env={"LIUSHOU_DISABLED_PLUGINS": "xlsx"},
    )
    assert result.returncode == 0, result.stderr
    assert not list(out.glob("*.xlsx"))
    names = {p.name.split("-")[0] for p in out.glob("*.csv")}
    assert {"children", "contacts", "pairs", "aid", "findings"} <= names
    for path in out.glob("*.csv"):
        assert not UNMASKED.search(path.read_text(encoding="utf-8-sig"))
    assert "Term 2026-autumn on 2026-11-29" in result.stdout
