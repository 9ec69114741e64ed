"""``analyze report`` writes the data's survey round into every output, and refuses a --round
that contradicts the data folder's round.json."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from analysis.report_cli import report_round
from analysis.synthetic.run import simulate
from questionnaires.rounds import RoundError, RoundInfo, read_round, write_round
from survey_app.cli import cli

MIDTERM = RoundInfo(
    "2018",
    "Giữa kỳ 2018",
    "Mid-term 2018",
    2018,
    "mid-term",
    date(2018, 9, 3),
    date(2018, 11, 30),
)
NOTE = (
    "Survey round: Mid-term 2018 (code 2018; mid-term; reference year 2018; "
    "fieldwork 2018-09-03 – 2018-11-30)."
)


def _rows(path: Path, skip: int = 0) -> list[dict[str, str]]:
    """The table of a report CSV after ``skip`` title lines (the one-cell notes left out)."""
    lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))[skip:]
    header = lines[0]
    return [dict(zip(header, row, strict=True)) for row in lines[1:] if len(row) == len(header)]


def test_report_carries_the_round_of_its_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    simulate(220, 7, data)
    write_round(data, MIDTERM)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["analyze", "report", str(data), "--out", str(out), "--lang", "en",
         "--small-areas", "I1.1", "--round", "2018"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_round(out) == MIDTERM
    packs = [p for p in (out / "departments").iterdir() if p.is_dir()]
    assert packs and all(read_round(p) == MIDTERM for p in packs)
    # Workbooks and PDFs, the main report's and every pack's: the round in the title and notes.
    books = [out / "report_en.xlsx", *(p / f"{p.name}_en.xlsx" for p in packs)]
    for path in books:
        contents = load_workbook(path, read_only=True)["Contents"]
        column = [str(row[0]) for row in contents.iter_rows(values_only=True) if row]
        assert "· Mid-term 2018 (2018)" in column[0], path
        assert NOTE in column, path
    for path in [out / "report_en.pdf", *(p / f"{p.name}_en.pdf" for p in packs)]:
        reader = PdfReader(path)
        assert "Mid-term 2018 (2018)" in reader.metadata.title, path
        pages = (" ".join(page.extract_text().split()) for page in reader.pages)
        assert any("Survey round: Mid-term 2018 (code 2018" in page for page in pages), path
    # Every CSV: a round column holding the round's code on every row.
    table_csvs = [*(out / "csv").glob("*.csv"), *(out / "departments").glob("*/csv/*.csv")]
    assert len(table_csvs) > len(packs)
    for path in table_csvs:
        assert "· Mid-term 2018 (2018)" in path.read_text(encoding="utf-8-sig").splitlines()[0]
        rows = _rows(path, skip=1)
        assert rows and all(row["round"] == "2018" for row in rows), path
    for name in ("estimates.csv", "small_areas.csv"):
        rows = _rows(out / name)
        assert rows and next(iter(rows[0])) == "round"
        assert {row["round"] for row in rows} == {"2018"}, name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["round"]["code"] == "2018"
    assert manifest["notes"][0] == NOTE


def test_round_option_is_checked_against_the_folder(tmp_path: Path) -> None:
    write_round(tmp_path, MIDTERM)
    assert report_round(tmp_path, None) == MIDTERM == report_round(tmp_path, "2018")
    with pytest.raises(RoundError, match="round '2018', not '2020'") as caught:
        report_round(tmp_path, "2020")
    assert "không phải '2020'" in caught.value.message_vi
    bare = tmp_path / "bare"
    bare.mkdir()
    assert report_round(bare, None) is None
    assert report_round(bare, "2020-final").reference_year == 2020
    with pytest.raises(RoundError, match="does not start with a year"):
        report_round(bare, "final")
