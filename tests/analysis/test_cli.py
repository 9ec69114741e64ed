"""gesurvey analyze: JSON shape, CSV/Parquet input, R's numbers, and exit 2 on bad input."""

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from survey_app.cli import cli

REFERENCE = Path(__file__).parent / "reference"
SAMPLE = str(REFERENCE / "sample.csv")
DESIGN = ["--weight", "weight", "--strata", "district", "--psu", "commune", "--nest"]
R = dict(pd.read_csv(REFERENCE / "results.csv").itertuples(index=False, name=None))
ESTIMATE_KEYS = {
    "variable",
    "level",
    "domain",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "df",
    "deff",
    "n_unweighted",
    "sum_weights",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["analyze", *args])
    return result.exit_code, result.stdout, result.stderr


def close(actual: float, key: str) -> bool:
    return abs(actual - R[key]) <= 1e-9 * abs(R[key])


def test_estimate_json_has_the_documented_shape_and_r_values() -> None:
    code, out, _ = run(
        "estimate",
        SAMPLE,
        *DESIGN,
        "--var",
        "trained_vocational",
        "--stat",
        "proportion",
        "--by",
        "sex",
    )
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"design", "estimates"}
    assert payload["design"] == {
        "n": 5000,
        "n_strata": 11,
        "n_psu": 223,
        "degf": 212,
        "sum_weights": pytest.approx(R["sumw"], rel=1e-12),
    }
    assert all(set(row) == ESTIMATE_KEYS for row in payload["estimates"])
    female = next(
        r for r in payload["estimates"] if r["domain"] == {"sex": "F"} and r["level"] == "1"
    )
    assert close(female["estimate"], "prop.F.est") and close(female["std_error"], "prop.F.se")
    assert close(female["ci_low"], "prop.F.xlogit.lci") and female["df"] == 210


def test_parquet_input_gives_the_same_answer(tmp_path: Path) -> None:
    parquet = tmp_path / "sample.parquet"
    pd.read_csv(SAMPLE).to_parquet(parquet)
    args = [*DESIGN, "--var", "kap_score", "--stat", "mean", "--by", "sex", "--by", "district"]
    _, from_csv, _ = run("estimate", SAMPLE, *args)
    _, comma, _ = run("estimate", SAMPLE, *args[:-4], "--by", "sex,district")
    assert json.loads(comma) == json.loads(from_csv)
    code, from_parquet, _ = run("estimate", str(parquet), *args)
    assert code == 0
    assert json.loads(from_csv) == json.loads(from_parquet)
    row = next(
        r
        for r in json.loads(from_parquet)["estimates"]
        if r["domain"] == {"sex": "M", "district": "D07"}
    )
    assert close(row["estimate"], "mean.M.D07.est") and close(row["std_error"], "mean.M.D07.se")


def test_ratio_quantile_and_csv_output() -> None:
    code, out, _ = run(
        "estimate",
        SAMPLE,
        *DESIGN,
        "--var",
        "trained_vocational",
        "--stat",
        "ratio",
        "--denominator",
        "age",
        "--format",
        "csv",
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split(",")[:2] == ["variable", "level"]
    code, out, _ = run(
        "estimate", SAMPLE, *DESIGN, "--var", "kap_score", "--stat", "quantile", "--quantile", "0.5"
    )
    (row,) = json.loads(out)["estimates"]
    assert row["level"] == "0.5" and close(row["ci_high"], "quantile.q50.uci")


def test_gap_rows_carry_difference_and_parity_index() -> None:
    code, out, _ = run(
        "gap",
        SAMPLE,
        *DESIGN,
        "--var",
        "trained_vocational",
        "--stat",
        "mean",
        "--between",
        "sex",
        "F",
        "M",
    )
    assert code == 0
    (row,) = json.loads(out)["estimates"]
    for key in (
        "difference",
        "std_error",
        "ci_low",
        "ci_high",
        "p_value",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
    ):
        assert key in row
    assert close(row["difference"], "gap.est") and close(row["std_error"], "gap.se")
    assert close(row["ratio"], "gpi.est") and close(row["ratio_std_error"], "gpi.se")


@pytest.mark.parametrize(("order", "prefix"), [("2", "chisq.F"), ("1", "chisq.1")])
def test_chisq_prints_the_rao_scott_test(order: str, prefix: str) -> None:
    code, out, _ = run(
        "chisq", SAMPLE, *DESIGN, "--rows", "sex", "--cols", "support_need", "--order", order
    )
    assert code == 0
    payload = json.loads(out)
    assert {"statistic", "ndf", "ddf", "p_value", "method"} <= set(payload)
    assert close(payload["statistic"], f"{prefix}.stat")
    assert close(payload["p_value"], f"{prefix}.p")


def test_text_output_is_translated() -> None:
    args = ["estimate", SAMPLE, *DESIGN, "--var", "age", "--format", "text"]
    assert "sai số chuẩn" in run(*args)[1]
    assert "std. error" in run(*args, "--lang", "en")[1]


def test_missing_codes_are_not_averaged(tmp_path: Path) -> None:
    data = pd.DataFrame({"y": [1, 2, 98, 3, 99], "w": 1.0})
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    code, out, _ = run(
        "estimate",
        str(path),
        "--weight",
        "w",
        "--var",
        "y",
        "--missing-code",
        "98",
        "--missing-code",
        "99",
    )
    assert code == 0
    (row,) = json.loads(out)["estimates"]
    assert row["estimate"] == pytest.approx(2.0) and row["n_unweighted"] == 3


def test_unknown_column_exits_2_naming_it() -> None:
    code, _, err = run("estimate", SAMPLE, *DESIGN, "--var", "no_such_column")
    assert code == 2
    assert "no_such_column" in err and "Traceback" not in err


def test_non_numeric_weight_exits_2_naming_column_and_rows(tmp_path: Path) -> None:
    data = pd.read_csv(SAMPLE)
    data["weight"] = data["weight"].astype(object)
    data.loc[[2, 6], "weight"] = "n/a?"
    path = tmp_path / "bad.csv"
    data.to_csv(path, index=False)
    code, _, err = run("estimate", str(path), *DESIGN, "--var", "age")
    assert code == 2
    assert "'weight'" in err and "rows 3, 7" in err and "các dòng 3, 7" in err


def test_psu_in_two_strata_exits_2_naming_column_and_rows() -> None:
    args = [a for a in DESIGN if a != "--nest"]
    code, _, err = run("estimate", SAMPLE, *args, "--var", "age")
    assert code == 2
    assert "PSU '1' (column 'commune') appears in strata" in err and "rows 1, 2, 3" in err


def test_unsupported_file_suffix_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("a,b\n1,2\n")
    code, _, err = run("estimate", str(path), "--weight", "a", "--var", "b")
    assert code == 2 and ".csv or .parquet" in err


def test_form_option_applies_missing_codes_and_expands_multi(tmp_path: Path) -> None:
    pytest.importorskip("questionnaires")
    data = pd.DataFrame(
        {
            "P06": ["[1, 3]", "99", "[2]", "[1]"],
            "P01_cook": [1, 98, 2, 3],
            "w": [1.0, 1.0, 2.0, 1.0],
        }
    )
    path = tmp_path / "individual.csv"
    data.to_csv(path, index=False)
    code, out, err = run(
        "estimate",
        str(path),
        "--weight",
        "w",
        "--form",
        "individual",
        "--var",
        "P06",
        "--var",
        "P01_cook",
    )
    assert code == 0, err
    rows = {r["variable"]: r for r in json.loads(out)["estimates"]}
    assert rows["P06_talk_calmly"]["estimate"] == pytest.approx(2 / 4)
    assert rows["P06_talk_calmly"]["n_unweighted"] == 3
    assert rows["P01_cook"]["estimate"] == pytest.approx((1 + 2 * 2 + 3) / 4)
    code, _, err = run("estimate", str(path), "--weight", "w", "--form", "nope", "--var", "P06")
    assert code == 2 and "nope" in err


def test_one_call_can_pair_each_variable_with_its_statistic() -> None:
    by = ["--by", "sex,district"]
    _, means, _ = run("estimate", SAMPLE, *DESIGN, "--var", "kap_score", "--stat", "mean", *by)
    _, props, _ = run(
        "estimate", SAMPLE, *DESIGN, "--var", "support_need", "--stat", "proportion", *by
    )
    code, both, err = run(
        "estimate",
        SAMPLE,
        *DESIGN,
        "--var",
        "kap_score",
        "--stat",
        "mean",
        "--var",
        "support_need",
        "--stat",
        "proportion",
        *by,
    )
    assert code == 0, err
    assert json.loads(both)["estimates"] == (
        json.loads(means)["estimates"] + json.loads(props)["estimates"]
    )


def test_more_statistics_than_variables_exits_2() -> None:
    code, _, err = run(
        "estimate", SAMPLE, *DESIGN, "--var", "age", "--stat", "mean", "--stat", "total"
    )
    assert code == 2 and "--stat" in err and "Traceback" not in err


def test_csv_reader_types_columns_as_pandas_does(tmp_path: Path) -> None:
    from analysis.cli import read_table

    path = tmp_path / "typed.csv"
    path.write_text(
        "\ufeffid,when,blank,note,score,w,flag\n"
        "1,2026-01-02,,a,1.5,1,True\n"
        "2,2026-01-03,,,NA,2,False\n",
        encoding="utf-8",
    )
    ours = read_table(path)
    theirs = pd.read_csv(path)
    theirs.index = pd.RangeIndex(1, 3)
    pd.testing.assert_frame_equal(ours, theirs)
    assert list(read_table(path, ["w", "score"]).columns) == ["score", "w"]
    # A column that is not there: everything is read, so the error can list the file's columns.
    assert list(read_table(path, ["w", "nothing"]).columns) == list(theirs.columns)
