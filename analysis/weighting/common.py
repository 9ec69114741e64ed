"""What the weighting modules share: the error types, population totals and cells.

Population totals are given as a mapping ``{level: total}`` (tuples of levels for several
variables), a pandas Series indexed by the level(s), or a DataFrame holding the cell columns and
one column of totals (R's ``population`` data frame). Levels match the data by their text, so
district ``178`` matches ``"178"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError, format_rows

Totals: TypeAlias = Mapping[Any, float] | pd.Series | pd.DataFrame
#: Column name(s) that define cells or a margin.
By: TypeAlias = str | Sequence[str]
#: Raking margins: {column(s): totals} or a sequence of (column(s), totals) pairs.
Margins: TypeAlias = Mapping[Any, Totals] | Sequence[tuple[By, Totals]]

#: R's ``svyrecvar`` sweeps the raking margins this many times when projecting scores.
RAKING_PROJECTION_SWEEPS = 10
#: Margins whose totals differ by more than this fraction of the first cannot all be met.
MARGIN_TOTAL_TOLERANCE = 1e-9


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
    for combined in present:
        key = int(combined)
        parts = []
        for col_uniques in reversed(uniques):
            key, code = divmod(key, len(col_uniques))
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


def _totals_dict(
    names: Sequence[str], totals: Totals, what_en: str, what_vi: str
) -> dict[tuple[str, ...], tuple[float, Any]]:
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
