"""The women's safety module, version 1.0.0 (forms/versions/1.0.0/women.json): content from the
brief, gates, skips."""

from pathlib import Path
from typing import Any

import pytest

from questionnaires import load_questionnaire, references

FORM = (
    Path(__file__).resolve().parents[2]
    / "questionnaires"
    / "forms"
    / "versions"
    / "1.0.0"
    / "women.json"
)
CONTENT_SECTIONS = ("W01", "W02", "W03", "W04", "W05", "W06", "W07", "W08")
PHYSICAL_ACTS = ("W03_01", "W03_02", "W03_03", "W03_04", "W03_05", "W03_06")
ALL_ACTS = (
    [f"W02_{n:02d}" for n in range(1, 5)]
    + list(PHYSICAL_ACTS)
    + [f"W04_{n:02d}" for n in range(1, 4)]
    + [f"W05_{n:02d}" for n in range(1, 4)]
)


@pytest.fixture(scope="module")
def women():
    return load_questionnaire(FORM)


def identification() -> dict[str, Any]:
    return {
        "province": 20,
        "district": 183,
        "commune": 6016,
        "village": 12,
        "residence": 2,
        "household_no": 5,
        "resp_line": 2,
        "resp_sex": 2,
        "resp_age": 34,
        "interviewer_id": 101,
        "interview_date": "2026-11-30",
        "interview_language": 3,
    }


def full_disclosure() -> dict[str, Any]:
    """A private, consenting, married woman who reports every act and sought help."""
    answers = identification()
    answers.update({"W00_02": 1, "W00_05": 1, "W00_06": 1, "W00_07": 1})
    answers.update({f"W01_{n:02d}": 1 for n in range(1, 8)})
    for act in ALL_ACTS:
        answers.update({act: 1, f"{act}_12M": 1, f"{act}_FRQ": 2})
    answers.update(
        {
            "W06_01": 1,
            "W06_02": 2,
            "W06_03": 1,
            "W06_04": [2, 7],
            "W06_05": 0,
            "W06_06": 1,
            "W06_07": 1,
            "W06_08": 0,
            "W07_01": [1, 6],
            "W07_02": [1, 3],
            "W07_03": [3],
            "W07_05": 1,
            "W08_01": [1, 2],
            "W08_02": 2,
            "W08_03": 98,
            "W08_04": [3, 8],
            "W09_02": 2,
            "W09_03": 1,
            "W09_04": 1,
            "W09_06": 1,
            "W09_07": 1,
        }
    )
    return answers


def error_ids(women, answers: dict[str, Any]) -> set[str | None]:
    return {error.question_id for error in women.validate_answers(answers, lang="en")}


def content_ids(women) -> set[str]:
    return {q.id for q in women.iter_questions() if q.section in CONTENT_SECTIONS}


def test_form_identity_and_design_fields(women):
    assert (women.id, women.unit) == ("women", "women")
    assert women.sensitive
    assert (women.analysis.weight, women.analysis.stratum, women.analysis.psu) == (
        "weight_final",
        "stratum",
        "psu",
    )
    sex = women.question(women.analysis.sex)
    assert sex.required and sex.choices is not None
    for qid in ("province", "district", "commune", "village", "residence", "resp_age"):
        assert women.question(qid).required


def test_every_question_has_both_labels_and_variable_labels(women):
    for q in women.iter_questions():
        for label in (q.label, q.variable_label):
            assert label is not None and label.vi.strip() and label.en.strip(), q.id
        if q.constraint:
            assert q.constraint_message.vi.strip() and q.constraint_message.en.strip(), q.id
    for choice_list in women.choice_lists.values():
        for choice in choice_list:
            assert choice.label.vi.strip() and choice.label.en.strip(), choice_list.name


def test_no_names_phones_or_free_text_in_the_module(women):
    # W answers are stored apart from names and GPS: the form must not collect them at all.
    for q in women.iter_questions():
        assert q.type != "text" and not q.identifying, q.id


