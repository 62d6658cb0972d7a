"""The activities duty rota (轮流值日): mentors take turns supervising the noon and
after-school activities, Monday to Friday, on the school's open days.

:func:`rota` builds a term's rota from the school calendar
(:mod:`liushou_core.school_calendar`), the mentors and the slots of a day:

* only open school days from Monday to Friday carry duties (a public holiday, a
  school's closed day, the break, and a make-up Saturday 调休 are skipped);
* each slot of a day gets one mentor, and no mentor has two slots of one day;
* a mentor is never on duty on a day given as unavailable (leave, training,
  a home visit far away: dated unavailability);
* it is fair: each mentor's number of duties is within one of every other's,
  whenever the availabilities allow it. Mentors take turns in a fixed order
  (the one with fewest duties, then the one off duty longest), and where
  unavailability upsets the balance, duties move along chains of swaps until
  no mentor has two more than another, or no swap can help: then the rota
  says why in :attr:`Rota.reasons`;
* a day with fewer available mentors than slots keeps its slots unfilled, and
  says so;
* deterministic: the same inputs give the same rota.

Pure: no clock, no I/O. The duties are :class:`~liushou_core.models.Duty`
records, ready to store; their ids (``<term>-<date>-<slot>``) make a re-built
rota replace the old one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from liushou_core.i18n import N_, Message
from liushou_core.models import Duty, DutySlot, Period, Teacher, Term
from liushou_core.school_calendar import SchoolCalendar, school_calendar

__all__ = ["DEFAULT_SLOTS", "Rota", "duty_id", "rota"]

#: The slots of a day: noon and after-school activities (the seed's schools:
#: 每周一至周五中午和下午课外活动, run by the mentor teachers in turn).
DEFAULT_SLOTS: Final[tuple[DutySlot, ...]] = (DutySlot.NOON, DutySlot.AFTER_SCHOOL)

Unavailable = Mapping[str, Iterable[dt.date | Period]]


def duty_id(term_id: str, day: dt.date, slot: DutySlot) -> str:
    """The id of the duty of ``slot`` on ``day`` in term ``term_id``."""
    return f"{term_id}-{day.isoformat()}-{slot.name.lower().replace('_', '-')}"


@attrs.frozen
class Rota:
    """A term's duty rota.

    ``duties`` in date and slot order; ``days`` the duty days (open Monday to
    Friday); ``counts`` each mentor's number of duties (every mentor, zero
    included); ``unfilled`` the (day, slot) pairs no available mentor could
    take; ``reasons`` why the rota is not fair or not full (empty when it is both).
    """

    term: Term
    school_id: str
    mentors: tuple[str, ...]
    slots: tuple[DutySlot, ...]
    days: tuple[dt.date, ...]
    duties: tuple[Duty, ...]
    counts: Mapping[str, int]
    unfilled: tuple[tuple[dt.date, DutySlot], ...]
    reasons: tuple[Message, ...]

    @property
    def fair(self) -> bool:
        """Each mentor's duty count is within one of every other's."""
        return not self.counts or max(self.counts.values()) - min(self.counts.values()) <= 1

    def by_mentor(self) -> dict[str, list[Duty]]:
        """Each mentor's duties in date order (every mentor, an empty list included)."""
        out: dict[str, list[Duty]] = {m: [] for m in self.mentors}
        for d in self.duties:
            out[d.mentor_id].append(d)
        return out

    def on(self, day: dt.date) -> tuple[Duty, ...]:
        """The duties of ``day``."""
        return tuple(d for d in self.duties if d.date == day)


def _unavailable_days(
    unavailable: Unavailable, mentors: Sequence[str], days: Sequence[dt.date]
) -> dict[str, frozenset[dt.date]]:
    out: dict[str, frozenset[dt.date]] = {}
    for m in mentors:
        spans = list(unavailable.get(m, ()))
        dates = {s for s in spans if isinstance(s, dt.date)}
        periods = [s for s in spans if isinstance(s, Period)]
        out[m] = frozenset(d for d in days if d in dates or any(p.covers(d) for p in periods))
    return out


def _ids(mentors: Sequence[Teacher | str], school_id: str | None) -> tuple[tuple[str, ...], str]:
    ids: list[str] = []
    schools = set()
    for m in mentors:
        if isinstance(m, Teacher):
            ids.append(m.id)
            schools.add(m.school_id)
        else:
            ids.append(m)
    if len(set(ids)) != len(ids):
        dupes = sorted({m for m in ids if ids.count(m) > 1})
        raise ValueError(f"a mentor is listed twice: {', '.join(dupes)}")
    if school_id is None:
        if len(schools) != 1:
            raise ValueError("give school_id=, or the mentors as Teacher records of one school")
        school_id = schools.pop()
    return tuple(ids), school_id


