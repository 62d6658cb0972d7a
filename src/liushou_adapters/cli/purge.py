"""``liushou purge``: remove a pupil's personal data once the retention period ends."""

from __future__ import annotations

import datetime as dt

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import _CONTEXT, DATE, BadInput, Settings, cli, tr
from liushou_core.errors import NotFound
from liushou_core.i18n import N_, catalogue
from liushou_core.privacy import Actor, FieldAccessDenied, Role
from liushou_core.services import PurgeNotDue, PurgeResult, purge_child

_ROLES = {"principal": Role.PRINCIPAL, "system": Role.SYSTEM}


@cli.command(
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou purge --school 422828-000 --child 422828-000-c0000 --left-on 2025-07-01\n"
        "  liushou purge --school 422828-000 --child 422828-000-c0000 --left-on 2025-07-01 "
        "--execute"
    ),
)
@click.option("--school", "school_id", required=True, metavar="ID", help="The school's id.")
@click.option("--child", "child_id", required=True, metavar="ID", help="The pupil's record id.")
@click.option(
    "--left-on",
    type=DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="The day the pupil left the programme (default: the end of the last pairing).",
)
@click.option(
    "--force", is_flag=True, help="Purge before the retention period ends (recorded as such)."
)
@click.option(
    "--execute", is_flag=True, help="Really purge (without it: a dry run that changes nothing)."
)
@click.option(
    "--as",
    "role",
    type=click.Choice(sorted(_ROLES)),
    default="principal",
    show_default=True,
    help="The role you act in (it must hold the permission to purge).",
)
@click.option(
    "--person", default="liushou-cli", show_default=True, help="Your id, for the audit trail."
)
@click.pass_obj
def purge(
    settings: Settings,
    school_id: str,
    child_id: str,
    left_on: dt.date | None,
    force: bool,
    execute: bool,
    role: str,
    person: str,
) -> None:
    """Purge a pupil's personal data from every table (PIPL art. 47), or show what would go.

    Without --execute this is a dry run: it lists the records that would be
    deleted (the pupil's own) and those kept without the pupil (shared with
    other pupils), and whether the retention period has ended. With --execute
    they are removed in one transaction, the audit trail keeps only tombstones
    (who purged what, when: no name, no number), and the freed space of an
    SQLite file is overwritten. Exit 1 when the retention period has not ended
    (use --force to purge anyway).
    """
    lang = settings.lang
    actor = Actor(_ROLES[role], person, schools=(school_id,))
    store = settings.open_store(existing=True)
    try:
        result = purge_child(
            store,
            actor,
            school_id,
            child_id,
            on=settings.on,
            left_on=left_on,
            force=force,
            dry_run=not execute,
        )
    except NotFound:
        raise BadInput(
            f"--child: pupil {child_id} of school {school_id} is not stored in this store"
        ) from None
    except FieldAccessDenied as denied:
        raise BadInput(f"--as {role}: {denied}") from None
    except PurgeNotDue as early:
        console = Console(highlight=False, stderr=True)
        for line in early.render(lang):
            console.print(escape(line))
        console.print(escape(tr(N_("Nothing was purged; add --force to purge now."), lang)))
        raise SystemExit(1) from None
    finally:
        store.close()
    _show(result, lang)


def _show(result: PurgeResult, lang: str) -> None:
    text = catalogue(lang).gettext
    console = Console(highlight=False)
    plan = result.plan
    for reason in plan.status.render(lang):
        console.print(escape(reason))
    table = Table(title=escape(tr(N_("Purge of pupil {child}"), lang, child=plan.child_id)))
    table.add_column(tr(N_("record kind"), lang))
    table.add_column(tr(N_("record"), lang), overflow="fold")
    table.add_column(tr(N_("what happens"), lang))
    for kind, rid in plan.delete:
        table.add_row(kind, escape(rid), text(N_("deleted")))
    for kind, rid in plan.scrub:
        table.add_row(kind, escape(rid), text(N_("kept without this pupil")))
    console.print(table)
    if result.dry_run:
        due = plan.status.due
        console.print(
            escape(
                tr(
                    N_(
                        "Dry run: nothing was changed. The retention period has ended: {due}. "
                        "Run again with --execute to purge."
                    ),
                    lang,
                    due=text(N_("yes")) if due else text(N_("no")),
                )
            )
        )
        return
    console.print(
        escape(
            tr(
                N_(
                    "Purged: {deleted} records deleted, {scrubbed} kept without the pupil, "
                    "{redacted} audit entries blanked; the trail keeps the tombstones."
                ),
                lang,
                deleted=result.deleted,
                scrubbed=result.scrubbed,
                redacted=result.redacted,
            )
        )
    )
