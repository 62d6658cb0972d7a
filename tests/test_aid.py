"""Aid eligibility: table tests from the policy figures, properties, identification,
re-assessment events and a county scheme contributed through the plugin hook."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou_core import aid, hookimpl, plugins
from liushou_core.aid import (
    DEFAULT_POLICY,
    FREE_TEXTBOOKS,
    FREE_TUITION,
    LIVING_SUBSIDY,
    NUTRITION,
    AidCase,
    AidPolicy,
    Rates,
    assess,
    assess_many,
    decide,
)
from liushou_core.convert import structure, unstructure
from liushou_core.errors import InvalidRecord
from liushou_core.models import (
    AidDecision,
    Child,
    Criterion,
    DifficultyIdentification,
    DifficultyLevel,
    Evidence,
    EvidenceKind,
    Household,
    HouseholdCategory,
    IdentificationStep,
    LevelChange,
    ManualDecision,
    SchemeDecision,
    SchoolingStatus,
    Sex,
    StepRecord,
)
from liushou_core.plugins import PluginError
from liushou_core.testing import aid as aid_st

D = dt.date
PRIMARY = SchoolingStatus.PRIMARY
JUNIOR = SchoolingStatus.JUNIOR_SECONDARY
SENIOR = SchoolingStatus.SENIOR_SECONDARY
C = HouseholdCategory

#: A province that pays more from autumn 2020 (e.g. Jiangsu, 1500 / 2000).
PROVINCE = attrs.evolve(
    DEFAULT_POLICY,
    living_subsidy=DEFAULT_POLICY.living_subsidy.with_change(
        D(2020, 9, 1), Rates(Decimal(1500), Decimal(2000)), "province paying more (test)"
    ),
)


def pupil(
    stage: SchoolingStatus = PRIMARY, *, boarding: bool = False, household: str | None = "h-1"
) -> Child:
    return Child(
        id="c-1",
        school_id="s-1",
        name="王小明",
        sex=Sex.MALE,
        birth_date=D(2012, 5, 4),
        class_id="s-1-g3c1",
        schooling=stage,
        boarding=boarding,
        household_id=household,
    )


def home(
    *categories: HouseholdCategory,
    level: DifficultyLevel | None = None,
    identified_on: dt.date | None = None,
    evidence: tuple[Evidence, ...] = (),
) -> Household:
    return Household(
        id="h-1",
        school_id="s-1",
        categories=categories,
        difficulty_level=level,
        identified_on=identified_on,
        evidence=evidence,
    )


def subsidy(decision: AidDecision) -> SchemeDecision:
    found = decision.scheme(LIVING_SUBSIDY)
    assert found is not None
    return found


# --------------------------------------------------------------------------- tables

LIVING_TABLE = [
    # (day, stage, boarding, categories, policy, expected yearly amount or None)
    (D(2019, 8, 31), PRIMARY, False, (C.DIBAO,), DEFAULT_POLICY, None),
    (D(2019, 9, 1), PRIMARY, False, (C.DIBAO,), DEFAULT_POLICY, Decimal(500)),
    (D(2019, 8, 31), JUNIOR, False, (C.TEKUN,), DEFAULT_POLICY, None),
    (D(2019, 9, 1), JUNIOR, False, (C.TEKUN,), DEFAULT_POLICY, Decimal(625)),
    (D(2019, 9, 1), JUNIOR, False, (C.REGISTERED_POOR,), DEFAULT_POLICY, Decimal(625)),
    (D(2019, 9, 1), PRIMARY, False, (C.DISABLED,), DEFAULT_POLICY, Decimal(500)),
    (D(2019, 9, 1), PRIMARY, False, (C.ORPHAN,), DEFAULT_POLICY, None),
    (D(2019, 9, 1), PRIMARY, False, (C.SUDDEN_HARDSHIP,), DEFAULT_POLICY, None),
    (D(2019, 9, 1), PRIMARY, False, (), DEFAULT_POLICY, None),
    (D(2019, 8, 31), PRIMARY, True, (C.DIBAO,), DEFAULT_POLICY, Decimal(1000)),
    (D(2019, 8, 31), JUNIOR, True, (C.DIBAO,), DEFAULT_POLICY, Decimal(1250)),
    (D(2019, 9, 1), JUNIOR, True, (C.ORPHAN,), DEFAULT_POLICY, Decimal(1250)),
    (D(2019, 9, 1), PRIMARY, True, (C.MARTYR,), DEFAULT_POLICY, Decimal(1000)),
    (D(2019, 9, 1), PRIMARY, True, (), DEFAULT_POLICY, None),
    (D(2019, 9, 1), PRIMARY, True, (C.SUDDEN_HARDSHIP,), DEFAULT_POLICY, None),
    (D(2019, 9, 1), SENIOR, True, (C.DIBAO,), DEFAULT_POLICY, None),
    (D(2019, 9, 1), SchoolingStatus.KINDERGARTEN, False, (C.DIBAO,), DEFAULT_POLICY, None),
    # a province that pays more, from 2020-09-01
    (D(2020, 8, 31), PRIMARY, True, (C.DIBAO,), PROVINCE, Decimal(1000)),
    (D(2020, 9, 1), PRIMARY, True, (C.DIBAO,), PROVINCE, Decimal(1500)),
    (D(2020, 9, 1), JUNIOR, True, (C.DIBAO,), PROVINCE, Decimal(2000)),
    (D(2020, 9, 1), JUNIOR, False, (C.DIBAO,), PROVINCE, Decimal(1000)),
    (D(2020, 9, 1), PRIMARY, False, (C.DIBAO,), PROVINCE, Decimal(750)),
]


@pytest.mark.parametrize(
    ("on", "stage", "boarding", "categories", "policy", "amount"), LIVING_TABLE
)
def test_living_subsidy_table(
    on: dt.date,
    stage: SchoolingStatus,
    boarding: bool,
    categories: tuple[HouseholdCategory, ...],
    policy: AidPolicy,
    amount: Decimal | None,
) -> None:
    decision = subsidy(assess(pupil(stage, boarding=boarding), home(*categories), policy, on=on))
    assert decision.eligible is (amount is not None)
    assert decision.amount == amount
    if amount is not None:
        assert decision.term_amount == amount / 2
        assert decision.cash == amount
        assert not decision.failed
    else:
        assert decision.failed
        assert decision.cash == 0


def test_boarders_only_before_autumn_2019_says_so() -> None:
    d = subsidy(assess(pupil(), home(C.DIBAO), on=D(2019, 8, 31)))
    assert [c.code for c in d.failed] == ["NOT_BOARDER"]
    assert "only boarders" in d.explain("en")[-1]
    assert "只有寄宿生" in d.explain("zh")[-1]


NUTRITION_TABLE = [
    (D(2011, 8, 31), None),
    (D(2011, 9, 1), Decimal(600)),
    (D(2014, 10, 31), Decimal(600)),
    (D(2014, 11, 1), Decimal(800)),
    (D(2021, 8, 31), Decimal(800)),
    (D(2021, 9, 1), Decimal(1000)),
    (D(2026, 9, 1), Decimal(1000)),
]


@pytest.mark.parametrize(("on", "amount"), NUTRITION_TABLE)
def test_nutrition_table(on: dt.date, amount: Decimal | None) -> None:
    decision = assess(pupil(JUNIOR), home(), on=on)
    meals = decision.scheme(NUTRITION)
    assert meals is not None
    assert meals.eligible is (amount is not None)
    assert meals.amount == amount
    assert meals.in_kind
    # never paid as cash: not in the cash total
    assert meals.cash == 0
    assert decision.total == 0
    assert decision.in_kind_total == (amount or 0)


def test_nutrition_only_in_pilot_counties() -> None:
    county = attrs.evolve(
        DEFAULT_POLICY,
        nutrition_pilot=DEFAULT_POLICY.nutrition_pilot.with_change(
            D(2020, 1, 1), False, "not a pilot county"
        ),
    )
    meals = assess(pupil(), home(), county, on=D(2021, 9, 1)).scheme(NUTRITION)
    assert meals is not None
    assert not meals.eligible
    assert [c.code for c in meals.failed] == ["NOT_PILOT"]


@pytest.mark.parametrize(
    ("stage", "eligible"),
    [(PRIMARY, True), (JUNIOR, True), (SENIOR, False), (SchoolingStatus.DROPPED_OUT, False)],
)
def test_free_tuition_and_textbooks_for_every_compulsory_pupil(
    stage: SchoolingStatus, eligible: bool
) -> None:
    decision = assess(pupil(stage), None, on=D(2026, 9, 1))
    for code in (FREE_TUITION, FREE_TEXTBOOKS):
        s = decision.scheme(code)
        assert s is not None
        assert s.eligible is eligible
        assert s.amount is None
        assert s.source.startswith("国发〔2005〕43号")


def test_sources_follow_the_date() -> None:
    before = subsidy(assess(pupil(), home(C.DIBAO), on=D(2019, 9, 1)))
    boarder = subsidy(assess(pupil(boarding=True), home(C.DIBAO), on=D(2019, 9, 1)))
    assert before.source.startswith("财教〔2019〕19号")
    assert "1000/1250" in boarder.source


# --------------------------------------------------------------------------- difficulty


def test_identified_difficulty_counts_for_its_school_year_only() -> None:
    hh = home(C.SUDDEN_HARDSHIP, level=DifficultyLevel.GENERAL, identified_on=D(2025, 9, 15))
    child = pupil(boarding=True)
    ok = subsidy(assess(child, hh, on=D(2026, 3, 1)))
    assert ok.eligible
    assert ok.amount == Decimal(1000)
    stale = subsidy(assess(child, hh, on=D(2026, 9, 2)))
    assert not stale.eligible
    assert [c.code for c in stale.failed] == ["DIFFICULTY"]
    assert "identify again for 2026" in stale.explain("en")[-1]


def _identification(**kw: object) -> DifficultyIdentification:
    base: dict[str, object] = {
        "id": "c-1-diff-2026",
        "school_id": "s-1",
        "child_id": "c-1",
        "school_year": 2026,
        "categories": (C.SUDDEN_HARDSHIP,),
        "levels": (LevelChange(D(2026, 9, 20), DifficultyLevel.DIFFICULT),),
        "steps": (
            StepRecord(IdentificationStep.NOTICE, D(2026, 9, 1)),
            StepRecord(IdentificationStep.APPLICATION, D(2026, 9, 8)),
            StepRecord(IdentificationStep.SCHOOL_REVIEW, D(2026, 9, 20)),
            StepRecord(IdentificationStep.PUBLICITY, D(2026, 9, 21)),
            StepRecord(IdentificationStep.FILING, D(2026, 9, 30)),
        ),
    }
    base.update(kw)
    return DifficultyIdentification(**base)  # type: ignore[arg-type]


def test_a_filed_identification_makes_a_boarder_eligible_from_filing() -> None:
    ident = _identification()
    child = pupil(boarding=True)
    during = subsidy(assess(child, home(), on=D(2026, 9, 25), identification=ident))
    assert not during.eligible
    after = subsidy(assess(child, home(), on=D(2026, 10, 8), identification=ident))
    assert after.eligible
    assert after.amount == Decimal(1000)
    assert any("difficulty" in r for r in after.explain("en"))
    # the grounds on the identification need their document
    assert after.missing_evidence
    assert "困难情况说明" in after.explain("zh")[-1]
    # an identification of another school year does not count
    other = attrs.evolve(ident, school_year=2025)
    assert not subsidy(assess(child, home(), on=D(2026, 10, 8), identification=other)).eligible


def test_level_adjusted_each_term() -> None:
    ident = _identification(
        levels=(
            LevelChange(D(2026, 9, 20), DifficultyLevel.DIFFICULT),
            LevelChange(D(2027, 2, 20), None, "family situation improved"),
        )
    )
    child = pupil(boarding=True)
    assert ident.level_on(D(2026, 12, 1)) is DifficultyLevel.DIFFICULT
    assert subsidy(assess(child, home(), on=D(2026, 12, 1), identification=ident)).eligible
    assert ident.level_on(D(2027, 3, 1)) is None
    assert not subsidy(assess(child, home(), on=D(2027, 3, 1), identification=ident)).eligible


def test_manual_inclusion_and_exclusion_of_the_identification_are_shown() -> None:
    child = pupil(boarding=True)
    include = ManualDecision(True, "父亲重病住院", "校长", D(2026, 10, 1))
    ident = _identification(steps=(), levels=(), manual=include)
    d = subsidy(assess(child, home(), on=D(2026, 10, 2), identification=ident))
    assert d.eligible
    assert "Included by the school as in difficulty: 父亲重病住院" in d.explain("en")
    exclude = ManualDecision(False, "家庭收入核实较高", "校长", D(2026, 10, 1))
    ident = _identification(manual=exclude)
    for c in (pupil(boarding=True), pupil(boarding=False)):
        d = subsidy(assess(c, home(C.DIBAO), on=D(2026, 10, 2), identification=ident))
        assert not d.eligible
        assert "学校人工排除：家庭收入核实较高" in d.explain("zh")


def test_manual_scheme_override_wins_and_is_recorded() -> None:
    child = pupil()
    over = ManualDecision(
        True, "家庭突发变故", "资助专干", D(2026, 9, 1), scheme=LIVING_SUBSIDY, amount=Decimal(500)
    )
    d = subsidy(assess(child, home(), on=D(2026, 9, 2), overrides=[over]))
    assert d.eligible
    assert d.manual == over
    assert d.amount == Decimal(500)
    assert d.term_amount == Decimal(250)
    assert d.explain("en")[0] == "Included by the school: 家庭突发变故"
    assert d.failed  # the rules' own finding stays visible
    # not yet in force the day before it was decided
    assert not subsidy(assess(child, home(), on=D(2026, 8, 31), overrides=[over])).eligible
    out = ManualDecision(False, "已转学", "校长", D(2026, 9, 1), scheme=FREE_TUITION)
    tuition = assess(child, home(), on=D(2026, 9, 2), overrides=[out]).scheme(FREE_TUITION)
    assert tuition is not None
    assert not tuition.eligible


def test_a_manual_decision_needs_a_reason() -> None:
    with pytest.raises(InvalidRecord):
        structure(
            {"include": True, "reason": " ", "decided_by": "校长", "decided_on": "2026-09-01"},
            ManualDecision,
        )


def test_missing_evidence_is_listed_until_on_file() -> None:
    child = pupil()
    d = subsidy(assess(child, home(C.DIBAO), on=D(2026, 9, 2)))
    assert d.eligible
    assert d.explain("en")[-1] == (
        "minimum living allowance certificate not on file (for: minimum living allowance)."
    )
    assert d.explain("zh")[-1] == "未存档低保证明（依据：低保）。"
    doc = Evidence(EvidenceKind.DIBAO_CERTIFICATE, D(2026, 3, 1), D(2026, 12, 31))
    assert not subsidy(
        assess(child, home(C.DIBAO, evidence=(doc,)), on=D(2026, 9, 2))
    ).missing_evidence
    # an expired document is missing again
    assert subsidy(assess(child, home(C.DIBAO, evidence=(doc,)), on=D(2027, 1, 1))).missing_evidence


def test_steps_out_of_order_are_refused() -> None:
    with pytest.raises(InvalidRecord) as info:
        structure(
            {
                "id": "x",
                "school_id": "s-1",
                "child_id": "c-1",
                "school_year": 2026,
                "steps": [
                    {"step": "publicity", "on": "2026-09-20"},
                    {"step": "application", "on": "2026-09-21"},
                ],
            },
            DifficultyIdentification,
        )
    assert any(path.startswith("$.steps") for path, _ in info.value.problems)


def test_identification_problems_and_publicity() -> None:
    ident = _identification()
    # publicity from Monday 2026-09-21 for 5 working days ends Friday 2026-09-25
    assert aid.publicity_ends(ident) == D(2026, 9, 25)
    assert aid.identification_problems(ident, on=D(2026, 10, 8)) == []
    early = _identification(
        steps=(
            StepRecord(IdentificationStep.SCHOOL_REVIEW, D(2026, 9, 20)),
            StepRecord(IdentificationStep.PUBLICITY, D(2026, 9, 21)),
            StepRecord(IdentificationStep.FILING, D(2026, 9, 24)),
        )
    )
    codes = [m.code for m in aid.identification_problems(early, on=D(2026, 10, 8))]
    assert codes == ["IDENT_STEP_SKIPPED", "IDENT_PUBLICITY_SHORT"]
    county = attrs.evolve(
        DEFAULT_POLICY,
        levels=DEFAULT_POLICY.levels.with_change(
            D(2020, 1, 1), (DifficultyLevel.SPECIAL, DifficultyLevel.DIFFICULT), "两级 (county)"
        ),
    )
    general = _identification(levels=(LevelChange(D(2026, 9, 20), DifficultyLevel.GENERAL),))
    assert [m.code for m in aid.identification_problems(general, county, on=D(2026, 10, 8))] == [
        "IDENT_LEVEL_UNUSED"
    ]


def test_the_publicity_list_shows_name_class_and_level_only() -> None:
    child = attrs.evolve(pupil(), id_number="110101201205040013")
    ident = _identification(categories=(C.DIBAO, C.ORPHAN))
    assert aid.publicity_list([ident], [child], on=D(2026, 9, 19)) == []  # not reviewed yet
    [row] = aid.publicity_list([ident], [child], on=D(2026, 9, 21))
    assert row == aid.PublicityEntry("王小明", "s-1-g3c1", DifficultyLevel.DIFFICULT)
    excluded = attrs.evolve(
        ident, manual=ManualDecision(False, "核实后不符合", "校长", D(2026, 9, 22))
    )
    assert aid.publicity_list([excluded], [child], on=D(2026, 9, 23)) == []


def test_suggested_level_is_the_most_severe() -> None:
    on = D(2026, 9, 1)
    assert aid.suggest_level([C.DIBAO, C.ORPHAN], on=on) is DifficultyLevel.SPECIAL
    assert aid.suggest_level([C.SUDDEN_HARDSHIP], on=on) is DifficultyLevel.GENERAL
    assert aid.suggest_level([], on=on) is None


@given(st.lists(aid_st.identifications(school_year=2026), max_size=4, unique_by=lambda i: i.id))
def test_the_publicity_list_never_shows_grounds_or_numbers(
    idents: list[DifficultyIdentification],
) -> None:
    idents = [attrs.evolve(x, id=f"d{i}", child_id=f"c{i}") for i, x in enumerate(idents)]
    kids = [
        attrs.evolve(pupil(), id=f"c{i}", id_number="110101201205040013")
        for i in range(len(idents))
    ]
    rows = aid.publicity_list(idents, kids, on=D(2027, 6, 1))
    assert {f.name for f in attrs.fields(aid.PublicityEntry)} == {"name", "class_id", "level"}
    for row in rows:
        shown = " ".join(str(v) for v in attrs.astuple(row))
        assert "110101" not in shown
        assert not any(c.value in shown for c in HouseholdCategory)


# --------------------------------------------------------------------------- properties


def _render_all(decision: AidDecision) -> None:
    for s in decision.schemes:
        for lang in ("zh", "en"):
            for text in s.explain(lang):
                assert text
                assert not re.search(r"\{[a-z_]+\}", text), text


@given(aid_st.cases())
def test_amounts_are_never_negative_and_messages_render(
    case: tuple[Child, Household, AidPolicy, dt.date],
) -> None:
    child, household, policy, on = case
    decision = assess(child, household, policy, on=on)
    assert decision.total >= 0
    assert decision.in_kind_total >= 0
    for s in decision.schemes:
        for value in (s.amount, s.term_amount):
            assert value is None or value >= 0
        if s.amount is not None and s.term_amount is not None:
            assert abs(s.term_amount * 2 - s.amount) <= Decimal("0.01")
    _render_all(decision)


@given(aid_st.cases())
def test_eligible_iff_no_failed_criterion(
    case: tuple[Child, Household, AidPolicy, dt.date],
) -> None:
    child, household, policy, on = case
    for s in assess(child, household, policy, on=on).schemes:
        assert s.manual is None
        assert s.criteria
        if s.eligible:
            assert not s.failed
        else:
            assert len(s.failed) >= 1
            assert s.amount is None


@given(aid_st.cases(), st.sampled_from(HouseholdCategory), st.none() | aid_st.identifications())
def test_adding_a_category_never_removes_a_scheme(
    case: tuple[Child, Household, AidPolicy, dt.date],
    extra: HouseholdCategory,
    ident: DifficultyIdentification | None,
) -> None:
    child, household, policy, on = case
    more = attrs.evolve(household, categories=(*household.categories, extra))
    before = assess(child, household, policy, on=on, identification=ident)
    after = assess(child, more, policy, on=on, identification=ident)
    for a, b in zip(before.schemes, after.schemes, strict=True):
        assert a.scheme == b.scheme
        assert not a.eligible or b.eligible, (a, b)


@given(aid_st.cases(), st.none() | aid_st.identifications())
def test_a_decision_depends_only_on_its_inputs_and_the_date(
    case: tuple[Child, Household, AidPolicy, dt.date], ident: DifficultyIdentification | None
) -> None:
    child, household, policy, on = case
    first = assess(child, household, policy, on=on, identification=ident)
    again = assess(
        structure(unstructure(child), Child),
        structure(unstructure(household), Household),
        policy,
        on=on,
        identification=ident,
    )
    assert first == again
    idents = {child.id: ident} if ident is not None else None
    [many] = assess_many([child], [household], policy, on=on, identifications=idents)
    assert many == first


@given(
    st.lists(st.tuples(aid_st.aid_pupils(), aid_st.households()), min_size=2, max_size=12),
    aid_st.policies(),
    aid_st.aid_days(),
)
def test_assessing_many_at_once_equals_one_by_one(
    pairs: list[tuple[Child, Household]], policy: AidPolicy, on: dt.date
) -> None:
    # many pupils share a situation: the batch decides each situation once
    pairs = pairs + pairs[:2]
    kids, homes = [], []
    for i, (child, household) in enumerate(pairs):
        homes.append(attrs.evolve(household, id=f"h-{i}"))
        kids.append(attrs.evolve(child, id=f"c-{i}", household_id=f"h-{i}"))
    many = assess_many(kids, homes, policy, on=on)
    assert many == [assess(c, h, policy, on=on) for c, h in zip(kids, homes, strict=True)]


@given(aid_st.cases(), aid_st.manual_decisions(scheme=LIVING_SUBSIDY))
def test_a_manual_decision_decides_and_is_shown(
    case: tuple[Child, Household, AidPolicy, dt.date], manual: ManualDecision
) -> None:
    child, household, policy, on = case
    manual = attrs.evolve(manual, decided_on=min(manual.decided_on, on))
    d = subsidy(assess(child, household, policy, on=on, overrides=[manual]))
    assert d.eligible is manual.include
    assert d.manual == manual
    assert d.reasons[0].code in {"AID_MANUAL_IN", "AID_MANUAL_OUT"}
    assert d.amount is None or d.amount >= 0


@given(aid_st.cases())
def test_decisions_round_trip_through_the_converter(
    case: tuple[Child, Household, AidPolicy, dt.date],
) -> None:
    child, household, policy, on = case
    decision = assess(child, household, policy, on=on)
    assert structure(unstructure(decision), AidDecision) == decision


# --------------------------------------------------------------------------- re-assessment


def test_reassessment_reports_changed_outcomes_as_events() -> None:
    child = pupil()
    first = assess(child, home(), on=D(2026, 9, 1))
    [added] = aid.events_for(None, first)
    assert added.kind == "record.added"
    assert dict(added.data)["child_id"] == "c-1"
    # nothing changed: no event
    assert aid.events_for(first, assess(child, home(), on=D(2026, 9, 2))) == []
    # the household becomes 低保: the living subsidy changes
    later = assess(child, home(C.DIBAO), on=D(2026, 10, 1))
    [event] = aid.events_for(first, later, actor="liushou aid")
    assert event.kind == "record.updated"
    assert event.subject_kind == "aid_decision"
    assert event.subject_id == later.id
    assert event.actor == "liushou aid"
    data = dict(event.data)
    assert data["schemes"] == LIVING_SUBSIDY
    assert data["change"] == "living subsidy: not eligible -> eligible 500.00"


def test_changed_outcomes_compare_eligibility_and_amount() -> None:
    child = pupil(boarding=True)
    hh = home(C.DIBAO)
    before = assess(child, hh, PROVINCE, on=D(2020, 8, 31))
    after = assess(child, hh, PROVINCE, on=D(2020, 9, 1))
    [change] = aid.changed_outcomes(before, after)
    assert change.scheme == LIVING_SUBSIDY
    assert change.before == (True, Decimal(1000))
    assert change.after == (True, Decimal(1500))


# --------------------------------------------------------------------------- plugins


@attrs.frozen
class CountyRelief:
    """A county's hardship relief: sudden hardship, 600 yuan a year (a test scheme)."""

    code: str = "county hardship relief"

    def assess(self, case: AidCase) -> SchemeDecision:
        hit = HouseholdCategory.SUDDEN_HARDSHIP in case.categories
        criterion = Criterion(
            "SUDDEN", hit, case.params.message("COUNTY_SUDDEN", "Sudden hardship in the family.")
        )
        return decide(
            self.code,
            [criterion],
            Decimal(600),
            terms=case.params.terms,
            missing=case.missing_evidence(case.categories & {HouseholdCategory.SUDDEN_HARDSHIP}),
            source="县教育局 (test)",
        )


