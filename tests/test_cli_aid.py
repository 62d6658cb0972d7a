"""``liushou aid`` through its real entry point in a subprocess, on a temporary SQLite store."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from cli_run import run_cli
from liushou_adapters.storage import open_store
from liushou_core import aid
from liushou_core.models import AidDecision, Child, Household

ON = "2026-10-08"
T = TypeVar("T")
UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=env, columns=200)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one synthetic school (made by ``liushou demo``)."""
    where = tmp_path_factory.mktemp("aid-store")
    result = run("--store", "sqlite:///liushou.db", "--on", ON, "demo", "--out", "out", cwd=where)
    assert result.returncode == 0, result.stderr
    return where / "liushou.db"


def records(db: Path, cls: type[T]) -> list[T]:
    """Every stored record of ``cls``, read through the store (which decrypts them)."""
    store = open_store(f"sqlite:///{db}")
    try:
        with store.unit_of_work("test", readonly=True) as uow:
            return [r for s in uow.schools() for r in uow.list(cls, s.id)]
    finally:
        store.close()


def test_help_has_an_example(tmp_path: Path) -> None:
    result = run("aid", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: liushou aid" in result.stdout
    assert "Example" in result.stdout
    assert "--save" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_totals_per_school_agree_with_the_rules(store: Path, tmp_path: Path) -> None:
    stored_before = records(store, AidDecision)  # the demo's own assessment
    result = run("--store", f"sqlite:///{store}", "--on", ON, "--lang", "en", "aid", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    children = records(store, Child)
    households = records(store, Household)
    decisions = aid.assess_many(children, households, on=dt.date.fromisoformat(ON))
    cash = sum((d.total for d in decisions), Decimal(0))
    meals = sum((d.in_kind_total for d in decisions), Decimal(0))
    living = sum(1 for d in decisions if d.scheme(aid.LIVING_SUBSIDY).eligible)  # type: ignore[union-attr]
    assert f"{len(children)} pupils" in out
    assert f"{cash:,.2f}" in out
    assert f"{meals:,.2f}" in out
    assert cash > 0  # the synthetic school has pupils of poor families
    row = next(line for line in out.splitlines() if f"{cash:,.2f}" in line)
    assert re.search(rf"\b{living}\b", row)
    assert "living subsidy" in out
    # nothing is written without --save
    assert records(store, AidDecision) == stored_before


def test_chinese_by_default_with_details_and_reasons(store: Path, tmp_path: Path) -> None:
    result = run("--store", f"sqlite:///{store}", "--on", ON, "aid", "--details", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "寄宿生生活补助" in out
    assert "营养膳食补助" in out
    assert "属于义务教育" in out
    assert "未存档" in out  # missing evidence is listed
    assert not UNMASKED.search(out)


def test_save_stores_decisions_and_reassessment_reports_changes(
    store: Path, tmp_path: Path
) -> None:
    db = tmp_path / "copy.db"
    src = sqlite3.connect(store)
    dst = sqlite3.connect(db)
    src.backup(dst)
    src.close()
    # the demo assessed aid too: start from a school without decisions
    dst.execute("DELETE FROM records WHERE kind = 'aid_decision'")
    dst.commit()
    dst.close()
    key = store.with_name(store.name + ".key")
    if key.exists():  # the store encrypts sensitive fields with this key
        shutil.copy(key, db.with_name(db.name + ".key"))
    url = f"sqlite:///{db}"
    # an observer plugin, registered through a throwaway entry point, records the events
    site = tmp_path / "site"
    (site / "aid_observer-0.dist-info").mkdir(parents=True)
    (site / "aid_observer-0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: aid-observer\nVersion: 0\n"
    )
    (site / "aid_observer-0.dist-info" / "entry_points.txt").write_text(
        "[liushou]\naid-observer = aid_observer\n"
    )
    log = tmp_path / "events.jsonl"
    (site / "aid_observer.py").write_text(
        textwrap.dedent(
            f"""
            import json
            from decimal import Decimal

            import attrs

            from liushou_core import aid, hookimpl
            from liushou_core.i18n import Message
            from liushou_core.models import Criterion, HouseholdCategory

            @attrs.frozen
            class CountyRelief:
                code: str = "county hardship relief"

                def assess(self, case):
                    hit = HouseholdCategory.SUDDEN_HARDSHIP in case.categories
                    msg = Message("COUNTY", "Sudden hardship in the family.")
                    return aid.decide(self.code, [Criterion("SUDDEN", hit, msg)], Decimal(600))

            @hookimpl
            def liushou_aid_schemes():
                return [CountyRelief()]

            @hookimpl
            def liushou_on_event(event):
                with open({str(log)!r}, "a", encoding="utf-8") as fp:
                    fp.write(json.dumps([event.kind, event.subject_kind, dict(event.data)]) + "\\n")
            """
        )
    )
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}

    first = run("--store", url, "--on", ON, "--lang", "en", "aid", "--save", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    saved = records(db, AidDecision)
    n_children = len(records(db, Child))
    assert len(saved) == n_children
    assert all(d.on == dt.date.fromisoformat(ON) for d in saved)
    assert "Stored" in first.stderr
    assert "county hardship relief" in first.stdout  # the county plugin's scheme
    assert all(d.scheme("county hardship relief") is not None for d in saved)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(events) == n_children  # every first decision is new
    assert {e[0] for e in events} == {"record.added"}

    # the same day again: nothing changes, nothing is told
    log.unlink()
    again = run("--store", url, "--on", ON, "--lang", "en", "aid", "--save", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "Changed outcomes since the previous decisions: 0" in again.stdout
    assert not log.exists()
    assert len(records(db, AidDecision)) == n_children

    # the next school year: earlier identifications are out of date, outcomes change
    later = "2027-09-02"
    third = run(
        "--store", url, "--on", later, "--lang", "en", "aid", "--save", cwd=tmp_path, env=env
    )
    assert third.returncode == 0, third.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert events
    assert {e[0] for e in events} == {"record.updated"}
    assert all(e[1] == "aid_decision" for e in events)
    assert all(e[2]["change"] in third.stdout for e in events)
    assert len(records(db, AidDecision)) == 2 * n_children


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["aid", "--school", "no-such-school"], "--school"),
        (["--on", "2026-13-01", "aid"], "not a date"),
    ],
)
def test_bad_input_exits_2(store: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = run("--store", f"sqlite:///{store}", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_store_exits_2(tmp_path: Path) -> None:
    result = run("--store", f"sqlite:///{tmp_path / 'none.db'}", "aid", cwd=tmp_path)
    assert result.returncode == 2
    assert "not found" in result.stderr
    assert not (tmp_path / "none.db").exists()
