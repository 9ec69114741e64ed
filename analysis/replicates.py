"""Replicate-weight designs: jackknife, bootstrap, BRR/Fay, calibration per replicate, estimates.

A :class:`ReplicateDesign` carries the full-sample weights and R replicate weights, with the
settings that turn replicate estimates into a variance, exactly as R's ``svrVar``::

    V = scale * sum_r rscales_r * (theta_r - c)^2,   c = theta (mse=True) or mean_r theta_r

Replicate weights let a user compute correct standard errors from a file that has no strata or
PSU codes (a public-use file, :func:`public_use_file`): the design is in the weights. The
replicates follow R's ``as.svrepdesign`` (survey 4.1):

- ``JKn`` (:func:`jackknife`): one replicate per PSU; the PSU's rows get weight 0, the other
  PSUs of its stratum ``n_h / (n_h - 1)``; ``rscales = (n_h - 1) / n_h``, ``scale = 1``;
- ``subbootstrap`` (:func:`bootstrap`): Rao & Wu's (1988) rescaling bootstrap with ``n_h - 1``
  PSUs drawn with replacement in every stratum, factor ``count * n_h / (n_h - 1)``,
  ``scale = 1 / (R - 1)``, ``rscales = 1`` (R's ``subbootweights``, ``type="subbootstrap"``);
  random draws differ from R's, so the R-pinned tests feed R's replicate weights to this code;
- ``BRR``/``Fay`` (:func:`brr`): strata of exactly two PSUs; half-samples from the rows of a
  Sylvester Hadamard matrix (order a power of two above the number of strata), the chosen PSU
  gets ``2 - rho`` and the other ``rho``; ``scale = 1 / (R (1 - rho)^2)``.

Post-stratification and raking (:func:`poststratify`, :func:`rake`) adjust every replicate's
weights to the population totals as well as the full sample's (R's ``postStratify``/``rake`` on
a replicate design), so the SEs carry the calibration. Raking iterates all columns together and
stops when the *full-sample* margins stop moving, as R does.

Estimators (:func:`mean`, :func:`proportion`, :func:`total`, :func:`ratio`, :func:`gap`,
:func:`quantile`) compute every domain's estimate in the full sample and in each replicate from
grouped sums (domains are rows with weight kept, others add zero: R's ``svyby``). ``df`` is the
rank of the replicate weights minus one, restricted to the domain's rows (R's ``degf``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.linalg import qr

from analysis.design import SurveyDesign, factor_codes
from analysis.errors import AnalysisError
from analysis.estimators import Estimate, EstimateTable, GapEstimate, _qrule_math
from analysis.estimators import _domains as _estimator_domains

__all__ = [
    "REPLICATE_TYPES",
    "ReplicateDesign",
    "bootstrap",
    "brr",
    "from_columns",
    "gap",
    "jackknife",
    "mean",
    "proportion",
    "public_use_file",
    "poststratify",
    "quantile",
    "rake",
    "ratio",
    "replicate",
    "total",
]

REPLICATE_TYPES = ("JKn", "bootstrap", "subbootstrap", "BRR", "Fay", "other")


@dataclass(frozen=True)
class ReplicateDesign:
    """Full-sample weights plus R replicate weights and the variance settings.

    Replicate weights are kept either as PSU factors (``factors`` P×R with ``psu_index`` giving
    each row's PSU: row weight = ``weights[i] * factors[psu_index[i], r]``, R's compressed form,
    light for a million rows) or as a full n×R matrix of analysis weights (``repweights``, after
    calibration or when read from a file).
    """

    data: pd.DataFrame
    weights: np.ndarray
    type: str
    scale: float
    rscales: np.ndarray
    mse: bool = False
    psu_index: np.ndarray | None = None
    factors: np.ndarray | None = None
    repweights: np.ndarray | None = None
    rho: float = 0.0

    @property
    def n(self) -> int:
        """Number of rows."""
        return len(self.weights)

    @property
    def n_replicates(self) -> int:
        """Number of replicates R."""
        return len(self.rscales)

    @property
    def sum_weights(self) -> float:
        """Sum of the full-sample weights."""
        return float(self.weights.sum())

    def replicate_weights(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The analysis weights of every replicate for ``rows`` (len(rows) × R)."""
        if self.repweights is not None:
            return self.repweights[rows]
        assert self.factors is not None and self.psu_index is not None
        return np.asarray(self.weights[rows][:, None] * self.factors[self.psu_index[rows]])

    # ----------------------------------------------------------------------------------------

    def sums(self, x: np.ndarray, domain: np.ndarray, n_domains: int) -> tuple[np.ndarray, ...]:
        """Weighted sums of the n×k columns ``x`` per domain, full sample and each replicate.

        ``domain`` holds codes (−1: the row counts nowhere). Returns (D×k full, R×D×k reps).
        """
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        keep = domain >= 0
        k = x.shape[1]
        if self.factors is not None:
            assert self.psu_index is not None
            n_psu = self.factors.shape[0]
            cells = n_psu * n_domains
            key = np.where(keep, self.psu_index * n_domains + domain, cells)
            w = np.where(keep, self.weights, 0.0)
            grid = np.empty((n_psu, n_domains, k))
            for j in range(k):
                grid[:, :, j] = np.bincount(key, weights=w * x[:, j], minlength=cells + 1)[
                    :cells
                ].reshape(n_psu, n_domains)
            full = grid.sum(axis=0)
            reps = np.einsum("pr,pdk->rdk", self.factors, grid)
            return full, reps
        rows = np.flatnonzero(keep)
        indicator = sparse.csr_matrix(
            (np.ones(len(rows)), (domain[rows], np.arange(len(rows)))),
            shape=(n_domains, len(rows)),
        )
        w = self.weights[rows]
        full = np.asarray(indicator @ (w[:, None] * x[rows]))
        assert self.repweights is not None
        wr = self.repweights[rows]
        reps = np.empty((self.n_replicates, n_domains, k))
        for j in range(k):
            reps[:, :, j] = np.asarray(indicator @ (wr * x[rows, j][:, None])).T
        return full, reps

    def variance(self, reps: np.ndarray, full: np.ndarray) -> np.ndarray:
        """R's ``svrVar`` variance of each column of ``reps`` (R×m) around the full estimate."""
        reps = np.asarray(reps, dtype=float)
        keep = self.rscales > 0
        centre = full if self.mse else np.nanmean(reps[keep], axis=0)
        dev = reps - centre
        return np.asarray(self.scale * np.einsum("rm,rm,r->m", dev, dev, self.rscales))

    def covariance(self, reps: np.ndarray, full: np.ndarray) -> np.ndarray:
        """Full m×m replicate covariance (for contrasts)."""
        keep = self.rscales > 0
        centre = full if self.mse else reps[keep].mean(axis=0)
        dev = (reps - centre) * np.sqrt(self.rscales)[:, None]
        return np.asarray(self.scale * dev.T @ dev)

    def degf(self, mask: np.ndarray | None = None) -> int:
        """Rank of the replicate weights (rows in ``mask``) minus one, as R's ``degf``.

        Rows of one PSU (or with identical replicate factors) add no rank, so the rank is taken
        over distinct factor rows; results are cached per set of distinct rows.
        """
        cache: dict[bytes, int] = self.__dict__.setdefault("_degf_cache", {})
        if self.factors is not None:
            assert self.psu_index is not None
            if mask is None:
                return self.psu_degf(np.arange(self.factors.shape[0]))
            return self.psu_degf(np.unique(self.psu_index[mask]))
        assert self.repweights is not None
        chosen = slice(None) if mask is None else mask
        key = b"all" if mask is None else np.packbits(mask).tobytes()
        if key not in cache:
            ratio = self.repweights[chosen] / self.weights[chosen][:, None]
            cache[key] = _rank(np.unique(np.round(ratio, 12), axis=0)) - 1
        return cache[key]

    def psu_degf(self, psus: np.ndarray) -> int:
        """Rank minus one of the replicate factors of these PSUs (sorted codes), cached."""
        assert self.factors is not None
        cache: dict[bytes, int] = self.__dict__.setdefault("_degf_cache", {})
        key = np.asarray(psus, dtype=np.int64).tobytes()
        if key not in cache:
            cache[key] = _rank(self.factors[psus]) - 1 if len(psus) else -1
        return cache[key]

    def summary(self) -> dict[str, Any]:
        """The design block of the JSON output."""
        return {
            "n": self.n,
            "replicates": self.type,
            "n_replicates": self.n_replicates,
            "scale": self.scale,
            "mse": self.mse,
            "degf": self.degf(),
            "sum_weights": self.sum_weights,
        }


