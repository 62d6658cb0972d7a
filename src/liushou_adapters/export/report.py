"""The term work summary report (工作总结): one self-contained, printable HTML file.

Principals write a work summary every term; the seed's summaries follow one
pattern: the goals, the measures taken, the results. :func:`render_report`
lays out the same three parts, filled from a school's figures
(:class:`~liushou_core.summary.TermSummary`): children by category and class,
pairs and mentors, meetings, talks and home visits against plan, aid, health
checks, activities, incidents, the checks' findings, and the change since last
term. Charts (contacts kept per month, children by category, aid by scheme) are
inline SVG drawn by matplotlib (the ``report`` extra); without matplotlib the
report still renders, with the charts' figures in tables only.

The file needs no network (no web fonts, scripts or images from elsewhere),
prints on A4, and is in Chinese by default (``lang="en"`` for English).
Children are never named in it. With ``leaves_school=True`` (a report for the
district) every group of counts goes through
:func:`~liushou_core.privacy.suppress_small`: a count from 1 to 4 is shown as
"<5", and so is any count it could be worked back from.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Final

import attrs

from liushou_core import hookimpl
from liushou_core.classify import Category
from liushou_core.hookspecs import ExporterSpec
from liushou_core.i18n import DEFAULT_LANG, N_, catalogue
from liushou_core.models import ContactKind, School, SchoolClass, Severity, Term, label
from liushou_core.privacy import suppress_small
from liushou_core.summary import TermSummary, changes

__all__ = [
    "MonthFigures",
    "ReportExporter",
    "ReportInput",
    "charts_available",
    "liushou_exporters",
    "monthly_cadence",
    "render_report",
    "write_report",
]

#: How a suppressed count is shown.
SUPPRESSED: Final = "<5"

_T: Final[dict[str, str]] = {
    "title": N_("{school}: work summary of the care programme for left-behind children, {term}"),
    "term_autumn": N_("autumn term of the {start}-{end} school year"),
    "term_spring": N_("spring term of the {start}-{end} school year"),
    "as_of": N_("Figures as of {on}, from the school's records."),
    "no_names": N_("No child is named in this report."),
    "suppressed_note": N_(
        "Counts from 1 to 4, and counts they could be worked back from, are shown as <5 "
        "so that no child can be singled out."
    ),
    "goals": N_("1. Goals"),
    "goals_text": N_(
        "Know every pupil's situation and keep an archive and contact card for each "
        "left-behind child; pair the children who most need it with a mentor; keep "
        "regular meetings, talks, home visits and calls with parents; bring children of "
        "families in difficulty into the aid schemes; keep them safe and healthy."
    ),
    "measures": N_("2. Measures taken"),
    "m_survey": N_("Survey and archives"),
    "m_survey_text": N_(
        "The school surveyed all {children} pupils; {left_behind} are left-behind children."
    ),
    "m_pairing": N_("Mentor pairing"),
    "m_pairing_text": N_(
        "{pairs} mentor pairs, with {mentors} mentors, of whom {volunteers} are volunteers "
        "acting as proxy parents."
    ),
    "m_contacts": N_("Meetings, talks, home visits and calls"),
    "m_aid": N_("Aid for children of families in difficulty"),
    "m_aid_text": N_("{decisions} aid decisions this term; yearly cash aid {amount} yuan."),
    "m_health": N_("Health checks"),
    "m_health_text": N_("{checks} health checks; {follow_ups} needed a follow-up."),
    "m_activities": N_("Activities"),
    "m_activities_text": N_("{participants} places taken by children in the activities."),
    "m_safety": N_("Safety and emergencies"),
    "m_safety_text": N_("{incidents} incidents this term, {open} still open."),
    "results": N_("3. Results and open problems"),
    "findings_text": N_(
        "The checks find {errors} errors and {warnings} warnings still open; "
        "{closed} findings were closed since the last report."
    ),
    "findings_text_first": N_(
        "The checks find {errors} errors and {warnings} warnings still open."
    ),
    "change_title": N_("Change since last term"),
    "no_previous": N_("No figures of an earlier term to compare with."),
    "category": N_("Category"),
    "class": N_("Class"),
    "no_class": N_("(no class)"),
    "children": N_("Pupils"),
    "kind": N_("Kind"),
    "held": N_("Held"),
    "planned": N_("Planned"),
    "kept": N_("Kept"),
    "scheme": N_("Scheme"),
    "eligible": N_("Children eligible"),
    "figure": N_("Figure"),
    "now": N_("This term"),
    "before": N_("Last term"),
    "change": N_("Change"),
    "month": N_("Month"),
    "severity": N_("Severity"),
    "open": N_("Open"),
    "chart_months": N_("Contacts held and planned, by month"),
    "chart_categories": N_("Pupils by category"),
    "chart_aid": N_("Children eligible, by aid scheme"),
    "no_charts": N_("Charts need matplotlib: pip install 'liushou[report]'."),
    "generated": N_("Generated by liushou on {on}."),
}

#: Figures of the change table, in order, with their labels.
_CHANGE_FIGURES: Final[tuple[tuple[str, str], ...]] = (
    ("children.total", N_("Pupils")),
    ("category.left-behind", N_("Left-behind children")),
    ("pairing.pairs", N_("Mentor pairs")),
    ("pairing.mentors", N_("Mentors")),
    ("held.meeting", N_("Meetings held")),
    ("held.talk", N_("Talks held")),
    ("held.home visit", N_("Home visits made")),
    ("held.phone call", N_("Calls with parents")),
    ("aid.decisions", N_("Aid decisions")),
    ("health.checks", N_("Health checks")),
    ("findings.error", N_("Open errors")),
    ("findings.warning", N_("Open warnings")),
)


@attrs.frozen
class MonthFigures:
    """Contacts held and planned in one month (``month`` is ``YYYY-MM``)."""

    month: str
    held: int
    planned: int


@attrs.frozen
class ReportInput:
    """Everything the report shows: the school, the term and its figures.

    ``previous``: last term's figures, for the change since then.
    ``months``: contacts held and planned per month (:func:`monthly_cadence`).
    ``classes``: the school's classes, to show class names rather than ids.
    ``leaves_school``: the report goes above the school (suppress counts below 5).
    """

    school: School
    term: Term
    summary: TermSummary
    previous: TermSummary | None = None
    months: tuple[MonthFigures, ...] = ()
    classes: tuple[SchoolClass, ...] = ()
    leaves_school: bool = False


def monthly_cadence(
    held: Iterable[dt.date], planned: Iterable[dt.date], term: Term, on: dt.date
) -> tuple[MonthFigures, ...]:
    """Contacts held (their dates) and planned (the plan's dates), month by month, from
    the term's first month to the month of ``on`` (or the term's last)."""
    last = min(on, term.last_day)
    if last < term.first_day:
        return ()
    done: Counter[str] = Counter(d.strftime("%Y-%m") for d in held if term.covers(d) and d <= last)
    due: Counter[str] = Counter(
        d.strftime("%Y-%m") for d in planned if term.covers(d) and d <= last
    )
    months: list[str] = []
    y, m = term.first_day.year, term.first_day.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(MonthFigures(k, done.get(k, 0), due.get(k, 0)) for k in months)


def charts_available() -> bool:
    """Whether matplotlib (the ``report`` extra) is installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- rendering


