"""The PostgreSQL store (psycopg 3): a county's or a province's schools on one server.

URLs: ``postgresql://user:password@host:5432/dbname``, ``postgres://...``, and the
Unix-socket form ``postgresql:///dbname?host=/var/run/postgresql``; every libpq
parameter may be given in the query (``?sslmode=require&connect_timeout=10``).
The keyword form ``host=/tmp dbname=liushou`` works with :class:`PostgresStore`
itself. psycopg is imported only when a store is opened, so that this module
(and the plugin that lists it) loads without the driver.

Schema (migration 1), each key starting with the school id (see ``docs/postgres.md``
for Citus):

* ``schools``: ``(school_id, county_code)``; records refer to it (a foreign key);
* ``records``: every entity as ``jsonb`` (the converter's unstructured shape)
  keyed by ``(school_id, kind, id)``, with ``county_code`` and ``version``;
  indexes for the usual queries (children by class, pairings and diaries by
  mentor, dated kinds by date, contact events by child and staff);
* ``audit``: the append-only trail, keyed by ``(school_id, seq)``, written in the
  same transaction as the change; a trigger refuses ``UPDATE``, ``DELETE`` and
  ``TRUNCATE`` on it;
* ``schema_version``: the migrations applied; :meth:`PostgresStore.upgrade`
  applies the pending ones in place, under an advisory lock.

Migration 2 lets the audit trail record reads: one ``ALTER TABLE`` adds the
``fields`` column (``text[]``, the fields written or shown; ``'{}'`` for the
rows from before) and replaces the ``action`` CHECK with one that allows
``read``. DDL fires no row or statement triggers, so the append-only trigger
stays as it is; adding a column with a constant default rewrites nothing.

Reads: :meth:`PostgresUnitOfWork.record_read` inserts its entry in a writing
unit of work's transaction. A ``readonly`` unit of work is a ``READ ONLY``
transaction, which cannot insert: it keeps its recorded reads and, at
:meth:`~PostgresUnitOfWork.commit`, ends its snapshot and appends them in one
short ``READ COMMITTED`` transaction (a pure insert, which never meets a
serialization failure). Without commit they are dropped, as a rollback drops
writes.

Transactions: a writing unit of work is one ``SERIALIZABLE`` transaction (a
read-only one ``REPEATABLE READ READ ONLY``). When PostgreSQL aborts it with a
serialization failure (SQLSTATE 40001) or a deadlock (40P01), the unit of work
raises :class:`TransactionConflict` (a :class:`~liushou_core.errors.ConflictError`)
and refuses further work: everything since its last commit is gone and the whole
body must run again. :meth:`PostgresStore.run_in_transaction` does that for you::

    def enrol(uow):
        child = uow.get(Child, "S1", "c1")
        return uow.update(attrs.evolve(child, class_id="S1-g3c2"))

    store.run_in_transaction(enrol, actor="教务处 张老师")

Bulk loads: :meth:`PostgresUnitOfWork.add_all` of many records streams them, and
their audit rows, with ``COPY`` under a savepoint: a duplicate id anywhere writes
nothing and is named in the :class:`~liushou_core.errors.ConflictError`.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import attrs

from liushou_adapters.storage import (
    Condition,
    InvalidStoreUrl,
    UnknownStoreScheme,
    audit_filters,
    jsoncodec,
    kind_of,
    plan_query,
    read_fields,
    redact_url,
    school_id_of,
    written_fields,
)
from liushou_adapters.storage.crypto import (
    ENV_KEY,
    SCHEME,
    SENSITIVE,
    FieldCipher,
    KeyRequired,
    resolve_key,
)
from liushou_core import hookimpl
from liushou_core.convert import structure, unstructure
from liushou_core.errors import ConflictError, LiushouError, NotFound
from liushou_core.hookspecs import StorageBackend
from liushou_core.models import School, with_version
from liushou_core.ports import AuditEntry, Store, UnitOfWork
from liushou_core.privacy import PURGED_PURPOSE

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "COPY_THRESHOLD",
    "LATEST_SCHEMA",
    "MIGRATIONS",
    "Migration",
    "PostgresStore",
    "PostgresUnitOfWork",
    "SchemaError",
    "TransactionConflict",
    "liushou_storage_backends",
]

T = TypeVar("T")
R = TypeVar("R")

#: ``add_all`` of at least this many records goes through COPY; fewer are inserted
#: with one pipelined ``executemany``.
COPY_THRESHOLD: Final = 64


#: How often :meth:`PostgresStore.run_in_transaction` tries a body by default.
DEFAULT_ATTEMPTS: Final = 12

#: SQLSTATEs after which the whole transaction may succeed when run again.
RETRYABLE_SQLSTATES: Final = frozenset({"40001", "40P01"})

#: Any number unlikely to clash with a deployer's own advisory locks ("liushou" in hex-ish).
_LOCK_NAMESPACE: Final = 0x11503


@attrs.frozen
class Migration:
    """One schema step: its number, what it does, and its SQL statements."""

    version: int
    description: str
    statements: tuple[str, ...]


_KEY = 'text COLLATE "C" NOT NULL'

_AUDIT_COLUMNS: Final = (
    "at, actor, action, school_id, county_code, kind, record_id, "
    "old_version, new_version, purpose, fields"
)
_PLACEHOLDERS: Final = ", ".join(["%s"] * 11)


def _written(cls: type) -> builtins.list[str]:
    """The ``fields`` of an add or delete of ``cls``, and those an update compares
    (a text[] parameter)."""
    return list(written_fields(cls))


_LITERALS: dict[type, str] = {}


def _written_literal(cls: type) -> str:
    """The same as a text[] literal for COPY (field names are plain identifiers)."""
    text = _LITERALS.get(cls)
    if text is None:
        text = _LITERALS[cls] = "{" + ",".join(written_fields(cls)) + "}"
    return text


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(
        1,
        "schools, records, audit trail, schema version",
        (
            """CREATE TABLE schema_version (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL
            )""",
            f"""CREATE TABLE schools (
                school_id {_KEY},
                county_code {_KEY},
                PRIMARY KEY (school_id)
            )""",
            f"""CREATE TABLE records (
                school_id {_KEY} REFERENCES schools (school_id),
                kind {_KEY},
                id {_KEY},
                county_code {_KEY},
                version integer NOT NULL CHECK (version >= 1),
                data jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
                PRIMARY KEY (school_id, kind, id)
            )""",
            "CREATE INDEX records_county ON records (county_code, kind)",
            "CREATE INDEX records_class ON records (school_id, kind, (data->>'class_id')) "
            "WHERE kind = 'child'",
            "CREATE INDEX records_mentor ON records (school_id, kind, (data->>'mentor_id')) "
            "WHERE kind IN ('pairing', 'diary_entry')",
            "CREATE INDEX records_date ON records "
            "(school_id, kind, ((data->>'date') COLLATE \"C\")) "
            "WHERE kind IN ('contact_event', 'diary_entry', 'health_check')",
            "CREATE INDEX records_people ON records "
            "USING gin ((data->'child_ids'), (data->'staff_ids')) WHERE kind = 'contact_event'",
            f"""CREATE TABLE audit (
                school_id {_KEY},
                seq bigint GENERATED ALWAYS AS IDENTITY,
                at timestamptz NOT NULL,
                actor text NOT NULL,
                action text NOT NULL CHECK (action IN ('add', 'update', 'delete')),
                county_code {_KEY},
                kind {_KEY},
                record_id {_KEY},
                old_version integer,
                new_version integer,
                purpose text NOT NULL DEFAULT '',
                PRIMARY KEY (school_id, seq)
            )""",
            "CREATE INDEX audit_record ON audit (school_id, kind, record_id)",
            "CREATE INDEX audit_seq ON audit (seq)",
            """CREATE FUNCTION liushou_audit_append_only() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP
                        USING ERRCODE = 'insufficient_privilege';
                END
                $$""",
            """CREATE TRIGGER audit_append_only
                BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
                FOR EACH STATEMENT EXECUTE FUNCTION liushou_audit_append_only()""",
        ),
    ),
    Migration(
        2,
        "audit trail: reads, and the fields written or read",
        (
            """ALTER TABLE audit
                ADD COLUMN fields text[] NOT NULL DEFAULT '{}',
                DROP CONSTRAINT audit_action_check,
                ADD CONSTRAINT audit_action_check
                    CHECK (action IN ('add', 'update', 'delete', 'read'))""",
        ),
    ),
    Migration(
        3,
        "encryption key check; purge may blank the purpose of a purged child's entries",
        (
            """CREATE TABLE keyring (
                id integer PRIMARY KEY CHECK (id = 1),
                scheme text NOT NULL,
                fingerprint text NOT NULL DEFAULT '',
                check_value text NOT NULL DEFAULT ''
            )""",
            "DROP TRIGGER audit_append_only ON audit",
            """CREATE TRIGGER audit_append_only
                BEFORE DELETE OR TRUNCATE ON audit
                FOR EACH STATEMENT EXECUTE FUNCTION liushou_audit_append_only()""",
            # The one change the trail allows: a purge replaces the free-text purpose
            # of the purged records' entries (which may name the child) by a marker.
            f"""CREATE FUNCTION liushou_audit_redact_only() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.purpose = '{PURGED_PURPOSE}'
                       AND (NEW.school_id, NEW.seq, NEW.at, NEW.actor, NEW.action,
                            NEW.county_code, NEW.kind, NEW.record_id, NEW.old_version,
                            NEW.new_version, NEW.fields)
                           IS NOT DISTINCT FROM
                           (OLD.school_id, OLD.seq, OLD.at, OLD.actor, OLD.action,
                            OLD.county_code, OLD.kind, OLD.record_id, OLD.old_version,
                            OLD.new_version, OLD.fields) THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'the audit trail is append-only (UPDATE refused)'
                        USING ERRCODE = 'insufficient_privilege';
                END
                $$""",
            """CREATE TRIGGER audit_redact_only BEFORE UPDATE ON audit
                FOR EACH ROW EXECUTE FUNCTION liushou_audit_redact_only()""",
        ),
    ),
)

#: The schema version this code writes and reads.
LATEST_SCHEMA: Final = MIGRATIONS[-1].version


class SchemaError(LiushouError):
    """The database's schema is newer than this liushou, or older and not upgraded."""


