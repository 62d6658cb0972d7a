"""The roster's columns, following the 2016 national survey form.

The form is the 农村留守儿童基本情况登记表 of the 2016 national survey (民政部,
教育部, 公安部): the child, the parents (with where they work), the entrusted
guardian and the care assessment, the grandparents and the village committee.
One row holds one pupil. The first row of a roster holds the Chinese column
headers, the second the English keys; either names a column when reading, so a
file whose key row was deleted still imports.

Each :class:`Column` says how its cell is read (:class:`Kind`), whether it must
be filled in, and what the spreadsheet template tells the person filling it.
The headers are the file format: they are fixed Chinese text, not translations,
so that a template written today still imports after a translation changes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from enum import Enum, StrEnum
from functools import cache, lru_cache
from typing import Any, Final

import attrs

from liushou_core.i18n import N_, Message
from liushou_core.models import (
    CareAssessment,
    ConditionKind,
    DisabilityType,
    HealthStatus,
    Relationship,
    SchoolingStatus,
    Sex,
    label,
)
from liushou_core.validate import FieldProblem

__all__ = [
    "BY_HEADER",
    "BY_KEY",
    "COLUMNS",
    "FORMULA_STARTS",
    "Column",
    "Kind",
    "cell_text",
    "choices",
    "normalise_header",
    "parse_cell",
]


class Kind(StrEnum):
    """How a cell is read."""

    TEXT = "text"
    DATE = "date"
    BOOL = "bool"
    CHOICE = "choice"
    GRADE = "grade"
    NUMBER = "number"  # an ID, student or phone number: text, never a spreadsheet number
    CLASS = "class"  # a class of the school, by name or id


@attrs.frozen
class Column:
    """One column of the roster.

    ``key`` is the English key (second row of a template), ``header`` the
    Chinese header (first row); ``required`` columns must be present in the file
    and filled in on every row (``sex`` and ``birth_date`` may be left blank
    when the ID number gives them). ``enum`` lists the accepted values of a
    ``choice`` column; ``hint`` is what the template says about the cell.
    """

    key: str
    header: str
    kind: Kind = Kind.TEXT
    required: bool = False
    enum: type[Enum] | None = None
    hint: str = ""
    width: int = 12


def _c(key: str, header: str, kind: Kind = Kind.TEXT, **kw: Any) -> Column:
    return Column(key, header, kind, **kw)


_DATE_HINT: Final = "日期，如 2016-05-04"
_PHONE_HINT: Final = "手机11位或座机（区号-号码）"
_ID_HINT: Final = "18位身份证号，末位可为X；请按文本填写"
_YES_NO: Final = "填“是”或“否”"


def _parent(prefix: str, who: str) -> tuple[Column, ...]:
    return (
        _c(f"{prefix}_name", f"{who}姓名", hint=f"{who}的姓名；不填则不记录{who}"),
        _c(f"{prefix}_birth_date", f"{who}出生日期", Kind.DATE, hint=_DATE_HINT),
        _c(f"{prefix}_id_number", f"{who}身份证号", Kind.NUMBER, hint=_ID_HINT, width=20),
        _c(f"{prefix}_phone", f"{who}联系电话", Kind.NUMBER, hint=_PHONE_HINT, width=14),
        _c(
            f"{prefix}_away_since",
            f"{who}外出务工起始日期",
            Kind.DATE,
            hint=f"{who}目前在外务工时填写离家日期；在家则不填",
        ),
        _c(f"{prefix}_work_province", f"{who}务工省份", hint="如 广东省"),
        _c(f"{prefix}_work_city", f"{who}务工城市", hint="如 东莞市"),
        _c(
            f"{prefix}_condition",
            f"{who}特殊情况",
            Kind.CHOICE,
            enum=ConditionKind,
            hint="影响监护能力的情况（重病、残疾、服刑在押、失联等）；无则不填",
        ),
        _c(
            f"{prefix}_condition_since",
            f"{who}特殊情况起始日期",
            Kind.DATE,
            hint="特殊情况开始的日期（失联填最后联系日期）",
        ),
        _c(
            f"{prefix}_disability_type",
            f"{who}残疾类型",
            Kind.CHOICE,
            enum=DisabilityType,
            hint="特殊情况为残疾时填写",
        ),
        _c(
            f"{prefix}_disability_grade",
            f"{who}残疾等级",
            Kind.GRADE,
            hint="1至4级（残疾人证）",
        ),
    )


def _grandparent(prefix: str, who: str) -> tuple[Column, ...]:
    return (
        _c(f"{prefix}_name", f"{who}姓名"),
        _c(f"{prefix}_birth_date", f"{who}出生日期", Kind.DATE, hint=_DATE_HINT),
    )


#: Every column, in the template's order.
COLUMNS: Final[tuple[Column, ...]] = (
    _c("record_id", "记录编号", hint="系统的记录编号；新学生留空，由导入生成", width=18),
    _c("name", "姓名", required=True, hint="学生姓名（必填）"),
    _c(
        "sex",
        "性别",
        Kind.CHOICE,
        required=True,
        enum=Sex,
        hint="男或女；填了身份证号可不填",
        width=6,
    ),
    _c("ethnicity", "民族", hint="如 汉族；不填为汉族", width=8),
    _c(
        "birth_date",
        "出生日期",
        Kind.DATE,
        required=True,
        hint="如 2016-05-04；填了身份证号可不填，填了须与身份证号一致",
    ),
    _c("id_number", "身份证号", Kind.NUMBER, hint=_ID_HINT, width=20),
    _c(
        "student_number",
        "学籍号",
        Kind.NUMBER,
        hint="G、L或J开头共19位；没有身份证号时用它识别学生",
        width=21,
    ),
    _c("class", "班级", Kind.CLASS, hint="本校已有班级的名称，如 三年级1班"),
    _c(
        "schooling",
        "就学状态",
        Kind.CHOICE,
        enum=SchoolingStatus,
        hint="幼儿园、小学、初中……；不填为小学",
    ),
    _c("boarding", "是否寄宿", Kind.BOOL, hint=_YES_NO, width=8),
    _c("hukou_registered", "是否登记户籍", Kind.BOOL, hint=_YES_NO + "；不填为是", width=8),
    _c("hukou_place", "户籍所在地", hint="户口登记地", width=20),
    _c("hukou_rural", "是否农村户籍", Kind.BOOL, hint=_YES_NO + "；不填为是", width=8),
    _c("hukou_local", "户籍是否在本县", Kind.BOOL, hint=_YES_NO + "；不填为是", width=8),
    _c("address_province", "现住址省"),
    _c("address_city", "现住址市"),
    _c("address_county", "现住址县（区）"),
    _c("address_township", "现住址乡镇"),
    _c("address_village", "现住址村（社区）"),
    _c("address_detail", "现住址详细地址", width=20),
    _c(
        "health",
        "健康状况",
        Kind.CHOICE,
        enum=HealthStatus,
        hint="健康、残疾或患病；不填为健康",
        width=8,
    ),
    _c("disability_type", "残疾类型", Kind.CHOICE, enum=DisabilityType, hint="残疾时填写"),
    _c("disability_grade", "残疾等级", Kind.GRADE, hint="1至4级（残疾人证）", width=8),
    _c("illness", "所患疾病", hint="患病时填写"),
    *_parent("father", "父亲"),
    *_parent("mother", "母亲"),
    _c("guardian_name", "监护人姓名", hint="实际照料儿童的人（委托监护人或在家的父母）"),
    _c(
        "guardian_relationship",
        "监护人与儿童关系",
        Kind.CHOICE,
        enum=Relationship,
        hint="如 祖父、祖母、外祖父、外祖母、父亲、母亲",
    ),
    _c("guardian_phone", "监护人联系电话", Kind.NUMBER, hint=_PHONE_HINT, width=14),
    _c("guardian_id_number", "监护人身份证号", Kind.NUMBER, hint=_ID_HINT, width=20),
    _c("guardian_address", "监护人住址", width=20),
    _c(
        "care_assessment",
        "监护情况",
        Kind.CHOICE,
        enum=CareAssessment,
        hint="无人监护、父或母无监护能力、委托监护人监护能力不足、一般、较好；不填为一般",
    ),
    *_grandparent("paternal_grandfather", "祖父"),
    *_grandparent("paternal_grandmother", "祖母"),
    *_grandparent("maternal_grandfather", "外祖父"),
    *_grandparent("maternal_grandmother", "外祖母"),
    _c("village_contact", "村（居）委会联系人"),
    _c("village_phone", "村（居）委会联系电话", Kind.NUMBER, hint=_PHONE_HINT, width=14),
)

#: Columns by English key.
BY_KEY: Final[Mapping[str, Column]] = {c.key: c for c in COLUMNS}


def normalise_header(text: str) -> str:
    """A header or key as compared: NFKC, case-folded, without spaces and a ``*`` mark."""
    s = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", "", s).strip("*")


#: Columns by normalised header or key (a file may use either).
BY_HEADER: Final[Mapping[str, Column]] = {
    **{normalise_header(c.key): c for c in COLUMNS},
    **{normalise_header(c.header): c for c in COLUMNS},
}


# --------------------------------------------------------------------------- cells

#: Other words people write for a choice, beside its Chinese label and English value.
_ALIASES: Final[dict[type[Enum], dict[str, Enum]]] = {
    Sex: {"男性": Sex.MALE, "女性": Sex.FEMALE, "m": Sex.MALE, "f": Sex.FEMALE},
    Relationship: {
        "爷爷": Relationship.PATERNAL_GRANDFATHER,
        "奶奶": Relationship.PATERNAL_GRANDMOTHER,
        "外公": Relationship.MATERNAL_GRANDFATHER,
        "姥爷": Relationship.MATERNAL_GRANDFATHER,
        "外婆": Relationship.MATERNAL_GRANDMOTHER,
        "姥姥": Relationship.MATERNAL_GRANDMOTHER,
        "父": Relationship.FATHER,
        "爸爸": Relationship.FATHER,
        "母": Relationship.MOTHER,
        "妈妈": Relationship.MOTHER,
        "叔叔": Relationship.UNCLE,
        "伯伯": Relationship.UNCLE,
        "伯父": Relationship.UNCLE,
        "叔父": Relationship.UNCLE,
        "舅舅": Relationship.UNCLE,
        "姑姑": Relationship.AUNT,
        "姑妈": Relationship.AUNT,
        "姨妈": Relationship.AUNT,
        "阿姨": Relationship.AUNT,
        "婶婶": Relationship.AUNT,
        "舅妈": Relationship.AUNT,
        "哥哥": Relationship.SIBLING,
        "姐姐": Relationship.SIBLING,
        "兄长": Relationship.SIBLING,
        "亲戚": Relationship.OTHER_RELATIVE,
    },
    HealthStatus: {"良好": HealthStatus.HEALTHY, "正常": HealthStatus.HEALTHY},
    SchoolingStatus: {
        "小学在读": SchoolingStatus.PRIMARY,
        "初中在读": SchoolingStatus.JUNIOR_SECONDARY,
        "普通高中": SchoolingStatus.SENIOR_SECONDARY,
        "中等职业学校": SchoolingStatus.SECONDARY_VOCATIONAL,
    },
    ConditionKind: {
        "服刑": ConditionKind.IMPRISONED,
        "在押": ConditionKind.IMPRISONED,
        "戒毒": ConditionKind.COMPULSORY_REHAB,
        "去世": ConditionKind.DECEASED,
        "已故": ConditionKind.DECEASED,
        "失踪": ConditionKind.MISSING,
        "重残": ConditionKind.DISABLED,
    },
    DisabilityType: {label(t, "zh") + "残疾": t for t in DisabilityType},
}


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).casefold())


@cache
def _choice_map(enum: type[Enum]) -> dict[str, Enum]:
    found: dict[str, Enum] = {}
    for member in enum:
        found[_fold(label(member, "zh"))] = member
        found[_fold(str(member.value))] = member
        found[_fold(member.name)] = member
    for alias, member in _ALIASES.get(enum, {}).items():
        found.setdefault(_fold(alias), member)
    return found


def choices(enum: type[Enum]) -> list[str]:
    """The Chinese labels of a choice column's values, in order (for the template)."""
    return [label(m, "zh") for m in enum]


