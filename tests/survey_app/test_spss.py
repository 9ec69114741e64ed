"""The batch-by-batch .sav writer: read back by pyreadstat, values, labels, user-missing intact."""

from __future__ import annotations

import math

import pyreadstat
import pytest

from survey_app.spss import SpssColumn, write_sav

COLUMNS = [
    SpssColumn("submission_uuid", "Mã phiếu (UUID)", "str", width=36),
    SpssColumn(
        "M03",
        "Giới tính",
        "int",
        value_labels={1: "Nam", 2: "Nữ", 98: "Không biết"},
        missing_codes=(98, 99),
    ),
    SpssColumn("weight_final", "Trọng số cuối cùng", "float"),
    SpssColumn("commune_name", "Tên xã", "str", width=len("Hữu Lũng".encode())),
    SpssColumn("hh_id", "Mã hộ", "int"),
]
UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
BATCHES = [
    {
        "submission_uuid": [UUID, "b"],
        "M03": [1, None],
        "weight_final": [150.25, None],
        "commune_name": ["Hữu Lũng", None],
        "hh_id": [17801001005, 2],
    },
    {
        "submission_uuid": ["c"],
        "M03": [98],
        "weight_final": [2.0],
        "commune_name": ["Na"],
        "hh_id": [None],
    },
]


@pytest.fixture
def sav(tmp_path):  # noqa: ANN001, ANN201
    path = tmp_path / "t.sav"
    write_sav(path, COLUMNS, 3, iter(BATCHES), file_label="member")
    return path


def test_values_and_missing_read_back(sav) -> None:  # noqa: ANN001
    frame, meta = pyreadstat.read_sav(str(sav))
    assert list(frame.columns) == [c.name for c in COLUMNS]
    assert list(frame["submission_uuid"]) == [UUID, "b", "c"]
    assert frame.loc[0, "M03"] == 1 and math.isnan(frame.loc[1, "M03"])
    assert math.isnan(frame.loc[2, "M03"])  # 98 is declared user-missing
    assert frame.loc[0, "weight_final"] == 150.25 and math.isnan(frame.loc[1, "weight_final"])
    assert list(frame["commune_name"]) == ["Hữu Lũng", "", "Na"]
    assert frame.loc[0, "hh_id"] == 17801001005
    assert meta.number_rows == 3 and meta.file_label == "member"


def test_labels_and_user_missing(sav) -> None:  # noqa: ANN001
    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    assert frame.loc[2, "M03"] == 98
    assert meta.column_names_to_labels["M03"] == "Giới tính"
    assert meta.variable_value_labels["M03"] == {1: "Nam", 2: "Nữ", 98: "Không biết"}
    assert meta.missing_ranges["M03"] == [{"lo": 98.0, "hi": 98.0}, {"lo": 99.0, "hi": 99.0}]


def test_row_count_must_match(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="2 rows written, 3 announced"):
        write_sav(tmp_path / "x.sav", COLUMNS, 3, iter(BATCHES[:1]))