class TransactionConflict(ConflictError):
    """PostgreSQL aborted the transaction: a serialization failure or a deadlock.

    Nothing the unit of work wrote since its last commit was kept, and the unit
    of work refuses further work. Run the whole body again in a new unit of
    work (:meth:`PostgresStore.run_in_transaction` does it). ``sqlstate`` is
    ``"40001"`` or ``"40P01"``.
    """

    retryable: bool = True

    def __init__(self, message: str, sqlstate: str = "40001") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


# ---------------------------------------------------------------------- JSON in jsonb

# jsonb cannot hold the character U+0000. Free text may (a pasted spreadsheet cell),
# so strings are escaped reversibly with a private-use character before they are
# stored: U+E000 "0" stands for U+0000 and U+E000 "e" for U+E000 itself.
_ESC: Final = "\ue000"
_ESC_BYTES: Final = _ESC.encode()
_UNESCAPE: Final = re.compile(_ESC + "(.)", re.DOTALL)


def _escape_str(s: str) -> str:
    if "\x00" not in s and _ESC not in s:
        return s
    return s.replace(_ESC, _ESC + "e").replace("\x00", _ESC + "0")


def _unescape_str(s: str) -> str:
    if _ESC not in s:
        return s
    return _UNESCAPE.sub(lambda m: "\x00" if m[1] == "0" else _ESC, s)


