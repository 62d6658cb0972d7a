"""Findings: what a rule or check noticed, with its reasons and how to fix it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import attrs

from liushou_core.i18n import N_, Message

__all__ = ["Finding", "Severity", "Subject"]


class Severity(StrEnum):
    INFO = N_("info")
    WARNING = N_("warning")
    ERROR = N_("error")


@attrs.frozen
class Subject:
    """What a finding is about: a kind of record and its id."""

    kind: str
    id: str


@attrs.frozen
class Finding:
    """A finding with a stable ``code``, ``severity``, ``subject`` and messages."""

    code: str
    severity: Severity
    school_id: str
    subject: Subject
    on: dt.date
    message: Message
    fix: Message | None = None
