"""The report's trend table (T1) is read from the trend tables: hand-made rounds, hand checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from analysis.errors import AnalysisError
from analysis.report_pdf import write_pdf
from analysis.report_trend import read_trend, trend_table
from analysis.tables import for_department
from analysis.trend import (
    CHANGE_COLUMNS,
    COMPARABILITY_COLUMNS,
    GAP_COLUMNS,
    LEVEL_COLUMNS,
    RoundRef,
    TrendResult,
)
from analysis.trend_cli import write_trend
from questionnaires.plans import bundled_plan_path, load_plan


def _level(iid: str, sex: str, code: str, est: float) -> dict:
    row = dict.fromkeys(LEVEL_COLUMNS)
    row.update(
        indicator=iid,
        label_vi=f"nhãn {iid}",
        label_en=f"label {iid}",
        by="total",
        sex=sex,
        round=code,
        estimate=est,
        ci_low=est - 3,
        ci_high=est + 3,
    )
    return row


def _change(iid: str, sex: str, a: str, b: str, change: float, p: float) -> dict:
    row = dict.fromkeys(CHANGE_COLUMNS)
    row.update(
        indicator=iid,
        by="total",
        sex=sex,
        from_round=a,
        to_round=b,
        change=change,
        p_value=p,
        significant=p < 0.05,
        comparable=True,
    )
    return row


def _result() -> TrendResult:
    rounds = [
        RoundRef(code, f"Vòng {code}", f"Round {code}", int(code), None, Path(code))
        for code in ("2017", "2018", "2020")
    ]
    levels = [
        _level("I1.1", sex, code, est)
        for sex, ests in (("women", (40.0, 44.0, 50.0)), ("men", (60.0, 61.0, 62.0)))
        for code, est in zip(("2017", "2018", "2020"), ests, strict=True)
    ] + [_level("I7.1", "all", code, 70.0) for code in ("2017", "2018", "2020")]
    changes = [
        _change("I1.1", "women", "2017", "2018", 4.0, 0.2),
        _change("I1.1", "women", "2018", "2020", 6.0, 0.03),
        _change("I1.1", "women", "2017", "2020", 10.0, 0.001),  # baseline→latest: not a row's
        _change("I7.1", "all", "2018", "2020", 0.0, 1.0),
    ]
    return TrendResult(
        rounds,
        pd.DataFrame(levels, columns=LEVEL_COLUMNS),
        pd.DataFrame(changes, columns=CHANGE_COLUMNS),
        pd.DataFrame(columns=GAP_COLUMNS),
        pd.DataFrame(columns=COMPARABILITY_COLUMNS),
    )


def test_trend_table_has_each_rounds_estimate_and_the_change_since_the_previous_round() -> None:
    table = trend_table(_result(), load_plan(bundled_plan_path()), "en")
    rows = {(row.block, row.label): row.values for row in table.rows}
    women_2020 = rows[("I1.1. label I1.1", "Round 2020 (2020)")]
    assert women_2020["women_est"] == 50.0 and women_2020["women_ci"] == (47.0, 53.0)
    assert women_2020["women_change"] == 6.0 and women_2020["women_p"] == 0.03  # 2018 → 2020
    assert women_2020["men_est"] == 62.0
    assert "women_change" not in rows[("I1.1. label I1.1", "Round 2017 (2017)")]
    assert rows[("I7.1. label I7.1", "Round 2020 (2020)")]["all_est"] == 70.0
    series = table.extra["trend_chart"]["I1.1"]["series"]
    assert [point[1] for point in series["women"]] == [40.0, 44.0, 50.0]


def test_department_packs_keep_their_own_indicators_trends(tmp_path: Path) -> None:
    table = trend_table(_result(), load_plan(bundled_plan_path()), "en")
    health = for_department(table, "yte")  # I7.1 (PMTCT) is the health department's
    assert {row.values["_indicator"] for row in health.rows} == {"I7.1"}
    assert set(health.extra["trend_chart"]) == {"I7.1"}
    pdf = write_pdf([health], tmp_path / "yte.pdf", "Report", "en")
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "I7.1. label I7.1" in text and "I1.1" not in text


def test_a_trend_folder_read_back_gives_the_same_trend_table(tmp_path: Path) -> None:
    plan = load_plan(bundled_plan_path())
    result = _result()
    write_trend(result, tmp_path / "trend")
    again = read_trend(tmp_path / "trend")
    assert [r.code for r in again.rounds] == ["2017", "2018", "2020"]
    first, second = trend_table(result, plan, "vi"), trend_table(again, plan, "vi")
    assert [(r.block, r.label, r.values) for r in first.rows] == [
        (r.block, r.label, r.values) for r in second.rows
    ]
    with pytest.raises(AnalysisError) as caught:
        read_trend(tmp_path)
    assert "rounds.json" in caught.value.en and "không phải thư mục xu hướng" in caught.value.vi
