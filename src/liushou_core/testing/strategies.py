"""Hypothesis strategies for liushou's models, for property tests of rules and adapters.

Every model class in :data:`liushou_core.models.ALL_MODELS` has a strategy that
produces *valid* instances (``children()``, ``parents()``, ``guardians()``,
``away_periods()``, ``schools()``, ...), and :func:`from_model` (alias
:func:`models`) finds it by class::

    from hypothesis import given
    from liushou_core.testing import strategies as lst

    @given(lst.children(school_id="s-001"))
    def test_my_rule(child): ...

    @given(lst.from_model(Household))
    def test_my_adapter_round_trips(household): ...

Generated records respect the models' cross-field rules: a birth date agrees
with the resident ID number (whose sex digit agrees with the person's sex), end
dates are never before start dates, a ``disabled`` health status or parent
condition carries a :class:`~liushou_core.models.Disability`, a child has each
parent role at most once, a term's days fit its school year and semester.
Sizes are small (a child has at most two guardians, two away periods per
parent, ...) so that generation stays fast.

Building blocks: :func:`resident_ids` (valid GB 11643 numbers with area codes
from :data:`COUNTY_CODES`), :func:`mobile_phones`, :func:`landline_phones`,
:func:`phones`, :func:`chinese_names`, :func:`student_numbers`, :func:`dates`,
:func:`local_datetimes`, :func:`identifiers`, :func:`free_text`,
:func:`messages`.

For error paths: :func:`invalid_resident_ids` (bad check digit, birth date,
length, format, unknown area), :func:`invalid_phones`, and :func:`corrupted`,
which takes a valid record as plain data (``unstructure``) and breaks it at one
known place, giving ``(data, path, kind)``; ``structure(data, cls)`` must then
raise :class:`~liushou_core.errors.InvalidRecord` with ``path`` among its
problems.

This module imports Hypothesis (a test dependency); ``liushou_core`` itself
never imports it.
"""

from __future__ import annotations

import copy
import datetime as dt
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Literal, NamedTuple, TypeAlias, TypeVar, cast, get_args, get_origin

import attrs
from hypothesis import assume
from hypothesis import strategies as st
from stdnum.cn import ric

from liushou_core import validate as v
from liushou_core.convert import unstructure
from liushou_core.i18n import Message, ParamValue
from liushou_core.models import (
    ALL_MODELS,
    Address,
    AidDecision,
    Assistance,
    Authority,
    AwayPeriod,
    CareAssessment,
    Child,
    ConditionKind,
    Consent,
    Contact,
    ContactEvent,
    ContactKind,
    DiaryEntry,
    DifficultyLevel,
    Disability,
    DisabilityType,
    Disqualification,
    Finding,
    Grandparent,
    GroupMember,
    Guardian,
    Health,
    HealthCheck,
    HealthResult,
    HealthStatus,
    Household,
    HouseholdCategory,
    Hukou,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    LeadingGroup,
    Measure,
    MentorKind,
    Notice,
    NoticeState,
    Pairing,
    Parent,
    ParentCondition,
    ParentRole,
    Period,
    PledgeLevel,
    RecipientRole,
    RecordCheck,
    Relationship,
    SafetyPledge,
    School,
    SchoolClass,
    SchoolingStatus,
    Semester,
    Severity,
    Sex,
    StaffRole,
    Subject,
    Teacher,
    Term,
    Urgency,
    Volunteer,
    VolunteerKind,
    WorkPlan,
)
from liushou_core.models.activities import (
    Boarding,
    Duty,
    DutySlot,
    GuardianTraining,
    Partner,
    PartnerKind,
)
from liushou_core.models.aid import (
    Criterion,
    DifficultyIdentification,
    IdentificationStep,
    LevelChange,
    ManualDecision,
    SchemeDecision,
    StepRecord,
)
from liushou_core.models.household import Evidence, EvidenceKind
from liushou_core.models.notice import notice_id
from liushou_core.models.records import (
    Activity,
    ActivityKind,
    ArchiveSignOff,
    CareNotice,
    WorkSummary,
)

__all__ = [
    "CORRUPTION_KINDS",
    "COUNTIES",
    "COUNTY_CODES",
    "EARLIEST",
    "INVALID_ID_KINDS",
    "INVALID_PHONE_KINDS",
    "LATEST",
    "UNKNOWN_AREA_CODES",
    "Corrupted",
    "CorruptionKind",
    "DateLike",
    "InvalidIdKind",
    "InvalidPhoneKind",
    "activities",
    "addresses",
    "aid_decisions",
    "archive_sign_offs",
    "away_periods",
    "boardings",
    "care_notices",
    "children",
    "chinese_names",
    "consents",
    "contact_events",
    "contacts",
    "corrupted",
    "criteria",
    "dates",
    "diary_entries",
    "difficulty_identifications",
    "disabilities",
    "duties",
    "evidence_documents",
    "findings",
    "free_text",
    "from_model",
    "grandparents",
    "group_members",
    "guardian_trainings",
    "guardians",
    "health_checks",
    "healths",
    "households",
    "hukous",
    "identifiers",
    "incident_steps",
    "incidents",
    "invalid_phones",
    "invalid_resident_ids",
    "landline_phones",
    "leading_groups",
    "level_changes",
    "local_datetimes",
    "manual_decisions",
    "measures",
    "messages",
    "mobile_phones",
    "models",
    "pairings",
    "parent_conditions",
    "parents",
    "partners",
    "periods",
    "phones",
    "record_checks",
    "register_type_strategies",
    "resident_ids",
    "safety_pledges",
    "scheme_decisions",
    "school_classes",
    "schools",
    "step_records",
    "student_numbers",
    "subjects",
    "teachers",
    "terms",
    "volunteers",
    "work_plans",
    "work_summaries",
]

T = TypeVar("T")
E = TypeVar("E", bound=Enum)

#: A day given to a strategy: a date, or a strategy of dates.
DateLike: TypeAlias = dt.date | st.SearchStrategy[dt.date]

#: The earliest and latest days the strategies produce by default.
EARLIEST: Final = dt.date(1940, 1, 1)
LATEST: Final = dt.date(2030, 12, 31)

#: Real county codes (GB/T 2260) that ``stdnum.cn.ric.get_birth_place`` accepts
#: for every birth year from 1940 to 2030, with province and county names. Most
#: are rural counties of provinces with many left-behind children.
COUNTIES: Final[Mapping[str, tuple[str, str]]] = types.MappingProxyType(
    {
        "340121": ("安徽省", "长丰县"),
        "340421": ("安徽省", "凤台县"),
        "360121": ("江西省", "南昌县"),
        "422822": ("湖北省", "建始县"),
        "422823": ("湖北省", "巴东县"),
        "430121": ("湖南省", "长沙县"),
        "433123": ("湖南省", "凤凰县"),
        "510121": ("四川省", "金堂县"),
        "510421": ("四川省", "米易县"),
        "522323": ("贵州省", "普安县"),
        "530124": ("云南省", "富民县"),
        "620121": ("甘肃省", "永登县"),
        "140121": ("山西省", "清徐县"),
        "110105": ("北京市", "朝阳区"),
    }
)
#: The codes of :data:`COUNTIES`.
COUNTY_CODES: Final[tuple[str, ...]] = tuple(COUNTIES)

#: Area codes unknown to ``stdnum`` for some or all birth years, with the birth
#: years (inclusive) for which each is unknown.
UNKNOWN_AREA_CODES: Final[Mapping[str, tuple[int, int]]] = types.MappingProxyType(
    {
        "990101": (1940, 2030),  # no such province
        "000000": (1940, 2030),
        "710101": (1940, 2030),  # Taiwan: no mainland county codes
        "110001": (1940, 2030),  # province known, county not
        "430199": (1940, 2030),
        "430124": (2018, 2030),  # 宁乡县, a county from 1983 to 2017
        "522422": (2012, 2030),  # 大方县, until 2011
        "642221": (2002, 2030),  # 固原县, until 2001
    }
)

_SURNAMES: Final = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "罗", "高", "林", "谢", "唐", "邓", "彭", "曾", "田", "龙", "向", "欧阳", "司马",
)  # fmt: skip
_GIVEN: Final = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "梓", "涵", "子", "轩", "欣", "怡",
    "浩", "宇", "雨", "萱", "佳", "琪", "思", "博", "文", "晨", "一", "诺", "沐", "瑶", "鑫",
)  # fmt: skip
_MINORITY_NAMES: Final = ("阿依古丽·买买提", "热依拉·艾力", "扎西顿珠", "吉克阿衣", "石春花")
_WORK_PLACES: Final = (
    ("广东省", "深圳市"), ("广东省", "东莞市"), ("广东省", "广州市"), ("浙江省", "杭州市"),
    ("浙江省", "宁波市"), ("江苏省", "苏州市"), ("上海市", "上海市"), ("北京市", "北京市"),
    ("福建省", "厦门市"), ("湖南省", "长沙市"), ("四川省", "成都市"), ("", ""),
)  # fmt: skip
_TOWNSHIPS: Final = ("城关镇", "新华乡", "白沙镇", "石门乡", "龙潭镇", "青山乡", "河口镇")
_VILLAGES: Final = ("红星村", "大坪村", "柳树村", "双河村", "高桥村", "新民村", "龙溪村")
_PHRASES: Final = (
    "",
    "近期情绪稳定",
    "学习有进步，作业按时完成",
    "与父亲视频通话二十分钟",
    "祖母身体欠佳，需要关注",
    "家访：居住条件一般",
    "Needs follow-up after the holiday.",
    "下周复查视力",
)
_LANDLINE_AREAS: Final = (
    "010", "020", "021", "022", "023", "027", "028", "029",
    "0731", "0739", "0743", "0851", "0857", "0871", "0791", "0551", "0931", "0351",
)  # fmt: skip
_MOBILE_PREFIXES: Final = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150",
    "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173", "175", "176",
    "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191",
    "198", "199",
)  # fmt: skip
_GRANDPARENT_RELATIONS: Final = (
    Relationship.PATERNAL_GRANDFATHER,
    Relationship.PATERNAL_GRANDMOTHER,
    Relationship.MATERNAL_GRANDFATHER,
    Relationship.MATERNAL_GRANDMOTHER,
)