class CountyPlugin:
    @hookimpl
    def liushou_aid_schemes(self) -> list[object]:
        return [CountyRelief()]


def test_a_county_scheme_contributed_by_a_plugin_is_assessed_end_to_end() -> None:
    pm = plugins.plugin_manager(
        entry_points=False, plugins=[("county-431121", CountyPlugin())], disabled=()
    )
    policy = aid.with_plugins(DEFAULT_POLICY, pm)
    assert [s.code for s in policy.schemes] == [
        FREE_TUITION,
        FREE_TEXTBOOKS,
        LIVING_SUBSIDY,
        NUTRITION,
        "county hardship relief",
    ]
    child = pupil()
    hit = assess(child, home(C.SUDDEN_HARDSHIP), policy, on=D(2026, 9, 1))
    relief = hit.scheme("county hardship relief")
    assert relief is not None
    assert relief.eligible
    assert relief.amount == Decimal(600)
    assert relief.missing_evidence
    assert hit.total == Decimal(600)
    miss = assess(child, home(), policy, on=D(2026, 9, 1)).scheme("county hardship relief")
    assert miss is not None
    assert not miss.eligible
    # blocked by name: the scheme is gone
    blocked = plugins.plugin_manager(
        entry_points=False, plugins=[("county-431121", CountyPlugin())], disabled=["county-431121"]
    )
    assert aid.with_plugins(DEFAULT_POLICY, blocked).schemes == DEFAULT_POLICY.schemes


def test_two_schemes_with_one_code_are_refused() -> None:
    pm = plugins.plugin_manager(
        entry_points=False,
        plugins=[("a", CountyPlugin()), ("b", CountyPlugin())],
        disabled=(),
    )
    with pytest.raises(PluginError, match="county hardship relief"):
        aid.with_plugins(DEFAULT_POLICY, pm)


def test_a_contribution_that_is_not_a_scheme_is_refused() -> None:
    class Bad:
        @hookimpl
        def liushou_aid_schemes(self) -> list[object]:
            return ["county:济难救助"]

    pm = plugins.plugin_manager(entry_points=False, plugins=[("bad", Bad())], disabled=())
    with pytest.raises(PluginError, match="no code"):
        aid.with_plugins(DEFAULT_POLICY, pm)


def test_school_year() -> None:
    assert aid.school_year_of(D(2026, 8, 31)) == 2025
    assert aid.school_year_of(D(2026, 9, 1)) == 2026
