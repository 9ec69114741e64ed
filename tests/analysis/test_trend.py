"""Trend tables over simulated rounds: the documented changes found, the arithmetic of a change
between independent rounds, gaps, comparability across questionnaire versions."""

from __future__ import annotations

import io
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from analysis.errors import AnalysisError
from analysis.synthetic.rounds import simulate_rounds
from analysis.trend import TrendResult, change_test, read_round_ref, trend_tables

YEARS = (2017, 2018, 2020)


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trend") / "rounds"
    simulate_rounds(YEARS, 1000, 3, out)
    return out


@pytest.fixture(scope="module")
def trend(rounds: Path) -> TrendResult:
    # given out of order: the rounds are put in order of their reference year
    return trend_tables([rounds / "2020", rounds / "2017", rounds / "2018"], lang="en")


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["by"] == "total") & (frame["sex"] == "all")]


def test_the_documented_changes_are_found_and_nothing_else_moves_beyond_chance(
    rounds: Path, trend: TrendResult
) -> None:
    truth = json.loads((rounds / "changes_truth.json").read_text(encoding="utf-8"))
    changes = _totals(trend.changes).set_index(["indicator", "from_round", "to_round"])
    documented = set()
    for change in truth["changes"]:
        documented.add(change["indicator"])
        sign = 1 if change["direction"] == "up" else -1
        for pair in change["pairs"]:
            row = changes.loc[(change["indicator"], pair["from"], pair["to"])]
            assert row["significant"], (change["indicator"], pair)
            assert sign * row["change"] > 0, (change["indicator"], pair)
    for flat in truth["flat"]:
        assert not changes.loc[flat]["significant"].any()
    others = changes[~changes.index.get_level_values(0).isin(documented)]
    assert len(others) > 90
    # Every other indicator is truly flat: significant changes only at about the test's 5 %.
    assert others["significant"].mean() <= 0.10


def test_womens_care_hours_fall_so_the_gap_with_men_shrinks(trend: TrendResult) -> None:
    gaps = trend.gaps[(trend.gaps["indicator"] == "I8.1") & (trend.gaps["by"] == "total")]
    row = gaps.set_index(["from_round", "to_round"]).loc[("2017", "2020")]
    assert row["gap_from"] > 1.5 and row["change"] < 0 and row["significant"]
    men = trend.changes[
        (trend.changes["indicator"] == "I8.1")
        & (trend.changes["by"] == "total")
        & (trend.changes["sex"] == "men")
    ]
    assert not men["significant"].any()


def test_a_change_is_the_difference_with_the_independent_se_and_a_t_test(
    trend: TrendResult,
) -> None:
    levels = trend.levels.set_index(["indicator", "by", "by_code", "sex", "round"])
    sample = trend.changes[trend.changes["by"].isin(["total", "residence"])].head(40)
    assert len(sample) == 40
    for row in sample.itertuples(index=False):
        a = levels.loc[(row.indicator, row.by, row.by_code, row.sex, row.from_round)]
        b = levels.loc[(row.indicator, row.by, row.by_code, row.sex, row.to_round)]
        assert row.change == pytest.approx(b["estimate"] - a["estimate"], rel=1e-12, abs=1e-12)
        assert row.se == pytest.approx(math.sqrt(a["se"] ** 2 + b["se"] ** 2), rel=1e-12)
        assert row.df == a["df"] + b["df"]
        t = row.change / row.se
        assert row.statistic == pytest.approx(t, rel=1e-12)
        assert row.p_value == pytest.approx(2 * stats.t.sf(abs(t), row.df), rel=1e-9)


def test_the_tables_hold_every_round_pair_and_the_rounds_identity(trend: TrendResult) -> None:
    assert [r.code for r in trend.rounds] == ["2017", "2018", "2020"]
    assert [r.kind for r in trend.rounds] == ["baseline", "mid-term", "final"]
    pairs = set(zip(trend.changes["from_round"], trend.changes["to_round"], strict=True))
    assert pairs == {("2017", "2018"), ("2018", "2020"), ("2017", "2020")}
    assert set(trend.levels["year"]) == set(YEARS)
    assert {"all", "women", "men"} == set(trend.levels["sex"])
    residence = trend.levels[
        (trend.levels["by"] == "residence") & (trend.levels["round"] == "2017")
    ]
    assert {"Urban", "Rural"} <= set(residence["by_value"])
    assert trend.comparability["comparable"].all()


