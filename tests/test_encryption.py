"""Sensitive fields encrypted at rest: SQLite and PostgreSQL, keys, lookups, raw bytes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck as Health_
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_adapters.storage import jsoncodec, open_store
from liushou_adapters.storage.crypto import (
    PREFIX,
    SENSITIVE,
    FieldCipher,
    KeyRequired,
    WrongKey,
    generate_key,
    parse_key,
)
from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core.models import (
    Child,
    DiaryEntry,
    Disability,
    DisabilityType,
    Guardian,
    Health,
    HealthCheck,
    HealthStatus,
    Parent,
    ParentRole,
    Relationship,
    School,
    Sex,
    Teacher,
)
from liushou_core.ports import Store
from liushou_core.testing import strategies as lst

CHILD_ID = "110105201605040202"
FATHER_ID = "110105198001010315"
NOTE = "夜里常哭，想念在广东打工的妈妈"
FINDINGS = "轻度贫血，需复查"
ILLNESS = "先天性心脏病术后"
KEY = generate_key()


def school() -> School:
    return School("S1", "清溪中心小学", "431121")


def child(cid: str = "c1", id_number: str | None = CHILD_ID) -> Child:
    return Child(
        id=cid,
        school_id="S1",
        name="欧阳晓雯",
        sex=Sex.FEMALE,
        birth_date=dt.date(2016, 5, 4),
        id_number=id_number,
        health=Health(
            HealthStatus.DISABLED,
            Disability(DisabilityType.PHYSICAL, 3),
            illness=ILLNESS,
        ),
        parents=(Parent(ParentRole.FATHER, "欧阳建国", id_number=FATHER_ID),),
        guardians=(Guardian("李桂兰", Relationship.MATERNAL_GRANDMOTHER),),
    )


def sensitive_records() -> list[object]:
    return [
        school(),
        child(),
        DiaryEntry("d1", "S1", "c1", "t1", dt.date(2026, 10, 1), text=NOTE),
        HealthCheck("h1", "S1", "c1", dt.date(2026, 9, 10), findings=FINDINGS),
        Teacher("t1", "S1", "王老师", Sex.MALE, id_number=FATHER_ID),
    ]


SECRETS = (CHILD_ID, FATHER_ID, NOTE, FINDINGS, ILLNESS)


def raw_bytes(path: Path) -> bytes:
    """The database file and its -wal (and -journal) as they lie on disk."""
    out = b""
    for suffix in ("", "-wal", "-journal"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            out += p.read_bytes()
    return out


def seed(store: Store, records: list[object]) -> None:
    with store.unit_of_work("tester") as uow:
        uow.add_all(records)
        uow.commit()


# ----------------------------------------------------------------------------- SQLite


def test_a_new_sqlite_database_is_encrypted_with_a_key_file_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "liushou.db"
    with SqliteStore(db) as store:
        assert store.encrypted
        seed(store, sensitive_records())
        with store.unit_of_work("tester", readonly=True) as uow:
            assert uow.get(Child, "S1", "c1") == attrs.evolve(child(), version=1)
        data = raw_bytes(db)  # while open: the -wal holds the latest pages
    key_file = Path(f"{db}.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    parse_key(key_file.read_text())
    for secret in SECRETS:
        assert secret.encode() not in data, secret
    assert "欧阳晓雯".encode() in data  # names are not encrypted (the test is not vacuous)
    assert PREFIX.encode() in data


def test_the_file_never_holds_a_sensitive_value_in_clear(tmp_path: Path) -> None:
    """After updates and deletes too (secure_delete): no old copy in free space."""
    db = tmp_path / "liushou.db"
    with SqliteStore(db) as store:
        seed(store, sensitive_records())
        with store.unit_of_work("tester") as uow:
            c = uow.get(Child, "S1", "c1")
            uow.update(attrs.evolve(c, name="欧阳小雯"))
            d = uow.get(DiaryEntry, "S1", "d1")
            uow.delete(DiaryEntry, "S1", "d1", d.version)
            uow.commit()
        data = raw_bytes(db)
    for secret in SECRETS:
        assert secret.encode() not in data, secret


def test_reopening_needs_the_key_and_refuses_a_wrong_one(tmp_path: Path) -> None:
    db = tmp_path / "liushou.db"
    with SqliteStore(db) as store:
        seed(store, sensitive_records())
    # the key file beside it
    with SqliteStore(db) as store, store.unit_of_work("tester", readonly=True) as uow:
        assert uow.get(Child, "S1", "c1").id_number == CHILD_ID
    key = Path(f"{db}.key").read_text().strip()
    with pytest.raises(WrongKey, match="wrong encryption key"):
        SqliteStore(db, key=generate_key())
    Path(f"{db}.key").rename(tmp_path / "elsewhere.key")
    with pytest.raises(KeyRequired, match="is encrypted and no key was given"):
        SqliteStore(db)
    with open_store(f"sqlite:///{db}?key={key}") as store:
        assert store.encrypted  # type: ignore[attr-defined]
    url = f"sqlite:///{db}?keyfile={tmp_path / 'elsewhere.key'}"
    with open_store(url) as store, store.unit_of_work("tester", readonly=True) as uow:
        assert uow.get(Teacher, "S1", "t1").id_number == FATHER_ID


def test_the_key_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUSHOU_KEY", KEY)
    db = tmp_path / "liushou.db"
    with SqliteStore(db) as store:
        seed(store, sensitive_records())
    assert not Path(f"{db}.key").exists()  # the environment's key, no key file
    monkeypatch.delenv("LIUSHOU_KEY")
    with pytest.raises(KeyRequired):
        SqliteStore(db)
    monkeypatch.setenv("LIUSHOU_KEY", "not a key")
    with pytest.raises(WrongKey, match="32 random bytes"):
        SqliteStore(db)


def test_a_store_without_encryption_stays_plain_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "plain.db"
    with open_store(f"sqlite:///{db}?encrypt=off") as store:
        assert not store.encrypted  # type: ignore[attr-defined]
        seed(store, sensitive_records())
    assert CHILD_ID.encode() in raw_bytes(db)
    # opened with the default, a plain database is encrypted in place
    with SqliteStore(db) as store:
        assert store.encrypted
        with store.unit_of_work("tester", readonly=True) as uow:
            assert uow.get(Child, "S1", "c1").id_number == CHILD_ID
        data = raw_bytes(db)
    for secret in SECRETS:
        assert secret.encode() not in data, secret


def test_a_schema_3_database_is_encrypted_on_upgrade(tmp_path: Path) -> None:
    """Rows written before encryption existed are sealed by the upgrade (secure_delete on)."""
    db = tmp_path / "old.db"
    with open_store(f"sqlite:///{db}?encrypt=off") as store:
        seed(store, sensitive_records())
    with sqlite3.connect(db) as conn:  # back to schema 3: no keyring yet
        conn.execute("DROP TABLE keyring")
        conn.execute("DELETE FROM schema_version WHERE version = 4")
    assert CHILD_ID.encode() in raw_bytes(db)
    with SqliteStore(db) as store:
        assert store.schema_version() == 4
        assert store.encrypted
        with store.unit_of_work("tester", readonly=True) as uow:
            assert uow.get(Child, "S1", "c1") == attrs.evolve(child(), version=1)
        data = raw_bytes(db)
    for secret in SECRETS:
        assert secret.encode() not in data, secret


def test_a_ciphertext_moved_to_another_record_does_not_open(tmp_path: Path) -> None:
    db = tmp_path / "liushou.db"
    with SqliteStore(db) as store:
        seed(store, [school(), child("c1"), child("c2", id_number=None)])
    with sqlite3.connect(db) as conn:
        (sealed,) = conn.execute(
            "SELECT json_extract(data, '$.id_number') FROM records WHERE id = 'c1'"
        ).fetchone()
        conn.execute(
            "UPDATE records SET data = json_set(data, '$.id_number', ?) WHERE id = 'c2'",
            (sealed,),
        )
    with SqliteStore(db) as store, store.unit_of_work("tester", readonly=True) as uow:
        assert uow.get(Child, "S1", "c1").id_number == CHILD_ID
        with pytest.raises(WrongKey, match="copied from another record"):
            uow.get(Child, "S1", "c2")


def test_lookup_by_id_number_uses_the_blind_index(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "liushou.db") as store:
        seed(store, [school(), child("c1"), child("c2", id_number=None)])
        with store.unit_of_work("tester", readonly=True) as uow:
            assert [c.id for c in uow.list(Child, "S1", id_number=CHILD_ID)] == ["c1"]
            assert [c.id for c in uow.list(Child, "S1", id_number=None)] == ["c2"]


@settings(max_examples=10, suppress_health_check=[Health_.too_slow, Health_.data_too_large])
@given(
    children=st.lists(
        lst.children(school_id="S1"), min_size=1, max_size=4, unique_by=lambda c: c.id
    )
)
def test_no_id_number_of_any_child_is_in_the_file(children: list[Child]) -> None:
    """Property: whatever the children, their ID numbers (and their parents' and
    guardians') never appear in the raw file, and every record comes back equal."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "liushou.db"
        with SqliteStore(db) as store:
            seed(store, [school(), *children])
            with store.unit_of_work("tester", readonly=True) as uow:
                for c in children:
                    assert uow.get(Child, "S1", c.id) == attrs.evolve(c, version=1)
            data = raw_bytes(db)
    numbers = [
        n
        for c in children
        for n in (
            c.id_number,
            *(p.id_number for p in c.parents),
            *(g.id_number for g in c.guardians),
        )
        if n
    ]
    for n in numbers:
        assert n.encode() not in data


# ----------------------------------------------------------------------------- the cipher


# integers as JSON stores them (orjson: 64-bit)
@given(
    value=st.one_of(st.text(), st.integers(-(2**63), 2**63 - 1), st.lists(st.text(), max_size=3))
)
def test_sealing_is_deterministic_per_field_and_opens_again(value: object) -> None:
    cipher = FieldCipher(parse_key(KEY))
    sealed = cipher.seal_value("child", "S1", "c1", "id_number", value)
    assert sealed == cipher.seal_value("child", "S1", "c1", "id_number", value)
    assert sealed != cipher.seal_value("child", "S1", "c2", "id_number", value)
    assert sealed.startswith(cipher.index_prefix("child", "id_number", value))
    assert cipher.open_value("child", "S1", "c1", "id_number", sealed) == value
    other = FieldCipher(parse_key(generate_key()))
    with pytest.raises(WrongKey):
        other.open_value("child", "S1", "c1", "id_number", sealed)


def test_every_sensitive_path_is_a_field() -> None:
    from liushou_core.ports import RECORD_KINDS
    from liushou_core.privacy import DEFAULT_ACCESS_POLICY

    for kind, paths in SENSITIVE.items():
        cls = RECORD_KINDS[kind]
        names = {f.name for f in attrs.fields(cls)}
        for path in paths:
            assert path.split(".")[0] in names, (kind, path)
    assert DEFAULT_ACCESS_POLICY.rule("child", "id_number") is not None


def test_sealed_json_is_still_valid_json(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "liushou.db") as store:
        seed(store, sensitive_records())
    with sqlite3.connect(tmp_path / "liushou.db") as conn:
        (data,) = conn.execute("SELECT data FROM records WHERE id = 'c1'").fetchone()
    plain = jsoncodec.loads(data)
    assert plain["name"] == "欧阳晓雯"
    assert plain["id_number"].startswith(PREFIX)
    assert plain["parents"][0]["id_number"].startswith(PREFIX)
    assert plain["health"]["status"] == "disabled"  # the status stays queryable


# ----------------------------------------------------------------------------- PostgreSQL


def _pg_dump_bytes(url: str) -> bytes:
    """``pg_dump`` of the database (data and schema), as bytes."""
    candidates = [shutil.which("pg_dump"), "/usr/lib/postgresql/15/bin/pg_dump"]
    exe = next((c for c in candidates if c and os.path.exists(c)), None)
    if exe is None:
        pytest.skip("pg_dump is not installed")
    return subprocess.run([exe, "--dbname", url], check=True, capture_output=True).stdout


@pytest.fixture
def pg_url(postgres_db: str) -> str:
    return postgres_db


@pytest.mark.postgres
def test_postgres_with_a_key_keeps_no_sensitive_value_in_clear(pg_url: str) -> None:
    from liushou_adapters.storage.postgres import PostgresStore

    with PostgresStore(pg_url, key=KEY) as store:
        assert store.encrypted
        seed(store, sensitive_records())
        with store.unit_of_work("tester", readonly=True) as uow:
            assert uow.get(Child, "S1", "c1") == attrs.evolve(child(), version=1)
            assert [c.id for c in uow.list(Child, "S1", id_number=CHILD_ID)] == ["c1"]
    dump = _pg_dump_bytes(pg_url)
    assert "欧阳晓雯".encode() in dump  # the dump holds the records
    for secret in SECRETS:
        assert secret.encode() not in dump, secret


@pytest.mark.postgres
def test_postgres_refuses_an_encrypted_database_without_its_key(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liushou_adapters.storage.postgres import PostgresStore

    monkeypatch.delenv("LIUSHOU_KEY", raising=False)
    PostgresStore(pg_url, key=KEY).close()
    with pytest.raises(KeyRequired, match="encrypted and no key"):
        PostgresStore(pg_url)
    with pytest.raises(WrongKey, match="wrong encryption key"):
        PostgresStore(pg_url, key=generate_key())
    monkeypatch.setenv("LIUSHOU_KEY", KEY)
    PostgresStore(pg_url).close()
    with open_store(f"{pg_url}?key={KEY}") as store:  # the URL's key= is not sent to libpq
        assert store.encrypted  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_postgres_plain_database_is_encrypted_once_a_key_is_given(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liushou_adapters.storage.postgres import PostgresStore

    monkeypatch.delenv("LIUSHOU_KEY", raising=False)
    with PostgresStore(pg_url) as store:
        assert not store.encrypted
        seed(store, sensitive_records())
    assert CHILD_ID.encode() in _pg_dump_bytes(pg_url)
    with PostgresStore(pg_url, key=KEY) as store:
        assert store.encrypted
        with store.unit_of_work("tester", readonly=True) as uow:
            assert uow.get(DiaryEntry, "S1", "d1").text == NOTE
    dump = _pg_dump_bytes(pg_url)
    for secret in SECRETS:
        assert secret.encode() not in dump, secret
