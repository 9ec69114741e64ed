"""Draw the survey's two-stage sample (villages by PPS, then 20 households) from the frame.

- Strata: district × urban/rural (``stratum = district × 10 + residence``).
- Allocation: the clusters (``ceil(households / 20)``) are shared equally between the 11
  districts (the plan's ≈330 households per district), then between urban and rural in
  proportion to households, with at least two clusters per stratum when the district has four
  or more (so every stratum has a variance), at least one when it has two or more.
- Stage 1: villages by systematic PPS on households (frame sorted by commune, so communes act as
  implicit strata); villages larger than the sampling interval are taken with certainty
  (π1 = 1) and the rest re-drawn (Lohr, *Sampling*, §6.2).
- Stage 2: a fresh listing of L_hi households (the frame count grown a little, with noise), then
  20 households by systematic sampling with a random start (π2 = 20 / L_hi).
- Form A (man) / form B (woman) alternate over the selected households of a village, starting at
  random; the person is drawn among the eligible of that sex (the Kish grid's effect).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.synthetic.frame import Frame
from analysis.weighting import pps_probability

__all__ = ["HOUSEHOLDS_PER_VILLAGE", "Sample", "allocate", "draw_sample"]

HOUSEHOLDS_PER_VILLAGE = 20


@dataclass(frozen=True)
class Sample:
    """The selected villages: frame columns plus ``a_h``, ``pi1``, ``listed`` and ``pi2``."""

    villages: pd.DataFrame
    clusters: int


def allocate(frame: Frame, clusters: int) -> pd.Series:
    """Number of clusters per stratum (index: stratum code), adding up to ``clusters``."""
    districts = sorted(frame.villages["district"].unique())
    per_district = np.full(len(districts), clusters // len(districts))
    per_district[: clusters % len(districts)] += 1
    sizes = frame.villages.groupby("stratum")["households"].sum()
    out: dict[int, int] = {}
    for district, c_d in zip(districts, per_district, strict=True):
        urban_size = float(sizes.get(district * 10 + 1, 0))
        rural_size = float(sizes.get(district * 10 + 2, 0))
        if urban_size == 0:
            out[district * 10 + 2] = int(c_d)
            continue
        minimum = 2 if c_d >= 4 else (1 if c_d >= 2 else 0)
        urban = int(round(c_d * urban_size / (urban_size + rural_size)))
        urban = min(max(urban, minimum), int(c_d) - minimum)
        if c_d == 1:
            urban = 0
        out[district * 10 + 1] = urban
        out[district * 10 + 2] = int(c_d) - urban
    return pd.Series(out, name="a_h").sort_index()


def _systematic_pps(sizes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` units drawn by systematic PPS (no unit larger than the interval)."""
    cumulative = np.cumsum(sizes)
    interval = cumulative[-1] / n
    points = rng.uniform(0, interval) + interval * np.arange(n)
    return np.asarray(np.searchsorted(cumulative, points, side="right"))


def _select_stratum(villages: pd.DataFrame, a_h: int, rng: np.random.Generator) -> pd.DataFrame:
    sizes = villages["households"].to_numpy(dtype=float)
    certain = np.zeros(len(villages), bool)
    # Take units with a_h × M_hi / M_h >= 1 with certainty and re-allocate the rest.
    while True:
        rest = ~certain
        remaining = a_h - int(certain.sum())
        if remaining <= 0:
            break
        pi = remaining * sizes[rest] / sizes[rest].sum()
        big = np.flatnonzero(rest)[pi >= 1]
        if len(big) == 0:
            break
        certain[big] = True
    remaining = a_h - int(certain.sum())
    chosen = list(np.flatnonzero(certain))
    pi1 = np.ones(len(villages))
    if remaining > 0:
        rest_index = np.flatnonzero(~certain)
        rest_sizes = sizes[rest_index]
        chosen += list(rest_index[_systematic_pps(rest_sizes, remaining, rng)])
        pi1[rest_index] = pps_probability(remaining, rest_sizes, rest_sizes.sum())
    chosen_index = np.sort(np.array(chosen, dtype=int))
    out = villages.iloc[chosen_index].copy()
    out["a_h"] = a_h
    out["pi1"] = pi1[chosen_index]
    return out


def draw_sample(frame: Frame, households: int, rng: np.random.Generator) -> Sample:
    """Select villages and list them (``households`` rounded up to whole clusters of 20)."""
    clusters = max(1, -(-households // HOUSEHOLDS_PER_VILLAGE))
    allocation = allocate(frame, clusters)
    parts = []
    for stratum, villages in frame.villages.groupby("stratum", sort=True):
        a_h = int(allocation.get(stratum, 0))
        if a_h == 0:
            continue
        parts.append(_select_stratum(villages, min(a_h, len(villages)), rng))
    chosen = pd.concat(parts, ignore_index=True)
    growth = rng.normal(1.03, 0.05, len(chosen))
    listed = np.maximum(HOUSEHOLDS_PER_VILLAGE, np.round(chosen["households"] * growth))
    chosen["listed"] = np.minimum(listed, 999).astype(int)
    chosen["pi2"] = HOUSEHOLDS_PER_VILLAGE / chosen["listed"]
    return Sample(villages=chosen.reset_index(drop=True), clusters=int(allocation.sum()))


def select_households(villages: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """20 households per village by systematic sampling from the listing; forms A/B alternate.

    Returns one row per selected household: the village's columns plus ``household_no`` (line
    in the listing), ``order`` (1..20 in the village) and ``form`` (1 man, 2 woman).
    """
    k = HOUSEHOLDS_PER_VILLAGE
    listed = villages["listed"].to_numpy()
    step = listed / k
    start = rng.uniform(0, 1, len(villages)) * step
    positions = start[:, None] + step[:, None] * np.arange(k)[None, :]
    numbers = np.floor(positions).astype(int) + 1
    first_form = rng.integers(1, 3, len(villages))
    repeat = np.repeat(np.arange(len(villages)), k)
    out = villages.iloc[repeat].reset_index(drop=True)
    out["household_no"] = numbers.ravel()
    order = np.tile(np.arange(1, k + 1), len(villages))
    out["order"] = order
    out["form"] = np.where((order + first_form[repeat]) % 2 == 0, 1, 2)
    return out
