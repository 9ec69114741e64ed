"""Replicate-weight estimates and quantiles reproduce R's survey 4.1.1 to a relative 1e-8.

reference/replicates_results.csv comes from reference/replicates_reference.R on
reference/sample.csv (R 4.2, survey 4.1.1, ``options(survey.replicates.mse=FALSE)``).

- JKn replicates are built here independently (delete one PSU) and compared with R's
  ``as.svrepdesign(type="JKn")`` results.
- The bootstrap is random: R's draws cannot be reproduced in Python, so R exports the replicate
  factors it drew (``replicates_boot_factors.csv``, ``type="subbootstrap"``: Rao–Wu with
  ``n_h - 1`` PSUs per stratum, 50 replicates) and these tests feed the same factors to our
  estimators. The same holds for BRR, whose R Hadamard matrix (order 12 for 11 strata) is not the
  Sylvester matrix our :func:`analysis.replicates.brr` builds; for totals (linear) any fully
  balanced set gives the same variance, which is checked against R directly.
- Calibration is re-done in every replicate (post-stratification and raking, R's
  ``postStratify``/``rake`` on the replicate design).
- Quantiles use ``qrule="math"`` with ``interval.type="quantile"`` (replicate quantiles) and
  ``"mean"`` (Woodruff on the replicate CDF); the median gap's SE is the replicate variance of
  the difference of the two medians (R's ``withReplicates``).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import estimators
from analysis import replicates as rp
from analysis.design import SurveyDesign
from analysis.quantiles import median_gap

REFERENCE = Path(__file__).parent / "reference"
RTOL = 1e-8


def _r() -> dict[str, float]:
    table = pd.read_csv(REFERENCE / "replicates_results.csv")
    return dict(zip(table["key"], table["value"], strict=True))


R = _r()


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "sample.csv")


@pytest.fixture(scope="module")
def design(sample: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)


def _with_factors(design: SurveyDesign, file: str, type_: str, scale: float) -> rp.ReplicateDesign:
    """A replicate design from R's PSU factors (rows matched on district and commune)."""
    factors = pd.read_csv(REFERENCE / file)
    columns = [c for c in factors.columns if c.startswith("r")]
    data = design.data[["district", "commune"]].merge(
        factors, on=["district", "commune"], how="left"
    )
    psu_factors = np.zeros((design.n_psu, len(columns)))
    psu_factors[design.psu_codes] = data[columns].to_numpy()
    return rp.ReplicateDesign(
        data=design.data,
        weights=design.weights.copy(),
        type=type_,
        scale=scale,
        rscales=np.ones(len(columns)),
        psu_index=design.psu_codes,
        factors=psu_factors,
    )


@pytest.fixture(scope="module")
def jk(design: SurveyDesign) -> rp.ReplicateDesign:
    return rp.jackknife(design)


@pytest.fixture(scope="module")
def boot(design: SurveyDesign) -> rp.ReplicateDesign:
    return _with_factors(design, "replicates_boot_factors.csv", "subbootstrap", 1 / 49)


def _totals() -> tuple[pd.DataFrame, list]:
    sample = pd.read_csv(REFERENCE / "sample.csv")
    ps = sample.groupby(["sex", "urban"], as_index=False)["weight"].sum()
    ps["Freq"] = np.round(ps["weight"] * 1.07)
    sex = pd.DataFrame({"sex": ["F", "M"], "Freq": [820000, 790000]})
    dis = sample.groupby("district", as_index=False)["weight"].sum()
    dis["Freq"] = np.round(dis["weight"] / dis["weight"].sum() * 1610000)
    return ps[["sex", "urban", "Freq"]], [(["sex"], sex), (["district"], dis[["district", "Freq"]])]