def _rank(matrix: np.ndarray) -> int:
    """R's ``qr(x, tol=1e-5)$rank``: pivoted QR diagonal against the largest."""
    if len(matrix) == 0:
        return 0
    r = qr(matrix, mode="r", pivoting=True)[0]
    diag = np.abs(np.diag(r))
    if not len(diag) or diag[0] == 0:
        return 0
    return int((diag > 1e-5 * diag[0]).sum())


# --------------------------------------------------------------------------------------------
# building replicates from a design


def _psu_strata(design: SurveyDesign) -> tuple[np.ndarray, np.ndarray]:
    return design.psu_codes, design.psu_stratum


def jackknife(design: SurveyDesign, mse: bool = False) -> ReplicateDesign:
    """JKn: delete one PSU at a time (R's ``as.svrepdesign(type="JKn")``, no fpc).

    Strata with one PSU follow R: they give no replicate (``remove``/``certainty``/``average``,
    the latter scaling the others up by PSUs / replicates) or, for ``adjust``, one replicate
    with the stratum dropped and the others weighted ``H / (H - 1)``.
    """
    psu, stratum_of_psu = _psu_strata(design)
    n_psu = design.n_psu
    n_h = design.psu_per_stratum
    columns: list[np.ndarray] = []
    rscales: list[float] = []
    for h in range(design.n_strata):
        members = np.flatnonzero(stratum_of_psu == h)
        if len(members) == 1:
            if design.lonely_psu == "adjust":
                col = np.full(n_psu, design.n_strata / (design.n_strata - 1))
                col[members] = 0.0
                columns.append(col)
                rscales.append((design.n_strata - 1) / design.n_strata)
            continue
        for p in members:
            col = np.ones(n_psu)
            col[members] = n_h[h] / (n_h[h] - 1)
            col[p] = 0.0
            columns.append(col)
            rscales.append((n_h[h] - 1) / n_h[h])
    if not columns:
        raise AnalysisError(
            "no stratum has two PSUs: the jackknife has no replicate",
            "Không tầng nào có hai PSU: không tạo được mẫu lặp jackknife",
        )
    scale = 1.0
    if design.lonely_psu == "average" and len(columns) < n_psu:
        scale = n_psu / len(columns)
    return ReplicateDesign(
        data=design.data,
        weights=design.weights.copy(),
        type="JKn",
        scale=scale,
        rscales=np.asarray(rscales),
        mse=mse,
        psu_index=psu,
        factors=np.column_stack(columns),
    )


