"""Write report tables to an Excel workbook: one formatted sheet per table (xlsxwriter).

Each sheet carries the table number and title, a two-row header (column group, then column),
frozen below the header, the rows with their block headings, then the notes and the source
line. Numbers are stored as numbers (a CI as two numeric cells, low and high) with a display
format; a figure in parentheses keeps its number and gets a ``(0.0)`` format; a suppressed
figure is the text ``*``. The first sheet lists the tables (the contents), after the front
pages when there are any. Links to another table are internal hyperlinks to its cell A1.

xlsxwriter writes each row to disk as soon as the next one starts (``constant_memory``): on a
million persons' report, openpyxl's cell objects and its serialiser were a quarter of the run.
Text is always written as a text cell, never as a formula (:mod:`questionnaires.cells`).
"""

from __future__ import annotations

import math
import numbers
import re
from pathlib import Path
from typing import Any, cast

import xlsxwriter

from analysis.tables import GPI_FLAG, PARENTHESES, SUPPRESSED, TableResult

__all__ = ["write_xlsx"]

_FORMATS = {
    "pct": "0.0",
    "mean": "0.0",
    "points": "0.0",
    "number": "0.0",
    "ci": "0.0",
    "ci2_low": "0.00",
    "ci2_high": "0.00",
    "mean2": "0.00",
    "gpi": "0.00",
    "p": "0.000",
    "n": "#,##0",
    "int": "#,##0",
}
_CONTENTS = {"vi": "Mục lục", "en": "Contents"}
_LOW_HIGH = {"vi": ("cận dưới", "cận trên"), "en": ("low", "high")}
_HEADER_FILL = "#DDE6F0"
_BLOCK_FILL = "#F2F2F2"
_THIN = "#999999"
_LINK = "#1F4E9A"
#: Fills of a target's status (table M1 and the plan at a glance), as in the PDF.
_STATUS_FILLS = {
    f"status_{name}": f"#{colour}"
    for name, colour in (
        ("achieved", "C6EFCE"),
        ("on_track", "DDEBF7"),
        ("off_track", "F4CCCC"),
        ("cannot_tell", "EDEDED"),
    )
}


class _Formats:
    """One xlsxwriter format per distinct set of properties (a workbook holds few)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.made: dict[tuple[tuple[str, Any], ...], Any] = {}
        #: Value cells' formats by flag, column kind and content (:func:`_cell_format`).
        self.cells: dict[tuple[str | None, str, str], Any] = {}

    def get(self, **properties: Any) -> Any:
        if not properties:
            return None
        key = tuple(sorted(properties.items()))
        if key not in self.made:
            props = dict(properties)
            if "bg_color" in props:
                props["pattern"] = 1
            self.made[key] = self.book.add_format(props)
        return self.made[key]


def _sheet_name(table_id: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", table_id)[:31]
    base, i = name, 1
    while name in used:
        i += 1
        name = f"{base[:28]}_{i}"
    used.add(name)
    return name


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN, or an infinite GPI (no men in the numerator): an empty cell
    return cast(float, value)


def write_xlsx(
    tables: list[TableResult],
    path: str | Path,
    title: str,
    lang: str = "vi",
    notes: list[str] | None = None,
) -> Path:
    """Write the workbook and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    formats = _Formats(book)
    contents_name = _CONTENTS["vi" if lang == "vi" else "en"][:31]
    used = {contents_name}
    names = {table.id: _sheet_name(table.id, used) for table in tables}
    # The front pages open the workbook, before the contents.
    front = sum(1 for table in tables if table.extra.get("front"))
    for table in tables[:front]:
        _write_sheet(book.add_worksheet(names[table.id]), table, lang, formats, names)
    contents = book.add_worksheet(contents_name)
    contents.write_string(0, 0, title, formats.get(bold=True, font_size=12))
    for i, note in enumerate(notes or [], start=1):
        contents.write_string(i, 0, note)
    start = 2 + len(notes or [])
    for i, table in enumerate(tables):
        contents.write_url(start + i, 0, f"internal:'{names[table.id]}'!A1", string=table.id)
        contents.write_string(start + i, 1, table.title)
    contents.set_column(0, 0, 14)
    contents.set_column(1, 1, 110)
    for table in tables[front:]:
        _write_sheet(book.add_worksheet(names[table.id]), table, lang, formats, names)
    book.worksheets()[0].activate()
    book.close()
    return path


