"""Spreadsheet safety of text cells: the one rule every CSV and Excel writer applies.

A text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula: an answer such as ``=HYPERLINK("http://…")`` would become a
live link, or run a command through DDE, when a data user opens the file. CSV gets OWASP's
neutralisation (a leading apostrophe); Excel files keep the text exactly but store it as a text
cell, never as a formula.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number written as text ("-0.5", "+3e2") is data, not a formula: left as it is.
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def formula_like(value: Any) -> bool:
    """True for a text a spreadsheet would read as a formula (a plain signed number is not)."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and PLAIN_NUMBER.fullmatch(value) is None
    )


def csv_cell(value: Any) -> Any:
    """The value to write into a CSV cell: formula-like text gets a leading apostrophe."""
    return "'" + value if formula_like(value) else value


def text_cells_only(workbook: Any) -> Any:
    """Make every formula cell of an openpyxl workbook a text cell holding the same text.

    For workbooks whose cells are all data (reports, exports); returns the workbook.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or formula_like(cell.value):
                    cell.data_type = "s"
    return workbook


def excel_text(cell: Any) -> Any:
    """Make one openpyxl cell (also a write-only cell) hold text as text, never a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell
