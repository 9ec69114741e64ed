"""The synthetic survey answers the questions forms 1.1.0 added, consistently with each other and
with the effects built into the behaviour model (disability rising with age, births from every
woman 15–49, ILO labour-force status, a 20 % gender pay gap, the women's link code)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.synthetic.behaviour import WAGE_RATIO_WOMEN
from analysis.synthetic.run import Simulator


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("survey11")
    Simulator(800, 21).write(out)
    names = ("household", "member", "hh_birth", "women", "commune")
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in names}


def test_every_interview_with_the_new_questions_validates() -> None:
    simulator = Simulator(200, 3)
    for form_id, answers, _ in simulator.iter_answer_dicts():
        assert simulator.forms[form_id].validate_answers(answers, lang="en") == []


def test_births_come_from_every_woman_15_to_49(tables) -> None:  # noqa: ANN001
    member, births = tables["member"], tables["hh_birth"]
    assert len(births) == member["M08"].sum() > 0
    asked = member["M08"].notna()
    assert (member.loc[asked, "M03"] == 2).all()
    assert member.loc[asked, "M04"].between(15, 49).all()
    mothers = member.set_index(["hh_id", "line"]).loc[
        list(zip(births["hh_id"], births["B01"].astype(int), strict=True))
    ]
    assert (mothers["M03"] == 2).all() and (mothers["M08"] > 0).all()
    per_mother = births.groupby(["hh_id", "B01"]).size()
    assert (per_mother.to_numpy() == mothers.groupby(level=[0, 1])["M08"].first()).all()


def test_disability_prevalence_rises_with_age(tables) -> None:  # noqa: ANN001
    member = tables["member"]
    asked = member[member["M04"] >= 5]
    assert member.loc[member["M04"] < 5, "WG_SEE"].isna().all()
    lot = asked[[f"WG_{d}" for d in ("SEE", "HEAR", "WALK", "COG", "SELF", "COMM")]].isin([3, 4])
    assert (lot.any(axis=1).astype(float) == asked["WG_DISABILITY"]).all()
    young = asked.loc[asked["M04"] < 40, "WG_DISABILITY"].mean()
    old = asked.loc[asked["M04"] >= 60, "WG_DISABILITY"].mean()
    assert 0.02 < asked["WG_DISABILITY"].mean() < 0.15 and old > 3 * young


def test_labour_force_status_matches_the_answers(tables) -> None:  # noqa: ANN001
    member = tables["member"]
    adults = member[member["LF_STATUS"].notna()]
    employed = (adults["D3_01"] == 1) | (adults["D3_06"] == 6)
    unemployed = ~employed & (adults["D3_07"] == 1) & (adults["D3_08"] == 1)
    expected = np.where(employed, 1, np.where(unemployed, 2, 3))
    assert (adults["LF_STATUS"].to_numpy() == expected).all()
    assert set(adults["LF_STATUS"]) == {1, 2, 3}


def test_wages_carry_the_known_gender_gap(tables) -> None:  # noqa: ANN001
    member = tables["member"]
    earners = member[member["D3_10"].notna()].copy()
    assert len(earners) > 200
    assert earners["D3_02"].between(3, 5).all()  # wages are asked of wage workers only
    # least squares of log wage on sex and education recovers log(0.8) within sampling error
    x = np.column_stack(
        [np.ones(len(earners)), earners["M03"] == 2, earners["D4_01"].clip(0, 4).fillna(0)]
    ).astype(float)
    coef = np.linalg.lstsq(x, np.log(earners["D3_10"].to_numpy(float)), rcond=None)[0]
    assert coef[1] == pytest.approx(np.log(WAGE_RATIO_WOMEN), abs=0.12)


def test_child_marriage_is_commoner_for_women(tables) -> None:  # noqa: ANN001
    member = tables["member"]
    married = member[member["M07"].notna() & (member["M07"] != 98)]  # 98: don't know
    assert (married["M06"] != 1).all() and (married["M07"] <= married["M04"]).all()
    women = (married.loc[married["M03"] == 2, "M07"] < 18).mean()
    men = (married.loc[married["M03"] == 1, "M07"] < 18).mean()
    assert women > 2 * men


def test_the_womens_record_links_only_through_the_household_code(tables) -> None:  # noqa: ANN001
    household, women = tables["household"], tables["women"]
    assert not {"commune", "village", "household_no", "resp_line"} & set(women.columns)
    codes = household.set_index("hh_id")["W_LINK"]
    assert (women["hh_link"].to_numpy() == codes.loc[women["hh_id"]].to_numpy()).all()
    assert women["hh_link"].str.fullmatch(r"[0-9a-z]{16}").all()
    assert set(women["interviewer_sex"]) == {1, 2}
    assert (women["interviewer_sex"] == 2).mean() > 0.9


def test_commune_form_has_the_new_leadership_counts(tables) -> None:  # noqa: ANN001
    commune = tables["commune"]
    assert (commune["COM_P5_2"] <= commune["COM_P5_1"]).all()
    assert (commune["COM_P6_2"] <= commune["COM_P6_1"]).all()


def test_tables_written(tmp_path: Path) -> None:
    Simulator(60, 4).write(tmp_path)
    assert (tmp_path / "hh_birth.csv").exists() and (tmp_path / "hh_birth.parquet").exists()


def test_district_and_province_forms_are_simulated_and_validate(tmp_path: Path) -> None:
    simulator = Simulator(60, 6)
    assert simulator.check() > 0  # includes the district and province forms
    simulator.write(tmp_path)
    district = pd.read_csv(tmp_path / "district.csv")
    province = pd.read_csv(tmp_path / "province.csv")
    assert len(province) == 1 and len(district) == district["district"].nunique() >= 1
    assert (province["PRO_M2_2"] <= province["PRO_M2_1"]).all()
    assert (district["DIS_E3_2"] <= district["DIS_E3_1"]).all()
