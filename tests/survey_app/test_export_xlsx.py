"""The Excel writer streams rows and starts a new sheet at the row limit (lowered here to 3, so
the split is tested on a few rows instead of a million)."""

from __future__ import annotations

import openpyxl
import pyarrow as pa
import pytest

from questionnaires.model import Label
from questionnaires.tidy import Column, UnitTable
from survey_app.export import writers
from survey_app.export.columns import arrow_schema

TABLE = UnitTable(
    "member",
    "member",
    "member",
    (),
    (
        Column("line", "int", Label("Dòng", "Line")),
        Column("name", "str", Label("Tên", "Name")),
    ),
)


@pytest.fixture
def workbook(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(writers, "EXCEL_MAX_ROWS", 3)
    path = tmp_path / "member.xlsx"
    writer = writers.open_writer("xlsx", path, TABLE, "en")
    schema = arrow_schema(TABLE)
    for start in (1, 6):  # two batches: 5 rows, then 3 rows
        lines = list(range(start, 6 if start == 1 else 9))
        names = ["=HYPERLINK(1)" if line == 4 else f"P{line}" for line in lines]
        writer.write(pa.Table.from_pydict({"line": lines, "name": names}, schema=schema))
    writer.close()
    return openpyxl.load_workbook(path, read_only=True)


def test_rows_past_the_limit_go_to_numbered_sheets_in_order(workbook) -> None:  # noqa: ANN001
    assert workbook.sheetnames == ["member", "member (2)", "member (3)", "labels"]
    rows = []
    for name in workbook.sheetnames[:3]:
        sheet = list(workbook[name].iter_rows(values_only=True))
        assert sheet[0] == ("line", "name")  # every sheet repeats the header
        assert 1 <= len(sheet) - 1 <= 3
        rows.extend(sheet[1:])
    assert [line for line, _name in rows] == list(range(1, 9))
    # Text stays the text typed, never a formula.
    assert rows[3] == (4, "=HYPERLINK(1)")


def test_labels_sheet_follows_the_data_sheets(workbook) -> None:  # noqa: ANN001
    labels = list(workbook["labels"].iter_rows(values_only=True))
    assert labels[0] == ("column", "question_id", "label", "values")
    assert [row[0] for row in labels[1:]] == ["line", "name"]
