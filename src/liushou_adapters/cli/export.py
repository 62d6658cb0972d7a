"""``liushou export``: datasets of the store as CSV, JSON or XLSX files, masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, cli, tr
from liushou_adapters.export import exporter, table_formats
from liushou_adapters.export.datasets import (
    DATASETS,
    aid_table,
    children_table,
    contacts_table,
    pairs_table,
)
from liushou_adapters.export.tables import ENCODINGS, ExportSummary, Table
from liushou_adapters.storage import default_plugin_manager
from liushou_core.errors import LiushouError
from liushou_core.i18n import N_, catalogue
from liushou_core.models import (
    AidDecision,
    Child,
    Household,
    Pairing,
    SchoolClass,
    Teacher,
    Volunteer,
)
from liushou_core.ports import UnitOfWork
from liushou_core.privacy import Actor, Role

#: The datasets the command reads from the store (findings come with the checks).
STORED_DATASETS: Final = ("children", "contacts", "pairs", "aid")
#: The person recorded in the audit trail for an unmasked export (as ``system:liushou export``).
EXPORT_PERSON: Final = "liushou export"

_UI: Final[dict[str, str]] = {
    "loading": N_("Reading school {school}"),
    "writing": N_("Writing {path}"),
    "wrote": N_("Wrote {path}: {rows} rows ({tables})"),
    "masked": N_("ID and phone numbers are masked."),
    "unmasked": N_(
        "ID and phone numbers are shown in full: {n} records were entered in the audit "
        "trail with the purpose {purpose}."
    ),
}


def _load(uow: UnitOfWork, school_id: str, datasets: Sequence[str]) -> dict[str, list[Any]]:
    need = set(datasets)
    got: dict[str, list[Any]] = {}
    got["children"] = uow.list(Child, school_id)
    got["classes"] = uow.list(SchoolClass, school_id)
    if "children" in need:
        got["households"] = uow.list(Household, school_id)
    if "pairs" in need:
        got["pairings"] = uow.list(Pairing, school_id)
        got["teachers"] = uow.list(Teacher, school_id)
        got["volunteers"] = uow.list(Volunteer, school_id)
    if "aid" in need:
        got["aid"] = uow.list(AidDecision, school_id)
    return got


def _tables(data: dict[str, list[Any]], datasets: Sequence[str], on: dt.date) -> list[Table]:
    builders: dict[str, Callable[[], Table]] = {
        "children": lambda: children_table(
            data["children"], classes=data["classes"], households=data["households"], on=on
        ),
        "contacts": lambda: contacts_table(data["children"], classes=data["classes"]),
        "pairs": lambda: pairs_table(
            data["pairings"],
            children=data["children"],
            teachers=data["teachers"],
            volunteers=data["volunteers"],
            classes=data["classes"],
        ),
        "aid": lambda: aid_table(data["aid"], children=data["children"], classes=data["classes"]),
    }
    return [builders[d]() for d in datasets]


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@cli.command(
    "export",
    context_settings=_CONTEXT,
    epilog=(
        "Examples (after 'liushou demo'):\n\n"
        "\b\n"
        "  liushou export --dataset children --school 422828-000 --out children.xlsx\n"
        "  liushou export --dataset children --dataset pairs --dataset aid --out term.xlsx\n"
        "  liushou --lang en export --dataset contacts --format csv --encoding gb18030 "
        "--out contacts.csv\n"
        "  liushou export --dataset contacts --out cards.xlsx --unmask "
        "--purpose 'home visits, term 1'"
    ),
)
@click.option(
    "--dataset",
    "datasets",
    type=click.Choice(STORED_DATASETS),
    multiple=True,
    required=True,
    help="What to export; repeat for several sheets of one XLSX or JSON file.",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="NAME",
    help="csv, json or xlsx (or a plugin's table format); default: the suffix of --out.",
)
@click.option(
    "--school",
    "schools",
    multiple=True,
    metavar="ID",
    help="Only this school (repeatable); default: every school in the store.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The file to write (replaced if it exists).",
)
@click.option(
    "--encoding",
    type=click.Choice([e for e in ENCODINGS if e != "utf-8"]),
    default="utf-8-sig",
    show_default=True,
    help="CSV only: utf-8-sig (UTF-8 with BOM, for Excel) or gb18030.",
)
@click.option(
    "--unmask",
    is_flag=True,
    help="Show ID and phone numbers in full; needs --purpose, and every record shown "
    "is entered in the audit trail.",
)
@click.option(
    "--purpose",
    default="",
    metavar="TEXT",
    help="Why the numbers are needed in full (recorded in the audit trail).",
)
@click.pass_obj
def export_command(
    settings: Settings,
    datasets: tuple[str, ...],
    fmt: str | None,
    schools: tuple[str, ...],
    out: Path,
    encoding: str,
    unmask: bool,
    purpose: str,
) -> None:
    """Export datasets of the store to a CSV, JSON or XLSX file for sharing.

    Datasets: children (the archive, with age and categories on --on),
    contacts (contact cards: parents, guardians, emergency contacts, village
    committee), pairs (mentor pairs) and aid (aid decisions, one row per
    scheme). Headers and labels are in Chinese (--lang en for English). ID and
    phone numbers are masked unless --unmask is given with --purpose; cells a
    spreadsheet would read as a formula are written as text.
    """
    lang, on = settings.lang, settings.on
    datasets = tuple(dict.fromkeys(datasets))
    name = (fmt or out.suffix.lstrip(".")).lower()
    try:
        formats = table_formats(default_plugin_manager())
    except LiushouError as exc:
        raise BadInput(f"plugins: {exc}") from None
    if not name:
        raise BadInput(f"--format: give one of {', '.join(formats)} (or an --out suffix)")
    if name not in formats:
        raise BadInput(f"--format {name}: not a table format; known: {', '.join(formats)}")
    if name != "csv" and encoding != "utf-8-sig":
        raise BadInput("--encoding applies to CSV only")
    if name == "csv" and len(datasets) > 1:
        raise BadInput(
            "--dataset: a CSV file holds one dataset; give one, or use --format xlsx or json"
        )
    if unmask and not purpose.strip():
        raise BadInput("--unmask needs --purpose TEXT: why the numbers are needed in full")
    if purpose and not unmask:
        raise BadInput("--purpose goes with --unmask (a masked export needs no purpose)")
    if not out.parent.exists():
        raise BadInput(f"--out {out}: the directory {out.parent} does not exist")
    actor = Actor(Role.SYSTEM, EXPORT_PERSON, purpose=purpose.strip())
    err = Console(stderr=True, highlight=False)
    store = settings.open_store(existing=True)
    try:
        with store.unit_of_work(actor.label, readonly=True) as uow:
            stored = [s.id for s in uow.schools()]
            chosen = list(dict.fromkeys(schools)) or stored
            missing = [s for s in chosen if s not in stored]
            if missing:
                raise BadInput(f"--school: not stored in this store: {', '.join(missing)}")
            parts: list[list[Table]] = [[] for _ in datasets]
            with _progress(err) as bar:
                task = bar.add_task("", total=len(chosen))
                for sid in chosen:
                    bar.update(task, description=escape(tr(_UI["loading"], lang, school=sid)))
                    for got, table in zip(
                        parts, _tables(_load(uow, sid, datasets), datasets, on), strict=True
                    ):
                        got.append(table)
                    bar.advance(task)
            merged = [_concat(p) for p in parts]
        summary = _write(
            name, merged, out, lang=lang, encoding=encoding, unmask=unmask, actor=actor,
            store=store, console=err,
        )  # fmt: skip
    finally:
        store.close()
    console = Console(highlight=False)
    text = catalogue(lang).gettext
    sep = "、" if lang == "zh" else ", "
    counts = sep.join(f"{text(DATASETS[k])} {n}" for k, n in summary.rows)
    console.print(escape(tr(_UI["wrote"], lang, path=out, rows=summary.total, tables=counts)))
    if summary.masked:
        console.print(escape(tr(_UI["masked"], lang)))
    else:
        console.print(escape(tr(_UI["unmasked"], lang, n=summary.audited, purpose=actor.purpose)))


def _concat(tables: Sequence[Table]) -> Table:
    """One school's tables after another's, as one table."""
    first = tables[0]
    if len(tables) == 1:
        return first
    rows = [row for t in tables for row in t.rows]
    refs = (
        None if any(t.refs is None for t in tables) else [r for t in tables for r in t.refs or ()]
    )
    return Table(first.key, first.title, first.columns, rows, refs)


def _write(
    name: str,
    tables: list[Table],
    out: Path,
    *,
    lang: str,
    encoding: str,
    unmask: bool,
    actor: Actor,
    store: Any,
    console: Console,
) -> ExportSummary:
    settings: dict[str, Any] = {"lang": lang}
    if name == "csv":
        settings["encoding"] = encoding
    if unmask:
        settings.update(unmask=True, actor=actor, store=store)
    with _progress(console) as bar:
        task = bar.add_task(escape(tr(_UI["writing"], lang, path=out)), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            writer = exporter(name, pm=default_plugin_manager(), progress=progress, **settings)
            summary: ExportSummary = writer.write(tables, out)
        except (LiushouError, ValueError) as exc:
            raise BadInput(f"--format {name}: {exc}") from None
        except OSError as exc:
            raise BadInput(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    return summary
