"""``liushou template``: blank roster templates (CSV and XLSX) to fill in by hand."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, cli, tr
from liushou_adapters.roster import COLUMNS, FORMATS, TEMPLATE_NAME, write_template
from liushou_core.i18n import N_

_WROTE = N_("Wrote {path} ({columns} columns; fill in one pupil per row from row 3)")


@cli.command(
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou template --out forms/\n"
        "  liushou template --out forms/ --format xlsx\n"
        "  liushou import forms/roster-template.xlsx --school 422828-000"
    ),
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, dir_okay=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory for the templates (created if missing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Write only this format (default: both, roster-template.csv and .xlsx).",
)
@click.pass_obj
def template(settings: Settings, out: Path, fmt: str | None) -> None:
    """Write blank roster templates following the 2016 national survey form.

    The first row holds the Chinese column headers, the second the English
    keys; pupils go from the third row on, one per row. The XLSX template has
    drop-down lists for the choice columns, the ID and phone number columns
    formatted as text, and a sheet 填写说明 explaining every column. Fill one
    in and load it with 'liushou import'.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot create the directory ({exc.strerror})") from None
    console = Console(highlight=False)
    for suffix in (fmt,) if fmt else FORMATS:
        path = out / f"{TEMPLATE_NAME}.{suffix}"
        try:
            write_template(path, suffix)
        except OSError as exc:
            raise BadInput(f"--out {out}: cannot write {path.name} ({exc.strerror})") from None
        console.print(escape(tr(_WROTE, settings.lang, path=path, columns=len(COLUMNS))))
