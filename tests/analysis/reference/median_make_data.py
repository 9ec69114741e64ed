"""Write the median tables' reference sample and its bootstrap factors (run from the repo root).

``median_sample.csv``: 360 persons in 3 strata × 4 PSUs, with a weight, sex (1 man, 2 woman),
a background group (1–3) and monthly earnings (log-normal, women lower, rounded to 100 so
there are ties, about 10% blank). ``median_boot_factors.csv``: the 200 Rao–Wu bootstrap
factors (one row per PSU) that :func:`analysis.replicates.bootstrap` draws with seed 20261203
for this design, the draws behind the report's median gap (``analysis.tables.MEDIAN_SEED``);
``median_reference.R`` reads both. Usage: ``python tests/analysis/reference/median_make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.design import SurveyDesign
from analysis.replicates import bootstrap

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(19)
    rows = []
    for stratum in (1, 2, 3):
        for psu in (1, 2, 3, 4):
            size = int(rng.integers(20, 41))
            weight = float(rng.uniform(50, 150))
            for _ in range(size):
                sex = int(rng.integers(1, 3))
                group = int(rng.integers(1, 4))
                earnings = np.exp(rng.normal(8.6 - 0.15 * (sex == 2) + 0.1 * group, 0.5))
                value = float(round(earnings / 100) * 100) if rng.random() > 0.1 else np.nan
                rows.append((stratum, psu, weight, sex, group, value))
    data = pd.DataFrame(rows, columns=["stratum", "psu", "weight", "sex", "group", "earnings"])
    data.to_csv(HERE / "median_sample.csv", index=False)
    design = SurveyDesign(data, weight="weight", strata="stratum", psu="psu", nest=True)
    rep = bootstrap(design, 200, seed=20261203)
    first = np.unique(design.psu_codes, return_index=True)[1]
    factors = pd.DataFrame(rep.factors, columns=[f"r{i + 1}" for i in range(200)])
    factors.insert(0, "psu", data["psu"].to_numpy()[first])
    factors.insert(0, "stratum", data["stratum"].to_numpy()[first])
    factors.to_csv(HERE / "median_boot_factors.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
