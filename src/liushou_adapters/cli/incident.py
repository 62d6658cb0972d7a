"""``liushou incident``: the call list of an incident, and each step it takes.

``liushou incident calls`` prints who to call about an incident, in order, from
its pupils' emergency chains (:func:`liushou_core.emergency.call_list`).
``liushou incident advance`` records a step (a new state, the authorities told)
through one unit of work, with the notices it makes in the outbox
(:func:`liushou_core.emergency.advance`); the store audits the change.

The command runs as the system actor, which may not see phone numbers in full:
they are masked (public numbers such as 110 are not). Exit status 1 while a
mandatory report (suspected harm: the police and the education authority,
未成年人保护法 art. 11) is still missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, cli, tr
from liushou_adapters.notify.outbox import enqueue_event
from liushou_core.checks import SchoolRecords
from liushou_core.emergency import (
    IllegalTransition,
    advance,
    advance_event,
    call_list,
    chain,
    missing_reports,
    report_event,
)
from liushou_core.errors import NotFound
from liushou_core.i18n import N_, catalogue
from liushou_core.models import Authority, Child, Incident, IncidentState, School
from liushou_core.notices import NoticePolicy
from liushou_core.ports import Store, UnitOfWork
from liushou_core.school_calendar import term_on

__all__ = ["incident_group"]

#: Who the command's reads and writes are recorded as in the audit trail.
ACTOR: Final = "liushou incident"
#: The purpose recorded with the reads of the pupils' contacts.
PURPOSE: Final = "emergency"
#: The fields of a pupil's record the call list shows or rests on.
CHAIN_FIELDS: Final = ("class_id", "guardians", "parents", "village_committee")

_UI: Final[dict[str, str]] = {
    "calls_title": N_("Incident {incident} ({kind}, {date}): who to call, in order"),
    "order": N_("#"),
    "link": N_("Link"),
    "who": N_("Who"),
    "phone": N_("Phone"),
    "pupils": N_("Pupils"),
    "why": N_("Why"),
    "masked": N_(
        "Phone numbers are masked: this command runs as the system actor, which may not "
        "see them in full. Public numbers (110) are shown."
    ),
    "no_calls": N_("Nobody can be called from the pupils' records."),
    "gap": N_("Pupil {child}: {gap}"),
    "not_reported": N_("Mandatory report missing (未成年人保护法 art. 11): {authorities}"),
    "advanced": N_("Incident {incident} is now {state} (at {at}); {notices} notice(s) queued."),
}

_STATES: Final[dict[str, IncidentState]] = {
    "reported": IncidentState.REPORTED,
    "referred": IncidentState.REFERRED,
    "followed-up": IncidentState.FOLLOWED_UP,
    "closed": IncidentState.CLOSED,
}
_AUTHORITIES: Final[dict[str, Authority]] = {
    "police": Authority.POLICE,
    "civil-affairs": Authority.CIVIL_AFFAIRS,
    "education": Authority.EDUCATION,
}


def _t(key: str, lang: str, **params: object) -> str:
    return tr(_UI[key], lang, **params)


def _label(value: str, lang: str) -> str:
    return catalogue(lang).gettext(value)


def _load(uow: UnitOfWork, school_id: str, incident_id: str) -> tuple[School, Incident]:
    try:
        school = uow.get(School, school_id, school_id)
    except NotFound:
        raise BadInput(f"--school: school {school_id} is not stored in this store") from None
    try:
        incident = uow.get(Incident, school_id, incident_id)
    except NotFound:
        raise BadInput(
            f"--incident: incident {incident_id} is not stored for school {school_id}"
        ) from None
    return school, incident


def _missing_line(incident: Incident, on: dt.date, lang: str) -> str | None:
    missing = missing_reports(incident, on=on)
    if not missing:
        return None
    names = ", ".join(_label(a.value, lang) for a in missing)
    return _t("not_reported", lang, authorities=names)


_SCHOOL = click.option(
    "--school", "school_id", required=True, metavar="ID", help="The school of the incident."
)
_INCIDENT = click.option(
    "--incident", "incident_id", required=True, metavar="ID", help="The incident's id."
)


@cli.group(
    "incident",
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou incident calls --school 422828-000 --incident 422828-000-i7\n"
        "  liushou incident advance --school 422828-000 --incident 422828-000-i7 "
        "--state referred --reported-to police --reported-to education"
    ),
)
def incident_group() -> None:
    """Incidents: who to call, in order, and each step an incident takes.

    The call list follows each pupil's emergency chain: class teacher, mentor,
    guardian, parents, village committee contact, township and police (the
    police first for suspected harm and a missing child). Suspected harm is
    reported at once to the police and the education authority (未成年人保护法
    art. 11): both commands exit 1 while a report is missing.
    """


@incident_group.command(
    "calls",
    context_settings=_CONTEXT,
    epilog="Example: liushou --on 2026-11-02 incident calls --school 422828-000 --incident I1",
)
@_SCHOOL
@_INCIDENT
@click.pass_obj
def calls_command(settings: Settings, school_id: str, incident_id: str) -> int:
    """Print who to call about an incident, in order, with masked phone numbers.

    Reading the pupils' contacts leaves a read entry (purpose "emergency") in
    the audit trail. Exit status 1 while a mandatory report is missing.
    """
    lang, on = settings.lang, settings.on
    store: Store = settings.open_store(existing=True)
    try:
        with store.unit_of_work(actor=ACTOR, purpose=PURPOSE, readonly=True) as uow:
            school, incident = _load(uow, school_id, incident_id)
            records = SchoolRecords.load(uow, school, term_on(on))
            kids = {c.id: c for c in records.children}
            for cid in incident.child_ids:
                if cid in kids:
                    uow.record_read(Child, school_id, cid, fields=CHAIN_FIELDS, purpose=PURPOSE)
            uow.commit()
    finally:
        store.close()
    calls = call_list(incident, records, on=on)
    console = Console(highlight=False)
    title = _t(
        "calls_title",
        lang,
        incident=incident.id,
        kind=_label(incident.kind.value, lang),
        date=incident.occurred_on.isoformat(),
    )
    table = Table(title=escape(title), title_justify="left")
    for key in ("order", "link", "who", "phone", "pupils", "why"):
        table.add_column(escape(_t(key, lang)))
    for call in calls:
        table.add_row(
            str(call.order),
            escape(_label(call.role.value, lang)),
            escape(call.person.name),
            escape(call.person.shown_phone()),
            escape(", ".join(kids[c].name for c in call.child_ids if c in kids)),
            escape(call.explain(lang)),
        )
    if calls:
        console.print(table)
    else:
        console.print(escape(_t("no_calls", lang)))
    for cid in incident.child_ids:
        child = kids.get(cid)
        if child is None:
            continue
        found = chain(child, records, on=on)
        for link in found.links:
            if link.required and not link.present:
                console.print(
                    escape(_t("gap", lang, child=child.name, gap=link.reason.render(lang)))
                )
    console.print(escape(_t("masked", lang)))
    missing = _missing_line(incident, on, lang)
    if missing:
        console.print(escape(missing), style="bold red")
        return 1
    return 0


def _at(value: str | None, on: dt.date) -> dt.datetime:
    if value is None:  # the command line is the one place that reads the clock
        now = dt.datetime.now()
        return dt.datetime.combine(on, now.time().replace(second=0, microsecond=0))
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"--at {value!r}: write YYYY-MM-DD HH:MM, e.g. 2026-11-02 09:30") from None
    if at.tzinfo is not None:
        raise BadInput(f"--at {value!r}: give a local time without a time zone")
    return at


@incident_group.command(
    "advance",
    context_settings=_CONTEXT,
    epilog=(
        "Example: liushou incident advance --school 422828-000 --incident I1 "
        "--state referred --reported-to police --reported-to education --at '2026-11-02 09:30'"
    ),
)
@_SCHOOL
@_INCIDENT
@click.option(
    "--state",
    "state_name",
    required=True,
    type=click.Choice(list(_STATES)),
    help="The state the incident reaches.",
)
@click.option(
    "--reported-to",
    "reported_to",
    multiple=True,
    type=click.Choice(list(_AUTHORITIES)),
    help="An authority told with this step (repeat for several).",
)
@click.option(
    "--at",
    "at_text",
    default=None,
    metavar="'YYYY-MM-DD HH:MM'",
    help="When (local time; default: now, on the day of --on).",
)
@click.option("--note", default="", help="A note on the step (no ID or phone numbers).")
@click.pass_obj
def advance_command(
    settings: Settings,
    school_id: str,
    incident_id: str,
    state_name: str,
    reported_to: tuple[str, ...],
    at_text: str | None,
    note: str,
) -> int:
    """Record a step of an incident, and queue the notices it makes.

    Incidents move forward only: reported, referred, followed-up, closed
    (a step may repeat the current state to record one more report; nothing
    follows closed). The step and its notices are written in one unit of
    work, which the store audits. Exit status 2 for a step that would go
    backwards; 1 while a mandatory report is still missing.
    """
    lang, on = settings.lang, settings.on
    at = _at(at_text, on)
    state = _STATES[state_name]
    told = tuple(_AUTHORITIES[a] for a in reported_to)
    policy = NoticePolicy(lang=lang)
    store: Store = settings.open_store(existing=True)
    try:
        with store.unit_of_work(actor=ACTOR, purpose=PURPOSE) as uow:
            _, before = _load(uow, school_id, incident_id)
            try:
                after = advance(before, state, at, reported_to=told, note=note)
            except IllegalTransition as exc:
                raise BadInput(f"--state {state_name}: {exc}") from None
            stored = uow.update(after)
            events = [advance_event(before, stored, on=on)]
            urgent = report_event(stored, on=on)
            if urgent is not None:
                events.append(urgent)
            queued = sum(len(enqueue_event(uow, e, policy, on=on).notices) for e in events)
            uow.commit()
    finally:
        store.close()
    console = Console(highlight=False)
    console.print(
        escape(
            _t(
                "advanced",
                lang,
                incident=stored.id,
                state=_label(state.value, lang),
                at=at.isoformat(sep=" ", timespec="minutes"),
                notices=queued,
            )
        )
    )
    missing = _missing_line(stored, on, lang)
    if missing:
        console.print(escape(missing), style="bold red")
        return 1
    return 0
