"""The bundled individual questionnaire (forms A/B) carries the brief's items in both languages,
declares its design fields and missing codes, and its skip logic and constraints behave."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

FORM_FILE = resources.files("questionnaires").joinpath("forms/individual.json")
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
        q["id"] for q in questions(raw) if q["type"] not in ("note", "repeat")
        and "variable_label" not in q
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
        "weight_final", "stratum", "psu")
    sex = by_id(raw)[analysis["sex"]]
    assert sex["type"] == "single" and sex["required"]
    assert {c["code"]: c["name"] for c in raw["choice_lists"][sex["choices"]]} == {
        1: "male", 2: "female"}


def test_identification_fields_for_analysis_are_required(raw: dict[str, Any]) -> None:
    items = by_id(raw)
    for qid in ("province", "district", "commune", "village", "residence", "household_no",
                "resp_line", "resp_sex", "resp_age"):
        assert items[qid]["required"], qid
    districts = {c["code"] for c in raw["choice_lists"][items["district"]["choices"]]}
    assert districts == {178, *range(180, 190)}


def test_births_are_a_repeat_group_counted_by_d7_02(raw: dict[str, Any]) -> None:
    group = by_id(raw)["D7_03"]
    assert group["type"] == "repeat" and group["unit"] == "birth"
    assert group["count"] == "${D7_02}"
    assert {q["id"] for q in group["items"]} == {
        "D7_03_SEX", "D7_03_MONTH", "D7_03_YEAR", "D7_03_ORDER"}
