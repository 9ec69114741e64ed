"""The gap between two groups' quantiles (e.g. the women − men median earnings gap), with a CI.

A median is not a smooth function of totals, so the gap's standard error is not a Taylor
linearisation: both medians are recomputed in every replicate (R's ``qrule="math"`` on the
replicate weights), the replicate differences give the variance through R's ``svrVar``
(``withReplicates`` in R), and the CI is ``gap ± t(df) SE`` with ``df`` the replicate rank of
the two groups' rows minus one. The ratio of the medians gets its SE from the replicate ratios
the same way. Use bootstrap or BRR replicates: the jackknife is not consistent for quantiles
(R warns likewise). :func:`median_gap_from_design` builds Rao–Wu bootstrap replicates from a
linearisation design for that purpose.

Quantiles themselves with Woodruff or replicate CIs are :func:`analysis.estimators.quantile`
(linearisation) and :func:`analysis.replicates.quantile`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.estimators import GapEstimate
from analysis.replicates import (
    ReplicateDesign,
    _domains,
    _numeric,
    _plain,
    _weighted_quantile,
    bootstrap,
)

__all__ = ["median_gap", "median_gap_from_design"]


def _group_mask(rep: ReplicateDesign, column: str, group: Any) -> np.ndarray:
    if column not in rep.data.columns:
        raise AnalysisError(
            f"column '{column}' is not in the data",
            f"Không có cột '{column}' trong dữ liệu",
            column=column,
        )
    values = rep.data[column]
    mask = ((values == group) | (values.astype(str) == str(group))).to_numpy()
    if not mask.any():
        raise AnalysisError(
            f"no row has '{group}' in column '{column}'",
            f"Không có dòng nào có giá trị '{group}' ở cột '{column}'",
            column=column,
        )
    return np.asarray(mask)


def _replicated_quantile(
    rep: ReplicateDesign, y: np.ndarray, rows: np.ndarray, q: float
) -> tuple[float, np.ndarray]:
    order = rows[np.argsort(y[rows], kind="stable")]
    xs = y[order]
    full = _weighted_quantile(xs, rep.weights[order], q)
    reps = np.empty(rep.n_replicates)
    step = max(1, min(rep.n_replicates, 4_000_000 // max(len(order), 1)))
    for start in range(0, rep.n_replicates, step):
        columns = slice(start, min(start + step, rep.n_replicates))
        reps[columns] = _quantile_columns(xs, rep.replicate_weights(order)[:, columns], q)
    return full, reps


def _quantile_columns(xs: np.ndarray, w: np.ndarray, q: float) -> np.ndarray:
    """:func:`_weighted_quantile` of every column of ``w`` at once (rows sorted by ``xs``).

    Zero weights are left out as there: a row's rank among the kept rows is the running count
    of positive weights, and adding a zero weight leaves the running sum exactly as it was.
    """
    keep = w > 0
    kept = keep.sum(axis=0)
    cw = np.cumsum(w, axis=0)
    total = cw[-1]
    # R's qrule_math on the kept rows: pos = kept rows whose running sum is <= q total, minus 1
    pos = (keep & (cw <= q * total)).sum(axis=0) - 1
    rank = np.cumsum(keep, axis=0)
    cols = np.arange(w.shape[1])

    def row_of(k: np.ndarray) -> np.ndarray:
        return np.asarray(np.argmax(rank >= (k + 1)[None, :], axis=0))

    at = row_of(np.clip(pos, 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):  # a column without a kept row
        exact = (pos >= 0) & (q - cw[at, cols] / total == 0)
    nxt = row_of(np.minimum(pos + 1, kept - 1))
    out = np.where(pos < 0, xs[row_of(np.zeros_like(pos))], np.where(exact, xs[at], xs[nxt]))
    return np.where(kept > 0, out, np.nan)


def median_gap(
    rep: ReplicateDesign,
    variable: str,
    between: tuple[str, Any, Any],
    q: float = 0.5,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> list[GapEstimate]:
    """Quantile ``q`` of group a minus that of group b (and their ratio) in each domain."""
    if not 0 < q < 1:
        raise AnalysisError(
            f"the quantile must be between 0 and 1, not {q}",
            f"Phân vị phải nằm giữa 0 và 1, không phải {q}",
        )
    column, group_a, group_b = between
    in_a = _group_mask(rep, column, group_a)
    in_b = _group_mask(rep, column, group_b)
    y = _numeric(rep, variable)
    codes, labels = _domains(rep, by)
    out = []
    for d, label in enumerate(labels):
        a_rows = np.flatnonzero(in_a & (codes == d) & ~np.isnan(y))
        b_rows = np.flatnonzero(in_b & (codes == d) & ~np.isnan(y))
        if not len(a_rows) or not len(b_rows):
            continue
        a, a_reps = _replicated_quantile(rep, y, a_rows, q)
        b, b_reps = _replicated_quantile(rep, y, b_rows, q)
        diff = a - b
        se = math.sqrt(rep.variance((a_reps - b_reps)[:, None], np.array([diff]))[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = a / b if b else math.nan
            r_reps = a_reps / b_reps
        se_r = math.sqrt(rep.variance(r_reps[:, None], np.array([r]))[0]) if b else math.nan
        mask = np.zeros(rep.n, dtype=bool)
        mask[a_rows] = True
        mask[b_rows] = True
        df = rep.degf(mask)
        t = float(stats.t.ppf(0.5 + level / 2, df)) if df > 0 else math.nan
        p = 2 * stats.t.sf(abs(diff / se), df) if se > 0 and df > 0 else math.nan
        out.append(
            GapEstimate(
                variable=variable,
                level=f"{q:g}",
                domain=label,
                between=column,
                group_a=_plain(group_a),
                group_b=_plain(group_b),
                estimate_a=float(a),
                estimate_b=float(b),
                difference=float(diff),
                std_error=se,
                ci_low=float(diff - t * se),
                ci_high=float(diff + t * se),
                df=df,
                p_value=float(p),
                ratio=float(r),
                ratio_std_error=float(se_r),
                ratio_ci_low=float(r - t * se_r),
                ratio_ci_high=float(r + t * se_r),
                n_unweighted_a=len(a_rows),
                n_unweighted_b=len(b_rows),
            )
        )
    return out


def median_gap_from_design(
    design: SurveyDesign,
    variable: str,
    between: tuple[str, Any, Any],
    q: float = 0.5,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    replicates: int = 200,
    seed: int = 20261203,
) -> list[GapEstimate]:
    """:func:`median_gap` on Rao–Wu bootstrap replicates of a linearisation design (fixed
    seed, so the same data give the same SE)."""
    return median_gap(
        bootstrap(design, replicates, seed=seed), variable, between, q=q, by=by, level=level
    )
