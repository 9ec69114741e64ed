"""bench/analysis.py still runs end to end (on a small sample; timings are not asserted)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "analysis.py"


def test_benchmark_runs_on_a_small_sample() -> None:
    spec = importlib.util.spec_from_file_location("bench_analysis", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = bench.make_sample(20_000, 220)
    timings = bench.run_analysis(data, 2, 1)
    assert set(timings) >= {"design", "total after loading"}
    labelled = bench.make_sample(20_000, 220, labels=True)
    assert set(labelled["sex"]) == {"F", "M"}
    bench.run_analysis(labelled, "F", "M")
