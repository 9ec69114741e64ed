"""Describe a stratified cluster sample once and estimate the variance of totals on it.

``SurveyDesign`` plays the part of R's ``svydesign(ids=~psu, strata=~stratum, weights=~w,
fpc=~fpc)`` (Lumley, *Complex Surveys*, ch. 1-2): it checks the design columns once, codes strata
and PSUs as integers, and offers one variance entry point, :meth:`SurveyDesign.total_variance`,
that every estimator calls with its linearised scores (Taylor linearisation, Binder 1983).

The variance is the with-replacement ("ultimate cluster") approximation of R's ``svyrecvar``::

    V = sum_h f_h * n_h / (n_h - 1) * sum_i (z_hi - mean_h(z_h.))' (z_hi - mean_h(z_h.))

where ``z_hi`` is the total of the scores in PSU ``i`` of stratum ``h``, ``n_h`` the number of
PSUs the stratum has in the *whole* sample (domains never change it: PSUs without domain members
count as zeros), and ``f_h = (N_h - n_h) / N_h`` the finite population correction (1 without
``fpc``). Strata with one PSU follow R's ``options(survey.lonely.psu=)`` rules:

- ``fail``: refuse to build the design;
- ``certainty`` and ``remove``: the stratum adds nothing to the variance;
- ``adjust``: the PSU total is centred on the grand mean of PSU totals (sum of scores / number
  of PSUs), as Stata's ``singleunit(centered)`` and survey >= 4.2 do; for means, proportions and
  ratios, whose scores sum to zero, this equals survey 4.1's centring on zero;
- ``average``: the other strata's variance is scaled up by ``H / (H - lonely strata)``, with
  ``H`` the design's strata (R counts only the strata a domain reaches when it subsets).

Calibration (post-stratification, raking) is a hook: ``design.calibration`` holds objects with a
``project(scores) -> scores`` method returning the residuals of the scores on the calibration
variables (the g-weight approach of R's ``postStratify``/``rake``/``calibrate``, Särndal, Swensson
& Wretman 1992, §6.6); :meth:`total_variance` applies them in order before the PSU sums. A
projection must act on each score column separately (it is linear, column by column).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from analysis.errors import AnalysisError, format_rows
from analysis.lonely_psu import LONELY_PSU_RULES

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# pandas is imported where a DataFrame is needed: a design built on an Arrow table (what the
# command line reads) codes its numeric design columns from NumPy views of the table, so a
# domain estimate on clean numeric columns never loads pandas (a third of a command's time).

__all__ = ["LONELY_PSU_RULES", "Calibration", "SurveyDesign", "factor_codes"]

#: Strata whose sampling fraction leaves less than this unsampled are self-representing (R).
_SELF_REPRESENTING = 1e-7


class Calibration(Protocol):
    """A calibration step remembered by a calibrated design (see module docstring)."""

    def project(self, scores: np.ndarray) -> np.ndarray:
        """Residuals of the n×k scores on the calibration variables, column by column."""
        ...


def array_codes(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factor_codes` of a NumPy integer or float array (NaN missing), without pandas:
    (int64 codes, −1 missing; sorted uniques as an array)."""
    if array.dtype.kind in "iu":
        if len(array) and array.min() >= 0 and array.max() < 10 * len(array) + 1000:
            # Answer codes (districts, sex, choices): O(n) relabelling through a small table.
            present = np.bincount(array) > 0
            lookup = np.cumsum(present) - 1
            return lookup[array], np.flatnonzero(present)
        uniques, codes = np.unique(array, return_inverse=True)
        return codes.astype(np.int64, copy=False).ravel(), uniques
    missing = np.isnan(array)
    uniques, inverse = np.unique(array[~missing], return_inverse=True)
    codes = np.full(len(array), -1, dtype=np.int64)
    codes[~missing] = inverse.ravel()
    return codes, uniques


