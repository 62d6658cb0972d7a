"""``liushou aid``: aid decisions with reasons and totals per school, from the store."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

import attrs
import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, chosen_schools, cli, tr
from liushou_core import aid
from liushou_core.errors import LiushouError
from liushou_core.hookspecs import Event
from liushou_core.i18n import N_
from liushou_core.models import AidDecision, Child, Household, School
from liushou_core.plugins import emit, plugin_manager
from liushou_core.ports import UnitOfWork

__all__ = ["ACTOR", "aid_command"]

#: The actor of the command's reads and writes in the audit trail.
ACTOR: Final = "liushou aid"
#: The purpose recorded with its reads.
PURPOSE: Final = "aid assessment"
#: The fields of a pupil's record the details table shows or rests on.
SHOWN_FIELDS: Final = ("name", "class_id", "schooling", "boarding", "household_id")

_UI: Final[dict[str, str]] = {
    "title": N_("Aid on {on}: {schools} school(s), {pupils} pupils"),
    "school": N_("School"),
    "pupils": N_("Pupils"),
    "cash": N_("Cash a year (yuan)"),
    "meals": N_("Meals a year (yuan)"),
    "total": N_("Total"),
    "details": N_("Decisions of {school} on {on} (names shown locally only)"),
    "pupil": N_("Pupil"),
    "class": N_("Class"),
    "decisions": N_("Decisions"),
    "reasons": N_("Reasons and missing evidence"),
    "eligible": N_("eligible"),
    "not_eligible": N_("not eligible"),
    "saved": N_("Stored {added} new and {updated} updated aid decisions in {url}"),
    "changed": N_("Changed outcomes since the previous decisions: {n}"),
    "note": N_(
        "Counts are pupils eligible per scheme; meals are never paid as cash. "
        "Totals are yearly; a term is half."
    ),
    "observer": N_("An observer of the events failed: {error}"),
}


def _t(key: str, lang: str, **params: object) -> str:
    return tr(_UI[key], lang, **params)


@attrs.frozen
class _SchoolResult:
    school: School
    children: tuple[Child, ...]
    decisions: tuple[AidDecision, ...]


@cli.command(
    "aid",
    context_settings=_CONTEXT,
    epilog=(
        "Examples (after 'liushou demo'):\n\n"
        "\b\n"
        "  liushou --on 2026-09-01 aid\n"
        "  liushou --lang en aid --school 422828-000 --details\n"
        "  liushou aid --save"
    ),
)
@click.option(
    "--school",
    "school_ids",
    multiple=True,
    metavar="ID",
    help="Only this school (repeat for several; default: every school in the store).",
)
@click.option(
    "--details",
    is_flag=True,
    help="Also list each pupil's decisions with the reasons and the missing evidence.",
)
@click.option(
    "--save",
    is_flag=True,
    help="Store the decisions, report outcomes changed since each pupil's previous "
    "decision, and tell plugins (liushou_on_event) after the commit.",
)
@click.pass_obj
def aid_command(settings: Settings, school_ids: Sequence[str], details: bool, save: bool) -> None:
    """Assess 两免一补, the nutrition plan and county schemes for every pupil.

    Reads the pupils and households from the store and decides every scheme
    on the day given with --on (default today), with the schemes of installed
    plugins (a county's hardship relief). Prints per school the pupils
    eligible for each scheme and the yearly totals; --details lists each
    pupil's decisions with reasons. With --save the decisions are stored
    (one per pupil and day) and changed outcomes become events.
    """
    lang, on = settings.lang, settings.on
    try:
        pm = plugin_manager()
        policy = aid.with_plugins(aid.DEFAULT_POLICY, pm)
        policy.params(on)
    except LiushouError as exc:
        raise BadInput(f"aid policy: {exc}") from None
    store = settings.open_store(existing=True)
    results: list[_SchoolResult] = []
    events: list[Event] = []
    added = updated = 0
    try:
        with store.unit_of_work(actor=ACTOR, purpose=PURPOSE, readonly=not save) as uow:
            schools = chosen_schools(uow, school_ids, lang)
            for school in schools:
                children = tuple(uow.list(Child, school.id))
                households = uow.list(Household, school.id)
                decisions = tuple(aid.assess_many(children, households, policy, on=on))
                results.append(_SchoolResult(school, children, decisions))
                if save:
                    a, u, evs = _save(uow, school.id, decisions, on)
                    added, updated = added + a, updated + u
                    events.extend(evs)
                if details:
                    for child in children:
                        uow.record_read(Child, school.id, child.id, fields=SHOWN_FIELDS)
            uow.commit()
    finally:
        store.close()

    err = Console(stderr=True, highlight=False)
    for event in events:  # after the commit
        for error in emit(pm, event):
            err.print(escape(_t("observer", lang, error=error)))
    console = Console(highlight=False)
    codes = [s.code for s in policy.schemes]
    pupils = sum(len(r.children) for r in results)
    console.print(
        f"[bold]{escape(_t('title', lang, on=on.isoformat(), schools=len(results), pupils=pupils))}"
        "[/bold]"
    )
    console.print(_totals_table(results, codes, lang))
    console.print(_t("note", lang))
    if details:
        for r in results:
            console.print(_details_table(r, codes, lang, on))
    if save:
        err.print(
            _t("saved", lang, added=added, updated=updated, url=_redacted(settings.store_url))
        )
        console.print(_t("changed", lang, n=len(events)))
        for event in events:
            data = dict(event.data)
            console.print(escape(f"  {data['child_id']}: {data['change']}"), soft_wrap=True)


def _redacted(url: str) -> str:
    from liushou_adapters.storage import redact_url

    return redact_url(url)


def _save(
    uow: UnitOfWork, school_id: str, decisions: Sequence[AidDecision], on: dt.date
) -> tuple[int, int, list[Event]]:
    """Store the decisions; the events of outcomes changed since each pupil's previous one."""
    stored = uow.list(AidDecision, school_id, until=on)
    latest: dict[str, AidDecision] = {}
    same_day: dict[str, AidDecision] = {}
    for d in stored:
        if d.on == on:
            same_day[d.id] = d
        prev = latest.get(d.child_id)
        if d.on < on and (prev is None or (d.on, d.id) > (prev.on, prev.id)):
            latest[d.child_id] = d
    added = updated = 0
    events: list[Event] = []
    new: list[AidDecision] = []
    for d in decisions:
        old = same_day.get(d.id)
        before = old if old is not None else latest.get(d.child_id)
        events.extend(aid.events_for(before, d, actor=ACTOR))
        if old is None:
            new.append(d)
        elif old.schemes != d.schemes:
            uow.update(attrs.evolve(d, version=old.version))
            updated += 1
    if new:
        uow.add_all(new)
        added = len(new)
    return added, updated, events


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _totals_table(results: Sequence[_SchoolResult], codes: Sequence[str], lang: str) -> Table:
    table = Table()
    table.add_column(_t("school", lang), overflow="fold")
    table.add_column(_t("pupils", lang), justify="right", no_wrap=True)
    for code in codes:
        table.add_column(tr(code, lang), justify="right", no_wrap=True)
    table.add_column(_t("cash", lang), justify="right", no_wrap=True)
    table.add_column(_t("meals", lang), justify="right", no_wrap=True)
    grand: Counter[str] = Counter()
    cash_all = meals_all = Decimal(0)
    for r in results:
        counts: Counter[str] = Counter(
            s.scheme for d in r.decisions for s in d.schemes if s.eligible
        )
        cash = sum((d.total for d in r.decisions), Decimal(0))
        meals = sum((d.in_kind_total for d in r.decisions), Decimal(0))
        grand.update(counts)
        cash_all += cash
        meals_all += meals
        table.add_row(
            escape(f"{r.school.name}\n{r.school.id}"),
            str(len(r.children)),
            *(str(counts.get(c, 0)) for c in codes),
            _money(cash),
            _money(meals),
        )
    if len(results) > 1:
        table.add_row(
            _t("total", lang),
            str(sum(len(r.children) for r in results)),
            *(str(grand.get(c, 0)) for c in codes),
            _money(cash_all),
            _money(meals_all),
            style="bold",
        )
    return table


def _details_table(r: _SchoolResult, codes: Sequence[str], lang: str, on: dt.date) -> Table:
    table = Table(title=escape(_t("details", lang, school=r.school.name, on=on.isoformat())))
    table.add_column(_t("pupil", lang), overflow="fold")
    table.add_column(_t("class", lang), overflow="fold")
    table.add_column(_t("decisions", lang), overflow="fold")
    table.add_column(_t("reasons", lang), overflow="fold", ratio=1)
    yes, no = _t("eligible", lang), _t("not_eligible", lang)
    for child, d in zip(r.children, r.decisions, strict=True):
        lines, reasons = [], []
        for s in d.schemes:
            amount = f" {_money(s.amount)}" if s.eligible and s.amount is not None else ""
            lines.append(f"{tr(s.scheme, lang)}: {yes if s.eligible else no}{amount}")
            if s.scheme in (aid.FREE_TUITION, aid.FREE_TEXTBOOKS, aid.NUTRITION) and s.eligible:
                continue  # the same for every pupil of the stage
            reasons.extend(s.explain(lang))
        table.add_row(
            escape(child.name),
            escape(child.class_id or ""),
            escape("\n".join(lines)),
            escape("\n".join(dict.fromkeys(reasons))),
        )
    return table
