"""``liushou rota``: the activities duty rota of a term, from the store's mentors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import attrs
import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import (
    _CONTEXT,
    BadInput,
    Settings,
    cli,
    closed_option,
    ics_dir_option,
    term_option,
    tr,
)
from liushou_core.i18n import N_, catalogue
from liushou_core.models import (
    Duty,
    DutySlot,
    MentorKind,
    Pairing,
    Period,
    StaffRole,
    Teacher,
    Term,
)
from liushou_core.plugins import PluginError
from liushou_core.rota import Rota, rota
from liushou_core.school_calendar import school_calendar, term_on

__all__ = ["rota_command"]

_UI: Final[dict[str, str]] = {
    "title": N_(
        "Duty rota of term {term} ({first} to {last}): {mentors} mentors, {days} duty days, "
        "{duties} duties"
    ),
    "mentor": N_("Mentor"),
    "duties": N_("Duties"),
    "first": N_("First"),
    "last": N_("Last"),
    "fair": N_("Fair: every mentor's duties are within one of every other's."),
    "unfair": N_("Not fair ({n} reasons):"),
    "no_mentors": N_("No mentors of school {school} in the store: add teachers first"),
    "wrote_ics": N_("Wrote {n} calendar file(s) to {dir}"),
    "wrote_table": N_("Wrote the rota to {path}"),
    "saved": N_("Stored the rota: {added} added, {updated} updated, {removed} removed"),
}

_SLOTS: Final = {"noon": DutySlot.NOON, "after-school": DutySlot.AFTER_SCHOOL}


def _t(key: str, lang: str, **params: object) -> str:
    return tr(_UI[key], lang, **params)


def _unavailable(values: Sequence[str]) -> dict[str, list[dt.date | Period]]:
    out: dict[str, list[dt.date | Period]] = {}
    for value in values:
        mentor, sep, days = value.partition(":")
        first, dots, last = days.partition("..")
        try:
            if not sep or not mentor:
                raise ValueError
            start = dt.date.fromisoformat(first)
            span: dt.date | Period = Period(start, dt.date.fromisoformat(last)) if dots else start
        except ValueError:
            raise BadInput(
                f"--unavailable {value!r}: write MENTOR:YYYY-MM-DD or MENTOR:YYYY-MM-DD..YYYY-MM-DD"
            ) from None
        out.setdefault(mentor, []).append(span)
    return out


def _school_mentors(
    settings: Settings, school: str | None, term_id: str, wanted: Sequence[str]
) -> tuple[str, list[Teacher], dict[str, Duty]]:
    store = settings.open_store(existing=True)
    try:
        with store.unit_of_work(actor="liushou rota", purpose="duty rota", readonly=True) as uow:
            schools = [s.id for s in uow.schools()]
            if school is None:
                if len(schools) != 1:
                    raise BadInput(
                        f"--school: the store holds {len(schools)} schools; name one of them"
                    )
                school = schools[0]
            elif school not in schools:
                raise BadInput(f"--school: school {school} is not stored in this store")
            teachers = [t for t in uow.list(Teacher, school) if t.active]
            pairings = uow.list(Pairing, school, term_id=term_id)
            existing = {d.id: d for d in uow.list(Duty, school, term_id=term_id)}
    finally:
        store.close()
    by_id = {t.id: t for t in teachers}
    if wanted:
        unknown = [m for m in wanted if m not in by_id]
        if unknown:
            raise BadInput(f"--mentor: {', '.join(unknown)} is not an active teacher of {school}")
        return school, [by_id[m] for m in wanted], existing
    mentoring = {p.mentor_id for p in pairings if p.mentor_kind is MentorKind.TEACHER}
    chosen = [t for t in teachers if t.id in mentoring]
    if not chosen:  # no pairs yet: every teacher but the principal takes turns
        chosen = [t for t in teachers if StaffRole.PRINCIPAL not in t.roles]
    return school, chosen, existing


def _table(r: Rota, names: dict[str, str], lang: str) -> Table:
    table = Table()
    text = catalogue(lang).gettext
    table.add_column(_t("mentor", lang))
    for slot in r.slots:
        table.add_column(text(slot.value), justify="right")
    table.add_column(_t("duties", lang), justify="right")
    table.add_column(_t("first", lang))
    table.add_column(_t("last", lang))
    for mentor, duties in r.by_mentor().items():
        table.add_row(
            escape(f"{names.get(mentor, '')} {mentor}".strip()),
            *(str(sum(1 for d in duties if d.slot is s)) for s in r.slots),
            str(len(duties)),
            duties[0].date.isoformat() if duties else "-",
            duties[-1].date.isoformat() if duties else "-",
        )
    return table


def _save(settings: Settings, r: Rota, existing: dict[str, Duty]) -> tuple[int, int, int]:
    new = {d.id: d for d in r.duties}
    added = updated = 0
    store = settings.open_store(existing=True)
    try:
        with store.unit_of_work(actor="liushou rota", purpose="duty rota") as uow:
            for duty in r.duties:
                old = existing.get(duty.id)
                if old is None:
                    uow.add(duty)
                    added += 1
                elif attrs.evolve(old, version=0) != duty:
                    uow.update(attrs.evolve(duty, version=old.version))
                    updated += 1
            stale = [d for i, d in existing.items() if i not in new]
            for d in stale:
                uow.delete(Duty, d.school_id, d.id, d.version)
            uow.commit()
    finally:
        store.close()
    return added, updated, len(stale)


@cli.command(
    "rota",
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou rota --term 2026-autumn\n"
        "  liushou rota --term 2026-autumn --unavailable T7:2026-10-12..2026-10-16 --save\n"
        "  liushou --lang en rota --term 2026-autumn --ics rota/ --xlsx rota.xlsx"
    ),
)
@term_option()
@click.option("--school", "school_id", default=None, metavar="ID", help="The school.")
@click.option(
    "--mentor",
    "mentors",
    multiple=True,
    metavar="ID",
    help="A mentor who takes turns (repeatable; default: the term's mentor teachers).",
)
@click.option(
    "--slot",
    "slots",
    multiple=True,
    type=click.Choice(sorted(_SLOTS)),
    help="A slot of the day (repeatable; default: noon and after-school).",
)
@click.option(
    "--unavailable",
    multiple=True,
    metavar="ID:DATE[..DATE]",
    help="A mentor's day or days off duty (repeatable).",
)
@closed_option()
@ics_dir_option()
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write the rota as a spreadsheet (XLSX) file.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write the rota as a CSV file.",
)
@click.option("--save", is_flag=True, help="Store the duties (replacing the term's rota).")
@click.pass_obj
def rota_command(
    settings: Settings,
    term_given: Term | None,
    school_id: str | None,
    mentors: Sequence[str],
    slots: Sequence[str],
    unavailable: Sequence[str],
    closed: Sequence[dt.date],
    ics_dir: Path | None,
    xlsx_path: Path | None,
    csv_path: Path | None,
    save: bool,
) -> None:
    """Make the duty rota of the noon and after-school activities.

    Mentor teachers take turns, Monday to Friday, on the school's open days
    (no public holidays, no make-up Saturdays, no --closed days): each slot
    of a day has one mentor, nobody has two slots of a day, nobody is on duty
    on a day given with --unavailable, and every mentor's duties are within
    one of every other's whenever the days off allow it (otherwise it says why).
    """
    lang = settings.lang
    term = term_given or term_on(settings.on)
    off = _unavailable(unavailable)
    school, teachers, existing = _school_mentors(settings, school_id, term.id, mentors)
    console = Console(highlight=False)
    if not teachers:
        raise BadInput(_t("no_mentors", "en", school=school))
    unknown = sorted(set(off) - {t.id for t in teachers})
    if unknown:
        raise BadInput(f"--unavailable: {', '.join(unknown)} is not one of the rota's mentors")
    chosen = tuple(_SLOTS[s] for s in dict.fromkeys(slots)) or (
        DutySlot.NOON,
        DutySlot.AFTER_SCHOOL,
    )
    cal = school_calendar(term, closed=closed)
    r = rota(cal, teachers, chosen, off, school_id=school)
    names = {t.id: t.name for t in teachers}
    console.print(
        escape(
            _t(
                "title",
                lang,
                term=r.term.id,
                first=r.term.first_day.isoformat(),
                last=r.term.last_day.isoformat(),
                mentors=len(r.mentors),
                days=len(r.days),
                duties=len(r.duties),
            )
        )
    )
    console.print(_table(r, names, lang))
    if r.reasons:
        console.print(escape(_t("unfair", lang, n=len(r.reasons))))
        for m in r.reasons[:20]:
            console.print("  " + escape(m.render(lang)))
    else:
        console.print(escape(_t("fair", lang)))
    if ics_dir is not None:
        from liushou_adapters.export.rota_ics import write_rota_calendars

        try:
            written = write_rota_calendars(r, ics_dir, lang=lang)
        except OSError as exc:
            raise BadInput(f"--ics {ics_dir}: cannot write ({exc.strerror})") from None
        console.print(escape(_t("wrote_ics", lang, n=len(written), dir=str(ics_dir))))
    for fmt, path in (("xlsx", xlsx_path), ("csv", csv_path)):
        if path is None:
            continue
        from liushou_adapters.export import exporter
        from liushou_adapters.export.rota_ics import rota_table

        try:
            exporter(fmt, lang=lang).write(rota_table(r, names), path)
        except OSError as exc:
            raise BadInput(f"--{fmt} {path}: cannot write ({exc.strerror})") from None
        except PluginError as exc:
            raise BadInput(f"--{fmt}: {exc}") from None
        console.print(escape(_t("wrote_table", lang, path=str(path))))
    if save:
        added, updated, removed = _save(settings, r, existing)
        console.print(escape(_t("saved", lang, added=added, updated=updated, removed=removed)))
