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
import json
import shlex
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

import attrs
import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from liushou_adapters.storage import open_store, redact_url
from liushou_core.classify import Category, Classification, Survey, survey
from liushou_core.errors import LiushouError, NotFound
from liushou_core.i18n import N_, catalogue
from liushou_core.masking import mask_id, mask_text
from liushou_core.models import (
    Child,
    Household,
    Pairing,
    School,
    SchoolClass,
    Teacher,
    Volunteer,
    label,
)
from liushou_core.ports import AuditEntry, Store, UnitOfWork
from liushou_core.privacy import Actor, Role, View

__all__ = ["BadInput", "Settings", "cli", "main"]

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


def _t(key: str, lang: str, **params: object) -> str:
    text = catalogue(lang).gettext(_UI[key])
    return text.format(**params)


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
    from liushou_core.synth import SyntheticSchool

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


# --------------------------------------------------------------------------- demo


@cli.command(
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "  liushou demo --out out/\n\n"
        "  liushou demo --as mentor\n\n"
        "  liushou --store sqlite:///county.db --lang en demo --schools 5 --seed 7"
    ),
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory for survey.json (created if missing).",
)
@click.option(
    "--schools",
    type=click.IntRange(1, 2000),
    default=1,
    show_default=True,
    help="How many synthetic schools: 1, or that many schools of one county.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic data.")
@click.option(
    "--as",
    "as_role",
    type=click.Choice(list(DEMO_ROLES)),
    default=None,
    help="Also show the first example pupil as this role sees it: the school's principal, "
    "or a mentor paired with the pupil (the demo pairs the class teacher). "
    "The read is audited under that role.",
)
@click.pass_obj
def demo(settings: Settings, out: Path, schools: int, seed: int, as_role: str | None) -> None:
    """Generate synthetic schools, store them, read the pupils back and classify them.

    Prints the counts by category and by class (by school for several schools)
    and a few example pupils with their reasons, and writes OUT/survey.json.
    Showing the example pupils leaves a read entry in the audit trail for each
    (see 'liushou audit'). No real person's data is involved.

    With --as, the first example pupil is then shown as a principal or a
    mentor sees the record: the fields shown, masked and hidden differ by
    role, and the read is in the audit trail under that role.
    """
    lang, on = settings.lang, settings.on
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    store = settings.open_store()  # validates --store before anything is written
    _make_dir(out)

    from liushou_core import synth  # loads the GB/T 2260 tables: only when needed

    try:
        generated: Iterable[SyntheticSchool] = (
            [synth.school(seed, on=on)]
            if schools == 1
            else synth.county(seed, schools=schools, on=on)
        )
        with _progress(err) as progress:
            task = progress.add_task(_t("generating", lang), total=schools)
            school_ids: list[str] = []
            changes: Counter[str] = Counter()
            for item in generated:
                school_ids.append(item.school.id)
                with store.unit_of_work(actor=DEMO_ACTOR) as uow:
                    changes.update(_sync_school(uow, item))
                    uow.commit()
                progress.advance(task)

            task = progress.add_task(_t("reading", lang), total=len(school_ids))
            results = []
            for sid in school_ids:
                with store.unit_of_work(actor=DEMO_ACTOR) as uow:
                    school = uow.get(School, sid, sid)
                    classes = uow.list(SchoolClass, sid)
                    children = uow.list(Child, sid)
                    households = uow.list(Household, sid)
                results.append(
                    _SchoolResult.of(
                        school, classes, children, survey(children, on=on, households=households)
                    )
                )
                progress.advance(task)
        picked = _pick_examples(results, list(Category))
        # the examples are shown only once their reads are in the audit trail
        with store.unit_of_work(actor=DEMO_ACTOR, purpose=DEMO_PURPOSE, readonly=True) as uow:
            for r, child, _ in picked:
                uow.record_read(Child, r.school.id, child.id, fields=EXAMPLE_FIELDS)
            uow.commit()
        role_view = (
            _role_view(store, picked[0][0].school.id, picked[0][1], DEMO_ROLES[as_role], on)
            if picked and as_role is not None
            else None
        )
    finally:
        store.close()

    url = redact_url(settings.store_url)
    if changes["added"] or changes["updated"] or changes["deleted"]:
        counts_ = {k: changes[k] for k in ("added", "updated", "deleted", "unchanged")}
        err.print(_t("stored", lang, url=url, **counts_))
    else:
        err.print(_t("unchanged", lang, url=url, n=len(school_ids)))

    total = sum(r.survey.total for r in results)
    counts: Counter[Category] = Counter()
    for r in results:
        counts.update(r.survey.counts)
    path = _write_survey(out, on, seed, results, counts, list(Category))  # before any printing
    if len(results) == 1:
        title = _t("title", lang, school=results[0].school.name, total=total, on=on.isoformat())
    else:
        title = _t("title_county", lang, schools=len(results), total=total, on=on.isoformat())
    console.print(f"[bold]{escape(title)}[/bold]")
    console.print(_category_table(counts, total, lang, list(Category)))
    if len(results) == 1:
        console.print(_class_table(results[0], lang, list(Category)))
    else:
        console.print(_school_table(results, lang, list(Category)))
    console.print(_examples_table(picked, lang, several=len(results) > 1))
    console.print(_t("note_multi", lang))
    if picked:
        r, child, _ = picked[0]
        command = _audit_command(settings, r.school.id, child.id)
        console.print(escape(_t("audit_hint", lang, command=command)), soft_wrap=True)
    if role_view is not None:
        _print_role_view(console, *role_view, lang)

    err.print(_t("wrote", lang, path=path))


