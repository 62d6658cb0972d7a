"""Aid: decisions per scheme, and the identification of financial difficulty.

An :class:`AidDecision` is the assessment of one child on one day, scheme by
scheme (:class:`SchemeDecision`): eligible or not, the amount per year and per
term, each criterion met or failed (:class:`Criterion`), the evidence still
missing, and a manual inclusion or exclusion by the school
(:class:`ManualDecision`) when there is one.

A :class:`DifficultyIdentification` is the yearly identification of a pupil's
family as in financial difficulty (家庭经济困难学生认定, 教财〔2018〕16号): its
grounds, its level (adjusted each term), and the steps it went through
(advance notice, application, school review, publicity, filing), each with its
date.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from enum import StrEnum

import attrs

from liushou_core import validate as v
from liushou_core.i18n import N_, Message
from liushou_core.models.household import DifficultyLevel, HouseholdCategory
from liushou_core.validate import FieldProblem

__all__ = [
    "AidDecision",
    "Criterion",
    "DifficultyIdentification",
    "IdentificationStep",
    "LevelChange",
    "ManualDecision",
    "SchemeDecision",
    "StepRecord",
]


@attrs.frozen
class Criterion:
    """One condition of a scheme, met or failed, with the message that says why."""

    code: str
    met: bool
    message: Message


@attrs.frozen
class ManualDecision:
    """A school's manual inclusion (``include=True``) or exclusion, with its reason.

    ``scheme`` names the scheme it overrides; on a
    :class:`DifficultyIdentification` it is empty and the decision includes the
    pupil as in difficulty, or excludes them, whatever the grounds say.
    ``amount`` is the yearly amount an inclusion grants when the rules found
    the pupil ineligible (and so computed none).
    """

    include: bool
    reason: str = attrs.field(converter=v.text)
    decided_by: str = attrs.field(converter=v.text)
    decided_on: dt.date
    scheme: str = ""
    amount: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        if not self.reason:
            raise FieldProblem(
                Message("MANUAL_REASON", N_("a manual inclusion or exclusion needs its reason")),
                field="reason",
            )


@attrs.frozen
class SchemeDecision:
    """The outcome of one aid scheme for one child on a day.

    ``amount`` is in yuan per year and ``term_amount`` per term (``None`` for
    schemes given in kind, such as free tuition and textbooks).
    ``in_kind`` marks amounts never paid out as cash (the nutrition plan's
    meals): they are not part of :attr:`AidDecision.total`. ``criteria`` are
    the scheme's conditions as the rules found them; ``manual`` a school's
    override, which decides ``eligible`` whatever the criteria say.
    """

    scheme: str
    eligible: bool
    amount: Decimal | None = None
    reasons: tuple[Message, ...] = ()
    missing_evidence: tuple[Message, ...] = ()
    source: str = ""
    term_amount: Decimal | None = None
    in_kind: bool = False
    criteria: tuple[Criterion, ...] = ()
    manual: ManualDecision | None = None

    @property
    def failed(self) -> tuple[Criterion, ...]:
        """The criteria not met."""
        return tuple(c for c in self.criteria if not c.met)

    @property
    def cash(self) -> Decimal:
        """The yearly amount paid as cash if eligible (0 otherwise, and for in-kind schemes)."""
        if self.eligible and self.amount is not None and not self.in_kind:
            return self.amount
        return Decimal(0)

    def explain(self, lang: str = "zh") -> list[str]:
        """The reasons, then the missing evidence, rendered in ``lang``."""
        return [m.render(lang) for m in (*self.reasons, *self.missing_evidence)]


@attrs.define
class AidDecision:
    """The aid assessment of a child on a day, scheme by scheme."""

    id: str
    school_id: str
    child_id: str
    on: dt.date
    schemes: tuple[SchemeDecision, ...] = ()
    version: int = 0

    @property
    def total(self) -> Decimal:
        """Sum of the yearly cash amounts of the schemes the child is eligible for."""
        return sum((s.cash for s in self.schemes), Decimal(0))

    @property
    def in_kind_total(self) -> Decimal:
        """Sum of the yearly value of the in-kind schemes the child is eligible for."""
        return sum(
            (s.amount for s in self.schemes if s.eligible and s.in_kind and s.amount is not None),
            Decimal(0),
        )

    def scheme(self, code: str) -> SchemeDecision | None:
        """The decision of the scheme ``code``, if it was assessed."""
        for s in self.schemes:
            if s.scheme == code:
                return s
        return None

    def outcomes(self) -> dict[str, tuple[bool, Decimal | None]]:
        """Scheme code -> (eligible, yearly amount if eligible): what a re-assessment compares."""
        return {s.scheme: (s.eligible, s.amount if s.eligible else None) for s in self.schemes}


class IdentificationStep(StrEnum):
    """The steps of the identification, in order (教财〔2018〕16号)."""

    NOTICE = N_("advance notice")  # 提前告知
    APPLICATION = N_("application")  # 个人申请
    SCHOOL_REVIEW = N_("school review")  # 学校认定
    PUBLICITY = N_("publicity")  # 结果公示
    FILING = N_("filing")  # 建档备案


_STEP_ORDER = {s: i for i, s in enumerate(IdentificationStep)}


@attrs.frozen
class StepRecord:
    """A step of the identification reached on a day."""

    step: IdentificationStep
    on: dt.date
    note: str = attrs.field(default="", converter=v.text)


@attrs.frozen
class LevelChange:
    """The level set, or adjusted at a term's start, from ``on`` (``None``: not in difficulty)."""

    on: dt.date
    level: DifficultyLevel | None
    reason: str = attrs.field(default="", converter=v.text)


