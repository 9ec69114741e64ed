"""Estimate means, proportions, totals, ratios and quantiles, by domain, with design-based SEs.

Every estimator follows R's ``survey`` package (Lumley 2004; *Complex Surveys*, 2010):

- the point estimate uses the design weights; missing values (NaN) are left out as
  ``na.rm=TRUE`` does, which keeps the full design (the rows just stop contributing);
- the standard error comes from Taylor linearisation: each estimate has per-row scores
  (influence values times weights, Binder 1983) whose PSU totals go to
  :meth:`SurveyDesign.psu_total_variance`;
- domains (``by=``) are estimated on the full design, never by filtering rows first, so PSUs
  without domain members count as zeros and ``n_h`` stays the design's (Lohr, *Sampling*, §14.2);
  all domains are done at once with grouped sums (``np.bincount``), never a loop over domains;
- ``df`` is the domain's PSUs minus its strata (R's ``degf(subset(design, ...))``); CIs are Wald
  with that df for means, totals and ratios, and logit ("xlogit", R's ``svyciprop``) for
  proportions;
- ``deff`` is R's ``deff=TRUE``: the variance over the variance of a simple random sample of the
  same size drawn without replacement, ``s^2 (N - n) / (N n)`` with ``s^2`` the weighted
  variance with Kish's ``n / (n - 1)``;
- quantiles are R's ``svyquantile`` defaults (``qrule="math"``, Woodruff interval on the
  estimated CDF, ``interval.type="mean"``), with ``std_error = CI width / (2 t)``.

Contrasts (:func:`gap`) keep the covariance between the two domains: the female-male gap's SE
comes from the PSU totals of the difference of the two domains' scores, and the gender parity
index F/M gets a delta-method SE the same way (R's ``svycontrast`` on ``svyby(covmat=TRUE)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np

from analysis.design import SurveyDesign, array_codes, factor_codes
from analysis.errors import AnalysisError, format_rows
from analysis.student_t import t_quantile_two_sided

if TYPE_CHECKING:
    import pandas as pd

# pandas loads when a column needs it (text, missing integers, a changed DataFrame): numeric
# columns of a design built on an Arrow table come from SurveyDesign.column_array.

__all__ = [
    "Estimate",
    "EstimateTable",
    "GapEstimate",
    "area_codes",
    "gap",
    "mean",
    "proportion",
    "quantile",
    "ratio",
    "total",
]

#: Below this share of rows with a value, domain sums run over those rows only.
_COMPACT_SHARE = 0.5

#: Above this many PSU × domain cells, means, proportions, totals and ratios keep the cells
#: sparse (small areas on a million persons); the dense matrices would take gigabytes.
_SPARSE_CELLS = 20_000_000

#: Build dense score chunks of at most this many cells for calibrated designs (~64 MB).
_DENSE_CELLS = 8_000_000


@dataclass(frozen=True)
class Estimate:
    """One estimate: a variable (and a level for proportions) in one domain."""

    variable: str
    level: str | None
    domain: dict[str, Any]
    statistic: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    df: int
    deff: float
    n_unweighted: int
    sum_weights: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (NaN becomes None)."""
        return {k: _plain(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class GapEstimate:
    """The difference ``a - b`` between two groups (e.g. women − men) and their ratio ``a / b``."""

    variable: str
    level: str | None
    domain: dict[str, Any]
    between: str
    group_a: Any
    group_b: Any
    estimate_a: float
    estimate_b: float
    difference: float
    std_error: float
    ci_low: float
    ci_high: float
    df: int
    p_value: float
    ratio: float
    ratio_std_error: float
    ratio_ci_low: float
    ratio_ci_high: float
    n_unweighted_a: int
    n_unweighted_b: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (NaN becomes None)."""
        return {k: _plain(v) for k, v in asdict(self).items()}


Row = TypeVar("Row", Estimate, GapEstimate)


@dataclass(frozen=True, eq=False)
class EstimateTable(Sequence[Row]):
    """The rows returned by an estimator, in domain order (then level order).

    Rows are :class:`Estimate` (mean, proportion, total, ratio, quantile estimators) or
    :class:`GapEstimate` (:func:`gap`). A table equals another table, list or tuple holding the
    same rows in the same order.
    """

    rows: tuple[Row, ...]
    design: SurveyDesign = field(repr=False)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Row, ...]: ...

    def __getitem__(self, index: int | slice) -> Row | tuple[Row, ...]:
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EstimateTable):
            return self.rows == other.rows
        if isinstance(other, list | tuple):
            return list(self.rows) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def find(self, level: str | None = None, **domain: Any) -> Row:
        """The row with this level and these domain values (``find("1", sex="F")``)."""
        for row in self.rows:
            if row.level == level and all(row.domain.get(k) == v for k, v in domain.items()):
                return row
        raise KeyError(f"no estimate for level={level!r}, domain={domain!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per estimate; domain columns first."""
        records = []
        for row in self.rows:
            record = dict(row.domain)
            record.update({k: v for k, v in asdict(row).items() if k != "domain"})
            records.append(record)
        import pandas as pd

        return pd.DataFrame.from_records(records)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------------------------
# data access


def _column(design: SurveyDesign, column: str) -> pd.Series:
    if column not in design.data.columns:
        available = ", ".join(map(str, design.data.columns[:30]))
        raise AnalysisError(
            f"column '{column}' is not in the data; columns are: {available}",
            f"Không có cột '{column}' trong dữ liệu; các cột hiện có: {available}",
            column=column,
        )
    return design.data[column]


def _column_array(design: SurveyDesign, column: str) -> np.ndarray | None:
    """:meth:`SurveyDesign.column_array`; None for designs without it (replicate designs)."""
    column_array = getattr(design, "column_array", None)
    return None if column_array is None else column_array(column)


def _numeric(design: SurveyDesign, column: str) -> np.ndarray:
    """The column as floats, NaN for missing; text that is not a number is an error."""
    array = _column_array(design, column)
    if array is not None:
        return np.array(array, dtype=float)
    import pandas as pd

    raw = _column(design, column)
    if pd.api.types.is_bool_dtype(raw):
        raw = raw.astype(float)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        rows = list(raw.index[bad.to_numpy()])
        raise AnalysisError(
            f"column '{column}' must be numeric; rows {format_rows(rows)} are not (use "
            f"proportion for a categorical variable)",
            f"Cột '{column}' phải là số; các dòng {format_rows(rows, 'vi')} không phải số "
            f"(dùng proportion cho biến phân loại)",
            column=column,
            rows=rows,
        )
    return np.asarray(values.to_numpy(dtype=float))


def _level_label(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _codes_of(design: SurveyDesign, column: str) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """Sorted factor codes of a column (−1 for missing), cached: the design's data is frozen."""
    cache: dict[str, tuple[np.ndarray, pd.Index | np.ndarray]] = design.__dict__.setdefault(
        "_codes_cache", {}
    )
    if column not in cache:
        array = _column_array(design, column)
        if array is not None:
            codes, uniques = array_codes(array)
        else:
            codes, uniques = factor_codes(_column(design, column))
        # int32 codes: the cache holds one array per column used, 4 bytes a row is enough.
        cache[column] = (codes.astype(np.int32), uniques)
    return cache[column]


def _categories(design: SurveyDesign, column: str) -> tuple[np.ndarray, list[str]]:
    """Level codes (−1 for missing) and level labels, in sorted level order."""
    codes, uniques = _codes_of(design, column)
    return codes, [_level_label(u) for u in uniques]


@dataclass(frozen=True)
class _Domains:
    codes: np.ndarray  # per row, -1 outside every domain (missing by-value)
    labels: list[dict[str, Any]]

    @property
    def count(self) -> int:
        return len(self.labels)


def _domains(design: SurveyDesign, by: Sequence[str]) -> _Domains:
    """Code each row's domain (the combination of the ``by`` columns), cached on the design."""
    key = tuple(by)
    cache: dict[tuple[str, ...], _Domains] = design.__dict__.setdefault("_domain_cache", {})
    if key in cache:
        return cache[key]
    n = design.n
    if not key:
        result = _Domains(np.zeros(n, dtype=np.int32), [{}])
        cache[key] = result
        return result
    combined = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    uniques_list = []
    for column in key:
        codes, uniques = _codes_of(design, column)
        missing |= codes < 0
        combined = combined * max(len(uniques), 1) + np.maximum(codes, 0)
        uniques_list.append(uniques)
    sizes = [max(len(u), 1) for u in uniques_list]
    space = int(np.prod(sizes, dtype=np.int64))
    present = np.bincount(combined[~missing], minlength=space) > 0
    lookup = np.full(space, -1, dtype=np.int64)
    lookup[present] = np.arange(int(present.sum()))
    codes_out = np.where(missing, -1, lookup[combined]).astype(np.int32)
    uniques_list = [[_plain(u) for u in uniques.tolist()] for uniques in uniques_list]
    labels = []
    for flat in np.flatnonzero(present):
        parts = []
        for size in reversed(sizes):
            parts.append(int(flat % size))
            flat //= size
        parts.reverse()
        labels.append(
            {
                column: uniques[i]
                for column, uniques, i in zip(key, uniques_list, parts, strict=True)
            }
        )
    result = _Domains(codes_out, labels)
    cache[key] = result
    return result


def area_codes(design: SurveyDesign, by: str | Sequence[str]) -> np.ndarray:
    """Each row's domain of ``by`` as the code the estimators use (``0, 1, …`` in the order of
    the estimates' domains; ``-1`` where a ``by`` value is missing), cached on the design, so
    a caller summing by the same domains does not code the column again."""
    return _domains(design, _by_list(by)).codes


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


# --------------------------------------------------------------------------------------------
# linearisation core


@dataclass(frozen=True)
class _Values:
    """The analysed values of all n rows (anything at rows not kept): one numeric column,
    level codes, or a matrix."""

    numeric: np.ndarray | None = None  # (n,)
    levels: np.ndarray | None = None  # (n,) codes 0..n_levels-1
    n_levels: int = 1
    matrix: np.ndarray | None = None  # (n, k)

    @property
    def width(self) -> int:
        if self.matrix is not None:
            return int(self.matrix.shape[1])
        return self.n_levels if self.levels is not None else 1

    def dense(self, rows: np.ndarray) -> np.ndarray:
        """The values of ``rows`` as a matrix (indicators for levels)."""
        if self.matrix is not None:
            return np.asarray(self.matrix[rows])
        if self.levels is not None:
            return np.asarray(
                (self.levels[rows][:, None] == np.arange(self.n_levels)).astype(float)
            )
        assert self.numeric is not None
        return np.asarray(self.numeric[rows][:, None])

    def take(self, rows: np.ndarray) -> _Values:
        """The values of ``rows`` only."""
        return _Values(
            numeric=None if self.numeric is None else self.numeric[rows],
            levels=None if self.levels is None else self.levels[rows],
            n_levels=self.n_levels,
            matrix=None if self.matrix is None else self.matrix[rows],
        )

    def grouped(self, key: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
        """``sum(w * value)`` per group of ``key`` and per column: groups × width.

        ``w`` is zero wherever the value may be missing, so such rows add nothing.
        """
        if self.levels is not None and self.matrix is None:
            flat = np.bincount(
                key * self.n_levels + np.maximum(self.levels, 0),
                weights=w,
                minlength=groups * self.n_levels,
            )
            return flat.reshape(groups, self.n_levels)
        if self.matrix is None:
            assert self.numeric is not None
            wy = np.where(w != 0, w * self.numeric, 0.0)
            return np.bincount(key, weights=wy, minlength=groups)[:, None]
        return np.column_stack(
            [
                np.bincount(
                    key, weights=np.where(w != 0, w * self.matrix[:, j], 0.0), minlength=groups
                )
                for j in range(self.matrix.shape[1])
            ]
        ).reshape(groups, self.matrix.shape[1])


@dataclass
class _Linear:
    """Estimates ``theta[d, l] = sum(w u_l) / s[d]`` and the PSU totals of their scores.

    Scores of row i (domain d) for column (d, l): ``w_i (u_il - theta_dl v_i) / s_d``; ``v``
    is 1 for means and proportions, the denominator for ratios, 0 for totals.
    """

    theta: np.ndarray  # D×L
    totals: np.ndarray  # P×(D·L), column d·L + l
    n: np.ndarray  # D, rows with a value
    wsum: np.ndarray  # D, their weights
    df: np.ndarray  # D
    cells: np.ndarray  # P×D, rows with a value per PSU and domain
    s: np.ndarray  # D, the estimates' denominators
    # D·L variances, when the scores' PSU totals were kept sparse (``totals`` is then empty)
    variance: np.ndarray | None = None


def _linearise(
    design: SurveyDesign,
    domains: _Domains,
    valid: np.ndarray,
    values: _Values,
    v: np.ndarray | None,
    denominator: str,
    sparse_ok: bool = False,
) -> _Linear:
    """Point estimates and score PSU totals for every domain × column at once.

    ``valid`` marks rows with a value (and a domain); ``values`` (and ``v``) are full length.
    ``denominator`` is "weights" (means, proportions), "one" (totals) or "v" (ratios).

    One pass per aggregate over the rows gives PSU × domain cell sums (counts, weights,
    weighted values); domain sums, estimates and score PSU totals all derive from those cells:
    ``z_pd = (A_pd - theta_d B_pd) / s_d``.
    """
    n_domains = domains.count
    n_psu = design.n_psu
    cells = n_psu * n_domains
    kept = np.count_nonzero(valid)
    if sparse_ok and cells > _SPARSE_CELLS and kept and not design.calibration:
        return _sparse_linear(design, domains, valid, values, v, denominator)
    if 0 < kept < _COMPACT_SHARE * len(valid):
        # Few rows in the population (a table's indicator on a million persons): sum only them.
        rows = np.flatnonzero(valid)
        key = design.psu_codes[rows] * n_domains + domains.codes[rows]
        w = design.weights[rows]
        in_rows = values.take(rows)
        v_rows = None if v is None else v[rows]
    else:
        # Rows without a value go to one extra, discarded cell instead of being copied out.
        key = np.where(valid, design.psu_codes * n_domains + domains.codes, cells)
        w = np.where(valid, design.weights, 0.0)
        in_rows = values
        v_rows = v
    counts = np.bincount(key, minlength=cells + 1)[:cells].reshape(n_psu, n_domains)
    b = np.bincount(key, weights=w, minlength=cells + 1)[:cells].reshape(n_psu, n_domains)
    width = values.width
    a = in_rows.grouped(key, w, cells + 1)[:cells].reshape(n_psu, n_domains, width)
    if denominator == "weights":
        bv: np.ndarray | None = b
    elif denominator == "v":
        assert v_rows is not None
        wv = w * v_rows if in_rows is not values else np.where(valid, w * v_rows, 0.0)
        bv = np.bincount(key, weights=wv, minlength=cells + 1)[:cells].reshape(n_psu, n_domains)
    else:
        bv = None
    wsum = b.sum(axis=0)
    s = np.ones(n_domains) if bv is None else bv.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = a.sum(axis=0) / s[:, None]
        inv_s = np.where(s != 0, 1.0 / s, 0.0)
    safe_theta = np.where(np.isfinite(theta), theta, 0.0)
    if not design.calibration:
        if bv is not None:
            a -= safe_theta[None, :, :] * bv[:, :, None]
        a *= inv_s[None, :, None]
        totals = a.reshape(n_psu, n_domains * width)
    else:
        totals = _calibrated_totals(
            design, domains, valid, values, v, denominator, safe_theta, inv_s
        )
    n = counts.sum(axis=0)
    df = design.degf_from_presence(counts > 0)
    return _Linear(theta, totals, n, wsum, df, counts, s)


def _sparse_linear(
    design: SurveyDesign,
    domains: _Domains,
    valid: np.ndarray,
    values: _Values,
    v: np.ndarray | None,
    denominator: str,
) -> _Linear:
    """:func:`_linearise` over the occupied PSU × domain cells only, with the variances.

    Small domains nested in PSUs (communes on a million persons: 13,500 PSUs × 10,000
    communes) would need dense matrices of 10^8 cells; the same sums over the few occupied
    cells give the same estimates, and :meth:`SurveyDesign.sparse_total_variance` the
    variances. Only for estimates whose table needs the variances alone (not gaps).
    """
    n_domains = domains.count
    rows = np.flatnonzero(valid)
    occupied, cell = np.unique(
        design.psu_codes[rows] * n_domains + domains.codes[rows], return_inverse=True
    )
    n_cells = len(occupied)
    cell_domain = occupied % n_domains
    cell_psu = occupied // n_domains
    w = design.weights[rows]
    counts = np.bincount(cell, minlength=n_cells)
    b = np.bincount(cell, weights=w, minlength=n_cells)
    a = values.take(rows).grouped(cell, w, n_cells)
    width = a.shape[1]
    if denominator == "weights":
        bv: np.ndarray | None = b
    elif denominator == "v":
        assert v is not None
        bv = np.bincount(cell, weights=w * v[rows], minlength=n_cells)
    else:
        bv = None

    def by_domain(per_cell: np.ndarray) -> np.ndarray:
        return np.bincount(cell_domain, weights=per_cell, minlength=n_domains)

    wsum = by_domain(b)
    s = np.ones(n_domains) if bv is None else by_domain(bv)
    a_sum = np.column_stack([by_domain(a[:, j]) for j in range(width)])
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = a_sum / s[:, None]
        inv_s = np.where(s != 0, 1.0 / s, 0.0)
    safe_theta = np.where(np.isfinite(theta), theta, 0.0)
    if bv is not None:
        a = a - safe_theta[cell_domain] * bv[:, None]
    a = a * inv_s[cell_domain][:, None]
    variance = design.sparse_total_variance(
        np.repeat(cell_psu, width),
        (cell_domain[:, None] * width + np.arange(width)).ravel(),
        a.ravel(),
        n_domains * width,
    )
    n = by_domain(counts.astype(float)).astype(np.int64)
    psu_count = np.bincount(cell_domain, minlength=n_domains)
    pairs = np.unique(cell_domain * design.n_strata + design.psu_stratum[cell_psu])
    strata_count = np.bincount(pairs // design.n_strata, minlength=n_domains)
    df = (psu_count - strata_count).astype(np.int64)
    return _Linear(
        theta,
        np.empty((0, n_domains * width)),
        n,
        wsum,
        df,
        np.empty((0, n_domains), np.int64),
        s,
        variance,
    )


def _calibrated_totals(
    design: SurveyDesign,
    domains: _Domains,
    valid: np.ndarray,
    values: _Values,
    v: np.ndarray | None,
    denominator: str,
    theta: np.ndarray,
    inv_s: np.ndarray,
) -> np.ndarray:
    """Score PSU totals on a calibrated design: projections mix rows, so build row scores.

    Domain scores are mostly zeros: when every calibration step is a linear projection that
    ``analysis.weighting.calibrated_psu_totals`` handles (post-stratification, raking), the
    sparse scores go there whole; otherwise they are built as dense column chunks of at most
    ``_DENSE_CELLS`` cells and projected chunk by chunk.
    """
    rows = np.flatnonzero(valid)
    d = domains.codes[rows]
    w = design.weights[rows]
    u = values.dense(rows)
    n_levels = u.shape[1]
    if denominator == "weights":
        vv = np.ones(len(rows))
    elif denominator == "v":
        assert v is not None
        vv = v[rows]
    else:
        vv = np.zeros(len(rows))
    scores = (w[:, None] * (u - theta[d] * vv[:, None])) * inv_s[d][:, None]
    columns = d[:, None] * n_levels + np.arange(n_levels)
    k = domains.count * n_levels
    fast = _sparse_calibrated_totals(design)
    if fast is not None:
        from scipy import sparse

        matrix = sparse.csr_matrix(
            (scores.ravel(), (np.repeat(rows, n_levels), columns.ravel())), shape=(design.n, k)
        )
        return np.asarray(fast(design, matrix))
    chunk = max(1, _DENSE_CELLS // max(design.n, 1))
    parts = []
    for start in range(0, k, chunk):
        stop = min(k, start + chunk)
        dense = np.zeros((design.n, stop - start))
        sel = (columns >= start) & (columns < stop)
        dense[np.broadcast_to(rows[:, None], columns.shape)[sel], columns[sel] - start] = scores[
            sel
        ]
        parts.append(design.psu_totals(dense))
    return np.hstack(parts)


def _srs_variance(lin: _Linear, squares: np.ndarray) -> np.ndarray:
    """R's deff denominator for a mean: ``s^2 (N - n) / (N n)``, s^2 with Kish's n/(n-1).

    ``squares`` (D × L) holds each domain's ``sum(w (u - centre)^2)``.
    """
    n = lin.n[:, None].astype(float)
    big_n = lin.wsum[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = squares / big_n * n / (n - 1)
        vsrs = s2 * (big_n - n) / (big_n * n)
    return np.where(big_n > n, vsrs, np.nan)


def _sparse_calibrated_totals(design: SurveyDesign) -> Any:
    """``analysis.weighting.calibrated_psu_totals`` when it handles every calibration step.

    It computes PSU totals of sparse scores after linear calibrations without n×k temporaries;
    steps it does not know (anything without ``collect``/``spread``) use the dense chunks.
    """
    if not all(hasattr(step, "collect") and hasattr(step, "spread") for step in design.calibration):
        return None
    try:
        from analysis.weighting import calibrated_psu_totals
    except ImportError:
        return None
    return calibrated_psu_totals


def _squares(
    design: SurveyDesign, domains: _Domains, valid: np.ndarray, resid: np.ndarray
) -> np.ndarray:
    """``sum(w * resid^2)`` per domain (D × 1); ``resid`` is full length, used where valid."""
    w2 = np.where(valid, design.weights * np.where(valid, resid, 0.0) ** 2, 0.0)
    codes = np.where(valid, domains.codes, domains.count)
    return np.bincount(codes, weights=w2, minlength=domains.count + 1)[: domains.count, None]


def _per_row(per_domain: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """A per-domain value on every row; NaN on rows outside every domain (code −1)."""
    if len(per_domain) == 0:
        return np.full(len(codes), np.nan)
    return np.where(codes >= 0, per_domain[np.maximum(codes, 0)], np.nan)


def _t_quantile(level: float, df: np.ndarray) -> np.ndarray:
    """Student t quantile per domain df (NaN where df < 1)."""
    return t_quantile_two_sided(level, df)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise AnalysisError(
            f"confidence level must be between 0 and 1, not {level}",
            f"Mức tin cậy phải nằm giữa 0 và 1, không phải {level}",
        )


def _table(
    design: SurveyDesign,
    variable: str,
    statistic: str,
    domains: _Domains,
    levels: Sequence[str | None],
    lin: _Linear,
    vsrs: np.ndarray,
    level: float,
    logit_ci: bool = False,
) -> EstimateTable[Estimate]:
    n_domains, n_levels = lin.theta.shape
    if lin.variance is not None:
        var = lin.variance.reshape(n_domains, n_levels)
    else:
        var = design.psu_total_variance(lin.totals, full=False).reshape(n_domains, n_levels)
    se = np.sqrt(var)
    est = lin.theta
    t = _t_quantile(level, lin.df)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if logit_ci:
            logit = np.log(est / (1 - est))
            half = t * se / (est * (1 - est))
            ci_low = 1 / (1 + np.exp(-(logit - half)))
            ci_high = 1 / (1 + np.exp(-(logit + half)))
        else:
            ci_low = est - t * se
            ci_high = est + t * se
        deff = var / vsrs
    # A domain without a valid value has no estimate (R: NaN), not a zero-variance one.
    empty = lin.n == 0
    for array in (est, se, ci_low, ci_high, deff):
        array[empty] = np.nan
    rows = []
    for i in range(n_domains):
        for j in range(n_levels):
            rows.append(
                Estimate(
                    variable=variable,
                    level=levels[j],
                    domain=domains.labels[i],
                    statistic=statistic,
                    estimate=float(est[i, j]),
                    std_error=float(se[i, j]),
                    ci_low=float(ci_low[i, j]),
                    ci_high=float(ci_high[i, j]),
                    df=int(lin.df[i]),
                    deff=float(deff[i, j]),
                    n_unweighted=int(lin.n[i]),
                    sum_weights=float(lin.wsum[i]),
                )
            )
    return EstimateTable(tuple(rows), design)


# --------------------------------------------------------------------------------------------
# public estimators


def mean(
    design: SurveyDesign, variable: str, by: str | Sequence[str] | None = None, level: float = 0.95
) -> EstimateTable[Estimate]:
    """Weighted mean of a numeric variable per domain (R's ``svymean``/``svyby``, na.rm=TRUE).

    The mean is the ratio ``Σ w y / Σ w`` and its variance the linearised one, with scores
    ``w (y − ȳ) / Σ w`` summed by PSU (Lohr, *Sampling*, 2nd ed., §9.1; Lumley, *Complex
    Surveys*, ch. 2). CIs are Wald with the domain's design df. Returns an
    :class:`EstimateTable`.
    """
    _check_level(level)
    domains = _domains(design, _by_list(by))
    y = _numeric(design, variable)
    valid = ~np.isnan(y) & (domains.codes >= 0)
    lin = _linearise(design, domains, valid, _Values(numeric=y), None, "weights", True)
    resid = y - _per_row(lin.theta[:, 0], domains.codes)
    vsrs = _srs_variance(lin, _squares(design, domains, valid, resid))
    return _table(design, variable, "mean", domains, [None], lin, vsrs, level)


def proportion(
    design: SurveyDesign, variable: str, by: str | Sequence[str] | None = None, level: float = 0.95
) -> EstimateTable[Estimate]:
    """Share of every level of a categorical (or 0/1) variable per domain, logit CIs.

    Missing values are left out of the denominator. R: ``svymean(~factor(x))`` for the SEs and
    deffs, ``svyciprop(method="xlogit")`` on the domain for the CIs: the CI of ``logit(p)`` with
    the linearised SE ``se / (p (1 − p))``, transformed back (Lumley, *Complex Surveys*, ch. 2;
    Lohr, *Sampling*, 2nd ed., §9.1). Returns an :class:`EstimateTable`, one row per level.
    """
    _check_level(level)
    domains = _domains(design, _by_list(by))
    codes, labels = _categories(design, variable)
    valid = (codes >= 0) & (domains.codes >= 0)
    if not labels:
        # No level was observed: one row per domain, estimate NaN and n 0 (R gives NaN).
        return EstimateTable(
            tuple(
                Estimate(
                    variable=variable,
                    level=None,
                    domain=label,
                    statistic="proportion",
                    estimate=math.nan,
                    std_error=math.nan,
                    ci_low=math.nan,
                    ci_high=math.nan,
                    df=0,
                    deff=math.nan,
                    n_unweighted=0,
                    sum_weights=0.0,
                )
                for label in domains.labels
            ),
            design,
        )
    values = _Values(levels=codes, n_levels=len(labels))
    lin = _linearise(design, domains, valid, values, None, "weights", True)
    # For an indicator, sum(w (u - p)^2) = W p (1 - p).
    squares = lin.wsum[:, None] * lin.theta * (1 - lin.theta)
    vsrs = _srs_variance(lin, squares)
    return _table(design, variable, "proportion", domains, labels, lin, vsrs, level, True)


def total(
    design: SurveyDesign, variable: str, by: str | Sequence[str] | None = None, level: float = 0.95
) -> EstimateTable[Estimate]:
    """Weighted total of a numeric variable per domain (R's ``svytotal``, na.rm=TRUE).

    The Horvitz-Thompson total ``Σ w y`` with the with-replacement PSU variance (Lohr,
    *Sampling*, 2nd ed., ch. 6 and §9.1; Lumley, *Complex Surveys*, ch. 2). Returns an
    :class:`EstimateTable`.
    """
    _check_level(level)
    domains = _domains(design, _by_list(by))
    y = _numeric(design, variable)
    valid = ~np.isnan(y) & (domains.codes >= 0)
    lin = _linearise(design, domains, valid, _Values(numeric=y), None, "one", True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_y = lin.theta[:, 0] / lin.wsum
    resid = y - _per_row(mean_y, domains.codes)
    squares = _squares(design, domains, valid, resid)
    vsrs = _srs_variance(lin, squares) * lin.wsum[:, None] ** 2
    return _table(design, variable, "total", domains, [None], lin, vsrs, level)


def ratio(
    design: SurveyDesign,
    numerator: str,
    denominator: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> EstimateTable[Estimate]:
    """Ratio of two weighted totals per domain (R's ``svyratio``); rows missing either are out.

    ``R = Σ w y / Σ w x`` with the linearised scores ``w (y − R x) / Σ w x`` (Lohr, *Sampling*,
    2nd ed., §4.1 and §9.1; Lumley, *Complex Surveys*, ch. 2). Returns an
    :class:`EstimateTable`.
    """
    _check_level(level)
    domains = _domains(design, _by_list(by))
    y = _numeric(design, numerator)
    x = _numeric(design, denominator)
    valid = ~np.isnan(y) & ~np.isnan(x) & (domains.codes >= 0)
    lin = _linearise(design, domains, valid, _Values(numeric=y), x, "v", True)
    d = domains.codes
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = (y - _per_row(lin.theta[:, 0], d) * x) / _per_row(lin.s, d)
    # R: deff(svytotal(r, design)) with r the ratio's linearised variable (mean of r is 0).
    squares = _squares(design, domains, valid, resid)
    vsrs = _srs_variance(lin, squares) * lin.wsum[:, None] ** 2
    return _table(design, f"{numerator}/{denominator}", "ratio", domains, [None], lin, vsrs, level)


def _qrule_math(x_sorted: np.ndarray, cumw: np.ndarray, p: float) -> float:
    """R's ``qrule_math``: the smallest x whose weighted CDF reaches p (exact hit: that x)."""
    if not np.isfinite(p):
        return math.nan
    total_w = cumw[-1]
    pos = int(np.searchsorted(cumw, p * total_w, side="right")) - 1
    if pos < 0:
        return float(x_sorted[0])
    if p - cumw[pos] / total_w == 0:
        return float(x_sorted[pos])
    return float(x_sorted[min(pos + 1, len(x_sorted) - 1)])


def quantile(
    design: SurveyDesign,
    variable: str,
    quantiles: Sequence[float] = (0.25, 0.5, 0.75),
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> EstimateTable[Estimate]:
    """Quantiles per domain as R's ``svyquantile`` defaults (math rule, Woodruff CI).

    The CI inverts the Wald interval of the estimated CDF at the quantile (Woodruff 1952);
    ``std_error`` is its width over ``2 t``; ``level`` of each row is the quantile ("0.5").
    """
    _check_level(level)
    for p in quantiles:
        if not 0 < p < 1:
            raise AnalysisError(
                f"quantiles must be between 0 and 1, not {p}",
                f"Phân vị phải nằm giữa 0 và 1, không phải {p}",
            )
    domains = _domains(design, _by_list(by))
    y = _numeric(design, variable)
    valid = ~np.isnan(y) & (domains.codes >= 0)
    rows = np.flatnonzero(valid)
    d = domains.codes[rows]
    yv = y[rows]
    w = design.weights[rows]
    order = np.lexsort((yv, d))
    d_sorted = d[order]
    bounds = np.searchsorted(d_sorted, np.arange(domains.count + 1))
    n_q = len(quantiles)
    qhat = np.full((domains.count, n_q), np.nan)
    for i in range(domains.count):
        lo, hi = bounds[i], bounds[i + 1]
        if hi == lo:
            continue
        xs = yv[order[lo:hi]]
        cw = np.cumsum(w[order[lo:hi]])
        for j, p in enumerate(quantiles):
            qhat[i, j] = _qrule_math(xs, cw, p)
    # Woodruff: the CDF at each domain's quantile, as a mean of indicators on the full design.
    below = (yv[:, None] <= qhat[d]).astype(float)
    below_all = np.zeros((design.n, n_q))
    below_all[rows] = below
    lin = _linearise(design, domains, valid, _Values(matrix=below_all), None, "weights")
    se_cdf = np.sqrt(design.psu_total_variance(lin.totals, full=False)).reshape(domains.count, n_q)
    t = _t_quantile(level, lin.df)[:, None]
    p_low = lin.theta - t * se_cdf
    p_high = lin.theta + t * se_cdf
    ci_low = np.full_like(qhat, np.nan)
    ci_high = np.full_like(qhat, np.nan)
    for i in range(domains.count):
        lo, hi = bounds[i], bounds[i + 1]
        if hi == lo:
            continue
        xs = yv[order[lo:hi]]
        cw = np.cumsum(w[order[lo:hi]])
        for j in range(n_q):
            if p_low[i, j] >= 0:
                ci_low[i, j] = _qrule_math(xs, cw, p_low[i, j])
            if p_high[i, j] <= 1:
                ci_high[i, j] = _qrule_math(xs, cw, p_high[i, j])
    se = (ci_high - ci_low) / (2 * t)
    out = []
    for i in range(domains.count):
        if lin.n[i] == 0:
            continue
        for j, p in enumerate(quantiles):
            out.append(
                Estimate(
                    variable=variable,
                    level=_level_label(p),
                    domain=domains.labels[i],
                    statistic="quantile",
                    estimate=float(qhat[i, j]),
                    std_error=float(se[i, j]),
                    ci_low=float(ci_low[i, j]),
                    ci_high=float(ci_high[i, j]),
                    df=int(lin.df[i]),
                    deff=math.nan,
                    n_unweighted=int(lin.n[i]),
                    sum_weights=float(lin.wsum[i]),
                )
            )
    return EstimateTable(tuple(out), design)


# --------------------------------------------------------------------------------------------
# contrasts between two groups


def gap(
    design: SurveyDesign,
    variable: str,
    between: tuple[str, Any, Any],
    stat: str = "mean",
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> EstimateTable[GapEstimate]:
    """Gap ``a − b`` and parity index ``a / b`` between two groups, in each ``by`` domain.

    ``between=("sex", "F", "M")`` gives the female − male gap and the gender parity index. The
    two groups' scores are differenced PSU by PSU, so their covariance is kept (R's
    ``svycontrast(svyby(..., covmat=TRUE), c(1, -1))``); the GPI's SE is the delta method,
    ``(z_a − (a/b) z_b) / b`` (Lohr, *Sampling*, 2nd ed., §9.1; Lumley, *Complex Surveys*,
    ch. 2 on ``svycontrast``). CIs are Wald with the df of the two groups together; the p-value is
    two-sided from the t survival function. Returns an :class:`EstimateTable` of
    :class:`GapEstimate` rows.
    """
    _check_level(level)
    if stat not in ("mean", "proportion"):
        raise AnalysisError(
            f"gap needs stat mean or proportion, not '{stat}'",
            f"gap cần stat là mean hoặc proportion, không phải '{stat}'",
        )
    column, group_a, group_b = between
    by_list = _by_list(by)
    if column in by_list:
        raise AnalysisError(
            f"column '{column}' cannot be both the --between and a --by column",
            f"Cột '{column}' không thể vừa là --between vừa là --by",
            column=column,
        )
    outer = _domains(design, by_list)
    group_codes, uniques = _codes_of(design, column)
    labels = [str(u) for u in uniques]
    masks = []
    for group in (group_a, group_b):
        # Match the value itself, or its text (the command line gives "2" for 2).
        hits = [i for i, u in enumerate(uniques) if u == group or labels[i] == str(group)]
        if hits:
            masks.append(group_codes == hits[0])
            continue
        shown = ", ".join(labels[:20])
        raise AnalysisError(
            f"no row has '{group}' in column '{column}'; its values are: {shown}",
            f"Không có dòng nào có giá trị '{group}' ở cột '{column}'; các giá trị là: {shown}",
            column=column,
        )
    in_a, in_b = masks
    # Inner domains: outer domain × group (a = 2d, b = 2d + 1).
    inner_codes = np.where(
        (outer.codes >= 0) & (in_a | in_b), outer.codes * 2 + np.where(in_a, 0, 1), -1
    )
    inner = _Domains(inner_codes, [lab for lab in outer.labels for _ in (0, 1)])
    if stat == "mean":
        y = _numeric(design, variable)
        valid = ~np.isnan(y) & (inner.codes >= 0)
        values = _Values(numeric=y)
        levels: list[str | None] = [None]
    else:
        codes, labels = _categories(design, variable)
        valid = (codes >= 0) & (inner.codes >= 0)
        values = _Values(levels=codes, n_levels=len(labels))
        levels = list(labels)
        if not levels:  # no value at all: no gap to give
            return EstimateTable((), design)
    lin = _linearise(design, inner, valid, values, None, "weights")
    n_outer = outer.count
    n_levels = len(levels)
    est = lin.theta.reshape(n_outer, 2, n_levels)
    totals = lin.totals.reshape(design.n_psu, n_outer, 2, n_levels)
    z_a = totals[:, :, 0, :]
    z_b = totals[:, :, 1, :]
    a = est[:, 0, :]
    b = est[:, 1, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / b
        z_ratio = (z_a - r * z_b) / b
    var_gap = design.psu_total_variance((z_a - z_b).reshape(design.n_psu, -1), full=False).reshape(
        n_outer, n_levels
    )
    var_ratio = design.psu_total_variance(
        np.nan_to_num(z_ratio).reshape(design.n_psu, -1), full=False
    ).reshape(n_outer, n_levels)
    # The two groups together: a PSU counts if it holds either group.
    union_cells = lin.cells.reshape(design.n_psu, n_outer, 2).sum(axis=2)
    df = design.degf_from_presence(union_cells > 0)
    t = _t_quantile(level, df)[:, None]
    diff = a - b
    se = np.sqrt(var_gap)
    se_r = np.where(np.isfinite(r), np.sqrt(var_ratio), np.nan)
    from scipy import stats  # imported here: it costs half a second, only p-values need it

    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = np.abs(diff / se)
        p_value = np.where(
            df[:, None] > 0, 2 * stats.t.sf(tstat, np.maximum(df, 1)[:, None]), np.nan
        )
    n_groups = lin.n.reshape(n_outer, 2)
    out = []
    for i in range(n_outer):
        if n_groups[i].sum() == 0:
            continue
        for j in range(n_levels):
            out.append(
                GapEstimate(
                    variable=variable,
                    level=levels[j],
                    domain=outer.labels[i],
                    between=column,
                    group_a=_plain(group_a),
                    group_b=_plain(group_b),
                    estimate_a=float(a[i, j]),
                    estimate_b=float(b[i, j]),
                    difference=float(diff[i, j]),
                    std_error=float(se[i, j]),
                    ci_low=float(diff[i, j] - t[i, 0] * se[i, j]),
                    ci_high=float(diff[i, j] + t[i, 0] * se[i, j]),
                    df=int(df[i]),
                    p_value=float(p_value[i, j]),
                    ratio=float(r[i, j]),
                    ratio_std_error=float(se_r[i, j]),
                    ratio_ci_low=float(r[i, j] - t[i, 0] * se_r[i, j]),
                    ratio_ci_high=float(r[i, j] + t[i, 0] * se_r[i, j]),
                    n_unweighted_a=int(n_groups[i, 0]),
                    n_unweighted_b=int(n_groups[i, 1]),
                )
            )
    return EstimateTable(tuple(out), design)
