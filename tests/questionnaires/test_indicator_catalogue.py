"""The indicator catalogue is checked like a form: every problem named, in both languages."""

from __future__ import annotations

import copy
import json

import pytest

from questionnaires.errors import QuestionnaireError
from questionnaires.indicator_catalogue import (
    bundled_catalogue_path,
    catalogue_from_dict,
    load_bundled_catalogue,
)
from questionnaires.plans import bundled_plan_path


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(bundled_catalogue_path().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plan() -> dict:
    return json.loads(bundled_plan_path().read_text(encoding="utf-8"))


def test_bundled_catalogue_holds_every_survey_indicator_of_the_plan(plan) -> None:
    catalogue = load_bundled_catalogue()
    survey = {i.survey_indicator for i in catalogue.indicators.values() if i.source == "survey"}
    assert survey == set(plan["indicators"])
    for indicator in catalogue.indicators.values():
        assert indicator.department in plan["departments"]
        assert indicator.name["vi"] and indicator.name["en"]


def test_bundled_catalogue_keeps_the_register_figures_m1_reads_by_target_code() -> None:
    from questionnaires.targets import load_targets

    catalogue = load_bundled_catalogue()
    registers = [t for t in load_targets() if "register" in t.sources]
    assert registers
    for target in registers:
        codes = [p.code for p in target.parts] or [target.code]
        kept = [code for code in codes if code in catalogue.indicators]
        assert kept, target.code
        for code in kept:
            assert catalogue[code].source != "survey", code


def test_every_target_of_the_plan_is_served_by_an_indicator() -> None:
    from questionnaires.targets import load_targets

    catalogue = load_bundled_catalogue()
    targets = load_targets()
    assert len(targets) == 27
    for target in targets:
        codes = {target.code} | {part.code for part in target.parts}
        serving = [i for i in catalogue.indicators.values() if codes & set(i.targets)]
        assert serving, target.code
        if target.indicator:  # a survey target is served by that survey indicator too
            assert target.indicator in {i.survey_indicator for i in serving}, target.code


def test_sensitive_indicators_are_never_kept_below_district() -> None:
    catalogue = load_bundled_catalogue()
    sensitive = [i for i in catalogue.indicators.values() if i.sensitive]
    assert {i.code for i in sensitive} >= {"I8.2", "MT6-CT1", "MT6-CT2", "MT6-CT3"}
    assert all("commune" not in i.levels for i in sensitive)


def _broken(document: dict, code: str, **changes) -> dict:
    broken = copy.deepcopy(document)
    entry = next(e for e in broken["indicators"] if e["code"] == code)
    entry.update(changes)
    return broken


@pytest.mark.parametrize(
    ("code", "changes", "en", "vi"),
    [
        (
            "I1.1",
            {"department": "nowhere"},
            "indicator I1.1: department 'nowhere' is not among the plan's departments",
            "chỉ tiêu I1.1: sở/ngành 'nowhere' không có trong kế hoạch",
        ),
        (
            "I1.1",
            {"survey_indicator": "I9.9"},
            "indicator I1.1: survey indicator 'I9.9' is not in the plan",
            "chỉ tiêu I1.1: chỉ tiêu khảo sát 'I9.9' không có trong kế hoạch",
        ),
        (
            "I8.2",
            {"levels": ["province", "district", "commune"]},
            "indicator I8.2: a sensitive indicator is never kept below district",
            "chỉ tiêu I8.2: chỉ tiêu nhạy cảm không được lưu dưới cấp huyện",
        ),
        (
            "MT2-CT2",
            {"range": [0, 120]},
            "indicator MT2-CT2: a percentage's range must lie within 0–100, not 0–120",
            "chỉ tiêu MT2-CT2: khoảng của tỷ lệ phần trăm phải nằm trong 0–100",
        ),
        (
            "MT1-CT1",
            {"commune_form": {"numerator": "COM_XX", "denominator": "COM_P1_1"}},
            "indicator MT1-CT1: commune_form numerator: question 'COM_XX' is not in the commune",
            "chỉ tiêu MT1-CT1: commune_form tử số: câu hỏi 'COM_XX' không có trong phiếu xã",
        ),
        (
            "MT4-CT2",
            {"unit": "count"},
            "indicator MT4-CT2: a count has no denominator",
            "chỉ tiêu MT4-CT2: chỉ tiêu dạng số đếm không có mẫu số",
        ),
    ],
)
def test_meaning_errors_name_the_indicator_in_both_languages(
    document, plan, code, changes, en, vi
) -> None:
    with pytest.raises(QuestionnaireError) as caught:
        catalogue_from_dict(_broken(document, code, **changes), plan_doc=plan)
    assert any(en in m for m in caught.value.messages), caught.value.messages
    assert any(vi in m for m in caught.value.messages_vi), caught.value.messages_vi


def test_a_duplicate_code_and_a_missing_plan_indicator_are_both_reported(document, plan) -> None:
    broken = copy.deepcopy(document)
    broken["indicators"] = [e for e in broken["indicators"] if e["code"] != "I1.1"]
    broken["indicators"].append(copy.deepcopy(broken["indicators"][0]))
    with pytest.raises(QuestionnaireError) as caught:
        catalogue_from_dict(broken, plan_doc=plan)
    messages = caught.value.messages
    twice = broken["indicators"][0]["code"]
    assert any(f"indicator {twice}: the code is used twice" in m for m in messages)
    assert any("indicator I1.1: plan langson defines it" in m for m in messages)


def test_targets_are_checked_against_the_plan_targets_both_ways(document, plan) -> None:
    served = {t for e in document["indicators"] for t in e["targets"]}
    known = {code: set() for code in served - {"MT4-CT2"}} | {"X": set()}
    with pytest.raises(QuestionnaireError) as caught:
        catalogue_from_dict(document, plan_doc=plan, target_codes=known)
    messages = caught.value.messages
    assert any(
        "indicator MT4-CT2: target 'MT4-CT2' is not one of the plan's" in m for m in messages
    )
    assert any("target X: no indicator serves it" in m for m in messages)


def test_structure_errors_point_at_the_indicator_by_code(document, plan) -> None:
    broken = _broken(document, "I4.1", unit="percentage")
    with pytest.raises(QuestionnaireError) as caught:
        catalogue_from_dict(broken, plan_doc=plan)
    assert caught.value.messages[0].startswith("tables/indicators.json: indicators[I4.1].unit:")


def test_figure_rules_from_the_catalogue() -> None:
    catalogue = load_bundled_catalogue()
    share = catalogue["MT2-CT2"]
    assert share.check_figure(None, 30, 100) == []
    assert share.value_of(None, 30, 120) == 25.0
    [problem] = share.check_figure(None, 130, 100)
    assert problem.field == "numerator" and "130" in problem.en and "tử số 130" in problem.vi
    [problem] = share.check_figure(40.0, 30, 100)
    assert problem.field == "value"
    [problem] = share.check_figure(None, 30, 100, previous=60.0)
    assert problem.field == "comment"
    assert share.check_figure(None, 30, 100, previous=60.0, comment="new enterprise law") == []
    srb = catalogue["MT4-CT1"]
    assert srb.value_of(None, 1150, 1000) == 115.0
    [problem] = srb.check_figure(None, 2000, 1000)
    assert problem.field == "value" and "90–140" in problem.en
