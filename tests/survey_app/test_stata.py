"""The .dta writer (pyreadstat): read back by pandas and pyreadstat, values and labels intact."""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import pyreadstat
import pytest

from questionnaires.model import Label
from questionnaires.tidy import Column, UnitTable
from survey_app.export.columns import arrow_schema
from survey_app.export.writers import open_writer

LONG_ANSWER = "Chị kể rằng chồng không cho đi họp thôn và giữ hết tiền bán ngô. " * 12
TABLE = UnitTable(
    "household",
    "household",
    "household",
    (),
    (
        Column(
            "code",
            "int",
            Label("Giới tính", "Sex"),
            value_labels={
                1: Label("Nam", "Male"),
                2: Label("Nữ", "Female"),
                98: Label("Không biết", "Don't know"),
            },
            missing_codes=(98,),
        ),
        Column("count", "int", Label("Số người", "Persons")),
        Column("big", "int", Label("Mã hộ", "Household id")),
        Column("weight", "float", Label("Trọng số", "Weight")),
        Column("name", "str", Label("Tên xã", "Commune")),
    ),
)
BATCHES = [
    {
        "code": [1, None],
        "count": [0, 40000],
        "big": [17801001005, None],
        "weight": [1.5, None],
        "name": ["Hữu Lũng", None],
    },
    {"code": [98], "count": [None], "big": [3], "weight": [2.25], "name": [LONG_ANSWER]},
]


@pytest.fixture
def dta(tmp_path):  # noqa: ANN001, ANN201
    path = tmp_path / "t.dta"
    schema = arrow_schema(TABLE)
    writer = open_writer("dta", path, TABLE, "vi")
    for batch in BATCHES:
        writer.write(pa.Table.from_pydict(batch, schema=schema))
    writer.close()
    return path


def test_pandas_reads_values_and_missing(dta) -> None:  # noqa: ANN001
    frame = pd.read_stata(dta, convert_categoricals=False)
    assert list(frame["code"].fillna(-1)) == [1, -1, 98]
    assert list(frame["count"].fillna(-1)) == [0, 40000, -1]
    assert frame.loc[0, "big"] == 17801001005 and math.isnan(frame.loc[1, "big"])
    assert frame.loc[0, "weight"] == 1.5 and frame.loc[2, "weight"] == 2.25
    assert list(frame["name"])[:2] == ["Hữu Lũng", ""]


def test_a_long_answer_survives_whole(dta) -> None:  # noqa: ANN001
    frame, _ = pyreadstat.read_dta(str(dta))
    assert len(LONG_ANSWER.encode()) > 255
    assert frame.loc[2, "name"] == LONG_ANSWER


def test_labels_read_back(dta) -> None:  # noqa: ANN001
    with pd.io.stata.StataReader(dta) as reader:
        assert reader.variable_labels()["code"] == "Giới tính"
        assert list(reader.value_labels().values()) == [{1: "Nam", 2: "Nữ", 98: "Không biết"}]
        assert reader.data_label == "household"
    frame, meta = pyreadstat.read_dta(str(dta))
    assert meta.column_names_to_labels["name"] == "Tên xã"
    assert meta.variable_value_labels["code"][2] == "Nữ"
    assert meta.number_rows == 3


def test_spool_folder_is_removed(dta) -> None:  # noqa: ANN001
    assert [p.name for p in dta.parent.iterdir()] == ["t.dta"]
