"""Fay–Herriot small-area estimates: checked against independent fits and by simulation.

- Balanced case (equal sampling variances D): REML has a closed form, the total variance of a
  linear model ``RSS / (m - p)`` minus ``D`` (hand-derived), and the EBLUP shrinks every area by
  the same ``A / (A + D)``.
- Unbalanced case: reference/sae_reference.R maximises the restricted likelihood directly with
  ``optimize`` (not Fisher scoring) and codes the Prasad–Rao MSE from Rao & Molina (2015) ch. 6
  in base R; its output reference/sae_results.csv is pinned here (the optimiser's tolerance
  limits the agreement to about 1e-7 relative).
- Simulation on the survey simulator's own truth: the census frame gives every commune a true
  share of poor households (``analysis.synthetic.frame.commune_truth``: the district's
  published poverty rate, urban/rural, and a commune effect the census does not show), and the
  simulator draws each household's poverty status from it. Forty samples of 3,000 households
  are drawn with the simulator's own sampling (villages by PPS, 20 households each) and people
  model; per sample, the direct commune estimates, their smoothed variances and the EBLUP are
  made by the code the report uses. Across samples the EBLUP's MSE against the truth is well
  below the direct estimator's, and the Prasad–Rao MSE, averaged over communes and samples, is
  within 20% of the EBLUP's empirical MSE.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.cli import analyze
from analysis.errors import AnalysisError
from analysis.sae import MODEL_COLUMNS, area_auxiliaries, fay_herriot, publication, sae_table

REFERENCE = Path(__file__).parent / "reference"


def test_balanced_case_equals_closed_form() -> None:
    rng = np.random.default_rng(3)
    m, d = 30, 0.004
    x = np.column_stack([np.ones(m), rng.uniform(0, 1, m)])
    y = x @ [0.3, 0.2] + rng.normal(0, 0.08, m) + rng.normal(0, np.sqrt(d), m)
    fit = fay_herriot(y, np.full(m, d), x)
    beta_ols, rss = np.linalg.lstsq(x, y, rcond=None)[:2]
    a = rss[0] / (m - 2) - d
    assert a > 0
    assert fit.sigma2_u == pytest.approx(a, rel=1e-9)
    assert fit.beta == pytest.approx(beta_ols, rel=1e-9)
    gamma = a / (a + d)
    assert fit.gamma == pytest.approx(np.full(m, gamma), rel=1e-9)
    assert fit.eblup == pytest.approx(gamma * y + (1 - gamma) * x @ beta_ols, rel=1e-9)


def test_negative_reml_is_truncated_to_synthetic() -> None:
    x = np.column_stack([np.ones(12), np.arange(12.0)])
    y = 0.1 + 0.01 * np.arange(12.0) + np.tile([0.001, -0.001], 6)
    fit = fay_herriot(y, np.full(12, 0.01), x)
    assert fit.sigma2_u == 0.0
    assert fit.eblup == pytest.approx(fit.synthetic)
    assert not fit.diagnostics.ok
    assert "area variance estimated as 0" in fit.diagnostics.failures()


def test_unbalanced_example_equals_r_reml() -> None:
    data = pd.read_csv(REFERENCE / "sae_example.csv")
    r = dict(pd.read_csv(REFERENCE / "sae_results.csv").itertuples(index=False))
    x = np.column_stack([np.ones(len(data)), data["x1"], data["x2"]])
    fit = fay_herriot(data["direct"], data["D"], x)
    assert fit.converged
    assert fit.sigma2_u == pytest.approx(r["A"], rel=1e-6)
    assert fit.beta == pytest.approx([r["beta0"], r["beta1"], r["beta2"]], rel=1e-6)
    for i in range(len(data)):
        assert fit.eblup[i] == pytest.approx(r[f"eblup.{i + 1}"], rel=1e-7)
        assert fit.mse[i] == pytest.approx(r[f"mse.{i + 1}"], rel=1e-6)
        assert fit.gamma[i] == pytest.approx(r[f"gamma.{i + 1}"], rel=1e-6)


def test_area_without_sample_gets_synthetic_estimate() -> None:
    data = pd.read_csv(REFERENCE / "sae_example.csv")
    x = np.column_stack([np.ones(len(data)), data["x1"], data["x2"]])
    y = data["direct"].to_numpy(float).copy()
    y[0] = np.nan
    fit = fay_herriot(y, data["D"], x)
    assert fit.gamma[0] == 0.0
    assert fit.eblup[0] == pytest.approx(x[0] @ fit.beta)
    assert fit.mse[0] == pytest.approx(fit.sigma2_u + x[0] @ fit.beta_cov @ x[0])


def test_publication_rule() -> None:
    assert publication(0.5, 0.05, fit_ok=False, residual=0.0) == "direct"  # CV 10%
    assert publication(0.5, 0.2, fit_ok=True, residual=1.0) == "model"
    assert publication(0.5, 0.2, fit_ok=True, residual=3.5) == "suppressed"  # misfit area
    assert publication(0.5, 0.2, fit_ok=False, residual=0.0) == "suppressed"
    assert publication(float("nan"), float("nan"), fit_ok=True, residual=float("nan")) == "model"


def test_bad_inputs_are_explained() -> None:
    with pytest.raises(AnalysisError, match="positive"):
        fay_herriot([0.1, 0.2, 0.3], [0.01, 0.0, 0.01], np.ones((3, 1)))
    with pytest.raises(AnalysisError, match="cannot fit"):
        fay_herriot([0.1, 0.2], [0.01, 0.01], np.column_stack([np.ones(2), [1.0, 2.0]]))


def test_simulation_on_the_simulators_commune_truth() -> None:
    from analysis.design import SurveyDesign
    from analysis.sae import _direct_by_area, within_area_variance
    from analysis.synthetic.design import draw_sample, select_households
    from analysis.synthetic.frame import build_frame, commune_truth
    from analysis.synthetic.people import make_households

    frame = build_frame(1)
    truth = commune_truth(frame)["poor_share"]
    aux = area_auxiliaries("commune").drop(columns=["district"])
    assert list(aux.index) == list(truth.index)
    err_direct, err_model, estimated = [], [], []
    for rep in range(40):
        rng = np.random.default_rng([19, rep])
        villages = draw_sample(frame, 3000, rng).villages
        sampled = select_households(villages, rng)
        hh = make_households(sampled, frame.districts, rng).hh
        hh = hh[hh["responded"] == 1].assign(
            poor=(hh["poverty"] == 1).astype(float), weight=1 / (hh["pi1"] * hh["pi2"])
        )
        design = SurveyDesign(hh, weight="weight", strata="stratum", psu="psu")
        direct = _direct_by_area(design, "poor", "commune")
        table, _fit = sae_table(
            direct,
            aux,
            MODEL_COLUMNS["commune"],
            overall_variance=within_area_variance(hh, "poor", "commune", "weight"),
        )
        table = table.set_index("area")
        table = table[table["n"] > 0]
        true = truth.loc[table.index].to_numpy()
        err_direct.append((table["direct"].to_numpy() - true) ** 2)
        err_model.append((table["model"].to_numpy() - true) ** 2)
        estimated.append(table["model_mse"].to_numpy())
    mse_direct = np.mean(np.concatenate(err_direct))
    mse_model = np.mean(np.concatenate(err_model))
    assert mse_model < 0.6 * mse_direct
    assert np.mean(np.concatenate(estimated)) == pytest.approx(mse_model, rel=0.2)


def test_published_district_and_commune_figures_follow_the_rule(survey: Path) -> None:
    from analysis.sae import REASONS, small_area_estimates

    table, info = small_area_estimates(str(survey), ["I1.1", "I8.2"])
    assert set(table["level"]) == {"district", "commune"}
    # I1.1 is split by sex; the women's module (I8.2) is never located below the district.
    assert set(table.loc[table["indicator"] == "I1.1", "sex"]) == {"F", "M"}
    assert {"indicator": "I8.2", "level": "commune", "reason": "no_area_data"} in info["skipped"]
    assert set(table["reason"]) <= set(REASONS)
    direct = table[table["estimator"] == "direct"]
    assert (direct["direct_cv"] < 0.2).all() and (direct["n"] >= 30).all()
    assert (direct["published"] == direct["direct"]).all()
    model = table[table["estimator"] == "model"]
    assert (model["published"] == model["model"]).all()
    assert np.allclose(model["published_se"], np.sqrt(model["model_mse"]))
    hidden = table[table["estimator"] == "suppressed"]
    assert hidden["published"].isna().all()
    assert set(hidden["reason"]) <= {"model_failed", "area_misfit"}
    assert len(table[(table["level"] == "commune") & (table["indicator"] == "I1.1")]) == 2 * len(
        area_auxiliaries("commune")
    )


def test_sae_table_side_by_side() -> None:
    aux = area_auxiliaries("district")
    rng = np.random.default_rng(5)
    direct = pd.DataFrame(
        {
            "estimate": 0.4 + 0.3 * aux["urban_share"] + rng.normal(0, 0.05, len(aux)),
            "std_error": np.linspace(0.03, 0.12, len(aux)),
            "n": np.linspace(400, 100, len(aux)).astype(int),
        },
        index=aux.index,
    )
    table, fit = sae_table(direct, aux, MODEL_COLUMNS["district"], variance="direct")
    assert list(table["area"]) == list(aux.index)
    for column in ("direct", "direct_cv", "model", "model_mse", "shrinkage", "estimator"):
        assert column in table.columns
    assert set(table["estimator"]) <= {"direct", "model", "suppressed"}
    direct_rows = table[table["estimator"] == "direct"]
    assert (direct_rows["direct_cv"] < 0.2).all()
    assert (direct_rows["published"] == direct_rows["direct"]).all()


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from analysis.synthetic.run import simulate

    out = tmp_path_factory.mktemp("sae_survey")
    simulate(2000, 4, out)
    return out


def test_sae_command_writes_the_table(survey: Path, tmp_path: Path) -> None:
    out = tmp_path / "sae.csv"
    result = CliRunner().invoke(
        analyze,
        ["sae", str(survey), "--indicator", "I1.1", "--level", "district", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 11 and set(table["indicator"]) == {"I1.1"}
    assert set(table["estimator"]) <= {"direct", "model", "suppressed"}
    assert "model.json" in str(next(tmp_path.glob("*.model.json")))
    result = CliRunner().invoke(analyze, ["sae", str(survey), "--indicator", "I7.2"])
    assert result.exit_code == 2 and "ratio" in result.output


@pytest.mark.slow
def test_report_carries_the_small_area_table_with_its_note(survey: Path, tmp_path: Path) -> None:
    from analysis.report import run_report
    from analysis.sae import read_small_area_csv
    from questionnaires.plans import bundled_plan_path

    out = tmp_path / "report"
    manifest = run_report(survey, bundled_plan_path(), out, "en", pdf=False, small_areas=["I1.1"])
    assert manifest["files"]["small_areas"] == "small_areas.csv"
    lines = (out / "small_areas.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("round,indicator,level,sex,area,district")
    communes = len(area_auxiliaries("commune"))
    assert len(lines) == 1 + 2 * (11 + communes) + 3
    assert "Fay-Herriot" in lines[-2]
    table = read_small_area_csv(out / "small_areas.csv")
    assert len(table) == 2 * (11 + communes)
    assert sum(manifest["small_areas"]["estimators"].values()) == 2 * (11 + communes)


def test_frame_scale_is_read_off_the_commune_codes() -> None:
    from types import SimpleNamespace

    from analysis.sae import _frame_scale

    per_scale = len(area_auxiliaries("commune"))
    households = pd.DataFrame({"commune": [1, per_scale + 3]})
    data = SimpleNamespace(frames={"household": households, "women": pd.DataFrame({"x": [1]})})
    assert _frame_scale(data) == 2
    assert _frame_scale(SimpleNamespace(frames={"women": pd.DataFrame({"x": [1]})})) == 1


def test_normality_check_beyond_shapiro_wilks_range() -> None:
    from scipy import stats

    from analysis.sae import _normality_p

    rng = np.random.default_rng(4)
    small, large = rng.normal(size=200), rng.normal(size=6000)
    assert _normality_p(small) == stats.shapiro(small).pvalue
    assert _normality_p(large) == stats.normaltest(large).pvalue
    assert _normality_p(rng.exponential(size=6000)) < 0.01


def test_publication_of_every_area_at_once_is_the_rule_area_by_area():
    """The vectorised rule the side-by-side table uses gives each area what
    publication_reason gives it, edge cases included (zero, negative zero, NaN and infinite
    figures, SE 0, n at the threshold, residuals at ±3, a failed fit)."""
    import itertools

    from analysis.sae import MIN_DIRECT_N, _publication_reasons, publication_reason

    directs = [0.4, 0.05, 0.0, -0.0, -0.3, math.nan, math.inf]
    ses = [0.01, 0.0, 0.2, math.nan]
    residuals = [0.5, 3.0, -3.5, math.nan]
    ns = [0, MIN_DIRECT_N - 1, MIN_DIRECT_N, 200]
    grid = list(itertools.product(directs, ses, residuals, ns))
    arrays = [np.array([g[i] for g in grid], dtype=float) for i in range(4)]
    for ok in (True, False):
        estimators, reasons = _publication_reasons(
            arrays[0], arrays[1], ok, arrays[2], arrays[3].astype(int)
        )
        expected = [publication_reason(d, s, ok, r, n) for d, s, r, n in grid]
        assert list(zip(estimators.tolist(), reasons.tolist(), strict=True)) == expected
