"""Write a small synthetic survey data folder in the layout the report reads.

This is a stand-in for ``gesurvey simulate --out`` (issue 5) so that the report's tests and
benchmark run on their own: a stratified two-stage sample (district × residence strata, villages
as PSUs, 20 households each), one table per unit of observation (household, member, individual,
women, birth, commune) with the design columns ``stratum``, ``psu`` and ``weight_final``, and a
``register.csv``. Answers use the bundled questionnaires' ids and codes, with built-in gaps
(women do more unpaid care, men attend more meetings…). Everything is vectorised, so a million
persons take seconds. It does not follow every skip rule of the forms: the simulator does that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write_sample_data"]

_DISTRICTS = [178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189]
_ETHNIC = np.array([2, 7, 1, 9, 15, 4, 8, 96])
_ETHNIC_P = np.array([0.36, 0.42, 0.14, 0.04, 0.01, 0.01, 0.01, 0.01])


def _multi(rng: np.random.Generator, n: int, codes: list[int], p: float, none_code: int | None
           ) -> tuple[list[str], np.ndarray]:
    chosen = rng.random((n, len(codes))) < p
    texts = []
    for row in chosen:
        picked = [str(c) for c, hit in zip(codes, row, strict=True) if hit]
        if not picked and none_code is not None:
            picked = [str(none_code)]
        texts.append(" ".join(picked))
    return texts, chosen


def write_sample_data(out: str | Path, households: int = 600, seed: int = 1,
                      fmt: str = "csv") -> Path:
    """Write the tables for ``households`` households into ``out``; return the folder."""
    rng = np.random.default_rng(seed)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    n_psu = max(households // 20, 22)
    psu = np.arange(n_psu)
    district = np.array(_DISTRICTS)[psu % len(_DISTRICTS)]
    residence = np.where((psu // len(_DISTRICTS)) % 4 == 0, 1, 2)
    stratum = district * 10 + residence
    hh_psu = np.repeat(psu, int(np.ceil(households / n_psu)))[:households]
    n = len(hh_psu)
    psu_weight = rng.uniform(80, 160, n_psu)
    hh = pd.DataFrame({
        "hh_id": np.arange(1, n + 1),
        "district": district[hh_psu], "commune": hh_psu // 3 + 1, "village": hh_psu + 1,
        "household_no": np.arange(n) % 20 + 1, "residence": residence[hh_psu],
        "stratum": stratum[hh_psu], "psu": hh_psu + 1,
        "weight_final": psu_weight[hh_psu] * rng.uniform(0.9, 1.1, n),
    })
    hh["HH05"] = 1
    size = rng.integers(2, 7, n)
    hh["HH06"] = size
    hh["HH08"] = rng.choice([1, 2, 3], n, p=[0.15, 0.1, 0.75])
    hh["HH11"] = (rng.random(n) < 0.6).astype(int)
    rich = rng.normal(0, 1, n) + (hh["residence"] == 1) * 0.8
    for i, asset in enumerate(["tv", "fridge", "washing_machine", "air_conditioner",
                               "water_heater", "computer", "motorbike", "car", "bicycle",
                               "farm_machine"]):
        hh[f"HH18_{asset}"] = (rich + rng.normal(0, 1, n) > (i % 5) * 0.5).astype(int)
    # roster
    member_hh = np.repeat(np.arange(n), size)
    m = len(member_hh)
    line = np.concatenate([np.arange(1, s + 1) for s in size])
    sex = np.where(line == 1, rng.choice([1, 2], m, p=[0.8, 0.2]), rng.choice([1, 2], m))
    age = np.where(line <= 2, rng.integers(20, 65, m), rng.integers(0, 80, m))
    member = pd.DataFrame({c: hh[c].to_numpy()[member_hh] for c in (
        "hh_id", "district", "commune", "village", "household_no", "stratum", "psu", "weight_final",
        "residence")})
    member["line"] = line
    member["M02"] = np.where(line == 1, 1, np.where(line == 2, 2, 3))
    member["M03"] = sex
    member["M04"] = age
    member["M05"] = rng.choice(_ETHNIC, m, p=_ETHNIC_P)
    female = sex == 2
    adult = age >= 15
    member["D4_01"] = np.where(age >= 5, rng.choice([0, 1, 2, 3, 4], m,
                                                    p=[0.05, 0.2, 0.35, 0.3, 0.1]), np.nan)
    member["D4_02"] = np.where(adult & (member["D4_01"] < 2), rng.choice([1, 2, 3], m), np.nan)
    member["D3_01"] = np.where(adult, (rng.random(m) < np.where(female, 0.7, 0.8)).astype(float),
                               np.nan)
    member["D3_03"] = np.where(member["D3_01"] == 1, (rng.random(m) < 0.1).astype(float), np.nan)
    member["D3_06"] = np.where(member["D3_01"] == 0, rng.choice([1, 2, 3, 4, 5], m), np.nan)
    asked = adult & (age <= 60)
    trained = rng.random(m) < np.where(female, 0.25, 0.35)
    member["D4_03"] = np.where(asked, trained.astype(float), np.nan)
    member["D4_04"] = np.where(asked & trained, (rng.random(m) < 0.4).astype(float), np.nan)
    member["D4_05"] = np.where(asked, np.where(trained, rng.integers(1, 6, m), 0), np.nan)
    member["D5_04"] = np.where(adult, (rng.random(m) < np.where(female, 0.55, 0.65)).astype(float),
                               np.nan)
    dk = rng.random(m) < 0.02
    member.loc[dk & adult, "D5_04"] = 98
    # household business and credit
    hh["D2_01"] = (rng.random(n) < 0.2).astype(int)
    owner_line = np.where(rng.random(n) < 0.5, "1", "2")
    hh["D2_02"] = np.where(hh["D2_01"] == 1, owner_line, None)
    hh["D2_03"] = (rng.random(n) < 0.35).astype(int)
    loans, _ = _multi(rng, n, [1, 2, 3, 4, 5, 6], 0.3, 0)
    hh["D2_04"] = np.where(hh["D2_03"] == 1, loans, None)
    # individual: one adult per household, alternating form A (man) and B (woman)
    ind = hh[["hh_id", "district", "commune", "village", "household_no", "stratum", "psu",
              "residence"]].copy()
    ind["weight_final"] = hh["weight_final"].to_numpy() * 2
    ind["resp_sex"] = np.where(np.arange(n) % 2 == 0, 1, 2)
    ind["resp_line"] = np.where(ind["resp_sex"] == 1, 1, 2)
    ind["resp_age"] = rng.integers(18, 65, n)
    ind["resp_ethnicity"] = rng.choice(_ETHNIC, n, p=_ETHNIC_P)
    ind["resp_marital"] = rng.choice([1, 2, 3, 4, 6], n, p=[0.15, 0.7, 0.07, 0.03, 0.05])
    ind["consent"] = 1
    woman = ind["resp_sex"].to_numpy() == 2
    ind["D1_01"] = (rng.random(n) < np.where(woman, 0.55, 0.7)).astype(int)
    ind["farm_hh"] = (rng.random(n) < 0.7).astype(int)
    ind["D5_01"] = np.where(ind["farm_hh"] == 1, (rng.random(n) < np.where(woman, 0.2, 0.3))
                            .astype(float), np.nan)
    ind["D6_01"] = np.where(rng.random(n) < 0.03, 98, (rng.random(n) < 0.6).astype(int))
    ind["D6_03"] = (rng.random(n) < 0.3).astype(int)
    young_woman = woman & (ind["resp_age"].to_numpy() <= 49)
    ind["D7_02"] = np.where(young_woman, rng.choice([0, 0, 0, 1, 2], n), np.nan)
    ind["D7_04"] = np.where(ind["D7_02"] > 0, (rng.random(n) < 0.75).astype(float), np.nan)
    ind["D8_01"] = np.clip(np.round(rng.normal(np.where(woman, 4.5, 2.0), 1.5)), 0, 24)
    # KAP
    ability = rng.normal(0, 1, n)
    false_keyed = {"K04", "K06"}
    for i in range(1, 16):
        item = f"K{i:02d}"
        right = rng.random(n) < 1 / (1 + np.exp(-(ability + 0.8 - 0.1 * i)))
        key = 2 if item in false_keyed else 1
        answer = np.where(right, key, 3 - key)
        answer = np.where(rng.random(n) < 0.08, 98, answer)
        answer = np.where(rng.random(n) < 0.01, 99, answer)
        ind[item] = answer
    attitude = rng.normal(np.where(woman, 0.3, -0.3), 1, n)
    reverse = {"A01", "A02", "A03", "A05", "A06", "A07", "A11", "A12", "A13"}
    for i in range(1, 15):
        item = f"A{i:02d}"
        score = np.clip(np.round(3 + attitude + rng.normal(0, 1, n)), 1, 5)
        value = 6 - score if item in reverse else score
        ind[item] = np.where(rng.random(n) < 0.02, 98, value).astype(int)
    for item in ["A15a", "A15b", "A15c", "A15d", "A15e"]:
        agree = rng.random(n) < 1 / (1 + np.exp(2 + attitude))
        ind[item] = np.where(rng.random(n) < 0.03, 98, agree.astype(int))
    married = np.isin(ind["resp_marital"].to_numpy(), [2, 6])
    for row in ["cook", "clean", "childcare", "care_sick", "water_wood"]:
        ind[f"P01_{row}"] = np.where(married, rng.choice([1, 2, 3, 4, 5, 6], n), np.nan)
    for row in ["own_health", "large_purchases", "family_visits", "own_earnings",
                "land_livestock", "schooling"]:
        ind[f"P02_{row}"] = np.where(married, rng.choice([1, 2, 3, 4], n, p=[0.2, 0.5, 0.25,
                                                                           0.05]), np.nan)
    needs, chosen = _multi(rng, n, list(range(1, 17)), 0.15, 17)
    ind["SN01"] = needs
    for k in range(3):
        pick = np.full(n, np.nan)
        for i in range(n):
            options = np.flatnonzero(chosen[i]) + 1
            if len(options) > k:
                pick[i] = options[k]
        ind[f"SN02_{k + 1}"] = pick
    barriers, _ = _multi(rng, n, list(range(1, 9)), 0.2, 9)
    has_need = chosen.any(axis=1)
    ind["SN04"] = np.where(has_need, barriers, None)
    # women's module: female respondents who ever had a partner
    women = ind.loc[woman, ["hh_id", "district", "commune", "village", "household_no",
                            "stratum", "psu", "weight_final", "residence", "resp_sex",
                            "resp_age", "resp_ethnicity"]].copy()
    nw = len(women)
    violent = rng.random(nw) < 0.3
    for q in ["W03_01", "W03_02", "W03_03", "W03_04", "W03_05", "W03_06", "W04_01", "W04_02",
              "W04_03"]:
        ever = violent & (rng.random(nw) < 0.4)
        women[q] = ever.astype(int)
        women[f"{q}_12M"] = np.where(ever, (rng.random(nw) < 0.6).astype(float), np.nan)
    any12 = (women[[c for c in women.columns if c.endswith("_12M")]] == 1).any(axis=1)
    help_, _ = _multi(rng, nw, list(range(1, 9)), 0.08, 0)
    women["W07_03"] = np.where(any12, help_, None)
    # births
    mothers = ind.loc[ind["D7_02"] > 0]
    births = mothers.loc[mothers.index.repeat(mothers["D7_02"].astype(int)),
                         ["hh_id", "district", "commune", "village", "household_no"]].copy()
    births["D7_03_SEX"] = rng.choice([1, 2], len(births), p=[0.53, 0.47])
    # communes
    communes = hh.groupby("commune").agg(district=("district", "first")).reset_index()
    c = len(communes)
    communes["COM_AREA"] = rng.choice([1, 2, 3, 4], c, p=[0.2, 0.3, 0.4, 0.1])
    communes["COM_P1_1"] = rng.integers(9, 16, c)
    communes["COM_P1_2"] = rng.binomial(communes["COM_P1_1"], 0.22)
    for k in (1, 2, 3):
        communes[f"COM_P2_{k}"] = (rng.random(c) < 0.15).astype(int)
    communes["COM_P4_1"] = rng.integers(5, 9, c)
    communes["COM_P4_2"] = rng.binomial(communes["COM_P4_1"], 0.4)
    communes["COM_E1_1"] = rng.integers(0, 4, c)
    communes["COM_E1_2"] = rng.binomial(communes["COM_E1_1"], 0.5)
    communes["COM_E3_1"] = rng.integers(1, 6, c)
    communes["COM_E3_2"] = rng.binomial(communes["COM_E3_1"], 0.4)
    communes["COM_M1"] = (rng.random(c) < 0.9).astype(int)
    communes["COM_M2"] = np.where(communes["COM_M1"] == 1, (rng.random(c) < 0.6).astype(float),
                                  np.nan)
    communes["COM_M4_1"] = rng.integers(5, 30, c)
    communes["COM_M4_2"] = rng.binomial(communes["COM_M4_1"], 0.7)
    communes["COM_C1_1"] = rng.integers(20, 40, c)
    communes["COM_C1_3"] = rng.binomial(communes["COM_C1_1"], 0.8)
    for k in (1, 2, 3, 4):
        communes[f"COM_S2_{k}"] = (rng.random(c) < 0.5).astype(int)
    register = pd.DataFrame({"code": ["MT1-CT2", "MT2-CT2", "MT4-CT1", "MT4-CT2", "MT4-CT4",
                                      "MT6-CT1", "MT6-CT2", "MT6-CT3"],
                             "value": [45.0, 28.0, 112.0, 48.0, 17.0, 85.0, 90.0, 100.0]})
    tables = {"household": hh, "member": member, "individual": ind, "women": women,
              "birth": births, "commune": communes}
    for name, table in tables.items():
        if fmt == "parquet":
            table.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            table.to_csv(folder / f"{name}.csv", index=False)
    register.to_csv(folder / "register.csv", index=False)
    return folder
