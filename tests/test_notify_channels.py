"""The channels against real servers on loopback: SMTP (aiosmtpd) and HTTP (pytest-httpserver).

No mocks: mail goes through :mod:`smtplib` to an aiosmtpd server (plain,
STARTTLS and SSL with a throwaway certificate) and is read back; webhooks go
through :mod:`urllib` to a werkzeug server that records the posts or fails.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import io
import json
import logging
import shutil
import socket
import ssl
import subprocess
import urllib.parse
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from liushou_adapters.notify import console, smtp, webhook
from liushou_adapters.notify.outbox import DeliveryError, make_channels
from liushou_core import plugins
from liushou_core.hookspecs import Event
from liushou_core.models import Notice, RecipientRole
from liushou_core.notices import NoticePolicy, Recipient, notices_for

ON = dt.date(2026, 11, 29)
ID_NUMBER = "11010520170504002X"
PHONE = "13812345678"


def notice(lang: str = "zh", level: int = 3, address: str = "", **data: str) -> Notice:
    event = Event(
        "contact.overdue",
        "S1",
        "child",
        "C1",
        ON,
        data=(
            ("contact_kind", "home visit"),
            ("days_overdue", "15"),
            ("level", str(level)),
            *sorted(data.items()),
        ),
    )
    who = [Recipient(RecipientRole.PRINCIPAL, "T0", "张校长", address)]
    [n] = notices_for(event, who, NoticePolicy(lang=lang), on=ON)
    return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- registry


def test_the_built_in_channels_are_plugins() -> None:
    pm = plugins.plugin_manager(disabled=())
    assert {"console", "log", "smtp", "webhook"} <= set(plugins.notifiers(pm))
    with pytest.raises(plugins.UnknownName, match="unknown notifier 'sms'; known: console"):
        make_channels(["sms"], pm)
    blocked = plugins.plugin_manager(disabled=["webhook"])
    assert "webhook" not in plugins.notifiers(blocked)


# --------------------------------------------------------------------------- console


def test_console_prints_the_notice_in_its_language(tmp_path: Path) -> None:
    out = io.StringIO()
    console.ConsoleNotifier(stream=out).send(notice("zh"))
    text = out.getvalue()
    assert "校长 张校长" in text
    assert "家访" in text
    assert "[高]" in text
    path = tmp_path / "notices.txt"
    channel = make_channels(["console"], settings={"console": {"path": str(path)}})["console"]
    channel.send(notice("en"))
    channel.send(notice("en", level=4))
    shown = path.read_text(encoding="utf-8")
    assert shown.count("Overdue home visit for pupil C1") == 2


def test_log_channel_writes_to_the_logger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=console.LOGGER):
        console.LogNotifier().send(notice("en", summary=f"call {PHONE}"))
    [record] = caplog.records
    assert record.levelno == logging.WARNING  # a high-urgency notice
    assert "Overdue home visit" in record.getMessage()
    assert record.idempotency_key.startswith("contact.overdue/S1/child/C1")  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- smtp


class Sink:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a throwaway certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    options: dict[str, Any] = getattr(request, "param", {})
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def test_smtp_delivers_a_masked_mail_that_is_read_back(smtp_server: tuple[Sink, int]) -> None:
    sink, port = smtp_server
    env = {
        "LIUSHOU_SMTP_HOST": "127.0.0.1",
        "LIUSHOU_SMTP_PORT": str(port),
        "LIUSHOU_SMTP_SECURITY": "none",
        "LIUSHOU_SMTP_FROM": "liushou@school.example",
        "LIUSHOU_SMTP_TO": "office@school.example",
    }
    channel = smtp.SmtpNotifier(smtp.SmtpSettings.from_env(env))
    n = notice("zh", summary=f"监护人身份证{ID_NUMBER}，电话{PHONE}")
    assert "{summary}" not in n.body
    channel.send(n)
    channel.send(notice("zh", address="zhang@school.example"))
    (frm, to, msg), (_, to2, _) = sink.received
    assert frm == "liushou@school.example"
    assert to == ["office@school.example"]
    assert to2 == ["zhang@school.example"]
    assert msg["Subject"] == n.subject
    assert "家访" in msg["Subject"]
    assert msg["X-Liushou-Idempotency-Key"].strip() == n.idempotency_key
    assert msg["Message-ID"] == f"<{n.id}@school.example>"
    assert msg["X-Priority"] == "1"
    body = msg.get_content()
    assert body.strip() == n.body
    assert ID_NUMBER not in str(msg)
    assert PHONE not in str(msg)


def test_smtp_without_any_address_is_a_delivery_error() -> None:
    settings = smtp.SmtpSettings(host="127.0.0.1", sender="a@b.example", security="none")
    with pytest.raises(DeliveryError, match="no e-mail address"):
        smtp.SmtpNotifier(settings).send(notice())


def test_smtp_server_down_is_a_delivery_error() -> None:
    settings = smtp.SmtpSettings(
        host="127.0.0.1", port=free_port(), sender="a@b.example", security="none", to="x@b.example"
    )
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1"):
        smtp.SmtpNotifier(settings, timeout=2).send(notice())


def test_smtp_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="LIUSHOU_SMTP_HOST"):
        smtp.SmtpSettings.from_env({})
    with pytest.raises(ValueError, match="unknown SMTP security 'tls'"):
        smtp.SmtpSettings(host="h", sender="s@x", security="tls")
    assert smtp.SmtpSettings(host="h", sender="s@x", security="ssl").effective_port == 465
    assert "secret" not in repr(smtp.SmtpSettings(host="h", sender="s@x", password="secret"))


def _tls(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_smtp_over_tls(certificate: tuple[Path, Path], security: str) -> None:
    key, cert = certificate
    sink = Sink()
    port = free_port()
    options: dict[str, Any] = (
        {"tls_context": _tls(cert, key), "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": _tls(cert, key)}
    )
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        settings = smtp.SmtpSettings(
            host="localhost",
            port=port,
            security=security,
            sender="liushou@school.example",
            to="office@school.example",
            cafile=str(cert),
        )
        smtp.SmtpNotifier(settings).send(notice("en"))
        untrusted = smtp.SmtpSettings(
            host="localhost", port=port, security=security, sender="a@b.example", to="c@b.example"
        )
        with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            smtp.SmtpNotifier(untrusted).send(notice("en"))
    finally:
        controller.stop()
    [(_, _, msg)] = sink.received
    assert msg["Subject"] == "Overdue home visit for pupil C1"


# --------------------------------------------------------------------------- webhook


def _posts(server: HTTPServer) -> list[tuple[Request, dict[str, Any]]]:
    return [(req, json.loads(req.get_data())) for req, _ in server.log]


def test_plain_json_webhook(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    n = notice("en", summary=f"ID {ID_NUMBER}")
    webhook.WebhookNotifier(httpserver.url_for("/hook")).send(n)
    [(req, body)] = _posts(httpserver)
    assert req.headers["Idempotency-Key"] == n.idempotency_key
    assert req.headers["Content-Type"].startswith("application/json")
    assert body["idempotency_key"] == n.idempotency_key
    assert body["role"] == "principal"
    assert body["level"] == 3
    assert body["urgency"] == "high"
    assert body["event"] == {
        "kind": "contact.overdue",
        "subject_kind": "child",
        "subject_id": "C1",
        "on": "2026-11-29",
    }
    assert ID_NUMBER not in req.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fmt", "path"),
    [
        ("wecom-text", ("text", "content")),
        ("wecom-markdown", ("markdown", "content")),
        ("dingtalk-text", ("text", "content")),
        ("dingtalk-markdown", ("markdown", "text")),
    ],
)
def test_robot_formats(httpserver: HTTPServer, fmt: str, path: tuple[str, str]) -> None:
    httpserver.expect_request("/robot").respond_with_json({"errcode": 0, "errmsg": "ok"})
    n = notice("zh", summary=f"家长电话{PHONE}")
    webhook.WebhookNotifier(httpserver.url_for("/robot"), format=fmt).send(n)
    [(_, body)] = _posts(httpserver)
    assert body["msgtype"] == path[0]
    content = body[path[0]][path[1]]
    assert n.subject in content
    assert n.body in content
    assert PHONE not in content
    assert "138****5678" in content
    if fmt == "dingtalk-markdown":
        assert body["markdown"]["title"] == n.subject
    if fmt.endswith("markdown"):
        assert content.startswith("### ")


def test_dingtalk_signed_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robot/send").respond_with_json({"errcode": 0})
    secret = "SEC0123456789abcdef"
    channel = webhook.WebhookNotifier(
        httpserver.url_for("/robot/send") + "?access_token=abc",
        format="dingtalk-text",
        secret=secret,
        clock=lambda: 1_700_000_000.123,
    )
    channel.send(notice())
    [(req, _)] = _posts(httpserver)
    args = req.args
    assert args["access_token"] == "abc"
    assert args["timestamp"] == "1700000000123"
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"1700000000123\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert args["sign"] == expected  # werkzeug decoded the URL-encoding
    assert "%2B" in channel.target() or "+" not in expected  # '+' is URL-encoded
    assert webhook.sign_url("http://x/y", secret, 1).startswith("http://x/y?timestamp=1&sign=")


def test_webhook_failures_are_delivery_errors(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("boom", status=503)
    httpserver.expect_request("/refuses").respond_with_json(
        {"errcode": 310000, "errmsg": f"keywords not in content {PHONE}"}
    )
    with pytest.raises(DeliveryError, match="HTTP 503"):
        webhook.WebhookNotifier(httpserver.url_for("/down")).send(notice())
    with pytest.raises(DeliveryError, match="errcode 310000") as info:
        webhook.WebhookNotifier(httpserver.url_for("/refuses"), format="wecom-text").send(notice())
    assert PHONE not in str(info.value)
    closed = f"http://127.0.0.1:{free_port()}/hook"
    with pytest.raises(DeliveryError, match="unreachable"):
        webhook.WebhookNotifier(closed, timeout=2).send(notice())


def test_webhook_settings_from_the_environment(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/env").respond_with_json({"errcode": 0})
    env = {
        "LIUSHOU_WEBHOOK_URL": httpserver.url_for("/env"),
        "LIUSHOU_WEBHOOK_FORMAT": "wecom-text",
    }
    channel = webhook.from_env(env)
    assert channel.format == "wecom-text"
    channel.send(notice())
    assert len(httpserver.log) == 1
    with pytest.raises(ValueError, match="LIUSHOU_WEBHOOK_URL"):
        webhook.from_env({})
    with pytest.raises(ValueError, match="unknown webhook format 'slack'"):
        webhook.WebhookNotifier("http://x", format="slack")
    with pytest.raises(ValueError, match="http:// or https://"):
        webhook.WebhookNotifier("ftp://x")
    assert "abc" not in repr(webhook.WebhookNotifier("https://oapi.example/send?access_token=abc"))


def test_a_handler_sees_unicode_bodies(httpserver: HTTPServer) -> None:
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.get_data(as_text=True))
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/h").respond_with_handler(handler)
    n = notice("zh")
    webhook.WebhookNotifier(httpserver.url_for("/h")).send(n)
    assert n.subject in seen[0]  # UTF-8, not \\u escapes
    assert urllib.parse.urlsplit(httpserver.url_for("/h")).hostname in ("localhost", "127.0.0.1")
