"""Throughput of the outbox against posting directly, to a webhook on loopback, in one run.

``--n`` notices (default 10,000) are made from synthetic overdue events
(:func:`liushou_core.notices.notices_for`, one school) and posted as plain JSON
to an HTTP server on loopback (the standard library's ``ThreadingHTTPServer``,
which answers each post at once and counts the idempotency keys it got):

* **direct**: ``WebhookNotifier.send(notice)`` for every notice, in a loop: the
  baseline, what a caller without an outbox would do;
* **outbox**: the notices are enqueued in one unit of work (timed on its own),
  then one :meth:`Dispatcher.run_once` claims them in batches, posts each with
  the same notifier and records each outcome, on an SQLite file
  (``synchronous=FULL``: a commit waits for the disk) and on the memory store;
  ``ack=1`` records every outcome in its own commit (the default: a crash
  repeats at most the notice on the wire), ``ack=50`` one commit per 50.

Every variant must deliver each key exactly once (checked from the server's
counts, and the stored states). The work is interleaved in slices (a slice
posted directly, then as many delivered by each variant's dispatcher, as
successive cron runs would), so that a change in the machine's load during the
run affects them alike; each has its own loopback endpoint. Ratios are notices
per second of a variant over the direct loop.

Run ``python benchmarks/bench_notify.py`` (``--quick``: 1,000 notices;
``--json FILE`` saves the figures).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.server
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _env import environment
from liushou_adapters.notify.outbox import Dispatcher, enqueue, list_notices
from liushou_adapters.notify.webhook import WebhookNotifier
from liushou_adapters.storage import open_store
from liushou_core.hookspecs import Event
from liushou_core.models import Notice, NoticeState, RecipientRole, School
from liushou_core.notices import NoticePolicy, Recipient, notices_for

DEFAULT_N = 10_000
QUICK_N = 1_000
ON = dt.date(2026, 11, 29)
#: (store, ack_every) of the outbox variants.
VARIANTS: tuple[tuple[str, int], ...] = (("sqlite", 1), ("sqlite", 50), ("memory", 1))


def make_notices(n: int) -> list[Notice]:
    """``n`` notices of overdue contacts, to mentors of one school, by webhook."""
    policy = NoticePolicy(default_channels=("webhook",))
    out: list[Notice] = []
    for i in range(n):
        event = Event(
            "contact.overdue",
            "S1",
            "child",
            f"S1-c{i:06d}",
            ON,
            data=(("contact_kind", "talk"), ("days_overdue", str(1 + i % 20))),
        )
        mentor = Recipient(RecipientRole.MENTOR, f"S1-t{i % 300:04d}", "李老师")
        out += notices_for(event, [mentor], policy, on=ON)
    return out


class _Counter(http.server.BaseHTTPRequestHandler):
    counts: collections.Counter[str]
    lock: threading.Lock

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        with self.lock:
            self.counts[self.headers.get("Idempotency-Key", "")] += 1
        body = b'{"errcode": 0}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def loopback() -> Iterator[tuple[str, collections.Counter[str]]]:
    """A counting webhook endpoint on 127.0.0.1: ``(url, counts by key)``."""
    counts: collections.Counter[str] = collections.Counter()
    handler = type("Handler", (_Counter,), {"counts": counts, "lock": threading.Lock()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", counts
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Timing:
    name: str
    n: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Results:
    n: int
    timings: list[Timing] = field(default_factory=list)
    checks: dict[str, dict[str, int]] = field(default_factory=dict)

    def best(self, name: str) -> Timing:
        return min((t for t in self.timings if t.name == name), key=lambda t: t.seconds)

    def ratio(self, name: str) -> float:
        """Notices per second of ``name`` over the direct loop's."""
        return self.best(name).per_second / self.best("direct").per_second

    @property
    def variants(self) -> list[str]:
        return [f"outbox {store} ack={ack}" for store, ack in VARIANTS]

    def to_json(self) -> dict[str, Any]:
        names = sorted({t.name for t in self.timings})
        return {
            "benchmark": "notify",
            "n": self.n,
            "per_second": {name: round(self.best(name).per_second, 1) for name in names},
            "ratios": {f"{v}/direct": round(self.ratio(v), 3) for v in self.variants},
            "timings": [asdict(t) for t in self.timings],
            "checks": self.checks,
            "environment": environment("liushou"),
        }


def _check(counts: collections.Counter[str], notices: Sequence[Notice]) -> dict[str, int]:
    keys = {n.idempotency_key for n in notices}
    return {
        "expected": len(keys),
        "delivered": sum(1 for k in keys if counts[k] >= 1),
        "repeats": sum(max(counts[k] - 1, 0) for k in keys),
        "strays": sum(c for k, c in counts.items() if k not in keys),
    }


