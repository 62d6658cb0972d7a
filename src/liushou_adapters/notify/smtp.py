"""The ``smtp`` channel: e-mail through the standard library's :mod:`smtplib`.

Settings come from the environment (keyword arguments win):

=========================  ==================================================
``LIUSHOU_SMTP_HOST``      the server (required)
``LIUSHOU_SMTP_PORT``      default 587 for STARTTLS, 465 for SSL, 25 for none
``LIUSHOU_SMTP_SECURITY``  ``starttls`` (default), ``ssl`` or ``none``
``LIUSHOU_SMTP_USER``      log in as this user (with ``LIUSHOU_SMTP_PASSWORD``)
``LIUSHOU_SMTP_FROM``      the sender address (required)
``LIUSHOU_SMTP_TO``        where notices go whose recipient has no e-mail address
``LIUSHOU_SMTP_CAFILE``    trust this CA file (a school's own server)
``LIUSHOU_SMTP_TIMEOUT``   seconds, default 30
=========================  ==================================================

A notice goes to its recipient's address when that is an e-mail address, else
to ``LIUSHOU_SMTP_TO``. Its ``Message-ID`` derives from the idempotency key
(and the key is in the header ``X-Liushou-Idempotency-Key``), so a mail
system can drop a repeat; high and urgent notices are marked ``X-Priority: 1``.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Final

import attrs

from liushou_adapters.notify.outbox import DeliveryError
from liushou_core import hookimpl
from liushou_core.hookspecs import NotifierSpec
from liushou_core.masking import mask_text
from liushou_core.models import Notice, Urgency

__all__ = ["SECURITY", "SmtpNotifier", "SmtpSettings", "build_message", "liushou_notifiers"]

SECURITY: Final = ("starttls", "ssl", "none")
_PORTS: Final = {"starttls": 587, "ssl": 465, "none": 25}


@attrs.frozen
class SmtpSettings:
    """Where and how to send mail; :meth:`from_env` reads ``LIUSHOU_SMTP_*``."""

    host: str
    sender: str
    port: int = 0
    security: str = "starttls"
    user: str = ""
    password: str = attrs.field(default="", repr=False)
    to: str = ""
    cafile: str = ""
    timeout: float = 30.0

    def __attrs_post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(
                f"unknown SMTP security {self.security!r}; known: {', '.join(SECURITY)}"
            )
        if not self.host or not self.sender:
            raise ValueError("the smtp channel needs LIUSHOU_SMTP_HOST and LIUSHOU_SMTP_FROM")

    @property
    def effective_port(self) -> int:
        return self.port or _PORTS[self.security]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SmtpSettings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "host": env.get("LIUSHOU_SMTP_HOST", ""),
            "sender": env.get("LIUSHOU_SMTP_FROM", ""),
            "port": int(env.get("LIUSHOU_SMTP_PORT", "0") or 0),
            "security": env.get("LIUSHOU_SMTP_SECURITY", "starttls").lower(),
            "user": env.get("LIUSHOU_SMTP_USER", ""),
            "password": env.get("LIUSHOU_SMTP_PASSWORD", ""),
            "to": env.get("LIUSHOU_SMTP_TO", ""),
            "cafile": env.get("LIUSHOU_SMTP_CAFILE", ""),
            "timeout": float(env.get("LIUSHOU_SMTP_TIMEOUT", "30")),
        }
        values.update(overrides)
        return cls(**values)


def build_message(notice: Notice, settings: SmtpSettings) -> EmailMessage:
    """The e-mail for ``notice``: to its address (if an e-mail address) or ``settings.to``."""
    to = notice.address if "@" in notice.address else settings.to
    if not to:
        raise DeliveryError(
            f"no e-mail address for {notice.role.value} {notice.person_id}: "
            "give the recipient one, or set LIUSHOU_SMTP_TO"
        )
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = formataddr((notice.name, to)) if notice.name else to
    msg["Subject"] = notice.subject
    domain = settings.sender.rpartition("@")[2] or "liushou"
    msg["Message-ID"] = f"<{notice.id}@{domain}>"
    msg["X-Liushou-Idempotency-Key"] = notice.idempotency_key
    if notice.urgency in (Urgency.HIGH, Urgency.URGENT):
        msg["X-Priority"] = "1"
    msg.set_content(notice.body + "\n")
    return msg


class SmtpNotifier:
    """Sends each notice as one e-mail (a new connection per notice)."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings | None = None, **overrides: Any) -> None:
        self.settings = settings or SmtpSettings.from_env(**overrides)

    def __repr__(self) -> str:
        s = self.settings
        return f"SmtpNotifier({s.host}:{s.effective_port}, {s.security})"

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile or None)

    def send(self, notice: Notice) -> None:
        s = self.settings
        message = build_message(notice, s)
        try:
            client: smtplib.SMTP
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(
                    s.host, s.effective_port, timeout=s.timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)
            with client:
                if s.security == "starttls":
                    client.starttls(context=self._context())
                if s.user:
                    client.login(s.user, s.password)
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP {s.host}:{s.effective_port}: {mask_text(str(exc))}"
            ) from None


@hookimpl
def liushou_notifiers() -> list[NotifierSpec]:
    """The ``smtp`` channel."""
    return [
        NotifierSpec(
            "smtp",
            SmtpNotifier,
            "e-mail through an SMTP server, STARTTLS or SSL (LIUSHOU_SMTP_HOST, ...)",
        )
    ]
