"""The term work summary report: figures, languages, suppression, and a real browser."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_adapters.export.report import (
    SUPPRESSED,
    MonthFigures,
    ReportInput,
    monthly_cadence,
    render_report,
    write_report,
)
from liushou_core import synth
from liushou_core.checks import SchoolRecords
from liushou_core.classify import Category
from liushou_core.models import (
    ActivityKind,
    ContactKind,
    IncidentKind,
    School,
    Semester,
    Severity,
    Term,
)
from liushou_core.summary import TermSummary, term_summary

ON = dt.date(2026, 11, 29)
TERM = Term(2026, Semester.AUTUMN, dt.date(2026, 9, 1), dt.date(2027, 1, 22))
ROOT = Path(__file__).resolve().parents[1]
# An 18-character resident ID number or an 11-digit mobile number, unmasked.
UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


class _Cells(HTMLParser):
    """The text of every table cell and the count of inline SVG charts."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.svgs = 0
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")
        elif tag == "svg":
            self.svgs += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


def cells(text: str) -> _Cells:
    parser = _Cells()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def school() -> synth.SyntheticSchool:
    return synth.school(3, on=ON)


@pytest.fixture(scope="module")
def summary(school: synth.SyntheticSchool) -> TermSummary:
    records = SchoolRecords(
        school=school.school,
        term=TERM,
        classes=school.classes,
        teachers=school.teachers,
        children=school.children,
        households=school.households,
    )
    return term_summary(records, on=ON)


def report_input(school: synth.SyntheticSchool, summary: TermSummary, **kw: object) -> ReportInput:
    months = monthly_cadence(
        [dt.date(2026, 9, 8), dt.date(2026, 10, 12), dt.date(2026, 10, 13)],
        [dt.date(2026, 9, 8), dt.date(2026, 10, 12), dt.date(2026, 11, 2)],
        TERM,
        ON,
    )
    return ReportInput(school.school, TERM, summary, months=months, classes=school.classes, **kw)  # type: ignore[arg-type]


def test_the_report_holds_the_figures_in_chinese_by_default(
    school: synth.SyntheticSchool, summary: TermSummary
) -> None:
    text = render_report(report_input(school, summary))
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in text
    assert html.escape(school.school.name) in text
    for heading in ("一、", "二、", "三、"):  # goals, measures, results, as the seed's summaries
        assert heading in text
    got = cells(text).cells
    assert str(summary.children) in text
    assert str(summary.by_category[Category.LEFT_BEHIND]) in got
    for c in school.classes:  # classes by name, not by record id
        assert c.name in got
    assert cells(text).svgs >= 2  # pupils by category and contacts by month


def test_english_on_request(school: synth.SyntheticSchool, summary: TermSummary) -> None:
    text = render_report(report_input(school, summary), lang="en")
    assert '<html lang="en">' in text
    assert "work summary of the care programme for left-behind children" in text
    assert "autumn term of the 2026-2027 school year" in text
    assert "1. Goals" in text
    assert "3. Results and open problems" in text


def test_no_child_is_named_and_no_number_is_unmasked(
    school: synth.SyntheticSchool, summary: TermSummary
) -> None:
    for lang in ("zh", "en"):
        text = render_report(report_input(school, summary), lang=lang)
        assert not UNMASKED.search(text)
        for child in school.children:
            assert child.name not in text
            assert child.id not in text


def test_the_same_figures_give_the_same_file(
    school: synth.SyntheticSchool, summary: TermSummary, tmp_path: Path
) -> None:
    a = write_report(report_input(school, summary), tmp_path / "a.html")
    b = write_report(report_input(school, summary), tmp_path / "b.html")
    assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]  # no temp file left


def test_change_since_last_term(school: synth.SyntheticSchool, summary: TermSummary) -> None:
    previous = TermSummary(**{**_fields(summary), "children": summary.children - 7})  # type: ignore[arg-type]
    text = render_report(report_input(school, summary, previous=previous), lang="en")
    assert "Change since last term" in text
    assert "+7" in cells(text).cells
    first = render_report(report_input(school, summary), lang="en")
    assert "No figures of an earlier term to compare with." in first


def test_monthly_cadence_counts_within_the_term_up_to_the_day() -> None:
    months = monthly_cadence(
        [dt.date(2026, 9, 1), dt.date(2026, 9, 30), dt.date(2026, 12, 1), dt.date(2026, 8, 31)],
        [dt.date(2026, 9, 2), dt.date(2026, 10, 2), dt.date(2026, 11, 30)],
        TERM,
        dt.date(2026, 11, 29),
    )
    assert months == (
        MonthFigures("2026-09", 2, 1),
        MonthFigures("2026-10", 0, 1),
        MonthFigures("2026-11", 0, 0),
    )
    assert monthly_cadence([], [], TERM, dt.date(2026, 8, 1)) == ()
    across = monthly_cadence([], [], TERM, dt.date(2027, 3, 1))
    assert [m.month for m in across] == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]


# --------------------------------------------------------------------------- suppression


def _fields(s: TermSummary) -> dict[str, object]:
    return {a.name: getattr(s, a.name) for a in TermSummary.__attrs_attrs__}


small = st.integers(0, 12)


