"""``liushou incident`` through the real entry point, on a temporary SQLite store."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli
from liushou_adapters.storage import open_store
from liushou_core.models import (
    Authority,
    AwayPeriod,
    Child,
    Contact,
    Guardian,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    Notice,
    Parent,
    ParentRole,
    Relationship,
    School,
    SchoolClass,
    Sex,
    StaffRole,
    Teacher,
)

ON = "2026-11-02"
UNMASKED = re.compile(r"(?<![0-9A-Za-z*])(1[3-9]\d{9})(?![0-9A-Za-z])")
SID = "S1"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=220)


def _store(path: Path) -> str:
    url = f"sqlite:///{path}"
    store = open_store(url)
    day = dt.date(2026, 11, 1)
    child = Child(
        "S1-c1",
        SID,
        "王小明",
        Sex.MALE,
        dt.date(2016, 5, 4),
        class_id="S1-k1",
        parents=(
            Parent(
                ParentRole.FATHER,
                "王建国",
                phone="13912345678",
                away=(AwayPeriod(dt.date(2020, 2, 1), None, "广东省", "东莞市"),),
            ),
        ),
        guardians=(Guardian("王德福", Relationship.PATERNAL_GRANDFATHER, phone="13712345678"),),
        emergency_contacts=(Contact("李秀英", "13612345678", "母亲"),),
        village_committee=Contact("张主任", "13512345678", "村委会主任"),
    )
    harm = Incident(
        "S1-i1",
        SID,
        IncidentKind.SUSPECTED_HARM,
        day,
        (child.id,),
        (
            IncidentStep(
                IncidentState.REPORTED, dt.datetime(2026, 11, 1, 9), "", (Authority.POLICE,)
            ),
        ),
    )
    try:
        with store.unit_of_work("test") as uow:
            uow.add(School(SID, "清溪中心小学", "431121", "城关镇", principal_id="S1-t0"))
            uow.add(SchoolClass("S1-k1", SID, 3, "3年级1班", class_teacher_id="S1-t1"))
            uow.add(
                Teacher(
                    "S1-t0", SID, "李校长", Sex.MALE, "13812340000", roles=(StaffRole.PRINCIPAL,)
                )
            )
            uow.add(Teacher("S1-t1", SID, "刘老师", Sex.FEMALE, "13812345678"))
            uow.add(child)
            uow.add(harm)
            uow.add(Incident("S1-i2", SID, IncidentKind.INJURY, day, (child.id,)))
            uow.commit()
    finally:
        store.close()
    return url


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return _store(tmp_path / "incident.db")


def test_calls_lists_the_chain_in_order_with_masked_phones(store_url: str, tmp_path: Path) -> None:
    result = run("--store", store_url, "--on", ON, "incident", "calls", "--school", SID,
                 "--incident", "S1-i1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stderr  # the education authority is not told yet
    out = result.stdout
    assert not UNMASKED.search(out)
    assert "138****5678" in out  # the class teacher, masked
    assert "110" in out  # the police first for suspected harm, a public number
    assert out.index("110") < out.index("刘老师") < out.index("王德福") < out.index("王建国")
    assert "张主任" in out
    assert "已脱敏" in out  # says why the phones are masked
    assert "教育行政部门" in out  # the missing mandatory report
    english = run("--store", store_url, "--lang", "en", "--on", ON, "incident", "calls",
                  "--school", SID, "--incident", "S1-i2", cwd=tmp_path)  # fmt: skip
    assert english.returncode == 0, english.stderr
    assert "who to call, in order" in english.stdout
    assert english.stdout.index("刘老师") < english.stdout.index("110")  # an injury: chain order
    assert "masked" in english.stdout


def test_advance_records_the_step_audits_it_and_queues_notices(
    store_url: str, tmp_path: Path
) -> None:
    result = run("--store", store_url, "--lang", "en", "--on", ON, "incident", "advance",
                 "--school", SID, "--incident", "S1-i1", "--state", "referred",
                 "--reported-to", "education", "--at", "2026-11-01 10:30",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "is now referred (at 2026-11-01 10:30)" in result.stdout
    store = open_store(store_url)
    try:
        with store.unit_of_work("test", readonly=True) as uow:
            stored = uow.get(Incident, SID, "S1-i1")
            notices = uow.list(Notice, SID)
        trail = store.audit_trail(school_id=SID, kind=Incident, record_id="S1-i1")
    finally:
        store.close()
    assert stored.state is IncidentState.REFERRED
    assert stored.steps[-1].reported_to == (Authority.EDUCATION,)
    assert [e.action for e in trail] == ["add", "update"]
    assert trail[-1].actor == "liushou incident"
    assert {n.event_kind for n in notices} == {"incident.advanced"}
    assert {n.person_id for n in notices} == {"S1-t0", "S1-t1"}
    again = run("--store", store_url, "--on", ON, "incident", "advance", "--school", SID,
                "--incident", "S1-i1", "--state", "closed", cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "现为“已办结”" in again.stdout


def test_a_missing_report_exits_1_with_an_urgent_notice(store_url: str, tmp_path: Path) -> None:
    result = run("--store", store_url, "--on", ON, "incident", "advance", "--school", SID,
                 "--incident", "S1-i1", "--state", "followed-up", "--at", "2026-11-02 08:00",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "强制报告" in result.stdout
    store = open_store(store_url)
    try:
        with store.unit_of_work("test", readonly=True) as uow:
            notices = uow.list(Notice, SID)
    finally:
        store.close()
    urgent = [n for n in notices if n.event_kind == "incident.reported"]
    assert {n.urgency.value for n in urgent} == {"urgent"}
    assert not any(UNMASKED.search(n.body) for n in notices)


def test_going_back_is_bad_input(store_url: str, tmp_path: Path) -> None:
    closed = run("--store", store_url, "--on", ON, "incident", "advance", "--school", SID,
                 "--incident", "S1-i2", "--state", "closed", "--at", "2026-11-01 12:00",
                 cwd=tmp_path)  # fmt: skip
    assert closed.returncode == 0, closed.stderr
    back = run("--store", store_url, "--on", ON, "incident", "advance", "--school", SID,
               "--incident", "S1-i2", "--state", "reported", cwd=tmp_path)  # fmt: skip
    assert back.returncode == 2
    assert "closed" in back.stderr
    assert "Traceback" not in back.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("calls", "--school", "S9", "--incident", "S1-i1"), "school S9"),
        (("calls", "--school", SID, "--incident", "nope"), "incident nope"),
        (("advance", "--school", SID, "--incident", "S1-i1", "--state", "done"), "--state"),
        (
            ("advance", "--school", SID, "--incident", "S1-i1", "--state", "closed", "--at", "x"),
            "--at",
        ),
    ],
)
def test_bad_input_exits_2(
    store_url: str, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    result = run("--store", store_url, "--on", ON, "incident", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_help(tmp_path: Path) -> None:
    for args in (("incident", "--help"), ("incident", "calls", "--help"),
                 ("incident", "advance", "--help")):  # fmt: skip
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 0
        assert "Example" in result.stdout
    missing = run("--store", f"sqlite:///{tmp_path / 'none.db'}", "incident", "calls",
                  "--school", SID, "--incident", "x", cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 2
