"""Missing codes become NaN; multi-choice answers become 0/1 columns; the Question adapter."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.estimators import mean
from analysis.variables import expand_multi, missing_to_nan, parse_multi, question_columns


def test_missing_codes_are_never_averaged() -> None:
    data = pd.DataFrame({"a": [1, 2, 98, 99, 3], "w": 1.0})
    data["a"] = missing_to_nan(data["a"], [98, 99])
    assert data["a"].isna().tolist() == [False, False, True, True, False]
    assert mean(SurveyDesign(data, weight="w"), "a")[0].estimate == pytest.approx(2.0)


def test_only_declared_codes_are_missing() -> None:
    out = missing_to_nan(pd.Series([98, 99, "", None, "5"], name="x"), [99])
    assert out.tolist()[0] == 98
    assert np.isnan(out.tolist()[1:4]).all()
    assert out.tolist()[4] == 5


def test_text_in_a_numeric_column_names_rows() -> None:
    with pytest.raises(AnalysisError, match=r"column 'x' must be numeric; rows 1 are not"):
        missing_to_nan(pd.Series(["1", "two"], name="x"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, 3], [1, 3]),
        ("[1, 3]", [1, 3]),
        ("1 3", [1, 3]),
        ("1,3", [1, 3]),
        (2, [2]),
        (2.0, [2]),
        ("", None),
        (None, None),
        (float("nan"), None),
        ("[]", []),
    ],
)
def test_parse_multi_accepts_export_shapes(value: object, expected: list[int] | None) -> None:
    assert parse_multi(value) == expected


def test_expand_multi_makes_one_column_per_choice() -> None:
    answers = pd.Series([[1, 3], [2], [], None, 98, "3"], name="SN04")
    out = expand_multi(answers, [1, 2, 3], ["unaware", "distance", "time"])
    assert list(out.columns) == ["SN04_unaware", "SN04_distance", "SN04_time"]
    assert out.iloc[0].tolist() == [1, 0, 1]
    assert out.iloc[1].tolist() == [0, 1, 0]
    assert out.iloc[2].tolist() == [0, 0, 0]
    assert out.iloc[3].isna().all() and out.iloc[4].isna().all()
    assert out.iloc[5].tolist() == [0, 0, 1]


def test_unknown_choice_code_names_rows() -> None:
    answers = pd.Series([[1], [7], "x"], name="P06")
    with pytest.raises(AnalysisError, match=r"column 'P06' .* rows 1, 2$") as info:
        expand_multi(answers, [1, 2])
    assert info.value.rows == [1, 2]


def choice(code: int, name: str) -> SimpleNamespace:
    return SimpleNamespace(code=code, name=name)


def test_question_adapter_reads_type_codes_and_choices() -> None:
    data = pd.DataFrame(
        {
            "SN01": [[1, 2], 99, [2]],
            "A05": [1, 98, 5],
            "P01_cook": [1, 2, 99],
            "M02": ["a", "b", "c"],
        }
    )
    multi = SimpleNamespace(
        id="SN01",
        type="multi",
        missing_codes=[99],
        choices=[choice(1, "training"), choice(2, "credit")],
    )
    out = question_columns(data, multi)
    assert list(out.columns) == ["SN01_training", "SN01_credit"]
    assert out["SN01_credit"].tolist()[0] == 1 and np.isnan(out["SN01_credit"].tolist()[1])
    likert = SimpleNamespace(id="A05", type="likert5", missing_codes=[98, 99], choices=None)
    assert question_columns(data, likert)["A05"].isna().tolist() == [False, True, False]
    grid = SimpleNamespace(
        id="P01", type="grid", missing_codes=[99], choices=None, rows=[SimpleNamespace(id="cook")]
    )
    assert question_columns(data, grid)["P01_cook"].isna().tolist() == [False, False, True]
    text = SimpleNamespace(id="M02", type="text", missing_codes=None, choices=None)
    assert question_columns(data, text)["M02"].tolist() == ["a", "b", "c"]
    with pytest.raises(AnalysisError, match="question 'K01'"):
        question_columns(data, SimpleNamespace(id="K01", type="yesno", missing_codes=[]))


def test_adapter_reads_the_bundled_questionnaires() -> None:
    questionnaires = pytest.importorskip("questionnaires")
    individual = questionnaires.load_bundled()["individual"]
    p06 = individual.question("P06")  # multi, missing codes 98 and 99
    p01 = individual.question("P01")  # grid, missing codes 98 and 99
    codes = [c.code for c in p06.choices]
    data = pd.DataFrame(
        {
            "P06": [[codes[0], codes[2]], 99, None],
            **{f"P01_{row.id}": [1, 98, 2] for row in p01.rows},
        }
    )
    multi = question_columns(data, p06)
    assert list(multi.columns) == [f"P06_{c.name}" for c in p06.choices]
    assert multi.iloc[0].sum() == 2 and multi.iloc[1:].isna().all().all()
    grid = question_columns(data, p01)
    assert list(grid.columns) == [f"P01_{row.id}" for row in p01.rows]
    assert grid.iloc[1].isna().all() and (grid.iloc[0] == 1).all()


def test_parse_multi_column_parses_each_row_as_parse_multi_does() -> None:
    from analysis.variables import parse_multi, parse_multi_column

    values = ["1 3", "1 3", "[2, 4]", "", None, float("nan"), 5, "3.0", "x y", "1 3", [1, 2]]
    expected = []
    for value in values:
        try:
            expected.append(parse_multi(value))
        except (ValueError, TypeError):
            expected.append("bad")
    parsed = parse_multi_column(values, on_error="bad")
    assert parsed == expected
    parsed[0].append(9)  # every row owns its list
    assert parsed[1] == [1, 3]
