"""Estimator invariants: equal weights, integer weights as repeated rows, row order, covariance."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import estimators as est
from analysis.design import SurveyDesign
from analysis.errors import AnalysisError

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "sample.csv")


def design_of(data: pd.DataFrame, weight: str = "weight") -> SurveyDesign:
    return SurveyDesign(data, weight=weight, strata="district", psu="commune", nest=True)


def all_tables(design: SurveyDesign, by: list[str] | None = None) -> list[est.Estimate]:
    rows: list[est.Estimate] = []
    rows += est.mean(design, "kap_score", by=by)
    rows += est.proportion(design, "support_need", by=by)
    rows += est.total(design, "trained_vocational", by=by)
    rows += est.ratio(design, "trained_vocational", "age", by=by)
    rows += est.quantile(design, "kap_score", by=by)
    return rows


def test_equal_weights_give_unweighted_results() -> None:
    rng = np.random.default_rng(7)
    y = rng.normal(50, 10, size=300)
    group = rng.choice(["a", "b", "c"], size=300)
    data = pd.DataFrame({"y": y, "g": group, "w": 3.5})
    design = SurveyDesign(data, weight="w")
    m = est.mean(design, "y")[0]
    assert m.estimate == pytest.approx(y.mean(), rel=1e-12)
    # Independent sampling with replacement: SE = s / sqrt(n) (Lohr, eq. 2.12 without fpc).
    assert m.std_error == pytest.approx(y.std(ddof=1) / np.sqrt(300), rel=1e-12)
    assert m.df == 299
    shares = pd.Series(group).value_counts(normalize=True)
    for row in est.proportion(design, "g"):
        assert row.estimate == pytest.approx(shares[row.level], rel=1e-12)
        p = shares[row.level]
        assert row.std_error == pytest.approx(np.sqrt(p * (1 - p) / 299), rel=1e-12)
    for row in est.quantile(design, "y", quantiles=(0.1, 0.5, 0.9)):
        expected = np.quantile(y, float(row.level), method="inverted_cdf")
        assert row.estimate == pytest.approx(expected, rel=1e-12)
    by = est.mean(design, "y", by="g")
    for row in by:
        part = y[group == row.domain["g"]]
        assert row.estimate == pytest.approx(part.mean(), rel=1e-12)
        assert row.n_unweighted == len(part)


def test_integer_weights_equal_repeated_rows(sample: pd.DataFrame) -> None:
    rng = np.random.default_rng(3)
    data = sample.assign(w_int=rng.integers(1, 4, size=len(sample)))
    repeated = data.loc[data.index.repeat(data["w_int"])].assign(one=1).reset_index(drop=True)
    weighted = all_tables(design_of(data, "w_int"), by=["sex"])
    expanded = all_tables(design_of(repeated, "one"), by=["sex"])
    assert len(weighted) == len(expanded)
    for a, b in zip(weighted, expanded, strict=True):
        assert (a.variable, a.level, a.domain) == (b.variable, b.level, b.domain)
        assert a.estimate == pytest.approx(b.estimate, rel=1e-10)
        # Copies stay in their PSU, so PSU totals and hence SEs are unchanged.
        assert a.std_error == pytest.approx(b.std_error, rel=1e-10)
        assert a.sum_weights == pytest.approx(b.sum_weights, rel=1e-12)
        assert a.df == b.df


def test_row_order_does_not_matter(sample: pd.DataFrame) -> None:
    shuffled = sample.sample(frac=1.0, random_state=11).reset_index(drop=True)
    first = all_tables(design_of(sample), by=["sex", "urban"])
    second = all_tables(design_of(shuffled), by=["sex", "urban"])
    for a, b in zip(first, second, strict=True):
        assert (a.variable, a.level, a.domain) == (b.variable, b.level, b.domain)
        for name in ("estimate", "std_error", "ci_low", "ci_high", "deff"):
            assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-10, nan_ok=True)


def clustered_sexes(seed: int = 5) -> pd.DataFrame:
    """Both sexes in every PSU, sharing a large PSU effect: domain means covary strongly."""
    rng = np.random.default_rng(seed)
    rows = []
    for stratum in range(4):
        for psu in range(10):
            effect = rng.normal(0, 10)
            for _ in range(12):
                sex = rng.choice(["F", "M"])
                y = 50 + effect + (2 if sex == "F" else 0) + rng.normal(0, 1)
                rows.append((stratum, f"{stratum}-{psu}", sex, y, rng.uniform(1, 3)))
    return pd.DataFrame(rows, columns=["stratum", "psu", "sex", "y", "w"])


def test_gap_keeps_the_covariance_between_domains() -> None:
    data = clustered_sexes()
    design = SurveyDesign(data, weight="w", strata="stratum", psu="psu")
    (g,) = est.gap(design, "y", ("sex", "F", "M"))
    means = est.mean(design, "y", by="sex")
    f, m = means.find(sex="F"), means.find(sex="M")
    assert g.difference == pytest.approx(f.estimate - m.estimate, rel=1e-12)
    assert g.ratio == pytest.approx(f.estimate / m.estimate, rel=1e-12)
    # Independent route: the 2x2 covariance of the domain means from explicit row scores.
    w, y = design.weights, data["y"].to_numpy()
    scores = np.zeros((len(data), 2))
    for j, (sex, row) in enumerate((("F", f), ("M", m))):
        inside = (data["sex"] == sex).to_numpy()
        scores[inside, j] = w[inside] * (y[inside] - row.estimate) / w[inside].sum()
    cov = design.total_variance(scores)
    gap_var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    assert g.std_error == pytest.approx(np.sqrt(gap_var), rel=1e-10)
    gradient = np.array([1 / m.estimate, -f.estimate / m.estimate**2])
    assert g.ratio_std_error == pytest.approx(np.sqrt(gradient @ cov @ gradient), rel=1e-10)
    # Ignoring the covariance would overstate the gap's SE several-fold here.
    naive = np.hypot(f.std_error, m.std_error)
    assert naive > 3 * g.std_error
    assert g.df == 36
    assert g.p_value == pytest.approx(2 * stats.t.sf(abs(g.difference / g.std_error), 36))
    assert g.ci_low < g.difference < g.ci_high


def test_gap_by_domain_and_for_every_level(sample: pd.DataFrame) -> None:
    design = design_of(sample)
    gaps = est.gap(design, "support_need", ("sex", "F", "M"), stat="proportion", by="urban")
    assert {(g.domain["urban"], g.level) for g in gaps} == {
        (u, lv)
        for u in ("rural", "urban")
        for lv in ("childcare", "credit", "legal_aid", "none", "training")
    }
    props = est.proportion(design, "support_need", by=["urban", "sex"])
    for g in gaps:
        f = props.find(g.level, urban=g.domain["urban"], sex="F")
        m = props.find(g.level, urban=g.domain["urban"], sex="M")
        assert g.difference == pytest.approx(f.estimate - m.estimate, rel=1e-10)
        assert g.n_unweighted_a == f.n_unweighted


def test_calibrated_path_equals_plain_path_under_identity_projection(
    sample: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Identity:
        def project(self, scores: np.ndarray) -> np.ndarray:
            return scores

    design = design_of(sample)
    calibrated = design.with_weights(design.weights, calibration=(Identity(),))
    monkeypatch.setattr(est, "_DENSE_CELLS", 3 * len(sample))  # several column chunks
    plain = all_tables(design, by=["sex", "urban"])
    other = all_tables(calibrated, by=["sex", "urban"])
    for a, b in zip(plain, other, strict=True):
        assert a.std_error == pytest.approx(b.std_error, rel=1e-10, nan_ok=True)


def test_domain_df_counts_only_psus_with_members(sample: pd.DataFrame) -> None:
    design = design_of(sample)
    one = sample["district"] == "D01"
    row = est.mean(design, "age", by="district").find(district="D01")
    assert row.df == sample.loc[one, "commune"].nunique() - 1
    assert row.n_unweighted == int(one.sum())


def test_non_numeric_variable_names_column_and_rows() -> None:
    data = pd.DataFrame({"y": ["1", "2", "abc", "4"], "w": 1.0})
    design = SurveyDesign(data, weight="w")
    with pytest.raises(AnalysisError, match=r"column 'y' must be numeric; rows 2 ") as info:
        est.mean(design, "y")
    assert info.value.rows == [2]
    with pytest.raises(AnalysisError, match="column 'nope' is not in the data"):
        est.mean(design, "nope")


def test_missing_by_values_are_left_out(sample: pd.DataFrame) -> None:
    data = sample.copy()
    data.loc[:99, "sex"] = None
    table = est.mean(design_of(data), "age", by="sex")
    assert sum(r.n_unweighted for r in table) == len(data) - 100
    assert [r.domain for r in table] == [{"sex": "F"}, {"sex": "M"}]


def test_to_dict_is_json_ready(sample: pd.DataFrame) -> None:
    row = est.quantile(design_of(sample), "age", quantiles=(0.5,), by="sex")[0]
    record = row.to_dict()
    assert record["deff"] is None
    assert record["domain"] == {"sex": "F"}
    assert set(record) >= {
        "variable",
        "level",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "df",
        "deff",
        "n_unweighted",
        "sum_weights",
    }


def test_column_without_values_gives_nan_and_no_cases(sample: pd.DataFrame) -> None:
    data = sample.assign(empty=np.nan, text=pd.Series([None] * len(sample), dtype=object))
    design = design_of(data)
    for table in (
        est.mean(design, "empty"),
        est.mean(design, "empty", by="sex"),
        est.proportion(design, "empty", by="sex"),
        est.proportion(design, "text"),
        est.ratio(design, "empty", "age", by="sex"),
    ):
        assert len(table) >= 1
        for row in table:
            assert np.isnan(row.estimate) and np.isnan(row.std_error)
            assert np.isnan(row.ci_low) and np.isnan(row.ci_high)
            assert row.n_unweighted == 0 and row.sum_weights == 0
    assert {r.domain["sex"] for r in est.mean(design, "empty", by="sex")} == {"F", "M"}
    assert est.gap(design, "empty", between=("sex", "F", "M")) == []
    assert est.gap(design, "text", between=("sex", "F", "M"), stat="proportion") == []


def test_domain_without_values_gives_nan_beside_the_others(sample: pd.DataFrame) -> None:
    data = sample.assign(
        y=np.where(sample["sex"] == "F", np.nan, sample["kap_score"]),
        b=(sample["kap_score"] > 50).astype(float),
    )
    data.loc[data["sex"] == "F", "b"] = np.nan
    design = design_of(data)
    men = design_of(data[data["sex"] == "M"])
    for fn, column in ((est.mean, "y"), (est.proportion, "b")):
        by_sex = fn(design, column, by="sex")
        women = [r for r in by_sex if r.domain["sex"] == "F"]
        assert women and all(np.isnan(r.estimate) and r.n_unweighted == 0 for r in women)
        male = [r for r in by_sex if r.domain["sex"] == "M"]
        alone = list(fn(men, column))
        assert [r.estimate for r in male] == pytest.approx([r.estimate for r in alone])
        assert all(r.n_unweighted > 0 for r in male)


def test_by_column_without_values_gives_no_domains(sample: pd.DataFrame) -> None:
    design = design_of(sample.assign(nothing=np.nan))
    assert len(est.mean(design, "kap_score", by="nothing")) == 0
    assert len(est.proportion(design, "support_need", by="nothing")) == 0


def test_gap_returns_a_table_like_every_estimator() -> None:
    design = SurveyDesign(clustered_sexes(), weight="w", strata="stratum", psu="psu")
    table = est.gap(design, "y", ("sex", "F", "M"))
    assert isinstance(table, est.EstimateTable) and len(table) == 1
    frame = table.to_frame()
    row = table[0]
    assert frame.loc[0, "difference"] == row.difference == row.estimate_a - row.estimate_b
    assert {"ci_low", "ci_high", "df", "p_value", "ratio"} <= set(frame.columns)
