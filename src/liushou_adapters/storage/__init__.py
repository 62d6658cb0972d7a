"""Storage adapters, chosen by URL.

:func:`open_store` opens a store from a URL such as ``sqlite:///liushou.db``
(the embedded default), ``sqlite:///:memory:`` or ``memory://``. The URL's
scheme picks the backend through the plugin registry
(:func:`liushou_core.plugins.open_store`): every backend, ours included, is a
plugin under the ``liushou`` entry-point group that declares the schemes it
serves, so a deployer can add one or block one by name. An unknown scheme is
an :class:`UnknownStoreScheme` error that lists the known ones.

Records are stored under a *kind*, a stable name per model class
(``Child`` -> ``child``, ``SchoolClass`` -> ``school_class``); see :func:`kind_of`.
Every key starts with the school id, and every row carries its county code.

:func:`plan_query` checks the ``since``/``until``/``**filters`` arguments of
:meth:`UnitOfWork.list <liushou_core.ports.UnitOfWork.list>` once for every
backend and turns them into :class:`Condition` values, so that all backends
accept and refuse the same queries with the same messages.

The audit helpers (:func:`written_fields`, :func:`changed_fields`,
:func:`read_fields`, :func:`audit_filters`) likewise give every backend the
same ``fields`` of an :class:`~liushou_core.ports.AuditEntry` and the same
checks of :meth:`~liushou_core.ports.Store.audit_trail` filters.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import types
import typing
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import attrs

from liushou_core import plugins
from liushou_core.errors import LiushouError
from liushou_core.models import School
from liushou_core.ports import AUDIT_ACTIONS, DATE_FIELDS, RECORD_KINDS, kind_of

if TYPE_CHECKING:
    import pluggy

    from liushou_core.ports import Store

__all__ = [
    "KINDS",
    "AuditFilters",
    "Condition",
    "InvalidStoreUrl",
    "UnknownStoreScheme",
    "audit_filters",
    "changed_fields",
    "default_plugin_manager",
    "field_shapes",
    "kind_of",
    "known_schemes",
    "open_store",
    "plain_value",
    "plan_query",
    "read_fields",
    "redact_url",
    "reset_plugin_manager",
    "school_id_of",
    "written_fields",
]


class InvalidStoreUrl(LiushouError, ValueError):
    """A store URL that its backend cannot open as written (``sqlite://x.db``)."""


class UnknownStoreScheme(InvalidStoreUrl, plugins.UnknownName):
    """A store URL whose scheme no storage backend serves (or that has no scheme).

    Both a :class:`ValueError` (bad input) and a
    :class:`liushou_core.plugins.UnknownName` (no plugin provides it).
    """


#: Kind name -> model class, for every entity the stores keep.
KINDS: Final[Mapping[str, type]] = RECORD_KINDS


def school_id_of(record: Any) -> str:
    """The school a record belongs to: ``record.school_id``, or the id of a :class:`School`."""
    if isinstance(record, School):
        return record.id
    return str(record.school_id)


def redact_url(url: str) -> str:
    """``url`` with any password hidden, fit for messages and logs."""
    return re.sub(r"^([a-zA-Z][\w+.-]*://[^/:@]*):[^/@]*@", r"\1:***@", url)


# ----------------------------------------------------------------------------- plugins

_pm_lock = threading.Lock()
_pm: pluggy.PluginManager | None = None


def default_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, built on first use by
    :func:`liushou_core.plugins.plugin_manager` (entry points, honouring
    ``LIUSHOU_DISABLED_PLUGINS`` as it is at that moment)."""
    global _pm
    with _pm_lock:
        if _pm is None:
            _pm = plugins.plugin_manager()
        return _pm


def reset_plugin_manager() -> None:
    """Forget the process's plugin manager; the next use builds a new one
    (after installing a plugin or changing ``LIUSHOU_DISABLED_PLUGINS``)."""
    global _pm
    with _pm_lock:
        _pm = None


def known_schemes(pm: pluggy.PluginManager | None = None) -> tuple[str, ...]:
    """The URL schemes :func:`open_store` understands, sorted."""
    backends = plugins.storage_backends(pm or default_plugin_manager())
    return tuple(sorted(s for b in backends.values() for s in b.schemes))


def open_store(url: str, pm: pluggy.PluginManager | None = None) -> Store:
    """Open the store at ``url`` with the backend plugin that serves its scheme.

    ``sqlite:///path.db`` (a new database gets its schema; an older one is
    upgraded in place), ``sqlite:///:memory:``, ``memory://`` (a fresh store),
    ``memory://name`` (one store per name in the process), and whatever the
    installed plugins serve (``postgresql://...``). ``pm`` is the plugin
    manager to use, by default :func:`default_plugin_manager`.

    :raises UnknownStoreScheme: the scheme is missing or no backend serves it
        (a :class:`ValueError`); the message lists the known schemes.
    :raises InvalidStoreUrl: the backend cannot use the rest of the URL.
    :raises liushou_core.plugins.PluginError: the backend's driver is not installed.
    """
    pm = pm or default_plugin_manager()
    scheme, sep, _ = url.partition("://")
    known = ", ".join(known_schemes(pm)) or "(none)"
    if not sep or not scheme:
        raise UnknownStoreScheme(
            f"a store URL starts with a scheme, e.g. sqlite:///liushou.db (known schemes: {known})"
        )
    try:
        plugins.storage_backend_for_url(pm, url)
    except plugins.UnknownName:
        raise UnknownStoreScheme(
            f"unknown store scheme {scheme!r}; known schemes: {known}"
        ) from None
    return cast("Store", plugins.open_store(url, pm))


# ----------------------------------------------------------------------------- queries

Op = Literal["eq", "is_null", "has", "since", "until"]
Shape = Literal["scalar", "texts", "other"]

_SCALARS: Final = (str, int, float, bool, dt.date, Enum, type(None))


@attrs.frozen
class Condition:
    """One checked condition of a :meth:`~liushou_core.ports.UnitOfWork.list` query.

    ``op`` is one of:

    * ``"eq"``: the field equals ``value`` (JSON form in ``plain``);
    * ``"is_null"``: the field is ``None``;
    * ``"has"``: the tuple-of-text field contains ``value``;
    * ``"since"`` / ``"until"``: the date field is on or after / on or before
      ``value`` (a :class:`datetime.date`; ``plain`` is its ISO text).

    ``plain`` is the value as it appears in the stored JSON (text, number,
    ``true``/``false``), ready to be a query parameter; ``field`` is a Python
    identifier, safe to write into a JSON path.
    """

    field: str
    op: Op
    value: Any
    plain: Any


def plain_value(value: Any) -> Any:
    """The JSON form of a simple value: an enum's value, a date's ISO text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _shape(tp: Any) -> Shape:
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis and isinstance(args[0], type):
            return "texts" if issubclass(args[0], str) else "other"
        return "other"
    if origin in (typing.Union, types.UnionType):
        shapes = {_shape(a) for a in typing.get_args(tp)}
        return "scalar" if shapes == {"scalar"} else "other"
    if isinstance(tp, type) and issubclass(tp, _SCALARS):
        return "scalar"
    return "other"


@functools.cache
def field_shapes(cls: type) -> Mapping[str, Shape]:
    """Each field of a record class: ``scalar`` (filtered by equality), ``texts``
    (a tuple of text, filtered by membership) or ``other`` (not filterable)."""
    hints = typing.get_type_hints(cls)
    return types.MappingProxyType(
        {f.name: _shape(hints.get(f.name, f.type)) for f in attrs.fields(cast(Any, cls))}
    )


def plan_query(
    cls: type,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    filters: Mapping[str, Any] | None = None,
) -> list[Condition]:
    """Check the arguments of ``uow.list(cls, school_id, since=..., until=..., **filters)``.

    Returns the conditions in a stable order (filters as given, then
    ``since``, ``until``). Raises :class:`ValueError` naming the problem for
    an unknown field, a field that cannot be filtered (nested records), a
    value that is not simple, several values for a tuple field, and
    ``since``/``until`` on a kind without a date (see
    :data:`liushou_core.ports.DATE_FIELDS`) or that are not dates.
    """
    shapes = field_shapes(cls)
    out: list[Condition] = []
    for name, value in (filters or {}).items():
        shape = shapes.get(name)
        if shape is None:
            raise ValueError(f"{cls.__name__} has no field {name!r}; fields: {', '.join(shapes)}")
        if shape == "other":
            raise ValueError(
                f"cannot filter {cls.__name__} on {name}: only simple fields and tuples of text"
            )
        if shape == "texts":
            if not isinstance(value, str):
                raise ValueError(
                    f"{cls.__name__}.{name} is a tuple: filter it by one member, "
                    f"e.g. {name}='...' (got {type(value).__name__})"
                )
            out.append(Condition(name, "has", value, plain_value(value)))
            continue
        if not isinstance(value, _SCALARS):
            raise ValueError(f"cannot filter on {name}={value!r}: only simple values")
        if value is None:
            out.append(Condition(name, "is_null", None, None))
        else:
            out.append(Condition(name, "eq", value, plain_value(value)))
    if since is not None or until is not None:
        field = DATE_FIELDS.get(cls)
        if field is None:
            dated = ", ".join(f"{c.__name__} ({f})" for c, f in DATE_FIELDS.items())
            raise ValueError(
                f"{cls.__name__} has no date to bound with since/until; kinds with one: {dated}"
            )
        for op, day in (("since", since), ("until", until)):
            if day is None:
                continue
            if type(day) is not dt.date:
                raise ValueError(f"{op} must be a date (datetime.date), got {day!r}")
            out.append(Condition(field, cast(Op, op), day, day.isoformat()))
    return out


# ----------------------------------------------------------------------------- audit


@functools.cache
def _all_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in attrs.fields(cast(Any, cls)))


