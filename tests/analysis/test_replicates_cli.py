"""The replicate-weight commands: a public-use file that reproduces the SEs without the design."""

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from analysis import replicates as rp
from analysis.cli import analyze
from analysis.design import SurveyDesign

SAMPLE = Path(__file__).parent / "reference" / "sample.csv"
DESIGN = ["--weight", "weight", "--strata", "district", "--psu", "commune", "--nest"]


def test_public_use_file_drops_codes_and_reproduces_the_se(tmp_path: Path) -> None:
    out = tmp_path / "puf.csv"
    result = CliRunner().invoke(
        analyze,
        [
            "replicates",
            str(SAMPLE),
            *DESIGN,
            "--replicates-n",
            "20",
            "--seed",
            "5",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    for column in ("district", "commune", "psu_id", "hh_id"):
        assert column not in table.columns
    settings = json.loads(Path(str(out) + ".replicates.json").read_text())
    assert settings["type"] == "subbootstrap" and len(settings["repweights"]) == 20
    puf = rp.from_columns(
        table,
        "weight",
        settings["repweights"],
        scale=settings["scale"],
        rscales=settings["rscales"],
        mse=settings["mse"],
    )
    sample = pd.read_csv(SAMPLE)
    design = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)
    direct = rp.mean(rp.bootstrap(design, 20, seed=5), "kap_score", by="sex")
    from_file = rp.mean(puf, "kap_score", by="sex")
    for a, b in zip(direct, from_file, strict=True):
        assert b.estimate == pytest.approx(a.estimate, rel=1e-12)
        assert b.std_error == pytest.approx(a.std_error, rel=1e-10)


def test_estimate_with_replicates_and_quantile_option() -> None:
    args = ["estimate", str(SAMPLE), *DESIGN, "--var", "kap_score", "--format", "json"]
    result = CliRunner().invoke(
        analyze, [*args, "--stat", "quantile", "--q", "0.5", "--replicates", "brr"]
    )
    assert result.exit_code == 2
    assert "two PSUs" in result.output
    result = CliRunner().invoke(
        analyze,
        [
            *args,
            "--stat",
            "quantile",
            "--q",
            "0.5",
            "--replicates",
            "bootstrap",
            "--replicates-n",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    (row,) = payload["estimates"]
    assert payload["design"]["n_replicates"] == 10
    assert row["level"] == "0.5" and row["ci_low"] < row["estimate"] < row["ci_high"]


def test_gap_with_replicates_and_median_gap() -> None:
    args = ["gap", str(SAMPLE), *DESIGN, "--between", "sex", "F", "M", "--format", "json"]
    result = CliRunner().invoke(
        analyze,
        [*args, "--var", "trained_vocational", "--stat", "proportion", "--replicates", "jk"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["estimates"]
    sample = pd.read_csv(SAMPLE)
    design = SurveyDesign(sample, weight="weight", strata="district", psu="commune", nest=True)
    expected = rp.gap(rp.jackknife(design), "trained_vocational", ("sex", "F", "M"), "proportion")
    assert [r["std_error"] for r in rows] == pytest.approx([e.std_error for e in expected])
    result = CliRunner().invoke(
        analyze, [*args, "--var", "kap_score", "--stat", "median", "--replicates-n", "20"]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["estimates"]
    assert row["level"] == "0.5" and row["df"] == 19
    assert row["difference"] == pytest.approx(row["estimate_a"] - row["estimate_b"])
    assert row["ci_low"] < row["difference"] < row["ci_high"]


def test_public_use_file_refuses_the_womens_module(tmp_path: Path) -> None:
    data = pd.read_csv(SAMPLE).head(400).assign(W01_01=1)
    path = tmp_path / "women.csv"
    data.to_csv(path, index=False)
    result = CliRunner().invoke(
        analyze,
        ["replicates", str(path), *DESIGN, "--type", "jk", "--out", str(tmp_path / "puf.csv")],
    )
    assert result.exit_code == 2
    assert "W01_01" in result.output and "never" in result.output
    assert not (tmp_path / "puf.csv").exists()
