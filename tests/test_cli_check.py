"""``liushou check`` through the real entry point, on a temporary SQLite store."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli
from liushou_adapters.storage import open_store
from liushou_core.models import School

ON = "2026-11-02"
UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=200)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    where = tmp_path_factory.mktemp("check")
    url = f"sqlite:///{where / 'demo.db'}"
    made = run("--store", url, "--on", ON, "demo", "--out", str(where / "out"), cwd=where)
    assert made.returncode == 0, made.stderr
    return url


def test_findings_by_school_class_and_child_exit_1_on_errors(
    demo_store: str, tmp_path: Path
) -> None:
    result = run("--store", demo_store, "--on", ON, "check", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "2026-autumn" in out
    assert "班" in out  # classes by name
    assert "错误" in out  # severity in Chinese
    assert "未满14周岁" in out  # a consent finding, in Chinese
    assert not UNMASKED.search(out)
    english = run("--store", demo_store, "--lang", "en", "--on", ON, "check", cwd=tmp_path)
    assert english.returncode == 1
    assert "How to fix" in english.stdout
    assert re.search(r"1 school\(s\): \d+ errors, \d+ warnings", english.stdout)


def test_json_lines(demo_store: str, tmp_path: Path) -> None:
    result = run("--store", demo_store, "--on", ON, "check", "--json", cwd=tmp_path)
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows
    assert {r["severity"] for r in rows} <= {"error", "warning", "info"}
    assert any(r["severity"] == "error" for r in rows)
    child_rows = [r for r in rows if r["subject_kind"] == "child"]
    assert child_rows
    assert all(r["child_ids"] == [r["subject_id"]] for r in child_rows)
    assert all(r["class_id"] for r in child_rows if r["code"] != "ARCHIVE_CLASS")
    assert all(r["fix"] for r in rows)
    assert not UNMASKED.search(result.stdout)
    one = run(
        "--store",
        demo_store,
        "--on",
        ON,
        "check",
        "--json",
        "--school",
        rows[0]["school_id"],
        cwd=tmp_path,
    )
    assert one.stdout == result.stdout


def test_a_school_with_nothing_due_passes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    store = open_store(url)
    try:
        with store.unit_of_work(actor="test") as uow:
            uow.add(School("S1", "清溪中心小学", "431121"))
            uow.commit()
    finally:
        store.close()
    result = run("--store", url, "--lang", "en", "--on", "2026-09-05", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no findings for term 2026-autumn" in result.stdout
    later = run("--store", url, "--lang", "en", "--on", ON, "check", cwd=tmp_path)
    assert later.returncode == 1  # the school's safety pledge is due by now
    assert "safety pledge" in later.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", "--term", "2026-summer"], "--term"),
        (["check", "--term", "autumn"], "YEAR-autumn"),
        (["check", "--school", "NOPE"], "--school"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    demo_store: str, tmp_path: Path, args: list[str], fragment: str
) -> None:
    result = run("--store", demo_store, "--on", ON, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert fragment in lines[0]
    assert result.stdout == ""


def test_no_database_is_bad_input(tmp_path: Path) -> None:
    result = run("--store", f"sqlite:///{tmp_path / 'none.db'}", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert "no database there" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_help(tmp_path: Path) -> None:
    result = run("check", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Example" in result.stdout
    assert "--term" in result.stdout
    assert "--json" in result.stdout
