"""Loading a county into a store and reading it back, against bare SQL in the same run.

A synthetic county (:func:`liushou_core.synth.county`, 200 schools: about 50,000
children, 20,000 teachers, their classes, households and volunteers) is made
once. Its records, and the rows a store would write for them, are then used by

* **store**: :func:`liushou_core.services.import_records` into a fresh store (all
  or nothing, one unit of work, ``add_all`` in batches), which converts each
  record to JSON, writes it with its key, county code and version, and appends
  its audit entry; then everything is read back in a read-only unit of work,
  ``uow.list(cls, school_id)`` for each kind of each school, into model objects.
  The store encrypts the sensitive fields (ID numbers, health details, notes), as
  deployed: SQLite with its key file, PostgreSQL with a fixed benchmark key;
* **plain**: the same store with encryption off (``encrypt=False``), so that
  ``store ÷ plain`` is the cost of encryption at rest;
* **bare**: the same rows (the same JSON text, keys, county code and version,
  made before the clock starts) written into an equivalent bare table in a fresh
  database: SQLite ``executemany`` in the same batches inside one ``BEGIN
  IMMEDIATE`` transaction with the store's PRAGMAs (WAL, ``synchronous=FULL``);
  PostgreSQL ``COPY ... FROM STDIN`` in one transaction. Read back with one bare
  ``SELECT`` of the rows (the JSON as text, not parsed).

The bare table has the store's columns, primary key and checks; it has no
secondary index, foreign key or audit trail, which are part of what the store
pays. Two more lines show where the store's time goes: **convert** is the
converter alone (``unstructure`` + the stores' JSON codec when loading, its ``loads`` +
``structure`` when reading), timed on the same records.

Each timing is the best of ``--repeat`` runs (default 3), store and bare
interleaved, each into a fresh database, with the garbage collector paused (as
:mod:`timeit` does; ``--gc`` keeps it on). After the runs the benchmark checks
that the store read back records equal to the input, wrote exactly the bare
table's rows, and wrote one audit entry per record.

Target: the store's load within 2x of the bare load (ratio store/bare >= 0.5).

Run ``python benchmarks/bench_storage.py`` (200 schools; ``--quick``: 20;
``--schools N``), ``--backend sqlite|postgres|all``, ``--postgres-url URL`` (a
user who may create databases; without it ``all``/``postgres`` start a
throwaway server with the binaries on this machine), ``--json FILE``,
``--check`` (exit 1 when the target is missed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gc
import importlib.util
import itertools
import json
import math
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import attrs

from _env import environment
from liushou_adapters.storage import jsoncodec, kind_of, school_id_of
from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core.convert import structure, unstructure
from liushou_core.models import School
from liushou_core.ports import Store
from liushou_core.privacy import SYSTEM
from liushou_core.services import DEFAULT_BATCH_SIZE, import_records

DEFAULT_SCHOOLS = 200
QUICK_SCHOOLS = 20
SEED = 0
ON = dt.date(2026, 9, 1)
BACKENDS = ("sqlite", "postgres")
METHODS = ("store", "plain", "bare", "convert", "convert+bare")
#: The key of the encrypted PostgreSQL stores (SQLite makes its own key file).
BENCH_KEY = "YmVuY2htYXJrLWtleS1ub3QtZm9yLXJlYWwtdXNlISE="
#: Target: store records/s over bare records/s when loading, at least.
TARGET = 0.5

Row = tuple[str, str, str, str, int, str]


# ----------------------------------------------------------------------------- input


@dataclass
class County:
    """The records of a synthetic county and the rows a store writes for them."""

    schools: int
    records: list[Any]
    rows: list[Row]
    groups: list[tuple[type, str]]  # (record class, school id) in load order
    kinds: dict[str, int]
    prepare_seconds: float


def opened(store: Store, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows as read raw from an encrypting store, with their sealed fields opened."""
    cipher = getattr(store, "cipher", None)
    if cipher is None:
        return rows
    return [(*row[:5], cipher.open(row[1], row[5])) for row in rows]


def dumps(data: Any) -> str:
    """JSON text as the stores write it: compact, Chinese kept as it is."""
    return jsoncodec.dumps(data)