# --------------------------------------------------------------------------- drawing helpers
#
# Hypothesis validates every new strategy object the first time it is drawn from,
# which costs more than the draw itself. The model strategies therefore draw
# through these helpers, which only use strategies built once (module constants
# or Hypothesis' cached ``integers``/``booleans``/``lists``), and the public
# strategies below are thin wrappers around the same helpers.

_BOOLS: Final = st.booleans()


def _members(enum: type[E]) -> tuple[E, ...]:
    return tuple(enum)


def _pick(draw: st.DrawFn, options: Sequence[T]) -> T:
    """One of ``options`` (shrinks towards the first)."""
    return options[draw(st.integers(0, len(options) - 1))]


def _pick_enum(draw: st.DrawFn, enum: type[E]) -> E:
    return _pick(draw, _members(enum))


def _subset(
    draw: st.DrawFn, options: Sequence[T], *, min_size: int = 0, max_size: int = 3
) -> tuple[T, ...]:
    """Distinct items of ``options``, in the order drawn."""
    top = min(max_size, len(options))
    picks = draw(
        st.lists(st.integers(0, len(options) - 1), unique=True, min_size=min_size, max_size=top)
    )
    return tuple(options[i] for i in picks)


def _count(draw: st.DrawFn, max_size: int, min_size: int = 0) -> int:
    return draw(st.integers(min_size, max_size))


def _flip(draw: st.DrawFn) -> bool:
    return draw(_BOOLS)


def _day(draw: st.DrawFn, lo: dt.date, hi: dt.date) -> dt.date:
    """A day from ``lo`` to ``hi`` inclusive (shrinks towards ``lo``)."""
    return lo + dt.timedelta(days=draw(st.integers(0, (hi - lo).days)))


def _after(draw: st.DrawFn, start: dt.date, max_days: int = 800) -> dt.date:
    return start + dt.timedelta(days=draw(st.integers(0, max_days)))


def _end(draw: st.DrawFn, start: dt.date, max_days: int = 800) -> dt.date | None:
    """An optional end: ``None`` (still going on) or a day not before ``start``."""
    return _after(draw, start, max_days) if _flip(draw) else None


def _ident(draw: st.DrawFn, prefix: str) -> str:
    return f"{prefix}{draw(st.integers(0, 99_999)):05d}"


def _idents(
    draw: st.DrawFn, prefix: str, *, min_size: int = 0, max_size: int = 2
) -> tuple[str, ...]:
    numbers = draw(
        st.lists(st.integers(0, 99_999), unique=True, min_size=min_size, max_size=max_size)
    )
    return tuple(f"{prefix}{n:05d}" for n in numbers)


def _school(draw: st.DrawFn, school_id: str | None) -> str:
    return school_id if school_id is not None else _ident(draw, "s-")


def _version(draw: st.DrawFn) -> int:
    return draw(st.integers(0, 5))


def _draw_resident_id(
    draw: st.DrawFn, born: dt.date, male: bool | None, areas: Sequence[str] = COUNTY_CODES
) -> v.ResidentId:
    area = _pick(draw, areas)
    is_male = _flip(draw) if male is None else male
    # 001-997 odd for men, 002-998 even for women
    sequence = 2 * draw(st.integers(0, 498)) + (1 if is_male else 2)
    return v.resident_id(_id_body(area, born.strftime("%Y%m%d"), sequence))


def _draw_mobile(draw: st.DrawFn) -> v.Phone:
    return v.phone(f"{_pick(draw, _MOBILE_PREFIXES)}{draw(st.integers(0, 99_999_999)):08d}")


def _draw_landline(draw: st.DrawFn) -> v.Phone:
    area = _pick(draw, _LANDLINE_AREAS)
    length = 8 if len(area) == 3 or _flip(draw) else 7
    local = draw(st.integers(2 * 10 ** (length - 1), 9 * 10 ** (length - 1) - 1))
    return v.phone(f"{area}-{local}")


def _draw_phone(draw: st.DrawFn) -> v.Phone:
    return _draw_landline(draw) if draw(st.integers(0, 2)) == 2 else _draw_mobile(draw)


def _draw_name(draw: st.DrawFn, surname: str | None = None) -> str:
    if surname is None and draw(st.integers(0, 19)) == 19:
        return _pick(draw, _MINORITY_NAMES)
    family = surname if surname is not None else _pick(draw, _SURNAMES)
    given = "".join(_pick(draw, _GIVEN) for _ in range(_count(draw, 2, 1)))
    return v.name(family + given)


def _draw_text(draw: st.DrawFn) -> str:
    return draw(_FREE_TEXT)


def _id_body(area: str, birth: str, sequence: int) -> str:
    body = f"{area}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


# --------------------------------------------------------------------------- building blocks


def dates(min_value: dt.date = EARLIEST, max_value: dt.date = LATEST) -> st.SearchStrategy[dt.date]:
    """Days from ``min_value`` to ``max_value`` (inclusive; default 1940-2030)."""
    return st.dates(min_value=min_value, max_value=max_value)


def local_datetimes(
    min_value: dt.datetime = dt.datetime(2000, 1, 1),
    max_value: dt.datetime = dt.datetime(2030, 12, 31, 23, 59, 59),
) -> st.SearchStrategy[dt.datetime]:
    """Local (naive, time-zone-free) date-times, as :class:`IncidentStep` wants them."""
    return st.datetimes(min_value=min_value, max_value=max_value)


_DATETIMES: Final = local_datetimes()


@st.composite
def resident_ids(
    draw: st.DrawFn,
    birth_date: DateLike | None = None,
    *,
    male: bool | None = None,
    areas: Sequence[str] = COUNTY_CODES,
    born_from: dt.date = EARLIEST,
    born_until: dt.date = LATEST,
) -> v.ResidentId:
    """Valid resident ID numbers (GB 11643, as ``stdnum.cn.ric`` checks them).

    ``birth_date`` fixes the birth date (a date, or a strategy of dates; by
    default one from ``born_from`` to ``born_until``); ``male`` fixes the sex
    digit (odd for men). ``areas`` are six-digit area codes that must be known
    for every birth year drawn (default :data:`COUNTY_CODES`, known 1940-2030).
    """
    born = _day_like(draw, birth_date, born_from, born_until)
    return _draw_resident_id(draw, born, male, tuple(areas))


@st.composite
def mobile_phones(draw: st.DrawFn) -> v.Phone:
    """Valid mainland mobile numbers (11 digits, real 13x-19x prefixes), normalised."""
    return _draw_mobile(draw)


@st.composite
def landline_phones(draw: st.DrawFn) -> v.Phone:
    """Valid landline numbers, normalised to ``area-number`` (``0731-84561234``)."""
    return _draw_landline(draw)


@st.composite
def phones(draw: st.DrawFn) -> v.Phone:
    """Valid phone numbers: two mobiles for each landline."""
    return _draw_phone(draw)


@st.composite
def chinese_names(draw: st.DrawFn, *, surname: str | None = None) -> str:
    """Chinese personal names: a (possibly compound) surname and one or two characters.

    Now and then a minority name (``阿依古丽·买买提``) when ``surname`` is not given.
    """
    return _draw_name(draw, surname)


def identifiers(prefix: str = "r-") -> st.SearchStrategy[str]:
    """Record ids such as ``c-00042`` (valid names: non-empty, printable)."""
    return st.integers(0, 99_999).map(lambda n: f"{prefix}{n:05d}")


def free_text(max_size: int = 16) -> st.SearchStrategy[str]:
    """Free text as a model stores it: NFC-normalised and stripped (may be empty).

    Mostly realistic Chinese phrases, sometimes arbitrary Unicode text.
    """
    arbitrary = st.text(st.characters(codec="utf-8"), max_size=max_size)
    return st.one_of(st.sampled_from(_PHRASES), arbitrary).map(v.text)


_FREE_TEXT: Final = free_text()


