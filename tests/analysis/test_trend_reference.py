"""The trend tables against R's survey package (``reference/trend_reference.R``).

Estimates per round, changes with their SE, t statistic, df and p-value, and changes of the
women − men gap, for six plan indicators (individual, member and household sources) by
residence and sex, on three independent rounds; and the panel contrasts (two rounds sharing
their PSUs, stacked in one design) — all to 1e-8 relative.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.trend import TrendResult, trend_tables

REFERENCE = Path(__file__).parent / "reference"
INDICATORS = ["I1.1", "I6.1", "I6.2", "I8.1", "I5.2", "LAND_HOME"]
SCALE = {"I8.1": 1.0}  # proportions are percentages in the trend tables
REL = 1e-8


@pytest.fixture(scope="module")
def expected() -> dict[str, float]:
    table = pd.read_csv(REFERENCE / "trend_results.csv")
    return dict(zip(table["key"], table["value"].astype(float), strict=True))


def _run(kind: str, panel: bool) -> TrendResult:
    folder = REFERENCE / "trend" / kind
    rounds = sorted(p for p in folder.iterdir() if p.is_dir())
    return trend_tables(rounds, indicators=INDICATORS, lang="en", panel=panel)


@pytest.fixture(scope="module")
def independent() -> TrendResult:
    return _run("independent", False)


@pytest.fixture(scope="module")
def panel() -> TrendResult:
    return _run("panel", True)


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["by"].isin(["total", "residence"])]


def _count(expected: dict[str, float], prefix: str) -> int:
    """R's changes under ``prefix`` (changes of one sex or of everyone unless it is a gap's)."""
    gap = prefix.endswith("gap.")
    return sum(
        k.startswith(prefix) and k.endswith(".change") and (gap or ".gap." not in k)
        for k in expected
    )


def _code(value: float) -> str:
    return str(int(value))


def test_estimates_per_round_match_r(independent: TrendResult, expected: dict[str, float]) -> None:
    checked = 0
    for row in _cells(independent.levels).itertuples(index=False):
        scale = SCALE.get(row.indicator, 100.0)
        key = f"lvl.{row.indicator}.{row.by}.{_code(row.by_code)}.{row.sex}.{row.round}"
        assert row.estimate == pytest.approx(expected[f"{key}.est"] * scale, rel=REL), key
        assert row.se == pytest.approx(expected[f"{key}.se"] * scale, rel=REL), key
        assert row.df == expected[f"{key}.df"], key
        checked += 1
    assert checked == sum(k.startswith("lvl.") for k in expected) // 3


def _check_changes(frame: pd.DataFrame, expected: dict[str, float], prefix: str, gap: bool) -> int:
    checked = 0
    for row in _cells(frame).itertuples(index=False):
        scale = SCALE.get(row.indicator, 100.0)
        middle = f"{row.by}.{_code(row.by_code)}"
        if gap:
            key = f"{prefix}.gap.{row.indicator}.{middle}.{row.from_round}.{row.to_round}"
        else:
            key = f"{prefix}.{row.indicator}.{middle}.{row.sex}.{row.from_round}.{row.to_round}"
        assert row.change == pytest.approx(expected[f"{key}.change"] * scale, rel=REL), key
        assert row.se == pytest.approx(expected[f"{key}.se"] * scale, rel=REL), key
        assert row.statistic == pytest.approx(expected[f"{key}.t"], rel=REL), key
        assert row.df == expected[f"{key}.df"], key
        assert row.p_value == pytest.approx(expected[f"{key}.p"], rel=REL), key
        checked += 1
    return checked


def test_changes_between_independent_rounds_match_r(
    independent: TrendResult, expected: dict[str, float]
) -> None:
    checked = _check_changes(independent.changes, expected, "ind", gap=False)
    assert checked == _count(expected, "ind.")
    assert checked >= 100


def test_changes_of_the_gap_match_r(independent: TrendResult, expected: dict[str, float]) -> None:
    checked = _check_changes(independent.gaps, expected, "ind", gap=True)
    assert checked == _count(expected, "ind.gap.")
    assert checked >= 30


def test_panel_changes_keep_the_covariance_of_shared_psus_as_r_does(
    panel: TrendResult, expected: dict[str, float]
) -> None:
    assert set(panel.changes["method"]) == {"panel"}
    checked = _check_changes(panel.changes, expected, "panel", gap=False)
    assert checked == _count(expected, "panel.")
    checked_gaps = _check_changes(panel.gaps, expected, "panel", gap=True)
    assert checked_gaps == _count(expected, "panel.gap.")
    # The shared PSUs matter: the panel SE differs from the independent formula.
    rows = _cells(panel.changes).set_index(["indicator", "by", "by_code", "sex"])
    levels = _cells(panel.levels).set_index(["indicator", "by", "by_code", "sex", "round"])
    row = rows.loc[("I6.1", "total", 0.0, "all")]
    a = levels.loc[("I6.1", "total", 0.0, "all", "2017")]
    b = levels.loc[("I6.1", "total", 0.0, "all", "2018")]
    independent_se = (a["se"] ** 2 + b["se"] ** 2) ** 0.5
    assert abs(row["se"] / independent_se - 1) > 0.01
