"""Compute survey weights and calibrate designs to population totals, as R's ``survey`` does.

Two layers, sharing one implementation:

**Weight arrays** (the sample/weights step; DOMAIN_BRIEF §4), numpy in, numpy out:

- :func:`base_weights` ``w = 1 / (π1 × π2 × …)`` from the selection probabilities of each stage,
  with :func:`pps_probability` for a PPS stage ``π1 = a_h × M_hi / M_h``;
- :func:`nonresponse_adjust`: weighting-class adjustment ``× Σ eligible / Σ responding`` within
  cells (Lohr, *Sampling*, 2nd ed., §8.5.2); nonrespondents get weight 0;
- :func:`poststratify_weights`: ``× N_c / Σ_c w`` in each post-stratum ``c``;
- :func:`rake_weights`: iterative proportional fitting to several margins, with R's convergence
  control (Deming & Stephan 1940; Lumley, *Complex Surveys*, §7.3);
- :func:`trim_weights`: cap weights and spread the excess over the others (R's ``trimWeights``),
  then re-rake with :func:`rake_weights` (or :func:`rake` on a design).

A typical household-survey chain (the generator of issue 5 follows it)::

    w_base = base_weights(pps_probability(a_h, size, stratum_size), 20 / listed)
    w_adj = nonresponse_adjust(w_base, frame, cells="stratum", responded="responded")
    w_ind = w_adj * eligible_of_sex * 2           # Kish selection and form A/B
    result = calibrate_weights(w_ind, people, ["district", "sex", "age_group"], census,
                               fallback_margins=["district", ("sex", "age_group")])
    w_cal, w_final = result.calibrated, result.weights   # post-stratified (or raked), trimmed

:func:`calibrate_weights` is DOMAIN_BRIEF §4's calibration in one call: post-stratify on the
census cells, or rake to margins when cells are sparse, then trim at 3.5 × median and re-rake.
The pieces (:func:`poststratify_weights`, :func:`rake_weights`, :func:`trim_weights`) are
public for other recipes.

**Calibrated designs**: :func:`poststratify`, :func:`rake` and :func:`trim` take a
:class:`~analysis.design.SurveyDesign` and return a new one with the calibrated weights and a
calibration step appended to ``design.calibration``. The step's ``project(scores)`` replaces the
scores by their residuals on the calibration cells before the PSU sums (the g-weight / residual
approach, Särndal, Swensson & Wretman 1992, §6.6; Lumley 2010, §7.2), exactly as R's
``svyrecvar`` does for ``postStratify()`` and ``rake()``, so every estimator's SE accounts for the
calibration:

- post-stratification: ``x - w_new × (Σ_c w_old z / Σ_c w_old)`` with ``z = x / w_new``;
- raking: 10 sweeps over the margins of ``x - w_m × mean_c(x / w_m)`` (``w_m`` the weights
  after margin ``m`` in the last raking pass), R's fixed number of sweeps.

Data usually arrive with the final weights already calibrated. Calibrating such a design again
to the same totals leaves the weights unchanged (raking stops after one pass) and attaches the
calibration, so the SEs are the calibrated ones: ``rake(SurveyDesign(df, weight="weight_final",
...), margins)``.

:func:`calibrated_psu_totals` gives the same PSU totals from sparse domain scores without
forming the calibrated n×k scores (fast path for estimators on large samples).

Population totals are given as a mapping ``{level: total}`` (tuples of levels for several
variables), a pandas Series indexed by the level(s), or a DataFrame holding the cell columns and
one column of totals (R's ``population`` data frame). Levels match the data by their text, so
district ``178`` matches ``"178"``.

Errors (:class:`WeightingError`, an :class:`~analysis.errors.AnalysisError`, messages in English
and Vietnamese) name the column, the cell and the rows: a cell with respondents but no population
total, a population cell without respondents (collapse it or pass ``partial=True``), margins whose
totals disagree, raking that does not converge, probabilities outside (0, 1].
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError, format_rows

__all__ = [
    "CalibrationResult",
    "PostStratification",
    "RakeResult",
    "Raking",
    "WeightingError",
    "WeightingWarning",
    "base_weights",
    "calibrate_weights",
    "calibrated_psu_totals",
    "nonresponse_adjust",
    "poststratify",
    "poststratify_weights",
    "pps_probability",
    "rake",
    "rake_weights",
    "trim",
    "trim_weights",
]

#: Totals: {level or tuple of levels: total}, a Series indexed by the level(s), or a DataFrame.
Totals = Mapping[Any, float] | pd.Series | pd.DataFrame
#: Column name(s) that define cells or a margin.
By = str | Sequence[str]
#: Raking margins: {column(s): totals} or a sequence of (column(s), totals) pairs.
Margins = Mapping[Any, Totals] | Sequence[tuple[By, Totals]]

#: R's ``svyrecvar`` sweeps the raking margins this many times when projecting scores.
RAKING_PROJECTION_SWEEPS = 10
#: Margins whose totals differ by more than this fraction of the first cannot all be met.
MARGIN_TOTAL_TOLERANCE = 1e-9
#: Raking projections precompute their sweeps as one matrix up to this many margin levels.
_SWEEP_MATRIX_MAX = 1500
#: Rounds of strict trimming before giving up (it converges geometrically).
_STRICT_TRIM_ROUNDS = 10_000


class WeightingError(AnalysisError):
    """A weighting step cannot be done with these data or totals (code ``"weighting"``)."""

    code = "weighting"


class WeightingWarning(UserWarning):
    """Raking stopped before converging (``on_nonconvergence="warn"``); text in EN then VI."""


# ------------------------------------------------------------------------------------------------
# helpers: numbers in messages, cells, totals


def _num(x: float, lang: str = "en") -> str:
    """A number for a message: 1,610,000 (en) or 1.610.000 (vi); up to 6 significant digits."""
    if math.isfinite(x) and float(x).is_integer() and abs(x) < 1e15:
        text = f"{int(x):,}"
    else:
        text = f"{x:,.6g}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _key(value: Any) -> str:
    """The text a level is matched by: 178, 178.0 and "178" all match."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (np.integer, np.bool_)):
        return str(value.item())
    return str(value)