def _write_sheet(
    sheet: Any,
    table: TableResult,
    lang: str,
    formats: _Formats,
    names: dict[str, str] | None = None,
) -> None:
    """One table's sheet, written row by row from the top (constant-memory mode)."""
    low, high = _LOW_HIGH["vi" if lang == "vi" else "en"]
    sheet.write_string(0, 0, f"{table.id}. {table.title}", formats.get(bold=True, font_size=12))
    # Expand CI columns into two numeric cells.
    layout: list[tuple[str, str, str, str | None]] = []  # key, header, kind/part, group
    for column in table.columns:
        if column.kind in ("ci", "ci2"):
            layout.append(
                (column.key, f"{column.header} ({low})", f"{column.kind}_low", column.group)
            )
            layout.append(
                (column.key, f"{column.header} ({high})", f"{column.kind}_high", column.group)
            )
        else:
            layout.append((column.key, column.header, column.kind, column.group))
    header_row = 2  # zero-based: the header is on rows 3 and 4
    header_format = formats.get(
        bold=True,
        bg_color=_HEADER_FILL,
        align="center",
        valign="vcenter",
        text_wrap=True,
        bottom=1,
        bottom_color=_THIN,
    )
    corner = formats.get(bg_color=_HEADER_FILL)
    for r, texts in ((header_row, [g or "" for *_, g in layout]), (header_row + 1, None)):
        sheet.write_blank(r, 0, None, corner)
        for j, (_, header, _, group) in enumerate(layout, start=1):
            value = (group or "") if texts is not None else header
            sheet.write_string(r, j, value, header_format)
    r = header_row + 2
    block = None
    block_label = formats.get(bold=True, bg_color=_BLOCK_FILL)
    block_fill = formats.get(bg_color=_BLOCK_FILL)
    wrap = formats.get(text_wrap=True)
    link_format = formats.get(text_wrap=True, font_color=_LINK, underline=1)
    for row in table.rows:
        if row.block and row.block != block:
            block = row.block
            sheet.write_string(r, 0, block, block_label)
            for j in range(1, len(layout) + 1):
                sheet.write_blank(r, j, None, block_fill)
            r += 1
        elif not row.block and block is not None:
            block = None
        label = ("   " if row.block else "") + row.label
        link = row.values.get("_link")
        if link and names and link in names:
            sheet.write_url(r, 0, f"internal:'{names[link]}'!A1", link_format, string=label)
        else:
            sheet.write_string(r, 0, label, wrap)
        for j, (key, _, kind, _) in enumerate(layout, start=1):
            _write_value(sheet, r, j, row.values.get(key), row.flags.get(key), kind, formats)
        r += 1
    r += 1
    for note in table.notes:
        sheet.write_string(r, 0, note)
        r += 1
    if table.source:
        sheet.write_string(r, 0, table.source, formats.get(italic=True))
    sheet.freeze_panes(header_row + 2, 1)
    sheet.set_column(0, 0, 42)
    for j, (_, header, kind, _) in enumerate(layout, start=1):
        width = 40 if kind == "text" else max(9, min(16, len(header) + 2))
        sheet.set_column(j, j, width)


def _write_value(
    sheet: Any, r: int, j: int, value: Any, flag: str | None, kind: str, formats: _Formats
) -> None:
    """One value cell: a number with its display format, a text, or ``*`` when suppressed."""
    if flag == SUPPRESSED:
        sheet.write_string(r, j, "*", _cell_format(formats, flag, kind, "star"))
        return
    if kind in ("ci_low", "ci_high", "ci2_low", "ci2_high"):
        value = None if value is None else value[0 if kind.endswith("_low") else 1]
    value = _number(value)
    if isinstance(value, str) or kind == "text":
        style = _cell_format(formats, flag, kind, "text")
        if value is None:
            sheet.write_blank(r, j, None, style)
        elif isinstance(value, str):
            sheet.write_string(r, j, value, style)
        else:
            _write_number(sheet, r, j, value, style)
        return
    if value is None:
        if flag in _STATUS_FILLS:
            sheet.write_blank(r, j, None, _cell_format(formats, flag, kind, "blank"))
        return
    _write_number(sheet, r, j, value, _cell_format(formats, flag, kind, "number"))


def _cell_format(formats: _Formats, flag: str | None, kind: str, what: str) -> Any:
    """The format of a value cell by its flag, column kind and content (``star``, ``text``,
    ``blank``, ``number``), looked up once per combination: a sheet of every commune's
    figures has millions of cells but a handful of formats."""
    key = (flag, kind, what)
    made = formats.cells.get(key)
    if made is not None:
        return made
    fill = {"bg_color": _STATUS_FILLS[flag]} if flag in _STATUS_FILLS else {}
    if what == "star":
        made = formats.get(align="right", **fill)
    elif what == "text":
        made = formats.get(text_wrap=True, valign="top", **fill)
    elif what == "blank":
        made = formats.get(**fill)
    else:
        fmt = _FORMATS.get("ci" if kind in ("ci_low", "ci_high") else kind, "General")
        if flag == PARENTHESES:
            fmt = f'"("{fmt}")"'
        elif flag == GPI_FLAG:
            fmt = f'{fmt}" †"'
        made = formats.get(num_format=fmt, **fill)
    formats.cells[key] = made
    return made


def _write_number(sheet: Any, r: int, j: int, value: Any, style: Any) -> None:
    if isinstance(value, bool):
        sheet.write_boolean(r, j, value, style)
    elif isinstance(value, numbers.Real):
        sheet.write_number(r, j, float(value), style)
    else:
        sheet.write_string(r, j, str(value), style)
