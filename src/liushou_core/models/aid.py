"""Aid decisions: per scheme, eligible or not, the amount, reasons, missing evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from liushou_core.i18n import Message

__all__ = ["AidDecision", "SchemeDecision"]


@attrs.frozen
class SchemeDecision:
    """The outcome of one aid scheme for one child on a day.

    ``amount`` is in yuan per year (``None`` for in-kind schemes such as free
    textbooks or meals never paid as cash).
    """

    scheme: str
    eligible: bool
    amount: Decimal | None = None
    reasons: tuple[Message, ...] = ()
    missing_evidence: tuple[Message, ...] = ()
    source: str = ""


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
        """Sum of the cash amounts of the schemes the child is eligible for."""
        return sum(
            (s.amount for s in self.schemes if s.eligible and s.amount is not None), Decimal(0)
        )
