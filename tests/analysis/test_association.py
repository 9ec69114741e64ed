"""Rao-Scott tests: reduce to Pearson's test for simple random samples, keep tiny p-values."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.tests_of_association import rao_scott

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    sample = pd.read_csv(REFERENCE / "sample.csv")
    return SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)


def test_simple_random_sample_reduces_to_pearson() -> None:
    # Equal weights, one row per PSU: V = (D - pp') / (n - 1), so Delta = n / (n - 1) * I.
    rng = np.random.default_rng(2)
    a = rng.choice(["x", "y", "z"], size=400)
    b = np.where(rng.random(400) < 0.3, "u", "v")
    data = pd.DataFrame({"a": a, "b": b, "w": 2.0})
    srs = SurveyDesign(data, weight="w")
    pearson, _, dof, _ = stats.chi2_contingency(pd.crosstab(a, b), correction=False)
    first = rao_scott(srs, "a", "b", order=1)
    assert first.statistic == pytest.approx(pearson, rel=1e-10)
    assert first.ndf == dof == 2
    assert first.p_value == pytest.approx(stats.chi2.sf(pearson * 399 / 400, 2), rel=1e-9)
    second = rao_scott(srs, "a", "b", order=2)
    assert second.ndf == pytest.approx(2, rel=1e-10)
    assert second.ddf == pytest.approx(2 * 399, rel=1e-10)
    assert second.statistic == pytest.approx(pearson / (2 * 400 / 399), rel=1e-10)


def test_orientation_does_not_matter(design: SurveyDesign) -> None:
    one = rao_scott(design, "sex", "support_need")
    other = rao_scott(design, "support_need", "sex")
    for name in ("statistic", "ndf", "ddf", "p_value"):
        assert getattr(one, name) == pytest.approx(getattr(other, name), rel=1e-10)


def test_tiny_p_values_do_not_underflow_to_zero() -> None:
    rng = np.random.default_rng(4)
    a = rng.choice(["p", "q"], size=3000)
    b = np.where(rng.random(3000) < 0.12, a, "r")
    data = pd.DataFrame({"a": a, "b": b, "w": 1.5})
    for order in (1, 2):
        result = rao_scott(SurveyDesign(data, weight="w"), "a", "b", order=order)
        assert 0 < result.p_value < 1e-20
    assert 1 - stats.f.cdf(result.statistic, result.ndf, result.ddf) == 0.0


def test_rows_missing_either_variable_are_left_out(design: SurveyDesign) -> None:
    data = design.data.copy()
    data.loc[:199, "support_need"] = None
    partial = SurveyDesign(data, weight="weight", strata="district", psu="commune", nest=True)
    result = rao_scott(partial, "sex", "support_need")
    assert result.n_unweighted == len(data) - 200
    assert result.to_dict()["ddf"] == pytest.approx(result.ddf)


def test_a_single_category_is_an_error(design: SurveyDesign) -> None:
    data = design.data.assign(constant="only")
    d = SurveyDesign(data, weight="weight", strata="district", psu="commune", nest=True)
    with pytest.raises(AnalysisError, match="column 'constant' needs at least two categories"):
        rao_scott(d, "sex", "constant")
