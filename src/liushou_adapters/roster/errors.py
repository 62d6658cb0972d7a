"""The one error a roster import raises for bad input: :class:`RosterRejected`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import attrs

from liushou_core.errors import LiushouError
from liushou_core.i18n import N_, Message
from liushou_core.masking import mask_text

__all__ = ["RosterProblem", "RosterRejected"]

#: How many problems ``str(RosterRejected)`` lists before "and N more".
_SHOWN: Final = 30


@attrs.frozen
class RosterProblem:
    """One problem of a roster: where (line and column) and why.

    ``line`` is the line of a CSV file or the row of a worksheet, from 1
    (``None`` for a problem of the whole file); ``column`` the column's
    Chinese header and ``key`` its English key (both empty for a problem of
    the whole row or file).
    """

    line: int | None
    column: str
    key: str
    message: Message

    def where(self, lang: str = "zh") -> str:
        """``第5行「父亲联系电话」`` / ``line 5, 父亲联系电话 (father_phone)``."""
        if lang == "zh":
            at = "文件" if self.line is None else f"第{self.line}行"
            return f"{at}「{self.column}」" if self.column else at
        at = "file" if self.line is None else f"line {self.line}"
        if not self.column:
            return at
        return f"{at}, {self.column} ({self.key})" if self.key else f"{at}, {self.column}"

    def render(self, lang: str = "zh") -> str:
        """``where: reason`` in ``lang``, ID and phone numbers masked."""
        sep = "：" if lang == "zh" else ": "
        return f"{self.where(lang)}{sep}{mask_text(self.message.render(lang))}"


class RosterRejected(LiushouError, ValueError):
    """A roster that cannot be imported: nothing was written.

    ``problems`` lists every problem (:class:`RosterProblem`), by line; ``rows``
    is the number of pupils' rows read (0 when the file itself could not be
    read) and ``lines`` the sorted line numbers of the bad rows.
    :meth:`render` gives the headline and every problem in Chinese (the
    default) or English, with ID and phone numbers masked.
    """

    problems: tuple[RosterProblem, ...]
    rows: int

    def __init__(self, problems: Iterable[RosterProblem], rows: int = 0) -> None:
        self.problems = tuple(
            sorted(problems, key=lambda p: (p.line is not None, p.line or 0))  # file first
        )
        self.rows = rows
        super().__init__(self._summary())

    @property
    def lines(self) -> list[int]:
        return sorted({p.line for p in self.problems if p.line is not None})

    def headline(self, lang: str = "zh") -> str:
        if not self.lines:
            return Message(
                "ROSTER_UNREADABLE",
                N_("roster rejected, nothing was written: the file cannot be imported"),
            ).render(lang)
        return Message(
            "ROSTER_REJECTED",
            N_("roster rejected, nothing was written: {bad} of {total} rows have problems"),
            {"bad": len(self.lines), "total": self.rows},
        ).render(lang)

    def render(self, lang: str = "zh") -> list[str]:
        """The headline, then each problem as ``where: reason``."""
        return [self.headline(lang), *(p.render(lang) for p in self.problems)]

    def _summary(self) -> str:
        lines = [self.headline("en"), *(f"  {p.render('en')}" for p in self.problems[:_SHOWN])]
        if len(self.problems) > _SHOWN:
            lines.append(f"  ... and {len(self.problems) - _SHOWN} more problems")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RosterRejected, (self.problems, self.rows))


def file_problem(code: str, text: str, **params: str | int) -> RosterProblem:
    """A problem of the whole file."""
    return RosterProblem(None, "", "", Message(code, text, params))