def test_every_content_item_may_be_refused(women):
    for q in women.iter_questions():
        if q.section in CONTENT_SECTIONS and q.type != "note":
            assert 99 in q.missing_codes, q.id
            assert q.sensitive, q.id


def test_who_acts_record_ever_last_12_months_and_frequency(women):
    for act in ALL_ACTS:
        ever, last, freq = (
            women.question(act),
            women.question(f"{act}_12M"),
            women.question(f"{act}_FRQ"),
        )
        assert ever.type == last.type == "yesno"
        assert [c.name for c in freq.choices] == ["once", "few", "many"]
    labels = " ".join(women.question(a).label.en for a in PHYSICAL_ACTS)
    for words in ("slapped", "pushed", "fist", "kicked", "choked", "weapon"):
        assert words in labels


def test_help_sources_are_the_briefs_list(women):
    names = set(women.question("W07_02").choices.names())
    assert {
        "police",
        "commune",
        "womens_union",
        "health",
        "legal_aid",
        "reconciliation",
        "trusted_address",
        "shelter",
    } <= names


def test_referral_note_names_the_hotlines(women):
    note = women.question("W09_01")
    for lang in ("vi", "en"):
        assert "113" in note.label[lang] and "111" in note.label[lang]


def test_full_disclosure_interview_is_valid(women):
    assert women.validate_answers(full_disclosure(), lang="en") == []


@pytest.mark.parametrize(
    "gate",
    [
        {"W00_02": 0},  # no privacy
        {"W00_05": 0},  # she declines
        {"W00_05": 99},  # she refuses to answer the consent question
        {"W00_06": 0},  # the interviewer cannot attest oral consent
        {"W00_07": 5},  # never partnered
        {"W00_07": 99},  # partnership status refused
    ],
)
def test_content_is_unreachable_without_privacy_and_consent(women, gate):
    answers = full_disclosure()
    answers.update(gate)
    not_relevant = {
        e.question_id for e in women.validate_answers(answers) if e.code == "not_relevant"
    }
    answered_content = content_ids(women) & set(answers)
    assert answered_content and answered_content <= not_relevant


def test_content_sections_require_privacy_and_consent(women):
    for section in women.sections:
        if section.id in CONTENT_SECTIONS:
            for gate in ("${W00_02} = 1", "${W00_05} = 1", "${W00_06} = 1"):
                assert gate in section.relevant, section.id


def test_module_is_skippable_when_privacy_fails(women):
    answers = identification()
    answers.update({"W00_02": 0, "W00_03": 2, "W09_07": 4})
    assert women.validate_answers(answers) == []


def test_consent_is_only_asked_in_private(women):
    answers = identification()
    answers.update({"W00_02": 0, "W00_03": 1, "W00_05": 1, "W09_07": 3})
    assert "W00_05" in error_ids(women, answers)


def test_declined_consent_still_gets_referral_information(women):
    answers = identification()
    answers.update({"W00_02": 1, "W00_05": 0, "W09_02": 1, "W09_06": 0, "W09_07": 5})
    assert women.validate_answers(answers) == []
    del answers["W09_02"]
    assert "W09_02" in error_ids(women, answers)


def test_gate_answers_are_required(women):
    answers = identification()
    answers["W09_07"] = 4
    assert "W00_02" in error_ids(women, answers)


@pytest.mark.parametrize(
    ("change", "outcome"),
    [({"W00_02": 0, "W00_03": 2}, 1), ({"W00_05": 0}, 1), ({"W00_07": 5}, 1), ({}, 5)],
)
def test_module_result_must_match_the_gates(women, change, outcome):
    answers = identification()
    answers.update(
        {"W00_02": 1, "W00_05": 1, "W00_06": 1, "W00_07": 1, "W09_02": 1, "W09_03": 0, "W09_06": 0}
    )
    answers.update(change)
    for key in list(answers):
        if not _applies(women, key, answers):
            del answers[key]
    answers["W09_07"] = outcome
    assert "W09_07" in error_ids(women, answers)


