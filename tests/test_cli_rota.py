"""``liushou rota`` through the real entry point, on a temporary SQLite store."""

from __future__ import annotations

import csv
import subprocess
from collections import Counter
from pathlib import Path

import icalendar
import pytest

from cli_run import run_cli
from liushou_adapters.storage import open_store
from liushou_core import synth
from liushou_core.models import Duty, StaffRole

TERM_ID = "2026-autumn"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=160)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    """A store with one synthetic school (its teachers take turns)."""
    db = tmp_path_factory.mktemp("rota") / "liushou.db"
    school = synth.school(7, children=30)
    st = open_store(f"sqlite:///{db}")
    try:
        with st.unit_of_work(actor="test") as uow:
            uow.add_all(list(school.records()))
            uow.commit()
    finally:
        st.close()
    mentors = [t.id for t in school.teachers if t.active and StaffRole.PRINCIPAL not in t.roles]
    return db, school.school.id, mentors


def test_rota_is_fair_and_writes_calendars_tables_and_the_store(
    store: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    db, school, mentors = store
    away = mentors[0]
    r = run(
        "--store",
        f"sqlite:///{db}",
        "--lang",
        "en",
        "rota",
        "--term",
        TERM_ID,
        "--unavailable",
        f"{away}:2026-09-01..2026-09-30",
        "--closed",
        "2026-11-12",
        "--ics",
        str(tmp_path / "ics"),
        "--csv",
        str(tmp_path / "rota.csv"),
        "--save",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "Duty rota of term 2026-autumn" in r.stdout
    assert "Fair" in r.stdout
    with (tmp_path / "rota.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows
    assert "2026-11-12" not in {row["Date"] for row in rows}
    per_day = Counter((row["Date"], row["Mentor"]) for row in rows)
    assert max(per_day.values()) == 1
    counts = Counter(row["Mentor"] for row in rows)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert not [row for row in rows if row["Mentor"] == away and row["Date"] < "2026-10-01"]
    files = sorted((tmp_path / "ics").glob("*.ics"))
    assert len(files) == len(mentors)
    cal = icalendar.Calendar.from_ical(files[0].read_bytes())
    assert len(list(cal.walk("VEVENT"))) == counts[files[0].stem]
    st = open_store(f"sqlite:///{db}")
    try:
        with st.unit_of_work(actor="test", readonly=True) as uow:
            stored = uow.list(Duty, school, term_id=TERM_ID)
    finally:
        st.close()
    assert len(stored) == len(rows)
    # again, with one more closed day: the stored rota is replaced, not doubled
    again = run(
        "--store",
        f"sqlite:///{db}",
        "rota",
        "--term",
        TERM_ID,
        "--closed",
        "2026-11-12",
        "--closed",
        "2026-11-13",
        "--save",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert "值日" in again.stdout
    st = open_store(f"sqlite:///{db}")
    try:
        with st.unit_of_work(actor="test", readonly=True) as uow:
            after = uow.list(Duty, school, term_id=TERM_ID)
    finally:
        st.close()
    assert len(after) == len(rows) - 2
    assert "2026-11-13" not in {d.date.isoformat() for d in after}


def test_rota_help(tmp_path: Path) -> None:
    r = run("rota", "--help", cwd=tmp_path)
    assert r.returncode == 0
    assert "--unavailable" in r.stdout
    assert "Example" in r.stdout


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--unavailable", "nobody"), "--unavailable"),
        (("--unavailable", "T9:2026-13-01"), "--unavailable"),
        (("--mentor", "nobody"), "--mentor"),
        (("--school", "nowhere"), "--school"),
    ],
)
def test_rota_bad_input(
    store: tuple[Path, str, list[str]], tmp_path: Path, args: tuple[str, ...], names: str
) -> None:
    db, _, _ = store
    r = run("--store", f"sqlite:///{db}", "rota", "--term", TERM_ID, *args, cwd=tmp_path)
    assert r.returncode == 2
    assert names in r.stderr
    assert "Traceback" not in r.stderr