def _demo_actor(store: Store, school_id: str, child: Child, role: Role) -> Actor:
    """The demo's principal, or a mentor of ``child`` (its class teacher, paired for the demo).

    The pairing is added once (by the demo's actor) and found again on later runs.
    """
    if role is not Role.MENTOR:
        return Actor(role, DEMO_PRINCIPAL, schools=(school_id,), purpose=DEMO_PURPOSE)
    pairing_id = f"{child.id}-demo-mentor"
    with store.unit_of_work(actor=DEMO_ACTOR) as uow:
        found = [p for p in uow.list(Pairing, school_id, child_id=child.id) if p.id == pairing_id]
        if found:
            mentor_id = found[0].mentor_id
        else:
            classes = uow.list(SchoolClass, school_id)
            teacher = next((c.class_teacher_id for c in classes if c.id == child.class_id), None)
            mentor_id = teacher or uow.list(Teacher, school_id)[0].id
            uow.add(Pairing(pairing_id, school_id, DEMO_TERM, child.id, mentor_id))
            uow.commit()
    return Actor(Role.MENTOR, mentor_id, schools=(school_id,), purpose=DEMO_PURPOSE)


def _role_view(
    store: Store, school_id: str, child: Child, role: Role, on: dt.date
) -> tuple[Actor, str, View]:
    """What ``role`` sees of ``child``, read (and audited) through :func:`read_child`."""
    from liushou_core.services import read_child

    actor = _demo_actor(store, school_id, child, role)
    return actor, child.id, read_child(store, actor, school_id, child.id, on=on)


def _plain(value: Any, tr: Callable[[str], str]) -> str:
    """A shown value as a school person reads it: choices and yes/no translated,
    nested values as their non-empty parts, no field names or JSON punctuation."""
    if isinstance(value, bool):
        return tr(_YES if value else _NO)
    if isinstance(value, dict):
        return " ".join(p for v in value.values() if (p := _plain(v, tr)) and p != "-")
    if isinstance(value, list):
        return " | ".join(_plain(v, tr) for v in value)
    if value is None or value == "":
        return "-"
    return tr(value) if isinstance(value, str) else str(value)


def _shown_value(value: Any, lang: str) -> str:
    """A field's shown value on one line, cut short."""
    if value is None or value == [] or value == {}:
        return "-"
    text = _one_line(_plain(value, catalogue(lang).gettext))
    return text if len(text) <= 60 else text[:59] + "…"


def _print_role_view(console: Console, actor: Actor, child_id: str, shown: View, lang: str) -> None:
    """The fields ``actor`` was shown of the pupil, then those hidden and masked."""
    text = catalogue(lang).gettext
    sep = "、" if lang == "zh" else ", "
    role = text(actor.role.value)

    def names(paths: Sequence[str]) -> str:
        return sep.join(text(_FIELD_LABELS[p]) if p in _FIELD_LABELS else p for p in paths)

    title = _t("as_title", lang, child=child_id, role=role, person=actor.person_id)
    table = Table(title=escape(title))
    table.add_column(_t("field", lang), no_wrap=True)
    table.add_column(_t("shown_as", lang), overflow="fold", ratio=1)
    for key, value in shown.data.items():
        if key == "version":  # the store's, not the pupil's
            continue
        table.add_row(escape(names([key])), escape(mask_text(_shown_value(value, lang))))
    console.print(table)
    none = _t("none", lang)
    console.print(escape(_t("as_hidden", lang, role=role, fields=names(shown.hidden) or none)))
    console.print(escape(_t("as_masked", lang, fields=names(shown.masked) or none)))


