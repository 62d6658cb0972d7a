"""Checks contributed by plugins through ``liushou_checks``, end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pluggy
import pytest
from hypothesis import given, settings

from liushou_core import hookimpl, plugins
from liushou_core.checks import (
    BUILTIN_CHECKS,
    Check,
    CheckContext,
    CheckError,
    SchoolRecords,
    collect_checks,
    run_checks,
)
from liushou_core.i18n import N_
from liushou_core.models import Finding, Severity
from liushou_core.testing.checks import complete_records

ON = dt.date(2026, 11, 2)


def boarders_need_a_dorm_contact(ctx: CheckContext) -> Iterator[Finding]:
    """A school's own rule: a boarder's contact card names a dormitory teacher."""
    for c in ctx.records.children:
        if c.boarding and not any(x.relationship == "宿管老师" for x in c.emergency_contacts):
            yield ctx.about_child(
                c,
                "DORM_CONTACT",
                Severity.WARNING,
                N_("Archive (survey form)"),
                N_("Contact card"),
            )


def broken(ctx: CheckContext) -> Iterator[Finding]:
    raise RuntimeError("county rule broke on 13812345678")


class SchoolPlugin:
    def __init__(self, *checks: object) -> None:
        self.checks = checks

    @hookimpl
    def liushou_checks(self) -> list[object]:
        return list(self.checks)


DORM = Check("dorm", N_("Contact card"), boarders_need_a_dorm_contact, "school rule 2026-3")


def manager(*plugin: tuple[str, object]) -> pluggy.PluginManager:
    return plugins.plugin_manager(entry_points=False, plugins=plugin, disabled=())


@settings(max_examples=5, deadline=None)
@given(built=complete_records(on=ON))
def test_a_contributed_check_runs_beside_the_built_in_ones(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    pm = manager(("school", SchoolPlugin(DORM)))
    assert collect_checks(pm) == (*BUILTIN_CHECKS, DORM)
    found = run_checks(records, on=on, pm=pm)
    boarders = sorted(c.id for c in records.children if c.boarding)
    assert [f.subject.id for f in found if f.code == "DORM_CONTACT"] == boarders
    assert {f.code for f in found} <= {"DORM_CONTACT"}
    assert run_checks(records, on=on) == []  # without the plugin manager: built-ins only


@settings(max_examples=3, deadline=None)
@given(built=complete_records(on=ON))
def test_a_failing_check_is_reported_and_the_others_still_run(
    built: tuple[SchoolRecords, dt.date],
) -> None:
    records, on = built
    pm = manager(
        ("county", SchoolPlugin(Check("county", "x", broken))), ("school", SchoolPlugin(DORM))
    )
    found = run_checks(records, on=on, pm=pm)
    [failed] = [f for f in found if f.code == "CHECK_FAILED"]
    assert failed.severity is Severity.ERROR
    text = failed.message.render("en")
    assert "county" in text
    assert "RuntimeError" in text
    assert "13812345678" not in text  # masked
    assert failed.fix is not None


def test_only_checks_may_be_contributed() -> None:
    pm = manager(("school", SchoolPlugin("archive-photo")))
    with pytest.raises(CheckError, match=r"liushou_core\.checks\.Check"):
        collect_checks(pm)


def test_check_codes_are_unique() -> None:
    again = Check("archive", "x", boarders_need_a_dorm_contact)
    with pytest.raises(CheckError, match="'archive'"):
        collect_checks(manager(("school", SchoolPlugin(again))))
    twice = manager(("a", SchoolPlugin(DORM)), ("b", SchoolPlugin(DORM)))
    with pytest.raises(CheckError, match="'dorm'"):
        collect_checks(twice)


def test_a_blocked_plugin_contributes_nothing() -> None:
    pm = plugins.plugin_manager(
        entry_points=False, plugins=[("school", SchoolPlugin(DORM))], disabled=["school"]
    )
    assert collect_checks(pm) == BUILTIN_CHECKS