class _Figures:
    """Counts as the report shows them: suppressed when the report leaves the school."""

    def __init__(self, summary: TermSummary, leaves_school: bool) -> None:
        self.raw = summary.figures()
        self.shown: Mapping[str, int | None] = (
            summary.suppressed() if leaves_school else dict(self.raw)
        )
        self.leaves_school = leaves_school

    def __getitem__(self, name: str) -> str:
        return _count(self.shown.get(name, 0))

    def row(self, counts: Mapping[str, int]) -> dict[str, str]:
        """One row of counts (a table's cells) as shown."""
        shown = suppress_small(counts) if self.leaves_school else dict(counts)
        return {k: _count(v) for k, v in shown.items()}


def _count(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


class _Page:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.gettext = catalogue(lang).gettext
        self.parts: list[str] = []

    def t(self, key: str, **params: object) -> str:
        return self.gettext(_T[key]).format(**params)

    def add(self, *chunks: str) -> None:
        self.parts.extend(chunks)

    def h(self, level: int, text: str) -> None:
        self.add(f"<h{level}>{html.escape(text)}</h{level}>\n")

    def p(self, text: str, cls: str = "") -> None:
        attr = f' class="{cls}"' if cls else ""
        self.add(f"<p{attr}>{html.escape(text)}</p>\n")

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> None:
        attr = f' class="{cls}"' if cls else ""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>\n" for row in rows
        )
        self.add(f"<table{attr}><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n")


