"""``liushou pair`` through its real entry point in a subprocess, on a temporary SQLite store."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli

ON = "2026-09-01"
SCHOOL = "422828-000"  # the demo's school (seed 0)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=200)


def scalar(db: Path, sql: str, *params: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the demo's synthetic school."""
    where = tmp_path_factory.mktemp("pair")
    db = where / "store.db"
    result = run("--store", f"sqlite:///{db}", "--on", ON, "demo", "--out", str(where), cwd=where)
    assert result.returncode == 0, result.stderr
    return db


def test_help_has_an_example(tmp_path: Path) -> None:
    result = run("pair", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: liushou pair" in result.stdout
    assert "Example" in result.stdout
    assert "--term" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_shows_the_plan_in_chinese_and_saves_it_once(store: Path, tmp_path: Path) -> None:
    # a term the demo (which pairs the term of --on) has not paired yet
    url = f"sqlite:///{store}"
    first = run("--store", url, "--on", ON, "pair", "--term", "2026-spring", "--save", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "结对帮扶" in out
    assert "孩子的班主任" in out  # a reason, in Chinese by default
    stored = scalar(
        store,
        "SELECT count(*) FROM records WHERE kind = 'pairing' AND data LIKE ?",
        "%2026-spring%",
    )
    assert stored > 0
    assert f"新增{stored}条" in out
    added = scalar(
        store,
        "SELECT count(*) FROM audit WHERE actor = 'liushou pair' AND action = 'add'",
    )
    assert added == stored
    again = run("--store", url, "--on", ON, "pair", "--term", "2026-spring", "--save", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "新增0条，变更0条，结束0条" in again.stdout
    assert list(tmp_path.iterdir()) == []


def test_english_and_previous_term(store: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{store}"
    base = ("--store", url, "--lang", "en", "--on", ON, "pair")
    first = run(*base, "--term", "2026-autumn", "--school", SCHOOL, "--save", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    nxt = run(
        *base, "--term", "2026-spring", "--previous", "2026-autumn", "--school", SCHOOL,
        cwd=tmp_path,
    )  # fmt: skip
    assert nxt.returncode == 0, nxt.stderr
    assert "Mentor pairing for term 2026-spring" in nxt.stdout
    assert "kept from last term" in nxt.stdout
    assert "Nothing stored" in nxt.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["pair", "--term", "2026-winter"], "is not a term"),
        (["pair", "--term", " "], "--term"),
        (["pair", "--term", "2026-autumn", "--school", "nosuch"], "--school"),
        (["pair", "--term", "2026-autumn", "--bogus"], "--bogus"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    store: Path, tmp_path: Path, args: list[str], fragment: str
) -> None:
    result = run("--store", f"sqlite:///{store}", *args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_store_is_bad_input(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    result = run("--store", f"sqlite:///{db}", "pair", "--term", "2026-autumn", cwd=tmp_path)
    assert result.returncode == 2
    assert "no database there" in result.stderr
    assert not db.exists()
