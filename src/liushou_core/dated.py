"""Values that change on effective dates (policy parameters).

Modelled on OpenFisca's parameters: a :class:`Dated` value is a sorted series
of :class:`Change` entries, each with the date it takes effect, the value and
the source (the policy document that set it). :meth:`Dated.at` looks a value up
by day. A county overrides a value without code by adding a change with
:meth:`Dated.with_change`.

>>> import datetime as dt
>>> age = Dated.since(dt.date(2016, 2, 4), 16, "国发〔2016〕13号")
>>> age.at(dt.date(2026, 9, 1))
16
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Generic, TypeVar

import attrs

from liushou_core.errors import PolicyError

__all__ = ["Change", "Dated"]

T = TypeVar("T")


@attrs.frozen
class Change(Generic[T]):
    """A value of a policy parameter in force from ``effective`` on (inclusive)."""

    effective: dt.date
    value: T
    source: str


def _sorted_changes(changes: tuple[Change[T], ...] | list[Change[T]]) -> tuple[Change[T], ...]:
    out = tuple(sorted(changes, key=lambda c: c.effective))
    if not out:
        raise PolicyError("a dated value needs at least one change")
    dates = [c.effective for c in out]
    if len(set(dates)) != len(dates):
        raise PolicyError("two changes of a dated value take effect on the same day")
    return out


@attrs.frozen
class Dated(Generic[T]):
    """A policy parameter: values with effective dates, looked up by day."""

    changes: tuple[Change[T], ...] = attrs.field(converter=_sorted_changes)
    _dates: tuple[dt.date, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_dates", tuple(c.effective for c in self.changes))

    @classmethod
    def since(cls, effective: dt.date, value: T, source: str) -> Dated[T]:
        """A parameter with a single value in force from ``effective``."""
        return cls((Change(effective, value, source),))

    def change_at(self, on: dt.date) -> Change[T]:
        """The change in force on ``on``; :class:`PolicyError` before the first one."""
        i = bisect.bisect_right(self._dates, on)
        if i == 0:
            raise PolicyError(
                f"no value in force on {on.isoformat()}; "
                f"the first takes effect on {self._dates[0].isoformat()}"
            )
        return self.changes[i - 1]

    def at(self, on: dt.date) -> T:
        """The value in force on ``on``."""
        return self.change_at(on).value

    def source_at(self, on: dt.date) -> str:
        """The source of the value in force on ``on``."""
        return self.change_at(on).source

    def with_change(self, effective: dt.date, value: T, source: str) -> Dated[T]:
        """A copy with one more change (replacing one on the same day)."""
        kept = [c for c in self.changes if c.effective != effective]
        return Dated((*kept, Change(effective, value, source)))
