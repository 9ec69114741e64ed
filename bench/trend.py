"""Time ``gesurvey analyze trend`` on three rounds of 1,000,000 persons each, beside R's survey.

Simulates three rounds (``gesurvey simulate --rounds 2017,2018,2020``) of ``--persons`` persons
each (household members; about 3.58 a household), then times the whole ``gesurvey analyze
trend`` process (start-up, reading the three data folders, every indicator of the table plan by
its row variables and sex, changes, gap changes, comparability, CSVs) with its CPU time and peak
resident memory.

The anchor, in the same run, is ``Rscript`` with the survey package doing the same statistical
job for the indicators ``--r-indicators`` (default I1.1, an individual-form indicator, and
I5.2, a household-member one): for each round and each of the indicator's row variables,
``svydesign`` then ``svyby(~y, ~row)`` and ``svyby(~y, ~row + sex, covmat = TRUE)`` with one
``svycontrast`` per row value (the women − men gap), then the changes between rounds. R gets
the indicator values and coded row variables ready-made in CSV files (written beforehand, not
timed), so its figure leaves out evaluating the indicator definitions; gesurvey's figure for
the same indicators (``analyze trend --indicator …``) is timed too and the ratio is given on
that common job. R on every indicator at full size would take hours; the full gesurvey figure
is printed beside it.

Usage: python bench/trend.py [--persons 1000000] [--r-indicators I1.1,I5.2] [--no-r]
       [--keep DIR] (a quick run: --persons 50000)
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This script shares its folder with other benches: keep the folder off the import path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

YEARS = "2017,2018,2020"
PERSONS_PER_HOUSEHOLD = 3.58  # members per household in the simulated rosters

R_SCRIPT = r"""
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
files <- commandArgs(trailingOnly = TRUE)
elapsed <- 0
results <- list()
for (f in files) {
  d <- read.csv(f)
  t0 <- proc.time()[["elapsed"]]
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight_final, nest = TRUE, data = d)
  rows <- grep("^rv_", names(d), value = TRUE)
  has_sex <- "sex" %in% names(d)
  cells <- 0
  for (rv in c("total", rows)) {
    if (rv == "total") {
      sub <- subset(des, !is.na(y))
      m <- svymean(~y, sub)
      cells <- cells + 1
      if (has_sex) {
        s <- subset(sub, sex %in% c(1, 2))
        b <- svyby(~y, ~sex, s, svymean, covmat = TRUE)
        g <- svycontrast(b, c(-1, 1))
        cells <- cells + nrow(b)
      }
    } else {
      sub <- subset(des, !is.na(y) & !is.na(d[[rv]]))
      f1 <- as.formula(paste("~", rv))
      b <- svyby(~y, f1, sub, svymean)
      cells <- cells + nrow(b)
      if (has_sex) {
        s <- subset(sub, sex %in% c(1, 2))
        f2 <- as.formula(paste("~", rv, "+ sex"))
        b2 <- svyby(~y, f2, s, svymean, covmat = TRUE)
        cells <- cells + nrow(b2)
        n <- names(coef(b2))
        for (v in unique(b2[[rv]])) {
          w <- setNames(rep(0, length(n)), n)
          w[paste0(v, ".2")] <- 1
          w[paste0(v, ".1")] <- -1
          if (sum(w != 0) == 2) g <- svycontrast(b2, w)
        }
      }
    }
  }
  results[[f]] <- cells
  elapsed <- elapsed + proc.time()[["elapsed"]] - t0
}
cat(sum(unlist(results)), elapsed, "\n")
"""


def run_measured(command: list[str]) -> tuple[float, float, float, str]:
    """Run a command; its wall seconds, CPU seconds (user + system), peak RSS in MB, stdout."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(err.read().decode()[-1500:])
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode()


def gesurvey() -> str:
    return str(Path(sys.executable).with_name("gesurvey"))


def simulate(folder: Path, persons: int) -> tuple[float, int]:
    """Write the three rounds; return the wall seconds and the households per round."""
    households = max(20, math.ceil(persons / PERSONS_PER_HOUSEHOLD))
    command = [gesurvey(), "simulate", "--rounds", YEARS, "--households", str(households)]
    wall, _, _, _ = run_measured([*command, "--seed", "1", "--out", str(folder)])
    return wall, households


def trend_command(folder: Path, out: Path, indicators: list[str]) -> tuple[float, float, float]:
    """The whole ``gesurvey analyze trend`` process on the three rounds: wall, CPU, peak MB."""
    rounds = [str(folder / year) for year in YEARS.split(",")]
    selected = [arg for iid in indicators for arg in ("--indicator", iid)]
    command = [gesurvey(), "analyze", "trend", *rounds, "--out", str(out), *selected]
    wall, cpu, rss, _ = run_measured(command)
    return wall, cpu, rss