def bootstrap(
    design: SurveyDesign, replicates: int = 50, seed: int | None = None, mse: bool = False
) -> ReplicateDesign:
    """Rao–Wu rescaling bootstrap, ``n_h - 1`` PSUs per stratum (R's ``type="subbootstrap"``).

    Each replicate draws ``n_h - 1`` of the stratum's ``n_h`` PSUs with replacement; a PSU's
    factor is its count times ``n_h / (n_h - 1)``. ``scale = 1 / (R - 1)``.
    """
    if replicates < 2:
        raise AnalysisError(
            "the bootstrap needs at least 2 replicates",
            "Bootstrap cần ít nhất 2 mẫu lặp",
        )
    lonely = np.flatnonzero(design.psu_per_stratum < 2)
    if len(lonely):
        label = design.stratum_labels[int(lonely[0])]
        raise AnalysisError(
            f"stratum '{label}' has one PSU: the bootstrap cannot resample it; merge strata",
            f"Tầng '{label}' chỉ có một PSU: bootstrap không lấy lại mẫu được; hãy gộp tầng",
        )
    rng = np.random.default_rng(seed)
    _, stratum_of_psu = _psu_strata(design)
    factors = np.zeros((design.n_psu, replicates))
    for h in range(design.n_strata):
        members = np.flatnonzero(stratum_of_psu == h)
        k = len(members)
        draws = rng.integers(0, k, size=(replicates, k - 1))
        counts = np.zeros((replicates, k))
        np.add.at(counts, (np.repeat(np.arange(replicates), k - 1), draws.ravel()), 1.0)
        factors[members] = counts.T * k / (k - 1)
    return ReplicateDesign(
        data=design.data,
        weights=design.weights.copy(),
        type="subbootstrap",
        scale=1.0 / (replicates - 1),
        rscales=np.ones(replicates),
        mse=mse,
        psu_index=design.psu_codes,
        factors=factors,
    )


def _sylvester(order: int) -> np.ndarray:
    h = np.ones((1, 1))
    while h.shape[0] < order:
        h = np.block([[h, h], [h, -h]])
    return h


def brr(design: SurveyDesign, fay_rho: float = 0.0, mse: bool = False) -> ReplicateDesign:
    """Balanced repeated replication (Fay's variant with ``fay_rho`` > 0); two PSUs a stratum.

    Stratum ``h`` follows column ``h + 1`` of a Sylvester Hadamard matrix of order ``R``, the
    smallest power of two above the number of strata (full orthogonal balance).
    """
    if not 0 <= fay_rho < 1:
        raise AnalysisError(
            f"Fay's rho must be in [0, 1), not {fay_rho}",
            f"Hệ số rho của Fay phải trong [0, 1), không phải {fay_rho}",
        )
    bad = np.flatnonzero(design.psu_per_stratum != 2)
    if len(bad):
        h = int(bad[0])
        label = design.stratum_labels[h]
        count = int(design.psu_per_stratum[h])
        raise AnalysisError(
            f"BRR needs exactly two PSUs in every stratum; stratum '{label}' has {count}. "
            f"Use the jackknife or the bootstrap, or pair PSUs into pseudo-strata",
            f"BRR cần đúng hai PSU mỗi tầng; tầng '{label}' có {count}. Hãy dùng jackknife "
            f"hoặc bootstrap, hoặc ghép PSU thành tầng giả",
        )
    order = 1
    while order <= design.n_strata:
        order *= 2
    hadamard = _sylvester(order)
    _, stratum_of_psu = _psu_strata(design)
    factors = np.empty((design.n_psu, order))
    for h in range(design.n_strata):
        first, second = np.flatnonzero(stratum_of_psu == h)
        sign = hadamard[:, h + 1]
        factors[first] = np.where(sign > 0, 2 - fay_rho, fay_rho)
        factors[second] = np.where(sign > 0, fay_rho, 2 - fay_rho)
    return ReplicateDesign(
        data=design.data,
        weights=design.weights.copy(),
        type="Fay" if fay_rho else "BRR",
        scale=1.0 / (order * (1 - fay_rho) ** 2),
        rscales=np.ones(order),
        mse=mse,
        psu_index=design.psu_codes,
        factors=factors,
        rho=fay_rho,
    )


