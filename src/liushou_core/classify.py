"""Classification of children (摸清底数): left-behind, migrant, in difficulty,
de-facto unsupported, or none, each with its reasons.

The definitions are dated policy data (:class:`ClassificationPolicy`), looked up
on the date asked for; a county overrides them without code. Rules are pure
functions of the child, the household, the policy and the date ``on``.

Definitions (sources in ``docs/rules.md``):

* **left-behind** (农村留守儿童, 国发〔2016〕13号): under 16 on ``on``, rural
  household registration, and both parents working away on ``on``, or one away
  and the other unable to act as guardian (seriously ill 重病, severely
  disabled 重残; liushou's default also counts a parent who is dead, declared
  missing, in custody, deprived of guardianship or deported). A parent home for
  Spring Festival is home on those days: the child is not left-behind then.
* **migrant** (流动儿童): under 18, household registration outside the county
  where the child lives, living with at least one parent.
* **de-facto unsupported** (事实无人抚养儿童, 民发〔2019〕62号, 民发〔2020〕125号):
  under 18; both parents in {severely disabled, seriously ill, in custody or
  compulsory drug rehabilitation or otherwise deprived of liberty for at least 6
  months, lost contact for at least 6 months, deprived of guardianship,
  deported}, or one dead or declared missing and the other in that set.
* **in difficulty** (困境儿童, 国发〔2016〕36号): under 18 and poverty (registered
  poor, minimum living allowance, destitute support), the child's own
  disability, or missing or inadequate guardianship.

Age is counted in full years on ``on``, birthdays inclusive: on the 16th
birthday a child is 16. A 29 February birthday falls on 1 March in common
years.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum

import attrs

from liushou_core.dated import Dated
from liushou_core.i18n import N_, Message
from liushou_core.models import (
    CareAssessment,
    Child,
    ConditionKind,
    DisabilityType,
    HealthStatus,
    Household,
    HouseholdCategory,
    Parent,
    ParentCondition,
    ParentRole,
)

__all__ = [
    "DEFAULT_POLICY",
    "Category",
    "Classification",
    "ClassificationPolicy",
    "Survey",
    "add_months",
    "age_on",
    "birthday_in",
    "classify",
    "survey",
]


class Category(StrEnum):
    """The categories of the whole-school survey."""

    LEFT_BEHIND = N_("left-behind")
    MIGRANT = N_("migrant")
    IN_DIFFICULTY = N_("in difficulty")
    DE_FACTO_UNSUPPORTED = N_("de-facto unsupported")
    NONE = N_("none")


_ORDER = {c: i for i, c in enumerate(Category)}
_UNKNOWN_PLACE = N_("an unrecorded place")

# --------------------------------------------------------------------------- dates


def birthday_in(birth: dt.date, year: int) -> dt.date:
    """The birthday in ``year``; 29 February falls on 1 March in common years."""
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 3, 1)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Age in full years on ``on``, the birthday inclusive."""
    years = on.year - birth.year
    if on < birthday_in(birth, on.year):
        years -= 1
    return years


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the day is clamped to the month's end."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- policy

_D2016_LB = dt.date(2016, 2, 4)
_D2016_DIFF = dt.date(2016, 6, 13)
_D2019 = dt.date(2019, 6, 18)
_D2021 = dt.date(2021, 1, 1)
_SRC_LB = "国发〔2016〕13号; 2016 national survey (民政部/教育部/公安部)"
_SRC_DIFF = "国发〔2016〕36号"
_SRC_DF = "民发〔2019〕62号"
_SRC_SEVERE = "重残 as 民发〔2019〕62号 grades it: grade 1-2, or 3-4 mental or intellectual"
_SRC_DF2 = "民发〔2020〕125号 (adds 被撤销监护资格, 被遣送(驱逐)出境; effective date UNCONFIRMED)"

_CUSTODY = frozenset(
    {ConditionKind.IMPRISONED, ConditionKind.COMPULSORY_REHAB, ConditionKind.RESTRICTED}
)
_ABSENT = frozenset({ConditionKind.DECEASED, ConditionKind.MISSING})
_DF_2019 = frozenset(
    {
        ConditionKind.DISABLED,
        ConditionKind.SERIOUSLY_ILL,
        ConditionKind.LOST_CONTACT,
        *_CUSTODY,
    }
)
_DF_2020 = _DF_2019 | {ConditionKind.GUARDIANSHIP_REVOKED, ConditionKind.DEPORTED}


