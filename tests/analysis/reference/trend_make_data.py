"""Write the small round folders behind ``trend_reference.R`` (run once; the output is committed).

Usage, from the repository root: ``python tests/analysis/reference/trend_make_data.py``.
``trend/independent/{2017,2018,2020}``: three independent rounds of 600 households
(``gesurvey simulate --rounds 2017,2018,2020 --households 600 --seed 12``);
``trend/panel/{2017,2018}``: two rounds re-using the same villages (``--panel``, seed 13).
Only the columns the tested indicators read are kept, so the files stay small and the R
reference does not move when the simulator changes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from analysis.synthetic.rounds import simulate_rounds

HERE = Path(__file__).parent / "trend"
HOUSEHOLDS = 600
DESIGN = ["hh_id", "stratum", "psu", "weight_final", "district", "residence"]
KEEP = {
    "individual": DESIGN + ["resp_sex", "resp_age", "D1_01", "D6_01", "D6_03", "D8_01"],
    "member": DESIGN + ["line", "M03", "M04", "D5_04"],
    "household": DESIGN + ["D2_06"],
}


def _slim(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for table, columns in KEEP.items():
        frame = pd.read_parquet(source / f"{table}.parquet", columns=columns)
        frame.to_csv(target / f"{table}.csv", index=False)
    shutil.copy(source / "round.json", target / "round.json")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, years, seed, panel in (
            ("independent", (2017, 2018, 2020), 12, False),
            ("panel", (2017, 2018), 13, True),
        ):
            out = Path(tmp) / name
            simulate_rounds(years, HOUSEHOLDS, seed, out, panel=panel)
            for year in years:
                _slim(out / str(year), HERE / name / str(year))


if __name__ == "__main__":
    main()
