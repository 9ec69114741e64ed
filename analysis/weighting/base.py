"""Base weights: the inverse of the product of each stage's selection probability.

:func:`base_weights` gives ``w = 1 / (π1 × π2 × …)``; :func:`pps_probability` the probability of a
PPS stage, ``π1 = a_h × M_hi / M_h`` (Lohr, *Sampling*, 2nd ed., §6.2).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.errors import format_rows
from analysis.weighting.common import WeightingError

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
