"""The plugin hooks of liushou (pluggy), all prefixed ``liushou_``.

One project name, ``liushou``, serves as the hook marker, the entry-point group
and the hook prefix (as in pluggy's eggsample). A plugin is any module or object
with functions decorated by :data:`liushou_core.hookimpl`; a package registers
it under the ``liushou`` entry-point group::

    [project.entry-points.liushou]
    myschool = "myschool_liushou.plugin"

Three kinds of hooks:

* **registries** return named descriptors (:class:`StorageBackend`,
  :class:`NotifierSpec`, :class:`ExporterSpec`); settings pick one by name,
  never by load order, and an unknown name is an error that lists the known
  ones;
* **rule contributions** return extra rules (aid schemes, checks, cadence rules)
  that the rule engines run beside the built-in ones;
* **observers** are told of events (:class:`Event`).

Every hook is documented in ``docs/plugin-hooks.md`` and tested by a test named
``test_hook_<name>``; ``tests/test_hooks.py`` enforces both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pluggy

__all__ = [
    "Event",
    "ExporterSpec",
    "NotifierSpec",
    "StorageBackend",
    "hookspec",
    "liushou_aid_schemes",
    "liushou_cadence_rules",
    "liushou_checks",
    "liushou_exporters",
    "liushou_notifiers",
    "liushou_on_event",
    "liushou_storage_backends",
]

hookspec = pluggy.HookspecMarker("liushou")


@attrs.frozen
class StorageBackend:
    """A storage backend: its unique ``name``, the URL ``schemes`` it serves, and
    ``open(url) -> Store``. ``requires`` names the optional driver it needs
    (``"psycopg"``); :func:`~liushou_core.plugins.plugin_manager` reports it as
    unavailable, without failing, when the driver is missing."""

    name: str
    schemes: tuple[str, ...]
    open: Callable[[str], Any]
    description: str = ""
    requires: tuple[str, ...] = ()


@attrs.frozen
class NotifierSpec:
    """A notification channel: its unique ``name`` and a ``factory(**settings)``."""

    name: str
    factory: Callable[..., Any]
    description: str = ""
    requires: tuple[str, ...] = ()


@attrs.frozen
class ExporterSpec:
    """An exporter: its unique ``name``, the file ``suffix`` and a ``factory(**settings)``."""

    name: str
    suffix: str
    factory: Callable[..., Any]
    description: str = ""
    requires: tuple[str, ...] = ()


@attrs.frozen
class Event:
    """Something that happened: a record written, a finding raised, a contact overdue.

    ``kind`` is a dotted name (``record.added``, ``record.updated``,
    ``record.deleted``, ``finding.raised``, ``contact.overdue``); ``subject``
    names the record kind and id; ``on`` is the day it concerns.
    """

    kind: str
    school_id: str
    subject_kind: str
    subject_id: str
    on: dt.date
    actor: str = "system"
    data: tuple[tuple[str, str], ...] = ()


@hookspec
def liushou_storage_backends() -> Sequence[StorageBackend]:  # type: ignore[empty-body]
    """Storage backends this plugin provides.

    Called once when the plugin manager builds its registry (at the first
    :func:`~liushou_core.plugins.storage_backend` or
    :func:`~liushou_core.plugins.open_store` call). Return a sequence of
    :class:`StorageBackend`; each ``name`` and each URL scheme must be unique
    across all plugins, or loading fails naming both plugins.
    """


@hookspec
def liushou_notifiers() -> Sequence[NotifierSpec]:  # type: ignore[empty-body]
    """Notification channels this plugin provides.

    Called once when the registry of notifiers is built. Return a sequence of
    :class:`NotifierSpec` with unique names; the deployment's settings choose
    channels by these names.
    """


@hookspec
def liushou_exporters() -> Sequence[ExporterSpec]:  # type: ignore[empty-body]
    """Exporters (file formats) this plugin provides.

    Called once when the registry of exporters is built. Return a sequence of
    :class:`ExporterSpec` with unique names (``csv``, ``xlsx``, ...).
    """


@hookspec
def liushou_aid_schemes() -> Sequence[Any]:  # type: ignore[empty-body]
    """Extra aid schemes, such as a county's own hardship relief (济难救助).

    Called when an aid assessment collects its schemes, before assessing any
    child. Return a sequence of scheme objects (see :mod:`liushou_core.aid`);
    each is assessed beside the national schemes and appears in the decision
    with its own reasons.
    """


@hookspec
def liushou_checks() -> Sequence[Any]:  # type: ignore[empty-body]
    """Extra completeness checks, such as a school's own archive rules.

    Called when :func:`~liushou_core.checks.run_checks` collects its checks.
    Return a sequence of checks (see :mod:`liushou_core.checks`), each with a
    stable code; their findings are reported with the built-in ones.
    """


@hookspec
def liushou_cadence_rules() -> Sequence[Any]:  # type: ignore[empty-body]
    """Extra cadence rules (kinds of contact and their rhythm) of a school or county.

    Called when a cadence policy is assembled for planning or compliance.
    Return a sequence of cadence rules (see :mod:`liushou_core.cadence`).
    """


@hookspec
def liushou_on_event(event: Event) -> None:
    """Observe an event: a record written, a finding raised, a contact overdue.

    Called by the services after the unit of work that caused the event has
    committed, once per event, for every plugin that implements it. The return
    value is ignored; an exception is logged and does not undo the change.
    """
