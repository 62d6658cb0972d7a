"""Evaluation (考核): scores of mentors, classes and schools over a period.

Each score is built from the same records as the checks, in five parts, each
a count of what was done against what was due (``done <= due``):

* ``cadence``: talks, home visits and calls held with each mentee, against the
  number expected for the days the pair lasted in the period
  (:attr:`EvaluationPolicy.expected`, per 30 days; more than expected counts as
  expected);
* ``diary``: growth-diary entries against one per :attr:`EvaluationPolicy.diary_days`;
* ``archive``: children whose archive and contact card have no finding;
* ``incidents``: incidents handled in time (reported to the police at once when
  required, followed up or closed within the set days);
* ``aid``: aid decisions without missing evidence.

A part with nothing due counts as fully done. The total is the weighted mean
of the parts' shares, from 0 to 100; the weights are policy data. Recording
one more contact or diary entry never lowers a score: done only grows, due does
not change.

:func:`district` ranks schools for a district officer. Everything it shows
that counts children or records passes through
:func:`liushou_core.privacy.suppress_small`: a count from 1 to 4 is never
shown, so that no child can be singled out above school level.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Final

import attrs

from liushou_core.checks import (
    DEFAULT_CHECK_POLICY,
    CheckContext,
    CheckPolicy,
    SchoolRecords,
    run_checks,
)
from liushou_core.dated import Dated
from liushou_core.i18n import N_
from liushou_core.models import (
    Authority,
    ContactKind,
    Finding,
    Incident,
    IncidentState,
)
from liushou_core.models.common import Period
from liushou_core.privacy import suppress_small

__all__ = [
    "DEFAULT_EVALUATION_POLICY",
    "District",
    "DistrictRow",
    "EvaluationPolicy",
    "Level",
    "Part",
    "PartKind",
    "Score",
    "district",
    "evaluate",
]


class PartKind(StrEnum):
    """The parts of a score."""

    CADENCE = N_("contacts kept")
    DIARY = N_("growth-diary rhythm")
    ARCHIVE = N_("archive completeness")
    INCIDENTS = N_("incidents handled in time")
    AID = N_("aid decisions complete")


class Level(StrEnum):
    MENTOR = N_("mentor")
    CLASS = N_("class")
    SCHOOL = N_("school")


_D2016 = dt.date(2016, 2, 4)
_SRC = "liushou default weights; a county sets its own (考核 as the seed's schools describe it)"


@attrs.frozen
class EvaluationPolicy:
    """Weights and expectations of the evaluation, as dated policy data."""

    #: Weight of each part in the total.
    weights: Dated[Mapping[PartKind, int]] = Dated.since(
        _D2016,
        {
            PartKind.CADENCE: 30,
            PartKind.DIARY: 20,
            PartKind.ARCHIVE: 25,
            PartKind.INCIDENTS: 15,
            PartKind.AID: 10,
        },
        _SRC,
    )
    #: Contacts expected with each mentee per 30 days of pairing.
    expected: Dated[Mapping[ContactKind, float]] = Dated.since(
        _D2016,
        {ContactKind.TALK: 2.0, ContactKind.PHONE_CALL: 1.0, ContactKind.HOME_VISIT: 0.25},
        "the seed: frequent talks, monthly calls, a home visit each term (UNCONFIRMED)",
    )
    #: One diary entry due per this many days of pairing.
    diary_days: Dated[int] = Dated.since(_D2016, 30, _SRC)
    #: Counts below this are suppressed above school level.
    min_count: Dated[int] = Dated.since(_D2016, 5, "privacy: aggregates above school level")


DEFAULT_EVALUATION_POLICY: Final = EvaluationPolicy()


@attrs.frozen
class Part:
    """One part of a score: what was done against what was due, and its weight."""

    kind: PartKind
    done: int
    due: int
    weight: int

    @property
    def share(self) -> float:
        """Done over due, from 0 to 1 (1 when nothing was due)."""
        return 1.0 if self.due == 0 else self.done / self.due


@attrs.frozen
class Score:
    """The score of a mentor, class or school over a period, with its breakdown."""

    level: Level
    id: str
    school_id: str
    period: Period
    parts: tuple[Part, ...]
    children: int
    pairs: int

    @property
    def total(self) -> float:
        """The weighted mean of the parts' shares, 0-100, to one decimal."""
        weight = sum(p.weight for p in self.parts)
        if weight == 0:
            return 100.0
        return round(100 * sum(p.weight * p.share for p in self.parts) / weight, 1)

    def part(self, kind: PartKind) -> Part:
        return next(p for p in self.parts if p.kind is kind)


