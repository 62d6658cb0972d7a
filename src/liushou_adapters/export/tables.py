"""Table exporters: CSV, JSON and XLSX, each an exporter plugin.

A :class:`Table` is a dataset as rows (see :mod:`liushou_adapters.export.datasets`):
its :class:`Column` objects say what each cell holds (text, a number, an amount,
a date, a yes/no), its header (an English message id, shown in Chinese by
default), and how the cell is masked. Every exporter here does the same three
things before it writes a cell:

1. **renders** it in the language asked for (enumerations and messages in
   Chinese or English, lists joined);
2. **masks** resident ID and phone numbers (``110105********002X``,
   ``138****1234``), and any such number inside free text, unless unmasking
   was asked for by an actor holding the ``export unmasked`` permission with a
   purpose; an unmasked export first commits a ``read`` audit entry for every
   record whose numbers it shows (:meth:`TableExporter.write`);
3. **neutralises** spreadsheet formulas (CSV and XLSX): a text cell starting
   with ``= + - @``, a tab, a carriage return, or a full-width ``＝ ＋ － ＠``
   gets a leading apostrophe, so that Excel or WPS shows it as text and never
   runs it. Nothing else in the text changes (but see XLSX below).

Formats:

- ``csv``: one table per file, UTF-8 with a byte-order mark by default (Excel
  on Chinese Windows opens it as UTF-8), or ``encoding="gb18030"``; the header
  row holds the column headers; yes/no cells read 是/否 (yes/no in English).
- ``json``: ``{"format": "liushou-export", "version": 1, "lang": ..., "tables":
  [{"key", "title", "columns", "rows"}]}``; each row an object keyed by the
  column keys, each value in the shape of liushou's one cattrs converter
  (dates as ``YYYY-MM-DD``, amounts as decimal strings, enumerations as their
  English keys, messages as ``{code, text, params}``), masked like the others.
  JSON is for programs, not spreadsheets: it is not formula-neutralised.
- ``xlsx`` (needs openpyxl: ``pip install 'liushou[xlsx]'``): one sheet per
  table, the header row frozen and bold with an auto-filter, column widths
  from the content (Chinese characters count double), typed cells (numbers,
  amounts as ``0.00``, dates as ``yyyy-mm-dd``, yes/no as booleans). XML cannot
  hold a carriage return or most control characters: line breaks are written
  as ``\\n`` (Excel's line break in a cell) and control characters other than
  tab and newline are dropped.

Files are written to a temporary file beside the target and renamed into
place, so a failed export leaves no half-written file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Final

import attrs

from liushou_core import hookimpl
from liushou_core.convert import unstructure
from liushou_core.errors import NotFound
from liushou_core.hookspecs import ExporterSpec
from liushou_core.i18n import DEFAULT_LANG, LANGS, N_, Message, catalogue
from liushou_core.masking import mask_id, mask_phone, mask_text
from liushou_core.ports import Exporter, Store
from liushou_core.privacy import (
    DEFAULT_ACCESS_POLICY,
    AccessPolicy,
    Actor,
    FieldAccessDenied,
    Permission,
    mask_student_number,
)

__all__ = [
    "COLUMN_TYPES",
    "ENCODINGS",
    "MASKS",
    "TRIGGERS",
    "Column",
    "CsvExporter",
    "ExportSummary",
    "JsonExporter",
    "RecordRef",
    "Table",
    "TableExporter",
    "XlsxExporter",
    "as_tables",
    "csv_plugin",
    "json_plugin",
    "neutralise",
    "render_cell",
    "xlsx_plugin",
]

#: What a column holds: ``text``; ``label`` (an English message id shown translated);
#: ``int``; ``amount`` (a :class:`~decimal.Decimal` in yuan); ``date``; ``bool``.
#: Enumerations, messages and lists are rendered as text in any column.
COLUMN_TYPES: Final = ("text", "label", "int", "amount", "date", "bool")
#: How a column is masked: ``text`` (ID and phone numbers inside free text, the
#: default), ``id`` (a resident ID number), ``student_number``, ``phone``, ``none``.
MASKS: Final = ("text", "id", "student_number", "phone", "none")
#: The encodings the CSV exporter writes.
ENCODINGS: Final = ("utf-8-sig", "gb18030", "utf-8")
#: First characters that make a spreadsheet read a cell as a formula.
TRIGGERS: Final = frozenset("=+-@\t\r＝＋－＠")

# Characters XML 1.0 cannot hold (what openpyxl refuses), tab and newline excepted.
_XML_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_YES: Final = N_("yes")
_NO: Final = N_("no")


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe if a spreadsheet would read it as a formula.

    >>> neutralise("=HYPERLINK(1)"), neutralise("＋86"), neutralise("王小明")
    ("'=HYPERLINK(1)", "'＋86", '王小明')
    """
    return "'" + text if text and text[0] in TRIGGERS else text