def _sync_school(uow: UnitOfWork, item: SyntheticSchool) -> Counter[str]:
    """Bring the store's copy of a synthetic school up to date, in ``uow``.

    A new school is added in one batch. A stored one is compared record by
    record: new records are added, changed ones updated (their version rises),
    records no longer generated are deleted, equal ones left alone. So running
    the demo again writes nothing, and running it for another ``--on`` day
    stores the data as known on that day.
    """
    sid = item.school.id
    groups: list[tuple[type, Sequence[Any]]] = [
        (School, (item.school,)),
        (SchoolClass, item.classes),
        (Teacher, item.teachers),
        (Volunteer, item.volunteers),
        (Household, item.households),
        (Child, item.children),
    ]
    done: Counter[str] = Counter()
    try:
        uow.get(School, sid, sid)
    except NotFound:
        added = uow.add_all([r for _, records in groups for r in records])
        done["added"] = len(added)
        return done
    for cls, records in groups:
        listed: list[Any] = uow.list(cls, sid)
        stored = {r.id: r for r in listed}
        fresh: list[Any] = []
        for record in records:
            old = stored.pop(record.id, None)
            if old is None:
                fresh.append(record)
            elif attrs.evolve(record, version=old.version) == old:
                done["unchanged"] += 1
            else:
                uow.update(attrs.evolve(record, version=old.version))
                done["updated"] += 1
        uow.add_all(fresh)
        done["added"] += len(fresh)
        for old in stored.values():
            uow.delete(cls, sid, old.id, old.version)
            done["deleted"] += 1
    return done


@attrs.frozen
class _SchoolResult:
    """What the demo keeps of a school: its survey, class names and a few example pupils."""

    school: School
    class_names: dict[str, str]
    pupils_by_class: Counter[str]
    survey: Survey
    examples: dict[str, Child]

    @classmethod
    def of(
        cls, school: School, classes: list[SchoolClass], children: list[Child], result: Survey
    ) -> _SchoolResult:
        wanted: set[str] = set()
        for cat in Category:  # the first pupil of each category, and the next ones in reserve
            wanted.update(
                [c.child_id for c in result.classifications if cat in c.categories][:CATEGORIES]
            )
        return cls(
            school=school,
            class_names={c.id: c.name for c in classes},
            pupils_by_class=Counter(child.class_id or "" for child in children),
            survey=result,
            examples={child.id: child for child in children if child.id in wanted},
        )


CATEGORIES: Final = len(Category)


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


def _category_table(
    counts: Counter[Category], total: int, lang: str, categories: Sequence[Category]
) -> Table:
    table = Table(title=_t("by_category", lang))
    table.add_column(_t("category", lang))
    table.add_column(_t("count", lang), justify="right")
    table.add_column(_t("share", lang), justify="right")
    for cat in categories:
        n = counts.get(cat, 0)
        share = f"{100 * n / total:.1f}%" if total else "-"
        table.add_row(label(cat, lang), str(n), share)
    return table


def _class_table(result: _SchoolResult, lang: str, categories: Sequence[Category]) -> Table:
    names = result.class_names
    pupils = result.pupils_by_class
    counts = result.survey.counts
    table = Table(title=_t("by_class", lang), show_footer=True)
    table.add_column(_t("class", lang), footer=_t("total", lang), no_wrap=True)
    table.add_column(_t("pupils", lang), justify="right", footer=str(result.survey.total))
    for cat in categories:
        table.add_column(
            label(cat, lang), justify="right", overflow="fold", footer=str(counts.get(cat, 0))
        )
    for class_id, by_cat in result.survey.by_class.items():
        name = names.get(class_id, class_id) if class_id else _t("no_class", lang)
        table.add_row(
            escape(name), str(pupils[class_id]), *(str(by_cat.get(c, 0)) for c in categories)
        )
    return table


def _school_table(
    results: Sequence[_SchoolResult], lang: str, categories: Sequence[Category], limit: int = 30
) -> Table:
    table = Table(title=_t("by_school", lang), show_footer=True)
    counts: Counter[Category] = Counter()
    for r in results:
        counts.update(r.survey.counts)
    total = sum(r.survey.total for r in results)
    table.add_column(_t("school", lang), footer=_t("total", lang), no_wrap=True)
    table.add_column(_t("pupils", lang), justify="right", footer=str(total))
    for cat in categories:
        table.add_column(
            label(cat, lang), justify="right", overflow="fold", footer=str(counts.get(cat, 0))
        )
    for r in results[:limit]:
        table.add_row(
            escape(r.school.name),
            str(r.survey.total),
            *(str(r.survey.counts.get(c, 0)) for c in categories),
        )
    if len(results) > limit:
        table.add_row(_t("more", lang, n=len(results) - limit), *([""] * (len(categories) + 1)))
    return table


