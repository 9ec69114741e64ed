"""Rebuild three tables of the monitoring report from survey data with the analysis API.

Run it on a simulated survey (or an export of the real one)::

    gesurvey simulate --households 600 --seed 1 --out survey
    python examples/report_tables.py survey

Each table is one indicator of the provincial gender-equality plan, for women and for men, with
the gap women − men and the gender parity index W / M, as the report's tables D1.1, D5.2 and
D6.1 show them (their "total" rows):

- D1.1: adults 18+ who attended a village meeting in the last 12 months (individual form,
  ``D1_01``; base: those who answered);
- D5.2: household members 18+ who used the internet in the last 12 months (roster, ``D5_04``;
  base: those who answered);
- D6.1: adults 18+ who heard, saw or read a message about gender equality or the prevention of
  domestic violence in the last 12 months (individual form, ``D6_01``; base: all adults).

The design is the survey's: strata ``stratum``, PSUs (villages) ``psu`` numbered within
strata, final calibrated weights ``weight_final``; a stratum left with one PSU is centred on the
grand mean, as the report does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import SurveyDesign, gap, missing_to_nan, proportion

WOMEN, MEN = 2, 1

#: table id: (data table, answer column, sex column, age column, base is those who answered)
TABLES = {
    "D1.1": ("individual", "D1_01", "resp_sex", "resp_age", True),
    "D5.2": ("member", "D5_04", "M03", "M04", True),
    "D6.1": ("individual", "D6_01", "resp_sex", "resp_age", False),
}


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """One table of an export folder: Parquet when there is one, else CSV."""
    parquet = folder / f"{name}.parquet"
    return pd.read_parquet(parquet) if parquet.exists() else pd.read_csv(folder / f"{name}.csv")


def indicator(frame: pd.DataFrame, answer: str, age: str, answered: bool) -> pd.Series:
    """1 for a yes, 0 otherwise among adults (18+), missing for everyone else.

    With ``answered`` the base is the adults who answered: don't know (98), refused (99) and
    blanks are then missing rather than "not yes".
    """
    value = missing_to_nan(frame[answer])
    adult = pd.to_numeric(frame[age], errors="coerce") >= 18
    base = adult & value.notna() if answered else adult
    return pd.Series(np.where(base, (value == 1).astype(float), np.nan), index=frame.index)


def sex_table(frame: pd.DataFrame, answer: str, sex: str, age: str, answered: bool) -> pd.DataFrame:
    """Women, men, the gap W − M and the parity index W / M, in percent, with 95% CIs."""
    frame = frame.assign(value=indicator(frame, answer, age, answered))
    design = SurveyDesign(
        frame, weight="weight_final", strata="stratum", psu="psu", lonely_psu="adjust", nest=True
    )
    shares = proportion(design, "value", by=sex).to_frame()
    shares = shares[shares["level"] == "1"].set_index(sex)
    difference = gap(design, "value", between=(sex, WOMEN, MEN), stat="mean")[0]
    rows = []
    for label, code in (("women", WOMEN), ("men", MEN)):
        row = shares.loc[code]
        rows.append(
            {
                "": label,
                "percent": 100 * row["estimate"],
                "ci_low": 100 * row["ci_low"],
                "ci_high": 100 * row["ci_high"],
                "n": int(row["n_unweighted"]),
            }
        )
    rows.append(
        {
            "": "gap W − M (points)",
            "percent": 100 * difference.difference,
            "ci_low": 100 * difference.ci_low,
            "ci_high": 100 * difference.ci_high,
            "p": difference.p_value,
        }
    )
    rows.append({"": "parity index W / M", "percent": difference.ratio})
    return pd.DataFrame(rows).set_index("")


def rebuild(folder: Path) -> dict[str, pd.DataFrame]:
    """The three tables from the survey data in ``folder``."""
    tables = {}
    for table_id, (source, answer, sex, age, answered) in TABLES.items():
        tables[table_id] = sex_table(read_table(folder, source), answer, sex, age, answered)
    return tables


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    for table_id, table in rebuild(Path(argv[1])).items():
        print(f"\n{table_id}\n{table.round(2).to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