# Every number mask_text masks (ID, mobile, landline) has at least 10 digits with
# nothing but separators between them; text without such a run is left as it is.
_NUMBERISH: Final = re.compile(r"\d(?:[-\s()（）+＋－]*\d){9}")


_THREE_DIGITS: Final = re.compile(r"\d{3}")
# A formula trigger at the start of a line (cells are joined by newlines to ask them all).
_TRIGGER_START: Final = re.compile("(?:^|\n)[=+\\-@\t\r＝＋－＠]")


def _needs_work(blob: str, mask: str) -> bool:
    """Whether some cell in ``blob`` (cells joined by newlines) may need masking or neutralising."""
    if _TRIGGER_START.search(blob):
        return True
    return mask == "text" and bool(_THREE_DIGITS.search(blob)) and bool(_NUMBERISH.search(blob))


def _scrub(text: str) -> str:
    if _THREE_DIGITS.search(text) and _NUMBERISH.search(text):
        return mask_text(text)
    return text


_MASKERS: Final[Mapping[str, Callable[[str], str]]] = {
    "text": _scrub,
    "id": mask_id,
    "student_number": mask_student_number,
    "phone": mask_phone,
    "none": lambda s: s,
}


@attrs.frozen
class Column:
    """One column of a :class:`Table`.

    ``key`` is the stable English key (the JSON key); ``header`` an English
    message id marked with ``N_`` (shown translated); ``type`` one of
    :data:`COLUMN_TYPES`; ``mask`` one of :data:`MASKS`. ``ref`` and ``field``
    say which stored record of the row the value comes from (a key of the
    row's :attr:`Table.refs` entry) and which top-level field of it: only
    such cells can be unmasked, because only they can be audited.
    """

    key: str
    header: str
    type: str = attrs.field(default="text", validator=attrs.validators.in_(COLUMN_TYPES))
    mask: str = attrs.field(default="text", validator=attrs.validators.in_(MASKS))
    ref: str | None = None
    field: str | None = None


@attrs.frozen
class RecordRef:
    """A stored record a row shows fields of: its class, school and id.

    ``field`` is the record's top-level field the row's cells come from, for
    columns that leave :attr:`Column.field` unset (a contact card's phone comes
    from ``parents``, ``guardians`` or ``emergency_contacts`` row by row).
    """

    cls: type
    school_id: str
    id: str
    field: str | None = None


