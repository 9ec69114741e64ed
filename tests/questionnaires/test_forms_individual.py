"""The individual questionnaire (forms A/B), version 1.0.0 (still published): the brief's items in
both languages, its design fields and missing codes, and its skip logic and constraints behave."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from questionnaires import load_questionnaire
from questionnaires.model import Questionnaire

FORM_FILE = resources.files("questionnaires").joinpath("forms/versions/1.0.0/individual.json")
LABEL_KEYS = ("title", "label", "hint", "variable_label", "constraint_message")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")

BRIEF_IDS = (
    [f"D1_0{i}" for i in range(1, 7)]
    + ["D5_01", "D5_02"]
    + [f"D6_0{i}" for i in range(1, 7)]
    + ["D7_02", "D7_03", "D7_04", "D7_05", "D7_06", "D8_01", "D8_03", "D8_04"]
    + [f"K{i:02d}" for i in range(1, 16)]
    + [f"A{i:02d}" for i in range(1, 15)]
    + [f"A15{s}" for s in "abcde"]
    + [f"P{i:02d}" for i in range(1, 11)]
    + ["SN01", "SN02_1", "SN02_2", "SN02_3", "SN03", "SN04", "SN05"]
)
KAP_IDS = [i for i in BRIEF_IDS if re.match(r"^(K|A|P)\d", i)]
FALSE_KEYED = {"K04", "K06"}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return json.loads(FORM_FILE.read_text(encoding="utf-8"))


def walk_items(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from walk_items(item.get("items", []))


def questions(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in raw["sections"] for item in walk_items(section["items"])]


def by_id(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in questions(raw)}


def label_objects(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (path, value) for every label-like value anywhere in the form."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}/{node.get('id', node.get('name', ''))}.{key}"
            if key in LABEL_KEYS:
                yield path, value
            else:
                yield from label_objects(value, path)
    elif isinstance(node, list):
        for value in node:
            yield from label_objects(value, where)


# ------------------------------------------------------------------ the JSON itself


def test_form_id_is_file_name_and_unit_is_individual(raw: dict[str, Any]) -> None:
    assert raw["id"] == "individual"
    assert raw["unit"] == "individual"
    assert raw["languages"] == ["vi", "en"] and raw["default_language"] == "vi"


def test_every_brief_question_id_is_present(raw: dict[str, Any]) -> None:
    ids = by_id(raw)
    assert [i for i in BRIEF_IDS if i not in ids] == []


def test_ids_are_unique_including_grid_row_export_names(raw: dict[str, Any]) -> None:
    names = [s["id"] for s in raw["sections"]]
    for item in questions(raw):
        names.append(item["id"])
        names += [f"{item['id']}_{row['id']}" for row in item.get("rows", [])]
    assert len(names) == len(set(names))


def test_every_label_has_non_empty_vietnamese_and_english(raw: dict[str, Any]) -> None:
    found = list(label_objects(raw))
    assert len(found) > 300
    for path, value in found:
        assert set(value) == {"vi", "en"}, path
        assert value["vi"].strip() and value["en"].strip(), path


def test_question_labels_are_translated_not_copied(raw: dict[str, Any]) -> None:
    for item in questions(raw):
        assert item["label"]["vi"] != item["label"]["en"], item["id"]
        # Vietnamese wording carries diacritics; a label without any was left untranslated.
        assert re.search(r"[^\x00-\x7f]", item["label"]["vi"]), item["id"]


def test_every_answerable_question_has_a_variable_label(raw: dict[str, Any]) -> None:
    missing = [
        q["id"]
        for q in questions(raw)
        if q["type"] not in ("note", "repeat") and "variable_label" not in q
    ]
    assert missing == []


@pytest.mark.parametrize("question_id", KAP_IDS)
def test_kap_items_accept_dont_know_and_refused(raw: dict[str, Any], question_id: str) -> None:
    assert by_id(raw)[question_id]["missing_codes"] == [98, 99]


@pytest.mark.parametrize("question_id", [f"K{i:02d}" for i in range(1, 16)])
def test_knowledge_key_matches_the_brief(raw: dict[str, Any], question_id: str) -> None:
    question = by_id(raw)[question_id]
    choices = raw["choice_lists"][question["choices"]]
    correct = [c["name"] for c in choices if c["correct"] == 1]
    assert correct == (["false"] if question_id in FALSE_KEYED else ["true"])


def test_choice_lists_use_allowed_codes_and_snake_case_names(raw: dict[str, Any]) -> None:
    for name, choices in raw["choice_lists"].items():
        codes = [c["code"] for c in choices]
        names = [c["name"] for c in choices]
        assert len(set(codes)) == len(codes), name
        assert len(set(names)) == len(names), name
        assert not {98, 99} & set(codes), name
        assert all(SNAKE.match(n) for n in names), name
    assert not {"yesno", "likert5"} & set(raw["choice_lists"])


def test_constraints_come_with_a_message(raw: dict[str, Any]) -> None:
    for q in questions(raw):
        assert ("constraint" in q) == ("constraint_message" in q), q["id"]


def test_only_name_and_phone_are_identifying(raw: dict[str, Any]) -> None:
    identifying = {q["id"] for q in questions(raw) if q.get("identifying")}
    assert identifying == {"resp_name", "resp_phone"}


def test_analysis_block_names_design_fields_and_the_sex_question(raw: dict[str, Any]) -> None:
    analysis = raw["analysis"]
    assert (analysis["weight"], analysis["stratum"], analysis["psu"]) == (
        "weight_final",
        "stratum",
        "psu",
    )
    sex = by_id(raw)[analysis["sex"]]
    assert sex["type"] == "single" and sex["required"]
    assert {c["code"]: c["name"] for c in raw["choice_lists"][sex["choices"]]} == {
        1: "male",
        2: "female",
    }


def test_identification_fields_for_analysis_are_required(raw: dict[str, Any]) -> None:
    items = by_id(raw)
    for qid in (
        "province",
        "district",
        "commune",
        "village",
        "residence",
        "household_no",
        "resp_line",
        "resp_sex",
        "resp_age",
    ):
        assert items[qid]["required"], qid
    districts = {c["code"] for c in raw["choice_lists"][items["district"]["choices"]]}
    assert districts == {178, *range(180, 190)}


def test_births_are_a_repeat_group_counted_by_d7_02(raw: dict[str, Any]) -> None:
    group = by_id(raw)["D7_03"]
    assert group["type"] == "repeat" and group["unit"] == "birth"
    assert group["count"] == "${D7_02}"
    assert {q["id"] for q in group["items"]} == {
        "D7_03_SEX",
        "D7_03_MONTH",
        "D7_03_YEAR",
        "D7_03_ORDER",
    }


# ------------------------------------------------------------------ through the loader


@pytest.fixture(scope="module")
def form() -> Questionnaire:
    return load_questionnaire(str(FORM_FILE))


def woman_with_a_recent_birth() -> dict[str, Any]:
    """Form B: a married Tày woman of 30 with two children, one born 15 months ago."""
    answers: dict[str, Any] = {
        "form_type": 2,
        "province": 20,
        "district": 186,
        "commune": 6301,
        "village": 12,
        "residence": 2,
        "household_no": 7,
        "resp_line": 2,
        "interviewer_id": 31,
        "interview_day": 15,
        "interview_month": 6,
        "interview_year": 2026,
        "consent": 1,
        "resp_name": "Hoàng Thị Mai",
        "resp_phone": "0912345678",
        "resp_sex": 2,
        "resp_age": 30,
        "resp_ethnicity": 2,
        "resp_marital": 2,
        "n_children": 2,
        "n_children_u15": 2,
        "D1_01": 1,
        "D1_02": 0,
        "D1_03": 1,
        "D1_04": [2],
        "D1_05": 0,
        "D1_06": 3,
        "farm_hh": 1,
        "D5_01": 1,
        "D5_02": 0,
        "D6_01": 1,
        "D6_02": [1, 6],
        "D6_03": 0,
        "D6_04": 2,
        "D6_05": 0,
        "D6_06": 0,
        "D7_02": 1,
        "D7_03": [{"D7_03_SEX": 1, "D7_03_MONTH": 3, "D7_03_YEAR": 2025, "D7_03_ORDER": 2}],
        "D7_04": 1,
        "D7_05": 0,
        "D7_06": 3,
        "D8_01": 5,
        "D8_03": 1,
        "D8_04": 1,
        "P01": {"cook": 1, "clean": 1, "childcare": 3, "care_sick": 6, "water_wood": 2},
        "P02": {
            "own_health": 1,
            "large_purchases": 2,
            "family_visits": 2,
            "own_earnings": 1,
            "land_livestock": 3,
            "schooling": 2,
        },
        "P03": 1,
        "P04": 4,
        "P06": [1, 2],
        "P07": 1,
        "P08": [2, 4],
        "P09": 0,
        "P10": 1,
        "SN01": [1, 2, 9],
        "SN02_1": 2,
        "SN02_2": 9,
        "SN02_3": 1,
        "SN03": 2,
        "SN04": [3, 5],
        "SN05": 0,
    }
    answers.update({f"K{i:02d}": 1 for i in range(1, 16)})
    answers["K13"] = 98
    answers.update({f"A{i:02d}": 2 for i in range(1, 15)})
    answers.update({f"A15{s}": 0 for s in "abcde"})
    return answers


def single_man_without_children() -> dict[str, Any]:
    """Form A: a never-married Nùng man of 40 without children: couple items are skipped."""
    answers = woman_with_a_recent_birth()
    for qid in (
        "n_children_u15",
        "D7_02",
        "D7_03",
        "D7_04",
        "D7_05",
        "D7_06",
        "D8_03",
        "D8_04",
        "P01",
        "P02",
        "P04",
        "P06",
        "P10",
    ):
        del answers[qid]
    answers.update(
        {
            "form_type": 1,
            "resp_sex": 1,
            "resp_age": 40,
            "resp_ethnicity": 7,
            "resp_name": "Lành Văn Sơn",
            "resp_marital": 1,
            "n_children": 0,
            "D1_04": [7],
            "SN01": [17],
        }
    )
    for qid in ("SN02_1", "SN02_2", "SN02_3", "SN03", "SN04"):
        del answers[qid]
    return answers


def error_ids(form: Questionnaire, answers: dict[str, Any]) -> set[str]:
    return {error.question_id for error in form.validate_answers(answers, lang="en")}


def errors(form: Questionnaire, answers: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e.question_id, e.code) for e in form.validate_answers(answers, lang="en")}


def test_loader_reads_the_form_with_its_design_fields(form: Questionnaire) -> None:
    assert form.id == "individual" and form.unit == "individual"
    assert form.analysis.sex == "resp_sex" and form.analysis.weight == "weight_final"
    assert form.question("D7_03_SEX").type == "single"


@pytest.mark.parametrize(
    "answers",
    [woman_with_a_recent_birth(), single_man_without_children()],
    ids=["form_b_woman", "form_a_man"],
)
def test_a_complete_interview_has_no_errors(form: Questionnaire, answers: dict[str, Any]) -> None:
    assert form.validate_answers(answers, lang="vi") == []


def test_nothing_after_the_consent_question_is_asked_without_consent(form: Questionnaire) -> None:
    answers = {
        k: v
        for k, v in woman_with_a_recent_birth().items()
        if k
        in {
            "form_type",
            "province",
            "district",
            "commune",
            "village",
            "residence",
            "household_no",
            "resp_line",
            "interviewer_id",
            "interview_day",
            "interview_month",
            "interview_year",
        }
    }
    assert form.validate_answers({**answers, "consent": 0}) == []
    assert ("D1_01", "not_relevant") in errors(form, {**answers, "consent": 0, "D1_01": 1})


@pytest.mark.parametrize(
    ("change", "wrong"),
    [
        ({"D1_01": 0}, "D1_02"),  # No -> D1_03: D1_02 is not asked
        ({"D6_01": 0}, "D6_02"),
        ({"farm_hh": 0}, "D5_01"),
        ({"P07": 0}, "P08"),
        ({"resp_marital": 4}, "P01"),  # the chore and decision grids are for couples
        ({"resp_marital": 4}, "D7_06"),
        ({"resp_age": 50}, "D7_02"),  # reproductive health: women 15-49 only
        ({"n_children_u15": 0}, "D8_03"),
    ],
)
def test_skip_logic_rejects_answers_to_questions_that_were_skipped(
    form: Questionnaire, change: dict[str, Any], wrong: str
) -> None:
    assert (wrong, "not_relevant") in errors(form, {**woman_with_a_recent_birth(), **change})


def test_a_man_is_not_asked_the_reproductive_health_questions(form: Questionnaire) -> None:
    answers = {**single_man_without_children(), "D7_02": 0}
    assert ("D7_02", "not_relevant") in errors(form, answers)


def test_births_after_zero_are_skipped(form: Questionnaire) -> None:
    answers = woman_with_a_recent_birth()
    answers.update({"D7_02": 0})
    for qid in ("D7_03", "D7_04", "D7_05"):
        del answers[qid]
    assert form.validate_answers(answers) == []
    assert ("D7_04", "not_relevant") in errors(form, {**answers, "D7_04": 1})


@pytest.mark.parametrize(
    ("change", "wrong", "code"),
    [
        ({"resp_sex": 1}, "resp_sex", "constraint"),  # form B is for a woman
        ({"resp_age": 17}, "resp_age", "constraint"),
        ({"n_children_u15": 3}, "n_children_u15", "constraint"),  # more than all children
        ({"D8_01": 25}, "D8_01", "constraint"),  # hours 0-24
        ({"D6_04": -1}, "D6_04", "constraint"),
        ({"SN02_2": 2}, "SN02_2", "filtered_out"),  # the same need cannot be ranked twice
        ({"SN02_1": 5}, "SN02_1", "filtered_out"),  # priorities come from SN01's answers
        ({"D1_04": [1, 7]}, "D1_04", "exclusive_choice"),  # "none" stands alone
        ({"D7_02": 2}, "D7_03", "row_count"),  # one birth row per birth
    ],
)
def test_constraints_and_choice_filters_reject_bad_answers(
    form: Questionnaire, change: dict[str, Any], wrong: str, code: str
) -> None:
    assert (wrong, code) in errors(form, {**woman_with_a_recent_birth(), **change})


@pytest.mark.parametrize(
    ("question_id", "value", "code"),
    [
        ("D1_02", 98, "undeclared_missing_code"),  # D1_02 declares no "don't know"
        ("A05", 97, "not_in_choices"),
        ("SN01", 98, "wrong_type"),  # SN01 declares no missing code: a list is needed
        ("D7_02", 98, "constraint"),  # an integer without missing codes reads 98 as births
    ],
)
def test_only_declared_missing_codes_are_accepted(
    form: Questionnaire, question_id: str, value: int, code: str
) -> None:
    answers = {**woman_with_a_recent_birth(), question_id: value}
    assert (question_id, code) in errors(form, answers)


def test_constraint_messages_come_in_the_interviewers_language(form: Questionnaire) -> None:
    answers = {**woman_with_a_recent_birth(), "D8_01": 25}
    assert [e.message for e in form.validate_answers(answers, lang="vi")] == ["Số giờ từ 0 đến 24"]
    assert [e.message for e in form.validate_answers(answers, lang="en")] == [
        "Hours must be 0 to 24"
    ]


def test_dont_know_and_refused_are_accepted_on_attitude_items(form: Questionnaire) -> None:
    answers = {
        **woman_with_a_recent_birth(),
        "A05": 98,
        "A12": 99,
        "A15e": 99,
        "P02": {
            "own_health": 99,
            "large_purchases": 2,
            "family_visits": 98,
            "own_earnings": 1,
            "land_livestock": 3,
            "schooling": 2,
        },
    }
    assert form.validate_answers(answers) == []


def test_a_birth_must_fall_in_the_24_months_before_the_interview(form: Questionnaire) -> None:
    answers = woman_with_a_recent_birth()
    answers["D7_03"] = [{**answers["D7_03"][0], "D7_03_YEAR": 2024}]  # 27 months earlier
    errors = form.validate_answers(answers, lang="en")
    assert [(e.question_id, e.row) for e in errors] == [("D7_03_YEAR", 0)]


def test_knowledge_keys_are_readable_from_the_loaded_model(form: Questionnaire) -> None:
    for i in range(1, 16):
        question = form.question(f"K{i:02d}")
        keyed = [c.name for c in question.choices if c.attributes.get("correct") == 1]
        assert keyed == (["false"] if question.id in FALSE_KEYED else ["true"])
