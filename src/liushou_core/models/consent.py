"""The guardian's consent to processing a child's information (PIPL art. 31)."""

from __future__ import annotations

import datetime as dt

import attrs

from liushou_core import validate as v
from liushou_core.models.child import Relationship
from liushou_core.models.common import not_before

__all__ = ["Consent"]


@attrs.define
class Consent:
    """A guardian's consent for stated purposes, until withdrawn.

    Who (``guardian_name``, ``relationship``), when (``given_on``, and
    ``withdrawn_on`` once withdrawn), for what (``purposes``, the processing
    purposes of :class:`liushou_core.privacy.Processing`) and after which
    notice (``notice_version``). PIPL art. 31: needed for a child under 14.
    """

    id: str = attrs.field(converter=v.name)
    school_id: str = attrs.field(converter=v.name)
    child_id: str = attrs.field(converter=v.name)
    guardian_name: str = attrs.field(converter=v.name)
    relationship: Relationship
    given_on: dt.date
    purposes: tuple[str, ...] = ("care programme",)
    withdrawn_on: dt.date | None = attrs.field(default=None, validator=not_before("given_on"))
    note: str = attrs.field(default="", converter=v.text)
    #: the version of the privacy notice the guardian was shown (告知书版本), e.g. "2026-1"
    notice_version: str = attrs.field(default="", converter=v.text)
    version: int = 0

    def in_force(self, on: dt.date) -> bool:
        """Whether the consent holds on ``on``."""
        return self.given_on <= on and (self.withdrawn_on is None or on < self.withdrawn_on)

    def covers(self, purpose: str, on: dt.date) -> bool:
        """Whether the consent holds on ``on`` for ``purpose`` (one of :attr:`purposes`)."""
        return self.in_force(on) and purpose in self.purposes
