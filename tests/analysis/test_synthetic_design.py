"""The synthetic frame, sample selection and weights follow DOMAIN_BRIEF §4."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.synthetic.design import allocate, draw_sample, select_households
from analysis.synthetic.frame import build_frame, census_totals, load_age_sex, load_districts
from analysis.synthetic.weights import age_group, household_weights, individual_weights


def test_frame_follows_the_census_figures_file() -> None:
    districts = load_districts()
    assert list(districts["district_code"]) == [178, *range(180, 190)]
    shares = districts[[c for c in districts.columns if c.startswith("eth_")]].sum(axis=1)
    assert shares.to_numpy() == pytest.approx(np.ones(11))
    frame = build_frame()
    villages = frame.villages
    assert villages["psu"].is_unique
    assert villages["stratum"].nunique() == 22
    assert (villages.groupby("commune")["stratum"].nunique() == 1).all()
    communes = villages.groupby("district")["commune"].nunique()
    expected = districts.set_index("district_code")["communes"]
    assert (communes == expected.loc[communes.index]).all()
    # Households ≈ population / 3.9, projected.
    assert villages["households"].sum() == pytest.approx(
        districts["population_2019"].sum() * 1.06 / 3.9, rel=0.02
    )


def test_census_totals_cover_district_sex_age_and_scale() -> None:
    totals = census_totals(build_frame())
    assert len(totals) == 11 * 2 * 5
    share = load_age_sex()["share_of_population"].sum()
    population = load_districts()["population_2019"].sum() * 1.06
    assert totals["total"].sum() == pytest.approx(population * share, rel=1e-4)
    doubled = census_totals(build_frame(scale=2))
    assert doubled["total"].sum() == pytest.approx(2 * totals["total"].sum(), rel=1e-4)


def test_allocation_is_equal_by_district_with_two_psus_per_stratum() -> None:
    frame = build_frame()
    allocation = allocate(frame, 180)
    assert allocation.sum() == 180
    by_district = allocation.groupby(allocation.index // 10).sum()
    assert set(by_district) <= {16, 17}
    assert allocation.min() >= 2


def test_pps_and_systematic_household_selection() -> None:
    frame = build_frame()
    sample = draw_sample(frame, 3600, np.random.default_rng(3))
    villages = sample.villages
    assert len(villages) == 180 and villages["psu"].is_unique
    assert ((villages["pi1"] > 0) & (villages["pi1"] <= 1)).all()
    sizes = frame.villages.groupby("stratum")["households"].sum()
    expected = villages["a_h"] * villages["households"] / sizes.loc[villages["stratum"]].to_numpy()
    assert villages["pi1"].to_numpy() == pytest.approx(expected.to_numpy())
    households = select_households(villages, np.random.default_rng(4))
    per_village = households.groupby("psu")
    assert (per_village.size() == 20).all()
    assert (per_village["household_no"].nunique() == 20).all()
    assert (households["household_no"] <= households["listed"]).all()
    assert (per_village["form"].sum() == 30).all()  # ten form A (1) and ten form B (2)


def test_household_weights_adjust_for_nonresponse_within_strata() -> None:
    sample = pd.DataFrame(
        {
            "stratum": [1, 1, 1, 1, 2, 2],
            "pi1": [0.1, 0.1, 0.2, 0.2, 0.5, 0.5],
            "pi2": [0.5, 0.5, 0.5, 0.5, 0.2, 0.2],
            "responded": [1, 1, 1, 0, 1, 0],
            "eligible_household": [1, 1, 1, 1, 1, 0],
        }
    )
    weights = household_weights(sample)
    assert weights["weight_base"].to_numpy() == pytest.approx([20, 20, 10, 10, 10, 10])
    # Stratum 1: 4 eligible / 3 responding; stratum 2: the vacant dwelling is not eligible.
    assert weights["weight_adjusted"].to_numpy() == pytest.approx(
        [80 / 3, 80 / 3, 40 / 3, 0, 10, 0]
    )


def _persons(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stratum": rng.choice([1781, 1782], n),
            "district": 178,
            "sex": rng.choice([1, 2], n),
            "age": rng.integers(18, 65, n),
            "eligible": rng.integers(1, 4, n),
            "responded": (rng.random(n) < 0.9).astype(int),
            "hh_weight_base": rng.uniform(50, 150, n),
            "hh_weight_adjusted": rng.uniform(55, 160, n),
        }
    )


def _totals(scale: float = 1000.0) -> pd.DataFrame:
    groups = ["18-24", "25-34", "35-44", "45-54", "55-64"]
    return pd.DataFrame(
        [
            {"district": 178, "sex": s, "age_group": g, "total": scale * (i + s)}
            for s in (1, 2)
            for i, g in enumerate(groups, start=1)
        ]
    )


def test_individual_weights_rake_to_census_cells_and_keep_all_three() -> None:
    persons = _persons(2000, np.random.default_rng(8))
    totals = _totals()
    weights = individual_weights(persons, totals)
    expected_base = persons["hh_weight_base"] * persons["eligible"] * 2
    assert weights["weight_base"].to_numpy() == pytest.approx(expected_base.to_numpy())
    respond = persons["responded"] == 1
    assert (weights.loc[~respond, ["weight_adjusted", "weight_final"]] == 0).all().all()
    before = persons["hh_weight_adjusted"] * persons["eligible"] * 2
    assert weights["weight_adjusted"].groupby(
        [persons["stratum"], persons["sex"]]
    ).sum().to_numpy() == pytest.approx(
        before.groupby([persons["stratum"], persons["sex"]]).sum().to_numpy()
    )
    people = persons.assign(
        age_group=age_group(persons["age"].to_numpy()), w=weights["weight_final"]
    )[respond]
    got = people.groupby(["sex", "age_group"])["w"].sum()
    want = totals.set_index(["sex", "age_group"])["total"]
    assert got.to_numpy() == pytest.approx(want.loc[got.index].to_numpy())


def test_extreme_weights_are_trimmed_before_the_final_raking() -> None:
    persons = _persons(3000, np.random.default_rng(9))
    persons.loc[0, ["hh_weight_base", "hh_weight_adjusted"]] = 50_000.0
    persons.loc[0, "responded"] = 1
    weights = individual_weights(persons, _totals())
    respond = persons["responded"] == 1
    adjusted = weights.loc[respond, "weight_adjusted"]
    final = weights.loc[respond, "weight_final"]
    assert adjusted.max() / adjusted.median() > 100
    # Capped at 3.5 × median, then re-raked: the cap's cell grows back a little, no more.
    assert final.max() / final.median() < 7
