"""Calibrated designs: the calibration steps the variance estimators apply (linearisation).

:func:`poststratify`, :func:`rake` and :func:`trim` take a
:class:`~analysis.design.SurveyDesign` and return a new one with the calibrated weights and a
calibration step appended to ``design.calibration``. The step's ``project(scores)`` replaces the
scores by their residuals on the calibration cells before the PSU sums (the g-weight / residual
approach, Särndal, Swensson & Wretman 1992, §6.6; Lumley 2010, §7.2), exactly as R's
``svyrecvar`` does for ``postStratify()`` and ``rake()``, so every estimator's SE accounts for
the calibration:

- post-stratification: ``x - w_new × (Σ_c w_old z / Σ_c w_old)`` with ``z = x / w_new``;
- raking: 10 sweeps over the margins of ``x - w_m × mean_c(x / w_m)`` (``w_m`` the weights
  after margin ``m`` in the last raking pass), R's fixed number of sweeps.

:func:`calibrated_psu_totals` gives the same PSU totals from sparse domain scores without
forming the calibrated n×k scores (fast path for estimators on large samples).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from analysis.design import SurveyDesign
from analysis.weighting.calibration import RakeResult, _poststratify, _rake
from analysis.weighting.common import RAKING_PROJECTION_SWEEPS, By, Margins, Totals, _cells
from analysis.weighting.trimming import trim_weights

# ------------------------------------------------------------------------------------------------
# calibrated designs: the projections the variance applies

#: Raking projections precompute their sweeps as one matrix up to this many margin levels.
_SWEEP_MATRIX_MAX = 1500


def _rows_to_cells(codes: np.ndarray, values: np.ndarray, size: int) -> sparse.csr_matrix:
    """Sparse ``size × n`` matrix with ``values[i]`` at ``(codes[i], i)``: weighted cell sums."""
    n = len(codes)
    return sparse.csr_matrix((values, (codes, np.arange(n))), shape=(size, n))


def _cells_to_rows(codes: np.ndarray, values: np.ndarray, size: int) -> sparse.csr_matrix:
    """Sparse ``n × size`` matrix with ``values[i]`` at ``(i, codes[i])``: spread cell values."""
    n = len(codes)
    return sparse.csr_matrix((values, (np.arange(n), codes)), shape=(n, size))


def _as_matrix(scores: np.ndarray) -> tuple[np.ndarray, bool]:
    x = np.asarray(scores, dtype=float)
    return (x[:, None], True) if x.ndim == 1 else (x, False)


class _GroupSums:
    """Stacked weighted group sums ``Σ_{i in g} f_i x_i`` for one or more row groupings.

    Each grouping gives every row one group ``codes[i]`` and a factor ``f_i``; the sums are one
    sparse matrix product (faster on CSR scores than scattering their nonzeros with bincount).
    """

    def __init__(self, groups: Sequence[tuple[np.ndarray, np.ndarray, int]]) -> None:
        self.groups = list(groups)
        self.size = sum(size for _, _, size in self.groups)
        self._matrix: sparse.csr_matrix | None = None

    @property
    def matrix(self) -> sparse.csr_matrix:
        if self._matrix is None:
            self._matrix = sparse.vstack(
                [_rows_to_cells(c, f, size) for c, f, size in self.groups], format="csr"
            )
        return self._matrix

    def __call__(self, scores: Any) -> np.ndarray:
        return _dense(self.matrix @ scores)


class _LinearCalibration:
    """A calibration projection of the form ``x - spread @ collect(x)``.

    ``collect`` maps n×k scores (dense or scipy.sparse) to k columns of cell values, ``spread``
    (sparse n×K) puts cell values back on the rows. Written this way a chain of calibrations
    needs only small K×K products (see :func:`calibrated_psu_totals`).
    """

    spread: sparse.csr_matrix

    def collect(self, scores: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def project(self, scores: np.ndarray) -> np.ndarray:
        """Residuals of the n×k weighted scores on the calibration cells."""
        x, flat = _as_matrix(scores)
        out = np.asarray(self.spread @ self.collect(x))
        np.subtract(x, out, out=out)
        return out[:, 0] if flat else out


class PostStratification(_LinearCalibration):
    """Post-stratification remembered by a design: residuals on the post-strata (R).

    ``project(x) = x - w_new × (Σ_c w_old x / w_new) / Σ_c w_old`` per column, the formula of
    R's ``svyrecvar`` for ``postStratify()`` designs (Lumley 2010, §7.2). ``cells`` codes the
    rows' post-strata, ``labels`` names them. Both steps are sparse products, so a projection
    costs two passes over the scores.
    """

    def __init__(
        self,
        cells: np.ndarray,
        weights: np.ndarray,
        old_weights: np.ndarray,
        labels: Sequence[tuple[Any, ...]] = (),
        names: Sequence[str] = (),
    ) -> None:
        self.cells = np.asarray(cells, dtype=np.int64)
        self.labels = list(labels)
        self.names = tuple(names)
        size = int(self.cells.max()) + 1 if len(self.cells) else 0
        psw = np.asarray(weights, dtype=float).copy()
        oldw = np.asarray(old_weights, dtype=float)
        psw[(psw == 0) & (oldw == 0)] = 1.0  # as R: rows outside every cell stay untouched
        self.weights = psw
        self.old_weights = oldw
        old_total = np.bincount(self.cells, weights=oldw, minlength=size)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_old_total = np.where(old_total > 0, 1.0 / old_total, 0.0)
        self._cell_means = _GroupSums([(self.cells, oldw / psw * inv_old_total[self.cells], size)])
        self.spread = _cells_to_rows(self.cells, psw, size)

    def collect(self, scores: Any) -> np.ndarray:
        """Per post-stratum, ``Σ_c w_old x / w_new / Σ_c w_old`` (K×k)."""
        return self._cell_means(scores)

    def __repr__(self) -> str:
        return f"PostStratification(by={list(self.names)}, cells={len(self.labels)})"


class Raking(_LinearCalibration):
    """Raking remembered by a design: R's fixed 10 sweeps of residuals over the margins.

    Each sweep replaces, margin by margin, ``x`` by ``x - w_m × mean_c(x / w_m)`` where ``w_m``
    are the weights right after margin ``m``'s step in the last raking pass and ``mean_c`` the
    plain mean over the rows in the same margin level (R's ``svyrecvar``, ``ave()``). Also
    carries how the raking ended: ``iterations``, ``converged``, ``max_change``.

    The sweeps are done on the margins' levels, not on the n rows: after any number of steps
    ``x_now = x - Σ_j W_j a_j`` (``W_j`` spreads margin ``j``'s level values ``a_j`` to the
    rows times ``w_j``), so a margin's means are ``B_m x - Σ_j (B_m W_j) a_j`` with ``B_m``
    the row-to-level means of ``x / w_m``. The sweeps are linear in ``b = B x``, so they are
    run once on the identity to give a small matrix ``T`` with ``a = T b``; a projection is
    then ``x - W T B x``, two passes over the scores.
    """

    def __init__(self, result: RakeResult, sweeps: int = RAKING_PROJECTION_SWEEPS) -> None:
        self.margin_names = result.margin_names
        self.iterations = result.iterations
        self.converged = result.converged
        self.max_change = result.max_change
        self.sweeps = sweeps
        groups, spreads = [], []
        for codes, weights in result.steps:
            size = int(codes.max()) + 1
            counts = np.bincount(codes, minlength=size).astype(float)
            groups.append((codes, 1.0 / (weights * counts[codes]), size))
            spreads.append(_cells_to_rows(codes, weights, size))
        self._means = _GroupSums(groups)
        self.spread = sparse.hstack(spreads, format="csr")
        sizes = [size for _, _, size in groups]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        # B_m W_j: how margin j's level values move margin m's level means.
        self._cross = [[_GroupSums([g])(s) for s in spreads] for g in groups]
        total = int(self._offsets[-1])
        # T costs sweeps × margins² products of K×K matrices: worth it unless K is large.
        self._sweep_matrix = self._sweep(np.eye(total)) if total <= _SWEEP_MATRIX_MAX else None

    def _sweep(self, b: np.ndarray) -> np.ndarray:
        """R's sweeps on the margins' level means ``b = B x`` (ΣK×k): the level values ``a``."""
        o = self._offsets
        parts = [b[o[m] : o[m + 1]] for m in range(len(o) - 1)]
        acc = [np.zeros_like(p) for p in parts]
        for _ in range(self.sweeps):
            for m, base in enumerate(parts):
                step = base.copy()
                for j, a in enumerate(acc):
                    step -= self._cross[m][j] @ a
                acc[m] += step
        return np.vstack(acc)

    def collect(self, scores: Any) -> np.ndarray:
        """The margins' level values ``a = T B x`` that the sweeps subtract (ΣK×k)."""
        b = self._means(scores)
        return self._sweep(b) if self._sweep_matrix is None else self._sweep_matrix @ b

    def __repr__(self) -> str:
        margins = [list(m) for m in self.margin_names]
        return (
            f"Raking(margins={margins}, iterations={self.iterations}, converged={self.converged})"
        )


def _dense(matrix: Any) -> np.ndarray:
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)


