"""The outbox on real stores and a real HTTP server on loopback: nothing lost, nothing twice.

Faults: a channel that fails three times then recovers, a channel that never
recovers (dead after the set number of tries, last error kept), two
dispatchers at once, and a dispatcher SIGKILLed mid-run in a subprocess and
restarted.
"""

from __future__ import annotations

import collections
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from liushou_adapters.notify.console import ConsoleNotifier
from liushou_adapters.notify.outbox import (
    DeliveryError,
    Dispatcher,
    enqueue,
    enqueue_event,
    list_notices,
)
from liushou_adapters.notify.webhook import WebhookNotifier
from liushou_adapters.storage import open_store
from liushou_core.errors import NotFound
from liushou_core.hookspecs import Event
from liushou_core.models import (
    Child,
    Guardian,
    Incident,
    IncidentKind,
    Notice,
    NoticeState,
    Pairing,
    RecipientRole,
    Relationship,
    School,
    SchoolClass,
    Sex,
    StaffRole,
    Teacher,
)
from liushou_core.notices import NoticePolicy, Recipient, RetryPolicy, notices_for
from liushou_core.ports import Store

ON = dt.date(2026, 11, 29)
T0 = dt.datetime(2026, 11, 29, 8, 0)
ALL = tuple(NoticeState)
ID_NUMBER = "11010520170504002X"
PHONE = "13812345678"


def make_notices(n: int, channel: str = "webhook", summary: str = "") -> list[Notice]:
    policy = NoticePolicy(default_channels=(channel,), lang="en")
    out: list[Notice] = []
    for i in range(n):
        data = [("child_id", f"C{i:05d}"), ("contact_kind", "talk"), ("level", "1")]
        if summary:
            data.append(("summary", summary))
        event = Event("contact.overdue", "S1", "child", f"C{i:05d}", ON, data=tuple(data))
        out += notices_for(event, [Recipient(RecipientRole.MENTOR, f"T{i % 7}")], policy, on=ON)
    return out


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'outbox.db'}" if request.param == "sqlite" else "memory://"
    s = open_store(url)
    with s.unit_of_work("test") as uow:
        uow.add(School("S1", "清溪中心小学", "431121"))
        uow.commit()
    try:
        yield s
    finally:
        s.close()


def sqlite_store(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path / 'outbox.db'}")
    with s.unit_of_work("test") as uow:
        uow.add(School("S1", "清溪中心小学", "431121"))
        uow.commit()
    return s


def put(store: Store, notices: list[Notice]) -> None:
    with store.unit_of_work("test") as uow:
        enqueue(uow, notices)
        uow.commit()


class Recorder:
    """A webhook endpoint that records the keys it accepted, failing the first ``fail`` posts."""

    def __init__(self, fail: int = 0, delay: float = 0.0) -> None:
        self.fail = fail
        self.delay = delay
        self.accepted: collections.Counter[str] = collections.Counter()
        self.refused = 0
        self.bodies: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            if self.refused < self.fail:
                self.refused += 1
                return Response("try later", status=503)
            self.accepted[request.headers["Idempotency-Key"]] += 1
            self.bodies.append(request.get_data(as_text=True))
        return Response('{"ok": true}', content_type="application/json")


@pytest.fixture
def recorder(httpserver: HTTPServer, request: pytest.FixtureRequest) -> Recorder:
    rec = Recorder(**getattr(request, "param", {}))
    httpserver.expect_request("/hook", method="POST").respond_with_handler(rec)
    return rec


def drain(dispatcher: Dispatcher, start: dt.datetime, step: dt.timedelta, runs: int = 50) -> int:
    """Run the dispatcher at start, start+step, ... until nothing is due; returns the runs."""
    now = start
    for i in range(runs):
        dispatcher.run_once(now=now)
        if not dispatcher.due(now + step * 1000):
            return i + 1
        now += step
    raise AssertionError("the outbox did not drain")


# --------------------------------------------------------------------------- enqueue


