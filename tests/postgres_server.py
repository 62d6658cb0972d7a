"""A pytest plugin: a throwaway PostgreSQL server for the tests marked ``postgres``.

Loaded from ``tests/conftest.py`` (``pytest_plugins``). The session-scoped
:func:`postgres_url` fixture starts a private cluster with the server binaries
of the machine (Debian's ``/usr/lib/postgresql/<version>/bin``, or ``initdb``
and ``pg_ctl`` on the ``PATH``): ``initdb`` in a new temporary directory, then
``pg_ctl start`` listening on a Unix socket in that directory and on a free
port of 127.0.0.1 only, with trust authentication for the superuser
``liushou``. The server is stopped and the directory removed when the session
ends. PostgreSQL refuses to run as root, so under root the cluster belongs to
the ``postgres`` system user (which Debian's package creates) and the server
runs as that user.

Fixtures:

``postgres_url`` (session)
    The URL of the server's ``postgres`` database, e.g.
    ``postgresql://liushou@127.0.0.1:54321/postgres``.
``postgres_db`` (function)
    The URL of a fresh, empty database (``CREATE DATABASE ... TEMPLATE
    template0``), dropped after the test.
``postgres_db_factory`` (function)
    A callable that returns the URL of another fresh, empty database each time
    it is called (all dropped after the test), for suites that need many
    stores in one test (the conformance suite's Hypothesis examples).
``postgres_socket_url`` (session)
    The same server through its Unix socket: ``postgresql:///postgres?host=/tmp/...``.

Environment:

``LIUSHOU_TEST_POSTGRES_URL``
    Use this existing server (a URL whose user may ``CREATE DATABASE``)
    instead of starting one.
``LIUSHOU_TEST_POSTGRES_BINDIR``
    The directory of ``initdb`` and ``pg_ctl`` to use, when they are not in
    Debian's place or on the ``PATH``.
``LIUSHOU_REQUIRE_POSTGRES=1``
    Fail, instead of skip, the tests that need PostgreSQL when no server can be
    had (no binaries, no psycopg, or the server does not start). CI sets it.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

URL_ENV = "LIUSHOU_TEST_POSTGRES_URL"
REQUIRE_ENV = "LIUSHOU_REQUIRE_POSTGRES"
BINDIR_ENV = "LIUSHOU_TEST_POSTGRES_BINDIR"
SUPERUSER = "liushou"

#: Server settings for a throwaway test cluster: fast, not durable.
TEST_SETTINGS: dict[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "128MB",
    "max_locks_per_transaction": "128",
}


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be had for the tests (the message says why)."""


