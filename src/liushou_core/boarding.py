"""Boarders (住校生): who boards in a term, from when to when, in which dormitory.

A :class:`~liushou_core.models.Boarding` record says that a child boards in a
term. Two rules read it:

* **the living subsidy** (两免一补's 一补) goes to boarders from families in
  financial difficulty: :func:`with_boarding` marks each child as a boarder
  (``Child.boarding``) when a record of the term says so, and
  :func:`liushou_core.aid.assess` decides on that (a boarder at any time of
  the term is a boarder for the term's subsidy, 财教〔2019〕19号 pays it by
  term);
* **the weekend contact** of the cadence policy (rule ``BOARDER_CONTACT`` in
  :mod:`liushou_core.cadence`): a boarder's mentor calls the family every
  fortnight, around the weekend the child goes home, while the child boards;
  :func:`boarding_spans` gives the days each child boards, which
  :func:`liushou_core.cadence.care_pairs` takes as ``boardings=``.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

import attrs

from liushou_core.models import Boarding, Child, Term

__all__ = ["boarders", "boarding_spans", "dormitories", "span_in", "with_boarding"]


def span_in(boarding: Boarding, term: Term) -> tuple[dt.date, dt.date] | None:
    """The days of ``term`` the record covers (``None``: another term, or none of its days)."""
    if boarding.term_id != term.id:
        return None
    first = max(boarding.start or term.first_day, term.first_day)
    last = min(boarding.end or term.last_day, term.last_day)
    return (first, last) if first <= last else None


def boarding_spans(
    boardings: Iterable[Boarding], term: Term
) -> dict[str, tuple[tuple[dt.date, dt.date], ...]]:
    """Each boarder's days in ``term``, as merged spans, by child id."""
    spans: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for b in boardings:
        span = span_in(b, term)
        if span is not None:
            spans[b.child_id].append(span)
    out: dict[str, tuple[tuple[dt.date, dt.date], ...]] = {}
    one = dt.timedelta(days=1)
    for cid, parts in sorted(spans.items()):
        merged: list[tuple[dt.date, dt.date]] = []
        for start, end in sorted(parts):
            if merged and start <= merged[-1][1] + one:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        out[cid] = tuple(merged)
    return out


def boarders(boardings: Iterable[Boarding], term: Term) -> frozenset[str]:
    """The ids of the children who board on some day of ``term``."""
    return frozenset(boarding_spans(boardings, term))


def with_boarding(
    children: Iterable[Child], boardings: Iterable[Boarding], term: Term
) -> tuple[Child, ...]:
    """The children with ``boarding`` set from the term's records: ``True`` for a
    child who boards on some day of ``term``, ``False`` for any other child.

    Pass the result to :func:`liushou_core.aid.assess` (or ``assess_many``): the
    living subsidy then follows the boarding records of the term.
    """
    ids = boarders(boardings, term)
    return tuple(
        c if c.boarding is (c.id in ids) else attrs.evolve(c, boarding=c.id in ids)
        for c in children
    )


def dormitories(boardings: Iterable[Boarding], term: Term) -> Mapping[str, tuple[str, ...]]:
    """The children of each dormitory in ``term`` (``""`` for no dormitory recorded)."""
    out: dict[str, set[str]] = defaultdict(set)
    for b in boardings:
        if span_in(b, term) is not None:
            out[b.dormitory].add(b.child_id)
    return {k: tuple(sorted(v)) for k, v in sorted(out.items())}
