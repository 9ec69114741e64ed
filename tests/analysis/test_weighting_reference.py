"""Calibrated designs against R's survey: postStratify(), rake(), trimWeights(), nonresponse cells.

The numbers come from R 4.2 / survey 4.1.1 (reference/weighting_reference.R →
reference/weighting_results.csv, and reference/reference.R → results.csv for the shared
poststrat.* and rake.* keys). Every estimate and SE must agree to a relative 1e-9.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import estimators
from analysis.design import SurveyDesign
from analysis.weighting import (
    PostStratification,
    Raking,
    WeightingWarning,
    nonresponse_adjust,
    poststratify,
    rake,
    trim,
)

REFERENCE = Path(__file__).parent / "reference"
TOL = 1e-9


def _key_values(name: str) -> dict[str, float]:
    table = pd.read_csv(REFERENCE / name)
    return dict(zip(table["key"], table["value"], strict=True))


R = _key_values("weighting_results.csv")
R_SHARED = _key_values("results.csv")


def assert_rel(actual: float, expected: float, tol: float = TOL) -> None:
    assert abs(actual - expected) <= tol * abs(expected), (actual, expected)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "sample.csv")
    # The age groups of weighting_reference.R: cut(age, c(-Inf, 24, 34, 44, 54, Inf)).
    data["agegrp"] = pd.cut(
        data["age"],
        [-np.inf, 24, 34, 44, 54, np.inf],
        labels=["18-24", "25-34", "35-44", "45-54", "55+"],
    ).astype(str)
    return data


@pytest.fixture(scope="module")
def design(sample: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)


def _margin(table: pd.DataFrame, name: str) -> dict:
    rows = table[table["margin"] == name]
    pairs = zip(rows["level"], rows["Freq"], strict=True)
    if name == "sex_urban":
        return {tuple(level.split(".")): freq for level, freq in pairs}
    return dict(pairs)


@pytest.fixture(scope="module")
def margins() -> dict:
    table = pd.read_csv(REFERENCE / "weighting_totals_rake.csv")
    return {name: _margin(table, name) for name in ("sex", "district", "agegrp", "sex_urban")}


@pytest.fixture(scope="module")
def poststrat_totals() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "weighting_totals_poststrat.csv")


def three_margins(margins: dict) -> dict:
    return {"sex": margins["sex"], "district": margins["district"], "agegrp": margins["agegrp"]}


TIGHT = {"max_iter": 100, "epsilon": 1e-10}

# Each scenario of weighting_reference.R, built the same way here.
SCENARIOS: dict[str, Callable[[SurveyDesign, dict, pd.DataFrame], SurveyDesign]] = {
    "ps": lambda d, m, ps: poststratify(d, ["sex", "urban"], ps),
    "rake": lambda d, m, ps: rake(d, three_margins(m), **TIGHT),
    "rake_default": lambda d, m, ps: rake(d, three_margins(m), max_iter=10, epsilon=1),
    "rake_su": lambda d, m, ps: rake(
        d, {("sex", "urban"): m["sex_urban"], "district": m["district"]}, **TIGHT
    ),
    "trim": lambda d, m, ps: _trimmed(d, m),
    "trim_strict": lambda d, m, ps: _trimmed(d, m, strict=True),
    "trim_rake": lambda d, m, ps: rake(_trimmed(d, m), three_margins(m), **TIGHT),
    "ps_rake": lambda d, m, ps: rake(
        poststratify(d, ["sex", "urban"], ps),
        {"sex": m["sex"], "district": m["district"]},
        **TIGHT,
    ),
}


def _trimmed(design: SurveyDesign, margins: dict, strict: bool = False) -> SurveyDesign:
    raked = rake(design, three_margins(margins), **TIGHT)
    return trim(raked, upper=3.5 * float(np.median(raked.weights)), strict=strict)


def check_weights(prefix: str, w: np.ndarray) -> None:
    assert_rel(w.sum(), R[f"{prefix}.w.sum"])
    assert_rel((w**2).sum(), R[f"{prefix}.w.sumsq"])
    assert_rel(w.min(), R[f"{prefix}.w.min"])
    assert_rel(w.max(), R[f"{prefix}.w.max"])
    assert_rel((w * np.arange(1, len(w) + 1)).sum(), R[f"{prefix}.w.dot"])


def check_estimates(prefix: str, design: SurveyDesign) -> None:
    """Every estimate weighting_reference.R's put_estimates() wrote for this design.

    The estimators (analysis-core's) are the user's path; this checks that all of them —
    means, totals, proportions, ratios, quantiles, domains, deff, CIs, gaps — see the
    calibration as R does.
    """
    checks = []
    e = estimators.mean(design, "trained_vocational")[0]
    checks.append(("mean", e))
    checks.append(("total", estimators.total(design, "trained_vocational")[0]))
    checks.append(("kap", estimators.mean(design, "kap_score")[0]))
    for row in estimators.proportion(design, "support_need"):
        checks.append((f"cat.{row.level}", row))
    for by in ("sex", "district"):
        for row in estimators.mean(design, "trained_vocational", by=by):
            checks.append((f"by_{by}.{row.domain[by]}", row))
    for row in estimators.total(design, "trained_vocational", by="sex"):
        checks.append((f"total_by_sex.{row.domain['sex']}", row))
    checks.append(("ratio", estimators.ratio(design, "trained_vocational", "age")[0]))
    quartiles = estimators.quantile(design, "kap_score", (0.25, 0.5, 0.75))
    for name, row in zip(("q25", "q50", "q75"), quartiles, strict=True):
        checks.append((name, row))
        assert_rel(row.ci_low, R[f"{prefix}.{name}.lci"])
        assert_rel(row.ci_high, R[f"{prefix}.{name}.uci"])
    for name, row in checks:
        assert_rel(row.estimate, R[f"{prefix}.{name}.est"])
        assert_rel(row.std_error, R[f"{prefix}.{name}.se"])
    assert_rel(e.deff, R[f"{prefix}.mean.deff"])
    share = estimators.proportion(design, "trained_vocational").find("1")
    assert_rel(share.ci_low, R[f"{prefix}.mean.xlogit.lci"])
    assert_rel(share.ci_high, R[f"{prefix}.mean.xlogit.uci"])
    (g,) = estimators.gap(design, "trained_vocational", ("sex", "F", "M"))
    assert_rel(g.difference, R[f"{prefix}.gap.est"])
    assert_rel(g.std_error, R[f"{prefix}.gap.se"])
    assert_rel(g.ratio, R[f"{prefix}.gpi.est"])
    assert_rel(g.ratio_std_error, R[f"{prefix}.gpi.se"])
    # Nothing R wrote for this design is left unchecked.
    n_est = sum(1 for k in R if k.startswith(f"{prefix}.") and k.endswith(".est"))
    assert len(checks) + 2 == n_est


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_calibrated_weights_and_ses_match_r(
    scenario: str, design: SurveyDesign, margins: dict, poststrat_totals: pd.DataFrame
) -> None:
    calibrated = SCENARIOS[scenario](design, margins, poststrat_totals)
    check_weights(scenario, calibrated.weights)
    check_estimates(scenario, calibrated)


def test_uncalibrated_estimates_match_r(design: SurveyDesign) -> None:
    check_estimates("base", design)


def test_raking_that_stops_early_warns_and_matches_r(design: SurveyDesign, margins: dict) -> None:
    with pytest.warns(WeightingWarning, match="did not converge after 2 passes"):
        raked = rake(
            design, three_margins(margins), max_iter=2, epsilon=1e-12, on_nonconvergence="warn"
        )
    assert not raked.calibration[-1].converged
    check_weights("rake_2", raked.weights)
    check_estimates("rake_2", raked)


def test_trimming_caps_as_r(design: SurveyDesign, margins: dict) -> None:
    raked = rake(design, three_margins(margins), **TIGHT)
    cap = 3.5 * float(np.median(raked.weights))
    assert_rel(cap, R["trim.cap"])
    assert int((raked.weights > cap).sum()) == R["trim.n_trimmed"]
    rerake = rake(trim(raked, upper=cap), three_margins(margins), **TIGHT)
    assert int((rerake.weights > cap).sum()) == R["trim_rake.n_over_cap"]
    # R keeps the first raking and appends the second: both project the scores.
    assert [type(c) for c in rerake.calibration] == [Raking, Raking]


def test_calibrations_accumulate_in_order(
    design: SurveyDesign, margins: dict, poststrat_totals: pd.DataFrame
) -> None:
    calibrated = SCENARIOS["ps_rake"](design, margins, poststrat_totals)
    assert [type(c) for c in calibrated.calibration] == [PostStratification, Raking]
    assert design.calibration == ()


def test_nonresponse_adjusted_design_matches_r(sample: pd.DataFrame) -> None:
    pid = sample["person_id"].to_numpy()
    responded = (pid % 7 != 3) & ~((sample["district"] == "D04").to_numpy() & (pid % 5 == 0))
    w = nonresponse_adjust(sample["weight"], sample, ["district", "sex"], responded)
    check_weights("nr", w)
    counted = nonresponse_adjust(
        sample["weight"], sample, ["district", "sex"], responded, weighted=False
    )
    check_weights("nr_count", counted)
    respondents = sample[responded].assign(w_nr=w[responded])
    assert len(respondents) == R["nr.n"]
    design = SurveyDesign(respondents, weight="w_nr", strata="district", psu="commune", nest=True)
    check_estimates("nr", design)


# The shared reference set (results.csv): postStratify on sex x urban, rake on sex and district.


def test_shared_poststrat_keys_match_r(design: SurveyDesign) -> None:
    totals = pd.read_csv(REFERENCE / "results_poststrat_totals.csv")
    calibrated = poststratify(design, ["sex", "urban"], totals)
    m = estimators.mean(calibrated, "trained_vocational")[0]
    t = estimators.total(calibrated, "trained_vocational")[0]
    assert_rel(m.estimate, R_SHARED["poststrat.est"])
    assert_rel(m.std_error, R_SHARED["poststrat.se"])
    assert_rel(t.estimate, R_SHARED["poststrat.total.est"])
    assert_rel(t.std_error, R_SHARED["poststrat.total.se"])


def test_shared_rake_keys_match_r(design: SurveyDesign) -> None:
    table = pd.read_csv(REFERENCE / "results_rake_totals.csv")
    margins = {name: _margin(table, name) for name in ("sex", "district")}
    calibrated = rake(design, margins, max_iter=100, epsilon=1e-10)
    m = estimators.mean(calibrated, "trained_vocational")[0]
    t = estimators.total(calibrated, "trained_vocational")[0]
    assert_rel(m.estimate, R_SHARED["rake.est"])
    assert_rel(m.std_error, R_SHARED["rake.se"])
    assert_rel(t.estimate, R_SHARED["rake.total.est"])
    assert_rel(t.std_error, R_SHARED["rake.total.se"])
    assert_rel(calibrated.sum_weights, R_SHARED["rake.sumw"])


def test_calibrated_variance_through_total_variance_directly(design: SurveyDesign) -> None:
    """The projection works for any caller of total_variance, not only the estimators."""
    totals = pd.read_csv(REFERENCE / "results_poststrat_totals.csv")
    calibrated = poststratify(design, ["sex", "urban"], totals)
    y = calibrated.data["trained_vocational"].to_numpy(dtype=float)
    w = calibrated.weights
    m = (w * y).sum() / w.sum()
    v = calibrated.total_variance(w * (y - m) / w.sum())
    assert_rel(float(np.sqrt(v[0, 0])), R_SHARED["poststrat.se"])


def test_recalibrating_stored_final_weights_gives_the_calibrated_ses(
    sample: pd.DataFrame, design: SurveyDesign, margins: dict, poststrat_totals: pd.DataFrame
) -> None:
    """Analysts get final weights in the data; calibrating them again leaves them unchanged
    and brings back the calibration's SEs (to 1e-12 for post-strata, 1e-9 for raking)."""
    post = poststratify(design, ["sex", "urban"], poststrat_totals)
    stored = SurveyDesign(
        sample.assign(w_final=post.weights),
        weight="w_final",
        strata="district",
        psu="commune",
        nest=True,
    )
    again = poststratify(stored, ["sex", "urban"], poststrat_totals)
    np.testing.assert_allclose(again.weights, post.weights, rtol=1e-12)
    assert_rel(estimators.mean(again, "trained_vocational")[0].std_error, R["ps.mean.se"], 1e-12)

    raked = rake(design, three_margins(margins), **TIGHT)
    stored = SurveyDesign(
        sample.assign(w_final=raked.weights),
        weight="w_final",
        strata="district",
        psu="commune",
        nest=True,
    )
    again = rake(stored, three_margins(margins), **TIGHT)
    assert again.calibration[-1].iterations == 1
    assert_rel(estimators.mean(again, "trained_vocational")[0].std_error, R["rake.mean.se"])
