"""The public analysis API: one import, tables with estimates, SEs, CIs, df and domains."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import (
    ChisqResult,
    EstimateTable,
    SurveyDesign,
    chisq,
    gap,
    mean,
    proportion,
    quantile,
    ratio,
    total,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame(
        {
            "stratum": np.repeat([1, 2], n // 2),
            "psu": np.tile(np.repeat(np.arange(10), 20), 2),
            "w": rng.uniform(50, 150, n),
            "sex": rng.choice([1, 2], n),
            "income": rng.gamma(2.0, 3.0, n),
            "hours": rng.uniform(1, 10, n),
            "works": rng.choice([0, 1], n),
            "district": rng.choice(["A", "B"], n),
        }
    )
    return SurveyDesign(frame, weight="w", strata="stratum", psu="psu", nest=True)


def test_every_public_name_resolves() -> None:
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name
    with pytest.raises(AttributeError):
        analysis.not_a_name  # noqa: B018


def test_each_estimator_gives_a_table_whose_frame_has_the_statistics(design: SurveyDesign) -> None:
    tables = [
        mean(design, "income", by="sex"),
        proportion(design, "works", by="sex"),
        total(design, "income", by="sex"),
        ratio(design, "income", "hours", by="sex"),
        quantile(design, "income", [0.5], by="sex"),
        gap(design, "income", between=("sex", 2, 1), by="district"),
    ]
    for table in tables:
        assert isinstance(table, EstimateTable)
        frame = table.to_frame()
        assert len(frame) == len(table) > 0
        assert {"ci_low", "ci_high", "df", "std_error"} <= set(frame.columns)
        domain = "district" if "difference" in frame.columns else "sex"
        assert frame.columns[0] == domain
        assert (frame["ci_low"] <= frame["ci_high"]).all() and (frame["df"] == 18).all()
    women = mean(design, "income", by="sex").find(sex=2)
    subset = design.data[design.data["sex"] == 2]
    assert women.estimate == pytest.approx(np.average(subset["income"], weights=subset["w"]))


def test_chisq_gives_a_result_with_a_frame(design: SurveyDesign) -> None:
    result = chisq(design, "works", "sex")
    assert isinstance(result, ChisqResult)
    frame = result.to_frame()
    assert frame.loc[0, "p_value"] == result.p_value and 0 <= result.p_value <= 1


def test_importing_the_package_stays_cheap() -> None:
    code = "import sys, analysis; print('pandas' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_api_reference_builds_from_the_docstrings(tmp_path: Path) -> None:
    """The README's command: ``python -m pdoc analysis questionnaires -o docs/api``."""
    done = subprocess.run(
        [sys.executable, "-m", "pdoc", "analysis", "questionnaires", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "analysis.html").read_text(encoding="utf-8")
    for name in ("SurveyDesign", "proportion", "gap", "chisq", "to_frame", "Lohr"):
        assert name in page, name
    assert (tmp_path / "questionnaires.html").exists()
