"""Seeded, deterministic synthetic schools, counties and provinces.

Used by the demo, the tests and the benchmarks. Everything here is built
through the model constructors, so every record has passed the same
validation as real data: resident ID numbers pass ``stdnum.cn.ric`` (check
digit, birth date, and an area code known for the birth year), phones are
mainland numbers, names are NFC.

Determinism
    The same arguments always give the same records. Only private
    :class:`random.Random` instances are used, seeded from text such as
    ``"liushou.synth.school:{seed}:{county}:{index}"`` (text seeds are hashed
    with SHA-512 by :mod:`random`, so they do not depend on
    ``PYTHONHASHSEED``). Nothing reads the clock or the global random
    generator. Each school has its own sub-seed from (seed, county code, school
    index), so ``school(seed, index=i, county_code=c)`` equals the ``i``-th
    school of ``county(seed, code=c)`` and of any :func:`province` of that seed
    holding that county. The county's own tables (townships, villages, the
    local surname mix) come from (seed, county code). Everything is made as of
    the date ``on``: ages, timelines, confirmations, enrolment.

Laziness
    :class:`SyntheticCounty` and :class:`SyntheticProvince` hold only their
    parameters; iterating them builds one :class:`SyntheticSchool` at a time.
    :func:`children` streams children in blocks of 250.

Places and numbers
    Counties are real rural counties (name ending in 县) read from
    python-stdnum's GB/T 2260 table (``stdnum/cn/loc.dat``, parsed once at
    first use). With no county named, one is picked in a province that sends
    many workers away (Sichuan, Guizhou, Yunnan, Gansu, Hunan, ...), among the
    counties whose code is valid for every birth year where there are such.
    Someone born in a year for which the county's code is not valid gets the
    code the county had under the same name that year, or a county code of
    the prefecture or province valid that year. Sequence digits are odd for
    men, even for women; each school index owns four sequence values (two per
    sex), so ID numbers are unique within a county of up to 250 schools.
    Mobile numbers are 1[3-9]x and 8 digits; some village contacts and
    grandparents have a county landline. Townships and villages are made up;
    every ninth school (one per township) is a township's central school.

Shares (approximate; measured over counties of several seeds)
    * family situation, per household: both parents working away 30%; one
      away and the other at home 25%; one away and the other seriously ill or
      severely disabled 2.5%; both at home 35.5% (a third of them back from
      work away); migrant families (hukou in another county, living with the
      parents) 6.5%; de-facto unsupported (both parents dead, in custody, lost
      for six months or more, seriously ill or severely disabled) 0.5%. About
      32-33% of pupils are left-behind on an ordinary school day, 6-7% are
      migrant children, about 0.5% de-facto unsupported.
    * parents away work mostly in coastal cities (Dongguan, Shenzhen,
      Guangzhou, Suzhou, Ningbo, Quanzhou, Shanghai, Beijing, ...) or the
      provincial capital; most go home for Spring Festival (春节, dates for
      2018-2030): away until 4-12 days before it, back 6-16 days after, so
      their time away is a timeline of periods with gaps. A school day inside
      a gap finds them at home.
    * guardians of left-behind children are grandparents in about 90% of
      cases (``entrusted=True``), otherwise uncles, aunts or a neighbour; a
      parent acting as guardian is never ``entrusted``.
    * a few per cent of parents have a recorded condition that changes
      nothing (mild disability, past illness, a short sentence served, a few
      weeks out of touch); households in financial difficulty about 10%
      (建档立卡, 低保, 特困供养, disability); boarders about 15-25% (more in
      higher grades, only at boarding schools); psychological and behaviour
      flags about 4% each; disabled or ill children about 2.5%.
    * gaps for the completeness checks to find: about 2% of children without
      emergency contact and 12% with one, 2% without ID number, guardians
      without a phone or with a confirmation older than six months, about 4%
      of children without a village committee contact, volunteers without a
      record check (about 12%) or not cleared (3%).
    * schools: about 250 children on average (25-1600; a county of 200
      schools has 47,000-54,000 children), about 0.4 teachers per child (the
      design's county scale: 200 schools, 50,000 children, 20,000 teachers),
      classes of at most 45 with a class teacher each, 3-10 volunteers.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from enum import Enum
from functools import cache, lru_cache
from itertools import accumulate
from typing import Final

import attrs
from stdnum import numdb
from stdnum.cn import ric

from liushou_core import _synth_data as data
from liushou_core.models import (
    Address,
    Assistance,
    AwayPeriod,
    CareAssessment,
    Child,
    ConditionKind,
    Contact,
    DifficultyLevel,
    Disability,
    DisabilityType,
    Disqualification,
    Grandparent,
    Guardian,
    Health,
    HealthStatus,
    Household,
    HouseholdCategory,
    Hukou,
    Parent,
    ParentCondition,
    ParentRole,
    RecordCheck,
    Relationship,
    School,
    SchoolClass,
    SchoolingStatus,
    Sex,
    StaffRole,
    Teacher,
    Volunteer,
    VolunteerKind,
)

__all__ = [
    "DEFAULT_ON",
    "SyntheticCounty",
    "SyntheticProvince",
    "SyntheticSchool",
    "children",
    "county",
    "province",
    "rural_county_codes",
    "school",
    "spring_festival",
]

#: The default date of generation: the first day of the 2026 autumn term.
DEFAULT_ON: Final = dt.date(2026, 9, 1)

#: Children per block of :func:`children` (one synthetic school's worth).
_BLOCK: Final = 250
#: Each school index owns 4 sequence values (2 odd, 2 even) of the 1000.
_SEQ_BLOCKS: Final = 250
#: Largest class.
_CLASS_SIZE: Final = 45
_DAY: Final = dt.timedelta(days=1)
_YEAR_DAYS: Final = 365.25

_RELATIONSHIP_ZH: Final[dict[Relationship, str]] = {
    Relationship.FATHER: "父亲",
    Relationship.MOTHER: "母亲",
    Relationship.PATERNAL_GRANDFATHER: "祖父",
    Relationship.PATERNAL_GRANDMOTHER: "祖母",
    Relationship.MATERNAL_GRANDFATHER: "外祖父",
    Relationship.MATERNAL_GRANDMOTHER: "外祖母",
    Relationship.UNCLE: "叔叔",
    Relationship.AUNT: "姑姑",
    Relationship.SIBLING: "哥哥",
    Relationship.OTHER_RELATIVE: "亲戚",
    Relationship.NEIGHBOUR: "邻居",
    Relationship.OTHER: "其他",
}


def spring_festival(year: int) -> dt.date | None:
    """The first day of the lunar new year (春节) of ``year``, for 2018-2030, else None."""
    return data.SPRING_FESTIVAL.get(year)


# --------------------------------------------------------------------------- area codes


@attrs.frozen
class _Area:
    """One entry of stdnum's GB/T 2260 table: a code and its names over time."""

    code: str
    province: str
    #: (first year or None, last year or None, name), in the table's order.
    spans: tuple[tuple[int | None, int | None, str], ...]

    def name_in(self, year: int) -> str | None:
        """The name in ``year``, by the rule of ``stdnum.cn.ric.get_birth_place``."""
        for start, end, name in self.spans:
            if (start is None or start <= year) and (end is None or year <= end):
                return name
        return None

    @property
    def current(self) -> str | None:
        """The name today and in future (None if the code has been retired)."""
        return self.name_in(9999)


def _spans(text: str) -> tuple[tuple[int | None, int | None, str], ...]:
    out: list[tuple[int | None, int | None, str]] = []
    for part in text.split(","):
        if part.startswith("["):
            years, name = part[1:].split("]", 1)
            start, end = years.split("-")
            out.append((int(start) if start else None, int(end) if end else None, name))
        else:
            out.append((None, None, part))
    return tuple(out)


@cache
def _areas() -> dict[str, _Area]:
    """Every six-digit code of stdnum's ``cn/loc`` table (read once, at first use)."""
    out: dict[str, _Area] = {}
    for _, low, _, props, kids in numdb.get("cn/loc").prefixes:
        province = props.get("province", "")
        for _, low2, high2, props2, _ in kids:
            if low2 != high2 or "county" not in props2:  # pragma: no cover - not in the table
                continue
            code = low + low2
            out[code] = _Area(code, province, _spans(props2["county"]))
    return out


def _is_county(name: str | None) -> bool:
    return name is not None and len(name) > 1 and name.endswith("县")