def write_r_inputs(folder: Path, target: Path, indicators: list[str]) -> list[Path]:
    """The indicators' analysis columns per round as CSV for R (y, sex, rv_*, design)."""
    from analysis.indicators import read_data_dir
    from analysis.kap import add_kap_columns
    from analysis.tables import WorkFrames
    from analysis.trend import _indicator_layout, _round_indicator
    from questionnaires.loader import load_bundled
    from questionnaires.plans import bundled_plan_path, load_plan

    forms = load_bundled()
    plan = load_plan(bundled_plan_path(), forms)
    layout = _indicator_layout(plan)
    files = []
    target.mkdir(parents=True, exist_ok=True)
    for year in YEARS.split(","):
        work = WorkFrames(read_data_dir(folder / year, plan, forms), plan, forms, "en")
        add_kap_columns(work)
        for iid in indicators:
            rows, by_sex = layout[iid]
            result = _round_indicator(work, iid, rows, by_sex, 0.95, True)
            work.release()
            assert result is not None and result.frame is not None
            frame = result.frame
            attrs = frame.attrs
            names = {attrs["column"]: "y"}
            if attrs["sex"]:
                names[attrs["sex"]] = "sex"
            names.update(
                {c: "rv_" + c[len("_rv_") :] for c in frame.columns if c.startswith("_rv_")}
            )
            path = target / f"{iid}_{year}.csv"
            frame.rename(columns=names).to_csv(path, index=False)
            files.append(path)
    return files


def run_r(files: list[Path]) -> tuple[float, float, float, float, int] | None:
    """R's whole process (wall, CPU, peak MB), its time after reading, and cells; None without R."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as handle:
        handle.write(R_SCRIPT)
    try:
        wall, cpu, rss, out = run_measured([rscript, handle.name, *map(str, files)])
    finally:
        os.unlink(handle.name)
    cells, after_read = out.split()[-2:]
    return wall, cpu, rss, float(after_read), int(float(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons per round")
    parser.add_argument("--r-indicators", default="I1.1,I5.2")
    parser.add_argument("--no-r", action="store_true", help="skip the R comparison")
    parser.add_argument("--keep", default=None, help="keep the simulated rounds in this folder")
    args = parser.parse_args()
    r_indicators = [i for i in args.r_indicators.split(",") if i]

    with tempfile.TemporaryDirectory() as tmp:
        rounds = Path(args.keep) if args.keep else Path(tmp) / "rounds"
        if not (rounds / "changes_truth.json").is_file():
            wall, households = simulate(rounds, args.persons)
            print(f"simulated 3 rounds of {households:,} households in {wall:.1f} s (not timed)")
        persons = [
            sum(1 for _ in (rounds / y / "member.csv").open(encoding="utf-8")) - 1
            for y in YEARS.split(",")
        ]
        print(f"persons per round (household members): {', '.join(f'{p:,}' for p in persons)}")
        print(f"{'':58s} {'wall s':>8s} {'CPU s':>8s} {'peak MB':>8s}")
        wall, cpu, rss = trend_command(rounds, Path(tmp) / "trend_all", [])
        name = "gesurvey analyze trend, 3 rounds, every indicator"
        print(f"{name:58s} {wall:8.1f} {cpu:8.1f} {rss:8.0f}", flush=True)
        if args.no_r or shutil.which("Rscript") is None:
            print("R comparison skipped")
            return
        ours = trend_command(rounds, Path(tmp) / "trend_r", r_indicators)
        name = f"gesurvey analyze trend, 3 rounds, {'+'.join(r_indicators)}"
        print(f"{name:58s} {ours[0]:8.1f} {ours[1]:8.1f} {ours[2]:8.0f}", flush=True)
        files = write_r_inputs(rounds, Path(tmp) / "r_inputs", r_indicators)
        r = run_r(files)
        if r is None:
            return
        r_wall, r_cpu, r_rss, r_after_read, cells = r
        name = f"anchor: Rscript survey, same job ({'+'.join(r_indicators)})"
        print(f"{name:58s} {r_wall:8.1f} {r_cpu:8.1f} {r_rss:8.0f}")
        after = "anchor: R svydesign + svyby + svycontrast (after read.csv)"
        print(f"{after:58s} {r_after_read:8.1f}")
        print(f"  ({cells:,} domain estimates in R)")
        print("ratios (R time / gesurvey time, same run; higher is better):")
        for label, value in (
            ("R whole process / gesurvey whole process (same indicators)", r_wall / ours[0]),
            ("R after read.csv / gesurvey whole process", r_after_read / ours[0]),
            ("R CPU / gesurvey CPU", r_cpu / ours[1]),
        ):
            print(f"  {label:60s} {value:6.1f} x")


if __name__ == "__main__":
    main()
