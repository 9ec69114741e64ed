"""Time weighting and calibrated estimation on a large synthetic sample.

Builds 1,000,000 persons in 2,200 PSUs (22 strata: 11 districts × urban/rural) with sex, five
age groups and five ethnic groups, then times: raking the weights to district, sex × age-group
and ethnicity margins; post-stratifying the design on district × sex × age group (110 cells);
raking the design; and, on each calibrated design, the mean of a score and the proportions of a
5-level variable for the 110 domains sex × district × ethnicity plus the female − male gap table
(55 domains), and the calibrated PSU totals of sparse domain scores through
``calibrated_psu_totals`` (the fast path estimators can take). Prints wall times and the peak
resident memory (issue 6's targets for the uncalibrated table: under 1 s, under 1 GB).

Usage: python bench/weighting.py [--rows 1000000] [--psus 2200]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

# Keep this folder off the import path (bench/analysis.py shares the package's name).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from analysis.design import SurveyDesign  # noqa: E402
from analysis.estimators import gap, mean, proportion  # noqa: E402
from analysis.weighting import (  # noqa: E402
    calibrated_psu_totals,
    poststratify,
    rake,
    rake_weights,
)

AGE_GROUPS = np.array(["18-24", "25-34", "35-44", "45-54", "55-64"])
ETHNIC = np.array(["Nung", "Tay", "Kinh", "Dao", "Other"])


def make_sample(rows: int, psus: int, seed: int = 6) -> pd.DataFrame:
    """A stratified two-stage sample with PSU effects, like the Lạng Sơn design."""
    rng = np.random.default_rng(seed)
    strata = 22
    n_psu = strata * (psus // strata)
    psu = np.sort(rng.integers(0, n_psu, size=rows))
    stratum = psu // (psus // strata)
    district = np.array([f"D{d:02d}" for d in range(1, 12)])[stratum // 2]
    sex = np.where(rng.random(rows) < 0.51, "F", "M")
    score = 60 + rng.normal(0, 5, size=n_psu)[psu] + rng.normal(0, 12, size=rows)
    score[rng.random(rows) < 0.03] = np.nan
    return pd.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "district": district,
            "sex": sex,
            "age_group": AGE_GROUPS[rng.integers(0, 5, size=rows)],
            "ethnicity": ETHNIC[rng.choice(5, size=rows, p=[0.42, 0.36, 0.14, 0.05, 0.03])],
            "score": score,
            "support_need": rng.integers(1, 6, size=rows),
            "weight": rng.uniform(50, 400, size=n_psu)[psu] * rng.uniform(0.8, 1.25, size=rows),
        }
    )


def population_totals(data: pd.DataFrame, by: list[str], population: float) -> pd.DataFrame:
    """Census-like totals: the sample's weighted shares, perturbed, scaled to ``population``."""
    shares = data.groupby(by, observed=True)["weight"].sum()
    rng = np.random.default_rng(len(by))
    shares = shares * rng.uniform(0.9, 1.1, size=len(shares))
    return (shares / shares.sum() * population).rename("total").reset_index()


def timed(label: str, func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = func(*args, **kwargs)
    print(f"{label:<58} {time.perf_counter() - start:7.2f} s", flush=True)
    return out


def table(design: SurveyDesign) -> None:
    domains = ["sex", "district", "ethnicity"]
    mean(design, "score", by=domains)
    proportion(design, "support_need", by=domains)
    gap(design, "score", ("sex", "F", "M"), by=["district", "ethnicity"])


def sparse_domain_scores(design: SurveyDesign) -> sparse.csr_matrix:
    """Sparse n × 550 scores: one column per (sex × district × ethnicity) domain × need level."""
    data = design.data
    domain = data.groupby(["sex", "district", "ethnicity"]).ngroup().to_numpy()
    level = data["support_need"].to_numpy() - 1
    n, columns = len(data), (domain.max() + 1) * 5
    return sparse.csr_matrix(
        (design.weights, (np.arange(n), domain * 5 + level)), shape=(n, columns)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--psus", type=int, default=2200)
    args = parser.parse_args()
    data = make_sample(args.rows, args.psus)
    population = 781_700.0
    margins = {
        "district": population_totals(data, ["district"], population),
        ("sex", "age_group"): population_totals(data, ["sex", "age_group"], population),
        "ethnicity": population_totals(data, ["ethnicity"], population),
    }
    cells = population_totals(data, ["district", "sex", "age_group"], population)
    print(f"{args.rows:,} rows, {args.psus:,} PSUs")
    result = timed("rake_weights, 3 margins (array)", rake_weights, data["weight"], data, margins)
    print(f"  {result.iterations} passes, converged={result.converged}")
    design = timed("design", SurveyDesign, data, weight="weight", strata="stratum", psu="psu")
    timed("110-domain mean + proportion + gap, uncalibrated", table, design)
    post = timed(
        "poststratify design, 110 cells",
        poststratify,
        design,
        ["district", "sex", "age_group"],
        cells,
    )
    timed("110-domain mean + proportion + gap, post-stratified", table, post)
    raked = timed("rake design, 3 margins", rake, design, margins)
    timed("110-domain mean + proportion + gap, raked", table, raked)
    # What the estimators' calibrated path costs when given sparse domain scores.
    scores = sparse_domain_scores(raked)
    timed(
        "PSU totals of 550 raked domain scores (sparse, fast path)",
        calibrated_psu_totals,
        raked,
        scores,
    )
    timed(
        "PSU totals of 550 post-stratified domain scores (sparse)",
        calibrated_psu_totals,
        post,
        scores,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