@cache
def rural_county_codes(year: int) -> tuple[str, ...]:
    """Area codes of counties (name ending in 县) valid for people born in ``year``, sorted."""
    return tuple(
        sorted(
            a.code
            for a in _areas().values()
            if a.code[4:] != "00" and a.code[:2] < "70" and _is_county(a.name_in(year))
        )
    )


@cache
def _stable_counties() -> tuple[str, ...]:
    """Counties whose code is valid, under a county name, for every birth year."""
    return tuple(
        sorted(
            a.code
            for a in _areas().values()
            if a.code[4:] != "00"
            and a.code[:2] < "70"
            and all(_is_county(a.name_in(y)) for y in range(1900, 2101))
        )
    )


@cache
def _current_counties() -> tuple[str, ...]:
    """Counties (name ending in 县) whose code is still in use, sorted."""
    return tuple(
        sorted(
            a.code
            for a in _areas().values()
            if a.code[4:] != "00" and a.code[:2] < "70" and _is_county(a.current)
        )
    )


@cache
def _year_index(year: int) -> dict[str, tuple[str, ...]]:
    """Rural county codes valid in ``year``, by province + name, prefecture and province."""
    areas = _areas()
    index: dict[str, list[str]] = {"": []}
    for code in rural_county_codes(year):
        name = areas[code].name_in(year) or ""
        for key in (code[:2] + name, code[:4], code[:2]):
            index.setdefault(key, []).append(code)
        index[""].append(code)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=16384)
def _area_code(county_code: str, year: int) -> str:
    """The area code for someone of ``county_code`` born in ``year`` (valid in that year).

    The county's own code when it is valid for the year; else the code the
    county had under the same name that year; else a county code of the same
    prefecture, province or country valid that year (chosen by the code).
    """
    area = _areas().get(county_code)
    if area is not None and area.name_in(year) is not None:
        return county_code
    index = _year_index(year)
    name = (area.current or "") if area is not None else ""
    same_name = index.get(county_code[:2] + name) if name else None
    if same_name:
        return same_name[0]
    for prefix in (county_code[:4], county_code[:2], ""):
        pool = index.get(prefix)
        if pool:
            return pool[int(county_code) % len(pool)]
    raise ValueError(f"no county code is valid for birth year {year}")  # pragma: no cover


def _check_code(code: str) -> _Area:
    area = _areas().get(code)
    if area is None or area.current is None or code[4:] == "00":
        raise ValueError(f"{code!r} is not a county code in use (GB/T 2260, stdnum cn/loc)")
    return area


def _prefecture(code: str) -> str:
    area = _areas().get(code[:4] + "00")
    if area is None:
        return ""
    name = area.current or area.spans[-1][2]
    return "" if name in ("县", "市辖区") or _is_county(name) else name


# --------------------------------------------------------------------------- county tables


@attrs.frozen
class _Township:
    name: str
    villages: tuple[str, ...]


@attrs.frozen
class _County:
    """What every school of a county shares: places, surnames, phone area code."""

    code: str
    province_code: str
    province: str
    city: str
    name: str
    townships: tuple[_Township, ...]
    surnames: tuple[str, ...]
    surname_cum: tuple[float, ...]
    landline_area: str
    ethnicities: tuple[str, ...]
    neighbours: tuple[str, ...]
    capital: str

    @property
    def full_name(self) -> str:
        return self.province + self.city + self.name


def _place_name(rng: random.Random, used: set[str], suffix: str, surnames: Sequence[str]) -> str:
    while True:
        if suffix == "村" and rng.random() < 0.2:
            stem = rng.choice(surnames[:40]) + "家" + rng.choice("湾坪村庄沟岭")
            name = stem if stem.endswith("村") else stem + "村"
        else:
            name = rng.choice(data.PLACE_FIRST) + rng.choice(data.PLACE_SECOND) + suffix
        if name not in used:
            used.add(name)
            return name


@lru_cache(maxsize=64)
def _county(seed: int, code: str) -> _County:
    area = _check_code(code)
    rng = random.Random(f"liushou.synth.county:{seed}:{code}")
    names = [s for s, _ in data.SURNAMES]
    weights = [w for _, w in data.SURNAMES]
    # Clans: a few surnames are much more common in any one county.
    for i in rng.sample(range(40), 4):
        weights[i] *= rng.uniform(3.0, 8.0)
    used: set[str] = set()
    townships = []
    for _ in range(rng.randint(12, 24)):
        tname = _place_name(rng, used, "镇" if rng.random() < 0.7 else "乡", names)
        villages = tuple(_place_name(rng, used, "村", names) for _ in range(rng.randint(12, 28)))
        townships.append(_Township(tname, villages))
    current = area.current or ""
    city = _prefecture(code)
    autonomous = current if "自治" in current else city if "自治" in city else ""
    ethnicities = tuple(
        sorted((e for e in data.ETHNICITIES if e in autonomous), key=autonomous.index)
    )
    province_code = code[:2]
    stable = [c for c in _stable_counties() if c[:2] == province_code and c != code]
    neighbours = stable or [c for c in _current_counties() if c[:2] == province_code and c != code]
    return _County(
        code=code,
        province_code=province_code,
        province=area.province,
        city=city,
        name=current,
        townships=tuple(townships),
        surnames=tuple(names),
        surname_cum=tuple(accumulate(weights)),
        landline_area=f"0{rng.randint(310, 999)}",
        ethnicities=ethnicities,
        neighbours=tuple(neighbours) or (code,),
        capital=data.PROVINCIAL_CAPITALS.get(province_code, ""),
    )


@cache
def _far_counties(province_code: str) -> tuple[str, ...]:
    """Stable rural counties of the other sending provinces (homes of migrant families)."""
    return tuple(
        c for c in _stable_counties() if c[:2] in data.SENDING_PROVINCES and c[:2] != province_code
    )


def _default_county_code(seed: int) -> str:
    rng = random.Random(f"liushou.synth.default-county:{seed}")
    province_code = rng.choice(data.SENDING_PROVINCES)
    pool = [c for c in _stable_counties() if c[:2] == province_code]
    if not pool:
        pool = [c for c in _current_counties() if c[:2] == province_code]
    return rng.choice(pool)


# --------------------------------------------------------------------------- people


class _Scenario(Enum):
    BOTH_AWAY = "both away"
    ONE_AWAY = "one away"
    ONE_AWAY_INCAPABLE = "one away, other incapable"
    HOME = "both home"
    MIGRANT = "migrant"
    DE_FACTO = "de-facto unsupported"


_SCENARIOS: Final = tuple(_Scenario)
_SCENARIO_CUM: Final = tuple(accumulate((0.30, 0.25, 0.025, 0.355, 0.065, 0.005)))
_LEFT_BEHIND_LIKE: Final = frozenset(
    {_Scenario.BOTH_AWAY, _Scenario.ONE_AWAY_INCAPABLE, _Scenario.DE_FACTO}
)
_WORK_CUM: Final = tuple(accumulate(w for _, _, w in data.WORK_PLACES))
_BOARDING_BY_GRADE: Final = (0.0, 0.04, 0.06, 0.15, 0.25, 0.35, 0.4, 0.65, 0.7, 0.75)
_SEVERE_TYPES: Final = (
    DisabilityType.PHYSICAL,
    DisabilityType.VISUAL,
    DisabilityType.MULTIPLE,
    DisabilityType.INTELLECTUAL,
    DisabilityType.MENTAL,
)
_PATERNAL: Final = frozenset({Relationship.PATERNAL_GRANDFATHER, Relationship.PATERNAL_GRANDMOTHER})
_MILD_TYPES: Final = (
    DisabilityType.PHYSICAL,
    DisabilityType.VISUAL,
    DisabilityType.HEARING,
    DisabilityType.SPEECH,
)


class _Person:
    """A person being made up: filled in step by step, then turned into records."""

    __slots__ = (
        "birth",
        "id_number",
        "label",
        "name",
        "origin",
        "phone",
        "relationship",
        "sex",
        "surname",
    )

    def __init__(self, surname: str, given: str, sex: Sex, birth: dt.date, origin: str) -> None:
        self.surname = surname
        self.name = surname + given
        self.sex = sex
        self.birth = birth
        self.origin = origin
        self.id_number: str | None = None
        self.phone: str | None = None
        self.relationship = Relationship.OTHER
        self.label = ""

    def relate(self, relationship: Relationship, label: str = "") -> None:
        """Set how the person is related to the child (``label``: Chinese, for contact cards)."""
        self.relationship = relationship
        self.label = label or _RELATIONSHIP_ZH[relationship]

    def age_on(self, on: dt.date) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


