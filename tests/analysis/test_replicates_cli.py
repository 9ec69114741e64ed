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


def test_a_public_use_file_is_analysed_with_its_replicate_weights(tmp_path: Path) -> None:
    """``analyze estimate PUF --weight weight`` takes its SEs from the replicate weights named
    in PUF.replicates.json: R's JKn SE of the mean (svymean on as.svrepdesign(type="JKn"),
    reference/replicates_results.csv), not the simple-random-sample SE the same columns give
    without the settings file."""
    puf = tmp_path / "puf.csv"
    args = ["replicates", str(SAMPLE), *DESIGN, "--type", "jk", "--out", str(puf)]
    made = CliRunner().invoke(analyze, args)
    assert made.exit_code == 0, made.output
    reference = pd.read_csv(SAMPLE.parent / "replicates_results.csv").set_index("key")["value"]
    query = ["--weight", "weight", "--var", "kap_score", "--stat", "mean", "--format", "json"]
    result = CliRunner().invoke(analyze, ["estimate", str(puf), *query])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    row = found["estimates"][0]
    assert row["estimate"] == pytest.approx(reference["jk.mean.est"], rel=1e-8)
    assert row["std_error"] == pytest.approx(reference["jk.mean.se"], rel=1e-8)
    assert found["design"]["settings"] == "puf.csv.replicates.json"
    bare = tmp_path / "bare.csv"
    bare.write_bytes(puf.read_bytes())  # the same columns without the settings file
    plain = json.loads(CliRunner().invoke(analyze, ["estimate", str(bare), *query]).output)
    assert plain["estimates"][0]["std_error"] != pytest.approx(reference["jk.mean.se"], rel=0.01)
    gap = CliRunner().invoke(
        analyze,
        ["gap", str(puf), "--weight", "weight", "--var", "kap_score", "--between", "sex", "F", "M",
         "--format", "json"],
    )  # fmt: skip
    assert gap.exit_code == 0, gap.output
    wrong = CliRunner().invoke(analyze, ["estimate", str(puf), "--weight", "w2", "--var", "x"])
    assert wrong.exit_code != 0 and "--weight weight" in wrong.output