def factor_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values, sort=True)`` as (int64 codes, −1 missing; uniques), faster for
    small integer codes and for text."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(values.dtype) and not isinstance(
        values.dtype, pd.api.extensions.ExtensionDtype
    ):
        codes, uniques = array_codes(values.to_numpy())
        return codes, pd.Index(uniques)
    if pd.api.types.is_numeric_dtype(values.dtype):
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64, copy=False), pd.Index(uniques)
    # Text: hash without sorting, then sort the few uniques and relabel.
    codes, uniques = pd.factorize(values, sort=False)
    order = np.argsort(np.asarray(uniques, dtype=object).astype(str), kind="stable")
    relabel = np.empty(len(order) + 1, dtype=np.int64)
    relabel[order] = np.arange(len(order))
    relabel[-1] = -1
    return relabel[codes], pd.Index(np.asarray(uniques, dtype=object)[order])


def _require_column(data: pd.DataFrame, column: str, role_en: str, role_vi: str) -> pd.Series:
    if column not in data.columns:
        available = ", ".join(map(str, data.columns[:30]))
        raise AnalysisError(
            f"{role_en} column '{column}' is not in the data; columns are: {available}",
            f"Không có cột {role_vi} '{column}' trong dữ liệu; các cột hiện có: {available}",
            column=column,
        )
    return data[column]


def _is_arrow_table(data: object) -> bool:
    """Whether ``data`` is a ``pyarrow.Table`` (checked without importing pyarrow)."""
    kind = type(data)
    return kind.__name__ == "Table" and kind.__module__.startswith("pyarrow")


