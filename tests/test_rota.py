"""The activities duty rota: fair, never on a closed day, never an unavailable mentor."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.models import DutySlot, Period, Semester, Sex, Teacher, Term
from liushou_core.rota import DEFAULT_SLOTS, Rota, duty_id, rota
from liushou_core.school_calendar import parse_term, school_calendar

AUTUMN = parse_term("2026-autumn")
#: Mid-September to mid-October 2026: the National Day week falls in it.
SHORT = Term(2026, Semester.AUTUMN, dt.date(2026, 9, 14), dt.date(2026, 10, 16))
SHORT_CAL = school_calendar(SHORT)
SHORT_DAYS = [d for d in SHORT_CAL.open_days if d.weekday() < 5]


def invariants(r: Rota, unavailable: dict[str, list[dt.date]], closed: set[dt.date]) -> None:
    """What every rota keeps, whatever the inputs."""
    per_day: Counter[tuple[dt.date, str]] = Counter()
    cells: Counter[tuple[dt.date, DutySlot]] = Counter()
    for d in r.duties:
        assert d.date not in closed
        assert d.date.weekday() < 5
        assert d.date in r.days
        assert d.date not in unavailable.get(d.mentor_id, ())
        assert d.slot in r.slots
        assert d.id == duty_id(r.term.id, d.date, d.slot)
        per_day[d.date, d.mentor_id] += 1
        cells[d.date, d.slot] += 1
    assert all(n == 1 for n in per_day.values())  # no one twice the same day
    assert all(n == 1 for n in cells.values())  # one mentor per slot
    # every slot a free mentor could take is taken; the others are listed unfilled
    for day in r.days:
        free = sum(1 for m in r.mentors if day not in unavailable.get(m, ()))
        taken = sum(1 for (d, _), n in cells.items() if d == day)
        assert taken == min(free, len(r.slots))
    assert len(r.duties) + len(r.unfilled) == len(r.days) * len(r.slots)
    assert sum(r.counts.values()) == len(r.duties)
    if not r.fair:
        assert any(m.code == "ROTA_UNFAIR" for m in r.reasons)


mentor_ids = st.integers(1, 8).map(lambda n: [f"t{i}" for i in range(n)])


@settings(max_examples=40, deadline=None)
@given(
    mentors=mentor_ids,
    slots=st.sampled_from([(DutySlot.NOON,), DEFAULT_SLOTS, DEFAULT_SLOTS[::-1]]),
    closed=st.sets(st.sampled_from(SHORT_DAYS), max_size=5),
)
def test_without_unavailability_the_rota_is_fair(
    mentors: list[str], slots: tuple[DutySlot, ...], closed: set[dt.date]
) -> None:
    r = rota(school_calendar(SHORT, closed=closed), mentors, slots, school_id="S1")
    invariants(r, {}, closed)
    assert max(r.counts.values()) - min(r.counts.values()) <= 1
    assert r.fair
    if len(mentors) >= len(slots):
        assert not r.unfilled
        assert not r.reasons


@st.composite
def unavailability(draw: st.DrawFn, mentors: list[str]) -> dict[str, list[dt.date]]:
    return {
        m: draw(st.lists(st.sampled_from(SHORT_DAYS), max_size=len(SHORT_DAYS), unique=True))
        for m in mentors
        if draw(st.booleans())
    }


@settings(max_examples=60, deadline=None)
@given(data=st.data(), mentors=mentor_ids, closed=st.sets(st.sampled_from(SHORT_DAYS), max_size=3))
def test_never_a_closed_day_nor_an_unavailable_mentor(
    data: st.DataObject, mentors: list[str], closed: set[dt.date]
) -> None:
    off = data.draw(unavailability(mentors))
    cal = school_calendar(SHORT, closed=closed)
    r = rota(cal, mentors, unavailable=off, school_id="S1")
    invariants(r, off, closed)
    assert all(SHORT_CAL.is_open(d.date) and d.date not in closed for d in r.duties)
    assert r == rota(cal, mentors, unavailable=off, school_id="S1")  # deterministic


def _fair_exists(days: list[dt.date], mentors: list[str], slots: int, off: dict) -> bool:
    """Brute force: a rota with every fillable slot filled and counts within one."""
    options = []
    for day in days:
        free = [m for m in mentors if day not in off.get(m, ())]
        options.append(list(itertools.combinations(free, min(slots, len(free)))))
    for choice in itertools.product(*options):
        count = Counter(dict.fromkeys(mentors, 0))
        for chosen in choice:
            count.update(chosen)
        if max(count.values()) - min(count.values()) <= 1:
            return True
    return False


TINY = Term(2026, Semester.AUTUMN, dt.date(2026, 9, 7), dt.date(2026, 9, 11))  # Mon to Fri
TINY_DAYS = [TINY.first_day + dt.timedelta(days=i) for i in range(5)]


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    mentors=st.integers(2, 4).map(lambda n: [f"t{i}" for i in range(n)]),
    slots=st.integers(1, 2),
)
def test_the_rota_is_fair_whenever_a_fair_rota_exists(
    data: st.DataObject, mentors: list[str], slots: int
) -> None:
    off = {
        m: data.draw(st.lists(st.sampled_from(TINY_DAYS), unique=True, max_size=5)) for m in mentors
    }
    r = rota(TINY, mentors, DEFAULT_SLOTS[:slots], off, school_id="S1")
    invariants(r, off, set())
    assert r.fair == _fair_exists(TINY_DAYS, mentors, slots, off)


def test_a_long_absence_is_made_up_for() -> None:
    away = Period(dt.date(2026, 9, 1), dt.date(2026, 10, 9))
    r = rota(AUTUMN, ["a", "b", "c", "d"], unavailable={"a": [away]}, school_id="S1")
    assert r.fair
    assert not r.reasons
    assert not [d for d in r.duties if d.mentor_id == "a" and away.covers(d.date)]
    # a works the days the others covered after the absence
    assert len(r.by_mentor()["a"]) == min(r.counts.values())


def test_when_it_cannot_be_fair_it_says_why() -> None:
    away = Period(dt.date(2026, 9, 1), dt.date(2026, 12, 31))
    r = rota(AUTUMN, ["a", "b", "c"], unavailable={"a": [away]}, school_id="S1")
    assert not r.fair
    [why] = [m for m in r.reasons if m.code == "ROTA_UNFAIR"]
    assert why.param_dict["mentor"] == "a"
    assert "a" in why.render("en")
    assert "a" in why.render("zh")
    short = rota(SHORT, ["a"], school_id="S1")  # one mentor for two slots
    assert len(short.unfilled) == len(short.days)
    assert {m.code for m in short.reasons} == {"ROTA_SHORT"}


def test_public_holidays_and_make_up_saturdays_are_skipped() -> None:
    r = rota(SHORT, ["a", "b", "c"], school_id="S1")
    days = {d.date for d in r.duties}
    assert dt.date(2026, 10, 1) not in days  # National Day
    assert all(d.weekday() < 5 for d in days)
    assert days == set(SHORT_DAYS)


def test_mentors_as_teacher_records_give_the_school() -> None:
    teachers = [Teacher(f"S9-t{i}", "S9", f"老师{i}", Sex.FEMALE) for i in range(3)]
    r = rota(SHORT, teachers)
    assert r.school_id == "S9"
    assert r.mentors == ("S9-t0", "S9-t1", "S9-t2")
    # each mentor takes noon and after-school duties in turn, not one kind only
    for duties in r.by_mentor().values():
        kinds = Counter(d.slot for d in duties)
        assert abs(kinds[DutySlot.NOON] - kinds[DutySlot.AFTER_SCHOOL]) <= 1
    with pytest.raises(ValueError, match="school_id"):
        rota(SHORT, ["a", "b"])
    with pytest.raises(ValueError, match="twice"):
        rota(SHORT, ["a", "a"], school_id="S1")


def test_the_rota_exports_as_calendars_and_tables(tmp_path: Path) -> None:
    from liushou_adapters.export import exporter
    from liushou_adapters.export.rota_ics import rota_table, write_rota_calendars

    r = rota(SHORT, ["a", "b", "c"], school_id="S1")
    stamp = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    written = write_rota_calendars(r, tmp_path / "ics", lang="en", stamp=stamp)
    assert set(written) == {"a", "b", "c"}
    cal = icalendar.Calendar.from_ical(written["a"].read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == r.counts["a"]
    assert {e.decoded("dtstart") for e in events} == {d.date for d in r.by_mentor()["a"]}
    assert {str(e["uid"]) for e in events} == {f"{d.id}@liushou" for d in r.by_mentor()["a"]}
    again = write_rota_calendars(r, tmp_path / "ics2", lang="en", stamp=stamp)
    assert again["a"].read_bytes() == written["a"].read_bytes()  # stable uids, same file
    path = tmp_path / "rota.csv"
    exporter("csv", lang="en").write(rota_table(r, {"a": "王老师"}), path)
    text = path.read_text(encoding="utf-8-sig")
    assert "王老师" in text
    assert "noon activities" in text
    assert len(text.strip().splitlines()) == len(r.duties) + 1


def test_the_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    import json
    import sys

    bench_dir = str(Path(__file__).resolve().parents[1] / "benchmarks")
    sys.path.insert(0, bench_dir)
    try:
        import bench_rota
    finally:
        sys.path.remove(bench_dir)
    out = tmp_path / "rota.json"
    assert bench_rota.main(["--schools", "2", "--mentors", "5", "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["schools"] == 2
    assert saved["unfair_rota"] == 0
    assert saved["ratio_rota_over_baseline"] > 0