def _applies(women, qid: str, answers: dict[str, Any]) -> bool:
    """Drop answers the changed gates made irrelevant, so only W09_07 is under test."""
    return all(
        e.code != "not_relevant" or e.question_id != qid for e in women.validate_answers(answers)
    )


def test_follow_ups_only_when_the_act_happened(women):
    answers = full_disclosure()
    answers["W03_04"] = 0
    assert {"W03_04_12M", "W03_04_FRQ"} <= error_ids(women, answers)
    answers = full_disclosure()
    answers["W03_04_12M"] = 0
    flagged = error_ids(women, answers)
    assert "W03_04_FRQ" in flagged and "W03_04_12M" not in flagged


def test_refusing_every_act_skips_injuries_and_help_seeking(women):
    answers = identification()
    answers.update(
        {
            "W00_02": 1,
            "W00_05": 1,
            "W00_06": 1,
            "W00_07": 4,
            "W09_02": 1,
            "W09_03": 0,
            "W09_06": 0,
            "W09_07": 2,
        }
    )
    answers.update({act: 99 for act in ALL_ACTS})
    assert women.validate_answers(answers) == []
    answers["W06_01"] = 1
    answers["W07_02"] = [1]
    assert {"W06_01", "W07_02"} <= error_ids(women, answers)


def test_injury_questions_follow_physical_or_sexual_violence_only(women):
    answers = full_disclosure()
    for act in ALL_ACTS:
        if not act.startswith("W02"):
            answers[act] = 0
            answers.pop(f"{act}_12M")
            answers.pop(f"{act}_FRQ")
    flagged = error_ids(women, answers)
    assert "W06_01" in flagged  # emotional violence alone: no injury section
    assert "W07_02" not in flagged  # but help-seeking is still asked


def test_help_in_last_12_months_comes_from_the_sources_ever_used(women):
    answers = full_disclosure()
    answers["W07_03"] = [5]  # legal aid, never named in W07_02
    assert "W07_03" in error_ids(women, answers)


def test_none_cannot_be_combined_with_a_help_source(women):
    answers = full_disclosure()
    answers["W07_02"] = [0, 1]
    assert "W07_02" in error_ids(women, answers)


def test_no_help_sought_asks_why_and_skips_support_received(women):
    answers = full_disclosure()
    for qid in ("W07_03", "W08_01", "W08_02", "W08_03"):
        del answers[qid]
    answers["W07_02"] = [0]
    answers["W07_04"] = [2, 6]
    assert women.validate_answers(answers) == []
    answers["W08_01"] = [1]
    assert "W08_01" in error_ids(women, answers)


def test_refused_help_sources_do_not_break_the_skip_logic(women):
    answers = full_disclosure()
    for qid in ("W07_03", "W08_01", "W08_02", "W08_03"):
        del answers[qid]
    answers["W07_02"] = 99
    assert women.validate_answers(answers) == []


def test_focal_person_consent_only_when_in_danger(women):
    answers = full_disclosure()
    answers["W09_03"] = 0
    assert "W09_04" in error_ids(women, answers)


@pytest.mark.parametrize(
    ("qid", "value"),
    [("resp_sex", 1), ("resp_age", 17), ("resp_age", 65), ("W09_06", 21), ("district", 179)],
)
def test_identification_values_are_checked(women, qid, value):
    answers = full_disclosure()
    answers[qid] = value
    assert qid in error_ids(women, answers)


def test_help_in_last_12_months_may_be_none_but_not_none_and_a_source(women):
    answers = full_disclosure()
    answers["W07_03"] = [0]
    assert women.validate_answers(answers) == []
    answers["W07_03"] = [0, 3]
    assert "W07_03" in error_ids(women, answers)


def test_browser_gets_the_gate_for_every_content_section(women):
    sections = {s["id"]: s for s in women.to_client_dict()["sections"]}
    for section_id in CONTENT_SECTIONS:
        refs = references(sections[section_id]["ast"]["relevant"])
        assert {"W00_02", "W00_05", "W00_06", "W00_07"} <= refs, section_id
