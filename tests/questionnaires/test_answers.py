"""Server-side validation of submitted answers against the fixture questionnaire."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from questionnaires import (
    FieldError,
    Questionnaire,
    load_questionnaire,
    questionnaire_from_dict,
)

MINI = Path(__file__).parent / "forms" / "mini.json"


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(MINI)


def good() -> dict[str, Any]:
    """A complete, valid submission for the fixture form."""
    return {
        "HH01": "Hoàng Văn A",
        "HH02": 3,
        "HH03": 1.25,
        "HH04": "2026-11-30",
        "roster": [
            {"M01": "A", "M03": 1, "M04": 45, "M05": 1},
            {"M01": "B", "M03": 2, "M04": 41, "M05": 0},
            {"M01": "C", "M03": 2, "M04": 98},
        ],
        "RSEX": 2,
        "D1_01": 1,
        "D1_02": 0,
        "D1_04": [1, 2],
        "D1_05": 1,
        "A04": 4,
        "P01": {"cook": 1, "clean": 3},
        "C1": 2,
        "SN01": [1, 3],
        "SN02": 3,
    }


def codes(errors: list[FieldError]) -> list[tuple[str | None, int | None, str]]:
    return [(e.question_id, e.row, e.code) for e in errors]


def check(
    q: Questionnaire, answers: dict[str, Any], lang: str = "en"
) -> list[tuple[str | None, int | None, str]]:
    return codes(q.validate_answers(answers, lang=lang))


def test_a_good_submission_has_no_errors(q: Questionnaire) -> None:
    assert q.validate_answers(good()) == []


def test_unanswered_optional_questions_are_fine(q: Questionnaire) -> None:
    answers = {"HH02": 1, "roster": [{"M03": 1, "M04": 30}], "RSEX": 1, "D1_01": 0}
    assert check(q, answers) == []


def test_unknown_question_ids_are_rejected_at_top_level_and_in_rows(q: Questionnaire) -> None:
    answers = good()
    answers["ZZ9"] = 1
    answers["M04"] = 30  # a member question at top level
    answers["roster"][1]["HH02"] = 3  # a top-level question inside a row
    assert check(q, answers) == [
        ("ZZ9", None, "unknown_question"),
        ("M04", None, "unknown_question"),
        ("HH02", 1, "unknown_question"),
    ]


def test_design_fields_are_accepted(q: Questionnaire) -> None:
    answers = good() | {"weight_final": 12.5, "stratum": "178_urban", "psu": 17}
    assert check(q, answers) == []


def test_answer_to_an_irrelevant_question(q: Questionnaire) -> None:
    answers = good()
    answers["D1_01"] = 0  # D1_02 applies only after "yes"
    assert check(q, answers) == [("D1_02", None, "not_relevant")]
    answers["D1_02"] = None
    assert check(q, answers) == []


def test_irrelevant_member_question_in_a_row(q: Questionnaire) -> None:
    answers = good()
    answers["roster"][2]["M05"] = 1  # age is "don't know": M05 does not apply
    assert check(q, answers) == [("M05", 2, "not_relevant")]


def test_irrelevant_section_clears_everything_in_it(q: Questionnaire) -> None:
    answers = {"HH02": 0, "roster": [], "RSEX": 1}
    assert check(q, answers) == [("HH02", None, "constraint"), ("RSEX", None, "not_relevant")]


@pytest.mark.parametrize(
    ("qid", "value"),
    [
        ("HH01", 12),
        ("HH02", "3"),
        ("HH02", 2.5),
        ("HH02", True),
        ("HH03", "1.5"),
        ("HH04", "30/11/2026"),
        ("HH04", "2026-02-30"),
        ("RSEX", "female"),
        ("D1_04", 1),
        ("D1_04", ["1"]),
        ("P01", [1, 3]),
        ("P01", {"cook": "me"}),
        ("D1_01", True),
    ],
)
def test_wrong_types(q: Questionnaire, qid: str, value: Any) -> None:
    answers = good()
    answers[qid] = value
    assert (qid, None, "wrong_type") in check(q, answers)


def test_whole_float_counts_as_integer(q: Questionnaire) -> None:
    answers = good()
    answers["HH02"] = 3.0
    assert check(q, answers) == []


def test_required_answers(q: Questionnaire) -> None:
    answers = good()
    del answers["D1_01"]
    del answers["D1_02"]  # irrelevant once D1_01 is unanswered
    answers["roster"][0]["M03"] = None
    answers["roster"][1]["M04"] = None
    del answers["roster"][1]["M05"]  # M05 applies from age 15 only
    assert check(q, answers) == [
        ("M03", 0, "required"),
        ("M04", 1, "required"),
        ("D1_01", None, "required"),
    ]


def test_constraint_failure_uses_the_message_in_the_asked_language(q: Questionnaire) -> None:
    answers = good()
    answers["roster"][0]["M04"] = 140
    [error] = q.validate_answers(answers, lang="en")
    assert (error.question_id, error.row, error.code) == ("M04", 0, "constraint")
    assert error.message == "Age must be 0 to 110"
    [error] = q.validate_answers(answers, lang="vi")
    assert error.message == "Tuổi từ 0 đến 110"


def test_declared_missing_code_skips_the_constraint(q: Questionnaire) -> None:
    answers = good()
    answers["roster"][2]["M04"] = 98  # above the 0..110 constraint? no, but 98 is declared
    answers["HH03"] = 98
    answers["A04"] = 99
    answers["D1_04"] = 99  # the bare code for a multi
    del answers["D1_05"]
    assert check(q, answers) == []


def test_undeclared_missing_code_is_rejected(q: Questionnaire) -> None:
    answers = good()
    answers["RSEX"] = 98
    answers["A04"] = 97
    answers["P01"] = {"cook": 99, "clean": 1}
    errors = q.validate_answers(answers, lang="en")
    assert codes(errors) == [
        ("RSEX", None, "undeclared_missing_code"),
        ("A04", None, "not_in_choices"),
        ("P01", None, "undeclared_missing_code"),
    ]
    assert errors[0].message == (
        "Question RSEX: code 98 (don't know) is not allowed for this question"
    )
    assert "Từ chối" in q.validate_answers(answers, lang="vi")[2].message


def test_choice_not_in_list(q: Questionnaire) -> None:
    answers = good()
    answers["RSEX"] = 3
    answers["D1_01"] = 2
    del answers["D1_02"]
    answers["D1_04"] = [1, 5]
    assert check(q, answers) == [
        ("RSEX", None, "not_in_choices"),
        ("D1_01", None, "not_in_choices"),
        ("D1_04", None, "not_in_choices"),
    ]


def test_likert_range(q: Questionnaire) -> None:
    for value, ok in [(1, True), (5, True), (0, False), (6, False)]:
        answers = good()
        answers["A04"] = value
        assert (check(q, answers) == []) is ok


def test_multi_duplicates_and_exclusive_options(q: Questionnaire) -> None:
    answers = good()
    answers["D1_04"] = [2, 2]
    assert check(q, answers) == [("D1_04", None, "duplicate_choice")]
    answers["D1_04"] = [1, 7]
    errors = q.validate_answers(answers, lang="en")
    assert codes(errors) == [("D1_04", None, "exclusive_choice")]
    assert errors[0].message == "Question D1_04: “None” cannot be combined with other choices"
    answers["D1_04"] = [7]
    del answers["D1_05"]
    assert check(q, answers) == []


def test_a_missing_code_cannot_be_combined_with_choices(q: Questionnaire) -> None:
    answers = good()
    answers["D1_04"] = [99]
    del answers["D1_05"]
    assert check(q, answers) == []
    answers["D1_04"] = [1, 99]
    errors = q.validate_answers(answers, lang="en")
    assert codes(errors) == [("D1_04", None, "exclusive_choice")]
    assert errors[0].message == "Question D1_04: “refused” cannot be combined with other choices"


def test_choice_filter_rejects_choices_not_offered(q: Questionnaire) -> None:
    answers = good()
    answers["SN02"] = 2  # not among SN01's selections
    assert check(q, answers) == [("SN02", None, "filtered_out")]
    assert [c.code for c in q.question("SN02").offered_choices(answers)] == [1, 3]


def test_grid_rows(q: Questionnaire) -> None:
    answers = good()
    answers["P01"] = {"cook": 1, "wash": 2}
    assert check(q, answers) == [("P01", None, "unknown_grid_row")]
    answers["P01"] = {"cook": 4}
    assert check(q, answers) == [("P01", None, "not_in_choices")]
    answers["P01"] = {"cook": 2}  # a row may stay unanswered when the grid is optional
    assert check(q, answers) == []


def test_required_grid_needs_every_row() -> None:
    doc = _single_question(
        {
            "id": "P02",
            "type": "grid",
            "choices": "who",
            "required": True,
            "label": {"vi": "Ai quyết định?", "en": "Who decides?"},
            "rows": [
                {"id": "health", "label": {"vi": "Sức khỏe", "en": "Health"}},
                {"id": "buy", "label": {"vi": "Mua sắm", "en": "Purchases"}},
            ],
        }
    )
    q = questionnaire_from_dict(doc, "forms/t.json", "t")
    assert codes(q.validate_answers({"P02": {"health": 1}})) == [("P02_buy", None, "required")]
    assert codes(q.validate_answers({})) == [("P02", None, "required")]


def test_repeat_row_count_follows_the_count_expression(q: Questionnaire) -> None:
    answers = good()
    answers["roster"].pop()
    answers["C1"] = 1
    errors = q.validate_answers(answers, lang="en")
    assert codes(errors) == [("roster", None, "row_count")]
    assert errors[0].message == "Group roster: 3 rows expected, 2 given"


def test_repeat_rows_must_be_a_list_of_objects(q: Questionnaire) -> None:
    answers = good()
    answers["roster"] = {"M03": 1}
    assert ("roster", None, "wrong_type") in check(q, answers)


def test_calculated_value_is_recomputed_by_the_server(q: Questionnaire) -> None:
    answers = good()
    answers["C1"] = 3
    errors = q.validate_answers(answers, lang="en")
    assert codes(errors) == [("C1", None, "calculation_mismatch")]
    assert errors[0].message == "Question C1: calculated value 3 differs from the server's 2"
    answers["C1"] = 2.0
    assert check(q, answers) == []
    del answers["C1"]  # the server may fill it in
    assert check(q, answers) == []


def test_a_note_takes_no_answer(q: Questionnaire) -> None:
    answers = good()
    answers["N1"] = "x"
    assert check(q, answers) == [("N1", None, "note_answered")]


def test_answers_must_be_an_object(q: Questionnaire) -> None:
    [error] = q.validate_answers([1, 2], lang="en")
    assert error.code == "not_an_object" and "JSON object" in error.message
    [error] = q.validate_answers("x", lang="vi")
    assert "đối tượng JSON" in error.message


def test_every_message_exists_in_both_languages(q: Questionnaire) -> None:
    answers = copy.deepcopy(good())
    answers.update(
        {"ZZ": 1, "RSEX": 98, "D1_04": [1, 1], "P01": {"x": 1}, "C1": 9, "N1": 1, "HH04": "no"}
    )
    answers["roster"].pop()
    vi = q.validate_answers(answers, lang="vi")
    en = q.validate_answers(answers, lang="en")
    assert codes(vi) == codes(en) and len(vi) == 8
    for a, b in zip(vi, en, strict=True):
        assert a.message and b.message and a.message != b.message


def test_erroring_relevant_is_reported_and_treated_as_false() -> None:
    doc = _single_question(
        {
            "id": "Q2",
            "type": "text",
            "relevant": "${Q1} + 1 > 2",
            "label": {"vi": "Hai", "en": "Two"},
        }
    )
    doc["sections"][0]["items"].insert(
        0, {"id": "Q1", "type": "text", "label": {"vi": "Một", "en": "One"}}
    )
    q = questionnaire_from_dict(doc, "forms/t.json", "t")
    assert codes(q.validate_answers({"Q1": "abc"})) == [("Q2", None, "expression_error")]
    assert codes(q.validate_answers({"Q1": "abc", "Q2": "x"})) == [
        ("Q2", None, "expression_error"),
        ("Q2", None, "not_relevant"),
    ]


def test_nested_group_rows_report_both_indexes() -> None:
    doc = _single_question({"id": "HH02", "type": "integer", "label": {"vi": "Số", "en": "N"}})
    doc["sections"][0]["items"].append(
        {
            "id": "roster",
            "type": "repeat",
            "unit": "member",
            "count": "${HH02}",
            "label": {"vi": "Thành viên", "en": "Members"},
            "items": [
                {"id": "M07", "type": "integer", "label": {"vi": "Số con", "en": "Children"}},
                {
                    "id": "births",
                    "type": "repeat",
                    "unit": "birth",
                    "count": "${M07}",
                    "label": {"vi": "Lần sinh", "en": "Births"},
                    "items": [
                        {
                            "id": "B01",
                            "type": "single",
                            "choices": "who",
                            "required": True,
                            "label": {"vi": "Giới tính", "en": "Sex"},
                        }
                    ],
                },
            ],
        }
    )
    q = questionnaire_from_dict(doc, "forms/t.json", "t")
    answers = {
        "HH02": 2,
        "roster": [
            {"M07": 1, "births": [{"B01": 1}]},
            {"M07": 2, "births": [{"B01": 2}, {}]},
        ],
    }
    errors = q.validate_answers(answers)
    assert [(e.question_id, e.row, e.parent_row, e.code) for e in errors] == [
        ("B01", 1, 1, "required")
    ]
    answers["roster"][0]["births"].append({"B01": 1})
    assert [(e.question_id, e.row, e.code) for e in q.validate_answers(answers)] == [
        ("births", 0, "row_count"),
        ("B01", 1, "required"),
    ]


def _single_question(question: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "t",
        "version": "0.1.0",
        "languages": ["vi", "en"],
        "default_language": "vi",
        "title": {"vi": "T", "en": "T"},
        "unit": "individual",
        "analysis": {"weight": "w", "stratum": "s", "psu": "p"},
        "choice_lists": {
            "who": [
                {"code": 1, "name": "me", "label": {"vi": "Tôi", "en": "Me"}},
                {"code": 2, "name": "spouse", "label": {"vi": "Vợ/chồng", "en": "Spouse"}},
            ]
        },
        "sections": [{"id": "S", "title": {"vi": "S", "en": "S"}, "items": [question]}],
    }
