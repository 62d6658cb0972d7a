"""The embedded default store: SQLite through the standard library's ``sqlite3``.

URL: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
``sqlite:///:memory:``.

Every connection runs with ``journal_mode=WAL`` (file databases),
``synchronous=FULL``, ``foreign_keys=ON`` and a busy timeout (30 s by default),
and writes happen inside ``BEGIN IMMEDIATE`` transactions, so that concurrent
writers wait for each other instead of failing with "database is locked".

Schema (migration 1):

* ``schools``: one row per stored school, ``(school_id, county_code)``; the
  record rows refer to it (a foreign key), so a school's records cannot outlive
  it and every row carries its school's county code;
* ``records``: every entity as JSON (the converter's unstructured shape) keyed
  by ``(school_id, kind, id)``, with ``county_code`` and ``version``;
* ``audit``: an append-only trail (who, when, what, which record, old and new
  version) written in the same transaction as the change; triggers refuse
  ``UPDATE`` and ``DELETE`` on it;
* ``schema_version``: the migrations applied; :meth:`SqliteStore.upgrade`
  applies the pending ones in place.

Migration 2 adds partial expression indexes (``json_extract(data, '$.class_id')``
for children, the date field of each dated kind, a pairing's term, mentor and
child, a diary's mentor) and an index of schools by county. A query names its
kind as a literal so that SQLite can use them, and a filtered query has no
``ORDER BY`` (its rows are sorted by id in Python), so that SQLite picks the
index over the primary key even without statistics (no ``ANALYZE`` needed).

Migration 3 lets the audit trail record reads: ``action`` may be ``read``
and a ``fields`` column (a JSON array of field names: those written, or those
shown by a read) is added. SQLite cannot change a CHECK constraint in place,
so the migration rebuilds the table inside the upgrade's transaction: it
copies every row with its ``seq`` into a new table, carries over the
``AUTOINCREMENT`` high-water mark, drops the old table (``DROP TABLE`` fires
no row triggers; the old triggers and index go with it), renames the new one
and creates the index and the append-only triggers again. Rows from before
have ``fields = '[]'``.

Reads: :meth:`SqliteUnitOfWork.record_read` inserts its entry in the writing
unit of work's transaction. A ``readonly`` unit of work reads one snapshot
(a deferred ``BEGIN``); upgrading that snapshot to a write would fail at once
("database is locked", whatever the busy timeout) whenever another writer
committed since it began. So a read-only unit of work keeps its recorded
reads and writes them at :meth:`~SqliteUnitOfWork.commit`: the snapshot ends,
then one short ``BEGIN IMMEDIATE`` transaction (which waits for other writers)
appends them. Without commit they are dropped, as a rollback drops writes.

>>> from liushou_core.models import School
>>> store = SqliteStore(":memory:")
>>> with store.unit_of_work(actor="doctest") as uow:
...     school = uow.add(School(id="S1", name="中心小学", county_code="431121"))
...     uow.commit()
>>> school.version
1
"""

from __future__ import annotations

import builtins
import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import attrs

from liushou_adapters.storage import (
    Condition,
    InvalidStoreUrl,
    audit_filters,
    changed_fields,
    jsoncodec,
    kind_of,
    plan_query,
    read_fields,
    school_id_of,
    written_fields,
)
from liushou_adapters.storage.crypto import (
    ENV_KEY,
    SCHEME,
    SENSITIVE,
    FieldCipher,
    KeyRequired,
    default_key_file,
    resolve_key,
)
from liushou_core import hookimpl
from liushou_core.convert import structure, unstructure
from liushou_core.errors import ConflictError, LiushouError, NotFound
from liushou_core.hookspecs import StorageBackend
from liushou_core.models import School, with_version
from liushou_core.ports import AuditEntry, Store, UnitOfWork
from liushou_core.privacy import PURGED_PURPOSE

__all__ = [
    "LATEST_SCHEMA",
    "MIGRATIONS",
    "Migration",
    "SchemaError",
    "SqliteStore",
    "SqliteUnitOfWork",
    "liushou_storage_backends",
]

T = TypeVar("T")

#: Default seconds a connection waits for another writer before giving up.
DEFAULT_TIMEOUT: Final = 30.0


