"""Make the people of the sampled households: rosters, the selected adult, and who responds.

Everything is drawn for a whole batch of households with numpy (no Python loop per person):

- household size ``1 + Poisson`` (smaller in towns), a head (line 1; a man in ~80 % of
  households), a spouse of the other sex when the head is married, then children, a parent of
  the head or grandchildren, with ages that fit the head's age;
- ethnicity from the district's shares (langson_frame.csv), shared by the household except
  sometimes the spouse; marital status by relationship and age; education by age cohort,
  residence, remoteness, ethnicity and, for older women, sex; poverty status (HH08) from the
  commune's true share of poor households (``poor_share`` of the frame), so poverty, and the
  wealth, housing, assets and loans that follow it, vary between communes as the census's
  district poverty rate and a commune effect say;
- the individual form's person: one man (form A) or one woman (form B) aged 18–64 drawn at
  random among the eligible of that sex (what the Kish grid achieves);
- response: household contact and consent, the person's consent, and for form-B women who have
  ever had a partner the privacy and consent of the women's module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.synthetic.frame import ETHNIC_CODES

__all__ = ["Households", "make_households"]

MARRIED, COHABITING, NEVER, WIDOWED, DIVORCED, SEPARATED = 2, 6, 1, 3, 4, 5


@dataclass
class Households:
    """One batch: ``hh`` (one row per household) and ``members`` (one row per person).

    ``hh`` holds the design columns and the household-level draws (size, ethnicity, farm,
    poverty, contact result, consent, eligible counts, selected line, the person's consent and
    the women's-module outcomes). ``members`` holds ``hh_index`` (row of ``hh``), ``line``,
    ``relationship``, ``sex``, ``age``, ``ethnicity``, ``marital``, ``education``.
    """

    hh: pd.DataFrame
    members: pd.DataFrame


def _district_table(districts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes = districts["district_code"].to_numpy()
    ethnic_codes = np.array(list(ETHNIC_CODES.values()))
    shares = districts[[f"eth_{name}" for name in ETHNIC_CODES]].to_numpy(float)
    return codes, ethnic_codes, shares


def _draw_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.asarray(np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1))


def make_households(
    sampled: pd.DataFrame, districts: pd.DataFrame, rng: np.random.Generator
) -> Households:
    """Draw rosters, selection and response for the sampled households (one row each)."""
    hh = sampled.reset_index(drop=True).copy()
    n = len(hh)
    urban = hh["residence"].to_numpy() == 1
    remote = hh["remote"].to_numpy().astype(bool)

    # Household ethnicity from the district's shares.
    codes, ethnic_codes, shares = _district_table(districts)
    row_of = {int(c): i for i, c in enumerate(codes)}
    share_rows = shares[[row_of[int(d)] for d in hh["district"]]]
    hh["ethnicity"] = ethnic_codes[_draw_rows(rng, share_rows)]

    size = 1 + rng.poisson(np.where(urban, 2.5, 2.9))
    size = np.minimum(size, 12)
    head_male = rng.random(n) < 0.8
    head_age = np.clip(np.round(rng.normal(47, 13, n)), 20, 88).astype(int)
    with_spouse = (size >= 2) & (rng.random(n) < np.where(head_age < 70, 0.86, 0.55))
    hh["size"] = size

    # Members: one row per person, in line order.
    hh_index = np.repeat(np.arange(n), size)
    starts = np.r_[0, np.cumsum(size)[:-1]]
    line = np.arange(len(hh_index)) - np.repeat(starts, size) + 1
    m = len(hh_index)
    h_age = head_age[hh_index]
    relationship = np.full(m, 3)
    relationship[line == 1] = 1
    spouse = (line == 2) & with_spouse[hh_index]
    relationship[spouse] = 2
    others = line >= (2 + with_spouse[hh_index])
    u = rng.random(m)
    grandchild = others & (h_age >= 55) & (u < 0.45)
    parent = others & ~grandchild & (h_age < 55) & (u > 0.93)
    relationship[grandchild] = 5
    relationship[parent] = 6

    sex = rng.integers(1, 3, m)
    sex[line == 1] = np.where(head_male, 1, 2)
    sex[spouse] = np.where(head_male, 2, 1)[hh_index[spouse]]

    age = np.zeros(m, int)
    age[line == 1] = head_age
    age[spouse] = np.clip(h_age[spouse] + np.round(rng.normal(-2, 4, spouse.sum())), 17, 95)
    child = relationship == 3
    age[child] = np.clip(h_age[child] - rng.integers(19, 40, child.sum()), 0, 70)
    age[grandchild] = rng.integers(0, 16, grandchild.sum())
    age[parent] = np.clip(h_age[parent] + rng.integers(21, 32, parent.sum()), 40, 97)

    ethnicity = hh["ethnicity"].to_numpy()[hh_index].copy()
    mixed = spouse & (rng.random(m) < 0.15)
    ethnicity[mixed] = ethnic_codes[_draw_rows(rng, share_rows[hh_index[mixed]])]

    # Marital status (15+; NaN below).
    marital = np.full(m, np.nan)
    adult = age >= 15
    v = rng.random(m)
    head = line == 1
    head_partner = head & with_spouse[hh_index]
    marital[head_partner] = np.where(v[head_partner] < 0.03, COHABITING, MARRIED)
    marital[spouse] = marital[np.flatnonzero(head)[hh_index[spouse]]]
    lone_head = head & ~with_spouse[hh_index]
    marital[lone_head] = np.where(
        h_age[lone_head] >= 55,
        np.where(v[lone_head] < 0.75, WIDOWED, DIVORCED),
        np.select(
            [v[lone_head] < 0.5, v[lone_head] < 0.75, v[lone_head] < 0.9],
            [NEVER, DIVORCED, SEPARATED],
            WIDOWED,
        ),
    )
    young = adult & ~head & ~spouse
    p_married = np.where(age < 20, 0.05, np.where(age < 30, 0.35, 0.7))
    marital[young] = np.where(
        v[young] < p_married[young], MARRIED, np.where(v[young] > 0.97, DIVORCED, NEVER)
    )
    elder = adult & (relationship == 6)
    marital[elder] = np.where(v[elder] < 0.55, WIDOWED, MARRIED)
    marital[~adult] = np.nan

    # Education: a latent score with cut points, capped by age.
    kinh = ethnicity == 1
    z = (
        rng.normal(0, 1, m)
        + 0.8 * urban[hh_index]
        - 0.35 * remote[hh_index]
        + 0.4 * kinh
        - 0.025 * np.maximum(age - 30, 0)
        - 0.35 * ((sex == 2) & (age > 40))
    )
    education = np.digitize(z, [-1.3, -0.3, 0.6, 1.5]).astype(float)
    cap = np.select([age < 11, age < 15, age < 18], [1, 2, 3], 4)
    education = np.minimum(education, cap)
    education[age < 5] = np.nan

    members = pd.DataFrame(
        {
            "hh_index": hh_index,
            "line": line,
            "relationship": relationship,
            "sex": sex,
            "age": age,
            "ethnicity": ethnicity,
            "marital": marital,
            "education": education,
        }
    )

    # Household-level draws used by several forms.
    hh["farm"] = (rng.random(n) < np.where(urban, 0.15, 0.88)).astype(int)
    # Poor (the commune's true share, from the frame), near-poor 8 %, else not poor.
    poor_p = hh["poor_share"].to_numpy(float)
    w = rng.random(n)
    hh["poverty"] = np.where(w < poor_p, 1, np.where(w < poor_p + 0.08, 2, 3))
    # A latent wealth score drives housing and assets (the wealth index's first component).
    hh["wealth"] = (
        rng.normal(0, 1, n)
        + 0.9 * urban
        - 0.4 * remote
        - 0.9 * (hh["poverty"].to_numpy() == 1)
        - 0.4 * (hh["poverty"].to_numpy() == 2)
        + 0.3 * (hh["ethnicity"].to_numpy() == 1)
    )
    contact = rng.random(n)
    p_contact = np.where(urban, 0.92, 0.96)
    hh["contact"] = np.where(contact < p_contact, 1, rng.integers(2, 6, n))
    hh["consent"] = np.where(hh["contact"] == 1, (rng.random(n) < 0.98).astype(int), -1)
    hh["responded"] = ((hh["contact"] == 1) & (hh["consent"] == 1)).astype(int)
    hh["eligible_household"] = (~hh["contact"].isin([4, 5])).astype(int)

    # Eligible persons of the assigned sex and the selected one.
    form = hh["form"].to_numpy()
    eligible = (age >= 18) & (age <= 64) & (sex == form[hh_index])
    counts = np.bincount(hh_index, weights=eligible, minlength=n).astype(int)
    hh["eligible_men"] = np.bincount(hh_index, weights=eligible & (sex == 1), minlength=n)
    hh["eligible_women"] = np.bincount(
        hh_index, weights=(age >= 18) & (age <= 64) & (sex == 2), minlength=n
    )
    hh["eligible_men"] = np.bincount(
        hh_index, weights=(age >= 18) & (age <= 64) & (sex == 1), minlength=n
    ).astype(int)
    hh["eligible_women"] = hh["eligible_women"].astype(int)
    hh["eligible"] = counts
    pick = np.floor(rng.random(n) * np.maximum(counts, 1)).astype(int)
    # The pick-th eligible member of each household.
    order = np.cumsum(eligible) - eligible  # eligible members before this one, globally
    first = np.r_[0, np.cumsum(np.bincount(hh_index, weights=eligible, minlength=n))[:-1]]
    chosen = eligible & ((order - first[hh_index]) == pick[hh_index])
    selected_line = np.zeros(n, int)
    selected_line[hh_index[chosen]] = line[chosen]
    hh["selected_line"] = np.where(counts > 0, selected_line, 0)
    has_person = (hh["responded"] == 1) & (counts > 0)
    p_person = np.where(form == 1, 0.93, 0.96)
    hh["person_consent"] = np.where(has_person, (rng.random(n) < p_person).astype(int), -1)

    # Respondent to the household form: the head, or the spouse when there is one (30 %).
    hh["hh_respondent"] = np.where(with_spouse & (rng.random(n) < 0.3), 2, 1)

    # Women's module for form-B respondents who have ever had a partner.
    sel_row = np.flatnonzero(chosen)
    person_marital = np.full(n, np.nan)
    person_marital[hh_index[sel_row]] = marital[sel_row]
    hh["person_marital"] = person_marital
    person_age = np.zeros(n, int)
    person_age[hh_index[sel_row]] = age[sel_row]
    hh["person_age"] = person_age
    women = (
        (form == 2)
        & (hh["person_consent"] == 1)
        & ~np.isnan(person_marital)
        & (person_marital != NEVER)
    )
    hh["women_module"] = women.astype(int)
    hh["privacy"] = np.where(women, (rng.random(n) < 0.93).astype(int), -1)
    hh["w_consent"] = np.where(hh["privacy"] == 1, (rng.random(n) < 0.95).astype(int), -1)
    return Households(hh=hh, members=members)
