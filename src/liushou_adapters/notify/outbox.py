"""The outbox: notices kept in the store, delivered by a dispatcher that loses nothing.

Write notices with :func:`enqueue` in the **same unit of work** as the change
that caused them: they are committed, or rolled back, with it. A notice's id
derives from its idempotency key, so enqueueing the same notice twice stores
it once.

:class:`Dispatcher` delivers the notices that are due, through the channels it
was given by name (:func:`make_channels` builds them from the plugins):

1. it **claims** a batch of due notices in one unit of work (state
   ``sending``, one more attempt counted, a lease until ``now + lease``); a
   notice another dispatcher claimed first is skipped (its version moved on),
   so two runs from cron at once never send the same notice;
2. it **sends** each claimed notice, and records the outcome at once in its own
   unit of work: ``sent`` (acknowledged: never sent again), or ``pending``
   after a backoff (:class:`~liushou_core.notices.RetryPolicy`) with the error
   kept, or ``dead`` after the last attempt;
3. after a channel fails once it **pauses** that channel for the rest of the
   run: its other claimed notices are given back untried, without an attempt
   counted, and wait for the next run.

A dispatcher killed mid-run leaves at most the notices it had claimed in state
``sending``; once their lease has run out the next run takes them again. A
notice acknowledged ``sent`` is never sent again. The one that was on the
wire when the process died may be sent a second time (it was not
acknowledged); every channel passes the idempotency key along (a webhook's
``Idempotency-Key`` header, a mail's ``Message-ID``) so that the receiver can
drop the repeat.

The dispatcher uses only the public :class:`~liushou_core.ports.Store` API
(``unit_of_work``, ``add``, ``update``, ``get``, ``list``, ``schools``), so it
works on every store. Time comes from ``clock`` (local time), or ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import pluggy

from liushou_core import plugins
from liushou_core.errors import ConflictError, LiushouError, NotFound
from liushou_core.hookspecs import Event
from liushou_core.masking import mask_text
from liushou_core.models import (
    Child,
    Notice,
    NoticeState,
    Pairing,
    School,
    SchoolClass,
    Teacher,
    Urgency,
)
from liushou_core.notices import (
    DEFAULT_NOTICE_POLICY,
    DEFAULT_RETRY,
    NoticePlan,
    NoticePolicy,
    RetryPolicy,
    child_ids_of,
    claim,
    delivered,
    failed,
    is_due,
    plan_notices,
    recipients_for,
    release,
)
from liushou_core.ports import Notifier, Store, UnitOfWork

__all__ = [
    "ACTOR",
    "DEFAULT_BATCH",
    "DEFAULT_LEASE",
    "DeliveryError",
    "DispatchReport",
    "Dispatcher",
    "enqueue",
    "enqueue_event",
    "list_notices",
    "local_now",
    "make_channels",
]

#: Who the dispatcher's writes are recorded as in the audit trail.
ACTOR: Final = "liushou notify"
#: How long a claim holds: longer than any one send may take.
DEFAULT_LEASE: Final = dt.timedelta(minutes=5)
#: Notices claimed per unit of work.
DEFAULT_BATCH: Final = 50

_URGENCY_RANK: Final = {u: i for i, u in enumerate(Urgency)}


class DeliveryError(LiushouError):
    """A channel could not deliver a notice; the outbox retries it later."""


def local_now() -> dt.datetime:
    """The local time, without a time zone (as notices keep it)."""
    return dt.datetime.now()


def enqueue(uow: UnitOfWork, notices: Iterable[Notice]) -> list[Notice]:
    """Add ``notices`` to the outbox in ``uow`` (the caller commits); returns those added.

    A notice whose idempotency key is already stored (in any state) is left as
    it is and not added again.
    """
    added: list[Notice] = []
    seen: set[tuple[str, str]] = set()
    for notice in notices:
        key = (notice.school_id, notice.id)
        if key in seen:
            continue
        seen.add(key)
        try:
            uow.get(Notice, notice.school_id, notice.id)
        except NotFound:
            added.append(uow.add(notice))
    return added


#: The purpose recorded when the outbox reads a pupil's class and guardians to address notices.
PURPOSE: Final = "notification"


def enqueue_event(
    uow: UnitOfWork,
    event: Event,
    policy: NoticePolicy = DEFAULT_NOTICE_POLICY,
    *,
    on: dt.date,
) -> NoticePlan:
    """Make ``event``'s notices from the school's records and add them in ``uow``.

    Reads, in ``uow``, the school, its classes and staff, and the pairings and
    records of the pupils the event concerns (each pupil's read of ``class_id``
    and ``guardians`` is audited with the purpose ``notification``), finds the
    recipients (:func:`~liushou_core.notices.recipients_for`), plans the
    notices (:func:`~liushou_core.notices.plan_notices`) and enqueues them. The
    caller commits, with the change that caused the event. Returns the plan
    (the notices and the reasons).
    """
    sid = event.school_id
    try:
        school: School | None = uow.get(School, sid, sid)
    except NotFound:
        school = None
    children: list[Child] = []
    pairings: list[Pairing] = []
    for cid in child_ids_of(event):
        try:
            child = uow.get(Child, sid, cid)
        except NotFound:
            continue
        uow.record_read(Child, sid, cid, fields=("class_id", "guardians"), purpose=PURPOSE)
        children.append(child)
        pairings += uow.list(Pairing, sid, child_id=cid)
    recipients = recipients_for(
        event,
        on=on,
        school=school,
        classes=uow.list(SchoolClass, sid),
        teachers=uow.list(Teacher, sid),
        pairings=pairings,
        children=children,
    )
    plan = plan_notices(event, recipients, policy, on=on)
    enqueue(uow, plan.notices)
    return plan


def list_notices(
    store: Store,
    states: Iterable[NoticeState] = (NoticeState.PENDING, NoticeState.SENDING, NoticeState.DEAD),
    *,
    school_ids: Sequence[str] | None = None,
    actor: str = ACTOR,
) -> list[Notice]:
    """The stored notices in ``states``, by school and id."""
    out: list[Notice] = []
    with store.unit_of_work(actor, readonly=True) as uow:
        schools = list(school_ids) if school_ids is not None else [s.id for s in uow.schools()]
        for sid in schools:
            for state in states:
                out.extend(uow.list(Notice, sid, state=state.value))
    return sorted(out, key=lambda n: (n.school_id, n.id))


@attrs.frozen
class DispatchReport:
    """What one run did.

    ``sent``: delivered and acknowledged; ``retrying``: failed, pending again;
    ``dead``: failed for the last time; ``deferred``: claimed but given back
    untried because their channel failed earlier in the run; ``unrouted``: due
    but for a channel this dispatcher was not given; ``skipped``: claimed by
    another dispatcher first. ``errors`` pairs idempotency keys with the
    (masked) errors of this run.
    """

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    deferred: int = 0
    unrouted: int = 0
    skipped: int = 0
    errors: tuple[tuple[str, str], ...] = ()
    sent_keys: tuple[str, ...] = ()

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.dead


def make_channels(
    names: Iterable[str],
    pm: pluggy.PluginManager | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Notifier]:
    """The channels called ``names``, built by their plugins' factories.

    ``settings[name]`` are keyword arguments for that channel's factory (the
    factories read the rest from the environment). An unknown name raises
    :class:`~liushou_core.plugins.UnknownName` listing the known ones.
    """
    pm = pm or plugins.plugin_manager()
    out: dict[str, Notifier] = {}
    for name in names:
        spec = plugins.notifier(pm, name)
        missing = plugins.missing_requirements(spec)
        if missing:
            raise plugins.PluginError(f"the {name} channel needs {', '.join(missing)}")
        channel = spec.factory(**dict((settings or {}).get(name, {})))
        out[name] = channel
    return out


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, DeliveryError):
        text = f"{type(exc).__name__}: {text}"
    return mask_text(" ".join(text.split()))[:500]


class Dispatcher:
    """Delivers the outbox's due notices through ``channels`` (see the module doc).

    :param store: any store.
    :param channels: channels by name (a mapping), or channels whose ``name`` is used.
    :param retry: attempts and backoff.
    :param lease: how long a claim holds; longer than a send may take.
    :param clock: local time (default :func:`local_now`); ``run_once(now=...)`` overrides it.
    :param batch_size: notices claimed per unit of work.
    :param ack_every: outcomes recorded per unit of work (default 1: each at once).
        More is faster (one commit for many) but a dispatcher killed mid-run may
        then repeat up to that many notices it had sent and not yet recorded.
    :param school_ids: only these schools' notices (default: every stored school).
    """

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Notifier] | Iterable[Notifier],
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        lease: dt.timedelta = DEFAULT_LEASE,
        clock: Callable[[], dt.datetime] = local_now,
        batch_size: int = DEFAULT_BATCH,
        school_ids: Sequence[str] | None = None,
        actor: str = ACTOR,
        ack_every: int = 1,
    ) -> None:
        if batch_size < 1 or ack_every < 1:
            raise ValueError("batch_size and ack_every must be at least 1")
        self.ack_every = ack_every
        self.store = store
        self.channels: dict[str, Notifier] = (
            dict(channels) if isinstance(channels, Mapping) else {c.name: c for c in channels}
        )
        self.retry = retry
        self.lease = lease
        self.clock = clock
        self.batch_size = batch_size
        self.school_ids = list(school_ids) if school_ids is not None else None
        self.actor = actor

    def due(self, now: dt.datetime | None = None) -> list[Notice]:
        """The notices a run at ``now`` would take, most urgent and oldest first."""
        at = now or self.clock()
        found = list_notices(
            self.store,
            (NoticeState.PENDING, NoticeState.SENDING),
            school_ids=self.school_ids,
            actor=self.actor,
        )
        due = [n for n in found if is_due(n, at)]
        return sorted(
            due,
            key=lambda n: (-_URGENCY_RANK[n.urgency], n.created_on, n.next_attempt_at or at, n.id),
        )

    def _write(self, records: Sequence[Notice]) -> list[Notice | None]:
        """Update ``records`` in one unit of work; ``None`` for one whose version moved on."""
        out: list[Notice | None] = []
        with self.store.unit_of_work(self.actor) as uow:
            for record in records:
                try:
                    out.append(uow.update(record))
                except (ConflictError, NotFound):
                    out.append(None)
            uow.commit()
        return out

    def run_once(
        self, now: dt.datetime | None = None, *, limit: int | None = None
    ) -> DispatchReport:
        """Deliver the due notices once (at most ``limit``); safe to run from cron.

        ``now`` fixes the time of the whole run (tests); by default each step
        reads the clock.
        """
        clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else self.clock
        due = self.due(clock())
        if limit is not None:
            due = due[:limit]
        routed = [n for n in due if n.channel in self.channels]
        counts = {"sent": 0, "retrying": 0, "dead": 0, "deferred": 0, "skipped": 0}
        errors: list[tuple[str, str]] = []
        sent_keys: list[str] = []
        done: set[str] = set()
        paused: set[str] = set()
        for start in range(0, len(routed), self.batch_size):
            batch = [n for n in routed[start : start + self.batch_size] if n.channel not in paused]
            if not batch:
                continue
            at = clock()
            claimed = self._write([claim(n, at, self.lease) for n in batch])
            give_back: list[Notice] = []
            outcomes: list[Notice] = []
            for before, mine in zip(batch, claimed, strict=True):
                if mine is None:
                    counts["skipped"] += 1
                    continue
                if mine.channel in paused or mine.idempotency_key in done:
                    give_back.append(release(mine, before))
                    continue
                try:
                    self.channels[mine.channel].send(mine)
                except Exception as exc:
                    error = _error_text(exc)
                    outcome = failed(mine, error, clock(), self.retry)
                    paused.add(mine.channel)
                    errors.append((mine.idempotency_key, error))
                    counts["dead" if outcome.state == NoticeState.DEAD else "retrying"] += 1
                else:
                    outcome = delivered(mine, clock())
                    done.add(mine.idempotency_key)
                    sent_keys.append(mine.idempotency_key)
                    counts["sent"] += 1
                outcomes.append(outcome)
                if len(outcomes) >= self.ack_every:
                    self._write(outcomes)
                    outcomes = []
            if outcomes:
                self._write(outcomes)
                outcomes = []
            if give_back:
                self._write(give_back)
                counts["deferred"] += len(give_back)
        return DispatchReport(
            unrouted=len(due) - len(routed),
            errors=tuple(errors),
            sent_keys=tuple(sent_keys),
            **counts,
        )