_ARCHIVE_PREFIXES: Final = ("ARCHIVE_", "CARD_")


def _handled(i: Incident, ctx: CheckContext) -> bool:
    on = ctx.on
    steps = sorted((s for s in i.steps if s.at.date() <= on), key=lambda s: s.at)
    if i.kind in ctx.policy.report_kinds.at(on):
        police = [s for s in steps if Authority.POLICE in s.reported_to]
        if not police or (police[0].at.date() - i.occurred_on).days > ctx.policy.report_days.at(on):
            return False
    limit = i.occurred_on + dt.timedelta(days=ctx.policy.incident_days.at(on))
    done = [s for s in steps if s.state in (IncidentState.FOLLOWED_UP, IncidentState.CLOSED)]
    return bool(done) and done[0].at.date() <= limit


class _Tally:
    def __init__(self) -> None:
        self.done: dict[PartKind, int] = defaultdict(int)
        self.due: dict[PartKind, int] = defaultdict(int)
        self.children: set[str] = set()
        self.pairs = 0

    def add(self, kind: PartKind, done: int, due: int) -> None:
        self.done[kind] += min(done, due)
        self.due[kind] += due


def evaluate(
    records: SchoolRecords,
    *,
    period: Period,
    on: dt.date,
    policy: EvaluationPolicy = DEFAULT_EVALUATION_POLICY,
    check_policy: CheckPolicy = DEFAULT_CHECK_POLICY,
    findings: Sequence[Finding] | None = None,
) -> list[Score]:
    """Scores of every mentor, class and the school over ``period`` (judged on ``on``).

    ``findings``: the result of :func:`~liushou_core.checks.run_checks` for the
    same records and day, if already computed (otherwise it is run here).
    Returns mentor scores, then class scores, then the school's, each by id.
    """
    ctx = CheckContext(records, on, check_policy)
    if findings is None:
        findings = run_checks(records, on=on, policy=check_policy)
    flawed = {
        f.subject.id
        for f in findings
        if f.subject.kind == "child" and f.code.startswith(_ARCHIVE_PREFIXES)
    }
    last = min(period.end or on, on)
    expected = policy.expected.at(on)
    diary_days = policy.diary_days.at(on)
    mentors: dict[str, _Tally] = defaultdict(_Tally)
    classes: dict[str, _Tally] = defaultdict(_Tally)
    school = _Tally()

    def units(child_id: str, mentor: str | None) -> list[_Tally]:
        out = [school]
        child = ctx.children.get(child_id)
        if child is not None and child.class_id is not None:
            out.append(classes[child.class_id])
        if mentor is not None:
            out.append(mentors[mentor])
        return out

    for cid, pairs in ctx.pairings.items():
        for p in pairs:
            start = max(p.start or ctx.term.first_day, period.start)
            end = min(p.end or ctx.term.last_day, last)
            days = max(0, (end - start).days + 1)
            held: dict[ContactKind, int] = defaultdict(int)
            for e in ctx.events.get(cid, ()):
                if start <= e.date <= end and (not e.staff_ids or p.mentor_id in e.staff_ids):
                    held[e.kind] += 1
            cadence_due = sum(math.floor(n * days / 30) for n in expected.values())
            cadence_done = sum(min(held[k], math.floor(n * days / 30)) for k, n in expected.items())
            diary_due = days // diary_days
            diary_done = sum(
                1
                for d in ctx.diaries.get(cid, ())
                if d.mentor_id == p.mentor_id and start <= d.date <= end
            )
            for t in units(cid, p.mentor_id):
                t.pairs += 1
                t.children.add(cid)
                t.add(PartKind.CADENCE, cadence_done, cadence_due)
                t.add(PartKind.DIARY, diary_done, diary_due)
    mentor_of = {cid: {p.mentor_id for p in pairs} for cid, pairs in ctx.pairings.items()}
    for c in ctx.programme:
        ok = int(c.id not in flawed)
        for t in units(c.id, None):
            t.children.add(c.id)
            t.add(PartKind.ARCHIVE, ok, 1)
        for m in sorted(mentor_of.get(c.id, ())):
            mentors[m].add(PartKind.ARCHIVE, ok, 1)
    for i in records.incidents:
        if not period.start <= i.occurred_on <= last:
            continue
        ok = int(_handled(i, ctx))
        touched: dict[int, _Tally] = {id(school): school}
        for cid in i.child_ids:
            for t in units(cid, None):
                touched[id(t)] = t
            for m in mentor_of.get(cid, ()):
                touched[id(mentors[m])] = mentors[m]
        for t in touched.values():
            t.add(PartKind.INCIDENTS, ok, 1)
    for cid, decisions in ctx.aid_decisions.items():
        for d in decisions:
            if not period.start <= d.on <= last:
                continue
            ok = int(not any(s.missing_evidence for s in d.schemes))
            for t in units(cid, None):
                t.add(PartKind.AID, ok, 1)
            for m in mentor_of.get(cid, ()):
                mentors[m].add(PartKind.AID, ok, 1)
    weights = policy.weights.at(on)
    sid = records.school.id

    def score(level: Level, key: str, t: _Tally) -> Score:
        parts = tuple(Part(k, t.done[k], t.due[k], weights.get(k, 0)) for k in PartKind)
        return Score(level, key, sid, period, parts, len(t.children), t.pairs)

    out = [score(Level.MENTOR, k, mentors[k]) for k in sorted(mentors)]
    out += [score(Level.CLASS, k, classes[k]) for k in sorted(classes)]
    out.append(score(Level.SCHOOL, sid, school))
    return out


