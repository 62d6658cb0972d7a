"""A stored pupil as a roster row, and rosters written from pupils.

The reverse of reading: :func:`child_row` gives the cells a person would type
for a pupil (Chinese labels, ISO dates, 是/否), and :func:`write_roster` writes
a CSV or XLSX roster of many pupils. Importing such a roster into the store the
pupils came from changes nothing. Useful to hand a school its current roster
to correct, and to test and benchmark the import.

A roster holds the full ID and phone numbers (it is the school's own record,
to be imported again): it is not a file for sharing. For shared tables use
the exports of :mod:`liushou_adapters.export`, which mask them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from liushou_adapters.roster.layout import BY_KEY, COLUMNS, FORMULA_STARTS
from liushou_core.models import Child, Parent, ParentCondition, label

__all__ = ["child_row", "roster_bytes", "write_roster"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        return label(value, "zh")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _current_condition(parent: Parent) -> ParentCondition | None:
    open_ = [c for c in parent.conditions if c.end is None]
    return open_[-1] if open_ else None


def child_row(child: Child, class_names: Mapping[str, str] | None = None) -> dict[str, str]:
    """The roster cells of ``child`` by column key (blank cells left out).

    ``class_names`` maps class ids to the class names written in the roster
    (without it, the class id is written; both import).
    """
    cells: dict[str, Any] = {
        "record_id": child.id,
        "name": child.name,
        "sex": child.sex,
        "ethnicity": child.ethnicity,
        "birth_date": child.birth_date,
        "id_number": child.id_number,
        "student_number": child.student_number,
        "class": (class_names or {}).get(child.class_id, child.class_id)
        if child.class_id
        else None,
        "schooling": child.schooling,
        "boarding": child.boarding,
        "hukou_registered": child.hukou.registered,
        "hukou_place": child.hukou.place,
        "hukou_rural": child.hukou.rural,
        "hukou_local": child.hukou.local,
        "health": child.health.status,
        "illness": child.health.illness,
    }
    for field in ("province", "city", "county", "township", "village", "detail"):
        cells[f"address_{field}"] = getattr(child.address, field)
    if child.health.disability is not None:
        cells["disability_type"] = child.health.disability.type
        cells["disability_grade"] = child.health.disability.grade
    for parent in child.parents:
        p = parent.role.value
        cells.update(
            {
                f"{p}_name": parent.name,
                f"{p}_birth_date": parent.birth_date,
                f"{p}_id_number": parent.id_number,
                f"{p}_phone": parent.phone,
            }
        )
        away = [a for a in parent.away if a.end is None]
        if away:
            cells.update(
                {
                    f"{p}_away_since": away[-1].start,
                    f"{p}_work_province": away[-1].province,
                    f"{p}_work_city": away[-1].city,
                }
            )
        condition = _current_condition(parent)
        if condition is not None:
            cells[f"{p}_condition"] = condition.kind
            cells[f"{p}_condition_since"] = condition.start
            if condition.disability is not None:
                cells[f"{p}_disability_type"] = condition.disability.type
                cells[f"{p}_disability_grade"] = condition.disability.grade
    if child.guardians:
        g = child.guardians[0]
        cells.update(
            {
                "guardian_name": g.name,
                "guardian_relationship": g.relationship,
                "guardian_phone": g.phone,
                "guardian_id_number": g.id_number,
                "guardian_address": g.address,
                "care_assessment": g.capacity,
            }
        )
    for gp in child.grandparents:
        prefix = gp.relationship.name.lower()
        if f"{prefix}_name" in BY_KEY:
            cells[f"{prefix}_name"] = gp.name
            cells[f"{prefix}_birth_date"] = gp.birth_date
    if child.village_committee is not None:
        cells["village_contact"] = child.village_committee.name
        cells["village_phone"] = child.village_committee.phone
    return {k: text for k, value in cells.items() if (text := _cell(value))}


def roster_bytes(
    rows: Iterable[Mapping[str, str]], *, encoding: str = "utf-8-sig", key_row: bool = True
) -> bytes:
    """A CSV roster of ``rows`` (cells by key): headers, the key row, then the rows."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(c.header for c in COLUMNS)
    if key_row:
        writer.writerow(c.key for c in COLUMNS)
    for row in rows:
        writer.writerow(_neutral(row.get(c.key, "")) for c in COLUMNS)
    return out.getvalue().encode(encoding)


def _neutral(text: str) -> str:
    """A cell a spreadsheet will not run as a formula: ``'`` before = + - @ (read back off)."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def write_roster(path: str | Path, rows: Iterable[Mapping[str, str]]) -> Path:
    """Write a roster of ``rows`` (cells by key) to ``path``: CSV, or XLSX by its suffix.

    CSV is UTF-8 with a byte-order mark; in XLSX every cell is text.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        target.write_bytes(roster_bytes(rows))
        return target
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")

    def text_cell(value: str) -> Any:
        if not value:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell

    sheet.append([c.header for c in COLUMNS])
    sheet.append([c.key for c in COLUMNS])
    for row in rows:
        sheet.append([text_cell(row.get(c.key, "")) for c in COLUMNS])
    book.save(target)
    return target
