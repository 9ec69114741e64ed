"""Questionnaires 1.1.0: the new content behaves, 1.0.0 stays beside it, and the interrupt control
and generated link id are format features the loader checks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import questionnaires
from questionnaires import QuestionnaireError, load_bundled, load_questionnaire
from questionnaires.loader import earlier_version_paths, questionnaire_from_dict
from questionnaires.plans import bundled_plan_path, load_plan
from questionnaires.versions import plan_comparability, question_changes
from tests.questionnaires.test_forms_household import complete_household

FORMS = Path(questionnaires.__file__).parent / "forms"
LINK = "k3f9a0b1c2d3e4f5"


@pytest.fixture(scope="module")
def forms() -> dict[str, Any]:
    return load_bundled()


@pytest.fixture(scope="module")
def old_forms() -> dict[str, Any]:
    return {
        path.stem: load_questionnaire(path)
        for path in earlier_version_paths()
        if path.parent.name == "1.0.0"
    }


def errors_of(form, answers: dict[str, Any]) -> set[tuple[str | None, Any, str]]:  # noqa: ANN001
    return {(e.question_id, e.row, e.code) for e in form.validate_answers(answers, lang="en")}


def household_v11() -> dict[str, Any]:
    """The 1.0.0 test household, completed with every 1.1.0 question that applies."""
    answers = complete_household()
    answers["interview_language"] = 2
    head, wife, son = answers["roster"]
    wg = dict(WG_SEE=1, WG_HEAR=1, WG_WALK=1, WG_COG=1, WG_SELF=1, WG_COMM=1)
    head.update(wg, M07=22, D3_09=6)
    head["WG_WALK"] = 3  # a lot of difficulty walking: disabled by the Washington Group cut-off
    head["WG_DISABILITY"] = 1
    head["LF_STATUS"] = 1
    wife.update(wg, M07=19, D3_09=9, D3_04b=0, D3_10=4500, M08=1, LF_STATUS=1)
    wife["WG_DISABILITY"] = 0
    son.update(wg, WG_DISABILITY=0)
    answers["D2_07"] = 3
    answers["HHB01"] = 1
    answers["hh_births"] = [dict(B01=2, B02=2, B03=5, B04=2026, B05=3, B06=4, B07=1)]
    answers["W_LINK"] = LINK
    return answers


def test_every_form_is_version_1_1_0_and_1_0_0_is_kept(forms) -> None:  # noqa: ANN001
    """The household form is 1.1.1: 1.1.0's questions with its selection rule declared, 1.1.0
    kept unchanged beside it (a published version never changes)."""
    expected = dict.fromkeys(["commune", "district", "individual", "province", "women"], "1.1.0")
    assert {qid: f.version for qid, f in forms.items()} == expected | {"household": "1.1.1"}
    earlier = {(path.stem, load_questionnaire(path).version) for path in earlier_version_paths()}
    assert earlier == {
        *((name, "1.0.0") for name in ("commune", "household", "individual", "women")),
        ("household", "1.1.0"),
    }


def test_every_form_records_language_and_interviewer(forms) -> None:  # noqa: ANN001
    for form in forms.values():
        assert form.question("interview_language").required
        assert form.question("interviewer_id").required


def test_a_complete_1_1_0_household_is_valid(forms) -> None:  # noqa: ANN001
    assert errors_of(forms["household"], household_v11()) == set()


def test_disability_is_asked_from_age_5_and_follows_the_cut_off(forms) -> None:  # noqa: ANN001
    form = forms["household"]
    see = form.question("WG_SEE")
    assert [c.code for c in see.choices] == [1, 2, 3, 4]
    answers = household_v11()
    answers["roster"][2]["M04"] = 4  # a child of 4 is not asked the short set
    assert ("WG_SEE", 2, "not_relevant") in errors_of(form, answers)
    answers = household_v11()
    answers["roster"][0]["WG_DISABILITY"] = 0  # "a lot of difficulty" walking counts
    assert ("WG_DISABILITY", 0, "calculation_mismatch") in errors_of(form, answers)
    answers = household_v11()
    answers["roster"][0]["WG_WALK"] = 2
    answers["roster"][0]["WG_DISABILITY"] = 0  # "some difficulty" does not
    assert errors_of(form, answers) == set()


@pytest.mark.parametrize(
    ("work", "status"),
    [
        (dict(D3_01=0, D3_06=5, D3_07=1, D3_08=1), 2),  # sought work and available: unemployed
        (dict(D3_01=0, D3_06=5, D3_07=1, D3_08=0), 3),  # not available: outside
        (dict(D3_01=0, D3_06=1, D3_07=0), 3),  # not seeking: outside
        (dict(D3_01=0, D3_06=6), 1),  # temporarily absent from a job: employed
    ],
)
def test_labour_force_status_follows_the_ilo_rules(forms, work, status) -> None:  # noqa: ANN001
    answers = household_v11()
    wife = answers["roster"][1]
    for key in ("D3_02", "D3_03", "D3_04", "D3_04b", "D3_05", "D3_09", "D3_10", "D4_07"):
        wife.pop(key, None)
    wife.update(work, D4_07=1, LF_STATUS=status)
    assert errors_of(forms["household"], answers) == set()
    wife["LF_STATUS"] = 1 if status != 1 else 2
    assert ("LF_STATUS", 1, "calculation_mismatch") in errors_of(forms["household"], answers)


def test_earnings_and_both_halves_of_the_old_d3_04_are_asked_of_wage_workers(forms) -> None:  # noqa: ANN001
    form = forms["household"]
    answers = household_v11()
    answers["roster"][0]["D3_10"] = 3000  # the head works his own farm: no wage question
    assert ("D3_10", 0, "not_relevant") in errors_of(form, answers)
    answers = household_v11()
    answers["roster"][0]["D3_04b"] = 1
    assert ("D3_04b", 0, "not_relevant") in errors_of(form, answers)
    assert form.question("D3_04b").relevant == form.question("D3_04").relevant


def test_births_are_asked_of_every_woman_15_to_49(forms) -> None:  # noqa: ANN001
    form = forms["household"]
    answers = household_v11()
    answers["roster"][0]["M08"] = 0  # a man is never asked
    assert ("M08", 0, "not_relevant") in errors_of(form, answers)
    answers = household_v11()
    answers["roster"][1]["M08"] = 2  # two births declared, one row given
    answers["HHB01"] = 2
    assert ("hh_births", None, "row_count") in errors_of(form, answers)


def test_age_at_first_union_cannot_exceed_age(forms) -> None:  # noqa: ANN001
    answers = household_v11()
    answers["roster"][1]["M07"] = 50
    assert ("M07", 1, "constraint") in errors_of(forms["household"], answers)


def test_the_link_id_is_a_generated_random_id(forms) -> None:  # noqa: ANN001
    form = forms["household"]
    assert form.question("W_LINK").generate == "random_id"
    assert form.to_client_dict()["sections"][-1]["items"][-2]["generate"] == "random_id"
    answers = household_v11()
    answers["W_LINK"] = "Hoàng Văn An 123"
    assert ("W_LINK", None, "wrong_type") in errors_of(form, answers)


def test_the_womens_record_holds_nothing_that_names_her_household(forms) -> None:  # noqa: ANN001
    women = forms["women"]
    ids = {q.id for q in women.iter_questions()}
    assert not ids & {"commune", "village", "household_no", "resp_line", "HH01", "resp_name"}
    assert not any(q.identifying for q in women.iter_questions())
    assert {"hh_link", "interviewer_sex", "W09_08"} <= ids


def test_the_womens_module_declares_its_interrupt_control(forms) -> None:  # noqa: ANN001
    women = forms["women"]
    assert women.interrupt is not None
    assert women.interrupt.alternate == "W_ALT"
    assert women.interrupt.label.vi == "Gián đoạn" and women.interrupt.label.en == "Interrupted"
    assert set(women.interrupt.sections) >= {"W01", "W02", "W03", "W04", "W05"}
    client = women.to_client_dict()
    assert client["interrupt"]["alternate"] == "W_ALT"
    alternate = next(s for s in women.sections if s.id == "W_ALT")
    assert alternate.relevant is None and all(i.type == "note" for i in alternate.items)


def _women_doc() -> dict[str, Any]:
    return json.loads((FORMS / "women.json").read_text(encoding="utf-8"))


def test_the_alternate_section_may_record_nothing() -> None:
    doc = _women_doc()
    alternate = next(s for s in doc["sections"] if s["id"] == "W_ALT")
    alternate["items"].append({"id": "W_ALT_09", "type": "yesno", "label": {"vi": "x", "en": "x"}})
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(doc, "forms/women.json", "women")
    assert any("W_ALT_09" in m and "not a note" in m for m in caught.value.messages)
    assert any("W_ALT_09" in m for m in caught.value.messages_vi)


def test_interrupt_names_real_sections() -> None:
    doc = _women_doc()
    doc["interrupt"]["sections"].append("W99")
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(doc, "forms/women.json", "women")
    assert any("'W99'" in m for m in caught.value.messages)


def test_only_text_questions_are_generated() -> None:
    doc = json.loads((FORMS / "household.json").read_text(encoding="utf-8"))
    doc["sections"][0]["items"][0]["generate"] = "random_id"  # province, a single
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(doc, "forms/household.json", "household")
    assert any("question province" in m and "generate" in m for m in caught.value.messages)


def test_likert_midpoint_reads_neither_agree_nor_disagree(forms) -> None:  # noqa: ANN001
    a01 = forms["individual"].question("A01")
    assert [c.label.vi for c in a01.choices][2] == "Không đồng ý cũng không phản đối"
    assert forms["individual"].question("A01b").choices.name == "agree5"


def test_commune_form_drops_province_media_and_adds_leadership(forms) -> None:  # noqa: ANN001
    ids = {q.id for q in forms["commune"].iter_questions()}
    assert not ids & {"COM_M2", "COM_M4_1", "COM_M4_2", "COM_S1_1"}
    assert {"COM_P5_1", "COM_P5_2", "COM_P6_1", "COM_P6_2"} <= ids
    assert "2020" not in forms["commune"].question("COM_P1_1").label.vi
    province = {q.id for q in forms["province"].iter_questions()}
    assert {"PRO_M1_1", "PRO_M1_2", "PRO_M2_1", "PRO_M2_2", "PRO_P1_1", "PRO_E3_2"} <= province


def test_question_changes_name_what_changed(forms, old_forms) -> None:  # noqa: ANN001
    household = question_changes(old_forms["household"], forms["household"])
    assert household["D3_04"] == "changed" and household["D3_04b"] == "added"
    assert "D3_01" not in household  # same meaning in both versions
    women = question_changes(old_forms["women"], forms["women"])
    assert women["household_no"] == "removed"


def test_an_indicator_whose_definition_changed_is_not_comparable(forms, old_forms) -> None:  # noqa: ANN001
    plan = load_plan(bundled_plan_path(), forms)
    verdict = {(c.kind, c.id): c for c in plan_comparability(plan, old_forms, forms)}
    knowledge = verdict[("indicator", "K.score")]
    assert not knowledge.comparable and knowledge.questions == {"K13": "changed"}
    assert not verdict[("table", "A.2")].comparable
    assert verdict[("indicator", "I1.1")].comparable  # D1_01 kept its meaning
    assert verdict[("table", "D4.3")].comparable


def test_a_wording_change_alone_breaks_comparability(old_forms) -> None:  # noqa: ANN001
    doc = json.loads((FORMS / "versions/1.0.0/individual.json").read_text(encoding="utf-8"))
    changed = copy.deepcopy(doc)
    changed["version"] = "1.0.1"
    for section in changed["sections"]:
        for item in section["items"]:
            if item["id"] == "D1_01":
                item["label"]["vi"] = "Trong 5 năm qua, ông/bà có dự họp thôn không?"
    new = questionnaire_from_dict(changed, "forms/individual.json", "individual")
    assert question_changes(old_forms["individual"], new) == {"D1_01": "changed"}


def test_compare_command_lists_what_is_not_comparable() -> None:
    from click.testing import CliRunner

    from survey_app.cli import cli

    result = CliRunner().invoke(cli, ["questionnaires", "compare", "--from", "1.0.0"])
    assert result.exit_code == 0, result.output
    assert "Table K.3: not comparable: K13 (definition changed)" in result.output
    assert "Indicator I1.1" not in result.output
    missing = CliRunner().invoke(
        cli, ["questionnaires", "compare", "--from", "0.9.0", "--lang", "vi"]
    )
    assert missing.exit_code == 1 and "Không có phiên bản 0.9.0" in missing.output
