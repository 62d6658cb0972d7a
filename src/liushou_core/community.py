"""The education network (教育网络): guardian training, partners and volunteers.

The seed's schools train the entrusted guardians (委托监护人培训: how to care for
and talk with the child, safety, the school's contacts), work with village
committees, care committees (关工委), residents' committees and retired
teachers, and let volunteers act as proxy parents (代理家长).

* :class:`~liushou_core.models.GuardianTraining` records a session, its topic
  and who came; :func:`trained` lists who came in a span of days;
  :func:`check_guardian_training` (the built-in check ``guardian_training``)
  finds each entrusted guardian of a child in the care programme who has not
  come to a training this school year, once the grace days are over
  (``GUARDIAN_TRAINING``, a warning);
* :class:`~liushou_core.models.Partner` records a partner;
* volunteers act as proxy parents only with a cleared criminal-record check
  (未成年人保护法 art. 62): :func:`liushou_core.pairing.pair` never pairs one
  without it, and the built-in check ``pairing`` reports a volunteer without it
  (``VOLUNTEER_RECORD_CHECK``). This module reuses them, it does not repeat them.

The parameters are dated policy data (:class:`CommunityPolicy`) with their source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Final

import attrs

from liushou_core.dated import Dated
from liushou_core.i18n import N_
from liushou_core.models import Finding, GuardianTraining, Severity, Term

if TYPE_CHECKING:
    from liushou_core.checks import CheckContext

__all__ = [
    "DEFAULT_COMMUNITY_POLICY",
    "CommunityPolicy",
    "check_guardian_training",
    "trained",
    "training_year",
]

_D2016 = dt.date(2016, 2, 4)
_SRC_LOCAL = "local practice of the seed's schools; liushou default, set your own (UNCONFIRMED)"


@attrs.frozen
class CommunityPolicy:
    """When guardian training is due, as dated policy data."""

    #: The school year, for guardian training, starts on this (month, day) of its
    #: first year (a session in August, before the autumn term, counts).
    year_start: Dated[tuple[int, int]] = Dated.since(_D2016, (8, 1), _SRC_LOCAL)
    #: The training is due this many days after the school year starts.
    grace_days: Dated[int] = Dated.since(_D2016, 90, _SRC_LOCAL)


#: The parameters as liushou ships them.
DEFAULT_COMMUNITY_POLICY: Final = CommunityPolicy()


def training_year(
    term: Term, on: dt.date, policy: CommunityPolicy = DEFAULT_COMMUNITY_POLICY
) -> tuple[dt.date, dt.date]:
    """The first day of ``term``'s school year (for guardian training) and the day
    the training is due (after the grace days)."""
    month, day = policy.year_start.at(on)
    start = dt.date(term.school_year, month, day)
    return start, start + dt.timedelta(days=policy.grace_days.at(on))


def trained(
    sessions: Iterable[GuardianTraining], first: dt.date, last: dt.date
) -> tuple[frozenset[str], frozenset[str]]:
    """Who came to a session from ``first`` to ``last``: the guardians' names, and
    the ids of the children whose guardian came."""
    names: set[str] = set()
    children: set[str] = set()
    for t in sessions:
        if first <= t.date <= last:
            names.update(t.attendees)
            children.update(t.child_ids)
    return frozenset(names), frozenset(children)


def check_guardian_training(
    ctx: CheckContext, policy: CommunityPolicy = DEFAULT_COMMUNITY_POLICY
) -> Iterator[Finding]:
    """Every entrusted guardian of a programme child came to a training this school year.

    A guardian counts as trained when a session of the school year up to the
    day lists their name, or lists the child as one whose guardian came.
    """
    on = ctx.on
    start, due = training_year(ctx.term, on, policy)
    if on < due:
        return
    names, children = trained(ctx.records.trainings, start, on)
    for c in ctx.programme:
        if c.id in children:
            continue
        for g in c.guardians:
            if not g.entrusted or g.name in names:
                continue
            yield ctx.about_child(
                c,
                "GUARDIAN_TRAINING",
                Severity.WARNING,
                N_("The entrusted guardian {name} has not attended a training since {since}."),
                N_("Invite {name} to the next guardian training and record the attendance."),
                name=g.name,
                since=start.isoformat(),
            )
