"""Estimators on calibrated designs: the sparse route through analysis.weighting equals the dense
chunked projection, and both give R's postStratify()/rake() SEs.

Runs once analysis.weighting (the analysis-weighting branch) is present; skipped before.
"""

from pathlib import Path

import pandas as pd
import pytest

from analysis import estimators as est
from analysis.design import SurveyDesign

weighting = pytest.importorskip("analysis.weighting")

REFERENCE = Path(__file__).parent / "reference"
R = dict(pd.read_csv(REFERENCE / "results.csv").itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def calibrated() -> dict[str, SurveyDesign]:
    sample = pd.read_csv(REFERENCE / "sample.csv")
    design = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)
    # The population totals reference.R used (results_poststrat_totals / results_rake_totals).
    post = sample.groupby(["sex", "urban"])["weight"].sum().mul(1.07).round()
    district = sample.groupby("district")["weight"].sum()
    district = (district / district.sum() * 1_610_000).round()
    return {
        "poststrat": weighting.poststratify(design, ["sex", "urban"], post.to_dict()),
        "rake": weighting.rake(
            design,
            {"sex": {"F": 820_000, "M": 790_000}, "district": district.to_dict()},
            max_iter=100,
            epsilon=1e-10,
        ),
    }


@pytest.mark.parametrize("kind", ["poststrat", "rake"])
def test_calibrated_means_and_totals_match_r(calibrated: dict, kind: str) -> None:
    design = calibrated[kind]
    m = est.mean(design, "trained_vocational")[0]
    t = est.total(design, "trained_vocational")[0]
    for value, key in (
        (m.estimate, "est"),
        (m.std_error, "se"),
        (t.estimate, "total.est"),
        (t.std_error, "total.se"),
    ):
        expected = R[f"{kind}.{key}"]
        assert abs(value - expected) <= 1e-9 * abs(expected), (kind, key, value, expected)


@pytest.mark.parametrize("kind", ["poststrat", "rake"])
def test_sparse_route_equals_dense_chunks(
    calibrated: dict, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    design = calibrated[kind]
    fast = est.proportion(design, "support_need", by=["sex", "district"])
    monkeypatch.setattr(est, "_sparse_calibrated_totals", lambda design: None)
    slow = est.proportion(design, "support_need", by=["sex", "district"])
    for a, b in zip(fast, slow, strict=True):
        assert a.std_error == pytest.approx(b.std_error, rel=1e-10)
