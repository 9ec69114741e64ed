"""Compute the synthetic sample's weights as the sampling plan does, with analysis.weighting.

Households (Lohr, *Sampling*, §6.2 and §8.5.2):

- base weight ``1 / (π1 × π2)``, with π1 the village's PPS probability ``a_h × M_hi / M_h``
  (1 for certainty villages) and π2 = 20 / L_hi;
- nonresponse: × (eligible households / responding households) within the stratum, by counts
  (vacant dwellings and dwellings not found are not eligible);
- final: calibrated like the persons' weights, to the frame's household counts by district ×
  residence (:func:`analysis.synthetic.frame.household_totals`) — the margins district and
  residence, or coarser, when the sample misses a cell — then trimmed at 3.5 × the median and
  calibrated again. So household totals (and every household or member estimate) agree with the
  frame the rounds are drawn from, and the households' ``weight_final`` is no longer their
  adjusted weight.

Individuals (forms A and B):

- base weight: household base weight × eligible persons of the form's sex × 2 (the form);
- adjusted: household adjusted weight × eligible × 2 × individual nonresponse within stratum ×
  sex (collapsed to district × sex, then sex, when a cell has no respondent);
- final: raked to the projected census counts by district × sex × age group (18–24, 25–34,
  35–44, 45–54, 55–64) — a full cross when every cell has at least ``min_cell`` respondents,
  otherwise the margins district × sex and sex × age group (coarser still for samples too
  small to reach every district) — then trimmed at 3.5 × the median and raked again (Lumley,
  *Complex Surveys*, §7.3).

Base, adjusted and final weights are all kept.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.weighting import (
    WeightingError,
    base_weights,
    nonresponse_adjust,
    rake_weights,
    trim_weights,
)

__all__ = [
    "AGE_GROUPS",
    "age_group",
    "calibrate_households",
    "household_weights",
    "individual_weights",
]

AGE_GROUPS = (
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
)
TRIM_FACTOR = 3.5


def age_group(age: np.ndarray) -> np.ndarray:
    """The calibration age group label of each age (18–64)."""
    age = np.asarray(age)
    out = np.full(len(age), "", object)
    for low, high, label in AGE_GROUPS:
        out[(age >= low) & (age <= high)] = label
    return out


def household_weights(sample: pd.DataFrame, totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Base, nonresponse-adjusted and (with ``totals``) calibrated weights of sampled households.

    ``sample`` needs ``stratum``, ``pi1``, ``pi2``, ``responded`` and ``eligible_household``
    (and ``district``, ``residence`` for the calibration). Returns ``weight_base`` and
    ``weight_adjusted`` (0 for nonrespondents) aligned with it, plus ``weight_final`` when
    ``totals`` (:func:`analysis.synthetic.frame.household_totals`) is given.
    """
    base = base_weights(sample["pi1"].to_numpy(), sample["pi2"].to_numpy())
    adjusted = nonresponse_adjust(
        base,
        sample,
        cells="stratum",
        responded="responded",
        eligible="eligible_household",
        weighted=False,
    )
    adjusted = np.where(sample["responded"].to_numpy() == 1, adjusted, 0.0)
    out = pd.DataFrame({"weight_base": base, "weight_adjusted": adjusted}, index=sample.index)
    if totals is not None:
        out["weight_final"] = calibrate_households(adjusted, sample, totals)
    return out


