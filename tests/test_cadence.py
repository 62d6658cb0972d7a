"""Cadence: plans on open days, compliance, escalation, relaxations and plugin rules."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core import hookimpl, plugins, synth
from liushou_core.cadence import (
    DEFAULT_POLICY,
    CadencePolicy,
    CadenceRule,
    CarePair,
    Condition,
    Plan,
    Scope,
    State,
    Window,
    assess,
    care_pairs,
    check_records,
    compliance,
    escalations,
    plan,
    policy_from_plugins,
)
from liushou_core.classify import Category, classify
from liushou_core.dated import Dated
from liushou_core.errors import PolicyError
from liushou_core.models import (
    AwayPeriod,
    ContactEvent,
    ContactKind,
    HealthCheck,
    Pairing,
    Semester,
    Severity,
    Term,
)
from liushou_core.school_calendar import school_calendar

D = dt.date
TERM = Term(2026, Semester.AUTUMN, D(2026, 9, 1), D(2027, 1, 22))
SCHOOL = "S1"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def pairs_of(n: int, mentors: int, *, school: str = SCHOOL) -> list[CarePair]:
    return [CarePair(f"p{i}", school, f"t{i % mentors}", f"c{i}") for i in range(n)]


def recorded(p: Plan, keep: float, seed: int = 0) -> list[ContactEvent]:
    """Recorded contacts: a share ``keep`` of the plan held on the planned day."""
    rng = random.Random(seed)
    out = []
    for c in p.contacts:
        e = c.to_event()
        if e is not None and rng.random() < keep:
            out.append(attrs.evolve(e, id=e.id.replace("plan-", "rec-"), planned=False))
    return out


@pytest.fixture(scope="module")
def small_plan() -> Plan:
    return plan(TERM, pairs_of(12, 4))


# ----------------------------------------------------------------------------- plan


def test_the_plan_meets_every_rule_of_a_roomy_term(small_plan: Plan) -> None:
    p = small_plan
    assert not p.unmet
    per = Counter((c.subject.id, c.rule_code, c.window_start) for c in p.contacts)
    for ob in p.obligations:
        assert per[ob.subject.id, ob.rule.code, ob.start] == ob.needed
    # 5 months: 2 talks and 1 call a month, a home visit and a health check per pair
    talks = [c for c in p.contacts if c.rule_code == "TALK" and c.subject.id == "p0"]
    assert len(talks) == 2 * 5
    assert {c.rule_code for c in p.contacts} == {
        "MEETING",
        "TALK",
        "HOME_VISIT",
        "PARENT_CALL",
        "GUARDIAN_MEETING",
        "HEALTH_CHECK",
    }
    meetings = [c for c in p.contacts if c.rule_code == "MEETING"]
    assert len(meetings) == 5
    assert all(c.mentor_ids == ("t0", "t1", "t2", "t3") for c in meetings)


def test_the_plan_spreads_a_mentors_contacts_over_the_week(small_plan: Plan) -> None:
    for contacts in small_plan.by_mentor().values():
        weekdays = Counter(c.date.weekday() for c in contacts if c.date.weekday() < 5)
        assert max(weekdays.values()) - min(weekdays.values()) <= max(3, len(contacts) // 10)
        per_day = Counter(c.date for c in contacts)
        assert max(per_day.values()) <= small_plan.daily_limit


def test_two_talks_of_a_month_fall_apart(small_plan: Plan) -> None:
    talks = sorted(
        c.date for c in small_plan.contacts if c.rule_code == "TALK" and c.subject.id == "p3"
    )
    for a, b in zip(talks[::2], talks[1::2], strict=True):
        assert (b - a).days >= 5


def test_planning_is_stable(small_plan: Plan) -> None:
    again = plan(TERM, list(reversed(pairs_of(12, 4))))
    assert {c.uid: c.date for c in again.contacts} == {c.uid: c.date for c in small_plan.contacts}
    assert len({c.uid for c in small_plan.contacts}) == len(small_plan.contacts)


def test_a_term_without_room_says_which_rule_cannot_be_met() -> None:
    short = Term(2026, Semester.AUTUMN, D(2026, 9, 28), D(2026, 9, 30))  # 3 open days
    policy = attrs.evolve(DEFAULT_POLICY, daily_limit=Dated.since(D(2016, 1, 1), 1, "test"))
    p = plan(short, pairs_of(3, 1), policy)
    codes = Counter(u.message.code for u in p.unmet)
    assert codes["CADENCE_MENTOR_FULL"] > 0
    full = next(u for u in p.unmet if u.message.code == "CADENCE_MENTOR_FULL")
    assert "at most 1 contacts a day" in full.message.render("en")
    assert "每天最多1次" in full.message.render("zh")
    one_day = Term(2026, Semester.AUTUMN, D(2026, 9, 30), D(2026, 10, 8))  # 30 Sep, 8 Oct open
    p2 = plan(one_day, pairs_of(1, 1))
    no_room = [u for u in p2.unmet if u.message.code == "CADENCE_NO_ROOM"]
    assert {u.obligation.rule.code for u in no_room} == {"TALK"}
    assert "open on only 1 days" in no_room[0].message.render("en")


closed_days = st.frozensets(
    st.dates(min_value=TERM.first_day, max_value=TERM.last_day), max_size=40
)


@settings(max_examples=15)
@given(
    closed=closed_days,
    n=st.integers(1, 8),
    mentors=st.integers(1, 3),
    limit=st.integers(1, 3),
    starts=st.lists(st.integers(0, 120), min_size=8, max_size=8),
)
def test_plan_properties(
    closed: frozenset[dt.date], n: int, mentors: int, limit: int, starts: list[int]
) -> None:
    cal = school_calendar(TERM, closed=closed)
    policy = attrs.evolve(DEFAULT_POLICY, daily_limit=Dated.since(D(2016, 1, 1), limit, "test"))
    pairs = [
        attrs.evolve(p, start=TERM.first_day + dt.timedelta(days=starts[i]))
        for i, p in enumerate(pairs_of(n, mentors))
    ]
    p = plan(cal, pairs, policy)
    # nothing on a closed day
    assert all(cal.is_open(c.date) and c.date not in closed for c in p.contacts)
    # never above a mentor's daily limit
    load = Counter((m, c.date) for c in p.contacts for m in c.mentor_ids)
    assert max(load.values(), default=0) <= limit
    # every obligation is met, or the plan says it is not and why
    per = Counter((c.subject.id, c.rule_code, c.window_start) for c in p.contacts)
    unmet = {(u.obligation.subject.id, u.obligation.rule.code, u.obligation.start) for u in p.unmet}
    for ob in p.obligations:
        key = (ob.subject.id, ob.rule.code, ob.start)
        assert per[key] >= ob.needed or key in unmet
        mine = [c for c in p.contacts if (c.subject.id, c.rule_code, c.window_start) == key]
        assert all(ob.start <= c.date <= ob.end for c in mine)
    for u in p.unmet:
        assert u.planned < u.obligation.needed
        assert not PLACEHOLDER.search(u.message.render("zh"))


# ----------------------------------------------------------------------------- compliance


def test_a_pair_without_talks_is_overdue_by_the_right_number_of_days() -> None:
    p = plan(TERM, pairs_of(1, 1))
    on = D(2026, 11, 5)
    findings = compliance([], p, on=on)
    by_code = {(f.code, f.message.param_dict.get("start")): f for f in findings}
    sept = by_code["CADENCE_TALK_OVERDUE", "2026-09-01"]
    assert sept.severity is Severity.ERROR
    assert sept.message.param_dict["days"] == (on - D(2026, 9, 30)).days
    assert sept.subject.id == "p0"
    assert "overdue by 36 days" in sept.message.render("en")
    assert "已逾期36天" in sept.message.render("zh")
    # 65 days since the pair started, overdue after 60
    since = next(f for f in findings if f.code == "CADENCE_TALK_SINCE_LAST")
    assert since.message.param_dict["days"] == 5
    summary = next(f for f in findings if f.code == "CADENCE_TEACHER_SUMMARY")
    assert summary.severity is Severity.INFO
    assert summary.message.param_dict["done"] == 0


def test_talks_held_as_planned_leave_nothing_overdue(small_plan: Plan) -> None:
    on = D(2026, 12, 15)
    events = [e for e in recorded(small_plan, 1.0) if e.date <= on]
    events += [HealthCheck(f"h{i}", SCHOOL, f"c{i}", D(2026, 10, 20)) for i in range(12)]
    findings = compliance(events, small_plan, on=on)
    assert not [f for f in findings if f.severity is Severity.ERROR]
    due = [f for f in findings if f.code.endswith("_DUE_SOON")]
    assert all(f.message.param_dict["end"] >= on.isoformat() for f in due)
    school = next(f for f in findings if f.code == "CADENCE_SCHOOL_SUMMARY")
    assert school.message.param_dict["late"] == 0


def test_planned_and_future_events_do_not_count(small_plan: Plan) -> None:
    on = D(2026, 11, 1)
    planned = [e for c in small_plan.contacts if (e := c.to_event()) is not None]
    later = [attrs.evolve(e, planned=False) for e in planned if e.date > on]
    assert compliance(planned + later, small_plan, on=on) == compliance([], small_plan, on=on)


def test_every_message_renders_in_both_languages(small_plan: Plan) -> None:
    findings = compliance(recorded(small_plan, 0.6, seed=3), small_plan, on=D(2026, 12, 1))
    assert {f.code for f in findings} >= {"CADENCE_TALK_OVERDUE", "CADENCE_CHILD_SUMMARY"}
    for f in findings:
        for lang in ("zh", "en"):
            text = f.message.render(lang)
            assert text
            assert not PLACEHOLDER.search(text), text
        if f.fix is not None:
            assert not PLACEHOLDER.search(f.fix.render("zh"))


events_st = st.lists(
    st.tuples(
        st.sampled_from(list(ContactKind)),
        st.dates(min_value=D(2026, 8, 1), max_value=D(2027, 2, 1)),
        st.integers(0, 5),
    ),
    max_size=40,
)


def _events(raw: list[tuple[ContactKind, dt.date, int]]) -> list[ContactEvent]:
    return [
        ContactEvent(f"e{i}", SCHOOL, kind, day, child_ids=(f"c{c}",), staff_ids=("t0",))
        for i, (kind, day, c) in enumerate(raw)
    ]


def _lateness(findings: list[object]) -> dict[tuple[str, str, object], int]:
    out: dict[tuple[str, str, object], int] = {}
    for f in findings:
        code = f.code  # type: ignore[attr-defined]
        if f.severity is Severity.ERROR:  # type: ignore[attr-defined]
            params = f.message.param_dict  # type: ignore[attr-defined]
            out[f.subject.id, code, params["start"]] = int(params["days"])  # type: ignore[attr-defined]
    return out


@settings(max_examples=20)
@given(
    raw=events_st, extra=events_st, on=st.dates(min_value=D(2026, 9, 1), max_value=D(2027, 3, 1))
)
def test_compliance_is_pure_and_more_events_never_make_a_pair_more_overdue(
    small_plan: Plan,
    raw: list[tuple[ContactKind, dt.date, int]],
    extra: list[tuple[ContactKind, dt.date, int]],
    on: dt.date,
) -> None:
    events = _events(raw)
    first = compliance(events, small_plan, on=on)
    assert compliance(list(reversed(events)), small_plan, on=on) == first
    assert compliance(events, small_plan, on=on) == first
    more = events + [attrs.evolve(e, id=f"x{e.id}") for e in _events(extra)]
    before, after = _lateness(first), _lateness(compliance(more, small_plan, on=on))
    for key, days in after.items():
        assert key in before
        assert days <= before[key]


# ----------------------------------------------------------------------------- escalation


@pytest.mark.parametrize(
    ("on", "level"),
    [(D(2026, 10, 5), "mentor"), (D(2026, 10, 20), "class teacher"), (D(2026, 11, 5), "principal")],
)
def test_overdue_contacts_escalate_by_delay(on: dt.date, level: str) -> None:
    p = plan(TERM, pairs_of(1, 1))
    events = escalations([], p, on=on)
    talk = next(
        e for e in events if dict(e.data)["rule"] == "TALK" and dict(e.data)["due"] == "2026-09-30"
    )
    data = dict(talk.data)
    assert talk.kind == "contact.overdue"
    assert talk.subject_kind == "pairing"
    assert talk.subject_id == "p0"
    assert data["level"] == level
    assert data["days_overdue"] == str((on - D(2026, 9, 30)).days)
    assert data["mentor_id"] == "t0"
    assert data["child_id"] == "c0"
    assert escalations([], p, on=on) == events


def test_escalation_events_reach_observers() -> None:
    seen = []

    class Observer:
        @hookimpl
        def liushou_on_event(self, event: object) -> None:
            seen.append(event)

    pm = plugins.plugin_manager(entry_points=False, plugins=[("obs", Observer())], disabled=())
    events = escalations([], plan(TERM, pairs_of(2, 1)), on=D(2026, 11, 5))
    for e in events:
        assert plugins.emit(pm, e) == []
    assert seen == events


# ----------------------------------------------------------------------------- relaxations


def _left_behind_child() -> object:
    for child in synth.children(3, 200, on=D(2026, 9, 1)):
        if Category.LEFT_BEHIND in classify(child, on=D(2026, 9, 1)).categories:
            return child
    raise AssertionError("no left-behind child in the sample")


def test_a_child_who_stops_being_left_behind_drops_out() -> None:
    child = _left_behind_child()
    home = D(2026, 11, 10)
    parents = tuple(
        attrs.evolve(
            par,
            away=tuple(
                attrs.evolve(a, end=min(a.end or home, home)) for a in par.away if a.start < home
            ),
        )
        for par in child.parents  # type: ignore[attr-defined]
    )
    back = attrs.evolve(child, parents=parents)
    assert Category.LEFT_BEHIND not in classify(back, on=D(2026, 11, 20)).categories
    pairing = Pairing("p1", back.school_id, TERM.id, back.id, "t1")
    (pair,) = care_pairs([pairing], [back], TERM)
    assert pair.end is not None
    assert pair.end < D(2026, 11, 20)
    p = plan(TERM, [pair])
    assert all(c.date <= pair.end for c in p.contacts if c.subject.kind == "pairing")
    # a pairing of another term is left out
    assert care_pairs([attrs.evolve(pairing, term_id="2025-spring")], [back], TERM) == ()


def test_no_parent_call_while_both_parents_are_at_home() -> None:
    away = ((D(2026, 9, 1), D(2026, 9, 30)), (D(2026, 12, 1), D(2027, 1, 22)))
    pair = CarePair("p1", SCHOOL, "t1", "c1", away=away)
    p = plan(TERM, [pair])
    months = {c.window_start.month for c in p.contacts if c.rule_code == "PARENT_CALL"}
    assert months == {9, 12, 1}
    findings = compliance([], p, on=D(2026, 11, 25))
    assert not [
        f
        for f in findings
        if f.code == "CADENCE_PARENT_CALL_OVERDUE" and f.message.param_dict["start"] >= "2026-10"
    ]
    # nor does the days-since-last clock run while they are home; it restarts when one leaves
    assert not [f for f in findings if f.code.startswith("CADENCE_PARENT_CALL_SINCE_LAST")]
    later = compliance([], p, on=D(2027, 1, 20))
    since = [f for f in later if f.code == "CADENCE_PARENT_CALL_SINCE_LAST"]
    assert [f.message.param_dict["days"] for f in since] == [
        (D(2027, 1, 20) - D(2026, 12, 1)).days - 45
    ]


def test_care_pairs_reads_the_parents_time_away() -> None:
    child = _left_behind_child()
    (pair,) = care_pairs([Pairing("p1", "S", TERM.id, child.id, "t1")], [child], TERM)  # type: ignore[attr-defined]
    assert pair.away
    assert pair.away[0][0] == TERM.first_day
    unknown = care_pairs([Pairing("p2", "S", TERM.id, "nobody", "t1")], [child], TERM)  # type: ignore[list-item]
    assert unknown[0].away is None
    assert AwayPeriod(D(2020, 1, 1)).covers(TERM.first_day)


# ----------------------------------------------------------------------------- rules and plugins

WEEKLY_CALL = CadenceRule(
    "WEEKLY_CALL",
    ContactKind.PHONE_CALL.value,
    "weekly call (county rule)",
    Scope.PAIR,
    Window.MONTH,
    minimum=4,
    source="a county's own rule",
)


class CountyRules:
    @hookimpl
    def liushou_cadence_rules(self) -> list[CadenceRule]:
        return [WEEKLY_CALL]


def test_a_contributed_rule_is_planned_and_checked() -> None:
    pm = plugins.plugin_manager(
        entry_points=False, plugins=[("county", CountyRules())], disabled=()
    )
    policy = policy_from_plugins(pm)
    assert WEEKLY_CALL in policy.rules_on(TERM.first_day)
    p = plan(TERM, pairs_of(2, 1), policy)
    weekly = [c for c in p.contacts if c.rule_code == "WEEKLY_CALL"]
    assert len(weekly) == 2 * 4 * 5
    on = D(2026, 10, 3)
    findings = compliance([], p, on=on)
    late = [f for f in findings if f.code == "CADENCE_WEEKLY_CALL_OVERDUE"]
    assert {f.subject.id for f in late} == {"p0", "p1"}
    assert "weekly call (county rule)" in late[0].message.render("zh")
    # four calls in September satisfy it
    calls = [
        ContactEvent(f"k{i}", SCHOOL, ContactKind.PHONE_CALL, D(2026, 9, 7 + 5 * i), ("c0",))
        for i in range(4)
    ]
    still = [f.subject.id for f in compliance(calls, p, on=on) if f.code == late[0].code]
    assert still == ["p1"]


def test_a_contribution_that_is_not_a_rule_is_refused() -> None:
    class Bad:
        @hookimpl
        def liushou_cadence_rules(self) -> list[str]:
            return ["weekly-call"]

    pm = plugins.plugin_manager(entry_points=False, plugins=[("bad", Bad())], disabled=())
    with pytest.raises(PolicyError, match="not a CadenceRule"):
        policy_from_plugins(pm)
    twice = plugins.plugin_manager(
        entry_points=False, plugins=[("a", CountyRules()), ("b", CountyRules())], disabled=()
    )
    with pytest.raises(PolicyError, match="WEEKLY_CALL"):
        policy_from_plugins(twice)


def test_a_county_replaces_a_built_in_rule() -> None:
    weekly_talks = attrs.evolve(
        next(r for r in DEFAULT_POLICY.rules_on(TERM.first_day) if r.code == "TALK"), minimum=4
    )
    policy = DEFAULT_POLICY.with_rules(weekly_talks)
    rules = policy.rules_on(TERM.first_day)
    assert [r.minimum for r in rules if r.code == "TALK"] == [4]
    assert len(rules) == len(DEFAULT_POLICY.rules_on(TERM.first_day))


def test_rules_check_themselves() -> None:
    with pytest.raises(PolicyError, match="letters"):
        CadenceRule("a b", "talk", "x", Scope.PAIR, Window.MONTH)
    with pytest.raises(PolicyError, match="warns after"):
        CadenceRule(
            "X", "talk", "x", Scope.PAIR, Window.MONTH, warn_after_days=9, overdue_after_days=3
        )
    with pytest.raises(PolicyError, match="needs pairs"):
        CadenceRule("X", "talk", "x", Scope.SCHOOL, Window.MONTH, condition=Condition.PARENT_AWAY)
    assert isinstance(DEFAULT_POLICY, CadencePolicy)


# ----------------------------------------------------------------------------- records bundle


def test_check_records_from_a_bundle() -> None:
    school = synth.school(2, children=60)
    lb = [
        c
        for c in school.children
        if Category.LEFT_BEHIND in classify(c, on=TERM.first_day).categories
    ]
    pairings = [
        Pairing(f"p{i}", school.school.id, TERM.id, c.id, school.teachers[i % 3].id)
        for i, c in enumerate(lb)
    ]
    talk = ContactEvent("e1", school.school.id, ContactKind.TALK, D(2026, 9, 10), (lb[0].id,))
    records = [*school.records(), *pairings, talk]
    on = D(2026, 10, 15)
    findings = check_records(records, TERM, on=on)
    pairs = care_pairs(pairings, school.children, TERM)
    assert findings == compliance([talk], plan(TERM, pairs), on=on)
    statuses = assess([talk], plan(TERM, pairs), on=on)
    first = [
        s
        for s in statuses
        if s.obligation.child_id == lb[0].id and s.obligation.rule.code == "TALK"
    ]
    assert first[0].done == 1
    assert first[0].state is State.OVERDUE