@attrs.define
class Table:
    """A dataset as rows: ``key`` (``children``), ``title`` (a message id), columns, rows.

    ``rows`` are tuples in the columns' order holding plain values (text,
    numbers, dates, enumerations, messages, tuples of these, ``None`` for an
    empty cell). ``refs`` (optional, one mapping per row) names the stored
    records the row's cells come from, for the audit of an unmasked export.
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]] = attrs.Factory(list)
    refs: list[Mapping[str, RecordRef]] | None = None

    def __attrs_post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"table {self.key}: column keys are not unique: {keys}")
        if self.refs is not None and len(self.refs) != len(self.rows):
            raise ValueError(f"table {self.key}: {len(self.refs)} refs for {len(self.rows)} rows")

    def __len__(self) -> int:
        return len(self.rows)

    def headers(self, lang: str = DEFAULT_LANG) -> list[str]:
        """The column headers in ``lang``."""
        text = catalogue(lang).gettext
        return [text(c.header) for c in self.columns]

    def as_dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column key (raw, unmasked values: not for sharing)."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    @classmethod
    def from_dicts(
        cls,
        key: str,
        title: str,
        rows: Iterable[Mapping[str, Any]],
        columns: Sequence[Column] | None = None,
    ) -> Table:
        """A table from rows given as dicts (cadence compliance, evaluation, your own).

        ``columns`` default to one text column per key of the first row (its
        header is the key). Missing keys give empty cells; unknown keys are an
        error. Such rows name no stored record, so their cells stay masked
        even in an unmasked export.
        """
        data = list(rows)
        cols = (
            tuple(columns)
            if columns is not None
            else tuple(Column(k, k) for k in (data[0] if data else ()))
        )
        keys = [c.key for c in cols]
        known = set(keys)
        out: list[tuple[Any, ...]] = []
        for i, row in enumerate(data):
            extra = set(row) - known
            if extra:
                raise ValueError(f"table {key}: row {i} has unknown keys {sorted(extra)}")
            out.append(tuple(row.get(k) for k in keys))
        return cls(key, title, cols, out)


def as_tables(data: Any) -> list[Table]:
    """A :class:`Table`, or an iterable of tables, as a list of tables."""
    if isinstance(data, Table):
        return [data]
    tables = list(data)
    for t in tables:
        if not isinstance(t, Table):
            raise TypeError(
                f"an exporter writes Table objects (see liushou_adapters.export.datasets), "
                f"not {type(t).__name__}; build one with Table.from_dicts"
            )
    keys = [t.key for t in tables]
    if len(set(keys)) != len(keys):
        raise ValueError(f"two tables share a key: {keys}")
    return tables


@attrs.frozen
class ExportSummary:
    """What an export wrote: the file, rows per table, masked or not, audit entries."""

    path: Path
    rows: tuple[tuple[str, int], ...]
    masked: bool
    audited: int = 0

    @property
    def total(self) -> int:
        return sum(n for _, n in self.rows)


# --------------------------------------------------------------------------- cells


def _render(value: Any, lang: str, sep: str, translate: bool) -> Any:
    """A raw value as a spreadsheet shows it: text, number, date, bool or None."""
    if isinstance(value, Enum):
        return catalogue(lang).gettext(str(value.value))
    if isinstance(value, str):
        return catalogue(lang).gettext(value) if translate and value else value
    if isinstance(value, bool | int | Decimal) or value is None:
        return value
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, tuple | list | frozenset | set):
        parts = [_render(v, lang, sep, translate) for v in value]
        return sep.join(str(p) for p in parts if p is not None and p != "")
    return value  # dates, and anything else the writer knows


def render_cell(value: Any, lang: str = DEFAULT_LANG, *, label: bool = False) -> Any:
    """A raw value as the table exporters show it, before masking: enumerations and
    messages in ``lang``, lists joined, a ``label`` text translated; numbers, dates
    and yes/no kept as they are."""
    return _render(value, lang, "、" if lang == "zh" else "; ", label)


#: Values written as they are (numbers, dates, yes/no).
_PLAIN: Final = frozenset({bool, int, float, Decimal, dt.date, dt.datetime})
_CACHE: Final = 10_000


class _Cells:
    """Rendering and masking of one table's cells, shared by the formats."""

    def __init__(self, table: Table, lang: str, unmasked: Sequence[set[str]] | None) -> None:
        self.table = table
        self.lang = lang
        self.sep = "、" if lang == "zh" else "; "
        self.unmasked = unmasked  # per row: the column keys shown in full

    def rows(
        self,
        text_out: Callable[[str], Any] = lambda s: s,
        other_out: Callable[[Any], Any] = lambda v: v,
    ) -> Iterator[list[Any]]:
        """Rows rendered in the language and masked, each cell then passed through
        ``text_out`` (text) or ``other_out`` (anything else, ``None`` included)."""
        cols = self.table.columns
        masked = [self._cell(c, _MASKERS[c.mask], text_out, other_out) for c in cols]
        if self.unmasked is None:
            yield from self._by_column(masked, text_out, other_out)
            return
        full = [self._cell(c, _MASKERS["none"], text_out, other_out) for c in cols]
        keys = [c.key for c in cols]
        for row, shown in zip(self.table.rows, self.unmasked, strict=True):
            if not shown:
                yield [f(v) for f, v in zip(masked, row, strict=True)]
            else:
                fns = [full[j] if k in shown else masked[j] for j, k in enumerate(keys)]
                yield [f(v) for f, v in zip(fns, row, strict=True)]

    def _by_column(
        self,
        cells: Sequence[Callable[[Any], Any]],
        text_out: Callable[[str], Any],
        other_out: Callable[[Any], Any],
    ) -> Iterator[list[Any]]:
        """The rows, made column by column (the same cells as row by row, faster).

        A text column whose cells need nothing (no number to mask, no formula
        trigger, nothing the format must change) is copied as it is; whether
        one does is asked of all its cells at once, joined by newlines (a false
        alarm only sends the column through ``cells``, cell by cell).
        """
        rows = self.table.rows
        if not rows:
            return
        none_out, empty_out = other_out(None), text_out("")
        out: list[list[Any]] = []
        for j, (col, cell) in enumerate(zip(self.table.columns, cells, strict=True)):
            values = [row[j] for row in rows]
            if col.type != "label" and col.mask in ("text", "none"):
                types = set(map(type, values))
                if types <= {str, type(None)}:
                    blob = "\n".join(filter(None, values))
                    if not _needs_work(blob, col.mask) and (not blob or text_out(blob) == blob):
                        out.append(
                            [v if v else (none_out if v is None else empty_out) for v in values]
                        )
                        continue
            out.append(list(map(cell, values)))
        for row in zip(*out, strict=True):
            yield list(row)

    def _cell(
        self,
        col: Column,
        masker: Callable[[str], str],
        text_out: Callable[[str], Any],
        other_out: Callable[[Any], Any],
    ) -> Callable[[Any], Any]:
        lang, sep, label = self.lang, self.sep, col.type == "label"
        gettext = catalogue(lang).gettext
        # Enumerations, messages and tuples of them repeat from row to row: each is
        # rendered and masked once per column.
        cache: dict[Any, Any] = {}

        def render(value: Any) -> Any:
            v = _render(value, lang, sep, label)
            if isinstance(v, str):
                return text_out(masker(v) if v else v)
            return other_out(v)

        def cell(value: Any) -> Any:
            if type(value) is str:  # plain text (an enumeration is a subclass: rendered below)
                if not value:
                    return text_out(value)
                return text_out(masker(gettext(value) if label else value))
            if value is None or type(value) in _PLAIN:
                return other_out(value)
            try:
                return cache[value]
            except KeyError:
                out = cache[value] = render(value)
                if len(cache) > _CACHE:
                    cache.clear()
                return out
            except TypeError:  # not hashable
                return render(value)

        return cell


