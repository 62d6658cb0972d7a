"""The demo's term: pair, record a term of care, assess aid, review, notify, write files.

``liushou demo`` stores synthetic schools and classifies their pupils; then, for
each school, :func:`run_term` does what the school does in a term, on the
embedded store:

1. **pair** the children each class nominates with mentors
   (:func:`liushou_core.pairing.nominate` and :func:`~liushou_core.pairing.pair`);
2. **record a term of care** up to the day (:func:`liushou_core.synth_term.term_records`:
   talks, calls, home visits, meetings, diaries, health checks, consents, pledges,
   incidents, activities, the duty rota, boarders, guardian training, partners,
   the leading group and its work plan, with a realistic share left undone);
3. **assess aid** for every pupil (:func:`liushou_core.aid.assess_many`);
4. **store** all of it (a rerun on the same day writes nothing);
5. **review the term** from the store (:func:`liushou_core.review.review_term`):
   the cadence plan, who is overdue, every check, the figures, and last term's;
6. **notify**: the most overdue contact of the school, and every incident whose
   mandatory report is missing (urgent), go through the outbox to the console and
   a webhook (a loopback receiver standing in for a WeCom robot, unless
   ``--webhook URL`` names a real one);
7. **write** the term report (HTML), the exports (XLSX, or CSV without openpyxl;
   ID and phone numbers masked), one calendar per mentor (ICS) and the duty rota
   (ICS per mentor, and a sheet of the workbook).
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import attrs

from liushou_adapters.cli.report import review_with_previous, school_report
from liushou_adapters.export import exporter
from liushou_adapters.export.datasets import (
    aid_table,
    children_table,
    contacts_table,
    findings_table,
    pairs_table,
)
from liushou_adapters.export.ics import write_calendars
from liushou_adapters.export.report import write_report
from liushou_adapters.export.rota_ics import rota_table, write_rota_calendars
from liushou_adapters.notify.console import ConsoleNotifier
from liushou_adapters.notify.outbox import Dispatcher, DispatchReport, enqueue_event
from liushou_adapters.notify.webhook import WebhookNotifier
from liushou_core.aid import AidPolicy, assess_many
from liushou_core.boarding import with_boarding
from liushou_core.cadence import CadencePolicy
from liushou_core.checks import SchoolRecords
from liushou_core.emergency import report_event
from liushou_core.models import (
    Activity,
    AidDecision,
    ArchiveSignOff,
    Boarding,
    CareNotice,
    Consent,
    ContactEvent,
    DiaryEntry,
    Duty,
    GuardianTraining,
    HealthCheck,
    Incident,
    LeadingGroup,
    Pairing,
    Partner,
    SafetyPledge,
    School,
    Term,
    WorkPlan,
)
from liushou_core.notices import NoticePolicy
from liushou_core.pairing import PairingPlan, nominate, pair
from liushou_core.plugins import PluginError
from liushou_core.ports import Notifier, Store, UnitOfWork
from liushou_core.review import TermReview
from liushou_core.rota import rota
from liushou_core.school_calendar import school_calendar, term_on
from liushou_core.synth import SyntheticSchool
from liushou_core.synth_term import term_records

__all__ = ["TermOutcome", "dispatch", "loopback_webhook", "run_term", "sync_records"]

#: The demo's notices go through these channels (the webhook: loopback or --webhook).
CHANNELS = ("console", "webhook")


@attrs.frozen
class TermOutcome:
    """What the demo did for one school's term, and the files it wrote."""

    school_id: str
    term: Term
    pairing: PairingPlan
    review: TermReview
    previous: TermReview
    decisions: tuple[AidDecision, ...]
    stored: Counter[str]
    notices: int
    files: tuple[Path, ...]


def sync_records(
    uow: UnitOfWork, school_id: str, groups: Sequence[tuple[type, Sequence[Any]]]
) -> Counter[str]:
    """Bring the store's records of ``school_id`` of each kind in line with ``groups``.

    New records are added, changed ones updated (their version rises), records
    no longer made are deleted, equal ones left alone: running the demo again
    on the same day writes nothing.
    """
    done: Counter[str] = Counter()
    for cls, records in groups:
        listed: list[Any] = uow.list(cls, school_id)
        stored = {r.id: r for r in listed}
        fresh: list[Any] = []
        for record in records:
            old = stored.pop(record.id, None)
            if old is None:
                fresh.append(record)
            elif attrs.evolve(record, version=old.version) == old:
                done["unchanged"] += 1
            else:
                uow.update(attrs.evolve(record, version=old.version))
                done["updated"] += 1
        uow.add_all(fresh)
        done["added"] += len(fresh)
        for old in stored.values():
            uow.delete(cls, school_id, old.id, old.version)
            done["deleted"] += 1
    return done


