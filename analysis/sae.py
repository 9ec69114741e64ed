"""Small-area estimates for districts and communes: the area-level Fay–Herriot EBLUP.

A provincial sample gives about 20 interviews a commune, so a commune's direct estimate is
noisy. The Fay–Herriot model (Rao & Molina, *Small Area Estimation*, 2nd ed., 2015, ch. 6)
borrows strength from census auxiliaries::

    direct_i = theta_i + e_i,   e_i ~ N(0, D_i)  (sampling error, D_i taken as known)
    theta_i  = x_i' beta + u_i, u_i ~ N(0, A)    (area effect)

- ``A`` is estimated by REML with Fisher scoring (R&M §6.1.2, eqs. 6.1.11–6.1.12): score
  ``-tr(P)/2 + y'PPy/2``, information ``tr(PP)/2`` with
  ``P = V^-1 - V^-1 X (X'V^-1 X)^-1 X'V^-1`` and ``V = diag(A + D_i)``; a negative value is
  truncated at 0 (then the EBLUP is the synthetic estimate).
- The EBLUP is ``gamma_i direct_i + (1 - gamma_i) x_i' beta``, ``gamma_i = A / (A + D_i)`` (the
  shrinkage factor: the weight of the direct estimate).
- Its MSE is the Prasad–Rao estimator for REML (R&M eq. 6.2.3 with 6.2.4): ``g1 + g2 + 2 g3``,
  ``g1 = gamma_i D_i``, ``g2 = (1 - gamma_i)^2 x_i' (X'V^-1 X)^-1 x_i``,
  ``g3 = D_i^2 / (A + D_i)^3 * 2 / sum_j (A + D_j)^-2``.
- Areas without a sample get the synthetic ``x_i' beta`` with MSE ``A + x_i' Cov(beta) x_i``.

Publication rule (:func:`publication`): the direct estimate where its CV is below 20% and it
rests on at least 30 interviews with a positive SE (a commune's 12 interviews that all say
"yes" have an SE of 0, which is not precision); the model estimate otherwise, unless the
model's diagnostics fail, in which case nothing is published for that area (shown as
suppressed, with the reason). The diagnostics (:class:`Diagnostics`) are: REML converged; at least
``p + 5`` areas with a direct estimate; ``A`` positive (a zero ``A`` means the auxiliaries
explain everything, so the "estimate" would be a regression prediction with no area evidence);
standardised residuals ``(direct_i - x_i' beta) / sqrt(A + D_i)`` pass a Shapiro–Wilk test at
1% (D'Agostino–Pearson above 5,000 areas; normality the MSE relies on); and, per area,
``|residual| <= 3`` (an area the model does not fit keeps no model estimate).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import AnalysisError

__all__ = [
    "CV_THRESHOLD",
    "ESTIMATOR_NOTES",
    "MIN_DIRECT_N",
    "REASONS",
    "Diagnostics",
    "FayHerriot",
    "area_auxiliaries",
    "fay_herriot",
    "publication",
    "publication_reason",
    "sae_table",
    "small_area_estimates",
    "within_area_variance",
]

#: Direct estimates with a CV below this are published as they are.
CV_THRESHOLD = 0.20
#: ... and rest on at least this many interviews.
MIN_DIRECT_N = 30
#: Normal quantile of the published figures' 95% intervals (direct and model alike).
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Diagnostics:
    """Whether the fitted model may be used (see the module docstring)."""

    converged: bool
    enough_areas: bool
    positive_variance: bool
    shapiro_p: float
    normal_residuals: bool

    @property
    def ok(self) -> bool:
        """All model-level checks pass."""
        return (
            self.converged
            and self.enough_areas
            and self.positive_variance
            and self.normal_residuals
        )

    def failures(self) -> list[str]:
        """Names of the failed checks."""
        names = {
            "REML did not converge": self.converged,
            "too few areas": self.enough_areas,
            "area variance estimated as 0": self.positive_variance,
            "residuals not normal (Shapiro-Wilk p < 0.01)": self.normal_residuals,
        }
        return [name for name, passed in names.items() if not passed]


@dataclass(frozen=True)
class FayHerriot:
    """A fitted Fay–Herriot model and its per-area results (arrays in the input order)."""

    beta: np.ndarray
    beta_cov: np.ndarray
    sigma2_u: float
    sigma2_u_var: float
    iterations: int
    converged: bool
    eblup: np.ndarray
    mse: np.ndarray
    gamma: np.ndarray
    synthetic: np.ndarray
    residuals: np.ndarray
    diagnostics: Diagnostics


def _reml(
    y: np.ndarray, x: np.ndarray, d: np.ndarray, max_iter: int, tol: float
) -> tuple[float, int, bool]:
    """REML estimate of A by Fisher scoring, started at the median sampling variance."""
    a = float(np.median(d))
    for iteration in range(1, max_iter + 1):
        vinv = 1.0 / (a + d)
        # P = V^-1 - V^-1 X C X'V^-1 with C = (X'V^-1X)^-1, never formed (m x m): with
        # A_k = X'V^-k X, tr(P) = sum(v) - tr(C A_2), tr(PP) = sum(v^2) - 2 tr(C A_3)
        # + tr(C A_2 C A_2), and P y = V^-1 (y - X C X'V^-1 y).
        c = np.linalg.inv(x.T @ (x * vinv[:, None]))
        a2 = x.T @ (x * (vinv**2)[:, None])
        a3 = x.T @ (x * (vinv**3)[:, None])
        py = vinv * (y - x @ (c @ (x.T @ (vinv * y))))
        ca2 = c @ a2
        trace_p = float(np.sum(vinv) - np.trace(ca2))
        trace_pp = float(np.sum(vinv**2) - 2 * np.trace(c @ a3) + np.sum(ca2 * ca2.T))
        score = -0.5 * trace_p + 0.5 * py @ py
        info = 0.5 * trace_pp
        step = score / info
        new = max(a + step, 0.0)
        if abs(new - a) <= tol * max(1.0, abs(a)):
            return new, iteration, True
        a = new
    return a, max_iter, False


def _normality_p(residuals: np.ndarray) -> float:
    """p-value of the standardised residuals' normality: Shapiro–Wilk, whose p-value scipy
    computes only up to 5,000 values; above that (communes of a national-size frame) the
    D'Agostino–Pearson K² test."""
    if len(residuals) < 3:
        return math.nan
    if len(residuals) > 5000:
        return float(stats.normaltest(residuals).pvalue)
    return float(stats.shapiro(residuals).pvalue)