def _by_list(by: By) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _cell_name(names: Sequence[str], labels: Sequence[Any]) -> str:
    return ", ".join(f"{n}={v}" for n, v in zip(names, labels, strict=True))


@dataclass(frozen=True)
class _Cells:
    """Rows coded into cells: ``codes[i]`` indexes ``labels`` (tuples of the columns' values)."""

    names: tuple[str, ...]
    codes: np.ndarray
    labels: list[tuple[Any, ...]]
    index: pd.Index

    @property
    def size(self) -> int:
        return len(self.labels)

    def rows(self, cell: int) -> list[Any]:
        return list(self.index[self.codes == cell])

    def describe(self, cell: int) -> str:
        return _cell_name(self.names, self.labels[cell])


def _cells(
    data: pd.DataFrame,
    by: By,
    role_en: str = "cell",
    role_vi: str = "ô",
    cache: dict[str, tuple[np.ndarray, pd.Index]] | None = None,
) -> _Cells:
    """Code the rows of ``data`` by the joint levels of the ``by`` columns (no missing allowed).

    ``cache`` keeps each column's factorisation for the next call (raking codes every margin
    and then all margin columns crossed; text columns are slow to factorise).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    names = _by_list(by)
    if not names:
        raise WeightingError(f"no {role_en} columns given", f"chưa chỉ định cột {role_vi} nào")
    cache = {} if cache is None else cache
    codes = np.zeros(len(data), dtype=np.int64)
    uniques: list[pd.Index] = []
    for name in names:
        if name not in cache:
            cache[name] = _factorize(data, name, role_en, role_vi)
        col_codes, col_uniques = cache[name]
        codes = codes * len(col_uniques) + col_codes
        uniques.append(col_uniques)
    space = math.prod(len(u) for u in uniques)
    if space <= 4 * len(data) + 1024:
        # Compact the joint codes by counting (linear) rather than sorting.
        present = np.flatnonzero(np.bincount(codes, minlength=space))
        lookup = np.zeros(space, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        inverse = lookup[codes]
    else:
        present, inverse = np.unique(codes, return_inverse=True)
    labels = []
    for key in present:
        parts = []
        for col_uniques in reversed(uniques):
            key, code = divmod(int(key), len(col_uniques))
            parts.append(col_uniques[code])
        labels.append(tuple(reversed(parts)))
    return _Cells(tuple(names), inverse.astype(np.int64).ravel(), labels, data.index)


def _factorize(
    data: pd.DataFrame, name: str, role_en: str, role_vi: str
) -> tuple[np.ndarray, pd.Index]:
    """Sorted level codes of one cell column; a missing column or value is an error."""
    if name not in data.columns:
        available = ", ".join(map(str, data.columns[:30]))
        raise WeightingError(
            f"{role_en} column '{name}' is not in the data; columns are: {available}",
            f"Không có cột {role_vi} '{name}' trong dữ liệu; các cột hiện có: {available}",
            column=name,
        )
    col_codes, col_uniques = pd.factorize(data[name], sort=True)
    missing = col_codes < 0
    if missing.any():
        rows = list(data.index[missing])
        raise WeightingError(
            f"{role_en} column '{name}' is missing in rows {format_rows(rows)}; every row "
            f"needs a {role_en} to be weighted",
            f"Cột {role_vi} '{name}' bị thiếu ở các dòng {format_rows(rows, 'vi')}; mọi dòng "
            f"cần có {role_vi} để tính trọng số",
            column=name,
            rows=rows,
        )
    return col_codes.astype(np.int64), pd.Index(col_uniques)


def _totals_dict(names: Sequence[str], totals: Totals, what_en: str, what_vi: str) -> dict:
    """Normalise totals to ``{tuple of level texts: (float total, original labels)}``."""
    k = len(names)
    pairs: list[tuple[Any, Any]]
    if isinstance(totals, pd.DataFrame):
        missing = [n for n in names if n not in totals.columns]
        others = [c for c in totals.columns if c not in names]
        if missing or len(others) != 1:
            cols = ", ".join(map(str, totals.columns))
            raise WeightingError(
                f"{what_en} totals must have the columns {', '.join(names)} and one column of "
                f"totals; they have {cols}",
                f"Bảng tổng {what_vi} phải có các cột {', '.join(names)} và một cột tổng; bảng "
                f"đang có {cols}",
            )
        keys = totals[list(names)].itertuples(index=False, name=None)
        pairs = list(zip(keys, totals[others[0]].tolist(), strict=True))
    elif isinstance(totals, pd.Series):
        pairs = list(totals.items())
    elif isinstance(totals, Mapping):
        pairs = list(totals.items())
    else:
        raise WeightingError(
            f"{what_en} totals must be a mapping, a pandas Series or a DataFrame, not "
            f"{type(totals).__name__}",
            f"Tổng {what_vi} phải là mapping, pandas Series hoặc DataFrame, không phải "
            f"{type(totals).__name__}",
        )
    out: dict[tuple[str, ...], tuple[float, tuple[Any, ...]]] = {}
    for raw_key, raw_value in pairs:
        key = raw_key if isinstance(raw_key, tuple) else (raw_key,)
        if len(key) != k:
            raise WeightingError(
                f"{what_en} total {raw_key!r} must name {k} level(s), one for each of "
                f"{', '.join(names)}",
                f"Tổng {what_vi} {raw_key!r} phải gồm {k} mức, mỗi mức cho một cột "
                f"{', '.join(names)}",
            )
        text = tuple(_key(v) for v in key)
        try:
            value = float(raw_value)
        except (TypeError, ValueError):
            value = math.nan
        cell = _cell_name(names, key)
        if not math.isfinite(value) or value < 0:
            raise WeightingError(
                f"{what_en} total for {cell} must be a number >= 0, not {raw_value!r}",
                f"Tổng {what_vi} của ô {cell} phải là số >= 0, không phải {raw_value!r}",
            )
        if text in out:
            raise WeightingError(
                f"{what_en} totals give {cell} twice",
                f"Bảng tổng {what_vi} có ô {cell} hai lần",
            )
        out[text] = (value, key)
    return out


def _as_weights(weights: Any, n: int | None = None, name: str = "weights") -> np.ndarray:
    """Weights as a float array, checked: finite and >= 0 (zero marks a nonrespondent)."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1:
        raise WeightingError(
            f"{name} must be one number per row", f"{name} phải là một số cho mỗi dòng"
        )
    if n is not None and len(w) != n:
        raise WeightingError(
            f"{len(w)} {name} given for {n} rows", f"Có {len(w)} {name} cho {n} dòng"
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        rows = np.flatnonzero(bad).tolist()
        raise WeightingError(
            f"{name} must be finite and >= 0; positions {format_rows(rows)} are not",
            f"{name} phải hữu hạn và >= 0; các vị trí {format_rows(rows, 'vi')} không thỏa",
            rows=rows,
        )
    return w


# ------------------------------------------------------------------------------------------------
# base weights and nonresponse


def pps_probability(n_selected: Any, size: Any, stratum_size: Any) -> np.ndarray:
    """Inclusion probability of a PPS stage: ``π = a_h × M_hi / M_h`` (Lohr §6.2).

    ``n_selected`` is the number of units drawn in the stratum (``a_h``), ``size`` the unit's
    measure of size (households ``M_hi``) and ``stratum_size`` the stratum's total size
    (``M_h``); scalars or arrays that broadcast. A probability above 1 means the unit is large
    enough to be taken with certainty: make it its own stratum (π = 1).
    """
    a = np.asarray(n_selected, dtype=float)
    m = np.asarray(size, dtype=float)
    total = np.asarray(stratum_size, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pi = a * m / total
    pi = np.atleast_1d(pi)
    bad = ~np.isfinite(pi) | (pi <= 0) | (pi > 1)
    if bad.any():
        rows = np.flatnonzero(bad).tolist()
        raise WeightingError(
            f"PPS probabilities a_h × M_hi / M_h must be in (0, 1]; positions "
            f"{format_rows(rows)} are not (e.g. {pi[rows[0]]:g}). Units with π > 1 are "
            f"certainty units: put them in their own stratum",
            f"Xác suất PPS a_h × M_hi / M_h phải thuộc (0, 1]; các vị trí "
            f"{format_rows(rows, 'vi')} không thỏa (ví dụ {pi[rows[0]]:g}). Đơn vị có π > 1 "
            f"được chọn chắc chắn: hãy đặt chúng thành một tầng riêng",
            rows=rows,
        )
    return pi


def base_weights(*probabilities: Any) -> np.ndarray:
    """Base weights ``1 / (π1 × π2 × …)`` from the inclusion probabilities of each stage.

    Each argument is a scalar or an array (they broadcast), e.g. the PPS probability of the
    village, ``20 / L_hi`` for the households, ``1 / eligible`` for the Kish selection and
    ``0.5`` for the form. Every probability must be in (0, 1] (Horvitz & Thompson 1952).
    """
    if not probabilities:
        raise WeightingError(
            "base_weights needs at least one stage probability",
            "base_weights cần ít nhất một xác suất chọn",
        )
    product = np.ones(1)
    for stage, raw in enumerate(probabilities, start=1):
        pi = np.atleast_1d(np.asarray(raw, dtype=float))
        bad = ~np.isfinite(pi) | (pi <= 0) | (pi > 1)
        if bad.any():
            rows = np.flatnonzero(bad).tolist()
            value = pi[rows[0]]
            raise WeightingError(
                f"stage {stage} selection probabilities must be in (0, 1]; positions "
                f"{format_rows(rows)} are not (e.g. {value:g})",
                f"Xác suất chọn ở giai đoạn {stage} phải thuộc (0, 1]; các vị trí "
                f"{format_rows(rows, 'vi')} không thỏa (ví dụ {value:g})",
                rows=rows,
            )
        product = product * pi
    return 1.0 / product


def _mask(data: pd.DataFrame, values: str | Any, what: str) -> np.ndarray:
    """A boolean per row from a 0/1 or True/False column name or array (missing is an error)."""
    if isinstance(values, str):
        if values not in data.columns:
            raise WeightingError(
                f"{what} column '{values}' is not in the data",
                f"Không có cột {what} '{values}' trong dữ liệu",
                column=values,
            )
        series = data[values]
        column: str | None = values
    else:
        series = pd.Series(np.asarray(values), index=data.index)
        column = None
        if len(series) != len(data):
            raise WeightingError(
                f"{what} has {len(series)} values for {len(data)} rows",
                f"{what} có {len(series)} giá trị cho {len(data)} dòng",
            )
    bad = ~series.isin([0, 1, True, False]).to_numpy()
    if bad.any():
        rows = list(data.index[bad])
        name = column or what
        raise WeightingError(
            f"{what} '{name}' must be 0/1 (or True/False); rows {format_rows(rows)} are not",
            f"{what} '{name}' phải là 0/1 (hoặc True/False); các dòng "
            f"{format_rows(rows, 'vi')} không thỏa",
            column=column,
            rows=rows,
        )
    return series.to_numpy().astype(bool)


def nonresponse_adjust(
    weights: Any,
    data: pd.DataFrame,
    cells: By,
    responded: str | Any,
    *,
    eligible: str | Any | None = None,
    weighted: bool = True,
    max_factor: float | None = None,
) -> np.ndarray:
    """Weighting-class nonresponse adjustment within cells (Lohr §8.5.2).

    In each cell (joint levels of the ``cells`` columns) respondents' weights are multiplied by
    ``Σ w(eligible) / Σ w(eligible respondents)`` (``weighted=True``), or by the ratio of counts
    ``eligible / responding`` (``weighted=False``, DOMAIN_BRIEF §4's household rule);
    eligible nonrespondents get weight 0, so the cell's weight total is kept. Ineligible units
    (``eligible`` false) keep their weights and do not enter the factor.

    ``responded`` and ``eligible`` name 0/1 columns of ``data`` or give boolean arrays. A cell
    with eligible units but no respondent is an error (collapse it with a neighbour), as is a
    factor above ``max_factor`` when given.
    """
    w = _as_weights(weights, len(data))
    coded = _cells(data, cells, "nonresponse cell", "ô điều chỉnh không trả lời")
    resp = _mask(data, responded, "responded")
    elig = np.ones(len(data), bool) if eligible is None else _mask(data, eligible, "eligible")
    resp = resp & elig
    base = w if weighted else np.ones(len(data))
    all_sum = np.bincount(coded.codes, weights=base * elig, minlength=coded.size)
    resp_sum = np.bincount(coded.codes, weights=base * resp, minlength=coded.size)
    empty = np.flatnonzero((all_sum > 0) & (resp_sum <= 0))
    if len(empty):
        cell = int(empty[0])
        rows = coded.rows(cell)
        raise WeightingError(
            f"nonresponse cell {coded.describe(cell)} has eligible units but no respondents "
            f"(rows {format_rows(rows)}); collapse it with a neighbouring cell",
            f"Ô điều chỉnh không trả lời {coded.describe(cell)} có đơn vị đủ điều kiện nhưng "
            f"không có ai trả lời (các dòng {format_rows(rows, 'vi')}); hãy gộp với ô bên cạnh",
            rows=rows,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(resp_sum > 0, all_sum / resp_sum, 1.0)
    if max_factor is not None:
        high = np.flatnonzero(factor > max_factor)
        if len(high):
            cell = int(high[0])
            rows = coded.rows(cell)
            raise WeightingError(
                f"nonresponse cell {coded.describe(cell)} needs a factor of "
                f"{_num(factor[cell])}, above max_factor {_num(max_factor)} (rows "
                f"{format_rows(rows)}); collapse it with a neighbouring cell",
                f"Ô điều chỉnh không trả lời {coded.describe(cell)} cần hệ số "
                f"{_num(factor[cell], 'vi')}, vượt max_factor {_num(max_factor, 'vi')} (các "
                f"dòng {format_rows(rows, 'vi')}); hãy gộp với ô bên cạnh",
                rows=rows,
            )
    out = w * factor[coded.codes]
    out[elig & ~resp] = 0.0
    out[~elig] = w[~elig]
    return out


# ------------------------------------------------------------------------------------------------
# post-stratification


@dataclass(frozen=True)
class _PostStratum:
    """The outcome of one post-stratification of a weight vector (R's ``postStratify``)."""

    codes: np.ndarray  # row -> post-stratum
    labels: list[tuple[Any, ...]]
    weights: np.ndarray  # new weights
    old_weights: np.ndarray


def _poststratify(
    w: np.ndarray, coded: _Cells, totals: Totals, partial: bool, what_en: str, what_vi: str
) -> _PostStratum:
    table = _totals_dict(coded.names, totals, what_en, what_vi)
    sample_sum = np.bincount(coded.codes, weights=w, minlength=coded.size)
    sample_n = np.bincount(coded.codes, minlength=coded.size)
    target = np.empty(coded.size)
    matched: set[tuple[str, ...]] = set()
    for cell, labels in enumerate(coded.labels):
        text = tuple(_key(v) for v in labels)
        entry = table.get(text)
        if entry is None or entry[0] == 0:
            if sample_sum[cell] == 0:
                # Rows with zero weight only (nonrespondents) in a cell the population lacks.
                target[cell] = 0.0
                matched.add(text)
                continue
            rows = coded.rows(cell)
            shown = "no population total" if entry is None else "a population total of 0"
            shown_vi = "không có tổng tổng thể" if entry is None else "tổng tổng thể bằng 0"
            raise WeightingError(
                f"{what_en} {coded.describe(cell)} has {sample_n[cell]} sample rows "
                f"(weighted {_num(sample_sum[cell])}) but {shown}; add it to the totals or "
                f"recode the rows (rows {format_rows(rows)})",
                f"{what_vi} {coded.describe(cell)} có {sample_n[cell]} dòng mẫu (có trọng số "
                f"{_num(sample_sum[cell], 'vi')}) nhưng {shown_vi}; hãy bổ sung tổng hoặc mã "
                f"hóa lại các dòng (các dòng {format_rows(rows, 'vi')})",
                column=", ".join(coded.names),
                rows=rows,
            )
        matched.add(text)
        if sample_sum[cell] <= 0:
            rows = coded.rows(cell)
            raise WeightingError(
                f"{what_en} {coded.describe(cell)} has a population total of "
                f"{_num(entry[0])} but no respondents with a positive weight (rows "
                f"{format_rows(rows)}); collapse it with a neighbouring cell",
                f"{what_vi} {coded.describe(cell)} có tổng tổng thể {_num(entry[0], 'vi')} "
                f"nhưng không có người trả lời nào có trọng số dương (các dòng "
                f"{format_rows(rows, 'vi')}); hãy gộp với ô bên cạnh",
                column=", ".join(coded.names),
                rows=rows,
            )
        target[cell] = entry[0]
    unmatched = [
        (text, value, labels)
        for text, (value, labels) in table.items()
        if text not in matched and value > 0
    ]
    if unmatched and not partial:
        text, value, labels = unmatched[0]
        cell = _cell_name(coded.names, labels)
        more = len(unmatched) - 1
        also_en = f" ({more} more cells likewise)" if more else ""
        also_vi = f" (còn {more} ô khác như vậy)" if more else ""
        raise WeightingError(
            f"{what_en} {cell} has a population total of {_num(value)} but no rows in the "
            f"sample{also_en}; collapse it with a neighbouring cell, or pass partial=True to "
            f"leave it out",
            f"{what_vi} {cell} có tổng tổng thể {_num(value, 'vi')} nhưng không có dòng nào "
            f"trong mẫu{also_vi}; hãy gộp với ô bên cạnh, hoặc dùng partial=True để bỏ qua",
            column=", ".join(coded.names),
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(sample_sum > 0, target / sample_sum, 0.0)
    return _PostStratum(coded.codes, coded.labels, w * factor[coded.codes], w)


def poststratify_weights(
    weights: Any, data: pd.DataFrame, by: By, totals: Totals, *, partial: bool = False
) -> np.ndarray:
    """Post-stratified weights: ``w × N_c / Σ_c w`` in each cell of the ``by`` columns.

    ``totals`` give the population count ``N_c`` of every cell (see the module docstring for
    the accepted shapes). A sample cell without a total, or with a zero total, is an error; a
    population cell without sample rows is an error unless ``partial=True`` (R's
    ``postStratify(partial=)``), which leaves it out.
    """
    w = _as_weights(weights, len(data))
    coded = _cells(data, by, "post-stratum", "hậu phân tầng")
    return _poststratify(w, coded, totals, partial, "post-stratum", "Hậu tầng").weights


# ------------------------------------------------------------------------------------------------
# raking


@dataclass(frozen=True)
class RakeResult:
    """Raked weights and how the iteration ended.

    ``iterations`` counts full passes over the margins; ``max_change`` is the largest change of
    a cell's weighted total (cells of all margin variables crossed) in the last pass, compared
    with ``tolerance`` (R's ``epsilon`` in weight units).
    """

    weights: np.ndarray
    iterations: int
    converged: bool
    max_change: float
    tolerance: float
    margin_names: tuple[tuple[str, ...], ...]
    # per margin: (row codes, weights right after that margin's step in the last pass)
    steps: tuple[tuple[np.ndarray, np.ndarray], ...] = field(repr=False)


def _margin_list(margins: Margins) -> list[tuple[list[str], Totals]]:
    items = list(margins.items()) if isinstance(margins, Mapping) else list(margins)
    out = []
    for item in items:
        try:
            by, totals = item
        except (TypeError, ValueError):
            raise WeightingError(
                "raking margins must be {column(s): totals} or (column(s), totals) pairs",
                "biên cào phải có dạng {cột: tổng} hoặc các cặp (cột, tổng)",
            ) from None
        out.append((_by_list(by), totals))
    if not out:
        raise WeightingError(
            "raking needs at least one margin", "cào trọng số cần ít nhất một biên"
        )
    return out


def _rake(
    w: np.ndarray,
    data: pd.DataFrame,
    margins: Margins,
    max_iter: int,
    epsilon: float,
    on_nonconvergence: str,
) -> RakeResult:
    """R's ``rake()``: post-stratify on each margin in turn until the cell totals settle."""
    if on_nonconvergence not in ("error", "warn"):
        raise WeightingError(
            f"on_nonconvergence must be 'error' or 'warn', not {on_nonconvergence!r}",
            f"on_nonconvergence phải là 'error' hoặc 'warn', không phải {on_nonconvergence!r}",
        )
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise WeightingError(
            f"max_iter must be a whole number >= 1, not {max_iter!r}",
            f"max_iter phải là số nguyên >= 1, không phải {max_iter!r}",
        )
    if not (epsilon > 0):
        raise WeightingError(
            f"epsilon must be positive, not {epsilon!r}",
            f"epsilon phải dương, không phải {epsilon!r}",
        )
    specs = _margin_list(margins)
    factorised: dict[str, tuple[np.ndarray, pd.Index]] = {}
    coded = [_cells(data, by, "raking margin", "biên cào", factorised) for by, _ in specs]
    names = [", ".join(c.names) for c in coded]
    # Totals are normalised once; margins must agree on the population size.
    sums = []
    for (by, totals), c in zip(specs, coded, strict=True):
        table = _totals_dict(
            c.names, totals, f"raking margin '{', '.join(by)}'", f"biên cào '{', '.join(by)}'"
        )
        sums.append(sum(v for v, _ in table.values()))
    for name, s in zip(names[1:], sums[1:], strict=True):
        if abs(s - sums[0]) > MARGIN_TOTAL_TOLERANCE * abs(sums[0]):
            raise WeightingError(
                f"raking margins disagree on the population size: '{names[0]}' totals "
                f"{_num(sums[0])} but '{name}' totals {_num(s)}; every margin must add up to "
                f"the same population (rescale one of them)",
                f"Các biên cào không khớp tổng dân số: '{names[0]}' có tổng "
                f"{_num(sums[0], 'vi')} nhưng '{name}' có tổng {_num(s, 'vi')}; mọi biên phải "
                f"cộng lại bằng cùng một dân số (hãy điều chỉnh tỉ lệ một biên)",
            )
    # R: epsilon < 1 is relative to the sum of the weights before raking, else in weight units.
    tolerance = epsilon * float(w.sum()) if epsilon < 1 else float(epsilon)
    # Convergence is checked on the cells of all margin variables crossed (R's svytable).
    all_names = list(dict.fromkeys(n for c in coded for n in c.names))
    joint = _cells(data, all_names, "raking margin", "biên cào", factorised)
    old_table = np.bincount(joint.codes, weights=w, minlength=joint.size)
    iterations = 0
    converged = False
    delta = math.inf
    steps: list[tuple[np.ndarray, np.ndarray]] = []
    current = w
    while iterations < max_iter:
        steps = []
        for (by, totals), c in zip(specs, coded, strict=True):
            label = ", ".join(by)
            step = _poststratify(
                current,
                c,
                totals,
                False,
                f"raking margin '{label}', cell",
                f"Biên cào '{label}', ô",
            )
            current = step.weights
            steps.append((step.codes, current))
        new_table = np.bincount(joint.codes, weights=current, minlength=joint.size)
        delta = float(np.max(np.abs(old_table - new_table)))
        if delta < tolerance:
            converged = True
            break
        old_table = new_table
        iterations += 1
    passes = iterations + 1 if converged else iterations
    if not converged:
        en = (
            f"raking did not converge after {passes} passes: the largest change of a cell total "
            f"in the last pass was {_num(delta)} (tolerance {_num(tolerance)}). Raise max_iter, "
            f"loosen epsilon, or check for margins that conflict (e.g. a cell needed by two "
            f"margins that is empty in the sample)"
        )
        vi = (
            f"Cào trọng số không hội tụ sau {passes} vòng: thay đổi lớn nhất của tổng một ô ở "
            f"vòng cuối là {_num(delta, 'vi')} (ngưỡng {_num(tolerance, 'vi')}). Hãy tăng "
            f"max_iter, nới epsilon, hoặc kiểm tra các biên mâu thuẫn (ví dụ một ô cần cho hai "
            f"biên nhưng không có mẫu)"
        )
        if on_nonconvergence == "error":
            raise WeightingError(en, vi)
        warnings.warn(f"{en}\n{vi}", WeightingWarning, stacklevel=3)
    return RakeResult(
        weights=current,
        iterations=passes,
        converged=converged,
        max_change=delta,
        tolerance=tolerance,
        margin_names=tuple(c.names for c in coded),
        steps=tuple(steps),
    )


def rake_weights(
    weights: Any,
    data: pd.DataFrame,
    margins: Margins,
    *,
    max_iter: int = 100,
    epsilon: float = 1e-10,
    on_nonconvergence: str = "error",
) -> RakeResult:
    """Rake weights to population margins by iterative proportional fitting (R's ``rake``).

    ``margins`` maps a column (or a tuple of columns, for a crossed margin such as
    ``("sex", "age_group")``) to its totals. Each pass post-stratifies on every margin in turn;
    after each pass the weighted totals of the cells of all margin variables crossed are
    compared with the previous pass, and raking stops when no cell moved by ``epsilon`` or more
    (``epsilon < 1`` is a fraction of the sum of the input weights, ``>= 1`` is in weight
    units, as in R). After ``max_iter`` passes without converging it raises
    :class:`WeightingError` (``on_nonconvergence="error"``) or warns and returns the last
    weights (``"warn"``, R's behaviour). R's defaults are ``max_iter=10, epsilon=1``.

    Margins whose totals add up to different populations can never all be met and are refused
    up front; empty cells and cells without totals raise as in :func:`poststratify_weights`.
    """
    w = _as_weights(weights, len(data))
    return _rake(w, data, margins, max_iter, epsilon, on_nonconvergence)


# ------------------------------------------------------------------------------------------------
# trimming


def trim_weights(
    weights: Any,
    upper: float = math.inf,
    lower: float = -math.inf,
    *,
    strict: bool = False,
) -> np.ndarray:
    """Cap weights to ``[lower, upper]`` and spread the excess evenly over the others.

    R's ``trimWeights``: the amount cut off (or added) is divided equally among the weights that
    were inside the bounds, so the sum of the weights is kept. With ``strict=True`` this repeats
    until no weight is outside the bounds (the spreading can push some above ``upper``). Re-rake
    afterwards to restore the margins (DOMAIN_BRIEF §4: cap at 3.5 × median, then re-rake).
    Zero weights (nonrespondents) take no part and stay zero.
    """
    full = _as_weights(weights)
    active = full > 0
    if active.all():
        return _trim_positive(full, upper, lower, strict)
    out = full.copy()
    out[active] = _trim_positive(full[active], upper, lower, strict)
    return out


def _trim_positive(w: np.ndarray, upper: float, lower: float, strict: bool) -> np.ndarray:
    if not lower < upper:
        raise WeightingError(
            f"trimming needs lower < upper, got lower={lower:g}, upper={upper:g}",
            f"Cắt trọng số cần lower < upper, nhận lower={lower:g}, upper={upper:g}",
        )
    n = len(w)
    if strict and not (n * lower <= w.sum() <= n * upper):
        raise WeightingError(
            f"strict trimming to [{lower:g}, {upper:g}] is impossible: the {n} weights sum to "
            f"{_num(float(w.sum()))}, so their mean is outside the bounds",
            f"Không thể cắt chặt về [{lower:g}, {upper:g}]: tổng {n} trọng số là "
            f"{_num(float(w.sum()), 'vi')}, nên trung bình của chúng nằm ngoài khoảng",
        )
    # Strict trimming converges geometrically (capped weights get a share of the next excess);
    # in floating point it settles once the shares fall below the weights' precision.
    for _ in range(_STRICT_TRIM_ROUNDS):
        outside = (w < lower) | (w > upper)
        if not outside.any():
            return w
        if outside.all():
            raise WeightingError(
                f"every weight is outside [{lower:g}, {upper:g}]; the excess cannot be spread",
                f"Mọi trọng số đều nằm ngoài [{lower:g}, {upper:g}]; không thể phân bổ phần dư",
            )
        new = np.maximum(lower, np.minimum(w, upper))
        excess = float((w - new).sum())
        new[~outside] += excess / int((~outside).sum())
        w = new
        if not strict:
            return w
    raise WeightingError(
        f"strict trimming did not settle in {_STRICT_TRIM_ROUNDS} rounds; widen the bounds",
        f"Cắt chặt trọng số không ổn định sau {_STRICT_TRIM_ROUNDS} vòng; hãy nới khoảng",
    )


# ------------------------------------------------------------------------------------------------
# the whole calibration step of DOMAIN_BRIEF §4


@dataclass(frozen=True)
class CalibrationResult:
    """Weights from :func:`calibrate_weights`, keeping each stage apart (store them all).

    ``calibrated``: after post-stratification or raking; ``weights``: after trimming and
    re-raking (the final weights). ``method`` is ``"cells"`` (post-stratified on the crossed
    cells) or ``"margins"`` (raked to the fallback margins because ``sparse_cells`` had fewer
    respondents than asked). ``trim_cap`` is the cap used, ``n_trimmed`` how many weights it
    cut, ``rake`` how the final re-raking ended.
    """

    weights: np.ndarray
    calibrated: np.ndarray
    method: str
    sparse_cells: tuple[tuple[Any, ...], ...]
    margins: tuple[tuple[str, ...], ...]
    trim_cap: float
    n_trimmed: int
    rake: RakeResult = field(repr=False)


def _margin_totals(
    table: dict[tuple[str, ...], tuple[float, tuple[Any, ...]]],
    names: Sequence[str],
    margin: Sequence[str],
) -> dict[tuple[Any, ...], float]:
    """Sum crossed-cell totals over the variables a margin leaves out."""
    positions = [names.index(m) for m in margin]
    out: dict[tuple[Any, ...], float] = {}
    for value, labels in table.values():
        key = tuple(labels[i] for i in positions)
        out[key] = out.get(key, 0.0) + value
    return out


def calibrate_weights(
    weights: Any,
    data: pd.DataFrame,
    cells: Sequence[str],
    totals: Totals,
    *,
    min_cell_size: int = 20,
    fallback_margins: Sequence[By] | None = None,
    trim_factor: float | None = 3.5,
    max_iter: int = 100,
    epsilon: float = 1e-10,
) -> CalibrationResult:
    """Calibrate to census cells, falling back to margins, then trim and re-rake (§4).

    ``totals`` hold the population of every crossed cell of the ``cells`` columns (e.g.
    district × sex × age group). When every cell has at least ``min_cell_size`` respondents
    (rows with a positive weight) the weights are post-stratified on the cells; otherwise they
    are raked to ``fallback_margins`` (default: each of the ``cells`` columns alone; give
    e.g. ``["district", ("sex", "age_group")]``), whose totals are the cell totals summed.
    Then weights above ``trim_factor`` × the median positive weight are trimmed
    (:func:`trim_weights`) and the weights re-raked to the same targets (skip with
    ``trim_factor=None``). After re-raking a few weights may again exceed the cap slightly;
    that is the usual compromise (the margins matter more).
    """
    w = _as_weights(weights, len(data))
    names = _by_list(cells)
    coded = _cells(data, names, "calibration cell", "ô hiệu chỉnh")
    table = _totals_dict(names, totals, "calibration cell", "ô hiệu chỉnh")
    respondents = np.bincount(coded.codes, weights=(w > 0).astype(float), minlength=coded.size)
    known = {tuple(_key(v) for v in labels) for labels in coded.labels}
    sparse_cells = [coded.labels[c] for c in np.flatnonzero(respondents < min_cell_size)]
    sparse_cells += [
        labels for text, (value, labels) in table.items() if text not in known and value > 0
    ]
    if not sparse_cells:
        margins: list[tuple[list[str], Totals]] = [(names, totals)]
        method = "cells"
    else:
        chosen = [_by_list(m) for m in (fallback_margins or names)]
        unknown = [c for m in chosen for c in m if c not in names]
        if unknown:
            raise WeightingError(
                f"fallback margin column(s) {', '.join(unknown)} are not among the cell columns "
                f"{', '.join(names)}",
                f"Cột biên dự phòng {', '.join(unknown)} không thuộc các cột ô {', '.join(names)}",
            )
        margins = [(m, _margin_totals(table, names, m)) for m in chosen]
        method = "margins"
    result = _rake(w, data, margins, max_iter, epsilon, "error")
    calibrated = result.weights
    cap = math.inf
    n_trimmed = 0
    final = result
    if trim_factor is not None:
        positive = calibrated[calibrated > 0]
        cap = trim_factor * float(np.median(positive))
        n_trimmed = int((calibrated > cap).sum())
        if n_trimmed:
            trimmed = trim_weights(calibrated, upper=cap)
            final = _rake(trimmed, data, margins, max_iter, epsilon, "error")
    return CalibrationResult(
        weights=final.weights,
        calibrated=calibrated,
        method=method,
        sparse_cells=tuple(sparse_cells),
        margins=tuple(tuple(m) for m, _ in margins),
        trim_cap=cap,
        n_trimmed=n_trimmed,
        rake=final,
    )


# ------------------------------------------------------------------------------------------------
# calibrated designs: the projections the variance applies


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
    steps = design.calibration
    if not all(isinstance(step, _LinearCalibration) for step in steps):
        return design.psu_totals(_dense(scores))
    x = scores if sparse.issparse(scores) else _as_matrix(scores)[0]
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
