"""``liushou demo``: the main job end to end on synthetic data."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from liushou_adapters.cli._app import (
    _CONTEXT,
    _FIELD_LABELS,
    _NO,
    _YES,
    DEMO_ACTOR,
    DEMO_PRINCIPAL,
    DEMO_PURPOSE,
    DEMO_ROLES,
    DEMO_TERM,
    EXAMPLE_FIELDS,
    BadInput,
    Settings,
    _one_line,
    _t,
    cli,
)
from liushou_adapters.cli._term import (
    TermOutcome,
    dispatch,
    loopback_webhook,
    run_term,
    sync_records,
)
from liushou_adapters.storage import redact_url
from liushou_core.aid import DEFAULT_POLICY as DEFAULT_AID_POLICY
from liushou_core.aid import with_plugins
from liushou_core.cadence import policy_from_plugins
from liushou_core.classify import Category, Classification, Survey, survey
from liushou_core.errors import NotFound
from liushou_core.i18n import catalogue
from liushou_core.masking import mask_id, mask_text
from liushou_core.models import (
    Child,
    Household,
    Pairing,
    School,
    SchoolClass,
    Severity,
    Teacher,
    Volunteer,
    label,
)
from liushou_core.plugins import plugin_manager
from liushou_core.ports import Store, UnitOfWork
from liushou_core.privacy import Actor, Role, View

if TYPE_CHECKING:
    from liushou_core.synth import SyntheticSchool


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
@click.option(
    "--webhook",
    default=None,
    metavar="URL",
    help="Post the demo's notices to this group-robot webhook (WeCom markdown) as well as "
    "the console; by default a receiver on 127.0.0.1 stands in for the robot.",
)
@click.pass_obj
def demo(
    settings: Settings,
    out: Path,
    schools: int,
    seed: int,
    as_role: str | None,
    webhook: str | None,
) -> None:
    """The main job end to end on synthetic schools, in the store (SQLite by default).

    Generates and stores the schools, classifies every pupil, then runs the
    term for each school: pairs nominated children with mentors, records a
    term of talks, calls, home visits, meetings, diaries and health checks up
    to --on (with a share left undone), assesses aid, reviews the term
    (cadence plan, who is overdue, every check, the figures), sends the
    notices of the most overdue contact and of incidents not yet reported
    through the outbox to the console and a webhook, and writes into OUT: the
    term report (report-*.html), the exports (export-*.xlsx, or CSV files
    without openpyxl; ID and phone numbers masked), one calendar per mentor
    (calendars/), the duty rota (rota/), and survey.json.

    Prints the counts by category and by class (by school for several schools),
    a few example pupils with their reasons, and the term's figures. Showing
    the example pupils leaves a read entry in the audit trail for each (see
    'liushou audit'). Running it again on the same day writes nothing and sends
    nothing twice. No real person's data is involved.

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
            items: list[SyntheticSchool] = []
            changes: Counter[str] = Counter()
            for item in generated:
                school_ids.append(item.school.id)
                items.append(item)
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

            task = progress.add_task(_t("term_work", lang), total=len(items))
            terms: list[TermOutcome] = []
            pm = plugin_manager()
            cadence_policy = policy_from_plugins(pm)
            aid_policy = with_plugins(DEFAULT_AID_POLICY, pm)
            for item in items:
                terms.append(
                    run_term(
                        store,
                        item,
                        on=on,
                        seed=seed,
                        lang=lang,
                        out=out,
                        actor=DEMO_ACTOR,
                        purpose=DEMO_PURPOSE,
                        cadence_policy=cadence_policy,
                        aid_policy=aid_policy,
                    )
                )
                changes.update(terms[-1].stored)  # the term's records, in the same tally
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
    console.print(_term_table(terms, lang))
    for line in terms[0].pairing.explain(lang)[:1] if len(terms) == 1 else ():
        console.print(escape(line))

    console.print(f"[bold]{escape(_t('notices_title', lang))}[/bold]")
    store = settings.open_store()
    try:
        with _webhook(webhook) as (url, received):
            delivered = dispatch(store, url)
    finally:
        store.close()
    where = webhook or _t("loopback", lang)
    posts = len(received) if webhook is None else delivered.sent
    console.print(
        escape(_t("notices", lang, sent=delivered.sent, posts=posts, webhook=redact_url(where)))
    )

    err.print(_t("wrote", lang, path=path))
    files = sum(len(t.files) for t in terms)
    err.print(_t("wrote_files", lang, n=files, out=out))


def _term_table(terms: Sequence[TermOutcome], lang: str, limit: int = 30) -> Table:
    """The term of each school: pairs, contacts kept, aid, findings, the report written."""
    first = terms[0]
    table = Table(title=_t("term_title", lang, term=first.term.id, on=first.review.on.isoformat()))
    columns = ("school", "pairs", "unpaired", "held", "planned", "aid_cash", "errors", "warnings")
    for key in columns:
        table.add_column(_t(key, lang), justify="left" if key == "school" else "right")
    totals: Counter[str] = Counter()
    for t in terms:
        s = t.review.summary
        row = {
            "pairs": len(t.pairing.pairs),
            "unpaired": len(t.pairing.unpaired),
            "held": sum(s.held.values()),
            "planned": sum(s.planned.values()),
            "aid_cash": int(sum(d.total for d in t.decisions)),
            "errors": s.findings_open.get(Severity.ERROR, 0),
            "warnings": s.findings_open.get(Severity.WARNING, 0),
        }
        totals.update(row)
        if len(table.rows) < limit:
            name = t.review.records.school.name
            table.add_row(escape(name), *(f"{row[k]:,}" for k in columns[1:]))
    if len(terms) > 1:
        table.add_row(_t("total", lang), *(f"{totals[k]:,}" for k in columns[1:]))
    return table


@contextmanager
def _webhook(url: str | None) -> Iterator[tuple[str, list[bytes]]]:
    """The webhook the demo posts to: ``url``, or a loopback receiver standing in for it."""
    if url is not None:
        yield url, []
        return
    with loopback_webhook() as (local, received):
        yield local, received


def _demo_actor(store: Store, school_id: str, child: Child, role: Role) -> Actor:
    """The demo's principal, or a mentor of ``child``: its mentor of the term when
    the pairing paired it, otherwise its class teacher, paired for the demo (the
    pairing is added once, by the demo's actor, and found again on later runs).
    """
    if role is not Role.MENTOR:
        return Actor(role, DEMO_PRINCIPAL, schools=(school_id,), purpose=DEMO_PURPOSE)
    pairing_id = f"{child.id}-demo-mentor"
    with store.unit_of_work(actor=DEMO_ACTOR) as uow:
        pairs = uow.list(Pairing, school_id, child_id=child.id)
        found = [p for p in pairs if p.id == pairing_id or p.term_id != DEMO_TERM]
        if found:  # the pupil's mentor of the term, or the demo's earlier pairing
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
    return sync_records(uow, sid, groups)


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
