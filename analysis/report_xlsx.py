"""Write report tables to an Excel workbook: one formatted sheet per table (openpyxl).

Each sheet carries the table number and title, a two-row header (column group, then column),
frozen below the header, the rows with their block headings, then the notes and the source
line. Numbers are stored as numbers (a CI as two numeric cells, low and high) with a display
format; a figure in parentheses keeps its number and gets a ``(0.0)`` format; a suppressed
figure is the text ``*``. The first sheet lists the tables (the contents).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from analysis.tables import GPI_FLAG, PARENTHESES, SUPPRESSED, TableResult
from questionnaires.cells import text_cells_only

__all__ = ["write_xlsx"]

_FORMATS = {
    "pct": "0.0",
    "mean": "0.0",
    "points": "0.0",
    "number": "0.0",
    "ci": "0.0",
    "mean2": "0.00",
    "gpi": "0.00",
    "p": "0.000",
    "n": "#,##0",
    "int": "#,##0",
}
_CONTENTS = {"vi": "Mục lục", "en": "Contents"}
_LOW_HIGH = {"vi": ("cận dưới", "cận trên"), "en": ("low", "high")}
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=12)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_BLOCK_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="999999")
_LINK = Font(color="1F4E9A", underline="single")
#: Fills of a target's status (table M1 and the plan at a glance), as in the PDF.
_STATUS_FILLS = {
    f"status_{name}": PatternFill("solid", fgColor=colour)
    for name, colour in (
        ("achieved", "C6EFCE"),
        ("on_track", "DDEBF7"),
        ("off_track", "F4CCCC"),
        ("cannot_tell", "EDEDED"),
    )
}


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
    book = Workbook()
    contents = book.active
    contents.title = _CONTENTS["vi" if lang == "vi" else "en"][:31]
    contents["A1"] = title
    contents["A1"].font = _TITLE
    for i, note in enumerate(notes or [], start=2):
        contents.cell(row=i, column=1, value=note)
    start = 3 + len(notes or [])
    used = {contents.title}
    names = {table.id: _sheet_name(table.id, used) for table in tables}
    for i, table in enumerate(tables):
        name = names[table.id]
        row = start + i
        cell = contents.cell(row=row, column=1, value=table.id)
        cell.hyperlink = f"#'{name}'!A1"
        contents.cell(row=row, column=2, value=table.title)
        _write_sheet(book.create_sheet(name), table, lang, names)
    front = sum(1 for table in tables if table.extra.get("front"))
    if front:  # the front pages open the workbook, before the contents
        book.move_sheet(contents, offset=front)
        book.active = 0
    contents.column_dimensions["A"].width = 14
    contents.column_dimensions["B"].width = 110
    path.parent.mkdir(parents=True, exist_ok=True)
    text_cells_only(book).save(path)
    return path


def _write_sheet(
    sheet: Any, table: TableResult, lang: str, names: dict[str, str] | None = None
) -> None:
    low, high = _LOW_HIGH["vi" if lang == "vi" else "en"]
    sheet["A1"] = f"{table.id}. {table.title}"
    sheet["A1"].font = _TITLE
    # Expand CI columns into two numeric cells.
    layout: list[tuple[str, str, str, str | None]] = []  # key, header, kind/part, group
    for column in table.columns:
        if column.kind == "ci":
            layout.append((column.key, f"{column.header} ({low})", "ci_low", column.group))
            layout.append((column.key, f"{column.header} ({high})", "ci_high", column.group))
        else:
            layout.append((column.key, column.header, column.kind, column.group))
    header_row = 3
    sheet.cell(row=header_row + 1, column=1, value="")
    for j, (_, header, _, group) in enumerate(layout, start=2):
        top = sheet.cell(row=header_row, column=j, value=group or "")
        bottom = sheet.cell(row=header_row + 1, column=j, value=header)
        for c in (top, bottom):
            c.font = _BOLD
            c.fill = _HEADER_FILL
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.border = Border(bottom=_THIN)
    sheet.cell(row=header_row, column=1).fill = _HEADER_FILL
    sheet.cell(row=header_row + 1, column=1).fill = _HEADER_FILL
    r = header_row + 2
    block = None
    for row in table.rows:
        if row.block and row.block != block:
            block = row.block
            c = sheet.cell(row=r, column=1, value=block)
            c.font = _BOLD
            for j in range(1, len(layout) + 2):
                sheet.cell(row=r, column=j).fill = _BLOCK_FILL
            r += 1
        elif not row.block and block is not None:
            block = None
        label = sheet.cell(row=r, column=1, value=("   " if row.block else "") + row.label)
        label.alignment = Alignment(wrap_text=True)
        link = row.values.get("_link")
        if link and names and link in names:
            label.hyperlink = f"#'{names[link]}'!A1"
            label.font = _LINK
        for j, (key, _, kind, _) in enumerate(layout, start=2):
            value = row.values.get(key)
            flag = row.flags.get(key)
            cell = sheet.cell(row=r, column=j)
            if flag in _STATUS_FILLS:
                cell.fill = _STATUS_FILLS[flag]
            if flag == SUPPRESSED:
                cell.value = "*"
                cell.alignment = Alignment(horizontal="right")
                continue
            base_kind = "ci" if kind in ("ci_low", "ci_high") else kind
            if kind in ("ci_low", "ci_high"):
                value = None if value is None else value[0 if kind == "ci_low" else 1]
            value = _number(value)
            if isinstance(value, str) or base_kind == "text":
                cell.value = value
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                continue
            cell.value = value
            if value is None:
                continue
            fmt = _FORMATS.get(base_kind, "General")
            if flag == PARENTHESES:
                fmt = f'"("{fmt}")"'
            elif flag == GPI_FLAG:
                fmt = f'{fmt}" †"'
            cell.number_format = fmt
        r += 1
    r += 1
    for note in table.notes:
        sheet.cell(row=r, column=1, value=note).alignment = Alignment(wrap_text=False)
        r += 1
    if table.source:
        sheet.cell(row=r, column=1, value=table.source).font = Font(italic=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 2, column=2)
    sheet.column_dimensions["A"].width = 42
    for j, (_, header, kind, _) in enumerate(layout, start=2):
        width = 40 if kind == "text" else max(9, min(16, len(header) + 2))
        sheet.column_dimensions[get_column_letter(j)].width = width
