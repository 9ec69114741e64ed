"""The .sav writer (pyreadstat): read back by pyreadstat, values, labels, user-missing intact."""

from __future__ import annotations

import math

import pyarrow as pa
import pyreadstat
import pytest

from questionnaires.model import Label
from questionnaires.tidy import Column, UnitTable
from survey_app.export.columns import arrow_schema
from survey_app.export.writers import open_writer

# Longer than 255 bytes: SPSS keeps it as a "very long string", it must not be cut.
LONG_ANSWER = "Chị kể rằng chồng không cho đi họp thôn và giữ hết tiền bán ngô." * 12
UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
TABLE = UnitTable(
    "member",
    "member",
    "household",
    ("roster",),
    (
        Column("submission_uuid", "str", Label("Mã phiếu (UUID)", "Submission id")),
        Column(
            "M03",
            "int",
            Label("Giới tính", "Sex"),
            value_labels={
                1: Label("Nam", "Male"),
                2: Label("Nữ", "Female"),
                98: Label("Không biết", "Don't know"),
            },
            missing_codes=(98, 99),
        ),
        Column("weight_final", "float", Label("Trọng số cuối cùng", "Final weight")),
        Column("commune_name", "str", Label("Tên xã", "Commune")),
        Column("hh_id", "int", Label("Mã hộ", "Household id")),
        Column("story", "str", Label("Câu chuyện", "Story")),
    ),
)
BATCHES = [
    {
        "submission_uuid": [UUID, "b"],
        "M03": [1, None],
        "weight_final": [150.25, None],
        "commune_name": ["Hữu Lũng", None],
        "hh_id": [17801001005, 2],
        "story": [LONG_ANSWER, "ngắn"],
    },
    {
        "submission_uuid": ["c"],
        "M03": [98],
        "weight_final": [2.0],
        "commune_name": ["Na"],
        "hh_id": [None],
        "story": [None],
    },
]


@pytest.fixture
def sav(tmp_path):  # noqa: ANN001, ANN201
    path = tmp_path / "t.sav"
    schema = arrow_schema(TABLE)
    writer = open_writer("sav", path, TABLE, "vi")
    for batch in BATCHES:
        writer.write(pa.Table.from_pydict(batch, schema=schema))
    writer.close()
    return path


def test_values_and_missing_read_back(sav) -> None:  # noqa: ANN001
    frame, meta = pyreadstat.read_sav(str(sav))
    assert list(frame.columns) == [c.name for c in TABLE.columns]
    assert list(frame["submission_uuid"]) == [UUID, "b", "c"]
    assert frame.loc[0, "M03"] == 1 and math.isnan(frame.loc[1, "M03"])
    assert math.isnan(frame.loc[2, "M03"])  # 98 is declared user-missing
    assert frame.loc[0, "weight_final"] == 150.25 and math.isnan(frame.loc[1, "weight_final"])
    assert list(frame["commune_name"]) == ["Hữu Lũng", "", "Na"]
    assert frame.loc[0, "hh_id"] == 17801001005
    assert meta.number_rows == 3 and meta.file_label == "member"


def test_an_answer_longer_than_255_bytes_survives_whole(sav) -> None:  # noqa: ANN001
    frame, _ = pyreadstat.read_sav(str(sav))
    assert len(LONG_ANSWER.encode()) > 255
    assert list(frame["story"]) == [LONG_ANSWER, "ngắn", ""]


def test_labels_and_user_missing(sav) -> None:  # noqa: ANN001
    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    assert frame.loc[2, "M03"] == 98
    assert meta.column_names_to_labels["M03"] == "Giới tính"
    assert meta.variable_value_labels["M03"] == {1: "Nam", 2: "Nữ", 98: "Không biết"}
    assert meta.missing_ranges["M03"] == [{"lo": 98.0, "hi": 98.0}, {"lo": 99.0, "hi": 99.0}]
    assert meta.original_variable_types["hh_id"] == "F12.0"