_TRUE: Final = frozenset({"是", "yes", "y", "true", "1", "√", "✓", "对"})
_FALSE: Final = frozenset({"否", "no", "n", "false", "0", "×", "✗", "不是"})

_DATE_TEXT: Final = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0?0:00(?::00)?)?", re.ASCII
)
_DATE_DIGITS: Final = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
# What a spreadsheet shows for a long number it keeps as a number: 4.30124E+17.
_SCIENTIFIC: Final = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.ASCII | re.IGNORECASE)
_GRADES: Final = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _problem(code: str, text: str, **params: str | int) -> FieldProblem:
    return FieldProblem(Message(code, text, params))


#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS: Final = frozenset("=+-@")


def cell_text(value: object) -> str:
    """A cell's value as text: stripped, whole floats without ``.0``, dates in ISO form.

    A ``'`` that guards a formula character (``'=...``, as rosters written by
    liushou carry) is taken off.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", cell_text(value))
    m = _DATE_TEXT.fullmatch(text) or _DATE_DIGITS.fullmatch(text)
    if m is not None:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            pass
    raise _problem("ROSTER_DATE", N_("not a date: write it as 2016-05-04"))


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _fold(cell_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _problem("ROSTER_BOOL", N_("write 是 or 否 (yes or no)"))


def _choice(value: object, enum: type[Enum]) -> str:
    member = _choice_map(enum).get(_fold(cell_text(value)))
    if member is None:
        raise _problem(
            "ROSTER_CHOICE",
            N_("{value} is not one of: {choices}"),
            value=cell_text(value)[:40],
            choices="、".join(choices(enum)),
        )
    return str(member.value)


def _grade(value: object) -> int:
    text = unicodedata.normalize("NFKC", cell_text(value)).removesuffix("级").strip()
    grade = _GRADES.get(text)
    if grade is None:
        raise _problem("ROSTER_GRADE", N_("a disability grade is 1, 2, 3 or 4"))
    return grade


def _number(value: object) -> str:
    # A spreadsheet keeps 15 significant digits: an 18-digit ID number kept as a
    # number has lost its last ones. A phone number (11 digits) survives.
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 10**15:
            raise _number_problem()
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        raise _number_problem()
    text = cell_text(value)
    if _SCIENTIFIC.fullmatch(text):
        raise _number_problem()
    return text


def _number_problem() -> FieldProblem:
    return _problem(
        "ROSTER_NUMBER_CELL",
        N_(
            "the number was kept as a spreadsheet number and has lost digits: "
            "format the column as text and type the number again"
        ),
    )


def parse_cell(column: Column, value: object) -> str | bool | int:
    """The value of a filled-in cell in the shape the converter takes.

    Dates become ISO text, yes/no cells booleans, choices their English value,
    grades whole numbers; numbers and text stay text (the models validate
    them). Raises :class:`~liushou_core.validate.FieldProblem` with the reason.
    """
    kind = column.kind
    if kind is Kind.TEXT:
        return cell_text(value)
    if type(value) is str and kind is not Kind.NUMBER:
        # Rosters repeat the same few words and dates: remember what they mean.
        return _parse_text(kind, column.enum, value)
    return _parse(kind, column.enum, value)


def _parse(kind: Kind, enum: type[Enum] | None, value: object) -> str | bool | int:
    if kind is Kind.DATE:
        return _date(value)
    if kind is Kind.BOOL:
        return _bool(value)
    if kind is Kind.CHOICE:
        assert enum is not None
        return _choice(value, enum)
    if kind is Kind.GRADE:
        return _grade(value)
    if kind is Kind.NUMBER:
        return _number(value)
    return cell_text(value)


@lru_cache(maxsize=4096)
def _parse_text(kind: Kind, enum: type[Enum] | None, value: str) -> str | bool | int:
    return _parse(kind, enum, value)