def run_term(
    store: Store,
    item: SyntheticSchool,
    *,
    on: dt.date,
    seed: int,
    lang: str,
    out: Path,
    actor: str,
    purpose: str,
    cadence_policy: CadencePolicy,
    aid_policy: AidPolicy,
) -> TermOutcome:
    """The school's term up to ``on`` (see the module doc); files go into ``out``."""
    sid = item.school.id
    term = term_on(on)
    households = {h.id: h for h in item.households}
    nominated = nominate(item.children, on=on, households=households)
    plan = pair(
        nominated.nominated, [*item.teachers, *item.volunteers], on=on, classes=item.classes
    )
    pairings = plan.pairings(term.id, start=term.first_day)
    simulated = term_records(item, on=on, seed=seed, pairings=pairings)
    # a boarder of the term may have the living subsidy
    children = with_boarding(item.children, simulated.boardings, term)
    decisions = tuple(assess_many(children, households, aid_policy, on=on))
    groups: list[tuple[type, Sequence[Any]]] = [
        (Pairing, [*pairings, *_other_terms(store, sid, term, actor)]),
        (ContactEvent, simulated.events),
        (DiaryEntry, simulated.diaries),
        (HealthCheck, simulated.health_checks),
        (Incident, simulated.incidents),
        (SafetyPledge, simulated.pledges),
        (Consent, simulated.consents),
        (ArchiveSignOff, simulated.sign_offs),
        (CareNotice, simulated.care_notices),
        (Activity, simulated.activities),
        (Duty, simulated.duties),
        (Boarding, simulated.boardings),
        (GuardianTraining, simulated.trainings),
        (Partner, simulated.partners),
        (LeadingGroup, simulated.leading_groups),
        (WorkPlan, simulated.work_plans),
        (AidDecision, decisions),
    ]
    with store.unit_of_work(actor=actor) as uow:
        stored = sync_records(uow, sid, groups)
        uow.commit()
    with store.unit_of_work(actor=actor, purpose=purpose, readonly=True) as uow:
        records = SchoolRecords.load(uow, uow.get(School, sid, sid), term)
    review, previous = review_with_previous(records, on=on, policy=cadence_policy)
    queued = _enqueue_notices(store, review, lang=lang, on=on, actor=actor)
    files = _write_files(review, previous, decisions, out=out, lang=lang, on=on)
    return TermOutcome(sid, term, plan, review, previous, decisions, stored, queued, files)


def _other_terms(store: Store, school_id: str, term: Term, actor: str) -> list[Pairing]:
    """The stored pairings of other terms (kept: the demo re-pairs only this term)."""
    with store.unit_of_work(actor=actor, readonly=True) as uow:
        return [p for p in uow.list(Pairing, school_id) if p.term_id != term.id]


def _enqueue_notices(
    store: Store, review: TermReview, *, lang: str, on: dt.date, actor: str
) -> int:
    """Put in the outbox the notices of the school's most overdue contact and of every
    incident whose mandatory report is still missing (urgent); how many notices."""
    events = [e for i in review.records.incidents if (e := report_event(i, on=on)) is not None]
    if review.overdue:
        events.append(max(review.overdue, key=lambda e: (_days_overdue(e), e.subject_id)))
    if not events:
        return 0
    policy = NoticePolicy(lang=lang, default_channels=CHANNELS)
    queued = 0
    with store.unit_of_work(actor=actor, purpose="notification") as uow:
        for event in events:
            queued += len(enqueue_event(uow, event, policy, on=on).notices)
        uow.commit()
    return queued


def _days_overdue(event: Any) -> int:
    data = dict(event.data)
    try:
        return int(data.get("days_overdue", 0))
    except ValueError:
        return 0


def dispatch(store: Store, webhook: str) -> DispatchReport:
    """Deliver the outbox's due notices to the console and the webhook, once."""
    channels: list[Notifier] = [
        ConsoleNotifier(),
        WebhookNotifier(webhook, format="wecom-markdown"),
    ]
    return Dispatcher(store, channels).run_once()


def _write_files(
    review: TermReview,
    previous: TermReview,
    decisions: Sequence[AidDecision],
    *,
    out: Path,
    lang: str,
    on: dt.date,
) -> tuple[Path, ...]:
    """The term report, the exports, the mentors' calendars and the duty rota."""
    records = review.records
    sid, term = records.school.id, records.term
    written: list[Path] = []
    report = write_report(
        school_report(review, previous), out / f"report-{sid}-{term.id}.html", lang=lang, on=on
    )
    written.append(report)
    # the duty rota of the noon and after-school activities, as the term's duties have it
    mentors = sorted({d.mentor_id for d in records.duties if d.term_id == term.id})
    duty_rota = rota(school_calendar(term), mentors, school_id=sid) if mentors else None
    tables = [
        children_table(
            records.children, classes=records.classes, households=records.households, on=on
        ),
        contacts_table(records.children, classes=records.classes),
        pairs_table(
            records.pairings,
            children=records.children,
            teachers=records.teachers,
            volunteers=records.volunteers,
            classes=records.classes,
        ),
        aid_table(decisions, children=records.children, classes=records.classes),
        findings_table(review.findings),
    ]
    if duty_rota is not None:
        tables.append(rota_table(duty_rota, {t.id: t.name for t in records.teachers}))
    try:
        exporter("xlsx", lang=lang).write(tables, out / f"export-{sid}.xlsx")
        written.append(out / f"export-{sid}.xlsx")
    except PluginError:  # no openpyxl: the same tables as CSV files
        for table in tables:
            path = out / f"{table.key}-{sid}.csv"
            exporter("csv", lang=lang).write(table, path)
            written.append(path)
    calendars = write_calendars(review.plan, out / "calendars" / sid, lang=lang)
    written.extend(calendars.values())
    if duty_rota is not None:
        written.extend(write_rota_calendars(duty_rota, out / "rota" / sid, lang=lang).values())
    return tuple(written)


# --------------------------------------------------------------------------- loopback


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Accepts JSON posts as a group robot does (``{"errcode": 0}``) and keeps them."""

    posts: ClassVar[list[bytes]]
    lock: ClassVar[threading.Lock]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with self.lock:
            self.posts.append(body)
        answer = b'{"errcode": 0, "errmsg": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def loopback_webhook() -> Iterator[tuple[str, list[bytes]]]:
    """A webhook receiver on 127.0.0.1 (a stand-in for a school's chat robot).

    Yields its URL and the list of request bodies it has received.
    """
    posts: list[bytes] = []
    handler = type("Receiver", (_Receiver,), {"posts": posts, "lock": threading.Lock()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/robot", posts
    finally:
        server.shutdown()
        server.server_close()