@attrs.frozen
class ClassificationPolicy:
    """The dated parameters of the classification rules.

    Override a value for a county with :meth:`Dated.with_change`, e.g.
    ``attrs.evolve(DEFAULT_POLICY, left_behind_max_age=
    DEFAULT_POLICY.left_behind_max_age.with_change(date(2027, 1, 1), 18, "县文件"))``.
    """

    #: A left-behind child is *under* this age (国发〔2016〕13号: 16).
    left_behind_max_age: Dated[int] = Dated.since(_D2016_LB, 16, _SRC_LB)
    #: Whether a rural household registration is required (2016 survey: yes).
    left_behind_rural_only: Dated[bool] = Dated.since(_D2016_LB, True, _SRC_LB)
    #: Parent circumstances that mean "no guardianship capacity" (重病, 重残; see module doc).
    incapable: Dated[frozenset[ConditionKind]] = Dated.since(
        _D2016_LB,
        frozenset({ConditionKind.SERIOUSLY_ILL, ConditionKind.DISABLED})
        | _ABSENT
        | _CUSTODY
        | {ConditionKind.GUARDIANSHIP_REVOKED, ConditionKind.DEPORTED},
        _SRC_LB + "; liushou default adds death, missing, custody, revocation, deportation",
    )
    #: Disability grades that count as severe (重残): any type at or below ...
    severe_grade: Dated[int] = Dated.since(_D2016_LB, 2, _SRC_SEVERE)
    #: ... and mental or intellectual disability at or below this grade.
    severe_grade_mental: Dated[int] = Dated.since(_D2016_LB, 4, _SRC_SEVERE)
    #: Under this age for de-facto unsupported, migrant and in-difficulty children.
    minor_age: Dated[int] = Dated.since(_D2016_LB, 18, _SRC_DF)
    #: Parent circumstances that can make a child de-facto unsupported (empty before 2019).
    de_facto: Dated[frozenset[ConditionKind]] = Dated(
        Dated.since(_D2016_LB, frozenset[ConditionKind](), "not defined before 2019")
        .with_change(_D2019, _DF_2019, _SRC_DF)
        .with_change(_D2021, _DF_2020, _SRC_DF2)
        .changes
    )
    #: Minimum months of custody or of lost contact (民发〔2019〕62号: 6).
    min_months: Dated[int] = Dated.since(_D2019, 6, _SRC_DF)
    #: Household categories that mean poverty for a child in difficulty.
    poverty: Dated[frozenset[HouseholdCategory]] = Dated.since(
        _D2016_DIFF,
        frozenset(
            {HouseholdCategory.REGISTERED_POOR, HouseholdCategory.DIBAO, HouseholdCategory.TEKUN}
        ),
        _SRC_DIFF,
    )


#: The national definitions, as liushou ships them.
DEFAULT_POLICY = ClassificationPolicy()

# --------------------------------------------------------------------------- result


@attrs.frozen
class Classification:
    """The categories of a child on a day, with the reasons for each."""

    child_id: str
    on: dt.date
    age: int
    categories: tuple[Category, ...]
    reasons: tuple[Message, ...]

    def has(self, category: Category) -> bool:
        return category in self.categories

    @property
    def left_behind(self) -> bool:
        return Category.LEFT_BEHIND in self.categories

    def explain(self, lang: str = "zh") -> list[str]:
        """The reasons rendered in ``lang``."""
        return [r.render(lang) for r in self.reasons]


# --------------------------------------------------------------------------- rules


def _severe(c: ParentCondition, on: dt.date, policy: ClassificationPolicy) -> bool:
    if c.kind is not ConditionKind.DISABLED:
        return True
    d = c.disability
    if d is None:  # pragma: no cover - the model requires it
        return False
    if d.type in (DisabilityType.MENTAL, DisabilityType.INTELLECTUAL):
        return d.grade <= policy.severe_grade_mental.at(on)
    return d.grade <= policy.severe_grade.at(on)


def _lasting(c: ParentCondition, on: dt.date, months: int) -> bool:
    """Custody that lasts (or is sentenced to last) ``months``; lost contact for ``months``."""
    if c.kind is ConditionKind.LOST_CONTACT:
        return add_months(c.start, months) <= on
    if c.kind in _CUSTODY:
        until = c.end if c.end is not None else on
        return add_months(c.start, months) <= until
    return True


def _condition_msg(code: str, role: ParentRole, c: ParentCondition) -> Message:
    return Message(
        code,
        N_("The {parent}: {condition}, since {since}."),
        {"parent": role.value, "condition": c.kind.value, "since": c.start.isoformat()},
    )


def _incapable(
    parent: Parent | None, on: dt.date, policy: ClassificationPolicy
) -> list[ParentCondition]:
    if parent is None:
        return []
    kinds = policy.incapable.at(on)
    return [c for c in parent.conditions_on(on) if c.kind in kinds and _severe(c, on, policy)]


