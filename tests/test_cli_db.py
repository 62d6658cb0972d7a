"""``liushou db upgrade`` through the real entry point."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from cli_run import run_cli
from liushou_adapters.storage.sqlite import LATEST_SCHEMA, SqliteStore


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


def test_upgrade_reports_a_current_schema(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    SqliteStore(str(db)).close()
    r = run("--store", f"sqlite:///{db}", "--lang", "en", "db", "upgrade", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"the schema is current (version {LATEST_SCHEMA})" in r.stdout
    with sqlite3.connect(db) as conn:
        assert (
            conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == LATEST_SCHEMA
        )
    again = run("--store", f"sqlite:///{db}", "db", "upgrade", cwd=tmp_path)
    assert again.returncode == 0
    assert str(LATEST_SCHEMA) in again.stdout


def test_upgrade_refuses_a_missing_database(tmp_path: Path) -> None:
    r = run("--store", f"sqlite:///{tmp_path / 'none.db'}", "db", "upgrade", cwd=tmp_path)
    assert r.returncode == 2
    assert "no database there" in r.stderr
    assert not (tmp_path / "none.db").exists()


def test_upgrade_refuses_a_newer_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    SqliteStore(str(db)).close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO schema_version VALUES (?, ?, ?)",
            (LATEST_SCHEMA + 1, "from the future", "2030-01-01T00:00:00"),
        )
    r = run("--store", f"sqlite:///{db}", "db", "upgrade", cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "newer" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_db_help_has_examples(tmp_path: Path) -> None:
    for args in (("db", "--help"), ("db", "upgrade", "--help")):
        r = run(*args, cwd=tmp_path)
        assert r.returncode == 0
        assert "Example" in r.stdout
