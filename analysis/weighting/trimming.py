"""Weight trimming as R's ``trimWeights``: cap the weights and spread the excess over the others.

Re-rake afterwards (:func:`~analysis.weighting.rake_weights`, or
:func:`~analysis.weighting.rake` on a design) to restore the margins.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.weighting.common import WeightingError, _as_weights, _num

#: Rounds of strict trimming before giving up (it converges geometrically).
_STRICT_TRIM_ROUNDS = 10_000

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
    afterwards to restore the margins (the sampling plan caps at 3.5 × median, then re-rakes).
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
