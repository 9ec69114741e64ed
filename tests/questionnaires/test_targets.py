"""The plan's 27 targets, walked one by one against the plan's own text (section II.2, VI)."""

from __future__ import annotations

import copy
import json

import pytest

from questionnaires.errors import QuestionnaireError
from questionnaires.plans import bundled_plan_path
from questionnaires.targets import bundled_targets_path, load_targets, targets_from_dict

# code: (comparator, value, unit, lead department, annual), read off the plan's text:
# "Chỉ tiêu 1: ... tỷ lệ nữ cán bộ tham gia cấp ủy đảng các cấp đạt từ 25% trở lên" -> >= 25 …
PLAN = {
    "MT1-CT1": (">=", 25, "percent", "noi_vu", False),
    "MT1-CT2": (">", 50, "percent", "noi_vu", False),
    "MT1-CT3": (">=", 70, "percent", "noi_vu", False),
    "MT2-CT1": ("parity", 50, "percent", "ldtbxh", True),  # "ít nhất 50% cho mỗi giới"
    "MT2-CT2": (">=", 35, "percent", "khdt", False),
    "MT2-CT3": (">=", 40, "percent", "hlhpn", False),  # VI.16: the Women's Union answers for it
    "MT2-CT4": (">=", 100, "percent", "ldtbxh", False),
    "MT3-CT1": (">", 98, "percent", "gddt", False),  # "đạt trên 98%"
    "MT3-CT2a": (">=", 50, "percent", "noi_vu", False),  # master's
    "MT3-CT2b": (">=", 25, "percent", "noi_vu", False),  # doctoral
    "MT3-CT3": (">=", 40, "percent", "gddt", True),  # "Hàng năm, có từ 40%"
    "MT3-CT4": (">=", 55, "percent", "gddt", False),
    "MT4-CT1": ("=", 115, "per_100", "yte", False),  # "ở mức 115 bé trai/100 bé gái"
    "MT4-CT2": ("<", 52, "per_100000", "yte", False),  # "dưới 52/100.000"
    "MT4-CT3": (">=", 100, "percent", "yte", False),
    "MT4-CT4": ("<", 15, "percent", "yte", False),
    "MT5-CT1": (">=", 80, "percent", "tttt", False),
    "MT5-CT2": (">=", 100, "percent", "tttt", False),
    "MT6-CT1": (">=", 80, "percent", "vhttdl", False),
    "MT6-CT2": (">=", 95, "percent", "vhttdl", False),
    "MT6-CT3": (">=", 100, "percent", "congan", False),
    "MT7-CT1": (">=", 100, "percent", "ldtbxh", False),
    "MT7-CT2": (">=", 100, "percent", "ldtbxh", False),
    "MT7-TT": (">=", 100, "percent", "ldtbxh", False),  # parts: 100% officials, 90% pupils
    "MT7-LD": (">=", 100, "percent", "ldtbxh", False),
    "MT7-CT3": (">=", 1, "per_unit", "ldtbxh", False),  # a count per unit, not a percentage
    "MT7-CT4": (">=", 100, "percent", "ldtbxh", True),  # "ít nhất mỗi năm một lần"
}


@pytest.fixture(scope="module")
def plan_doc() -> dict:
    return json.loads(bundled_plan_path().read_text(encoding="utf-8"))


def test_the_bundled_list_holds_the_27_targets_of_the_plan(plan_doc: dict) -> None:
    targets = load_targets(departments=plan_doc["departments"], indicators=plan_doc["indicators"])
    assert len(targets) == 27
    assert [t.code for t in targets] == list(PLAN)
    for target in targets:
        comparator, value, unit, lead, annual = PLAN[target.code]
        assert (target.comparator, target.value, target.unit) == (comparator, value, unit), (
            target.code
        )
        assert target.lead == lead, target.code
        assert target.annual is annual, target.code
        assert target.objective == int(target.code[2])
        assert target.text["vi"] and target.text["en"] and target.population["vi"]
        assert (target.baseline_year, target.target_year) == (2017, 2020)


def test_targets_with_two_thresholds_and_the_populations_that_were_wrong() -> None:
    targets = load_targets()
    awareness = targets.get("MT7-TT")
    assert [(p.code, p.comparator, p.value) for p in awareness.parts] == [
        ("MT7-TT.1", ">=", 100.0),
        ("MT7-TT.2", ">=", 90.0),
    ]
    assert "province" in targets.get("MT1-CT1").population["en"]
    assert "district" in targets.get("MT1-CT1").population["en"]
    assert "Programme 135" in targets.get("MT3-CT1").population["en"]
    assert "need credit and qualify" in targets.get("MT2-CT4").population["en"]
    assert targets.get("MT3-CT1").indicator == "I4.1"
    assert targets.get("MT6-CT1").indicator == "I8.2"
    assert [t.code for t in targets.for_department("congan")] == ["MT6-CT3"]


def test_mistakes_are_reported_together_in_both_languages(plan_doc: dict) -> None:
    document = json.loads(bundled_targets_path().read_text(encoding="utf-8"))
    broken = copy.deepcopy(document)
    broken["targets"][1]["code"] = "MT1-CT1"
    broken["targets"][2]["departments"] = ["nobody"]
    broken["targets"][3]["unit"] = "per_100"
    broken["targets"][4]["baseline_year"] = 2021
    with pytest.raises(QuestionnaireError) as caught:
        targets_from_dict(broken, "tables/targets.json", departments=plan_doc["departments"])
    text = "\n".join(caught.value.messages)
    assert "target MT1-CT1: the code is used twice" in text
    assert "target MT1-CT3: department 'nobody' is not defined" in text
    assert "target MT2-CT1: a parity target is a share" in text
    assert "target MT2-CT2: baseline_year is after target_year" in text
    assert len(caught.value.messages_vi) == 4
    bad_schema = copy.deepcopy(document)
    bad_schema["targets"][0]["comparator"] = "about"
    with pytest.raises(QuestionnaireError, match=r"targets\[MT1-CT1\].comparator"):
        targets_from_dict(bad_schema, "tables/targets.json")