def make_county(schools: int, seed: int = SEED) -> County:
    """Make the county once: its records, and each record's row (version 1)."""
    from liushou_core.synth import county

    t0 = time.perf_counter()
    records = [r for s in county(seed, schools=schools, on=ON) for r in s.records()]
    counties = {r.id: r.county_code for r in records if isinstance(r, School)}
    rows: list[Row] = []
    groups: dict[tuple[type, str], None] = {}
    kinds: dict[str, int] = {}
    for r in records:
        sid = school_id_of(r)
        kind = kind_of(type(r))
        groups[(type(r), sid)] = None
        kinds[type(r).__name__] = kinds.get(type(r).__name__, 0) + 1
        rows.append(
            (sid, kind, r.id, counties[sid], 1, dumps(unstructure(attrs.evolve(r, version=1))))
        )
    return County(schools, records, rows, list(groups), kinds, time.perf_counter() - t0)


# ----------------------------------------------------------------------------- backends


class Backend:
    """Fresh stores and bare tables of one kind of database."""

    name: str
    bare_method: str

    def store(self, *, encrypted: bool = True) -> Store:
        """A fresh, empty store (``encrypted``: sensitive fields encrypted, the default)."""
        raise NotImplementedError

    def drop_store(self, store: Store) -> None:
        """Close ``store`` and remove its database."""
        raise NotImplementedError

    def bare_setup(self) -> None:
        """A fresh database with the empty bare table, and a connection to it."""
        raise NotImplementedError

    def bare_load(self, rows: Sequence[Row], batch_size: int) -> None:
        """Write ``rows`` into the bare table in one transaction (the timed part)."""
        raise NotImplementedError

    def bare_read(self) -> int:
        """Read every row of the bare table back (the timed part); the number of rows."""
        raise NotImplementedError

    def store_rows(self, store: Store) -> list[tuple[Any, ...]]:
        """The store's record rows, sorted, with the JSON parsed (for the equivalence check)."""
        raise NotImplementedError

    def bare_rows(self) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {}


SQLITE_TABLE = """CREATE TABLE records (
    school_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    data TEXT NOT NULL CHECK (json_valid(data)),
    PRIMARY KEY (school_id, kind, id)
) WITHOUT ROWID"""