def _de_facto(
    parent: Parent | None,
    on: dt.date,
    policy: ClassificationPolicy,
    kinds: frozenset[ConditionKind],
) -> tuple[list[ParentCondition], list[ParentCondition]]:
    """(qualifying conditions, absent conditions) of a parent on ``on``."""
    if parent is None or not kinds:
        return [], []
    months = policy.min_months.at(on)
    active = parent.conditions_on(on)
    qualifying = [
        c for c in active if c.kind in kinds and _severe(c, on, policy) and _lasting(c, on, months)
    ]
    absent = [c for c in active if c.kind in _ABSENT]
    return qualifying, absent


def classify(
    child: Child,
    *,
    on: dt.date,
    household: Household | None = None,
    policy: ClassificationPolicy = DEFAULT_POLICY,
) -> Classification:
    """Classify ``child`` on ``on``: its categories and the reasons for each."""
    age = age_on(child.birth_date, on)
    cats: set[Category] = set()
    reasons: list[Message] = []
    roles = (ParentRole.FATHER, ParentRole.MOTHER)
    parents = {r: child.parent(r) for r in roles}
    away = {r: (p.away_on(on) if p is not None else None) for r, p in parents.items()}
    incapable = {r: _incapable(p, on, policy) for r, p in parents.items()}
    minor = age < policy.minor_age.at(on)

    # -- left-behind
    lb_age = policy.left_behind_max_age.at(on)
    away_roles = [r for r in roles if away[r] is not None]
    if age >= lb_age:
        if away_roles:
            reasons.append(
                Message(
                    "NOT_LB_AGE",
                    N_("Aged {age}, so not under {limit}: not counted as left-behind."),
                    {"age": age, "limit": lb_age},
                )
            )
    elif policy.left_behind_rural_only.at(on) and not child.hukou.rural:
        if away_roles:
            reasons.append(
                Message(
                    "NOT_LB_URBAN",
                    N_("Household registration is not rural: not counted as left-behind."),
                )
            )
    elif away_roles:
        lb_reasons: list[Message] = []
        for r in away_roles:
            p = away[r]
            assert p is not None
            lb_reasons.append(
                Message(
                    "LB_PARENT_AWAY",
                    N_("The {parent} has been working away in {place} since {since}."),
                    {
                        "parent": r.value,
                        "place": p.place or _UNKNOWN_PLACE,
                        "since": p.start.isoformat(),
                    },
                )
            )
        if len(away_roles) == 2:
            cats.add(Category.LEFT_BEHIND)
            reasons.extend(lb_reasons)
        else:
            other = roles[1] if away_roles[0] is roles[0] else roles[0]
            if incapable[other]:
                cats.add(Category.LEFT_BEHIND)
                reasons.extend(lb_reasons)
                reasons.extend(
                    _condition_msg("LB_OTHER_INCAPABLE", other, c) for c in incapable[other]
                )
            elif parents[other] is None:
                reasons.append(
                    Message(
                        "NOT_LB_PARENT_UNKNOWN",
                        N_(
                            "The {parent} is not recorded: "
                            "cannot tell whether the child is left-behind."
                        ),
                        {"parent": other.value},
                    )
                )
            else:
                reasons.append(
                    Message(
                        "NOT_LB_PARENT_HOME",
                        N_("The {parent} is at home on {on} and able to care: not left-behind."),
                        {"parent": other.value, "on": on.isoformat()},
                    )
                )

    # -- migrant
    at_home = [r for r in roles if parents[r] is not None and away[r] is None]
    if minor and not child.hukou.local and at_home and Category.LEFT_BEHIND not in cats:
        cats.add(Category.MIGRANT)
        reasons.append(
            Message(
                "MIGRANT",
                N_(
                    "Registered in {place}, outside the county of residence, "
                    "and living with the {parent}."
                ),
                {"place": child.hukou.place or _UNKNOWN_PLACE, "parent": at_home[0].value},
            )
        )

    # -- de-facto unsupported
    kinds = policy.de_facto.at(on)
    if minor and kinds:
        df = {r: _de_facto(parents[r], on, policy, kinds) for r in roles}
        qualifying = {r: df[r][0] for r in roles}
        absent = {r: df[r][1] for r in roles}
        both = all(qualifying[r] for r in roles)
        one_absent = any(absent[r] and qualifying[o] for r, o in (roles, roles[::-1]))
        if both or one_absent:
            cats.add(Category.DE_FACTO_UNSUPPORTED)
            for r in roles:
                for c in absent[r] or qualifying[r][:1]:
                    reasons.append(_condition_msg("DF_PARENT", r, c))

    # -- in difficulty
    if minor:
        diff: list[Message] = []
        poverty = policy.poverty.at(on)
        if household is not None:
            for cat in household.categories:
                if cat in poverty:
                    diff.append(
                        Message(
                            "DIFF_POVERTY",
                            N_("The household is in difficulty: {category}."),
                            {"category": cat.value},
                        )
                    )
        if child.health.status is HealthStatus.DISABLED and child.health.disability is not None:
            diff.append(
                Message(
                    "DIFF_DISABILITY",
                    N_("The child has a {type} disability, grade {grade}."),
                    {
                        "type": child.health.disability.type.value,
                        "grade": child.health.disability.grade,
                    },
                )
            )
        diff.extend(_guardianship_problems(child, on, cats, away, incapable))
        if diff:
            cats.add(Category.IN_DIFFICULTY)
            reasons.extend(diff)

    if not cats:
        cats.add(Category.NONE)
        if not reasons:
            reasons.append(_none_reason(child, on, age, lb_age, away))
    ordered = tuple(sorted(cats, key=_ORDER.__getitem__))
    return Classification(child.id, on, age, ordered, tuple(reasons))


