"""``liushou report``: the term work summary report of each school, as printable HTML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

import attrs
import click
from rich.console import Console
from rich.markup import escape

from liushou_adapters.cli._app import (
    _CONTEXT,
    BadInput,
    Settings,
    chosen_schools,
    cli,
    term_option,
    tr,
)
from liushou_adapters.export.report import ReportInput, monthly_cadence, write_report
from liushou_core.cadence import CadencePolicy, policy_from_plugins
from liushou_core.checks import SchoolRecords
from liushou_core.errors import LiushouError
from liushou_core.i18n import N_
from liushou_core.models import School, Term
from liushou_core.plugins import plugin_manager
from liushou_core.review import TermReview, review_term
from liushou_core.school_calendar import term_before, term_on

__all__ = ["report_command", "review_with_previous", "school_report"]

_UI: Final[dict[str, str]] = {
    "wrote": N_("Wrote the term report of {school} to {path}"),
}


def school_report(
    review: TermReview, previous: TermReview | None = None, *, leaves_school: bool = False
) -> ReportInput:
    """The report of one school from the review of its term (and of the term before)."""
    records = review.records
    held = [e.date for e in records.events if not e.planned]
    planned = [c.date for c in review.plan.contacts]
    return ReportInput(
        school=records.school,
        term=records.term,
        summary=review.summary,
        previous=previous.summary if previous is not None else None,
        months=monthly_cadence(held, planned, records.term, review.on),
        classes=records.classes,
        leaves_school=leaves_school,
    )


def review_with_previous(
    records: SchoolRecords, *, on: dt.date, policy: CadencePolicy
) -> tuple[TermReview, TermReview]:
    """The review of ``records.term`` on ``on``, and of the term before on its last day
    (the findings then that are gone now count as closed)."""
    before = term_before(records.term)
    earlier = attrs.evolve(records, term=before, cadence_findings=())
    previous = review_term(earlier, on=min(on, before.last_day), cadence_policy=policy)
    review = review_term(records, on=on, cadence_policy=policy, previous_findings=previous.findings)
    return review, previous


@cli.command(
    "report",
    context_settings=_CONTEXT,
    epilog=(
        "Examples (after 'liushou demo'):\n\n"
        "\b\n"
        "  liushou report --out reports/\n"
        "  liushou --lang en report --term 2026-autumn --school 422828-000 --out reports/\n"
        "  liushou report --for-district --out district/"
    ),
)
@term_option()
@click.option("--school", "school_id", default=None, metavar="ID", help="Only this school.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, dir_okay=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory for the reports (created if missing): report-SCHOOL-TERM.html.",
)
@click.option(
    "--for-district",
    "for_district",
    is_flag=True,
    help="The report leaves the school: counts from 1 to 4 are shown as <5 and charts left out.",
)
@click.pass_obj
def report_command(
    settings: Settings,
    term_given: Term | None,
    school_id: str | None,
    out: Path,
    for_district: bool,
) -> None:
    """Write the term work summary report (工作总结) of each school as one HTML file.

    The report follows the schools' own summaries: goals, the measures taken
    and the results, filled from the store: pupils by category and class,
    mentor pairs, meetings, talks, home visits and calls against the plan,
    aid, health checks, activities, incidents, the checks' findings and the
    change since last term, with charts. It needs no network, prints on A4,
    and names no child. Figures are as of --on (default today).
    """
    lang, on = settings.lang, settings.on
    term = term_given or term_on(on)
    policy = policy_from_plugins(plugin_manager())
    store = settings.open_store(existing=True)
    reports: list[tuple[School, ReportInput]] = []
    try:
        with store.unit_of_work(
            actor="liushou report", purpose="term report", readonly=True
        ) as uow:
            schools = chosen_schools(uow, school_id, lang)
            for school in schools:
                records = SchoolRecords.load(uow, school, term)
                review, previous = review_with_previous(records, on=on, policy=policy)
                reports.append(
                    (school, school_report(review, previous, leaves_school=for_district))
                )
    except LiushouError as exc:
        raise BadInput(str(exc)) from None
    finally:
        store.close()
    try:  # only once every school's figures are made: a bad --school writes nothing
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot create the directory ({exc.strerror})") from None
    console = Console(stderr=True, highlight=False)
    for school, data in reports:
        path = write_report(data, out / f"report-{school.id}-{term.id}.html", lang=lang, on=on)
        console.print(escape(tr(_UI["wrote"], lang, school=school.name, path=path)))
