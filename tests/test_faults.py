"""Faults and load: concurrent writers, a writer killed mid-flight, a bad row in an import.

* Four processes each run 200 read-modify-write transactions on one record (a
  teacher: each transaction appends its own token to ``related_child_ids``),
  retrying on :class:`~liushou_core.errors.ConflictError`: no update is lost
  (the record ends with exactly 800 appended tokens, at version 801) and no
  error, "database is locked" above all, reaches a caller. Half of each
  worker's transactions read and write in one unit of work; the other half
  read in a read-only unit of work and write in a second one (as a form
  submitted after it was loaded), which is where conflicts happen on SQLite.
  The same runs against PostgreSQL when a server can be started.
* A writer process is killed with SIGKILL at a random moment, 30 times. The
  writer commits households one at a time (now and then a few together) and
  reports each id through a pipe only after its commit returned;
  after each kill, ``PRAGMA integrity_check`` is ``ok``, every reported id is
  stored, and the audit trail holds exactly one entry per stored record (no
  half-committed transaction).
* An import whose 137th row is bad is rejected naming row 137 and the field,
  and leaves the database unchanged: the same dump of every table, the audit
  trail included, and the same bytes in the database file.

Processes are forked: each opens its own store.
"""

from __future__ import annotations

import hashlib
import importlib.util
import multiprocessing
import os
import queue
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import attrs
import pytest

from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core import synth
from liushou_core.convert import unstructure
from liushou_core.errors import ConflictError
from liushou_core.models import Child, Household, School, Sex, Teacher
from liushou_core.ports import Store
from liushou_core.privacy import SYSTEM
from liushou_core.services import ImportRejected, import_records, load_school

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (POSIX)"
)

CTX = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
WORKERS = 4
TRANSACTIONS = 200
SCHOOL = "S1"
MENTOR = "T1"

StoreOpener = Callable[[], Store]


# ----------------------------------------------------------------------------- 4 x 200


def _setup_counter(store: Store) -> None:
    with store.unit_of_work("setup") as uow:
        uow.add_all(
            [
                School(id=SCHOOL, name="清溪中心小学", county_code="431121"),
                Teacher(id=MENTOR, school_id=SCHOOL, name="王老师", sex=Sex.MALE),
            ]
        )
        uow.commit()


def _append(teacher: Teacher, token: str) -> Teacher:
    return attrs.evolve(teacher, related_child_ids=(*teacher.related_child_ids, token))


def _rmw_worker(
    open_store: StoreOpener, worker: int, n: int, start: Barrier, out: multiprocessing.Queue[Any]
) -> None:
    conflicts = 0
    try:
        store = open_store()
        start.wait(timeout=60)
        for i in range(n):
            token = f"w{worker}-{i:03d}"
            while True:
                try:
                    if i % 2 == 0:  # read and write in one transaction
                        with store.unit_of_work(f"worker {worker}") as uow:
                            uow.update(_append(uow.get(Teacher, SCHOOL, MENTOR), token))
                            uow.commit()
                    else:  # read, then write in a second transaction
                        with store.unit_of_work(f"worker {worker}", readonly=True) as uow:
                            teacher = uow.get(Teacher, SCHOOL, MENTOR)
                        with store.unit_of_work(f"worker {worker}") as uow:
                            uow.update(_append(teacher, token))
                            uow.commit()
                    break
                except ConflictError:
                    conflicts += 1
        store.close()
    except BaseException as exc:
        out.put(("error", worker, f"{type(exc).__name__}: {exc}"))
    else:
        out.put(("done", worker, conflicts))