class SqliteBackend(Backend):
    """SQLite files in a directory; each store and bare table in a fresh file."""

    name = "sqlite"
    bare_method = "executemany"

    def __init__(self, directory: Path | None = None) -> None:
        self._tmp = None if directory else tempfile.TemporaryDirectory(prefix="bench-storage-")
        self.directory = directory or Path(self._tmp.name)  # type: ignore[union-attr]
        self.directory.mkdir(parents=True, exist_ok=True)
        self._n = itertools.count(1)
        self.bare_path: Path | None = None
        self.conn: sqlite3.Connection | None = None

    def _fresh(self, what: str) -> Path:
        path = self.directory / f"{what}-{os.getpid()}-{next(self._n)}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return path

    def _remove(self, path: Path | None) -> None:
        if path is not None:
            for suffix in ("", "-wal", "-shm", ".key"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def store(self, *, encrypted: bool = True) -> Store:
        return SqliteStore(self._fresh("store"), encrypt=encrypted)

    def drop_store(self, store: Store) -> None:
        store.close()
        self._remove(Path(store.path))  # type: ignore[attr-defined]

    def _connect(self, path: Path) -> sqlite3.Connection:
        # The store's connection settings (see liushou_adapters.storage.sqlite).
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA secure_delete=ON")
        return conn

    def bare_setup(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self._remove(self.bare_path)
        self.bare_path = self._fresh("bare")
        self.conn = self._connect(self.bare_path)
        self.conn.execute(SQLITE_TABLE)

    def bare_load(self, rows: Sequence[Row], batch_size: int) -> None:
        assert self.conn is not None
        self.conn.execute("BEGIN IMMEDIATE")
        for start in range(0, len(rows), batch_size):
            self.conn.executemany(
                "INSERT INTO records (school_id, kind, id, county_code, version, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows[start : start + batch_size],
            )
        self.conn.execute("COMMIT")

    def bare_read(self) -> int:
        assert self.conn is not None
        self.conn.execute("BEGIN")
        got = self.conn.execute(
            "SELECT school_id, kind, id, county_code, version, data FROM records "
            "ORDER BY school_id, kind, id"
        ).fetchall()
        self.conn.execute("COMMIT")
        return len(got)

    def _rows(self, path: Path) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(path)
        try:
            return [
                (*row[:5], jsoncodec.loads(row[5]))
                for row in conn.execute(
                    "SELECT school_id, kind, id, county_code, version, data FROM records "
                    "ORDER BY school_id, kind, id"
                )
            ]
        finally:
            conn.close()

    def store_rows(self, store: Store) -> list[tuple[Any, ...]]:
        return opened(store, self._rows(Path(store.path)))  # type: ignore[attr-defined]

    def bare_rows(self) -> list[tuple[Any, ...]]:
        assert self.bare_path is not None
        return self._rows(self.bare_path)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self._remove(self.bare_path)
        if self._tmp is not None:
            self._tmp.cleanup()

    def describe(self) -> dict[str, Any]:
        return {"sqlite": sqlite3.sqlite_version, "directory": str(self.directory)}


POSTGRES_TABLE = """CREATE TABLE bare_records (
    school_id text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    county_code text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    data jsonb NOT NULL,
    PRIMARY KEY (school_id, kind, id)
)"""


class PostgresBackend(Backend):
    """Fresh databases on a PostgreSQL server (created and dropped by the benchmark)."""

    name = "postgres"
    bare_method = "COPY"

    def __init__(self, url: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.url = url
        self._n = itertools.count(1)
        self.bare_url: str | None = None
        self.conn: Any = None
        self._created: list[str] = []

    def _admin(self) -> Any:
        return self.psycopg.connect(self.url, autocommit=True)

    def _fresh(self, what: str) -> str:
        from urllib.parse import quote, urlsplit, urlunsplit

        name = f"liushou_bench_{what}_{os.getpid()}_{next(self._n)}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        self._created.append(name)
        return urlunsplit(urlsplit(self.url)._replace(path="/" + quote(name)))

    def _drop(self, url: str | None) -> None:
        if url is None:
            return
        from urllib.parse import unquote, urlsplit

        name = unquote(urlsplit(url).path.lstrip("/"))
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def store(self, *, encrypted: bool = True) -> Store:
        from liushou_adapters.storage.postgres import PostgresStore

        key = BENCH_KEY if encrypted else None
        return PostgresStore.from_url(self._fresh("store"), key=key, encrypt=encrypted)

    def drop_store(self, store: Store) -> None:
        store.close()
        self._drop(store.url)  # type: ignore[attr-defined]

    def bare_setup(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self._drop(self.bare_url)
        self.bare_url = self._fresh("bare")
        self.conn = self.psycopg.connect(self.bare_url)
        self.conn.execute(POSTGRES_TABLE)
        self.conn.commit()

    def bare_load(self, rows: Sequence[Row], batch_size: int) -> None:
        assert self.conn is not None
        with (
            self.conn.cursor() as cur,
            cur.copy(
                "COPY bare_records (school_id, kind, id, county_code, version, data) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        self.conn.commit()

    def bare_read(self) -> int:
        assert self.conn is not None
        got = self.conn.execute(
            "SELECT school_id, kind, id, county_code, version, data::text FROM bare_records "
            "ORDER BY school_id, kind, id"
        ).fetchall()
        self.conn.commit()
        return len(got)

    def _rows(self, url: str, table: str) -> list[tuple[Any, ...]]:
        with self.psycopg.connect(url) as conn:
            return [
                (*row[:5], jsoncodec.loads(row[5]))
                for row in conn.execute(
                    f"SELECT school_id, kind, id, county_code, version, data::text FROM {table} "
                    "ORDER BY school_id, kind, id"
                )
            ]

    def store_rows(self, store: Store) -> list[tuple[Any, ...]]:
        return opened(store, self._rows(store.url, "records"))  # type: ignore[attr-defined]

    def bare_rows(self) -> list[tuple[Any, ...]]:
        assert self.bare_url is not None
        return self._rows(self.bare_url, "bare_records")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        for name in list(self._created):
            with contextlib.suppress(Exception), self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._created.remove(name)

    def describe(self) -> dict[str, Any]:
        with self._admin() as conn:
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes")
            }
        return {"psycopg": self.psycopg.__version__, **settings}


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A private PostgreSQL server (tests/postgres_server.py), made durable, for one run."""
    path = Path(__file__).resolve().parents[1] / "tests" / "postgres_server.py"
    spec = importlib.util.spec_from_file_location("liushou_bench_postgres_server", path)
    if spec is None or spec.loader is None or not path.exists():
        raise SystemExit(f"no --postgres-url given and {path} is missing")
    server: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)
    bindir = server.find_bindir()
    if bindir is None:
        raise SystemExit("no --postgres-url given and no PostgreSQL binaries found")
    # The test cluster's settings trade durability for speed; a storage benchmark
    # keeps PostgreSQL's durable defaults (and shows them in its report).
    server.TEST_SETTINGS = {
        **server.TEST_SETTINGS,
        "fsync": "on",
        "synchronous_commit": "on",
        "full_page_writes": "on",
    }
    cluster = server.TempCluster(bindir)
    cluster.start()
    try:
        server._wait_until_ready(cluster.url)
        yield cluster.url
    finally:
        cluster.stop()


# ----------------------------------------------------------------------------- timing


@dataclass
class Timing:
    backend: str
    operation: str  # "load" or "read"
    method: str  # "store", "bare", "convert"
    n: int
    runs: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def per_second(self) -> float:
        return self.n / self.best if self.best > 0 else math.inf


def timed(fn: Callable[[], Any], *, keep_gc: bool) -> tuple[float, Any]:
    gc.collect()
    paused = not keep_gc and gc.isenabled()
    if paused:
        gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, result
    finally:
        if paused:
            gc.enable()


def read_store(store: Store, groups: Sequence[tuple[type, str]]) -> list[Any]:
    """Every record back, kind by kind and school by school, in one read-only unit of work."""
    out: list[Any] = []
    with store.unit_of_work(SYSTEM.label, readonly=True) as uow:
        for cls, sid in groups:
            out.extend(uow.list(cls, sid))
    return out


def convert_out(records: Sequence[Any]) -> list[str]:
    return [dumps(unstructure(r)) for r in records]


def convert_in(texts: Sequence[str], classes: Sequence[type]) -> list[Any]:
    return [structure(jsoncodec.loads(t), c) for t, c in zip(texts, classes, strict=True)]


@dataclass
class Results:
    schools: int
    records: int
    kinds: dict[str, int]
    seed: int
    repeat: int
    batch_size: int
    gc_paused: bool
    prepare_seconds: float
    timings: list[Timing] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)

    def timing(self, backend: str, operation: str, method: str) -> Timing:
        for t in self.timings:
            if (t.backend, t.operation, t.method) == (backend, operation, method):
                return t
        raise KeyError((backend, operation, method))

    def ratio(self, backend: str, operation: str, baseline: str = "bare") -> float:
        """The store's records per second over the baseline's."""
        return (
            self.timing(backend, operation, "store").per_second
            / self.timing(backend, operation, baseline).per_second
        )

    def targets(self) -> list[dict[str, Any]]:
        return [
            {
                "what": f"{b}: load store/bare >= {TARGET}",
                "ratio": self.ratio(b, "load"),
                "target": TARGET,
                "passed": self.ratio(b, "load") >= TARGET,
            }
            for b in self.backends
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "storage",
            "schools": self.schools,
            "records": self.records,
            "kinds": self.kinds,
            "seed": self.seed,
            "repeat": self.repeat,
            "batch_size": self.batch_size,
            "gc_paused": self.gc_paused,
            "prepare_seconds": self.prepare_seconds,
            "environment": environment("liushou", "attrs", "cattrs", "psycopg"),
            "backends": self.backends,
            "timings": [
                {**asdict(t), "best": t.best, "records_per_second": t.per_second}
                for t in self.timings
            ],
            "ratios": {
                f"{b}: {op} store/{base}": self.ratio(b, op, base)
                for b in self.backends
                for op in ("load", "read")
                for base in METHODS[1:]
            },
            "targets": self.targets(),
            "checks": self.checks,
        }


def run_backend(
    backend: Backend,
    county: County,
    res: Results,
    *,
    repeat: int,
    batch_size: int,
    keep_gc: bool,
    log: Callable[[str], None] = lambda _: None,
) -> None:
    """Time the store and the bare baseline on ``backend``, interleaved, ``repeat`` times."""
    n = len(county.records)
    name = backend.name
    times = {
        (op, method): Timing(name, op, method, n)
        for op in ("load", "read")
        for method in ("store", "plain", "bare", "convert")
    }
    texts = [row[5] for row in county.rows]
    classes = [type(r) for r in county.records]
    store: Store | None = None
    read: list[Any] = []
    try:
        for i in range(repeat):
            if store is not None:
                backend.drop_store(store)
            store = backend.store()
            seconds, result = timed(
                functools.partial(
                    import_records, store, SYSTEM, county.records, batch_size=batch_size
                ),
                keep_gc=keep_gc,
            )
            assert result.added == n, result
            times["load", "store"].runs.append(seconds)
            plain = backend.store(encrypted=False)
            try:
                seconds, _ = timed(
                    functools.partial(
                        import_records, plain, SYSTEM, county.records, batch_size=batch_size
                    ),
                    keep_gc=keep_gc,
                )
                times["load", "plain"].runs.append(seconds)
                seconds, _ = timed(
                    functools.partial(read_store, plain, county.groups), keep_gc=keep_gc
                )
                times["read", "plain"].runs.append(seconds)
            finally:
                backend.drop_store(plain)
            backend.bare_setup()
            seconds, _ = timed(
                functools.partial(backend.bare_load, county.rows, batch_size), keep_gc=keep_gc
            )
            times["load", "bare"].runs.append(seconds)
            seconds, _ = timed(functools.partial(convert_out, county.records), keep_gc=keep_gc)
            times["load", "convert"].runs.append(seconds)
            read = []
            seconds, read = timed(
                functools.partial(read_store, store, county.groups), keep_gc=keep_gc
            )
            times["read", "store"].runs.append(seconds)
            seconds, got = timed(backend.bare_read, keep_gc=keep_gc)
            assert got == n, (got, n)
            times["read", "bare"].runs.append(seconds)
            seconds, _ = timed(functools.partial(convert_in, texts, classes), keep_gc=keep_gc)
            times["read", "convert"].runs.append(seconds)
            log(
                f"{name} run {i + 1}/{repeat}: "
                + ", ".join(f"{op} {m} {t.runs[-1]:.2f} s" for (op, m), t in times.items())
            )
        assert store is not None
        res.checks[name] = equivalence(backend, store, county, read)
    finally:
        if store is not None:
            backend.drop_store(store)
    for op in ("load", "read"):
        # What a store that added nothing to the converter and the bare SQL would take.
        best = times[op, "convert"].best + times[op, "bare"].best
        times[op, "convert+bare"] = Timing(name, op, "convert+bare", n, [best])
    res.timings.extend(times[op, m] for op in ("load", "read") for m in METHODS)
    res.backends[name] = {"bare": backend.bare_method, **backend.describe()}


def equivalence(backend: Backend, store: Store, county: County, read: list[Any]) -> dict[str, Any]:
    """Whether the store read back the input, wrote the bare rows, and audited every record."""
    expected = sorted(
        (attrs.evolve(r, version=1) for r in county.records),
        key=lambda r: (school_id_of(r), kind_of(type(r)), r.id),
    )
    got = sorted(read, key=lambda r: (school_id_of(r), kind_of(type(r)), r.id))
    store_rows = backend.store_rows(store)
    bare_rows = backend.bare_rows()
    audit = len(store.audit_trail())
    problems = []
    if got != expected:
        problems.append("the records read back differ from the input")
    if store_rows != bare_rows:
        problems.append("the store's rows (decrypted) differ from the bare table's")
    if audit != len(county.records):
        problems.append(f"{audit} audit entries for {len(county.records)} records")
    return {
        "records_read": len(got),
        "rows_compared": len(store_rows),
        "audit_entries": audit,
        "mismatches": len(problems),
        "problems": problems,
    }


def run(
    schools: int = DEFAULT_SCHOOLS,
    *,
    backends: Sequence[str] = ("sqlite",),
    seed: int = SEED,
    repeat: int = 3,
    batch_size: int = DEFAULT_BATCH_SIZE,
    keep_gc: bool = False,
    postgres_url: str | None = None,
    directory: Path | None = None,
    county: County | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Results:
    """Run the whole benchmark and return its figures."""
    county = county or make_county(schools, seed)
    log(f"county made: {len(county.records):,} records in {county.prepare_seconds:.1f} s")
    res = Results(
        schools=county.schools,
        records=len(county.records),
        kinds=county.kinds,
        seed=seed,
        repeat=repeat,
        batch_size=batch_size,
        gc_paused=not keep_gc,
        prepare_seconds=county.prepare_seconds,
    )
    with contextlib.ExitStack() as stack:
        for name in backends:
            backend: Backend
            if name == "sqlite":
                backend = SqliteBackend(directory)
            elif name == "postgres":
                if importlib.util.find_spec("liushou_adapters.storage.postgres") is None:
                    raise SystemExit("liushou_adapters.storage.postgres is not available")
                url = postgres_url or stack.enter_context(throwaway_postgres())
                backend = PostgresBackend(url)
            else:
                raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
            stack.callback(backend.close)
            run_backend(
                backend,
                county,
                res,
                repeat=repeat,
                batch_size=batch_size,
                keep_gc=keep_gc,
                log=log,
            )
    return res


# ----------------------------------------------------------------------------- report


def label(t: Timing, res: Results) -> str:
    """How a timing's method is shown: ``bare executemany``, ``bare SELECT``, ..."""
    if t.method == "bare":
        return "bare " + (res.backends[t.backend]["bare"] if t.operation == "load" else "SELECT")
    if t.method == "convert+bare":
        return "convert + bare"
    if t.method == "plain":
        return "store, not encrypted"
    if t.method == "store":
        return "store (encrypted)"
    return t.method


def report(res: Results) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    kinds = ", ".join(f"{n:,} {k}" for k, n in res.kinds.items())
    table = Table(
        title=f"liushou storage: {res.schools} schools, {res.records:,} records, "
        f"best of {res.repeat}" + ("" if res.gc_paused else " (GC on)")
    )
    for column in ("backend", "operation", "method", "best s", "records/s", "store ÷ this"):
        table.add_column(column, justify="left" if column in {"backend", "method"} else "right")
    for t in res.timings:
        ratio = res.timing(t.backend, t.operation, "store").per_second / t.per_second
        method = label(t, res)
        table.add_row(
            t.backend,
            t.operation,
            method,
            f"{t.best:.2f}",
            f"{t.per_second:,.0f}",
            f"{ratio:.2f}×",
        )
    console.print(table)
    console.print(f"records: {kinds}")
    console.print(f"county made in {res.prepare_seconds:.1f} s")
    for name, about in res.backends.items():
        shown = ", ".join(f"{k} {v}" for k, v in about.items() if k not in {"bare", "directory"})
        console.print(f"{name}: {shown}")
    for name, check in res.checks.items():
        verdict = "[green]equivalent[/]" if check["mismatches"] == 0 else "[red]DIFFERENT[/]"
        console.print(
            f"{name}: {check['records_read']:,} records read back, {check['rows_compared']:,} rows "
            f"compared with the bare table, {check['audit_entries']:,} audit entries: {verdict}"
        )
        for line in check["problems"]:
            console.print(f"  {line}")
    for name in res.backends:
        load = res.ratio(name, "load", "plain")
        read = res.ratio(name, "read", "plain")
        console.print(
            f"{name}: cost of encryption at rest: encrypted/plain records/s {load:.2f} "
            f"loading, {read:.2f} reading"
        )
    for target in res.targets():
        mark = "[green]PASS[/]" if target["passed"] else "[red]FAIL[/]"
        console.print(f"{mark} {target['what']}: measured {target['ratio']:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--schools", type=int, default=None, help=f"schools (default {DEFAULT_SCHOOLS})"
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SCHOOLS} schools")
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="sqlite")
    parser.add_argument("--postgres-url", metavar="URL", help="a server to create databases on")
    parser.add_argument("--dir", type=Path, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    schools = (
        args.schools
        if args.schools is not None
        else (QUICK_SCHOOLS if args.quick else DEFAULT_SCHOOLS)
    )
    if schools < 1 or args.repeat < 1 or args.batch_size < 1:
        parser.error("--schools, --repeat and --batch-size must be at least 1")
    backends = BACKENDS if args.backend == "all" else (args.backend,)
    res = run(
        schools,
        backends=backends,
        seed=args.seed,
        repeat=args.repeat,
        batch_size=args.batch_size,
        keep_gc=args.gc,
        postgres_url=args.postgres_url,
        directory=args.dir,
        log=(lambda _: None) if args.quiet else (lambda line: print(line, flush=True)),
    )
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=2, ensure_ascii=False) + "\n")
        print(f"saved {args.json}")
    failed = any(c["mismatches"] for c in res.checks.values()) or not all(
        t["passed"] for t in res.targets()
    )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
