"""Aid eligibility: 两免一补, the nutrition plan, county hardship relief, and the
identification of financial difficulty (家庭经济困难学生认定).

:func:`assess` decides, for one child on one day, every scheme of the
:class:`AidPolicy`: eligible or not, the amount per year and per term, each
criterion met or failed, and the evidence still missing. The built-in schemes:

* **free tuition** and **free textbooks** (两免): every pupil in compulsory
  education (primary and junior secondary school);
* **living subsidy** (一补): boarders from families in financial difficulty,
  1000 yuan a year in primary and 1250 in junior secondary school; from
  2019-09-01 also non-boarders from 建档立卡, 低保, 特困供养 and
  disabled-in-difficulty families, at half the rate;
* **nutrition meals** (营养改善计划): in pilot counties, a daily amount per
  school day (3 yuan from autumn 2011, 4 later, 5 from autumn 2021), served as
  meals and never paid as cash.

A county adds its own schemes (hardship relief, 济难救助) through the plugin
hook ``liushou_aid_schemes``; :func:`with_plugins` puts them into a policy.
Every amount, rate, date and category list is dated policy data
(:mod:`liushou_core.dated`) with its source: a province or county overrides it
with :meth:`~liushou_core.dated.Dated.with_change`, without code.

A family counts as in financial difficulty when its grounds include one that
the policy counts without a school identification (建档立卡, 低保, 特困供养,
孤儿, 残疾, 烈士子女 by default), or the school identified it for the school year
of the day asked (a filed :class:`~liushou_core.models.DifficultyIdentification`,
or the household's ``difficulty_level`` with ``identified_on`` in that school
year). A school's manual inclusion or exclusion wins and is shown as such.

Missing evidence (a 低保证明 not on file) does not make a pupil ineligible: it is
listed so that the school collects it before paying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final, Protocol, cast, runtime_checkable

import attrs

from liushou_core.dated import Change, Dated
from liushou_core.hookspecs import Event
from liushou_core.i18n import N_, Message, ParamValue
from liushou_core.models import (
    AidDecision,
    Child,
    Household,
    HouseholdCategory,
    SchoolingStatus,
)
from liushou_core.models.aid import (
    Criterion,
    DifficultyIdentification,
    IdentificationStep,
    ManualDecision,
    SchemeDecision,
)
from liushou_core.models.household import DifficultyLevel, EvidenceKind

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "BUILTIN_SCHEMES",
    "DEFAULT_POLICY",
    "FREE_TEXTBOOKS",
    "FREE_TUITION",
    "LIVING_SUBSIDY",
    "NUTRITION",
    "AidCase",
    "AidPolicy",
    "Difficulty",
    "OutcomeChange",
    "Params",
    "PublicityEntry",
    "Rates",
    "Scheme",
    "assess",
    "assess_many",
    "changed_outcomes",
    "decide",
    "decision_id",
    "difficulty",
    "events_for",
    "identification_problems",
    "publicity_ends",
    "publicity_list",
    "school_year_of",
    "suggest_level",
    "with_plugins",
]

#: Scheme codes of the built-in schemes (also their English labels).
FREE_TUITION: Final = N_("free tuition")
FREE_TEXTBOOKS: Final = N_("free textbooks")
LIVING_SUBSIDY: Final = N_("living subsidy")
NUTRITION: Final = N_("nutrition meals")

_CENT = Decimal("0.01")
_ZERO = Decimal(0)

# --------------------------------------------------------------------------- policy


@attrs.frozen
class Rates:
    """Yearly amounts in yuan by school stage."""

    primary: Decimal
    junior_secondary: Decimal

    def for_stage(self, stage: SchoolingStatus) -> Decimal | None:
        if stage is SchoolingStatus.PRIMARY:
            return self.primary
        if stage is SchoolingStatus.JUNIOR_SECONDARY:
            return self.junior_secondary
        return None


_D2006 = dt.date(2006, 1, 1)
_D2008 = dt.date(2008, 9, 1)
_D2011 = dt.date(2011, 9, 1)
_D2014 = dt.date(2014, 11, 1)
_D2016 = dt.date(2016, 1, 1)
_D2019 = dt.date(2019, 9, 1)
_D2021 = dt.date(2021, 9, 1)

_SRC_FREE = "国发〔2005〕43号 (rural, 2006); 国发〔2008〕25号 (urban, autumn 2008)"
_SRC_SUBSIDY = "两免一补 living subsidy, 1000/1250 yuan a year (in use by 2016)"
_SRC_2019 = "财教〔2019〕19号: non-boarders of 建档立卡, 低保, 特困供养, 残疾 families at 50%"
_SRC_NUTRITION = "国办发〔2011〕54号 rural compulsory education nutrition plan: 3 yuan a day"
_SRC_NUTRITION_4 = "nutrition plan raised to 4 yuan a day (date as reposted: UNCONFIRMED)"
_SRC_NUTRITION_5 = "nutrition plan raised to 5 yuan a day from autumn 2021"
_SRC_IDENT = "教财〔2018〕16号"
_SRC_LOCAL = "set locally (liushou default; 教财〔2018〕16号 leaves it to provinces)"

_NON_BOARDER_CATEGORIES: Final = frozenset(
    {
        HouseholdCategory.REGISTERED_POOR,
        HouseholdCategory.DIBAO,
        HouseholdCategory.TEKUN,
        HouseholdCategory.DISABLED,
    }
)
_SPECIAL_GROUPS: Final = frozenset(
    {
        HouseholdCategory.REGISTERED_POOR,
        HouseholdCategory.DIBAO,
        HouseholdCategory.TEKUN,
        HouseholdCategory.ORPHAN,
        HouseholdCategory.DISABLED,
        HouseholdCategory.MARTYR,
    }
)
_EVIDENCE: Final = (
    (HouseholdCategory.REGISTERED_POOR, EvidenceKind.POVERTY_REGISTRATION),
    (HouseholdCategory.DIBAO, EvidenceKind.DIBAO_CERTIFICATE),
    (HouseholdCategory.TEKUN, EvidenceKind.TEKUN_CERTIFICATE),
    (HouseholdCategory.ORPHAN, EvidenceKind.ORPHAN_CERTIFICATE),
    (HouseholdCategory.DISABLED, EvidenceKind.DISABILITY_CERTIFICATE),
    (HouseholdCategory.MARTYR, EvidenceKind.MARTYR_CERTIFICATE),
    (HouseholdCategory.SUDDEN_HARDSHIP, EvidenceKind.HARDSHIP_STATEMENT),
    (HouseholdCategory.OTHER, EvidenceKind.HARDSHIP_STATEMENT),
)
_CATEGORY_LEVELS: Final = (
    (HouseholdCategory.TEKUN, DifficultyLevel.SPECIAL),
    (HouseholdCategory.ORPHAN, DifficultyLevel.SPECIAL),
    (HouseholdCategory.REGISTERED_POOR, DifficultyLevel.DIFFICULT),
    (HouseholdCategory.DIBAO, DifficultyLevel.DIFFICULT),
    (HouseholdCategory.DISABLED, DifficultyLevel.DIFFICULT),
    (HouseholdCategory.MARTYR, DifficultyLevel.DIFFICULT),
    (HouseholdCategory.SUDDEN_HARDSHIP, DifficultyLevel.GENERAL),
    (HouseholdCategory.OTHER, DifficultyLevel.GENERAL),
)


@attrs.frozen
class AidPolicy:
    """The dated parameters of the aid rules, and the schemes to assess.

    A province that pays more overrides a value from a date, e.g.::

        jiangsu = attrs.evolve(
            DEFAULT_POLICY,
            living_subsidy=DEFAULT_POLICY.living_subsidy.with_change(
                date(2020, 9, 1), Rates(Decimal(1500), Decimal(2000)), "省文件"
            ),
        )
    """

    #: Stages of compulsory education (free tuition and textbooks for all).
    compulsory: Dated[frozenset[SchoolingStatus]] = Dated.since(
        _D2006,
        frozenset({SchoolingStatus.PRIMARY, SchoolingStatus.JUNIOR_SECONDARY}),
        _SRC_FREE,
    )
    #: Living subsidy per year by stage (``None``: no rate recorded then).
    living_subsidy: Dated[Rates | None] = Dated(
        (
            Change[Rates | None](_D2006, None, "no rate recorded before 2016 in liushou"),
            Change[Rates | None](_D2016, Rates(Decimal(1000), Decimal(1250)), _SRC_SUBSIDY),
        )
    )
    #: Share of the rate paid to non-boarders of :attr:`non_boarder_categories`.
    non_boarder_share: Dated[Decimal] = Dated(
        Dated.since(_D2006, _ZERO, "boarders only before autumn 2019")
        .with_change(_D2019, Decimal("0.5"), _SRC_2019)
        .changes
    )
    #: Household grounds that qualify a non-boarder for the living subsidy.
    non_boarder_categories: Dated[frozenset[HouseholdCategory]] = Dated(
        Dated.since(_D2006, frozenset[HouseholdCategory](), "boarders only before autumn 2019")
        .with_change(_D2019, _NON_BOARDER_CATEGORIES, _SRC_2019)
        .changes
    )
    #: Grounds that count as financial difficulty without a school identification.
    special_groups: Dated[frozenset[HouseholdCategory]] = Dated.since(
        _D2006,
        _SPECIAL_GROUPS,
        _SRC_IDENT + " (special groups: 建档立卡, 低保, 特困, 孤残, 烈士子女)",
    )
    #: Whether the county is a pilot county of the nutrition plan.
    nutrition_pilot: Dated[bool] = Dated.since(
        _D2006, True, "liushou default: a pilot county; set False for other counties"
    )
    #: The nutrition plan's amount per pupil and school day (``None``: no plan yet).
    nutrition_daily: Dated[Decimal | None] = Dated(
        (
            Change[Decimal | None](_D2006, None, "no nutrition plan before autumn 2011"),
            Change[Decimal | None](_D2011, Decimal(3), _SRC_NUTRITION),
            Change[Decimal | None](_D2014, Decimal(4), _SRC_NUTRITION_4),
            Change[Decimal | None](_D2021, Decimal(5), _SRC_NUTRITION_5),
        )
    )
    #: School days a year the nutrition plan pays for (about 200).
    school_days: Dated[int] = Dated.since(_D2006, 200, "nutrition plan: about 200 school days")
    #: Terms a year; term amounts are the yearly amount divided by this.
    terms_per_year: Dated[int] = Dated.since(_D2006, 2, "two terms a school year")
    #: The first (month, day) of a school year.
    school_year_start: Dated[tuple[int, int]] = Dated.since(_D2006, (9, 1), "autumn term start")
    #: The document that proves each ground of difficulty.
    evidence: Dated[tuple[tuple[HouseholdCategory, EvidenceKind], ...]] = Dated.since(
        _D2006, _EVIDENCE, _SRC_IDENT + "; documents as schools ask them: " + _SRC_LOCAL
    )
    #: The levels of difficulty in use, most severe first.
    levels: Dated[tuple[DifficultyLevel, ...]] = Dated.since(
        _D2006, tuple(DifficultyLevel), _SRC_IDENT + "; criteria " + _SRC_LOCAL
    )
    #: The level a ground suggests (the school decides; the most severe ground wins).
    category_levels: Dated[tuple[tuple[HouseholdCategory, DifficultyLevel], ...]] = Dated.since(
        _D2006, _CATEGORY_LEVELS, _SRC_LOCAL
    )
    #: Working days the identification results are publicised (e.g. 5).
    publicity_working_days: Dated[int] = Dated.since(
        _D2006, 5, "e.g. 5 working days; " + _SRC_LOCAL
    )
    #: The schemes assessed, built-ins first; :func:`with_plugins` adds contributed ones.
    schemes: tuple[Scheme, ...] = attrs.field(factory=lambda: BUILTIN_SCHEMES)

    def params(self, on: dt.date) -> Params:
        """Every parameter looked up on ``on`` (once for many children)."""
        month, day = self.school_year_start.at(on)
        start = dt.date(on.year, month, day)
        year = on.year if on >= start else on.year - 1
        return Params(
            on=on,
            school_year=year,
            school_year_first_day=dt.date(year, month, day),
            compulsory=self.compulsory.at(on),
            living_subsidy=self.living_subsidy.at(on),
            living_subsidy_source=self.living_subsidy.source_at(on),
            non_boarder_share=self.non_boarder_share.at(on),
            non_boarder_categories=self.non_boarder_categories.at(on),
            non_boarder_source=self.non_boarder_categories.source_at(on),
            special_groups=self.special_groups.at(on),
            nutrition_pilot=self.nutrition_pilot.at(on),
            nutrition_daily=self.nutrition_daily.at(on),
            nutrition_source=self.nutrition_daily.source_at(on),
            school_days=self.school_days.at(on),
            terms=self.terms_per_year.at(on),
            evidence=dict(self.evidence.at(on)),
            compulsory_source=self.compulsory.source_at(on),
        )


@attrs.frozen
class Params:
    """The parameters of an :class:`AidPolicy` in force on one day."""

    on: dt.date
    school_year: int
    school_year_first_day: dt.date
    compulsory: frozenset[SchoolingStatus]
    living_subsidy: Rates | None
    living_subsidy_source: str
    non_boarder_share: Decimal
    non_boarder_categories: frozenset[HouseholdCategory]
    non_boarder_source: str
    special_groups: frozenset[HouseholdCategory]
    nutrition_pilot: bool
    nutrition_daily: Decimal | None
    nutrition_source: str
    school_days: int
    terms: int
    evidence: Mapping[HouseholdCategory, EvidenceKind]
    compulsory_source: str
    #: Messages and criteria already built on this day (they are immutable values).
    memo: dict[tuple[object, ...], Any] = attrs.field(factory=dict, eq=False, repr=False)

    def message(self, code: str, text: str, *params: tuple[str, ParamValue]) -> Message:
        """``Message(code, text, params)``, built once per day and parameters."""
        key = (code, text, params)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = Message(code, text, params)
        return cast(Message, found)

    def criterion(
        self, code: str, met: bool, msg: str, text: str, *params: tuple[str, ParamValue]
    ) -> Criterion:
        """``Criterion(code, met, Message(msg, text, params))``, built once per day."""
        key = ("criterion", code, met, msg, text, params)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = Criterion(code, met, Message(msg, text, params))
        return cast(Criterion, found)


def school_year_of(on: dt.date, policy: AidPolicy | None = None) -> int:
    """The school year (by the year it starts in) that ``on`` belongs to."""
    return (policy or DEFAULT_POLICY).params(on).school_year


# --------------------------------------------------------------------------- the case


@attrs.frozen
class Difficulty:
    """Whether a family is in financial difficulty on a day, and why."""

    met: bool
    message: Message
    grounds: frozenset[HouseholdCategory]
    manual: ManualDecision | None = None


@attrs.frozen
class AidCase:
    """What a scheme looks at: the child, the household, the parameters of the day."""

    child: Child
    household: Household | None
    identification: DifficultyIdentification | None
    params: Params
    policy: AidPolicy
    categories: frozenset[HouseholdCategory]
    difficulty: Difficulty

    @property
    def on(self) -> dt.date:
        return self.params.on

    def missing_evidence(self, categories: Iterable[HouseholdCategory]) -> tuple[Message, ...]:
        """A "{document} not on file" message for each of ``categories`` lacking a valid one."""
        out: list[Message] = []
        seen: set[EvidenceKind] = set()
        hh = self.household
        for cat in sorted(categories):
            kind = self.params.evidence.get(cat)
            if kind is None or kind in seen:
                continue
            seen.add(kind)
            if hh is None or hh.evidence_on(kind, self.params.on) is None:
                out.append(
                    self.params.message(
                        "EVIDENCE_MISSING",
                        N_("{evidence} not on file (for: {category})."),
                        ("category", cat.value),
                        ("evidence", kind.value),
                    )
                )
        return tuple(out)


@runtime_checkable
class Scheme(Protocol):
    """An aid scheme: a stable ``code`` (its English label) and ``assess(case)``.

    ``assess`` returns the scheme's :class:`SchemeDecision`, best built with
    :func:`decide`, from the :class:`AidCase` (the child, household,
    difficulty and the policy's parameters on the day).
    """

    @property
    def code(self) -> str: ...

    def assess(self, case: AidCase) -> SchemeDecision: ...


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def decide(
    code: str,
    criteria: Sequence[Criterion],
    amount: Decimal | None = None,
    *,
    terms: int = 2,
    missing: Sequence[Message] = (),
    source: str = "",
    in_kind: bool = False,
) -> SchemeDecision:
    """A scheme decision: eligible when every criterion is met.

    ``amount`` is the yearly amount when eligible (kept only then; never
    negative); the term amount is that divided by ``terms``.
    """
    eligible = all(c.met for c in criteria) and bool(criteria)
    if amount is not None and amount < 0:
        raise ValueError(f"{code}: an amount is never negative ({amount})")
    yearly = _money(amount) if eligible and amount is not None else None
    return SchemeDecision(
        scheme=code,
        eligible=eligible,
        amount=yearly,
        reasons=tuple(c.message for c in criteria),
        missing_evidence=tuple(missing) if eligible else (),
        source=source,
        term_amount=_money(yearly / terms) if yearly is not None and terms > 0 else None,
        in_kind=in_kind,
        criteria=tuple(criteria),
    )


# --------------------------------------------------------------------------- schemes


def _stage_criterion(case: AidCase) -> Criterion:
    stage = case.child.schooling
    p = case.params
    if stage in p.compulsory:
        return p.criterion(
            "COMPULSORY",
            True,
            "AID_COMPULSORY",
            N_("In {stage}: compulsory education."),
            ("stage", stage.value),
        )
    return p.criterion(
        "NOT_COMPULSORY",
        False,
        "AID_NOT_COMPULSORY",
        N_("In {stage}: not compulsory education."),
        ("stage", stage.value),
    )


@attrs.frozen
class FreeSchooling:
    """Free tuition and miscellaneous fees, or free textbooks: every compulsory pupil."""

    code: str

    def assess(self, case: AidCase) -> SchemeDecision:
        return decide(
            self.code,
            [_stage_criterion(case)],
            terms=case.params.terms,
            source=case.params.compulsory_source,
        )

    def bind(self, params: Params) -> Callable[[AidCase], SchemeDecision]:
        """``assess`` for many children on one day: the decision depends on the stage only."""
        return _by_stage(self.assess)


@attrs.frozen
class LivingSubsidy:
    """The living subsidy (一补): boarders in difficulty; some non-boarders at a share."""

    code: str = LIVING_SUBSIDY

    def bind(self, params: Params) -> Callable[[AidCase], SchemeDecision]:
        """``assess`` for many children on one day, each distinct situation decided once.

        The decision depends only on the stage, boarding, the family's
        difficulty, its grounds and the documents valid on the day.
        """
        cache: dict[tuple[object, ...], SchemeDecision] = {}
        on = params.on

        def bound(case: AidCase) -> SchemeDecision:
            hh = case.household
            docs = (
                frozenset(e.kind for e in hh.evidence if e.valid_on(on))
                if hh is not None and hh.evidence
                else frozenset()
            )
            child = case.child
            key = (child.schooling, child.boarding, case.difficulty, case.categories, docs)
            found = cache.get(key)
            if found is None:
                found = cache[key] = self.assess(case)
            return found

        return bound

    def assess(self, case: AidCase) -> SchemeDecision:
        p = case.params
        criteria = [_stage_criterion(case)]
        rates = p.living_subsidy
        rate = rates.for_stage(case.child.schooling) if rates is not None else None
        if criteria[0].met and rate is None:
            criteria.append(
                Criterion(
                    "NO_RATE",
                    False,
                    Message(
                        "AID_NO_RATE",
                        N_("No living subsidy rate is recorded for {on}."),
                        {"on": p.on.isoformat()},
                    ),
                )
            )
        amount: Decimal | None = rate
        grounds: frozenset[HouseholdCategory] = frozenset()
        source = p.living_subsidy_source
        if case.child.boarding:
            criteria.append(p.criterion("BOARDER", True, "AID_BOARDER", N_("Boards at school.")))
            d = case.difficulty
            criteria.append(Criterion("DIFFICULTY", d.met, d.message))
            grounds = d.grounds
        else:
            hits = case.categories & p.non_boarder_categories
            excluded = case.difficulty.manual is not None and not case.difficulty.manual.include
            if p.non_boarder_share <= 0:
                criteria.append(
                    Criterion(
                        "NOT_BOARDER",
                        False,
                        Message(
                            "AID_BOARDERS_ONLY",
                            N_("Does not board: on {on} only boarders receive the subsidy."),
                            {"on": p.on.isoformat()},
                        ),
                    )
                )
            elif excluded:
                criteria.append(Criterion("DIFFICULTY", False, case.difficulty.message))
            elif hits:
                grounds = frozenset(hits)
                cat = min(hits)
                criteria.append(
                    p.criterion(
                        "NON_BOARDER_GROUND",
                        True,
                        "AID_NON_BOARDER",
                        N_("Does not board; the household is {category}: {share} of the rate."),
                        ("category", cat.value),
                        ("share", _percent(p.non_boarder_share)),
                    )
                )
                amount = rate * p.non_boarder_share if rate is not None else None
                source = p.non_boarder_source
            else:
                criteria.append(
                    p.criterion(
                        "NOT_BOARDER",
                        False,
                        "AID_NON_BOARDER_NO_GROUND",
                        N_(
                            "Does not board, and the household is not registered poor, "
                            "on minimum living allowance, in destitute support or "
                            "disabled in difficulty."
                        ),
                    )
                )
        return decide(
            self.code,
            criteria,
            amount,
            terms=p.terms,
            missing=case.missing_evidence(grounds),
            source=source,
        )


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


@attrs.frozen
class NutritionMeals:
    """The nutrition plan: meals worth a daily amount per school day, never paid as cash."""

    code: str = NUTRITION

    def assess(self, case: AidCase) -> SchemeDecision:
        p = case.params
        criteria = [_stage_criterion(case)]
        daily = p.nutrition_daily
        if daily is None:
            criteria.append(
                Criterion(
                    "NO_PLAN",
                    False,
                    Message(
                        "AID_NO_NUTRITION",
                        N_("The nutrition plan is not in force on {on}."),
                        {"on": p.on.isoformat()},
                    ),
                )
            )
        elif not p.nutrition_pilot:
            criteria.append(
                Criterion(
                    "NOT_PILOT",
                    False,
                    Message(
                        "AID_NOT_PILOT",
                        N_("The county is not a pilot county of the nutrition plan."),
                    ),
                )
            )
        else:
            criteria.append(
                p.criterion(
                    "PILOT",
                    True,
                    "AID_NUTRITION",
                    N_(
                        "Pilot county: meals worth {daily} yuan per school day "
                        "for {days} days, never paid as cash."
                    ),
                    ("daily", str(daily)),
                    ("days", p.school_days),
                )
            )
        amount = daily * p.school_days if daily is not None else None
        return decide(
            self.code,
            criteria,
            amount,
            terms=p.terms,
            source=p.nutrition_source,
            in_kind=True,
        )

    def bind(self, params: Params) -> Callable[[AidCase], SchemeDecision]:
        """``assess`` for many children on one day: the decision depends on the stage only."""
        return _by_stage(self.assess)


def _by_stage(assess: Callable[[AidCase], SchemeDecision]) -> Callable[[AidCase], SchemeDecision]:
    cache: dict[SchoolingStatus, SchemeDecision] = {}

    def bound(case: AidCase) -> SchemeDecision:
        stage = case.child.schooling
        found = cache.get(stage)
        if found is None:
            found = cache[stage] = assess(case)
        return found

    return bound


def _bind(scheme: Scheme, params: Params) -> Callable[[AidCase], SchemeDecision]:
    """The scheme's assessor for many children on one day (its ``bind`` if it has one)."""
    bind = getattr(scheme, "bind", None)
    if bind is None:
        return scheme.assess
    bound: Callable[[AidCase], SchemeDecision] = bind(params)
    return bound


#: The national schemes liushou ships, in the order decisions list them.
BUILTIN_SCHEMES: Final[tuple[Scheme, ...]] = (
    FreeSchooling(FREE_TUITION),
    FreeSchooling(FREE_TEXTBOOKS),
    LivingSubsidy(),
    NutritionMeals(),
)

#: The national policy, as liushou ships it.
DEFAULT_POLICY: Final = AidPolicy()


def with_plugins(policy: AidPolicy, pm: pluggy.PluginManager) -> AidPolicy:
    """``policy`` with the schemes plugins contribute through ``liushou_aid_schemes``.

    Contributed schemes come after the policy's own, in plugin order. A scheme
    whose code is already taken is an error naming the code.
    """
    from liushou_core import plugins

    extra = plugins.contributions(pm, "liushou_aid_schemes")
    codes = [s.code for s in policy.schemes]
    for scheme in extra:
        if not isinstance(scheme, Scheme):
            raise plugins.PluginError(
                f"liushou_aid_schemes returned {scheme!r}, which has no code and assess(case)"
            )
        if scheme.code in codes:
            raise plugins.PluginError(f"two aid schemes have the code {scheme.code!r}")
        codes.append(scheme.code)
    return attrs.evolve(policy, schemes=(*policy.schemes, *extra))


# --------------------------------------------------------------------------- difficulty


def difficulty(
    household: Household | None,
    identification: DifficultyIdentification | None,
    params: Params,
) -> Difficulty:
    """Whether the family counts as in financial difficulty on ``params.on``, and why."""
    on, year = params.on, params.school_year
    ident = (
        identification
        if identification is not None and identification.school_year == year
        else None
    )
    categories = frozenset(household.categories if household is not None else ()) | frozenset(
        ident.categories if ident is not None else ()
    )
    manual = ident.manual if ident is not None and ident.manual is not None else None
    if manual is not None and manual.decided_on <= on:
        if manual.include:
            msg = Message(
                "DIFF_MANUAL_IN",
                N_("Included by the school as in difficulty: {reason}"),
                {"reason": manual.reason},
            )
        else:
            msg = Message(
                "DIFF_MANUAL_OUT",
                N_("Excluded by the school: {reason}"),
                {"reason": manual.reason},
            )
        return Difficulty(
            manual.include, msg, categories if manual.include else frozenset(), manual
        )
    special = categories & params.special_groups
    if special:
        cat = min(special)
        return Difficulty(
            True,
            params.message(
                "DIFF_GROUP",
                N_("The household is {category}: in financial difficulty."),
                ("category", cat.value),
            ),
            frozenset(special),
        )
    if ident is not None and ident.identified_on(on):
        level = ident.level_on(on)
        assert level is not None
        return Difficulty(
            True,
            Message(
                "DIFF_IDENTIFIED",
                N_("Identified as {level} for the {year} school year."),
                {"level": level.value, "year": year},
            ),
            categories,
        )
    if (
        household is not None
        and household.difficulty_level is not None
        and household.identified_on is not None
        and household.identified_on <= on
    ):
        if household.identified_on >= params.school_year_first_day:
            return Difficulty(
                True,
                params.message(
                    "DIFF_IDENTIFIED",
                    N_("Identified as {level} for the {year} school year."),
                    ("level", household.difficulty_level.value),
                    ("year", year),
                ),
                categories,
            )
        return Difficulty(
            False,
            Message(
                "DIFF_STALE",
                N_(
                    "The identification of {date} is for an earlier school year: "
                    "identify again for {year}."
                ),
                {"date": household.identified_on.isoformat(), "year": year},
            ),
            frozenset(),
        )
    none = params.memo.get(("difficulty-none",))
    if none is None:
        none = params.memo[("difficulty-none",)] = Difficulty(
            False,
            params.message(
                "DIFF_NONE",
                N_(
                    "The family is not identified as in financial difficulty "
                    "for the {year} school year."
                ),
                ("year", year),
            ),
            frozenset(),
        )
    return cast(Difficulty, none)


# --------------------------------------------------------------------------- assess


def decision_id(child: Child, on: dt.date) -> str:
    """The id of the aid decision of ``child`` on ``on`` (one per child and day)."""
    return f"{child.id}-aid-{on.isoformat()}"


def _case(
    child: Child,
    household: Household | None,
    identification: DifficultyIdentification | None,
    policy: AidPolicy,
    params: Params,
) -> AidCase:
    d = difficulty(household, identification, params)
    categories = frozenset(household.categories) if household is not None else frozenset()
    if identification is not None and identification.school_year == params.school_year:
        categories |= frozenset(identification.categories)
    if d.manual is not None and not d.manual.include:
        categories = frozenset()  # an exclusion by the school covers every ground
    return AidCase(child, household, identification, params, policy, categories, d)


def _apply_manual(decision: SchemeDecision, manual: ManualDecision, terms: int) -> SchemeDecision:
    if manual.include:
        msg = Message(
            "AID_MANUAL_IN", N_("Included by the school: {reason}"), {"reason": manual.reason}
        )
        amount = decision.amount if decision.eligible else manual.amount
    else:
        msg = Message(
            "AID_MANUAL_OUT", N_("Excluded by the school: {reason}"), {"reason": manual.reason}
        )
        amount = None
    return attrs.evolve(
        decision,
        eligible=manual.include,
        amount=amount,
        term_amount=_money(amount / terms) if amount is not None and terms > 0 else None,
        reasons=(msg, *decision.reasons),
        manual=manual,
    )


def _assess(
    child: Child,
    household: Household | None,
    policy: AidPolicy,
    params: Params,
    identification: DifficultyIdentification | None,
    overrides: Sequence[ManualDecision],
    assessors: Sequence[tuple[str, Callable[[AidCase], SchemeDecision]]],
) -> AidDecision:
    case = _case(child, household, identification, policy, params)
    out = [assess(case) for _, assess in assessors]
    if overrides:
        manual = {m.scheme: m for m in overrides if m.decided_on <= params.on}
        for i, (code, _) in enumerate(assessors):
            m = manual.get(code)
            if m is not None:
                out[i] = _apply_manual(out[i], m, params.terms)
    return AidDecision(
        id=decision_id(child, params.on),
        school_id=child.school_id,
        child_id=child.id,
        on=params.on,
        schemes=tuple(out),
    )


def assess(
    child: Child,
    household: Household | None,
    policy: AidPolicy = DEFAULT_POLICY,
    *,
    on: dt.date,
    identification: DifficultyIdentification | None = None,
    overrides: Sequence[ManualDecision] = (),
) -> AidDecision:
    """Assess every scheme of ``policy`` for ``child`` on ``on``.

    ``identification`` is the child's difficulty identification (used when it
    is for the school year of ``on``); ``overrides`` are the school's manual
    inclusions or exclusions, each naming its scheme and in force from its
    ``decided_on``.
    """
    assessors = [(s.code, s.assess) for s in policy.schemes]
    return _assess(
        child, household, policy, policy.params(on), identification, overrides, assessors
    )


def assess_many(
    children: Iterable[Child],
    households: Mapping[str, Household] | Iterable[Household] = (),
    policy: AidPolicy = DEFAULT_POLICY,
    *,
    on: dt.date,
    identifications: Mapping[str, DifficultyIdentification] | None = None,
    overrides: Mapping[str, Sequence[ManualDecision]] | None = None,
) -> list[AidDecision]:
    """:func:`assess` for many children, looking the parameters up once.

    ``households`` by id (or an iterable of them); ``identifications`` and
    ``overrides`` by child id.
    """
    hh = households if isinstance(households, Mapping) else {h.id: h for h in households}
    params = policy.params(on)
    idents = identifications or {}
    manual = overrides or {}
    assessors = [(s.code, _bind(s, params)) for s in policy.schemes]
    return [
        _assess(
            c,
            hh.get(c.household_id) if c.household_id else None,
            policy,
            params,
            idents.get(c.id),
            manual.get(c.id, ()),
            assessors,
        )
        for c in children
    ]


# --------------------------------------------------------------------------- re-assessment


@attrs.frozen
class OutcomeChange:
    """A scheme whose outcome changed between two assessments of a child."""

    scheme: str
    before: tuple[bool, Decimal | None] | None
    after: tuple[bool, Decimal | None] | None

    def describe(self, side: tuple[bool, Decimal | None] | None) -> str:
        if side is None:
            return "not assessed"
        eligible, amount = side
        if not eligible:
            return "not eligible"
        return "eligible" if amount is None else f"eligible {amount}"


def changed_outcomes(before: AidDecision | None, after: AidDecision) -> list[OutcomeChange]:
    """The schemes whose outcome (eligible, yearly amount) differs from ``before``.

    With no earlier decision, every eligible scheme counts as changed.
    """
    old = before.outcomes() if before is not None else {}
    new = after.outcomes()
    out = []
    for code in [*new, *(c for c in old if c not in new)]:
        a, b = old.get(code), new.get(code)
        if a != b and not (a is None and b is not None and not b[0]):
            out.append(OutcomeChange(code, a, b))
    return out


def events_for(
    before: AidDecision | None, after: AidDecision, *, actor: str = "system"
) -> list[Event]:
    """The event (for ``liushou_on_event``) of a changed outcome; empty when none changed.

    ``record.added`` for a child's first decision, ``record.updated`` when an
    earlier one exists; subject ``aid_decision``; ``data`` holds ``child_id``,
    ``schemes`` (the changed scheme codes, comma separated) and ``change`` (what
    changed, as ``scheme: before -> after``).
    """
    changes = changed_outcomes(before, after)
    if not changes:
        return []
    summary = "; ".join(
        f"{ch.scheme}: {ch.describe(ch.before)} -> {ch.describe(ch.after)}" for ch in changes
    )
    return [
        Event(
            kind="record.added" if before is None else "record.updated",
            school_id=after.school_id,
            subject_kind="aid_decision",
            subject_id=after.id,
            on=after.on,
            actor=actor,
            data=(
                ("child_id", after.child_id),
                ("schemes", ", ".join(ch.scheme for ch in changes)),
                ("change", summary),
            ),
        )
    ]


# --------------------------------------------------------------------------- identification


def suggest_level(
    categories: Iterable[HouseholdCategory], policy: AidPolicy = DEFAULT_POLICY, *, on: dt.date
) -> DifficultyLevel | None:
    """The most severe level the grounds suggest (the school review decides)."""
    levels = policy.levels.at(on)
    by_cat = dict(policy.category_levels.at(on))
    found = [by_cat[c] for c in categories if c in by_cat and by_cat[c] in levels]
    return min(found, key=levels.index) if found else None


def _add_working_days(day: dt.date, n: int) -> dt.date:
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def publicity_ends(
    identification: DifficultyIdentification, policy: AidPolicy = DEFAULT_POLICY
) -> dt.date | None:
    """The last day of publicity: its first day plus the working days the policy sets, less one.

    Working days are Monday to Friday (public holidays are not known to liushou).
    """
    for s in identification.steps:
        if s.step is IdentificationStep.PUBLICITY:
            days = policy.publicity_working_days.at(s.on)
            first = s.on if s.on.weekday() < 5 else _add_working_days(s.on, 1)
            return _add_working_days(first, days - 1)
    return None


def identification_problems(
    identification: DifficultyIdentification, policy: AidPolicy = DEFAULT_POLICY, *, on: dt.date
) -> list[Message]:
    """What is wrong with an identification on ``on``: skipped steps, short publicity,
    a level the policy does not use, a filing without a level."""
    out: list[Message] = []
    reached = {s.step for s in identification.steps if s.on <= on}
    filing = identification.reached(IdentificationStep.FILING, on)
    required = (
        IdentificationStep.APPLICATION,
        IdentificationStep.SCHOOL_REVIEW,
        IdentificationStep.PUBLICITY,
    )
    if filing is not None:
        for step in required:
            if step not in reached:
                out.append(
                    Message(
                        "IDENT_STEP_SKIPPED",
                        N_("Filed without the step {step}."),
                        {"step": step.value},
                    )
                )
        end = publicity_ends(identification, policy)
        if end is not None and filing.on <= end:
            out.append(
                Message(
                    "IDENT_PUBLICITY_SHORT",
                    N_("Filed on {filed}, before the publicity ended on {end}."),
                    {"filed": filing.on.isoformat(), "end": end.isoformat()},
                )
            )
        if identification.level_on(on) is None and identification.manual is None:
            out.append(Message("IDENT_NO_LEVEL", N_("Filed without a level of difficulty.")))
    levels = policy.levels.at(on)
    for change in identification.levels:
        if change.level is not None and change.level not in levels:
            out.append(
                Message(
                    "IDENT_LEVEL_UNUSED",
                    N_("The level {level} is not in use."),
                    {"level": change.level.value},
                )
            )
    return out


@attrs.frozen
class PublicityEntry:
    """One line of the publicity list: name, class and level, never the grounds or numbers."""

    name: str
    class_id: str
    level: DifficultyLevel


def publicity_list(
    identifications: Iterable[DifficultyIdentification],
    children: Mapping[str, Child] | Iterable[Child],
    *,
    on: dt.date,
) -> list[PublicityEntry]:
    """The publicity list (结果公示) on ``on``: pupils identified with a level.

    It shows the name, the class and the level only: never the grounds
    (低保, 孤儿, disability ...), ID numbers or reasons, which stay on file.
    """
    kids = children if isinstance(children, Mapping) else {c.id: c for c in children}
    out = []
    for ident in identifications:
        level = ident.level_on(on)
        child = kids.get(ident.child_id)
        if level is None or child is None:
            continue
        if ident.reached(IdentificationStep.SCHOOL_REVIEW, on) is None:
            continue
        if ident.manual is not None and not ident.manual.include and ident.manual.decided_on <= on:
            continue
        out.append(PublicityEntry(child.name, child.class_id or "", level))
    return sorted(out, key=lambda e: (e.class_id, e.name))