def _walk(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _walk(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    return value


def _dumps(data: Any) -> str:
    text = jsoncodec.dumps(data)
    if "\\u0000" in text or _ESC in text:
        text = jsoncodec.dumps(_walk(data, _escape_str))
    return text


def _loads(raw: str | bytes) -> Any:
    data = jsoncodec.loads(raw)
    escaped = _ESC_BYTES in raw if isinstance(raw, bytes | bytearray) else _ESC in raw
    return _walk(data, _unescape_str) if escaped else data


# ---------------------------------------------------------------------- URLs


def _conninfo_from_url(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in {"postgresql", "postgres"}:
        raise UnknownStoreScheme(
            "a PostgreSQL store URL is postgresql://user@host:5432/dbname (or postgres://...); "
            "a Unix socket: postgresql:///dbname?host=/var/run/postgresql"
        )
    return url


#: The URL parameters liushou reads itself (and does not pass to libpq).
_OWN_PARAMS: Final = ("key", "keyfile", "encrypt")


def _split_own_params(url: str) -> tuple[str, dict[str, str]]:
    """The URL without liushou's own parameters (``key``, ``keyfile``, ``encrypt``), and those."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url, {}
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    own = {k: v for k, v in pairs if k in _OWN_PARAMS}
    if not own:
        return url, {}
    rest = urlencode([(k, v) for k, v in pairs if k not in _OWN_PARAMS])
    return urlunsplit(parts._replace(query=rest)), own


def _check_conninfo(conninfo: str) -> None:
    """Refuse a URL or keyword string that libpq cannot read, before connecting."""
    _import_psycopg()
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(conninfo)
    except ProgrammingError:
        # libpq's message may quote part of a password: not repeated here
        raise InvalidStoreUrl(
            f"{redact_url(conninfo)} is not a PostgreSQL URL or connection string libpq "
            "can read (see https://www.postgresql.org/docs/current/libpq-connect.html)"
        ) from None


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the environment
        raise LiushouError(
            "the PostgreSQL store needs psycopg: pip install 'liushou[postgres]'"
        ) from None
    return psycopg


def _retryable(exc: BaseException) -> str | None:
    """The SQLSTATE of a serialization failure or deadlock, else ``None``."""
    sqlstate = getattr(exc, "sqlstate", None)
    return sqlstate if sqlstate in RETRYABLE_SQLSTATES else None


# ---------------------------------------------------------------------- the store


class PostgresStore:
    """A store in one PostgreSQL database (or one schema of it).

    ``conninfo`` is a ``postgresql://`` URL or a libpq keyword string. Each
    thread gets its own connection, opened on first use and kept until
    :meth:`close` (a forked child opens its own). A new database gets its schema
    at once; an older one is upgraded when ``auto_upgrade`` is true (the
    default), else :meth:`unit_of_work` refuses until :meth:`upgrade` runs.

    ``clock`` gives the audit trail's timestamps (tests may pass their own);
    ``copy_threshold`` is the batch size from which :meth:`~PostgresUnitOfWork.add_all`
    uses COPY; ``isolation`` is ``"serializable"`` (the default) or
    ``"repeatable read"`` for writing units of work.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        auto_upgrade: bool = True,
        clock: Callable[[], dt.datetime] = _local_now,
        copy_threshold: int = COPY_THRESHOLD,
        isolation: str = "serializable",
        connect_timeout: int = 30,
        key: str | bytes | None = None,
        encrypt: bool = True,
        url_params: Mapping[str, str] | None = None,
    ) -> None:
        if isolation.lower() not in {"serializable", "repeatable read"}:
            raise ValueError("isolation is 'serializable' or 'repeatable read'")
        if "://" in conninfo:
            conninfo, own = _split_own_params(conninfo)
            url_params = {**own, **(url_params or {})}
        _check_conninfo(conninfo)
        self.cipher: FieldCipher | None = None
        self.conninfo = conninfo
        self.clock = clock
        self.copy_threshold = max(1, copy_threshold)
        self.isolation = isolation.upper()
        self.connect_timeout = connect_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: builtins.list[psycopg.Connection[Any]] = []
        self._pid = os.getpid()
        self._closed = False
        try:
            version = self.schema_version()
            if version > LATEST_SCHEMA:
                raise SchemaError(
                    f"the database {self!r} has schema version {version}, newer than this "
                    f"liushou supports ({LATEST_SCHEMA}); upgrade liushou"
                )
            if version < LATEST_SCHEMA and (auto_upgrade or version == 0):
                self.upgrade()
            if self.schema_version() >= 3:
                params = dict(url_params or {})
                flag = params.get("encrypt", "on").lower() not in {"off", "0", "false", "no"}
                self._set_up_keys(key, params, encrypt and flag)
        except BaseException as exc:
            self.close()
            if isinstance(exc, _import_psycopg().Error):
                raise LiushouError(
                    f"{self!r}: cannot read or set up the schema: {str(exc).strip()}"
                ) from exc
            raise

    @classmethod
    def from_url(cls, url: str, **options: Any) -> PostgresStore:
        """Open ``postgresql://...`` or ``postgres://...`` (``?host=/socket/dir`` for a socket)."""
        return cls(_conninfo_from_url(url), **options)

    @property
    def url(self) -> str:
        """The URL (or keyword string) this store was opened from (without a key)."""
        return self.conninfo

    # ------------------------------------------------------------------ encryption

    @property
    def encrypted(self) -> bool:
        """Whether the sensitive fields are stored encrypted."""
        return self.cipher is not None

    def _set_up_keys(self, key: str | bytes | None, params: dict[str, str], encrypt: bool) -> None:
        """Check the key of an encrypted database, or encrypt one when a key is configured.

        A server has no place beside the database for a key file: without a key
        (argument, ``?key=``/``?keyfile=``, ``LIUSHOU_KEY``/``LIUSHOU_KEY_FILE``)
        a new database is kept in the clear (see ``docs/privacy.md``); with one,
        a plain database is encrypted at once, in one transaction. An encrypted
        database refuses to open without its key.
        """
        given = resolve_key(key=key, url_params=params)
        with self._autocommit_cursor() as cur:
            row = cur.execute("SELECT scheme, fingerprint, check_value FROM keyring").fetchone()
        if row is not None and row[0] != "none":
            if given is None:
                raise KeyRequired(
                    f"the database {redact_url(self.conninfo)} is encrypted and no key was "
                    f"given: set {ENV_KEY}, or add ?key= or ?keyfile= to the URL"
                )
            cipher = FieldCipher(given)
            cipher.verify(row[2], row[1])
            self.cipher = cipher
            return
        if given is None or not encrypt:
            if row is None:
                with self._autocommit_cursor() as cur:
                    cur.execute(
                        "INSERT INTO keyring (id, scheme) VALUES (1, 'none') "
                        "ON CONFLICT (id) DO NOTHING"
                    )
            return
        self.cipher = self._encrypt_existing(FieldCipher(given))

    def _encrypt_existing(self, cipher: FieldCipher) -> FieldCipher:
        conn = self._connection()
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            try:
                cur.execute("LOCK TABLE keyring IN EXCLUSIVE MODE")
                row = cur.execute("SELECT scheme, fingerprint, check_value FROM keyring").fetchone()
                if row is not None and row[0] != "none":  # another process was first
                    cur.execute("ROLLBACK")
                    cipher.verify(row[2], row[1])
                    return cipher
                kinds = list(SENSITIVE)
                rows = cur.execute(
                    "SELECT school_id, kind, id, data FROM records WHERE kind = ANY(%s) FOR UPDATE",
                    (kinds,),
                ).fetchall()
                cur.executemany(
                    "UPDATE records SET data = %s::jsonb "
                    "WHERE school_id = %s AND kind = %s AND id = %s",
                    [
                        (_dumps(cipher.seal(kind, cipher.open(kind, data))), sid, kind, rid)
                        for sid, kind, rid, data in rows
                    ],
                )
                cur.execute(
                    "INSERT INTO keyring (id, scheme, fingerprint, check_value) "
                    "VALUES (1, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                    "scheme = EXCLUDED.scheme, fingerprint = EXCLUDED.fingerprint, "
                    "check_value = EXCLUDED.check_value",
                    (SCHEME, cipher.fingerprint, cipher.check_value()),
                )
                cur.execute("COMMIT")
            except BaseException:
                if not conn.closed:
                    with contextlib.suppress(Exception):
                        conn.execute("ROLLBACK")
                raise
        return cipher

    def _seal(self, kind: str, plain: dict[str, Any]) -> dict[str, Any]:
        return plain if self.cipher is None else self.cipher.seal(kind, plain)

    def _open(self, kind: str, stored: dict[str, Any]) -> dict[str, Any]:
        return stored if self.cipher is None else self.cipher.open(kind, stored)

    def erase_freed(self, *, vacuum: bool = True) -> bool:
        """After a purge: ``VACUUM`` the tables, so that the dead row versions of the
        deleted records are removed and their space marked free (PostgreSQL has no
        ``secure_delete``: see ``docs/privacy.md``). Returns ``True``."""
        if vacuum:
            with self._autocommit_cursor() as cur:
                for table in ("records", "audit", "schools"):
                    cur.execute(cast(Any, f"VACUUM {table}"))
        return True

    def __repr__(self) -> str:
        return f"PostgresStore({redact_url(self.conninfo)!r})"

    # ------------------------------------------------------------------ connections

    def _connect(self) -> psycopg.Connection[Any]:
        pg = _import_psycopg()
        from psycopg.types.json import set_json_loads

        try:
            conn: psycopg.Connection[Any] = pg.connect(
                self.conninfo,
                autocommit=True,  # we issue BEGIN/COMMIT ourselves
                connect_timeout=self.connect_timeout,
                application_name="liushou",
            )
        except pg.OperationalError as exc:
            raise LiushouError(
                f"cannot connect to {redact_url(self.conninfo)}: {str(exc).strip()}"
            ) from exc
        set_json_loads(_loads, conn)
        with self._lock:
            self._connections.append(conn)
        return conn

    def _connection(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise LiushouError(f"{self!r} is closed")
        if os.getpid() != self._pid:
            # A forked child must not talk on its parent's sockets: forget them
            # (without closing, which would end the parent's sessions).
            self._pid = os.getpid()
            self._local = threading.local()
            self._connections = []
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = self._connect()
        return conn

    def _forget_connection(self, conn: psycopg.Connection[Any]) -> None:
        """Drop a broken connection so that the next unit of work opens a new one."""
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    def close(self) -> None:
        """Close every connection this store opened. Idempotent."""
        self._closed = True
        with self._lock:
            connections, self._connections = self._connections, []
        if os.getpid() != self._pid:
            return
        for conn in connections:
            conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _autocommit_cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor for a statement outside any unit of work on this thread."""
        conn = self._connection()
        with conn.cursor() as cur:
            yield cur

    # ------------------------------------------------------------------ schema

    @staticmethod
    def _version_of(cur: psycopg.Cursor[Any]) -> int:
        # pg_class through the statement's snapshot, not to_regclass() (the catalog
        # cache), so that a migration committed while we waited for the lock is seen.
        row = cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'schema_version' AND n.nspname = current_schema())"
        ).fetchone()
        if not row or not row[0]:
            return 0
        row = cur.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0) if row else 0

    def schema_version(self) -> int:
        """The schema version of the database (0 for an empty one)."""
        with self._autocommit_cursor() as cur:
            return self._version_of(cur)

    def upgrade(self) -> builtins.list[int]:
        """Apply the pending migrations in place, in one transaction; idempotent.

        An advisory lock keeps two processes from upgrading at once. Returns the
        versions applied (empty when the schema is current).
        """
        conn = self._connection()
        if getattr(self._local, "busy", False):
            raise LiushouError("finish the unit of work open on this thread before upgrading")
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            try:
                cur.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(coalesce(current_schema(), '')))",
                    (_LOCK_NAMESPACE,),
                )
                current = self._version_of(cur)
                if current > LATEST_SCHEMA:
                    raise SchemaError(
                        f"schema version {current} is newer than this liushou ({LATEST_SCHEMA})"
                    )
                applied: builtins.list[int] = []
                for m in MIGRATIONS:
                    if m.version <= current:
                        continue
                    for statement in m.statements:
                        cur.execute(cast(Any, statement))
                    cur.execute(
                        "INSERT INTO schema_version (version, description, applied_at) "
                        "VALUES (%s, %s, %s)",
                        (m.version, m.description, self.clock()),
                    )
                    applied.append(m.version)
                cur.execute("COMMIT")
            except BaseException:
                if not conn.closed:
                    with contextlib.suppress(Exception):
                        conn.execute("ROLLBACK")
                raise
        return applied

    # ------------------------------------------------------------------ units of work

    def unit_of_work(
        self, actor: str = "system", *, purpose: str = "", readonly: bool = False
    ) -> PostgresUnitOfWork:
        """A transaction: ``with store.unit_of_work(actor="...") as uow: ...; uow.commit()``.

        ``actor`` (who) and ``purpose`` (why) are recorded in the audit trail of
        every write and recorded read. Leaving the block without
        :meth:`~PostgresUnitOfWork.commit` rolls everything back. A ``readonly``
        unit of work reads one consistent snapshot (``REPEATABLE READ READ
        ONLY``) and refuses writes (its recorded reads are appended at commit);
        any other is ``SERIALIZABLE`` and may raise
        :class:`TransactionConflict`, after which its body must run again (see
        :meth:`run_in_transaction`).
        """
        if not actor or not actor.strip():
            raise ValueError("a unit of work needs an actor (who is making the changes)")
        return PostgresUnitOfWork(self, actor=actor, purpose=purpose, readonly=readonly)

    def run_in_transaction(
        self,
        fn: Callable[[PostgresUnitOfWork], R],
        *,
        actor: str = "system",
        purpose: str = "",
        readonly: bool = False,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = 0.005,
        max_backoff: float = 0.5,
    ) -> R:
        """Run ``fn(uow)`` in a unit of work and commit; run it again on a conflict.

        When PostgreSQL aborts the transaction with a serialization failure
        (40001) or a deadlock (40P01), the unit of work is rolled back and ``fn``
        runs again in a new one, after a random pause that doubles each time
        (from ``backoff`` up to ``max_backoff`` seconds), at most ``attempts``
        times in all; then the last :class:`TransactionConflict` is raised.

        ``fn`` must get what it changes from ``uow`` (not from outside), must
        not commit, and should have no effects outside the database: it may run
        more than once. A plain :class:`~liushou_core.errors.ConflictError` (a
        stale version that ``fn`` brought in) is not retried. Returns what
        ``fn`` returns.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        for attempt in range(1, attempts + 1):
            try:
                with self.unit_of_work(actor, purpose=purpose, readonly=readonly) as uow:
                    uow._managed = True
                    result = fn(uow)
                    uow._managed = False
                    uow.commit()
                    return result
            except TransactionConflict:
                if attempt == attempts:
                    raise
            pause = min(max_backoff, backoff * 2 ** (attempt - 1))
            time.sleep(pause * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")  # pragma: no cover

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
        (a router query under Citus, on the index of school, kind and record).
        """
        query = audit_filters(school_id=school_id, kind=kind, record_id=record_id, action=action)
        sql = (
            "SELECT seq, at, actor, action, kind, school_id, record_id, old_version, "
            "new_version, purpose, fields FROM audit"
        )
        where = [f"{column} = %s" for column, _ in query.items()]
        params = [value for _, value in query.items()]
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._autocommit_cursor() as cur:
            rows = cur.execute(cast(Any, sql + " ORDER BY seq"), params).fetchall()
        return [
            AuditEntry(
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                kind=kind,
                school_id=sid,
                record_id=rid,
                old_version=old,
                new_version=new,
                purpose=purpose,
                fields=tuple(fields),
            )
            for seq, at, actor, action, kind, sid, rid, old, new, purpose, fields in rows
        ]


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value, dumps=_dumps)


class PostgresUnitOfWork:
    """One transaction on a :class:`PostgresStore`; use it as a context manager.

    Writes return a copy of the record with its new version (a fresh record
    becomes version 1; each update adds 1). A failed write (a stale version, a
    duplicate id, an unknown school) leaves nothing behind, and the unit of
    work stays usable. Every write appends an audit row in the same
    transaction. After :meth:`commit` the unit of work may go on; the next
    statement starts a new transaction.

    When PostgreSQL aborts the transaction (serialization failure, deadlock),
    the call raises :class:`TransactionConflict` and every later call raises it
    again until the ``with`` block ends: start over in a new unit of work.
    """

    def __init__(self, store: PostgresStore, *, actor: str, purpose: str, readonly: bool) -> None:
        self.store = store
        self.actor = actor
        self.purpose = purpose
        self.readonly = readonly
        self._conn: psycopg.Connection[Any] | None = None
        self._counties: dict[str, str] = {}
        self._savepoints = 0
        self._failed: BaseException | None = None
        self._managed = False
        self._reads: builtins.list[tuple[Any, ...]] = []  # a read-only one's, until commit

    # ------------------------------------------------------------------ transaction

    def __enter__(self) -> PostgresUnitOfWork:
        if self._conn is not None:
            raise LiushouError("this unit of work is already open")
        psycopg = _import_psycopg()
        store = self.store
        if getattr(store._local, "busy", False):
            raise LiushouError(
                "another unit of work is open on this thread's connection; "
                "finish it before starting a new one"
            )
        for attempt in (1, 2):
            conn = store._connection()
            self._conn = conn
            self._failed = None
            store._local.busy = True
            try:
                with self._guard():
                    self._begin()
                    with conn.cursor() as cur:
                        version = PostgresStore._version_of(cur)
                if version != LATEST_SCHEMA:
                    raise SchemaError(
                        f"the database has schema version {version}, this liushou needs "
                        f"{LATEST_SCHEMA}: run upgrade()"
                    )
            except psycopg.OperationalError:
                # A connection kept from before (the server restarted, the network
                # dropped it) fails on first use: nothing was done yet, so open a new one.
                self.__exit__(None, None, None)
                if attempt == 2 or not (conn.broken or conn.closed):
                    raise
            except BaseException:
                self.__exit__(None, None, None)
                raise
            else:
                return self
        raise AssertionError("unreachable")  # pragma: no cover

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        try:
            if conn is not None:
                if conn.broken or conn.closed:
                    self.store._forget_connection(conn)
                else:
                    try:
                        self.rollback()
                    except Exception:
                        self.store._forget_connection(conn)
                        if exc_type is None:
                            raise
        finally:
            self._conn = None
            self._counties.clear()
            self.store._local.busy = False

    def _require(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise LiushouError("use the unit of work in a with block")
        if self._failed is not None:
            raise self._failed
        return self._conn

    def _begin(self) -> psycopg.Connection[Any]:
        from psycopg.pq import TransactionStatus

        conn = self._require()
        if conn.info.transaction_status == TransactionStatus.IDLE:
            if self.readonly:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            else:
                conn.execute(cast(Any, f"BEGIN ISOLATION LEVEL {self.store.isolation}"))
        return conn

    def _doom(self, exc: BaseException) -> BaseException:
        """Roll the whole transaction back after ``exc``; the error to raise.

        A serialization failure or deadlock becomes :class:`TransactionConflict`;
        any other database error is raised as it is. Either way the unit of work
        refuses further work until its ``with`` block ends.
        """
        psycopg = _import_psycopg()
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            with contextlib.suppress(psycopg.Error):
                conn.execute("ROLLBACK")
        self._counties.clear()
        self._reads.clear()
        sqlstate = _retryable(exc)
        if sqlstate is not None:
            what = "deadlock" if sqlstate == "40P01" else "serialization failure"
            self._failed = TransactionConflict(
                f"the transaction was rolled back by PostgreSQL ({what}, SQLSTATE "
                f"{sqlstate}): nothing since the last commit was kept; run the whole "
                "unit of work again (PostgresStore.run_in_transaction does this)",
                sqlstate,
            )
            return self._failed
        self._failed = LiushouError(
            f"the unit of work was rolled back after a database error ({type(exc).__name__}: "
            f"{str(exc).strip()}); start a new one"
        )
        return exc

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Database errors here abort the whole transaction (see :meth:`_doom`)."""
        psycopg = _import_psycopg()
        try:
            yield
        except psycopg.Error as exc:
            error = self._doom(exc)
            if error is exc:
                raise
            raise error from exc

    def _cursor(self) -> psycopg.Cursor[Any]:
        return self._begin().cursor()

    def _writable(self) -> psycopg.Connection[Any]:
        if self.readonly:
            raise LiushouError("this unit of work is read-only")
        return self._begin()

    def commit(self) -> None:
        """Make the writes so far durable.

        May raise :class:`TransactionConflict` (a serializable transaction that
        cannot commit): then nothing since the last commit was kept.
        """
        from psycopg.pq import TransactionStatus

        if self._managed:
            raise LiushouError(
                "a function run by run_in_transaction must not commit: "
                "run_in_transaction commits when it returns"
            )
        conn = self._require()
        if conn.info.transaction_status != TransactionStatus.IDLE:
            with self._guard():
                conn.execute("COMMIT")
        if self._reads:
            reads, self._reads = self._reads, []
            with self._guard(), conn.cursor() as cur:
                cur.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                cur.executemany(
                    cast(Any, f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES ({_PLACEHOLDERS})"),
                    reads,
                )
                cur.execute("COMMIT")

    def rollback(self) -> None:
        """Undo the writes (and drop the reads recorded) since the last commit."""
        from psycopg.pq import TransactionStatus

        conn = self._conn
        if (
            conn is not None
            and not conn.closed
            and conn.info.transaction_status != TransactionStatus.IDLE
        ):
            conn.execute("ROLLBACK")
        self._counties.clear()
        self._reads.clear()

    @contextmanager
    def _atomic(self, savepoint: bool = True) -> Iterator[psycopg.Cursor[Any]]:
        """A savepoint around one write: on an error it is undone alone.

        The error is raised again; the unit of work stays usable, except after a
        serialization failure or deadlock (:class:`TransactionConflict`) or a lost
        connection. ``savepoint=False`` is for a write that is one statement and
        finds its own failures without an SQL error (a stale version: no row
        changed); any database error then ends the transaction.
        """
        if not savepoint:
            with self._guard():
                conn = self._writable()
                with conn.cursor() as cur:
                    yield cur
            return
        with self._guard():
            conn = self._writable()
            self._savepoints += 1
            name = f"op{self._savepoints}"
            conn.execute(cast(Any, f"SAVEPOINT {name}"))
        try:
            with conn.cursor() as cur:
                yield cur
        except BaseException as exc:
            if _retryable(exc) is not None or conn.broken or conn.closed:
                error = self._doom(exc)
                if error is exc:
                    raise
                raise error from exc
            with self._guard():
                conn.execute(cast(Any, f"ROLLBACK TO SAVEPOINT {name}"))
                conn.execute(cast(Any, f"RELEASE SAVEPOINT {name}"))
            self._counties.clear()
            raise
        else:
            with self._guard():
                conn.execute(cast(Any, f"RELEASE SAVEPOINT {name}"))

    # ------------------------------------------------------------------ helpers

    def _county(self, school_id: str) -> str:
        county = self._counties.get(school_id)
        if county is None:
            with self._guard(), self._cursor() as cur:
                row = cur.execute(
                    "SELECT county_code FROM schools WHERE school_id = %s", (school_id,)
                ).fetchone()
            if row is None:
                raise NotFound(f"school {school_id} is not stored: add its School record first")
            county = self._counties[school_id] = str(row[0])
        return county

    def _at(self) -> dt.datetime:
        return self.store.clock().replace(microsecond=0)

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
        children and staff can go in one call. From
        :attr:`PostgresStore.copy_threshold` records on, the rows and their
        audit entries are streamed with ``COPY``; fewer are inserted with one
        pipelined ``executemany``. Either way under a savepoint: a duplicate id
        writes nothing, and the :class:`ConflictError` names the duplicates.
        """
        psycopg = _import_psycopg()
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
        try:
            with self._atomic() as cur:
                if schools:
                    cur.executemany(
                        "INSERT INTO schools (school_id, county_code) VALUES (%s, %s)", schools
                    )
                    self._counties.update(schools)
                counties = {sid: self._county(sid) for sid in {k[0] for k in keyed}}
                if len(keyed) >= self.store.copy_threshold:
                    self._copy_in(cur, keyed, counties)
                else:
                    self._insert(cur, keyed, counties)
        except psycopg.errors.UniqueViolation:
            with self._guard():
                raise self._duplicates([(sid, kind, rid) for sid, kind, rid, _ in keyed]) from None
        return fresh

    def _insert(
        self,
        cur: psycopg.Cursor[Any],
        keyed: Sequence[tuple[str, str, str, Any]],
        counties: dict[str, str],
    ) -> None:
        cur.executemany(
            "INSERT INTO records (school_id, kind, id, county_code, version, data) "
            "VALUES (%s, %s, %s, %s, 1, %s::jsonb)",
            [
                (sid, kind, rid, counties[sid], _dumps(self.store._seal(kind, unstructure(new))))
                for sid, kind, rid, new in keyed
            ],
        )
        at = self._at()
        cur.executemany(
            f"INSERT INTO audit ({_AUDIT_COLUMNS}) "
            "VALUES (%s, %s, 'add', %s, %s, %s, %s, NULL, 1, %s, %s)",
            [
                (at, self.actor, sid, counties[sid], kind, rid, self.purpose, _written(type(new)))
                for sid, kind, rid, new in keyed
            ],
        )

    def _copy_in(
        self,
        cur: psycopg.Cursor[Any],
        keyed: Sequence[tuple[str, str, str, Any]],
        counties: dict[str, str],
    ) -> None:
        """``COPY`` the records, then their audit rows, straight into their tables.

        Each record is converted to JSON as it is streamed, and a second thread
        sends the data, so that the server parses and indexes one part while the
        next is converted. The caller's savepoint makes it all or nothing: a
        duplicate key stops the COPY, and nothing of it stays.
        """
        from psycopg.copy import QueuedLibpqWriter

        with cur.copy(
            "COPY records (school_id, kind, id, county_code, version, data) FROM STDIN",
            writer=QueuedLibpqWriter(cur),
        ) as copy:
            for sid, kind, rid, new in keyed:
                data = _dumps(self.store._seal(kind, unstructure(new)))
                copy.write_row((sid, kind, rid, counties[sid], 1, data))
        at, actor, purpose = self._at().isoformat(), self.actor, self.purpose
        with cur.copy(f"COPY audit ({_AUDIT_COLUMNS}) FROM STDIN") as copy:
            for sid, kind, rid, new in keyed:
                copy.write_row(
                    (
                        at,
                        actor,
                        "add",
                        sid,
                        counties[sid],
                        kind,
                        rid,
                        None,
                        1,
                        purpose,
                        _written_literal(type(new)),
                    )
                )

    def _duplicates(self, keys: Sequence[tuple[str, str, str]]) -> ConflictError:
        """The error naming the keys of a failed insert that were taken (or repeated)."""
        seen: set[tuple[str, str, str]] = set()
        dupes: set[tuple[str, str, str]] = set()
        for key in keys:
            if key in seen:
                dupes.add(key)
            seen.add(key)
        with self._cursor() as cur:
            rows = cur.execute(
                """SELECT k.school_id, k.kind, k.id
                   FROM unnest(%s::text[], %s::text[], %s::text[]) AS k (school_id, kind, id)
                   WHERE EXISTS (
                       SELECT 1 FROM records r
                       WHERE r.school_id = k.school_id COLLATE "C"
                         AND r.kind = k.kind COLLATE "C" AND r.id = k.id COLLATE "C")
                      OR (k.kind = 'school' AND EXISTS (
                       SELECT 1 FROM schools s WHERE s.school_id = k.school_id COLLATE "C"))""",
                [list(col) for col in zip(*sorted(seen), strict=True)],
            ).fetchall()
        dupes.update((str(a), str(b), str(c)) for a, b, c in rows)
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
        # one statement does it all, except for a school that changes county
        with self._atomic(savepoint=isinstance(new, School)) as cur:
            if isinstance(new, School):
                self._move_county(cur, new)
            county = self._county(sid)
            # the old row joined to itself gives the old data to compare with
            cur.execute(
                f"""WITH changed AS (
                       UPDATE records AS r SET version = %s, data = %s::jsonb, county_code = %s
                       FROM records AS o
                       WHERE r.school_id = %s AND r.kind = %s AND r.id = %s AND r.version = %s
                         AND o.school_id = r.school_id AND o.kind = r.kind AND o.id = r.id
                       RETURNING r.school_id, o.data AS old, r.data AS new)
                   INSERT INTO audit ({_AUDIT_COLUMNS})
                   SELECT %s, %s, 'update', school_id, %s, %s, %s, %s, %s, %s,
                          ARRAY(SELECT f FROM unnest(%s::text[]) WITH ORDINALITY AS u (f, n)
                                WHERE old -> f IS DISTINCT FROM new -> f ORDER BY n)
                   FROM changed""",
                (
                    old + 1,
                    # sealing is deterministic: an unchanged sensitive value is stored the same
                    _dumps(self.store._seal(kind, unstructure(new))),
                    county,
                    sid,
                    kind,
                    rid,
                    old,
                    self._at(),
                    self.actor,
                    county,
                    kind,
                    rid,
                    old,
                    old + 1,
                    self.purpose,
                    _written(type(new)),
                ),
            )
            if cur.rowcount != 1:
                raise self._missing_or_stale(cur, kind, sid, rid, old)
        return new

    def _move_county(self, cur: psycopg.Cursor[Any], school: School) -> None:
        cur.execute(
            "UPDATE schools SET county_code = %s WHERE school_id = %s AND county_code <> %s",
            (school.county_code, school.id, school.county_code),
        )
        if cur.rowcount:
            cur.execute(
                "UPDATE records SET county_code = %s WHERE school_id = %s",
                (school.county_code, school.id),
            )
        self._counties[school.id] = school.county_code

    @staticmethod
    def _missing_or_stale(
        cur: psycopg.Cursor[Any], kind: str, sid: str, rid: str, version: int
    ) -> LiushouError:
        row = cur.execute(
            "SELECT version FROM records WHERE school_id = %s AND kind = %s AND id = %s",
            (sid, kind, rid),
        ).fetchone()
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
        psycopg = _import_psycopg()
        kind = kind_of(cls)
        try:
            with self._atomic(savepoint=cls is School) as cur:
                county = self._county(school_id)
                cur.execute(
                    f"""WITH gone AS (
                           DELETE FROM records
                           WHERE school_id = %s AND kind = %s AND id = %s AND version = %s
                           RETURNING school_id)
                       INSERT INTO audit ({_AUDIT_COLUMNS})
                       SELECT %s, %s, 'delete', school_id, %s, %s, %s, %s, NULL, %s, %s
                       FROM gone""",
                    (
                        school_id,
                        kind,
                        id,
                        version,
                        self._at(),
                        self.actor,
                        county,
                        kind,
                        id,
                        version,
                        self.purpose,
                        _written(cls),
                    ),
                )
                if cur.rowcount != 1:
                    raise self._missing_or_stale(cur, kind, school_id, id, version)
                if cls is School:
                    cur.execute("DELETE FROM schools WHERE school_id = %s", (school_id,))
                    self._counties.pop(school_id, None)
        except psycopg.errors.ForeignKeyViolation:
            raise ConflictError(
                f"school {school_id} still has records: delete them first"
            ) from None

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
        shown = list(read_fields(cls, fields))
        why = purpose or self.purpose
        if self.readonly:
            with self._guard(), self._cursor() as cur:
                row = cur.execute(
                    "SELECT county_code, version FROM records "
                    "WHERE school_id = %s AND kind = %s AND id = %s",
                    (school_id, kind, id),
                ).fetchone()
            if row is None:
                raise NotFound(f"{kind} {id} of school {school_id} is not stored")
            county, version = row
            self._reads.append(
                (
                    self._at(),
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
        with self._atomic(savepoint=False) as cur:
            cur.execute(
                f"""INSERT INTO audit ({_AUDIT_COLUMNS})
                    SELECT %s, %s, 'read', school_id, county_code, kind, id, version, version,
                           %s, %s
                    FROM records WHERE school_id = %s AND kind = %s AND id = %s""",
                (self._at(), self.actor, why, shown, school_id, kind, id),
            )
            if cur.rowcount != 1:
                raise NotFound(f"{kind} {id} of school {school_id} is not stored")

    # ------------------------------------------------------------------ reads

    def get(self, cls: type[T], school_id: str, id: str) -> T:
        """The stored record, or :class:`NotFound`."""
        kind = kind_of(cls)
        with self._guard(), self._cursor() as cur:
            row = cur.execute(
                "SELECT data FROM records WHERE school_id = %s AND kind = %s AND id = %s",
                (school_id, kind, id),
            ).fetchone()
        if row is None:
            raise NotFound(f"{kind} {id} of school {school_id} is not stored")
        return structure(self.store._open(kind, row[0]), cls)

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
        """The school's records of ``cls``, ordered by id.

        ``filters`` compare a simple field (text, numbers, true/false, dates,
        choices, ``None``) for equality, or test membership in a tuple field
        (``staff_ids="T7"``). ``since``/``until`` (inclusive) bound the kind's
        date field (:data:`~liushou_core.ports.DATE_FIELDS`). See
        :func:`~liushou_adapters.storage.plan_query` for what is refused.
        """
        conditions = plan_query(cls, since=since, until=until, filters=filters)
        kind = kind_of(cls)
        sql, params = _select("data", kind, school_id, conditions, self.store.cipher)
        with self._guard(), self._cursor() as cur:
            rows = cur.execute(cast(Any, sql + " ORDER BY id"), params).fetchall()
        opened = self.store._open
        return [structure(opened(kind, data), cls) for (data,) in rows]

    def redact_audit(self, keys: Iterable[tuple[str, str, str]]) -> int:
        """Blank (to :data:`~liushou_core.privacy.PURGED_PURPOSE`) the purpose of the
        audit entries of these records, ``(school_id, kind, id)``, in this transaction.

        The one change the trail's trigger allows (schema 3), for a purge: the
        purpose is free text that may name the child. Returns the entries changed.
        """
        wanted = sorted(set(keys))
        if not wanted:
            return 0
        with self._atomic(savepoint=False) as cur:
            cur.execute(
                """UPDATE audit SET purpose = %s
                   FROM unnest(%s::text[], %s::text[], %s::text[]) AS k (school_id, kind, id)
                   WHERE audit.school_id = k.school_id COLLATE "C"
                     AND audit.kind = k.kind COLLATE "C"
                     AND audit.record_id = k.id COLLATE "C" AND audit.purpose <> %s""",
                (PURGED_PURPOSE, *[list(col) for col in zip(*wanted, strict=True)], PURGED_PURPOSE),
            )
            return int(cur.rowcount)

    def count(self, cls: type, school_id: str) -> int:
        """How many records of ``cls`` the school has."""
        sql, params = _select("count(*)", kind_of(cls), school_id, [])
        with self._guard(), self._cursor() as cur:
            row = cur.execute(cast(Any, sql), params).fetchone()
        return int(row[0]) if row else 0

    def schools(self, *, county_code: str | None = None) -> builtins.list[School]:
        """Every stored school, or those of one county, ordered by id."""
        sql = "SELECT data FROM records WHERE kind = 'school'"
        params: builtins.list[str] = []
        if county_code is not None:
            sql += " AND county_code = %s"
            params.append(county_code)
        with self._guard(), self._cursor() as cur:
            rows = cur.execute(cast(Any, sql + " ORDER BY school_id"), params).fetchall()
        return [structure(data, School) for (data,) in rows]


def _select(
    what: str,
    kind: str,
    school_id: str,
    conditions: Sequence[Condition],
    cipher: FieldCipher | None = None,
) -> tuple[str, builtins.list[Any]]:
    """``SELECT what FROM records WHERE ...`` for one school, kind and conditions.

    The kind is one of our own fixed names and the fields are identifiers
    (checked by :func:`plan_query`): both are safe to write into the SQL, and the
    literal kind lets the planner use the partial indexes.
    """
    sql = f"SELECT {what} FROM records WHERE school_id = %s AND kind = '{kind}'"
    params: builtins.list[Any] = [school_id]
    sealed = SENSITIVE.get(kind, ()) if cipher is not None else ()
    for c in conditions:
        if c.op == "eq" and c.field in sealed and cipher is not None:
            # a sealed value starts with its keyed blind index
            prefix = cipher.index_prefix(kind, c.field, c.plain)
            sql += f" AND left(data->>'{c.field}', {len(prefix)}) = %s"
            params.append(prefix)
        elif c.op == "has":
            sql += f" AND data->'{c.field}' ? %s"
            params.append(_escape_str(c.plain))
        elif c.op == "is_null":
            sql += f" AND data->>'{c.field}' IS NULL"
        elif c.op in ("since", "until"):
            # ISO dates compare as text; "C" matches the index records_date
            sql += f" AND (data->>'{c.field}') COLLATE \"C\" {'>=' if c.op == 'since' else '<='} %s"
            params.append(c.plain)
        elif isinstance(c.plain, str):
            sql += f" AND data->>'{c.field}' = %s"
            params.append(_escape_str(c.plain))
        else:  # numbers, true/false: compared as JSON values
            sql += f" AND data->'{c.field}' = %s"
            params.append(_jsonb(c.plain))
    return sql, params


# ---------------------------------------------------------------------- the plugin


@hookimpl
def liushou_storage_backends() -> builtins.list[StorageBackend]:
    """The PostgreSQL backend (needs psycopg, the ``postgres`` extra)."""
    return [
        StorageBackend(
            "postgres",
            ("postgresql", "postgres"),
            PostgresStore.from_url,
            "PostgreSQL through psycopg 3: a county's or province's schools on one server; "
            "serializable transactions with retries, COPY bulk loads, Citus-ready keys",
            requires=("psycopg",),
        )
    ]


if TYPE_CHECKING:  # the store satisfies the port (checked by mypy)

    def _conforms(store: PostgresStore) -> Store:
        return store

    def _conforms_uow(uow: PostgresUnitOfWork) -> UnitOfWork:
        return uow