def required() -> bool:
    """Whether missing PostgreSQL is a failure (``LIUSHOU_TEST_POSTGRES_BINDIR``
        The directory of ``initdb`` and ``pg_ctl`` to use, when they are not in
        Debian's place or on the ``PATH``.
    ``LIUSHOU_REQUIRE_POSTGRES=1``)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when PostgreSQL is required."""
    if required():
        pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def find_bindir() -> Path | None:
    """The directory of the newest ``initdb`` and ``pg_ctl`` on this machine, if any.

    ``LIUSHOU_TEST_POSTGRES_BINDIR`` names the directory instead (a build of
    one's own, Homebrew's ``/opt/homebrew/opt/postgresql@16/bin``).
    """
    chosen = os.environ.get(BINDIR_ENV, "").strip()
    if chosen:
        d = Path(chosen)
        return d if (d / "initdb").is_file() and (d / "pg_ctl").is_file() else None

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for found in (shutil.which("pg_ctl"),):
        if found:
            candidates.append(str(Path(found).resolve().parent))
    for directory in candidates:
        d = Path(directory)
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    return None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempCluster:
    """A PostgreSQL cluster in a temporary directory, started and stopped by the tests."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="liushou-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = free_port()
        self.user: str | None = None
        self.started = False
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root: the cluster belongs to
            # the postgres system user.
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                self.remove()
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' system user to run "
                    "the server as (apt-get install postgresql creates it)"
                ) from None
            self.user = entry.pw_name
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self.base.chmod(0o755)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self.user is not None:
            extra = {"user": self.user, "group": pwd.getpwnam(self.user).pw_gid, "extra_groups": []}
        env = {
            "PATH": f"{self.bindir}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(self.base),
        }
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.base,
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
            **extra,
        )

    def start(self) -> None:
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.data),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            )
            options = [f"-c {k}={v}" for k, v in TEST_SETTINGS.items()]
            options += [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.port}",
                f"-k {self.base}",
            ]
            self._run(
                "pg_ctl",
                "--pgdata",
                str(self.data),
                "--log",
                str(self.log),
                "--wait",
                "--timeout",
                "60",
                "-o",
                " ".join(options),
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            self.stop()
            raise PostgresUnavailable(
                f"{Path(exc.cmd[0]).name} failed ({exc.returncode}): "
                f"{(exc.stderr or exc.stdout or '').strip()[-2000:]}\n{log[-2000:]}"
            ) from exc
        self.started = True
        # Stopped by the session fixture; this is for an interpreter that ends
        # without finishing the session (an error in another plugin, os._exit aside).
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def socket_url(self) -> str:
        return (
            f"postgresql:///postgres?host={quote(str(self.base))}&port={self.port}&user={SUPERUSER}"
        )

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(Exception):
                self._run(
                    "pg_ctl", "--pgdata", str(self.data), "-m", "immediate", "stop", check=False
                )
        self.started = False
        self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def with_database(url: str, dbname: str) -> str:
    """``url`` pointing at the database ``dbname`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname)))


class DatabaseFactory:
    """Creates fresh empty databases on a server and drops them again."""

    _counter = itertools.count(1)

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.server_url, autocommit=True)

    def __call__(self) -> str:
        name = f"liushou_test_{os.getpid()}_{next(self._counter)}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        self.created.append(name)
        return with_database(self.server_url, name)

    def drop_all(self) -> None:
        if not self.created:
            return
        with self._admin() as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def _check_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install 'liushou[postgres]')")


def _wait_until_ready(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"the server at {url} does not answer: {exc}") from exc
            time.sleep(0.1)


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[tuple[str, str | None]]:
    """(TCP URL, socket URL or None) of the test server; skips when there is none."""
    _check_psycopg()
    existing = os.environ.get(URL_ENV, "").strip()
    if existing:
        try:
            _wait_until_ready(existing, timeout=10)
        except PostgresUnavailable as exc:
            unavailable(f"{URL_ENV} is set but {exc}")
        yield existing, None
        return
    bindir = find_bindir()
    if bindir is None:
        where = os.environ.get(BINDIR_ENV) or "/usr/lib/postgresql/*/bin or on PATH"
        unavailable(
            f"no PostgreSQL server binaries (initdb, pg_ctl) found in {where}; "
            f"apt-get install postgresql, or set {URL_ENV} to use a running server"
        )
        return  # pragma: no cover - unavailable() does not return
    try:
        cluster = TempCluster(bindir)
        cluster.start()
    except PostgresUnavailable as exc:
        unavailable(str(exc))
        return  # pragma: no cover
    try:
        _wait_until_ready(cluster.url)
        yield cluster.url, cluster.socket_url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(_postgres_server: tuple[str, str | None]) -> str:
    """The URL of the test server's ``postgres`` database (a superuser's)."""
    return _postgres_server[0]


@pytest.fixture(scope="session")
def postgres_socket_url(_postgres_server: tuple[str, str | None]) -> str:
    """The test server through its Unix socket (skipped for an existing server)."""
    if _postgres_server[1] is None:
        pytest.skip(f"{URL_ENV} points at an existing server: no socket path known")
    return _postgres_server[1]


@pytest.fixture
def postgres_db_factory(postgres_url: str) -> Iterator[Callable[[], str]]:
    """A callable returning the URL of a new empty database; all dropped after the test."""
    factory = DatabaseFactory(postgres_url)
    yield factory
    factory.drop_all()


@pytest.fixture
def postgres_db(postgres_db_factory: Callable[[], str]) -> str:
    """The URL of a fresh, empty database, dropped after the test."""
    return postgres_db_factory()
