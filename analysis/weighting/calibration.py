"""Calibration of weight arrays: post-stratification, raking and the whole calibration step.

- :func:`poststratify_weights`: ``× N_c / Σ_c w`` in each post-stratum ``c``;
- :func:`rake_weights`: iterative proportional fitting to several margins, with R's convergence
  control (Deming & Stephan 1940; Lumley, *Complex Surveys*, §7.3);
- :func:`calibrate_weights`: post-stratify on the census cells, or rake to margins when cells
  are sparse, then trim at 3.5 × the median weight and re-rake.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import format_rows
from analysis.weighting.common import (
    MARGIN_TOTAL_TOLERANCE,
    By,
    Margins,
    Totals,
    WeightingError,
    WeightingWarning,
    _as_weights,
    _by_list,
    _cell_name,
    _Cells,
    _cells,
    _key,
    _num,
    _totals_dict,
)
from analysis.weighting.trimming import trim_weights

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
        _, value, labels = unmatched[0]
        cell_name = _cell_name(coded.names, labels)
        more = len(unmatched) - 1
        also_en = f" ({more} more cells likewise)" if more else ""
        also_vi = f" (còn {more} ô khác như vậy)" if more else ""
        raise WeightingError(
            f"{what_en} {cell_name} has a population total of {_num(value)} but no rows in the "
            f"sample{also_en}; collapse it with a neighbouring cell, or pass partial=True to "
            f"leave it out",
            f"{what_vi} {cell_name} có tổng tổng thể {_num(value, 'vi')} nhưng không có dòng nào "
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
# the whole calibration step of the sampling plan


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
    """Calibrate to census cells, falling back to margins, then trim and re-rake.

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
