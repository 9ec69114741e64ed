"""``analyze report`` writes the data's survey round into every output, and refuses a --round
that contradicts the data folder's round.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from analysis.report_cli import report_round
from analysis.synthetic.run import simulate
from questionnaires.rounds import RoundError, RoundInfo, read_round, write_round
from survey_app.cli import cli

MIDTERM = RoundInfo("2018", "Giữa kỳ 2018", "Mid-term 2018", 2018, "mid-term")


def test_report_carries_the_round_of_its_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    simulate(220, 7, data)
    write_round(data, MIDTERM)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["analyze", "report", str(data), "--out", str(out), "--lang", "en", "--no-pdf",
         "--no-small-areas", "--round", "2018"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_round(out) == MIDTERM
    book = load_workbook(out / "report_en.xlsx", read_only=True)
    titles = [str(next(sheet.iter_rows(values_only=True))[0]) for sheet in book.worksheets]
    assert any(title.endswith("· Mid-term 2018 (2018)") for title in titles)  # the contents
    csvs = sorted((out / "csv").glob("*.csv"))
    assert csvs and all(
        "· Mid-term 2018 (2018)" in path.read_text(encoding="utf-8-sig").splitlines()[0]
        for path in csvs
    )
    packs = [p for p in (out / "departments").iterdir() if p.is_dir()]
    assert packs and all(read_round(p) == MIDTERM for p in packs)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["round"]["code"] == "2018"


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
