"""bench/trend.py prepares R's inputs from the rounds (timings are not asserted; R not needed)."""

import importlib.util
from pathlib import Path

import pandas as pd

BENCH = Path(__file__).parents[2] / "bench" / "trend.py"
ROUNDS = Path(__file__).parent / "reference" / "trend" / "independent"


def test_the_r_inputs_hold_each_indicator_with_its_rows_sex_and_design(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_trend", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    files = bench.write_r_inputs(ROUNDS, tmp_path, ["I1.1", "I5.2"])
    assert [f.name for f in files] == [
        f"{i}_{y}.csv" for y in (2017, 2018, 2020) for i in ("I1.1", "I5.2")
    ]
    frame = pd.read_csv(files[0])
    assert {"y", "sex", "rv_residence", "stratum", "psu", "weight_final"} <= set(frame.columns)
    assert set(frame["y"].dropna()) <= {0.0, 1.0}
    assert "svycontrast" in bench.R_SCRIPT