def _term_name(term: Term, page: _Page) -> str:
    key = "term_autumn" if term.semester.value == "autumn" else "term_spring"
    return page.t(key, start=term.school_year, end=term.school_year + 1)


def _kept(held_shown: str, planned_shown: str, held: int, planned: int) -> str:
    """The share of the plan held, as a percentage; "-" with no plan, or when either
    count is suppressed (the share would give it back)."""
    if planned == 0 or SUPPRESSED in (held_shown, planned_shown):
        return "-"
    return f"{min(held, planned) * 100 // planned}%"


def render_report(data: ReportInput, *, lang: str = DEFAULT_LANG, on: dt.date | None = None) -> str:
    """The report as one HTML document (a ``str``), in ``lang`` (``"zh"`` or ``"en"``).

    ``on``: the day the report is made (default: the summary's day); it is
    printed in the footer only.
    """
    s = data.summary
    page = _Page(lang)
    fig = _Figures(s, data.leaves_school)
    term_name = _term_name(data.term, page)
    title = page.t("title", school=data.school.name, term=term_name)
    page.add(_head(title, lang))
    page.h(1, title)
    page.p(page.t("as_of", on=s.on.isoformat()), "lead")
    page.p(page.t("no_names"), "note")
    if data.leaves_school:
        page.p(page.t("suppressed_note"), "note")

    page.h(2, page.t("goals"))
    page.p(page.t("goals_text"))

    page.h(2, page.t("measures"))
    page.h(3, page.gettext(N_("Leading group and work plan")))
    page.p(
        page.gettext(
            N_("Work plan: {done} measures done, {not_done} not yet due, {overdue} overdue.")
        ).format(
            done=fig["measures.done"],
            not_done=fig["measures.not_done"],
            overdue=fig["measures.overdue"],
        )
    )
    _survey_section(page, fig, s, {c.id: c.name for c in data.classes})
    _pairing_section(page, fig)
    _contacts_section(page, fig, s, data.months)
    _aid_section(page, fig, s)
    page.h(3, page.t("m_health"))
    page.p(
        page.t("m_health_text", checks=fig["health.checks"], follow_ups=fig["health.follow_ups"])
    )
    page.h(3, page.t("m_activities"))
    page.p(page.t("m_activities_text", participants=fig["activities.participants"]))
    activity_counts = {k.value: v for k, v in s.activities.items()}
    shown = fig.row(activity_counts)
    page.table(
        [page.t("kind"), page.t("held")],
        [(label(k, lang), shown[k.value]) for k in s.activities],
    )
    page.h(3, page.t("m_safety"))
    total_incidents = sum(s.incidents.values())
    incident_row = fig.row({"all": total_incidents, "open": s.incidents_open})
    page.p(page.t("m_safety_text", incidents=incident_row["all"], open=incident_row["open"]))

    page.h(2, page.t("results"))
    _results_section(page, fig, s, data.previous, data.leaves_school)
    page.p(page.t("generated", on=(on or s.on).isoformat()), "footer")
    page.add("</body>\n</html>\n")
    return "".join(page.parts)