def run_read_modify_write(open_store: StoreOpener) -> dict[str, Any]:
    """Run the workers against the store ``open_store`` opens; return what they reported."""
    assert CTX is not None
    setup = open_store()
    try:
        _setup_counter(setup)
    finally:
        setup.close()
    out: multiprocessing.Queue[Any] = CTX.Queue()
    start = CTX.Barrier(WORKERS)
    procs = [
        CTX.Process(target=_rmw_worker, args=(open_store, w, TRANSACTIONS, start, out))
        for w in range(WORKERS)
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    reports = []
    try:
        for _ in procs:
            reports.append(out.get(timeout=240))
    except queue.Empty:
        pass
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join()
    seconds = time.perf_counter() - t0
    errors = [r for r in reports if r[0] == "error"]
    done = [r for r in reports if r[0] == "done"]
    store = open_store()
    try:
        with store.unit_of_work(readonly=True) as uow:
            teacher = uow.get(Teacher, SCHOOL, MENTOR)
        updates = [
            (e.old_version, e.new_version)
            for e in store.audit_trail(school_id=SCHOOL)
            if e.action == "update" and e.record_id == MENTOR
        ]
    finally:
        store.close()
    return {
        "errors": errors,
        "finished": len(done),
        "exit_codes": [p.exitcode for p in procs],
        "conflicts": sum(r[2] for r in done),
        "teacher": teacher,
        "updates": updates,
        "seconds": seconds,
    }


def check_read_modify_write(result: dict[str, Any]) -> None:
    assert result["errors"] == [], "errors reached the workers:\n" + "\n".join(
        str(e) for e in result["errors"]
    )
    assert not any("locked" in str(e) for e in result["errors"])
    assert result["finished"] == WORKERS
    assert result["exit_codes"] == [0] * WORKERS
    teacher = result["teacher"]
    expected = {f"w{w}-{i:03d}" for w in range(WORKERS) for i in range(TRANSACTIONS)}
    assert len(teacher.related_child_ids) == WORKERS * TRANSACTIONS == 800
    assert set(teacher.related_child_ids) == expected
    assert teacher.version == 801
    assert sorted(result["updates"]) == [(v, v + 1) for v in range(1, 801)]
    # Each worker's own tokens were appended in its own order.
    for w in range(WORKERS):
        mine = [t for t in teacher.related_child_ids if t.startswith(f"w{w}-")]
        assert mine == sorted(mine)


@pytest.mark.slow
def test_four_processes_200_read_modify_writes_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "counter.db"
    result = run_read_modify_write(lambda: SqliteStore(db))
    check_read_modify_write(result)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture
def postgres_store_url(request: pytest.FixtureRequest) -> str:
    """A fresh PostgreSQL database's URL (``postgres_db`` of ``tests/postgres_server.py``)."""
    if importlib.util.find_spec("liushou_adapters.storage.postgres") is None:
        pytest.skip("liushou_adapters.storage.postgres is not there")
    try:
        url = request.getfixturevalue("postgres_db")
    except pytest.FixtureLookupError:
        pytest.skip("no postgres_db fixture is registered (tests/postgres_server.py)")
    return str(url)


@pytest.mark.slow
@pytest.mark.postgres
def test_four_processes_200_read_modify_writes_postgres(postgres_store_url: str) -> None:
    from liushou_adapters.storage.postgres import PostgresStore

    url = postgres_store_url
    result = run_read_modify_write(lambda: PostgresStore.from_url(url))
    check_read_modify_write(result)
    print(f"postgres: {result['conflicts']} conflicts retried in {result['seconds']:.1f} s")


# ----------------------------------------------------------------------------- SIGKILL


ROUNDS = 30


def _writer(db: Path, round_no: int, fd: int, seed: int) -> None:
    """Commit households, mostly one per transaction, reporting ids after each commit.

    About one commit in four holds 2-8 households, so that a kill may also land
    in a transaction of several records (which must then be all there or none).
    """
    rng = random.Random(seed)
    store = SqliteStore(db)
    i = 0
    while True:
        size = 1 if rng.random() < 0.75 else rng.randint(2, 8)
        # The id names the transaction and its size: r03-00042-2of5.
        batch = [
            Household(
                id=f"r{round_no:02d}-{i:05d}-{k + 1}of{size}",
                school_id=SCHOOL,
                income_source="务工",
            )
            for k in range(size)
        ]
        i += len(batch)
        with store.unit_of_work(f"writer {round_no}") as uow:
            uow.add_all(batch)
            uow.commit()
        # One write per commit, under PIPE_BUF bytes: the pipe takes all of it or none.
        os.write(fd, "".join(f"{h.id}\n" for h in batch).encode())


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode()


@pytest.mark.slow
def test_writer_killed_at_random_moments(tmp_path: Path) -> None:
    assert CTX is not None
    db = tmp_path / "killed.db"
    store = SqliteStore(db)
    with store.unit_of_work("setup") as uow:
        uow.add(School(id=SCHOOL, name="清溪中心小学", county_code="431121"))
        uow.commit()
    store.close()
    rng = random.Random(20261129)
    reported_total: set[str] = set()
    committed_counts = []
    for round_no in range(ROUNDS):
        r, w = os.pipe()
        proc = CTX.Process(target=_writer, args=(db, round_no, w, rng.randrange(2**32)))
        proc.start()
        os.close(w)
        time.sleep(rng.uniform(0.05, 0.4))
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=30)
        assert proc.exitcode == -signal.SIGKILL, f"round {round_no}: the writer ended by itself"
        text = _read_all(r)
        os.close(r)
        # A line is complete only with its newline (a write is all or nothing anyway).
        reported = set(text.split("\n")[:-1])
        reported_total |= reported
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], round_no
        store = SqliteStore(db)  # opens after the crash, and reads
        try:
            with store.unit_of_work(readonly=True) as uow:
                count = uow.count(Household, SCHOOL)
        finally:
            store.close()
        with sqlite3.connect(db) as conn:
            stored = {
                rid
                for (rid,) in conn.execute(
                    "SELECT id FROM records WHERE school_id = ? AND kind = 'household'", (SCHOOL,)
                )
            }
            audited = [
                rid
                for (rid,) in conn.execute(
                    "SELECT record_id FROM audit WHERE kind = 'household' AND action = 'add'"
                )
            ]
        assert count == len(stored)
        missing = reported_total - stored
        assert not missing, f"round {round_no}: reported as committed but not stored: {missing}"
        # Whole transactions only: every household of a transaction, each with its one
        # audit entry, or none of them.
        assert sorted(audited) == sorted(stored), round_no
        transactions: dict[str, set[str]] = {}
        for rid in stored:
            head, _, part = rid.rpartition("-")
            transactions.setdefault(head, set()).add(part)
        for head, parts in transactions.items():
            size = int(next(iter(parts)).partition("of")[2])
            assert parts == {f"{k}of{size}" for k in range(1, size + 1)}, (round_no, head)
        # At most the last commit was lost in the pipe (killed between commit and report).
        assert len(stored) >= len(reported_total)
        committed_counts.append(len(stored))
    assert committed_counts == sorted(committed_counts)
    assert committed_counts[-1] > ROUNDS  # the writer really wrote, round after round