@st.composite
def student_numbers(draw: st.DrawFn, id_number: str | None = None) -> v.StudentNumber:
    """National student numbers (学籍号): ``G`` + an ID number, or ``L``/``J`` + 18.

    With ``id_number`` the number is the formal ``G`` number built on it.
    """
    if id_number is not None:
        return v.student_number("G" + id_number)
    kind = _pick(draw, "GLJ")
    if kind == "G":
        born = _day(draw, dt.date(2005, 1, 1), LATEST)
        return v.student_number("G" + _draw_resident_id(draw, born, None))
    return _draw_temporary_student_number(draw, kind)


def _draw_temporary_student_number(draw: st.DrawFn, kind: str | None = None) -> v.StudentNumber:
    k = kind if kind is not None else _pick(draw, "LJ")
    digits = draw(st.integers(0, 10**17 - 1))
    return v.student_number(f"{k}{digits:017d}{_pick(draw, '0123456789X')}")


_MESSAGE_TEMPLATES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("NO_GUARDIAN_PHONE", "No phone number for the guardian of {child}.", ("child",)),
    ("OVERDUE_TALK", "The talk with {child} is {days} days overdue.", ("child", "days")),
    ("LB_BOTH_AWAY", "Both parents are working away.", ()),
    ("LIVING_SUBSIDY", "Living subsidy of {amount} yuan a year.", ("amount",)),
    ("MISSING_CONSENT", "No consent of the guardian on record.", ()),
)


def _draw_param(draw: st.DrawFn) -> ParamValue:
    which = draw(st.integers(0, 2))
    if which == 0:
        return draw(st.integers(-1000, 100_000))
    if which == 1:
        return _ident(draw, "c-")
    return _pick(draw, _PHRASES)


def _draw_message(draw: st.DrawFn) -> Message:
    code, text, names = _pick(draw, _MESSAGE_TEMPLATES)
    return Message(code, text, {n: _draw_param(draw) for n in names})


@st.composite
def messages(draw: st.DrawFn) -> Message:
    """Translatable messages whose ``{placeholders}`` all have parameters (they render)."""
    return _draw_message(draw)


def _day_like(draw: st.DrawFn, value: DateLike | None, lo: dt.date, hi: dt.date) -> dt.date:
    """``value`` if a date, drawn from it if a strategy, else a day from ``lo`` to ``hi``."""
    if value is None:
        return _day(draw, lo, hi)
    if isinstance(value, dt.date):
        return value
    return draw(value)


def _draw_birth_and_id(
    draw: st.DrawFn, born_from: dt.date, born_until: dt.date, male: bool | None
) -> tuple[dt.date | None, v.ResidentId | None]:
    """A birth date and an ID number, each optional, agreeing when both are given."""
    born = _day(draw, born_from, born_until)
    number = _draw_resident_id(draw, born, male) if _flip(draw) else None
    if number is not None and _flip(draw):
        return None, number
    return (born if draw(st.integers(0, 3)) else None), number


# --------------------------------------------------------------------------- values


@st.composite
def periods(draw: st.DrawFn, start: DateLike | None = None) -> Period:
    """Date spans, both ends inclusive; the end (if any) is not before the start."""
    first = _day_like(draw, start, dt.date(2000, 1, 1), LATEST)
    return Period(first, _end(draw, first))


def _draw_address(draw: st.DrawFn, county_code: str | None = None) -> Address:
    code = county_code if county_code is not None else _pick(draw, COUNTY_CODES)
    province, county = COUNTIES.get(code, ("", ""))
    return Address(
        province=province,
        county=county,
        township=_pick(draw, _TOWNSHIPS),
        village=_pick(draw, _VILLAGES),
        detail=_pick(draw, ("", "3组", "12号", "五组28号")),
    )


@st.composite
def addresses(draw: st.DrawFn, county_code: str | None = None) -> Address:
    """Postal addresses down to the village, in a county of :data:`COUNTIES`."""
    return _draw_address(draw, county_code)


def _draw_contact(draw: st.DrawFn) -> Contact:
    return Contact(
        name=_draw_name(draw),
        phone=_draw_phone(draw) if draw(st.integers(0, 2)) else None,
        relationship=_pick(draw, ("", "叔叔", "姑姑", "村主任", "邻居")),
    )


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    """Reachable people: a name, usually a phone, how they relate to the child."""
    return _draw_contact(draw)


def _draw_disability(draw: st.DrawFn) -> Disability:
    return Disability(_pick_enum(draw, DisabilityType), draw(st.integers(1, 4)))


@st.composite
def disabilities(draw: st.DrawFn) -> Disability:
    """Disabilities with a certificate type and a grade from 1 to 4."""
    return _draw_disability(draw)


_TIMELINE_FROM: Final = (dt.date(2005, 1, 1), dt.date(2028, 12, 31))


def _draw_away(draw: st.DrawFn, first: dt.date) -> AwayPeriod:
    province, city = _pick(draw, _WORK_PLACES)
    return AwayPeriod(first, _end(draw, first), province, city)


@st.composite
def away_periods(draw: st.DrawFn, start: DateLike | None = None) -> AwayPeriod:
    """Spells of work away from home; the end (if any) is not before the start."""
    return _draw_away(draw, _day_like(draw, start, *_TIMELINE_FROM))


def _draw_condition(
    draw: st.DrawFn, first: dt.date, kind: ConditionKind | None = None
) -> ParentCondition:
    k = kind if kind is not None else _pick_enum(draw, ConditionKind)
    ongoing = k in (ConditionKind.DECEASED, ConditionKind.MISSING)
    return ParentCondition(
        kind=k,
        start=first,
        end=None if ongoing else _end(draw, first),
        disability=_draw_disability(draw) if k is ConditionKind.DISABLED else None,
        note=_draw_text(draw),
    )


@st.composite
def parent_conditions(
    draw: st.DrawFn, kind: ConditionKind | None = None, start: DateLike | None = None
) -> ParentCondition:
    """A parent's circumstances; a ``disabled`` one always carries its disability."""
    return _draw_condition(draw, _day_like(draw, start, *_TIMELINE_FROM), kind)


def _draw_timeline(
    draw: st.DrawFn, build: Callable[[st.DrawFn, dt.date], T], end_of: Callable[[T], dt.date | None]
) -> tuple[T, ...]:
    """Zero to two entries in date order, each starting after the previous one ended."""
    out: list[T] = []
    day = _day(draw, dt.date(2008, 1, 1), dt.date(2024, 12, 31))
    for _ in range(_count(draw, 2)):
        entry = build(draw, day)
        out.append(entry)
        end = end_of(entry)
        if end is None:
            break
        day = end + dt.timedelta(days=draw(st.integers(1, 60)))
    return tuple(out)


def _away_end(p: AwayPeriod) -> dt.date | None:
    return p.end


def _condition_end(c: ParentCondition) -> dt.date | None:
    return c.end


def _draw_parent(
    draw: st.DrawFn,
    role: ParentRole | None = None,
    born_from: dt.date = dt.date(1960, 1, 1),
    born_until: dt.date = dt.date(2004, 12, 31),
) -> Parent:
    r = role if role is not None else _pick_enum(draw, ParentRole)
    birth, number = _draw_birth_and_id(draw, born_from, born_until, r is ParentRole.FATHER)
    away = _draw_timeline(draw, _draw_away, _away_end)
    conditions = _draw_timeline(draw, _draw_condition, _condition_end) if _flip(draw) else ()
    return Parent(
        role=r,
        name=_draw_name(draw),
        birth_date=birth,
        id_number=number,
        phone=_draw_mobile(draw) if _flip(draw) else None,
        away=away,
        conditions=conditions,
    )


@st.composite
def parents(
    draw: st.DrawFn,
    role: ParentRole | None = None,
    *,
    born_from: dt.date = dt.date(1960, 1, 1),
    born_until: dt.date = dt.date(2004, 12, 31),
) -> Parent:
    """Parents, with timelines of work away and of circumstances (in date order).

    The ID number's sex digit agrees with the role; birth date and ID agree.
    """
    return _draw_parent(draw, role, born_from, born_until)


_GUARDIAN_MALE: Final = {
    Relationship.FATHER: True,
    Relationship.MOTHER: False,
    Relationship.PATERNAL_GRANDFATHER: True,
    Relationship.PATERNAL_GRANDMOTHER: False,
    Relationship.MATERNAL_GRANDFATHER: True,
    Relationship.MATERNAL_GRANDMOTHER: False,
    Relationship.UNCLE: True,
    Relationship.AUNT: False,
}


def _draw_guardian(
    draw: st.DrawFn,
    relationship: Relationship | None = None,
    born_from: dt.date = dt.date(1940, 1, 1),
    born_until: dt.date = dt.date(2004, 12, 31),
) -> Guardian:
    rel = relationship if relationship is not None else _pick_enum(draw, Relationship)
    birth, number = _draw_birth_and_id(draw, born_from, born_until, _GUARDIAN_MALE.get(rel))
    confirmed = _day(draw, dt.date(2015, 1, 1), LATEST) if _flip(draw) else None
    return Guardian(
        name=_draw_name(draw),
        relationship=rel,
        entrusted=rel not in (Relationship.FATHER, Relationship.MOTHER),
        phone=_draw_phone(draw) if draw(st.integers(0, 2)) else None,
        id_number=number,
        birth_date=birth,
        address=_pick(draw, ("", *_VILLAGES)),
        capacity=_pick_enum(draw, CareAssessment),
        lives_with_child=_flip(draw),
        phone_confirmed_on=confirmed,
        disqualifications=(
            _subset(draw, _members(Disqualification), max_size=2)
            if draw(st.integers(0, 2)) == 2
            else ()
        ),
    )


