"""The talk system's cadence (谈心制度): plans, compliance and overdue escalation.

The seed's schools hold a meeting of mentors, children and guardians every
month, talk with the children often, visit each home once a term and call the
parents working away. This module turns that rhythm into data and checks it:

* :class:`CadenceRule` says, for one kind of contact, who takes part, how many
  are due per window (a month, the term, the school year) and, optionally,
  after how many days without one a warning and an overdue finding are raised.
  :class:`CadencePolicy` holds the rules as dated policy data with their
  sources; a school or county adds or replaces rules through the
  ``liushou_cadence_rules`` hook (:func:`policy_from_plugins`).
* :func:`plan` lays out a term's contacts on the school's open days
  (:mod:`liushou_core.school_calendar`), spread evenly over each mentor's
  weeks and never above the mentor's daily limit; what cannot be planned is
  listed in :attr:`Plan.unmet` with the reason.
* :func:`compliance` compares recorded contacts with the plan on a day ``on``:
  per pair, mentor, child and school, what is done, due soon and overdue and
  by how many days, as :class:`~liushou_core.models.Finding` objects.
* :func:`escalations` turns overdue contacts into ``contact.overdue``
  :class:`~liushou_core.hookspecs.Event` objects for the notifiers, at the
  level (mentor, class teacher, principal) the delay has reached.

Everything here is pure: no clock, no I/O. ``on`` is always given.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs

from liushou_core.boarding import boarding_spans
from liushou_core.classify import Category, classify
from liushou_core.dated import Dated
from liushou_core.errors import PolicyError
from liushou_core.hookspecs import Event
from liushou_core.i18n import N_, Message
from liushou_core.models import (
    Boarding,
    Child,
    ContactEvent,
    ContactKind,
    Finding,
    HealthCheck,
    Household,
    Pairing,
    Semester,
    Severity,
    Subject,
    Term,
)
from liushou_core.school_calendar import SchoolCalendar, school_calendar

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_RULES",
    "HEALTH_CHECK",
    "CadencePolicy",
    "CadenceRule",
    "CarePair",
    "Condition",
    "Escalation",
    "Obligation",
    "Plan",
    "PlannedContact",
    "Scope",
    "State",
    "Status",
    "Unmet",
    "Window",
    "assess",
    "care_pairs",
    "check_records",
    "compliance",
    "escalations",
    "plan",
    "policy_from_plugins",
]

#: The kind of a health check (:class:`~liushou_core.models.HealthCheck` records).
HEALTH_CHECK = N_("health check")


class Scope(StrEnum):
    """Whom a rule is about: the school as a whole, or each mentor-child pair."""

    SCHOOL = N_("school")
    PAIR = N_("mentor-child pair")


class Window(StrEnum):
    """The span a rule's minimum count applies to."""

    MONTH = N_("month")
    FORTNIGHT = N_("fortnight")
    TERM = N_("term")
    YEAR = N_("school year")


class Condition(StrEnum):
    """When a pair rule applies."""

    ALWAYS = N_("always")
    PARENT_AWAY = N_("while a parent works away")
    BOARDING = N_("while the child boards at school")


@attrs.frozen
class CadenceRule:
    """One kind of contact and its rhythm.

    ``code`` is stable and unique (a rule contributed with the code of a
    built-in rule replaces it); ``kind`` a :class:`ContactKind` value or
    :data:`HEALTH_CHECK`; ``title`` an English text marked with ``N_``;
    ``minimum`` contacts are due in each ``window``; ``warn_after_days`` and
    ``overdue_after_days`` (optional) bound the days since the last one.
    Windows are calendar months, fortnights (14 days from the pair's first
    day), the term, or the school year (planned in the autumn term; a contact
    in the 365 days before the window's end counts).
    """

    code: str
    kind: str
    title: str
    scope: Scope
    window: Window
    minimum: int = 1
    warn_after_days: int | None = None
    overdue_after_days: int | None = None
    participants: tuple[str, ...] = ()
    condition: Condition = Condition.ALWAYS
    minutes: int = 30
    source: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.code or not self.code.replace("_", "").isalnum():
            raise PolicyError(f"a cadence rule code is letters, digits and _: {self.code!r}")
        if self.minimum < 0:
            raise PolicyError(f"cadence rule {self.code}: the minimum is not negative")
        w, o = self.warn_after_days, self.overdue_after_days
        if w is not None and o is not None and w > o:
            raise PolicyError(f"cadence rule {self.code}: warns after it is overdue")
        if self.condition is not Condition.ALWAYS and self.scope is not Scope.PAIR:
            raise PolicyError(f"cadence rule {self.code}: a condition needs pairs")


@attrs.frozen
class Escalation:
    """Who is told once a contact is ``after_days`` or more overdue."""

    level: str
    after_days: int


_MENTORS = N_("mentors")
_CHILDREN = N_("children")
_GUARDIANS = N_("guardians")
_PARENTS = N_("parents working away")
_MENTOR = N_("mentor")
_CHILD = N_("child")
_DOCTOR = N_("school doctor")
_CLASS_TEACHER = N_("class teacher")
_PRINCIPAL = N_("principal")

