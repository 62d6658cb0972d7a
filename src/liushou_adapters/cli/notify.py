"""``liushou notify``: deliver the outbox's notices once, or list those waiting or dead."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, cli, tr
from liushou_adapters.notify.outbox import Dispatcher, list_notices, make_channels
from liushou_core.errors import LiushouError
from liushou_core.i18n import N_
from liushou_core.models import Notice, NoticeState, label
from liushou_core.notices import RetryPolicy

CHANNELS_ENV = "LIUSHOU_NOTIFY_CHANNELS"

_L = {
    "report": N_(
        "Notices: {sent} sent, {retrying} to retry, {dead} given up, {deferred} deferred, "
        "{unrouted} waiting for a channel not configured, {skipped} taken by another run"
    ),
    "failed": N_("Failed: {key}: {error}"),
    "title": N_("Notices in the outbox ({count})"),
    "none": N_("No notices in the outbox in these states"),
    "state": N_("State"),
    "school": N_("School"),
    "channel": N_("Channel"),
    "recipient": N_("Recipient"),
    "subject": N_("Subject"),
    "attempts": N_("Tries"),
    "next": N_("Next try"),
    "error": N_("Last error"),
}


@cli.command(
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou notify --dispatch                      (console; run it from cron)\n"
        "  LIUSHOU_WEBHOOK_URL=https://... liushou notify --dispatch --channel webhook\n"
        "  liushou --lang en notify --list --state dead"
    ),
)
@click.option("--dispatch", is_flag=True, help="Deliver the due notices once, then exit.")
@click.option("--list", "listing", is_flag=True, help="List the notices waiting or given up.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="NAME",
    help=f"A channel to deliver through (repeatable; default env {CHANNELS_ENV} or console).",
)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in NoticeState]),
    help="With --list: only these states (default: pending, sending, dead).",
)
@click.option("--school", "schools", multiple=True, metavar="ID", help="Only this school.")
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Tries before a notice is given up.",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Deliver at most N notices.")
@click.pass_obj
def notify(
    settings: Settings,
    dispatch: bool,
    listing: bool,
    channels: Sequence[str],
    states: Sequence[str],
    schools: Sequence[str],
    max_attempts: int,
    limit: int | None,
) -> int:
    """Deliver notices from the outbox (--dispatch), or list them (--list).

    --dispatch delivers every due notice once through the channels named, retries
    failed ones later with backoff, and gives a notice up after --max-attempts
    tries, keeping the last error. Runs at the same time (cron) never send a
    notice twice. Exit status 1 when a notice was given up in this run (with
    --list: when any listed notice was given up).
    """
    if dispatch == listing:
        raise BadInput("give exactly one of --dispatch and --list")
    if states and not listing:
        raise BadInput("--state goes with --list")
    lang = settings.lang
    store = settings.open_store(existing=True)
    try:
        if listing:
            wanted = [NoticeState(s) for s in states] or [
                NoticeState.PENDING,
                NoticeState.SENDING,
                NoticeState.DEAD,
            ]
            found = list_notices(store, wanted, school_ids=list(schools) or None)
            _show(found, lang)
            return 1 if any(n.state == NoticeState.DEAD for n in found) else 0
        names = list(channels) or [
            n.strip() for n in os.environ.get(CHANNELS_ENV, "console").split(",") if n.strip()
        ]
        try:
            built = make_channels(names)
        except (LiushouError, ValueError, TypeError) as exc:
            raise BadInput(f"--channel: {exc}") from None
        dispatcher = Dispatcher(
            store,
            built,
            retry=RetryPolicy(max_attempts=max_attempts),
            school_ids=list(schools) or None,
        )
        report = dispatcher.run_once(limit=limit)
    finally:
        store.close()
    click.echo(
        tr(
            _L["report"],
            lang,
            sent=report.sent,
            retrying=report.retrying,
            dead=report.dead,
            deferred=report.deferred,
            unrouted=report.unrouted,
            skipped=report.skipped,
        )
    )
    for key, error in report.errors:
        click.echo(tr(_L["failed"], lang, key=key, error=error), err=True)
    return 1 if report.dead else 0


def _when(at: dt.datetime | None) -> str:
    return at.isoformat(sep=" ", timespec="seconds") if at else "-"


def _show(found: Sequence[Notice], lang: str) -> None:
    console = Console(highlight=False)
    if not found:
        console.print(escape(tr(_L["none"], lang)))
        return
    table = Table(title=escape(tr(_L["title"], lang, count=len(found))))
    for key in ("state", "school", "channel", "recipient", "subject", "attempts", "next"):
        table.add_column(tr(_L[key], lang), overflow="fold")
    table.add_column(tr(_L["error"], lang), overflow="fold", ratio=1)
    for n in found:
        who = f"{label(n.role, lang)} {n.name or n.person_id}"
        table.add_row(
            label(n.state, lang),
            escape(n.school_id),
            escape(n.channel),
            escape(who),
            escape(n.subject),
            str(n.attempts),
            _when(n.claimed_until if n.state == NoticeState.SENDING else n.next_attempt_at),
            escape(n.last_error) or "-",
        )
    console.print(table)
