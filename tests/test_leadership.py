"""The leading group and the work plan: measures' status, the checks, the summary, the report."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_adapters.export.report import ReportInput, render_report
from liushou_core.checks import BUILTIN_CHECKS, SchoolRecords, run_checks
from liushou_core.convert import structure, unstructure
from liushou_core.leadership import (
    MeasureStatus,
    measure_status,
    plan_progress,
    principal_ids,
)
from liushou_core.models import (
    GroupMember,
    LeadingGroup,
    Measure,
    School,
    Sex,
    StaffRole,
    Subject,
    Teacher,
    WorkPlan,
)
from liushou_core.school_calendar import term_on
from liushou_core.summary import term_summary
from liushou_core.testing import strategies as lst
from liushou_core.testing.checks import complete_records

ON = dt.date(2026, 11, 2)
TERM = term_on(ON)
DAY = dt.timedelta(days=1)


def codes(records: SchoolRecords, on: dt.date) -> list[str]:
    return [f.code for f in run_checks(records, on=on)]


def school_records(**changes: object) -> SchoolRecords:
    school = School("S1", "清溪中心小学", "431121", "城关镇", principal_id="S1-t0")
    teachers = (
        Teacher("S1-t0", "S1", "李校长", Sex.MALE, roles=(StaffRole.PRINCIPAL,)),
        Teacher("S1-t1", "S1", "王老师", Sex.FEMALE),
    )
    group = LeadingGroup("S1-lg", "S1", TERM.id, "S1-t0", TERM.first_day, (GroupMember("S1-t1"),))
    plan = WorkPlan(
        "S1-wp",
        "S1",
        TERM.id,
        TERM.first_day,
        (
            Measure("建立档案", "S1-t1", ON - 30 * DAY, ON - 31 * DAY),
            Measure("召开座谈会", "S1-t1", ON + 10 * DAY),
        ),
    )
    base = SchoolRecords(
        school=school,
        term=TERM,
        teachers=teachers,
        leading_groups=(group,),
        work_plans=(plan,),
    )
    return attrs.evolve(base, **changes)


# --------------------------------------------------------------------------- measures


@given(lst.measures(), lst.dates())
def test_each_measure_has_exactly_one_status_with_its_reason(measure: Measure, on: dt.date) -> None:
    outcome = measure_status(measure, on=on)
    done = measure.done_on is not None and measure.done_on <= on
    assert (outcome.status is MeasureStatus.DONE) == done
    assert (outcome.status is MeasureStatus.OVERDUE) == (not done and on > measure.due)
    for lang in ("zh", "en"):
        text = outcome.explain(lang)
        assert measure.text in text
        assert "{" not in text


@given(lst.work_plans(), lst.dates())
def test_progress_counts_add_up(plan: WorkPlan, on: dt.date) -> None:
    progress = plan_progress(plan, on=on)
    assert progress.done + progress.not_done + progress.overdue == len(plan.measures)
    assert len(progress.explain("en")) == len(plan.measures)


@given(lst.measures(), lst.dates())
def test_a_measure_never_becomes_undone_as_days_pass(measure: Measure, on: dt.date) -> None:
    later = measure_status(measure, on=on + 30 * DAY).status
    if measure_status(measure, on=on).status is MeasureStatus.DONE:
        assert later is MeasureStatus.DONE
    if measure_status(measure, on=on).status is MeasureStatus.OVERDUE:
        assert later is MeasureStatus.OVERDUE


def test_status_on_the_due_day_and_after() -> None:
    m = Measure("家访", "王老师", dt.date(2026, 10, 1))
    assert measure_status(m, on=dt.date(2026, 10, 1)).status is MeasureStatus.NOT_DONE
    late = measure_status(m, on=dt.date(2026, 10, 4))
    assert late.status is MeasureStatus.OVERDUE
    assert late.explain("en") == "家访 (王老师) was due on 2026-10-01 and is 3 day(s) overdue."
    assert "逾期3天" in late.explain("zh")
    done_late = attrs.evolve(m, done_on=dt.date(2026, 10, 3))
    assert "2 day(s) after" in measure_status(done_late, on=dt.date(2026, 10, 5)).explain("en")
    # done after the day asked about: not done yet on that day
    assert measure_status(done_late, on=dt.date(2026, 10, 2)).status is MeasureStatus.OVERDUE


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize("cls", [LeadingGroup, WorkPlan, Measure, GroupMember])
@given(data=st.data())
def test_round_trip(cls: type, data: st.DataObject) -> None:
    value = data.draw(lst.from_model(cls))
    assert structure(unstructure(value), cls) == value


# --------------------------------------------------------------------------- checks


def test_the_checks_are_built_in() -> None:
    assert {"leading_group", "work_plan"} <= {c.code for c in BUILTIN_CHECKS}


def test_a_complete_group_and_plan_raise_nothing() -> None:
    assert not {c for c in codes(school_records(), ON) if c.startswith(("LEADING", "PLAN"))}


def test_group_missing_only_after_the_grace_days() -> None:
    records = school_records(leading_groups=())
    assert "LEADING_GROUP_MISSING" in codes(records, ON)
    assert "LEADING_GROUP_MISSING" not in codes(records, TERM.first_day + 5 * DAY)


def test_the_principal_must_head_the_group() -> None:
    group = LeadingGroup("S1-lg", "S1", TERM.id, "S1-t1", TERM.first_day)
    found = list(run_checks(school_records(leading_groups=(group,)), on=ON))
    head = [f for f in found if f.code == "LEADING_GROUP_HEAD"]
    assert len(head) == 1
    assert head[0].subject == Subject("leading_group", "S1-lg")
    assert "王老师" in head[0].message.render("zh")
    # a school without principal_id: the staff with the principal's role heads it
    no_id = attrs.evolve(school_records().school, principal_id=None)
    assert principal_ids(no_id, school_records().teachers) == {"S1-t0"}
    assert "LEADING_GROUP_HEAD" not in codes(school_records(school=no_id), ON)


def test_a_group_of_another_term_does_not_count() -> None:
    other = LeadingGroup("S1-lg0", "S1", "2025-autumn", "S1-t0", dt.date(2025, 9, 1))
    assert "LEADING_GROUP_MISSING" in codes(school_records(leading_groups=(other,)), ON)


def test_plan_missing_and_overdue_measures() -> None:
    assert "PLAN_MISSING" in codes(school_records(work_plans=()), ON)
    plan = school_records().work_plans[0]
    late = attrs.evolve(
        plan,
        measures=(
            Measure("建立档案", "S1-t1", ON - 3 * DAY),
            Measure("签订责任书", "王校长", ON - 2 * DAY),
            *plan.measures,
        ),
    )
    found = list(run_checks(school_records(work_plans=(late,)), on=ON))
    overdue = [f for f in found if f.code == "PLAN_MEASURE_OVERDUE"]
    assert [f.subject.id for f in overdue] == ["S1-wp/1", "S1-wp/2"]
    assert "王老师" in overdue[0].message.render("zh")  # the owner by name
    assert "王校长" in overdue[1].fix.render("en")  # type: ignore[union-attr]


@given(built=complete_records())
def test_removing_the_group_or_plan_yields_exactly_its_finding(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    due = (on - records.term.first_day).days >= 30
    assert codes(attrs.evolve(records, leading_groups=()), on) == (
        ["LEADING_GROUP_MISSING"] if due else []
    )
    assert codes(attrs.evolve(records, work_plans=()), on) == (["PLAN_MISSING"] if due else [])


# --------------------------------------------------------------------------- summary, report


def test_the_summary_counts_the_measures() -> None:
    plan = school_records().work_plans[0]
    more = attrs.evolve(plan, measures=(*plan.measures, Measure("家访", "S1-t1", ON - DAY)))
    s = term_summary(school_records(work_plans=(more,)), on=ON)
    assert (s.measures_done, s.measures_not_done, s.measures_overdue) == (1, 1, 1)
    figures = s.figures()
    assert figures["measures.done"] == 1
    assert figures["measures.overdue"] == 1
    assert set(s.suppressed()) == set(figures)


def test_the_report_has_a_line_on_the_plan() -> None:
    records = school_records()
    s = term_summary(records, on=ON)
    data = ReportInput(school=records.school, term=TERM, summary=s)
    zh = render_report(data, lang="zh")
    en = render_report(data, lang="en")
    assert "领导小组与工作计划" in zh
    assert "已完成 1 项措施" in zh
    assert "Work plan: 1 measures done, 1 not yet due, 0 overdue." in en