def calibrated_psu_totals(design: SurveyDesign, scores: Any) -> np.ndarray:
    """PSU totals (P×k) of n×k scores after the design's calibrations, without n×k temporaries.

    Same numbers as ``design.psu_totals(scores)``, but ``scores`` may be a scipy.sparse matrix
    (domain scores are mostly zeros) and the calibrated scores are never formed: with
    projections ``x_i = x_{i-1} - S_i C_i x_{i-1}`` the result is ``x - Σ S_j a_j`` with
    ``a_i = C_i x - Σ_{j<i} (C_i S_j) a_j``, so the PSU totals are ``P x - Σ (P S_j) a_j``
    (``P`` sums rows into PSUs) and only K×k and P×K matrices are built. Calibrations that are
    not post-stratification or raking fall back to ``design.psu_totals`` on dense scores.
    """
    steps = [step for step in design.calibration if isinstance(step, _LinearCalibration)]
    if len(steps) != len(design.calibration):
        return design.psu_totals(_dense(scores))
    x: Any = scores if sparse.issparse(scores) else _as_matrix(scores)[0]
    if x.shape[0] != design.n:
        raise ValueError(f"scores have {x.shape[0]} rows, the design {design.n}")
    if sparse.issparse(x):
        x = x.tocsr()  # row-ordered, as the sparse products below want
    to_psu = _GroupSums([(design.psu_codes, np.ones(design.n), design.n_psu)])
    totals = to_psu(x)
    done: list[tuple[_LinearCalibration, np.ndarray]] = []
    for step in steps:
        a = step.collect(x)
        for earlier, a_j in done:
            a -= step.collect(earlier.spread) @ a_j
        done.append((step, a))
    for step, a in done:
        totals -= to_psu(step.spread) @ a
    return totals


