"""``liushou notify`` through its real entry point in a subprocess, on a temporary SQLite store."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cli_run import run_cli
from liushou_adapters.notify.outbox import enqueue, list_notices
from liushou_adapters.storage import open_store
from liushou_core.hookspecs import Event
from liushou_core.models import NoticeState, RecipientRole, School
from liushou_core.notices import NoticePolicy, Recipient, notices_for

ON = dt.date(2026, 11, 29)
PHONE = "13812345678"


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=env, columns=200)


def outbox(tmp_path: Path, channels: tuple[str, ...] = ("console",), n: int = 3) -> str:
    url = f"sqlite:///{tmp_path / 'school.db'}"
    store = open_store(url)
    policy = NoticePolicy(default_channels=channels)
    with store.unit_of_work("test") as uow:
        uow.add(School("S1", "清溪中心小学", "431121"))
        for i in range(n):
            event = Event(
                "contact.overdue",
                "S1",
                "child",
                f"C{i}",
                ON,
                data=(
                    ("contact_kind", "home visit"),
                    ("days_overdue", "3"),
                    ("level", "1"),
                    ("summary", f"电话{PHONE}"),
                ),
            )
            enqueue(
                uow,
                notices_for(
                    event, [Recipient(RecipientRole.MENTOR, "T1", "李老师")], policy, on=ON
                ),
            )
        uow.commit()
    store.close()
    return url


def test_help_has_an_example(tmp_path: Path) -> None:
    result = run("notify", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: liushou notify" in result.stdout
    assert "Example" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_dispatch_to_the_console_once(tmp_path: Path) -> None:
    url = outbox(tmp_path)
    first = run("--store", url, "notify", "--dispatch", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("# contact.overdue/S1/child/C") == 3
    assert "家访" in first.stdout
    assert PHONE not in first.stdout
    assert "138****5678" in first.stdout
    assert "已发送3条" in first.stdout
    again = run("--store", url, "--lang", "en", "notify", "--dispatch", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Notices: 0 sent" in again.stdout
    assert "学生" not in again.stdout
    store = open_store(url)
    assert {n.state for n in list_notices(store, tuple(NoticeState))} == {NoticeState.SENT}
    store.close()


def test_dispatch_to_a_loopback_webhook(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robot").respond_with_json({"errcode": 0, "errmsg": "ok"})
    url = outbox(tmp_path, channels=("console", "webhook"), n=2)
    env = {
        "LIUSHOU_WEBHOOK_URL": httpserver.url_for("/robot"),
        "LIUSHOU_WEBHOOK_FORMAT": "wecom-markdown",
    }
    result = run(
        "--store",
        url,
        "notify",
        "--dispatch",
        "--channel",
        "console",
        "--channel",
        "webhook",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    posts = [json.loads(req.get_data()) for req, _ in httpserver.log]
    assert len(posts) == 2
    assert all(p["msgtype"] == "markdown" for p in posts)
    assert result.stdout.count("# contact.overdue/S1/child/C") == 2


def test_dead_notices_are_listed_with_their_error(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("no", status=500)
    url = outbox(tmp_path, channels=("webhook",), n=1)
    env = {"LIUSHOU_WEBHOOK_URL": httpserver.url_for("/down"), "LIUSHOU_NOTIFY_CHANNELS": "webhook"}
    result = run(
        "--store", url, "notify", "--dispatch", "--max-attempts", "1", cwd=tmp_path, env=env
    )
    assert result.returncode == 1, result.stderr
    assert "HTTP 500" in result.stderr
    listed = run("--store", url, "--lang", "en", "notify", "--list", cwd=tmp_path)
    assert listed.returncode == 1
    assert "dead" in listed.stdout
    assert "HTTP 500" in listed.stdout
    pending = run("--store", url, "notify", "--list", "--state", "pending", cwd=tmp_path)
    assert pending.returncode == 0
    assert "没有" in pending.stdout


def test_pending_notices_are_listed(tmp_path: Path) -> None:
    url = outbox(tmp_path, n=2)
    listed = run("--store", url, "--lang", "en", "notify", "--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Notices in the outbox (2)" in listed.stdout
    assert listed.stdout.count("pending") == 2
    assert PHONE not in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["notify"], "exactly one of --dispatch and --list"),
        (["notify", "--dispatch", "--list"], "exactly one of --dispatch and --list"),
        (["notify", "--dispatch", "--state", "dead"], "--state goes with --list"),
        (["notify", "--dispatch", "--channel", "sms"], "unknown notifier 'sms'"),
        (["notify", "--dispatch", "--channel", "webhook"], "LIUSHOU_WEBHOOK_URL"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    url = outbox(tmp_path, n=1)
    result = run("--store", url, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_store_is_bad_input(tmp_path: Path) -> None:
    result = run("--store", f"sqlite:///{tmp_path / 'none.db'}", "notify", "--list", cwd=tmp_path)
    assert result.returncode == 2
    assert "not found" in result.stderr