def calibrate_households(
    adjusted: np.ndarray, sample: pd.DataFrame, totals: pd.DataFrame
) -> np.ndarray:
    """Households' final weights: raked to ``totals``, trimmed at 3.5 × median, raked again.

    ``totals`` has ``district``, ``residence`` and ``total`` (households). The cross district ×
    residence is used when every cell of it has a responding household; else the margins
    district and residence; else residence alone; else the grand total (tiny samples).
    Nonrespondents keep 0.
    """
    respond = (sample["responded"].to_numpy() == 1) & (np.asarray(adjusted) > 0)
    cells = sample.loc[respond, ["district", "residence"]].reset_index(drop=True)

    def filled(names: list[str]) -> pd.Series | None:
        wanted = totals.groupby(names)["total"].sum()
        counts = cells.groupby(names).size().reindex(wanted.index, fill_value=0)
        return wanted if (counts > 0).all() else None

    full = filled(["district", "residence"])
    margins: Mapping[object, pd.Series]
    if full is not None:
        margins = {("district", "residence"): full}
    else:
        by_district, by_residence = filled(["district"]), filled(["residence"])
        if by_district is not None and by_residence is not None:
            margins = {("district",): by_district, ("residence",): by_residence}
        elif by_residence is not None:
            margins = {("residence",): by_residence}
        else:
            cells = cells.assign(_all=0)
            margins = {("_all",): pd.Series({0: float(totals["total"].sum())})}
    raked = rake_weights(
        np.asarray(adjusted, float)[respond], cells, margins, max_iter=200, epsilon=1e-9
    ).weights
    trimmed = trim_weights(raked, upper=TRIM_FACTOR * float(np.median(raked)))
    final_r = rake_weights(trimmed, cells, margins, max_iter=200, epsilon=1e-9).weights
    final = np.zeros(len(sample))
    final[respond] = final_r
    return final


def _margins(
    people: pd.DataFrame, totals: pd.DataFrame, min_cell: int
) -> Mapping[object, pd.Series]:
    """The richest calibration the sample supports (falling back to margins).

    District × sex × age group when every cell has ``min_cell`` respondents; else the margins
    district × sex and sex × age group when none of their cells is empty; else sex × age group,
    else sex (tiny samples that miss whole districts).
    """

    def filled(names: list[str], minimum: int) -> pd.Series | None:
        cells = totals.groupby(names)["total"].sum()
        counts = people.groupby(names).size().reindex(cells.index, fill_value=0)
        return cells if (counts >= minimum).all() else None

    full = filled(["district", "sex", "age_group"], min_cell)
    if full is not None:
        return {("district", "sex", "age_group"): full}
    by_district = filled(["district", "sex"], 1)
    by_age = filled(["sex", "age_group"], 1)
    if by_district is not None and by_age is not None:
        return {("district", "sex"): by_district, ("sex", "age_group"): by_age}
    if by_age is not None:
        return {("sex", "age_group"): by_age}
    return {("sex",): totals.groupby(["sex"])["total"].sum()}


def individual_weights(
    persons: pd.DataFrame, totals: pd.DataFrame, min_cell: int = 10
) -> pd.DataFrame:
    """Base, adjusted and final weights of the selected persons.

    ``persons`` (one row per selected person of a responding household) needs ``stratum``,
    ``district``, ``sex``, ``age``, ``eligible``, ``responded`` (the person's consent, 0/1) and
    the household's ``hh_weight_base`` and ``hh_weight_adjusted``. ``totals`` has ``district``,
    ``sex``, ``age_group`` and ``total`` (:func:`analysis.synthetic.frame.census_totals`).
    Nonrespondents get adjusted and final weights 0.
    """
    factor = persons["eligible"].to_numpy(float) * 2
    base = persons["hh_weight_base"].to_numpy(float) * factor
    before = persons["hh_weight_adjusted"].to_numpy(float) * factor
    adjusted = None
    for cells in (["stratum", "sex"], ["district", "sex"], ["sex"]):
        try:
            adjusted = nonresponse_adjust(before, persons, cells=cells, responded="responded")
            break
        except WeightingError:
            continue
    assert adjusted is not None
    respond = persons["responded"].to_numpy() == 1
    people = persons.loc[respond, ["district", "sex"]].copy()
    people["age_group"] = age_group(persons.loc[respond, "age"].to_numpy())
    margins = _margins(people, totals, min_cell)
    raked = rake_weights(adjusted[respond], people, margins, max_iter=200, epsilon=1e-9).weights
    cap = TRIM_FACTOR * float(np.median(raked))
    trimmed = trim_weights(raked, upper=cap)
    final_r = rake_weights(trimmed, people, margins, max_iter=200, epsilon=1e-9).weights
    final = np.zeros(len(persons))
    final[respond] = final_r
    return pd.DataFrame(
        {
            "weight_base": base,
            "weight_adjusted": np.where(respond, adjusted, 0.0),
            "weight_final": final,
        },
        index=persons.index,
    )