def fay_herriot(
    direct: Sequence[float] | np.ndarray,
    variance: Sequence[float] | np.ndarray,
    x: np.ndarray,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> FayHerriot:
    """Fit the model on areas with a direct estimate and predict every area.

    ``direct`` and ``variance`` (the sampling variances D_i) are per area, NaN where the area
    has no sample; ``x`` is the m × p auxiliary matrix of every area (with an intercept column
    if wanted).
    """
    y_all = np.asarray(direct, dtype=float)
    d_all = np.asarray(variance, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] != len(y_all) or len(d_all) != len(y_all):
        raise AnalysisError(
            "direct estimates, variances and auxiliaries must have one row per area",
            "Ước lượng trực tiếp, phương sai và biến phụ trợ phải có một dòng mỗi địa bàn",
        )
    sampled = np.isfinite(y_all) & np.isfinite(d_all)
    if (d_all[sampled] <= 0).any():
        raise AnalysisError(
            "sampling variances must be positive for every sampled area",
            "Phương sai mẫu phải dương ở mọi địa bàn có mẫu",
        )
    y, d, xs = y_all[sampled], d_all[sampled], x[sampled]
    m, p = xs.shape
    if m <= p or np.linalg.matrix_rank(xs) < p:
        raise AnalysisError(
            f"{m} sampled areas cannot fit {p} auxiliary coefficients (too few areas, or an "
            f"auxiliary is constant or collinear over them)",
            f"{m} địa bàn có mẫu không đủ để ước lượng {p} hệ số phụ trợ (quá ít địa bàn, hoặc "
            f"một biến phụ trợ không đổi hay cộng tuyến trên các địa bàn đó)",
        )
    a, iterations, converged = _reml(y, xs, d, max_iter, tol)
    vinv = 1.0 / (a + d)
    beta_cov = np.linalg.inv(xs.T @ (xs * vinv[:, None]))
    beta = beta_cov @ (xs.T @ (vinv * y))
    a_var = 2.0 / np.sum(vinv**2)

    synthetic = x @ beta
    leverage = np.einsum("ij,jk,ik->i", x, beta_cov, x)
    eblup = synthetic.copy()
    gamma = np.zeros(len(y_all))
    mse = a + leverage  # areas without a sample: synthetic estimate
    gamma[sampled] = a / (a + d)
    eblup[sampled] = gamma[sampled] * y + (1 - gamma[sampled]) * synthetic[sampled]
    g1 = gamma[sampled] * d
    g2 = (1 - gamma[sampled]) ** 2 * leverage[sampled]
    g3 = d**2 / (a + d) ** 3 * a_var
    mse[sampled] = g1 + g2 + 2 * g3
    residuals = np.full(len(y_all), np.nan)
    residuals[sampled] = (y - synthetic[sampled]) / np.sqrt(a + d)
    shapiro_p = _normality_p(residuals[sampled])
    diagnostics = Diagnostics(
        converged=converged,
        enough_areas=m >= p + 5,
        positive_variance=a > 0,
        shapiro_p=shapiro_p,
        normal_residuals=bool(shapiro_p >= 0.01) if math.isfinite(shapiro_p) else False,
    )
    return FayHerriot(
        beta=beta,
        beta_cov=beta_cov,
        sigma2_u=a,
        sigma2_u_var=a_var,
        iterations=iterations,
        converged=converged,
        eblup=eblup,
        mse=mse,
        gamma=gamma,
        synthetic=synthetic,
        residuals=residuals,
        diagnostics=diagnostics,
    )


def publication_reason(
    direct: float,
    direct_se: float,
    fit_ok: bool,
    residual: float,
    n: int | None = None,
) -> tuple[str, str]:
    """Which figure an area publishes (``direct``, ``model`` or ``suppressed``) and why (a key
    of :data:`REASONS`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = direct_se / abs(direct) if direct else math.inf
    enough = n is None or n >= MIN_DIRECT_N
    if (
        math.isfinite(direct)
        and math.isfinite(cv)
        and cv < CV_THRESHOLD
        and enough
        and (n is None or direct_se > 0)
    ):
        return "direct", "direct_precise"
    if not fit_ok:
        return "suppressed", "model_failed"
    if math.isfinite(residual) and abs(residual) > 3:
        return "suppressed", "area_misfit"
    if not math.isfinite(direct):
        return "model", "no_sample"
    return "model", "direct_imprecise"


def _publication_reasons(
    direct: np.ndarray, direct_se: np.ndarray, fit_ok: bool, residual: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`publication_reason` of every area at once (estimators and reasons as object
    arrays of str): a Python call per area was a tenth of the report's CPU on a million
    persons' 246,000 commune rows."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(direct != 0, direct_se / np.abs(direct), math.inf)
    direct_ok = (
        np.isfinite(direct)
        & np.isfinite(cv)
        & (cv < CV_THRESHOLD)
        & (n >= MIN_DIRECT_N)
        & (direct_se > 0)
    )
    with np.errstate(invalid="ignore"):
        misfit = np.isfinite(residual) & (np.abs(residual) > 3)
    if fit_ok:
        cases = [direct_ok, misfit, ~np.isfinite(direct)]
        estimators = ["direct", "suppressed", "model"]
        reasons = ["direct_precise", "area_misfit", "no_sample"]
    else:
        cases = [direct_ok]
        estimators = ["direct"]
        reasons = ["direct_precise"]
    estimator = np.select(cases, estimators, "model" if fit_ok else "suppressed")
    reason = np.select(cases, reasons, "direct_imprecise" if fit_ok else "model_failed")
    return estimator.astype(object), reason.astype(object)


def publication(
    direct: float, direct_se: float, fit_ok: bool, residual: float, n: int | None = None
) -> str:
    """Which figure an area publishes: ``direct``, ``model`` or ``suppressed``."""
    return publication_reason(direct, direct_se, fit_ok, residual, n)[0]


#: Why a figure is what it is (the ``reason`` column), in both languages.
REASONS = {
    "direct_precise": {
        "en": f"direct estimate: CV below {CV_THRESHOLD:.0%} on at least {MIN_DIRECT_N} interviews",
        "vi": f"ước lượng trực tiếp: CV dưới {CV_THRESHOLD:.0%} với ít nhất {MIN_DIRECT_N} "
        "phỏng vấn",
    },
    "direct_imprecise": {
        "en": "model estimate: the direct estimate is too imprecise (CV 20% or more, or fewer "
        f"than {MIN_DIRECT_N} interviews)",
        "vi": "ước lượng mô hình: ước lượng trực tiếp không đủ chính xác (CV từ 20% trở lên hoặc "
        f"dưới {MIN_DIRECT_N} phỏng vấn)",
    },
    "no_sample": {
        "en": "model estimate: no interview in this area (synthetic estimate from the census)",
        "vi": "ước lượng mô hình: địa bàn không có phỏng vấn (ước lượng tổng hợp từ điều tra dân "
        "số)",
    },
    "model_failed": {
        "en": "suppressed: the direct estimate is imprecise and the model's checks failed",
        "vi": "không công bố: ước lượng trực tiếp không đủ chính xác và mô hình không đạt kiểm "
        "định",
    },
    "area_misfit": {
        "en": "suppressed: the direct estimate is imprecise and the model does not fit this area "
        "(standardised residual beyond ±3)",
        "vi": "không công bố: ước lượng trực tiếp không đủ chính xác và mô hình không khớp địa "
        "bàn này (phần dư chuẩn hoá vượt ±3)",
    },
    "no_area_data": {
        "en": "not estimated: the survey table carries no code of this level (the women's "
        "safety module is never located below the district)",
        "vi": "không ước lượng: bảng dữ liệu không có mã cấp này (mô-đun an toàn của phụ nữ "
        "không bao giờ ghi địa bàn dưới cấp huyện)",
    },
}


# --------------------------------------------------------------------------------------------
# auxiliary data from the census frame


def area_auxiliaries(level: str, frame_scale: int = 1) -> pd.DataFrame:
    """Census auxiliaries per district or commune, from ``analysis/data/langson_frame.csv``.

    District: ``urban_share``, ``minority_share`` (1 − Kinh share), ``remote``,
    ``log_population``, ``poverty_rate`` (share of poor households, the 2019 poverty review).
    Commune (through the deterministic census frame of villages,
    :func:`analysis.synthetic.frame.build_frame`): ``urban`` (ward/township), ``remote``,
    ``minority_share`` and ``poverty_rate`` of its district, ``log_households``. Indexed by
    the area code (district code / commune code).
    """
    from analysis.synthetic.frame import build_frame, load_districts

    districts = load_districts()
    districts["minority_share"] = 1 - districts["eth_kinh"]
    if level == "district":
        out = pd.DataFrame(
            {
                "urban_share": districts["urban_share"].to_numpy(float),
                "minority_share": districts["minority_share"].to_numpy(float),
                "remote": districts["remote"].to_numpy(float),
                "log_population": np.log(districts["population_2019"].to_numpy(float)),
                "poverty_rate": districts["poverty_rate"].to_numpy(float),
            },
            index=pd.Index(districts["district_code"].astype(int), name="district"),
        )
        return out
    if level != "commune":
        raise AnalysisError(
            f"level must be district or commune, not '{level}'",
            f"Cấp phải là district (huyện) hoặc commune (xã), không phải '{level}'",
        )
    villages = build_frame(frame_scale).villages
    communes = villages.groupby("commune").agg(
        district=("district", "first"),
        residence=("residence", "first"),
        remote=("remote", "first"),
        households=("households", "sum"),
    )
    minority = districts.set_index("district_code")["minority_share"]
    poverty = districts.set_index("district_code")["poverty_rate"].astype(float)
    return pd.DataFrame(
        {
            "district": communes["district"].astype(int),
            "urban": (communes["residence"] == 1).astype(float),
            "remote": communes["remote"].astype(float),
            "minority_share": minority.loc[communes["district"]].to_numpy(float),
            "log_households": np.log(communes["households"].to_numpy(float)),
            "poverty_rate": poverty.loc[communes["district"]].to_numpy(float),
        },
        index=pd.Index(communes.index.astype(int), name="commune"),
    )


#: Auxiliaries used in the model, by level (few for 11 districts).
MODEL_COLUMNS = {
    "district": ("urban_share", "minority_share", "poverty_rate"),
    "commune": ("urban", "remote", "minority_share", "log_households", "poverty_rate"),
}


def sae_table(
    direct: pd.DataFrame,
    auxiliaries: pd.DataFrame,
    columns: Sequence[str],
    variance: str = "smoothed",
    overall_variance: float | None = None,
) -> tuple[pd.DataFrame, FayHerriot]:
    """The side-by-side table for one indicator.

    ``direct`` is indexed by area code with ``estimate``, ``std_error`` and ``n`` (areas absent
    from it have no sample). ``variance="direct"`` feeds the design-based variances to the
    model; ``"smoothed"`` (default, for ~20 interviews an area, where a direct variance is often
    0) uses ``overall_variance / n_i`` with ``overall_variance`` the variance of one interview
    within an area (:func:`within_area_variance`): a generalised variance function.
    """
    aux = auxiliaries.copy()
    joined = aux.join(direct[["estimate", "std_error", "n"]], how="left")
    y = joined["estimate"].to_numpy(float)
    se = joined["std_error"].to_numpy(float)
    n = joined["n"].fillna(0).to_numpy(float)
    if variance == "direct":
        d = se**2
    elif variance == "smoothed":
        if overall_variance is None or not overall_variance > 0:
            raise AnalysisError(
                "smoothed sampling variances need the overall variance of one interview",
                "Phương sai mẫu làm trơn cần phương sai chung của một phỏng vấn",
            )
        with np.errstate(divide="ignore"):
            d = np.where(n > 0, overall_variance / n, np.nan)
    else:
        raise AnalysisError(
            f"variance must be direct or smoothed, not '{variance}'",
            f"variance phải là direct hoặc smoothed, không phải '{variance}'",
        )
    usable = np.isfinite(y) & np.isfinite(d) & (d > 0)
    y = np.where(usable, y, np.nan)
    x = np.column_stack([np.ones(len(aux)), aux[list(columns)].to_numpy(float)])
    fit = fay_herriot(y, np.where(usable, d, np.nan), x)
    direct_est = joined["estimate"].to_numpy(float)
    choice, reason = _publication_reasons(
        direct_est, se, fit.diagnostics.ok, fit.residuals, n.astype(int)
    )
    model_se = np.sqrt(fit.mse)
    published = np.where(
        choice == "direct", direct_est, np.where(choice == "model", fit.eblup, np.nan)
    )
    published_se = np.where(choice == "direct", se, np.where(choice == "model", model_se, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        direct_cv = np.where(direct_est != 0, se / np.abs(direct_est), np.nan)
        model_cv = np.where(fit.eblup != 0, model_se / np.abs(fit.eblup), np.nan)
    table = pd.DataFrame(
        {
            "area": aux.index.to_numpy(),
            "n": n.astype(int),
            "direct": direct_est,
            "direct_se": se,
            "direct_cv": direct_cv,
            "model": fit.eblup,
            "model_mse": fit.mse,
            "model_cv": model_cv,
            "shrinkage": fit.gamma,
            "synthetic": fit.synthetic,
            "residual": fit.residuals,
            "published": published,
            "published_se": published_se,
            "ci_low": published - Z95 * published_se,
            "ci_high": published + Z95 * published_se,
            "estimator": choice.tolist(),
            "reason": reason.tolist(),
        }
    )
    return table, fit


def model_summary(fit: FayHerriot, columns: Sequence[str]) -> dict[str, Any]:
    """The model block of the output: coefficients, area variance, diagnostics."""
    names = ["intercept", *columns]
    return {
        "beta": dict(zip(names, fit.beta.tolist(), strict=True)),
        "beta_se": dict(zip(names, np.sqrt(np.diag(fit.beta_cov)).tolist(), strict=True)),
        "sigma2_u": fit.sigma2_u,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "shapiro_p": fit.diagnostics.shapiro_p,
        "diagnostics_ok": fit.diagnostics.ok,
        "failed_checks": fit.diagnostics.failures(),
    }


def _direct_by_area(design: Any, column: str, level: str) -> pd.DataFrame:
    """Design-based estimate, SE and unweighted n of ``column`` per area of ``level``."""
    from analysis import estimators

    by_area = estimators.mean(design, column, by=level)
    return pd.DataFrame(
        {
            "estimate": [r.estimate for r in by_area],
            "std_error": [r.std_error for r in by_area],
            "n": [r.n_unweighted for r in by_area],
        },
        index=pd.Index([_area_code(r.domain[level], level) for r in by_area], name=level),
    )


def _area_code(value: Any, level: str) -> int:
    """A numeric area code of the census frame; anything else is explained, not crashed on."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number.is_integer()):
        raise AnalysisError(
            f"{level} code '{value}' is not a code of the census frame",
            f"Mã {level} '{value}' không phải mã trong khung mẫu điều tra dân số",
            column=level,
        )
    return int(number)


def within_area_variance(frame: pd.DataFrame, column: str, level: str, weight: str) -> float:
    """One interview's sampling variance inside an area, for the smoothed ``D_i``.

    The weighted variance of ``column`` around its own area's mean, pooled over the areas,
    times Kish's design effect of unequal weights ``1 + cv(w)^2``. The province-wide variance
    would count the differences between areas (the very thing the model estimates) as
    sampling noise: with a commune effect on poverty, 20 households in one village have a
    province design effect near 2, yet inside their commune they are nearly independent, and
    the Prasad-Rao MSE then came out at half the true MSE in the simulation test.
    """
    codes, _ = pd.factorize(frame[level])
    return _within_area_variance(
        frame[column].to_numpy(float), frame[weight].to_numpy(float), codes
    )


def _within_area_variance(y: np.ndarray, w: np.ndarray, area: np.ndarray) -> float:
    """:func:`within_area_variance` of values ``y`` with weights ``w`` in areas coded
    ``0, 1, …`` (``-1``: no area)."""
    keep = np.isfinite(y) & (area >= 0)
    y, w, area = y[keep], w[keep], area[keep]
    if len(y) < 2:
        return math.nan
    size = int(area.max()) + 1
    with np.errstate(invalid="ignore", divide="ignore"):  # areas without a value: unused
        sums = np.bincount(area, weights=w * y, minlength=size)
        mean = (sums / np.bincount(area, weights=w, minlength=size))[area]
    within = float(np.sum(w * (y - mean) ** 2) / np.sum(w))
    kish = 1.0 + float(np.var(w) / np.mean(w) ** 2)
    return within * kish


#: The name of the indicator's values in the design the estimates are made on.
_VALUE = "_sae_value"


def _with_values(design: Any, level: str, values: np.ndarray) -> Any:
    """The source's design over a two-column frame: the area codes and ``values``.

    The PSU, strata and area codes (coded once on the source's design, and cached there) are
    shared; the source's wide frame is neither copied nor changed (taking a column out of it
    again copied its consolidated block: half a gigabyte on a million persons).
    """
    from analysis import estimators

    estimators.area_codes(design, level)  # coded on the source's design, kept for the next
    view = copy.copy(design)
    view.__dict__["_domain_cache"] = dict(design.__dict__.get("_domain_cache", {}))
    view.__dict__["_codes_cache"] = dict(design.__dict__.get("_codes_cache", {}))
    frame = design.data
    view.data = pd.DataFrame({level: frame[level], _VALUE: values}, index=frame.index)
    return view


def _survey_sae(
    data: Any,
    plan: Any,
    indicator: str,
    level: str,
    sex: str,
    aux: pd.DataFrame,
    variance: str,
    frame_scale: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The side-by-side table of one indicator, level and sex (T, F or M) of a loaded survey."""
    from analysis import estimators
    from analysis.indicators import source_design

    sid, values, denominator = _indicator_values(data, plan, indicator)
    if denominator is not None:
        raise AnalysisError(
            f"indicator '{indicator}' is a ratio; small-area estimates are made for "
            f"proportions and means",
            f"Chỉ tiêu '{indicator}' là tỉ số; ước lượng địa bàn nhỏ chỉ áp dụng cho tỉ lệ "
            f"và trung bình",
        )
    frame = data.frames[sid]
    if sex != "T":
        source = plan.sources[sid]
        code = source.get("women" if sex == "F" else "men")
        sex_values = pd.to_numeric(frame[source["sex"]], errors="coerce").to_numpy()
        values = np.where(sex_values == code, values, np.nan)
    if not np.isfinite(values).any():
        raise AnalysisError(
            f"indicator '{indicator}' has no value in the data (source '{sid}')",
            f"Chỉ tiêu '{indicator}' không có giá trị nào trong dữ liệu (nguồn '{sid}')",
        )
    if level not in frame.columns:
        raise AnalysisError(
            f"table of source '{sid}' has no '{level}' column",
            f"Bảng của nguồn '{sid}' không có cột '{level}'",
            column=level,
        )
    # The source's own design (the one the report's tables used, with its PSU and strata codes
    # and its area codes cached) over the values: a design built per indicator, level and sex
    # re-coded a million rows each time.
    design = _with_values(source_design(data, plan, sid), level, values)
    direct = _direct_by_area(design, _VALUE, level)
    unknown = sorted(set(direct.index) - set(aux.index))
    if unknown:
        raise AnalysisError(
            f"{level} codes {unknown[:10]} are not in the census frame (scale "
            f"{frame_scale}); pass the frame scale the survey was drawn from",
            f"Mã {level} {unknown[:10]} không có trong khung mẫu điều tra dân số (tỉ lệ "
            f"{frame_scale}); hãy cho tỉ lệ khung mẫu của cuộc khảo sát",
        )
    overall = estimators.mean(design, _VALUE)[0]
    # The area codes the direct estimates used (cached on the design), not coded again.
    within = _within_area_variance(values, design.weights, estimators.area_codes(design, level))
    columns = MODEL_COLUMNS[level]
    table, fit = sae_table(
        direct,
        aux.drop(columns=["district"], errors="ignore"),
        columns,
        variance=variance,
        overall_variance=within,
    )
    table.insert(0, "indicator", indicator)
    table.insert(1, "level", level)
    table.insert(2, "sex", sex)
    table.insert(4, "district", aux["district"].to_numpy() if level == "commune" else table["area"])
    return table, model_summary(fit, columns) | {
        "province_estimate": overall.estimate,
        "province_se": overall.std_error,
    }


def _load(data_dir: str, plan_path: str | None) -> tuple[Any, Any]:
    """The survey folder read for the plan, with the KAP score columns, as the report has it."""
    from analysis.indicators import read_data_dir
    from analysis.kap import add_kap_columns
    from analysis.tables import WorkFrames
    from questionnaires import load_bundled
    from questionnaires.plans import bundled_plan_path, load_plan

    forms = load_bundled()
    plan = load_plan(plan_path or bundled_plan_path(), forms)
    data = read_data_dir(data_dir, plan, forms)
    add_kap_columns(WorkFrames(data, plan, forms, "en"))
    return data, plan


def indicator_sae(
    data_dir: str,
    indicators: Sequence[str],
    level: str,
    variance: str = "smoothed",
    plan_path: str | None = None,
    frame_scale: int = 1,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """SAE tables for plan indicators (proportions and means) of a survey data folder.

    The indicator values come from the table plan's definitions
    (:func:`analysis.indicators.indicator_values`), the direct estimates and their Taylor SEs
    from the plan's design, per ``level`` (``district``/``commune`` column of the source). The
    smoothed sampling variance of area ``i`` is :func:`within_area_variance` over ``n_i``.
    Both sexes together (``sex`` column ``T``); :func:`small_area_estimates` also splits by sex.
    """
    data, plan = _load(data_dir, plan_path)
    aux = area_auxiliaries(level, frame_scale)
    tables = []
    models: dict[str, Any] = {}
    for indicator in indicators:
        _known(plan, indicator)
        table, models[indicator] = _survey_sae(
            data, plan, indicator, level, "T", aux, variance, frame_scale
        )
        tables.append(table)
    return pd.concat(tables, ignore_index=True), models


def _known(plan: Any, indicator: str) -> None:
    if indicator not in plan.indicators:
        known = ", ".join(sorted(plan.indicators))
        raise AnalysisError(
            f"no indicator '{indicator}' in the plan; indicators are: {known}",
            f"Không có chỉ tiêu '{indicator}' trong kế hoạch; các chỉ tiêu là: {known}",
        )


def _indicator_values(
    data: Any, plan: Any, indicator: str
) -> tuple[str, np.ndarray, np.ndarray | None]:
    """:func:`analysis.indicators.indicator_values`, kept for the last indicator asked: its
    sexes' checks and fits ask for it four times in a row (one at a time, so a million
    persons' values are held once)."""
    from analysis.indicators import indicator_values

    memo: dict[str, Any] = data.__dict__.setdefault("_sae_values", {})
    if indicator not in memo:
        memo.clear()
        memo[indicator] = indicator_values(data, plan, indicator)
    return memo[indicator]  # type: ignore[no-any-return]


def _has_values(data: Any, plan: Any, indicator: str, sex: str) -> bool:
    sid, values, _ = _indicator_values(data, plan, indicator)
    source = plan.sources[sid]
    code = source.get("women" if sex == "F" else "men")
    sexes = pd.to_numeric(data.frames[sid][source["sex"]], errors="coerce").to_numpy()
    return bool(np.isfinite(values[sexes == code]).any())


def _frame_scale(data: Any) -> int:
    """The census frame's scale a survey was drawn from, read off its largest commune code.

    The simulator draws larger surveys from a frame with ``scale`` times the communes (numbered
    on from 1), so the scale is the largest code over the communes of the scale-1 frame,
    rounded up; a survey without commune codes is taken at scale 1.
    """
    largest = 0.0
    for frame in data.frames.values():
        if "commune" in frame.columns:
            codes = pd.to_numeric(frame["commune"], errors="coerce")
            if codes.notna().any():
                largest = max(largest, float(codes.max()))
    per_scale = len(area_auxiliaries("commune", 1))
    return max(1, math.ceil(largest / per_scale))


def catalogue_levels() -> dict[str, list[str]]:
    """The plan indicators the bundled gender-database catalogue keeps at each level (district,
    commune): the figures the report's small-area table needs to give it."""
    from questionnaires.indicator_catalogue import load_bundled_catalogue

    out: dict[str, list[str]] = {"district": [], "commune": []}
    for entry in load_bundled_catalogue().indicators.values():
        if entry.survey_indicator:
            for level in out:
                if level in entry.levels:
                    out[level].append(entry.survey_indicator)
    return out


def small_area_estimates(
    data_dir: str,
    indicators: Sequence[str] | None = None,
    levels: Sequence[str] = ("district", "commune"),
    plan_path: str | None = None,
    frame_scale: int | None = None,
    loaded: tuple[Any, Any] | None = None,
    by_level: dict[str, list[str]] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Published district and commune figures for the plan's proportions and means.

    Every indicator (default: all the plan's proportions and means) at every level, for women
    and men separately where the indicator's source records sex (``F``/``M``), else together
    (``T``): one row per area with the direct and model figures side by side, the published
    one, its estimator and the reason (:data:`REASONS`). An indicator whose source carries no
    code of the level (the women's module below the district) is listed under ``skipped`` in
    the second value with its reason, and so is a model that cannot be fitted at all. The
    census frame's scale is read off the commune codes unless ``frame_scale`` is given.
    ``by_level`` narrows the indicators level by level (e.g. to what the gender database keeps
    at that level, :func:`catalogue_levels`).
    """
    data, plan = _load(data_dir, plan_path) if loaded is None else loaded
    if frame_scale is None:
        frame_scale = _frame_scale(data)
    wanted = (
        list(indicators)
        if indicators is not None
        else [i for i, spec in plan.indicators.items() if spec["type"] in ("proportion", "mean")]
    )
    tables = []
    info: dict[str, Any] = {"models": {}, "skipped": []}
    for level in levels:
        aux = area_auxiliaries(level, frame_scale)
        chosen = wanted if by_level is None else [i for i in wanted if i in by_level.get(level, ())]
        for indicator in chosen:
            _known(plan, indicator)
            sid = plan.indicators[indicator]["source"]
            if sid not in data.frames:
                continue
            if level not in data.frames[sid].columns:
                info["skipped"].append(
                    {"indicator": indicator, "level": level, "reason": "no_area_data"}
                )
                continue
            source = plan.sources[sid]
            # Women and men apart where the report's table of the indicator is by sex (and both
            # have values), else one figure for all, as the report's district rows are.
            by_sex = [
                t.get("by_sex", True)
                for t in plan.tables
                if t["kind"] == "indicator" and t.get("indicator") == indicator
            ]
            split = (
                all(by_sex)
                and source.get("sex") in data.frames[sid].columns
                and all(_has_values(data, plan, indicator, sex) for sex in ("F", "M"))
            )
            for sex in ("F", "M") if split else ("T",):
                try:
                    table, model = _survey_sae(
                        data, plan, indicator, level, sex, aux, "smoothed", frame_scale
                    )
                except AnalysisError as error:
                    info["skipped"].append(
                        {
                            "indicator": indicator,
                            "level": level,
                            "sex": sex,
                            "reason": "model_failed",
                            "detail": {"en": error.message("en"), "vi": error.message("vi")},
                        }
                    )
                    continue
                tables.append(table)
                info["models"][f"{indicator}/{level}/{sex}"] = model
    data.__dict__.pop("_sae_values", None)
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return out, info


#: What each value of the ``estimator`` column means, for the report's note.
ESTIMATOR_NOTES = {
    "en": {
        "direct": f"direct: design-based survey estimate (CV below {CV_THRESHOLD:.0%}, at least "
        f"{MIN_DIRECT_N} interviews)",
        "model": "model: Fay-Herriot small-area estimate (EBLUP, REML; SE from the Prasad-Rao "
        "MSE) combining the survey with census auxiliaries (urban, remoteness, ethnic-minority "
        "share, size, poverty rate)",
        "suppressed": "suppressed: neither the survey nor the model is reliable enough; the "
        "reason column says why",
    },
    "vi": {
        "direct": f"direct: ước lượng trực tiếp từ khảo sát theo thiết kế mẫu (CV dưới "
        f"{CV_THRESHOLD:.0%}, ít nhất {MIN_DIRECT_N} phỏng vấn)",
        "model": "model: ước lượng địa bàn nhỏ Fay-Herriot (EBLUP, REML; sai số chuẩn từ MSE "
        "Prasad-Rao) kết hợp khảo sát với số liệu điều tra dân số (thành thị, vùng khó khăn, tỉ "
        "lệ dân tộc thiểu số, quy mô, tỉ lệ hộ nghèo)",
        "suppressed": "suppressed: cả khảo sát và mô hình đều không đủ tin cậy, không công bố; "
        "cột lý do nói vì sao",
    },
}

#: Columns of ``small_areas.csv``, the report's district and commune figures; ``round`` is the
#: survey round's code (blank when the data have none).
SMALL_AREA_COLUMNS = (
    "round",
    "indicator",
    "level",
    "sex",
    "area",
    "district",
    "n",
    "direct",
    "direct_se",
    "direct_cv",
    "model",
    "model_mse",
    "model_cv",
    "shrinkage",
    "published",
    "published_se",
    "ci_low",
    "ci_high",
    "estimator",
    "reason",
    "reason_en",
    "reason_vi",
)


def write_small_area_csv(
    data_dir: str,
    path: Any,
    lang: str = "vi",
    indicators: Sequence[str] | None = None,
    levels: Sequence[str] = ("district", "commune"),
    plan_path: str | None = None,
    loaded: tuple[Any, Any] | None = None,
    by_level: dict[str, list[str]] | None = None,
    round_code: str = "",
) -> dict[str, Any]:
    """Estimate (:func:`small_area_estimates`) and write the report's small-area table
    (:func:`write_small_area_table`). ``loaded``: the folder's data and plan as the report
    already read them (else read here)."""
    table, info = small_area_estimates(
        data_dir, indicators, levels, plan_path, loaded=loaded, by_level=by_level
    )
    return write_small_area_table(table, info, path, lang, levels, round_code)


def write_small_area_table(
    table: pd.DataFrame,
    info: dict[str, Any],
    path: Any,
    lang: str = "vi",
    levels: Sequence[str] = ("district", "commune"),
    round_code: str = "",
) -> dict[str, Any]:
    """The report's ``small_areas.csv``: one row per indicator, level, sex and area, with the
    survey round's code (``round``), the direct and model figures, the published one, its
    estimator and the reason (a key of :data:`REASONS` and its text in both languages, which the
    gender database stores); then a note in ``lang`` explaining each estimator. A suppressed
    figure has no published number. ``table`` and ``info`` are what
    :func:`small_area_estimates` returned; the summary of the run goes back to the manifest."""
    notes = ESTIMATOR_NOTES[lang]
    table = table.copy()
    if len(table):
        table["reason_en"] = [REASONS[r]["en"] for r in table["reason"]]
        table["reason_vi"] = [REASONS[r]["vi"] for r in table["reason"]]
        table["area"] = table["area"].astype(int)
        table["district"] = table["district"].astype(int)
        table["round"] = round_code
    else:
        table = pd.DataFrame(columns=list(SMALL_AREA_COLUMNS))
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        _write_rows(table[list(SMALL_AREA_COLUMNS)], handle)
        for key in ("direct", "model", "suppressed"):
            handle.write(f'"{notes[key]}"\n')
    counts = {str(k): int(v) for k, v in table["estimator"].value_counts().items()}
    return {
        "levels": list(levels),
        "estimators": counts,
        "skipped": info["skipped"],
        "models": info["models"],
    }


def _write_rows(table: pd.DataFrame, handle: Any) -> None:
    """``table.to_csv(handle, index=False, lineterminator="\\n")``, the same text, faster.

    pandas turns each float into text through NumPy (``astype(str)``), which took most of the
    small-area step on a million persons (300,000 rows); Python's ``repr`` gives the same
    shortest round-trip text. A missing number is an empty cell, as pandas writes it.
    """
    import csv

    columns = []
    for name in table.columns:
        values = table[name]
        if values.dtype.kind == "f":
            columns.append([repr(v) if v == v else "" for v in values.to_numpy().tolist()])
        elif values.dtype.kind in "iub":
            columns.append([str(v) for v in values.to_numpy().tolist()])
        else:
            columns.append(["" if v is None or v != v else str(v) for v in values.tolist()])
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([str(name) for name in table.columns])
    writer.writerows(zip(*columns, strict=True))


def read_small_area_csv(path: Any) -> pd.DataFrame:
    """The rows of a ``small_areas.csv`` (the notes after the table are left out)."""
    import io

    text = open(path, encoding="utf-8-sig").read()
    lines = text.splitlines()
    rows = [line for line in lines[1:] if not line.startswith('"')]
    return pd.read_csv(
        io.StringIO("\n".join([lines[0], *rows])),
        dtype={"reason": str, "round": str},
    )
