"""The ``liushou`` command.

Global options choose the store (``--store URL``, or ``LIUSHOU_STORE``), the
language (``--lang zh|en``) and the day the rules look at (``--on``, default
today: the only place liushou reads the clock). Exit status: 0 on success,
1 when checks find errors, 2 on bad input, with a one-line message naming what
to fix.

Names may be shown in the local terminal; resident ID and phone numbers are
always masked, and files written for sharing carry neither. Showing a pupil's
record leaves a ``read`` entry in the audit trail (the demo's examples too);
``liushou audit`` lists who saw or changed a pupil's record.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

import attrs
import click

from liushou_adapters.storage import open_store, redact_url
from liushou_core.errors import LiushouError
from liushou_core.i18n import N_, catalogue
from liushou_core.models import School, Term
from liushou_core.ports import Store, UnitOfWork
from liushou_core.privacy import Role
from liushou_core.school_calendar import parse_term

__all__ = [
    "DATE",
    "TERM",
    "BadInput",
    "Settings",
    "chosen_schools",
    "cli",
    "closed_option",
    "ics_dir_option",
    "main",
    "term_option",
    "tr",
]

DEFAULT_STORE: Final = "sqlite:///liushou.db"
#: The actor recorded in the audit trail for the demo's writes and reads.
DEMO_ACTOR: Final = "liushou demo"
#: The purpose recorded with the demo's reads.
DEMO_PURPOSE: Final = "demo"
#: The roles ``liushou demo --as`` shows the first example pupil to.
DEMO_ROLES: Final[dict[str, Role]] = {"principal": Role.PRINCIPAL, "mentor": Role.MENTOR}
#: The person id of the demo's principal (in the audit trail as ``principal:demo-principal``).
DEMO_PRINCIPAL: Final = "demo-principal"
#: The term of the pairing the demo makes so that a mentor has a mentee to see.
DEMO_TERM: Final = "demo"
#: The fields of a pupil's record that the demo's example table shows (name, class,
#: masked ID number) or that the reasons it shows rest on (what ``classify`` reads).
EXAMPLE_FIELDS: Final = (
    "name",
    "birth_date",
    "class_id",
    "id_number",
    "hukou",
    "health",
    "household_id",
    "parents",
    "guardians",
)

# The command's own words, in both languages (the rules' messages come from the
# catalogue through Message.render).
#: Labels of the command's output: English message ids, translated by the catalogue.
_YES: Final = N_("yes")
_NO: Final = N_("no")

_UI: Final[dict[str, str]] = {
    "title": N_("{school}: {total} pupils, on {on}"),
    "title_county": N_("{schools} schools: {total} pupils, on {on}"),
    "by_category": N_("By category"),
    "by_class": N_("By class"),
    "by_school": N_("By school"),
    "examples": N_("Examples (names shown locally only)"),
    "category": N_("Category"),
    "count": N_("Pupils"),
    "share": N_("Share"),
    "class": N_("Class"),
    "school": N_("School"),
    "pupils": N_("Pupils"),
    "pupil": N_("Pupil"),
    "reasons": N_("Reasons"),
    "note_multi": N_("A pupil may count in several categories (left-behind and in difficulty)."),
    "stored": N_(
        "Store {url}: {added} records added, {updated} updated, {deleted} deleted, "
        "{unchanged} unchanged"
    ),
    "unchanged": N_(
        "Store {url} already holds the same data of the {n} school(s): nothing written"
    ),
    "wrote": N_("Wrote {path} (no ID or phone numbers)"),
    "generating": N_("Generating and storing"),
    "reading": N_("Reading and classifying"),
    "no_class": N_("(no class)"),
    "total": N_("Total"),
    "more": N_("... {n} more schools"),
    "audit_hint": N_("Who has seen or changed a pupil's record: {command}"),
    "audit_title": N_("Pupil {child} of school {school}: who saw or changed the record"),
    "audit_none": N_("No audit entries for pupil {child} of school {school}"),
    "audit_none_action": N_(
        "No audit entries of the kind asked for, for pupil {child} of school {school}"
    ),
    "time": N_("Time"),
    "actor": N_("Who"),
    "action": N_("Action"),
    "purpose": N_("Purpose"),
    "fields": N_("Fields"),
    "as_title": N_("Pupil {child} as a {role} ({person}) sees the record"),
    "field": N_("Field"),
    "shown_as": N_("Shown as"),
    "as_hidden": N_("Hidden from a {role}: {fields}"),
    "as_masked": N_("Shown masked: {fields}"),
    "none": N_("(none)"),
    "term_work": N_("Pairing, recording the term, aid, review and files"),
    "term_title": N_("Term {term} on {on}"),
    "pairs": N_("Pairs"),
    "unpaired": N_("Unpaired"),
    "held": N_("Contacts held"),
    "planned": N_("Contacts planned"),
    "aid_cash": N_("Cash aid (yuan/year)"),
    "errors": N_("Errors"),
    "warnings": N_("Warnings"),
    "notices_title": N_("Notices: the most overdue contact, and incidents not yet reported"),
    "notices": N_(
        "{sent} notices delivered to the console and the webhook; the webhook {webhook} "
        "received {posts} posts"
    ),
    "loopback": N_("on 127.0.0.1 (standing in for a WeCom robot)"),
    "wrote_files": N_("Wrote {n} files to {out}: term report, exports and calendars"),
}

#: Audit actions as the table shows them.
_ACTIONS: Final[dict[str, str]] = {
    "read": N_("viewed"),
    "add": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
}

#: A pupil's fields as the audit table shows them (other names are shown as they are).
_FIELD_LABELS: Final[dict[str, str]] = {
    "id": N_("record id"),
    "school_id": N_("school"),
    "name": N_("name"),
    "sex": N_("sex"),
    "birth_date": N_("date of birth"),
    "class_id": N_("class"),
    "id_number": N_("ID number"),
    "student_number": N_("student number"),
    "ethnicity": N_("ethnic group"),
    "hukou": N_("household registration"),
    "address": N_("address"),
    "health": N_("health"),
    "boarding": N_("boarding"),
    "schooling": N_("school stage"),
    "household_id": N_("household"),
    "parents": N_("parents"),
    "guardians": N_("guardians"),
    "grandparents": N_("grandparents"),
    "emergency_contacts": N_("emergency contacts"),
    "village_committee": N_("village committee"),
    "psychological_flag": N_("psychological attention"),
    "behaviour_flag": N_("behaviour attention"),
    "enrolled_on": N_("enrolled on"),
}


def tr(msgid: str, lang: str, **params: object) -> str:
    """``msgid`` (an English text marked with ``N_``) in ``lang``, with ``params`` filled in."""
    return catalogue(lang).gettext(msgid).format(**params)


def _t(key: str, lang: str, **params: object) -> str:
    return tr(_UI[key], lang, **params)


class BadInput(click.ClickException):
    """Bad input: exit status 2 and a one-line message naming what to fix."""

    exit_code = 2


@attrs.frozen
class Settings:
    """The global options, shared by every subcommand."""

    store_url: str
    lang: str
    on: dt.date
    #: ``--store`` was given on the command line (not from the environment or the default)
    store_given: bool = False

    def open_store(self, *, existing: bool = False) -> Store:
        """Open the store, turning a bad URL or an unusable file into :class:`BadInput`.

        ``existing``: refuse an SQLite file that does not exist yet (a command
        that only reads must not create an empty database).
        """
        if existing and self.store_url.lower().startswith("sqlite:///"):
            path = self.store_url[len("sqlite:///") :]
            if path and path != ":memory:" and "?" not in path and not Path(path).exists():
                raise BadInput(f"--store {self.store_url}: no database there ({path} not found)")
        try:
            return open_store(self.store_url)
        except (LiushouError, ValueError) as exc:
            raise BadInput(f"--store: {exc}") from None
        except sqlite3.Error as exc:
            url = redact_url(self.store_url)
            raise BadInput(f"--store {url}: cannot open the database ({exc})") from None


if TYPE_CHECKING:
    pass

if TYPE_CHECKING:  # click >= 8.4 makes ParamType generic; older ones cannot subscript it
    _DateParam = click.ParamType[dt.date]
else:
    _DateParam = click.ParamType


class DateType(_DateParam):
    """A calendar date written ``YYYY-MM-DD``."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
        except ValueError:
            pass
        self.fail(f"{text!r} is not a date: write YYYY-MM-DD, e.g. 2026-11-29", param, ctx)


