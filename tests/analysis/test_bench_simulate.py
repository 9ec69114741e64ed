"""bench/simulate.py runs end to end and reports what it wrote (timings are not asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

BENCH = Path(__file__).parents[2] / "bench" / "simulate.py"


def test_simulate_benchmark_reports_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--one", "2000", "--keep", str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    # The row counts it reports are the rows of the tables it wrote.
    written = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet")}
    assert report["tables"] == written
    assert report["households"] == written["sample"]
    assert report["interviews"] == sum(written[t] for t in ("household", "individual", "women"))
    assert report["persons"] >= written["member"] > 0
    # Output size is the folder's, in MB; peak memory is at least what the libraries occupy.
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file()) / 2**20
    assert abs(report["output_mb"] - size) <= 0.05
    assert report["peak_rss_mb"] >= 50
