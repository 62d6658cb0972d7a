"""The plugin manager: entry points, blocking by name, and the named registries.

:func:`plugin_manager` builds a :class:`pluggy.PluginManager` for the
``liushou`` project: it loads every module registered under the ``liushou``
entry-point group (our own adapters are registered there too, so a deployer
can block any of them), skips the names listed in ``LIUSHOU_DISABLED_PLUGINS``
(comma separated), and checks the registries at once: a duplicate backend,
scheme, notifier or exporter name fails at start with both plugins named.

Registries are looked up by name, never by load order; an unknown name raises
:class:`UnknownName` listing the known ones. A backend whose optional driver is
missing (PostgreSQL without psycopg) stays listed but :func:`open_store` says
which package to install.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

import pluggy

from liushou_core import hookspecs
from liushou_core.errors import LiushouError
from liushou_core.hookspecs import Event, ExporterSpec, NotifierSpec, StorageBackend

__all__ = [
    "DISABLED_ENV",
    "ENTRY_POINT_GROUP",
    "PluginError",
    "UnknownName",
    "contributions",
    "emit",
    "exporter",
    "exporters",
    "missing_requirements",
    "notifier",
    "notifiers",
    "open_store",
    "plugin_manager",
    "storage_backend",
    "storage_backend_for_url",
    "storage_backends",
]

ENTRY_POINT_GROUP = "liushou"
DISABLED_ENV = "LIUSHOU_DISABLED_PLUGINS"

D = TypeVar("D", StorageBackend, NotifierSpec, ExporterSpec)


class PluginError(LiushouError):
    """A plugin could not be loaded, or two plugins claim the same name."""


class UnknownName(PluginError, LookupError):
    """A name (backend, scheme, notifier, exporter, plugin) that no plugin provides."""


def _disabled_from_env(environ: Mapping[str, str]) -> list[str]:
    return [n.strip() for n in environ.get(DISABLED_ENV, "").split(",") if n.strip()]


def plugin_manager(
    *,
    entry_points: bool = True,
    disabled: Iterable[str] | None = None,
    plugins: Iterable[tuple[str, object]] = (),
    environ: Mapping[str, str] | None = None,
) -> pluggy.PluginManager:
    """A plugin manager with liushou's hook specifications and plugins loaded.

    :param entry_points: load the ``liushou`` entry-point group (built-ins included).
    :param disabled: plugin names to block; by default ``LIUSHOU_DISABLED_PLUGINS``.
    :param plugins: extra ``(name, plugin)`` pairs to register (tests, embedding).
    :param environ: the environment to read ``LIUSHOU_DISABLED_PLUGINS`` from
        (default :data:`os.environ`).
    :raises PluginError: a plugin failed to import or two plugins claim a name.
    :raises UnknownName: a disabled name matches no plugin.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    blocked = (
        list(disabled)
        if disabled is not None
        else _disabled_from_env(os.environ if environ is None else environ)
    )
    for name in blocked:
        pm.set_blocked(name)
    if entry_points:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:
            raise PluginError(f"a liushou plugin failed to load: {exc}") from exc
    extra = list(plugins)
    for name, plugin in extra:
        if not pm.is_blocked(name):
            pm.register(plugin, name=name)
    known = _plugin_names(pm, entry_points) | {name for name, _ in extra}
    unknown = [n for n in blocked if n not in known]
    if unknown:
        raise UnknownName(
            f"{DISABLED_ENV} names unknown plugins: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known)) or '(none)'}"
        )
    # Fail at start, not at first use, on duplicate names.
    storage_backends(pm)
    notifiers(pm)
    exporters(pm)
    return pm


def _plugin_names(pm: pluggy.PluginManager, entry_points: bool) -> set[str]:
    names = {name for name, plugin in pm.list_name_plugin() if name and plugin is not None}
    if entry_points:
        from importlib.metadata import entry_points as eps

        names |= {ep.name for ep in eps(group=ENTRY_POINT_GROUP)}
    return names


def _registry(
    pm: pluggy.PluginManager,
    hook: pluggy.HookCaller,
    what: str,
    key: Callable[[Any], Iterable[str]],
) -> dict[str, tuple[Any, str]]:
    found: dict[str, tuple[Any, str]] = {}
    for impl in hook.get_hookimpls():
        items: Iterable[Any] = cast("Iterable[Any]", impl.function() or ())
        for item in items:
            for k in key(item):
                if k in found:
                    raise PluginError(
                        f"two plugins provide the {what} {k!r}: "
                        f"{found[k][1]!r} and {impl.plugin_name!r}; "
                        f"block one with {DISABLED_ENV}"
                    )
                found[k] = (item, impl.plugin_name)
    return found