def test_indicators_whose_questions_changed_between_versions_are_flagged(
    rounds: Path, tmp_path: Path
) -> None:
    old = tmp_path / "2017"
    shutil.copytree(rounds / "2017", old)
    for table in ("individual", "member", "household"):
        frame = pd.read_parquet(old / f"{table}.parquet")
        frame["questionnaire_version"] = "1.0.0"
        frame.to_parquet(old / f"{table}.parquet")
    result = trend_tables([old, rounds / "2018"], indicators=["I1.1", "LFPR"], lang="en")
    verdict = result.comparability.set_index("indicator")
    assert bool(verdict.loc["I1.1", "comparable"])
    assert not bool(verdict.loc["LFPR", "comparable"])
    assert "LF_STATUS" in verdict.loc["LFPR", "reason_en"]
    assert verdict.loc["LFPR", "reason_vi"]
    flagged = result.changes.set_index("indicator")["comparable"]
    assert not flagged.loc["LFPR"].any() and flagged.loc["I1.1"].all()


def test_a_folder_without_round_json_is_named_by_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "2019"
    folder.mkdir()
    ref = read_round_ref(folder)
    assert (ref.code, ref.year, ref.kind) == ("2019", 2019, None)


def test_one_round_or_a_round_twice_is_refused(rounds: Path) -> None:
    with pytest.raises(AnalysisError, match="at least two"):
        trend_tables([rounds / "2017"])
    with pytest.raises(AnalysisError, match="same round"):
        trend_tables([rounds / "2017", rounds / "2017"], indicators=["I1.1"])


def test_change_test_is_a_two_sided_t_test() -> None:
    statistic, p_value, significant = change_test(3.0, 1.5, 20)
    assert statistic == 2.0
    assert p_value == pytest.approx(2 * stats.t.sf(2.0, 20), rel=1e-12)
    assert not significant  # p = 0.059
    assert change_test(-3.0, 1.0, 20)[2]
    assert math.isnan(change_test(1.0, 0.0, 10)[1])


