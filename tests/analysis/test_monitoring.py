"""Table M1 walks the plan's 27 targets, reads the long-format register and applies the CI rule.

The plan's own words (Kế hoạch BĐG Lạng Sơn 2017–2020, section II.2; agencies from section VI)
are quoted beside each target; the table must show each with its comparator, population and
responsible agency.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AnalysisError
from analysis.indicators import SurveyData, indicator_values, read_register_file
from analysis.tables import TableResult, WorkFrames, monitoring_table
from questionnaires import load_bundled
from questionnaires.plans import bundled_plan_path, load_plan
from questionnaires.register import read_register_text

HEADER = (
    "indicator,period,level,area_code,sex,numerator,denominator,value,unit,"
    "source_agency,source_document,note\n"
)

# code: (the plan's words, target as printed, a word of the population, lead agency)
PLAN = {
    "MT1-CT1": (
        "nữ cán bộ tham gia cấp ủy đảng các cấp đạt từ 25% trở lên",
        "≥ 25%",
        "commune, district, province",
        "Department of Home Affairs",
    ),
    "MT1-CT2": (
        "đạt trên 50% các sở, ban, ngành và UBND các cấp",
        "> 50%",
        "People's Committees",
        "Department of Home Affairs",
    ),
    "MT1-CT3": (
        "đạt 70% cơ quan của Đảng ... từ 30% trở lên",
        "≥ 70%",
        "at least 30% women",
        "Department of Home Affairs",
    ),
    "MT2-CT1": (
        "bảo đảm ít nhất 50% cho mỗi giới",
        "≥ 50% each sex",
        "new job",
        "Department of Labour",
    ),
    "MT2-CT2": (
        "Tỷ lệ nữ làm chủ doanh nghiệp ... đạt 35% trở lên",
        "≥ 35%",
        "Enterprise owners",
        "Department of Planning and Investment",
    ),
    "MT2-CT3": (
        "lao động nữ nông thôn dưới 45 tuổi được đào tạo nghề ... 40%",
        "≥ 40%",
        "under 45",
        "Provincial Women's Union",
    ),
    "MT2-CT4": (
        "nữ chủ hộ ở vùng nông thôn nghèo, vùng DTTS có nhu cầu và đủ điều kiện ... 100%",
        "≥ 100%",
        "need credit and qualify",
        "Department of Labour",
    ),
    "MT3-CT1": (
        "biết chữ ... 15 đến 40 ở vùng sâu, vùng xa, vùng DTTS ... trên 98%",
        "> 98%",
        "Programme 135",
        "Department of Education and Training",
    ),
    "MT3-CT2a": ("tỷ lệ nữ thạc sỹ đạt 50%", "≥ 50%", "master", "Department of Home Affairs"),
    "MT3-CT2b": ("tỷ lệ nữ tiến sỹ đạt 25%", "≥ 25%", "doctoral", "Department of Home Affairs"),
    "MT3-CT3": (
        "Hàng năm, có từ 40% cán bộ nữ giữ chức vụ chủ chốt",
        "≥ 40%",
        "key posts",
        "Department of Education and Training",
    ),
    "MT3-CT4": (
        "55% lao động nữ nông thôn dưới 55 tuổi",
        "≥ 55%",
        "under 55",
        "Department of Education and Training",
    ),
    "MT4-CT1": (
        "Tỷ số giới tính khi sinh ở mức 115 bé trai/100 bé gái",
        "≈ 115/100",
        "Live births",
        "Department of Health",
    ),
    "MT4-CT2": (
        "dưới 52/100.000 trẻ đẻ sống",
        "< 52/100 000",
        "Live births",
        "Department of Health",
    ),
    "MT4-CT3": (
        "phụ nữ mang thai ... dự phòng lây truyền HIV từ mẹ sang con đạt 100%",
        "≥ 100%",
        "Pregnant women",
        "Department of Health",
    ),
    "MT4-CT4": ("nạo phá thai xuống dưới 15%", "< 15%", "Live births", "Department of Health"),
    "MT5-CT1": (
        "Ít nhất 80% sản phẩm truyền thông",
        "≥ 80%",
        "Media products",
        "Department of Information and Communications",
    ),
    "MT5-CT2": (
        "100% Đài truyền thanh, truyền hình",
        "≥ 100%",
        "stations",
        "Department of Information and Communications",
    ),
    "MT6-CT1": (
        "Ít nhất 80% số nạn nhân của bạo lực gia đình được phát hiện",
        "≥ 80%",
        "victims",
        "Department of Culture, Sports and Tourism",
    ),
    "MT6-CT2": (
        "người gây bạo lực gia đình và được tư vấn ... 95%",
        "≥ 95%",
        "perpetrators",
        "Department of Culture, Sports and Tourism",
    ),
    "MT6-CT3": (
        "100% số nạn nhân bị mua bán trở về hay được giải cứu",
        "≥ 100%",
        "trafficking",
        "Provincial Police",
    ),
    "MT7-CT1": (
        "100% văn bản quy phạm pháp luật có nội dung liên quan đến BĐG",
        "≥ 100%",
        "Legal documents",
        "Department of Justice",
    ),
    "MT7-CT2": (
        "100% thành viên Ban Chỉ đạo, Tổ chuyên viên, Tổ biên tập",
        "≥ 100%",
        "steering committee",
        "Department of Justice",
    ),
    "MT7-TT.1": (
        "100% cán bộ, công chức, viên chức, ... lực lượng vũ trang",
        "≥ 100%",
        "armed forces",
        "Department of Labour",
    ),
    "MT7-TT.2": ("90% sinh viên, học sinh các cấp", "≥ 90%", "pupils", "Department of Labour"),
    "MT7-LD": (
        "100% nữ đại biểu dân cử, nữ cán bộ quản lý, nữ lãnh đạo các cấp",
        "≥ 100%",
        "Female elected deputies",
        "Department of Home Affairs",
    ),
    "MT7-CT3": (
        "Bố trí cán bộ làm công tác BĐG ở các cơ quan ... cộng tác viên",
        "≥ 1 per unit",
        "per unit",
        "Provincial Women's Union",
    ),
    "MT7-CT4": (
        "100% cán bộ ... làm công tác BĐG ... tập huấn ... ít nhất mỗi năm một lần",
        "≥ 100%",
        "gender equality",
        "Department of Labour",
    ),
}


def _m1(register: str = "", lang: str = "en", year: int | None = None) -> TableResult:
    plan = load_plan(bundled_plan_path())
    records = read_register_text(HEADER + register) if register else []
    work = WorkFrames(SurveyData(frames={}, register=records), plan, load_bundled(), lang)
    work.latest_year = year
    table = next(t for t in plan.tables if t["id"] == "M1")
    return monitoring_table(work, table)


def test_m1_walks_every_target_of_the_plan_with_comparator_population_and_agency() -> None:
    table = _m1()
    codes = list(dict.fromkeys(row.label for row in table.rows))
    assert codes == list(PLAN)  # 27 targets; the awareness target in its two parts
    for code, (_words, shown, population, agency) in PLAN.items():
        rows = [row for row in table.rows if row.label == code]
        for row in rows:
            assert row.values["target"] == shown, code
            assert population in row.values["population"], code
            assert agency in row.values["agency"], code
            assert row.block.startswith(f"Objective {code[2]}:"), code


def test_missing_targets_of_the_old_m1_are_there_with_their_source() -> None:
    table = _m1()
    by_code: dict[str, list[str]] = {}
    for row in table.rows:
        by_code.setdefault(row.label, []).append(row.values["source"])
    for code in ("MT3-CT2b", "MT6-CT3", "MT7-CT1", "MT7-CT2", "MT7-LD", "MT7-CT3", "MT7-CT4"):
        assert by_code[code][0].startswith("Register"), code
    assert "Commune form" in by_code["MT3-CT2b"]  # the commune form's doctoral question
    assert "Survey (I4.1)" in by_code["MT3-CT1"]
    assert "Survey (I2.2)" in by_code["MT2-CT4"]


def test_m1_statuses_from_register_figures() -> None:
    register = (
        # maternal mortality 48 < 52 per 100,000: achieved
        "MT4-CT2,2018,province,20,,6,12500,48,per_100000,Sở Y tế,Báo cáo 2018,\n"
        # trafficking victims supported: 80% in 2017, 96% in 2018; path 2018 = 86.7: on track
        "MT6-CT3,2017,province,20,,8,10,,percent,Công an tỉnh,,\n"
        "MT6-CT3,2018,province,20,,24,25,,percent,Công an tỉnh,,\n"
        # radio and TV stations with a GE programme: 60% in 2020: off track
        "MT5-CT2,2020,province,20,,6,10,,percent,Sở TT&TT,,\n"
        # GE officers: 1.2 per agency, a count per unit: achieved
        "MT7-CT3,2019,province,20,,36,30,,per_unit,Sở LĐTBXH,,\n"
        # women's share of new jobs 44%: men's is 56% but women's is below 50: off track
        "MT2-CT1,2018,province,20,,440,1000,,percent,Sở LĐTBXH,,\n"
    )
    table = _m1(register)
    status = {
        row.label: row.values["_status"]
        for row in table.rows
        if row.values["source"].startswith("Register")
    }
    assert status["MT4-CT2"] == "achieved"
    assert status["MT6-CT3"] == "on_track"
    assert status["MT5-CT2"] == "off_track"
    assert status["MT7-CT3"] == "achieved"
    assert status["MT2-CT1"] == "off_track"
    assert status["MT1-CT2"] == "cannot_tell"  # no figure
    row = next(r for r in table.rows if r.label == "MT6-CT3")
    assert row.values["est"] == 96.0 and row.values["baseline"] == 80.0
    assert row.values["year"] == 2018
    assert "Công an tỉnh" in row.values["source"]


def test_m1_notes_carry_the_status_rule_in_both_languages() -> None:
    assert any("confidence interval" in note for note in _m1().notes)
    assert any("khoảng tin cậy" in note for note in _m1(lang="vi").notes)


def test_an_old_register_file_is_refused_naming_the_file_and_the_new_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "register.csv"
    path.write_text("code,value\nMT4-CT1,112\n", encoding="utf-8")
    with pytest.raises(AnalysisError) as caught:
        read_register_file(path)
    assert str(path) in caught.value.en and str(path) in caught.value.vi
    assert "indicator,period,level,area_code,sex,numerator" in caught.value.en
    assert "indicator,period,level,area_code,sex,numerator" in caught.value.vi
    assert "mẫu cũ" in caught.value.vi


# ------------------------------------------------------------------------------- I8.2

VIOLENCE = [f"W0{g}_0{i}_12M" for g, n in ((2, 4), (3, 6), (4, 3), (5, 3)) for i in range(1, n + 1)]


def test_i8_2_counts_every_woman_with_violence_and_reads_support_received() -> None:
    # Eight women. Support codes (W08_01): 1 legal counselling, 2 health care, 0 none.
    #   1  physical violence (W03_01_12M), got "2 6" (health care + perpetrator action)  -> 1
    #   2  psychological only (W02_02_12M), got "1"                                     -> 1
    #   3  sexual (W04_01_12M), never sought help: W08_01 not asked (blank)             -> 0
    #   4  economic (W05_03_12M), sought help, got nothing: "0" (none)                  -> 0
    #   5  physical, got "[1, 2]" (JSON list)                                            -> 1
    #   6  no violence in the last 12 months (all 2), got "1" for older violence         -> out
    #   7  physical, never sought help (blank)                                           -> 0
    #   8  no violence                                                                   -> out
    # Denominator 6 (women 1–5 and 7), numerator 3 (women 1, 2, 5): 3 / 6 = 50%.
    frame = pd.DataFrame({name: [2] * 8 for name in VIOLENCE})
    frame.loc[0, "W03_01_12M"] = 1
    frame.loc[1, "W02_02_12M"] = 1
    frame.loc[2, "W04_01_12M"] = 1
    frame.loc[3, "W05_03_12M"] = 1
    frame.loc[4, "W03_02_12M"] = 1
    frame.loc[6, "W03_01_12M"] = 1
    frame["W08_01"] = ["2 6", "1", None, "0", "[1, 2]", "1", None, None]
    plan = load_plan(bundled_plan_path())
    data = SurveyData(
        frames={"women": frame},
        register=[],
        missing_codes={"women": {"W08_01": (99,)}},
        multi={"women": {"W08_01"}},
    )
    sid, values, denominator = indicator_values(data, plan, "I8.2")
    assert sid == "women" and denominator is None
    expected = [1.0, 1.0, 0.0, 0.0, 1.0, math.nan, 0.0, math.nan]
    np.testing.assert_array_equal(values, expected)
    assert np.nanmean(values) == 0.5