def storage_backends(pm: pluggy.PluginManager) -> dict[str, StorageBackend]:
    """Every storage backend by name. Checks names and URL schemes are unique."""
    by_name = _registry(pm, pm.hook.liushou_storage_backends, "storage backend", lambda b: [b.name])
    _registry(pm, pm.hook.liushou_storage_backends, "URL scheme", lambda b: b.schemes)
    return {k: v[0] for k, v in sorted(by_name.items())}


def notifiers(pm: pluggy.PluginManager) -> dict[str, NotifierSpec]:
    """Every notification channel by name."""
    found = _registry(pm, pm.hook.liushou_notifiers, "notifier", lambda n: [n.name])
    return {k: v[0] for k, v in sorted(found.items())}


def exporters(pm: pluggy.PluginManager) -> dict[str, ExporterSpec]:
    """Every exporter by name."""
    found = _registry(pm, pm.hook.liushou_exporters, "exporter", lambda e: [e.name])
    return {k: v[0] for k, v in sorted(found.items())}


def _pick(registry: Mapping[str, D], name: str, what: str) -> D:
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(registry) or "(none)"
        raise UnknownName(f"unknown {what} {name!r}; known: {known}") from None


def storage_backend(pm: pluggy.PluginManager, name: str) -> StorageBackend:
    """The storage backend called ``name``."""
    return _pick(storage_backends(pm), name, "storage backend")


def notifier(pm: pluggy.PluginManager, name: str) -> NotifierSpec:
    """The notification channel called ``name``."""
    return _pick(notifiers(pm), name, "notifier")


def exporter(pm: pluggy.PluginManager, name: str) -> ExporterSpec:
    """The exporter called ``name``."""
    return _pick(exporters(pm), name, "exporter")


def storage_backend_for_url(pm: pluggy.PluginManager, url: str) -> StorageBackend:
    """The backend serving the scheme of ``url`` (``sqlite:///x.db`` -> ``sqlite``)."""
    scheme, sep, _ = url.partition("://")
    schemes = {s: b for b in storage_backends(pm).values() for s in b.schemes}
    if not sep or not scheme:
        raise UnknownName(
            f"a store URL needs a scheme, e.g. sqlite:///liushou.db; "
            f"known schemes: {', '.join(sorted(schemes)) or '(none)'}"
        )
    return _pick(dict(sorted(schemes.items())), scheme.lower(), "store URL scheme")


def missing_requirements(spec: StorageBackend | NotifierSpec | ExporterSpec) -> list[str]:
    """The optional driver modules ``spec`` needs that are not installed."""
    return [m for m in spec.requires if importlib.util.find_spec(m) is None]


def open_store(url: str, pm: pluggy.PluginManager | None = None) -> Any:
    """Open the store at ``url`` with the backend that serves its scheme."""
    pm = pm or plugin_manager()
    backend = storage_backend_for_url(pm, url)
    missing = missing_requirements(backend)
    if missing:
        raise PluginError(
            f"the {backend.name} storage backend needs {', '.join(missing)}; "
            f"install it, e.g. pip install 'liushou[{backend.name}]'"
        )
    return backend.open(url)


def contributions(pm: pluggy.PluginManager, hook: str) -> list[Any]:
    """Everything plugins contribute through a rule hook, flattened.

    ``hook`` is one of ``liushou_aid_schemes``, ``liushou_checks``,
    ``liushou_cadence_rules``.
    """
    if hook not in {"liushou_aid_schemes", "liushou_checks", "liushou_cadence_rules"}:
        raise UnknownName(
            f"unknown rule hook {hook!r}; known: "
            "liushou_aid_schemes, liushou_checks, liushou_cadence_rules"
        )
    caller: pluggy.HookCaller = getattr(pm.hook, hook)
    return [item for result in caller() for item in (result or ())]


def emit(pm: pluggy.PluginManager, event: Event) -> list[BaseException]:
    """Tell every observer of ``event``; returns the exceptions observers raised.

    An observer's exception never stops the others (the change is already
    committed); the caller logs what comes back.
    """
    errors: list[BaseException] = []
    for impl in pm.hook.liushou_on_event.get_hookimpls():
        try:
            impl.function(event=event)
        except Exception as exc:
            errors.append(exc)
    return errors
