"""Several simulated rounds: independent samples, round.json, the documented changes on file,
and household weights calibrated to the frame like the persons' weights."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.synthetic.frame import household_totals
from analysis.synthetic.rounds import CHANGES, FLAT, parse_years, round_dict
from analysis.synthetic.run import Simulator
from analysis.synthetic.weights import calibrate_households
from questionnaires.errors import GesurveyError
from questionnaires.rounds import read_round
from survey_app.cli import cli


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rounds") / "out"
    result = CliRunner().invoke(
        cli, ["simulate", "--rounds", "2017,2018,2020", "--households", "200", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_one_folder_per_round_with_its_round_json(rounds: Path) -> None:
    kinds = {}
    for year in ("2017", "2018", "2020"):
        info = json.loads((rounds / year / "round.json").read_text(encoding="utf-8"))
        assert info["code"] == year and info["reference_year"] == int(year)
        assert info["label"]["vi"] and info["label"]["en"]
        kinds[year] = info["kind"]
        assert (rounds / year / "household.parquet").is_file()
    assert kinds == {"2017": "baseline", "2018": "mid-term", "2020": "final"}


def test_each_round_has_field_dates_its_interviews_fall_in(rounds: Path) -> None:
    """Fieldwork of 60 days from 1 October of the round's year: round.json says so, every
    interview date of every form lies in it, the commune form's reference year is the round's."""
    for year in (2017, 2018, 2020):
        folder = rounds / str(year)
        info = read_round(folder)
        assert (info.field_start, info.field_end) == (date(year, 10, 1), date(year, 11, 29))
        for table in ("household", "women", "commune", "district"):
            dates = pd.to_datetime(pd.read_parquet(folder / f"{table}.parquet")["interview_date"])
            assert dates.notna().all(), table
            assert dates.min().date() >= info.field_start, table
            assert dates.max().date() <= info.field_end, table
        person = pd.read_parquet(folder / "individual.parquet")
        days = pd.to_datetime(
            pd.DataFrame(
                {
                    "year": person["interview_year"],
                    "month": person["interview_month"],
                    "day": person["interview_day"],
                }
            )
        )
        assert days.dt.date.between(info.field_start, info.field_end).all()
        communes = pd.read_parquet(folder / "commune.parquet")
        assert set(communes["COM_YEAR"]) == {year}


def test_rounds_are_independent_samples_of_the_same_frame(rounds: Path) -> None:
    villages = [
        set(pd.read_parquet(rounds / y / "household.parquet")["psu"]) for y in ("2017", "2018")
    ]
    assert villages[0] != villages[1]  # each round draws its own villages
    frame_households = household_totals(Simulator(200, 1).frame)["total"].sum()
    for year in ("2017", "2018", "2020"):
        weights = pd.read_parquet(rounds / year / "household.parquet")["weight_final"]
        assert weights.sum() == pytest.approx(frame_households, rel=1e-9)


def test_the_truth_file_lists_every_documented_change(rounds: Path) -> None:
    truth = json.loads((rounds / "changes_truth.json").read_text(encoding="utf-8"))
    assert truth["rounds"] == ["2017", "2018", "2020"]
    assert [c["indicator"] for c in truth["changes"]] == [c.indicator for c in CHANGES]
    meanings = {c["indicator"]: c["meaning"] for c in truth["changes"]}
    assert list(meanings.values()).count("worsens") == 1
    assert list(meanings.values()).count("improves") >= 2
    assert truth["flat"] == [FLAT] and FLAT not in meanings
    pairs = [(p["from"], p["to"]) for p in truth["changes"][0]["pairs"]]
    assert pairs == [("2017", "2018"), ("2018", "2020"), ("2017", "2020")]
    assert "I6.1" in (rounds / "README.md").read_text(encoding="utf-8")


def test_a_change_moves_the_answers_by_the_documented_rate() -> None:
    base = Simulator(2000, 4, step=0).interviews(0)
    later = Simulator(2000, 4, step=2).interviews(0)  # same people, two steps of change

    def answers(batch: object, form: str, qid: str) -> np.ndarray:
        _, levels = batch.forms[form]  # type: ignore[attr-defined]
        return np.asarray(levels[None].columns[qid], float)

    before, after = answers(base, "individual", "D6_03"), answers(later, "individual", "D6_03")
    # yes → no with rate 0.5 per step: a quarter of the "yes" remain after two steps.
    assert (after == 1).sum() / (before == 1).sum() == pytest.approx(0.25, abs=0.06)
    unchanged = answers(base, "individual", "D1_01"), answers(later, "individual", "D1_01")
    assert np.nanmean(unchanged[0]) == pytest.approx(np.nanmean(unchanged[1]), abs=0.05)


def test_household_calibration_meets_the_cells_and_keeps_nonrespondents_at_zero() -> None:
    sample = pd.DataFrame(
        {
            "district": [1, 1, 1, 2, 2, 2],
            "residence": [1, 2, 2, 1, 2, 2],
            "responded": [1, 1, 1, 1, 1, 0],
        }
    )
    totals = pd.DataFrame(
        {"district": [1, 1, 2, 2], "residence": [1, 2, 1, 2], "total": [10.0, 40.0, 20.0, 30.0]}
    )
    final = calibrate_households(np.array([2.0, 3.0, 5.0, 4.0, 6.0, 7.0]), sample, totals)
    # one respondent per cell except (1, 2) with two, shared 3:5 → 15 and 25
    assert final == pytest.approx([10.0, 15.0, 25.0, 20.0, 30.0, 0.0])


def test_bad_rounds_are_refused_in_both_languages(tmp_path: Path) -> None:
    for text in ("2018", "2018,2017", "20x8,2020"):
        with pytest.raises(GesurveyError):
            parse_years(text)
    result = CliRunner().invoke(
        cli, ["simulate", "--rounds", "2020,2018", "--households", "40", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "increasing" in result.output and "tăng" in result.output
    assert round_dict(2020, 2, 3)["kind"] == "final"


def test_a_panel_of_rounds_keeps_the_baselines_villages(tmp_path: Path) -> None:
    out = tmp_path / "panel"
    args = ["simulate", "--rounds", "2017,2018", "--households", "100", "--panel"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    psus = [set(pd.read_parquet(out / y / "sample.parquet")["psu"]) for y in ("2017", "2018")]
    assert psus[0] == psus[1]
    households = [pd.read_parquet(out / y / "household.parquet") for y in ("2017", "2018")]
    assert (
        not households[0]["HH06"]
        .reset_index(drop=True)
        .equals(households[1]["HH06"].reset_index(drop=True))
    )  # fresh households and answers
    assert json.loads((out / "changes_truth.json").read_text(encoding="utf-8"))["panel"] is True
    refused = CliRunner().invoke(
        cli, ["simulate", "--households", "40", "--panel", "--out", str(tmp_path / "x")]
    )
    assert refused.exit_code == 2 and "--rounds" in refused.output
