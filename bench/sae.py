"""Time the Fay–Herriot small-area estimates for 226 communes against the same job in R.

Job, the same in both: 226 areas, 5 auxiliaries (intercept + 4), REML by Fisher scoring to a
relative change of 1e-10, then the EBLUP, the shrinkage factors and the Prasad–Rao MSE. R's
``sae`` package is not installed, so R runs a hand-coded version of the same algorithm in base R
(below), on the same data, in the same run; both repeat the job ``--repeat`` times and the
figure is the time per fit. Peak resident memory of each process is printed.

Usage: python bench/sae.py [--areas 226] [--repeat 200] [--no-r]
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

# One BLAS thread, as R's reference BLAS (a shared machine makes threaded BLAS spin).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from analysis.sae import fay_herriot  # noqa: E402

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); reps <- as.integer(args[2])
y <- d$direct; D <- d$D; X <- cbind(1, as.matrix(d[, grep("^x", names(d))]))
fh <- function(y, D, X) {
  A <- median(D)
  for (it in 1:100) {
    vi <- 1 / (A + D)
    C <- solve(t(X) %*% (X * vi)); A2 <- t(X) %*% (X * vi^2); A3 <- t(X) %*% (X * vi^3)
    Py <- vi * (y - X %*% (C %*% (t(X) %*% (vi * y))))
    CA2 <- C %*% A2
    trP <- sum(vi) - sum(diag(CA2))
    trPP <- sum(vi^2) - 2 * sum(diag(C %*% A3)) + sum(CA2 * t(CA2))
    s <- -0.5 * trP + 0.5 * sum(Py^2)
    new <- max(A + s / (0.5 * trPP), 0)
    done <- abs(new - A) <= 1e-10 * max(1, abs(A)); A <- new
    if (done) break
  }
  vi <- 1 / (A + D); covb <- solve(t(X) %*% (X * vi)); b <- covb %*% t(X) %*% (vi * y)
  syn <- as.vector(X %*% b); g <- A * vi
  mse <- g * D + (1 - g)^2 * rowSums((X %*% covb) * X) + 2 * D^2 * vi^3 * 2 / sum(vi^2)
  list(A = A, eblup = g * y + (1 - g) * syn, mse = mse)
}
t0 <- proc.time()[["elapsed"]]
for (r in 1:reps) f <- fh(y, D, X)
cat((proc.time()[["elapsed"]] - t0) / reps, f$A, "\n")
"""


def make_areas(areas: int, seed: int = 226) -> pd.DataFrame:
    """Areas with 4 auxiliaries, an area effect and ~20 interviews' sampling variance."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(areas, 4))
    theta = 0.3 + x @ [0.2, -0.1, 0.05, 0.1] + rng.normal(0, 0.06, areas)
    n = rng.integers(12, 40, areas)
    d = 0.25 / n
    frame = pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(4)])
    frame.insert(0, "D", d)
    frame.insert(0, "direct", theta + rng.normal(0, np.sqrt(d)))
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=226)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
    data = make_areas(args.areas)
    x = np.column_stack([np.ones(len(data)), data[["x1", "x2", "x3", "x4"]].to_numpy()])
    start = time.perf_counter()
    for _ in range(args.repeat):
        fit = fay_herriot(data["direct"], data["D"], x)
    figure = (time.perf_counter() - start) / args.repeat
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"areas {args.areas}, auxiliaries 4 + intercept, fits {args.repeat}")
    print(
        f"gesurvey: {figure * 1000:.2f} ms per fit (A = {fit.sigma2_u:.6g}), peak RSS {peak:.0f} MB"
    )
    if args.no_r:
        return
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "areas.csv"
        data.to_csv(csv, index=False)
        script = Path(folder) / "fh.R"
        script.write_text(R_SCRIPT, encoding="utf-8")
        out = subprocess.run(
            ["Rscript", str(script), str(csv), str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
    anchor, r_a = (float(v) for v in out.stdout.split()[:2])
    r_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"R (base, hand-coded): {anchor * 1000:.2f} ms per fit (A = {r_a:.6g}), same run, "
        f"peak RSS {r_peak:.0f} MB"
    )
    print(f"ratio gesurvey / R: {figure / anchor:.3f}")


if __name__ == "__main__":
    main()