def replicate(
    design: SurveyDesign,
    kind: str,
    replicates: int | None = None,
    seed: int | None = None,
    fay_rho: float = 0.0,
) -> ReplicateDesign:
    """One entry point for the command line: ``kind`` is jk, bootstrap, brr or fay."""
    if kind in ("jk", "jkn", "JKn"):
        return jackknife(design)
    if kind in ("bootstrap", "subbootstrap"):
        return bootstrap(design, replicates or 50, seed=seed)
    if kind in ("brr", "BRR"):
        return brr(design)
    if kind in ("fay", "Fay"):
        return brr(design, fay_rho=fay_rho or 0.5)
    raise AnalysisError(
        f"unknown replicate type '{kind}' (jk, bootstrap, brr, fay)",
        f"Loại mẫu lặp '{kind}' không hợp lệ (jk, bootstrap, brr, fay)",
    )


def from_columns(
    data: pd.DataFrame,
    weight: str,
    repweights: Sequence[str],
    type: str = "other",
    scale: float = 1.0,
    rscales: Sequence[float] | None = None,
    mse: bool = False,
) -> ReplicateDesign:
    """A replicate design from weight columns already in the data (a public-use file, or R's
    ``svrepdesign(weights=, repweights=, type=, scale=, rscales=, combined.weights=TRUE)``)."""
    missing = [c for c in (weight, *repweights) if c not in data.columns]
    if missing:
        raise AnalysisError(
            f"weight columns {', '.join(missing)} are not in the data",
            f"Không có các cột trọng số {', '.join(missing)} trong dữ liệu",
            column=missing[0],
        )
    if not repweights:
        raise AnalysisError(
            "no replicate weight column given", "Chưa chỉ định cột trọng số mẫu lặp nào"
        )
    w = pd.to_numeric(data[weight], errors="coerce").to_numpy(dtype=float)
    reps = data[list(repweights)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if np.isnan(w).any() or np.isnan(reps).any():
        raise AnalysisError(
            "weight or replicate weight columns have missing or non-numeric values",
            "Cột trọng số hoặc trọng số mẫu lặp có giá trị thiếu hoặc không phải số",
        )
    rs = np.ones(len(repweights)) if rscales is None else np.asarray(rscales, dtype=float)
    if len(rs) != len(repweights):
        raise AnalysisError(
            f"{len(rs)} rscales for {len(repweights)} replicate weights",
            f"Có {len(rs)} rscales cho {len(repweights)} trọng số mẫu lặp",
        )
    return ReplicateDesign(
        data=data,
        weights=w,
        type=type,
        scale=float(scale),
        rscales=rs,
        mse=mse,
        repweights=reps,
    )


# --------------------------------------------------------------------------------------------
# calibration of every replicate


def _cell_codes(
    data: pd.DataFrame, columns: Sequence[str]
) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    frame = data[list(columns)]
    missing = frame.isna().any(axis=1).to_numpy()
    if missing.any():
        rows = list(data.index[missing][:10])
        raise AnalysisError(
            f"calibration columns {', '.join(columns)} are missing in rows {rows}",
            f"Các cột hiệu chỉnh {', '.join(columns)} bị thiếu ở các dòng {rows}",
            column=columns[0],
        )
    codes, uniques = pd.MultiIndex.from_frame(frame.astype(str)).factorize(sort=True)
    return codes.astype(np.int64), [tuple(u) for u in uniques]


def _population(
    population: pd.DataFrame, columns: Sequence[str], cells: list[tuple[Any, ...]]
) -> np.ndarray:
    if "Freq" not in population.columns:
        raise AnalysisError(
            "population totals need a 'Freq' column", "Tổng thể cần cột 'Freq'", column="Freq"
        )
    table = {
        tuple(str(v) for v in row[: len(columns)]): float(row[-1])
        for row in population[[*columns, "Freq"]].itertuples(index=False)
    }
    missing = [cell for cell in cells if cell not in table]
    if missing:
        raise AnalysisError(
            f"no population total for cell {'/'.join(missing[0])} of {', '.join(columns)}",
            f"Không có tổng thể cho ô {'/'.join(missing[0])} của {', '.join(columns)}",
            column=columns[0],
        )
    return np.array([table[cell] for cell in cells])


def _all_weights(rep: ReplicateDesign) -> np.ndarray:
    return np.column_stack([rep.weights, rep.replicate_weights()])


def _poststep(weights: np.ndarray, codes: np.ndarray, target: np.ndarray) -> np.ndarray:
    sums = np.zeros((len(target), weights.shape[1]))
    np.add.at(sums, codes, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(sums > 0, target[:, None] / sums, 0.0)
    return np.asarray(weights * factor[codes])


def poststratify(
    rep: ReplicateDesign, by: Sequence[str], population: pd.DataFrame
) -> ReplicateDesign:
    """Post-stratify the full sample and every replicate to ``population`` (columns ``by`` +
    ``Freq``): R's ``postStratify`` on a replicate design."""
    codes, cells = _cell_codes(rep.data, by)
    target = _population(population, by, cells)
    all_w = _poststep(_all_weights(rep), codes, target)
    return replace(rep, weights=all_w[:, 0], repweights=all_w[:, 1:], factors=None)


def rake(
    rep: ReplicateDesign,
    margins: Sequence[tuple[Sequence[str], pd.DataFrame]],
    maxit: int = 10,
    epsilon: float = 1.0,
) -> ReplicateDesign:
    """Rake full sample and replicates to the margins (R's ``rake`` on a replicate design).

    Each pass post-stratifies to every margin in turn; it stops when the full sample's joint
    table of the margin variables moves less than ``epsilon`` (``epsilon < 1`` is a fraction of
    the weight sum, as in R) or after ``maxit`` passes.
    """
    steps = []
    for columns, population in margins:
        codes, cells = _cell_codes(rep.data, columns)
        steps.append((codes, _population(population, columns, cells)))
    every = sorted({c for columns, _ in margins for c in columns})
    joint, cells = _cell_codes(rep.data, every)
    all_w = _all_weights(rep)
    limit = epsilon * all_w[:, 0].sum() if epsilon < 1 else epsilon
    old = np.bincount(joint, weights=all_w[:, 0], minlength=len(cells))
    for _ in range(maxit):
        for codes, target in steps:
            all_w = _poststep(all_w, codes, target)
        new = np.bincount(joint, weights=all_w[:, 0], minlength=len(cells))
        if np.abs(old - new).max() < limit:
            break
        old = new
    return replace(rep, weights=all_w[:, 0], repweights=all_w[:, 1:], factors=None)


# --------------------------------------------------------------------------------------------
# public-use file


def public_use_file(
    rep: ReplicateDesign, drop: Sequence[str] = (), prefix: str = "repw"
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Data without the design and location columns, with replicate weights added.

    ``drop`` names the columns to remove (strata, PSU, commune, village, household codes...).
    Returns the table (``weight`` then ``repw001``… analysis weights) and the settings a user
    needs (R: ``svrepdesign(weights=~weight, repweights="repw[0-9]+", type="other",
    scale=, rscales=, mse=, combined.weights=TRUE)``).
    """
    kept = rep.data.drop(columns=[c for c in drop if c in rep.data.columns])
    width = max(3, len(str(rep.n_replicates)))
    names = [f"{prefix}{i + 1:0{width}d}" for i in range(rep.n_replicates)]
    weights = pd.DataFrame(rep.replicate_weights(), columns=names, index=kept.index)
    full = pd.DataFrame({"weight": rep.weights}, index=kept.index)
    out = pd.concat([kept.drop(columns=["weight"], errors="ignore"), full, weights], axis=1)
    settings = {
        "type": rep.type,
        "weight": "weight",
        "repweights": names,
        "scale": rep.scale,
        "rscales": rep.rscales.tolist(),
        "mse": rep.mse,
        "combined_weights": True,
        "r_call": (
            f'svrepdesign(data=d, weights=~weight, repweights="{prefix}[0-9]+", '
            f'type="other", scale={rep.scale!r}, rscales=rscales, mse={str(rep.mse).upper()}, '
            f"combined.weights=TRUE)"
        ),
    }
    return out, settings


# --------------------------------------------------------------------------------------------
# estimators


def _domains(rep: ReplicateDesign, by: str | Sequence[str] | None) -> tuple[np.ndarray, list[Any]]:
    """Domain codes (−1: missing by-value) and labels, shared with the linearisation estimators."""
    columns = [by] if isinstance(by, str) else list(by or [])
    domains = _estimator_domains(rep, columns)  # type: ignore[arg-type]
    return domains.codes.astype(np.int64), domains.labels


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _numeric(rep: ReplicateDesign, column: str) -> np.ndarray:
    if column not in rep.data.columns:
        raise AnalysisError(
            f"column '{column}' is not in the data",
            f"Không có cột '{column}' trong dữ liệu",
            column=column,
        )
    values = pd.to_numeric(rep.data[column], errors="coerce")
    if (values.isna() & rep.data[column].notna()).any():
        raise AnalysisError(
            f"column '{column}' must be numeric",
            f"Cột '{column}' phải là số",
            column=column,
        )
    return np.asarray(values.to_numpy(dtype=float))


def _t(level: float, df: np.ndarray | int) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    return np.where(df > 0, stats.t.ppf(0.5 + level / 2, np.maximum(df, 1)), np.nan)


def _domain_df(rep: ReplicateDesign, valid: np.ndarray, codes: np.ndarray, count: int) -> list[Any]:
    """Each domain's replicate rank minus one; PSU factor designs find each domain's PSUs with
    one grouped count instead of a pass over the rows per domain."""
    if rep.factors is None or rep.psu_index is None:
        return [rep.degf(valid & (codes == d)) for d in range(count)]
    n_psu = rep.factors.shape[0]
    keep = valid & (codes >= 0)
    present = (
        np.bincount(rep.psu_index[keep] * count + codes[keep], minlength=n_psu * count).reshape(
            n_psu, count
        )
        > 0
    )
    return [rep.psu_degf(np.flatnonzero(present[:, d])) for d in range(count)]


def _rows(
    rep: ReplicateDesign,
    variable: str,
    statistic: str,
    labels: list[Any],
    levels: list[Any],
    est: np.ndarray,
    var: np.ndarray,
    df: list[Any],
    n: np.ndarray,
    wsum: np.ndarray,
    level: float,
    logit: bool = False,
) -> EstimateTable[Any]:
    se = np.sqrt(var)
    t = _t(level, np.asarray(df))[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if logit:
            centre = np.log(est / (1 - est))
            half = t * se / (est * (1 - est))
            low = 1 / (1 + np.exp(-(centre - half)))
            high = 1 / (1 + np.exp(-(centre + half)))
        else:
            low, high = est - t * se, est + t * se
    out = []
    for d, label in enumerate(labels):
        for j, lev in enumerate(levels):
            out.append(
                Estimate(
                    variable=variable,
                    level=lev,
                    domain=label,
                    statistic=statistic,
                    estimate=float(est[d, j]),
                    std_error=float(se[d, j]),
                    ci_low=float(low[d, j]),
                    ci_high=float(high[d, j]),
                    df=int(df[d]),
                    deff=math.nan,
                    n_unweighted=int(n[d]),
                    sum_weights=float(wsum[d]),
                )
            )
    return EstimateTable(tuple(out), rep)  # type: ignore[arg-type]


def _ratio_of_sums(
    rep: ReplicateDesign, num: np.ndarray, den: np.ndarray, codes: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimates ``sum(w num_j) / sum(w den)`` per domain: (D×k full, R×D×k reps, D×k var)."""
    full, reps = rep.sums(np.column_stack([num, den]), codes, count)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = full[:, :-1] / full[:, -1:]
        rest = reps[:, :, :-1] / reps[:, :, -1:]
    var = rep.variance(rest.reshape(rep.n_replicates, -1), est.ravel()).reshape(est.shape)
    return est, rest, var


def mean(
    rep: ReplicateDesign, variable: str, by: str | Sequence[str] | None = None, level: float = 0.95
) -> EstimateTable[Any]:
    """Weighted mean per domain with its replicate SE (R ``svymean``/``svyby``, na.rm=TRUE)."""
    codes, labels = _domains(rep, by)
    y = _numeric(rep, variable)
    valid = ~np.isnan(y) & (codes >= 0)
    c = np.where(valid, codes, -1)
    est, _, var = _ratio_of_sums(rep, np.nan_to_num(y)[:, None], np.ones(rep.n), c, len(labels))
    n = np.bincount(c[valid], minlength=len(labels))
    wsum = np.bincount(c[valid], weights=rep.weights[valid], minlength=len(labels))
    df = _domain_df(rep, valid, codes, len(labels))
    return _rows(rep, variable, "mean", labels, [None], est, var, df, n, wsum, level)


def proportion(
    rep: ReplicateDesign, variable: str, by: str | Sequence[str] | None = None, level: float = 0.95
) -> EstimateTable[Any]:
    """Share of every level per domain, replicate SEs and logit CIs."""
    codes, labels = _domains(rep, by)
    if variable not in rep.data.columns:
        raise AnalysisError(
            f"column '{variable}' is not in the data",
            f"Không có cột '{variable}' trong dữ liệu",
            column=variable,
        )
    level_codes, uniques = factor_codes(rep.data[variable])
    names = [str(int(u)) if isinstance(u, float) and u.is_integer() else str(u) for u in uniques]
    valid = (level_codes >= 0) & (codes >= 0)
    c = np.where(valid, codes, -1)
    indicators = (level_codes[:, None] == np.arange(len(names))).astype(float)
    est, _, var = _ratio_of_sums(rep, indicators, np.ones(rep.n), c, len(labels))
    n = np.bincount(c[valid], minlength=len(labels))
    wsum = np.bincount(c[valid], weights=rep.weights[valid], minlength=len(labels))
    df = _domain_df(rep, valid, codes, len(labels))
    return _rows(
        rep, variable, "proportion", labels, names, est, var, df, n, wsum, level, logit=True
    )


def total(
    rep: ReplicateDesign, variable: str, by: str | Sequence[str] | None = None, level: float = 0.95
) -> EstimateTable[Any]:
    """Weighted total per domain with its replicate SE (R ``svytotal``)."""
    codes, labels = _domains(rep, by)
    y = _numeric(rep, variable)
    valid = ~np.isnan(y) & (codes >= 0)
    c = np.where(valid, codes, -1)
    full, reps = rep.sums(np.nan_to_num(y)[:, None], c, len(labels))
    var = rep.variance(reps.reshape(rep.n_replicates, -1), full.ravel()).reshape(full.shape)
    n = np.bincount(c[valid], minlength=len(labels))
    wsum = np.bincount(c[valid], weights=rep.weights[valid], minlength=len(labels))
    df = _domain_df(rep, valid, codes, len(labels))
    return _rows(rep, variable, "total", labels, [None], full, var, df, n, wsum, level)


def ratio(
    rep: ReplicateDesign,
    numerator: str,
    denominator: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> EstimateTable[Any]:
    """Ratio of two weighted totals per domain (R ``svyratio``), replicate SE."""
    codes, labels = _domains(rep, by)
    y = _numeric(rep, numerator)
    x = _numeric(rep, denominator)
    valid = ~np.isnan(y) & ~np.isnan(x) & (codes >= 0)
    c = np.where(valid, codes, -1)
    est, _, var = _ratio_of_sums(rep, np.nan_to_num(y)[:, None], np.nan_to_num(x), c, len(labels))
    n = np.bincount(c[valid], minlength=len(labels))
    wsum = np.bincount(c[valid], weights=rep.weights[valid], minlength=len(labels))
    df = _domain_df(rep, valid, codes, len(labels))
    name = f"{numerator}/{denominator}"
    return _rows(rep, name, "ratio", labels, [None], est, var, df, n, wsum, level)


def gap(
    rep: ReplicateDesign,
    variable: str,
    between: tuple[str, Any, Any],
    stat: str = "mean",
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> list[GapEstimate]:
    """Gap ``a − b`` and parity index ``a / b`` per domain with replicate SEs.

    The difference's SE is the replicate variance of the replicate differences (R's
    ``svycontrast(svyby(..., covmat=TRUE), c(1, -1))``); the index's SE is the delta method on
    the replicate covariance of the two estimates (what ``svycontrast(quote(a/b))`` does).
    """
    column, group_a, group_b = between
    if column not in rep.data.columns:
        raise AnalysisError(
            f"column '{column}' is not in the data",
            f"Không có cột '{column}' trong dữ liệu",
            column=column,
        )
    outer, labels = _domains(rep, by)
    values = rep.data[column]
    text = values.astype(str)
    in_a = ((values == group_a) | (text == str(group_a))).to_numpy()
    in_b = ((values == group_b) | (text == str(group_b))).to_numpy()
    for group, mask in ((group_a, in_a), (group_b, in_b)):
        if not mask.any():
            raise AnalysisError(
                f"no row has '{group}' in column '{column}'",
                f"Không có dòng nào có giá trị '{group}' ở cột '{column}'",
                column=column,
            )
    inner = np.where((outer >= 0) & (in_a | in_b), outer * 2 + np.where(in_a, 0, 1), -1)
    if stat == "mean":
        y = _numeric(rep, variable)
        valid = ~np.isnan(y) & (inner >= 0)
        num = np.nan_to_num(y)[:, None]
        levels: list[str | None] = [None]
    elif stat == "proportion":
        level_codes, uniques = factor_codes(rep.data[variable])
        levels = [
            str(int(u)) if isinstance(u, float) and u.is_integer() else str(u) for u in uniques
        ]
        valid = (level_codes >= 0) & (inner >= 0)
        num = (level_codes[:, None] == np.arange(len(levels))).astype(float)
    else:
        raise AnalysisError(
            f"gap needs stat mean or proportion, not '{stat}'",
            f"gap cần stat là mean hoặc proportion, không phải '{stat}'",
        )
    c = np.where(valid, inner, -1)
    count = 2 * len(labels)
    est, rest, _ = _ratio_of_sums(rep, num, np.ones(rep.n), c, count)
    n_groups = np.bincount(c[valid], minlength=count).reshape(len(labels), 2)
    out = []
    for d, label in enumerate(labels):
        if n_groups[d].sum() == 0:
            continue
        mask = valid & (outer == d)
        df = rep.degf(mask)
        t = float(_t(level, df))
        for j, lev in enumerate(levels):
            a, b = est[2 * d, j], est[2 * d + 1, j]
            reps = np.column_stack([rest[:, 2 * d, j], rest[:, 2 * d + 1, j]])
            cov = rep.covariance(reps, np.array([a, b]))
            se = math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
            r = a / b if b else math.nan
            grad = np.array([1 / b, -a / b**2]) if b else np.array([math.nan, math.nan])
            se_r = float(math.sqrt(max(grad @ cov @ grad, 0.0))) if b else math.nan
            p = 2 * stats.t.sf(abs((a - b) / se), max(df, 1)) if se > 0 and df > 0 else math.nan
            out.append(
                GapEstimate(
                    variable=variable,
                    level=lev,
                    domain=label,
                    between=column,
                    group_a=_plain(group_a),
                    group_b=_plain(group_b),
                    estimate_a=float(a),
                    estimate_b=float(b),
                    difference=float(a - b),
                    std_error=se,
                    ci_low=float(a - b - t * se),
                    ci_high=float(a - b + t * se),
                    df=df,
                    p_value=float(p),
                    ratio=float(r),
                    ratio_std_error=se_r,
                    ratio_ci_low=float(r - t * se_r),
                    ratio_ci_high=float(r + t * se_r),
                    n_unweighted_a=int(n_groups[d, 0]),
                    n_unweighted_b=int(n_groups[d, 1]),
                )
            )
    return out


def _weighted_quantile(x_sorted: np.ndarray, w_sorted: np.ndarray, p: float) -> float:
    """R's ``qrule_math`` on rows already sorted by x; zero weights are left out first."""
    keep = w_sorted > 0
    if not keep.any() or not np.isfinite(p):
        return math.nan
    return _qrule_math(x_sorted[keep], np.cumsum(w_sorted[keep]), p)


def quantile(
    rep: ReplicateDesign,
    variable: str,
    quantiles: Sequence[float] = (0.5,),
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    interval: str = "quantile",
) -> EstimateTable[Any]:
    """Quantiles per domain with replicate-weight CIs, as R's ``svyquantile`` on a replicate
    design with ``qrule="math"``.

    ``interval="quantile"`` (R ``interval.type="quantile"``): the quantile is recomputed in
    every replicate, its SE is the replicate SE and the CI is ``q ± t(df) SE``.
    ``interval="mean"`` (R's default, Woodruff): the replicate SE of the estimated CDF at the
    quantile gives a Wald CI for the CDF, turned back into quantiles; ``SE = width / (2 t)``.
    ``df`` is the domain's replicate rank minus one.
    """
    if interval not in ("quantile", "mean"):
        raise AnalysisError(
            f"interval must be 'quantile' or 'mean', not '{interval}'",
            f"interval phải là 'quantile' hoặc 'mean', không phải '{interval}'",
        )
    for p in quantiles:
        if not 0 < p < 1:
            raise AnalysisError(
                f"quantiles must be between 0 and 1, not {p}",
                f"Phân vị phải nằm giữa 0 và 1, không phải {p}",
            )
    codes, labels = _domains(rep, by)
    y = _numeric(rep, variable)
    valid = ~np.isnan(y) & (codes >= 0)
    out = []
    for d, label in enumerate(labels):
        rows = np.flatnonzero(valid & (codes == d))
        if not len(rows):
            continue
        order = rows[np.argsort(y[rows], kind="stable")]
        xs = y[order]
        w = rep.weights[order]
        wr = rep.replicate_weights(order)
        df = rep.degf(valid & (codes == d))
        t = float(_t(level, df))
        for p in quantiles:
            q = _weighted_quantile(xs, w, p)
            if interval == "quantile":
                reps = np.array(
                    [_weighted_quantile(xs, wr[:, r], p) for r in range(rep.n_replicates)]
                )
                se = math.sqrt(rep.variance(reps[:, None], np.array([q]))[0])
                low, high = q - t * se, q + t * se
            else:
                below = (xs <= q).astype(float)
                f = (w * below).sum() / w.sum()
                f_reps = (wr * below[:, None]).sum(axis=0) / wr.sum(axis=0)
                se_f = math.sqrt(rep.variance(f_reps[:, None], np.array([f]))[0])
                p_low, p_high = f - t * se_f, f + t * se_f
                low = _weighted_quantile(xs, w, p_low) if p_low >= 0 else math.nan
                high = _weighted_quantile(xs, w, p_high) if p_high <= 1 else math.nan
                se = (high - low) / (2 * t)
            out.append(
                Estimate(
                    variable=variable,
                    level=f"{p:g}",
                    domain=label,
                    statistic="quantile",
                    estimate=float(q),
                    std_error=float(se),
                    ci_low=float(low),
                    ci_high=float(high),
                    df=int(df),
                    deff=math.nan,
                    n_unweighted=len(rows),
                    sum_weights=float(w.sum()),
                )
            )
    return EstimateTable(tuple(out), rep)  # type: ignore[arg-type]
