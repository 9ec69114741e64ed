"""Time replicate-weight estimation (80 bootstrap replicates) on 1,000,000 persons against R.

Job, the same in both: build Rao–Wu bootstrap replicate weights (``n_h - 1`` PSUs per stratum,
R's ``as.svrepdesign(type="subbootstrap", replicates=80)``) from a stratified cluster design
(22 strata, 2,200 PSUs), then the mean of a score and the proportion of a 0/1 variable for the
22 domains sex × district with their replicate SEs (R: two ``svyby`` calls). Both times start
after the CSV is read. The figure is gesurvey's time (best of ``--repeat``), the anchor R's time
in the same run, then their ratio and each process's peak resident memory.

Usage: python bench/replicates.py [--n 1000000] [--replicates 80] [--repeat 2] [--no-r]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread, as R's reference BLAS: on a shared machine threaded BLAS spins on the small
# rank computations (the replicate design's degrees of freedom).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Keep this folder off the import path (bench/analysis.py shadows the package).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from analysis import replicates as rp  # noqa: E402
from analysis.design import SurveyDesign  # noqa: E402

R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d)
rd <- as.svrepdesign(des, type = "subbootstrap", replicates = as.integer(args[2]))
m <- svyby(~score, ~sex + district, rd, svymean)
p <- svyby(~trained, ~sex + district, rd, svymean)
cat(proc.time()[["elapsed"]] - t0, "\n")
"""


def make_sample(rows: int, psus: int = 2200, seed: int = 19) -> pd.DataFrame:
    """Stratified two-stage sample with PSU effects: 22 strata × psus/22 PSUs."""
    rng = np.random.default_rng(seed)
    strata = 22
    per = psus // strata
    psu = rng.integers(0, strata * per, size=rows)
    stratum = psu // per
    effect = rng.normal(0, 5, strata * per)[psu]
    return pd.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "district": stratum // 2,
            "sex": rng.integers(1, 3, size=rows),
            "score": rng.normal(60, 15, size=rows) + effect,
            "trained": (rng.random(rows) < 0.3 + effect / 50).astype(int),
            "weight": rng.uniform(50, 400, size=strata * per)[psu],
        }
    )


def ours(data: pd.DataFrame, replicates: int) -> float:
    start = time.perf_counter()
    design = SurveyDesign(data, weight="weight", strata="stratum", psu="psu")
    rep = rp.bootstrap(design, replicates, seed=1)
    rp.mean(rep, "score", by=["sex", "district"])
    rp.mean(rep, "trained", by=["sex", "district"])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
    data = make_sample(args.n)
    figure = min(ours(data, args.replicates) for _ in range(args.repeat))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"persons {args.n:,}, PSUs 2,200, strata 22, bootstrap replicates {args.replicates}")
    print(f"gesurvey: {figure:.2f} s (best of {args.repeat}), peak RSS {peak:.0f} MB")
    if args.no_r:
        return
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "sample.csv"
        data.to_csv(csv, index=False)
        script = Path(folder) / "job.R"
        script.write_text(R_SCRIPT, encoding="utf-8")
        out = subprocess.run(
            ["Rscript", str(script), str(csv), str(args.replicates)],
            capture_output=True,
            text=True,
            check=True,
        )
    anchor = float(out.stdout.split()[-1])
    r_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"R survey: {anchor:.2f} s (same run, after read.csv), peak RSS {r_peak:.0f} MB")
    print(f"ratio gesurvey / R: {figure / anchor:.3f}")


if __name__ == "__main__":
    main()
