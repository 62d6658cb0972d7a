"""Errors raised by liushou.

Every error derives from :class:`LiushouError`. Messages never contain an
unmasked resident ID number or phone number: :class:`InvalidRecord` masks the
values it quotes (see :mod:`liushou_core.masking`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liushou_core.i18n import Message

__all__ = [
    "ConflictError",
    "InvalidRecord",
    "LiushouError",
    "NotFound",
    "PermissionDenied",
    "PolicyError",
]


class LiushouError(Exception):
    """Base class of every error liushou raises on purpose."""


class InvalidRecord(LiushouError, ValueError):
    """Input data that cannot become a record.

    ``problems`` lists every problem found, as ``(path, message)`` pairs where
    ``path`` is a JSON-path-like location such as ``$.guardians[0].phone`` and
    ``message`` is English with ID and phone numbers masked. ``details`` holds
    the same problems as translatable messages; :meth:`render` gives them in
    Chinese or English. Nothing is half-built when this is raised.
    """

    problems: list[tuple[str, str]]
    details: list[tuple[str, Message]]

    def __init__(
        self, problems: Iterable[tuple[str, str | Message]], *, what: str = "record"
    ) -> None:
        from liushou_core.i18n import Message
        from liushou_core.masking import mask_text

        self.details = [
            (path, m if isinstance(m, Message) else Message("INVALID", mask_text(m)))
            for path, m in problems
        ]
        self.problems = [(path, mask_text(m.render("en"))) for path, m in self.details]
        self.what = what
        super().__init__(self._summary())

    def _summary(self) -> str:
        n = len(self.problems)
        head = f"invalid {self.what}: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(f"  {path}: {message}" for path, message in self.problems)])

    def render(self, lang: str = "zh") -> list[str]:
        """Each problem as ``path: message`` in ``lang``, numbers masked."""
        from liushou_core.masking import mask_text

        return [f"{path}: {mask_text(m.render(lang))}" for path, m in self.details]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_invalid, (self.details, self.what))


def _rebuild_invalid(details: list[tuple[str, Message]], what: str) -> InvalidRecord:
    return InvalidRecord(details, what=what)


class ConflictError(LiushouError):
    """An update carried a stale version: somebody else changed the record first."""


class NotFound(LiushouError, KeyError):
    """A record that was asked for does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class PermissionDenied(LiushouError):
    """The actor's role does not allow the operation or the field."""


class PolicyError(LiushouError, LookupError):
    """A policy parameter has no value on the date asked for, or is malformed."""