_D = dt.date(2016, 2, 4)  # 国发〔2016〕13号: the care system for left-behind children
_SEED = "the seed's term work summaries (每月一次座谈会, 经常谈心, 家访, 电话联系)"
_LOCAL = "local practice (policy.md: no national numbers); UNCONFIRMED, set locally"

#: The built-in rules (see ``docs/cadence.md`` for each one and its source).
DEFAULT_RULES: tuple[CadenceRule, ...] = (
    CadenceRule(
        "MEETING",
        ContactKind.MEETING.value,
        N_("monthly meeting"),
        Scope.SCHOOL,
        Window.MONTH,
        participants=(_MENTORS, _CHILDREN, _GUARDIANS),
        minutes=60,
        source=_SEED,
    ),
    CadenceRule(
        "TALK",
        ContactKind.TALK.value,
        N_("heart-to-heart talk"),
        Scope.PAIR,
        Window.MONTH,
        minimum=2,
        warn_after_days=45,
        overdue_after_days=60,
        participants=(_MENTOR, _CHILD),
        source=f"{_SEED}; counts and days: {_LOCAL}",
    ),
    CadenceRule(
        "HOME_VISIT",
        ContactKind.HOME_VISIT.value,
        N_("home visit"),
        Scope.PAIR,
        Window.TERM,
        participants=(_MENTOR, _CHILD, _GUARDIANS),
        minutes=90,
        source=f"{_SEED}; once a term: {_LOCAL}",
    ),
    CadenceRule(
        "PARENT_CALL",
        ContactKind.PHONE_CALL.value,
        N_("phone call with parents"),
        Scope.PAIR,
        Window.MONTH,
        warn_after_days=35,
        overdue_after_days=45,
        participants=(_MENTOR, _PARENTS),
        condition=Condition.PARENT_AWAY,
        minutes=20,
        source=f"{_SEED}; at least monthly: {_LOCAL}",
    ),
    CadenceRule(
        "GUARDIAN_MEETING",
        ContactKind.PARENT_MEETING.value,
        N_("meeting with guardians"),
        Scope.SCHOOL,
        Window.TERM,
        participants=(_MENTORS, _GUARDIANS),
        minutes=90,
        source=f"each term: {_LOCAL}",
    ),
    CadenceRule(
        "HEALTH_CHECK",
        HEALTH_CHECK,
        N_("health check"),
        Scope.PAIR,
        Window.YEAR,
        warn_after_days=330,
        overdue_after_days=365,
        participants=(_CHILD, _DOCTOR),
        source=f"every 12 months: {_LOCAL}",
    ),
    CadenceRule(
        "BOARDER_CONTACT",
        ContactKind.PHONE_CALL.value,
        N_("call with a boarder's family"),
        Scope.PAIR,
        Window.FORTNIGHT,
        warn_after_days=14,
        overdue_after_days=21,
        participants=(_MENTOR, _GUARDIANS, _PARENTS),
        condition=Condition.BOARDING,
        minutes=15,
        source=(
            "the seed's boarding schools (寄宿生 supervision); a call with the family "
            f"every fortnight, around the weekend the child goes home: {_LOCAL}"
        ),
    ),
)


@attrs.frozen
class CadencePolicy:
    """The cadence rules and the planning parameters, as dated policy data.

    ``extra`` holds rules a county or school adds (through the
    ``liushou_cadence_rules`` hook or :meth:`with_rules`); one whose code is
    a built-in rule's replaces it. ``daily_limit``: contacts a mentor takes on
    in one day; ``due_soon_days``: how close to its window's end an open
    obligation is reported as due soon; ``escalation``: who is told after how
    many days overdue.
    """

    rules: Dated[tuple[CadenceRule, ...]] = Dated.since(_D, DEFAULT_RULES, _SEED)
    daily_limit: Dated[int] = Dated.since(_D, 3, _LOCAL)
    due_soon_days: Dated[int] = Dated.since(_D, 7, _LOCAL)
    escalation: Dated[tuple[Escalation, ...]] = Dated.since(
        _D,
        (Escalation(_MENTOR, 0), Escalation(_CLASS_TEACHER, 14), Escalation(_PRINCIPAL, 30)),
        _LOCAL,
    )
    extra: tuple[CadenceRule, ...] = ()

    def rules_on(self, on: dt.date) -> tuple[CadenceRule, ...]:
        """The rules in force on ``on``: the dated ones, with ``extra`` added or replacing."""
        by_code = {r.code: r for r in self.rules.at(on)}
        for rule in self.extra:
            by_code[rule.code] = rule
        return tuple(by_code.values())

    def with_rules(self, *rules: CadenceRule) -> CadencePolicy:
        """A copy with ``rules`` added (a rule with an existing code replaces it)."""
        seen: dict[str, CadenceRule] = {r.code: r for r in self.extra}
        for rule in rules:
            if not isinstance(rule, CadenceRule):
                raise PolicyError(f"not a CadenceRule: {rule!r}")
            seen[rule.code] = rule
        return attrs.evolve(self, extra=tuple(seen.values()))


DEFAULT_POLICY = CadencePolicy()