def _steps_in_order(
    instance: DifficultyIdentification, attribute: object, steps: tuple[StepRecord, ...]
) -> None:
    for a, b in itertools.pairwise(steps):
        if _STEP_ORDER[b.step] <= _STEP_ORDER[a.step] or b.on < a.on:
            raise FieldProblem(
                Message(
                    "STEP_ORDER",
                    N_("the step {step} of {on} is out of order"),
                    {"step": b.step.value, "on": b.on.isoformat()},
                ),
                field="steps",
            )


@attrs.define
class DifficultyIdentification:
    """The identification of a pupil's family as in financial difficulty, for a school year.

    ``school_year`` is the year the school year starts in. ``levels`` is the
    level set at the school review and each term's adjustment, oldest first;
    ``steps`` the steps reached, in order, with their dates. ``manual`` records
    a school's inclusion or exclusion with its reason.
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    school_year: int
    household_id: str | None = attrs.field(default=None, converter=v.optional_name)
    categories: tuple[HouseholdCategory, ...] = ()
    levels: tuple[LevelChange, ...] = ()
    steps: tuple[StepRecord, ...] = attrs.field(default=(), validator=_steps_in_order)
    manual: ManualDecision | None = None
    version: int = 0

    def step_on(self, on: dt.date) -> StepRecord | None:
        """The last step reached on or before ``on`` (``None`` before the first)."""
        reached = [s for s in self.steps if s.on <= on]
        return reached[-1] if reached else None

    def reached(self, step: IdentificationStep, on: dt.date) -> StepRecord | None:
        """The record of ``step`` if it was reached by ``on``."""
        for s in self.steps:
            if s.step is step and s.on <= on:
                return s
        return None

    def level_on(self, on: dt.date) -> DifficultyLevel | None:
        """The level in force on ``on`` (the latest change on or before it)."""
        level = None
        for change in sorted(self.levels, key=lambda c: c.on):
            if change.on <= on:
                level = change.level
        return level

    def identified_on(self, on: dt.date) -> bool:
        """Whether the pupil counts as in difficulty on ``on``.

        A manual decision wins; otherwise the identification must be filed by
        ``on`` with a level in force.
        """
        if self.manual is not None and self.manual.decided_on <= on:
            return self.manual.include
        return (
            self.reached(IdentificationStep.FILING, on) is not None
            and self.level_on(on) is not None
        )