_Example = tuple[_SchoolResult, Child, Classification]


def _pick_examples(
    results: Sequence[_SchoolResult], categories: Sequence[Category], limit: int = 5
) -> list[_Example]:
    """The first pupil of each category, up to ``limit``."""
    picked: list[_Example] = []
    taken: set[tuple[str, str]] = set()
    for cat in categories:
        if len(picked) >= limit:
            break
        for r in results:
            found = next(
                (
                    c
                    for c in r.survey.classifications
                    if cat in c.categories and (r.school.id, c.child_id) not in taken
                ),
                None,
            )
            if found is not None:
                picked.append((r, r.examples[found.child_id], found))
                taken.add((r.school.id, found.child_id))
                break
    return picked


def _examples_table(picked: Sequence[_Example], lang: str, *, several: bool) -> Table:
    """The example pupils with their categories and reasons; ID numbers masked."""
    sep = "、" if lang == "zh" else ", "
    table = Table(title=_t("examples", lang), show_lines=True)
    table.add_column(_t("pupil", lang), overflow="fold", max_width=24)
    table.add_column(_t("reasons", lang), overflow="fold", ratio=1)
    for r, child, c in picked:
        where = r.class_names.get(child.class_id or "", child.class_id or "")
        if several:
            where = f"{r.school.name} {where}"
        who = [
            f"[bold]{escape(child.name)}[/bold]",
            escape(where),
            mask_id(child.id_number) if child.id_number else "-",
            f"[italic]{escape(sep.join(label(cat, lang) for cat in c.categories))}[/italic]",
        ]
        # no space after the bullet in Chinese: rich would break the line there
        bullet = "•" if lang == "zh" else "• "
        reasons = [bullet + escape(mask_text(m.render(lang))) for m in c.reasons]
        table.add_row("\n".join(who), "\n".join(reasons))
    return table


def _audit_command(settings: Settings, school_id: str, child_id: str) -> str:
    """The ``liushou audit`` command line for one pupil, with the options in force."""
    words = ["liushou"]
    if settings.store_given:
        words += ["--store", redact_url(settings.store_url)]
    if settings.lang != "zh":
        words += ["--lang", settings.lang]
    words += ["audit", "--school", school_id, "--child", child_id]
    return shlex.join(words)


def _write_survey(
    out: Path,
    on: dt.date,
    seed: int,
    results: Sequence[_SchoolResult],
    counts: Counter[Category],
    categories: Sequence[Category],
) -> Path:
    """Write ``survey.json``: counts and each pupil's categories and reason codes.

    Pupils appear by id only: no names, ID numbers or phone numbers.
    """
    data = {
        "on": on.isoformat(),
        "seed": seed,
        "total": sum(r.survey.total for r in results),
        "counts": {c.value: counts.get(c, 0) for c in categories},
        "schools": [
            {
                "id": r.school.id,
                "county_code": r.school.county_code,
                "total": r.survey.total,
                "counts": {c.value: r.survey.counts.get(c, 0) for c in categories},
                "by_class": {
                    class_id: {c.value: n for c, n in by_cat.items()}
                    for class_id, by_cat in r.survey.by_class.items()
                },
                "children": [
                    {
                        "id": c.child_id,
                        "categories": [cat.value for cat in c.categories],
                        "reasons": [m.code for m in c.reasons],
                    }
                    for c in r.survey.classifications
                ],
            }
            for r in results
        ],
    }
    _make_dir(out)
    path = out / "survey.json"
    try:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot write {path.name} ({exc.strerror})") from None
    return path


def _make_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot create the directory ({exc.strerror})") from None


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
@click.pass_obj
def audit(
    settings: Settings, school_id: str, child_id: str, action: str | None, as_json: bool
) -> None:
    """List who saw or changed a pupil's record: time, who, action, purpose, fields.

    Reads the store's append-only audit trail, oldest first: every change of
    the pupil's record, and every time someone was shown it (with the fields
    shown). A pupil whose record was deleted keeps the entries. Actors and
    purposes are shown with any ID or phone number masked.
    """
    lang = settings.lang
    store = settings.open_store(existing=True)
    try:
        with store.unit_of_work(actor="liushou audit", readonly=True) as uow:
            school_stored = _stored(uow, School, school_id, school_id)
            child_stored = _stored(uow, Child, school_id, child_id)
        entries = list(store.audit_trail(school_id=school_id, kind=Child, record_id=child_id))
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


if __name__ == "__main__":
    main()
