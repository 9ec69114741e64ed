"""The synthetic survey: valid interviews, identical files for a seed, sound design and weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis import estimators
from analysis.design import SurveyDesign
from analysis.synthetic.frame import census_totals, load_districts
from analysis.synthetic.run import Simulator
from analysis.variables import parse_multi
from survey_app.cli import cli

TABLES = ("sample", "household", "member", "individual", "hh_birth", "women", "commune")


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[Simulator, Path]:
    """A 1,200-household survey (60 villages: at least 2 per stratum in most districts)."""
    out = tmp_path_factory.mktemp("survey")
    simulator = Simulator(1200, 11)
    simulator.write(out)
    return simulator, out


def _read(out: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(out / f"{table}.parquet")


def test_every_simulated_interview_validates_with_the_engine() -> None:
    simulator = Simulator(400, 5)
    forms = {}
    for form_id, answers, _ in simulator.iter_answer_dicts():
        errors = simulator.forms[form_id].validate_answers(answers, lang="en")
        assert errors == [], (form_id, errors[:3])
        forms[form_id] = forms.get(form_id, 0) + 1
    assert set(forms) == {"household", "individual", "women", "commune", "district", "province"}
    assert (forms["district"], forms["province"]) == (11, 1)
    assert forms["household"] == 400


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    Simulator(100, 7).write(first)
    Simulator(100, 7).write(second)
    Simulator(100, 8).write(other)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert {f"{t}.csv" for t in TABLES} | {f"{t}.parquet" for t in TABLES} <= set(names)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "individual.csv").read_bytes() != (other / "individual.csv").read_bytes()


def test_csv_and_parquet_hold_the_same_rows(survey: tuple[Simulator, Path]) -> None:
    _, out = survey
    for table in TABLES:
        from_csv = pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False)
        from_parquet = _read(out, table)
        assert list(from_csv.columns) == list(from_parquet.columns), table
        assert len(from_csv) == len(from_parquet) > 0, table


def test_psus_are_nested_in_strata_and_weights_are_positive(
    survey: tuple[Simulator, Path],
) -> None:
    _, out = survey
    for table in ("household", "member", "individual", "hh_birth", "women", "commune"):
        data = _read(out, table)
        assert (data.groupby("psu")["stratum"].nunique() == 1).all(), table
        for column in ("weight_base", "weight_adjusted", "weight_final"):
            assert (data[column] > 0).all(), (table, column)
    households = _read(out, "household")
    assert (households["stratum"] // 10 == households["district"]).all()
    assert (households["stratum"] % 10 == households["residence"]).all()
    assert households.groupby("stratum")["psu"].nunique().min() >= 2


def test_final_weights_sum_to_the_calibration_totals(survey: tuple[Simulator, Path]) -> None:
    simulator, out = survey
    individuals = _read(out, "individual")
    totals = census_totals(simulator.frame)
    assert individuals["weight_final"].sum() == pytest.approx(totals["total"].sum(), rel=1e-9)
    by_sex = individuals.groupby("resp_sex")["weight_final"].sum()
    expected = totals.groupby("sex")["total"].sum()
    assert by_sex.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9)


def test_household_nonresponse_factor_is_eligible_over_responding_per_stratum(
    survey: tuple[Simulator, Path],
) -> None:
    _, out = survey
    sample = _read(out, "sample")
    eligible = sample[sample["eligible_household"] == 1]
    factor = (
        eligible.groupby("stratum").size()
        / eligible[eligible["responded"] == 1].groupby("stratum").size()
    )
    responded = sample[sample["responded"] == 1]
    ratio = responded["weight_adjusted"] / responded["weight_base"]
    assert ratio.to_numpy() == pytest.approx(factor.loc[responded["stratum"]].to_numpy())
    assert (sample.loc[sample["responded"] == 0, "weight_adjusted"] == 0).all()
    expected_base = 1 / (sample["pi1"] * sample["pi2"])
    assert sample["weight_base"].to_numpy() == pytest.approx(expected_base.to_numpy())


def test_tables_link_by_ids(survey: tuple[Simulator, Path]) -> None:
    _, out = survey
    households = _read(out, "household")
    members = _read(out, "member")
    individuals = _read(out, "individual")
    assert households["hh_id"].is_unique
    assert set(members["hh_id"]) == set(households["hh_id"])
    sizes = members.groupby("hh_id").size()
    assert (
        households.set_index("hh_id")["HH06"] == sizes.loc[households["hh_id"]].to_numpy()
    ).all()
    person = individuals.merge(members, left_on=["hh_id", "resp_line"], right_on=["hh_id", "line"])
    assert len(person) == len(individuals)
    assert (person["resp_sex"] == person["M03"]).all()
    assert (person["resp_age"] == person["M04"]).all()
    assert person["resp_age"].between(18, 64).all()
    women = _read(out, "women")
    assert set(women["hh_id"]) <= set(individuals.loc[individuals["resp_sex"] == 2, "hh_id"])
    # every birth's mother is a woman aged 15–49 on her household's roster
    births = _read(out, "hh_birth")
    mothers = births.merge(members, left_on=["hh_id", "B01"], right_on=["hh_id", "line"])
    assert len(mothers) == len(births) > 0
    assert (mothers["M03"] == 2).all() and mothers["M04"].between(15, 49).all()
    assert not (out / "birth.csv").exists()  # the respondent's own births: individual 1.0.0 only


def test_multi_answers_are_space_separated_codes(survey: tuple[Simulator, Path]) -> None:
    simulator, out = survey
    individuals = pd.read_csv(out / "individual.csv", dtype=str, keep_default_na=False)
    codes = set(simulator.forms["individual"].question("D1_04").choices.codes) | {99}
    answered = [v for v in individuals["D1_04"] if v]
    assert answered
    for value in answered:
        assert set(parse_multi(value)) <= codes


def test_data_dictionary_labels_every_column(survey: tuple[Simulator, Path]) -> None:
    _, out = survey
    dictionary = pd.read_csv(out / "data_dictionary.csv", keep_default_na=False)
    for table in TABLES:
        columns = set(_read(out, table).columns)
        described = set(dictionary.loc[dictionary["table"] == table, "column"])
        assert columns == described, table
    assert (dictionary["label_vi"] != "").all() and (dictionary["label_en"] != "").all()
    assert "HH01" not in set(dictionary["column"])  # identifying: head's name is not exported
    assert (out / "README.md").read_text(encoding="utf-8").startswith("# Synthetic")


def _remote_districts() -> set[int]:
    districts = load_districts()
    return set(districts.loc[districts["remote"] == 1, "district_code"])


def test_womens_vocational_training_is_lower_in_remote_districts(
    survey: tuple[Simulator, Path],
) -> None:
    _, out = survey
    members = _read(out, "member")
    women = members[(members["M03"] == 2) & members["M04"].between(15, 60)].copy()
    women["trained"] = women["D4_03"].where(women["D4_03"] < 90).astype(float)
    women["remote"] = women["district"].isin(_remote_districts()).astype(int)
    design = SurveyDesign(women, weight="weight_final", strata="stratum", psu="psu")
    (result,) = estimators.gap(design, "trained", between=("remote", 1, 0))
    assert result.difference < 0
    assert result.ci_high < 0


def test_attitudes_and_care_hours_differ_by_sex(survey: tuple[Simulator, Path]) -> None:
    _, out = survey
    data = _read(out, "individual")
    # A02 "chores are women's work" (reverse-coded): men agree more.
    data["A02_score"] = data["A02"].where(data["A02"] < 90).astype(float)
    data["care_hours"] = data["D8_01"].where(data["D8_01"] < 90).astype(float)
    design = SurveyDesign(data, weight="weight_final", strata="stratum", psu="psu")
    (attitude,) = estimators.gap(design, "A02_score", between=("resp_sex", 2, 1))
    assert attitude.ci_high < 0
    (care,) = estimators.gap(design, "care_hours", between=("resp_sex", 2, 1))
    assert care.ci_low > 1.0


def test_missing_codes_and_item_nonresponse_occur(survey: tuple[Simulator, Path]) -> None:
    _, out = survey
    data = _read(out, "individual")
    knowledge = data[[f"K{i:02d}" for i in range(1, 16)]].to_numpy(dtype=float)
    assert (knowledge == 98).mean() > 0.05
    assert np.isnan(data["D1_02"].to_numpy(dtype=float)).any()  # skipped when D1_01 = 0


def test_cli_refuses_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["simulate", "--households", "5", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "at least 20" in result.output and "ít nhất" in result.output
    result = runner.invoke(cli, ["simulate", "--households", "40"])
    assert result.exit_code == 2
    assert "exactly one of --out DIR or --into-db" in result.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    result = runner.invoke(cli, ["simulate", "--households", "40", "--out", str(tmp_path / "full")])
    assert result.exit_code == 2
    assert "not empty" in result.output


def test_cli_writes_the_tables(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--households",
            "40",
            "--seed",
            "2",
            "--out",
            str(tmp_path / "out"),
            "--check",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "individual.parquet").exists()
    assert "interviews validate" in result.output
