"""Notices: messages to a mentor, teacher, principal or guardian, kept in the outbox.

A :class:`Notice` is written to the store in the same unit of work as the
change that caused it, and a dispatcher delivers it later through a channel
(console, e-mail, a group robot, a school's SMS gateway). Its ``id`` derives
from its ``idempotency_key`` (:func:`notice_id`), so the same notice cannot be
stored twice, and a delivered one is never sent again.

Subject, body and the last delivery error are masked on construction: a notice
never holds a resident ID number or a phone number in full, whatever its
template was given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum
from typing import Any

import attrs

from liushou_core import validate as v
from liushou_core.i18n import LANGS, N_
from liushou_core.masking import mask_text

__all__ = [
    "Notice",
    "NoticeState",
    "RecipientRole",
    "Urgency",
    "notice_id",
]


class RecipientRole(StrEnum):
    """Who a notice is for."""

    MENTOR = N_("mentor")
    CLASS_TEACHER = N_("class teacher")
    PRINCIPAL = N_("principal")
    PSYCHOLOGIST = N_("school psychologist")
    GUARDIAN = N_("guardian")
    DISTRICT_OFFICER = N_("district officer")


class Urgency(StrEnum):
    """How urgent a notice is; channels may show it (a robot's markdown, a mail's priority)."""

    LOW = N_("low")
    NORMAL = N_("normal")
    HIGH = N_("high")
    URGENT = N_("urgent")


class NoticeState(StrEnum):
    """Where a notice is in the outbox.

    ``pending``: waiting (again, after a failure) for its next attempt;
    ``sending``: claimed by a dispatcher until ``claimed_until``; ``sent``:
    delivered and acknowledged, never sent again; ``dead``: given up after the
    set number of attempts, with the last error kept.
    """

    PENDING = N_("pending")
    SENDING = N_("sending")
    SENT = N_("sent")
    DEAD = N_("dead")


def notice_id(idempotency_key: str) -> str:
    """The record id of the notice with this idempotency key (a stable digest)."""
    return "n-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]


def _masked(value: Any) -> str:
    return mask_text(v.text(value))


def _derived_id(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value != notice_id(instance.idempotency_key):
        raise ValueError("a notice's id is notice_id(idempotency_key)")


def _known_lang(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in LANGS:
        raise ValueError(f"unknown language {value!r}; known: {', '.join(LANGS)}")


def _non_negative(instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"{attribute.name} must be a whole number >= 0")


@attrs.define
class Notice:
    """One notice to one recipient through one channel, and its delivery state.

    ``role``/``person_id``/``name`` say who it is for; ``address`` where the
    channel reaches them (an e-mail address, a phone number for an SMS
    gateway; empty for a group robot), masked in ``repr``. ``event_*`` name
    the event that caused it and ``level`` its escalation level.
    ``attempts`` counts delivery attempts; ``next_attempt_at`` is when a
    pending notice is due (``None``: at once); ``last_error`` the error of the
    latest failed attempt (masked).
    """

    id: str = attrs.field(converter=v.name, validator=_derived_id)
    school_id: str = attrs.field(converter=v.name)
    idempotency_key: str = attrs.field(converter=v.name)
    channel: str = attrs.field(converter=v.name)
    role: RecipientRole
    person_id: str = attrs.field(converter=v.name)
    subject: str = attrs.field(converter=_masked)
    body: str = attrs.field(converter=_masked)
    created_on: dt.date
    event_kind: str = attrs.field(converter=v.name)
    event_subject_kind: str = attrs.field(default="", converter=v.text)
    event_subject_id: str = attrs.field(default="", converter=v.text)
    event_on: dt.date | None = None
    level: int = attrs.field(default=0, validator=_non_negative)
    urgency: Urgency = Urgency.NORMAL
    lang: str = attrs.field(default="zh", validator=_known_lang)
    name: str = attrs.field(default="", converter=v.text)
    address: str = attrs.field(default="", converter=v.text, repr=mask_text)
    state: NoticeState = NoticeState.PENDING
    attempts: int = attrs.field(default=0, validator=_non_negative)
    next_attempt_at: dt.datetime | None = None
    claimed_until: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str = attrs.field(default="", converter=_masked)
    version: int = 0