def test_notices_are_written_with_the_change_or_not_at_all(store: Store) -> None:
    incident = Incident("I1", "S1", IncidentKind.INJURY, ON, child_ids=("C1",))
    event = Event("record.added", "S1", "incident", "I1", ON, data=(("child_id", "C1"),))
    people = [
        Recipient(RecipientRole.PRINCIPAL, "T0"),
        Recipient(RecipientRole.CLASS_TEACHER, "T2"),
    ]
    notices = notices_for(event, people, on=ON)
    with store.unit_of_work("test") as uow:
        uow.add(incident)
        enqueue(uow, notices)
        # leaving without commit rolls back the incident and its notices
    assert list_notices(store, ALL) == []
    with store.unit_of_work("test") as uow:
        uow.add(incident)
        assert len(enqueue(uow, notices)) == 2
        uow.commit()
    assert {n.id for n in list_notices(store, ALL)} == {n.id for n in notices}
    with store.unit_of_work("test") as uow:
        assert enqueue(uow, notices + notices) == []  # the same keys again: nothing added
        uow.commit()
    assert len(list_notices(store, ALL)) == 2


def test_a_delivered_notice_is_never_sent_again(
    store: Store, httpserver: HTTPServer, recorder: Recorder
) -> None:
    notices = make_notices(5)
    put(store, notices)
    d = Dispatcher(store, [WebhookNotifier(httpserver.url_for("/hook"))], batch_size=2)
    report = d.run_once(now=T0)
    assert (report.sent, report.attempted) == (5, 5)
    assert sorted(report.sent_keys) == sorted(n.idempotency_key for n in notices)
    assert d.run_once(now=T0 + dt.timedelta(days=1)).attempted == 0
    put(store, notices)  # the same event raised again
    assert d.run_once(now=T0 + dt.timedelta(days=2)).attempted == 0
    assert recorder.accepted == {n.idempotency_key: 1 for n in notices}
    stored = list_notices(store, ALL)
    assert {n.state for n in stored} == {NoticeState.SENT}
    assert all(n.sent_at == T0 and n.attempts == 1 for n in stored)


@pytest.mark.parametrize("recorder", [{"fail": 3}], indirect=True)
def test_a_channel_failing_three_times_then_recovering_delivers_each_once(
    store: Store, httpserver: HTTPServer, recorder: Recorder
) -> None:
    notices = make_notices(6)
    put(store, notices)
    retry = RetryPolicy(max_attempts=5, base_seconds=60, factor=2)
    d = Dispatcher(store, [WebhookNotifier(httpserver.url_for("/hook"))], retry=retry)
    first = d.run_once(now=T0)
    # the channel failed: the run paused it and gave the other claimed notices back
    assert (first.sent, first.retrying, first.deferred) == (0, 1, 5)
    assert "HTTP 503" in first.errors[0][1]
    runs = drain(d, T0 + dt.timedelta(seconds=61), dt.timedelta(minutes=5))
    assert runs >= 2
    assert recorder.refused == 3
    assert recorder.accepted == {n.idempotency_key: 1 for n in notices}
    stored = list_notices(store, ALL)
    assert {n.state for n in stored} == {NoticeState.SENT}
    assert sum(n.attempts for n in stored) == 6 + 3


@pytest.mark.parametrize("recorder", [{"fail": 10**6}], indirect=True)
def test_a_notice_is_dead_after_the_set_number_of_tries_with_the_last_error(
    store: Store, httpserver: HTTPServer, recorder: Recorder
) -> None:
    put(store, make_notices(1, summary=f"电话{PHONE}"))
    d = Dispatcher(
        store,
        {"webhook": WebhookNotifier(httpserver.url_for("/hook"))},
        retry=RetryPolicy(max_attempts=3, base_seconds=10),
    )
    drain(d, T0, dt.timedelta(minutes=1))
    [dead] = list_notices(store, ALL)
    assert dead.state == NoticeState.DEAD
    assert dead.attempts == 3
    assert "webhook answered HTTP 503" in dead.last_error
    assert recorder.refused == 3
    assert d.run_once(now=T0 + dt.timedelta(days=30)).attempted == 0
    assert list_notices(store, [NoticeState.DEAD]) == [dead]