def ours(prefix: str, rep: rp.ReplicateDesign) -> dict[str, float]:
    """Our value for every key of one replicate design, computed as the R script does."""
    out: dict[str, float] = {f"{prefix}.degf": rep.degf(), f"{prefix}.scale": rep.scale}
    m = rp.mean(rep, "kap_score")[0]
    out |= {f"{prefix}.mean.est": m.estimate, f"{prefix}.mean.se": m.std_error}
    for row in rp.proportion(rep, "support_need"):
        out |= {f"{prefix}.cat.{row.level}.est": row.estimate}
        out |= {f"{prefix}.cat.{row.level}.se": row.std_error}
    t = rp.total(rep, "trained_vocational")[0]
    r = rp.ratio(rep, "trained_vocational", "age")[0]
    out |= {f"{prefix}.total.est": t.estimate, f"{prefix}.total.se": t.std_error}
    out |= {f"{prefix}.ratio.est": r.estimate, f"{prefix}.ratio.se": r.std_error}
    for row in rp.mean(rep, "kap_score", by=["sex", "urban"]):
        key = f"{prefix}.by.{row.domain['sex']}.{row.domain['urban']}"
        out |= {f"{key}.est": row.estimate, f"{key}.se": row.std_error}
    (g,) = rp.gap(rep, "trained_vocational", ("sex", "F", "M"))
    out |= {f"{prefix}.gap.est": g.difference, f"{prefix}.gap.se": g.std_error}
    out |= {f"{prefix}.gpi.est": g.ratio, f"{prefix}.gpi.se": g.ratio_std_error}
    sex = rep.data["sex"].to_numpy()
    out |= {f"{prefix}.degf.{s}": rep.degf(sex == s) for s in ("F", "M")}

    ps_pop, margins = _totals()
    pst = rp.poststratify(rep, ["sex", "urban"], ps_pop)
    m = rp.mean(pst, "trained_vocational")[0]
    t = rp.total(pst, "trained_vocational")[0]
    out |= {f"{prefix}.poststrat.est": m.estimate, f"{prefix}.poststrat.se": m.std_error}
    out |= {f"{prefix}.poststrat.total.est": t.estimate}
    out |= {f"{prefix}.poststrat.total.se": t.std_error}
    for row in rp.mean(pst, "kap_score", by="sex"):
        key = f"{prefix}.poststrat.by.{row.domain['sex']}"
        out |= {f"{key}.est": row.estimate, f"{key}.se": row.std_error}
    rk = rp.rake(rep, margins, maxit=100, epsilon=1e-10)
    m = rp.mean(rk, "trained_vocational")[0]
    t = rp.total(rk, "trained_vocational")[0]
    r = rp.ratio(rk, "trained_vocational", "age")[0]
    out |= {f"{prefix}.rake.est": m.estimate, f"{prefix}.rake.se": m.std_error}
    out |= {f"{prefix}.rake.total.est": t.estimate, f"{prefix}.rake.total.se": t.std_error}
    out |= {f"{prefix}.rake.ratio.est": r.estimate, f"{prefix}.rake.ratio.se": r.std_error}

    names = ("q25", "q50", "q75")
    for interval in ("quantile", "mean"):
        table = rp.quantile(rep, "kap_score", (0.25, 0.5, 0.75), interval=interval)
        by_sex = rp.quantile(rep, "kap_score", (0.5,), by="sex", interval=interval)
        keyed = [
            (f"{prefix}.q.{interval}.{name}", row) for name, row in zip(names, table, strict=True)
        ]
        keyed += [(f"{prefix}.q.{interval}.{row.domain['sex']}.q50", row) for row in by_sex]
        for key, row in keyed:
            out |= {f"{key}.est": row.estimate, f"{key}.se": row.std_error}
            out |= {f"{key}.lci": row.ci_low, f"{key}.uci": row.ci_high}
    (g,) = median_gap(rep, "kap_score", ("sex", "F", "M"))
    out |= {f"{prefix}.mediangap.est": g.difference, f"{prefix}.mediangap.se": g.std_error}
    return out


def _compare(mine: dict[str, float], prefix: str) -> None:
    expected = {k: v for k, v in R.items() if k.startswith(prefix + ".")}
    assert expected, prefix
    missing = sorted(set(expected) - set(mine))
    assert not missing, missing
    for key, value in expected.items():
        assert mine[key] == pytest.approx(value, rel=RTOL, abs=1e-12), key