def _arrow_numeric(chunked: Any) -> np.ndarray:
    """A numeric Arrow column as one NumPy array, nulls as NaN, read from its buffers:
    pyarrow's own ``to_numpy`` imports pandas."""
    from pyarrow import types

    kind = chunked.type
    letter = "f" if types.is_floating(kind) else ("i" if types.is_signed_integer(kind) else "u")
    dtype = np.dtype(f"{letter}{kind.bit_width // 8}")
    parts = []
    for chunk in chunked.chunks:
        validity, values = chunk.buffers()[:2]
        part = np.frombuffer(
            values, dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize
        )
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
            part = part.copy()
            part[bits[chunk.offset : chunk.offset + len(chunk)] == 0] = np.nan
        parts.append(part)
    if not parts:
        return np.empty(0, dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _missing_rows(values: pd.Series) -> list[Any]:
    return list(values.index[values.isna().to_numpy()])


class SurveyDesign:
    """A stratified (optionally clustered, optionally finite-population) sample design.

    Build it once and reuse it for every estimate::

        design = SurveyDesign(df, weight="weight", strata="district", psu="commune", nest=True)

    ``weight`` names a column (or gives an array of n weights); ``strata`` and ``psu`` name
    columns and may be ``None`` (one stratum; each row its own PSU). ``fpc`` names a column of
    population PSU counts per stratum (all >= 1) or sampling fractions (all <= 1), constant within
    a stratum. ``nest=True`` treats PSU codes as local to their stratum (R's ``nest=TRUE``);
    without it a PSU code found in two strata is an error, because it usually means a data-entry
    slip. ``lonely_psu`` is one of :data:`LONELY_PSU_RULES`.

    ``data`` may also be a ``pyarrow.Table`` (what ``gesurvey analyze`` reads): numeric design
    and analysis columns are then read from the table without pandas, and ``data`` becomes the
    equivalent DataFrame (rows labelled 1, 2, ...) the first time something asks for it.

    Attributes: ``data`` (the DataFrame), ``weights`` (float ndarray), ``n``, ``n_strata``,
    ``n_psu``, ``degf`` (PSUs minus strata), ``sum_weights``, ``calibration`` (tuple).
    """

    weights: np.ndarray
    calibration: tuple[Calibration, ...]

    def __init__(
        self,
        data: pd.DataFrame | pa.Table,
        weight: str | Sequence[float] | np.ndarray,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
        *,
        nest: bool = False,
        calibration: Sequence[Calibration] = (),
    ) -> None:
        self._table: pa.Table | None = None
        self._frame: pd.DataFrame | None = None
        if _is_arrow_table(data):
            self._table = data
        else:
            import pandas as pd

            if not isinstance(data, pd.DataFrame):
                raise TypeError("data must be a pandas DataFrame or a pyarrow Table")
            self._frame = data
        if lonely_psu not in LONELY_PSU_RULES:
            rules = ", ".join(LONELY_PSU_RULES)
            raise AnalysisError(
                f"lonely_psu must be one of {rules}, not '{lonely_psu}'",
                f"lonely_psu phải là một trong {rules}, không phải '{lonely_psu}'",
            )
        self.weight = weight if isinstance(weight, str) else None
        self.strata = strata
        self.psu = psu
        self.fpc = fpc
        self.lonely_psu = lonely_psu
        self.nest = nest
        self.calibration = tuple(calibration)
        self.weights = self._check_weights(weight)
        self.n = len(data)
        if self.n == 0:
            raise AnalysisError("the data have no rows", "dữ liệu không có dòng nào")
        self._build_structure()
        self.sum_weights = float(self.weights.sum())

    # ----------------------------------------------------------------------------------------
    # data access

    @property
    def data(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame; a design built on an Arrow table converts it on first
        use, with rows labelled 1, 2, ... as in messages (``analysis.cli.read_table``)."""
        if self._frame is None:
            import pandas as pd

            assert self._table is not None
            frame = self._table.to_pandas()
            frame.index = pd.RangeIndex(1, len(frame) + 1)
            self._frame = frame
        return self._frame

    @data.setter
    def data(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def column_array(self, column: str) -> np.ndarray | None:
        """A numeric column straight from the Arrow table, without pandas: floats (NaN for
        missing) or integers without missing values, as ``data[column].to_numpy()`` would give
        them. None when ``data`` must answer instead (no table, the DataFrame already exists and
        may have been changed, another type, a missing column: its error message)."""
        table = self._table
        if table is None or self._frame is not None or column not in table.column_names:
            return None
        import pyarrow as pa

        chunked = table.column(column)
        kind = chunked.type
        if pa.types.is_floating(kind) or (pa.types.is_integer(kind) and chunked.null_count == 0):
            return _arrow_numeric(chunked)
        return None

    # ----------------------------------------------------------------------------------------
    # construction and checks

    def _check_weights(self, weight: str | Sequence[float] | np.ndarray) -> np.ndarray:
        if isinstance(weight, str):
            array = self.column_array(weight)
            if array is not None:
                w = np.array(array, dtype=float)
                if ((w > 0) & np.isfinite(w)).all():
                    return w
        import pandas as pd

        data = self.data
        if isinstance(weight, str):
            raw = _require_column(data, weight, "Weight", "trọng số")
            name = weight
        else:
            raw = pd.Series(np.asarray(weight), index=data.index)
            if len(raw) != len(data):
                raise AnalysisError(
                    f"{len(raw)} weights given for {len(data)} rows",
                    f"Có {len(raw)} trọng số cho {len(data)} dòng",
                )
            name = "weight"
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():
            rows = list(raw.index[bad.to_numpy()])
            raise AnalysisError(
                f"weight column '{name}' has non-numeric values in rows {format_rows(rows)}",
                f"Cột trọng số '{name}' có giá trị không phải số ở các dòng "
                f"{format_rows(rows, 'vi')}",
                column=name,
                rows=rows,
            )
        if values.isna().any():
            rows = _missing_rows(values)
            raise AnalysisError(
                f"weight column '{name}' is missing in rows {format_rows(rows)}",
                f"Cột trọng số '{name}' bị thiếu ở các dòng {format_rows(rows, 'vi')}",
                column=name,
                rows=rows,
            )
        w = values.to_numpy(dtype=float)
        nonpositive = ~(w > 0) | ~np.isfinite(w)
        if nonpositive.any():
            rows = list(data.index[nonpositive])
            raise AnalysisError(
                f"weight column '{name}' must be positive and finite; rows "
                f"{format_rows(rows)} are not",
                f"Cột trọng số '{name}' phải dương và hữu hạn; các dòng "
                f"{format_rows(rows, 'vi')} không thỏa",
                column=name,
                rows=rows,
            )
        return np.asarray(w)

    def _codes(
        self, column: str, role_en: str, role_vi: str
    ) -> tuple[np.ndarray, pd.Index | np.ndarray]:
        array = self.column_array(column)
        if array is not None and array.dtype.kind in "iu":
            return array_codes(array)
        values = _require_column(self.data, column, role_en, role_vi)
        if values.isna().any():
            rows = _missing_rows(values)
            raise AnalysisError(
                f"{role_en} column '{column}' is missing in rows {format_rows(rows)}",
                f"Cột {role_vi} '{column}' bị thiếu ở các dòng {format_rows(rows, 'vi')}",
                column=column,
                rows=rows,
            )
        return factor_codes(values)

    def _build_structure(self) -> None:
        n = self.n
        self.stratum_labels: pd.Index | np.ndarray
        if self.strata is None:
            stratum = np.zeros(n, dtype=np.int64)
            self.stratum_labels = np.array(["(all)"], dtype=object)
        else:
            stratum, self.stratum_labels = self._codes(self.strata, "Stratum", "tầng")
        n_strata = len(self.stratum_labels)

        if self.psu is None:
            psu_raw = np.arange(n, dtype=np.int64)
            psu_labels: pd.Index | np.ndarray = np.arange(n)
        else:
            psu_raw, psu_labels = self._codes(self.psu, "PSU", "PSU (đơn vị mẫu cấp 1)")
        # Key (stratum, psu): nested PSUs stay apart; unnested ones must sit in one stratum.
        if self.psu is None:
            unique_keys = stratum * n + psu_raw
            psu = psu_raw
        else:
            key = stratum * len(psu_labels) + psu_raw
            space = n_strata * len(psu_labels)
            if space <= 8 * n + 1_000_000:
                # O(n) dense relabelling instead of sorting a million keys.
                present = np.bincount(key, minlength=space) > 0
                unique_keys = np.flatnonzero(present)
                lookup = np.cumsum(present) - 1
                psu = lookup[key]
            else:
                unique_keys, psu = np.unique(key, return_inverse=True)
            psu = psu.astype(np.int64, copy=False)
        psu_stratum = unique_keys // (n if self.psu is None else len(psu_labels))
        if self.psu is not None and not self.nest and self.strata is not None:
            self._check_psu_nesting(unique_keys % len(psu_labels), psu_labels)

        n_psu = len(unique_keys)
        n_h = np.bincount(psu_stratum, minlength=n_strata)
        self.psu_codes = psu
        self.stratum_codes = stratum
        self.psu_stratum = psu_stratum
        self.psu_per_stratum = n_h
        self.n_strata = int(n_strata)
        self.n_psu = int(n_psu)
        self.degf = int(n_psu - n_strata)
        self._fpc_factor = self._fpc_factors(n_h, stratum)

        lonely = n_h == 1
        if lonely.any() and self.lonely_psu == "fail":
            h = int(np.flatnonzero(lonely)[0])
            label = self.stratum_labels[h]
            rows = list(self.data.index[stratum == h])
            column = self.strata or ""
            raise AnalysisError(
                f"stratum '{label}' (column '{column}') has only one PSU (rows "
                f"{format_rows(rows)}); its variance cannot be estimated. Merge it with a "
                f"neighbouring stratum or choose a lonely-PSU rule (remove, certainty, adjust, "
                f"average)",
                f"Tầng '{label}' (cột '{column}') chỉ có một PSU (các dòng "
                f"{format_rows(rows, 'vi')}); không ước lượng được phương sai. Hãy gộp với tầng "
                f"bên cạnh hoặc chọn quy tắc PSU đơn lẻ (remove, certainty, adjust, average)",
                column=column,
                rows=rows,
            )
        self._lonely_strata = lonely
        # Rows -> PSU sums go through a sparse indicator, built when first needed (scipy is
        # imported then, not when a command only estimates by domain). PSU codes follow their
        # stratum (keys are stratum-major and sorted), so PSU -> stratum sums are contiguous
        # runs: ``np.add.reduceat`` at each stratum's first PSU.
        self._row_to_psu_matrix: Any = None
        self._stratum_starts = np.searchsorted(psu_stratum, np.arange(n_strata))

    def _check_psu_nesting(self, psu_of_key: np.ndarray, psu_labels: pd.Index | np.ndarray) -> None:
        counts = np.bincount(psu_of_key, minlength=len(psu_labels))
        if (counts > 1).any():
            import pandas as pd

            code = int(np.flatnonzero(counts > 1)[0])
            label = psu_labels[code]
            mask = self.data[self.psu].to_numpy() == label
            strata = sorted(map(str, pd.unique(self.data.loc[mask, self.strata])))
            rows = list(self.data.index[mask])
            raise AnalysisError(
                f"PSU '{label}' (column '{self.psu}') appears in strata {', '.join(strata)} "
                f"(column '{self.strata}'), rows {format_rows(rows)}. Give PSUs codes that are "
                f"unique across strata, or pass nest=True (--nest) if PSU codes restart in "
                f"each stratum (R's nest=TRUE)",
                f"PSU '{label}' (cột '{self.psu}') nằm trong nhiều tầng {', '.join(strata)} "
                f"(cột '{self.strata}'), các dòng {format_rows(rows, 'vi')}. Hãy dùng mã PSU "
                f"không trùng giữa các tầng, hoặc dùng nest=True (--nest) nếu mã PSU đánh lại "
                f"trong từng tầng (như nest=TRUE của R)",
                column=self.psu,
                rows=rows,
            )

    def _fpc_factors(self, n_h: np.ndarray, stratum: np.ndarray) -> np.ndarray:
        """Per-stratum ``f_h = (N_h - n_h) / N_h`` (1 without an fpc), as R's ``as.fpc``."""
        if self.fpc is None:
            return np.ones(len(n_h))
        column = self.fpc
        array = self.column_array(column)
        fpc = None if array is None else np.array(array, dtype=float)
        if fpc is None or np.isnan(fpc).any():
            import pandas as pd

            raw = _require_column(self.data, column, "FPC", "hiệu chỉnh quần thể hữu hạn (fpc)")
            values = pd.to_numeric(raw, errors="coerce")
            if values.isna().any():
                rows = _missing_rows(values)
                raise AnalysisError(
                    f"fpc column '{column}' is missing or not numeric in rows {format_rows(rows)}",
                    f"Cột fpc '{column}' bị thiếu hoặc không phải số ở các dòng "
                    f"{format_rows(rows, 'vi')}",
                    column=column,
                    rows=rows,
                )
            fpc = values.to_numpy(dtype=float)
        as_population = bool((fpc > 1).any())
        if as_population and (fpc < 1).any():
            rows = list(self.data.index[fpc < 1])
            raise AnalysisError(
                f"fpc column '{column}' mixes population counts (>1) and sampling fractions "
                f"(<1): rows {format_rows(rows)}",
                f"Cột fpc '{column}' trộn số PSU tổng thể (>1) với tỉ lệ chọn mẫu (<1): các dòng "
                f"{format_rows(rows, 'vi')}",
                column=column,
                rows=rows,
            )
        if not as_population and (fpc <= 0).any():
            rows = list(self.data.index[fpc <= 0])
            raise AnalysisError(
                f"fpc column '{column}' must be positive: rows {format_rows(rows)}",
                f"Cột fpc '{column}' phải dương: các dòng {format_rows(rows, 'vi')}",
                column=column,
                rows=rows,
            )
        lo = np.full(len(n_h), np.inf)
        hi = np.full(len(n_h), -np.inf)
        np.minimum.at(lo, stratum, fpc)
        np.maximum.at(hi, stratum, fpc)
        varying = np.flatnonzero(lo != hi)
        if len(varying):
            h = int(varying[0])
            rows = list(self.data.index[stratum == h])
            label = self.stratum_labels[h]
            raise AnalysisError(
                f"fpc column '{column}' varies within stratum '{label}' (rows "
                f"{format_rows(rows)}); it must be constant in a stratum",
                f"Cột fpc '{column}' thay đổi trong tầng '{label}' (các dòng "
                f"{format_rows(rows, 'vi')}); giá trị phải giống nhau trong một tầng",
                column=column,
                rows=rows,
            )
        population = lo if as_population else n_h / lo
        too_small = np.flatnonzero(population < n_h)
        if len(too_small):
            h = int(too_small[0])
            rows = list(self.data.index[stratum == h])
            raise AnalysisError(
                f"fpc column '{column}' implies more than 100% sampling in stratum "
                f"'{self.stratum_labels[h]}' ({n_h[h]} PSUs sampled of {population[h]:g}); "
                f"rows {format_rows(rows)}",
                f"Cột fpc '{column}' cho tỉ lệ chọn mẫu trên 100% ở tầng "
                f"'{self.stratum_labels[h]}' ({n_h[h]} PSU được chọn trên {population[h]:g}); "
                f"các dòng {format_rows(rows, 'vi')}",
                column=column,
                rows=rows,
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(np.isinf(population), 1.0, (population - n_h) / population)
        return f

    # ----------------------------------------------------------------------------------------
    # variance

    def psu_totals(self, scores: np.ndarray) -> np.ndarray:
        """Sum n×k scores within PSUs (after calibration projections): a P×k matrix."""
        z = np.asarray(scores, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if z.shape[0] != self.n:
            raise ValueError(f"scores have {z.shape[0]} rows, the design {self.n}")
        for step in self.calibration:
            z = np.asarray(step.project(z), dtype=float)
            if z.ndim == 1:
                z = z[:, None]
        if self._row_to_psu_matrix is None:
            from scipy import sparse

            self._row_to_psu_matrix = sparse.csr_matrix(
                (np.ones(self.n), (self.psu_codes, np.arange(self.n))), shape=(self.n_psu, self.n)
            )
        return np.asarray(self._row_to_psu_matrix @ z)

    def stratum_sums(self, per_psu: np.ndarray) -> np.ndarray:
        """Sum a P×k matrix of PSU values within strata: an H×k matrix."""
        values = np.asarray(per_psu)
        if values.dtype == bool:
            values = values.astype(np.int64)
        return np.add.reduceat(values, self._stratum_starts, axis=0)

    def psu_total_variance(self, totals: np.ndarray, full: bool = True) -> np.ndarray:
        """Covariance (k×k, or its diagonal when ``full=False``) from P×k PSU totals.

        Scores must already be calibrated (:meth:`psu_totals` does it). This is R's
        ``onestage``/``onestrat`` for the with-replacement approximation (Lumley 2010, §2.2).
        """
        t = np.asarray(totals, dtype=float)
        if t.ndim == 1:
            t = t[:, None]
        n_h = self.psu_per_stratum
        stratum_mean = self.stratum_sums(t) / n_h[:, None]
        centred = t - stratum_mean[self.psu_stratum]
        lonely = self._lonely_strata
        scale_h, expand = self._stratum_scales()
        if lonely.any():
            lonely_psu = lonely[self.psu_stratum]
            if self.lonely_psu == "adjust":
                grand_mean = t.sum(axis=0) / self.n_psu
                centred[lonely_psu] = t[lonely_psu] - grand_mean
            elif self.lonely_psu != "average":
                # certainty / remove: a lonely PSU is its stratum's mean, it adds nothing.
                centred[lonely_psu] = 0.0
        scale = scale_h[self.psu_stratum]
        if full:
            return np.asarray(expand * ((centred * scale[:, None]).T @ centred))
        return np.asarray(expand * np.einsum("pk,pk,p->k", centred, centred, scale))

    def _stratum_scales(self) -> tuple[np.ndarray, float]:
        """Per-stratum factor ``f_h n_h / (n_h - 1)`` (0 when self-representing, and for lonely
        strata under "average") and the "average" rule's expansion ``H / (H - lonely)``."""
        n_h = self.psu_per_stratum
        lonely = self._lonely_strata
        f = self._fpc_factor
        with np.errstate(divide="ignore", invalid="ignore"):
            scale_h = np.where(n_h > 1, f * n_h / np.maximum(n_h - 1, 1), f)
        scale_h = np.where(f < _SELF_REPRESENTING, 0.0, scale_h)
        expand = 1.0
        if lonely.any() and self.lonely_psu == "average":
            scale_h = np.where(lonely, 0.0, scale_h)
            n_ok = int((~lonely).sum())
            expand = self.n_strata / n_ok if n_ok else 0.0
        return scale_h, expand

    def sparse_total_variance(
        self, psu: np.ndarray, column: np.ndarray, totals: np.ndarray, n_columns: int
    ) -> np.ndarray:
        """The variances of :meth:`psu_total_variance` (``full=False``) from the nonzero PSU
        totals only: ``totals[i]`` is the total of column ``column[i]`` in PSU ``psu[i]``.

        For domains nested in few PSUs each (communes, villages), the dense PSU × domain matrix
        would hold billions of zeros. Per stratum, ``sum_i (t_i - mean)^2 = sum t^2 - (sum t)^2
        / n_h``, with the lonely-PSU rules as there. No calibration (its projections mix rows).
        """
        if self.calibration:
            raise ValueError("sparse PSU totals cannot carry a calibrated design's projections")
        n_strata = self.n_strata
        stratum = self.psu_stratum[psu]
        key = stratum * n_columns + column
        size = n_strata * n_columns
        t1 = np.bincount(key, weights=totals, minlength=size).reshape(n_strata, n_columns)
        t2 = np.bincount(key, weights=totals * totals, minlength=size).reshape(n_strata, n_columns)
        n_h = self.psu_per_stratum[:, None].astype(float)
        lonely = self._lonely_strata
        scale_h, expand = self._stratum_scales()
        within = t2 - t1 * t1 / n_h
        if lonely.any():
            if self.lonely_psu == "adjust":
                grand_mean = t1.sum(axis=0) / self.n_psu
                centred = t2 - 2 * grand_mean * t1 + n_h * grand_mean**2
                within = np.where(lonely[:, None], centred, within)
            elif self.lonely_psu != "average":
                within = np.where(lonely[:, None], 0.0, within)
        return np.asarray(expand * (scale_h[:, None] * within).sum(axis=0))

    def total_variance(self, scores: np.ndarray) -> np.ndarray:
        """Covariance matrix (k×k) of the estimated totals whose n×k weighted scores are given.

        ``scores`` are per-observation contributions to the totals (influence values already
        multiplied by the weights). Calibration projections are applied first, then the
        with-replacement PSU variance with the fpc and the lonely-PSU rule.
        """
        return self.psu_total_variance(self.psu_totals(scores), full=True)

    # ----------------------------------------------------------------------------------------
    # domains and derived designs

    def domain_degf(self, mask: np.ndarray) -> int:
        """Degrees of freedom of a domain: its PSUs minus its strata (R's ``degf(subset())``)."""
        mask = np.asarray(mask, dtype=bool)
        present = np.bincount(self.psu_codes[mask], minlength=self.n_psu) > 0
        strata = np.unique(self.psu_stratum[present])
        return int(present.sum() - len(strata))

    def domains_degf(self, domain: np.ndarray, n_domains: int) -> np.ndarray:
        """Degrees of freedom of many domains at once; ``domain`` holds codes, -1 for none."""
        keep = domain >= 0
        if keep.all():
            key = self.psu_codes * n_domains + domain
        else:
            key = self.psu_codes[keep] * n_domains + domain[keep]
        present = (
            np.bincount(key, minlength=self.n_psu * n_domains).reshape(self.n_psu, n_domains) > 0
        )
        return self.degf_from_presence(present)

    def degf_from_presence(self, present: np.ndarray) -> np.ndarray:
        """Domain df from a P × D matrix saying which PSUs hold members of which domain."""
        psu_count = present.sum(axis=0)
        strata_count = (self.stratum_sums(present) > 0).sum(axis=0)
        return np.asarray((psu_count - strata_count).astype(np.int64))

    def with_weights(
        self, weights: Sequence[float] | np.ndarray, calibration: Sequence[Calibration] = ()
    ) -> SurveyDesign:
        """A design with the same data, strata and PSUs but new weights (e.g. calibrated)."""
        w = np.asarray(weights, dtype=float)
        if w.shape != (self.n,):
            raise ValueError(f"{w.shape} weights given for a design of {self.n} rows")
        bad = ~np.isfinite(w)
        if bad.any():
            rows = list(self.data.index[bad])
            raise AnalysisError(
                f"new weights are missing or infinite in rows {format_rows(rows)}",
                f"Trọng số mới bị thiếu hoặc vô hạn ở các dòng {format_rows(rows, 'vi')}",
                rows=rows,
            )
        new = copy.copy(self)
        new.weights = w
        new.weight = None
        new.sum_weights = float(w.sum())
        new.calibration = tuple(calibration)
        return new

    def summary(self) -> dict[str, Any]:
        """The design block of the JSON output: n, n_strata, n_psu, degf, sum_weights."""
        return {
            "n": self.n,
            "n_strata": self.n_strata,
            "n_psu": self.n_psu,
            "degf": self.degf,
            "sum_weights": self.sum_weights,
        }

    def __repr__(self) -> str:
        return (
            f"SurveyDesign(n={self.n}, strata={self.strata!r} ({self.n_strata}), "
            f"psu={self.psu!r} ({self.n_psu}), degf={self.degf}, lonely_psu={self.lonely_psu!r}, "
            f"calibrated={bool(self.calibration)})"
        )
