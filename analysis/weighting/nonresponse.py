"""Non-response adjustment by weighting classes (Lohr, *Sampling*, 2nd ed., §8.5.2).

Within each cell the respondents' weights are multiplied by ``Σ eligible / Σ responding``;
nonrespondents get weight 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import format_rows
from analysis.weighting.common import By, WeightingError, _as_weights, _cells, _num


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
    return np.asarray(series.to_numpy().astype(bool))


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
    ``eligible / responding`` (``weighted=False``, the sampling plan's household rule: × eligible
    / responding households within the stratum);
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
    return np.asarray(out)
