"""``liushou import``: load a school's roster (CSV or XLSX), all or nothing."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, cli, tr
from liushou_adapters.roster import RosterRejected, import_roster
from liushou_adapters.storage import redact_url
from liushou_core.i18n import N_
from liushou_core.privacy import Actor, FieldAccessDenied, Role

#: Who the audit trail records for the command's writes.
IMPORT_ACTOR = Actor(Role.SYSTEM, "liushou import", purpose="roster import")

_IMPORTING = N_("Importing {file}")
_DONE = N_(
    "Imported {file} into school {school} of {store}: {rows} rows, {added} pupils added, "
    "{updated} updated, {unchanged} unchanged"
)


@cli.command(
    "import",
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou template --out forms/         # then fill in forms/roster-template.xlsx\n"
        "  liushou import forms/roster-template.xlsx --school 422828-000\n"
        "  liushou --store sqlite:///county.db --lang en import 花名册.csv --school 422828-000"
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_id", required=True, metavar="ID", help="The stored school's id.")
@click.pass_obj
def import_(settings: Settings, file: Path, school_id: str) -> None:
    """Import the pupils of a roster FILE (CSV or XLSX) into a stored school.

    The columns follow the national survey form (see 'liushou template').
    CSV may be UTF-8, UTF-8 with BOM or GB18030 (detected). All or nothing:
    if any row is bad, every bad row is listed by line and column with the
    reason, nothing is written, and the exit status is 2. Pupils are found
    again by record id, ID number or student number, so importing the same
    file twice changes nothing.
    """
    lang = settings.lang
    err = Console(stderr=True, highlight=False)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise BadInput(f"{file}: cannot read the file ({exc.strerror})") from None
    store = settings.open_store(existing=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    try:
        with progress:
            task = progress.add_task(escape(tr(_IMPORTING, lang, file=file.name)), total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = import_roster(store, IMPORT_ACTOR, data, school_id=school_id, progress=advance)
    except RosterRejected as exc:
        lines = exc.render(lang)
        for line in lines[1:]:
            err.print(escape(line), soft_wrap=True)
        raise BadInput(f"{file.name}: {lines[0]}") from None
    except FieldAccessDenied as exc:  # pragma: no cover - the command's actor covers every school
        raise BadInput(f"--school {school_id}: {exc}") from None
    finally:
        store.close()
    click.echo(
        tr(
            _DONE,
            lang,
            file=file.name,
            school=school_id,
            store=redact_url(settings.store_url),
            rows=result.rows,
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    )