@st.composite
def summaries(draw: st.DrawFn) -> TermSummary:
    by_category = {c: draw(small) for c in Category}
    classes = draw(st.lists(st.sampled_from(["c1", "c2", "c3", ""]), unique=True, max_size=3))
    return TermSummary(
        school_id="S1",
        term_id=TERM.id,
        on=ON,
        children=sum(by_category.values()) + draw(small),
        by_category=by_category,
        by_class={k: {c: draw(small) for c in Category} for k in classes},
        pairs=draw(small),
        mentors=draw(small),
        volunteer_mentors=draw(small),
        held={k: draw(small) for k in ContactKind},
        planned={k: draw(small) for k in ContactKind},
        aid_decisions=draw(small),
        aid_eligible={"free tuition": draw(small), "living subsidy": draw(small)},
        aid_amount=Decimal(draw(st.integers(0, 10_000))),
        health_checks=draw(small),
        health_follow_ups=draw(small),
        activities={k: draw(small) for k in ActivityKind},
        participants=draw(small),
        incidents={k: draw(small) for k in IncidentKind},
        incidents_open=draw(small),
        findings_open={k: draw(small) for k in Severity},
        findings_closed=draw(st.none() | small),
    )


SCHOOL = School(id="S1", name="示例小学", county_code="422828")


@given(
    summaries(),
    st.none() | summaries(),
    st.lists(st.tuples(small, small), max_size=4),
    st.sampled_from(["zh", "en"]),
)
def test_a_report_leaving_the_school_never_shows_a_count_from_1_to_4(
    s: TermSummary, previous: TermSummary | None, months: list[tuple[int, int]], lang: str
) -> None:
    figures = tuple(MonthFigures(f"2026-{9 + i:02d}", h, p) for i, (h, p) in enumerate(months))
    text = render_report(
        ReportInput(SCHOOL, TERM, s, previous=previous, months=figures, leaves_school=True),
        lang=lang,
    )
    parsed = cells(text)
    # (a signed change between two counts that are both shown gives nothing away)
    for cell in parsed.cells:
        assert cell.strip() not in {"1", "2", "3", "4"}, cell
    assert parsed.svgs == 0  # a chart would show exact bar heights
    for m in re.finditer(r"<p>([^<]*)</p>", text):  # sentences with counts in them
        sentence = re.sub(r"[\d,]+ ?(元|yuan)", "", m.group(1))  # money is not a count
        for number in re.findall(r"(?<![\d-])\d+(?![\d-])", sentence):
            assert number not in {"1", "2", "3", "4"}, m.group(1)


def test_a_change_is_not_shown_beside_a_suppressed_count(
    school: synth.SyntheticSchool, summary: TermSummary
) -> None:
    figures = _fields(summary) | {"health_follow_ups": 0}
    now = TermSummary(**figures | {"pairs": 3, "health_checks": 12})  # type: ignore[arg-type]
    then = TermSummary(**figures | {"pairs": 9, "health_checks": 5})  # type: ignore[arg-type]
    text = render_report(
        ReportInput(school.school, TERM, now, previous=then, leaves_school=True), lang="en"
    )
    got = cells(text).cells
    row = got.index("Mentor pairs")
    assert got[row + 1 : row + 4] == [SUPPRESSED, "9", "-"]
    row = got.index("Health checks")
    assert got[row + 1 : row + 4] == ["12", "5", "+7"]


@given(summaries())
def test_a_report_kept_in_the_school_shows_every_count(s: TermSummary) -> None:
    text = render_report(ReportInput(SCHOOL, TERM, s), lang="en")
    assert SUPPRESSED not in html.unescape(text)
    assert str(s.children) in text


# --------------------------------------------------------------------------- browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


needs_chromium = pytest.mark.skipif(
    _chromium() is None and not os.environ.get("LIUSHOU_REQUIRE_CHROMIUM"),
    reason="Chromium is not installed (Debian package chromium); CI installs it",
)


def artifact_dir() -> Path:
    """Where tests leave files for people to look at (``LIUSHOU_ARTIFACTS``)."""
    path = Path(os.environ.get("LIUSHOU_ARTIFACTS", ROOT / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@needs_chromium
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_renders_in_headless_chromium(
    school: synth.SyntheticSchool, summary: TermSummary, tmp_path: Path, lang: str
) -> None:
    browser = _chromium()
    assert browser is not None, "LIUSHOU_REQUIRE_CHROMIUM is set but Chromium is missing"
    page = write_report(report_input(school, summary), tmp_path / "report.html", lang=lang)
    shot = artifact_dir() / f"report-{lang}.png"
    base = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    ).stdout
    subprocess.run(
        [*base, "--window-size=820,3000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
        env=env,
    )
    assert shot.stat().st_size > 10_000  # a page with text and charts, not a blank one
    shown = cells(dom).cells
    assert str(summary.by_category[Category.LEFT_BEHIND]) in shown
    assert str(summary.children) in dom
    title = "关爱留守儿童工作总结" if lang == "zh" else "work summary of the care programme"
    assert title in dom


def test_the_report_is_the_html_exporter_plugin(
    school: synth.SyntheticSchool, summary: TermSummary, tmp_path: Path
) -> None:
    from liushou_adapters.export import exporter

    html_exporter = exporter("html", lang="en")
    html_exporter.export([report_input(school, summary)], str(tmp_path / "r.html"))
    assert "1. Goals" in (tmp_path / "r.html").read_text(encoding="utf-8")
    with pytest.raises(TypeError, match="one ReportInput"):
        html_exporter.export([], str(tmp_path / "empty.html"))