def test_notices_for_a_channel_not_given_wait(store: Store) -> None:
    put(store, make_notices(2, channel="smtp"))
    report = Dispatcher(store, {}).run_once(now=T0)
    assert (report.unrouted, report.attempted) == (2, 0)
    assert {n.state for n in list_notices(store, ALL)} == {NoticeState.PENDING}


def test_a_body_with_an_id_or_phone_goes_out_masked(
    store: Store, httpserver: HTTPServer, recorder: Recorder
) -> None:
    put(store, make_notices(3, summary=f"监护人身份证{ID_NUMBER} 电话{PHONE}"))
    report = Dispatcher(store, [WebhookNotifier(httpserver.url_for("/hook"))]).run_once(now=T0)
    assert report.sent == 3
    raw = "".join(recorder.bodies)
    assert ID_NUMBER not in raw
    assert PHONE not in raw
    assert raw.count("110105********002X") == 3
    assert raw.count("138****5678") == 3


class Slow:
    """A fake channel (not a mock: it keeps what it was sent) that takes a little time."""

    name = "slow"

    def __init__(self, fail_every: int = 0) -> None:
        self.sent: collections.Counter[str] = collections.Counter()
        self.calls = 0
        self.fail_every = fail_every
        self.lock = threading.Lock()

    def send(self, notice: Notice) -> None:
        time.sleep(0.001)
        with self.lock:
            self.calls += 1
            if self.fail_every and self.calls % self.fail_every == 0:
                raise DeliveryError("flaky")
            self.sent[notice.idempotency_key] += 1


