"""``liushou pair``: mentor pairing (结对帮扶) for a term, from the store, with reasons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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
    chosen_schools,
    cli,
    term_option,
    tr,
)
from liushou_core.i18n import N_, catalogue
from liushou_core.models import (
    Child,
    Household,
    Incident,
    Pairing,
    School,
    SchoolClass,
    Teacher,
    Term,
    Volunteer,
)
from liushou_core.pairing import (
    DEFAULT_RULES,
    PREFERENCES,
    Nomination,
    PairingPlan,
    PairingRules,
    nominate,
    pair,
)
from liushou_core.ports import UnitOfWork
from liushou_core.school_calendar import term_on

__all__ = ["ACTOR", "pair_command"]

#: The actor of the command's reads and writes in the audit trail (``--actor`` overrides).
ACTOR: Final = "liushou pair"
#: The purpose recorded with its reads.
PURPOSE: Final = "mentor pairing"
#: The fields of a pupil's record the pairs table shows.
SHOWN_FIELDS: Final = ("name", "class_id")

_UI: Final[dict[str, str]] = {
    "title": N_("Mentor pairing for term {term} on {on}: {schools} school(s)"),
    "school": N_("School"),
    "nominated": N_("Nominated"),
    "paired": N_("Paired"),
    "unpaired": N_("Unpaired"),
    "mentors": N_("Mentors"),
    "below": N_("Below minimum"),
    "cost": N_("Cost"),
    "total": N_("Total"),
    "pairs": N_("Pairs of {school} (names shown locally only)"),
    "pupil": N_("Pupil"),
    "class": N_("Class"),
    "mentor": N_("Mentor"),
    "why": N_("Why this mentor"),
    "missed": N_("Preferences missed"),
    "kept": N_("kept from last term"),
    "pinned": N_("pinned by the school"),
    "unpaired_title": N_("Unpaired children of {school}"),
    "reasons": N_("Reasons"),
    "notes": N_("Notes"),
    "breakdown": N_("Cost by preference: {parts}"),
    "saved": N_(
        "Stored the pairs of term {term}: {added} added, {updated} changed, {deleted} ended"
    ),
    "not_saved": N_("Nothing stored: add --save to store the pairs of the term."),
}


def _t(key: str, lang: str, **params: object) -> str:
    return tr(_UI[key], lang, **params)


@attrs.frozen
class _Result:
    school: School
    nomination: Nomination
    plan: PairingPlan
    names: dict[str, str]
    classes: dict[str, str]


@cli.command(
    "pair",
    context_settings=_CONTEXT,
    epilog=(
        "Examples (after 'liushou demo'):\n\n"
        "\b\n"
        "  liushou --on 2026-09-01 pair\n"
        "  liushou --lang en pair --term 2026-autumn --school 422828-000 --details\n"
        "  liushou pair --term 2026-spring --previous 2026-autumn --save"
    ),
)
@term_option()
@click.option(
    "--school",
    "school_ids",
    multiple=True,
    metavar="ID",
    help="Only this school (repeat for several; default: every school in the store).",
)
@term_option(
    "--previous",
    "previous_term",
    help="Last term, e.g. 2026-autumn: its stored pairs are kept where still allowed.",
)
@click.option(
    "--all-left-behind",
    is_flag=True,
    help="Nominate every left-behind child, not only 4-5 per class.",
)
@click.option(
    "--details", is_flag=True, help="List the pairs of every school (always for one school)."
)
@click.option("--save", is_flag=True, help="Store the pairs of the term (one unit of work each).")
@click.option(
    "--actor",
    default=ACTOR,
    show_default=True,
    help="Who stores the pairs, as the audit trail records it.",
)
@click.pass_obj
def pair_command(
    settings: Settings,
    term_given: Term | None,
    school_ids: Sequence[str],
    previous_term: Term | None,
    all_left_behind: bool,
    details: bool,
    save: bool,
    actor: str,
) -> None:
    """Nominate the priority children of each class and pair them with mentors.

    Reads each school's pupils, households, incidents, classes, teachers and
    volunteers from the store; each class nominates its highest-priority
    left-behind children (4-5); the plan pairs as many as capacity allows,
    higher priority first, then with the least cost of the preferences (class
    teacher, grade, village, a woman for girls from 10, last term's mentor).
    Shows the plan with the reason of every unpaired child. With --save the
    pairs are stored as the term's Pairing records (changed ones updated,
    dropped ones deleted), audited under --actor.
    """
    lang, on = settings.lang, settings.on
    term = (term_given or term_on(on)).id
    previous = previous_term.id if previous_term is not None else None
    if not actor.strip():
        raise BadInput("--actor: give a name for the audit trail")
    rules = attrs.evolve(DEFAULT_RULES, pair_all_left_behind=all_left_behind)
    store = settings.open_store(existing=True)
    results: list[_Result] = []
    counts = [0, 0, 0]
    try:
        with store.unit_of_work(actor=actor, purpose=PURPOSE, readonly=True) as uow:
            schools = chosen_schools(uow, school_ids, lang)
        for school in schools:
            with store.unit_of_work(actor=actor, purpose=PURPOSE, readonly=not save) as uow:
                r = _pair_school(uow, school, rules, previous, on)
                if save:
                    for i, n in enumerate(_save(uow, school.id, term, r.plan, on)):
                        counts[i] += n
                show = details or len(schools) == 1
                if show:
                    for p in r.plan.pairs:
                        uow.record_read(Child, school.id, p.child_id, fields=SHOWN_FIELDS)
                    for u in r.plan.unpaired:
                        uow.record_read(Child, school.id, u.child_id, fields=SHOWN_FIELDS)
                uow.commit()
            results.append(r)
    finally:
        store.close()

    console = Console(highlight=False)
    title = _t("title", lang, term=term, on=on.isoformat(), schools=len(results))
    console.print(f"[bold]{escape(title)}[/bold]")
    console.print(_summary_table(results, lang))
    for r in results:
        if details or len(results) == 1:
            console.print(_pairs_table(r, lang))
        _notes(console, r, lang)
    if save:
        added, updated, deleted = counts
        console.print(
            escape(_t("saved", lang, term=term, added=added, updated=updated, deleted=deleted))
        )
    else:
        console.print(_t("not_saved", lang))


def _pair_school(
    uow: UnitOfWork,
    school: School,
    rules: PairingRules,
    previous: str | None,
    on: dt.date,
) -> _Result:
    sid = school.id
    children = uow.list(Child, sid)
    classes = uow.list(SchoolClass, sid)
    mentors: list[Teacher | Volunteer] = [*uow.list(Teacher, sid), *uow.list(Volunteer, sid)]
    nomination = nominate(
        children,
        on=on,
        households=uow.list(Household, sid),
        incidents=uow.list(Incident, sid),
        rules=rules,
    )
    last = uow.list(Pairing, sid, term_id=previous) if previous else []
    plan = pair(nomination.nominated, mentors, rules, previous=last, classes=classes)
    names = {c.id: c.name for c in children} | {m.id: m.name for m in mentors}
    return _Result(school, nomination, plan, names, {k.id: k.name for k in classes})


def _save(
    uow: UnitOfWork, school_id: str, term: str, plan: PairingPlan, on: dt.date
) -> tuple[int, int, int]:
    stored = {p.id: p for p in uow.list(Pairing, school_id, term_id=term)}
    added = updated = 0
    new = plan.pairings(term, start=on)
    for p in new:
        old = stored.pop(p.id, None)
        if old is None:
            uow.add(p)
            added += 1
        elif (old.child_id, old.mentor_id, old.mentor_kind) != (
            p.child_id,
            p.mentor_id,
            p.mentor_kind,
        ):
            uow.update(attrs.evolve(p, start=old.start or on, version=old.version))
            updated += 1
    for old in stored.values():
        uow.delete(Pairing, school_id, old.id, old.version)
    return added, updated, len(stored)


def _summary_table(results: Sequence[_Result], lang: str) -> Table:
    table = Table()
    table.add_column(_t("school", lang), overflow="fold")
    for key in ("nominated", "paired", "unpaired", "mentors", "below", "cost"):
        table.add_column(_t(key, lang), justify="right", no_wrap=True)
    totals = [0] * 6
    for r in results:
        row = [
            len(r.nomination.nominated),
            r.plan.paired,
            len(r.plan.unpaired),
            len(r.plan.load()),
            len(r.plan.below_minimum),
            r.plan.cost,
        ]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        table.add_row(escape(f"{r.school.name}\n{r.school.id}"), *map(str, row))
    if len(results) > 1:
        table.add_row(_t("total", lang), *map(str, totals), style="bold")
    return table


def _pairs_table(r: _Result, lang: str) -> Table:
    text = catalogue(lang).gettext
    sep = "、" if lang == "zh" else ", "
    table = Table(title=escape(_t("pairs", lang, school=r.school.name)))
    table.add_column(_t("pupil", lang), overflow="fold")
    table.add_column(_t("class", lang), overflow="fold")
    table.add_column(_t("mentor", lang), overflow="fold")
    table.add_column(_t("cost", lang), justify="right", no_wrap=True)
    table.add_column(_t("why", lang), overflow="fold", ratio=1)
    table.add_column(_t("missed", lang), overflow="fold", ratio=1)
    class_of = {n.child.id: n.child.class_id or "" for n in r.nomination.nominated}
    for p in sorted(r.plan.pairs, key=lambda p: (class_of.get(p.child_id, ""), p.child_id)):
        why = [m.render(lang) for m in p.reasons]
        if p.kept:
            why.insert(0, _t("kept", lang))
        if p.pinned:
            why.insert(0, _t("pinned", lang))
        missed = [text(PREFERENCES[k]) for k, _ in p.breakdown]
        table.add_row(
            escape(r.names.get(p.child_id, p.child_id)),
            escape(r.classes.get(class_of.get(p.child_id, ""), "")),
            escape(r.names.get(p.mentor_id, p.mentor_id)),
            str(p.cost),
            escape(sep.join(why)) or "-",
            escape(sep.join(missed)) or "-",
        )
    return table


def _notes(console: Console, r: _Result, lang: str) -> None:
    text = catalogue(lang).gettext
    sep = "；" if lang == "zh" else "; "
    plan = r.plan
    parts = sep.join(f"{text(PREFERENCES[k])} {v}" for k, v in plan.breakdown if v)
    if parts:
        console.print(escape(_t("breakdown", lang, parts=parts)))
    if plan.unpaired:
        table = Table(title=escape(_t("unpaired_title", lang, school=r.school.name)))
        table.add_column(_t("pupil", lang), overflow="fold")
        table.add_column(_t("reasons", lang), overflow="fold", ratio=1)
        for u in plan.unpaired:
            table.add_row(
                escape(r.names.get(u.child_id, u.child_id)),
                escape(" ".join(m.render(lang) for m in u.reasons)),
            )
        console.print(table)
    notes = [w.render(lang) for w in plan.warnings]
    notes += [m.render(lang) for _, m in plan.excluded if m.code == "MENTOR_NO_CHECK"]
    notes += [
        f"{r.names.get(b.mentor_id, b.mentor_id)}: {m.render(lang)}"
        for b in plan.below_minimum
        for m in b.reasons
    ]
    notes += [f"{r.names.get(p.child_id, p.child_id)}: {m.render(lang)}" for p, m in plan.ended]
    if notes:
        console.print(f"[bold]{escape(_t('notes', lang))}[/bold]")
        for line in notes:
            console.print(escape(f"  {line}"), soft_wrap=True)