def _mask_json(value: Any, masker: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return masker(value) if value else value
    if isinstance(value, list):
        return [_mask_json(v, masker) for v in value]
    if isinstance(value, dict):
        return {k: _mask_json(v, masker) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- exporters

Progress = Callable[[int, int], None]


class TableExporter:
    """The shared part of the table exporters: settings, unmasking and its audit.

    :param lang: ``zh`` (default) or ``en``: headers, titles, labels, messages.
    :param unmask: show ID and phone numbers in full. Needs ``actor`` holding
        :attr:`~liushou_core.privacy.Permission.EXPORT_UNMASKED` (in ``policy``)
        with a purpose, and ``store``, where each record shown unmasked gets a
        ``read`` audit entry with that purpose before the file is written.
    :param progress: called as ``progress(rows_done, rows_total)`` while writing.
    :raises FieldAccessDenied: unmasking asked by an actor without the
        permission or without a purpose.
    :raises ValueError: unmasking asked without an actor or a store.
    """

    name: str = ""
    suffix: str = ""
    #: Whether one file holds several tables.
    several: ClassVar[bool] = True

    def __init__(
        self,
        *,
        lang: str = DEFAULT_LANG,
        unmask: bool = False,
        actor: Actor | None = None,
        store: Store | None = None,
        policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
        progress: Progress | None = None,
    ) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGS)}")
        self.lang = lang
        self.unmask = unmask
        self.actor = actor
        self.store = store
        self.policy = policy
        self.progress = progress
        if unmask:
            _check_unmask(actor, store, policy)

    # -- the Exporter port

    def export(self, rows: Iterable[Any], path: str | os.PathLike[str]) -> None:
        """Write ``rows`` (a :class:`Table` or several) to ``path``; see :meth:`write`."""
        self.write(rows, path)

    def write(self, data: Table | Iterable[Table], path: str | os.PathLike[str]) -> ExportSummary:
        """Write the tables to ``path`` and say what was written.

        Masked by default. With ``unmask``, first the audit: in one unit of
        work of the store (as ``actor``, with its purpose), a ``read`` entry
        for every stored record whose ID or phone numbers the file shows,
        naming those fields; committed before anything is written. A cell
        whose row names no stored record stays masked.
        """
        tables = as_tables(data)
        if not self.several and len(tables) != 1:
            raise ValueError(
                f"a {self.name.upper()} file holds one table, not {len(tables)}: "
                "export each dataset to its own file, or use xlsx or json"
            )
        unmasked: list[list[set[str]] | None] = [None] * len(tables)
        audited = 0
        if self.unmask:
            unmasked, audited = self._audit(tables)
        target = Path(path)
        total = sum(len(t) for t in tables)
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if self.progress is not None:
                self.progress(done, total)

        if self.progress is not None:
            self.progress(0, total)
        cells = [_Cells(t, self.lang, u) for t, u in zip(tables, unmasked, strict=True)]
        _atomic_write(target, lambda fp: self._write(cells, fp, step))
        return ExportSummary(
            target, tuple((t.key, len(t)) for t in tables), not self.unmask, audited
        )

    def _write(self, cells: Sequence[_Cells], fp: IO[bytes], step: Progress | Any) -> None:
        raise NotImplementedError

    # -- unmasking

    def _audit(self, tables: Sequence[Table]) -> tuple[list[list[set[str]] | None], int]:
        """Which cells are shown in full, and the audit entries for them (committed)."""
        assert self.actor is not None  # checked in __init__
        assert self.store is not None
        actor = self.actor
        reads: dict[RecordRef, set[str]] = {}
        shown: list[list[set[str]] | None] = []
        for table in tables:
            sensitive = [(j, c) for j, c in enumerate(table.columns) if c.ref and c.mask != "none"]
            if table.refs is None or not sensitive:
                shown.append(None)
                continue
            per_row: list[set[str]] = []
            sep = "、" if self.lang == "zh" else "; "
            for row, refs in zip(table.rows, table.refs, strict=True):
                keys: set[str] = set()
                for j, col in sensitive:
                    ref = refs.get(col.ref or "")
                    field = col.field or (ref.field if ref is not None else None)
                    if ref is None or not field:
                        continue
                    value = _render(row[j], self.lang, sep, col.type == "label")
                    if not isinstance(value, str) or not value:
                        continue
                    if _MASKERS[col.mask](value) == value:
                        continue  # masking would not change it: nothing to unmask
                    if not actor.covers(ref.school_id):
                        raise FieldAccessDenied(
                            Message(
                                "EXPORT_OUTSIDE",
                                N_("School {school} lies outside the scope of {person}."),
                                {"school": ref.school_id, "person": actor.person_id},
                            ),
                            fields=(col.key,),
                        )
                    keys.add(col.key)
                    key = attrs.evolve(ref, field=None)
                    reads.setdefault(key, set()).add(field)
                per_row.append(keys)
            shown.append(per_row)
        audited = 0
        if reads:
            with self.store.unit_of_work(actor.label, purpose=actor.purpose, readonly=True) as uow:
                for ref, fields in reads.items():
                    with suppress(NotFound):  # a record no longer stored: nothing of it to show
                        uow.record_read(
                            ref.cls, ref.school_id, ref.id, fields=sorted(fields),
                            purpose=actor.purpose,
                        )  # fmt: skip
                        audited += 1
                uow.commit()
        return shown, audited