def test_analyze_trend_writes_the_tables_and_a_readme(rounds: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from survey_app.cli import cli

    out = tmp_path / "trend"
    folders = [str(rounds / str(y)) for y in YEARS]
    args = ["analyze", "trend", *folders, "--out", str(out), "--indicator", "I6.2", "--lang", "en"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    changes = pd.read_csv(out / "changes.csv")
    total = changes[(changes["by"] == "total") & (changes["sex"] == "all")]
    assert set(total["indicator"]) == {"I6.2"} and total["significant"].all()
    for name in ("levels", "gaps", "comparability"):
        assert len(pd.read_csv(out / f"{name}.csv")) > 0
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "√(SE₁² + SE₂²)" in readme and "I6.2 2017 → 2020" in readme
    assert [r["code"] for r in json.loads((out / "rounds.json").read_text())] == [
        "2017",
        "2018",
        "2020",
    ]
    bad = CliRunner().invoke(cli, ["analyze", "trend", folders[0], "--out", str(out)])
    assert bad.exit_code == 2 and "at least two" in bad.output and "ít nhất hai" in bad.output


def test_analyze_change_gives_the_change_of_any_variable_and_of_its_gap(
    rounds: Path,
) -> None:
    from click.testing import CliRunner

    from survey_app.cli import cli

    a, b = rounds / "2017" / "individual.csv", rounds / "2020" / "individual.csv"
    design = ["--weight", "weight_final", "--strata", "stratum", "--psu", "psu", "--nest"]
    design += ["--lonely-psu", "adjust", "--missing-code", "98", "--missing-code", "99"]
    args = ["analyze", "change", str(a), str(b), *design, "--var", "D8_01"]
    result = CliRunner().invoke(cli, [*args, "--between", "resp_sex", "2", "1"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["changes"]
    assert row["change"] == pytest.approx(row["estimate_b"] - row["estimate_a"], rel=1e-12)
    assert row["std_error"] == pytest.approx(math.hypot(row["std_error_a"], row["std_error_b"]))
    assert row["gap_change"] == pytest.approx(row["gap_b"] - row["gap_a"], rel=1e-12)
    assert row["gap_change"] < 0 and row["gap_p_value"] < 0.05  # women's hours fell
    by_sex = CliRunner().invoke(
        cli, [*args, "--stat", "proportion", "--by", "resp_sex", "--format", "csv"]
    )
    assert by_sex.exit_code == 0, by_sex.output
    table = pd.read_csv(io.StringIO(by_sex.output))
    assert set(table["domain.resp_sex"]) == {1, 2}
    panel = CliRunner().invoke(cli, [*args, "--panel", "--format", "text", "--lang", "en"])
    assert panel.exit_code == 0 and "panel" in panel.output


def _literacy_by_hand(folder: Path, within: bool) -> float:
    """I4.1 (literate among members aged 15–40 who answered D4_01: D4_01 ≥ 2 or D4_02 = 3,
    'reads the whole sentence'), weighted, in %; ``within``: MT3-CT1's population only, members
    of households in communes of area class 2 or 3 (remote, especially difficult) or in
    Programme 135 (the commune form's COM_AREA and COM_135)."""
    members = pd.read_csv(folder / "member.csv")
    households = pd.read_csv(folder / "household.csv", usecols=["hh_id", "commune"])
    communes = pd.read_csv(folder / "commune.csv", usecols=["commune", "COM_AREA", "COM_135"])
    rows = members.merge(households, on="hh_id").merge(communes, on="commune", how="left")
    keep = rows["M04"].between(15, 40) & rows["D4_01"].notna() & ~rows["D4_01"].isin([98, 99])
    if within:
        keep &= rows["COM_AREA"].isin([2, 3]) | (rows["COM_135"] == 1)
    literate = ((rows["D4_01"] >= 2) | (rows["D4_02"] == 3)).astype(float)[keep]
    weight = rows["weight_final"][keep]
    return float(100 * (weight * literate).sum() / weight.sum())


def test_the_on_track_column_reads_the_ci_against_the_path_to_the_target(
    rounds: Path,
) -> None:
    """Each target is measured in its own population, as M1 measures it: MT3-CT1 is literacy
    in remote, ethnic-minority and Programme-135 communes only (the plan's 'within'), not the
    province's literacy; the baseline is the first round's figure, the path runs to 2020."""
    from analysis.target_status import target_status

    result = trend_tables([rounds / "2017", rounds / "2018"], indicators=["I4.1", "I3.2"])
    targets = result.targets.set_index("code")
    assert {"MT3-CT1", "MT2-CT3"} <= set(targets.index)
    row = targets.loc["MT3-CT1"]  # literacy > 98%
    assert row["baseline"] == pytest.approx(_literacy_by_hand(rounds / "2017", True), rel=1e-12)
    assert row["estimate"] == pytest.approx(_literacy_by_hand(rounds / "2018", True), rel=1e-12)
    everyone = _literacy_by_hand(rounds / "2018", False)
    assert abs(row["estimate"] - everyone) > 0.5  # the restriction matters on these data
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    # one year of three from the 2017 baseline to the 2020 target
    assert row["path"] == pytest.approx(row["baseline"] + (98 - row["baseline"]) / 3, rel=1e-12)
    expected = target_status(
        row["estimate"],
        row["ci_low"],
        row["ci_high"],
        98.0,
        ">",
        baseline=row["baseline"],
        baseline_year=2017,
        latest_year=2018,
    )
    assert row["status"] == expected.value and row["status_vi"] == expected.label("vi")
    # A target without a restriction is its indicator's total.
    levels = result.levels[(result.levels["by"] == "total") & (result.levels["sex"] == "all")]
    levels = levels.set_index(["indicator", "round"])
    plain = targets.loc["MT2-CT3"]
    assert plain["estimate"] == pytest.approx(levels.loc[("I3.2", "2018"), "estimate"], rel=1e-12)
    assert set(result.targets["status"]) <= {"achieved", "on_track", "off_track", "cannot_tell"}


def test_report_with_earlier_rounds_has_trend_table_charts_csvs_and_changes(
    rounds: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from survey_app.cli import cli

    out = tmp_path / "report"
    result = CliRunner().invoke(
        cli,
        [
            "analyze",
            "report",
            str(rounds / "2020"),
            "--earlier",
            str(rounds / "2017"),
            "--earlier",
            str(rounds / "2018"),
            "--out",
            str(out),
            "--lang",
            "en",
            "--no-pdf",
            "--no-small-areas",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["trend"] == {"table": "T1", "folder": "trend"}
    assert (out / "trend" / "levels.csv").is_file() and (out / "csv" / "T1.csv").is_file()
    levels = pd.read_csv(out / "trend" / "levels.csv")
    book = load_workbook(out / "report_en.xlsx")
    t1 = book["T1"]
    # the 2020 women's figure of I1.1 in T1 is the trend table's
    wanted = levels[
        (levels["indicator"] == "I1.1")
        & (levels["by"] == "total")
        & (levels["sex"] == "women")
        & (levels["round"].astype(str) == "2020")
    ]["estimate"].iloc[0]
    block = False
    for row in t1.iter_rows(min_row=5):
        if str(row[0].value).startswith("I1.1."):
            block = True
        elif block and "2020" in str(row[0].value):
            assert row[1].value == pytest.approx(wanted, rel=1e-12)  # CSV keeps 15 digits
            break
    else:
        raise AssertionError("I1.1's 2020 row is missing from T1")
    glance = book["G1"]
    changes = [r[7].value for r in glance.iter_rows(min_row=5) if isinstance(r[7].value, float)]
    assert changes  # the survey targets show their change since the last round
    assert "T1" in manifest["departments"]["yte"]["tables"]
    # M1's survey target MT2-CT3 (I3.2) starts its path at the 2017 round's estimate
    from analysis.target_status import Status, target_status

    first = levels[
        (levels["indicator"] == "I3.2")
        & (levels["by"] == "total")
        & (levels["sex"] == "all")
        & (levels["round"].astype(str) == "2017")
    ]["estimate"].iloc[0]
    m1 = book["M1"]
    row = next(
        r
        for r in m1.iter_rows(min_row=5)
        if str(r[0].value).strip() == "MT2-CT3" and "I3.2" in str(r[10].value)
    )
    baseline, estimate, low, high, year, status = (
        row[4].value,
        row[5].value,
        row[6].value,
        row[7].value,
        row[9].value,
        row[12].value,
    )
    assert baseline == pytest.approx(first, rel=1e-12) and year == 2020
    expected = target_status(
        estimate, low, high, 40, ">=", baseline=baseline, baseline_year=2017, latest_year=2020
    )
    assert status == expected.label("en") and isinstance(expected, Status)
    # MT3-CT1 (I4.1 within remote, ethnic-minority and Programme-135 communes) in M1 is the
    # trend's on-track row: the same population in the baseline round and the latest.
    on_track = pd.read_csv(out / "trend" / "targets.csv").set_index("code").loc["MT3-CT1"]
    row = next(r for r in m1.iter_rows(min_row=5) if str(r[0].value).strip() == "MT3-CT1")
    assert row[4].value == pytest.approx(_literacy_by_hand(rounds / "2017", True), rel=1e-12)
    assert row[4].value == pytest.approx(on_track["baseline"], rel=1e-12)
    assert row[5].value == pytest.approx(on_track["estimate"], rel=1e-12)
    assert (row[6].value, row[7].value) == pytest.approx(
        (on_track["ci_low"], on_track["ci_high"]), rel=1e-12
    )
    assert row[12].value == on_track["status_en"]
