"""Every non-calibrated number of R's reference run, reproduced to a relative 1e-9.

reference/results.csv comes from reference/reference.R (R 4.2, survey 4.1.1) on
reference/sample.csv; the calibrated keys (poststrat.*, rake.*) belong to the weighting tests.
"""

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from analysis import estimators as est
from analysis.design import SurveyDesign
from analysis.tests_of_association import rao_scott

REFERENCE = Path(__file__).parent / "reference"
CALIBRATED = ("poststrat.", "rake.")


def r_results() -> dict[str, float]:
    table = pd.read_csv(REFERENCE / "results.csv")
    return dict(zip(table["key"], table["value"], strict=True))


R = r_results()


def ours() -> dict[str, float]:
    """Our value for every key, computed the way reference.R computes it."""
    sample = pd.read_csv(REFERENCE / "sample.csv")
    design = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)
    out: dict[str, float] = {"n": design.n, "sumw": design.sum_weights, "degf": design.degf}

    m = est.mean(design, "trained_vocational")[0]
    p = est.proportion(design, "trained_vocational").find("1")
    out |= {
        "prop.all.est": m.estimate,
        "prop.all.se": m.std_error,
        "prop.all.deff": m.deff,
        "prop.all.wald.lci": m.ci_low,
        "prop.all.wald.uci": m.ci_high,
        "prop.all.xlogit.lci": p.ci_low,
        "prop.all.xlogit.uci": p.ci_high,
    }
    by_sex = est.proportion(design, "trained_vocational", by="sex")
    for sex in ("F", "M"):
        row = by_sex.find("1", sex=sex)
        out |= {
            f"prop.{sex}.est": row.estimate,
            f"prop.{sex}.se": row.std_error,
            f"prop.{sex}.deff": row.deff,
            f"prop.{sex}.df": row.df,
            f"prop.{sex}.xlogit.lci": row.ci_low,
            f"prop.{sex}.xlogit.uci": row.ci_high,
        }
    (g,) = est.gap(design, "trained_vocational", ("sex", "F", "M"), stat="proportion")[1:]
    out |= {
        "gap.est": g.difference,
        "gap.se": g.std_error,
        "gpi.est": g.ratio,
        "gpi.se": g.ratio_std_error,
    }

    for row in est.proportion(design, "support_need"):
        out |= {
            f"cat.{row.level}.est": row.estimate,
            f"cat.{row.level}.se": row.std_error,
            f"cat.{row.level}.deff": row.deff,
        }

    m = est.mean(design, "kap_score")[0]
    out |= {"mean.all.est": m.estimate, "mean.all.se": m.std_error, "mean.all.deff": m.deff}
    for row in est.mean(design, "kap_score", by=["sex", "district"]):
        key = f"mean.{row.domain['sex']}.{row.domain['district']}"
        out |= {f"{key}.est": row.estimate, f"{key}.se": row.std_error}

    t = est.total(design, "trained_vocational")[0]
    r = est.ratio(design, "trained_vocational", "age")[0]
    out |= {
        "total.est": t.estimate,
        "total.se": t.std_error,
        "ratio.est": r.estimate,
        "ratio.se": r.std_error,
    }

    for row, name in zip(est.quantile(design, "kap_score"), ("q25", "q50", "q75"), strict=True):
        out |= {
            f"quantile.{name}.est": row.estimate,
            f"quantile.{name}.lci": row.ci_low,
            f"quantile.{name}.uci": row.ci_high,
            f"quantile.{name}.se": row.std_error,
        }

    f = rao_scott(design, "sex", "support_need", order=2)
    c = rao_scott(design, "sex", "support_need", order=1)
    out |= {
        "chisq.F.stat": f.statistic,
        "chisq.F.ndf": f.ndf,
        "chisq.F.ddf": f.ddf,
        "chisq.F.p": f.p_value,
        "chisq.1.stat": c.statistic,
        "chisq.1.df": c.ndf,
        "chisq.1.p": c.p_value,
    }

    lonely = pd.read_csv(REFERENCE / "sample_lonely.csv")
    for rule in ("certainty", "remove", "adjust", "average"):
        d = SurveyDesign(
            lonely, weight="weight", strata="district", psu="commune", nest=True, lonely_psu=rule
        )
        row = est.mean(d, "trained_vocational")[0]
        out |= {f"lonely.{rule}.est": row.estimate, f"lonely.{rule}.se": row.std_error}
    return out


OURS: dict[str, float] = {}


def _value(key: str, compute: Callable[[], dict[str, float]] = ours) -> float:
    if not OURS:
        OURS.update(compute())
    return OURS[key]


NON_CALIBRATED = sorted(k for k in R if not k.startswith(CALIBRATED))


def test_every_non_calibrated_key_is_pinned() -> None:
    _value("n")
    assert sorted(OURS) == NON_CALIBRATED


@pytest.mark.parametrize("key", NON_CALIBRATED)
def test_matches_r(key: str) -> None:
    expected = R[key]
    actual = _value(key)
    assert abs(actual - expected) <= 1e-9 * abs(expected), (key, actual, expected)
