"""``liushou plan``: a term's contacts per mentor, from the store's pairings."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import (
    _CONTEXT,
    DATE,
    BadInput,
    Settings,
    cli,
    closed_option,
    ics_dir_option,
    term_option,
    tr,
)
from liushou_core.cadence import CarePair, Plan, care_pairs, plan, policy_from_plugins
from liushou_core.i18n import N_, catalogue
from liushou_core.models import Child, Household, Pairing, Teacher, Term
from liushou_core.plugins import plugin_manager
from liushou_core.school_calendar import school_calendar, term_on

__all__ = ["plan_command"]

_UI: Final[dict[str, str]] = {
    "title": N_("Plan of term {term} ({first} to {last}): {pairs} pairs, {contacts} contacts"),
    "open_days": N_("{days} open school days; nothing is planned on a closed day"),
    "mentor": N_("Mentor"),
    "pairs": N_("Pairs"),
    "contacts": N_("Contacts"),
    "busiest": N_("Busiest day"),
    "first": N_("First"),
    "last": N_("Last"),
    "date": N_("Date"),
    "contact": N_("Contact"),
    "children": N_("Children"),
    "unmet": N_("Cannot be planned ({n})"),
    "none": N_("No pairings of term {term} in the store: pair mentors and children first"),
    "wrote": N_("Wrote {n} calendar file(s) to {dir}"),
    "whole_school": N_("whole school"),
}


def _t(key: str, lang: str, **params: object) -> str:
    return tr(_UI[key], lang, **params)


def _load(
    settings: Settings, term: Term, school: str | None
) -> tuple[list[CarePair], dict[str, str]]:
    store = settings.open_store(existing=True)
    pairs: list[CarePair] = []
    names: dict[str, str] = {}
    try:
        with store.unit_of_work(actor="liushou plan", purpose="cadence plan", readonly=True) as uow:
            schools = [s.id for s in uow.schools()]
            if school is not None:
                if school not in schools:
                    raise BadInput(f"--school: school {school} is not stored in this store")
                schools = [school]
            for sid in schools:
                pairings = uow.list(Pairing, sid, term_id=term.id)
                if not pairings:
                    continue
                children = {c.id: c for c in uow.list(Child, sid)}
                households = {h.id: h for h in uow.list(Household, sid)}
                pairs += care_pairs(pairings, children, term, households=households)
                names.update({t.id: t.name for t in uow.list(Teacher, sid)})
    finally:
        store.close()
    return pairs, names


def _summary_table(p: Plan, names: dict[str, str], lang: str) -> Table:
    table = Table(show_footer=False)
    for key in ("mentor", "pairs", "contacts", "busiest", "first", "last"):
        table.add_column(_t(key, lang), no_wrap=key != "mentor")
    pairs = Counter(cp.mentor_id for cp in p.pairs)
    for mentor, contacts in p.by_mentor().items():
        per_day = Counter(c.date for c in contacts)
        table.add_row(
            escape(f"{names.get(mentor, '')} {mentor}".strip()),
            str(pairs.get(mentor, 0)),
            str(len(contacts)),
            str(max(per_day.values())),
            contacts[0].date.isoformat(),
            contacts[-1].date.isoformat(),
        )
    return table


def _mentor_table(p: Plan, mentor: str, lang: str) -> Table:
    text = catalogue(lang).gettext
    table = Table(title=escape(mentor))
    for key in ("date", "contact", "children"):
        table.add_column(_t(key, lang))
    for c in p.by_mentor().get(mentor, []):
        who = _t("whole_school", lang) if c.subject.kind == "school" else ", ".join(c.child_ids)
        table.add_row(c.date.isoformat(), text(c.title), escape(who))
    return table


@cli.command(
    "plan",
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou plan --term 2026-autumn\n"
        "  liushou --lang en plan --term 2026-autumn --mentor 422828-000-t000\n"
        "  liushou plan --term 2026-autumn --closed 2026-11-12 --ics calendars/"
    ),
)
@term_option()
@click.option(
    "--first-day",
    type=DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="The term's first day (the province's calendar).",
)
@click.option(
    "--last-day", type=DATE, default=None, metavar="YYYY-MM-DD", help="The term's last day."
)
@click.option(
    "--school",
    "school_id",
    default=None,
    metavar="ID",
    help="Only this school (default: every school).",
)
@click.option(
    "--mentor",
    "mentors",
    multiple=True,
    metavar="ID",
    help="List this mentor's contacts day by day (repeatable).",
)
@closed_option()
@ics_dir_option()
@click.pass_obj
def plan_command(
    settings: Settings,
    term_given: Term | None,
    first_day: dt.date | None,
    last_day: dt.date | None,
    school_id: str | None,
    mentors: Sequence[str],
    closed: Sequence[dt.date],
    ics_dir: Path | None,
) -> None:
    """Plan a term's meetings, talks, home visits and calls for every mentor.

    Reads the term's pairings from the store, applies the cadence rules
    (built-in and from plugins) and lays the contacts on the school's open
    days: school days of the term, without public holidays, with make-up
    working days (调休), without the --closed days. Children are shown by
    record id only.
    """
    lang = settings.lang
    term = term_given or term_on(settings.on)
    try:
        term = Term(
            term.school_year, term.semester, first_day or term.first_day, last_day or term.last_day
        )
    except ValueError as exc:
        raise BadInput(f"--first-day/--last-day: {exc}") from None
    pairs, names = _load(settings, term, school_id)
    console = Console(highlight=False)
    if not pairs:
        console.print(escape(_t("none", lang, term=term.id)))
        return
    cal = school_calendar(term, closed=closed)
    p = plan(cal, pairs, policy_from_plugins(plugin_manager()))
    console.print(
        escape(
            _t(
                "title",
                lang,
                term=term.id,
                first=term.first_day.isoformat(),
                last=term.last_day.isoformat(),
                pairs=len(p.pairs),
                contacts=len(p.contacts),
            )
        )
    )
    console.print(escape(_t("open_days", lang, days=len(cal.open_days))))
    console.print(_summary_table(p, names, lang))
    for mentor in mentors:
        if mentor not in p.by_mentor():
            raise BadInput(f"--mentor: {mentor} has no planned contacts in term {term.id}")
        console.print(_mentor_table(p, mentor, lang))
    if p.unmet:
        console.print(escape(_t("unmet", lang, n=len(p.unmet))))
        for u in p.unmet[:20]:
            console.print("  " + escape(u.message.render(lang)))
    if ics_dir is not None:
        from liushou_adapters.export.ics import write_calendars

        try:
            written = write_calendars(p, ics_dir, lang=lang)
        except OSError as exc:
            raise BadInput(f"--ics {ics_dir}: cannot write ({exc.strerror})") from None
        console.print(escape(_t("wrote", lang, n=len(written), dir=str(ics_dir))))