def _survey_section(
    page: _Page, fig: _Figures, s: TermSummary, class_names: Mapping[str, str]
) -> None:
    page.h(3, page.t("m_survey"))
    page.p(
        page.t(
            "m_survey_text",
            children=fig["children.total"],
            left_behind=fig[f"category.{Category.LEFT_BEHIND.value}"],
        )
    )
    cats = list(s.by_category)
    shown = {c: fig[f"category.{c.value}"] for c in cats}
    page.table(
        [page.t("category"), page.t("children")], [(label(c, page.lang), shown[c]) for c in cats]
    )
    _chart(
        page,
        page.t("chart_categories"),
        [label(c, page.lang) for c in cats],
        {page.t("children"): [s.by_category[c] for c in cats]},
        suppressed=fig.leaves_school,
    )
    rows = []
    for class_id, counts in s.by_class.items():
        cells = fig.row({c.value: n for c, n in counts.items()})
        name = class_names.get(class_id, class_id) if class_id else page.t("no_class")
        rows.append([name, *(cells[c.value] for c in cats)])
    page.table([page.t("class"), *(label(c, page.lang) for c in cats)], rows, "by-class")


def _pairing_section(page: _Page, fig: _Figures) -> None:
    page.h(3, page.t("m_pairing"))
    page.p(
        page.t(
            "m_pairing_text",
            pairs=fig["pairing.pairs"],
            mentors=fig["pairing.mentors"],
            volunteers=fig["pairing.volunteer_mentors"],
        )
    )


def _contacts_section(
    page: _Page, fig: _Figures, s: TermSummary, months: Sequence[MonthFigures]
) -> None:
    page.h(3, page.t("m_contacts"))
    rows = []
    for kind in ContactKind:
        held, planned = fig[f"held.{kind.value}"], fig[f"planned.{kind.value}"]
        kept = _kept(held, planned, s.held.get(kind, 0), s.planned.get(kind, 0))
        rows.append((label(kind, page.lang), held, planned, kept))
    page.table([page.t("kind"), page.t("held"), page.t("planned"), page.t("kept")], rows)
    if months:
        monthly = []
        for m in months:
            shown = fig.row({"held": m.held, "planned": m.planned})
            kept = _kept(shown["held"], shown["planned"], m.held, m.planned)
            monthly.append((m.month, shown["held"], shown["planned"], kept))
        page.table([page.t("month"), page.t("held"), page.t("planned"), page.t("kept")], monthly)
        _chart(
            page,
            page.t("chart_months"),
            [m.month for m in months],
            {
                page.t("held"): [m.held for m in months],
                page.t("planned"): [m.planned for m in months],
            },
            suppressed=fig.leaves_school,
        )


def _aid_section(page: _Page, fig: _Figures, s: TermSummary) -> None:
    page.h(3, page.t("m_aid"))
    amount = s.aid_amount.quantize(Decimal("1")) if s.aid_amount else Decimal(0)
    decisions = fig["aid.decisions"]
    # the amount would give a suppressed number of decisions back (1000 yuan a boarder)
    shown_amount = "-" if decisions == SUPPRESSED else f"{amount:,}"
    page.p(page.t("m_aid_text", decisions=decisions, amount=shown_amount))
    if s.aid_eligible:
        schemes = list(s.aid_eligible)
        shown = fig.row(dict(s.aid_eligible))
        names = [page.gettext(k) for k in schemes]
        page.table(
            [page.t("scheme"), page.t("eligible")],
            [(n, shown[k]) for n, k in zip(names, schemes, strict=True)],
        )
        _chart(
            page,
            page.t("chart_aid"),
            names,
            {page.t("eligible"): [s.aid_eligible[k] for k in schemes]},
            suppressed=fig.leaves_school,
        )


def _results_section(
    page: _Page, fig: _Figures, s: TermSummary, previous: TermSummary | None, leaves: bool
) -> None:
    errors, warnings = (
        fig[f"findings.{Severity.ERROR.value}"],
        fig[f"findings.{Severity.WARNING.value}"],
    )
    if s.findings_closed is None:
        page.p(page.t("findings_text_first", errors=errors, warnings=warnings))
    else:
        page.p(
            page.t("findings_text", errors=errors, warnings=warnings, closed=fig["findings.closed"])
        )
    page.h(3, page.t("change_title"))
    if previous is None:
        page.p(page.t("no_previous"))
        return
    delta = changes(s, previous)
    before = _Figures(previous, leaves)
    rows = []
    for name, text in _CHANGE_FIGURES:
        now_, then = fig[name], before[name]
        hidden = SUPPRESSED in (now_, then)
        d = delta.get(name, 0)
        rows.append((page.gettext(text), now_, then, "-" if hidden else f"{d:+d}"))
    page.table([page.t("figure"), page.t("now"), page.t("before"), page.t("change")], rows)


