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

Publication rule (:func:`publication`): the direct estimate where its CV is below 20%; the
model estimate otherwise, unless the model's diagnostics fail, in which case nothing is
published for that area. The diagnostics (:class:`Diagnostics`) are: REML converged; at least
``p + 5`` areas with a direct estimate; ``A`` positive (a zero ``A`` means the auxiliaries
explain everything, so the "estimate" would be a regression prediction with no area evidence);
standardised residuals ``(direct_i - x_i' beta) / sqrt(A + D_i)`` pass a Shapiro–Wilk test at
1% (normality the MSE relies on); and, per area, ``|residual| <= 3`` (an area the model does not
fit keeps no model estimate).
"""

from __future__ import annotations

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
    "Diagnostics",
    "FayHerriot",
    "area_auxiliaries",
    "fay_herriot",
    "publication",
    "sae_table",
]

#: Direct estimates with a CV below this are published as they are.
CV_THRESHOLD = 0.20


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
        xtvx = x.T @ (x * vinv[:, None])
        xtvx_inv = np.linalg.inv(xtvx)
        # P = V^-1 - V^-1 X (X'V^-1X)^-1 X'V^-1
        vx = x * vinv[:, None]
        p = np.diag(vinv) - vx @ xtvx_inv @ vx.T
        py = p @ y
        score = -0.5 * np.trace(p) + 0.5 * py @ py
        info = 0.5 * np.sum(p * p.T)
        step = score / info
        new = max(a + step, 0.0)
        if abs(new - a) <= tol * max(1.0, abs(a)):
            return new, iteration, True
        a = new
    return a, max_iter, False


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
            f"{m} sampled areas cannot fit {p} auxiliary coefficients",
            f"{m} địa bàn có mẫu không đủ để ước lượng {p} hệ số phụ trợ",
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
    shapiro_p = float(stats.shapiro(residuals[sampled]).pvalue) if m >= 3 else math.nan
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


def publication(direct: float, direct_se: float, fit_ok: bool, residual: float) -> str:
    """Which figure an area publishes: ``direct``, ``model`` or ``suppressed``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = direct_se / abs(direct) if direct else math.inf
    if math.isfinite(direct) and math.isfinite(cv) and cv < CV_THRESHOLD:
        return "direct"
    if fit_ok and not (math.isfinite(residual) and abs(residual) > 3):
        return "model"
    return "suppressed"


# --------------------------------------------------------------------------------------------
# auxiliary data from the census frame


def area_auxiliaries(level: str, frame_scale: int = 1) -> pd.DataFrame:
    """Census auxiliaries per district or commune, from ``analysis/data/langson_frame.csv``.

    District: ``urban_share``, ``minority_share`` (1 − Kinh share), ``remote``,
    ``log_population``. Commune (through the deterministic census frame of villages,
    :func:`analysis.synthetic.frame.build_frame`): ``urban`` (ward/township), ``remote``,
    ``minority_share`` of its district, ``log_households``. The frame carries no poverty rate,
    so poverty is not among them. Indexed by the area code (district code / commune code).
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
    return pd.DataFrame(
        {
            "district": communes["district"].astype(int),
            "urban": (communes["residence"] == 1).astype(float),
            "remote": communes["remote"].astype(float),
            "minority_share": minority.loc[communes["district"]].to_numpy(float),
            "log_households": np.log(communes["households"].to_numpy(float)),
        },
        index=pd.Index(communes.index.astype(int), name="commune"),
    )


#: Auxiliaries used in the model, by level (few for 11 districts).
MODEL_COLUMNS = {
    "district": ("urban_share", "minority_share"),
    "commune": ("urban", "remote", "minority_share", "log_households"),
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
    0) uses ``overall_variance / n_i`` with ``overall_variance`` the province-wide variance of
    one interview including the design effect (a generalised variance function).
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
    rows = []
    for i, code in enumerate(aux.index):
        direct_est = float(joined["estimate"].iloc[i])
        direct_se = float(se[i])
        model_se = math.sqrt(fit.mse[i])
        choice = publication(direct_est, direct_se, fit.diagnostics.ok, float(fit.residuals[i]))
        published = {"direct": direct_est, "model": float(fit.eblup[i])}.get(choice, math.nan)
        published_se = {"direct": direct_se, "model": model_se}.get(choice, math.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            rows.append(
                {
                    "area": code,
                    "n": int(n[i]),
                    "direct": direct_est,
                    "direct_se": direct_se,
                    "direct_cv": direct_se / abs(direct_est) if direct_est else math.nan,
                    "model": float(fit.eblup[i]),
                    "model_mse": float(fit.mse[i]),
                    "model_cv": model_se / abs(fit.eblup[i]) if fit.eblup[i] else math.nan,
                    "shrinkage": float(fit.gamma[i]),
                    "synthetic": float(fit.synthetic[i]),
                    "residual": float(fit.residuals[i]),
                    "published": published,
                    "published_se": published_se,
                    "estimator": choice,
                }
            )
    return pd.DataFrame(rows), fit


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
    smoothed sampling variance of area ``i`` is ``SE(province)^2 * n / n_i``: one interview's
    variance including the design effect, over the area's interviews.
    """
    from analysis import estimators
    from analysis.indicators import indicator_values, read_data_dir, source_design
    from analysis.kap import add_kap_columns
    from analysis.tables import WorkFrames
    from questionnaires import load_bundled
    from questionnaires.plans import bundled_plan_path, load_plan

    forms = load_bundled()
    plan = load_plan(plan_path or bundled_plan_path(), forms)
    data = read_data_dir(data_dir, plan, forms)
    # The KAP scores (K.*, A.* indicators) are derived columns, as in the report.
    add_kap_columns(WorkFrames(data, plan, forms, "en"))
    aux = area_auxiliaries(level, frame_scale)
    columns = MODEL_COLUMNS[level]
    tables = []
    models: dict[str, Any] = {}
    for indicator in indicators:
        if indicator not in plan.indicators:
            known = ", ".join(sorted(plan.indicators))
            raise AnalysisError(
                f"no indicator '{indicator}' in the plan; indicators are: {known}",
                f"Không có chỉ tiêu '{indicator}' trong kế hoạch; các chỉ tiêu là: {known}",
            )
        sid, values, denominator = indicator_values(data, plan, indicator)
        if denominator is not None:
            raise AnalysisError(
                f"indicator '{indicator}' is a ratio; small-area estimates are made for "
                f"proportions and means",
                f"Chỉ tiêu '{indicator}' là tỉ số; ước lượng địa bàn nhỏ chỉ áp dụng cho tỉ lệ "
                f"và trung bình",
            )
        frame = data.frames[sid]
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
        work = frame.assign(_sae_value=values)
        design = source_design(data, plan, sid, frame=work)
        by_area = estimators.mean(design, "_sae_value", by=level)
        direct = pd.DataFrame(
            {
                "estimate": [r.estimate for r in by_area],
                "std_error": [r.std_error for r in by_area],
                "n": [r.n_unweighted for r in by_area],
            },
            index=pd.Index([int(r.domain[level]) for r in by_area], name=level),
        )
        unknown = sorted(set(direct.index) - set(aux.index))
        if unknown:
            raise AnalysisError(
                f"{level} codes {unknown[:10]} are not in the census frame (scale "
                f"{frame_scale}); pass the frame scale the survey was drawn from",
                f"Mã {level} {unknown[:10]} không có trong khung mẫu điều tra dân số (tỉ lệ "
                f"{frame_scale}); hãy cho tỉ lệ khung mẫu của cuộc khảo sát",
            )
        overall = estimators.mean(design, "_sae_value")[0]
        table, fit = sae_table(
            direct,
            aux.drop(columns=["district"], errors="ignore"),
            columns,
            variance=variance,
            overall_variance=overall.std_error**2 * overall.n_unweighted,
        )
        table.insert(0, "indicator", indicator)
        table.insert(1, "level", level)
        if level == "commune":
            table.insert(3, "district", aux["district"].to_numpy())
        tables.append(table)
        models[indicator] = model_summary(fit, columns) | {
            "province_estimate": overall.estimate,
            "province_se": overall.std_error,
        }
    return pd.concat(tables, ignore_index=True), models


#: What each value of the ``estimator`` column means, for the report's note.
ESTIMATOR_NOTES = {
    "en": {
        "direct": "direct: design-based survey estimate (CV below 20%)",
        "model": "model: Fay-Herriot small-area estimate (EBLUP, REML; SE from the Prasad-Rao "
        "MSE) combining the survey with census auxiliaries",
        "suppressed": "suppressed: neither the survey nor the model is reliable enough",
    },
    "vi": {
        "direct": "direct: ước lượng trực tiếp từ khảo sát theo thiết kế mẫu (CV dưới 20%)",
        "model": "model: ước lượng địa bàn nhỏ Fay-Herriot (EBLUP, REML; sai số chuẩn từ MSE "
        "Prasad-Rao) kết hợp khảo sát với số liệu điều tra dân số",
        "suppressed": "suppressed: cả khảo sát và mô hình đều không đủ tin cậy, không công bố",
    },
}


def write_small_area_csv(
    data_dir: str,
    indicators: Sequence[str],
    level: str,
    path: Any,
    lang: str = "vi",
    plan_path: str | None = None,
) -> dict[str, Any]:
    """The report's small-area table: one row per area and indicator with the published figure
    and the estimator it comes from, then a note explaining each estimator."""
    table, models = indicator_sae(data_dir, indicators, level, plan_path=plan_path)
    notes = ESTIMATOR_NOTES[lang]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        table.to_csv(handle, index=False, lineterminator="\n")
        for key in ("direct", "model", "suppressed"):
            handle.write(f'"{notes[key]}"\n')
    counts = table["estimator"].value_counts().to_dict()
    return {"level": level, "indicators": list(indicators), "estimators": counts, "models": models}