@st.composite
def guardians(
    draw: st.DrawFn,
    relationship: Relationship | None = None,
    *,
    born_from: dt.date = dt.date(1940, 1, 1),
    born_until: dt.date = dt.date(2004, 12, 31),
) -> Guardian:
    """Carers; a parent is not ``entrusted``, anyone else is. Birth date and ID agree."""
    return _draw_guardian(draw, relationship, born_from, born_until)


def _draw_grandparent(draw: st.DrawFn) -> Grandparent:
    born = _day(draw, dt.date(1935, 1, 1), dt.date(1985, 12, 31)) if _flip(draw) else None
    return Grandparent(
        relationship=_pick(draw, _GRANDPARENT_RELATIONS), name=_draw_name(draw), birth_date=born
    )


@st.composite
def grandparents(draw: st.DrawFn) -> Grandparent:
    """Grandparents as the survey form lists them."""
    return _draw_grandparent(draw)


def _draw_hukou(draw: st.DrawFn) -> Hukou:
    return Hukou(
        registered=_flip(draw),
        place="".join(COUNTIES[_pick(draw, COUNTY_CODES)]),
        rural=_flip(draw),
        local=_flip(draw),
    )


@st.composite
def hukous(draw: st.DrawFn) -> Hukou:
    """Household registrations."""
    return _draw_hukou(draw)


def _draw_health(draw: st.DrawFn, status: HealthStatus | None = None) -> Health:
    s = status if status is not None else _pick_enum(draw, HealthStatus)
    disability = _draw_disability(draw) if s is HealthStatus.DISABLED else None
    illness = _pick(draw, ("哮喘", "先天性心脏病", "癫痫")) if s is HealthStatus.ILL else ""
    return Health(s, disability, illness)


@st.composite
def healths(draw: st.DrawFn, status: HealthStatus | None = None) -> Health:
    """Health records; ``disabled`` carries a disability, ``ill`` names an illness."""
    return _draw_health(draw, status)


# --------------------------------------------------------------------------- the child


@st.composite
def children(
    draw: st.DrawFn,
    *,
    school_id: str | None = None,
    born_from: dt.date = dt.date(2008, 1, 1),
    born_until: dt.date = dt.date(2022, 12, 31),
) -> Child:
    """Pupils with family, guardians and archive fields.

    Birth date, sex, ID number and ``G`` student number agree; the father and
    the mother appear at most once each.
    """
    sex = _pick_enum(draw, Sex)
    born = _day(draw, born_from, born_until)
    number = _draw_resident_id(draw, born, sex is Sex.MALE) if _flip(draw) else None
    student: v.StudentNumber | None
    if number is not None and _flip(draw):
        student = v.student_number("G" + number)
    else:
        student = _draw_temporary_student_number(draw) if _flip(draw) else None
    roles = _subset(draw, _members(ParentRole), max_size=2)
    enrolled = (
        _after(draw, born + dt.timedelta(days=3 * 365), max_days=4000) if _flip(draw) else None
    )
    return Child(
        id=_ident(draw, "c-"),
        school_id=_school(draw, school_id),
        name=_draw_name(draw, _pick(draw, _SURNAMES)),
        sex=sex,
        birth_date=born,
        class_id=_ident(draw, "k-") if _flip(draw) else None,
        id_number=number,
        student_number=student,
        ethnicity=_pick(draw, ("汉族", "汉族", "苗族", "土家族", "彝族", "侗族")),
        hukou=_draw_hukou(draw),
        address=_draw_address(draw),
        health=_draw_health(draw) if _flip(draw) else Health(),
        boarding=_flip(draw),
        schooling=_pick_enum(draw, SchoolingStatus),
        household_id=_ident(draw, "h-") if _flip(draw) else None,
        parents=tuple(_draw_parent(draw, r) for r in roles),
        guardians=tuple(_draw_guardian(draw) for _ in range(_count(draw, 2))),
        grandparents=tuple(_draw_grandparent(draw) for _ in range(_count(draw, 2))),
        emergency_contacts=tuple(_draw_contact(draw) for _ in range(_count(draw, 2))),
        village_committee=_draw_contact(draw) if _flip(draw) else None,
        psychological_flag=_flip(draw),
        behaviour_flag=_flip(draw),
        enrolled_on=enrolled,
        version=_version(draw),
    )


@st.composite
def households(draw: st.DrawFn, *, school_id: str | None = None) -> Household:
    """Households with difficulty categories and assistance (no repeats)."""
    return Household(
        id=_ident(draw, "h-"),
        school_id=_school(draw, school_id),
        categories=_subset(draw, _members(HouseholdCategory)),
        income_source=_pick(draw, ("", "务工", "务农", "低保金", "亲属接济")),
        assistance=_subset(draw, _members(Assistance)),
        difficulty_level=_pick_enum(draw, DifficultyLevel) if _flip(draw) else None,
        identified_on=_day(draw, dt.date(2015, 1, 1), LATEST) if _flip(draw) else None,
        evidence=tuple(_draw_evidence(draw) for _ in range(_count(draw, 2))),
        version=_version(draw),
    )


def _draw_evidence(draw: st.DrawFn) -> Evidence:
    received = _day(draw, dt.date(2015, 1, 1), LATEST)
    until = _day(draw, received, LATEST) if _flip(draw) else None
    return Evidence(_pick_enum(draw, EvidenceKind), received, until)


@st.composite
def evidence_documents(draw: st.DrawFn) -> Evidence:
    """Documents on file that prove a ground of difficulty (the end never before receipt)."""
    return _draw_evidence(draw)


# --------------------------------------------------------------------------- the school


@st.composite
def schools(draw: st.DrawFn, *, school_id: str | None = None) -> School:
    """Schools in a county of :data:`COUNTIES`."""
    township = _pick(draw, _TOWNSHIPS)
    return School(
        id=_school(draw, school_id),
        name=township + _pick(draw, ("中心小学", "中学", "小学", "九年一贯制学校")),
        county_code=_pick(draw, COUNTY_CODES),
        township=township,
        boarding=_flip(draw),
        principal_id=_ident(draw, "t-") if _flip(draw) else None,
        version=_version(draw),
    )


@st.composite
def school_classes(draw: st.DrawFn, *, school_id: str | None = None) -> SchoolClass:
    """Classes of grades 1-9 named like ``3年级2班``."""
    grade = draw(st.integers(1, 9))
    return SchoolClass(
        id=_ident(draw, "k-"),
        school_id=_school(draw, school_id),
        grade=grade,
        name=f"{grade}年级{draw(st.integers(1, 6))}班",
        class_teacher_id=_ident(draw, "t-") if _flip(draw) else None,
        version=_version(draw),
    )


def _draw_term(
    draw: st.DrawFn, school_year: int | None = None, semester: Semester | None = None
) -> Term:
    year = school_year if school_year is not None else draw(st.integers(2015, 2029))
    sem = semester if semester is not None else _pick_enum(draw, Semester)
    if sem is Semester.AUTUMN:
        first = _after(draw, dt.date(year, 8, 28), 10)
        last = _after(draw, dt.date(year + 1, 1, 10), 20)
    else:
        first = _after(draw, dt.date(year + 1, 2, 10), 25)
        last = _after(draw, dt.date(year + 1, 6, 28), 20)
    return Term(year, sem, first, last)


@st.composite
def terms(
    draw: st.DrawFn, *, school_year: int | None = None, semester: Semester | None = None
) -> Term:
    """Terms whose days fit the school year: autumn from September, spring from February."""
    return _draw_term(draw, school_year, semester)


def _draw_staff_id(draw: st.DrawFn, sex: Sex, born_from: dt.date) -> v.ResidentId | None:
    if not _flip(draw):
        return None
    return _draw_resident_id(draw, _day(draw, born_from, dt.date(2004, 12, 31)), sex is Sex.MALE)


@st.composite
def teachers(draw: st.DrawFn, *, school_id: str | None = None) -> Teacher:
    """Staff who may mentor children; the ID's sex digit agrees with ``sex``."""
    sex = _pick_enum(draw, Sex)
    return Teacher(
        id=_ident(draw, "t-"),
        school_id=_school(draw, school_id),
        name=_draw_name(draw),
        sex=sex,
        phone=_draw_mobile(draw) if _flip(draw) else None,
        id_number=_draw_staff_id(draw, sex, dt.date(1960, 1, 1)),
        roles=_subset(draw, _members(StaffRole), min_size=1, max_size=2),
        class_ids=_idents(draw, "k-"),
        village=_pick(draw, ("", *_VILLAGES)),
        related_child_ids=_idents(draw, "c-"),
        active=_flip(draw),
        version=_version(draw),
    )


def _draw_record_check(draw: st.DrawFn) -> RecordCheck:
    return RecordCheck(_day(draw, dt.date(2015, 1, 1), LATEST), _flip(draw))


@st.composite
def record_checks(draw: st.DrawFn) -> RecordCheck:
    """Criminal-record checks (cleared or not)."""
    return _draw_record_check(draw)


