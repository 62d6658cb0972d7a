"""Blank roster templates to fill in by hand: CSV and XLSX.

Both have the Chinese headers in the first row and the English keys in the
second; pupils go from the third row on. The CSV is UTF-8 with a byte-order
mark, so that Excel and WPS open it with the Chinese intact.

The XLSX template adds what a spreadsheet can: a drop-down list on every
choice and yes/no column (性别, 就学状态, 监护人与儿童关系, ...), the number
columns (ID, student and phone numbers) formatted as text so that the
spreadsheet keeps all 18 digits, a comment on each header saying what goes
in it, frozen header rows, and a second sheet, 填写说明, listing every column
with its accepted values.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

from liushou_adapters.roster.layout import COLUMNS, Column, Kind, choices

__all__ = ["FORMATS", "TEMPLATE_NAME", "write_template"]

#: The template formats, by file suffix.
FORMATS: Final = ("csv", "xlsx")
#: The templates' file name, without suffix.
TEMPLATE_NAME: Final = "roster-template"
#: Rows of the XLSX template given drop-down lists.
_XLSX_ROWS: Final = 5000


def _allowed(column: Column) -> list[str]:
    if column.kind is Kind.BOOL:
        return ["是", "否"]
    if column.kind is Kind.CHOICE and column.enum is not None:
        return choices(column.enum)
    return []


def _note(column: Column) -> str:
    parts = [column.hint] if column.hint else []
    allowed = _allowed(column)
    if allowed and column.kind is Kind.CHOICE:
        parts.append("可选：" + "、".join(allowed))
    if column.required:
        parts.append("必填")
    return "；".join(parts)


def write_template(path: str | Path, format: str | None = None) -> Path:
    """Write a blank roster template to ``path`` (its suffix gives the format).

    ``format`` (``"csv"`` or ``"xlsx"``) overrides the suffix. Returns the path.
    """
    target = Path(path)
    fmt = (format or target.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown template format {fmt!r}; known: {', '.join(FORMATS)}")
    if fmt == "csv":
        with target.open("w", encoding="utf-8-sig", newline="") as fp:
            writer = csv.writer(fp)
            writer.writerow(c.header for c in COLUMNS)
            writer.writerow(c.key for c in COLUMNS)
    else:
        _write_xlsx(target)
    return target


def _write_xlsx(target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    required = PatternFill("solid", fgColor="FFF2CC")
    optional = PatternFill("solid", fgColor="DDEBF7")
    last = _XLSX_ROWS + 2
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index, value=column.header)
        head.font = Font(bold=True)
        head.fill = required if column.required else optional
        head.alignment = Alignment(wrap_text=True, vertical="center")
        note = _note(column)
        if note:
            head.comment = Comment(note, "liushou")
        key = sheet.cell(row=2, column=index, value=column.key)
        key.font = Font(italic=True, color="808080")
        sheet.column_dimensions[letter].width = max(column.width, len(column.header) * 2 + 2)
        if column.kind is Kind.NUMBER:
            # The column's own format (not each cell's): a spreadsheet gives it to
            # every cell typed into the column, and the file stays small.
            sheet.column_dimensions[letter].number_format = "@"
        allowed = _allowed(column)
        if allowed:
            check = DataValidation(
                type="list",
                formula1='"' + ",".join(allowed) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error="请从下拉列表中选择：" + "、".join(allowed),
            )
            check.add(f"{letter}3:{letter}{last}")
            sheet.add_data_validation(check)
    sheet.freeze_panes = "C3"
    sheet.row_dimensions[1].height = 32

    guide = book.create_sheet("填写说明")
    guide.append(["列名", "key", "必填", "说明", "可选值"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        guide.append(
            [
                column.header,
                column.key,
                "是" if column.required else "",
                column.hint,
                "、".join(_allowed(column)),
            ]
        )
    for letter, width in zip("ABCDE", (22, 26, 6, 50, 60), strict=True):
        guide.column_dimensions[letter].width = width
    book.save(target)