@attrs.frozen
class _Slot:
    """A child's place in the school, fixed before the family is made up."""

    grade: int
    class_id: str


@attrs.frozen
class _Kind:
    """The kind of school: grades taught, and how its name ends."""

    grades: tuple[int, ...]
    central_suffix: str
    village_suffix: str


_PRIMARY: Final = _Kind((1, 2, 3, 4, 5, 6), "中心小学", "小学")
_JUNIOR: Final = _Kind((7, 8, 9), "中学", "中学")
_NINE_YEAR: Final = _Kind(tuple(range(1, 10)), "九年一贯制学校", "九年一贯制学校")


def _placement(index: int, townships: int) -> tuple[bool, int, int]:
    """Where school ``index`` stands: (central school?, township, village number).

    Every ninth school, up to one per township, is a township's central school;
    the others are village schools, spread over the townships in turn.
    """
    if index % 9 == 0 and index // 9 < townships:
        return True, index // 9, -1
    v = index - min(-(-index // 9), townships)
    return False, v % townships, v // townships


def _vanish(periods: tuple[AwayPeriod, ...], when: dt.date) -> tuple[AwayPeriod, ...]:
    """The timeline of a parent away who lost contact on ``when``: away ever since."""
    kept = [p for p in periods if p.start <= when]
    if not kept:
        return periods
    last = kept[-1]
    if last.end is None or last.end >= when:
        kept[-1] = AwayPeriod(last.start, None, last.province, last.city)
    else:
        kept.append(AwayPeriod(when, None, last.province, last.city))
    return tuple(kept)


def _school_year(on: dt.date) -> int:
    """The school year (by its first calendar year) that ``on`` falls in."""
    return on.year if on >= dt.date(on.year, 9, 1) else on.year - 1


class _Gen:
    """Makes up one school (or one block of the children stream) from its own seed."""

    def __init__(
        self, seed: int, county: _County, index: int, on: dt.date, *, stream: bool = False
    ) -> None:
        kind = "stream" if stream else "school"
        self.rng = random.Random(f"liushou.synth.{kind}:{seed}:{county.code}:{index}")
        self.county = county
        self.index = index
        self.on = on
        self.sy = _school_year(on)
        self.complete = stream
        self.seq = (index % _SEQ_BLOCKS) * 4
        self.used: set[str] = set()
        self.committees: dict[str, Contact | None] = {}
        self.school_id = f"{county.code}-b{index:04d}" if stream else f"{county.code}-{index:03d}"
        self.placement = _placement(index, len(county.townships))
        self.township = county.townships[self.placement[1]]

    # ----------------------------------------------------------------- small draws

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        span = (last - first).days
        return first + dt.timedelta(days=self.rng.randint(0, span)) if span > 0 else first

    def years_before(self, day: dt.date, low: float, high: float) -> dt.date:
        return day - dt.timedelta(days=int(self.rng.uniform(low, high) * _YEAR_DAYS))

    def surname(self) -> str:
        c = self.county
        return c.surnames[bisect(c.surname_cum, self.rng.random() * c.surname_cum[-1])]

    def given(self, sex: Sex, birth_year: int) -> str:
        rng = self.rng
        male = sex is Sex.MALE
        if birth_year < 1976:
            if rng.random() < 0.7:
                return rng.choice(data.GIVEN_OLD_MALE_TWO if male else data.GIVEN_OLD_FEMALE_TWO)
            return rng.choice(data.GIVEN_OLD_MALE if male else data.GIVEN_OLD_FEMALE)
        if birth_year < 2002:
            pool = data.GIVEN_MID_MALE if male else data.GIVEN_MID_FEMALE
            single = 0.35
        else:
            pool = data.GIVEN_CHILD_MALE if male else data.GIVEN_CHILD_FEMALE
            single = 0.15
        first = rng.choice(pool)
        if rng.random() < single:
            return first
        if rng.random() < 0.04:
            return first + first  # 叠字, e.g. 婷婷
        second = rng.choice(pool)
        while second == first:
            second = rng.choice(pool)
        return first + second

    def person(self, sex: Sex, birth: dt.date, origin: str, surname: str | None = None) -> _Person:
        return _Person(surname or self.surname(), self.given(sex, birth.year), sex, birth, origin)

    def mobile(self) -> str:
        return f"{self.rng.choice(data.MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    def landline(self) -> str:
        return f"{self.county.landline_area}-{self.rng.randint(2_000_000, 8_999_999)}"

    def assign_id(self, p: _Person) -> None:
        """Give ``p`` an ID number that is new in this school (and county).

        The birth date moves on by a day in the rare case that all sequence
        values of this school for that area, date and sex are taken.
        """
        male = p.sex is Sex.MALE
        first, second = (self.seq + 1, self.seq + 3) if male else (self.seq, self.seq + 2)
        if self.rng.random() < 0.5:
            first, second = second, first
        while True:
            head = f"{_area_code(p.origin, p.birth.year)}{p.birth:%Y%m%d}"
            for s in (first, second):
                body = f"{head}{s:03d}"
                if body not in self.used:
                    self.used.add(body)
                    p.id_number = body + ric.calc_check_digit(body + "0")
                    return
            p.birth += _DAY

    def neighbour(self) -> str:
        return self.rng.choice(self.county.neighbours)

    def far_county(self) -> str:
        """A county of another province that sends workers away."""
        codes = _far_counties(self.county.province_code)
        code = self.rng.choice(codes)
        while code == self.county.code:  # pragma: no cover - one chance in hundreds
            code = self.rng.choice(codes)
        return code

    def work_place(self) -> tuple[str, str]:
        province, city, _ = data.WORK_PLACES[bisect(_WORK_CUM, self.rng.random() * _WORK_CUM[-1])]
        if province == "*":
            return self.county.province, self.county.capital
        return province, city

    def village(self) -> str:
        if self.rng.random() < 0.85:
            return self.rng.choice(self.township.villages)
        return self.rng.choice(self.rng.choice(self.county.townships).villages)

    def township_of(self, village: str) -> str:
        if village in self.township.villages:
            return self.township.name
        for t in self.county.townships:
            if village in t.villages:
                return t.name
        return ""  # pragma: no cover

    def committee(self, village: str) -> Contact | None:
        """The village committee's contact for children (the same person for a village)."""
        if village not in self.committees:
            contact: Contact | None = None
            if self.complete or self.rng.random() >= 0.04:
                sex = Sex.FEMALE if self.rng.random() < 0.6 else Sex.MALE
                p = self.person(sex, self.years_before(self.on, 30, 58), self.county.code)
                contact = Contact(
                    name=p.name,
                    phone=self.mobile() if self.rng.random() < 0.8 else self.landline(),
                    relationship=self.rng.choice(data.CARE_COMMITTEE_TITLES),
                )
            self.committees[village] = contact
        return self.committees[village]

    # ----------------------------------------------------------------- timelines

    def timeline(
        self, start: dt.date, until: dt.date | None, place: tuple[str, str] | None = None
    ) -> tuple[AwayPeriod, ...]:
        """Periods away from ``start``, with Spring Festival gaps, up to ``until`` or ``on``.

        ``until=None``: still away on ``on`` (unless ``on`` falls in a festival
        gap); otherwise back home for good after ``until``.
        """
        rng = self.rng
        limit = self.on if until is None or until > self.on else until
        province, city = place or self.work_place()
        goes_home = 0.9 if rng.random() < 0.75 else 0.25
        periods: list[AwayPeriod] = []
        current: dt.date | None = start
        for year in range(start.year, limit.year + 1):
            sf = data.SPRING_FESTIVAL.get(year)
            if sf is None or current is None:
                continue
            leave = sf - dt.timedelta(days=rng.randint(4, 12))
            if leave < current or leave >= limit or rng.random() >= goes_home:
                continue
            back = sf + dt.timedelta(days=rng.randint(6, 16))
            periods.append(AwayPeriod(current, leave, province, city))
            if back > limit:
                current = None
                break
            current = back
            if rng.random() < 0.15:
                province, city = self.work_place()
        if current is not None:
            periods.append(AwayPeriod(current, until, province, city))
        return tuple(periods)

    def past_timeline(self, youngest: dt.date, before: dt.date) -> tuple[AwayPeriod, ...]:
        """Periods away that ended before ``before`` (a parent who came back)."""
        until = before - dt.timedelta(days=self.rng.randint(20, 700))
        earliest = youngest - dt.timedelta(days=3 * 365)  # may predate the youngest child
        start = max(until - dt.timedelta(days=self.rng.randint(200, 1800)), earliest)
        if start > until:
            start = until - dt.timedelta(days=self.rng.randint(30, 300))
        return self.timeline(start, until)

    def away_start(self, youngest: dt.date) -> dt.date:
        start = self.on - dt.timedelta(days=self.rng.randint(120, 6 * 365))
        return max(start, min(youngest + dt.timedelta(days=60), self.on - 120 * _DAY))

    # ----------------------------------------------------------------- conditions

    def severe(self, since: dt.date) -> ParentCondition:
        """A condition that leaves a parent unable to act as guardian (重病 or 重残)."""
        rng = self.rng
        start = self.day_between(since, self.on - dt.timedelta(days=200))
        if rng.random() < 0.55:
            return ParentCondition(
                ConditionKind.SERIOUSLY_ILL, start, note=rng.choice(data.PARENT_ILLNESSES)
            )
        kind = rng.choice(_SEVERE_TYPES)
        grade = rng.randint(1, 4) if kind in _SEVERE_TYPES[3:] else rng.randint(1, 2)
        return ParentCondition(ConditionKind.DISABLED, start, disability=Disability(kind, grade))

    def custody(self) -> ParentCondition:
        start = self.on - dt.timedelta(days=self.rng.randint(200, 1500))
        end = self.on + dt.timedelta(days=self.rng.randint(200, 2500))
        return ParentCondition(ConditionKind.IMPRISONED, start, end)

    def lost(self) -> ParentCondition:
        start = self.on - dt.timedelta(days=self.rng.randint(200, 2000))
        return ParentCondition(ConditionKind.LOST_CONTACT, start)

    def death(self, youngest: dt.date) -> ParentCondition:
        return ParentCondition(ConditionKind.DECEASED, self.day_between(youngest, self.on - _DAY))

    # ----------------------------------------------------------------- the school

    def kind(self, central: bool) -> _Kind:
        r = self.rng.random()
        if central:
            return _PRIMARY if r < 0.55 else _JUNIOR if r < 0.9 else _NINE_YEAR
        return _PRIMARY if r < 0.8 else _JUNIOR if r < 0.85 else _NINE_YEAR

    def build_school(self, n_children: int | None) -> SyntheticSchool:
        rng = self.rng
        county = self.county
        central, _, k = self.placement
        kind = self.kind(central)
        tname = self.township.name
        if central:
            name = tname + kind.central_suffix
        elif k < len(self.township.villages):
            name = tname + self.township.villages[k] + kind.village_suffix
        else:
            name = f"{tname}第{k + 1}{kind.village_suffix}"
        size = rng.lognormvariate(math.log(225) - 0.125, 0.5)
        size *= 2.3 if central else 1.5 if kind is _JUNIOR else 1.0
        drawn = min(max(round(size), 25), 1600)
        n = drawn if n_children is None else n_children
        boarding = rng.random() < (
            0.9 if kind is _JUNIOR else 0.75 if central else 0.75 if kind is _NINE_YEAR else 0.3
        )
        plan, classes = self.plan(kind.grades, n)
        n_teachers = max(round(n * 0.4 * rng.uniform(0.85, 1.15)), len(classes) + 4)
        principal_id = f"{self.school_id}-t000"
        school_record = School(
            id=self.school_id,
            name=name,
            county_code=county.code,
            township=tname,
            boarding=boarding,
            principal_id=principal_id,
        )
        kids: list[Child] = []
        households: list[Household] = []
        for h, slots in enumerate(plan):
            household, made = self.household(h, slots, kind, boarding, len(kids))
            households.append(household)
            kids.extend(made)
        teachers = self.teachers(n_teachers, classes, kids, kind)
        class_records = tuple(
            SchoolClass(
                id=cid,
                school_id=self.school_id,
                grade=grade,
                name=f"{data.GRADE_NUMERALS[grade - 1]}年级{no}班",
                class_teacher_id=f"{self.school_id}-t{i + 1:03d}",
            )
            for i, (cid, grade, no) in enumerate(classes)
        )
        return SyntheticSchool(
            school=school_record,
            classes=class_records,
            teachers=teachers,
            volunteers=self.volunteers(n),
            children=tuple(kids),
            households=tuple(households),
        )

    def plan(
        self, grades: tuple[int, ...], n: int
    ) -> tuple[list[list[_Slot]], list[tuple[str, int, int]]]:
        """Households as lists of their children's places, and the classes (id, grade, no)."""
        rng = self.rng
        cum = tuple(accumulate(rng.uniform(0.8, 1.2) for _ in grades))
        families: list[list[int]] = []
        total = 0
        while total < n:
            r = rng.random()
            size = 1 if r < 0.85 else 2 if r < 0.98 else 3
            size = min(size, n - total, len(grades))
            first = grades[bisect(cum, rng.random() * cum[-1])]
            members = [first]
            if size > 1 and rng.random() < 0.05:
                members.append(first)  # twins
            while len(members) < size:
                g = rng.choice(grades)
                if g not in members:
                    members.append(g)
            families.append(members)
            total += len(members)
        per_grade: dict[int, list[tuple[int, int]]] = {}
        for f, members in enumerate(families):
            for m, g in enumerate(members):
                per_grade.setdefault(g, []).append((f, m))
        slots: dict[tuple[int, int], _Slot] = {}
        classes: list[tuple[str, int, int]] = []
        for g in sorted(per_grade):
            members_of_grade = per_grade[g]
            rng.shuffle(members_of_grade)
            n_classes = -(-len(members_of_grade) // _CLASS_SIZE)
            for no in range(1, n_classes + 1):
                classes.append((f"{self.school_id}-g{g}c{no}", g, no))
            for i, key in enumerate(members_of_grade):
                slots[key] = _Slot(g, f"{self.school_id}-g{g}c{i % n_classes + 1}")
        plan = [[slots[(f, m)] for m in range(len(members))] for f, members in enumerate(families)]
        return plan, classes

    def child_birth(self, grade: int) -> dt.date:
        """A birth date for a pupil of ``grade`` (a few start school a year late)."""
        year = self.sy - grade - 6 - (1 if self.rng.random() < 0.08 else 0)
        return self.day_between(dt.date(year, 9, 1), dt.date(year + 1, 8, 31))

    def scenario(self) -> _Scenario:
        return _SCENARIOS[bisect(_SCENARIO_CUM, self.rng.random() * _SCENARIO_CUM[-1])]

    def household(
        self, h: int, slots: list[_Slot], kind: _Kind, boarding_school: bool, first_child: int
    ) -> tuple[Household, list[Child]]:
        """One family: the household record and its children at this school."""
        rng = self.rng
        on = self.on
        county = self.county
        f_role, m_role = ParentRole.FATHER, ParentRole.MOTHER
        scenario = self.scenario()
        births = self.sibling_births(slots)
        eldest, youngest = min(births), max(births)

        # ----- parents
        if scenario is _Scenario.MIGRANT:
            home = self.far_county() if rng.random() < 0.7 else self.neighbour()
            father_origin = mother_origin = home
        else:
            home = county.code
            father_origin = home if rng.random() < 0.95 else self.neighbour()
            r = rng.random()
            mother_origin = (
                home if r < 0.65 else self.neighbour() if r < 0.95 else self.far_county()
            )
        father, mother = self.couple(eldest, youngest, father_origin, mother_origin)
        away: dict[ParentRole, tuple[AwayPeriod, ...]] = {f_role: (), m_role: ()}
        conditions: dict[ParentRole, list[ParentCondition]] = {f_role: [], m_role: []}
        home_parent: ParentRole | None = None
        if scenario is _Scenario.BOTH_AWAY:
            away[f_role] = self.timeline(self.away_start(youngest), None)
            if rng.random() < 0.6:  # together in the same place
                away[m_role] = away[f_role]
            else:
                away[m_role] = self.timeline(self.away_start(youngest), None)
        elif scenario in (_Scenario.ONE_AWAY, _Scenario.ONE_AWAY_INCAPABLE):
            gone = f_role if rng.random() < 0.8 else m_role
            home_parent = m_role if gone is f_role else f_role
            away[gone] = self.timeline(self.away_start(youngest), None)
            if scenario is _Scenario.ONE_AWAY_INCAPABLE:
                conditions[home_parent].append(self.severe(eldest))
        elif scenario is _Scenario.HOME:
            for role in (f_role, m_role):
                if rng.random() < 0.33:
                    away[role] = self.past_timeline(youngest, on)
        elif scenario is _Scenario.DE_FACTO:
            self.de_facto(away, conditions, youngest, eldest)
        if scenario in (_Scenario.BOTH_AWAY, _Scenario.ONE_AWAY, _Scenario.HOME):
            self.incidental(scenario, away, conditions, home_parent, youngest)
        unavailable: set[ParentRole] = set()
        for role, person in ((f_role, father), (m_role, mother)):
            gone_for_good = [
                c
                for c in conditions[role]
                if c.kind is ConditionKind.DECEASED
                or (c.kind is ConditionKind.IMPRISONED and c.covers(on))
            ]
            if gone_for_good:
                person.phone = None
                unavailable.add(role)
            if self.complete and not away[role]:  # every parent of the stream has a timeline
                before = min((c.start for c in conditions[role]), default=on)
                away[role] = self.past_timeline(youngest, before)
        parents = tuple(
            Parent(
                role=role,
                name=p.name,
                birth_date=p.birth,
                id_number=p.id_number,
                phone=p.phone,
                away=away[role],
                conditions=tuple(conditions[role]),
            )
            for role, p in ((f_role, father), (m_role, mother))
        )

        # ----- grandparents, guardians, contacts
        living = self.grandparents(father, mother)
        guardians, helpers = self.guardians(
            scenario, home_parent, unavailable, father, mother, living
        )
        if (
            not self.complete
            and scenario is _Scenario.HOME
            and all(p is not father for p, _ in guardians)
            and rng.random() < 0.05
        ):
            parents = parents[1:]  # the father is not on record
        village = self.village()
        township = self.township_of(village)
        detail = f"{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
        address = Address(
            province=county.province,
            city=county.city,
            county=county.name,
            township=township,
            village=village,
            detail=detail,
        )
        guardian_records = tuple(self.guardian(g, township + village + detail) for g in guardians)
        grandparent_records = tuple(
            Grandparent(relationship=g.relationship, name=g.name, birth_date=g.birth)
            for g in living
        )
        contacts = self.contacts(guardians, helpers, father, mother, away)
        committee = self.committee(village)

        # ----- the household
        healths = [self.health() for _ in slots]
        all_conditions = [c for cs in conditions.values() for c in cs]
        disabled = any(c.kind is ConditionKind.DISABLED for c in all_conditions) or any(
            hl.status is HealthStatus.DISABLED for hl in healths
        )
        ill = any(c.kind is ConditionKind.SERIOUSLY_ILL for c in all_conditions) or any(
            hl.status is HealthStatus.ILL for hl in healths
        )
        household = self.household_record(h, scenario, disabled, ill)

        # ----- the children
        if scenario is _Scenario.MIGRANT:
            area = _areas()[home]
            hukou = Hukou(
                registered=True,
                place=area.province + _prefecture(home) + (area.current or ""),
                rural=True,
                local=False,
            )
        elif not self.complete and rng.random() < 0.003:
            hukou = Hukou(registered=False, place="", rural=True, local=True)
        else:
            hukou = Hukou(registered=True, place=county.full_name, rural=True, local=True)
        left_behind_like = scenario in _LEFT_BEHIND_LIKE
        made: list[Child] = []
        for i, (slot, birth, health) in enumerate(zip(slots, births, healths, strict=True)):
            sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
            surname = father.surname if rng.random() < 0.92 else mother.surname
            kid = self.person(sex, birth, home, surname)
            if self.complete or rng.random() < 0.98:
                self.assign_id(kid)
            made.append(
                self.child(
                    first_child + i,
                    kid,
                    slot,
                    kind,
                    boarding_school,
                    household.id,
                    hukou,
                    address,
                    health,
                    parents,
                    guardian_records,
                    grandparent_records,
                    contacts,
                    committee,
                    left_behind_like,
                )
            )
        return household, made

    def sibling_births(self, slots: list[_Slot]) -> list[dt.date]:
        """Birth dates of the children of one family: twins share one, others are apart."""
        births = [self.child_birth(slots[0].grade)]
        for slot in slots[1:]:
            if slot.grade == slots[0].grade:
                births.append(births[0])  # twins
                continue
            birth = self.child_birth(slot.grade)
            for _ in range(10):
                if all(abs((birth - b).days) >= 300 for b in births):
                    break
                birth = self.child_birth(slot.grade)
            births.append(birth)
        return births

    def couple(
        self, eldest: dt.date, youngest: dt.date, father_origin: str, mother_origin: str
    ) -> tuple[_Person, _Person]:
        """The parents: mother 22-37 at the eldest's birth, father about her age or older."""
        rng = self.rng
        mother_birth = self.years_before(eldest, 22, 37)
        if (youngest - mother_birth).days > 42 * _YEAR_DAYS:
            mother_birth = self.years_before(youngest, 38, 42)
        father_birth = self.years_before(mother_birth, -2, 6)
        if (youngest - father_birth).days > 46 * _YEAR_DAYS:
            father_birth = self.years_before(youngest, 40, 46)
        elif (eldest - father_birth).days < 22 * _YEAR_DAYS:
            father_birth = self.years_before(eldest, 22, 26)
        father = self.person(Sex.MALE, father_birth, father_origin)
        mother = self.person(Sex.FEMALE, mother_birth, mother_origin)
        father.relate(Relationship.FATHER)
        mother.relate(Relationship.MOTHER)
        for p in (father, mother):
            if self.complete or rng.random() < 0.97:
                self.assign_id(p)
            p.phone = self.mobile() if self.complete or rng.random() < 0.97 else None
        return father, mother

    def de_facto(
        self,
        away: dict[ParentRole, tuple[AwayPeriod, ...]],
        conditions: dict[ParentRole, list[ParentCondition]],
        youngest: dt.date,
        eldest: dt.date,
    ) -> None:
        """Both parents dead, in custody, lost, seriously ill or severely disabled."""
        rng = self.rng
        f, m = ParentRole.FATHER, ParentRole.MOTHER
        combo = rng.randrange(5)
        if combo == 0:
            conditions[f].append(self.custody())
            conditions[m].append(self.lost())
        elif combo == 1:
            conditions[f].append(self.death(youngest))
            conditions[m].append(self.lost())
        elif combo == 2:
            conditions[f].append(self.death(youngest))
            conditions[m].append(self.severe(eldest))
        elif combo == 3:
            conditions[f].append(self.lost())
            conditions[m].append(self.severe(eldest))
        else:
            conditions[m].append(self.death(youngest))
            conditions[f].append(self.custody())
        for role in (f, m):
            for c in conditions[role]:
                if c.kind is ConditionKind.LOST_CONTACT:  # went away to work, then vanished
                    start = min(self.away_start(youngest), c.start)
                    away[role] = _vanish(self.timeline(start, c.start), c.start)
                elif (
                    c.kind in (ConditionKind.DECEASED, ConditionKind.IMPRISONED)
                    and rng.random() < 0.5
                ):
                    away[role] = self.past_timeline(youngest, c.start)

    def incidental(
        self,
        scenario: _Scenario,
        away: dict[ParentRole, tuple[AwayPeriod, ...]],
        conditions: dict[ParentRole, list[ParentCondition]],
        home_parent: ParentRole | None,
        youngest: dt.date,
    ) -> None:
        """Now and then a condition that does not change the family's situation."""
        rng = self.rng
        on = self.on
        r = rng.random()
        role = ParentRole.FATHER if rng.random() < 0.6 else ParentRole.MOTHER
        if r < 0.015:  # a mild disability
            start = self.day_between(youngest - dt.timedelta(days=3650), on - _DAY)
            disability = Disability(rng.choice(_MILD_TYPES), rng.randint(3, 4))
            conditions[role].append(
                ParentCondition(ConditionKind.DISABLED, start, None, disability)
            )
        elif r < 0.025:  # a serious illness, over
            start = self.day_between(youngest, on - dt.timedelta(days=400))
            end = start + dt.timedelta(days=rng.randint(60, 300))
            illness = rng.choice(data.PARENT_ILLNESSES)
            conditions[role].append(
                ParentCondition(ConditionKind.SERIOUSLY_ILL, start, end, note=illness)
            )
        elif scenario is not _Scenario.HOME:
            if r < 0.03:  # out of touch for a few weeks
                gone = ParentRole.MOTHER if home_parent is ParentRole.FATHER else ParentRole.FATHER
                start = on - dt.timedelta(days=rng.randint(20, 150))
                if away[gone]:
                    start = max(start, away[gone][0].start)
                conditions[gone].append(ParentCondition(ConditionKind.LOST_CONTACT, start))
                away[gone] = _vanish(away[gone], start)
        elif r < 0.035:  # a widowed mother at home
            death = self.death(youngest)
            conditions[ParentRole.FATHER].append(death)
            away[ParentRole.FATHER] = (
                self.past_timeline(youngest, death.start) if rng.random() < 0.5 else ()
            )
        elif r < 0.038:  # a short sentence, served
            start = self.day_between(youngest, on - dt.timedelta(days=200))
            end = start + dt.timedelta(days=rng.randint(30, 150))
            conditions[ParentRole.FATHER].append(
                ParentCondition(ConditionKind.IMPRISONED, start, end)
            )

    def grandparents(self, father: _Person, mother: _Person) -> list[_Person]:
        """The living grandparents, 20-32 years older than the parents."""
        rng = self.rng
        out: list[_Person] = []
        sides = (
            (father, Relationship.PATERNAL_GRANDFATHER, Relationship.PATERNAL_GRANDMOTHER),
            (mother, Relationship.MATERNAL_GRANDFATHER, Relationship.MATERNAL_GRANDMOTHER),
        )
        for parent, gf_rel, gm_rel in sides:
            gm_birth = self.years_before(parent.birth, 20, 30)
            gf_birth = self.years_before(gm_birth, -1, 4)
            if (parent.birth - gf_birth).days > 32 * _YEAR_DAYS:
                gf_birth = self.years_before(parent.birth, 28, 32)
            for sex, birth, rel, surname in (
                (Sex.MALE, gf_birth, gf_rel, parent.surname),
                (Sex.FEMALE, gm_birth, gm_rel, None),
            ):
                age = self.on.year - birth.year
                alive = 0.4 if age >= 85 else 0.75 if age >= 75 else 0.95
                if sex is Sex.FEMALE:
                    alive += 0.05
                g = self.person(sex, birth, parent.origin, surname)
                if rng.random() < alive:
                    g.relate(rel)
                    out.append(g)
        return out

    def relative(self, father: _Person, mother: _Person) -> _Person:
        """An uncle or aunt, on the father's side mostly."""
        rng = self.rng
        paternal = rng.random() < 0.7
        parent = father if paternal else mother
        sex = Sex.MALE if rng.random() < 0.5 else Sex.FEMALE
        p = self.person(sex, self.years_before(parent.birth, -8, 8), parent.origin, parent.surname)
        if sex is Sex.MALE:
            p.relate(Relationship.UNCLE, "叔叔" if paternal else "舅舅")
        else:
            p.relate(Relationship.AUNT, "姑姑" if paternal else "姨妈")
        return p

    def guardians(
        self,
        scenario: _Scenario,
        home_parent: ParentRole | None,
        unavailable: set[ParentRole],
        father: _Person,
        mother: _Person,
        living: list[_Person],
    ) -> tuple[list[tuple[_Person, bool]], list[_Person]]:
        """The guardians as (person, entrusted), and other relatives for the contact card.

        A parent acting as guardian is not entrusted; anyone else is (委托监护人).
        """
        rng = self.rng
        out: list[_Person] = []
        capable = [g for g in living if g.age_on(self.on) < 82]
        want = 2 if self.complete or rng.random() < 0.55 else 1
        if scenario in _LEFT_BEHIND_LIKE:
            r = rng.random()
            if r < 0.9 and capable:
                paternal = [g for g in capable if g.relationship in _PATERNAL]
                maternal = [g for g in capable if g.relationship not in _PATERNAL]
                side = paternal if paternal and (rng.random() < 0.72 or not maternal) else maternal
                side.sort(key=lambda g: g.sex is Sex.MALE)  # grandmother first
                if rng.random() < 0.2:
                    side.reverse()
                out.extend(side[:want])
            elif r < 0.97 or not capable:
                out.append(self.relative(father, mother))
            else:
                sex = Sex.FEMALE if rng.random() < 0.6 else Sex.MALE
                p = self.person(sex, self.years_before(self.on, 35, 65), self.county.code)
                p.relate(Relationship.NEIGHBOUR)
                out.append(p)
        else:
            parents = [mother, father] if rng.random() < 0.6 else [father, mother]
            if scenario is not _Scenario.MIGRANT and home_parent is not None:
                parents = [father if home_parent is ParentRole.FATHER else mother]
            roles = {id(father): ParentRole.FATHER, id(mother): ParentRole.MOTHER}
            out.extend(p for p in parents if roles[id(p)] not in unavailable)
        while len(out) < want or not out:
            extra = [g for g in capable if all(g is not o for o in out)]
            out.append(extra[0] if extra else self.relative(father, mother))
        helpers = [self.relative(father, mother)] if rng.random() < 0.3 else []
        for p in out:
            if p.relationship in (Relationship.FATHER, Relationship.MOTHER):
                continue
            if self.complete or rng.random() < 0.9:
                self.assign_id(p)
            r = rng.random()
            if self.complete or r < 0.86:
                p.phone = self.mobile()
            elif r < 0.93:
                p.phone = self.landline()
        for p in helpers:
            p.phone = self.mobile()
        parents_ = (Relationship.FATHER, Relationship.MOTHER)
        return [(p, p.relationship not in parents_) for p in out], helpers

    def guardian(self, g: tuple[_Person, bool], where: str) -> Guardian:
        """The guardian record: capacity by age, phone confirmed recently for most."""
        rng = self.rng
        on = self.on
        p, entrusted = g
        age = p.age_on(on)
        r = rng.random()
        if not entrusted:
            capacity = CareAssessment.GOOD if r < 0.5 else CareAssessment.FAIR
        elif age >= 75:
            capacity = (
                CareAssessment.INSUFFICIENT
                if r < 0.35
                else CareAssessment.FAIR
                if r < 0.85
                else CareAssessment.GOOD
            )
        else:
            capacity = (
                CareAssessment.GOOD
                if r < 0.4
                else CareAssessment.FAIR
                if r < 0.95
                else CareAssessment.INSUFFICIENT
            )
        disqualifications: tuple[Disqualification, ...] = ()
        if entrusted and rng.random() < 0.004:
            disqualifications = (
                rng.choice((Disqualification.ALCOHOLISM, Disqualification.GAMBLING)),
            )
        r = rng.random()
        confirmed: dt.date | None = None
        if p.phone is not None and (self.complete or r < 0.75):
            confirmed = on - dt.timedelta(days=rng.randint(0, 120))
        elif p.phone is not None and r < 0.9:
            confirmed = on - dt.timedelta(days=rng.randint(180, 700))
        return Guardian(
            name=p.name,
            relationship=p.relationship,
            entrusted=entrusted,
            phone=p.phone,
            id_number=p.id_number,
            birth_date=p.birth if p.id_number is not None or rng.random() < 0.8 else None,
            address=where,
            capacity=capacity,
            lives_with_child=self.complete or rng.random() < 0.97,
            phone_confirmed_on=confirmed,
            disqualifications=disqualifications,
        )

    def contacts(
        self,
        guardians: list[tuple[_Person, bool]],
        helpers: list[_Person],
        father: _Person,
        mother: _Person,
        away: dict[ParentRole, tuple[AwayPeriod, ...]],
    ) -> tuple[Contact, ...]:
        """The contact card: guardians, parents away, another relative; a few short ones."""
        rng = self.rng
        pool: list[_Person] = [p for p, _ in guardians]
        for role, p in ((ParentRole.FATHER, father), (ParentRole.MOTHER, mother)):
            periods = away[role]
            if periods and periods[-1].end is None and all(p is not q for q in pool):
                pool.append(p)
        pool.extend(helpers)
        r = rng.random()
        want = 0 if r < 0.02 else 1 if r < 0.12 else 2 if r < 0.6 else 3
        if self.complete:
            want = max(want, 2)
        out = []
        for p in pool[:want]:
            if p.phone is None and not self.complete:
                if rng.random() < 0.5:
                    continue
                phone: str | None = None
            else:
                phone = p.phone if p.phone is not None else self.mobile()
            out.append(Contact(p.name, phone, p.label))
        return tuple(out)

    def health(self) -> Health:
        r = self.rng.random()
        if r < 0.01:
            kind = self.rng.choice(tuple(DisabilityType))
            return Health(HealthStatus.DISABLED, Disability(kind, self.rng.randint(1, 4)))
        if r < 0.025:
            return Health(HealthStatus.ILL, illness=self.rng.choice(data.CHILD_ILLNESSES))
        return Health()

    def household_record(self, h: int, scenario: _Scenario, disabled: bool, ill: bool) -> Household:
        rng = self.rng
        on = self.on
        hid = f"{self.school_id}-h{h:04d}"
        away = scenario in (
            _Scenario.BOTH_AWAY,
            _Scenario.ONE_AWAY,
            _Scenario.ONE_AWAY_INCAPABLE,
        )
        income = rng.choice(data.INCOME_AWAY if away else data.INCOME_HOME)
        p = 0.075
        if scenario in (_Scenario.ONE_AWAY_INCAPABLE, _Scenario.DE_FACTO):
            p += 0.5
        if disabled:
            p += 0.3
        if rng.random() >= p:
            return Household(id=hid, school_id=self.school_id, income_source=income)
        categories: list[HouseholdCategory] = []
        assistance: list[Assistance] = []
        r = rng.random()
        if scenario is _Scenario.DE_FACTO or r < 0.05:
            categories.append(HouseholdCategory.TEKUN)
            level = DifficultyLevel.SPECIAL
        elif r < 0.5:
            categories.append(HouseholdCategory.REGISTERED_POOR)
            if rng.random() < 0.2:
                categories.append(HouseholdCategory.DIBAO)
            level = rng.choice(
                (
                    DifficultyLevel.SPECIAL,
                    DifficultyLevel.DIFFICULT,
                    DifficultyLevel.DIFFICULT,
                    DifficultyLevel.GENERAL,
                )
            )
        elif r < 0.9:
            categories.append(HouseholdCategory.DIBAO)
            level = rng.choice(
                (DifficultyLevel.DIFFICULT, DifficultyLevel.DIFFICULT, DifficultyLevel.GENERAL)
            )
        else:
            categories.append(
                HouseholdCategory.SUDDEN_HARDSHIP if rng.random() < 0.6 else HouseholdCategory.OTHER
            )
            level = DifficultyLevel.GENERAL
        if disabled:
            categories.append(HouseholdCategory.DISABLED)
        if HouseholdCategory.DIBAO in categories:
            assistance.append(Assistance.DIBAO)
        if ill:
            assistance.append(Assistance.MEDICAL_RELIEF)
        if rng.random() < 0.1:
            assistance.append(Assistance.TEMPORARY_RELIEF)
        if rng.random() < 0.6:
            assistance.append(Assistance.EDUCATION_AID)
        identified = dt.date(self.sy, 9, 10) + dt.timedelta(days=rng.randint(0, 20))
        if identified > on:
            identified = identified.replace(year=identified.year - 1)
        return Household(
            id=hid,
            school_id=self.school_id,
            categories=tuple(categories),
            income_source=income if scenario is not _Scenario.DE_FACTO else "救助金",
            assistance=tuple(assistance),
            difficulty_level=level,
            identified_on=identified,
        )

    def child(
        self,
        no: int,
        kid: _Person,
        slot: _Slot,
        kind: _Kind,
        boarding_school: bool,
        household_id: str,
        hukou: Hukou,
        address: Address,
        health: Health,
        parents: tuple[Parent, ...],
        guardians: tuple[Guardian, ...],
        grandparents: tuple[Grandparent, ...],
        contacts: tuple[Contact, ...],
        committee: Contact | None,
        left_behind_like: bool,
    ) -> Child:
        rng = self.rng
        grade = slot.grade
        id_number = kid.id_number
        r = rng.random()
        if id_number is not None:
            if r < 0.93 or self.complete:
                student_number: str | None = "G" + id_number
            elif r < 0.97:
                student_number = f"L{id_number[:14]}{rng.randrange(10**4):04d}"
            else:
                student_number = None
        else:
            area = _area_code(kid.origin, kid.birth.year)
            student_number = (
                f"J{area}{kid.birth:%Y%m%d}{rng.randrange(10**4):04d}" if r < 0.8 else None
            )
        p_board = _BOARDING_BY_GRADE[grade] * (1.25 if left_behind_like else 1.0)
        first_grade = 7 if kind is _JUNIOR else 1
        entry = dt.date(self.sy - (grade - first_grade), 9, 1)
        enrolled = entry if rng.random() < 0.94 else self.day_between(entry, self.on)
        flag_p = 0.055 if left_behind_like else 0.03
        return Child(
            id=f"{self.school_id}-c{no:04d}",
            school_id=self.school_id,
            name=kid.name,
            sex=kid.sex,
            birth_date=kid.birth,
            class_id=slot.class_id,
            id_number=id_number,
            student_number=student_number,
            ethnicity=(
                rng.choice(self.county.ethnicities)
                if self.county.ethnicities and rng.random() < 0.4
                else "汉族"
            ),
            hukou=hukou,
            address=address,
            health=health,
            boarding=boarding_school and rng.random() < p_board,
            schooling=SchoolingStatus.PRIMARY if grade <= 6 else SchoolingStatus.JUNIOR_SECONDARY,
            household_id=household_id,
            parents=parents,
            guardians=guardians,
            grandparents=grandparents,
            emergency_contacts=contacts,
            village_committee=committee,
            psychological_flag=rng.random() < flag_p,
            behaviour_flag=rng.random() < flag_p,
            enrolled_on=enrolled,
        )

    # ----------------------------------------------------------------- staff

    def teachers(
        self,
        n: int,
        classes: list[tuple[str, int, int]],
        kids: list[Child],
        kind: _Kind,
    ) -> tuple[Teacher, ...]:
        rng = self.rng
        on = self.on
        out: list[Teacher] = []
        class_ids = [cid for cid, _, _ in classes]
        female = 0.65 if kind is not _JUNIOR else 0.55
        specialists = []
        if rng.random() < 0.5 or len(kids) >= 300:
            specialists.append(StaffRole.PSYCHOLOGIST)
        if rng.random() < 0.7:
            specialists.append(StaffRole.HEALTH_OFFICER)
        for i in range(n):
            sex = Sex.FEMALE if rng.random() < female else Sex.MALE
            origin = self.county.code if rng.random() < 0.85 else self.neighbour()
            p = self.person(sex, self.years_before(on, 22, 59), origin)
            if i == 0:
                p.birth = self.years_before(on, 40, 58)
            if rng.random() < 0.95:
                self.assign_id(p)
            if i == 0:
                roles: tuple[StaffRole, ...] = (StaffRole.PRINCIPAL,)
                taught: tuple[str, ...] = ()
            elif i <= len(classes):
                roles = (StaffRole.CLASS_TEACHER, StaffRole.SUBJECT_TEACHER)
                taught = (class_ids[i - 1],)
            elif i - len(classes) <= len(specialists):
                roles = (specialists[i - len(classes) - 1],)
                taught = ()
            else:
                roles = (StaffRole.SUBJECT_TEACHER,)
                taught = tuple(
                    sorted(rng.sample(class_ids, min(len(class_ids), rng.randint(1, 4))))
                )
            related: tuple[str, ...] = ()
            if kids and rng.random() < 0.04:
                related = (rng.choice(kids).id,)
            out.append(
                Teacher(
                    id=f"{self.school_id}-t{i:03d}",
                    school_id=self.school_id,
                    name=p.name,
                    sex=sex,
                    phone=self.mobile() if rng.random() < 0.98 else None,
                    id_number=p.id_number,
                    roles=roles,
                    class_ids=taught,
                    village=self.village() if rng.random() < 0.6 else "",
                    related_child_ids=related,
                    active=i <= len(classes) or rng.random() < 0.97,
                )
            )
        return tuple(out)

    def volunteers(self, n_children: int) -> tuple[Volunteer, ...]:
        rng = self.rng
        on = self.on
        out: list[Volunteer] = []
        count = min(2 + rng.randint(1, 3) + n_children // 150, 10)
        kinds = (
            VolunteerKind.CARE_COMMITTEE,
            VolunteerKind.RESIDENTS_COMMITTEE,
            VolunteerKind.RETIRED_TEACHER,
            VolunteerKind.OTHER,
        )
        for i in range(count):
            r = rng.random()
            kind = kinds[0 if r < 0.3 else 1 if r < 0.6 else 2 if r < 0.9 else 3]
            low, high = (60, 78) if kind is VolunteerKind.RETIRED_TEACHER else (30, 70)
            sex = Sex.FEMALE if rng.random() < 0.55 else Sex.MALE
            p = self.person(sex, self.years_before(on, low, high), self.county.code)
            if rng.random() < 0.9:
                self.assign_id(p)
            r = rng.random()
            check: RecordCheck | None
            if r < 0.85:
                check = RecordCheck(on - dt.timedelta(days=rng.randint(20, 900)), True)
            elif r < 0.97:
                check = None
            else:
                check = RecordCheck(on - dt.timedelta(days=rng.randint(20, 900)), False)
            out.append(
                Volunteer(
                    id=f"{self.school_id}-v{i:02d}",
                    school_id=self.school_id,
                    name=p.name,
                    sex=sex,
                    kind=kind,
                    phone=self.mobile() if rng.random() < 0.95 else self.landline(),
                    id_number=p.id_number,
                    village=self.village(),
                    record_check=check,
                    active=rng.random() < 0.95,
                )
            )
        return tuple(out)

    def stream(self, n: int) -> list[Child]:
        """``n`` children of all nine grades, each with complete family records."""
        plan, _ = self.plan(_NINE_YEAR.grades, n)
        kids: list[Child] = []
        for h, slots in enumerate(plan):
            _, made = self.household(h, slots, _NINE_YEAR, True, len(kids))
            kids.extend(made)
        return kids


# --------------------------------------------------------------------------- public API


@attrs.frozen
class SyntheticSchool:
    """One school with everything in it, ready to load into a store."""

    school: School
    classes: tuple[SchoolClass, ...]
    teachers: tuple[Teacher, ...]
    volunteers: tuple[Volunteer, ...]
    children: tuple[Child, ...]
    households: tuple[Household, ...]

    def records(self) -> Iterator[School | SchoolClass | Teacher | Volunteer | Household | Child]:
        """Every record, the school first, in an order a store can add them in."""
        yield self.school
        yield from self.classes
        yield from self.teachers
        yield from self.volunteers
        yield from self.households
        yield from self.children


def school(
    seed: int = 0,
    *,
    on: dt.date = DEFAULT_ON,
    index: int = 0,
    county_code: str | None = None,
    children: int | None = None,
) -> SyntheticSchool:
    """The ``index``-th school of the county ``county_code`` as of ``on``.

    With ``county_code=None`` the county is the one :func:`county` picks for
    ``seed``, so ``school(seed, index=i)`` equals the ``i``-th school of
    ``county(seed)``. ``children`` sets the number of pupils (otherwise drawn:
    about 250 on average). The school id is ``f"{county_code}-{index:03d}"``.
    """
    if index < 0:
        raise ValueError("a school index is not negative")
    if children is not None and children < 0:
        raise ValueError("a number of children is not negative")
    code = county_code if county_code is not None else _default_county_code(seed)
    return _Gen(seed, _county(seed, code), index, on).build_school(children)


@attrs.frozen
class SyntheticCounty:
    """A county's schools, made one at a time while iterating (never all held).

    ``len()`` is the number of schools; iteration yields :class:`SyntheticSchool`
    in index order; :meth:`at` makes one of them.
    """

    code: str
    name: str
    seed: int
    schools: int
    on: dt.date

    def __len__(self) -> int:
        return self.schools

    def __iter__(self) -> Iterator[SyntheticSchool]:
        for i in range(self.schools):
            yield self.at(i)

    def at(self, index: int) -> SyntheticSchool:
        """The school of index ``index`` (0 <= index < ``schools``)."""
        if not 0 <= index < self.schools:
            raise IndexError(f"school index {index} out of range 0..{self.schools - 1}")
        return school(self.seed, on=self.on, index=index, county_code=self.code)

    @property
    def province(self) -> str:
        return _county(self.seed, self.code).province

    @property
    def city(self) -> str:
        """The prefecture (empty for counties directly under a municipality)."""
        return _county(self.seed, self.code).city

    @property
    def full_name(self) -> str:
        return _county(self.seed, self.code).full_name

    @property
    def townships(self) -> tuple[str, ...]:
        return tuple(t.name for t in _county(self.seed, self.code).townships)


def county(
    seed: int = 0, *, schools: int = 200, on: dt.date = DEFAULT_ON, code: str | None = None
) -> SyntheticCounty:
    """A lazy county of ``schools`` schools (200: about 50,000 children, 20,000 teachers).

    ``code`` is a GB/T 2260 county code in use; by default a rural county of a
    province that sends many workers away, picked from ``seed``.
    """
    if schools < 0:
        raise ValueError("a number of schools is not negative")
    code = code if code is not None else _default_county_code(seed)
    return SyntheticCounty(code, _county(seed, code).name, seed, schools, on)


@attrs.frozen
class SyntheticProvince:
    """A province's counties and schools, made one school at a time.

    ``county_sizes`` lists (county code, number of schools); ``len()`` is the
    number of schools; iteration yields schools county by county;
    :meth:`counties` yields the lazy :class:`SyntheticCounty` objects.
    """

    code: str
    name: str
    seed: int
    on: dt.date
    county_sizes: tuple[tuple[str, int], ...]

    @property
    def schools(self) -> int:
        return sum(n for _, n in self.county_sizes)

    def __len__(self) -> int:
        return self.schools

    def counties(self) -> Iterator[SyntheticCounty]:
        for code, n in self.county_sizes:
            yield SyntheticCounty(code, _county(self.seed, code).name, self.seed, n, self.on)

    def __iter__(self) -> Iterator[SyntheticSchool]:
        for c in self.counties():
            yield from c


def province(seed: int = 0, *, schools: int = 2000, on: dt.date = DEFAULT_ON) -> SyntheticProvince:
    """A lazy province of ``schools`` schools (2,000: about 500,000 children).

    The schools are split into counties of 100-250 schools (fewer when
    ``schools`` is small), each a real rural county of one province.
    """
    if schools < 0:
        raise ValueError("a number of schools is not negative")
    rng = random.Random(f"liushou.synth.province:{seed}:{schools}")
    sizes: list[int] = []
    left = schools
    while left > 0:
        n = rng.randint(100, 250)
        if left - n < 100:
            n = left if left <= 250 else left - 100
        sizes.append(n)
        left -= n
    stable = _stable_counties()
    current = _current_counties()
    candidates = [
        p for p in data.SENDING_PROVINCES if sum(c[:2] == p for c in current) >= len(sizes)
    ]
    if not candidates:
        raise ValueError(f"no province has {len(sizes)} counties for {schools} schools")
    best = [p for p in candidates if sum(c[:2] == p for c in stable) >= len(sizes)]
    code = rng.choice(best or candidates)
    codes = [c for c in stable if c[:2] == code]
    rng.shuffle(codes)
    rest = [c for c in current if c[:2] == code and c not in codes]
    rng.shuffle(rest)
    codes += rest
    name = next(a.province for a in _areas().values() if a.code[:2] == code)
    return SyntheticProvince(code, name, seed, on, tuple(zip(codes, sizes, strict=False)))


def children(seed: int = 0, n: int = 1000, *, on: dt.date = DEFAULT_ON) -> Iterator[Child]:
    """A stream of ``n`` children for benchmarks, made in blocks of 250.

    Every child has both parents (each with a timeline of work away, current
    or past), two guardians, an ID number and at least two emergency contacts,
    so that rules have something to work on for every record. The shares of
    family situations are those of :func:`school`. Children of block ``b``
    belong to the made-up school ``f"{county}-b{b:04d}"``.
    """
    if n < 0:
        raise ValueError("a number of children is not negative")
    info = _county(seed, _default_county_code(seed))
    block = 0
    left = n
    while left > 0:
        k = min(_BLOCK, left)
        yield from _Gen(seed, info, block, on, stream=True).stream(k)
        left -= k
        block += 1
