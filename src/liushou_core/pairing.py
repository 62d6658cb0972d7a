"""Mentor pairing (结对帮扶): who needs a mentor, and an optimal, explained plan.

Three steps, each a pure function with its reasons as :class:`~liushou_core.i18n.Message`:

1. :func:`need` scores a child's priority from the record (both parents away, no
   capable guardian, household in difficulty, psychological or behaviour
   attention, boarding, recent incidents), each point with its reason.
2. :func:`nominate` lets each class nominate its highest-priority left-behind
   children, within the class quota (4-5 by default), or every left-behind child
   when the school's rules say so.
3. :func:`pair` pairs the nominated children with mentors (teachers and
   volunteer proxy parents) and returns a :class:`PairingPlan`.

The plan is **optimal** in this order: pairs kept from last term (``previous``)
where still allowed; then as many children paired as capacity allows; among
those, higher priority first (lexicographically by priority score); then the
fewest mentors below the minimum load; then the minimum total cost of the soft
preferences. The same input always gives the same plan.

The solver is an exact min-cost flow in pure Python (successive shortest paths
with Dijkstra and node potentials, integer costs). Children and mentors are
grouped into *types*: two children of a school with the same class, grade,
village, girl-from-10 flag, last-term mentor and individual exclusions cost the
same with every mentor, and so do two mentors with the same classes, grades,
village, sex and kind. The flow runs over types, which keeps it small.

Mentors below the minimum load are handled by closing, and solving again
without, every group of mentors whose load falls below the minimum, as long as
that pairs the same children by priority; what remains is reported. This step
is a heuristic: the number paired and, for the mentors kept open, the cost are
exact optima.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypeAlias

import attrs

from liushou_core.classify import Category, age_on, classify
from liushou_core.dated import Dated
from liushou_core.i18n import N_, Message
from liushou_core.models import (
    CareAssessment,
    Child,
    Household,
    Incident,
    MentorKind,
    Pairing,
    ParentRole,
    SchoolClass,
    Sex,
    StaffRole,
    Teacher,
    Volunteer,
)

__all__ = [
    "DEFAULT_RULES",
    "Mentor",
    "MentorLoad",
    "Need",
    "Nomination",
    "Override",
    "Pair",
    "PairingPlan",
    "PairingRules",
    "PriorityPoints",
    "Unpaired",
    "Weights",
    "need",
    "nominate",
    "pair",
    "pair_cost",
]

Mentor: TypeAlias = Teacher | Volunteer

_D2016: Final = dt.date(2016, 2, 4)
_D2021: Final = dt.date(2021, 6, 1)
_SRC_SEED: Final = (
    "term work summary 2 (seed 000_43c59e929902f2aa): each class nominates 4-5 children, "
    "each teacher mentors 2-3"
)
_SRC_MPL: Final = "未成年人保护法 (2020 revision, in force 2021-06-01) art. 62"
_SRC_LIUSHOU: Final = "liushou default (a school sets its own)"

# ------------------------------------------------------------------------ rules


@attrs.frozen
class Weights:
    """Soft preferences: the cost of a pair grows by a weight for each one missed.

    A mentor who is the child's own class teacher misses neither class
    preference; a teacher of the class misses ``class_teacher``; anybody else
    misses both. Weights are a school's choice (defaults: liushou's).
    """

    class_teacher: int = 2  #: not the child's own class teacher
    teacher_of_class: int = 4  #: does not teach the child's class at all
    same_grade: int = 3  #: teaches no class of the child's grade
    same_village: int = 2  #: lives in another village (home visits are harder)
    female_mentor: int = 4  #: a male mentor for a girl from the age in the rules
    continuity: int = 5  #: not the child's mentor of last term

    def __attrs_post_init__(self) -> None:
        for a in attrs.fields(Weights):
            if getattr(self, a.name) < 0:
                raise ValueError(f"weight {a.name} must not be negative")


#: Preference names, in the order of :class:`Weights`, with their labels.
PREFERENCES: Final[dict[str, str]] = {
    "class_teacher": N_("own class teacher"),
    "teacher_of_class": N_("a teacher of the class"),
    "same_grade": N_("same grade"),
    "same_village": N_("same village"),
    "female_mentor": N_("female mentor for a girl"),
    "continuity": N_("last term's mentor"),
}


@attrs.frozen
class PriorityPoints:
    """Points of the priority score, one reason each (defaults: liushou's)."""

    both_parents_away: int = 3
    no_capable_guardian: int = 3
    household_difficulty: int = 2
    psychological: int = 2
    behaviour: int = 2
    boarding: int = 1
    incident: int = 1  #: per incident in the last year ...
    incident_max: int = 3  #: ... up to this many points


@attrs.frozen
class Override:
    """A school's manual decision about one pair: pinned or forbidden, with its note."""

    child_id: str
    mentor_id: str
    note: str = ""


@attrs.frozen
class PairingRules:
    """A school's pairing rules: dated policy figures, preferences and overrides.

    Capacities and quotas are :class:`~liushou_core.dated.Dated` policy data
    with their source; change one for a county with ``Dated.with_change``.
    """

    #: A mentor takes at least this many children (when taking any) ...
    min_load: Dated[int] = Dated.since(_D2016, 2, _SRC_SEED)
    #: ... and never more than this many.
    max_load: Dated[int] = Dated.since(_D2016, 3, _SRC_SEED)
    #: A class nominates at least this many of its left-behind children (if it has them) ...
    quota_min: Dated[int] = Dated.since(_D2016, 4, _SRC_SEED)
    #: ... and up to this many, the ones beyond ``quota_min`` with at least ``extra_score``.
    quota_max: Dated[int] = Dated.since(_D2016, 5, _SRC_SEED)
    extra_score: Dated[int] = Dated.since(_D2016, 4, _SRC_LIUSHOU)
    #: A volunteer needs a cleared criminal-record check before contact with minors.
    volunteer_check: Dated[bool] = Dated.since(_D2021, True, _SRC_MPL)
    #: Girls from this age prefer a female mentor.
    female_mentor_age: Dated[int] = Dated.since(_D2016, 10, _SRC_LIUSHOU)
    #: Nominate every left-behind child, not only the class quota.
    pair_all_left_behind: bool = False
    #: Keep last term's pairs that are still allowed (stable re-pairing).
    keep_previous: bool = True
    weights: Weights = Weights()
    points: PriorityPoints = PriorityPoints()
    pins: tuple[Override, ...] = ()
    forbids: tuple[Override, ...] = ()


#: liushou's default rules.
DEFAULT_RULES: Final = PairingRules()


@attrs.frozen
class _Resolved:
    """The rules' figures in force on a day."""

    min_load: int
    max_load: int
    volunteer_check: bool
    female_age: int

    @classmethod
    def of(cls, rules: PairingRules, on: dt.date) -> _Resolved:
        lo, hi = rules.min_load.at(on), rules.max_load.at(on)
        if hi < 1 or lo < 0 or lo > hi:
            raise ValueError(f"mentor loads must satisfy 0 <= min <= max, max >= 1; got {lo}, {hi}")
        return cls(lo, hi, rules.volunteer_check.at(on), rules.female_mentor_age.at(on))


# ------------------------------------------------------------------------ priority


@attrs.frozen
class Need:
    """A child's priority for a mentor on a day, with the reason of every point."""

    child: Child
    on: dt.date
    score: int
    reasons: tuple[Message, ...]
    #: left-behind or de-facto unsupported on ``on``: a candidate for nomination
    candidate: bool = True

    @property
    def age(self) -> int:
        return age_on(self.child.birth_date, self.on)

    def explain(self, lang: str = "zh") -> list[str]:
        return [r.render(lang) for r in self.reasons]


def need(
    child: Child,
    *,
    on: dt.date,
    household: Household | None = None,
    incidents: Iterable[Incident] = (),
    rules: PairingRules = DEFAULT_RULES,
) -> Need:
    """The priority score of ``child`` on ``on``, each point with its reason."""
    pts = rules.points
    reasons: list[Message] = []
    score = 0

    def add(points: int, msg: Message) -> None:
        nonlocal score
        if points:
            score += points
            reasons.append(attrs.evolve(msg, params=(*msg.params, ("points", points))))

    father, mother = child.parent(ParentRole.FATHER), child.parent(ParentRole.MOTHER)
    if father and mother and father.away_on(on) and mother.away_on(on):
        add(
            pts.both_parents_away,
            Message("PRI_BOTH_AWAY", N_("Both parents are working away (+{points}).")),
        )
    carers = [
        g
        for g in child.guardians
        if g.lives_with_child
        and not g.disqualifications
        and g.capacity not in (CareAssessment.NONE, CareAssessment.INSUFFICIENT)
    ]
    if not carers:
        add(
            pts.no_capable_guardian,
            Message(
                "PRI_NO_GUARDIAN",
                N_("No capable guardian lives with the child (+{points})."),
            ),
        )
    if household is not None and household.categories:
        add(
            pts.household_difficulty,
            Message(
                "PRI_HOUSEHOLD",
                N_("The household is in difficulty: {category} (+{points})."),
                {"category": household.categories[0].value},
            ),
        )
    if child.psychological_flag:
        add(
            pts.psychological,
            Message("PRI_PSYCH", N_("Needs psychological attention (+{points}).")),
        )
    if child.behaviour_flag:
        add(pts.behaviour, Message("PRI_BEHAVIOUR", N_("Needs behaviour attention (+{points}).")))
    if child.boarding:
        add(pts.boarding, Message("PRI_BOARDING", N_("Boards at school (+{points}).")))
    year_ago = on - dt.timedelta(days=365)
    recent = sum(1 for i in incidents if child.id in i.child_ids and year_ago < i.occurred_on <= on)
    if recent:
        add(
            min(recent * pts.incident, pts.incident_max),
            Message(
                "PRI_INCIDENTS",
                N_("{count} incident(s) in the last year (+{points})."),
                {"count": recent},
            ),
        )
    result = classify(child, on=on, household=household)
    candidate = result.has(Category.LEFT_BEHIND) or result.has(Category.DE_FACTO_UNSUPPORTED)
    return Need(child, on, score, tuple(reasons), candidate)


@attrs.frozen
class Nomination:
    """The children each class nominates for a mentor, and those passed over."""

    nominated: tuple[Need, ...]
    #: (need, reason) of left-behind children the class quota left out
    passed_over: tuple[tuple[Need, Message], ...]


def _rank(n: Need) -> tuple[int, str]:
    return (-n.score, n.child.id)


def nominate(
    children: Iterable[Child],
    *,
    on: dt.date,
    households: Iterable[Household] | Mapping[str, Household] = (),
    incidents: Iterable[Incident] = (),
    rules: PairingRules = DEFAULT_RULES,
) -> Nomination:
    """Each class nominates its highest-priority left-behind children.

    A class takes its first ``quota_min`` candidates by priority (score, then
    record id), then more up to ``quota_max`` whose score reaches
    ``extra_score``. With ``pair_all_left_behind`` every candidate is nominated.
    """
    hh = households if isinstance(households, Mapping) else {h.id: h for h in households}
    events = list(incidents)
    by_class: dict[tuple[str, str], list[Need]] = defaultdict(list)
    for c in children:
        household = hh.get(c.household_id) if c.household_id else None
        n = need(c, on=on, household=household, incidents=events, rules=rules)
        if n.candidate:
            by_class[(c.school_id, c.class_id or "")].append(n)
    lo, hi, extra = rules.quota_min.at(on), rules.quota_max.at(on), rules.extra_score.at(on)
    chosen: list[Need] = []
    passed: list[tuple[Need, Message]] = []
    for key in sorted(by_class):
        ranked = sorted(by_class[key], key=_rank)
        if rules.pair_all_left_behind:
            chosen.extend(ranked)
            continue
        take = ranked[:lo] + [n for n in ranked[lo:hi] if n.score >= extra]
        chosen.extend(take)
        taken = {n.child.id for n in take}
        for n in ranked:
            if n.child.id not in taken:
                passed.append(
                    (
                        n,
                        Message(
                            "NOMINATE_QUOTA",
                            N_(
                                "Not nominated: class quota {low}-{high}, priority {score} "
                                "is below the class's nominees."
                            ),
                            {"low": lo, "high": hi, "score": n.score},
                        ),
                    )
                )
    chosen.sort(key=lambda n: (n.child.school_id, n.child.class_id or "", *_rank(n)))
    return Nomination(tuple(chosen), tuple(passed))


# ------------------------------------------------------------------------ plan


@attrs.frozen
class Pair:
    """A child paired with a mentor, the cost and why this mentor."""

    school_id: str
    child_id: str
    mentor_id: str
    mentor_kind: MentorKind
    cost: int
    #: (preference name, cost) of each preference missed
    breakdown: tuple[tuple[str, int], ...]
    reasons: tuple[Message, ...]
    pinned: bool = False
    kept: bool = False


@attrs.frozen
class Unpaired:
    """A child left without a mentor, with the reasons."""

    school_id: str
    child_id: str
    score: int
    reasons: tuple[Message, ...]


@attrs.frozen
class MentorLoad:
    """A mentor below the minimum load, with the reason."""

    school_id: str
    mentor_id: str
    load: int
    reasons: tuple[Message, ...]


@attrs.frozen
class PairingPlan:
    """The optimal plan: pairs, unpaired children, mentors below the minimum, the cost."""

    pairs: tuple[Pair, ...]
    unpaired: tuple[Unpaired, ...]
    below_minimum: tuple[MentorLoad, ...]
    cost: int
    #: total cost by preference name (see :data:`PREFERENCES`)
    breakdown: tuple[tuple[str, int], ...]
    #: pins that break a rule, pins or previous pairs that could not be used, ...
    warnings: tuple[Message, ...] = ()
    #: mentors who cannot be paired at all, with the reason
    excluded: tuple[tuple[str, Message], ...] = ()
    #: last term's pairs that end, with the reason
    ended: tuple[tuple[Pairing, Message], ...] = ()

    @property
    def paired(self) -> int:
        return len(self.pairs)

    def load(self) -> dict[str, int]:
        """Children per mentor id (mentors with at least one)."""
        out: dict[str, int] = defaultdict(int)
        for p in self.pairs:
            out[p.mentor_id] += 1
        return dict(out)

    def pairings(
        self, term_id: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[Pairing]:
        """The pairs as :class:`~liushou_core.models.Pairing` records of ``term_id``."""
        return [
            Pairing(
                id=f"{term_id}-{p.child_id}",
                school_id=p.school_id,
                term_id=term_id,
                child_id=p.child_id,
                mentor_id=p.mentor_id,
                mentor_kind=p.mentor_kind,
                start=start,
                end=end,
            )
            for p in self.pairs
        ]

    def summary(self) -> Message:
        return Message(
            "PLAN_SUMMARY",
            N_("{paired} children paired, {unpaired} unpaired; total cost {cost}."),
            {"paired": len(self.pairs), "unpaired": len(self.unpaired), "cost": self.cost},
        )

    def explain(self, lang: str = "zh") -> list[str]:
        """The summary, warnings and the reasons of unpaired children and mentors."""
        lines = [self.summary().render(lang)]
        lines += [w.render(lang) for w in self.warnings]
        lines += [m.render(lang) for _, m in self.excluded]
        for u in self.unpaired:
            lines += [f"{u.child_id}: {r.render(lang)}" for r in u.reasons]
        for b in self.below_minimum:
            lines += [f"{b.mentor_id}: {r.render(lang)}" for r in b.reasons]
        lines += [f"{p.child_id}: {m.render(lang)}" for p, m in self.ended]
        return lines


# ------------------------------------------------------------------------ facts


@attrs.frozen
class _C:
    """What the rules need of a child."""

    need: Need
    id: str
    school: str
    cls: str
    grade: int | None
    village: str
    girl: bool
    ids: frozenset[str]  # ID numbers and phones of parents and guardians


@attrs.frozen
class _M:
    """What the rules need of a mentor."""

    mentor: Mentor
    id: str
    school: str
    kind: MentorKind
    sex: Sex
    village: str
    classes: frozenset[str]
    ct: frozenset[str]  # classes whose class teacher this is
    grades: frozenset[int]
    related: frozenset[str]
    ids: frozenset[str]


def _child_facts(n: Need, grades: Mapping[str, int], female_age: int) -> _C:
    c = n.child
    ids: set[str] = set()
    for p in c.parents:
        ids.update(x for x in (p.id_number, p.phone) if x)
    for g in c.guardians:
        ids.update(x for x in (g.id_number, g.phone) if x)
    cls = c.class_id or ""
    return _C(
        n,
        c.id,
        c.school_id,
        cls,
        grades.get(cls),
        c.address.village,
        c.sex is Sex.FEMALE and n.age >= female_age,
        frozenset(ids),
    )


def _mentor_facts(m: Mentor, grades: Mapping[str, int], cts: Mapping[str, set[str]]) -> _M:
    ids = frozenset(x for x in (m.id_number, m.phone) if x)
    if isinstance(m, Teacher):
        classes = frozenset(m.class_ids)
        ct = set(cts.get(m.id, ()))
        if StaffRole.CLASS_TEACHER in m.roles:
            ct |= classes
        g = frozenset(grades[k] for k in classes if k in grades)
        return _M(
            m,
            m.id,
            m.school_id,
            MentorKind.TEACHER,
            m.sex,
            m.village,
            classes,
            frozenset(ct),
            g,
            frozenset(m.related_child_ids),
            ids,
        )
    return _M(
        m,
        m.id,
        m.school_id,
        MentorKind.VOLUNTEER,
        m.sex,
        m.village,
        frozenset(),
        frozenset(),
        frozenset(),
        frozenset(m.related_child_ids),
        ids,
    )


def _mentor_barred(m: _M, r: _Resolved, on: dt.date) -> Message | None:
    mentor = m.mentor
    if not mentor.active:
        return Message(
            "MENTOR_INACTIVE", N_("Mentor {mentor} is not active: not paired."), {"mentor": m.id}
        )
    if isinstance(mentor, Volunteer) and r.volunteer_check:
        check = mentor.record_check
        if check is None or not check.cleared or check.checked_on > on:
            return Message(
                "MENTOR_NO_CHECK",
                N_(
                    "Volunteer {mentor} has no cleared criminal-record check "
                    "(Minors Protection Law art. 62): not paired."
                ),
                {"mentor": m.id},
            )
    return None


def _pair_barred(c: _C, m: _M) -> Message | None:
    if c.school != m.school:
        return Message(
            "PAIR_OTHER_SCHOOL",
            N_("{mentor} belongs to another school than {child}."),
            {"mentor": m.id, "child": c.id},
        )
    if c.id in m.related or (c.ids & m.ids):
        return Message(
            "PAIR_RELATIVE",
            N_("{mentor} is a relative or guardian of {child}."),
            {"mentor": m.id, "child": c.id},
        )
    return None


def _breakdown(c: _C, m: _M, w: Weights, prev: str | None) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    if c.cls not in m.ct:
        out.append(("class_teacher", w.class_teacher))
        if c.cls not in m.classes:
            out.append(("teacher_of_class", w.teacher_of_class))
    if c.grade is None or c.grade not in m.grades:
        out.append(("same_grade", w.same_grade))
    if not c.village or c.village != m.village:
        out.append(("same_village", w.same_village))
    if c.girl and m.sex is Sex.MALE:
        out.append(("female_mentor", w.female_mentor))
    if prev is not None and prev != m.id:
        out.append(("continuity", w.continuity))
    return [(k, v) for k, v in out if v]


#: The hard rules by the code of their message, as a pin's warning names them.
_RULES: Final[dict[str, str]] = {
    "MENTOR_INACTIVE": N_("the mentor is not active"),
    "MENTOR_NO_CHECK": N_("the volunteer has no cleared criminal-record check"),
    "PAIR_OTHER_SCHOOL": N_("the mentor belongs to another school"),
    "PAIR_RELATIVE": N_("the mentor is a relative or guardian of the child"),
    "PAIR_FORBIDDEN": N_("the school forbids this pair"),
}

_MATCH_REASONS: Final[dict[str, Message]] = {
    "class_teacher": Message("MATCH_CLASS_TEACHER", N_("the child's own class teacher")),
    "teacher_of_class": Message("MATCH_TEACHES_CLASS", N_("teaches the child's class")),
    "same_grade": Message("MATCH_GRADE", N_("teaches the child's grade")),
    "same_village": Message("MATCH_VILLAGE", N_("lives in the child's village")),
    "female_mentor": Message("MATCH_FEMALE", N_("a female mentor for a girl")),
    "continuity": Message("MATCH_CONTINUITY", N_("the child's mentor last term")),
}


def pair_cost(
    child: Child | Need,
    mentor: Mentor,
    rules: PairingRules = DEFAULT_RULES,
    *,
    on: dt.date | None = None,
    classes: Iterable[SchoolClass] = (),
    previous_mentor: str | None = None,
) -> int | None:
    """The cost of one pair under ``rules``, or ``None`` when a hard rule forbids it.

    The per-pair cost :func:`pair` minimises (for reference solvers and tests).
    """
    n = _as_need(child, on)
    r = _Resolved.of(rules, n.on)
    grades = {k.id: k.grade for k in classes}
    cts: dict[str, set[str]] = defaultdict(set)
    for k in classes:
        if k.class_teacher_id:
            cts[k.class_teacher_id].add(k.id)
    c = _child_facts(n, grades, r.female_age)
    m = _mentor_facts(mentor, grades, cts)
    forbidden = {(o.child_id, o.mentor_id) for o in rules.forbids}
    if _mentor_barred(m, r, n.on) or _pair_barred(c, m) or (c.id, m.id) in forbidden:
        return None
    return sum(v for _, v in _breakdown(c, m, rules.weights, previous_mentor))


def _as_need(child: Child | Need, on: dt.date | None) -> Need:
    if isinstance(child, Need):
        return child if on is None or on == child.on else attrs.evolve(child, on=on)
    if on is None:
        raise ValueError("pass on= (the day of the pairing) when giving Child records, not Needs")
    return Need(child, on, 0, ())


# ------------------------------------------------------------------------ solver


class _Flow:
    """Exact min-cost flow on a bipartite transportation network.

    Supplies ``supply[a]`` at left nodes (child types), capacities ``cap[b]``
    at right nodes (mentor types), arc costs ``cost[a][b]`` (``None``: no arc)
    and a per-unit cost ``skip[a]`` of leaving a unit of ``a`` unpaired.
    Optionally the first ``lower[b]`` units into ``b`` each earn ``bonus`` (a
    soft lower bound, a convex cost). Successive shortest paths with Dijkstra
    and node potentials route every unit (paired or skipped) at minimum total
    cost; ties break by node index, so the result is deterministic.

    Sparse first, then proved: each left node starts with only its cheapest
    arcs (enough capacity for twice its supply). When everything is routed,
    every arc left out is checked against the potentials; an arc with a
    negative reduced cost joins, its node gives back its flow and raises its
    potential so that all its arcs have non-negative reduced costs again, and
    the flow is routed again. It ends when no arc left out could lower the
    cost: the reduced-cost optimality conditions hold on the whole network.
    """

    def __init__(
        self,
        supply: Sequence[int],
        cap: Sequence[int],
        cost: Sequence[Sequence[int | None]],
        skip: Sequence[int],
        lower: Sequence[int] | None = None,
        bonus: int = 0,
        order: list[list[int]] | None = None,
        used: list[int] | None = None,
    ) -> None:
        self.A, self.B = len(supply), len(cap)
        self.cost = cost
        self.skip = skip
        self.cap = list(cap)
        self.lower = list(lower) if lower is not None else [0] * self.B
        self.bonus = bonus
        self.flow: list[dict[int, int]] = [{} for _ in range(self.A)]  # a -> {b: units}
        self.into: list[dict[int, int]] = [{} for _ in range(self.B)]  # b -> {a: units}
        self.load = [0] * self.B
        self.skipped = [0] * self.A
        self.pot = [0] * (self.A + self.B + 1)
        self.pot[-1] = -bonus  # every arc into the sink has a non-negative reduced cost
        #: each left node's arcs, cheapest first (shared by copies)
        self.order = (
            order
            if order is not None
            else [
                sorted((b for b, c in enumerate(row) if c is not None), key=lambda b, r=row: r[b])  # type: ignore[misc]
                for row in cost
            ]
        )
        #: how many of ``order[a]`` are in use
        self.used = (
            used
            if used is not None
            else [self._prefix(a, 2 * supply[a] + 2) for a in range(self.A)]
        )
        self.rows = [self._row(a) for a in range(self.A)]
        self.supply = list(supply)
        self._route(list(supply))
        if self._prove():
            self.__init__(supply, cap, cost, skip, lower, bonus, self.order, self.used)  # type: ignore[misc]

    def _prefix(self, a: int, room: int) -> int:
        """The length of the prefix of ``order[a]`` with ``room`` capacity (ties included)."""
        row, cap, order = self.cost[a], self.cap, self.order[a]
        got, i, n = 0, 0, len(order)
        while i < n and got < room:
            got += cap[order[i]]
            i += 1
        if i:
            last = row[order[i - 1]]
            while i < n and row[order[i]] == last:
                i += 1
        return i

    def _row(self, a: int) -> list[tuple[int, int]]:
        row, cap, lower = self.cost[a], self.cap, self.lower
        order = self.order[a]
        out = [(b, c) for b in order[: self.used[a]] if cap[b] > 0 and (c := row[b]) is not None]
        if self.bonus:  # a bonus may make any arc into a node with a lower bound worth it
            out += [
                (b, c)
                for b in order[self.used[a] :]
                if lower[b] and cap[b] > 0 and (c := row[b]) is not None
            ]
        return out

    def _route(self, supply: list[int]) -> None:
        for a in range(self.A):
            while supply[a] > 0:
                supply[a] -= self._augment(a, supply[a])

    def _prove(self) -> bool:
        """Widen the arcs in use where one left out has a negative reduced cost.

        True if any was found (the flow must then be solved again from scratch
        with the wider arcs: a cold start); False proves the flow optimal.
        """
        A = self.A
        pot, cap, lower = self.pot, self.cap, self.lower
        found = False
        for a in range(A):
            order, row = self.order[a], self.cost[a]
            k = self.used[a]
            if k == len(order):
                continue
            pa = pot[a]
            worst = min(
                (row[b] - pot[A + b] for b in order[k:] if cap[b] > 0),  # type: ignore[operator]
                default=0,
            )
            if worst + pa >= 0:
                continue
            for i in range(len(order) - 1, k - 1, -1):
                b = order[i]
                c = row[b]
                assert c is not None
                if cap[b] > 0 and not (self.bonus and lower[b]) and c + pa - pot[A + b] < 0:
                    self.used[a] = i + 1
                    found = True
                    break
        return found

    def skip_total(self) -> int:
        return sum(self.skip[a] * self.skipped[a] for a in range(self.A))

    def copy(self) -> _Flow:
        other = object.__new__(_Flow)
        other.__dict__.update(self.__dict__)
        other.cap = list(self.cap)
        other.flow = [dict(f) for f in self.flow]
        other.into = [dict(f) for f in self.into]
        other.load = list(self.load)
        other.lower = list(self.lower)
        other.skipped = list(self.skipped)
        other.pot = list(self.pot)
        other.used = list(self.used)
        other.rows = list(self.rows)
        return other

    def close(self, nodes: Iterable[int]) -> _Flow:
        """A copy with all capacity taken from ``nodes``, rerouted: a new optimal flow.

        Warm start: the potentials are kept (taking flow off arcs whose reduced
        cost is zero keeps the optimality conditions), the flow of the closed
        nodes goes back to its left nodes and is routed again.
        """
        warm = self.copy()
        back = [0] * self.A
        closed = set(nodes)
        for b in closed:
            warm.cap[b] = 0
            warm.lower[b] = 0
            for a, units in warm.into[b].items():
                back[a] += units
                del warm.flow[a][b]
            warm.into[b] = {}
            warm.load[b] = 0
        warm.rows = [
            [(b, c) for b, c in row if b not in closed] if any(b in closed for b, _ in row) else row
            for row in warm.rows
        ]
        warm._route(back)
        if warm._prove():
            return _Flow(
                self.supply, warm.cap, self.cost, self.skip, warm.lower, self.bonus,
                self.order, warm.used,
            )  # fmt: skip
        return warm

    def _augment(self, s: int, amount: int) -> int:
        A, T = self.A, self.A + self.B
        pot, cost, rows, into, load, cap = (
            self.pot,
            self.cost,
            self.rows,
            self.into,
            self.load,
            self.cap,
        )
        skip = self.skip
        dist: dict[int, int] = {s: 0}
        pred: dict[int, int] = {}
        done: set[int] = set()
        heap: list[tuple[int, int]] = [(0, s)]
        pT = pot[T]
        while heap:
            d, u = heapq.heappop(heap)
            if u < 0:
                u = T
            if u in done:
                continue
            done.add(u)
            if u == T:
                break
            pu = pot[u] + d
            if u < A:  # a child type: its mentor types, or unpaired
                for b, c in rows[u]:
                    v = A + b
                    nd = c + pu - pot[v]
                    old = dist.get(v)
                    if old is None or nd < old:
                        dist[v] = nd
                        pred[v] = u
                        heapq.heappush(heap, (nd, v))
                nd = skip[u] + pu - pT
                old = dist.get(T)
                if old is None or nd < old:
                    dist[T] = nd
                    pred[T] = u
                    heapq.heappush(heap, (nd, -1))  # the sink first among ties
            else:
                b = u - A
                if load[b] < cap[b]:
                    nd = pu - pT - (self.bonus if load[b] < self.lower[b] else 0)
                    old = dist.get(T)
                    if old is None or nd < old:
                        dist[T] = nd
                        pred[T] = u
                        heapq.heappush(heap, (nd, -1))  # the sink first among ties
                for a in into[b]:
                    back = cost[a][b]
                    assert back is not None
                    nd = pu - back - pot[a]
                    old = dist.get(a)
                    if old is None or nd < old:
                        dist[a] = nd
                        pred[a] = u
                        heapq.heappush(heap, (nd, a))
        dT = dist[T]
        for v in done:
            d = dist[v]
            if d < dT:
                pot[v] += d - dT
        # (adding the constant -dT to every potential changes no reduced cost)
        path: list[int] = [T]
        while path[-1] != s:
            path.append(pred[path[-1]])
        path.reverse()
        delta = amount
        for u, v in itertools.pairwise(path):
            if u >= A and v == T:
                b = u - A
                top = self.lower[b] if load[b] < self.lower[b] else cap[b]
                delta = min(delta, top - load[b])
            elif u >= A:
                delta = min(delta, into[u - A][v])
        for u, v in itertools.pairwise(path):
            if u < A and v == T:
                self.skipped[u] += delta
            elif u < A:
                b = v - A
                self.flow[u][b] = self.flow[u].get(b, 0) + delta
                into[b][u] = into[b].get(u, 0) + delta
            elif v == T:
                load[u - A] += delta
            else:
                b = u - A
                self.flow[v][b] -= delta
                into[b][v] -= delta
                if not into[b][v]:
                    del self.flow[v][b]
                    del into[b][v]
        return delta


# ------------------------------------------------------------------------ pairing


def _spread(total: int, mentors: int, lo: int, hi: int) -> list[int]:
    """Loads for ``total`` children over at most ``mentors`` alike mentors.

    As few mentors below ``lo`` as possible: the fewest mentors that can take
    them all, with the children spread evenly.
    """
    if total <= 0:
        return []
    k = min(mentors, max(1, math.ceil(total / hi)))
    base, extra = divmod(total, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def pair(
    children: Iterable[Child | Need],
    mentors: Iterable[Mentor],
    rules: PairingRules = DEFAULT_RULES,
    *,
    previous: Iterable[Pairing] | None = None,
    on: dt.date | None = None,
    classes: Iterable[SchoolClass] = (),
) -> PairingPlan:
    """Pair ``children`` with ``mentors``: the optimal plan, with its reasons.

    ``children`` are :class:`Need` (from :func:`nominate` or :func:`need`) or
    plain :class:`~liushou_core.models.Child` records (priority 0; then ``on``
    is required). ``classes`` gives grades and class teachers. ``previous``
    are last term's pairings: those still allowed are kept (with
    ``rules.keep_previous``), and last term's mentor is preferred otherwise.
    Children and mentors of several schools are paired school by school.
    """
    needs = [_as_need(c, on) for c in children]
    day = on if on is not None else (needs[0].on if needs else None)
    if day is None:
        return PairingPlan((), (), (), 0, ())
    r = _Resolved.of(rules, day)
    class_list = list(classes)
    grades = {sc.id: sc.grade for sc in class_list}
    cts: dict[str, set[str]] = defaultdict(set)
    for sc in class_list:
        if sc.class_teacher_id:
            cts[sc.class_teacher_id].add(sc.id)
    seen: set[str] = set()
    cs: list[_C] = []
    for n in sorted(needs, key=lambda n: (n.child.school_id, n.child.id)):
        if n.child.id in seen:
            raise ValueError(f"child {n.child.id} is given twice")
        seen.add(n.child.id)
        cs.append(_child_facts(n, grades, r.female_age))
    ms = [_mentor_facts(m, grades, cts) for m in sorted(mentors, key=lambda m: (m.school_id, m.id))]
    if len({m.id for m in ms}) != len(ms):
        raise ValueError("a mentor id is given twice")
    prev_list = sorted(previous or (), key=lambda p: (p.school_id, p.child_id, p.id))

    warnings: list[Message] = []
    excluded: list[tuple[str, Message]] = []
    ended: list[tuple[Pairing, Message]] = []
    pairs: list[Pair] = []
    unpaired: list[Unpaired] = []
    below: list[MentorLoad] = []

    c_by_id = {c.id: c for c in cs}
    m_by_id = {m.id: m for m in ms}
    barred = {m.id: msg for m in ms if (msg := _mentor_barred(m, r, day)) is not None}
    excluded = [(mid, barred[mid]) for mid in sorted(barred)]
    forbidden = {(o.child_id, o.mentor_id): o for o in rules.forbids}
    prev_mentor = {p.child_id: p.mentor_id for p in prev_list}
    fixed: dict[str, tuple[str, bool]] = {}  # child -> (mentor, pinned?)

    # -- pins: always kept; a pin that breaks a rule is kept with a warning
    for o in sorted(rules.pins, key=lambda o: (o.child_id, o.mentor_id)):
        c, m = c_by_id.get(o.child_id), m_by_id.get(o.mentor_id)
        if c is None or m is None:
            warnings.append(
                Message(
                    "PIN_UNKNOWN",
                    N_("Pin {child} - {mentor} ignored: the child or the mentor is not here."),
                    {"child": o.child_id, "mentor": o.mentor_id},
                )
            )
            continue
        if c.id in fixed:
            warnings.append(
                Message(
                    "PIN_TWICE",
                    N_("Pin {child} - {mentor} ignored: the child is already pinned."),
                    {"child": o.child_id, "mentor": o.mentor_id},
                )
            )
            continue
        fixed[c.id] = (m.id, True)
        broken = [x for x in (barred.get(m.id), _pair_barred(c, m)) if x is not None]
        if (c.id, m.id) in forbidden:
            broken.append(Message("PAIR_FORBIDDEN", N_("the school forbids this pair")))
        for b in broken:
            warnings.append(
                Message(
                    "PIN_BREAKS_RULE",
                    N_("Pin {child} - {mentor} is kept but breaks a rule: {rule}."),
                    {"child": c.id, "mentor": m.id, "rule": _RULES.get(b.code, b.text)},
                )
            )
    pinned_load: dict[str, int] = defaultdict(int)
    for mid, _ in fixed.values():
        pinned_load[mid] += 1
    for mid, k in sorted(pinned_load.items()):
        if k > r.max_load:
            warnings.append(
                Message(
                    "PIN_OVER_CAPACITY",
                    N_("Mentor {mentor} has {count} pinned children, over the maximum of {max}."),
                    {"mentor": mid, "count": k, "max": r.max_load},
                )
            )

    # -- last term's pairs: kept where still allowed and within capacity
    load = dict(pinned_load)
    kept_rank = sorted(
        (p for p in prev_list if p.child_id in c_by_id and p.child_id not in fixed),
        key=lambda p: (-c_by_id[p.child_id].need.score, p.child_id),
    )
    for p in prev_list:
        if p.child_id not in c_by_id:
            ended.append(
                (p, Message("END_NOT_NOMINATED", N_("The child is not nominated this term.")))
            )
        elif p.child_id in fixed and fixed[p.child_id][0] != p.mentor_id:
            ended.append((p, Message("END_PINNED", N_("The school pinned another mentor."))))
    for p in kept_rank:
        c, m = c_by_id[p.child_id], m_by_id.get(p.mentor_id)
        if c.id in fixed:
            ended.append((p, Message("END_TWICE", N_("The child had two pairs last term."))))
            continue
        why: Message | None = None
        if m is None:
            why = Message("END_MENTOR_GONE", N_("The mentor is no longer available."))
        else:
            why = barred.get(m.id) or _pair_barred(c, m)
            if why is None and (c.id, m.id) in forbidden:
                why = Message("END_FORBIDDEN", N_("The school now forbids this pair."))
            if why is None and load.get(m.id, 0) >= r.max_load:
                why = Message(
                    "END_FULL", N_("The mentor is full with children of higher priority.")
                )
        if why is None and rules.keep_previous:
            assert m is not None
            fixed[c.id] = (m.id, False)
            load[m.id] = load.get(m.id, 0) + 1
        elif why is not None:
            ended.append((p, why))

    # -- solve school by school
    by_school_c: dict[str, list[_C]] = defaultdict(list)
    by_school_m: dict[str, list[_M]] = defaultdict(list)
    for c in cs:
        by_school_c[c.school].append(c)
    for m in ms:
        by_school_m[m.school].append(m)
    w = rules.weights
    for school in sorted(by_school_c):
        free = [c for c in by_school_c[school] if c.id not in fixed]
        open_m = [m for m in by_school_m.get(school, []) if m.id not in barred]
        assigned = _solve_school(free, open_m, load, r, w, forbidden, prev_mentor)
        result: dict[str, tuple[str, bool, bool]] = {
            cid: (mid, pin, not pin)
            for cid, (mid, pin) in fixed.items()
            if c_by_id[cid].school == school
        }
        for cid, mid in assigned.items():
            result[cid] = (mid, False, False)
        school_load: dict[str, int] = defaultdict(int)
        for cid, (mid, pin, kept) in sorted(result.items()):
            c = c_by_id[cid]
            mm = m_by_id[mid]
            bd = _breakdown(c, mm, w, prev_mentor.get(cid))
            missed = {k for k, _ in bd}
            reasons = tuple(
                v
                for k, v in _MATCH_REASONS.items()
                if k not in missed and _applies(k, c, prev_mentor)
            )
            pairs.append(
                Pair(
                    school, cid, mid, mm.kind, sum(v for _, v in bd), tuple(bd), reasons, pin, kept
                )
            )
            school_load[mid] += 1
        left = [c for c in free if c.id not in assigned]
        if left:
            unpaired.extend(
                _unpaired_reasons(left, by_school_c[school], open_m, school_load, r, forbidden)
            )
        for mid, k in sorted(school_load.items()):
            if k < r.min_load:
                below.append(
                    MentorLoad(
                        school,
                        mid,
                        k,
                        (
                            Message(
                                "BELOW_MINIMUM",
                                N_(
                                    "Mentor {mentor} has {count} child(ren), below the minimum "
                                    "of {min}: liushou found no plan pairing the same children "
                                    "that avoids it."
                                ),
                                {"mentor": mid, "count": k, "min": r.min_load},
                            ),
                        ),
                    )
                )
    totals: dict[str, int] = dict.fromkeys(PREFERENCES, 0)
    for pr in pairs:
        for name, v in pr.breakdown:
            totals[name] += v
    pairs.sort(key=lambda pr: (pr.school_id, pr.child_id))
    return PairingPlan(
        tuple(pairs),
        tuple(unpaired),
        tuple(below),
        sum(p.cost for p in pairs),
        tuple(totals.items()),
        tuple(warnings),
        tuple(excluded),
        tuple(sorted(ended, key=lambda e: (e[0].school_id, e[0].child_id))),
    )


def _applies(key: str, c: _C, prev: Mapping[str, str]) -> bool:
    if key == "female_mentor":
        return c.girl
    if key == "continuity":
        return c.id in prev
    if key == "same_village":
        return bool(c.village)
    return True


def _unpaired_reasons(
    left: list[_C],
    school_children: list[_C],
    mentors: list[_M],
    load: Mapping[str, int],
    r: _Resolved,
    forbidden: Mapping[tuple[str, str], Override],
) -> list[Unpaired]:
    capacity = len(mentors) * r.max_load
    demand = len(school_children)
    out: list[Unpaired] = []
    short = demand > capacity
    for c in sorted(left, key=lambda c: (-c.need.score, c.id)):
        allowed = [
            m for m in mentors if _pair_barred(c, m) is None and (c.id, m.id) not in forbidden
        ]
        if short:
            # a new volunteer is counted at the minimum load, as a school plans
            recruit = math.ceil((demand - capacity) / max(r.min_load, 1))
            msg = Message(
                "UNPAIRED_CAPACITY",
                N_(
                    "{need} children need mentors, capacity {capacity}: "
                    "recruit {recruit} volunteers or raise capacity."
                ),
                {"need": demand, "capacity": capacity, "recruit": recruit},
            )
        elif not allowed:
            msg = Message(
                "UNPAIRED_NO_MENTOR",
                N_("No mentor of the school may be paired with this child."),
            )
        else:
            msg = Message(
                "UNPAIRED_FULL",
                N_(
                    "The {count} mentor(s) allowed for this child are full with children "
                    "of higher or equal priority."
                ),
                {"count": len(allowed)},
            )
        out.append(Unpaired(c.school, c.id, c.need.score, (msg,)))
    return out


def _solve_school(
    children: list[_C],
    mentors: list[_M],
    fixed_load: Mapping[str, int],
    r: _Resolved,
    w: Weights,
    forbidden: Mapping[tuple[str, str], Override],
    prev: Mapping[str, str],
) -> dict[str, str]:
    """Assign ``children`` to ``mentors`` (with ``fixed_load`` already taken): child -> mentor."""
    if not children or not mentors:
        return {}
    # Only attributes that can make a difference define a type.
    m_villages = {m.village for m in mentors if m.village}
    c_villages = {c.village for c in children if c.village}
    classes = {c.cls for c in children}
    grades = {c.grade for c in children if c.grade is not None}
    girls = any(c.girl for c in children)
    mids = {m.id for m in mentors}
    cids = {c.id for c in children}
    # pairs a hard rule bars one by one: relatives and guardians, and forbidden pairs
    by_number: dict[str, list[str]] = defaultdict(list)
    for c in children:
        for x in c.ids:
            by_number[x].append(c.id)
    barred: set[tuple[str, str]] = {
        (cid, mid) for (cid, mid) in forbidden if cid in cids and mid in mids
    }
    for m in mentors:
        barred.update((cid, m.id) for cid in m.related if cid in cids)
        for x in m.ids:
            barred.update((cid, m.id) for cid in by_number.get(x, ()))
    special = {prev[c.id] for c in children if c.id in prev} | {mid for _, mid in barred}
    special_c = {cid for cid, _ in barred}

    def m_key(m: _M) -> tuple[object, ...]:
        return (
            m.kind,
            tuple(sorted(m.ct & classes)),
            tuple(sorted(m.classes & classes)),
            tuple(sorted(m.grades & grades)),
            m.village if m.village in c_villages else "",
            m.sex if girls else None,
            m.id if m.id in special else "",
        )

    m_types: dict[tuple[object, ...], list[_M]] = {}
    for m in mentors:
        if max(0, r.max_load - fixed_load.get(m.id, 0)) > 0:
            m_types.setdefault(m_key(m), []).append(m)
    if not m_types:
        return {}
    mkeys = sorted(m_types, key=lambda k: m_types[k][0].id)
    reps = [m_types[k][0] for k in mkeys]

    n = len(children)
    cmax = sum(attrs.asdict(w).values())
    base = n * cmax + 1  # more than any total cost
    cap = [sum(max(0, r.max_load - fixed_load.get(m.id, 0)) for m in m_types[k]) for k in mkeys]
    # When every child can be paired, priority decides nothing: try without it first
    # (fewer types), and again with it if a child is left unpaired.
    for by_score in (False, True):

        def c_key(c: _C, by_score: bool = by_score) -> tuple[object, ...]:
            p = prev.get(c.id)
            return (
                -c.need.score if by_score else 0,
                c.cls,
                c.grade,
                c.village if c.village in m_villages else "",
                c.girl,
                (p if p in mids else "-") if p is not None else None,
                c.id if c.id in special_c else "",
            )

        c_types: dict[tuple[object, ...], list[_C]] = {}
        for c in children:
            c_types.setdefault(c_key(c), []).append(c)
        for group in c_types.values():
            group.sort(key=lambda c: (-c.need.score, c.id))
        ckeys = sorted(c_types, key=lambda k: (k[0], c_types[k][0].id))
        levels = sorted({c.need.score for c in children}) if by_score else [0]
        # one unit short of a mentor's minimum load costs ``base``: more than any total cost
        weight = {}
        wl = base * (len(m_types) * r.min_load + 1)
        for lv in levels:
            weight[lv] = wl
            wl *= n + 1
        count_tier = wl  # pairing one more child beats any priority trade
        skip = [count_tier + weight[c_types[k][0].need.score if by_score else 0] for k in ckeys]
        cost = _cost_rows([c_types[k][0] for k in ckeys], reps, w, prev, barred)
        supply = [len(c_types[k]) for k in ckeys]
        best = _Flow(supply, cap, cost, skip)
        if not any(best.skipped):
            break
    forced: set[int] = set()
    while r.min_load > 1:
        low = [
            b
            for b, k in enumerate(mkeys)
            if b not in forced
            and best.load[b] > 0
            and _below(best.load[b], m_types[k], fixed_load, r)
        ]
        if not low:
            break
        # Mentors below the minimum: first try keeping open only the mentors at or
        # above it (fast); else close just those below it; else give those below
        # it a bonus for every child up to the minimum (a soft lower bound).
        idle = [b for b in range(len(mkeys)) if best.load[b] == 0 and best.cap[b] > 0]
        flow = best.close(low + idle) if idle else None
        if flow is None or flow.skip_total() != best.skip_total():
            flow = best.close(low)
        if flow.skip_total() != best.skip_total():
            forced.update(low)
            lower = [r.min_load if b in forced else 0 for b in range(len(mkeys))]
            flow = _Flow(supply, best.cap, cost, skip, lower, base, best.order)
        best = flow
    assert best is not None
    out: dict[str, str] = {}
    for b, k in enumerate(mkeys):
        incoming: list[_C] = []
        for a in sorted(best.into[b]):
            ca = c_types[ckeys[a]]
            take = best.into[b][a]
            used = sum(1 for c in ca if c.id in out)
            incoming.extend(ca[used : used + take])
            for c in ca[used : used + take]:
                out[c.id] = ""
        _distribute(incoming, m_types[k], fixed_load, r, out)
    return out


def _cost_rows(
    children: list[_C],
    mentors: list[_M],
    w: Weights,
    prev: Mapping[str, str],
    barred: set[tuple[str, str]],
) -> list[list[int | None]]:
    """The cost of each child (type) with each mentor (type), as :func:`_breakdown` sums it."""
    cls_rows: dict[str, list[int]] = {}
    grade_rows: dict[int | None, list[int]] = {}
    village_rows: dict[str, list[int]] = {}
    zero = [0] * len(mentors)
    female = [w.female_mentor if m.sex is Sex.MALE else 0 for m in mentors]
    out: list[list[int | None]] = []
    for c in children:
        kr = cls_rows.get(c.cls)
        if kr is None:
            kr = cls_rows[c.cls] = [
                0
                if c.cls in m.ct
                else w.class_teacher + (0 if c.cls in m.classes else w.teacher_of_class)
                for m in mentors
            ]
        gr = grade_rows.get(c.grade)
        if gr is None:
            gr = grade_rows[c.grade] = [
                0 if c.grade is not None and c.grade in m.grades else w.same_grade for m in mentors
            ]
        vr = village_rows.get(c.village)
        if vr is None:
            vr = village_rows[c.village] = [
                0 if c.village and c.village == m.village else w.same_village for m in mentors
            ]
        fr = female if c.girl else zero
        p = prev.get(c.id)
        if p is None:
            row: list[int | None] = [
                a + b + d + e for a, b, d, e in zip(kr, gr, vr, fr, strict=True)
            ]
        else:
            row = [
                a + b + d + e + (0 if m.id == p else w.continuity)
                for a, b, d, e, m in zip(kr, gr, vr, fr, mentors, strict=True)
            ]
        for j, m in enumerate(mentors):
            if (c.id, m.id) in barred:
                row[j] = None
        out.append(row)
    return out


def _below(total: int, group: list[_M], fixed_load: Mapping[str, int], r: _Resolved) -> bool:
    if any(fixed_load.get(m.id, 0) for m in group):
        return False  # loads topping up fixed pairs are not judged by group
    return any(x < r.min_load for x in _spread(total, len(group), r.min_load, r.max_load))


def _distribute(
    children: list[_C],
    group: list[_M],
    fixed_load: Mapping[str, int],
    r: _Resolved,
    out: dict[str, str],
) -> None:
    """Give ``children`` to the alike mentors of ``group``, as few below the minimum as possible."""
    if not children:
        return
    room = {m.id: max(0, r.max_load - fixed_load.get(m.id, 0)) for m in group}
    topped = [m for m in group if fixed_load.get(m.id, 0) and room[m.id]]
    fresh = [m for m in group if not fixed_load.get(m.id, 0)]
    queue = list(children)
    # first top up mentors who already have children, then open new ones evenly
    for m in topped:
        while queue and room[m.id]:
            out[queue.pop(0).id] = m.id
            room[m.id] -= 1
    loads = _spread(len(queue), len(fresh), r.min_load, r.max_load)
    for m, k in zip(fresh, loads, strict=False):
        for _ in range(k):
            out[queue.pop(0).id] = m.id
