"""The school calendar: terms, open and closed days (校历).

A school is open on a day of its term that is a working day in mainland China
and not one of the school's own closed days. A working day is a weekday that
is not a public holiday or a substituted day off, or a weekend day the State
Council declared a make-up working day (调休上班).

The national arrangement of each year comes from the ``holidays`` package
(``holidays.China``): it carries the statutory holidays of the 全国年节及纪念日
放假办法 (revised by 国务院令第795号, in force 2025-01-01) for any year, and the
make-up working days and substituted days off of each year's notice of the
General Office of the State Council (国务院办公厅关于XXXX年部分节假日安排的通知)
once its maintainers add it. ``chinese-calendar`` was the other candidate; it
raises an error for any year it has no notice for (2027 today), while
``holidays`` still knows the statutory days. A year whose notice the package
does not have yet is marked :attr:`Arrangement.complete` ``False``; a county
passes the published notice as an :class:`Arrangement` (see
:data:`ARRANGEMENTS` and :func:`national_arrangement`) without waiting for a
new release.

Winter and summer breaks are the days between terms; term dates themselves
are set by the province's school calendar (校历), so :data:`TERM_DEFAULTS`
only offers typical dates for the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType

import attrs
import holidays

from liushou_core.dated import Dated
from liushou_core.i18n import N_, Message
from liushou_core.models import Semester, Term

__all__ = [
    "ARRANGEMENTS",
    "TERM_DEFAULTS",
    "Arrangement",
    "SchoolCalendar",
    "days_between",
    "default_term",
    "national_arrangement",
    "parse_term",
    "school_calendar",
    "term_before",
    "term_on",
]

_SRC_LAW = "全国年节及纪念日放假办法 (国务院令第795号, 2024-11-10, in force 2025-01-01)"
_SRC_PACKAGE = "国务院办公厅关于{year}年部分节假日安排的通知, as carried by holidays {version}"


def days_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    day = first
    one = dt.timedelta(days=1)
    while day <= last:
        yield day
        day += one


def _frozen_map(m: Mapping[dt.date, str]) -> Mapping[dt.date, str]:
    return MappingProxyType(dict(m))


@attrs.frozen
class Arrangement:
    """One year's national arrangement of public holidays.

    ``days_off``: public holidays and substituted days off (放假调休), with
    their names; ``workdays``: weekend days that are working days (调休上班);
    ``complete``: the year's State Council notice is included (``False`` when
    only the statutory holidays are known).
    """

    year: int
    days_off: Mapping[dt.date, str] = attrs.field(converter=_frozen_map)
    workdays: frozenset[dt.date] = attrs.field(converter=frozenset)
    source: str
    complete: bool = True

    def __attrs_post_init__(self) -> None:
        for day in (*self.days_off, *self.workdays):
            if day.year != self.year:
                raise ValueError(f"{day.isoformat()} is not in the year {self.year}")
        clash = self.workdays & set(self.days_off)
        if clash:
            raise ValueError(f"days both off and working: {sorted(clash)}")


#: Arrangements shipped with liushou for years the ``holidays`` package lacks
#: a notice for. Empty: the package carries every notice published so far (2026
#: is the last one it has; the 2027 notice was not available to us). Add a year
#: here, or pass it to :func:`school_calendar`, once its notice is published.
ARRANGEMENTS: Mapping[int, Arrangement] = MappingProxyType({})


@lru_cache(maxsize=64)
def _from_package(year: int) -> Arrangement:
    cn = holidays.country_holidays("CN", years=year, language="zh_CN")
    days_off = {day: str(name) for day, name in cn.items() if day.year == year}
    workdays = {d for d in getattr(cn, "weekend_workdays", ()) if d.year == year}
    # the package lists each year's notice (its substituted days) in special_public_holidays
    notice = year in getattr(cn, "special_public_holidays", {}) or bool(workdays)
    version = getattr(holidays, "__version__", "?")
    source = _SRC_PACKAGE.format(year=year, version=version) if notice else _SRC_LAW
    if not notice:
        source += f"; holidays {version} has no notice for {year}: make-up days UNCONFIRMED"
    return Arrangement(year, days_off, workdays, source, complete=notice)


def national_arrangement(year: int, extra: Mapping[int, Arrangement] | None = None) -> Arrangement:
    """The arrangement of ``year``: from ``extra``, else :data:`ARRANGEMENTS`, else the package."""
    for table in (extra or {}, ARRANGEMENTS):
        if year in table:
            return table[year]
    return _from_package(year)


# --------------------------------------------------------------------------- terms

#: Typical term dates (month, day) when a province's calendar is not given:
#: autumn from 1 September to about 20 January, spring from about 20 February
#: to about 5 July. Each province publishes its own 校历: pass real dates.
TERM_DEFAULTS: Dated[Mapping[Semester, tuple[tuple[int, int], tuple[int, int]]]] = Dated.since(
    dt.date(2000, 1, 1),
    MappingProxyType(
        {
            Semester.AUTUMN: ((9, 1), (1, 20)),
            Semester.SPRING: ((2, 20), (7, 5)),
        }
    ),
    "typical provincial school calendars (校历); UNCONFIRMED: set the province's own dates",
)


def default_term(school_year: int, semester: Semester) -> Term:
    """The term of ``school_year`` with :data:`TERM_DEFAULTS` dates."""
    year = school_year if semester is Semester.AUTUMN else school_year + 1
    (m1, d1), (m2, d2) = TERM_DEFAULTS.at(dt.date(year, 1, 1))[semester]
    first = dt.date(year, m1, d1)
    last = dt.date(year + (1 if m2 < m1 else 0), m2, d2)
    return Term(school_year, semester, first, last)


def term_on(on: dt.date) -> Term:
    """The term (default dates) that ``on`` falls in or, in a break, the term just ended
    (a report or a check made in the winter break is about the autumn term)."""
    autumn = default_term(on.year, Semester.AUTUMN)
    if on >= autumn.first_day:
        return autumn
    spring = default_term(on.year - 1, Semester.SPRING)
    return spring if on >= spring.first_day else default_term(on.year - 1, Semester.AUTUMN)


def term_before(term: Term) -> Term:
    """The term before ``term`` (default dates): spring before autumn, autumn before spring."""
    if term.semester is Semester.SPRING:
        return default_term(term.school_year, Semester.AUTUMN)
    return default_term(term.school_year - 1, Semester.SPRING)


def parse_term(text: str) -> Term:
    """The term named ``YEAR-autumn`` or ``YEAR-spring`` (a :attr:`Term.id`), default dates.

    ``YEAR`` is the school year's first year: ``2026-spring`` is the spring term of
    the 2026-2027 school year (it starts in 2027). Raises :class:`ValueError`
    naming the expected form.
    """
    year, _, semester = text.strip().partition("-")
    problem = f"{text!r} is not a term: write YEAR-autumn or YEAR-spring, e.g. 2026-autumn"
    if len(year) != 4 or not year.isdigit():
        raise ValueError(problem)
    try:
        return default_term(int(year), Semester(semester.lower()))
    except ValueError:
        raise ValueError(problem) from None


# --------------------------------------------------------------------------- calendar

_WEEKEND = N_("weekend")
_HOLIDAY = N_("public holiday")
_SCHOOL_CLOSED = N_("school closed")
_OUT_OF_TERM = N_("school break")


@attrs.frozen
class SchoolCalendar:
    """The open and closed days of one school's term.

    Build it with :func:`school_calendar`. ``closed`` are the school's own
    closed days (exams, sports days, closures); ``opened`` are days the school
    opens although the national arrangement has them off (rare).
    """

    term: Term
    days_off: Mapping[dt.date, str]
    workdays: frozenset[dt.date]
    closed: frozenset[dt.date] = frozenset()
    opened: frozenset[dt.date] = frozenset()
    sources: tuple[str, ...] = ()
    _open: tuple[dt.date, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        days = tuple(
            d for d in days_between(self.term.first_day, self.term.last_day) if self._is(d)
        )
        object.__setattr__(self, "_open", days)

    def _is(self, day: dt.date) -> bool:
        if day in self.closed:
            return False
        if day in self.opened or day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def is_open(self, day: dt.date) -> bool:
        """The school is open on ``day`` (in term, a working day, not closed)."""
        return self.term.covers(day) and self._is(day)

    @property
    def open_days(self) -> tuple[dt.date, ...]:
        """Every open day of the term, in order."""
        return self._open

    def why_closed(self, day: dt.date) -> Message | None:
        """Why the school is closed on ``day`` (``None`` when it is open)."""
        if self.is_open(day):
            return None
        if not self.term.covers(day):
            return Message(
                "CAL_BREAK",
                N_("{day}: no school ({why})"),
                {"day": day.isoformat(), "why": _OUT_OF_TERM},
            )
        if day in self.closed:
            why = _SCHOOL_CLOSED
        elif day in self.days_off:
            return Message(
                "CAL_HOLIDAY",
                N_("{day}: public holiday ({name})"),
                {"day": day.isoformat(), "name": self.days_off[day]},
            )
        else:
            why = _WEEKEND
        return Message(
            "CAL_CLOSED", N_("{day}: no school ({why})"), {"day": day.isoformat(), "why": why}
        )


def school_calendar(
    term: Term,
    *,
    closed: Iterable[dt.date] = (),
    opened: Iterable[dt.date] = (),
    arrangements: Mapping[int, Arrangement] | None = None,
) -> SchoolCalendar:
    """The calendar of ``term`` under the national arrangements of its years.

    ``closed``/``opened``: the school's own exceptions. ``arrangements``: a
    year's published notice when liushou and the ``holidays`` package lack it.
    """
    days_off: dict[dt.date, str] = {}
    workdays: set[dt.date] = set()
    sources: list[str] = []
    for year in range(term.first_day.year, term.last_day.year + 1):
        arr = national_arrangement(year, arrangements)
        days_off.update(arr.days_off)
        workdays |= arr.workdays
        sources.append(f"{year}: {arr.source}")
    return SchoolCalendar(
        term,
        MappingProxyType(days_off),
        frozenset(workdays),
        frozenset(closed),
        frozenset(opened),
        tuple(sources),
    )
