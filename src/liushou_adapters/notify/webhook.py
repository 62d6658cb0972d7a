"""The ``webhook`` channel: group robots (WeCom, DingTalk) and plain JSON posts.

Formats (``format=``):

* ``wecom-text`` / ``wecom-markdown``: a WeCom (企业微信) group robot,
  ``{"msgtype": "text", "text": {"content": ...}}`` or
  ``{"msgtype": "markdown", "markdown": {"content": ...}}``;
* ``dingtalk-text`` / ``dingtalk-markdown``: a DingTalk (钉钉) group robot,
  ``{"msgtype": "text", "text": {"content": ...}}`` or
  ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``; with a
  ``secret`` the URL is signed as DingTalk asks (``&timestamp=<ms>&sign=<s>``,
  ``s`` the URL-encoded base64 of HMAC-SHA256 over ``"<ms>\\n<secret>"`` keyed
  by the secret);
* ``json``: the notice as plain JSON (:func:`plain_payload`), for a school's
  own service.

Every post carries the header ``Idempotency-Key`` (the notice's key), so a
receiver can drop a repeat. A post fails (and the outbox retries it) on a
connection error, an HTTP status of 400 or more, or a robot's non-zero
``errcode``. Settings from the environment: ``LIUSHOU_WEBHOOK_URL``,
``LIUSHOU_WEBHOOK_FORMAT`` (default ``json``), ``LIUSHOU_WEBHOOK_SECRET``,
``LIUSHOU_WEBHOOK_TIMEOUT`` (seconds, default 10).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Final

from liushou_adapters.notify.outbox import DeliveryError
from liushou_core import hookimpl
from liushou_core.hookspecs import NotifierSpec
from liushou_core.masking import mask_text
from liushou_core.models import Notice, Urgency, label

__all__ = [
    "FORMATS",
    "WebhookNotifier",
    "from_env",
    "liushou_notifiers",
    "payload",
    "plain_payload",
    "sign_url",
]

FORMATS: Final = ("json", "wecom-text", "wecom-markdown", "dingtalk-text", "dingtalk-markdown")


def sign_url(url: str, secret: str, timestamp_ms: int) -> str:
    """``url`` signed for a DingTalk robot with ``secret`` at ``timestamp_ms``."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={sign}"


def plain_payload(notice: Notice) -> dict[str, Any]:
    """The notice as plain JSON: who, what, why, and the key to drop repeats by."""
    return {
        "idempotency_key": notice.idempotency_key,
        "id": notice.id,
        "school_id": notice.school_id,
        "role": notice.role.value,
        "person_id": notice.person_id,
        "name": notice.name,
        "subject": notice.subject,
        "body": notice.body,
        "urgency": notice.urgency.value,
        "level": notice.level,
        "lang": notice.lang,
        "event": {
            "kind": notice.event_kind,
            "subject_kind": notice.event_subject_kind,
            "subject_id": notice.event_subject_id,
            "on": notice.event_on.isoformat() if notice.event_on else None,
        },
        "created_on": notice.created_on.isoformat(),
    }


def _text(notice: Notice) -> str:
    who = f"{label(notice.role, notice.lang)} {notice.name or notice.person_id}".strip()
    return f"[{label(notice.urgency, notice.lang)}] {notice.subject}\n{who}\n{notice.body}"


def _markdown(notice: Notice) -> str:
    who = f"{label(notice.role, notice.lang)} {notice.name or notice.person_id}".strip()
    mark = "warning" if notice.urgency in (Urgency.HIGH, Urgency.URGENT) else "info"
    return (
        f"### {notice.subject}\n"
        f'> <font color="{mark}">{label(notice.urgency, notice.lang)}</font> · {who}\n\n'
        f"{notice.body}"
    )


def payload(notice: Notice, fmt: str = "json") -> dict[str, Any]:
    """The JSON body posted for ``notice`` in format ``fmt`` (see :data:`FORMATS`)."""
    if fmt == "json":
        return plain_payload(notice)
    if fmt in ("wecom-text", "dingtalk-text"):
        return {"msgtype": "text", "text": {"content": _text(notice)}}
    if fmt == "wecom-markdown":
        return {"msgtype": "markdown", "markdown": {"content": _markdown(notice)}}
    if fmt == "dingtalk-markdown":
        return {
            "msgtype": "markdown",
            "markdown": {"title": notice.subject, "text": _markdown(notice)},
        }
    raise ValueError(f"unknown webhook format {fmt!r}; known: {', '.join(FORMATS)}")


class WebhookNotifier:
    """Posts notices as JSON to ``url`` in format ``fmt``; ``secret`` signs DingTalk URLs.

    ``clock`` gives the signing time in seconds (default :func:`time.time`).
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        format: str = "json",
        secret: str | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if format not in FORMATS:
            raise ValueError(f"unknown webhook format {format!r}; known: {', '.join(FORMATS)}")
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"a webhook URL starts with http:// or https://, not {url!r}")
        self.url = url
        self.format = format
        self.secret = secret or None
        self.timeout = float(timeout)
        self.headers = dict(headers or {})
        self.clock = clock

    def __repr__(self) -> str:
        base = urllib.parse.urlsplit(self.url)
        return f"WebhookNotifier({base.scheme}://{base.netloc}{base.path}, {self.format})"

    def target(self) -> str:
        """The URL to post to now (signed when a secret is set)."""
        if self.secret:
            return sign_url(self.url, self.secret, int(self.clock() * 1000))
        return self.url

    def send(self, notice: Notice) -> None:
        data = json.dumps(payload(notice, self.format), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.target(),
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": notice.idempotency_key,
                **self.headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"webhook answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook unreachable: {mask_text(str(reason))}") from None
        self._check(body)

    def _check(self, body: bytes) -> None:
        """A robot answers ``{"errcode": 0, ...}``; anything else is a failure."""
        if self.format == "json" or not body.strip():
            return
        try:
            answer = json.loads(body)
        except ValueError:
            raise DeliveryError("the robot's answer is not JSON") from None
        code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
        if code not in (0, "0"):
            message = mask_text(str(answer.get("errmsg", "")))[:200]
            raise DeliveryError(f"the robot refused the message: errcode {code} {message}")


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> WebhookNotifier:
    """A webhook channel from ``LIUSHOU_WEBHOOK_*`` (``overrides`` win)."""
    env = os.environ if environ is None else environ
    settings: dict[str, Any] = {
        "url": env.get("LIUSHOU_WEBHOOK_URL", ""),
        "format": env.get("LIUSHOU_WEBHOOK_FORMAT", "json"),
        "secret": env.get("LIUSHOU_WEBHOOK_SECRET") or None,
        "timeout": float(env.get("LIUSHOU_WEBHOOK_TIMEOUT", "10")),
    }
    settings.update(overrides)
    if not settings["url"]:
        raise ValueError("the webhook channel needs a URL: set LIUSHOU_WEBHOOK_URL")
    return WebhookNotifier(**settings)


@hookimpl
def liushou_notifiers() -> list[NotifierSpec]:
    """The ``webhook`` channel (group robots and plain JSON)."""
    return [
        NotifierSpec(
            "webhook",
            from_env,
            "post to a WeCom or DingTalk group robot, or plain JSON (LIUSHOU_WEBHOOK_URL)",
        )
    ]