def _check_unmask(actor: Actor | None, store: Store | None, policy: AccessPolicy) -> None:
    if actor is None:
        raise ValueError("an unmasked export needs the actor who exports it (actor=...)")
    params = {
        "role": actor.role.value,
        "person": actor.person_id,
        "permission": Permission.EXPORT_UNMASKED.value,
    }
    if not policy.may(actor, Permission.EXPORT_UNMASKED):
        raise FieldAccessDenied(
            Message(
                "EXPORT_UNMASK_DENIED",
                N_(
                    "{role} {person} may not export ID or phone numbers in full: "
                    "that needs the permission {permission}."
                ),
                params,
            )
        )
    if not actor.purpose:
        raise FieldAccessDenied(
            Message(
                "EXPORT_UNMASK_NO_PURPOSE",
                N_("{role} {person} must record a purpose to export ID or phone numbers in full."),
                params,
            )
        )
    if store is None:
        raise ValueError("an unmasked export needs the store to record its audit entries (store=)")


def _atomic_write(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


_STEP: Final = 1000


class CsvExporter(TableExporter):
    """CSV: one table, UTF-8 with BOM by default, or ``encoding="gb18030"``."""

    name = "csv"
    suffix = ".csv"
    several = False

    def __init__(self, *, encoding: str = "utf-8-sig", **settings: Any) -> None:
        super().__init__(**settings)
        if encoding.lower().replace("_", "-") not in ENCODINGS:
            raise ValueError(f"encoding {encoding!r} is not one of: {', '.join(ENCODINGS)}")
        self.encoding = encoding.lower().replace("_", "-")

    def _write(self, cells: Sequence[_Cells], fp: IO[bytes], step: Any) -> None:
        [table] = cells
        yes, no = (catalogue(self.lang).gettext(t) for t in (_YES, _NO))
        text = io.TextIOWrapper(fp, encoding=self.encoding, newline="", write_through=False)
        writer = csv.writer(text)
        writer.writerow([neutralise(h) for h in table.table.headers(self.lang)])

        def other(v: Any) -> str:
            if v is None:
                return ""
            if v is True:
                return yes
            if v is False:
                return no
            if isinstance(v, dt.date):
                return v.isoformat()
            return str(v)

        batch: list[list[str]] = []
        for row in table.rows(neutralise, other):
            batch.append(row)
            if len(batch) == _STEP:
                writer.writerows(batch)
                step(len(batch))
                batch = []
        writer.writerows(batch)
        step(len(batch))
        text.flush()
        text.detach()


class JsonExporter(TableExporter):
    """JSON in the converter's shapes (masked, not formula-neutralised)."""

    name = "json"
    suffix = ".json"

    def __init__(self, *, indent: int | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self.indent = indent

    def _write(self, cells: Sequence[_Cells], fp: IO[bytes], step: Any) -> None:
        import json

        tables: list[dict[str, Any]] = []
        for c in cells:
            t = c.table
            keys = [col.key for col in t.columns]
            maskers = [_MASKERS[col.mask] for col in t.columns]
            rows: list[dict[str, Any]] = []
            for i, row in enumerate(t.rows):
                shown = c.unmasked[i] if c.unmasked is not None else ()
                rows.append(
                    {
                        k: (
                            unstructure(v)
                            if k in shown or v is None
                            else _mask_json(unstructure(v), m)
                        )
                        for k, v, m in zip(keys, row, maskers, strict=True)
                    }
                )
                if len(rows) % _STEP == 0:
                    step(_STEP)
            step(len(rows) % _STEP)
            tables.append(
                {
                    "key": t.key,
                    "title": catalogue(self.lang).gettext(t.title),
                    "columns": [
                        {"key": col.key, "header": h, "type": col.type}
                        for col, h in zip(t.columns, t.headers(self.lang), strict=True)
                    ],
                    "rows": rows,
                }
            )
        doc = {
            "format": "liushou-export",
            "version": 1,
            "lang": self.lang,
            "masked": not self.unmask,
            "tables": tables,
        }
        fp.write(json.dumps(doc, ensure_ascii=False, indent=self.indent).encode("utf-8"))
        fp.write(b"\n")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip("' ")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


_WIDTH_SAMPLE: Final = 500
_MAX_WIDTH: Final = 60


class XlsxExporter(TableExporter):
    """XLSX with openpyxl: one sheet per table, typed cells, frozen header, widths."""

    name = "xlsx"
    suffix = ".xlsx"

    def _write(self, cells: Sequence[_Cells], fp: IO[bytes], step: Any) -> None:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        try:
            self._sheets(wb, cells, step)
        except BaseException:
            for ws in wb.worksheets:  # end the sheets' row writers (their temporary files)
                with suppress(Exception):
                    ws.close()
            raise
        wb.save(fp)

    def _sheets(self, wb: Any, cells: Sequence[_Cells], step: Any) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        used: set[str] = set()
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDEBF7")
        centre = Alignment(vertical="center")
        for c in cells:
            t = c.table
            ws = wb.create_sheet(_sheet_title(catalogue(self.lang).gettext(t.title), used))
            headers = t.headers(self.lang)
            rendered = c.rows(_xlsx_value)
            # Widths from the header and the first rows (rows are rendered once, here).
            head: list[list[Any]] = []
            for row in rendered:
                head.append(row)
                if len(head) == _WIDTH_SAMPLE:
                    break
            for j, (col, h) in enumerate(zip(t.columns, headers, strict=True)):
                widest = max(
                    [_width(h) + 2]
                    + [_width(_xlsx_text(r[j])) for r in head if r[j] is not None]
                    + [12 if col.type == "date" else 4]
                )
                ws.column_dimensions[get_column_letter(j + 1)].width = min(widest + 2, _MAX_WIDTH)
            ws.freeze_panes = "A2"
            if t.columns:
                ws.auto_filter.ref = f"A1:{get_column_letter(len(t.columns))}1"
            header_cells = []
            for h in headers:
                cell = WriteOnlyCell(ws, value=_xlsx_value(h))
                cell.font = bold
                cell.fill = fill
                cell.alignment = centre
                header_cells.append(cell)
            ws.append(header_cells)
            amounts = [j for j, col in enumerate(t.columns) if col.type == "amount"]
            n = 0
            for out in _chain(head, rendered):
                for j in amounts:
                    if isinstance(out[j], int | Decimal | float) and not isinstance(out[j], bool):
                        cell = WriteOnlyCell(ws, value=out[j])
                        cell.number_format = "0.00"
                        out[j] = cell
                ws.append(out)
                n += 1
                if n % _STEP == 0:
                    step(_STEP)
            step(n % _STEP)
        if not cells:
            wb.create_sheet("Sheet")


def _chain(first: list[list[Any]], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield from first
    yield from rest


def _xlsx_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        if _XML_ILLEGAL.search(value):
            value = _XML_ILLEGAL.sub("", value)
        if not value:
            return None
        if value[0] in TRIGGERS:  # before the line breaks: a leading CR is a trigger
            value = "'" + value
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value
    return value


# --------------------------------------------------------------------------- plugins


class _Plugin:
    """One exporter as a plugin: ``csv``, ``json``, ``xlsx`` are entry points of ``liushou``."""

    def __init__(self, spec: ExporterSpec) -> None:
        self.spec = spec

    @hookimpl
    def liushou_exporters(self) -> list[ExporterSpec]:
        return [self.spec]


csv_plugin: Final = _Plugin(
    ExporterSpec("csv", ".csv", CsvExporter, "a table as CSV (UTF-8 with BOM, or GB18030), masked")
)
json_plugin: Final = _Plugin(
    ExporterSpec("json", ".json", JsonExporter, "tables as JSON in the converter's shapes, masked")
)
xlsx_plugin: Final = _Plugin(
    ExporterSpec(
        "xlsx",
        ".xlsx",
        XlsxExporter,
        "tables as an Excel workbook, one sheet each, masked",
        requires=("openpyxl",),
    )
)


if TYPE_CHECKING:  # the exporters satisfy the port (checked by mypy)

    def _conforms(csv_: CsvExporter, json_: JsonExporter, xlsx: XlsxExporter) -> list[Exporter]:
        return [csv_, json_, xlsx]
