"""bench/simulate.py still runs end to end (on a small survey; timings are not asserted)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "simulate.py"


def test_simulate_benchmark_reports_time_and_memory(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--one", "2000", "--keep", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["persons"] >= 1500
    assert report["peak_rss_mb"] > 0 and report["seconds"] > 0
    assert (tmp_path / "out" / "member.parquet").exists()