def _guardianship_problems(
    child: Child,
    on: dt.date,
    cats: set[Category],
    away: Mapping[ParentRole, object],
    incapable: Mapping[ParentRole, list[ParentCondition]],
) -> list[Message]:
    out: list[Message] = []
    if Category.DE_FACTO_UNSUPPORTED in cats:
        out.append(Message("DIFF_DE_FACTO", N_("Nobody supports the child in fact.")))
    no_parent_home = all(
        child.parent(r) is None or away[r] is not None or incapable[r]
        for r in (ParentRole.FATHER, ParentRole.MOTHER)
    )
    if no_parent_home:
        carers = [g for g in child.guardians if g.lives_with_child and not g.disqualifications]
        if not child.guardians:
            out.append(
                Message("DIFF_NO_GUARDIAN", N_("No parent at home and no guardian recorded."))
            )
        elif not carers:
            out.append(
                Message(
                    "DIFF_LIVES_ALONE",
                    N_("No parent at home and no suitable guardian lives with the child."),
                )
            )
    for g in child.guardians:
        if g.capacity in (CareAssessment.NONE, CareAssessment.INSUFFICIENT):
            out.append(
                Message(
                    "DIFF_GUARDIAN_CAPACITY",
                    N_("The guardianship of {name} is assessed as: {assessment}."),
                    {"name": g.name, "assessment": g.capacity.value},
                )
            )
        for d in g.disqualifications:
            out.append(
                Message(
                    "DIFF_GUARDIAN_UNSUITABLE",
                    N_("The guardian {name} is unsuitable: {ground}."),
                    {"name": g.name, "ground": d.value},
                )
            )
    return out


def _none_reason(
    child: Child, on: dt.date, age: int, lb_age: int, away: Mapping[ParentRole, object]
) -> Message:
    if not child.parents:
        return Message("NONE_NO_PARENTS", N_("No parent is recorded; no category applies."))
    if all(v is None for v in away.values()):
        return Message(
            "NONE_PARENTS_HOME",
            N_("No parent is working away on {on}; no category applies."),
            {"on": on.isoformat()},
        )
    return Message("NONE", N_("No category applies on {on}."), {"on": on.isoformat()})


# --------------------------------------------------------------------------- survey


@attrs.frozen
class Survey:
    """The whole-school count (摸清底数) on a day."""

    on: dt.date
    classifications: tuple[Classification, ...]
    counts: dict[Category, int]
    by_class: dict[str, dict[Category, int]]
    total: int


def survey(
    children: Iterable[Child],
    *,
    on: dt.date,
    households: Iterable[Household] | Mapping[str, Household] = (),
    policy: ClassificationPolicy = DEFAULT_POLICY,
) -> Survey:
    """Classify every child and count them by category and by class.

    A child may count in several categories (left-behind and in difficulty).
    """
    hh = households if isinstance(households, Mapping) else {h.id: h for h in households}
    results: list[Classification] = []
    counts: Counter[Category] = Counter()
    by_class: dict[str, Counter[Category]] = {}
    for child in children:
        household = hh.get(child.household_id) if child.household_id else None
        c = classify(child, on=on, household=household, policy=policy)
        results.append(c)
        counts.update(c.categories)
        by_class.setdefault(child.class_id or "", Counter()).update(c.categories)
    return Survey(
        on=on,
        classifications=tuple(results),
        counts={k: counts.get(k, 0) for k in Category},
        by_class={k: {c: v.get(c, 0) for c in Category} for k, v in sorted(by_class.items())},
        total=len(results),
    )
