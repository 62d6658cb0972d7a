"""Retention and purge: the service on every store, the raw bytes after it, the command."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_adapters.storage import open_store
from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core import synth
from liushou_core.errors import NotFound
from liushou_core.models import (
    Child,
    Consent,
    ContactEvent,
    ContactKind,
    DiaryEntry,
    HealthCheck,
    Incident,
    IncidentKind,
    Pairing,
    Relationship,
    Teacher,
)
from liushou_core.ports import RECORD_KINDS, Store, UnitOfWork
from liushou_core.privacy import (
    ERASED,
    PURGED_PURPOSE,
    SYSTEM,
    Actor,
    FieldAccessDenied,
    PurgeBasis,
    Role,
    retention_status,
)
from liushou_core.services import (
    PurgeNotDue,
    load_school,
    purge_child,
    read_child,
)

LEFT = dt.date(2025, 1, 15)  # the last pairing ended
ON = dt.date(2026, 2, 1)  # more than a year later: due
EARLY = dt.date(2025, 6, 1)  # not yet due
SCHOOL = synth.school(seed=7, children=12)
SID = SCHOOL.school.id


def target() -> Child:
    """A child with an ID number whose name no other record of the school carries."""
    names = [c.name for c in SCHOOL.children]
    return next(c for c in SCHOOL.children if c.id_number and names.count(c.name) == 1)


def other() -> Child:
    return next(c for c in SCHOOL.children if c.id != target().id)


def populate(store: Store) -> Child:
    """The school, and around the target child every kind of record that concerns it."""
    load_school(store, SYSTEM, SCHOOL)
    child, peer = target(), other()
    teacher = SCHOOL.teachers[0]
    with store.unit_of_work("tester", purpose="set-up") as uow:
        uow.add_all(
            [
                Pairing(
                    "P1", SID, "T2024", child.id, teacher.id, start=dt.date(2024, 9, 1), end=LEFT
                ),
                DiaryEntry(
                    "D1",
                    SID,
                    child.id,
                    teacher.id,
                    dt.date(2024, 10, 1),
                    text=f"{child.name}很开心",
                ),
                HealthCheck("H1", SID, child.id, dt.date(2024, 10, 9), findings="龋齿"),
                Consent(
                    "K1",
                    SID,
                    child.id,
                    "李桂兰",
                    Relationship.MATERNAL_GRANDMOTHER,
                    dt.date(2024, 9, 1),
                    notice_version="2024-1",
                ),
                ContactEvent(
                    "E1",
                    SID,
                    ContactKind.HOME_VISIT,
                    dt.date(2024, 10, 2),
                    child_ids=(child.id,),
                    summary="家访",
                ),
                ContactEvent(
                    "E2",
                    SID,
                    ContactKind.MEETING,
                    dt.date(2024, 10, 3),
                    child_ids=(child.id, peer.id),
                    summary=f"{child.name}和{peer.name}一起谈心",
                ),
                Incident(
                    "I1",
                    SID,
                    IncidentKind.SUSPECTED_HARM,
                    dt.date(2024, 11, 1),
                    child_ids=(child.id, peer.id),
                    summary=f"{child.name}受欺负",
                ),
            ]
        )
        t = uow.get(Teacher, SID, teacher.id)
        uow.update(attrs.evolve(t, related_child_ids=(*t.related_child_ids, child.id)))
        uow.commit()
    why = f"给{child.name}的外婆打电话"
    principal = Actor(Role.PRINCIPAL, "P-1", schools=(SID,), purpose=why)
    read_child(store, principal, SID, child.id, on=dt.date(2024, 12, 1))
    return child


PRINCIPAL = Actor(Role.PRINCIPAL, "P-1", schools=(SID,))


def raw(path: Path) -> bytes:
    out = b""
    for suffix in ("", "-wal", "-journal"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            out += p.read_bytes()
    return out


def secrets(child: Child) -> list[bytes]:
    return [child.name.encode(), str(child.id_number).encode()]


# ----------------------------------------------------------------------------- SQLite bytes


def test_after_a_purge_the_sqlite_file_holds_neither_name_nor_id_number(tmp_path: Path) -> None:
    db = tmp_path / "liushou.db"
    store = SqliteStore(db)
    child = populate(store)
    assert child.name.encode() in raw(db)  # before: the name is there (not vacuous)
    result = purge_child(store, PRINCIPAL, SID, child.id, on=ON, dry_run=False)
    assert result.erased is True
    data = raw(db)  # still open: the -wal file exists (emptied by the checkpoint)
    assert Path(f"{db}-wal").exists()
    for secret in secrets(child):
        assert secret not in data
    store.close()
    for secret in secrets(child):
        assert secret not in raw(db)
    # the tombstones: delete entries, no name, no number
    with SqliteStore(db) as again:
        trail = again.audit_trail(school_id=SID, kind=Child, record_id=child.id)
        assert [e.action for e in trail] == ["add", "read", "delete"]
        assert trail[-1].purpose == f"purge: {PurgeBasis.RETENTION_ENDED.value}"
        assert {e.purpose for e in trail[:-1]} == {PURGED_PURPOSE}


def test_a_purge_without_erasing_still_leaves_no_bytes_after_close(tmp_path: Path) -> None:
    """secure_delete alone overwrites the deleted cells; closing checkpoints the WAL."""
    db = tmp_path / "liushou.db"
    with SqliteStore(db) as store:
        child = populate(store)
        purge_child(store, PRINCIPAL, SID, child.id, on=ON, dry_run=False, erase=False)
    for secret in secrets(child):
        assert secret not in raw(db)


# ----------------------------------------------------------------------------- the service


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store = (
        open_store("memory://") if request.param == "memory" else SqliteStore(tmp_path / "x.db")
    )
    yield s
    s.close()


def everything(store: Store) -> dict[tuple[str, str], object]:
    with store.unit_of_work("tester", readonly=True) as uow:
        return {
            (kind, r.id): r  # type: ignore[attr-defined]
            for kind, cls in RECORD_KINDS.items()
            if kind != "school"
            for r in uow.list(cls, SID)
        }


def test_the_purge_removes_every_record_of_the_child_and_keeps_the_others(store: Store) -> None:
    child = populate(store)
    before = everything(store)
    result = purge_child(store, PRINCIPAL, SID, child.id, on=ON, dry_run=False)
    after = everything(store)
    own = {
        ("child", child.id),
        ("pairing", "P1"),
        ("diary_entry", "D1"),
        ("health_check", "H1"),
        ("consent", "K1"),
        ("contact_event", "E1"),
    }
    household = ("household", str(child.household_id))
    if child.household_id is not None and household not in after:  # no sibling shares it
        own.add(household)
    assert set(result.plan.delete) == own
    assert set(result.plan.scrub) == {
        ("contact_event", "E2"),
        ("incident", "I1"),
        ("teacher", SCHOOL.teachers[0].id),
    }
    for key in result.plan.delete:
        assert key not in after
    for key, record in after.items():
        text = repr(record)
        assert child.id not in text, key
        assert child.name not in text, key
    assert ERASED in after[("contact_event", "E2")].summary  # type: ignore[attr-defined]
    untouched = set(before) - set(result.plan.delete) - set(result.plan.scrub)
    for key in untouched:
        assert after[key] == before[key]


def test_a_dry_run_changes_nothing_and_says_what_would_go(store: Store) -> None:
    child = populate(store)
    before, trail = everything(store), store.audit_trail()
    result = purge_child(store, PRINCIPAL, SID, child.id, on=ON)
    assert result.dry_run
    assert ("child", child.id) in result.plan.delete
    assert result.plan.audit_entries >= 2
    assert everything(store) == before
    assert store.audit_trail() == trail


def test_a_purge_before_the_retention_period_ends_is_refused(store: Store) -> None:
    child = populate(store)
    before = everything(store)
    with pytest.raises(PurgeNotDue) as refused:
        purge_child(store, PRINCIPAL, SID, child.id, on=EARLY, dry_run=False)
    assert refused.value.render("zh")[0] == f"{child.id}的个人信息尚未到清除时间。"
    assert everything(store) == before
    done = purge_child(store, PRINCIPAL, SID, child.id, on=EARLY, dry_run=False, force=True)
    assert done.plan.basis is PurgeBasis.ORDERED
    deletes = store.audit_trail(school_id=SID, kind=Child, record_id=child.id, action="delete")
    assert [e.purpose for e in deletes] == [f"purge: {PurgeBasis.ORDERED.value}"]


@pytest.mark.parametrize(
    "actor",
    [
        Actor(Role.MENTOR, "T1", schools=(SID,)),
        Actor(Role.DISTRICT_OFFICER, "D1", purpose="review"),
        Actor(Role.PRINCIPAL, "P-2", schools=("other",)),
    ],
    ids=["mentor", "district", "other-school"],
)
def test_only_a_principal_of_the_school_or_the_system_may_purge(store: Store, actor: Actor) -> None:
    child = populate(store)
    before = everything(store)
    with pytest.raises(FieldAccessDenied):
        purge_child(store, actor, SID, child.id, on=ON, dry_run=False)
    assert everything(store) == before


def test_a_purger_extends_the_purge_to_data_outside_the_records(store: Store) -> None:
    """The hook point for an outbox or an exports cache kept elsewhere."""
    child = populate(store)
    cache = {child.id: ["report.xlsx"], other().id: ["other.xlsx"]}
    calls: list[bool] = []

    def exports_cache(uow: UnitOfWork, purged: Child, dry_run: bool) -> int:
        calls.append(dry_run)
        files = cache.get(purged.id, [])
        if not dry_run:
            cache.pop(purged.id, None)
        return len(files)

    plan = purge_child(store, PRINCIPAL, SID, child.id, on=ON, purgers={"exports": exports_cache})
    assert plan.plan.extensions == {"exports": 1}
    assert child.id in cache
    done = purge_child(
        store, PRINCIPAL, SID, child.id, on=ON, dry_run=False, purgers={"exports": exports_cache}
    )
    assert done.plan.extensions == {"exports": 1}
    assert child.id not in cache
    assert other().id in cache
    assert calls == [True, True, False]


def test_a_failing_purger_stops_the_purge_and_nothing_is_written(store: Store) -> None:
    child = populate(store)
    before, trail = everything(store), store.audit_trail()

    def broken(uow: UnitOfWork, purged: Child, dry_run: bool) -> int:
        if not dry_run:
            raise OSError("disk full")
        return 0

    with pytest.raises(OSError, match="disk full"):
        purge_child(store, PRINCIPAL, SID, child.id, on=ON, dry_run=False, purgers={"x": broken})
    assert everything(store) == before
    assert store.audit_trail() == trail


def test_an_unknown_child_is_not_found(store: Store) -> None:
    populate(store)
    with pytest.raises(NotFound):
        purge_child(store, SYSTEM, SID, "nobody", on=ON, dry_run=False)


@settings(max_examples=8, deadline=None)
@given(pick=st.integers(0, 11), on=st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)))
def test_property_a_purge_leaves_no_record_naming_the_child(pick: int, on: dt.date) -> None:
    """For any child and day (forced when not due), after the purge no stored record
    names the child by id, and every record of the other children is as it was."""
    store = open_store("memory://")
    load_school(store, SYSTEM, SCHOOL)
    child = SCHOOL.children[pick]
    before = everything(store)
    result = purge_child(store, SYSTEM, SID, child.id, on=on, dry_run=False, force=True)
    after = everything(store)
    assert all(child.id not in repr(r) for r in after.values())
    changed = {k for k in before if k in after and before[k] != after[k]}
    assert changed <= set(result.plan.scrub)
    assert set(before) - set(after) == set(result.plan.delete)


# ----------------------------------------------------------------------------- retention


@given(
    left=st.dates(dt.date(2022, 1, 1), dt.date(2030, 12, 31)),
    on=st.dates(dt.date(2022, 1, 1), dt.date(2032, 12, 31)),
)
def test_property_due_exactly_from_one_year_after_leaving(left: dt.date, on: dt.date) -> None:
    status = retention_status(target(), left_on=left, on=on)
    purge_from = status.purge_from
    assert purge_from is not None
    assert (purge_from.year - left.year, purge_from.month) == (1, left.month)
    assert status.due == (on >= purge_from)


def test_a_child_still_paired_is_kept_and_withdrawal_makes_it_due() -> None:
    child = target()
    open_pairing = Pairing("P1", SID, "T", child.id, "t1", start=dt.date(2024, 9, 1))
    status = retention_status(child, pairings=[open_pairing], on=ON)
    assert not status.due
    assert status.render("en") == [f"{child.id} is still in the programme: the data is kept."]
    withdrawn = Consent(
        "K1",
        SID,
        child.id,
        "李桂兰",
        Relationship.MATERNAL_GRANDMOTHER,
        dt.date(2024, 9, 1),
        withdrawn_on=dt.date(2025, 12, 1),
    )
    status = retention_status(child, pairings=[open_pairing], consents=[withdrawn], on=ON)
    assert status.due
    assert status.basis is PurgeBasis.CONSENT_WITHDRAWN
    assert status.purge_from == dt.date(2025, 12, 31)


# ----------------------------------------------------------------------------- PostgreSQL


def pg_dump(url: str) -> bytes:
    candidates = [shutil.which("pg_dump"), "/usr/lib/postgresql/15/bin/pg_dump"]
    exe = next((c for c in candidates if c and os.path.exists(c)), None)
    if exe is None:
        pytest.skip("pg_dump is not installed")
    return subprocess.run([exe, "--dbname", url], check=True, capture_output=True).stdout


@pytest.mark.postgres
@pytest.mark.parametrize("key", [None, "ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM="])
def test_after_a_purge_a_pg_dump_holds_neither_name_nor_id_number(
    postgres_db: str, key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liushou_adapters.storage.postgres import PostgresStore

    monkeypatch.delenv("LIUSHOU_KEY", raising=False)
    with PostgresStore(postgres_db, key=key) as store:
        child = populate(store)
        dump = pg_dump(postgres_db)
        assert child.name.encode() in dump
        assert (str(child.id_number).encode() in dump) == (key is None)
        result = purge_child(store, PRINCIPAL, SID, child.id, on=ON, dry_run=False)
        assert result.deleted >= 6
        trail = store.audit_trail(school_id=SID, kind=Child, record_id=child.id)
        assert [e.action for e in trail] == ["add", "read", "delete"]
    dump = pg_dump(postgres_db)
    for secret in secrets(child):
        assert secret not in dump
    assert f"purge: {PurgeBasis.RETENTION_ENDED.value}".encode() in dump  # the tombstone


# ----------------------------------------------------------------------------- the command


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("LIUSHOU_STORE", "LIUSHOU_KEY")}
    environ.update({"COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    return subprocess.run(
        [sys.executable, "-m", "liushou_adapters.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


@pytest.fixture
def cli_db(tmp_path: Path) -> tuple[Path, Child]:
    db = tmp_path / "liushou.db"
    with SqliteStore(db) as s:
        child = populate(s)
    return db, child


def test_the_command_dry_runs_then_purges(cli_db: tuple[Path, Child]) -> None:
    db, child = cli_db
    base = ("--lang", "en", "--store", f"sqlite:///{db}", "--on", ON.isoformat(), "purge")
    who = ("--school", SID, "--child", child.id)
    dry = run(*base, *who, cwd=db.parent)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: nothing was changed" in dry.stdout
    assert "kept without this pupil" in dry.stdout
    assert child.name.encode() in raw(db)
    done = run(*base, *who, "--execute", cwd=db.parent)
    assert done.returncode == 0, done.stderr
    assert re.search(r"Purged: \d+ records deleted", done.stdout)
    for secret in secrets(child):
        assert secret not in raw(db)
    again = run(*base, *who, "--execute", cwd=db.parent)
    assert again.returncode == 2
    assert "is not stored" in again.stderr


def test_the_command_refuses_an_early_purge_with_status_1(cli_db: tuple[Path, Child]) -> None:
    db, child = cli_db
    args = ("--store", f"sqlite:///{db}", "--on", EARLY.isoformat(), "purge")
    early = run(*args, "--school", SID, "--child", child.id, "--execute", cwd=db.parent)
    assert early.returncode == 1
    assert "尚未到清除时间" in early.stderr
    assert child.name.encode() in raw(db)
    forced = run(*args, "--school", SID, "--child", child.id, "--execute", "--force", cwd=db.parent)
    assert forced.returncode == 0, forced.stderr


def test_the_command_help_and_bad_input(tmp_path: Path) -> None:
    shown = run("purge", "--help", cwd=tmp_path)
    assert shown.returncode == 0
    assert "--execute" in shown.stdout
    url = f"sqlite:///{tmp_path / 'none.db'}"
    missing = run("--store", url, "purge", "--school", "S", "--child", "c", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no database there" in missing.stderr
    bad_date = run("purge", "--school", "S", "--child", "c", "--left-on", "yesterday", cwd=tmp_path)
    assert bad_date.returncode == 2


def test_the_outboxs_notices_about_the_child_are_purged_with_it(store: Store) -> None:
    """A notice points at its subject by kind and id: about the child, or about one of
    the child's records (the diary), it goes; about another child, it stays."""
    from liushou_core.models import Notice, RecipientRole
    from liushou_core.models.notice import notice_id

    child, peer = populate(store), other()

    def notice(key: str, kind: str, subject: str) -> Notice:
        return Notice(
            id=notice_id(key),
            school_id=SID,
            idempotency_key=key,
            channel="console",
            role=RecipientRole.GUARDIAN,
            person_id="g1",
            subject="家访提醒",
            body=f"{child.name}的家访",
            created_on=dt.date(2024, 10, 1),
            event_kind="overdue",
            event_subject_kind=kind,
            event_subject_id=subject,
            name="李桂兰",
            address="13812345678",
        )

    about_child = notice("a", "child", child.id)
    about_diary = notice("b", "diary_entry", "D1")
    about_peer = notice("c", "child", peer.id)
    with store.unit_of_work("tester") as uow:
        uow.add_all([about_child, about_diary, about_peer])
        uow.commit()
    result = purge_child(store, PRINCIPAL, SID, child.id, on=ON, dry_run=False)
    assert {("notice", about_child.id), ("notice", about_diary.id)} <= set(result.plan.delete)
    with store.unit_of_work("tester", readonly=True) as uow:
        assert [n.id for n in uow.list(Notice, SID)] == [about_peer.id]
