"""Time and peak memory of ``gesurvey simulate`` for 1,000,000 persons (issue 5).

Each size runs in a fresh Python process (so each peak resident memory is its own), writes the
full output (CSV + Parquet, every table) to a temporary folder and prints: households, persons
(roster members), interviews, wall and CPU time (they differ when other work shares the
machine), persons per second, output size and peak RSS. Running
two sizes shows whether memory stays flat as the survey grows (it should: batches of villages
are generated and written one at a time).

Usage: python bench/simulate.py [--persons 100000,1000000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/analysis.py would shadow the analysis package: keep this folder off the import path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

# Persons per household in the synthetic rosters (mean of 1 + Poisson(≈2.85)).
PERSONS_PER_HOUSEHOLD = 3.82


def _one(persons: int, seed: int, keep: str | None) -> dict:
    from analysis.synthetic.run import Simulator

    households = math.ceil(persons / PERSONS_PER_HOUSEHOLD)
    out = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="gesurvey-bench-"))
    started = time.perf_counter()
    cpu_started = time.process_time()
    simulator = Simulator(households, seed)
    result = simulator.write(out)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    interviews = sum(result.tables.get(t, 0) for t in ("household", "individual", "women"))
    return {
        "households": result.households,
        "persons": result.persons,
        "interviews": interviews,
        "tables": result.tables,
        "seconds": round(elapsed, 1),
        "cpu_seconds": round(cpu, 1),
        "persons_per_second": round(result.persons / elapsed),
        "output_mb": round(size / 2**20, 1),
        "peak_rss_mb": round(peak_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--persons",
        default="100000,1000000",
        help="comma-separated sizes in persons (default 100000,1000000)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="write the output here instead of a temporary folder")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(_one(args.one, args.seed, args.keep)))
        return
    for size in (int(s) for s in args.persons.split(",")):
        command = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)]
        if args.keep:
            command += ["--keep", f"{args.keep}-{size}"]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            print(completed.stderr, file=sys.stderr)
            raise SystemExit(completed.returncode)
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        print(
            f"target {size:>9,} persons: {report['households']:,} households, "
            f"{report['persons']:,} persons, {report['interviews']:,} interviews in "
            f"{report['seconds']} s wall, {report['cpu_seconds']} s CPU "
            f"({report['persons_per_second']:,} persons/s wall); output "
            f"{report['output_mb']} MB; peak RSS {report['peak_rss_mb']} MB"
        )
        print(f"    rows: {report['tables']}")


if __name__ == "__main__":
    main()
