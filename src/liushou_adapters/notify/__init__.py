"""Notification channels and the outbox.

Each channel is a plugin module (entry-point group ``liushou``) whose
``liushou_notifiers()`` hook returns a :class:`~liushou_core.hookspecs.NotifierSpec`;
a deployer blocks or replaces any of them by name:

* :mod:`~liushou_adapters.notify.console`: ``console`` (print) and ``log`` (logging);
* :mod:`~liushou_adapters.notify.smtp`: ``smtp``, e-mail with the standard
  library's :mod:`smtplib` (STARTTLS or SSL), settings from the environment;
* :mod:`~liushou_adapters.notify.webhook`: ``webhook``, the JSON of the group
  robots schools use (WeCom and DingTalk text or markdown, DingTalk's signed
  URL) or a plain JSON post.

:mod:`~liushou_adapters.notify.outbox` keeps notices in the store and delivers
them: :func:`~liushou_adapters.notify.outbox.enqueue` in the unit of work of
the change, :class:`~liushou_adapters.notify.outbox.Dispatcher` later.
"""

from __future__ import annotations

from liushou_adapters.notify.outbox import (
    DeliveryError,
    Dispatcher,
    DispatchReport,
    enqueue,
    enqueue_event,
    list_notices,
    make_channels,
)

__all__ = [
    "DeliveryError",
    "DispatchReport",
    "Dispatcher",
    "enqueue",
    "enqueue_event",
    "list_notices",
    "make_channels",
]
