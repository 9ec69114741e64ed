"""gesurvey weights: new weight columns written with the data, R's numbers, exit 2 on bad input."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from survey_app.cli import cli

REFERENCE = Path(__file__).parent / "reference"
SAMPLE = str(REFERENCE / "sample.csv")
R = dict(pd.read_csv(REFERENCE / "weighting_results.csv").itertuples(index=False, name=None))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["weights", *args])
    return result.exit_code, result.stdout, result.stderr


def assert_weights_match_r(w: np.ndarray, prefix: str) -> None:
    for key, value in (("sum", w.sum()), ("sumsq", (w**2).sum()), ("max", w.max())):
        assert value == pytest.approx(R[f"{prefix}.w.{key}"], rel=1e-9)


def test_calibrate_poststratifies_dense_cells_like_r(tmp_path: Path) -> None:
    out = tmp_path / "weighted.csv"
    code, stdout, _ = run(
        "calibrate",
        SAMPLE,
        "--weight",
        "weight",
        "--cells",
        "sex",
        "--cells",
        "urban",
        "--totals",
        str(REFERENCE / "weighting_totals_poststrat.csv"),
        "--no-trim",
        "--out",
        str(out),
    )
    assert code == 0
    summary = json.loads(stdout)
    assert summary["method"] == "cells" and summary["n_trimmed"] == 0
    written = pd.read_csv(out)
    assert list(written.columns[-2:]) == ["weight_calibrated", "weight_final"]
    assert_weights_match_r(written["weight_final"].to_numpy(), "ps")


def test_calibrate_trims_and_falls_back_to_margins(tmp_path: Path) -> None:
    out = tmp_path / "weighted.parquet"
    code, stdout, _ = run(
        "calibrate",
        SAMPLE,
        "--weight",
        "weight",
        "--cells",
        "sex",
        "--cells",
        "urban",
        "--totals",
        str(REFERENCE / "weighting_totals_poststrat.csv"),
        "--min-cell",
        "1000",
        "--fallback-margin",
        "sex",
        "--fallback-margin",
        "urban",
        "--out",
        str(out),
    )
    assert code == 0
    summary = json.loads(stdout)
    assert summary["method"] == "margins"
    assert summary["sparse_cells"] == [["F", "urban"], ["M", "urban"]]
    assert summary["n_trimmed"] > 0 and summary["converged"]
    written = pd.read_parquet(out)
    assert written["weight_final"].sum() == pytest.approx(R["ps.w.sum"], rel=1e-9)


def test_rake_reads_one_totals_file_per_margin_and_matches_r(tmp_path: Path) -> None:
    totals = pd.read_csv(REFERENCE / "weighting_totals_rake.csv")
    args = []
    for name in ("sex", "district", "agegrp"):
        path = tmp_path / f"{name}.csv"
        rows = totals[totals["margin"] == name]
        pd.DataFrame({name: rows["level"], "Freq": rows["Freq"]}).to_csv(path, index=False)
        args += ["--margin", f"{name}={path}"]
    data = pd.read_csv(SAMPLE)
    data["agegrp"] = pd.cut(
        data["age"],
        [-np.inf, 24, 34, 44, 54, np.inf],
        labels=["18-24", "25-34", "35-44", "45-54", "55+"],
    ).astype(str)
    source = tmp_path / "sample.csv"
    data.to_csv(source, index=False)
    out = tmp_path / "raked.csv"
    code, stdout, _ = run("rake", str(source), "--weight", "weight", *args, "--out", str(out))
    assert code == 0
    assert json.loads(stdout)["margins"] == [["sex"], ["district"], ["agegrp"]]
    assert_weights_match_r(pd.read_csv(out)["weight_raked"].to_numpy(), "rake")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--margin", "sex"], "must look like COLUMNS=FILE"),
        (["--margin", "sex=/nonexistent.csv"], "does not exist"),
        (
            ["--margin", f"gender={REFERENCE / 'weighting_totals_poststrat.csv'}"],
            "column 'gender' is not in the data",
        ),
    ],
)
def test_bad_input_exits_2_in_both_languages(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, stderr = run(
        "rake", SAMPLE, "--weight", "weight", *args, "--out", str(tmp_path / "o.csv")
    )
    assert code == 2
    assert message in stderr and "Lỗi:" in stderr and "Traceback" not in stderr


def test_existing_output_column_and_bad_suffix_are_refused(tmp_path: Path) -> None:
    data = pd.read_csv(SAMPLE).assign(weight_raked=1.0)
    source = tmp_path / "s.csv"
    data.to_csv(source, index=False)
    sex = tmp_path / "sex.csv"
    pd.DataFrame({"sex": ["F", "M"], "N": [820000, 790000]}).to_csv(sex, index=False)
    code, _, stderr = run(
        "rake",
        str(source),
        "--weight",
        "weight",
        "--margin",
        f"sex={sex}",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert code == 2 and "already have a column 'weight_raked'" in stderr
    code, _, stderr = run(
        "rake",
        SAMPLE,
        "--weight",
        "weight",
        "--margin",
        f"sex={sex}",
        "--out",
        str(tmp_path / "o.xlsx"),
    )
    assert code == 2 and "must end in .csv or .parquet" in stderr
