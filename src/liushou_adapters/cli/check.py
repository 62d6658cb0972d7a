"""``liushou check``: the completeness checks over the store, by school, class and child."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, cli, term_option, tr
from liushou_core.cadence import policy_from_plugins
from liushou_core.checks import SchoolRecords
from liushou_core.errors import LiushouError
from liushou_core.i18n import N_, catalogue
from liushou_core.masking import mask_text
from liushou_core.models import Child, Finding, Severity, Term
from liushou_core.plugins import plugin_manager
from liushou_core.review import review_term
from liushou_core.school_calendar import term_on

__all__ = ["check_command"]

_UI: Final[dict[str, str]] = {
    "title": N_("{school}: findings of term {term} on {on}"),
    "clean": N_("{school}: no findings for term {term} on {on}"),
    "totals": N_("{schools} school(s): {errors} errors, {warnings} warnings, {infos} notes"),
    "class": N_("Class"),
    "subject": N_("Subject"),
    "severity": N_("Severity"),
    "finding": N_("Finding"),
    "fix": N_("How to fix"),
    "no_class": N_("(no class)"),
    "whole_school": N_("whole school"),
}

#: Kinds of finding subject other than child, school and class, as the table names them.
_KINDS: Final[dict[str, str]] = {
    "volunteer": N_("volunteer"),
    "incident": N_("incident"),
    "pairing": N_("pairing"),
    "teacher": N_("teacher"),
    "leading_group": N_("leading group"),
    "measure": N_("measure"),
    "work_plan": N_("work plan"),
}

_SEVERITY_ORDER: Final = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _t(key: str, lang: str, **params: object) -> str:
    return tr(_UI[key], lang, **params)


@cli.command(
    "check",
    context_settings=_CONTEXT,
    epilog=(
        "Examples (after 'liushou demo'):\n\n"
        "\b\n"
        "  liushou check\n"
        "  liushou --lang en --on 2026-11-30 check --school 422828-000 --term 2026-autumn\n"
        "  liushou check --json > findings.jsonl"
    ),
)
@click.option("--school", "school_id", default=None, metavar="ID", help="Only this school.")
@term_option()
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines (one finding per line).")
@click.pass_obj
def check_command(
    settings: Settings, school_id: str | None, term_given: Term | None, as_json: bool
) -> int:
    """Run the completeness checks and list the findings by school, class and child.

    Checks every stored school (or one) for the term: archives, contact cards,
    guardianship, consent, pairing and diaries, safety pledges, health,
    incidents, the term work summary, aid decisions, and any check a plugin
    adds; and who is overdue with meetings, talks, home visits and calls
    against the term's plan (the cadence rules). Exit status 1 when any
    finding is an error.
    """
    lang = settings.lang
    on = settings.on
    term = term_given or term_on(on)
    try:
        pm = plugin_manager()
        cadence = policy_from_plugins(pm)
    except LiushouError as exc:
        raise BadInput(f"plugins: {exc}") from None
    store = settings.open_store(existing=True)
    results: list[tuple[SchoolRecords, list[Finding]]] = []
    try:
        with store.unit_of_work(actor="liushou check", purpose="checks", readonly=True) as uow:
            schools = uow.schools()
            if school_id is not None:
                schools = [s for s in schools if s.id == school_id]
                if not schools:
                    raise BadInput(f"--school: school {school_id} is not stored in this store")
            for school in schools:
                records = SchoolRecords.load(uow, school, term)
                review = review_term(records, on=on, cadence_policy=cadence, pm=pm)
                results.append((review.records, list(review.findings)))
    finally:
        store.close()
    severities: Counter[Severity] = Counter()
    for _, found in results:
        severities.update(f.severity for f in found)
    if as_json:
        for records, found in results:
            for f in _ordered(records, found):
                click.echo(json.dumps(_as_json(records, f, lang), ensure_ascii=False))
    else:
        console = Console(highlight=False)
        for records, found in results:
            _print_school(console, records, term, found, settings)
        console.print(
            escape(
                _t(
                    "totals",
                    lang,
                    schools=len(results),
                    errors=severities[Severity.ERROR],
                    warnings=severities[Severity.WARNING],
                    infos=severities[Severity.INFO],
                )
            )
        )
    return 1 if severities[Severity.ERROR] else 0


# --------------------------------------------------------------------------- layout


def _children_of(records: SchoolRecords, f: Finding) -> list[str]:
    """The children a finding is about (an incident's children, a pairing's child)."""
    kind, sid = f.subject.kind, f.subject.id
    if kind == "child":
        return [sid]
    if kind == "incident":
        return [c for i in records.incidents if i.id == sid for c in i.child_ids]
    if kind == "pairing":
        return [p.child_id for p in records.pairings if p.id == sid]
    return []


def _class_of(records: SchoolRecords, f: Finding, children: dict[str, Child]) -> str:
    if f.subject.kind == "class":
        return f.subject.id
    for cid in _children_of(records, f):
        child = children.get(cid)
        if child is not None and child.class_id:
            return child.class_id
    return ""


def _ordered(records: SchoolRecords, found: Sequence[Finding]) -> list[Finding]:
    children = {c.id: c for c in records.children}
    return sorted(
        found,
        key=lambda f: (
            _class_of(records, f, children),
            f.subject.kind != "class",
            f.subject.kind,
            f.subject.id,
            _SEVERITY_ORDER.get(f.severity, 3),
            f.code,
        ),
    )


def _subject_label(records: SchoolRecords, f: Finding, lang: str) -> str:
    text = catalogue(lang).gettext
    kind, sid = f.subject.kind, f.subject.id
    if kind == "child":
        child = next((c for c in records.children if c.id == sid), None)
        return f"{child.name} ({sid})" if child is not None else sid
    if kind == "school":
        return _t("whole_school", lang)
    if kind == "class":
        klass = next((k for k in records.classes if k.id == sid), None)
        return klass.name if klass is not None else sid
    return f"{text(_KINDS.get(kind, kind))} {sid}"


def _print_school(
    console: Console, records: SchoolRecords, term: Term, found: Sequence[Finding], s: Settings
) -> None:
    lang = s.lang
    name = f"{records.school.name} ({records.school.id})"
    params = {"school": name, "term": term.id, "on": s.on.isoformat()}
    if not found:
        console.print(escape(_t("clean", lang, **params)))
        return
    text = catalogue(lang).gettext
    classes = {k.id: k.name for k in records.classes}
    children = {c.id: c for c in records.children}
    table = Table(title=escape(_t("title", lang, **params)), show_lines=False)
    table.add_column(_t("class", lang), no_wrap=True)
    table.add_column(_t("subject", lang), overflow="fold")
    table.add_column(_t("severity", lang), no_wrap=True)
    table.add_column(_t("finding", lang), overflow="fold", ratio=2)
    table.add_column(_t("fix", lang), overflow="fold", ratio=1)
    styles = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: ""}
    for f in _ordered(records, found):
        class_id = _class_of(records, f, children)
        table.add_row(
            escape(classes.get(class_id, class_id) or _t("no_class", lang)),
            escape(mask_text(_subject_label(records, f, lang))),
            f"[{styles[f.severity]}]{escape(text(f.severity.value))}[/]"
            if styles[f.severity]
            else escape(text(f.severity.value)),
            escape(mask_text(f.message.render(lang))),
            escape(mask_text(f.fix.render(lang))) if f.fix is not None else "",
        )
    console.print(table)


def _as_json(records: SchoolRecords, f: Finding, lang: str) -> dict[str, Any]:
    children = {c.id: c for c in records.children}
    return {
        "school_id": f.school_id,
        "class_id": _class_of(records, f, children) or None,
        "subject_kind": f.subject.kind,
        "subject_id": f.subject.id,
        "child_ids": _children_of(records, f),
        "code": f.code,
        "severity": f.severity.value,
        "on": f.on.isoformat(),
        "message": mask_text(f.message.render(lang)),
        "fix": mask_text(f.fix.render(lang)) if f.fix is not None else None,
    }