class _Variant:
    """One outbox variant: its store (with the notices enqueued) and its dispatcher."""

    def __init__(
        self, store_kind: str, ack: int, url: str, notices: Sequence[Notice], directory: Path
    ) -> None:
        self.name = f"outbox {store_kind} ack={ack}"
        self.path = directory / f"outbox-{ack}.db"
        if store_kind == "sqlite":
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                p.unlink(missing_ok=True)
            self.store = open_store(f"sqlite:///{self.path}")
        else:
            self.store = open_store("memory://")
        self.kind = store_kind
        with self.store.unit_of_work("bench") as uow:
            uow.add(School("S1", "清溪中心小学", "431121"))
            uow.commit()
        start = time.perf_counter()
        with self.store.unit_of_work("bench") as uow:
            enqueue(uow, notices)
            uow.commit()
        self.enqueue_seconds = time.perf_counter() - start
        self.dispatcher = Dispatcher(self.store, [WebhookNotifier(url)], ack_every=ack)
        self.seconds = 0.0
        self.sent = 0

    def dispatch(self, limit: int) -> None:
        start = time.perf_counter()
        report = self.dispatcher.run_once(limit=limit)
        self.seconds += time.perf_counter() - start
        self.sent += report.sent

    def close(self) -> int:
        """Close the store; the notices it holds as sent."""
        stored = len(list_notices(self.store, [NoticeState.SENT]))
        self.store.close()
        if self.kind == "sqlite":
            for p in self.path.parent.glob(self.path.name + "*"):
                p.unlink()
        return stored


def run(
    n: int,
    *,
    repeat: int = 1,
    slices: int = 5,
    directory: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Results:
    """Time the direct loop and each outbox variant on ``n`` notices.

    The work is cut into ``slices``: for each, the direct loop posts a slice and
    each variant's dispatcher delivers as many (``run_once(limit=...)``, as
    successive cron runs would), so that the variants and the baseline share
    the machine's changing load alike. Each has its own loopback endpoint.
    """
    notices = make_notices(n)
    res = Results(n=n)
    size = -(-n // max(1, min(slices, n)))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        where = directory or Path(tmp)
        endpoints = {
            name: stack.enter_context(loopback())
            for name in ("direct", *(f"outbox {k} ack={a}" for k, a in VARIANTS))
        }
        for _ in range(repeat):
            for _, counts in endpoints.values():
                counts.clear()
            variants = [
                _Variant(k, a, endpoints[f"outbox {k} ack={a}"][0], notices, where)
                for k, a in VARIANTS
            ]
            url, _ = endpoints["direct"]
            channel = WebhookNotifier(url)
            direct = 0.0
            for i in range(0, n, size):
                chunk = notices[i : i + size]
                start = time.perf_counter()
                for notice in chunk:
                    channel.send(notice)
                direct += time.perf_counter() - start
                for v in variants:
                    v.dispatch(len(chunk))
            res.timings.append(Timing("direct", n, direct))
            res.checks["direct"] = _check(endpoints["direct"][1], notices)
            log(f"direct: {n / direct:,.0f} notices/s")
            for v in variants:
                stored = v.close()
                assert v.sent == stored == n, (v.name, v.sent, stored)
                res.timings.append(Timing(v.name, n, v.seconds))
                res.timings.append(Timing(f"enqueue {v.kind}", n, v.enqueue_seconds))
                res.checks[v.name] = _check(endpoints[v.name][1], notices)
                log(f"{v.name}: {n / v.seconds:,.0f} notices/s")
    return res


def report(res: Results) -> None:
    print(f"{res.n:,} notices to a webhook on loopback (best of the runs)")
    direct = res.best("direct")
    print(f"  {'direct POST (no outbox)':28} {direct.per_second:>10,.0f} notices/s")
    for name in res.variants:
        t = res.best(name)
        print(
            f"  {name:28} {t.per_second:>10,.0f} notices/s   {name}/direct = {res.ratio(name):.2f}"
        )
    for store_kind in sorted({s for s, _ in VARIANTS}):
        t = res.best(f"enqueue {store_kind}")
        print(f"  {'enqueue ' + store_kind:28} {t.per_second:>10,.0f} notices/s (one commit)")
    bad = {k: v for k, v in res.checks.items() if v["delivered"] != v["expected"] or v["repeats"]}
    print("  each key delivered exactly once: " + ("yes" if not bad else f"NO {bad}"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help=f"notices (default {DEFAULT_N})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_N} notices")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best counts")
    parser.add_argument("--dir", type=Path, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    n = args.n if args.n is not None else (QUICK_N if args.quick else DEFAULT_N)
    if n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")
    res = run(
        n,
        repeat=args.repeat,
        directory=args.dir,
        log=(lambda _: None) if args.quiet else (lambda line: print(line, flush=True)),
    )
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=2, ensure_ascii=False) + "\n")
        print(f"saved {args.json}")
    bad = any(c["delivered"] != c["expected"] or c["repeats"] for c in res.checks.values())
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
