"""Test the association of two categorical variables under the design (Rao-Scott corrections).

Rao & Scott (1981, 1984) correct Pearson's X² computed on the weighted table (scaled to the
sample size n) for the design effect matrix ``Δ = (C' D⁻¹ C / n)⁻¹ (C' D⁻¹ V D⁻¹ C)``, where
``V`` is the design covariance of the cell proportions, ``D`` their diagonal and ``C`` spans the
interaction contrasts (the complement of the independence model). As R's ``svychisq``:

- first order (``statistic="Chisq"``): ``X² / mean(δ)`` against χ² with (r−1)(c−1) df; the
  reported ``statistic`` is Pearson's X² itself, as R reports it (``adjusted_statistic`` holds
  ``X² / mean(δ)``);
- second order (``statistic="F"``): ``F = X² / tr(Δ)`` against F with ``d = tr(Δ)² / tr(Δ²)``
  and ``d × (design df)`` degrees of freedom (Thomas & Rao 1987).

P-values come from survival functions (``sf``), never ``1 − cdf``, which underflows to 0.
Rows missing either variable are left out; the design (PSUs, strata) stays whole.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.estimators import _categories, _Domains, _linearise, _plain, _Values

__all__ = ["ChisqResult", "chisq", "rao_scott"]


@dataclass(frozen=True)
class ChisqResult:
    """Result of a Rao-Scott test; ``ddf`` is None for the first-order (χ²) test."""

    rows: str
    cols: str
    order: int
    statistic: float
    ndf: float
    ddf: float | None
    p_value: float
    method: str
    pearson: float
    adjusted_statistic: float
    n_unweighted: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (NaN becomes None)."""
        return {k: _plain(v) for k, v in asdict(self).items()}

    def to_frame(self) -> pd.DataFrame:
        """The test as a one-row pandas DataFrame (one column per field)."""
        return pd.DataFrame([asdict(self)])


def chisq(design: SurveyDesign, rows: str, cols: str, order: int = 2) -> ChisqResult:
    """Design-based test of independence of two categorical columns (R's ``svychisq``).

    The Rao-Scott corrected Pearson statistic: ``order=2`` (the default, R's ``statistic="F"``)
    is the second-order correction referred to an F distribution, ``order=1`` the first-order
    (mean deff) correction referred to χ² (Rao & Scott 1984; Lohr, *Sampling*, 2nd ed., §10.3).
    The same test as :func:`rao_scott`.
    """
    return rao_scott(design, rows, cols, order)


def rao_scott(design: SurveyDesign, rows: str, cols: str, order: int = 2) -> ChisqResult:
    """Rao-Scott test of independence of ``rows`` and ``cols`` (order 1: χ², order 2: F)."""
    if order not in (1, 2):
        raise AnalysisError(
            f"order must be 1 or 2, not {order}", f"order phải là 1 hoặc 2, không phải {order}"
        )
    row_codes, row_labels = _categories(design, rows)
    col_codes, col_labels = _categories(design, cols)
    valid = (row_codes >= 0) & (col_codes >= 0)
    # Keep only the levels seen among complete rows, so no margin of the table is empty.
    row_used = np.unique(row_codes[valid])
    col_used = np.unique(col_codes[valid])
    nr, nc = len(row_used), len(col_used)
    for column, k in ((rows, nr), (cols, nc)):
        if k < 2:
            raise AnalysisError(
                f"column '{column}' needs at least two categories among rows where both "
                f"'{rows}' and '{cols}' are known",
                f"Cột '{column}' cần ít nhất hai nhóm trong các dòng có cả '{rows}' và '{cols}'",
                column=column,
            )
    r = np.searchsorted(row_used, row_codes[valid])
    c = np.searchsorted(col_used, col_codes[valid])
    cell = r + nr * c  # rows vary fastest, as R's interaction(rows, cols)
    k = nr * nc
    whole = _Domains(np.zeros(design.n, dtype=np.int64), [{}])
    cells = np.zeros(design.n, dtype=np.int64)
    cells[valid] = cell
    lin = _linearise(design, whole, valid, _Values(levels=cells, n_levels=k), None, "weights")
    p = lin.theta[0]
    v = design.psu_total_variance(lin.totals, full=True)
    n = int(lin.n[0])

    observed = (p * n).reshape(nc, nr).T
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    pearson = float(((observed - expected) ** 2 / expected).sum())

    grid_r = np.tile(np.arange(nr), nc)
    grid_c = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack(
        [np.ones(k)]
        + [(grid_r == i).astype(float) for i in range(1, nr)]
        + [(grid_c == j).astype(float) for j in range(1, nc)]
    )
    x12 = np.column_stack(
        [(grid_r == i) & (grid_c == j) for j in range(1, nc) for i in range(1, nr)]
    ).astype(float)
    coef, *_ = np.linalg.lstsq(x1, x12, rcond=None)
    contrast = x12 - x1 @ coef
    with np.errstate(divide="ignore"):
        inv_p = np.where(p == 0, 0.0, 1.0 / p)
    denom = contrast.T @ (contrast * (inv_p / n)[:, None])
    scaled = contrast * inv_p[:, None]
    numer = scaled.T @ v @ scaled
    delta = np.linalg.solve(denom, numer)
    trace = float(np.trace(delta))
    trace2 = float(np.trace(delta @ delta))
    df_pearson = (nr - 1) * (nc - 1)
    if order == 2:
        d0 = trace**2 / trace2
        ddf = d0 * design.degf
        statistic = pearson / trace
        p_value = float(stats.f.sf(statistic, d0, ddf)) if ddf > 0 else math.nan
        return ChisqResult(
            rows=rows,
            cols=cols,
            order=2,
            statistic=statistic,
            ndf=d0,
            ddf=ddf,
            p_value=p_value,
            method="Pearson's X^2: Rao & Scott adjustment (F, second order)",
            pearson=pearson,
            adjusted_statistic=statistic,
            n_unweighted=n,
        )
    adjusted = pearson / (trace / df_pearson)
    return ChisqResult(
        rows=rows,
        cols=cols,
        order=1,
        statistic=pearson,
        ndf=float(df_pearson),
        ddf=None,
        p_value=float(stats.chi2.sf(adjusted, df_pearson)),
        method="Pearson's X^2: Rao & Scott adjustment (chi-squared, first order)",
        pearson=pearson,
        adjusted_statistic=adjusted,
        n_unweighted=n,
    )