def policy_from_plugins(
    pm: pluggy.PluginManager, base: CadencePolicy = DEFAULT_POLICY
) -> CadencePolicy:
    """``base`` with the rules every plugin contributes through ``liushou_cadence_rules``.

    :raises PolicyError: a contribution is not a :class:`CadenceRule`, or two
        plugins contribute the same code.
    """
    from liushou_core.plugins import contributions

    rules = contributions(pm, "liushou_cadence_rules")
    codes = [r.code for r in rules if isinstance(r, CadenceRule)]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise PolicyError(f"two plugins contribute the cadence rule(s) {', '.join(dupes)}")
    return base.with_rules(*rules)


# --------------------------------------------------------------------------- pairs


@attrs.frozen
class CarePair:
    """A mentor-child pair as the cadence sees it in a term.

    ``start``/``end``: the days the pair is active (the pairing's dates,
    ended early when the child stops being left-behind). ``away``: the spans
    when at least one parent works away (``None``: unknown, taken as away), so
    no parent call is due while both parents are at home. ``boarding``: the
    spans when the child boards at school (``None``: not a boarder), for the
    rules that apply only to boarders.
    """

    id: str
    school_id: str
    mentor_id: str
    child_id: str
    start: dt.date | None = None
    end: dt.date | None = None
    away: tuple[tuple[dt.date, dt.date], ...] | None = None
    boarding: tuple[tuple[dt.date, dt.date], ...] | None = None

    @classmethod
    def of(cls, pairing: Pairing) -> CarePair:
        """The pair of a stored :class:`Pairing`, without relaxations."""
        return cls(
            pairing.id,
            pairing.school_id,
            pairing.mentor_id,
            pairing.child_id,
            pairing.start,
            pairing.end,
        )


