"""The household questionnaire, version 1.0.0 (still published, so still checked): the brief's ids,
both languages, and its skip logic."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import questionnaires
from questionnaires import load_questionnaire

PATH = Path(questionnaires.__file__).parent / "forms" / "versions" / "1.0.0" / "household.json"

BRIEF_IDS = [
    "D2_01",
    "D2_02",
    "D2_03",
    "D2_04",
    "D2_05",
    "D2_06",
    "D3_01",
    "D3_02",
    "D3_03",
    "D3_04",
    "D3_05",
    "D3_06",
    "D4_01",
    "D4_02",
    "D4_03",
    "D4_04",
    "D4_05",
    "D4_06",
    "D4_07",
    "D5_03",
    "D5_04",
    "D5_05",
    "D7_01",
    "D8_02",
]
ROSTER_BRIEF_IDS = {
    "D3_01",
    "D3_02",
    "D3_03",
    "D3_04",
    "D3_05",
    "D3_06",
    "D4_01",
    "D4_02",
    "D4_03",
    "D4_04",
    "D4_05",
    "D4_06",
    "D4_07",
    "D5_03",
    "D5_04",
    "D5_05",
    "D7_01",
}


@pytest.fixture(scope="module")
def form():
    return load_questionnaire(PATH)


def complete_household() -> dict[str, Any]:
    """A consistent, complete interview: a Tày couple with a son of 8."""
    return {
        "province": 20,
        "district": 186,
        "commune": 6490,
        "village": 12,
        "residence": 2,
        "household_no": 7,
        "interviewer_id": 21,
        "interview_date": "2026-11-30",
        "HH01": "Hoàng Văn An",
        "HH04": 1,
        "HH05": 1,
        "HH06": 3,
        "roster": [
            dict(
                M01="Hoàng Văn An",
                M02=1,
                M03=1,
                M04=45,
                M05=2,
                M06=2,
                D4_01=2,
                D3_01=1,
                D3_02=1,
                D3_03=0,
                D3_05=48,
                D4_03=1,
                D4_04=0,
                D4_05=2,
                D5_03=2,
                D5_04=1,
                D5_05=[1, 3],
                D7_01=1,
            ),
            dict(
                M01="Lý Thị Bình",
                M02=2,
                M03=2,
                M04=41,
                M05=7,
                M06=2,
                D4_01=1,
                D4_02=3,
                D3_01=1,
                D3_02=4,
                D3_03=1,
                D3_04=0,
                D3_05=40,
                D4_03=0,
                D4_05=0,
                D4_07=1,
                D5_03=1,
                D5_04=0,
                D7_01=1,
            ),
            dict(M01="Hoàng Văn Cường", M02=3, M03=1, M04=8, M05=2, D4_01=0, D7_01=1),
        ],
        "HH07": 2,
        "HH08": 2,
        "HH09": 1,
        "HH10": 1,
        "D2_01": 0,
        "D2_03": 1,
        "D2_04": [1],
        "D2_06": 3,
        "D8_02": 3,
        "HH11": 1,
        "HH12": 6,
        "HH13": 4,
        "HH14": 5,
        "HH15": 3,
        "HH16": 4,
        "HH17": 2,
        "HH18": {
            "tv": 1,
            "fridge": 1,
            "washing_machine": 0,
            "air_conditioner": 0,
            "water_heater": 0,
            "computer": 0,
            "motorbike": 1,
            "car": 0,
            "bicycle": 1,
            "farm_machine": 0,
        },
        "HH19": 2,
        "HH20": 5,
        "HH21": 20,
        "HH22": 1,
        "HH23": 1,
        "HH24": 2,
        "HH25": 2,
    }


def errors_of(form, answers: dict[str, Any], lang: str = "vi") -> set[tuple[str, Any, str]]:
    return {(e.question_id, e.row, e.code) for e in form.validate_answers(answers, lang=lang)}


def labelled_objects(node: Any, path: str = ""):
    """Yield (path, value) for every label-like object in the raw JSON."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("title", "label", "hint", "variable_label", "constraint_message"):
                yield f"{path}/{key}", value
            yield from labelled_objects(value, f"{path}/{node.get('id', key)}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from labelled_objects(value, f"{path}[{i}]")


def test_household_form_loads_with_its_design_fields(form) -> None:
    assert form.id == "household" == PATH.stem
    assert form.unit == "household"
    assert (form.analysis.weight, form.analysis.stratum, form.analysis.psu) == (
        "weight_final",
        "stratum",
        "psu",
    )
    assert form.analysis.sex == "M03"
    assert [c.name for c in form.question("M03").choices] == ["male", "female"]


def test_household_form_keeps_the_brief_ids_and_rosters_member_items(form) -> None:
    for question_id in BRIEF_IDS:
        form.question(question_id)
    roster = form.group("roster")
    assert roster.unit == "member"
    assert roster.count == "${HH06}"
    in_roster = {q.id for q in roster.iter_questions()}
    assert ROSTER_BRIEF_IDS | {"M01", "M02", "M03", "M04", "M05", "M06"} <= in_roster
    for design_field in ("province", "district", "commune", "village", "residence"):
        assert form.question(design_field).group is None


def test_household_ethnicity_list_has_the_briefs_groups(form) -> None:
    names = [c.name for c in form.question("M05").choices]
    assert names == ["tay", "nung", "kinh", "dao", "san_chay", "hoa", "hmong", "other"]


def test_every_household_label_is_given_in_vietnamese_and_english() -> None:
    raw = json.loads(PATH.read_text(encoding="utf-8"))
    found = list(labelled_objects(raw))
    assert len(found) > 300
    for where, label in found:
        assert set(label) == {"vi", "en"}, where
        assert label["vi"].strip() and label["en"].strip(), where


def test_every_household_question_has_both_labels_and_a_variable_label(form) -> None:
    for question in form.iter_questions():
        assert question.label.vi.strip() and question.label.en.strip(), question.id
        assert question.variable_label is not None, question.id
        assert question.variable_label.vi.strip() and question.variable_label.en.strip()
        if question.choices is not None:
            for choice in question.choices:
                assert choice.label.vi.strip() and choice.label.en.strip(), question.id
        if question.constraint is not None:
            assert question.constraint_message is not None, question.id


def test_names_and_phone_are_marked_identifying(form) -> None:
    identifying = {q.id for q in form.iter_questions() if q.identifying}
    assert identifying == {"HH01", "HH02", "HH03", "M01"}


def test_a_complete_consistent_household_is_valid(form) -> None:
    assert form.validate_answers(complete_household()) == []


def test_a_refusing_household_needs_only_the_cover(form) -> None:
    answers = {
        k: v
        for k, v in complete_household().items()
        if k
        in (
            "province",
            "district",
            "commune",
            "village",
            "residence",
            "household_no",
            "interviewer_id",
            "interview_date",
            "HH01",
        )
    }
    assert form.validate_answers({**answers, "HH04": 1, "HH05": 0}) == []
    assert form.validate_answers({**answers, "HH04": 2}) == []


def test_without_consent_the_roster_cannot_be_answered(form) -> None:
    answers = complete_household()
    answers["HH05"] = 0
    found = errors_of(form, answers)
    assert ("roster", None, "not_relevant") in found
    assert ("D2_01", None, "not_relevant") in found


def test_no_contact_skips_the_consent_question(form) -> None:
    answers = complete_household()
    answers["HH04"] = 4
    assert ("HH05", None, "not_relevant") in errors_of(form, answers)


def test_roster_must_have_as_many_lines_as_members(form) -> None:
    answers = complete_household()
    answers["HH06"] = 4
    assert ("roster", None, "row_count") in errors_of(form, answers)


def test_labour_items_are_asked_only_of_members_15_and_over(form) -> None:
    answers = complete_household()
    answers["roster"][2]["D3_01"] = 0
    answers["roster"][2]["M06"] = 1
    found = errors_of(form, answers)
    assert ("D3_01", 2, "not_relevant") in found
    assert ("M06", 2, "not_relevant") in found


def test_not_working_skips_to_the_reason(form) -> None:
    answers = complete_household()
    answers["roster"][0]["D3_01"] = 0
    found = errors_of(form, answers)
    for skipped in ("D3_02", "D3_03", "D3_05"):
        assert (skipped, 0, "not_relevant") in found
    assert ("D3_06", 0, "required") in found


def test_contract_question_is_for_wage_workers_only(form) -> None:
    answers = complete_household()
    answers["roster"][0]["D3_04"] = 1  # head works on the own farm
    assert ("D3_04", 0, "not_relevant") in errors_of(form, answers)


def test_hours_allow_dont_know_but_not_refused(form) -> None:
    answers = complete_household()
    answers["roster"][0]["D3_05"] = 98
    assert form.validate_answers(answers) == []
    answers["roster"][0]["D3_05"] = 99
    assert errors_of(form, answers) == {("D3_05", 0, "constraint")}


def test_age_constraint_message_is_bilingual(form) -> None:
    answers = complete_household()
    answers["roster"][0]["M04"] = 130
    vi = [e for e in form.validate_answers(answers, lang="vi") if e.question_id == "M04"]
    en = [e for e in form.validate_answers(answers, lang="en") if e.question_id == "M04"]
    assert [(e.row, e.code) for e in vi] == [(0, "constraint")]
    assert "Tuổi" in vi[0].message and "Age" in en[0].message


def test_vocational_items_stop_at_age_60(form) -> None:
    answers = complete_household()
    answers["roster"][0]["M04"] = 61
    found = errors_of(form, answers)
    for skipped in ("D4_03", "D4_04", "D4_05"):
        assert (skipped, 0, "not_relevant") in found
    assert ("D3_01", 0, "not_relevant") not in found


def test_never_trained_asks_why_and_not_who_paid(form) -> None:
    answers = complete_household()
    answers["roster"][1]["D4_06"] = 1
    assert ("D4_06", 1, "not_relevant") in errors_of(form, answers)
    del answers["roster"][1]["D4_06"]
    answers["roster"][0]["D4_07"] = 2  # the head has trained
    assert ("D4_07", 0, "not_relevant") in errors_of(form, answers)


def test_reading_card_only_below_lower_secondary(form) -> None:
    answers = complete_household()
    answers["roster"][0]["D4_02"] = 3  # the head finished lower secondary
    assert ("D4_02", 0, "not_relevant") in errors_of(form, answers)


def test_internet_purposes_only_for_users(form) -> None:
    answers = complete_household()
    answers["roster"][1]["D5_05"] = [3]
    assert ("D5_05", 1, "not_relevant") in errors_of(form, answers)


def test_spouse_of_head_must_be_married(form) -> None:
    answers = complete_household()
    answers["roster"][1]["M06"] = 1
    assert ("M06", 1, "constraint") in errors_of(form, answers)


def test_roster_needs_exactly_one_head(form) -> None:
    answers = complete_household()
    answers["roster"][1]["M02"] = 1
    answers["roster"][1]["M06"] = 2
    assert ("HH07", None, "constraint") in errors_of(form, answers)


def test_business_owner_must_be_a_roster_line(form) -> None:
    answers = complete_household()
    answers["D2_01"] = 1
    answers["D2_02"] = [2]
    assert form.validate_answers(answers) == []
    answers["D2_02"] = [2, 4]
    assert ("D2_02", None, "filtered_out") in errors_of(form, answers)


def test_owner_is_skipped_without_a_business(form) -> None:
    answers = complete_household()
    answers["D2_02"] = [1]
    assert ("D2_02", None, "not_relevant") in errors_of(form, answers)


def test_reason_for_no_loan_only_when_no_source(form) -> None:
    answers = complete_household()
    answers["D2_05"] = 2
    assert ("D2_05", None, "not_relevant") in errors_of(form, answers)
    answers["D2_04"] = [0]
    assert form.validate_answers(answers) == []
    answers["D2_04"] = [0, 1]
    assert ("D2_04", None, "exclusive_choice") in errors_of(form, answers)


def test_no_loan_needed_skips_to_the_land_certificate(form) -> None:
    answers = complete_household()
    answers["D2_03"] = 0
    assert ("D2_04", None, "not_relevant") in errors_of(form, answers)
    del answers["D2_04"]
    assert form.validate_answers(answers) == []


def test_every_asset_row_must_be_answered(form) -> None:
    answers = complete_household()
    del answers["HH18"]["car"]
    assert ("HH18_car", None, "required") in errors_of(form, answers)


def test_eligible_counts_are_recomputed_by_the_server(form) -> None:
    answers = complete_household()
    answers["HH23"] = 2
    assert ("HH23", None, "calculation_mismatch") in errors_of(form, answers)


def test_no_eligible_person_skips_the_selection(form) -> None:
    answers = copy.deepcopy(complete_household())
    answers["HH24"] = 1
    answers["roster"][0]["M04"] = 70
    answers["roster"][0]["D4_03"] = answers["roster"][0]["D4_04"] = None
    answers["roster"][0]["D4_05"] = None
    answers["HH22"] = 0
    found = errors_of(form, answers)
    assert found == {("HH25", None, "not_relevant")}