# --------------------------------------------------------------------------- charts


def _chart(
    page: _Page,
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    suppressed: bool,
) -> None:
    """A bar chart as inline SVG; none when the counts may not leave the school."""
    if suppressed or not labels:
        # a chart shows exact bar heights: a report for the district keeps to the tables
        return
    if not charts_available():
        page.p(page.t("no_charts"), "note")
        return
    page.add(f'<figure class="chart">{_bar_svg(title, labels, series)}</figure>\n')


def _bar_svg(title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # Text stays text in the SVG: the browser draws it in its own fonts (falling back
    # to a CJK font for Chinese), and the file embeds no font. matplotlib measures the
    # labels with DejaVu Sans, which has no CJK glyphs: only the layout is approximate.
    buf = io.StringIO()
    style = matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "liushou",  # stable ids: the same figures give the same file
            "font.family": "sans-serif",
            "font.size": 9,
        }
    )
    with style, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig = Figure(figsize=(6.3, 2.6))
        ax = fig.add_subplot()
        n = len(series)
        width = 0.8 / max(n, 1)
        xs = range(len(labels))
        for i, (name, values) in enumerate(series.items()):
            ax.bar([x + (i - (n - 1) / 2) * width for x in xs], values, width, label=name)
        ax.set_xticks(list(xs), list(labels))
        ax.set_title(title)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
        if n > 1:
            ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "liushou"})
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


# --------------------------------------------------------------------------- page


_CSS: Final = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif;
       font-size: 11pt; line-height: 1.6; color: #111; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 17pt; text-align: center; margin: 0.4em 0 0.6em; }
h2 { font-size: 13pt; margin: 1.2em 0 0.4em; }
h3 { font-size: 11.5pt; margin: 0.9em 0 0.3em; }
p { margin: 0.3em 0; text-indent: 2em; }
p.lead, p.note, p.footer { text-indent: 0; }
p.note, p.footer { color: #555; font-size: 9.5pt; }
table { border-collapse: collapse; margin: 0.4em 0 0.6em; font-size: 10pt; }
th, td { border: 1px solid #999; padding: 2px 8px; text-align: left; }
td:not(:first-child) { text-align: right; }
thead { display: table-header-group; }
tr, figure { page-break-inside: avoid; }
figure.chart { margin: 0.4em 0; }
figure.chart svg { width: 100%; height: auto; }
"""


def _head(title: str, lang: str) -> str:
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
    )


def write_report(
    data: ReportInput,
    path: str | os.PathLike[str],
    *,
    lang: str = DEFAULT_LANG,
    on: dt.date | None = None,
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8), atomically; returns the path."""
    target = Path(path)
    text = render_report(data, lang=lang, on=on)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target


class ReportExporter:
    """The ``html`` exporter: a school's :class:`ReportInput` to a report file.

    ``export(rows, path)`` takes one :class:`ReportInput` (in an iterable, as the
    :class:`~liushou_core.ports.Exporter` port has it); :meth:`write` takes it bare.
    """

    name = "html"
    suffix = ".html"

    def __init__(self, *, lang: str = DEFAULT_LANG, on: dt.date | None = None) -> None:
        self.lang = lang
        self.on = on

    def write(self, data: ReportInput, path: str | os.PathLike[str]) -> Path:
        return write_report(data, path, lang=self.lang, on=self.on)

    def export(self, rows: Iterable[ReportInput], path: str) -> None:
        items = list(rows)
        if len(items) != 1 or not isinstance(items[0], ReportInput):
            raise TypeError("the html exporter writes one ReportInput per file")
        self.write(items[0], path)


@hookimpl
def liushou_exporters() -> list[ExporterSpec]:
    """The term work summary report as a printable HTML file."""
    return [
        ExporterSpec(
            name="html",
            suffix=".html",
            factory=ReportExporter,
            description="the term work summary report (printable HTML, charts inline)",
        )
    ]
