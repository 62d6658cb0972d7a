"""``liushou plan`` through the real entry point, on a temporary SQLite store."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import icalendar
import pytest

from cli_run import run_cli
from liushou_adapters.storage import open_store
from liushou_core import synth
from liushou_core.classify import Category, classify
from liushou_core.models import Pairing

TERM_ID = "2026-autumn"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=160)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    """A store with one synthetic school and its left-behind pupils paired."""
    db = tmp_path_factory.mktemp("plan") / "liushou.db"
    school = synth.school(5, children=40)
    on = dt.date(2026, 9, 1)
    lb = [c for c in school.children if Category.LEFT_BEHIND in classify(c, on=on).categories]
    mentors = [t.id for t in school.teachers[:3]]
    pairings = [
        Pairing(f"pair-{i}", school.school.id, TERM_ID, c.id, mentors[i % len(mentors)])
        for i, c in enumerate(lb)
    ]
    st = open_store(f"sqlite:///{db}")
    try:
        with st.unit_of_work(actor="test") as uow:
            uow.add_all(list(school.records()))
            uow.add_all(pairings)
            uow.commit()
    finally:
        st.close()
    return db, school.school.id, sorted({p.mentor_id for p in pairings})


def test_plan_shows_each_mentors_term_and_writes_calendars(
    store: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    db, _, mentors = store
    out = tmp_path / "ics"
    r = run(
        "--store",
        f"sqlite:///{db}",
        "--lang",
        "en",
        "plan",
        "--term",
        TERM_ID,
        "--mentor",
        mentors[0],
        "--closed",
        "2026-11-12",
        "--ics",
        str(out),
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "Plan of term 2026-autumn (2026-09-01 to 2027-01-20)" in r.stdout
    assert "Busiest day" in r.stdout
    assert "heart-to-heart talk" in r.stdout
    assert f"Wrote {len(mentors)} calendar file(s)" in r.stdout
    files = sorted(out.glob("*.ics"))
    assert [f.stem for f in files] == mentors
    for f in files:
        cal = icalendar.Calendar.from_ical(f.read_bytes())
        days = [e.decoded("dtstart") for e in cal.walk("VEVENT")]
        assert days
        assert dt.date(2026, 11, 12) not in days
        assert dt.date(2026, 10, 1) not in days


def test_plan_speaks_chinese_by_default(store: tuple[Path, str, list[str]], tmp_path: Path) -> None:
    db, school_id, _ = store
    r = run(
        "--store", f"sqlite:///{db}", "plan", "--term", TERM_ID, "--school", school_id, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "2026-autumn学期" in r.stdout
    assert "帮扶人" in r.stdout


def test_a_term_without_pairings_says_so(
    store: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    db, _, _ = store
    r = run(
        "--store", f"sqlite:///{db}", "--lang", "en", "plan", "--term", "2027-spring", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "No pairings of term 2027-spring" in r.stdout


def test_plan_help(tmp_path: Path) -> None:
    r = run("plan", "--help", cwd=tmp_path)
    assert r.returncode == 0
    assert "Example" in r.stdout
    assert "--ics DIR" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--term", "2026-winter"), "'2026-winter' is not a term"),
        (("plan", "--term", TERM_ID, "--school", "nope"), "--school: school nope"),
        (("plan", "--term", TERM_ID, "--mentor", "nobody"), "--mentor: nobody"),
        (("plan", "--term", TERM_ID, "--first-day", "2027-03-01"), "--first-day/--last-day"),
        (("plan", "--term", TERM_ID, "--closed", "someday"), "is not a date"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    store: tuple[Path, str, list[str]], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    db, _, _ = store
    r = run("--store", f"sqlite:///{db}", *args, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_missing_store_is_bad_input(tmp_path: Path) -> None:
    r = run("--store", f"sqlite:///{tmp_path / 'none.db'}", "plan", cwd=tmp_path)
    assert r.returncode == 2
    assert "no database there" in r.stderr
    assert not (tmp_path / "none.db").exists()
