"""Two-sided quantiles of Student's t for whole degrees of freedom, without importing scipy.

Every confidence interval of the estimators needs ``t_{1 - alpha/2, df}`` for a handful of
domain degrees of freedom (PSUs minus strata, always whole numbers). ``scipy.stats`` answers
that but costs about half a second to import, more than the whole estimation of a million rows;
the command-line tools start in a fraction of that by using the closed form below.

For whole ``df`` the probability ``A(t | df) = P(|T| <= t)`` is a finite trigonometric series
(Abramowitz & Stegun 1964, 26.7.3-4): with ``theta = atan(t / sqrt(df))`` and ``c = cos theta``,

- odd ``df``: ``A = 2/pi * (theta + sin(theta) * c * (1 + 2/3 c^2 + 2·4/(3·5) c^4 + ...))``,
  the bracket ending at the ``c^(df-3)`` term (just ``2 theta / pi`` for ``df = 1``);
- even ``df``: ``A = sin(theta) * (1 + 1/2 c^2 + 1·3/(2·4) c^4 + ...)``, ending at ``c^(df-2)``.

Newton's method on ``A(t) = level`` (derivative: twice the t density), kept inside a bracket,
converges to machine precision. Above ``_EXPANSION_DF`` degrees of freedom the Cornish-Fisher
expansion of ``t`` in the normal quantile (A&S 26.7.5, four terms) is exact to double precision
and cheaper than the long series. Fractional ``df`` fall back to ``scipy.stats``.
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

__all__ = ["t_quantile_two_sided"]

#: From this many degrees of freedom on, the four-term expansion error is below 1e-16.
_EXPANSION_DF = 20_000


def _two_sided_probability(t: float, df: int) -> float:
    """``P(|T| <= t)`` for Student's t with whole ``df`` >= 1 (A&S 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = df / (df + t * t)
    if df % 2:
        if df == 1:
            return 2.0 * theta / math.pi
        k = np.arange(1, (df - 3) // 2 + 1)
        series = 1.0 + float(np.cumprod(2.0 * k / (2.0 * k + 1.0) * c2).sum())
        return 2.0 / math.pi * (theta + math.sin(theta) * math.sqrt(c2) * series)
    k = np.arange(1, (df - 2) // 2 + 1)
    series = 1.0 + float(np.cumprod((2.0 * k - 1.0) / (2.0 * k) * c2).sum())
    return math.sin(theta) * series


def _density(t: float, df: int) -> float:
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def _expansion(z: float, df: int) -> float:
    """Cornish-Fisher expansion of the t quantile in the normal quantile ``z`` (A&S 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@functools.lru_cache(maxsize=4096)
def _quantile(level: float, df: int) -> float:
    z = NormalDist().inv_cdf(0.5 + level / 2)
    if df >= _EXPANSION_DF:
        return _expansion(z, df)
    low, high = 0.0, max(z, 1.0)
    while _two_sided_probability(high, df) < level:
        low, high = high, 2.0 * high
    t = min(max(_expansion(z, df), low), high)
    for _ in range(200):
        gap = _two_sided_probability(t, df) - level
        if gap > 0:
            high = t
        else:
            low = t
        step = gap / (2.0 * _density(t, df))
        candidate = t - step
        if not low < candidate < high:
            candidate = (low + high) / 2
        if abs(candidate - t) <= 4e-16 * candidate or high - low <= 4e-16 * high:
            return candidate
        t = candidate
    return t


def t_quantile_two_sided(level: float, df: np.ndarray) -> np.ndarray:
    """``t`` with ``P(|T_df| <= t) = level`` for each df (NaN where df < 1).

    The critical value of a ``level`` confidence interval, ``qt(0.5 + level / 2, df)`` in R.
    """
    df = np.asarray(df, dtype=float)
    distinct, inverse = np.unique(df, return_inverse=True)
    finite = distinct[np.isfinite(distinct)]
    if np.any(finite != np.round(finite)):
        from scipy import stats

        with np.errstate(invalid="ignore"):
            values = np.where(
                distinct >= 1, stats.t.ppf(0.5 + level / 2, np.maximum(distinct, 1)), np.nan
            )
        return values[inverse].reshape(df.shape)
    values = np.array(
        [
            NormalDist().inv_cdf(0.5 + level / 2)
            if d == math.inf
            else _quantile(level, int(d))
            if d >= 1
            else math.nan
            for d in distinct
        ]
    )
    return values[inverse].reshape(df.shape)
