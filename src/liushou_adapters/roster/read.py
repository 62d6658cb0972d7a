"""Reading a roster file (CSV or XLSX) into rows of cells with their line numbers.

The format is told by the content, not the name: an XLSX workbook is a zip
archive (``PK``), an old ``.xls`` an OLE2 file (refused with advice), anything
else is CSV text.

CSV text is decoded strictly, in this order: a byte-order mark decides
(UTF-8, or UTF-16 as Excel's "Unicode text" writes); otherwise UTF-8, then
GB18030. These are the encodings a mainland school's files come in: Excel and
WPS on Chinese Windows save "CSV" in GBK (which GB18030 contains) and "CSV
UTF-8" with a BOM. Text in GBK is practically never valid UTF-8 (its two-byte
sequences rarely form UTF-8's), so a strict UTF-8 attempt first cannot
mistake one for the other; a statistical detector (charset-normalizer) would
add a dependency to guess among encodings (Big5, Shift-JIS, cp1252, ...) a
roster never uses, and guesses worst on the short files typed by hand. Bytes
that are neither are refused: nothing is decoded with replacement characters.

The delimiter is a comma, or a tab when the first line has tabs and no commas.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, TypeAlias

import attrs

from liushou_adapters.roster.errors import RosterProblem, RosterRejected, file_problem
from liushou_adapters.roster.layout import BY_HEADER, BY_KEY, Column, cell_text, normalise_header
from liushou_core.i18n import N_, Message

__all__ = ["Cell", "Row", "Table", "decode", "read_table"]

Cell: TypeAlias = object
#: The most rows a roster may have (a county's largest school has a few thousand pupils).
MAX_ROWS: Final = 200_000


@attrs.frozen
class Row:
    """A row of pupil data: its line (CSV) or row number (XLSX), from 1, and cells by key."""

    line: int
    cells: dict[str, Cell]


@attrs.frozen
class Table:
    """A roster's columns (in file order) and its non-blank rows of data."""

    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    format: str


def decode(data: bytes) -> str:
    """The text of a CSV file: BOM-marked, else UTF-8, else GB18030, all strict."""
    problem = file_problem(
        "ROSTER_ENCODING",
        N_("the file is neither UTF-8 nor GB18030 text, nor an XLSX workbook"),
    )
    if data.startswith(codecs.BOM_UTF8):
        candidates: Sequence[str] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterRejected([problem])


def _csv_rows(text: str) -> Iterator[tuple[int, list[Cell]]]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, list(cells)
            start = reader.line_num + 1
    except csv.Error:
        raise RosterRejected(
            [
                RosterProblem(
                    start,
                    "",
                    "",
                    Message(
                        "ROSTER_CSV",
                        N_("the CSV text cannot be read here (broken quoting or a cell too long)"),
                    ),
                )
            ]
        ) from None


_BAD_XLSX: Final = (
    "ROSTER_XLSX",
    N_(
        "not a workbook that can be read: save it again as .xlsx "
        "(or as CSV) from the spreadsheet program"
    ),
)


