"""Storage adapters, chosen by URL.

:func:`open_store` opens a store from a URL such as ``sqlite:///liushou.db``
(the embedded default) or ``sqlite:///:memory:``. The scheme picks the backend
by name, never by load order; an unknown scheme is an :class:`UnknownStoreScheme`
error that lists the known ones.

Records are stored under a *kind*, a stable name per model class
(``Child`` -> ``child``, ``SchoolClass`` -> ``school_class``); see :func:`kind_of`.
Every key starts with the school id, and every row carries its county code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from liushou_core.errors import LiushouError
from liushou_core.models import ENTITIES, School

if TYPE_CHECKING:
    from liushou_core.ports import Store

__all__ = [
    "BACKENDS",
    "KINDS",
    "UnknownStoreScheme",
    "kind_of",
    "known_schemes",
    "open_store",
    "redact_url",
    "school_id_of",
]


class UnknownStoreScheme(LiushouError, ValueError):
    """A store URL whose scheme no storage backend serves."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


#: Kind name -> model class, for every entity the stores keep.
KINDS: Final[Mapping[str, type]] = {_snake(cls.__name__): cls for cls in ENTITIES}
_KIND_OF: Final[dict[type, str]] = {cls: kind for kind, cls in KINDS.items()}


def kind_of(cls: type) -> str:
    """The stored kind of a model class (``Child`` -> ``"child"``).

    Raises :class:`TypeError` for a class that is not a stored entity.
    """
    try:
        return _KIND_OF[cls]
    except KeyError:
        known = ", ".join(c.__name__ for c in _KIND_OF)
        raise TypeError(f"{cls.__name__} is not a stored record type; known: {known}") from None


def school_id_of(record: Any) -> str:
    """The school a record belongs to: ``record.school_id``, or the id of a :class:`School`."""
    if isinstance(record, School):
        return record.id
    return str(record.school_id)


def _open_sqlite(url: str) -> Store:
    from liushou_adapters.storage.sqlite import SqliteStore

    return SqliteStore.from_url(url)


#: URL scheme -> function opening a store from the whole URL.
BACKENDS: Final[dict[str, Callable[[str], Store]]] = {"sqlite": _open_sqlite}


def redact_url(url: str) -> str:
    """``url`` with any password hidden, fit for messages and logs."""
    return re.sub(r"^([a-zA-Z][\w+.-]*://[^/:@]*):[^/@]*@", r"\1:***@", url)


def known_schemes() -> tuple[str, ...]:
    """The URL schemes :func:`open_store` understands, sorted."""
    return tuple(sorted(BACKENDS))


def open_store(url: str) -> Store:
    """Open the store at ``url`` (``sqlite:///path.db`` or ``sqlite:///:memory:``).

    A new database gets its schema; an older one is upgraded in place.
    Raises :class:`UnknownStoreScheme` (a :class:`ValueError`) for a URL whose
    scheme is not served, naming the known schemes.
    """
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise UnknownStoreScheme(
            f"store URL {url!r} has no scheme; expected e.g. sqlite:///liushou.db "
            f"(known schemes: {', '.join(known_schemes())})"
        )
    opener = BACKENDS.get(scheme.lower())
    if opener is None:
        raise UnknownStoreScheme(
            f"unknown store scheme {scheme!r}; known schemes: {', '.join(known_schemes())}"
        )
    return opener(url)
