"""iCalendar (RFC 5545) export of a cadence plan: one calendar per mentor.

Each planned contact becomes an all-day ``VEVENT`` (a plain local date, never
shifted through UTC) whose ``UID`` is the plan's stable uid: re-exporting a
re-planned term updates the events a calendar app already imported instead of
duplicating them. Children appear by record id only (no names, ID or phone
numbers): the files leave the school's system for the mentors' phones.

Registered as the exporter plugin ``ics`` (entry point
``ics = "liushou_adapters.export.ics"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import icalendar

from liushou_core import hookimpl
from liushou_core.cadence import Plan, PlannedContact
from liushou_core.hookspecs import ExporterSpec
from liushou_core.i18n import N_, catalogue

__all__ = ["IcsExporter", "calendar_for", "liushou_exporters", "write_calendars"]

PRODID: Final = "-//liushou//cadence plan//ZH"

_CALNAME: Final = N_("Care contacts of mentor {mentor}, term {term}")
_SUMMARY_PAIR: Final = N_("{rule}: child {child}")
_SUMMARY_SCHOOL: Final = N_("{rule} (whole school)")
_DESCRIPTION: Final = N_("Due from {start} to {end}. Rule {code}. Planned by liushou.")


def _text(msgid: str, lang: str, **params: object) -> str:
    return catalogue(lang).gettext(msgid).format(**params)


def _event(c: PlannedContact, lang: str, stamp: dt.datetime) -> icalendar.Event:
    rule = catalogue(lang).gettext(c.title)
    if c.subject.kind == "school":
        summary = _text(_SUMMARY_SCHOOL, lang, rule=rule)
    else:
        summary = _text(_SUMMARY_PAIR, lang, rule=rule, child=", ".join(c.child_ids))
    ev = icalendar.Event()
    ev.add("uid", c.uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", c.date)  # a date: an all-day event in the reader's own zone
    ev.add("dtend", c.date + dt.timedelta(days=1))
    ev.add("summary", summary)
    ev.add(
        "description",
        _text(
            _DESCRIPTION,
            lang,
            start=c.window_start.isoformat(),
            end=c.window_end.isoformat(),
            code=c.rule_code,
        ),
    )
    ev.add("categories", [c.rule_code])
    ev.add("transp", "TRANSPARENT")
    ev.add("sequence", 0)
    return ev


def calendar_for(
    contacts: Iterable[PlannedContact],
    *,
    mentor: str,
    term: str,
    lang: str = "zh",
    stamp: dt.datetime | None = None,
) -> icalendar.Calendar:
    """A calendar of ``contacts`` (one mentor's), in ``lang``.

    ``stamp`` is the ``DTSTAMP`` of every event (default: now, in UTC).
    """
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text(_CALNAME, lang, mentor=mentor, term=term))
    for c in sorted(contacts, key=lambda c: (c.date, c.uid)):
        cal.add_component(_event(c, lang, stamp))
    return cal


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "_"


def write_calendars(
    plan: Plan,
    directory: str | Path,
    *,
    lang: str = "zh",
    mentors: Iterable[str] | None = None,
    stamp: dt.datetime | None = None,
) -> dict[str, Path]:
    """Write one ``<mentor>.ics`` per mentor of ``plan`` into ``directory``.

    Returns the path of each mentor's file. ``mentors`` limits the mentors.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(mentors) if mentors is not None else None
    written: dict[str, Path] = {}
    by_mentor: Mapping[str, list[PlannedContact]] = plan.by_mentor()
    for mentor, contacts in by_mentor.items():
        if wanted is not None and mentor not in wanted:
            continue
        cal = calendar_for(contacts, mentor=mentor, term=plan.term.id, lang=lang, stamp=stamp)
        path = out / f"{_safe(mentor)}.ics"
        path.write_bytes(cal.to_ical())
        written[mentor] = path
    return written


class IcsExporter:
    """The ``ics`` exporter: planned contacts (one mentor's) to an ``.ics`` file."""

    name = "ics"
    suffix = ".ics"

    def __init__(self, *, lang: str = "zh", mentor: str = "", term: str = "") -> None:
        self.lang = lang
        self.mentor = mentor
        self.term = term

    def export(self, rows: Iterable[PlannedContact], path: str) -> None:
        cal = calendar_for(rows, mentor=self.mentor, term=self.term, lang=self.lang)
        Path(path).write_bytes(cal.to_ical())


@hookimpl
def liushou_exporters() -> list[ExporterSpec]:
    """The iCalendar exporter of cadence plans."""
    return [
        ExporterSpec(
            name="ics",
            suffix=".ics",
            factory=IcsExporter,
            description="a mentor's planned contacts as an iCalendar file",
            requires=("icalendar",),
        )
    ]