@attrs.frozen
class Migration:
    """One schema step: its number, what it does, and its SQL statements."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(
        1,
        "schools, records, audit trail, schema version",
        (
            """CREATE TABLE schema_version (
                version INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )""",
            """CREATE TABLE schools (
                school_id TEXT PRIMARY KEY,
                county_code TEXT NOT NULL
            ) WITHOUT ROWID""",
            """CREATE TABLE records (
                school_id TEXT NOT NULL REFERENCES schools (school_id),
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                county_code TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                data TEXT NOT NULL CHECK (json_valid(data)),
                PRIMARY KEY (school_id, kind, id)
            ) WITHOUT ROWID""",
            "CREATE INDEX records_county ON records (county_code, kind)",
            """CREATE TABLE audit (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL CHECK (action IN ('add', 'update', 'delete')),
                school_id TEXT NOT NULL,
                county_code TEXT NOT NULL,
                kind TEXT NOT NULL,
                record_id TEXT NOT NULL,
                old_version INTEGER,
                new_version INTEGER,
                purpose TEXT NOT NULL DEFAULT ''
            )""",
            "CREATE INDEX audit_record ON audit (school_id, kind, record_id)",
            """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
            """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
        ),
    ),
    Migration(
        2,
        "indexes for queries by class, mentor, child, term and date range",
        (
            # Partial indexes, one per kind: a query names its kind as a literal
            # (kind = 'child') so that SQLite can use them; rows of other kinds
            # cost nothing to write.
            *(
                f"CREATE INDEX records_{kind}_{field} ON records "
                f"(school_id, json_extract(data, '$.{field}')) WHERE kind = '{kind}'"
                for kind, field in (
                    ("child", "class_id"),
                    ("pairing", "term_id"),
                    ("pairing", "mentor_id"),
                    ("pairing", "child_id"),
                    ("diary_entry", "mentor_id"),
                    ("contact_event", "date"),
                    ("diary_entry", "date"),
                    ("health_check", "date"),
                    ("incident", "occurred_on"),
                    ("aid_decision", "on"),
                    ("safety_pledge", "signed_on"),
                    ("consent", "given_on"),
                )
            ),
            "CREATE INDEX schools_county ON schools (county_code)",
        ),
    ),
    Migration(
        3,
        "audit trail: reads, and the fields written or read",
        (
            # A CHECK cannot be changed in place: rebuild the table, keeping every
            # row and its seq, then put the index and the triggers back.
            """CREATE TABLE audit_v3 (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL CHECK (action IN ('add', 'update', 'delete', 'read')),
                school_id TEXT NOT NULL,
                county_code TEXT NOT NULL,
                kind TEXT NOT NULL,
                record_id TEXT NOT NULL,
                old_version INTEGER,
                new_version INTEGER,
                purpose TEXT NOT NULL DEFAULT '',
                fields TEXT NOT NULL DEFAULT '[]' CHECK (json_type(fields) = 'array')
            )""",
            """INSERT INTO audit_v3 (seq, at, actor, action, school_id, county_code, kind,
                                     record_id, old_version, new_version, purpose)
               SELECT seq, at, actor, action, school_id, county_code, kind,
                      record_id, old_version, new_version, purpose
               FROM audit ORDER BY seq""",
            # AUTOINCREMENT never reuses a seq: keep the old table's high-water mark
            """INSERT INTO sqlite_sequence (name, seq)
               SELECT 'audit_v3', 0 WHERE NOT EXISTS
                   (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_v3')""",
            """UPDATE sqlite_sequence SET seq = max(seq, coalesce(
                   (SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0))
               WHERE name = 'audit_v3'""",
            # DROP TABLE fires no row triggers; the old triggers and index go with it
            "DROP TABLE audit",
            "ALTER TABLE audit_v3 RENAME TO audit",
            "CREATE INDEX audit_record ON audit (school_id, kind, record_id)",
            """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
            """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
        ),
    ),
    Migration(
        4,
        "encryption key check; purge may blank the purpose of a purged child's entries",
        (
            """CREATE TABLE keyring (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                scheme TEXT NOT NULL,
                fingerprint TEXT NOT NULL DEFAULT '',
                check_value TEXT NOT NULL DEFAULT ''
            )""",
            # The one change the trail allows: a purge replaces the free-text purpose
            # of the purged records' entries (which may name the child) by a marker.
            "DROP TRIGGER audit_no_update",
            f"""CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                WHEN NOT (NEW.purpose = '{PURGED_PURPOSE}'
                    AND NEW.seq IS OLD.seq AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor
                    AND NEW.action IS OLD.action AND NEW.school_id IS OLD.school_id
                    AND NEW.county_code IS OLD.county_code AND NEW.kind IS OLD.kind
                    AND NEW.record_id IS OLD.record_id AND NEW.old_version IS OLD.old_version
                    AND NEW.new_version IS OLD.new_version AND NEW.fields IS OLD.fields)
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
        ),
    ),
)

#: The schema version this code writes and reads.
LATEST_SCHEMA: Final = MIGRATIONS[-1].version


class SchemaError(LiushouError):
    """The database's schema is newer than this liushou, or older and not upgraded."""


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


_dumps = jsoncodec.dumps


_WRITTEN_JSON: dict[type, str] = {}


def _written_json(cls: type) -> str:
    """The ``fields`` column of an add or delete of ``cls``."""
    text = _WRITTEN_JSON.get(cls)
    if text is None:
        text = _WRITTEN_JSON[cls] = _dumps(list(written_fields(cls)))
    return text


_AUDIT_INSERT: Final = (
    "INSERT INTO audit (at, actor, action, school_id, county_code, kind, record_id, "
    "old_version, new_version, purpose, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


_URL_PARAMS: Final = ("key", "keyfile", "encrypt")


def _split_url(url: str) -> tuple[str, dict[str, str]]:
    """The path of an SQLite URL and its parameters (``key``, ``keyfile``, ``encrypt``)."""
    from urllib.parse import parse_qsl

    path, sep, query = url.partition("?")
    params: dict[str, str] = {}
    if sep:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise InvalidStoreUrl(
                "SQLite store URL parameters are ?key=..., ?keyfile=PATH or ?encrypt=off"
            ) from None
        for name, value in pairs:
            if name not in _URL_PARAMS:
                raise InvalidStoreUrl(
                    f"unknown SQLite store URL parameter {name!r}; known: {', '.join(_URL_PARAMS)}"
                )
            params[name] = value
    return _path_from_url(path), params


def _encrypt_flag(value: str | None) -> bool:
    if value is None:
        return True
    if value.lower() in {"on", "1", "true", "yes"}:
        return True
    if value.lower() in {"off", "0", "false", "no"}:
        return False
    raise InvalidStoreUrl("encrypt= is on or off")


def _path_from_url(url: str) -> str:
    prefix = "sqlite:///"
    if not url.lower().startswith(prefix):
        raise InvalidStoreUrl(
            "an SQLite store URL is sqlite:///path.db (three slashes; four for an "
            "absolute path) or sqlite:///:memory:"
        )
    path = url[len(prefix) :]
    if not path:
        raise InvalidStoreUrl("an SQLite store URL needs a path: sqlite:///liushou.db")
    return path


class SqliteStore:
    """A store in one SQLite database file (or in memory).

    Each thread gets its own connection, opened on first use and kept until
    :meth:`close`; an in-memory database has a single connection shared under a
    lock. A new database gets
    its schema at once; an older one is upgraded when ``auto_upgrade`` is true
    (the default), else :meth:`unit_of_work` refuses until :meth:`upgrade` runs.

    ``clock`` gives the audit trail's timestamps (local time with its UTC
    offset); tests may pass their own.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        auto_upgrade: bool = True,
        clock: Callable[[], dt.datetime] = _local_now,
        key: str | bytes | None = None,
        encrypt: bool = True,
        url_params: Mapping[str, str] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.cipher: FieldCipher | None = None
        self._key_args: tuple[str | bytes | None, dict[str, str], bool] | None = (
            key,
            dict(url_params or {}),
            encrypt,
        )
        self.timeout = timeout
        self.clock = clock
        self._memory = self.path == ":memory:"
        self._local = threading.local()
        self._lock = threading.RLock()
        self._connections: builtins.list[sqlite3.Connection] = []
        self._shared: sqlite3.Connection | None = None
        self._closed = False
        try:
            version = self.schema_version()
            if version > LATEST_SCHEMA:
                raise SchemaError(
                    f"the database {self.path} has schema version {version}, newer than this "
                    f"liushou supports ({LATEST_SCHEMA}); upgrade liushou"
                )
            if version < LATEST_SCHEMA and (auto_upgrade or version == 0):
                self.upgrade()
            self._keys()
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SqliteStore:
        """Open ``sqlite:///path.db`` or ``sqlite:///:memory:``.

        Parameters: ``?key=`` (the key, base64), ``?keyfile=PATH`` and
        ``?encrypt=off`` (a new database kept in the clear); see :mod:`.crypto`.
        """
        path, params = _split_url(url)
        options.setdefault("encrypt", _encrypt_flag(params.get("encrypt")))
        return cls(path, url_params=params, **options)

    # ------------------------------------------------------------------ encryption

    @property
    def key_file(self) -> str | None:
        """The key file beside the database (``liushou.db.key``); ``None`` in memory."""
        return None if self._memory else f"{self.path}.key"

    @property
    def encrypted(self) -> bool:
        """Whether the sensitive fields are stored encrypted."""
        return self.cipher is not None

    def _keys(self) -> None:
        """Set up the keys once the schema has the keyring (schema 4)."""
        if self._key_args is not None and self.schema_version() >= 4:
            args, self._key_args = self._key_args, None
            self._set_up_keys(*args)

    def _set_up_keys(self, key: str | bytes | None, params: dict[str, str], encrypt: bool) -> None:
        """Check the key of an encrypted database, or encrypt a new (or plain) one.

        An encrypted database needs its key (:class:`~.crypto.KeyRequired`,
        :class:`~.crypto.WrongKey`). A database without a keyring entry (new,
        or upgraded from schema 3) or kept in the clear is encrypted now,
        unless ``encrypt`` is false: its sensitive values are sealed in one
        transaction, with ``secure_delete`` overwriting the clear text.
        """
        given = resolve_key(key=key, url_params=params)
        with self._connection_held() as conn:
            row = conn.execute("SELECT scheme, fingerprint, check_value FROM keyring").fetchone()
        if row is not None and row[0] != "none":
            if given is None and self.key_file is not None:
                given = default_key_file(self.key_file, create=False)
            if given is None:
                raise KeyRequired(
                    f"the database {self.path} is encrypted and no key was given: set "
                    f"{ENV_KEY}, add ?key= or ?keyfile= to the URL, or put the key file "
                    f"at {self.key_file}"
                )
            cipher = FieldCipher(given)
            cipher.verify(row[2], row[1])
            self.cipher = cipher
            return
        if not encrypt:
            if row is None:
                with self._connection_held() as conn:
                    conn.execute("INSERT OR IGNORE INTO keyring (id, scheme) VALUES (1, 'none')")
            return
        if given is None:
            given = (
                os.urandom(32)
                if self.key_file is None
                else default_key_file(self.key_file, create=True)
            )
        self.cipher = self._encrypt_existing(FieldCipher(cast(bytes, given)))

    def _encrypt_existing(self, cipher: FieldCipher) -> FieldCipher:
        with self._connection_held() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT scheme, fingerprint, check_value FROM keyring"
                ).fetchone()
                if row is not None and row[0] != "none":  # another process was first
                    conn.execute("ROLLBACK")
                    cipher.verify(row[2], row[1])
                    return cipher
                kinds = ", ".join(f"'{k}'" for k in SENSITIVE)
                rows = conn.execute(
                    f"SELECT school_id, kind, id, data FROM records WHERE kind IN ({kinds})"
                ).fetchall()
                conn.executemany(
                    "UPDATE records SET data = ? WHERE school_id = ? AND kind = ? AND id = ?",
                    [
                        (_dumps(cipher.seal(kind, cipher.open(kind, jsoncodec.loads(data)))),
                         sid, kind, rid)
                        for sid, kind, rid, data in rows
                    ],
                )  # fmt: skip
                conn.execute(
                    "INSERT OR REPLACE INTO keyring (id, scheme, fingerprint, check_value) "
                    "VALUES (1, ?, ?, ?)",
                    (SCHEME, cipher.fingerprint, cipher.check_value()),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if rows and not self._memory:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cipher

    def _seal(self, kind: str, plain: dict[str, Any]) -> dict[str, Any]:
        return plain if self.cipher is None else self.cipher.seal(kind, plain)

    def _open(self, kind: str, stored: dict[str, Any]) -> dict[str, Any]:
        return stored if self.cipher is None else self.cipher.open(kind, stored)

    # ------------------------------------------------------------------ erasing

    def erase_freed(self, *, vacuum: bool = True) -> bool:
        """Make deleted data unrecoverable from the files: checkpoint the WAL into the
        database and truncate it, then (``vacuum``) rebuild the file from the live rows.

        Every connection runs with ``secure_delete`` on, so deleted rows are
        overwritten with zeros in their pages; the checkpoint copies those pages
        over the old ones in the database file and empties the ``-wal`` file,
        and ``VACUUM`` leaves no free page behind. Returns ``False`` when another
        connection's open read kept the checkpoint from completing (run it again
        later); ``True`` otherwise.
        """
        if self._memory:
            return True
        with self._connection_held() as conn:
            if conn.in_transaction:
                raise LiushouError("finish the unit of work open on this thread first")
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if vacuum:
                conn.execute("VACUUM")
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return not busy

    @property
    def url(self) -> str:
        """The URL this store was opened from."""
        return f"sqlite:///{self.path}"

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    # ------------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.timeout,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,  # only close() touches it from another thread
        )
        if not self._memory:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten content is zeroed in its page, so that a purge
        # (or an update of a name) leaves no old copy in the file's free space.
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        self._connections.append(conn)
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise LiushouError(f"{self!r} is closed")
        if self._memory:
            if self._shared is None:
                self._shared = self._connect()
            return self._shared
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def _connection_held(self) -> Iterator[sqlite3.Connection]:
        if self._memory:
            with self._lock:
                yield self._connection()
        else:
            yield self._connection()

    def close(self) -> None:
        """Close every connection this store opened. Idempotent."""
        self._closed = True
        for conn in self._connections:
            conn.close()
        self._connections.clear()
        self._shared = None

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pragmas(self) -> dict[str, Any]:
        """The connection settings in force (for checks and tests)."""
        with self._connection_held() as conn:
            return {
                name: conn.execute(f"PRAGMA {name}").fetchone()[0]
                for name in (
                    "journal_mode",
                    "synchronous",
                    "foreign_keys",
                    "busy_timeout",
                    "secure_delete",
                )
            }

    # ------------------------------------------------------------------ schema

    @staticmethod
    def _version_of(conn: sqlite3.Connection) -> int:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if not exists:
            return 0
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def schema_version(self) -> int:
        """The schema version of the database (0 for an empty one)."""
        with self._connection_held() as conn:
            return self._version_of(conn)

    def upgrade(self) -> builtins.list[int]:
        """Apply the pending migrations in place, in one transaction; idempotent.

        Returns the versions applied (empty when the schema is current).
        """
        with self._connection_held() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = self._version_of(conn)
                if current > LATEST_SCHEMA:
                    raise SchemaError(
                        f"schema version {current} is newer than this liushou ({LATEST_SCHEMA})"
                    )
                applied: builtins.list[int] = []
                for m in MIGRATIONS:
                    if m.version <= current:
                        continue
                    for statement in m.statements:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (version, description, applied_at) "
                        "VALUES (?, ?, ?)",
                        (m.version, m.description, self.clock().isoformat(timespec="seconds")),
                    )
                    applied.append(m.version)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        if applied and hasattr(self, "_key_args"):
            self._keys()  # a database upgraded to schema 4 is encrypted now
        return applied

    # ------------------------------------------------------------------ units of work

    def unit_of_work(
        self, actor: str = "system", *, purpose: str = "", readonly: bool = False
    ) -> SqliteUnitOfWork:
        """A transaction: ``with store.unit_of_work(actor="...") as uow: ...; uow.commit()``.

        ``actor`` (who) and ``purpose`` (why) are recorded in the audit trail of
        every write and read. Leaving the
        block without :meth:`~SqliteUnitOfWork.commit` rolls everything back. A
        ``readonly`` unit of work reads one consistent snapshot and refuses writes
        (but records reads, written at commit); any other takes the write lock at
        once (``BEGIN IMMEDIATE``).
        """
        if not actor or not actor.strip():
            raise ValueError("a unit of work needs an actor (who is making the changes)")
        return SqliteUnitOfWork(self, actor=actor, purpose=purpose, readonly=readonly)

    def audit_trail(
        self,
        *,
        school_id: str | None = None,
        kind: str | type | None = None,
        record_id: str | None = None,
        action: str | None = None,
    ) -> builtins.list[AuditEntry]:
        """The committed audit rows, oldest first, that match every filter given.

        ``kind`` is a kind name or a record class; ``action`` one of ``add``,
        ``update``, ``delete``, ``read``. ``audit_trail(school_id="S1",
        kind=Child, record_id="c1")`` is who saw or changed one child's record
        (it uses the index on school, kind and record).
        """
        query = audit_filters(school_id=school_id, kind=kind, record_id=record_id, action=action)
        sql = (
            "SELECT seq, at, actor, action, kind, school_id, record_id, old_version, "
            "new_version, purpose, fields FROM audit"
        )
        where = [f"{column} = ?" for column, _ in query.items()]
        params = [value for _, value in query.items()]
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._connection_held() as conn:
            rows = conn.execute(sql + " ORDER BY seq", params).fetchall()
        return [
            AuditEntry(
                seq=seq,
                at=dt.datetime.fromisoformat(at),
                actor=actor,
                action=action,
                kind=kind,
                school_id=sid,
                record_id=rid,
                old_version=old,
                new_version=new,
                purpose=purpose,
                fields=tuple(jsoncodec.loads(fields)),
            )
            for seq, at, actor, action, kind, sid, rid, old, new, purpose, fields in rows
        ]


class SqliteUnitOfWork:
    """One transaction on a :class:`SqliteStore`; use it as a context manager.

    Writes return a copy of the record with its new version (a fresh record
    becomes version 1; each update adds 1). Each write is atomic on its own: a
    failed one (a stale version, a duplicate id) leaves nothing behind, and the
    unit of work stays usable. Every write appends an audit row in the same
    transaction. After :meth:`commit` the unit of work may go on; the next write
    starts a new transaction.

    :meth:`record_read` appends a ``read`` entry: at once in a writing unit of
    work, at :meth:`commit` in a read-only one (see the module documentation).
    """

    def __init__(self, store: SqliteStore, *, actor: str, purpose: str, readonly: bool) -> None:
        self.store = store
        self.actor = actor
        self.purpose = purpose
        self.readonly = readonly
        self._conn: sqlite3.Connection | None = None
        self._held: Any = None
        self._counties: dict[str, str] = {}
        self._savepoints = 0
        self._reads: builtins.list[tuple[Any, ...]] = []  # a read-only one's, until commit

    # ------------------------------------------------------------------ transaction

    def __enter__(self) -> SqliteUnitOfWork:
        if self._held is not None:
            raise LiushouError("this unit of work is already open")
        held = self.store._connection_held()
        conn = held.__enter__()
        try:
            if conn.in_transaction:
                raise LiushouError(
                    "another unit of work is open on this thread's connection; "
                    "finish it before starting a new one"
                )
            version = SqliteStore._version_of(conn)
            if version != LATEST_SCHEMA:
                raise SchemaError(
                    f"the database has schema version {version}, this liushou needs "
                    f"{LATEST_SCHEMA}: run upgrade()"
                )
            conn.execute("BEGIN" if self.readonly else "BEGIN IMMEDIATE")
        except BaseException:
            held.__exit__(None, None, None)
            raise
        self._held = held
        self._conn = conn
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._conn = None
            held, self._held = self._held, None
            if held is not None:
                held.__exit__(exc_type, exc, tb)

    def _begin(self) -> None:
        conn = self._require()
        if not conn.in_transaction:
            conn.execute("BEGIN" if self.readonly else "BEGIN IMMEDIATE")

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise LiushouError("use the unit of work in a with block")
        return self._conn

    def _writable(self) -> sqlite3.Connection:
        if self.readonly:
            raise LiushouError("this unit of work is read-only")
        self._begin()
        return self._require()

    def commit(self) -> None:
        """Make the writes (and recorded reads) so far durable.

        In a read-only unit of work this ends the snapshot, then appends the
        reads recorded since the last commit in a short write transaction; if
        that fails (another writer held the lock past the busy timeout) the
        error is raised and the reads are not recorded.
        """
        conn = self._require()
        if conn.in_transaction:
            conn.execute("COMMIT")
        if self._reads:
            reads, self._reads = self._reads, []
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_AUDIT_INSERT, reads)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def rollback(self) -> None:
        """Undo the writes (and drop the reads recorded) since the last commit."""
        conn = self._conn
        if conn is not None and conn.in_transaction:
            conn.execute("ROLLBACK")
        self._counties.clear()
        self._reads.clear()

    def redact_audit(self, keys: Iterable[tuple[str, str, str]]) -> int:
        """Blank (to :data:`~liushou_core.privacy.PURGED_PURPOSE`) the purpose of the
        audit entries of these records, ``(school_id, kind, id)``, in this transaction.

        The one change the trail's trigger allows (schema 4), for a purge: the
        purpose is free text that may name the child. Returns the entries changed.
        """
        with self._atomic() as conn:
            changed = 0
            for sid, kind, rid in keys:
                cursor = conn.execute(
                    "UPDATE audit SET purpose = ? WHERE school_id = ? AND kind = ? "
                    "AND record_id = ? AND purpose != ?",
                    (PURGED_PURPOSE, sid, kind, rid, PURGED_PURPOSE),
                )
                changed += cursor.rowcount
        return changed

    @contextmanager
    def _atomic(self) -> Iterator[sqlite3.Connection]:
        conn = self._writable()
        self._savepoints += 1
        name = f"op{self._savepoints}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            self._counties.clear()
            raise
        else:
            conn.execute(f"RELEASE {name}")

    # ------------------------------------------------------------------ helpers

    def _county(self, school_id: str) -> str:
        county = self._counties.get(school_id)
        if county is None:
            row = (
                self._require()
                .execute("SELECT county_code FROM schools WHERE school_id = ?", (school_id,))
                .fetchone()
            )
            if row is None:
                raise NotFound(f"school {school_id} is not stored: add its School record first")
            county = self._counties[school_id] = str(row[0])
        return county

    def _now(self) -> str:
        return self.store.clock().isoformat(timespec="seconds")

    def _audit(
        self,
        rows: Sequence[tuple[str, str, str, str, str, int | None, int | None, str]],
    ) -> None:
        """Append write entries: (action, school, county, kind, id, old, new, fields JSON)."""
        at = self._now()
        self._require().executemany(
            _AUDIT_INSERT,
            [(at, self.actor, *row[:7], self.purpose, row[7]) for row in rows],
        )

    # ------------------------------------------------------------------ writes

    def add(self, record: T) -> T:
        """Insert a new record; the returned copy has version 1.

        Raises :class:`ConflictError` if a record of that kind and id already
        exists in the school, :class:`NotFound` if its school is not stored.
        """
        return self.add_all([record])[0]

    def add_all(self, records: Iterable[T]) -> builtins.list[T]:
        """Insert many records at once (all or none); the copies have version 1.

        Schools in the batch are stored first, so a school and its classes,
        children and staff can go in one call.
        """
        fresh: builtins.list[T] = []
        schools: builtins.list[tuple[str, str]] = []
        keyed: builtins.list[tuple[str, str, str, Any]] = []
        for record in records:
            kind = kind_of(type(record))
            new = with_version(record, 1)
            fresh.append(new)
            sid = school_id_of(new)
            if isinstance(new, School):
                schools.append((sid, new.county_code))
            keyed.append((sid, kind, str(cast(Any, new).id), new))
        if not keyed:
            return fresh
        with self._atomic() as conn:
            if schools:
                try:
                    conn.executemany(
                        "INSERT INTO schools (school_id, county_code) VALUES (?, ?)", schools
                    )
                except sqlite3.IntegrityError:
                    raise self._duplicates([(sid, "school", sid) for sid, _ in schools]) from None
                self._counties.update(schools)
            seal = self.store._seal
            rows = [
                (sid, kind, rid, self._county(sid), 1, _dumps(seal(kind, unstructure(new))))
                for sid, kind, rid, new in keyed
            ]
            try:
                conn.executemany(
                    "INSERT INTO records (school_id, kind, id, county_code, version, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except sqlite3.IntegrityError:
                raise self._duplicates([(sid, kind, rid) for sid, kind, rid, _ in keyed]) from None
            self._audit(
                [
                    ("add", sid, row[3], kind, rid, None, 1, _written_json(type(new)))
                    for row, (sid, kind, rid, new) in zip(rows, keyed, strict=True)
                ]
            )
        return fresh

    def _duplicates(self, keys: Sequence[tuple[str, str, str]]) -> ConflictError:
        """The error naming the keys of a failed insert that were taken (or repeated)."""
        conn = self._require()
        seen: set[tuple[str, str, str]] = set()
        dupes: set[tuple[str, str, str]] = set()
        for key in keys:
            if key in seen:
                dupes.add(key)
                continue
            seen.add(key)
            sid, kind, _ = key
            if kind == "school":
                sql = "SELECT 1 FROM schools WHERE school_id = ?"
                hit = conn.execute(sql, (sid,)).fetchone()
            else:
                sql = "SELECT 1 FROM records WHERE school_id = ? AND kind = ? AND id = ?"
                hit = conn.execute(sql, key).fetchone()
            if hit:
                dupes.add(key)
        names = [f"{kind} {rid} of school {sid}" for sid, kind, rid in sorted(dupes)]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return ConflictError(f"already stored, nothing was added: {shown}")

    def update(self, record: T) -> T:
        """Replace a stored record; the returned copy's version is one higher.

        ``record.version`` must equal the stored version, else
        :class:`ConflictError` is raised and nothing is written.
        """
        kind = kind_of(type(record))
        sid = school_id_of(record)
        rid = str(cast(Any, record).id)
        old = int(cast(Any, record).version)
        new = with_version(record, old + 1)
        with self._atomic() as conn:
            if isinstance(new, School):
                self._move_county(conn, new)
            county = self._county(sid)
            stored = conn.execute(
                "SELECT version, data FROM records WHERE school_id = ? AND kind = ? AND id = ?",
                (sid, kind, rid),
            ).fetchone()
            if stored is None or stored[0] != old:
                raise self._missing_or_stale(kind, sid, rid, old)
            # sealing is deterministic: an unchanged sensitive value is stored the same
            plain = self.store._seal(kind, unstructure(new))
            changed = changed_fields(type(new), jsoncodec.loads(stored[1]), plain)
            conn.execute(
                "UPDATE records SET version = ?, data = ?, county_code = ? "
                "WHERE school_id = ? AND kind = ? AND id = ? AND version = ?",
                (old + 1, _dumps(plain), county, sid, kind, rid, old),
            )
            self._audit([("update", sid, county, kind, rid, old, old + 1, _dumps(changed))])
        return new

    def _move_county(self, conn: sqlite3.Connection, school: School) -> None:
        cursor = conn.execute(
            "UPDATE schools SET county_code = ? WHERE school_id = ? AND county_code != ?",
            (school.county_code, school.id, school.county_code),
        )
        if cursor.rowcount:
            conn.execute(
                "UPDATE records SET county_code = ? WHERE school_id = ?",
                (school.county_code, school.id),
            )
        self._counties[school.id] = school.county_code

    def _missing_or_stale(self, kind: str, sid: str, rid: str, version: int) -> LiushouError:
        row = (
            self._require()
            .execute(
                "SELECT version FROM records WHERE school_id = ? AND kind = ? AND id = ?",
                (sid, kind, rid),
            )
            .fetchone()
        )
        if row is None:
            return NotFound(f"{kind} {rid} of school {sid} is not stored")
        return ConflictError(
            f"{kind} {rid} of school {sid} was changed by someone else: your copy has "
            f"version {version}, the stored one {row[0]}; reload it and try again"
        )

    def delete(self, cls: type, school_id: str, id: str, version: int) -> None:
        """Delete a record whose stored version is ``version``.

        Raises :class:`ConflictError` for a stale version (or a school that still
        has records) and :class:`NotFound` for a record that is not stored.
        """
        kind = kind_of(cls)
        with self._atomic() as conn:
            county = self._county(school_id)
            cursor = conn.execute(
                "DELETE FROM records WHERE school_id = ? AND kind = ? AND id = ? AND version = ?",
                (school_id, kind, id, version),
            )
            if cursor.rowcount != 1:
                raise self._missing_or_stale(kind, school_id, id, version)
            if cls is School:
                try:
                    conn.execute("DELETE FROM schools WHERE school_id = ?", (school_id,))
                except sqlite3.IntegrityError:
                    raise ConflictError(
                        f"school {school_id} still has records: delete them first"
                    ) from None
                self._counties.pop(school_id, None)
            self._audit(
                [("delete", school_id, county, kind, id, version, None, _written_json(cls))]
            )

    # ------------------------------------------------------------------ audited reads

    def record_read(
        self,
        cls: type,
        school_id: str,
        id: str,
        *,
        fields: Sequence[str],
        purpose: str = "",
    ) -> None:
        """Append a ``read`` audit entry: ``fields`` of the stored record were shown.

        In a writing unit of work the entry is inserted at once, in its
        transaction; in a read-only one it is kept and appended at
        :meth:`commit`. Either way a rollback drops it. ``purpose`` defaults to
        the unit of work's; the entry's versions are the stored version.

        :raises NotFound: the record is not stored.
        :raises ValueError: a name in ``fields`` is not a field of ``cls``.
        """
        kind = kind_of(cls)
        shown = _dumps(list(read_fields(cls, fields)))
        why = purpose or self.purpose
        if self.readonly:
            self._begin()
            row = (
                self._require()
                .execute(
                    "SELECT county_code, version FROM records "
                    "WHERE school_id = ? AND kind = ? AND id = ?",
                    (school_id, kind, id),
                )
                .fetchone()
            )
            if row is None:
                raise NotFound(f"{kind} {id} of school {school_id} is not stored")
            county, version = row
            self._reads.append(
                (
                    self._now(),
                    self.actor,
                    "read",
                    school_id,
                    county,
                    kind,
                    id,
                    version,
                    version,
                    why,
                    shown,
                )
            )
            return
        cursor = self._writable().execute(
            "INSERT INTO audit (at, actor, action, school_id, county_code, kind, record_id, "
            "old_version, new_version, purpose, fields) "
            "SELECT ?, ?, 'read', school_id, county_code, kind, id, version, version, ?, ? "
            "FROM records WHERE school_id = ? AND kind = ? AND id = ?",
            (self._now(), self.actor, why, shown, school_id, kind, id),
        )
        if cursor.rowcount != 1:
            raise NotFound(f"{kind} {id} of school {school_id} is not stored")

    # ------------------------------------------------------------------ reads

    def get(self, cls: type[T], school_id: str, id: str) -> T:
        """The stored record, or :class:`NotFound`."""
        kind = kind_of(cls)
        row = (
            self._require()
            .execute(
                "SELECT data FROM records WHERE school_id = ? AND kind = ? AND id = ?",
                (school_id, kind, id),
            )
            .fetchone()
        )
        if row is None:
            raise NotFound(f"{kind} {id} of school {school_id} is not stored")
        return structure(self.store._open(kind, jsoncodec.loads(row[0])), cls)

    def list(
        self,
        cls: type[T],
        school_id: str,
        /,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        **filters: Any,
    ) -> builtins.list[T]:
        """The school's records of ``cls``, by id, that meet every condition.

        ``filters`` compare simple fields (text, numbers, true/false, dates,
        choices, ``None``) for equality, and tuple-of-text fields for
        membership: ``uow.list(Child, "S1", class_id="S1-c3", boarding=True)``,
        ``uow.list(ContactEvent, "S1", staff_ids="T7", since=monday, until=sunday)``.
        ``since``/``until`` (inclusive) bound the kind's date field
        (:data:`~liushou_core.ports.DATE_FIELDS`); see
        :func:`~liushou_adapters.storage.plan_query` for what is refused.
        """
        conditions = plan_query(cls, since=since, until=until, filters=filters)
        kind = kind_of(cls)
        sql, params = _select("id, data", kind, school_id, conditions, self.store.cipher)
        conn = self._require()
        if conditions:
            # No ORDER BY: with it SQLite prefers the primary key (already in id
            # order) to an index on the condition; sorting the few rows found is cheaper.
            rows = sorted(conn.execute(sql, params).fetchall())
        else:
            rows = conn.execute(sql + " ORDER BY id", params).fetchall()
        opened = self.store._open
        return [structure(opened(kind, jsoncodec.loads(data)), cls) for _, data in rows]

    def count(self, cls: type, school_id: str) -> int:
        """How many records of ``cls`` the school has."""
        sql, params = _select("count(*)", kind_of(cls), school_id, [])
        return int(self._require().execute(sql, params).fetchone()[0])

    def schools(self, *, county_code: str | None = None) -> builtins.list[School]:
        """Every stored school, or those of one county, ordered by id."""
        sql = (
            "SELECT r.data FROM schools AS s JOIN records AS r "
            "ON r.school_id = s.school_id AND r.kind = 'school' AND r.id = s.school_id"
        )
        params: tuple[str, ...] = ()
        if county_code is not None:
            sql += " WHERE s.county_code = ?"
            params = (county_code,)
        rows = self._require().execute(sql + " ORDER BY s.school_id", params).fetchall()
        return [structure(jsoncodec.loads(data), School) for (data,) in rows]


def _select(
    what: str,
    kind: str,
    school_id: str,
    conditions: Sequence[Condition],
    cipher: FieldCipher | None = None,
) -> tuple[str, builtins.list[Any]]:
    """``SELECT what FROM records WHERE ...`` for one school, kind and conditions.

    The kind is written as a literal (kinds are fixed snake_case names), so
    that SQLite can use the partial indexes of migration 2; field names are
    identifiers (checked by :func:`plan_query`), safe in a JSON path.
    """
    sql = f"SELECT {what} FROM records WHERE school_id = ? AND kind = '{kind}'"
    params: builtins.list[Any] = [school_id]
    sealed = SENSITIVE.get(kind, ()) if cipher is not None else ()
    for c in conditions:
        path = f"json_extract(data, '$.{c.field}')"
        if c.op == "eq" and c.field in sealed and cipher is not None:
            # a sealed value starts with its keyed blind index
            prefix = cipher.index_prefix(kind, c.field, c.plain)
            sql += f" AND substr({path}, 1, {len(prefix)}) = ?"
            params.append(prefix)
        elif c.op == "eq":
            sql += f" AND {path} = ?"
            params.append(int(c.plain) if isinstance(c.plain, bool) else c.plain)
        elif c.op == "is_null":
            sql += f" AND {path} IS NULL"
        elif c.op == "has":
            sql += f" AND EXISTS (SELECT 1 FROM json_each(data, '$.{c.field}') WHERE value = ?)"
            params.append(c.plain)
        elif c.op == "since":
            sql += f" AND {path} >= ?"
            params.append(c.plain)
        else:  # until
            sql += f" AND {path} <= ?"
            params.append(c.plain)
    return sql, params


@hookimpl
def liushou_storage_backends() -> builtins.list[StorageBackend]:
    """The SQLite backend: ``sqlite:///path.db`` and ``sqlite:///:memory:``."""
    return [
        StorageBackend(
            name="sqlite",
            schemes=("sqlite",),
            open=SqliteStore.from_url,
            description="one SQLite file (the embedded default): sqlite:///liushou.db",
        )
    ]


if TYPE_CHECKING:  # the store satisfies the port (checked by mypy)

    def _conforms(store: SqliteStore) -> Store:
        return store

    def _conforms_uow(uow: SqliteUnitOfWork) -> UnitOfWork:
        return uow
