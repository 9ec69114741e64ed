"""Support-need points and ranks, and the household columns derived from the roster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.indicators import indicator_values, read_data_dir
from analysis.support_needs import need_matrix, priority_points, rank_needs
from questionnaires import load_bundled
from questionnaires.plans import bundled_plan_path, load_plan


def test_priority_points_are_3_2_1_and_rank_by_mean_points():
    codes = [1, 2, 3]
    first = np.array([1, 2, 1, np.nan])
    second = np.array([2, 1, 3, np.nan])
    third = np.array([3, np.nan, 2, np.nan])
    points, priority_one = priority_points([first, second, third], codes)
    assert points.tolist() == [[3, 2, 1], [2, 3, 0], [3, 1, 2], [0, 0, 0]]
    assert priority_one[:, 0].tolist() == [1, 0, 1, 0]
    mean_points = points.mean(axis=0)  # 2.0, 1.5, 0.75
    assert rank_needs(mean_points).tolist() == [1, 2, 3]
    assert rank_needs(np.array([1.0, 2.0, 2.0])).tolist() == [3, 1, 1]  # ties share a rank


def test_need_matrix_reads_space_separated_codes():
    matrix = need_matrix(pd.Series(["1 3", "17", None, "2"]), [1, 2, 3])
    assert matrix[0].tolist() == [1, 0, 1]
    assert matrix[1].tolist() == [0, 0, 0]  # "none": answered, no need chosen
    assert np.isnan(matrix[2]).all()
    assert matrix[3].tolist() == [0, 1, 0]


@pytest.fixture
def small_survey(tmp_path):
    design = {"stratum": 1, "psu": [1, 1, 2, 2], "weight_final": [1.0, 1.0, 3.0, 1.0]}
    household = pd.DataFrame(
        {
            "hh_id": [1, 2, 3, 4],
            "residence": [2, 2, 2, 1],
            "HH08": [1, 3, 2, 3],
            "D2_01": [1, 1, 0, 1],
            "D2_02": ["2", "1 2", None, "1"],
            "D2_03": [1, 1, 1, 0],
            "D2_04": ["1", "5", "1 2", None],
            **design,
        }
    )
    member = pd.DataFrame(
        {
            "hh_id": [1, 1, 2, 2, 3, 4],
            "line": [1, 2, 1, 2, 1, 1],
            "M02": [1, 2, 1, 2, 1, 1],
            "M03": [1, 2, 2, 1, 2, 1],
            "M04": [40, 38, 50, 52, 33, 60],
            "M05": [2, 2, 7, 7, 1, 2],
        }
    )
    household.to_csv(tmp_path / "household.csv", index=False)
    member.to_csv(tmp_path / "member.csv", index=False)
    return tmp_path


def test_household_columns_derived_from_the_roster(small_survey):
    forms = load_bundled()
    plan = load_plan(bundled_plan_path(), forms)
    data = read_data_dir(small_survey, plan, forms)
    household = data.frames["household"]
    assert household["head_sex"].tolist() == [1, 2, 2, 1]
    assert household["head_ethnicity"].tolist() == [2, 7, 1, 2]
    # owners: hh1 line 2 (woman), hh2 lines 1 (woman) and 2 (man), hh3 no business, hh4 a man
    assert household["owner_female"].iloc[[0, 1, 3]].tolist() == [1.0, 1.0, 0.0]
    assert np.isnan(household["owner_female"].iloc[2])
    # the member table gets the design and the household's poverty status
    assert data.frames["member"]["HH08"].tolist() == [1, 1, 3, 3, 2, 3]
    assert data.frames["member"]["weight_final"].tolist() == [1, 1, 1, 1, 3, 1]
    # I2.2: rural female heads who needed credit (hh 2, 3) and got an NHCSXH loan (hh 3 only)
    sid, values, _ = indicator_values(data, plan, "I2.2")
    assert sid == "household"
    assert values[[1, 2]].tolist() == [0.0, 1.0]
    assert np.isnan(values[[0, 3]]).all()
    notes = " ".join(en for en, _ in data.notes)
    assert "Table 'individual' is not in" in notes