def test_two_dispatchers_at_once_send_each_notice_once(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    notices = make_notices(60, channel="slow")
    put(store, notices)
    channel = Slow()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            own = open_store(f"sqlite:///{tmp_path / 'outbox.db'}")
            Dispatcher(own, [channel], batch_size=5).run_once(now=T0)
            own.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert channel.sent == {n.idempotency_key: 1 for n in notices}
    store.close()


def test_a_flaky_channel_loses_nothing(store: Store) -> None:
    notices = make_notices(30, channel="slow")
    put(store, notices)
    channel = Slow(fail_every=4)
    drain(
        Dispatcher(store, [channel], retry=RetryPolicy(max_attempts=20)), T0, dt.timedelta(hours=7)
    )
    assert channel.sent == {n.idempotency_key: 1 for n in notices}


def test_enqueue_needs_the_school_stored(store: Store) -> None:
    [n] = make_notices(1)
    with store.unit_of_work("test") as uow, pytest.raises(NotFound):
        enqueue(uow, [attrs.evolve(n, school_id="S-none")])


# --------------------------------------------------------------------------- SIGKILL

DISPATCH = """
import datetime as dt, sys
from liushou_adapters.notify.outbox import Dispatcher
from liushou_adapters.notify.webhook import WebhookNotifier
from liushou_adapters.storage import open_store
store = open_store(sys.argv[1])
Dispatcher(store, [WebhookNotifier(sys.argv[2])], batch_size=10).run_once(
    now=dt.datetime.fromisoformat(sys.argv[3])
)
print("finished")
"""


@pytest.mark.parametrize("recorder", [{"delay": 0.02}], indirect=True)
def test_a_dispatcher_killed_mid_run_loses_nothing_and_repeats_nothing_acknowledged(
    tmp_path: Path, httpserver: HTTPServer, recorder: Recorder
) -> None:
    store = sqlite_store(tmp_path)
    notices = make_notices(80)
    put(store, notices)
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-c", DISPATCH, url, httpserver.url_for("/hook"), T0.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while sum(recorder.accepted.values()) < 25:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the dispatcher sent too little"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL

    at_kill = collections.Counter(recorder.accepted)
    acknowledged = {n.idempotency_key for n in list_notices(store, [NoticeState.SENT])}
    claimed = {n.idempotency_key for n in list_notices(store, [NoticeState.SENDING])}
    assert 20 <= len(acknowledged) < len(notices)
    assert acknowledged <= set(at_kill)
    assert all(at_kill[k] == 1 for k in acknowledged)
    assert claimed  # it died holding a batch

    # Restarted before the lease runs out: the claimed ones wait; after it, they go.
    again = Dispatcher(store, [WebhookNotifier(httpserver.url_for("/hook"))])
    early = again.run_once(now=T0 + dt.timedelta(minutes=1))
    assert set(early.sent_keys).isdisjoint(claimed)
    late = again.run_once(now=T0 + dt.timedelta(minutes=10))
    assert set(late.sent_keys) <= claimed

    assert {n.state for n in list_notices(store, ALL)} == {NoticeState.SENT}
    assert set(recorder.accepted) == {n.idempotency_key for n in notices}  # nothing lost
    assert all(recorder.accepted[k] == 1 for k in acknowledged)  # nothing acknowledged twice
    repeats = {k for k, c in recorder.accepted.items() if c > 1}
    assert repeats <= claimed
    assert len(repeats) <= 1
    store.close()


# --------------------------------------------------------------------------- from the records


def test_an_overdue_event_reaches_the_console_and_a_loopback_webhook(
    store: Store, httpserver: HTTPServer, recorder: Recorder
) -> None:
    """The demo's path: records -> event -> notices in the same unit of work -> dispatch."""
    school = School("S2", "清溪中心小学", "431121", principal_id="T0")
    child = Child(
        id="C1",
        school_id="S2",
        name="王小明",
        sex=Sex.MALE,
        birth_date=dt.date(2017, 5, 4),
        class_id="S2-g3c1",
        guardians=(Guardian("王德福", Relationship.PATERNAL_GRANDFATHER, phone=PHONE),),
    )
    with store.unit_of_work("test") as uow:
        uow.add_all(
            [
                school,
                SchoolClass("S2-g3c1", "S2", 3, "三年级一班", class_teacher_id="T2"),
                Teacher("T0", "S2", "张校长", Sex.MALE, roles=(StaffRole.PRINCIPAL,)),
                Teacher("T1", "S2", "李老师", Sex.FEMALE, phone="13900001111"),
                Teacher("T2", "S2", "王老师", Sex.FEMALE, roles=(StaffRole.CLASS_TEACHER,)),
                child,
                Pairing("P1", "S2", "2026-autumn", "C1", "T1"),
            ]
        )
        uow.commit()
    event = Event(
        "contact.overdue",
        "S2",
        "child",
        "C1",
        ON,
        data=(("contact_kind", "home visit"), ("days_overdue", "15"), ("due", "2026-11-14")),
    )
    policy = NoticePolicy(default_channels=("console", "webhook"))
    with store.unit_of_work("cadence", purpose="overdue contacts") as uow:
        plan = enqueue_event(uow, event, policy, on=ON)
        uow.commit()
    assert plan.level == 3
    assert {(n.role, n.person_id) for n in plan.notices} == {
        (RecipientRole.MENTOR, "T1"),
        (RecipientRole.CLASS_TEACHER, "T2"),
        (RecipientRole.PRINCIPAL, "T0"),
    }
    assert len(plan.notices) == 6  # each on the console and the webhook
    [read] = store.audit_trail(school_id="S2", kind=Child, record_id="C1", action="read")
    assert (read.purpose, read.fields) == ("notification", ("class_id", "guardians"))

    shown = io.StringIO()
    channels = [ConsoleNotifier(stream=shown), WebhookNotifier(httpserver.url_for("/hook"))]
    report = Dispatcher(store, channels).run_once(now=T0)
    assert report.sent == 6
    assert shown.getvalue().count("学生C1的家访已逾期") == 3
    assert len(recorder.accepted) == 3
    assert set(recorder.accepted.values()) == {1}
    with store.unit_of_work("cadence") as uow:  # the same event again: nothing new
        assert enqueue_event(uow, event, policy, on=ON).notices == plan.notices
        uow.commit()
    assert Dispatcher(store, channels).run_once(now=T0).attempted == 0
