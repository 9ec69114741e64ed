"""SurveyDesign: checks when built, design df, and variance against R's survey package."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError

REFERENCE = Path(__file__).parent / "reference"


def r_results() -> dict[str, float]:
    """R 4.2 / survey 4.1.1 numbers produced by reference/reference.R (17 significant digits)."""
    table = pd.read_csv(REFERENCE / "results.csv")
    return dict(zip(table["key"], table["value"], strict=True))


R = r_results()


def assert_rel(actual: float, expected: float, tol: float = 1e-9) -> None:
    assert abs(actual - expected) <= tol * abs(expected), (actual, expected)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "sample.csv")


def mean_se(design: SurveyDesign, column: str) -> tuple[float, float]:
    y = design.data[column].to_numpy(dtype=float)
    w = design.weights
    m = float((w * y).sum() / w.sum())
    v = design.total_variance(w * (y - m) / w.sum())
    return m, float(np.sqrt(v[0, 0]))


def test_design_counts_match_r(sample: pd.DataFrame) -> None:
    design = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)
    assert design.n == R["n"]
    assert design.degf == R["degf"]
    assert_rel(design.sum_weights, R["sumw"])
    summary = design.summary()
    # Strata and PSUs counted from the data itself (PSU codes are nested in districts).
    assert summary["n_strata"] == sample["district"].nunique() == 11
    assert summary["n_psu"] == len(sample[["district", "commune"]].drop_duplicates()) == 223
    assert summary["n"] == R["n"] and summary["degf"] == R["degf"]
    assert_rel(summary["sum_weights"], R["sumw"])
    assert_rel(summary["sum_weights"], float(sample["weight"].sum()))


def test_nested_codes_equal_globally_unique_psu_ids(sample: pd.DataFrame) -> None:
    nested = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)
    unique = SurveyDesign(sample, weight="weight", strata="district", psu="psu_id")
    assert nested.n_psu == unique.n_psu
    assert mean_se(nested, "trained_vocational") == pytest.approx(
        mean_se(unique, "trained_vocational"), rel=1e-12
    )


def test_total_variance_of_mean_scores_matches_r(sample: pd.DataFrame) -> None:
    design = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)
    est, se = mean_se(design, "trained_vocational")
    assert_rel(est, R["prop.all.est"])
    assert_rel(se, R["prop.all.se"])


@pytest.mark.parametrize("rule", ["certainty", "remove", "adjust", "average"])
def test_lonely_psu_rules_match_r(rule: str) -> None:
    lonely = pd.read_csv(REFERENCE / "sample_lonely.csv")
    design = SurveyDesign(
        lonely, weight="weight", strata="district", psu="commune", nest=True, lonely_psu=rule
    )
    est, se = mean_se(design, "trained_vocational")
    assert_rel(est, R[f"lonely.{rule}.est"])
    assert_rel(se, R[f"lonely.{rule}.se"])


def test_lonely_psu_fails_by_default_naming_the_stratum() -> None:
    lonely = pd.read_csv(REFERENCE / "sample_lonely.csv")
    with pytest.raises(AnalysisError, match="stratum 'D11'") as info:
        SurveyDesign(lonely, weight="weight", strata="district", psu="commune", nest=True)
    assert info.value.column == "district"
    assert "D11" in info.value.message("vi")


def test_psu_in_two_strata_is_an_error_unless_nested(sample: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="PSU '1' .*commune.* appears in strata") as info:
        SurveyDesign(sample, weight="weight", strata="district", psu="commune")
    assert info.value.column == "commune"
    assert len(info.value.rows) > 0


def test_bad_weights_are_named_with_their_rows() -> None:
    data = pd.DataFrame({"w": ["1.5", "x", "2", None, "-1"], "s": list("aabbb")})
    with pytest.raises(AnalysisError, match=r"non-numeric values in rows 1$") as info:
        SurveyDesign(data, weight="w")
    assert info.value.rows == [1]
    with pytest.raises(AnalysisError, match="missing in rows 3"):
        SurveyDesign(data.drop(index=1), weight="w")
    with pytest.raises(AnalysisError, match="positive and finite; rows 4"):
        SurveyDesign(data.drop(index=[1, 3]), weight="w")


def test_unknown_column_is_named() -> None:
    data = pd.DataFrame({"w": [1.0, 2.0]})
    with pytest.raises(AnalysisError, match="Stratum column 'district' is not in the data"):
        SurveyDesign(data, weight="w", strata="district")


def test_fpc_reduces_variance_as_without_replacement_sampling() -> None:
    # Simple random sample of n from N with fpc: var(mean) = (1 - n/N) s^2 / n (Lohr, eq. 2.7).
    rng = np.random.default_rng(1)
    y = rng.normal(size=40)
    population = 200
    data = pd.DataFrame({"y": y, "w": population / 40, "N": population})
    design = SurveyDesign(data, weight="w", fpc="N")
    _, se = mean_se(design, "y")
    expected = np.sqrt((1 - 40 / population) * y.var(ddof=1) / 40)
    assert se == pytest.approx(expected, rel=1e-12)
    fraction = SurveyDesign(data.assign(N=40 / population), weight="w", fpc="N")
    assert mean_se(fraction, "y")[1] == pytest.approx(expected, rel=1e-12)


def test_with_weights_keeps_structure_and_calibration_hook(sample: pd.DataFrame) -> None:
    design = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)

    class ZeroOut:
        def project(self, scores: np.ndarray) -> np.ndarray:
            return scores * 0.0

    new = design.with_weights(design.weights * 2, calibration=(ZeroOut(),))
    assert new.n_psu == design.n_psu and new.degf == design.degf
    assert new.sum_weights == pytest.approx(2 * design.sum_weights)
    assert new.total_variance(np.ones(design.n)) == pytest.approx(np.zeros((1, 1)))
    assert design.calibration == ()


def test_fpc_must_be_constant_in_a_stratum_and_not_exceed_the_population() -> None:
    data = pd.DataFrame({"w": 1.0, "s": ["a", "a", "b", "b"], "N": [10, 11, 5, 5]})
    with pytest.raises(AnalysisError, match="varies within stratum 'a'"):
        SurveyDesign(data, weight="w", strata="s", fpc="N")
    data["N"] = [10, 10, 1.5, 1.5]
    with pytest.raises(AnalysisError, match="more than 100% sampling in stratum 'b'"):
        SurveyDesign(data, weight="w", strata="s", fpc="N")


def test_clusters_without_strata_have_psus_minus_one_df() -> None:
    data = pd.DataFrame({"w": 1.0, "c": [1, 1, 2, 2, 3, 3, 3]})
    design = SurveyDesign(data, weight="w", psu="c")
    assert (design.n_strata, design.n_psu, design.degf) == (1, 3, 2)
    # Cluster totals 2, 2, 3 of y = 1: var(total) = 3/2 * sum((t - mean t)^2).
    variance = design.total_variance(np.ones(7))[0, 0]
    assert variance == pytest.approx(1.5 * ((2 - 7 / 3) ** 2 * 2 + (3 - 7 / 3) ** 2))


def test_a_design_on_an_arrow_table_estimates_as_on_its_dataframe() -> None:
    """The command line hands SurveyDesign a pyarrow Table (no pandas); the estimates of
    numeric columns with missing values, float-coded categories and integer domains must be
    those of the same rows as a DataFrame."""
    import pyarrow as pa

    from analysis.estimators import mean, proportion

    rng = np.random.default_rng(3)
    n = 400
    score = rng.normal(50, 10, n)
    score[::17] = np.nan
    need = rng.integers(1, 4, n).astype(float)
    need[::23] = np.nan
    table = pa.table(
        {
            "stratum": np.repeat(np.arange(4), n // 4),
            "psu": np.repeat(np.arange(40), n // 40),
            "sex": rng.integers(1, 3, n),
            "score": score,
            "need": need,
            "w": rng.uniform(1, 3, n),
        }
    )
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(1, n + 1)
    on_table = SurveyDesign(table, weight="w", strata="stratum", psu="psu")
    on_frame = SurveyDesign(frame, weight="w", strata="stratum", psu="psu")
    assert on_table.summary() == on_frame.summary()
    assert mean(on_table, "score", by="sex") == mean(on_frame, "score", by="sex")
    assert proportion(on_table, "need", by="sex") == proportion(on_frame, "need", by="sex")
    assert on_table.data.equals(frame)
