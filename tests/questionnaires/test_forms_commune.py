"""The commune questionnaire, version 1.0.0 (still published, so still checked): administrative
targets, both languages, its checks."""

import json
from pathlib import Path
from typing import Any

import pytest

import questionnaires
from questionnaires import load_questionnaire

PATH = Path(questionnaires.__file__).parent / "forms" / "versions" / "1.0.0" / "commune.json"


@pytest.fixture(scope="module")
def form():
    return load_questionnaire(PATH)


def complete_commune() -> dict[str, Any]:
    """A consistent report from a rural commune of Văn Lãng."""
    return {
        "province": 20,
        "district": 182,
        "commune": 6160,
        "commune_name": "Hoàng Việt",
        "commune_type": 3,
        "residence": 2,
        "COM_AREA": 3,
        "COM_135": 1,
        "COM_YEAR": 2020,
        "COM_R1": "Nông Thị Hoa",
        "COM_R2": "Công chức Văn hóa – Xã hội",
        "interviewer_id": 5,
        "interview_date": "2020-12-20",
        "COM_P1_1": 15,
        "COM_P1_2": 3,
        "COM_P2_1": 0,
        "COM_P2_2": 0,
        "COM_P2_3": 1,
        "COM_P3_1": 3,
        "COM_P3_2": 1,
        "COM_P4_1": 4,
        "COM_P4_2": 2,
        "COM_E1_1": 1,
        "COM_E1_2": 1,
        "COM_E2_1": 0,
        "COM_E2_2": 0,
        "COM_E3_1": 4,
        "COM_E3_2": 2,
        "COM_M1": 1,
        "COM_M2": 1,
        "COM_M3": 24,
        "COM_M4_1": 40,
        "COM_M4_2": 30,
        "COM_C1_1": 38,
        "COM_C1_2": 14,
        "COM_C1_3": 38,
        "COM_C2_1": 820,
        "COM_C2_2": 700,
        "COM_C3": 1,
        "COM_S1_1": 1,
        "COM_S1_2": 2,
        "COM_S1_3": 9,
        "COM_S1_4": 12,
        "COM_S1_5": 8,
        "COM_S2_1": 1,
        "COM_S2_2": 1,
        "COM_S2_3": 1,
        "COM_S2_4": 0,
    }


def errors_of(form, answers: dict[str, Any]) -> set[tuple[str, Any, str]]:
    return {(e.question_id, e.row, e.code) for e in form.validate_answers(answers)}


def test_commune_form_loads_with_its_design_fields(form) -> None:
    assert form.id == "commune" == PATH.stem
    assert form.unit == "commune"
    assert (form.analysis.weight, form.analysis.stratum, form.analysis.psu) == (
        "weight_final",
        "stratum",
        "psu",
    )


@pytest.mark.parametrize(
    "question_id",
    [
        "COM_P1_1",
        "COM_P1_2",
        "COM_P2_1",
        "COM_P2_2",
        "COM_P2_3",
        "COM_S1_1",
        "COM_S1_2",
        "COM_S1_3",
        "COM_S1_4",
        "COM_S1_5",
        "COM_S2_1",
        "COM_S2_2",
        "COM_S2_3",
        "COM_S2_4",
        "province",
        "district",
        "commune",
        "residence",
    ],
)
def test_commune_form_has_the_briefs_items(form, question_id: str) -> None:
    assert form.question(question_id).label.vi


def test_every_commune_label_is_given_in_vietnamese_and_english(form) -> None:
    raw = json.loads(PATH.read_text(encoding="utf-8"))

    def walk(node: Any) -> int:
        n = 0
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "label", "hint", "variable_label", "constraint_message"):
                    assert set(value) == {"vi", "en"}, node.get("id", node)
                    assert value["vi"].strip() and value["en"].strip(), node.get("id", node)
                    n += 1
                n += walk(value)
        elif isinstance(node, list):
            n += sum(walk(value) for value in node)
        return n

    assert walk(raw) > 100
    for question in form.iter_questions():
        assert question.variable_label is not None, question.id


def test_support_need_list_matches_the_brief_order(form) -> None:
    names = [c.name for c in form.question("COM_S1_1").choices]
    assert names[:3] == ["vocational_training", "preferential_credit", "farm_techniques"]
    assert len(names) == 16 and names[-1] == "other"


def test_a_complete_commune_report_is_valid(form) -> None:
    assert form.validate_answers(complete_commune()) == []


def test_women_cannot_outnumber_committee_members(form) -> None:
    answers = complete_commune()
    answers["COM_P1_2"] = 16
    errors = form.validate_answers(answers, lang="en")
    assert [(e.question_id, e.code) for e in errors] == [("COM_P1_2", "constraint")]
    assert "COM_P1_1" in errors[0].message
    vi = form.validate_answers(answers, lang="vi")
    assert "tổng số ủy viên" in vi[0].message


@pytest.mark.parametrize(
    "part, total",
    [
        ("COM_P3_2", "COM_P3_1"),
        ("COM_P4_2", "COM_P4_1"),
        ("COM_E1_2", "COM_E1_1"),
        ("COM_E3_2", "COM_E3_1"),
        ("COM_M4_2", "COM_M4_1"),
        ("COM_C1_2", "COM_C1_1"),
        ("COM_C2_2", "COM_C2_1"),
    ],
)
def test_a_part_cannot_exceed_its_total(form, part: str, total: str) -> None:
    answers = complete_commune()
    answers[part] = answers[total] + 1
    assert errors_of(form, answers) == {(part, None, "constraint")}


def test_committee_must_have_members(form) -> None:
    answers = complete_commune()
    answers["COM_P1_1"] = answers["COM_P1_2"] = 0
    assert ("COM_P1_1", None, "constraint") in errors_of(form, answers)


def test_top_five_needs_are_distinct(form) -> None:
    answers = complete_commune()
    answers["COM_S1_4"] = 2
    assert errors_of(form, answers) == {("COM_S1_4", None, "filtered_out")}


def test_other_need_must_be_specified(form) -> None:
    answers = complete_commune()
    answers["COM_S1_5"] = 16
    assert errors_of(form, answers) == {("COM_S1_other", None, "required")}
    answers["COM_S1_other"] = "Hỗ trợ giống cây trồng"
    assert form.validate_answers(answers) == []


def test_radio_questions_are_skipped_without_a_station(form) -> None:
    answers = complete_commune()
    answers["COM_M1"] = 0
    found = errors_of(form, answers)
    assert found == {("COM_M2", None, "not_relevant"), ("COM_M3", None, "not_relevant")}


def test_residence_follows_the_commune_type(form) -> None:
    answers = complete_commune()
    answers["commune_type"] = 1
    assert errors_of(form, answers) == {("residence", None, "calculation_mismatch")}
    answers["residence"] = 1
    assert form.validate_answers(answers) == []


def test_informant_name_and_phone_are_identifying(form) -> None:
    identifying = {q.id for q in form.iter_questions() if q.identifying}
    assert identifying == {"COM_R1", "COM_R3"}
