"""The scipy-free Student t quantile agrees with scipy's (an independent implementation)."""

import numpy as np
import pytest
from scipy import stats

from analysis.student_t import t_quantile_two_sided


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_quantiles_match_scipy_for_whole_degrees_of_freedom(level: float) -> None:
    df = np.array([*range(1, 60), 99, 100, 211, 2178, 19_999, 20_000, 250_000, 1_000_000])
    expected = stats.t.ppf(0.5 + level / 2, df)
    np.testing.assert_allclose(t_quantile_two_sided(level, df), expected, rtol=1e-11)


def test_no_degrees_of_freedom_give_nan_and_infinite_ones_the_normal_quantile() -> None:
    values = t_quantile_two_sided(0.95, np.array([0, -3, np.inf, 5, 5]))
    assert np.isnan(values[:2]).all()
    assert values[2] == pytest.approx(stats.norm.ppf(0.975), rel=1e-14)
    assert values[3] == values[4] == pytest.approx(stats.t.ppf(0.975, 5), rel=1e-12)


def test_fractional_degrees_of_freedom_are_answered_too() -> None:
    values = t_quantile_two_sided(0.95, np.array([2.5, 10.25]))
    np.testing.assert_allclose(values, stats.t.ppf(0.975, [2.5, 10.25]), rtol=1e-12)