def _merge(spans: Iterable[tuple[dt.date, dt.date]]) -> tuple[tuple[dt.date, dt.date], ...]:
    out: list[tuple[dt.date, dt.date]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _away_spans(child: Child, first: dt.date, last: dt.date) -> tuple[tuple[dt.date, dt.date], ...]:
    spans = []
    for parent in child.parents:
        for p in parent.away:
            a, b = max(p.start, first), min(p.end or last, last)
            if a <= b:
                spans.append((a, b))
    return _merge(spans)


def _change_days(child: Child, first: dt.date, last: dt.date) -> list[dt.date]:
    days = {first}
    one = dt.timedelta(days=1)
    for parent in child.parents:
        spans: list[tuple[dt.date, dt.date | None]] = [(p.start, p.end) for p in parent.away]
        spans += [(c.start, c.end) for c in parent.conditions]
        for start, end in spans:
            for d in (start, end + one if end else None):
                if d is not None and first < d <= last:
                    days.add(d)
    for years in (16, 18):
        try:
            b = child.birth_date.replace(year=child.birth_date.year + years)
        except ValueError:
            b = dt.date(child.birth_date.year + years, 3, 1)
        if first < b <= last:
            days.add(b)
    return sorted(days)


def _clip_spans(
    spans: tuple[tuple[dt.date, dt.date], ...] | None, first: dt.date, last: dt.date
) -> tuple[tuple[dt.date, dt.date], ...] | None:
    if spans is None:
        return None
    return tuple((max(a, first), min(b, last)) for a, b in spans if a <= last and b >= first)


def care_pairs(
    pairings: Iterable[Pairing],
    children: Iterable[Child] | Mapping[str, Child],
    term: Term,
    *,
    households: Mapping[str, Household] | None = None,
    boardings: Iterable[Boarding] = (),
) -> tuple[CarePair, ...]:
    """The pairs of ``term`` with the cadence's relaxations applied.

    ``boardings``: the boarding records; a pair whose child boards in ``term``
    gets the boarding spans (:func:`liushou_core.boarding.boarding_spans`), so
    the rules for boarders (``BOARDER_CONTACT``) apply while the child boards.

    A pairing of another term is left out. A child who is left-behind when
    the pair starts and stops being so (a parent comes home for good, the
    child turns 16) drops out of the cadence from that day. A parent call is
    due only while a parent works away. A child the store does not hold is
    kept without relaxations.
    """
    by_id = children if isinstance(children, Mapping) else {c.id: c for c in children}
    hh = households or {}
    boards = boarding_spans(boardings, term)
    out = []
    one = dt.timedelta(days=1)
    for p in pairings:
        if p.term_id != term.id:
            continue
        first = max(p.start or term.first_day, term.first_day)
        last = min(p.end or term.last_day, term.last_day)
        child = by_id.get(p.child_id)
        board = _clip_spans(boards.get(p.child_id), first, last)
        if child is None or first > last:
            out.append(
                CarePair(p.id, p.school_id, p.mentor_id, p.child_id, first, last, None, board)
            )
            continue
        household = hh.get(child.household_id or "")
        was_lb = None
        for day in _change_days(child, first, last):
            lb = Category.LEFT_BEHIND in classify(child, on=day, household=household).categories
            if was_lb is None:
                was_lb = lb
            elif was_lb and not lb:
                last = day - one
                break
        away = _away_spans(child, first, last) if child.parents else None
        board = _clip_spans(boards.get(p.child_id), first, last)
        out.append(CarePair(p.id, p.school_id, p.mentor_id, p.child_id, first, last, away, board))
    return tuple(out)


# --------------------------------------------------------------------------- plan


@attrs.frozen
class Obligation:
    """``needed`` contacts of ``rule`` due from one subject within one window."""

    rule: CadenceRule
    school_id: str
    subject: Subject
    start: dt.date
    end: dt.date
    needed: int
    mentor_id: str | None = None
    child_id: str | None = None


@attrs.frozen
class PlannedContact:
    """A planned contact: its stable ``uid`` survives re-planning and re-exports."""

    uid: str
    school_id: str
    rule_code: str
    kind: str
    title: str
    date: dt.date
    mentor_ids: tuple[str, ...]
    child_ids: tuple[str, ...]
    subject: Subject
    window_start: dt.date
    window_end: dt.date
    minutes: int = 30

    def to_event(self) -> ContactEvent | None:
        """The planned contact as a ``planned=True`` :class:`ContactEvent` (none for checks)."""
        if self.kind not in ContactKind._value2member_map_:
            return None
        return ContactEvent(
            id=f"plan-{self.uid.split('@')[0]}",
            school_id=self.school_id,
            kind=ContactKind(self.kind),
            date=self.date,
            child_ids=self.child_ids,
            staff_ids=self.mentor_ids,
            minutes=self.minutes,
            planned=True,
        )


@attrs.frozen
class Unmet:
    """An obligation the plan cannot meet, and why."""

    obligation: Obligation
    planned: int
    message: Message


@attrs.frozen
class Plan:
    """A term's plan: what is due (``obligations``), when (``contacts``), what cannot be."""

    calendar: SchoolCalendar
    rules: tuple[CadenceRule, ...]
    pairs: tuple[CarePair, ...]
    obligations: tuple[Obligation, ...]
    contacts: tuple[PlannedContact, ...]
    unmet: tuple[Unmet, ...]
    daily_limit: int
    due_soon_days: int
    escalation: tuple[Escalation, ...]

    @property
    def term(self) -> Term:
        return self.calendar.term

    def mentors(self) -> tuple[str, ...]:
        """Every mentor with a planned contact, sorted."""
        return tuple(sorted({m for c in self.contacts for m in c.mentor_ids}))

    def by_mentor(self) -> dict[str, list[PlannedContact]]:
        """The planned contacts of each mentor, in date order."""
        out: dict[str, list[PlannedContact]] = defaultdict(list)
        for c in self.contacts:
            for m in c.mentor_ids:
                out[m].append(c)
        return {m: sorted(cs, key=lambda c: (c.date, c.uid)) for m, cs in sorted(out.items())}


def _uid(*parts: object) -> str:
    digest = hashlib.sha1("|".join(map(str, parts)).encode(), usedforsecurity=False)
    return f"{digest.hexdigest()[:24]}@liushou"


def _months(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    day = first
    while day <= last:
        nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        out.append((day, min(nxt - dt.timedelta(days=1), last)))
        day = nxt
    return out


def _windows(
    rule: CadenceRule, first: dt.date, last: dt.date, term: Term
) -> list[tuple[dt.date, dt.date]]:
    if rule.window is Window.MONTH:
        return _months(first, last)
    if rule.window is Window.FORTNIGHT:
        step = dt.timedelta(days=14)
        out = []
        day = first
        while day <= last:
            out.append((day, min(day + step - dt.timedelta(days=1), last)))
            day += step
        return out
    if rule.window is Window.YEAR and term.semester is not Semester.AUTUMN:
        return []
    return [(first, last)]


def _clip_away(
    windows: list[tuple[dt.date, dt.date]], away: tuple[tuple[dt.date, dt.date], ...] | None
) -> list[tuple[dt.date, dt.date]]:
    if away is None:
        return windows
    out = []
    for a, b in windows:
        parts = [(max(a, x), min(b, y)) for x, y in away if x <= b and y >= a]
        if parts:
            out.append((parts[0][0], parts[-1][1]))
    return out


class _Planner:
    def __init__(self, cal: SchoolCalendar, limit: int) -> None:
        self.days = cal.open_days
        self.weekdays = [d.weekday() for d in self.days]
        self.limit = limit
        self.load: dict[str, list[int]] = {}
        self.weekday_load: dict[str, list[int]] = {}

    def slots(self, a: dt.date, b: dt.date) -> tuple[int, int]:
        return bisect.bisect_left(self.days, a), bisect.bisect_right(self.days, b)

    def _loads(self, mentors: Sequence[str]) -> tuple[list[int], list[int]]:
        """The day and weekday loads of ``mentors`` (the busiest of them, for several)."""
        for m in mentors:
            if m not in self.load:
                self.load[m] = [0] * len(self.days)
                self.weekday_load[m] = [0] * 7
        if len(mentors) == 1:
            return self.load[mentors[0]], self.weekday_load[mentors[0]]
        days = [max(col) for col in zip(*(self.load[m] for m in mentors), strict=True)]
        week = [max(col) for col in zip(*(self.weekday_load[m] for m in mentors), strict=True)]
        return days, week

    def pick(
        self, mentors: Sequence[str], lo: int, hi: int, n: int, phase: float = 0.5
    ) -> list[dt.date]:
        """Up to ``n`` distinct days in ``days[lo:hi]``, evenly spread, under the limit.

        The k-th contact aims at ``(k + phase) / n`` of the window; ``phase``
        (stable per subject and rule) staggers different pairs' contacts. Near
        the aim (two open days either side) the mentor's lightest day wins, a
        weekday before a make-up Saturday, then the lightest weekday.
        """
        chosen: list[dt.date] = []
        used: set[int] = set()
        size = hi - lo
        if size <= 0 or n <= 0:
            return chosen
        load, week = self._loads(mentors)
        weekdays, limit = self.weekdays, self.limit
        for k in range(n):
            ideal = lo + int((k + phase) * size / n)
            best: tuple[int, bool, int, int, int] | None = None
            for off in range(size):
                for i in (ideal - off, ideal + off) if off else (ideal,):
                    if not lo <= i < hi or i in used or load[i] >= limit:
                        continue
                    wd = weekdays[i]
                    key = (load[i], wd >= 5, week[wd], off, i)
                    if best is None or key < best:
                        best = key
                if best is not None and off >= 2:
                    break
            if best is None:
                break
            i = best[4]
            used.add(i)
            for m in mentors:
                self.load[m][i] += 1
                self.weekday_load[m][weekdays[i]] += 1
            if len(mentors) > 1:  # refresh the busiest-of view
                load, week = self._loads(mentors)
            chosen.append(self.days[i])
        return sorted(chosen)


def _unmet_message(ob: Obligation, planned: int, open_days: int, limit: int) -> Message:
    params: dict[str, str | int] = {
        "rule": ob.rule.title,
        "needed": ob.needed,
        "planned": planned,
        "start": ob.start.isoformat(),
        "end": ob.end.isoformat(),
    }
    if open_days < ob.needed:
        return Message(
            "CADENCE_NO_ROOM",
            N_(
                "{rule}: {needed} due from {start} to {end}, but the school is open "
                "on only {days} days then; {planned} planned"
            ),
            {**params, "days": open_days},
        )
    return Message(
        "CADENCE_MENTOR_FULL",
        N_(
            "{rule}: {needed} due from {start} to {end}, but the mentor's days are full "
            "(at most {limit} contacts a day); {planned} planned"
        ),
        {**params, "limit": limit},
    )


def plan(
    term: Term | SchoolCalendar,
    pairs: Iterable[CarePair | Pairing],
    policy: CadencePolicy = DEFAULT_POLICY,
) -> Plan:
    """The planned contacts of a term, on the school's open days only.

    ``term`` is a :class:`Term` (the national calendar is used) or a
    :class:`SchoolCalendar` with the school's own closed days. ``pairs``
    are :class:`CarePair` objects (see :func:`care_pairs`) or bare
    :class:`Pairing` records. School rules (the monthly meeting) are planned
    once per school and month for all its mentors; pair rules per pair. Each
    contact falls near its even share of the window, on the lightest day of
    the mentor's week, never above ``policy.daily_limit`` contacts a day;
    an obligation that cannot be met is listed in :attr:`Plan.unmet`.
    """
    cal = term if isinstance(term, SchoolCalendar) else school_calendar(term)
    t = cal.term
    on = t.first_day
    rules = policy.rules_on(on)
    limit = policy.daily_limit.at(on)
    care = tuple(p if isinstance(p, CarePair) else CarePair.of(p) for p in pairs)
    planner = _Planner(cal, limit)
    term_id = t.id
    obligations: list[Obligation] = []
    contacts: list[PlannedContact] = []
    unmet: list[Unmet] = []

    def lay(ob: Obligation, mentors: tuple[str, ...], child_ids: tuple[str, ...]) -> None:
        lo, hi = planner.slots(ob.start, ob.end)
        phase = (zlib.crc32(f"{ob.subject.id}|{ob.rule.code}".encode()) % 1000) / 1000
        days = planner.pick(mentors, lo, hi, ob.needed, phase)
        for k, day in enumerate(days):
            contacts.append(
                PlannedContact(
                    _uid(term_id, ob.school_id, ob.rule.code, ob.subject.id, ob.start, k),
                    ob.school_id,
                    ob.rule.code,
                    ob.rule.kind,
                    ob.rule.title,
                    day,
                    mentors,
                    child_ids,
                    ob.subject,
                    ob.start,
                    ob.end,
                    ob.rule.minutes,
                )
            )
        if len(days) < ob.needed:
            msg = _unmet_message(ob, len(days), hi - lo, limit)
            unmet.append(Unmet(ob, len(days), msg))

    by_school: dict[str, list[CarePair]] = defaultdict(list)
    for p in care:
        by_school[p.school_id].append(p)
    school_rules = [r for r in rules if r.scope is Scope.SCHOOL and r.minimum > 0]
    pair_rules = [r for r in rules if r.scope is Scope.PAIR and r.minimum > 0]
    for school_id, school_pairs in sorted(by_school.items()):
        mentors = tuple(sorted({p.mentor_id for p in school_pairs}))
        children = tuple(sorted({p.child_id for p in school_pairs}))
        for rule in school_rules:
            for a, b in _windows(rule, t.first_day, t.last_day, t):
                ob = Obligation(rule, school_id, Subject("school", school_id), a, b, rule.minimum)
                obligations.append(ob)
                lay(ob, mentors, children)
        requests: list[tuple[int, Obligation]] = []
        for p in school_pairs:
            first, last = (
                max(p.start or t.first_day, t.first_day),
                min(p.end or t.last_day, t.last_day),
            )
            if first > last:
                continue
            for rule in pair_rules:
                wins = _windows(rule, first, last, t)
                if rule.condition is Condition.PARENT_AWAY:
                    wins = _clip_away(wins, p.away)
                elif rule.condition is Condition.BOARDING:
                    wins = _clip_away(wins, p.boarding or ())
                for a, b in wins:
                    ob = Obligation(
                        rule,
                        school_id,
                        Subject("pairing", p.id),
                        a,
                        b,
                        rule.minimum,
                        mentor_id=p.mentor_id,
                        child_id=p.child_id,
                    )
                    obligations.append(ob)
                    lo, hi = planner.slots(a, b)
                    requests.append((hi - lo, ob))
        # the tightest windows first, so that they get their days
        requests.sort(key=lambda r: (r[0], r[1].start, r[1].subject.id, r[1].rule.code))
        for _, ob in requests:
            lay(ob, (ob.mentor_id or "",), (ob.child_id or "",))
    contacts.sort(key=lambda c: (c.school_id, c.date, c.uid))
    return Plan(
        cal,
        rules,
        care,
        tuple(obligations),
        tuple(contacts),
        tuple(unmet),
        limit,
        policy.due_soon_days.at(on),
        policy.escalation.at(on),
    )


# --------------------------------------------------------------------------- compliance


class State(StrEnum):
    """Where an obligation stands on a day."""

    DONE = N_("done")
    OPEN = N_("open")
    DUE_SOON = N_("due soon")
    OVERDUE = N_("overdue")
    NOT_YET = N_("not yet due")


@attrs.frozen
class Status:
    """An obligation (or a rule's days-since-last bound) on a day: done, due soon, overdue.

    ``since_last`` is ``True`` for the days-since-last bound of a rule, whose
    ``days_overdue`` counts from ``overdue_after_days``.
    """

    obligation: Obligation
    done: int
    state: State
    days_overdue: int = 0
    last: dt.date | None = None
    since_last: bool = False


class _Index:
    """Recorded contacts by (school, kind) and (school, child, kind), dates sorted."""

    def __init__(self, events: Iterable[ContactEvent | HealthCheck], on: dt.date) -> None:
        school: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
        child: dict[tuple[str, str, str], list[dt.date]] = defaultdict(list)
        for e in events:
            day = e.date
            if day > on:
                continue
            if type(e) is not ContactEvent:
                if isinstance(e, HealthCheck):
                    child[e.school_id, e.child_id, HEALTH_CHECK].append(day)
                    continue
                if not isinstance(e, ContactEvent):
                    continue
            if e.planned:
                continue
            kind: str = e.kind  # a StrEnum: hashes and compares as its value
            sid = e.school_id
            school[sid, kind].append(day)
            for c in e.child_ids:
                child[sid, c, kind].append(day)
        for lst in (*school.values(), *child.values()):
            lst.sort()
        self.school = school
        self.child = child

    def dates(self, ob: Obligation) -> list[dt.date]:
        if ob.child_id is None:
            return self.school.get((ob.school_id, ob.rule.kind), [])
        return self.child.get((ob.school_id, ob.child_id, ob.rule.kind), [])


def _count(dates: list[dt.date], a: dt.date, b: dt.date) -> int:
    return bisect.bisect_right(dates, b) - bisect.bisect_left(dates, a)


def assess(
    events: Iterable[ContactEvent | HealthCheck], plan: Plan, *, on: dt.date
) -> tuple[Status, ...]:
    """Every obligation of ``plan`` on ``on``, and every days-since-last bound.

    A recorded contact counts for a pair when it is of the rule's kind and
    names the pair's child (whoever else took part); for a school rule when it
    is of the rule's kind at that school. Planned (``planned=True``) contacts
    and contacts after ``on`` do not count.
    """
    index = _Index(events, on)
    soon = plan.due_soon_days
    year = dt.timedelta(days=365)
    out: list[Status] = []
    for ob in plan.obligations:
        if on < ob.start:
            out.append(Status(ob, 0, State.NOT_YET))
            continue
        dates = index.dates(ob)
        a = ob.end - year + dt.timedelta(days=1) if ob.rule.window is Window.YEAR else ob.start
        done = _count(dates, a, ob.end)
        if done >= ob.needed:
            state, late = State.DONE, 0
        elif on > ob.end:
            state, late = State.OVERDUE, (on - ob.end).days
        elif (ob.end - on).days <= soon:
            state, late = State.DUE_SOON, 0
        else:
            state, late = State.OPEN, 0
        out.append(Status(ob, done, state, late))
    # days since the last contact, per pair (or school) and rule
    seen: set[tuple[str, str]] = set()
    spans: dict[str, tuple[dt.date, dt.date]] = {}
    away: dict[str, tuple[tuple[dt.date, dt.date], ...] | None] = {}
    board: dict[str, tuple[tuple[dt.date, dt.date], ...]] = {}
    for p in plan.pairs:
        board[p.id] = p.boarding or ()
        spans[p.id] = (
            max(p.start or plan.term.first_day, plan.term.first_day),
            min(p.end or plan.term.last_day, plan.term.last_day),
        )
        away[p.id] = p.away
    for ob in plan.obligations:
        rule = ob.rule
        if rule.overdue_after_days is None and rule.warn_after_days is None:
            continue
        key = (ob.subject.id, rule.code)
        if key in seen:
            continue
        seen.add(key)
        first, last = spans.get(ob.subject.id, (plan.term.first_day, plan.term.last_day))
        if on < first:
            continue
        upto = min(on, last)
        if rule.condition is Condition.PARENT_AWAY and away.get(ob.subject.id) is not None:
            # the clock runs only while a parent is away, from the day they left
            span = [a for a, b in away[ob.subject.id] or () if a <= upto <= b]
            if not span:
                continue
            first = max(first, span[0])
        elif rule.condition is Condition.BOARDING:
            # the clock runs only while the child boards, from the day boarding began
            boarded = [a for a, b in board.get(ob.subject.id, ()) if a <= upto <= b]
            if not boarded:
                continue
            first = max(first, boarded[0])
        dates = index.dates(ob)
        i = bisect.bisect_right(dates, upto)
        recorded = dates[i - 1] if i else None
        ref = max(recorded, first) if recorded else first
        days = (upto - ref).days
        whole = attrs.evolve(ob, start=first, end=last)
        if rule.overdue_after_days is not None and days >= rule.overdue_after_days:
            late = days - rule.overdue_after_days
            out.append(Status(whole, i, State.OVERDUE, late, recorded, since_last=True))
        elif rule.warn_after_days is not None and days >= rule.warn_after_days:
            out.append(Status(whole, i, State.DUE_SOON, 0, recorded, since_last=True))
    return tuple(out)


def _params(s: Status, on: dt.date) -> dict[str, str | int]:
    ob = s.obligation
    return {
        "rule": ob.rule.title,
        "done": s.done,
        "needed": ob.needed,
        "start": ob.start.isoformat(),
        "end": ob.end.isoformat(),
        "days": s.days_overdue,
        "last": s.last.isoformat() if s.last else "-",
        "since": (on - s.last).days if s.last else 0,
        "who": ob.child_id or ob.school_id,
        "mentor": ob.mentor_id or "-",
    }


def _finding(s: Status, on: dt.date) -> Finding:
    ob = s.obligation
    p = _params(s, on)
    code = f"CADENCE_{ob.rule.code}"
    fix = Message(
        "CADENCE_FIX",
        N_("Hold the {rule} and record it, or note why it could not take place."),
        {"rule": ob.rule.title},
    )
    if s.since_last and s.state is State.OVERDUE:
        msg = Message(
            f"{code}_SINCE_LAST",
            N_(
                "{rule} for {who}: the last was on {last}; overdue by {days} days (mentor {mentor})"
            ),
            p,
        )
        return Finding(f"{code}_SINCE_LAST", Severity.ERROR, ob.school_id, ob.subject, on, msg, fix)
    if s.since_last:
        msg = Message(
            f"{code}_SINCE_LAST_WARN",
            N_("{rule} for {who}: the last was on {last}; one is due soon (mentor {mentor})"),
            p,
        )
        return Finding(
            f"{code}_SINCE_LAST_WARN", Severity.WARNING, ob.school_id, ob.subject, on, msg, fix
        )
    if s.state is State.OVERDUE:
        msg = Message(
            f"{code}_OVERDUE",
            N_(
                "{rule} for {who}: {done} of {needed} held from {start} to {end}; "
                "overdue by {days} days (mentor {mentor})"
            ),
            p,
        )
        return Finding(f"{code}_OVERDUE", Severity.ERROR, ob.school_id, ob.subject, on, msg, fix)
    msg = Message(
        f"{code}_DUE_SOON",
        N_("{rule} for {who}: {done} of {needed} held so far; due by {end} (mentor {mentor})"),
        p,
    )
    return Finding(f"{code}_DUE_SOON", Severity.WARNING, ob.school_id, ob.subject, on, msg, fix)


def _summary(kind: str, id: str, school_id: str, tally: list[int], on: dt.date) -> Finding:
    done, due, soon, late = tally
    params: dict[str, str | int] = {"who": id, "done": done, "due": due, "soon": soon, "late": late}
    texts = {
        "teacher": N_(
            "Mentor {who}: {done} of {due} contacts due so far held; {soon} due soon, "
            "{late} overdue"
        ),
        "child": N_(
            "Child {who}: {done} of {due} contacts due so far held; {soon} due soon, {late} overdue"
        ),
        "school": N_(
            "School {who}: {done} of {due} contacts due so far held; {soon} due soon, "
            "{late} overdue"
        ),
    }
    code = f"CADENCE_{kind.upper()}_SUMMARY"
    severity = Severity.INFO
    return Finding(
        code, severity, school_id, Subject(kind, id), on, Message(code, texts[kind], params)
    )


def compliance(
    events: Iterable[ContactEvent | HealthCheck], plan: Plan, *, on: dt.date
) -> list[Finding]:
    """Who is overdue on ``on``, as findings with stable codes.

    * ``CADENCE_<RULE>_OVERDUE`` (error): a window ended with too few contacts;
      the message says how many and by how many days;
    * ``CADENCE_<RULE>_DUE_SOON`` (warning): a window ends within
      ``due_soon_days`` with contacts still missing;
    * ``CADENCE_<RULE>_SINCE_LAST`` (error) and ``..._SINCE_LAST_WARN``
      (warning): the days since the last contact passed the rule's bounds;
    * ``CADENCE_<RULE>_UNPLANNABLE`` (warning): the plan could not meet it;
    * ``CADENCE_TEACHER_SUMMARY``, ``CADENCE_CHILD_SUMMARY``,
      ``CADENCE_SCHOOL_SUMMARY`` (info): done, due soon and overdue counts per
      mentor, child and school.

    Pure: the same events, plan and day give the same findings, in a stable order.
    """
    statuses = assess(events, plan, on=on)
    findings: list[Finding] = []
    tallies: dict[tuple[str, str, str], list[int]] = {}
    overdue, due_soon, not_yet, open_ = State.OVERDUE, State.DUE_SOON, State.NOT_YET, State.OPEN
    for s in statuses:
        state = s.state
        if state is overdue or state is due_soon:
            findings.append(_finding(s, on))
        if s.since_last or state is not_yet:
            continue
        ob = s.obligation
        needed, done = ob.needed, s.done
        add = (
            done if done < needed else needed,
            0 if state is open_ else needed,
            needed - done if state is due_soon else 0,
            needed - done if state is overdue else 0,
        )
        sid = ob.school_id
        for key in (
            ("school", sid, sid),
            ("teacher", ob.mentor_id, sid) if ob.mentor_id else None,
            ("child", ob.child_id, sid) if ob.child_id else None,
        ):
            if key is None:
                continue
            t = tallies.get(key)
            if t is None:
                tallies[key] = list(add)
            else:
                t[0] += add[0]
                t[1] += add[1]
                t[2] += add[2]
                t[3] += add[3]
    for u in plan.unmet:
        ob = u.obligation
        code = f"CADENCE_{ob.rule.code}_UNPLANNABLE"
        findings.append(Finding(code, Severity.WARNING, ob.school_id, ob.subject, on, u.message))
    for (kind, id, school_id), tally in tallies.items():
        findings.append(_summary(kind, id, school_id, tally, on))
    findings.sort(
        key=lambda f: (f.school_id, f.subject.kind, f.subject.id, f.code, f.message.params)
    )
    return findings


def escalations(
    events: Iterable[ContactEvent | HealthCheck], plan: Plan, *, on: dt.date
) -> list[Event]:
    """``contact.overdue`` events for every overdue obligation on ``on``.

    Each names the level the delay has reached (``mentor``, then ``class
    teacher``, then ``principal``, from the policy's escalation thresholds),
    the rule, the days overdue, the mentor and the child. The services emit
    them through ``liushou_on_event`` for the notifiers.
    """
    levels = sorted(plan.escalation, key=lambda e: e.after_days)
    out = []
    for s in assess(events, plan, on=on):
        if s.state is not State.OVERDUE:
            continue
        reached = [e for e in levels if s.days_overdue >= e.after_days]
        if not reached:
            continue
        ob = s.obligation
        data: dict[str, str] = {
            "rule": ob.rule.code,
            "kind": ob.rule.kind,
            "contact_kind": ob.rule.kind,  # what the notices' templates name
            "level": reached[-1].level,
            "days_overdue": str(s.days_overdue),
            "due": ob.end.isoformat(),
        }
        if ob.mentor_id:
            data["mentor_id"] = ob.mentor_id
        if ob.child_id:
            data["child_id"] = ob.child_id
        if s.since_last:
            data["since_last"] = "true"
        out.append(
            Event(
                "contact.overdue",
                ob.school_id,
                ob.subject.kind,
                ob.subject.id,
                on,
                actor="system:cadence",
                data=tuple(sorted(data.items())),
            )
        )
    out.sort(key=lambda e: (e.school_id, e.subject_id, e.data))
    return out


def check_records(
    records: Iterable[Any],
    term: Term | SchoolCalendar,
    policy: CadencePolicy = DEFAULT_POLICY,
    *,
    on: dt.date,
) -> list[Finding]:
    """Compliance straight from a bundle of records (any mix of record types).

    Picks the :class:`Pairing`, :class:`Child`, :class:`Household`,
    :class:`ContactEvent` and :class:`HealthCheck` records out of ``records``,
    builds the term's pairs and plan, and returns :func:`compliance` on ``on``.
    """
    cal = term if isinstance(term, SchoolCalendar) else school_calendar(term)
    pairings: list[Pairing] = []
    children: dict[str, Child] = {}
    households: dict[str, Household] = {}
    events: list[ContactEvent | HealthCheck] = []
    for r in records:
        if isinstance(r, Pairing):
            pairings.append(r)
        elif isinstance(r, Child):
            children[r.id] = r
        elif isinstance(r, Household):
            households[r.id] = r
        elif isinstance(r, ContactEvent | HealthCheck):
            events.append(r)
    pairs = care_pairs(pairings, children, cal.term, households=households)
    return compliance(events, plan(cal, pairs, policy), on=on)
