"""The CI status rule of the plan's targets, on cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from analysis.errors import AnalysisError
from analysis.target_status import STATUS_RULE, Status, path_value, target_status

# A ≥ 40% target set in 2017 (baseline 30%) for 2020; read in 2018 the path is
# 30 + (40 − 30) × (2018 − 2017) / (2020 − 2017) = 33.333…
PATH = {"baseline": 30.0, "baseline_year": 2017, "latest_year": 2018}


def test_path_is_linear_from_baseline_to_target() -> None:
    assert path_value(40, **PATH) == pytest.approx(100 / 3)
    assert path_value(40, baseline=30, baseline_year=2017, latest_year=2020) == 40
    assert path_value(40, baseline=None, baseline_year=None, latest_year=2021) == 40
    assert path_value(40, baseline=None, baseline_year=2017, latest_year=2018) is None
    assert path_value(40, baseline=30, baseline_year=2017, latest_year=2017) == 30


@pytest.mark.parametrize(
    ("estimate", "low", "high", "expected"),
    [
        (45.0, 41.0, 49.0, Status.ACHIEVED),  # whole CI ≥ 40
        (41.0, 40.0, 42.0, Status.ACHIEVED),  # lower bound exactly on the target
        (41.0, 36.0, 46.0, Status.ON_TRACK),  # straddles 40, wholly above the path 33.3
        (35.0, 33.0, 37.0, Status.CANNOT_TELL),  # straddles the path 33.3
        (30.0, 27.0, 33.0, Status.OFF_TRACK),  # wholly below the path 33.3
    ],
)
def test_at_least_target_with_a_path(
    estimate: float, low: float, high: float, expected: Status
) -> None:
    assert target_status(estimate, low, high, 40, ">=", **PATH) is expected


def test_point_estimate_alone_never_decides() -> None:
    # 41% is above the 40% target but its CI reaches 38%: not achieved, and without a
    # baseline there is no path, so nobody can tell.
    assert target_status(41.0, 38.0, 44.0, 40, ">=") is Status.CANNOT_TELL
    assert target_status(41.0, None, None, 40, ">=", **PATH) is Status.CANNOT_TELL
    assert target_status(math.nan, math.nan, math.nan, 40, ">=", **PATH) is Status.CANNOT_TELL


def test_strict_comparators() -> None:
    # > 98% literacy: a lower bound of exactly 98 does not meet it.
    assert target_status(99.0, 98.0, 99.5, 98, ">") is Status.CANNOT_TELL
    assert target_status(99.0, 98.1, 99.5, 98, ">") is Status.ACHIEVED
    # < 52 per 100,000: the upper bound must be below 52.
    assert target_status(40.0, 30.0, 51.9, 52, "<") is Status.ACHIEVED
    assert target_status(40.0, 30.0, 52.0, 52, "<") is Status.CANNOT_TELL


def test_below_target_with_a_path() -> None:
    # Abortions < 15% of live births from 24% in 2017: path in 2019 = 24 − 9 × 2/3 = 18.
    path = {"baseline": 24.0, "baseline_year": 2017, "latest_year": 2019}
    assert target_status(16.0, 15.5, 17.5, 15, "<", **path) is Status.ON_TRACK
    assert target_status(20.0, 18.5, 21.5, 15, "<", **path) is Status.OFF_TRACK
    assert target_status(18.0, 17.0, 19.0, 15, "<", **path) is Status.CANNOT_TELL
    assert target_status(14.0, 13.0, 14.9, 15, "<", **path) is Status.ACHIEVED


def test_at_the_target_year_the_path_is_the_target() -> None:
    assert target_status(35.0, 33.0, 37.0, 40, ">=", latest_year=2020) is Status.OFF_TRACK
    assert target_status(39.0, 37.0, 41.0, 40, ">=", latest_year=2020) is Status.CANNOT_TELL


def test_register_figures_are_compared_as_they_are() -> None:
    # No sampling error: the value is passed as both bounds.
    assert target_status(100.0, 100.0, 100.0, 100, ">=") is Status.ACHIEVED
    assert target_status(96.0, 96.0, 96.0, 100, ">=", latest_year=2020) is Status.OFF_TRACK
    assert target_status(96.0, 96.0, 96.0, 100, ">=", **PATH) is Status.ON_TRACK


def test_count_per_unit_is_not_a_percentage() -> None:
    # MT7-CT3: at least 1 gender-equality officer per agency; 1.4 per agency is met,
    # 0.6 in 2020 is not, 0.6 in 2018 from 0.2 in 2017 is on the path (0.2 + 0.8/3 = 0.467).
    assert target_status(1.4, 1.4, 1.4, 1, ">=") is Status.ACHIEVED
    assert target_status(0.6, 0.6, 0.6, 1, ">=", latest_year=2020) is Status.OFF_TRACK
    on_path = {"baseline": 0.2, "baseline_year": 2017, "latest_year": 2018}
    assert target_status(0.6, 0.6, 0.6, 1, ">=", **on_path) is Status.ON_TRACK
    # A count above 100 is fine: nothing is capped.
    assert target_status(130.0, 120.0, 140.0, 100, ">=") is Status.ACHIEVED


@pytest.mark.parametrize(
    ("women", "low", "high", "expected"),
    [
        (49.0, 46.0, 52.0, Status.ACHIEVED),  # neither share significantly below 50
        (44.0, 41.0, 47.0, Status.OFF_TRACK),  # women short: women's CI wholly below 50
        (57.0, 53.0, 61.0, Status.OFF_TRACK),  # men short: men's share 39–47, below 50
        (50.0, 50.0, 50.0, Status.ACHIEVED),  # register count at exact parity
        (52.0, 52.0, 52.0, Status.OFF_TRACK),  # register: men get 48% of new jobs
    ],
)
def test_each_sex_at_least_half(women: float, low: float, high: float, expected: Status) -> None:
    assert target_status(women, low, high, 50, "parity") is expected


def test_sex_ratio_at_birth_about_115() -> None:
    # Band 115 ± 1.15 = 113.85–116.15.
    assert target_status(115.2, 114.0, 116.0, 115, "=") is Status.ACHIEVED
    assert target_status(115.0, 112.0, 118.0, 115, "about") is Status.CANNOT_TELL
    # From 123 in 2017 coming down; path in 2018 = 123 − 8/3 = 120.33, band edge 121.48.
    path = {"baseline": 123.0, "baseline_year": 2017, "latest_year": 2018}
    assert target_status(119.0, 118.0, 120.0, 115, "about", **path) is Status.ON_TRACK
    assert target_status(124.0, 122.0, 126.0, 115, "about", **path) is Status.OFF_TRACK
    assert target_status(121.0, 119.0, 123.0, 115, "about", **path) is Status.CANNOT_TELL
    # At the target year without a baseline: a CI wholly outside the band is off track.
    assert target_status(120.0, 118.0, 122.0, 115, "=", latest_year=2020) is Status.OFF_TRACK


def test_labels_and_rule_in_both_languages() -> None:
    assert Status.ON_TRACK.label("vi") == "Đúng tiến độ"
    assert Status.OFF_TRACK.label("en") == "Off track"
    assert "50%" in STATUS_RULE["vi"] and "50%" in STATUS_RULE["en"]
    assert "MT2-CT1" in STATUS_RULE["vi"] and "MT2-CT1" in STATUS_RULE["en"]


def test_unknown_comparator_is_refused_in_both_languages() -> None:
    with pytest.raises(AnalysisError) as caught:
        target_status(1.0, 1.0, 1.0, 1, "~")
    assert "'~'" in caught.value.en and "'~'" in caught.value.vi


def test_a_partial_measure_gives_no_verdict() -> None:
    """A figure covering part of the target's population (commune level only) cannot tell,
    even when its CI clears the target: M1 and the trend's on-track table both pass it so."""
    assert target_status(60, 55, 65, 50, ">=") is Status.ACHIEVED
    assert target_status(60, 55, 65, 50, ">=", partial=True) is Status.CANNOT_TELL
