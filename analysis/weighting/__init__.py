"""Compute survey weights and calibrate designs to population totals, as R's ``survey`` does.

One module per step: :mod:`~analysis.weighting.base` (base weights),
:mod:`~analysis.weighting.nonresponse` (non-response adjustment),
:mod:`~analysis.weighting.calibration` (post-stratification, raking, the whole calibration),
:mod:`~analysis.weighting.trimming` (trimming) and :mod:`~analysis.weighting.linear` (calibrated
designs and the linearised variance they need); :mod:`~analysis.weighting.common` holds the
error types and the cell and totals helpers. Every public name is importable from this package.

Two layers, sharing one implementation:

**Weight arrays** (the sampling plan's weighting steps), numpy in, numpy out:

- :func:`base_weights` ``w = 1 / (π1 × π2 × …)`` from the selection probabilities of each stage,
  with :func:`pps_probability` for a PPS stage ``π1 = a_h × M_hi / M_h``;
- :func:`nonresponse_adjust`: weighting-class adjustment ``× Σ eligible / Σ responding`` within
  cells (Lohr, *Sampling*, 2nd ed., §8.5.2); nonrespondents get weight 0;
- :func:`poststratify_weights`: ``× N_c / Σ_c w`` in each post-stratum ``c``;
- :func:`rake_weights`: iterative proportional fitting to several margins, with R's convergence
  control (Deming & Stephan 1940; Lumley, *Complex Surveys*, §7.3);
- :func:`trim_weights`: cap weights and spread the excess over the others (R's ``trimWeights``),
  then re-rake with :func:`rake_weights` (or :func:`rake` on a design).

A typical household-survey chain (the survey simulator follows it)::

    w_base = base_weights(pps_probability(a_h, size, stratum_size), 20 / listed)
    w_adj = nonresponse_adjust(w_base, frame, cells="stratum", responded="responded")
    w_ind = w_adj * eligible_of_sex * 2           # Kish selection and form A/B
    result = calibrate_weights(w_ind, people, ["district", "sex", "age_group"], census,
                               fallback_margins=["district", ("sex", "age_group")])
    w_cal, w_final = result.calibrated, result.weights   # post-stratified (or raked), trimmed

:func:`calibrate_weights` is the plan's whole calibration step in one call: post-stratify on the
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

from analysis.weighting.base import base_weights, pps_probability
from analysis.weighting.calibration import (
    CalibrationResult,
    RakeResult,
    calibrate_weights,
    poststratify_weights,
    rake_weights,
)
from analysis.weighting.common import (
    MARGIN_TOTAL_TOLERANCE,
    RAKING_PROJECTION_SWEEPS,
    By,
    Margins,
    Totals,
    WeightingError,
    WeightingWarning,
)
from analysis.weighting.linear import (
    PostStratification,
    Raking,
    calibrated_psu_totals,
    poststratify,
    rake,
    trim,
)
from analysis.weighting.nonresponse import nonresponse_adjust
from analysis.weighting.trimming import trim_weights

__all__ = [
    "By",
    "CalibrationResult",
    "MARGIN_TOTAL_TOLERANCE",
    "Margins",
    "PostStratification",
    "RAKING_PROJECTION_SWEEPS",
    "RakeResult",
    "Raking",
    "Totals",
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
