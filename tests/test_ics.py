"""The iCalendar export of a plan, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest

from liushou_adapters.export.ics import IcsExporter, calendar_for, write_calendars
from liushou_core import plugins
from liushou_core.cadence import CarePair, Plan, plan
from liushou_core.models import Semester, Term
from liushou_core.school_calendar import school_calendar

TERM = Term(2026, Semester.AUTUMN, dt.date(2026, 9, 1), dt.date(2027, 1, 22))
STAMP = dt.datetime(2026, 8, 20, 8, 0, tzinfo=dt.UTC)


def pairs() -> list[CarePair]:
    return [CarePair(f"p{i}", "S1", f"t{i % 3}", f"c{i}") for i in range(7)]


@pytest.fixture(scope="module")
def the_plan() -> Plan:
    return plan(TERM, pairs())


def parse(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def events(cal: icalendar.Calendar) -> list[icalendar.Event]:
    return list(cal.walk("VEVENT"))


def test_one_calendar_per_mentor_with_every_planned_contact(the_plan: Plan, tmp_path: Path) -> None:
    written = write_calendars(the_plan, tmp_path, stamp=STAMP)
    assert sorted(written) == ["t0", "t1", "t2"]
    by_mentor = the_plan.by_mentor()
    for mentor, path in written.items():
        cal = parse(path)
        assert str(cal["version"]) == "2.0"
        assert mentor in str(cal["x-wr-calname"])
        evs = events(cal)
        assert [str(e["uid"]) for e in evs] == [c.uid for c in by_mentor[mentor]]
        for e, c in zip(evs, by_mentor[mentor], strict=True):
            start = e.decoded("dtstart")
            assert type(start) is dt.date  # all-day: a local date, never shifted through UTC
            assert start == c.date
            assert e.decoded("dtend") == c.date + dt.timedelta(days=1)
            assert e.decoded("dtstamp") == STAMP
        assert not [e for e in evs if not the_plan.calendar.is_open(e.decoded("dtstart"))]


def test_summaries_follow_the_language(the_plan: Plan, tmp_path: Path) -> None:
    zh = write_calendars(the_plan, tmp_path / "zh", lang="zh", stamp=STAMP)
    en = write_calendars(the_plan, tmp_path / "en", lang="en", stamp=STAMP)
    zh_summaries = {str(e["summary"]) for e in events(parse(zh["t0"]))}
    en_summaries = {str(e["summary"]) for e in events(parse(en["t0"]))}
    assert "谈心：儿童c0" in zh_summaries
    assert "heart-to-heart talk: child c0" in en_summaries
    assert "monthly meeting (whole school)" in en_summaries


def test_re_exporting_a_changed_plan_keeps_the_uids(the_plan: Plan, tmp_path: Path) -> None:
    first = write_calendars(the_plan, tmp_path / "a", stamp=STAMP)
    closed = [c.date for c in the_plan.contacts][:10]
    replanned = plan(school_calendar(TERM, closed=closed), pairs())
    second = write_calendars(replanned, tmp_path / "b", stamp=STAMP)
    for mentor in first:
        old = {str(e["uid"]): e.decoded("dtstart") for e in events(parse(first[mentor]))}
        new = {str(e["uid"]): e.decoded("dtstart") for e in events(parse(second[mentor]))}
        assert old.keys() == new.keys()
        assert not set(new.values()) & set(closed)
    assert (
        first["t0"].read_bytes()
        == write_calendars(the_plan, tmp_path / "c", stamp=STAMP)["t0"].read_bytes()
    )


def test_only_the_mentors_asked_for(the_plan: Plan, tmp_path: Path) -> None:
    assert list(write_calendars(the_plan, tmp_path, mentors=["t1"], stamp=STAMP)) == ["t1"]
    assert [p.name for p in tmp_path.iterdir()] == ["t1.ics"]


def test_the_ics_exporter_is_a_registered_plugin(the_plan: Plan, tmp_path: Path) -> None:
    pm = plugins.plugin_manager(disabled=())
    spec = plugins.exporter(pm, "ics")
    assert spec.suffix == ".ics"
    assert plugins.missing_requirements(spec) == []
    exporter = spec.factory(lang="en", mentor="t2", term=TERM.id)
    assert isinstance(exporter, IcsExporter)
    out = tmp_path / "t2.ics"
    exporter.export(the_plan.by_mentor()["t2"], str(out))
    assert len(events(parse(out))) == len(the_plan.by_mentor()["t2"])
    blocked = plugins.plugin_manager(disabled=["ics"])
    assert "ics" not in plugins.exporters(blocked)


def test_an_empty_calendar_is_still_valid() -> None:
    cal = calendar_for([], mentor="t9", term=TERM.id, stamp=STAMP)
    again = icalendar.Calendar.from_ical(cal.to_ical())
    assert events(again) == []
    assert str(again["prodid"]).startswith("-//liushou")
