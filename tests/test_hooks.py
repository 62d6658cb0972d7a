"""The plugin hooks: each hook documented and tested; the manager and registries."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from liushou_core import hookimpl, hookspecs, plugins
from liushou_core.hookspecs import Event, ExporterSpec, NotifierSpec, StorageBackend

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(n for n in dir(hookspecs) if n.startswith("liushou_"))


def manager(*named: tuple[str, object], **kw: Any) -> Any:
    """A manager with only the given plugins (no entry points)."""
    return plugins.plugin_manager(entry_points=False, plugins=named, disabled=(), **kw)


# --------------------------------------------------------------------------- meta


def test_there_are_hooks() -> None:
    assert {
        "liushou_storage_backends",
        "liushou_notifiers",
        "liushou_exporters",
        "liushou_aid_schemes",
        "liushou_checks",
        "liushou_cadence_rules",
        "liushou_on_event",
    } <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_says_when_it_is_called_and_what_it_returns(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert "Called" in doc, f"{name}: the docstring must say when the hook is called"
    assert re.search(r"\b[Rr]eturn", doc), f"{name}: the docstring must say what it returns"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_docs_section(name: str) -> None:
    text = (ROOT / "docs" / "plugin-hooks.md").read_text(encoding="utf-8")
    assert re.search(rf"^##+ `?{name}", text, re.M), f"docs/plugin-hooks.md lacks ## {name}"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name: str) -> None:
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    tests = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert f"test_hook_{name}" in tests, f"write test_hook_{name} in tests/test_hooks.py"


# --------------------------------------------------------------------------- registries


class FakeStore:
    def __init__(self, url: str) -> None:
        self.url = url


class Backends:
    def __init__(self, *backends: StorageBackend) -> None:
        self.backends = backends

    @hookimpl
    def liushou_storage_backends(self) -> list[StorageBackend]:
        return list(self.backends)


def test_hook_liushou_storage_backends() -> None:
    fake = StorageBackend("fake", ("fake", "fake2"), FakeStore, "a test backend")
    pm = manager(("school-a", Backends(fake)))
    assert plugins.storage_backends(pm) == {"fake": fake}
    assert plugins.storage_backend_for_url(pm, "FAKE2://x") is fake
    store = plugins.open_store("fake://somewhere", pm)
    assert isinstance(store, FakeStore)
    assert store.url == "fake://somewhere"
    with pytest.raises(plugins.UnknownName, match=r"unknown store URL scheme 'nope'.*fake, fake2"):
        plugins.open_store("nope://x", pm)
    with pytest.raises(plugins.UnknownName, match="needs a scheme"):
        plugins.open_store("liushou.db", pm)


def test_duplicate_backend_names_fail_at_start_naming_both_plugins() -> None:
    a = StorageBackend("fake", ("a",), FakeStore)
    b = StorageBackend("fake", ("b",), FakeStore)
    with pytest.raises(plugins.PluginError, match=r"'fake'.*'one'.*'two'|'fake'.*'two'.*'one'"):
        manager(("one", Backends(a)), ("two", Backends(b)))


def test_duplicate_schemes_fail_at_start() -> None:
    a = StorageBackend("a", ("same",), FakeStore)
    b = StorageBackend("b", ("same",), FakeStore)
    with pytest.raises(plugins.PluginError, match="URL scheme 'same'"):
        manager(("one", Backends(a)), ("two", Backends(b)))


def test_missing_optional_driver_does_not_break_loading() -> None:
    needy = StorageBackend("needy", ("needy",), FakeStore, requires=("no_such_driver_xyz",))
    pm = manager(("needy-plugin", Backends(needy)))
    assert "needy" in plugins.storage_backends(pm)
    assert plugins.missing_requirements(needy) == ["no_such_driver_xyz"]
    with pytest.raises(plugins.PluginError, match="needs no_such_driver_xyz"):
        plugins.open_store("needy://x", pm)


class Channels:
    @hookimpl
    def liushou_notifiers(self) -> list[NotifierSpec]:
        return [NotifierSpec("robot", dict, "a group robot")]

    @hookimpl
    def liushou_exporters(self) -> list[ExporterSpec]:
        return [ExporterSpec("tsv", ".tsv", dict, "tab separated")]


def test_hook_liushou_notifiers() -> None:
    pm = manager(("channels", Channels()))
    spec = plugins.notifier(pm, "robot")
    assert spec.factory(url="x") == {"url": "x"}
    with pytest.raises(plugins.UnknownName, match=r"unknown notifier 'sms'; known: robot"):
        plugins.notifier(pm, "sms")


def test_hook_liushou_exporters() -> None:
    pm = manager(("channels", Channels()))
    assert plugins.exporter(pm, "tsv").suffix == ".tsv"
    with pytest.raises(plugins.UnknownName, match=r"unknown exporter 'pdf'; known: tsv"):
        plugins.exporter(pm, "pdf")


class Rules:
    def __init__(self, tag: str) -> None:
        self.tag = tag

    @hookimpl
    def liushou_aid_schemes(self) -> list[str]:
        return [f"{self.tag}:济难救助"]

    @hookimpl
    def liushou_checks(self) -> list[str]:
        return [f"{self.tag}:archive-photo"]

    @hookimpl
    def liushou_cadence_rules(self) -> list[str]:
        return [f"{self.tag}:weekly-call"]


def test_hook_liushou_aid_schemes() -> None:
    pm = manager(("county", Rules("county")), ("school", Rules("school")))
    assert sorted(plugins.contributions(pm, "liushou_aid_schemes")) == [
        "county:济难救助",
        "school:济难救助",
    ]


def test_hook_liushou_checks() -> None:
    pm = manager(("school", Rules("school")))
    assert plugins.contributions(pm, "liushou_checks") == ["school:archive-photo"]


def test_hook_liushou_cadence_rules() -> None:
    pm = manager(("county", Rules("county")))
    assert plugins.contributions(pm, "liushou_cadence_rules") == ["county:weekly-call"]
    with pytest.raises(plugins.UnknownName, match="unknown rule hook"):
        plugins.contributions(pm, "liushou_nonsense")


class Observer:
    def __init__(self, fail: bool = False) -> None:
        self.seen: list[Event] = []
        self.fail = fail

    @hookimpl
    def liushou_on_event(self, event: Event) -> None:
        self.seen.append(event)
        if self.fail:
            raise RuntimeError("observer broke")


def test_hook_liushou_on_event() -> None:
    good, bad = Observer(), Observer(fail=True)
    pm = manager(("good", good), ("bad", bad))
    event = Event("record.added", "S1", "child", "c1", dt.date(2026, 11, 29), actor="system:x")
    errors = plugins.emit(pm, event)
    assert good.seen == [event]
    assert bad.seen == [event]
    assert [str(e) for e in errors] == ["observer broke"]


# --------------------------------------------------------------------------- blocking


def test_disabled_plugins_are_blocked_by_name() -> None:
    fake = StorageBackend("fake", ("fake",), FakeStore)
    pm = plugins.plugin_manager(
        entry_points=False,
        plugins=[("school-a", Backends(fake))],
        environ={plugins.DISABLED_ENV: " school-a , "},
    )
    assert plugins.storage_backends(pm) == {}


def test_disabling_an_unknown_plugin_lists_the_known_ones() -> None:
    fake = StorageBackend("fake", ("fake",), FakeStore)
    with pytest.raises(plugins.UnknownName, match=r"unknown plugins: nope; known: .*school-a"):
        plugins.plugin_manager(
            entry_points=False, plugins=[("school-a", Backends(fake))], disabled=["nope"]
        )


def test_builtin_adapters_are_entry_points() -> None:
    pm = plugins.plugin_manager(disabled=())
    backends = plugins.storage_backends(pm)
    assert "sqlite" in backends
    assert "sqlite" in backends["sqlite"].schemes


def test_a_builtin_can_be_blocked() -> None:
    pm = plugins.plugin_manager(disabled=["sqlite"])
    assert "sqlite" not in plugins.storage_backends(pm)
    with pytest.raises(plugins.UnknownName, match="unknown store URL scheme 'sqlite'"):
        plugins.storage_backend_for_url(pm, "sqlite:///x.db")