# ------------------------------------------------------------------------------------------------
# calibrated designs: public functions


def poststratify(
    design: SurveyDesign, by: By, totals: Totals, *, partial: bool = False
) -> SurveyDesign:
    """Post-stratify a design to population totals (R's ``postStratify``).

    Returns a new design with weights ``w × N_c / Σ_c w`` and a :class:`PostStratification`
    appended to ``design.calibration``, so standard errors from every estimator account for the
    post-stratification as R's do. ``by`` names the column(s) of ``design.data`` forming the
    cells; ``totals`` and ``partial`` are as in :func:`poststratify_weights`.
    """
    coded = _cells(design.data, by, "post-stratum", "hậu phân tầng")
    step = _poststratify(design.weights, coded, totals, partial, "post-stratum", "Hậu tầng")
    calibration = PostStratification(
        step.codes, step.weights, step.old_weights, step.labels, coded.names
    )
    return design.with_weights(step.weights, calibration=(*design.calibration, calibration))


def rake(
    design: SurveyDesign,
    margins: Margins,
    *,
    max_iter: int = 100,
    epsilon: float = 1e-10,
    on_nonconvergence: str = "error",
) -> SurveyDesign:
    """Rake a design to population margins (R's ``rake``), keeping the SEs honest.

    Returns a new design with the raked weights and a :class:`Raking` step appended to
    ``design.calibration`` (earlier calibrations stay, as in R). ``margins`` and the
    convergence control are those of :func:`rake_weights`; pass ``max_iter=10, epsilon=1``
    for R's defaults. ``design.calibration[-1].iterations`` and ``.converged`` tell how the
    raking ended.
    """
    result = _rake(design.weights, design.data, margins, max_iter, epsilon, on_nonconvergence)
    return design.with_weights(result.weights, calibration=(*design.calibration, Raking(result)))


def trim(
    design: SurveyDesign,
    upper: float = math.inf,
    lower: float = -math.inf,
    *,
    strict: bool = False,
) -> SurveyDesign:
    """Trim a design's weights (R's ``trimWeights``); earlier calibrations are kept.

    As in R, the design keeps its calibration steps, so SEs still project on them; re-rake
    with :func:`rake` afterwards to restore the margins (that appends a second raking).
    """
    weights = trim_weights(design.weights, upper, lower, strict=strict)
    return design.with_weights(weights, calibration=design.calibration)