def rota(
    term: Term | SchoolCalendar,
    mentors: Sequence[Teacher | str],
    slots: Sequence[DutySlot] = DEFAULT_SLOTS,
    unavailable: Unavailable | None = None,
    *,
    school_id: str | None = None,
) -> Rota:
    """The duty rota of a term: who supervises each slot of each open weekday.

    :param term: a :class:`Term` (the national calendar) or a
        :class:`SchoolCalendar` with the school's own closed days.
    :param mentors: the mentor teachers (records or ids), in the order they
        take turns.
    :param slots: the slots of a day (default: noon and after school).
    :param unavailable: per mentor id, the days (dates or :class:`Period`
        spans) the mentor cannot be on duty.
    :param school_id: the school of the duties (default: the mentors' school).
    :raises ValueError: a mentor or a slot is listed twice, or the school is unknown.
    """
    cal = term if isinstance(term, SchoolCalendar) else school_calendar(term)
    t = cal.term
    ids, sid = _ids(mentors, school_id)
    slots = tuple(slots)
    if len(set(slots)) != len(slots):
        raise ValueError("a slot is listed twice")
    days = tuple(d for d in cal.open_days if d.weekday() < 5)
    off = _unavailable_days(unavailable or {}, ids, days)
    order = {m: i for i, m in enumerate(ids)}
    count: Counter[str] = Counter(dict.fromkeys(ids, 0))
    last: dict[str, int] = {}
    on_day: list[list[str]] = []
    reasons: list[Message] = []
    unfilled: list[tuple[dt.date, DutySlot]] = []
    # 1. in turn: the mentors with fewest duties, then off duty longest, then in order
    for i, day in enumerate(days):
        free = [m for m in ids if day not in off[m]]
        free.sort(key=lambda m: (count[m], last.get(m, -1), order[m]))
        chosen = free[: len(slots)]
        for m in chosen:
            count[m] += 1
            last[m] = i
        on_day.append(chosen)
        if len(chosen) < len(slots):
            unfilled += [(day, s) for s in slots[len(chosen) :]]
            reasons.append(
                Message(
                    "ROTA_SHORT",
                    N_("{day}: only {available} mentors are available for {slots} duties."),
                    {"day": day.isoformat(), "available": len(chosen), "slots": len(slots)},
                )
            )
    # 2. balance: move duties along chains of swaps from the busiest to the idlest
    _balance(days, on_day, off, ids, count)
    # 3. slots within each day: the mentor with fewer duties of a slot takes it
    duties: list[Duty] = []
    per_slot: Counter[tuple[str, DutySlot]] = Counter()
    for day, chosen in zip(days, on_day, strict=True):
        remaining = sorted(chosen, key=lambda m: order[m])
        for slot in slots[: len(chosen)]:
            m = min(remaining, key=lambda m: (per_slot[m, slot], order[m]))
            remaining.remove(m)
            per_slot[m, slot] += 1
            duties.append(Duty(duty_id(t.id, day, slot), sid, t.id, day, slot, m))
    counts = {m: count[m] for m in ids}
    if counts and max(counts.values()) - min(counts.values()) > 1:
        most = max(counts.values())
        for m in ids:
            if counts[m] < most - 1:
                reasons.append(
                    Message(
                        "ROTA_UNFAIR",
                        N_(
                            "Mentor {mentor} is available on {available} of {days} duty days: "
                            "{count} duties, while others have up to {most}; no swap can even "
                            "this out."
                        ),
                        {
                            "mentor": m,
                            "available": len(days) - len(off[m]),
                            "days": len(days),
                            "count": counts[m],
                            "most": most,
                        },
                    )
                )
    if not ids and days and slots:
        reasons.insert(0, Message("ROTA_NO_MENTOR", N_("No mentor is given: nobody is on duty.")))
    return Rota(
        term=t,
        school_id=sid,
        mentors=ids,
        slots=slots,
        days=days,
        duties=tuple(duties),
        counts=counts,
        unfilled=tuple(unfilled),
        reasons=tuple(reasons),
    )


def _balance(
    days: Sequence[dt.date],
    on_day: list[list[str]],
    off: Mapping[str, frozenset[dt.date]],
    ids: Sequence[str],
    count: Counter[str],
) -> None:
    """Move duties along swap chains until no mentor has two more than another
    (or no chain exists: then no fair rota exists with these duties).

    A chain ``a -> b -> ... -> z`` hands one of ``a``'s days to ``b`` (free and
    not on duty that day), one of ``b``'s to the next, and so on: ``a`` loses a
    duty, ``z`` gains one, the others keep theirs. A rota in which no chain leads
    from a mentor with ``k + 2`` duties to one with ``k`` or fewer is as even as
    the availabilities allow (the balanced b-matching of the days and mentors).
    """
    if len(ids) < 2:
        return
    mine: dict[str, set[int]] = defaultdict(set)
    for i, chosen in enumerate(on_day):
        for m in chosen:
            mine[m].add(i)
    # who could take day i: available and not yet on duty that day
    while True:
        most = max(count[m] for m in ids)
        least = min(count[m] for m in ids)
        if most - least <= 1:
            return
        moved = False
        for a in sorted((m for m in ids if count[m] == most), key=ids.index):
            path = _chain(a, most, days, on_day, off, ids, count, mine)
            if path is None:
                continue
            for giver, taker, i in path:
                on_day[i][on_day[i].index(giver)] = taker
                mine[giver].discard(i)
                mine[taker].add(i)
            count[a] -= 1
            count[path[-1][1]] += 1
            moved = True
            break
        if not moved:
            return


def _chain(
    start: str,
    most: int,
    days: Sequence[dt.date],
    on_day: list[list[str]],
    off: Mapping[str, frozenset[dt.date]],
    ids: Sequence[str],
    count: Counter[str],
    mine: Mapping[str, set[int]],
) -> list[tuple[str, str, int]] | None:
    """The shortest chain of hand-overs from ``start`` to a mentor with at most
    ``most - 2`` duties (breadth first, in date and mentor order: deterministic)."""
    back: dict[str, tuple[str, int] | None] = {start: None}
    queue = deque([start])
    while queue:
        giver = queue.popleft()
        for i in sorted(mine[giver]):
            day = days[i]
            for taker in ids:
                if taker in back or day in off[taker] or taker in on_day[i]:
                    continue
                back[taker] = (giver, i)
                if count[taker] <= most - 2:
                    path: list[tuple[str, str, int]] = []
                    node = taker
                    while (step := back[node]) is not None:
                        path.append((step[0], node, step[1]))
                        node = step[0]
                    return path[::-1]
                queue.append(taker)
    return None
