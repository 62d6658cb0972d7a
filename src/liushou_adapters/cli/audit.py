"""``liushou audit``: who saw or changed a pupil's record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import (
    _ACTIONS,
    _CONTEXT,
    _FIELD_LABELS,
    BadInput,
    Settings,
    _t,
    cli,
)
from liushou_core.errors import NotFound
from liushou_core.i18n import catalogue
from liushou_core.masking import mask_text
from liushou_core.models import (
    Child,
    School,
)
from liushou_core.ports import AuditEntry, UnitOfWork
from liushou_core.privacy import Actor, FieldAccessDenied, Role
from liushou_core.services import audit_of_child

#: ``--as``: the roles by the names the command takes.
_ROLES = {
    "principal": Role.PRINCIPAL,
    "district-officer": Role.DISTRICT_OFFICER,
    "system": Role.SYSTEM,
    "mentor": Role.MENTOR,
    "class-teacher": Role.CLASS_TEACHER,
    "psychologist": Role.PSYCHOLOGIST,
    "volunteer": Role.VOLUNTEER,
}

# --------------------------------------------------------------------------- audit


@cli.command(
    context_settings=_CONTEXT,
    epilog=(
        "Examples (after 'liushou demo', which shows this pupil):\n\n"
        "\b\n"
        "  liushou audit --school 422828-000 --child 422828-000-c0000\n"
        "  liushou --lang en audit --school 422828-000 --child 422828-000-c0000 --action read\n"
        "  liushou audit --school 422828-000 --child 422828-000-c0000 --json > trail.jsonl"
    ),
)
@click.option("--school", "school_id", required=True, metavar="ID", help="The school's id.")
@click.option("--child", "child_id", required=True, metavar="ID", help="The pupil's record id.")
@click.option(
    "--action",
    type=click.Choice(list(_ACTIONS)),
    default=None,
    help="Only entries of this action (default: all).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON lines (one entry per line), no table."
)
@click.option(
    "--as",
    "role",
    type=click.Choice(sorted(_ROLES)),
    default="principal",
    show_default=True,
    help="The role you act in: it must hold the permission to read the audit trail "
    "(by default a principal, a district officer and the system do).",
)
@click.option("--person", default="liushou-cli", show_default=True, help="Your id (who is asking).")
@click.option(
    "--purpose", default="", metavar="TEXT", help="Why you read the trail (a district officer)."
)
@click.pass_obj
def audit(
    settings: Settings,
    school_id: str,
    child_id: str,
    action: str | None,
    as_json: bool,
    role: str,
    person: str,
    purpose: str,
) -> None:
    """List who saw or changed a pupil's record: time, who, action, purpose, fields.

    Reads the store's append-only audit trail, oldest first: every change of
    the pupil's record, and every time someone was shown it (with the fields
    shown). A pupil whose record was deleted keeps the entries. Actors and
    purposes are shown with any ID or phone number masked. Only a role that
    holds the permission to read the audit trail may list it (--as).
    """
    lang = settings.lang
    actor = Actor(_ROLES[role], person, schools=(school_id,), purpose=purpose)
    store = settings.open_store(existing=True)
    try:
        try:
            entries = audit_of_child(store, actor, school_id, child_id)
        except FieldAccessDenied as denied:
            raise BadInput(f"--as {role}: {denied}") from None
        with store.unit_of_work(actor="liushou audit", readonly=True) as uow:
            school_stored = _stored(uow, School, school_id, school_id)
            child_stored = _stored(uow, Child, school_id, child_id)
        if not child_stored and not entries:
            school_known = school_stored or store.audit_trail(
                school_id=school_id, kind=School, record_id=school_id
            )
            if not school_known:
                raise BadInput(f"--school: school {school_id} is not stored in this store")
            raise BadInput(
                f"--child: pupil {child_id} of school {school_id} is not stored "
                "and has no audit entries"
            )
    finally:
        store.close()
    shown = [e for e in entries if action is None or e.action == action]
    if as_json:
        for e in shown:
            click.echo(json.dumps(_audit_json(e), ensure_ascii=False))
        return
    console = Console(highlight=False)
    if not shown:
        key = "audit_none" if action is None else "audit_none_action"
        console.print(escape(_t(key, lang, child=child_id, school=school_id)))
        return
    console.print(_audit_table(shown, lang, school_id=school_id, child_id=child_id))


def _stored(uow: UnitOfWork, cls: type, school_id: str, id: str) -> bool:
    try:
        uow.get(cls, school_id, id)  # not shown: no read to audit
    except NotFound:
        return False
    return True


def _audit_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": mask_text(e.actor),
        "action": e.action,
        "kind": e.kind,
        "school_id": e.school_id,
        "record_id": e.record_id,
        "old_version": e.old_version,
        "new_version": e.new_version,
        "purpose": mask_text(e.purpose),
        "fields": list(e.fields),
    }


def _audit_table(
    entries: Sequence[AuditEntry], lang: str, *, school_id: str, child_id: str
) -> Table:
    text = catalogue(lang).gettext
    sep = "、" if lang == "zh" else ", "
    table = Table(title=escape(_t("audit_title", lang, child=child_id, school=school_id)))
    table.add_column(_t("time", lang), no_wrap=True)
    table.add_column(_t("actor", lang), overflow="fold")
    table.add_column(_t("action", lang), no_wrap=True)
    table.add_column(_t("purpose", lang), overflow="fold")
    table.add_column(_t("fields", lang), overflow="fold", ratio=1)
    for e in entries:
        # none: an update that changed nothing, a read that showed nothing, or an
        # entry from before the store recorded fields
        fields = sep.join(text(_FIELD_LABELS[f]) if f in _FIELD_LABELS else f for f in e.fields)
        table.add_row(
            e.at.isoformat(sep=" ", timespec="seconds"),
            escape(mask_text(e.actor)),
            text(_ACTIONS.get(e.action, e.action)),
            escape(mask_text(e.purpose)) or "-",
            escape(fields) or "-",
        )
    return table
