"""Build a synthetic frame of Lạng Sơn: districts → communes → villages with household counts.

The indicative census figures (GSO code, names, 2019 population, communes, urban units and
share, remoteness, ethnic shares, and ``poverty_rate``: the share of households on the district's
poor-household list of the 2019 poverty review, indicative like the rest) live in
``analysis/data/langson_frame.csv`` and
the adult age-sex structure in ``analysis/data/langson_age_sex.csv``, so they can be corrected
without touching code. From them a frame of villages (thôn/bản/tổ dân phố) is drawn: each
district's households (population / mean household size) are split between its urban units
(wards, townships) and rural communes, then over villages with uneven sizes, as census lists are.

Each commune also gets its true share of poor households (``poor_share``), which the simulator
uses for every household it draws there, so the simulator knows every commune's true value of
that figure: ``logit(poor_share) = logit(poverty_rate of the district) - 1.0 × urban + u`` with
``u ~ N(0, 0.5²)`` a commune effect the census does not show (drawn from its own random stream,
so adding it changed no other draw of the frame). Small-area estimates use the district's
published rate as an auxiliary and are checked against ``poor_share``.

The frame is the *population*: it is drawn from a fixed seed so that surveys with different
seeds sample the same villages list. ``scale`` multiplies the number of communes (and so the
population and the census totals) for benchmarks at national size.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

__all__ = [
    "ETHNIC_CODES",
    "FRAME_SEED",
    "MEAN_HOUSEHOLD_SIZE",
    "Frame",
    "POVERTY_COMMUNE_SD",
    "build_frame",
    "census_totals",
    "household_totals",
    "commune_truth",
    "load_age_sex",
    "load_districts",
]

FRAME_SEED = 2019
MEAN_HOUSEHOLD_SIZE = 3.9
# Column suffix in langson_frame.csv → code of the household form's ethnicity list.
ETHNIC_CODES = {
    "tay": 2,
    "nung": 7,
    "kinh": 1,
    "dao": 9,
    "san_chay": 15,
    "hoa": 4,
    "hmong": 8,
    "other": 96,
}
# Population growth from the 2019 census to the survey year (indicative, ~1%/year).
PROJECTION_FACTOR = 1.06
#: Standard deviation of the commune effect on the log-odds of a household being poor.
POVERTY_COMMUNE_SD = 0.5
#: Log-odds shift of being poor in a ward or township against the district's rate.
POVERTY_URBAN_SHIFT = -1.0


def _data_text(name: str) -> str:
    return resources.files("analysis").joinpath("data", name).read_text(encoding="utf-8")


def load_districts() -> pd.DataFrame:
    """The district table of ``analysis/data/langson_frame.csv`` (one row per district)."""
    import io

    return pd.read_csv(io.StringIO(_data_text("langson_frame.csv")))


def load_age_sex() -> pd.DataFrame:
    """Shares of the whole population by sex × age group, ages 18–64 (langson_age_sex.csv)."""
    rows = list(csv.DictReader(_data_text("langson_age_sex.csv").splitlines()))
    out = pd.DataFrame(rows)
    out["sex"] = out["sex"].astype(int)
    out["age_min"] = out["age_min"].astype(int)
    out["age_max"] = out["age_max"].astype(int)
    out["share_of_population"] = out["share_of_population"].astype(float)
    return out


@dataclass(frozen=True)
class Frame:
    """The synthetic frame: ``villages`` (one row per village) and ``districts``.

    ``villages`` columns: ``psu`` (global village id), ``district``, ``commune`` (global code),
    ``commune_type`` (1 ward, 2 township, 3 rural commune), ``residence`` (1 urban, 2 rural),
    ``village`` (number inside the commune), ``households`` (measure of size M_hi), ``stratum``
    (district × 10 + residence), ``remote``, ``poverty_rate`` (the district's published rate)
    and ``poor_share`` (the commune's true share of poor households, known only to the
    simulator).
    """

    villages: pd.DataFrame
    districts: pd.DataFrame
    scale: int


_FRAME_COLUMNS = (
    "district",
    "commune",
    "commune_type",
    "residence",
    "village",
    "households",
    "remote",
)


def build_frame(scale: int = 1, seed: int = FRAME_SEED) -> Frame:
    """Draw the frame of villages from the census figures (deterministic for ``scale``/``seed``)."""
    districts = load_districts()
    rng = np.random.default_rng(np.random.SeedSequence([seed, scale]))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in _FRAME_COLUMNS}
    commune_code = 0
    for row in districts.itertuples(index=False):
        households = row.population_2019 * PROJECTION_FACTOR * scale / MEAN_HOUSEHOLD_SIZE
        n_urban = int(row.urban_units) * scale
        n_rural = max(1, int(row.communes) - int(row.urban_units)) * scale
        for residence, units, share in (
            (1, n_urban, row.urban_share),
            (2, n_rural, 1 - row.urban_share),
        ):
            if units == 0:
                continue
            # Commune sizes vary (Dirichlet), villages per commune too.
            commune_shares = rng.dirichlet(np.full(units, 6.0))
            for c in range(units):
                commune_code += 1
                n_villages = (
                    int(rng.integers(8, 19)) if residence == 2 else int(rng.integers(10, 25))
                )
                commune_households = households * share * commune_shares[c]
                village_shares = rng.dirichlet(np.full(n_villages, 4.0))
                sizes = np.maximum(25, np.round(commune_households * village_shares)).astype(int)
                if residence == 1:
                    commune_type = 1 if int(row.district_code) == 178 else 2
                else:
                    commune_type = 3
                # One array per column and commune, joined once: a DataFrame per commune cost
                # seconds on a million-person frame.
                for name, value in (
                    ("district", int(row.district_code)),
                    ("commune", commune_code),
                    ("commune_type", commune_type),
                    ("residence", residence),
                    ("remote", int(row.remote)),
                ):
                    parts[name].append(np.full(n_villages, value, dtype=np.int64))
                parts["village"].append(np.arange(1, n_villages + 1, dtype=np.int64))
                parts["households"].append(sizes.astype(np.int64))
    villages = pd.DataFrame({name: np.concatenate(parts[name]) for name in _FRAME_COLUMNS})
    villages.insert(0, "psu", np.arange(1, len(villages) + 1))
    villages["stratum"] = villages["district"] * 10 + villages["residence"]
    _add_poverty(
        villages, districts, np.random.default_rng(np.random.SeedSequence([seed, scale, 1]))
    )
    return Frame(villages=villages, districts=districts, scale=scale)


def _add_poverty(villages: pd.DataFrame, districts: pd.DataFrame, rng: np.random.Generator) -> None:
    """Add the district's published poverty rate and each commune's true poor share."""
    rate = districts.set_index("district_code")["poverty_rate"].astype(float)
    villages["poverty_rate"] = rate.loc[villages["district"]].to_numpy()
    communes = villages.groupby("commune", sort=True)[["poverty_rate", "residence"]].first()
    r = communes["poverty_rate"].to_numpy()
    logit = (
        np.log(r / (1 - r))
        + POVERTY_URBAN_SHIFT * (communes["residence"].to_numpy() == 1)
        + rng.normal(0, POVERTY_COMMUNE_SD, len(communes))
    )
    share = pd.Series(1 / (1 + np.exp(-logit)), index=communes.index)
    villages["poor_share"] = share.loc[villages["commune"]].to_numpy()


def commune_truth(frame: Frame) -> pd.DataFrame:
    """The simulator's true value of every commune: ``poor_share`` (share of poor households)
    with the commune's ``district``, ``residence``, ``remote``, ``poverty_rate`` and
    ``households``, indexed by commune code."""
    return frame.villages.groupby("commune", sort=True).agg(
        district=("district", "first"),
        residence=("residence", "first"),
        remote=("remote", "first"),
        poverty_rate=("poverty_rate", "first"),
        households=("households", "sum"),
        poor_share=("poor_share", "first"),
    )


def census_totals(frame: Frame) -> pd.DataFrame:
    """Projected census counts of persons 18–64 by district × sex × age group (the raking targets).

    Population 2019 × projection factor × scale × the age-sex share of the whole population.
    Columns ``district``, ``sex``, ``age_group``, ``total``.
    """
    shares = load_age_sex()
    rows = []
    for d in frame.districts.itertuples(index=False):
        population = d.population_2019 * PROJECTION_FACTOR * frame.scale
        for s in shares.itertuples(index=False):
            rows.append(
                {
                    "district": int(d.district_code),
                    "sex": int(s.sex),
                    "age_group": s.age_group,
                    "total": float(round(population * s.share_of_population)),
                }
            )
    return pd.DataFrame(rows)


def household_totals(frame: Frame) -> pd.DataFrame:
    """Households of the frame by district × residence (the households' calibration targets).

    Columns ``district``, ``residence``, ``total``. The frame is the population every round is
    drawn from, so calibrated household weights estimate the same population in every round.
    """
    totals = frame.villages.groupby(["district", "residence"], as_index=False)["households"].sum()
    totals = totals.rename(columns={"households": "total"})
    totals["total"] = totals["total"].astype(float)
    return totals