def test_jackknife_matches_r(jk: rp.ReplicateDesign) -> None:
    _compare(ours("jk", jk), "jk")


def test_bootstrap_with_r_factors_matches_r(boot: rp.ReplicateDesign) -> None:
    _compare(ours("boot", boot), "boot")


def test_taylor_woodruff_quantiles_by_sex_match_r(design: SurveyDesign) -> None:
    table = estimators.quantile(design, "kap_score", (0.25, 0.5, 0.75), by="sex")
    for row in table:
        key = f"taylor.q.{row.domain['sex']}.q{int(float(row.level) * 100)}"
        assert row.estimate == pytest.approx(R[f"{key}.est"], rel=RTOL)
        assert row.ci_low == pytest.approx(R[f"{key}.lci"], rel=RTOL)
        assert row.ci_high == pytest.approx(R[f"{key}.uci"], rel=RTOL)
        assert row.std_error == pytest.approx(R[f"{key}.se"], rel=RTOL)


@pytest.fixture(scope="module")
def pairs(sample: pd.DataFrame) -> SurveyDesign:
    """The first two communes of every district: a design BRR can use."""
    first_two = sample.groupby("district")["commune"].transform(
        lambda c: c.isin(sorted(c.unique())[:2])
    )
    data = sample[first_two].reset_index(drop=True)
    return SurveyDesign(data, weight="weight", strata="district", psu="commune", nest=True)


def test_brr_and_fay_match_r(pairs: SurveyDesign) -> None:
    assert pairs.n == R["brr.n"]
    brr_r = _with_factors(pairs, "replicates_brr_factors.csv", "BRR", 1 / 12)
    m = rp.mean(brr_r, "kap_score")[0]
    t = rp.total(brr_r, "trained_vocational")[0]
    r = rp.ratio(brr_r, "trained_vocational", "age")[0]
    for key, value in {
        "brr.mean.est": m.estimate,
        "brr.mean.se": m.std_error,
        "brr.total.est": t.estimate,
        "brr.total.se": t.std_error,
        "brr.ratio.est": r.estimate,
        "brr.ratio.se": r.std_error,
    }.items():
        assert value == pytest.approx(R[key], rel=RTOL), key
    # Our own Sylvester half-samples: a total's BRR variance is the same for any full
    # orthogonal balance, and equals the Taylor variance with two PSUs per stratum.
    ours_brr = rp.brr(pairs)
    t = rp.total(ours_brr, "trained_vocational")[0]
    assert t.std_error == pytest.approx(R["brr.total.se"], rel=RTOL)
    assert t.std_error == pytest.approx(R["brr.taylor.total.se"], rel=RTOL)
    fay = rp.brr(pairs, fay_rho=0.5)
    t = rp.total(fay, "trained_vocational")[0]
    assert t.std_error == pytest.approx(R["fay.total.se"], rel=RTOL)
    assert rp.mean(fay, "kap_score")[0].estimate == pytest.approx(R["fay.mean.est"], rel=RTOL)


def test_brr_refuses_strata_without_two_psus(design: SurveyDesign) -> None:
    with pytest.raises(rp.AnalysisError, match="two PSUs"):
        rp.brr(design)


def test_own_bootstrap_is_rao_wu(design: SurveyDesign) -> None:
    """Every replicate draws n_h − 1 PSUs per stratum: factors sum to n_h in each stratum."""
    boot = rp.bootstrap(design, replicates=20, seed=1)
    sums = np.zeros((design.n_strata, 20))
    np.add.at(sums, design.psu_stratum, boot.factors)
    assert np.allclose(sums, design.psu_per_stratum[:, None])
    assert boot.scale == pytest.approx(1 / 19)
    # Same order of magnitude as the linearisation SE (a random estimate of the same variance).
    se = rp.mean(boot, "kap_score")[0].std_error
    taylor = estimators.mean(design, "kap_score")[0].std_error
    assert 0.5 * taylor < se < 2 * taylor
