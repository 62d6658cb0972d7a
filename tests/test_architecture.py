"""Architecture rules of the pure core, checked statically and at import time.

``liushou_core`` holds pure domain code: it never imports ``liushou_adapters``,
reads no clock (``date.today()``, ``datetime.now()``, ``time.time()``) and does
no I/O (no ``open()`` outside the i18n catalogue loader, no sockets, databases
or subprocesses). Rules take the date they work on as ``on=``.

These tests read the source of every module under ``src/liushou_core`` with
:mod:`ast`, and import the whole package in a fresh interpreter to check what
the import drags in and does.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "src" / "liushou_core"

#: Modules of ``liushou_core`` (dotted names) allowed to import ``liushou_adapters``.
#: Empty on purpose: the core never depends on its adapters, not even in
#: ``testing`` (conformance suites take the adapter under test as an argument).
ALLOWED_ADAPTER_IMPORTS: frozenset[str] = frozenset()

#: Files (relative to ``src/liushou_core``) allowed to open files: the catalogue loader.
ALLOWED_OPEN: frozenset[str] = frozenset({"i18n/__init__.py"})

#: Modules whose only purpose is I/O: the core imports none of them, anywhere.
IO_MODULES: frozenset[str] = frozenset(
    {
        "asyncio",
        "ftplib",
        "http.client",
        "http.server",
        "httpx",
        "poplib",
        "psycopg",
        "psycopg2",
        "requests",
        "shutil",
        "smtplib",
        "socket",
        "socketserver",
        "sqlite3",
        "ssl",
        "subprocess",
        "tempfile",
        "urllib.request",
    }
)

#: Clock readings on ``datetime.date`` and ``datetime.datetime``.
DATE_CLOCK = frozenset({"today", "now", "utcnow"})
#: Clock readings of the ``time`` module.
TIME_CLOCK = frozenset(
    {
        "time",
        "time_ns",
        "localtime",
        "gmtime",
        "ctime",
        "asctime",
        "monotonic",
        "monotonic_ns",
        "perf_counter",
        "perf_counter_ns",
        "process_time",
        "process_time_ns",
    }
)
#: Calls that read or write files whatever object they are made on.
FILE_METHODS = frozenset({"read_text", "write_text", "read_bytes", "write_bytes"})
#: ``module.open(...)`` calls that open files.
OPEN_MODULES = frozenset({"io", "os", "codecs", "gzip", "bz2", "lzma", "tarfile", "zipfile"})


def core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def rel(path: Path) -> str:
    return path.relative_to(CORE).as_posix()


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module an ``import`` statement names (relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                target = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target:
                yield node.lineno, target
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}" if target else alias.name
        elif isinstance(node, ast.Call):
            # importlib.import_module("...") and __import__("...") with a literal name
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name in {"import_module", "__import__"} and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield node.lineno, arg.value


def _within(name: str, modules: frozenset[str]) -> str | None:
    for m in modules:
        if name == m or name.startswith(m + "."):
            return m
    return None


class _Aliases:
    """What the names bound by a module's imports refer to (``dt`` -> ``datetime``)."""

    def __init__(self, tree: ast.Module) -> None:
        self.names: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.names[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def resolve(self, node: ast.expr) -> str | None:
        """The dotted name ``node`` refers to, with the first part resolved."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.names.get(node.id, node.id)
        return ".".join([head, *reversed(parts)])


def clock_reads(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """References to clock readings, called or not (``attrs.Factory(date.today)``)."""
    aliases = _Aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = aliases.resolve(node.value)
            if base in {"datetime.date", "datetime.datetime"} and node.attr in DATE_CLOCK:
                yield node.lineno, f"{base}.{node.attr}"
            elif base == "time" and node.attr in TIME_CLOCK:
                yield node.lineno, f"time.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module == "time" and not node.level:
            for alias in node.names:
                if alias.name in TIME_CLOCK:
                    yield node.lineno, f"from time import {alias.name}"


def file_opens(tree: ast.Module) -> Iterator[tuple[int, str]]:
    aliases = _Aliases(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        if isinstance(fn, ast.Name) and fn.id == "open":
            yield node.lineno, "open()"
        elif isinstance(fn, ast.Attribute):
            if fn.attr in FILE_METHODS:
                yield node.lineno, f".{fn.attr}()"
            elif fn.attr == "open" and aliases.resolve(fn.value) in OPEN_MODULES:
                yield node.lineno, f"{aliases.resolve(fn.value)}.open()"


# ----------------------------------------------------------------------------- static


def test_core_sources_are_found() -> None:
    names = {module_name(p) for p in core_files()}
    assert {"liushou_core", "liushou_core.convert", "liushou_core.models"} <= names


@pytest.mark.parametrize("path", core_files(), ids=rel)
def test_core_never_imports_adapters(path: Path) -> None:
    module = module_name(path)
    if module in ALLOWED_ADAPTER_IMPORTS:
        pytest.skip("allowed explicitly")
    tree = parse(path)
    bad = [
        f"{rel(path)}:{line}: imports {name}"
        for line, name in imported_modules(tree, module, path.name == "__init__.py")
        if name == "liushou_adapters" or name.startswith("liushou_adapters.")
    ]
    assert not bad, "liushou_core must not depend on liushou_adapters:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", core_files(), ids=rel)
def test_core_imports_no_io_modules(path: Path) -> None:
    module = module_name(path)
    tree = parse(path)
    bad = sorted(
        {
            f"{rel(path)}:{line}: imports {name}"
            for line, name in imported_modules(tree, module, path.name == "__init__.py")
            if _within(name, IO_MODULES)
        }
    )
    assert not bad, "the core does no I/O; use a port in liushou_core.ports:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", core_files(), ids=rel)
def test_core_reads_no_clock(path: Path) -> None:
    bad = [f"{rel(path)}:{line}: {what}" for line, what in clock_reads(parse(path))]
    assert not bad, "rules take the date as on=; the core never reads the clock:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", core_files(), ids=rel)
def test_core_opens_no_files(path: Path) -> None:
    if rel(path) in ALLOWED_OPEN:
        pytest.skip("the message catalogue loader")
    bad = [f"{rel(path)}:{line}: {what}" for line, what in file_opens(parse(path))]
    assert not bad, "the core opens no files (catalogues excepted):\n" + "\n".join(bad)


# The checkers themselves, on small samples, so that a broken checker cannot pass silently.


def test_checkers_catch_what_they_should() -> None:
    sample = textwrap.dedent(
        """
        import datetime as dt
        import time
        from datetime import date, datetime as DT
        from time import monotonic
        from liushou_adapters.storage import sqlite
        import liushou_adapters
        from .. import liushou_adapters as nope
        import socket
        import importlib

        importlib.import_module("liushou_adapters.cli")
        x = dt.date.today()
        y = DT.now()
        z = date.today
        t = time.time()
        with open("f") as fp:
            pass
        import io
        io.open("f")
        p.read_text()
        """
    )
    tree = ast.parse(sample)
    imports = [n for _, n in imported_modules(tree, "liushou_core.x", False)]
    assert "liushou_adapters.storage" in imports
    assert "liushou_adapters" in imports
    assert "liushou_adapters.cli" in imports
    assert _within("socket", IO_MODULES)
    clocks = {w for _, w in clock_reads(tree)}
    assert clocks == {
        "datetime.date.today",
        "datetime.datetime.now",
        "time.time",
        "from time import monotonic",
    }
    opens = [w for _, w in file_opens(tree)]
    assert sorted(opens) == [".read_text()", "io.open()", "open()"]


def test_checkers_leave_innocent_code_alone() -> None:
    sample = textwrap.dedent(
        """
        import datetime as dt
        from liushou_core.models import Child
        d = dt.date(2026, 9, 1)
        on = d.today_is_not_a_clock
        store.open()
        incident.now = 3
        """
    )
    tree = ast.parse(sample)
    assert not list(clock_reads(tree))
    assert not list(file_opens(tree))
    assert not [n for _, n in imported_modules(tree, "liushou_core.x", False) if "adapters" in n]


# ----------------------------------------------------------------------------- at import

_IMPORT_ALL = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    events = []
    WATCH = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn",
             "sqlite3.connect", "urllib.Request", "ftplib.", "smtplib.", "http.client.")

    def hook(event, args):
        if event.startswith(WATCH):
            events.append(event)
        elif event == "open" and len(args) > 1 and isinstance(args[1], str):
            if any(c in args[1] for c in "wax+"):
                events.append(f"open for writing: {args[0]}")

    sys.addaudithook(hook)
    import liushou_core
    names = ["liushou_core"]
    failed = {}
    for info in pkgutil.walk_packages(liushou_core.__path__, "liushou_core."):
        if info.name == "liushou_core.testing" or info.name.startswith("liushou_core.testing."):
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            failed[info.name] = repr(exc)
        names.append(info.name)
    print(json.dumps({
        "imported": names,
        "failed": failed,
        "adapters": sorted(m for m in sys.modules if m.split(".")[0] == "liushou_adapters"),
        "events": events,
    }))
    """
)


@pytest.fixture(scope="module")
def import_report() -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-B", "-c", _IMPORT_ALL],  # -B: no bytecode files written
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def test_every_core_module_imports(import_report: dict[str, object]) -> None:
    assert import_report["failed"] == {}
    imported = set(import_report["imported"])  # type: ignore[call-overload]
    expected = {
        module_name(p)
        for p in core_files()
        if not module_name(p).startswith("liushou_core.testing")
    }
    assert expected <= imported


def test_importing_core_leaves_adapters_out(import_report: dict[str, object]) -> None:
    assert import_report["adapters"] == [], (
        f"importing liushou_core pulled in liushou_adapters: {import_report['adapters']}"
    )


def test_importing_core_does_no_io(import_report: dict[str, object]) -> None:
    assert import_report["events"] == []