DATE: Final = DateType()


if TYPE_CHECKING:
    _TermParam = click.ParamType[Term]
else:
    _TermParam = click.ParamType


class TermType(_TermParam):
    """A term written ``YEAR-autumn`` or ``YEAR-spring`` (default dates of the school
    calendar; see :func:`liushou_core.school_calendar.parse_term`)."""

    name = "term"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Term:
        if isinstance(value, Term):
            return value
        try:
            return parse_term(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


TERM: Final = TermType()


_NO_SCHOOLS: Final = N_("No school in the store: run 'liushou demo' or 'liushou import' first")


def chosen_schools(
    uow: UnitOfWork, wanted: Sequence[str] | str | None, lang: str = "zh"
) -> list[School]:
    """The stored schools a ``--school`` option names (all of them when it names none),
    in the order named; bad input when the store holds none or a named one is missing."""
    schools = uow.schools()
    if not schools:
        raise BadInput(tr(_NO_SCHOOLS, lang))
    if not wanted:
        return list(schools)
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    by_id = {s.id: s for s in schools}
    unknown = [w for w in names if w not in by_id]
    if unknown:
        raise BadInput(f"--school: school {', '.join(unknown)} is not stored in this store")
    return [by_id[w] for w in dict.fromkeys(names)]


def closed_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--closed YYYY-MM-DD`` option: the school's own closed days (repeatable)."""
    return click.option(
        "--closed",
        multiple=True,
        type=DATE,
        metavar="YYYY-MM-DD",
        help="A day the school is closed (repeatable).",
    )


def ics_dir_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--ics DIR`` option: one iCalendar file per mentor into DIR."""
    return click.option(
        "--ics",
        "ics_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        metavar="DIR",
        help="Write one iCalendar file per mentor into DIR.",
    )


def term_option(
    name: str = "--term", dest: str = "term_given", help: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--term YEAR-SEMESTER`` option of a subcommand (a :class:`Term`, or ``None``)."""
    return click.option(
        name,
        dest,
        type=TERM,
        default=None,
        metavar="YEAR-SEMESTER",
        help=help or "The term, e.g. 2026-autumn (default: the term of --on).",
    )


_CONTEXT: Final[dict[str, Any]] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(
    context_settings=_CONTEXT,
    epilog="Example: liushou --lang en --on 2026-11-29 demo --out out/",
)
@click.option(
    "--store",
    "store_url",
    envvar="LIUSHOU_STORE",
    default=DEFAULT_STORE,
    show_default=True,
    metavar="URL",
    help="Where records live: sqlite:///path.db (also env LIUSHOU_STORE).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the output.",
)
@click.option(
    "--on",
    "on",
    type=DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="The day the rules look at (default: today).",
)
@click.version_option(package_name="liushou", prog_name="liushou")
@click.pass_context
def cli(ctx: click.Context, store_url: str, lang: str, on: dt.date | None) -> None:
    """liushou: care programmes for left-behind children (留守儿童关爱).

    Survey, archives, mentoring, contact cadence, aid and checks for rural schools.
    """
    given = ctx.get_parameter_source("store_url") == click.core.ParameterSource.COMMANDLINE
    ctx.obj = Settings(store_url=store_url, lang=lang, on=on or dt.date.today(), store_given=given)


# --------------------------------------------------------------------------- entry point


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command; exit 0 on success, 1 when checks find errors, 2 on bad input."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:  # a bare `liushou` asks for help
        with click.Context(cli, info_name="liushou") as ctx:
            click.echo(cli.get_help(ctx))
        sys.exit(0)
    try:
        status = cli.main(args=args, prog_name="liushou", standalone_mode=False)
    except click.exceptions.Exit as exc:  # pragma: no cover - click returns these itself
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("liushou: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        where = "liushou"
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            where = exc.ctx.command_path
            hint = f" (see '{where} --help')"
        click.echo(f"{where}: error: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(status if isinstance(status, int) else 0)
