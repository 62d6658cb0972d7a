"""Every model survives ``unstructure`` and ``structure``, as plain data and as JSON text.

The instances come from :mod:`liushou_core.testing.strategies`, so these tests
also check that every strategy yields valid records (a record that fails its
own validation could not be structured back).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
import textwrap
from enum import Enum
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from liushou_core.convert import structure, unstructure
from liushou_core.i18n import Message
from liushou_core.models import (
    ALL_MODELS,
    Child,
    ConditionKind,
    Consent,
    Guardian,
    Health,
    HealthCheck,
    HealthStatus,
    Incident,
    Pairing,
    Parent,
    ParentCondition,
    ParentRole,
    Relationship,
    Semester,
    Sex,
    Term,
)
from liushou_core.testing import strategies as lst
from liushou_core.validate import resident_id_birth_date, resident_id_is_male

MODELS = pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)


@MODELS
@given(data=st.data())
def test_structure_undoes_unstructure(cls: type, data: st.DataObject) -> None:
    x = data.draw(lst.from_model(cls), label=cls.__name__)
    plain = unstructure(x)
    back = structure(plain, cls)
    assert type(back) is cls
    assert back == x
    assert unstructure(back) == plain


@MODELS
@given(data=st.data())
def test_round_trip_through_json_text(cls: type, data: st.DataObject) -> None:
    x = data.draw(lst.from_model(cls), label=cls.__name__)
    text = json.dumps(unstructure(x), ensure_ascii=False)
    back = structure(json.loads(text), cls)
    assert back == x
    assert json.dumps(unstructure(back), ensure_ascii=False) == text


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _is_text(value: Any) -> bool:
    # ResidentId, Phone and StudentNumber are str subclasses; enums must not leak.
    return isinstance(value, str) and not isinstance(value, Enum)


@MODELS
@given(data=st.data())
def test_unstructured_data_is_plain_json(cls: type, data: st.DataObject) -> None:
    """Only dicts, lists, str, int, bool and None: no dates, enums, tuples or Decimals."""
    plain = unstructure(data.draw(lst.from_model(cls)))
    assert isinstance(plain, dict)
    for leaf in _leaves(plain):
        assert leaf is None or type(leaf) in (int, bool) or _is_text(leaf), repr(leaf)


def test_every_model_has_a_strategy() -> None:
    for cls in ALL_MODELS:
        assert attrs.has(cls)
        assert lst.from_model(cls) is not None
        assert lst.models(cls) is not None


def test_unknown_class_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="Child"):
        lst.from_model(dict)


# --------------------------------------------------------------------------- strategy promises


@given(lst.children(school_id="s-042"))
def test_children_keep_their_cross_field_rules(child: Child) -> None:
    assert child.school_id == "s-042"
    roles = [p.role for p in child.parents]
    assert len(roles) == len(set(roles))
    if child.id_number is not None:
        assert resident_id_birth_date(child.id_number) == child.birth_date
        assert resident_id_is_male(child.id_number) is (child.sex is Sex.MALE)
        assert ric.is_valid(child.id_number)
    if child.student_number is not None and child.student_number.startswith("G"):
        assert child.student_number[1:] == child.id_number
    if child.health.status is HealthStatus.DISABLED:
        assert child.health.disability is not None
    for person in (*child.parents, *child.guardians):
        if person.id_number is not None and person.birth_date is not None:
            assert resident_id_birth_date(person.id_number) == person.birth_date
    for parent in child.parents:
        if parent.id_number is not None:
            assert resident_id_is_male(parent.id_number) is (parent.role is ParentRole.FATHER)
        for timeline in (parent.away, parent.conditions):
            for earlier, later in itertools.pairwise(timeline):
                assert earlier.end is not None
                assert earlier.end < later.start
            for entry in timeline:
                assert entry.end is None or entry.end >= entry.start
        for condition in parent.conditions:
            if condition.kind is ConditionKind.DISABLED:
                assert condition.disability is not None


@given(lst.parents(ParentRole.MOTHER), lst.guardians(Relationship.PATERNAL_GRANDFATHER))
def test_parent_and_guardian_arguments(mother: Parent, grandfather: Guardian) -> None:
    assert mother.role is ParentRole.MOTHER
    assert grandfather.relationship is Relationship.PATERNAL_GRANDFATHER
    assert grandfather.entrusted
    if grandfather.id_number is not None:
        assert resident_id_is_male(grandfather.id_number)


@given(lst.parent_conditions(ConditionKind.DISABLED), lst.healths(HealthStatus.DISABLED))
def test_disabled_always_carries_a_disability(condition: ParentCondition, health: Health) -> None:
    assert condition.disability is not None
    assert health.disability is not None


@given(lst.terms(school_year=2026, semester=Semester.AUTUMN))
def test_terms_fit_their_school_year(term: Term) -> None:
    assert term.id == "2026-autumn"
    assert dt.date(2026, 8, 28) <= term.first_day <= dt.date(2026, 9, 30)
    assert dt.date(2027, 1, 1) <= term.last_day <= dt.date(2027, 2, 28)


@given(
    lst.resident_ids(dt.date(2016, 2, 29), male=False, areas=["433123"]),
    lst.resident_ids(st.just(dt.date(1950, 1, 1)), male=True),
)
def test_resident_id_arguments(girl: str, man: str) -> None:
    assert girl.startswith("43312320160229")
    assert int(girl[16]) % 2 == 0
    assert man[6:14] == "19500101"
    assert int(man[16]) % 2 == 1


@given(lst.incidents())
def test_incident_steps_are_in_order(incident: Incident) -> None:
    times = [s.at for s in incident.steps]
    assert times == sorted(times)
    assert all(s.at.tzinfo is None for s in incident.steps)
    assert all(s.at.date() >= incident.occurred_on for s in incident.steps)


@given(lst.consents(), lst.pairings(), lst.health_checks())
def test_end_dates_are_not_before_start_dates(
    consent: Consent, pairing: Pairing, check: HealthCheck
) -> None:
    assert consent.withdrawn_on is None or consent.withdrawn_on >= consent.given_on
    if pairing.start is not None and pairing.end is not None:
        assert pairing.end >= pairing.start
    assert check.follow_up_due is None or check.follow_up_due >= check.date


@given(lst.messages())
def test_generated_messages_render(message: Message) -> None:
    assert message.render("en")
    assert message.render("zh")


def test_register_type_strategies_makes_from_type_work() -> None:
    lst.register_type_strategies()

    @settings(max_examples=5)
    @given(st.from_type(Child), st.from_type(Term))
    def check(child: Child, term: Term) -> None:
        assert isinstance(child, Child)
        assert isinstance(term, Term)

    check()


def test_core_does_not_import_hypothesis() -> None:
    """Hypothesis is a test dependency: only the ``testing`` helpers may import it."""
    code = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import liushou_core
        for info in pkgutil.walk_packages(liushou_core.__path__, "liushou_core."):
            # liushou_core.testing: strategies and conformance suites, for tests only
            if not info.name.startswith("liushou_core.testing."):
                importlib.import_module(info.name)
        print(sorted(m for m in sys.modules if m.split(".")[0] == "hypothesis"))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout
