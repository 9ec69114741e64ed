"""Write figures as CSV (UTF-8 with BOM, so Excel shows Vietnamese) or XLSX.

Text cells go through the one spreadsheet-formula rule (``questionnaires.cells``), so a note
such as ``=1+1`` typed by a department is never run by a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from questionnaires.cells import csv_cell

__all__ = ["to_csv", "to_xlsx"]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_cell(value)
    return value


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """A CSV file: UTF-8 with a byte-order mark, one header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per (name, header, rows); numbers stay numbers."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    for name, header, rows in sheets:
        sheet = book.add_worksheet(name[:31])
        sheet.write_row(0, 0, list(header), bold)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(r, c, value)
                elif value is None:
                    sheet.write_blank(r, c, None)
                else:
                    sheet.write_string(r, c, str(value))
        sheet.set_column(0, max(len(header) - 1, 0), 16)
    book.close()
    return buffer.getvalue()
