"""Turning a roster's rows into :class:`~liushou_core.models.Child` records.

Each row becomes one pupil of the school, checked by the models themselves
(:func:`liushou_core.convert.structure`: ID check characters, birth dates
against ID numbers, phone numbers, names) and by the roster's own checks (the
class is one of the school's, the sex agrees with the ID number, a number
identifies the pupil, no pupil twice). Every problem is named by its line and
column; one bad row rejects the whole file.

**Who is who.** A row is the pupil stored with the same record id (the
``记录编号`` column, when filled in), else with the same ID number, else with
the same student number; otherwise a new pupil, with a new record id
(``<school>-c0001``, ...). So importing a file again finds the same pupils.

**What a row changes.** A filled-in cell replaces the stored value; a blank
cell keeps it (a new pupil gets the model's default). A parent's work away and
circumstances are timelines: a filled-in ``外出务工起始日期`` replaces the
*current* (open) away period and keeps the past ones (those with an end),
likewise the ``特殊情况`` columns for the current circumstance. Fields the
roster has no column for (emergency contacts, household, notes of the care
programme) are kept. Importing the same file twice therefore changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from liushou_adapters.roster.errors import RosterProblem, RosterRejected
from liushou_adapters.roster.layout import BY_KEY, COLUMNS, Kind, parse_cell
from liushou_adapters.roster.read import Row, Table
from liushou_core import validate as v
from liushou_core.convert import structure, unstructure
from liushou_core.errors import InvalidRecord
from liushou_core.i18n import N_, Message
from liushou_core.models import Child, Relationship, SchoolClass
from liushou_core.validate import FieldProblem

__all__ = ["Plan", "build_children"]

_GRANDPARENTS: Final = tuple(
    (r.name.lower(), str(r.value))  # plain text: Enum.value is slow in a loop
    for r in (
        Relationship.PATERNAL_GRANDFATHER,
        Relationship.PATERNAL_GRANDMOTHER,
        Relationship.MATERNAL_GRANDFATHER,
        Relationship.MATERNAL_GRANDMOTHER,
    )
)
_PARENT_FIELDS: Final = (
    "name",
    "birth_date",
    "id_number",
    "phone",
    "away_since",
    "work_province",
    "work_city",
    "condition",
    "condition_since",
    "disability_type",
    "disability_grade",
)
_GUARDIAN_COLUMNS: Final = (
    ("guardian_name", "name"),
    ("guardian_relationship", "relationship"),
    ("guardian_phone", "phone"),
    ("guardian_id_number", "id_number"),
    ("guardian_address", "address"),
    ("care_assessment", "capacity"),
)
_VILLAGE_COMMITTEE: Final = "村（居）委会"
_ORDER: Final = {c.key: i for i, c in enumerate(COLUMNS)}


@attrs.frozen
class Plan:
    """The pupils a roster holds, ready to import.

    ``children`` in row order, ``lines`` the line of each, ``new`` how many
    have no stored record yet; ``columns`` maps, per child, the paths of its
    fields (``$.parents[0].phone``) to the roster column they came from.
    """

    children: tuple[Child, ...]
    lines: tuple[int, ...]
    new: int
    columns: tuple[Mapping[str, str], ...]


def _fold(text: str) -> str:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).casefold())
    return s.translate(str.maketrans("一二三四五六七八九", "123456789"))


def _number(value: Any, check: Callable[[Any], str]) -> str | None:
    try:
        return check(value) if isinstance(value, str) and value else None
    except FieldProblem:
        return None


def column_of(path: str, paths: Mapping[str, str]) -> str | None:
    """The roster column a model path came from (its nearest mapped ancestor)."""
    p = path
    while True:
        if p in paths:
            return paths[p]
        cut = max(p.rfind("."), p.rfind("["))
        if cut <= 0:
            return None
        p = p[:cut]


class _RowBuilder:
    """Merges one row into the stored pupil's data (or a new pupil's)."""

    def __init__(self, row: Row, base: dict[str, Any], new: bool) -> None:
        self.row = row
        self.data = base
        self.new = new
        self.values: dict[str, Any] = {}
        self.bad: set[str] = set()
        self.paths: dict[str, str] = {}
        self.problems: list[tuple[str | None, Message]] = []
        self.cell_bad: frozenset[str] = frozenset()
        self.quiet: set[str] = set()  # columns whose problems follow from another's

    def parse(self, classes: Mapping[str, str], class_names: Sequence[str]) -> None:
        for key, cell in self.row.cells.items():
            column = BY_KEY[key]
            if column.kind is Kind.CLASS:
                self._class(key, cell, classes, class_names)
                continue
            try:
                self.values[key] = parse_cell(column, cell)
            except FieldProblem as exc:
                self.fail(key, exc.message)
        self.cell_bad = frozenset(self.bad)

    def _class(
        self, key: str, cell: object, classes: Mapping[str, str], names: Sequence[str]
    ) -> None:
        text = str(cell).strip()
        found = classes.get(_fold(text))
        if found is not None:
            self.values[key] = found
            return
        if names:
            known = "、".join(names[:12]) + ("……" if len(names) > 12 else "")
            message = Message(
                "ROSTER_UNKNOWN_CLASS",
                N_("unknown class {value}: the school's classes are {known}"),
                {"value": text[:40], "known": known},
            )
        else:
            message = Message(
                "ROSTER_NO_CLASSES",
                N_("unknown class {value}: the school has no classes stored yet"),
                {"value": text[:40]},
            )
        self.fail(key, message)

    def fail(self, key: str | None, message: Message) -> None:
        if key is not None:
            self.bad.add(key)
        self.problems.append((key, message))

    def given(self, *keys: str) -> bool:
        """Whether any of the columns ``keys`` is filled in (well or badly) on this row."""
        return not self.row.cells.keys().isdisjoint(keys)

    def put(self, target: dict[str, Any], field: str, key: str, path: str) -> None:
        self.paths[path] = key
        if key in self.values:
            target[field] = self.values[key]

    # ----------------------------------------------------------------- sections

    def build(self) -> None:
        d = self.data
        for field, key in (
            ("name", "name"),
            ("sex", "sex"),
            ("ethnicity", "ethnicity"),
            ("birth_date", "birth_date"),
            ("id_number", "id_number"),
            ("student_number", "student_number"),
            ("class_id", "class"),
            ("schooling", "schooling"),
            ("boarding", "boarding"),
        ):
            self.put(d, field, key, f"$.{field}")
        self.paths["$.id"] = "record_id"
        self._derive_from_id()
        hukou = d.setdefault("hukou", {})
        for field in ("registered", "place", "rural", "local"):
            self.put(hukou, field, f"hukou_{field}", f"$.hukou.{field}")
        address = d.setdefault("address", {})
        for field in ("province", "city", "county", "township", "village", "detail"):
            self.put(address, field, f"address_{field}", f"$.address.{field}")
        self._health()
        self._parent("father", "父亲")
        self._parent("mother", "母亲")
        self._guardian()
        self._grandparents()
        self._village()

    def _derive_from_id(self) -> None:
        if not self.new or "id_number" not in self.values:
            return
        number = _number(self.values["id_number"], v.resident_id)
        if number is None:
            # The ID number's own problem is the one to fix: a blank sex or birth
            # date would have come from it.
            self.quiet |= {"sex", "birth_date"} - self.values.keys()
            return
        if "birth_date" not in self.values and "birth_date" not in self.bad:
            self.data["birth_date"] = v.resident_id_birth_date(number).isoformat()
        if "sex" not in self.values and "sex" not in self.bad:
            self.data["sex"] = "male" if v.resident_id_is_male(number) else "female"

    def _health(self) -> None:
        if not self.given("health", "disability_type", "disability_grade", "illness"):
            return
        health = self.data.setdefault("health", {})
        self.put(health, "status", "health", "$.health.status")
        status = self.values.get("health")
        self.paths["$.health"] = "health"
        self.paths["$.health.disability"] = "disability_type"
        self.paths["$.health.disability.type"] = "disability_type"
        self.paths["$.health.disability.grade"] = "disability_grade"
        if self.given("disability_type", "disability_grade"):
            disability = dict(health.get("disability") or {})
            self.put(disability, "type", "disability_type", "$.health.disability.type")
            self.put(disability, "grade", "disability_grade", "$.health.disability.grade")
            health["disability"] = disability
        elif status is not None and status != "disabled":
            health["disability"] = None
        self.put(health, "illness", "illness", "$.health.illness")
        if "illness" not in self.values and status is not None and status != "ill":
            health["illness"] = ""

    def _parent(self, prefix: str, who: str) -> None:
        keys = {f: f"{prefix}_{f}" for f in _PARENT_FIELDS}
        if not self.given(*keys.values()):
            return
        parents: list[dict[str, Any]] = self.data.setdefault("parents", [])
        role = prefix
        index = next((i for i, p in enumerate(parents) if p.get("role") == role), None)
        if index is None:
            parents.append({"role": role})
            index = len(parents) - 1
        parent = parents[index]
        path = f"$.parents[{index}]"
        self.paths[path] = keys["name"]
        for field in ("name", "birth_date", "id_number", "phone"):
            self.put(parent, field, keys[field], f"{path}.{field}")
        self._away(parent, path, keys)
        self._condition(parent, path, keys)

    def _away(self, parent: dict[str, Any], path: str, keys: Mapping[str, str]) -> None:
        since, province, city = keys["away_since"], keys["work_province"], keys["work_city"]
        periods: list[dict[str, Any]] = list(parent.get("away") or [])
        if since in self.values:
            current = {
                "start": self.values[since],
                "province": self.values.get(province, ""),
                "city": self.values.get(city, ""),
            }
            periods = [p for p in periods if p.get("end") is not None]
        elif self.given(province, city) and since not in self.bad:
            open_ = [p for p in periods if p.get("end") is None]
            if not open_:
                self.fail(
                    since,
                    Message(
                        "ROSTER_AWAY_START",
                        N_("the date the parent left to work away goes with the work place"),
                    ),
                )
                return
            current = open_[-1]
            for field, key in (("province", province), ("city", city)):
                if key in self.values:
                    current[field] = self.values[key]
        else:
            return
        if current not in periods:
            periods.append(current)
        periods.sort(key=lambda p: str(p.get("start")))
        i = next(i for i, p in enumerate(periods) if p is current)
        self.paths[f"{path}.away[{i}]"] = since
        self.paths[f"{path}.away[{i}].province"] = province
        self.paths[f"{path}.away[{i}].city"] = city
        parent["away"] = periods

    def _condition(self, parent: dict[str, Any], path: str, keys: Mapping[str, str]) -> None:
        kind, since = keys["condition"], keys["condition_since"]
        dtype, grade = keys["disability_type"], keys["disability_grade"]
        if kind not in self.values:
            if self.given(dtype, grade) and kind not in self.bad:
                self.fail(
                    kind,
                    Message(
                        "ROSTER_CONDITION_DISABILITY",
                        N_("a disability type and grade go with the circumstance 残疾 (disabled)"),
                    ),
                )
            elif since in self.values:
                self.fail(
                    kind,
                    Message(
                        "ROSTER_CONDITION_KIND",
                        N_("the date goes with a circumstance: fill in which one"),
                    ),
                )
            return
        if since not in self.values:
            if since not in self.bad:
                self.fail(
                    since,
                    Message(
                        "ROSTER_CONDITION_START",
                        N_("the date the circumstance began goes with it"),
                    ),
                )
            return
        stored = list(parent.get("conditions") or [])
        # The stored current circumstance of the same kind keeps its note.
        same = [c for c in stored if c.get("end") is None and c.get("kind") == self.values[kind]]
        current: dict[str, Any] = dict(same[-1]) if same else {"kind": self.values[kind]}
        current["start"] = self.values[since]
        if self.given(dtype, grade):
            current["disability"] = {
                field: self.values[key]
                for field, key in (("type", dtype), ("grade", grade))
                if key in self.values
            }
        conditions = [c for c in stored if c.get("end") is not None]
        conditions.append(current)
        conditions.sort(key=lambda c: str(c.get("start")))
        i = next(i for i, c in enumerate(conditions) if c is current)
        at = f"{path}.conditions[{i}]"
        self.paths.update(
            {
                at: kind,
                f"{at}.start": since,
                f"{at}.disability": dtype,
                f"{at}.disability.type": dtype,
                f"{at}.disability.grade": grade,
            }
        )
        parent["conditions"] = conditions

    def _guardian(self) -> None:
        if not self.given(*(key for key, _ in _GUARDIAN_COLUMNS)):
            return
        guardians: list[dict[str, Any]] = self.data.setdefault("guardians", [])
        name = self.values.get("guardian_name")
        index: int | None = None
        if name is not None:
            index = next(
                (i for i, g in enumerate(guardians) if _fold(str(g.get("name"))) == _fold(name)),
                None,
            )
        elif guardians:
            index = 0
        if index is None:
            guardians.insert(0, {})
            index = 0
        guardian = guardians[index]
        path = f"$.guardians[{index}]"
        self.paths[path] = "guardian_name"
        for key, field in _GUARDIAN_COLUMNS:
            self.put(guardian, field, key, f"{path}.{field}")
        relationship = self.values.get("guardian_relationship")
        if relationship is not None:
            guardian["entrusted"] = relationship not in ("father", "mother")

    def _grandparents(self) -> None:
        for prefix, relationship in _GRANDPARENTS:
            name, birth = f"{prefix}_name", f"{prefix}_birth_date"
            if not self.given(name, birth):
                continue
            grandparents: list[dict[str, Any]] = self.data.setdefault("grandparents", [])
            index = next(
                (i for i, g in enumerate(grandparents) if g.get("relationship") == relationship),
                None,
            )
            if index is None:
                grandparents.append({"relationship": relationship})
                index = len(grandparents) - 1
            path = f"$.grandparents[{index}]"
            self.paths[path] = name
            self.put(grandparents[index], "name", name, f"{path}.name")
            self.put(grandparents[index], "birth_date", birth, f"{path}.birth_date")

    def _village(self) -> None:
        if not self.given("village_contact", "village_phone"):
            return
        contact = dict(self.data.get("village_committee") or {"relationship": _VILLAGE_COMMITTEE})
        self.paths["$.village_committee"] = "village_contact"
        self.put(contact, "name", "village_contact", "$.village_committee.name")
        self.put(contact, "phone", "village_phone", "$.village_committee.phone")
        self.data["village_committee"] = contact

    # ----------------------------------------------------------------- result

    def child(self) -> Child | None:
        try:
            child = structure(self.data, Child)
        except InvalidRecord as exc:
            for path, message in exc.details:
                key = column_of(path, self.paths)
                if key is None or key not in self.cell_bad | self.quiet:  # each cause once
                    self.fail(key, message)
            return None
        if child.id_number is not None and not self.bad & {"sex", "id_number"}:
            id_sex = "male" if v.resident_id_is_male(child.id_number) else "female"
            if child.sex.value != id_sex:
                self.fail(
                    "sex" if "sex" in self.values else "id_number",
                    Message(
                        "ROSTER_SEX_MISMATCH",
                        N_("sex {sex} disagrees with the ID number, which says {id_sex}"),
                        {"sex": child.sex.value, "id_sex": id_sex},
                    ),
                )
                return None
        return child


def _class_index(classes: Iterable[SchoolClass]) -> tuple[dict[str, str], list[str]]:
    index: dict[str, str] = {}
    names: list[str] = []
    for c in sorted(classes, key=lambda c: (c.grade, c.name, c.id)):
        names.append(c.name)
        index.setdefault(_fold(c.id), c.id)
        index.setdefault(_fold(c.name), c.id)
    return index, names


def _ids(school_id: str, taken: set[str]) -> Callable[[], str]:
    counter = iter(range(1, 10**9))

    def next_id() -> str:
        while True:
            candidate = f"{school_id}-c{next(counter):04d}"
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    return next_id


def build_children(
    table: Table,
    *,
    school_id: str,
    existing: Sequence[Child],
    classes: Sequence[SchoolClass],
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """The pupils of ``table`` as records of school ``school_id``, or :class:`RosterRejected`.

    ``existing`` are the school's stored pupils (rows find theirs by record id,
    ID number or student number, see the module's notes), ``classes`` its
    classes. ``progress(rows_done)`` is called every 500 rows.
    """
    by_id = {c.id: c for c in existing}
    by_number: dict[str, Child] = {}
    by_student: dict[str, Child] = {}
    by_person: dict[tuple[str, str], Child] = {}
    for c in existing:
        if c.id_number is None and c.student_number is None:
            by_person.setdefault((_fold(c.name), c.birth_date.isoformat()), c)
        if c.id_number is not None:
            by_number.setdefault(c.id_number, c)
        if c.student_number is not None:
            by_student.setdefault(c.student_number, c)
    class_index, class_names = _class_index(classes)
    taken = set(by_id) | {
        str(row.cells["record_id"]).strip() for row in table.rows if "record_id" in row.cells
    }
    next_id = _ids(school_id, taken)

    builders: list[_RowBuilder] = []
    children: list[Child | None] = []
    for done, row in enumerate(table.rows, start=1):
        builder = _match(row, by_id, by_number, by_student, by_person, school_id, next_id)
        builder.parse(class_index, class_names)
        builder.build()
        children.append(builder.child())
        builders.append(builder)
        if progress is not None and done % 500 == 0:
            progress(done)
    _duplicates(builders, children)

    problems: list[RosterProblem] = []
    for builder in builders:
        problems.extend(_row_problems(builder))
    if problems:
        raise RosterRejected(problems, rows=len(table.rows))
    return Plan(
        children=tuple(c for c in children if c is not None),
        lines=tuple(b.row.line for b in builders),
        new=sum(b.new for b in builders),
        columns=tuple(b.paths for b in builders),
    )


def _person(cells: Mapping[str, object]) -> tuple[str, str] | None:
    """Name and birth date: who a pupil without ID and student number is."""
    try:
        birth = parse_cell(BY_KEY["birth_date"], cells.get("birth_date"))
    except FieldProblem:
        return None
    return (_fold(str(cells.get("name", ""))), str(birth))


def _match(
    row: Row,
    by_id: Mapping[str, Child],
    by_number: Mapping[str, Child],
    by_student: Mapping[str, Child],
    by_person: Mapping[tuple[str, str], Child],
    school_id: str,
    next_id: Callable[[], str],
) -> _RowBuilder:
    cells = row.cells
    record_id = str(cells["record_id"]).strip() if "record_id" in cells else None
    number = _number(cells.get("id_number"), v.resident_id)
    student = _number(cells.get("student_number"), v.student_number)
    problem: Message | None = None
    found: Child | None = None
    if record_id is not None:
        found = by_id.get(record_id)
        other = by_number.get(number) if number is not None else None
        if other is not None and other.id != record_id:
            problem = Message(
                "ROSTER_ID_OTHER_RECORD",
                N_("this ID number belongs to the pupil of record {other}, not {record}"),
                {"other": other.id, "record": record_id},
            )
    elif number is not None and number in by_number:
        found = by_number[number]
    elif student is not None and student in by_student:
        found = by_student[student]
    elif number is None and student is None and (person := _person(cells)) is not None:
        found = by_person.get(person)
    if found is not None:
        base = unstructure(found)
        base.pop("version", None)
        builder = _RowBuilder(row, base, new=False)
    else:
        rid = record_id if record_id is not None else next_id()
        builder = _RowBuilder(row, {"id": rid, "school_id": school_id}, new=True)
    if problem is not None:
        builder.fail("id_number", problem)
    return builder


def _same_person(child: Child) -> str | None:
    if child.id_number is not None or child.student_number is not None:
        return None
    return f"{_fold(child.name)} {child.birth_date.isoformat()}"


_SAME: Final[tuple[tuple[Callable[[Child], str | None], str, str, str], ...]] = (
    (
        lambda c: c.id_number,
        "id_number",
        "ROSTER_DUPLICATE_ID_NUMBER",
        N_("the same ID number is also on line {lines}"),
    ),
    (
        lambda c: c.student_number,
        "student_number",
        "ROSTER_DUPLICATE_STUDENT_NUMBER",
        N_("the same student number is also on line {lines}"),
    ),
    (
        _same_person,
        "name",
        "ROSTER_DUPLICATE_PERSON",
        N_("the same name and birth date, without ID or student number, are on line {lines}"),
    ),
    (
        lambda c: c.id,
        "record_id",
        "ROSTER_DUPLICATE_RECORD",
        N_("the same pupil (record {record}) is also on line {lines}"),
    ),
)


def _duplicates(builders: Sequence[_RowBuilder], children: Sequence[Child | None]) -> None:
    """Mark rows that name the same pupil (same ID number, student number or record)."""
    flagged: set[int] = set()
    for key_of, column, code, text in _SAME:
        keys = [key_of(c) if c is not None else None for c in children]
        lines: dict[str, list[int]] = defaultdict(list)
        for builder, value in zip(builders, keys, strict=True):
            if value is not None:
                lines[value].append(builder.row.line)
        for builder, child, value in zip(builders, children, keys, strict=True):
            if value is None or len(lines[value]) < 2 or builder.row.line in flagged:
                continue
            flagged.add(builder.row.line)
            others = "、".join(str(n) for n in lines[value] if n != builder.row.line)
            params: dict[str, str | int] = {"lines": others}
            if column == "record_id" and child is not None:
                params["record"] = child.id
            builder.fail(column, Message(code, text, params))


def _row_problems(builder: _RowBuilder) -> list[RosterProblem]:
    out: list[RosterProblem] = []
    seen: set[tuple[str | None, str]] = set()
    for key, message in builder.problems:
        rendered = message.render("en")
        if (key, rendered) in seen:
            continue
        seen.add((key, rendered))
        column = BY_KEY.get(key) if key else None
        out.append(
            RosterProblem(
                builder.row.line,
                column.header if column else "",
                column.key if column else "",
                message,
            )
        )
    out.sort(key=lambda p: _ORDER.get(p.key, -1))  # row problems first, then by column
    return out