_WRITTEN: dict[type, tuple[str, ...]] = {}


def written_fields(cls: type) -> tuple[str, ...]:
    """The ``fields`` of an add or delete audit entry: every field of ``cls`` but
    ``version`` (which the entry's versions record), in the model's order."""
    found = _WRITTEN.get(cls)
    if found is None:
        kind_of(cls)  # a stored record type, or TypeError
        found = _WRITTEN[cls] = tuple(name for name in _all_fields(cls) if name != "version")
    return found


_MISSING: Final = object()


def changed_fields(cls: type, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``fields`` of an update audit entry: the top-level fields (but ``version``)
    whose values differ between two records, in the model's order.

    ``old`` and ``new`` are the records' plain data (their unstructured JSON
    shape, as the SQL stores compare them) or mappings of their attributes (as
    the memory store does); both give the same answer for valid records.
    """
    return tuple(
        name for name in written_fields(cls) if old.get(name, _MISSING) != new.get(name, _MISSING)
    )


def read_fields(cls: type, fields: Any) -> tuple[str, ...]:
    """The ``fields`` of a read audit entry: ``fields`` checked and put in the model's
    order, each once.

    Raises :class:`ValueError` when ``fields`` is a string (a common slip for
    ``("name",)``) or not a collection of text, or names something that is not a
    field of ``cls``; :class:`TypeError` when ``cls`` is not a stored record type.
    """
    kind_of(cls)
    if isinstance(fields, str | bytes) or not isinstance(fields, Iterable):
        raise ValueError(
            f"fields is a sequence of field names, e.g. fields=('name',), not {fields!r}"
        )
    names = list(fields)
    known = _all_fields(cls)
    unknown = [n for n in names if not isinstance(n, str) or n not in known]
    if unknown:
        raise ValueError(
            f"{cls.__name__} has no field {', '.join(map(repr, unknown))}; "
            f"fields: {', '.join(known)}"
        )
    wanted = set(names)
    return tuple(name for name in known if name in wanted)


@attrs.frozen
class AuditFilters:
    """Checked filters of :meth:`~liushou_core.ports.Store.audit_trail`; ``None``: any."""

    school_id: str | None = None
    kind: str | None = None
    record_id: str | None = None
    action: str | None = None

    def items(self) -> list[tuple[str, str]]:
        """``(column, value)`` of the filters given, in a stable order."""
        pairs = (
            ("school_id", self.school_id),
            ("kind", self.kind),
            ("record_id", self.record_id),
            ("action", self.action),
        )
        return [(column, value) for column, value in pairs if value is not None]

    def match(self, entry: Any) -> bool:
        """Whether an :class:`~liushou_core.ports.AuditEntry` passes every filter."""
        return all(getattr(entry, column) == value for column, value in self.items())


def audit_filters(
    *,
    school_id: str | None = None,
    kind: str | type | None = None,
    record_id: str | None = None,
    action: str | None = None,
) -> AuditFilters:
    """Check the filters of ``store.audit_trail(...)`` once for every backend.

    ``kind`` may be a kind name or a record class. Raises :class:`ValueError`
    for an unknown kind or action (naming the known ones) and for a filter
    that is not text.
    """
    if isinstance(kind, type):
        try:
            kind = kind_of(kind)
        except TypeError as exc:
            raise ValueError(str(exc)) from None
    elif kind is not None and kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}; kinds: {', '.join(RECORD_KINDS)}")
    if action is not None and action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; actions: {', '.join(AUDIT_ACTIONS)}")
    for name, value in (("school_id", school_id), ("record_id", record_id)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} is text, got {value!r}")
    return AuditFilters(school_id, kind, record_id, action)
