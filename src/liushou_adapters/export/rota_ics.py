"""Exports of the activities duty rota: one iCalendar file per mentor, and a table.

Each duty becomes an all-day ``VEVENT`` (a plain local date, never shifted
through UTC) whose ``UID`` is the duty's id: a re-built rota re-exported
updates the events a calendar app already imported. :func:`rota_table` gives
the rota as a :class:`~liushou_adapters.export.tables.Table` for the CSV and
XLSX exporters (``exporter("xlsx").write(rota_table(r), path)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import icalendar

from liushou_adapters.export.datasets import rows_table
from liushou_adapters.export.ics import _safe, _text
from liushou_adapters.export.tables import Column, Table
from liushou_core.i18n import N_, catalogue
from liushou_core.models import Duty
from liushou_core.rota import Rota

__all__ = ["PRODID", "rota_calendar", "rota_table", "write_rota_calendars"]

PRODID: Final = "-//liushou//duty rota//ZH"

_CALNAME: Final = N_("Activity duties of mentor {mentor}, term {term}")
_SUMMARY: Final = N_("On duty: {slot}")
_DESCRIPTION: Final = N_("Supervise the {slot} of {day}. Duty rota of term {term}, by liushou.")
_WEEKDAYS: Final = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def rota_calendar(
    duties: Iterable[Duty],
    *,
    mentor: str,
    term: str,
    lang: str = "zh",
    stamp: dt.datetime | None = None,
) -> icalendar.Calendar:
    """A calendar of one mentor's ``duties`` in ``lang``; ``stamp`` is every
    event's ``DTSTAMP`` (default: now, in UTC)."""
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    text = catalogue(lang).gettext
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text(_CALNAME, lang, mentor=mentor, term=term))
    for d in sorted(duties, key=lambda d: (d.date, d.id)):
        slot = text(d.slot.value)
        ev = icalendar.Event()
        ev.add("uid", f"{d.id}@liushou")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", d.date)  # a date: an all-day event in the reader's own zone
        ev.add("dtend", d.date + dt.timedelta(days=1))
        ev.add("summary", _text(_SUMMARY, lang, slot=slot))
        ev.add(
            "description",
            _text(_DESCRIPTION, lang, slot=slot, day=d.date.isoformat(), term=d.term_id),
        )
        ev.add("categories", [d.slot.name])
        ev.add("transp", "TRANSPARENT")
        ev.add("sequence", 0)
        cal.add_component(ev)
    return cal


def write_rota_calendars(
    r: Rota,
    directory: str | Path,
    *,
    lang: str = "zh",
    stamp: dt.datetime | None = None,
) -> dict[str, Path]:
    """Write one ``<mentor>.ics`` per mentor with duties into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for mentor, duties in r.by_mentor().items():
        if not duties:
            continue
        cal = rota_calendar(duties, mentor=mentor, term=r.term.id, lang=lang, stamp=stamp)
        path = out / f"{_safe(mentor)}.ics"
        path.write_bytes(cal.to_ical())
        written[mentor] = path
    return written


_COLUMNS: Final = (
    Column("date", N_("Date"), "date"),
    Column("weekday", N_("Weekday"), "label"),
    Column("slot", N_("Duty"), "label"),
    Column("mentor_id", N_("Mentor"), mask="none"),
    Column("mentor_name", N_("Name"), mask="none"),
)


def rota_table(r: Rota, names: Mapping[str, str] | None = None) -> Table:
    """The rota as a table (date, weekday, slot, mentor id and name) for the
    CSV and XLSX exporters; ``names`` maps mentor ids to names."""
    names = names or {}
    rows = [
        {
            "date": d.date,
            "weekday": _WEEKDAYS[d.date.weekday()],
            "slot": d.slot.value,
            "mentor_id": d.mentor_id,
            "mentor_name": names.get(d.mentor_id, ""),
        }
        for d in r.duties
    ]
    return rows_table("rota", N_("Duty rota of the activities"), rows, _COLUMNS)
