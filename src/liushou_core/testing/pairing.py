"""Hypothesis strategies for mentor pairing: small generated schools with mentors.

Use them to property-test your own pairing rules or a faster backend against
:func:`liushou_core.pairing.pair`::

    from hypothesis import given
    from liushou_core.pairing import pair
    from liushou_core.testing.pairing import pairing_cases

    @given(pairing_cases())
    def test_no_mentor_over_capacity(case):
        plan = pair(case.needs, case.mentors, case.rules, classes=case.classes)
        assert all(n <= 3 for n in plan.load().values())

A :class:`PairingCase` holds one or two schools' nominated children (as
:class:`~liushou_core.pairing.Need` with a drawn priority score), teachers,
volunteers (some without a cleared record check), classes, and rules with
drawn loads, weights, pins and forbidden pairs. Needs Hypothesis (a test
dependency; ``liushou_core`` itself never imports it).
"""

from __future__ import annotations

import datetime as dt

import attrs
from hypothesis import strategies as st

from liushou_core.dated import Dated
from liushou_core.models import (
    Address,
    Child,
    RecordCheck,
    SchoolClass,
    Sex,
    StaffRole,
    Teacher,
    Volunteer,
)
from liushou_core.pairing import Mentor, Need, Override, PairingRules, Weights

__all__ = ["ON", "PairingCase", "pairing_cases", "rules"]

#: The day of every generated case.
ON = dt.date(2026, 9, 1)
_VILLAGES = ("", "青山村", "石桥村", "柳湾村")
_SRC = "generated for a test"


@attrs.frozen
class PairingCase:
    """Children (with priority), mentors, classes and rules of one or two schools."""

    needs: tuple[Need, ...]
    mentors: tuple[Mentor, ...]
    classes: tuple[SchoolClass, ...]
    rules: PairingRules


def rules(
    *, min_load: int | None = None, max_load: int | None = None
) -> st.SearchStrategy[PairingRules]:
    """Pairing rules with drawn loads and weights (``min_load``/``max_load`` fixed if given)."""

    @st.composite
    def build(draw: st.DrawFn) -> PairingRules:
        hi = max_load if max_load is not None else draw(st.integers(1, 3))
        lo = min_load if min_load is not None else draw(st.integers(1, hi))
        w = Weights(*(draw(st.integers(0, 6)) for _ in range(6)))
        return PairingRules(
            min_load=Dated.since(dt.date(2016, 1, 1), lo, _SRC),
            max_load=Dated.since(dt.date(2016, 1, 1), hi, _SRC),
            weights=w,
        )

    return build()


@st.composite
def _school(draw: st.DrawFn, sid: str, max_children: int, max_mentors: int) -> PairingCase:
    n_classes = draw(st.integers(1, 3))
    classes = tuple(
        SchoolClass(f"{sid}-k{i}", sid, draw(st.integers(1, 6)), f"{i + 1}班")
        for i in range(n_classes)
    )
    n_children = draw(st.integers(0, max_children))
    needs = []
    for i in range(n_children):
        age = draw(st.integers(6, 13))
        child = Child(
            id=f"{sid}-c{i:02d}",
            school_id=sid,
            name=f"学生{i}",
            sex=draw(st.sampled_from(Sex)),
            birth_date=dt.date(ON.year - age, draw(st.integers(1, 12)), 1),
            class_id=draw(st.sampled_from(classes)).id,
            address=Address(village=draw(st.sampled_from(_VILLAGES))),
        )
        needs.append(Need(child, ON, draw(st.integers(0, 3)), ()))
    child_ids = [n.child.id for n in needs]
    mentors: list[Mentor] = []
    for i in range(draw(st.integers(0, max_mentors))):
        related = tuple(draw(st.lists(st.sampled_from(child_ids), max_size=1))) if child_ids else ()
        if draw(st.integers(0, 4)) == 0:
            checked = ON - dt.timedelta(days=30)
            check = draw(
                st.sampled_from([None, RecordCheck(checked, True), RecordCheck(checked, False)])
            )
            mentors.append(
                Volunteer(
                    id=f"{sid}-v{i:02d}",
                    school_id=sid,
                    name=f"志愿者{i}",
                    sex=draw(st.sampled_from(Sex)),
                    village=draw(st.sampled_from(_VILLAGES)),
                    record_check=check,
                    related_child_ids=related,
                )
            )
            continue
        taught = draw(st.lists(st.sampled_from([k.id for k in classes]), max_size=2, unique=True))
        ct = bool(taught) and draw(st.booleans())
        mentors.append(
            Teacher(
                id=f"{sid}-t{i:02d}",
                school_id=sid,
                name=f"教师{i}",
                sex=draw(st.sampled_from(Sex)),
                roles=(StaffRole.CLASS_TEACHER,) if ct else (StaffRole.SUBJECT_TEACHER,),
                class_ids=tuple(taught[:1]) if ct else tuple(taught),
                village=draw(st.sampled_from(_VILLAGES)),
                related_child_ids=related,
                active=draw(st.integers(0, 9)) > 0,
            )
        )
    return PairingCase(tuple(needs), tuple(mentors), classes, PairingRules())


def pairing_cases(
    *,
    max_children: int = 10,
    max_mentors: int = 5,
    schools: int = 2,
    overrides: bool = True,
    min_load: int | None = None,
) -> st.SearchStrategy[PairingCase]:
    """Small cases of 1 to ``schools`` schools, with drawn rules, pins and forbidden pairs.

    ``overrides=False`` draws no pins or forbidden pairs (cases a reference
    solver can check); ``min_load`` fixes the minimum load.
    """

    @st.composite
    def build(draw: st.DrawFn) -> PairingCase:
        n = draw(st.integers(1, schools))
        parts = [draw(_school(f"S{i}", max_children, max_mentors)) for i in range(n)]
        needs = tuple(x for p in parts for x in p.needs)
        mentors = tuple(x for p in parts for x in p.mentors)
        classes = tuple(x for p in parts for x in p.classes)
        r = draw(rules(min_load=min_load))
        if overrides and needs and mentors:
            pair_st = st.tuples(
                st.sampled_from([x.child.id for x in needs]),
                st.sampled_from([m.id for m in mentors]),
            )
            pins = draw(st.lists(pair_st, max_size=2, unique_by=lambda p: p[0]))
            forbids = draw(st.lists(pair_st, max_size=3, unique=True))
            r = attrs.evolve(
                r,
                pins=tuple(Override(c, m, "test") for c, m in pins),
                forbids=tuple(Override(c, m, "test") for c, m in forbids),
            )
        return PairingCase(needs, mentors, classes, r)

    return build()
