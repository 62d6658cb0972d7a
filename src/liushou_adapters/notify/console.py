"""The ``console`` and ``log`` channels: a notice printed, or written to a logger.

``console`` prints each notice to standard output (or appends it to the file
``path``), in the notice's language; ``log`` writes it to the logger
``liushou.notify`` at INFO (WARNING for high and urgent notices). Both are
useful in development, for the demo, and as a record beside another channel.
Subject and body are masked already (see :class:`~liushou_core.models.Notice`).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

from liushou_core import hookimpl
from liushou_core.hookspecs import NotifierSpec
from liushou_core.models import Notice, Urgency, label

__all__ = ["ConsoleNotifier", "LogNotifier", "format_notice", "liushou_notifiers"]

LOGGER = "liushou.notify"


def format_notice(notice: Notice) -> str:
    """A notice as a few lines of text: urgency, recipient, subject, body, key."""
    lang = notice.lang
    who = f"{label(notice.role, lang)} {notice.name or notice.person_id}".strip()
    head = f"[{label(notice.urgency, lang)}] {notice.school_id} → {who}: {notice.subject}"
    return f"{head}\n{notice.body}\n# {notice.idempotency_key}\n"


class ConsoleNotifier:
    """Prints notices to ``stream`` (standard output), or appends them to ``path``."""

    name = "console"

    def __init__(self, *, stream: TextIO | None = None, path: str | None = None) -> None:
        self.stream = stream
        self.path = path
        self._lock = threading.Lock()

    def send(self, notice: Notice) -> None:
        text = format_notice(notice)
        with self._lock:
            if self.path:
                with open(self.path, "a", encoding="utf-8") as fp:
                    fp.write(text)
                    fp.flush()
                return
            out = self.stream or sys.stdout
            out.write(text)
            out.flush()


class LogNotifier:
    """Writes notices to the logger ``liushou.notify`` (or ``logger``)."""

    name = "log"

    def __init__(self, *, logger: str = LOGGER) -> None:
        self.logger = logging.getLogger(logger)

    def send(self, notice: Notice) -> None:
        level = (
            logging.WARNING if notice.urgency in (Urgency.HIGH, Urgency.URGENT) else logging.INFO
        )
        self.logger.log(
            level,
            "%s",
            format_notice(notice).rstrip("\n"),
            extra={"idempotency_key": notice.idempotency_key, "school_id": notice.school_id},
        )


@hookimpl
def liushou_notifiers() -> list[NotifierSpec]:
    """The ``console`` and ``log`` channels."""
    return [
        NotifierSpec(
            "console",
            ConsoleNotifier,
            "print notices to standard output (path=FILE appends them to a file)",
        ),
        NotifierSpec("log", LogNotifier, "write notices to the logger liushou.notify"),
    ]