@st.composite
def volunteers(draw: st.DrawFn, *, school_id: str | None = None) -> Volunteer:
    """Volunteers (proxy parents); the ID's sex digit agrees with ``sex``."""
    sex = _pick_enum(draw, Sex)
    return Volunteer(
        id=_ident(draw, "v-"),
        school_id=_school(draw, school_id),
        name=_draw_name(draw),
        sex=sex,
        kind=_pick_enum(draw, VolunteerKind),
        phone=_draw_phone(draw) if _flip(draw) else None,
        id_number=_draw_staff_id(draw, sex, dt.date(1945, 1, 1)),
        village=_pick(draw, ("", *_VILLAGES)),
        record_check=_draw_record_check(draw) if _flip(draw) else None,
        related_child_ids=_idents(draw, "c-"),
        active=_flip(draw),
        version=_version(draw),
    )


@st.composite
def pairings(draw: st.DrawFn, *, school_id: str | None = None) -> Pairing:
    """Mentor pairs for a term; start and end (if any) lie in the term, in order."""
    term = _draw_term(draw)
    return Pairing(
        id=_ident(draw, "p-"),
        school_id=_school(draw, school_id),
        term_id=term.id,
        child_id=_ident(draw, "c-"),
        mentor_id=_ident(draw, "t-"),
        mentor_kind=_pick_enum(draw, MentorKind),
        start=term.first_day if _flip(draw) else None,
        end=term.last_day if _flip(draw) else None,
        version=_version(draw),
    )


# --------------------------------------------------------------------------- events


_EVENT_DAYS: Final = (dt.date(2015, 1, 1), dt.date(2030, 12, 31))


@st.composite
def contact_events(draw: st.DrawFn, *, school_id: str | None = None) -> ContactEvent:
    """Contacts of the talk system (meetings, talks, home visits, calls)."""
    return ContactEvent(
        id=_ident(draw, "e-"),
        school_id=_school(draw, school_id),
        kind=_pick_enum(draw, ContactKind),
        date=_day(draw, *_EVENT_DAYS),
        child_ids=_idents(draw, "c-", min_size=1, max_size=3),
        staff_ids=_idents(draw, "t-"),
        with_guardian=_flip(draw),
        with_parent=_flip(draw),
        minutes=draw(st.integers(5, 180)) if _flip(draw) else None,
        summary=_draw_text(draw),
        planned=_flip(draw),
        version=_version(draw),
    )


