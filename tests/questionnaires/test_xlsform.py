"""XLSForm in and out: pyxform (with ODK Validate) accepts every export, round trips are exact,
expressions keep their meaning, and what the format cannot express is refused with its place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from pyxform.xls2xform import convert

from questionnaires.expressions import (
    ExpressionError,
    compile_expression,
    compile_vector,
    evaluate,
    load_vectors,
)
from questionnaires.loader import bundled_paths, questionnaire_from_dict
from questionnaires.xlsform import (
    XLSFormError,
    expression_from_xlsform,
    expression_to_xlsform,
    read_xlsform,
    write_xlsform,
)

EXPRESSION_KEYS = {"relevant", "constraint", "choice_filter", "calculation", "count"}
BUNDLED = {path.stem: path for path in bundled_paths()}


def _compiled(node: Any) -> Any:
    """The document with every expression replaced by its AST: equal logic, any spelling."""
    if isinstance(node, dict):
        return {
            key: compile_expression(value) if key in EXPRESSION_KEYS else _compiled(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_compiled(item) for item in node]
    return node


@pytest.mark.parametrize("form_id", sorted(BUNDLED))
def test_bundled_form_round_trips_and_pyxform_accepts_it(form_id: str, tmp_path: Path) -> None:
    document = json.loads(BUNDLED[form_id].read_text(encoding="utf-8"))
    target = write_xlsform(document, tmp_path / f"{form_id}.xlsx")
    # ODK Validate (JavaRosa, bundled with pyxform) parses every XPath when java is present.
    result = convert(xlsform=str(target), validate=shutil.which("java") is not None)
    assert f'id="{form_id}"' in result.xform
    back = read_xlsform(target)
    assert _compiled(back) == _compiled(document)
    assert questionnaire_from_dict(back).content_hash is not None


def _translatable(vector: dict[str, Any]) -> bool:
    if "error" in vector or "expected" not in vector:
        return False
    try:
        compile_vector(vector)
    except ExpressionError:
        return False
    return True


VECTORS = [vector for vector in load_vectors() if _translatable(vector)]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["expression"] for v in VECTORS])
def test_shared_vector_means_the_same_after_xlsform_and_back(vector: dict[str, Any]) -> None:
    repeats = vector.get("repeats", {})
    names = vector.get("choice_names", {})
    codes = {question: dict(choices) for question, choices in names.items()}
    back_names = {
        question: {str(code): name for name, code in choices.items()}
        for question, choices in names.items()
    }
    current = vector.get("current_question")
    xls = expression_to_xlsform(vector["expression"], repeats, codes, current)
    ours = expression_from_xlsform(xls, repeats, back_names, current, "choice" in vector)
    again = compile_vector({**vector, "expression": ours})
    value = evaluate(
        again,
        vector.get("answers", {}),
        row=vector.get("row"),
        current=vector.get("current"),
        choice=vector.get("choice"),
    )
    assert value == vector["expected"]


def test_repeat_conditions_become_xpath_predicates() -> None:
    repeats = {"M03": "roster", "M04": "roster"}
    text = "count(${roster}, ${M03} = 2 and ${M04} >= 15) + sum(${M04}, ${M03} = 1)"
    xls = expression_to_xlsform(text, repeats)
    assert xls == "count(${roster}[M03 = 2 and M04 >= 15]) + sum(${roster}[M03 = 1]/M04)"
    assert compile_expression(expression_from_xlsform(xls, repeats)) == compile_expression(text)


def test_choice_names_are_written_as_the_stored_codes() -> None:
    xls = expression_to_xlsform(
        "selected(${D1_04}, 'party') and ${sex} = 'female'",
        choice_codes={"D1_04": {"party": 1}, "sex": {"female": 2}},
    )
    assert xls == "selected(${D1_04}, '1') and ${sex} = '2'"


def _sheet(workbook: Workbook, title: str, rows: list[list[Any]], first: bool = False) -> None:
    sheet = workbook.active if first else workbook.create_sheet(title)
    sheet.title = title
    for row in rows:
        sheet.append(row)


def odk_style_workbook(path: Path) -> Path:
    """A small household form written the way ODK authors write them."""
    workbook = Workbook()
    _sheet(
        workbook,
        "survey",
        [
            [
                "type",
                "name",
                "label::Vietnamese (vi)",
                "label::English (en)",
                "hint::Vietnamese (vi)",
                "required",
                "relevant",
                "constraint",
                "constraint_message::Vietnamese (vi)",
                "choice_filter",
                "calculation",
                "repeat_count",
            ],
            ["start", "start", "", "", "", "", "", "", "", "", "", ""],
            [
                "begin group",
                "gioi_thieu",
                "Thông tin chung",
                "General",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "select_one district",
                "huyen",
                "Huyện",
                "District",
                "",
                "yes",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "select_one commune",
                "xa",
                "Xã",
                "Commune",
                "Chọn xã trong huyện",
                "yes",
                "",
                "",
                "",
                "district = ${huyen}",
                "",
                "",
            ],
            [
                "integer",
                "so_nguoi",
                "Số người trong hộ",
                "Household size",
                "",
                "yes",
                "",
                ". >= 1 and . <= 20",
                "Từ 1 đến 20 người",
                "",
                "",
                "",
            ],
            ["end group", "", "", "", "", "", "", "", "", "", "", ""],
            [
                "begin group",
                "thanh_vien",
                "Thành viên",
                "Members",
                "",
                "",
                "${so_nguoi} > 0",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "begin repeat",
                "nguoi",
                "Thành viên hộ",
                "Member",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "${so_nguoi}",
            ],
            ["text", "ten", "Tên", "Name", "", "yes", "", "", "", "", "", ""],
            ["select_one gioi", "gioi_tinh", "Giới tính", "Sex", "", "yes", "", "", "", "", "", ""],
            [
                "integer",
                "tuoi",
                "Tuổi",
                "Age",
                "",
                "yes",
                "",
                ". >= 0 and . <= 120",
                "Tuổi 0–120",
                "",
                "",
                "",
            ],
            [
                "begin group",
                "tre",
                "Trẻ em",
                "Children",
                "",
                "",
                "${tuoi} < 16",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "select_one yn",
                "di_hoc",
                "Có đi học không?",
                "In school?",
                "",
                "yes",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            ["end group", "", "", "", "", "", "", "", "", "", "", ""],
            ["end repeat", "", "", "", "", "", "", "", "", "", "", ""],
            [
                "calculate",
                "so_nu",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "count(${nguoi}[gioi_tinh = 'nu'])",
                "",
            ],
            [
                "note",
                "ghi_chu",
                "Hộ có ${so_nu} nữ",
                "Women: ${so_nu}",
                "",
                "",
                "${so_nu} > 0",
                "",
                "",
                "",
                "",
                "",
            ],
            ["end group", "", "", "", "", "", "", "", "", "", "", ""],
        ],
        first=True,
    )
    _sheet(
        workbook,
        "choices",
        [
            ["list_name", "name", "label::Vietnamese (vi)", "label::English (en)", "district"],
            ["district", "178", "Thành phố Lạng Sơn", "Lang Son city", ""],
            ["district", "180", "Huyện Tràng Định", "Trang Dinh", ""],
            ["commune", "6040", "Phường Vĩnh Trại", "Vinh Trai ward", "178"],
            ["commune", "6103", "Thị trấn Thất Khê", "That Khe", "180"],
            ["gioi", "nam", "Nam", "Male", ""],
            ["gioi", "nu", "Nữ", "Female", ""],
            ["yn", "yes", "Có", "Yes", ""],
            ["yn", "no", "Không", "No", ""],
        ],
    )
    _sheet(
        workbook,
        "settings",
        [
            ["form_title", "form_id", "version", "default_language"],
            ["Phiếu thử ODK", "odk_ho", "1.0.0", "Vietnamese (vi)"],
        ],
    )
    workbook.save(path)
    return path


def test_odk_style_xlsform_imports_as_a_working_questionnaire(tmp_path: Path) -> None:
    path = odk_style_workbook(tmp_path / "odk.xlsx")
    convert(xlsform=str(path), validate=False)  # the fixture itself is valid XLSForm
    document = read_xlsform(path)
    questionnaire = questionnaire_from_dict(document)
    assert [section.id for section in questionnaire.sections] == ["gioi_thieu", "thanh_vien"]
    sex = questionnaire.question("gioi_tinh")
    assert [(c.code, c.name) for c in sex.choices] == [(1, "nam"), (2, "nu")]
    district = questionnaire.question("huyen")
    assert [c.code for c in district.choices] == [178, 180]
    # The nested "tre" group is flattened: its condition moves onto its question.
    assert questionnaire.question("di_hoc").relevant_ast is not None
    answers = {
        "huyen": 180,
        "xa": 6103,
        "so_nguoi": 2,
        "nguoi": [
            {"ten": "Lan", "gioi_tinh": 2, "tuoi": 34},
            {"ten": "Minh", "gioi_tinh": 1, "tuoi": 9, "di_hoc": 1},
        ],
        "so_nu": 1,
    }
    assert questionnaire.validate_answers(answers) == []
    wrong_commune = {**answers, "xa": 6040}
    assert [e.question_id for e in questionnaire.validate_answers(wrong_commune)] == ["xa"]
    teen_without_school = {**answers, "nguoi": [answers["nguoi"][0], {**answers["nguoi"][1]}]}
    del teen_without_school["nguoi"][1]["di_hoc"]
    errors = questionnaire.validate_answers(teen_without_school)
    assert [(e.question_id, e.code) for e in errors] == [("di_hoc", "required")]


def _bad_workbook(path: Path, survey_rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    _sheet(
        workbook,
        "survey",
        [
            [
                "type",
                "name",
                "label::Vietnamese (vi)",
                "label::English (en)",
                "relevant",
                "calculation",
            ],
            *survey_rows,
        ],
        first=True,
    )
    _sheet(workbook, "choices", [["list_name", "name", "label"], ["yn", "yes", "Có"]])
    workbook.save(path)
    return path


def test_what_xlsform_cannot_bring_is_named_with_sheet_row_and_column(tmp_path: Path) -> None:
    path = _bad_workbook(
        tmp_path / "bad.xlsx",
        [
            ["geopoint", "gps", "Toạ độ", "GPS", "", ""],
            ["integer", "age", "Tuổi", "Age", "", ""],
            ["calculate", "when", "", "", "", "today()"],
            ["select_one nolist", "q", "Hỏi", "Ask", "", ""],
            ["text", "t", "Chữ", "Text", "regex(${age}, '[0-9]')", ""],
        ],
    )
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(path)
    messages = caught.value.messages
    assert any("sheet 'survey', row 2, column A (type)" in m and "geopoint" in m for m in messages)
    assert any("row 4, column F (calculation)" in m and "today" in m for m in messages)
    assert any("row 5, column A (type)" in m and "'nolist'" in m for m in messages)
    assert any("row 6, column E (relevant)" in m and "regex" in m for m in messages)
    assert all("dòng" in m and "trang 'survey'" in m for m in caught.value.messages_vi)


def test_a_file_that_is_not_a_workbook_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(XLSFormError, match="notes.xlsx: cannot be read as an .xlsx workbook"):
        read_xlsform(path)


def test_cli_exports_and_imports(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from questionnaires.xlsform_cli import forms

    runner = CliRunner()
    target = tmp_path / "commune.xlsx"
    result = runner.invoke(forms, ["export", "commune", "--xlsform", str(target)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "commune.json"
    result = runner.invoke(forms, ["import", str(target), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    original = json.loads(BUNDLED["commune"].read_text(encoding="utf-8"))
    assert _compiled(json.loads(out.read_text(encoding="utf-8"))) == _compiled(original)
    bad = _bad_workbook(tmp_path / "bad.xlsx", [["geopoint", "gps", "Toạ độ", "GPS", "", ""]])
    result = runner.invoke(forms, ["import", str(bad)])
    assert result.exit_code == 1
    assert "dòng 2" in result.output and "geopoint" in result.output


def test_round_placeholder_is_a_calculate_field_in_xlsform_and_comes_back(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    document = json.loads(BUNDLED["commune"].read_text(encoding="utf-8"))
    target = write_xlsform(
        document, tmp_path / "commune.xlsx", round_settings={"party_term": "2020–2025"}
    )
    survey = list(load_workbook(target)["survey"].iter_rows(values_only=True))
    header = list(survey[0])
    first = dict(zip(header, survey[1], strict=False))
    assert (first["type"], first["name"], first["calculation"]) == (
        "calculate",
        "round_party_term",
        "'2020–2025'",
    )
    labels = [str(row[header.index("label::Vietnamese (vi)")]) for row in survey[1:]]
    assert any(label.endswith("nhiệm kỳ ${round_party_term}") for label in labels)
    result = convert(xlsform=str(target), validate=shutil.which("java") is not None)
    assert "round_party_term" in result.xform
    assert _compiled(read_xlsform(target)) == _compiled(document)
