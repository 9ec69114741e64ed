"""The streaming Stata and SPSS writers against pyreadstat's on the same rows: both files read
back by pyreadstat and by pandas give the same values, missing values (SPSS user-missing
codes), variable and value labels, Vietnamese text included; text too wide for ``str2045`` /
SPSS's 255 bytes still goes through pyreadstat."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyreadstat
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
        Column("round", "str", Label("Đợt điều tra", "Survey round")),
        Column("line", "int", Label("Dòng", "Line")),
        Column(
            "M03",
            "int",
            Label("Giới tính của thành viên hộ gia đình " * 4, "Sex"),
            value_labels={1: Label("Nam", "Male"), 2: Label("Nữ", "Female")},
        ),
        Column(
            "D5_05_1",
            "int",
            Label("Đã chọn", "Chosen"),
            value_labels={
                0: Label("Không", "No"),
                1: Label("Có", "Yes"),
                98: Label("Không biết", "don't know"),
            },
            missing_codes=(98,),
        ),
        Column("weight_final", "float", Label("Quyền số", "Weight")),
        Column("name", "str", Label("Họ tên", "Name")),
    ),
)


def _batches(name_tail: str = "") -> list[pa.Table]:
    schema = arrow_schema(TABLE)
    first = {
        "round": ["2026", "2026", "2026"],
        "line": [1, 2, None],
        "M03": [2, 1, None],
        "D5_05_1": [1, 98, 0],
        "weight_final": [150.25, None, float("nan")],
        "name": ["Hoàng Thị Lan", None, ""],
    }
    second = {
        "round": ["2026"],
        "line": [2**40],
        "M03": [7],
        "D5_05_1": [None],
        "weight_final": [-0.5],
        "name": ["Nguyễn Văn Đức" + name_tail],
    }
    return [pa.Table.from_pydict(rows, schema=schema) for rows in (first, second)]


def _write(path: Path, lang: str, streaming: bool, name_tail: str = "") -> None:
    writer = writers.LabelledWriter(path, TABLE, lang, path.suffix[1:])
    for batch in _batches(name_tail):
        writer.write(batch)
    if streaming:
        writer.close()
        return
    # The pyreadstat writer on the same spooled rows: the reference.
    writer._spool.close()
    frame = writer._spool.table().to_pandas()
    if path.suffix == ".dta":
        writer._write_dta(frame)
    else:
        writer._write_sav(frame)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_stata_file_reads_back_like_pyreadstats(tmp_path, lang) -> None:  # noqa: ANN001
    ours, reference = tmp_path / "ours" / "member.dta", tmp_path / "ref" / "member.dta"
    for path, streaming in ((ours, True), (reference, False)):
        path.parent.mkdir()
        _write(path, lang, streaming)
    assert not list(ours.parent.glob(".gesurvey-spool-*"))

    frame, meta = pyreadstat.read_dta(str(ours))
    expected, expected_meta = pyreadstat.read_dta(str(reference))
    pd.testing.assert_frame_equal(frame, expected)
    assert meta.column_names_to_labels == expected_meta.column_names_to_labels
    assert meta.variable_value_labels == expected_meta.variable_value_labels
    assert meta.file_label == "member" and meta.number_rows == 4
    assert frame["name"].tolist() == ["Hoàng Thị Lan", "", "", "Nguyễn Văn Đức"]
    assert frame["line"].tolist()[3] == 2**40 and pd.isna(frame["line"][2])
    assert pd.isna(frame["weight_final"][2])

    with pd.io.stata.StataReader(ours) as reader:
        plain = reader.read(convert_categoricals=False)
        variable_labels, value_labels = reader.variable_labels(), reader.value_labels()
    with pd.io.stata.StataReader(reference) as reader:
        pd.testing.assert_frame_equal(plain, reader.read(convert_categoricals=False))
        assert variable_labels == reader.variable_labels()
        assert sorted(value_labels.values(), key=str) == sorted(
            reader.value_labels().values(), key=str
        )
    assert variable_labels["M03"] == TABLE.columns[2].label[lang][:80]
    labelled = pd.read_stata(ours)
    assert labelled["M03"].tolist()[:2] == (["Nữ", "Nam"] if lang == "vi" else ["Female", "Male"])


def test_text_wider_than_str2045_goes_through_pyreadstat(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "member.dta"
    _write(path, "vi", streaming=True, name_tail="ữ" * 1000)
    frame, _meta = pyreadstat.read_dta(str(path))
    assert frame["name"][3] == "Nguyễn Văn Đức" + "ữ" * 1000


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_spss_file_reads_back_like_pyreadstats(tmp_path, lang) -> None:  # noqa: ANN001
    ours, reference = tmp_path / "ours" / "member.sav", tmp_path / "ref" / "member.sav"
    for path, streaming in ((ours, True), (reference, False)):
        path.parent.mkdir()
        _write(path, lang, streaming)
    assert not list(ours.parent.glob(".gesurvey-spool-*"))

    for user_missing in (False, True):
        frame, meta = pyreadstat.read_sav(str(ours), user_missing=user_missing)
        expected, expected_meta = pyreadstat.read_sav(str(reference), user_missing=user_missing)
        pd.testing.assert_frame_equal(frame, expected)
        for attribute in (
            "column_names",
            "column_names_to_labels",
            "variable_value_labels",
            "missing_ranges",
            "original_variable_types",
            "readstat_variable_types",
            "variable_measure",
            "file_label",
            "number_rows",
            "file_encoding",
        ):
            assert getattr(meta, attribute) == getattr(expected_meta, attribute), attribute
    assert meta.missing_ranges["D5_05_1"] == [{"lo": 98.0, "hi": 98.0}]
    assert frame["name"].tolist() == ["Hoàng Thị Lan", "", "", "Nguyễn Văn Đức"]
    assert frame["D5_05_1"].tolist()[:3] == [1, 98, 0]
    plain, _meta = pyreadstat.read_sav(str(ours))
    assert pd.isna(plain["D5_05_1"][1]) and plain["line"][3] == 2**40

    labelled = pd.read_spss(str(ours), convert_categoricals=True)
    pd.testing.assert_frame_equal(labelled, pd.read_spss(str(reference), convert_categoricals=True))
    assert labelled["M03"].tolist()[:2] == (["Nữ", "Nam"] if lang == "vi" else ["Female", "Male"])


def test_spss_text_wider_than_255_bytes_goes_through_pyreadstat(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "member.sav"
    _write(path, "vi", streaming=True, name_tail="ữ" * 100)
    frame, _meta = pyreadstat.read_sav(str(path))
    assert frame["name"][3] == "Nguyễn Văn Đức" + "ữ" * 100


def test_spss_short_names_are_unique_and_eight_bytes() -> None:
    from survey_app.export.sav import short_names

    names = ["weight_base", "weight_based", "WEIGHT_B", "_x", "D5_05_1"]
    shorts = short_names(names)
    assert len(set(shorts)) == len(names) and all(len(s.encode()) <= 8 for s in shorts)
    assert shorts[0] == "WEIGHT_B" and shorts[-1] == "D5_05_1"
