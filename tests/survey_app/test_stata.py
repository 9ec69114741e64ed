"""The batch-by-batch .dta writer: read back by pandas and pyreadstat, values and labels intact."""

from __future__ import annotations

import math

import pandas as pd
import pyreadstat
import pytest

from survey_app.stata import StataColumn, stata_type, write_dta

COLUMNS = [
    StataColumn(
        "code",
        "Giới tính",
        "int",
        low=1,
        high=2,
        value_labels={1: "Nam", 2: "Nữ", 98: "Không biết"},
    ),
    StataColumn("count", "Số người", "int", low=0, high=40000),
    StataColumn("big", "Mã hộ", "int", low=0, high=17801001005),
    StataColumn("weight", "Trọng số", "float"),
    StataColumn("name", "Tên xã", "str", width=len("Hữu Lũng".encode())),
]
BATCHES = [
    {
        "code": [1, None],
        "count": [0, 40000],
        "big": [17801001005, None],
        "weight": [1.5, None],
        "name": ["Hữu Lũng", None],
    },
    {"code": [98], "count": [None], "big": [3], "weight": [2.25], "name": ["Na"]},
]


@pytest.fixture
def dta(tmp_path):  # noqa: ANN001, ANN201
    path = tmp_path / "t.dta"
    write_dta(path, COLUMNS, 3, iter(BATCHES), file_label="household")
    return path


def test_smallest_type_that_holds_the_values() -> None:
    assert [stata_type(c)[0] for c in COLUMNS] == [65530, 65528, 65526, 65526, 11]


def test_pandas_reads_values_and_missing(dta) -> None:  # noqa: ANN001
    frame = pd.read_stata(dta, convert_categoricals=False)
    assert list(frame["code"].fillna(-1)) == [1, -1, 98]
    assert list(frame["count"].fillna(-1)) == [0, 40000, -1]
    assert frame.loc[0, "big"] == 17801001005 and math.isnan(frame.loc[1, "big"])
    assert frame.loc[0, "weight"] == 1.5 and frame.loc[2, "weight"] == 2.25
    assert list(frame["name"]) == ["Hữu Lũng", "", "Na"]


def test_labels_read_back(dta) -> None:  # noqa: ANN001
    with pd.io.stata.StataReader(dta) as reader:
        assert reader.variable_labels()["code"] == "Giới tính"
        assert reader.value_labels()["code"] == {1: "Nam", 2: "Nữ", 98: "Không biết"}
        assert reader.data_label == "household"
    frame, meta = pyreadstat.read_dta(str(dta))
    assert meta.column_names_to_labels["name"] == "Tên xã"
    assert meta.variable_value_labels["code"][2] == "Nữ"
    assert meta.number_rows == 3


def test_row_count_must_match(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="2 rows written, 3 announced"):
        write_dta(tmp_path / "x.dta", COLUMNS, 3, iter(BATCHES[:1]))