# ----------------------------------------------------------------------------- row 137


def _dump(db: Path) -> list[str]:
    """Every table's schema and rows (the audit trail included), as SQL text."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _file_digest(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        conn.close()
    return hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Path, synth.SyntheticSchool]:
    db = tmp_path / "school.db"
    school = synth.school(seed=3, index=0, children=150)
    store = SqliteStore(db)
    try:
        load_school(store, SYSTEM, school)
    finally:
        store.close()
    return db, school


def _rows(school: synth.SyntheticSchool) -> list[dict[str, Any]]:
    """200 child rows: the first 100 change stored children, the rest are new."""
    rows = [
        {**unstructure(child), "boarding": not child.boarding, "version": 0}
        for child in school.children[:100]
    ]
    template = unstructure(school.children[0])
    for i in range(100):
        rows.append({**template, "id": f"new-{i:03d}", "id_number": None, "student_number": None})
    assert len(rows) == 200
    return rows


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("birth_date", "2016-02-30", "$.birth_date"),
        (
            "guardians",
            [{"name": "李奶奶", "relationship": "aunt", "phone": "12"}],
            "$.guardians[0].phone",
        ),
        ("school_id", "S-nowhere", "$.school_id"),  # found inside the unit of work
    ],
    ids=["date", "nested-phone", "unknown-school"],
)
def test_import_with_bad_row_137_changes_nothing(
    loaded: tuple[Path, synth.SyntheticSchool], field: str, value: Any, path: str
) -> None:
    db, school = loaded
    dump, digest = _dump(db), _file_digest(db)
    rows = _rows(school)
    rows[136][field] = value
    store = SqliteStore(db)
    try:
        with pytest.raises(ImportRejected) as info:
            import_records(store, SYSTEM, rows, cls=Child, sources=range(1, 201), batch_size=50)
    finally:
        store.close()
    assert info.value.rows == [137]
    assert [(w, p) for w, p, _ in info.value.problems] == [("row 137", path)]
    assert f"row 137 {path}" in str(info.value)
    assert _dump(db) == dump
    assert _file_digest(db) == digest
    # With row 137 mended the same rows go in: the rest of the input was good.
    rows[136][field] = _rows(school)[136][field]
    store = SqliteStore(db)
    try:
        result = import_records(store, SYSTEM, rows, cls=Child)
    finally:
        store.close()
    assert (result.added, result.updated) == (100, 100)
    assert _dump(db) != dump


class _CrashingStore:
    """A real store whose unit of work raises in the ``add_all`` holding row ``row``."""

    def __init__(self, inner: Store, row_id: str) -> None:
        self.inner = inner
        self.row_id = row_id

    def unit_of_work(self, actor: str = "system", **options: Any) -> Any:
        uow = self.inner.unit_of_work(actor, **options)
        row_id = self.row_id

        class Crashing:
            def __enter__(self) -> Any:
                uow.__enter__()
                return self

            def __exit__(self, *exc: Any) -> None:
                uow.__exit__(*exc)

            def add_all(self, records: Any) -> Any:
                records = list(records)
                written = uow.add_all(records)  # the batch is written, then the "crash"
                if any(r.id == row_id for r in records):
                    raise OSError("the disk went away")
                return written

            def __getattr__(self, name: str) -> Any:
                return getattr(uow, name)

        return Crashing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_crash_while_writing_row_137_changes_nothing(
    loaded: tuple[Path, synth.SyntheticSchool],
) -> None:
    db, school = loaded
    dump, digest = _dump(db), _file_digest(db)
    rows = _rows(school)
    store = SqliteStore(db)
    try:
        with pytest.raises(OSError, match="went away"):
            import_records(
                _CrashingStore(store, rows[136]["id"]),
                SYSTEM,
                rows,
                cls=Child,
                batch_size=20,
            )
    finally:
        store.close()
    assert _dump(db) == dump
    assert _file_digest(db) == digest
