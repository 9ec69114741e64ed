"""The report's median-table cells reproduce R's survey 4.1.1 (relative 1e-8).

:func:`analysis.tables.median_cells` (what tables L.4 and F.2 show) on
``reference/median_sample.csv`` (360 persons, 3 strata × 4 PSUs, earnings with ties and blanks),
by sex, overall and by a background group, against ``reference/median_results.csv`` written by
``reference/median_reference.R``: women's and men's medians with R's ``svyquantile`` defaults
(``qrule="math"``, Woodruff CI, on ``subset(design, …)``) and their unweighted n; the gap
women − men and the ratio women / men of the medians with ``withReplicates`` on the bootstrap
design the report draws (``MEDIAN_REPLICATES`` Rao–Wu replicates with ``MEDIAN_SEED``; the
factors are exported to ``reference/median_boot_factors.csv`` because R cannot reproduce
numpy's draws, and this test checks the report still draws exactly those), df from the rank of
the two groups' replicate weights, CI ± t(df) SE and the t-test's p.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.design import SurveyDesign
from analysis.replicates import bootstrap
from analysis.tables import MEDIAN_REPLICATES, MEDIAN_SEED, median_cells

REFERENCE = Path(__file__).parent / "reference"
REL = 1e-8
SETTINGS = {
    "suppress_below": 25,
    "parentheses_below": 50,
    "gpi_low": 0.97,
    "gpi_high": 1.03,
    "confidence": 0.95,
}


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    data = pd.read_csv(REFERENCE / "median_sample.csv")
    return SurveyDesign(
        data, weight="weight", strata="stratum", psu="psu", nest=True, lonely_psu="adjust"
    )


@pytest.fixture(scope="module")
def r() -> dict[str, float]:
    table = pd.read_csv(REFERENCE / "median_results.csv")
    return dict(zip(table["key"], table["value"].astype(float), strict=True))


def test_the_report_draws_the_exported_bootstrap_factors(design: SurveyDesign) -> None:
    exported = pd.read_csv(REFERENCE / "median_boot_factors.csv")
    rep = bootstrap(design, MEDIAN_REPLICATES, seed=MEDIAN_SEED)
    assert rep.factors.shape == (12, 200)
    np.testing.assert_array_equal(rep.factors, exported.iloc[:, 2:].to_numpy())


@pytest.mark.parametrize("by", [None, "group"])
def test_median_cells_match_r(design: SurveyDesign, r: dict[str, float], by: str | None) -> None:
    cells = median_cells(design, "earnings", "sex", 2, 1, by, SETTINGS)
    keys = [0.0] if by is None else [1.0, 2.0, 3.0]
    assert sorted(cells) == keys
    for key in keys:
        g = "total" if by is None else str(int(key))
        values, flags = cells[key]
        for prefix, s in (("w", 2), ("m", 1)):
            k = f"q.{g}.{s}"
            assert values[f"{prefix}_n"] == r[f"{k}.n"]
            assert values[f"{prefix}_est"] == pytest.approx(r[f"{k}.est"], rel=REL)
            assert values[f"{prefix}_se"] == pytest.approx(r[f"{k}.se"], rel=REL)
            assert values[f"{prefix}_ci"] == pytest.approx((r[f"{k}.lci"], r[f"{k}.uci"]), rel=REL)
        assert values["gap"] == pytest.approx(r[f"gap.{g}.est"], rel=REL)
        assert values["gap_se"] == pytest.approx(r[f"gap.{g}.se"], rel=REL)
        assert values["gap_ci"] == pytest.approx((r[f"gap.{g}.lci"], r[f"gap.{g}.uci"]), rel=REL)
        assert values["p"] == pytest.approx(r[f"gap.{g}.p"], rel=REL)
        assert values["gpi"] == pytest.approx(r[f"ratio.{g}.est"], rel=REL)
        assert values["gpi_se"] == pytest.approx(r[f"ratio.{g}.se"], rel=REL)
        assert values["gpi_ci"] == pytest.approx(
            (r[f"ratio.{g}.lci"], r[f"ratio.{g}.uci"]), rel=REL
        )
        # 25-49 cases on a side: that side, the gap and the ratio are in parentheses
        fewest = min(values["w_n"], values["m_n"])
        assert 25 <= fewest
        expected = "parentheses" if fewest < 50 else None
        assert flags.get("gap") == flags.get("gpi_ci") == expected