@st.composite
def diary_entries(draw: st.DrawFn, *, school_id: str | None = None) -> DiaryEntry:
    """Notes in a child's growth diary."""
    return DiaryEntry(
        id=_ident(draw, "d-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        mentor_id=_ident(draw, "t-"),
        date=_day(draw, *_EVENT_DAYS),
        text=_draw_text(draw),
        version=_version(draw),
    )


@st.composite
def health_checks(draw: st.DrawFn, *, school_id: str | None = None) -> HealthCheck:
    """Health checks; a follow-up due date (if any) is not before the check."""
    day = _day(draw, *_EVENT_DAYS)
    result = _pick_enum(draw, HealthResult)
    due = _end(draw, day, 120) if result is not HealthResult.NORMAL else None
    return HealthCheck(
        id=_ident(draw, "hc-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        date=day,
        result=result,
        findings=_draw_text(draw),
        follow_up_due=due,
        version=_version(draw),
    )


def _draw_step(
    draw: st.DrawFn, state: IncidentState | None = None, at: dt.datetime | None = None
) -> IncidentStep:
    return IncidentStep(
        state=state if state is not None else _pick_enum(draw, IncidentState),
        at=at if at is not None else draw(_DATETIMES),
        note=_draw_text(draw),
        reported_to=_subset(draw, _members(Authority), max_size=2),
    )


@st.composite
def incident_steps(
    draw: st.DrawFn, state: IncidentState | None = None, at: dt.datetime | None = None
) -> IncidentStep:
    """Steps of an incident at local (time-zone-free) date-times."""
    return _draw_step(draw, state, at)


@st.composite
def incidents(draw: st.DrawFn, *, school_id: str | None = None) -> Incident:
    """Incidents with their steps in order of time, from the day they occurred."""
    day = _day(draw, *_EVENT_DAYS)
    order = _members(IncidentState)
    states = sorted(_subset(draw, order), key=order.index)
    at = dt.datetime.combine(day, dt.time(8))
    steps: list[IncidentStep] = []
    for state in states:
        at += dt.timedelta(minutes=draw(st.integers(1, 60 * 24 * 30)))
        steps.append(_draw_step(draw, state, at))
    return Incident(
        id=_ident(draw, "i-"),
        school_id=_school(draw, school_id),
        kind=_pick_enum(draw, IncidentKind),
        occurred_on=day,
        child_ids=_idents(draw, "c-", min_size=1),
        steps=tuple(steps),
        summary=_draw_text(draw),
        version=_version(draw),
    )


@st.composite
def safety_pledges(draw: st.DrawFn, *, school_id: str | None = None) -> SafetyPledge:
    """Safety responsibility letters; guardian-level ones name the child."""
    term = _draw_term(draw)
    level = _pick_enum(draw, PledgeLevel)
    return SafetyPledge(
        id=_ident(draw, "sp-"),
        school_id=_school(draw, school_id),
        term_id=term.id,
        level=level,
        signer=_draw_name(draw),
        signed_on=_day(draw, term.first_day, term.last_day),
        child_id=_ident(draw, "c-") if level is PledgeLevel.GUARDIAN else None,
        version=_version(draw),
    )


_PURPOSES: Final = ("care programme", "aid assessment", "health checks")


@st.composite
def consents(draw: st.DrawFn, *, school_id: str | None = None) -> Consent:
    """Guardians' consents; a withdrawal (if any) is not before the consent."""
    given = _day(draw, *_EVENT_DAYS)
    return Consent(
        id=_ident(draw, "cs-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        guardian_name=_draw_name(draw),
        relationship=_pick_enum(draw, Relationship),
        given_on=given,
        purposes=_subset(draw, _PURPOSES, min_size=1),
        withdrawn_on=_after(draw, given) if draw(st.integers(0, 2)) == 2 else None,
        note=_draw_text(draw),
        notice_version=draw(st.sampled_from(("", "2026-1", "v2"))),
        version=_version(draw),
    )


@st.composite
def archive_sign_offs(draw: st.DrawFn, *, school_id: str | None = None) -> ArchiveSignOff:
    """Sign-offs of a child's survey form (filled, reviewed, unit head)."""
    return ArchiveSignOff(
        id=_ident(draw, "so-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        filled_by=_draw_name(draw),
        reviewed_by=_draw_name(draw),
        unit_head=_draw_name(draw),
        signed_on=_day(draw, *_EVENT_DAYS),
        version=_version(draw),
    )


@st.composite
def care_notices(draw: st.DrawFn, *, school_id: str | None = None) -> CareNotice:
    """Parents' written notices of the care arrangement."""
    return CareNotice(
        id=_ident(draw, "cn-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        given_by=_draw_name(draw),
        carer=_draw_name(draw),
        given_on=_day(draw, *_EVENT_DAYS),
        to_village_committee=_flip(draw),
        version=_version(draw),
    )


@st.composite
def activities(draw: st.DrawFn, *, school_id: str | None = None) -> Activity:
    """Activities of the care project with their participants."""
    return Activity(
        id=_ident(draw, "a-"),
        school_id=_school(draw, school_id),
        kind=_pick_enum(draw, ActivityKind),
        date=_day(draw, *_EVENT_DAYS),
        title=_draw_text(draw),
        staff_ids=_idents(draw, "t-"),
        participants=draw(st.integers(0, 300)),
        version=_version(draw),
        child_ids=_idents(draw, "c-"),
    )


@st.composite
def duties(draw: st.DrawFn, *, school_id: str | None = None) -> Duty:
    """Duties of the activities rota: a mentor, a day, a slot."""
    term = _draw_term(draw)
    return Duty(
        id=_ident(draw, "du-"),
        school_id=_school(draw, school_id),
        term_id=term.id,
        date=_day(draw, term.first_day, term.last_day),
        slot=_pick_enum(draw, DutySlot),
        mentor_id=_ident(draw, "t-"),
        version=_version(draw),
    )


@st.composite
def boardings(draw: st.DrawFn, *, school_id: str | None = None) -> Boarding:
    """Boarders of a term, some for part of the term only."""
    term = _draw_term(draw)
    start = _day(draw, term.first_day, term.last_day) if _flip(draw) else None
    end = _after(draw, start, 60) if start is not None and _flip(draw) else None
    return Boarding(
        id=_ident(draw, "bd-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        term_id=term.id,
        dormitory=_draw_text(draw),
        start=start,
        end=end,
        version=_version(draw),
    )


@st.composite
def guardian_trainings(draw: st.DrawFn, *, school_id: str | None = None) -> GuardianTraining:
    """Training sessions for entrusted guardians and who came."""
    return GuardianTraining(
        id=_ident(draw, "gt-"),
        school_id=_school(draw, school_id),
        date=_day(draw, *_EVENT_DAYS),
        topic=_draw_name(draw),
        attendees=tuple(draw(st.lists(chinese_names(), max_size=4))),
        child_ids=_idents(draw, "c-"),
        trainer=_draw_text(draw),
        version=_version(draw),
    )


@st.composite
def partners(draw: st.DrawFn, *, school_id: str | None = None) -> Partner:
    """The school's community partners."""
    return Partner(
        id=_ident(draw, "pt-"),
        school_id=_school(draw, school_id),
        kind=_pick_enum(draw, PartnerKind),
        name=_draw_name(draw),
        contact_person=_draw_text(draw),
        joined_on=draw(st.none() | dates()),
        active=_flip(draw),
        version=_version(draw),
    )


@st.composite
def work_summaries(draw: st.DrawFn, *, school_id: str | None = None) -> WorkSummary:
    """Filed term work summaries, filed within a month after the term."""
    term = _draw_term(draw)
    return WorkSummary(
        id=_ident(draw, "ws-"),
        school_id=_school(draw, school_id),
        term_id=term.id,
        filed_on=_after(draw, term.last_day - dt.timedelta(days=14), 45),
        filed_by=_draw_name(draw),
        title=_draw_text(draw),
        version=_version(draw),
    )


# --------------------------------------------------------------------------- leadership


@st.composite
def group_members(draw: st.DrawFn) -> GroupMember:
    """Members of a leading group with their duties."""
    return GroupMember(person_id=_ident(draw, "t-"), duty=_draw_text(draw))


@st.composite
def leading_groups(draw: st.DrawFn, *, school_id: str | None = None) -> LeadingGroup:
    """Leading groups of a term, formed in the term, with up to four members."""
    term = _draw_term(draw)
    return LeadingGroup(
        id=_ident(draw, "lg-"),
        school_id=_school(draw, school_id),
        term_id=term.id,
        head_id=_ident(draw, "t-"),
        formed_on=_day(draw, term.first_day, term.last_day),
        members=tuple(draw(group_members()) for _ in range(_count(draw, 4))),
        version=_version(draw),
    )


@st.composite
def measures(draw: st.DrawFn, start: DateLike | None = None) -> Measure:
    """Measures of a work plan, due after ``start``, done (or not) on a day after it."""
    first = _day_like(draw, start, *_EVENT_DAYS)
    due = _after(draw, first, 120)
    return Measure(
        text=_draw_name(draw) + "负责的措施",
        owner=_ident(draw, "t-"),
        due=due,
        done_on=_after(draw, first, 150) if _flip(draw) else None,
    )


@st.composite
def work_plans(draw: st.DrawFn, *, school_id: str | None = None) -> WorkPlan:
    """Work plans of a term, adopted in the term, with up to five measures."""
    term = _draw_term(draw)
    adopted = _day(draw, term.first_day, term.last_day)
    return WorkPlan(
        id=_ident(draw, "wp-"),
        school_id=_school(draw, school_id),
        term_id=term.id,
        adopted_on=adopted,
        measures=tuple(draw(measures(adopted)) for _ in range(_count(draw, 5))),
        title=_draw_text(draw),
        version=_version(draw),
    )


# --------------------------------------------------------------------------- decisions


_SCHEMES: Final = ("free tuition", "free textbooks", "living subsidy", "nutrition meals")
_SOURCES: Final = ("", "财教〔2019〕19号", "教财〔2018〕16号")


def _draw_scheme_decision(draw: st.DrawFn, scheme: str | None = None) -> SchemeDecision:
    name = scheme if scheme is not None else _pick(draw, _SCHEMES)
    eligible = _flip(draw)
    amount = None
    if name == "living subsidy" and eligible:
        amount = Decimal(draw(st.integers(0, 500_000))).scaleb(-2)
    return SchemeDecision(
        scheme=name,
        eligible=eligible,
        amount=amount,
        reasons=tuple(_draw_message(draw) for _ in range(_count(draw, 2))),
        missing_evidence=tuple(_draw_message(draw) for _ in range(_count(draw, 1))),
        source=_pick(draw, _SOURCES),
    )


@st.composite
def scheme_decisions(draw: st.DrawFn, scheme: str | None = None) -> SchemeDecision:
    """Outcomes of one aid scheme; in-kind schemes have no amount."""
    return _draw_scheme_decision(draw, scheme)


def _draw_manual(draw: st.DrawFn) -> ManualDecision:
    return ManualDecision(
        include=_flip(draw),
        reason=_pick(draw, ("家庭突发变故", "核实后不符合条件", "校务会议决定")),
        decided_by=_pick(draw, ("校长", "资助专干")),
        decided_on=_day(draw, *_EVENT_DAYS),
        scheme=_pick(draw, ("", *_SCHEMES)),
        amount=Decimal(draw(st.integers(0, 300_000))).scaleb(-2) if _flip(draw) else None,
    )


@st.composite
def manual_decisions(draw: st.DrawFn) -> ManualDecision:
    """A school's manual inclusion or exclusion, always with a reason."""
    return _draw_manual(draw)


@st.composite
def criteria(draw: st.DrawFn) -> Criterion:
    """A scheme's condition, met or failed, with its message."""
    return Criterion(
        _pick(draw, ("COMPULSORY", "BOARDER", "DIFFICULTY")), _flip(draw), _draw_message(draw)
    )


@st.composite
def step_records(draw: st.DrawFn) -> StepRecord:
    """A step of a difficulty identification on a day."""
    return StepRecord(
        _pick_enum(draw, IdentificationStep), _day(draw, *_EVENT_DAYS), _pick(draw, ("", "无异议"))
    )


@st.composite
def level_changes(draw: st.DrawFn) -> LevelChange:
    """A level of difficulty set or adjusted on a day (maybe none)."""
    level = _pick_enum(draw, DifficultyLevel) if _flip(draw) else None
    return LevelChange(_day(draw, *_EVENT_DAYS), level, _pick(draw, ("", "学期调整")))


@st.composite
def difficulty_identifications(
    draw: st.DrawFn, *, school_id: str | None = None
) -> DifficultyIdentification:
    """Identifications of a school year: steps in order with dates, levels, maybe manual."""
    year = draw(st.integers(2018, 2029))
    day = dt.date(year, 9, 1)
    steps = []
    for step in _members(IdentificationStep)[: _count(draw, len(IdentificationStep))]:
        day += dt.timedelta(days=draw(st.integers(0, 10)))
        steps.append(StepRecord(step, day))
    return DifficultyIdentification(
        id=_ident(draw, "d-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        school_year=year,
        household_id=_ident(draw, "h-") if _flip(draw) else None,
        categories=_subset(draw, _members(HouseholdCategory)),
        levels=tuple(
            LevelChange(dt.date(year, 9, 20) + dt.timedelta(days=120 * i), lv)
            for i, lv in enumerate(
                _pick_enum(draw, DifficultyLevel) for _ in range(_count(draw, 2))
            )
        ),
        steps=tuple(steps),
        manual=_draw_manual(draw) if _flip(draw) else None,
        version=_version(draw),
    )


@st.composite
def aid_decisions(draw: st.DrawFn, *, school_id: str | None = None) -> AidDecision:
    """Aid assessments of a child on a day, at most one decision per scheme."""
    return AidDecision(
        id=_ident(draw, "a-"),
        school_id=_school(draw, school_id),
        child_id=_ident(draw, "c-"),
        on=_day(draw, *_EVENT_DAYS),
        schemes=tuple(_draw_scheme_decision(draw, n) for n in _subset(draw, _SCHEMES)),
        version=_version(draw),
    )


_SUBJECT_KINDS: Final = ("child", "pairing", "household", "teacher")


def _draw_subject(draw: st.DrawFn) -> Subject:
    kind = _pick(draw, _SUBJECT_KINDS)
    return Subject(kind, _ident(draw, kind[0] + "-"))


@st.composite
def subjects(draw: st.DrawFn) -> Subject:
    """What findings are about: a kind of record and its id."""
    return _draw_subject(draw)


@st.composite
def findings(draw: st.DrawFn, *, school_id: str | None = None) -> Finding:
    """Findings with a message and, sometimes, how to fix it."""
    message = _draw_message(draw)
    return Finding(
        code=message.code,
        severity=_pick_enum(draw, Severity),
        school_id=_school(draw, school_id),
        subject=_draw_subject(draw),
        on=_day(draw, *_EVENT_DAYS),
        message=message,
        fix=_draw_message(draw) if _flip(draw) else None,
    )


@st.composite
def notices(draw: st.DrawFn, *, school_id: str | None = None) -> Notice:
    """Outbox notices in every state; bodies sometimes quote an ID or phone number
    (which the model masks), ids derived from the idempotency key."""
    key = f"{draw(identifiers('ev-'))}|L{draw(st.integers(0, 4))}|{draw(identifiers('p-'))}"
    state = _pick_enum(draw, NoticeState)
    body = _draw_text(draw)
    if _flip(draw):
        body += " " + (_draw_phone(draw) if _flip(draw) else draw(resident_ids()))
    at = draw(local_datetimes())
    return Notice(
        id=notice_id(key),
        school_id=_school(draw, school_id),
        idempotency_key=key,
        channel=_pick(draw, ("console", "webhook", "smtp", "sms")),
        role=_pick_enum(draw, RecipientRole),
        person_id=_ident(draw, "t-"),
        subject=_draw_text(draw) or "notice",
        body=body,
        created_on=_day(draw, *_EVENT_DAYS),
        event_kind=_pick(draw, ("contact.overdue", "record.added", "incident.reported")),
        event_subject_kind=_pick(draw, ("child", "incident", "aid_decision")),
        event_subject_id=_ident(draw, "c-"),
        event_on=_day(draw, *_EVENT_DAYS) if _flip(draw) else None,
        level=draw(st.integers(0, 4)),
        urgency=_pick_enum(draw, Urgency),
        lang=_pick(draw, ("zh", "en")),
        name=_draw_name(draw) if _flip(draw) else "",
        address=str(_draw_phone(draw)) if _flip(draw) else "",
        state=state,
        attempts=draw(st.integers(0, 6)),
        next_attempt_at=at if state == NoticeState.PENDING and _flip(draw) else None,
        claimed_until=at if state == NoticeState.SENDING else None,
        sent_at=at if state == NoticeState.SENT else None,
        last_error=_draw_text(draw) if state in (NoticeState.PENDING, NoticeState.DEAD) else "",
        version=_version(draw),
    )


# --------------------------------------------------------------------------- by class


_BY_MODEL: Final[dict[type, Callable[[], st.SearchStrategy[Any]]]] = {
    School: schools,
    SchoolClass: school_classes,
    Term: terms,
    Teacher: teachers,
    Volunteer: volunteers,
    RecordCheck: record_checks,
    Child: children,
    Parent: parents,
    Guardian: guardians,
    Grandparent: grandparents,
    AwayPeriod: away_periods,
    ParentCondition: parent_conditions,
    Disability: disabilities,
    Hukou: hukous,
    Health: healths,
    Address: addresses,
    Contact: contacts,
    Period: periods,
    Household: households,
    Pairing: pairings,
    ContactEvent: contact_events,
    DiaryEntry: diary_entries,
    HealthCheck: health_checks,
    Incident: incidents,
    IncidentStep: incident_steps,
    SafetyPledge: safety_pledges,
    Consent: consents,
    AidDecision: aid_decisions,
    SchemeDecision: scheme_decisions,
    Criterion: criteria,
    ManualDecision: manual_decisions,
    Evidence: evidence_documents,
    StepRecord: step_records,
    LevelChange: level_changes,
    DifficultyIdentification: difficulty_identifications,
    Finding: findings,
    Subject: subjects,
    Message: messages,
    ArchiveSignOff: archive_sign_offs,
    CareNotice: care_notices,
    Activity: activities,
    WorkSummary: work_summaries,
    Notice: notices,
    LeadingGroup: leading_groups,
    GroupMember: group_members,
    WorkPlan: work_plans,
    Measure: measures,
    Duty: duties,
    Boarding: boardings,
    GuardianTraining: guardian_trainings,
    Partner: partners,
}
_STRATEGIES: dict[type, st.SearchStrategy[Any]] = {}


def from_model(cls: type[T]) -> st.SearchStrategy[T]:
    """The strategy of valid instances of a model class (any of ``ALL_MODELS``).

    Raises :class:`KeyError` naming the known classes for any other class.
    """
    if cls not in _STRATEGIES:
        try:
            factory = _BY_MODEL[cls]
        except KeyError:
            known = ", ".join(sorted(c.__name__ for c in _BY_MODEL))
            raise KeyError(f"no strategy for {cls!r}; known: {known}") from None
        _STRATEGIES[cls] = factory()
    return cast("st.SearchStrategy[T]", _STRATEGIES[cls])


def models(cls: type[T]) -> st.SearchStrategy[T]:
    """Alias of :func:`from_model`."""
    return from_model(cls)


def register_type_strategies() -> None:
    """Register every model's strategy with Hypothesis, so ``st.from_type(Child)`` works."""
    for cls in _BY_MODEL:
        st.register_type_strategy(cls, from_model(cls))


assert set(ALL_MODELS) <= set(_BY_MODEL), set(ALL_MODELS) - set(_BY_MODEL)


# --------------------------------------------------------------------------- invalid input


#: Why an :func:`invalid_resident_ids` number is invalid.
InvalidIdKind: TypeAlias = Literal["checksum", "birth_date", "length", "format", "area"]
#: The kinds of :func:`invalid_resident_ids`.
INVALID_ID_KINDS: Final[tuple[InvalidIdKind, ...]] = typing.get_args(InvalidIdKind)

_BAD_MONTH_DAYS: Final = (
    *((m, 1) for m in (0, 13, 19, 99)),
    *((m, d) for m in (1, 7, 12) for d in (0, 32, 99)),
    (2, 30),
    (2, 31),
    *((m, 31) for m in (4, 6, 9, 11)),
)


def _draw_invalid_id(draw: st.DrawFn, kind: InvalidIdKind | None = None) -> str:
    k = kind if kind is not None else _pick(draw, INVALID_ID_KINDS)
    if k == "checksum":
        good = _draw_resident_id(draw, _day(draw, EARLIEST, LATEST), None)
        return good[:-1] + _pick(draw, [c for c in "0123456789X" if c != good[-1]])
    if k == "birth_date":
        month, day = _pick(draw, _BAD_MONTH_DAYS)
        year = draw(st.integers(1940, 2030))
        born = f"{year:04d}{month:02d}{day:02d}"
        return _id_body(_pick(draw, COUNTY_CODES), born, draw(st.integers(1, 999)))
    if k == "length":
        length = _pick(draw, (15, 16, 17, 19, 20))
        return str(draw(st.integers(10 ** (length - 1), 10**length - 1)))
    if k == "format":
        good = _draw_resident_id(draw, _day(draw, EARLIEST, LATEST), None)
        if _flip(draw):
            return good[:-1] + _pick(draw, "ABYZ*")
        at = draw(st.integers(0, 16))
        return good[:at] + _pick(draw, "ABXYZ") + good[at + 1 :]
    area = _pick(draw, tuple(UNKNOWN_AREA_CODES))
    first, last = UNKNOWN_AREA_CODES[area]
    born_on = _day(draw, dt.date(first, 1, 1), dt.date(last, 12, 31))
    return _id_body(area, born_on.strftime("%Y%m%d"), draw(st.integers(1, 999)))


@st.composite
def invalid_resident_ids(draw: st.DrawFn, kind: InvalidIdKind | None = None) -> str:
    """Strings that are not valid resident ID numbers, of one ``kind`` or any:

    - ``checksum``: a valid number with a wrong check digit;
    - ``birth_date``: a right check digit but no such day (month 13, 30 February, ...);
    - ``length``: 15 to 20 digits but not 18 (old 15-digit numbers included);
    - ``format``: 18 characters with a letter among the first 17, or a bad last one;
    - ``area``: right check digit and birth date, but an area code unknown for the
      birth year (:data:`UNKNOWN_AREA_CODES`).
    """
    return _draw_invalid_id(draw, kind)


#: Why an :func:`invalid_phones` number is invalid.
InvalidPhoneKind: TypeAlias = Literal["prefix", "length", "letters", "short_landline"]
#: The kinds of :func:`invalid_phones`.
INVALID_PHONE_KINDS: Final[tuple[InvalidPhoneKind, ...]] = typing.get_args(InvalidPhoneKind)


def _draw_invalid_phone(draw: st.DrawFn, kind: InvalidPhoneKind | None = None) -> str:
    k = kind if kind is not None else _pick(draw, INVALID_PHONE_KINDS)
    if k == "prefix":
        return f"1{draw(st.integers(0, 2))}{draw(st.integers(0, 10**9 - 1)):09d}"
    if k == "length":
        length = _pick(draw, (7, 9))
        return f"{_pick(draw, _MOBILE_PREFIXES)}{draw(st.integers(0, 10**length - 1)):0{length}d}"
    if k == "letters":
        tail = _pick(draw, ("abcd1234", "1234567o", "ＡＢ345678", "phone"))
        return _pick(draw, _MOBILE_PREFIXES) + tail
    length = draw(st.integers(4, 6))
    local = draw(st.integers(2 * 10 ** (length - 1), 9 * 10 ** (length - 1) - 1))
    return f"{_pick(draw, _LANDLINE_AREAS)}-{local}"


@st.composite
def invalid_phones(draw: st.DrawFn, kind: InvalidPhoneKind | None = None) -> str:
    """Non-blank strings that are not mainland phone numbers, of one ``kind`` or any:

    - ``prefix``: 11 digits starting 10, 11 or 12 (no such mobile network);
    - ``length``: a mobile prefix with 10 or 12 digits in all;
    - ``letters``: a mobile number with letters in it;
    - ``short_landline``: an area code with a 4- to 6-digit local number.
    """
    return _draw_invalid_phone(draw, kind)


# --------------------------------------------------------------------------- corruption


#: How :func:`corrupted` breaks a record.
CorruptionKind: TypeAlias = Literal[
    "unknown_field", "missing_field", "wrong_type", "bad_value", "cross_field"
]
#: The kinds of :func:`corrupted`.
CORRUPTION_KINDS: Final[tuple[CorruptionKind, ...]] = typing.get_args(CorruptionKind)


class Corrupted(NamedTuple):
    """A record as plain data, broken at ``path`` (``$.guardians[0].phone``) by ``kind``."""

    data: Any
    path: str
    kind: CorruptionKind


_Replace: TypeAlias = Callable[[st.DrawFn], Any]


class _Site(NamedTuple):
    kind: CorruptionKind
    path: str
    container: Any  # the dict or list to change
    key: Any
    replacement: _Replace | None  # None: delete the key


def _one_of(*options: Any) -> _Replace:
    def replace(draw: st.DrawFn) -> Any:
        return copy.deepcopy(_pick(draw, options))

    return replace


_BAD_IDS: Final[_Replace] = _draw_invalid_id
_BAD_PHONES: Final[_Replace] = _draw_invalid_phone
_BAD_STUDENT_NUMBERS: Final = _one_of("X1234", "G12345", "L" + "1" * 17 + "Z")
_BAD_NAMES: Final = _one_of("", "   ", "张\x00三", "李\n四", "王\x1b五")
_BAD_OPTIONAL_NAMES: Final = _one_of("张\x00三", "李\n四", "班级\x07")
_BAD_DATES: Final = _one_of(
    "2024-13-01", "2023-02-29", "2024-01-01T00:00:00", "01/02/2024", "2024-W09-5", ""
)
_BAD_DATETIMES: Final = _one_of("2024-03-01T10:00:00+08:00", "2024-03-01T02:00:00Z", "soon")
_BAD_ENUMS: Final = _one_of("__bogus__", "", "FATHER", "男")
_BAD_AMOUNTS: Final = _one_of("abc", "NaN", "Infinity", "1,000")
_NOT_BOOLS: Final = _one_of("false", "true", 0, 1, "yes")
_NOT_INTS: Final = _one_of("1", 1.5, True, "0")
_NOT_DATES: Final = _one_of(20240101, 1.5, True, ["2024-01-01"])
_NOT_AMOUNTS: Final = _one_of(1.5, True, ["1"], {"a": 1})  # whole numbers are amounts
_NOT_LISTS: Final = _one_of("abc", 5, {"a": 1}, True)
_NOT_LISTS_FOR_CONVERTER: Final = _one_of(5, True)
_NOT_OBJECTS: Final = _one_of("x", 5, [], True)
_NOT_TEXT: Final = _one_of(5, 1.5, True, ["x"], {"x": 1})


def _bad_values_for(field: attrs.Attribute[Any], tp: Any) -> _Replace | None:
    """Values that are well-typed JSON but fail the field's own validation."""
    conv: Any = field.converter
    if conv in (v.resident_id, v.optional_resident_id):
        return _BAD_IDS
    if conv in (v.phone, v.optional_phone):
        return _BAD_PHONES
    if conv in (v.student_number, v.optional_student_number):
        return _BAD_STUDENT_NUMBERS
    if conv is v.name:
        return _BAD_NAMES
    if conv is v.optional_name:
        return _BAD_OPTIONAL_NAMES
    if tp is dt.date:
        return _BAD_DATES
    if tp is dt.datetime:
        return _BAD_DATETIMES
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _BAD_ENUMS
    if tp is Decimal:
        return _BAD_AMOUNTS
    return None


def _wrong_types_for(tp: Any, *, converted: bool = False) -> _Replace:
    """JSON values of the wrong type for ``tp`` (never ``None``, valid for optionals).

    ``converted``: the field has a converter of its own, which may take more shapes.
    """
    if tp is bool:
        return _NOT_BOOLS
    if tp is int:
        return _NOT_INTS
    if tp is dt.date or tp is dt.datetime:
        return _NOT_DATES
    if tp is Decimal:
        return _NOT_AMOUNTS
    if get_origin(tp) is tuple:
        return _NOT_LISTS_FOR_CONVERTER if converted else _NOT_LISTS
    if isinstance(tp, type) and attrs.has(tp):
        return _NOT_OBJECTS
    return _NOT_TEXT


def _strip_optional(tp: Any) -> Any:
    if get_origin(tp) in (typing.Union, types.UnionType):
        rest = [a for a in get_args(tp) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return tp


_END_FIELDS: Final[dict[type, tuple[str, str]]] = {
    Period: ("start", "end"),
    AwayPeriod: ("start", "end"),
    ParentCondition: ("start", "end"),
    Pairing: ("start", "end"),
    Consent: ("given_on", "withdrawn_on"),
    Term: ("first_day", "last_day"),
}


def _cross_field_sites(data: dict[str, Any], cls: type, path: str) -> Iterator[_Site]:
    if cls in _END_FIELDS:
        start_key, end_key = _END_FIELDS[cls]
        start = data.get(start_key)
        if isinstance(start, str):
            before = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()
            yield _Site("cross_field", f"{path}.{end_key}", data, end_key, _one_of(before))
    if cls in (Child, Parent, Guardian) and data.get("id_number") and data.get("birth_date"):
        born = dt.date.fromisoformat(data["birth_date"])

        def other_day(draw: st.DrawFn) -> str:
            return (born - dt.timedelta(days=draw(st.integers(1, 3000)))).isoformat()

        yield _Site("cross_field", f"{path}.birth_date", data, "birth_date", other_day)
    if cls is Child and data.get("parents"):
        twice = [data["parents"][0], data["parents"][0]]
        yield _Site("cross_field", f"{path}.parents", data, "parents", _one_of(twice))
    if cls is Health and data.get("status") == HealthStatus.DISABLED.value:
        yield _Site("cross_field", f"{path}.disability", data, "disability", _one_of(None))
    if cls is ParentCondition and data.get("kind") == ConditionKind.DISABLED.value:
        yield _Site("cross_field", f"{path}.disability", data, "disability", _one_of(None))


def _sites(data: Any, tp: Any, path: str) -> Iterator[_Site]:
    """Every place where ``data`` (plain data for a ``tp``) can be broken."""
    tp = _strip_optional(tp)
    if data is None:
        return
    if get_origin(tp) is tuple and isinstance(data, list):
        item_tp = get_args(tp)[0]
        for i, item in enumerate(data):
            sub = f"{path}[{i}]"
            if isinstance(item_tp, type) and attrs.has(item_tp):
                yield from _sites(item, item_tp, sub)
                continue
            yield _Site("wrong_type", sub, data, i, _wrong_types_for(item_tp))
            if isinstance(item_tp, type) and issubclass(item_tp, Enum):
                yield _Site("bad_value", sub, data, i, _BAD_ENUMS)
        return
    if not (isinstance(tp, type) and attrs.has(tp) and isinstance(data, dict)):
        return
    attrs.resolve_types(tp)
    yield _Site("unknown_field", f"{path}.unexpected", data, "unexpected", _one_of("x"))
    yield from _cross_field_sites(data, tp, path)
    for field in attrs.fields(tp):
        if not field.init:
            continue
        key = field.alias or field.name
        if key not in data:
            continue
        sub = f"{path}.{key}"
        inner = _strip_optional(field.type)
        if field.default is attrs.NOTHING:
            yield _Site("missing_field", sub, data, key, None)
        converted = field.converter is not None
        yield _Site("wrong_type", sub, data, key, _wrong_types_for(inner, converted=converted))
        bad = _bad_values_for(field, inner)
        if bad is not None:
            yield _Site("bad_value", sub, data, key, bad)
        if not converted:
            yield from _sites(data[key], field.type, sub)


@st.composite
def corrupted(
    draw: st.DrawFn,
    cls: type,
    *,
    kinds: Sequence[CorruptionKind] = CORRUPTION_KINDS,
    valid: st.SearchStrategy[Any] | None = None,
) -> Corrupted:
    """A valid record of ``cls`` as plain data, broken at exactly one known place.

    The record comes from ``valid`` (default :func:`from_model`), is
    unstructured to JSON-shaped data, and one of these is done at a drawn
    place (restricted to ``kinds``):

    - ``unknown_field``: a key the model lacks is added (``$.guardians[0].unexpected``);
    - ``missing_field``: a required key is removed;
    - ``wrong_type``: a value becomes another JSON type (``"false"`` for a
      boolean, ``"1"`` for a number, ``5`` for text, ``"abc"`` for a list);
    - ``bad_value``: a value of the right type that the field refuses (a bad ID
      or phone number, an unknown enum value, no such day, a control character
      in a name, a tz-aware date-time);
    - ``cross_field``: a rule between fields is broken (an end before its
      start, a birth date the ID number disagrees with, a parent twice, a
      disabled status without its disability).

    ``structure(result.data, cls)`` raises :class:`~liushou_core.errors.InvalidRecord`
    with ``result.path`` among its problems' paths. The data stays JSON-serialisable.
    Records offering no place of the ``kinds`` asked for are skipped (``assume``).
    """
    instance = draw(valid if valid is not None else from_model(cls))
    data = copy.deepcopy(unstructure(instance))
    sites = [s for s in _sites(data, cls, "$") if s.kind in kinds]
    assume(sites)
    site = _pick(draw, sites)
    if site.replacement is None:
        del site.container[site.key]
    else:
        site.container[site.key] = site.replacement(draw)
    return Corrupted(data, site.path, site.kind)