# --------------------------------------------------------------------------- district


@attrs.frozen
class DistrictRow:
    """A school in the district view: rank, total, and counts fit to leave the school.

    ``children`` and ``pairs`` and each part's ``done``/``due`` are ``None``
    where suppressed; a part's share is ``None`` when its ``due`` is suppressed.
    """

    rank: int
    school_id: str
    total: float
    children: int | None
    pairs: int | None
    parts: tuple[tuple[PartKind, int | None, int | None, float | None], ...]


@attrs.frozen
class District:
    """Schools ranked by total score (ties by school id), with small counts suppressed."""

    period: Period
    rows: tuple[DistrictRow, ...]

    def counts(self) -> list[int | None]:
        """Every count the view shows (for checking that none is from 1 to 4)."""
        out: list[int | None] = []
        for r in self.rows:
            out += [r.children, r.pairs]
            for _, done, due, _ in r.parts:
                out += [done, due]
        return out


def district(
    scores: Iterable[Score],
    *,
    on: dt.date,
    policy: EvaluationPolicy = DEFAULT_EVALUATION_POLICY,
) -> District:
    """Rank the school-level ``scores`` of several schools for a district officer."""
    threshold = policy.min_count.at(on)
    schools = sorted(
        (s for s in scores if s.level is Level.SCHOOL), key=lambda s: (-s.total, s.school_id)
    )
    rows: list[DistrictRow] = []
    period = schools[0].period if schools else Period(on, on)
    for rank, s in enumerate(schools, start=1):
        head = suppress_small({"children": s.children, "pairs": s.pairs}, threshold=threshold)
        parts: list[tuple[PartKind, int | None, int | None, float | None]] = []
        for p in s.parts:
            shown = suppress_small({"done": p.done, "due": p.due}, threshold=threshold)
            due = shown["due"]
            share = None if due is None else round(p.share, 3)
            parts.append((p.kind, shown["done"], due, share))
        rows.append(
            DistrictRow(rank, s.school_id, s.total, head["children"], head["pairs"], tuple(parts))
        )
    return District(period, tuple(rows))