def _sheet_name(names: Sequence[str]) -> str:
    return "花名册" if "花名册" in names else names[0]


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Cell]]]:
    """The rows of the roster's sheet, numbered as the spreadsheet numbers them.

    python-calamine (Rust) reads a workbook about ten times faster than
    openpyxl and is used when installed (the ``xlsx`` extra brings it);
    openpyxl's read-only mode otherwise. Neither documents a set of exceptions
    for a broken workbook (zip, XML, value and key errors, a Rust panic): any
    of them means the upload is not a workbook that can be read.
    """
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - the xlsx extra installs it
        return _openpyxl_rows(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_name(_sheet_name(book.sheet_names))
        values = sheet.to_python(skip_empty_area=False)
    except Exception:
        raise RosterRejected([file_problem(*_BAD_XLSX)]) from None
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if type(exc).__name__ != "PanicException":
            raise
        raise RosterRejected([file_problem(*_BAD_XLSX)]) from None
    return [(number, list(row)) for number, row in enumerate(values, start=1)]


def _openpyxl_rows(data: bytes) -> list[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book[_sheet_name(book.sheetnames)]
            sheet.reset_dimensions()
            rows = [
                (number, list(values))
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            book.close()
    except Exception:
        raise RosterRejected([file_problem(*_BAD_XLSX)]) from None
    return rows


def _clean(cell: Cell) -> Cell:
    """A cell with text stripped, or ``None`` when blank."""
    if type(cell) is str:
        text = cell.strip()
        return text or None
    return cell if cell_text(cell) else None


def _header(cells: Sequence[Cell], line: int) -> tuple[list[Column | None], list[RosterProblem]]:
    columns: list[Column | None] = []
    problems: list[RosterProblem] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells):
        text = cell_text(cell)
        if not text:
            columns.append(None)
            continue
        column = BY_HEADER.get(normalise_header(text))
        if column is None:
            problems.append(
                RosterProblem(
                    line,
                    text[:40],
                    "",
                    Message(
                        "ROSTER_UNKNOWN_COLUMN",
                        N_("unknown column: use the headers of the template"),
                    ),
                )
            )
            columns.append(None)
            continue
        if column.key in seen:
            problems.append(
                RosterProblem(
                    line,
                    column.header,
                    column.key,
                    Message("ROSTER_COLUMN_TWICE", N_("the column appears twice")),
                )
            )
        seen[column.key] = position
        columns.append(column)
    present = {c.key for c in columns if c is not None}
    for column in BY_KEY.values():
        if column.required and column.key not in present:
            problems.append(
                RosterProblem(
                    line,
                    column.header,
                    column.key,
                    Message("ROSTER_MISSING_COLUMN", N_("this required column is missing")),
                )
            )
    return columns, problems


def _is_key_row(cells: Sequence[Cell], columns: Sequence[Column | None]) -> bool:
    named = [(cell_text(c), col) for c, col in zip(cells, columns, strict=False) if cell_text(c)]
    return bool(named) and all(
        col is not None and normalise_header(text) in (col.key, normalise_header(col.header))
        for text, col in named
    )


def read_table(source: bytes | str | Path) -> Table:
    """Read a roster file (its bytes, or a path) into a :class:`Table`.

    The first row with any content is the header row (Chinese headers or
    English keys); a key row right under it is skipped, and so are blank rows.
    Raises :class:`RosterRejected` when the file is not a readable roster:
    unknown encoding or broken workbook, unknown or doubled columns, a missing
    required column, cells beyond the headers, no rows of data.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterRejected(
            [
                file_problem(
                    "ROSTER_XLS",
                    N_("an old .xls workbook: save it as .xlsx or CSV and import that"),
                )
            ]
        )
    if data.startswith(b"PK"):
        raw: Iterator[tuple[int, list[Cell]]] = iter(_xlsx_rows(data))
        fmt = "xlsx"
    else:
        raw = _csv_rows(decode(data))
        fmt = "csv"
    columns: list[Column | None] | None = None
    problems: list[RosterProblem] = []
    rows: list[Row] = []
    key_row_checked = False
    blank: set[int] = set()
    for line, raw_cells in raw:
        # Strings stripped, blanks None: each cell is looked at once.
        cells = [_clean(c) for c in raw_cells]
        if all(c is None for c in cells):
            continue
        if columns is None:
            columns, problems = _header(cells, line)
            blank = {i for i, c in enumerate(cells) if c is None}
            continue
        if not key_row_checked:
            key_row_checked = True
            if _is_key_row(cells, columns):
                continue
        extra = [
            i
            for i, cell in enumerate(cells)
            if (i >= len(columns) or i in blank) and cell is not None
        ]
        if extra:
            problems.append(
                RosterProblem(
                    line,
                    "",
                    "",
                    Message(
                        "ROSTER_CELL_NO_HEADER",
                        N_("column {number} has a value but no known header"),
                        {"number": min(extra) + 1},
                    ),
                )
            )
        rows.append(
            Row(
                line,
                {
                    col.key: cell
                    for col, cell in zip(columns, cells, strict=False)
                    if col is not None and cell is not None
                },
            )
        )
        if len(rows) > MAX_ROWS:
            problems.append(
                file_problem(
                    "ROSTER_TOO_LONG",
                    N_("the file has more than {limit} rows: split it"),
                    limit=MAX_ROWS,
                )
            )
            break
    if columns is None:
        problems.append(file_problem("ROSTER_EMPTY", N_("the file is empty: no header row")))
    elif not rows and not problems:
        problems.append(
            file_problem("ROSTER_NO_ROWS", N_("the file has headers but no rows of pupils"))
        )
    if problems:
        raise RosterRejected(problems, rows=len(rows))
    assert columns is not None
    return Table(tuple(c for c in columns if c is not None), tuple(rows), fmt)
