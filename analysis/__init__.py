"""Design-based analysis of complex survey data: estimators, tests, weighting, tables, reports.

The public API for scripts and notebooks is importable from this package::

    import pandas as pd
    from analysis import SurveyDesign, proportion, gap

    people = pd.read_parquet("survey/individual.parquet")
    design = SurveyDesign(people, weight="weight_final", strata="stratum", psu="psu", nest=True)
    by_sex = proportion(design, "D6_01", by="resp_sex")        # an EstimateTable
    by_sex.to_frame()                                          # pandas: estimate, SE, CI, df, n
    gap(design, "D6_01", between=("resp_sex", 2, 1)).to_frame()  # women − men, and W / M

Every estimator returns an :class:`EstimateTable` (rows in domain order) whose ``to_frame()``
holds one row per domain (and level) with the domain columns first, then ``estimate``,
``std_error``, ``ci_low``, ``ci_high``, ``df``, ``deff``, ``n_unweighted`` and ``sum_weights``
(a gap table: both sides, ``difference`` with its CI and p-value, and the ``ratio`` W / M).
:func:`chisq` returns a :class:`ChisqResult`, also with ``to_frame()``.

The methods are those of R's ``survey`` package (Lumley, *Complex Surveys: A Guide to Analysis
Using R*, Wiley 2010) and of Lohr, *Sampling: Design and Analysis* (2nd ed., 2010): Taylor
linearisation with the with-replacement PSU variance, domains estimated on the full design,
logit CIs for proportions, Rao-Scott tests of association, and post-stratification, raking and
trimming with variances that account for the calibration. Each function's docstring names its
R counterpart and source.

Names are loaded on first use, so ``import analysis`` stays cheap for the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.design import SurveyDesign
    from analysis.errors import AnalysisError
    from analysis.estimators import (
        Estimate,
        EstimateTable,
        GapEstimate,
        gap,
        mean,
        proportion,
        quantile,
        ratio,
        total,
    )
    from analysis.tests_of_association import ChisqResult, chisq
    from analysis.variables import expand_multi, missing_to_nan
    from analysis.weighting import (
        WeightingError,
        calibrate_weights,
        nonresponse_adjust,
        poststratify,
        rake,
        trim,
    )

__all__ = [
    "AnalysisError",
    "ChisqResult",
    "Estimate",
    "EstimateTable",
    "GapEstimate",
    "SurveyDesign",
    "WeightingError",
    "calibrate_weights",
    "chisq",
    "expand_multi",
    "gap",
    "mean",
    "missing_to_nan",
    "nonresponse_adjust",
    "poststratify",
    "proportion",
    "quantile",
    "rake",
    "ratio",
    "total",
    "trim",
]

_HOME = {
    "AnalysisError": "analysis.errors",
    "ChisqResult": "analysis.tests_of_association",
    "Estimate": "analysis.estimators",
    "EstimateTable": "analysis.estimators",
    "GapEstimate": "analysis.estimators",
    "SurveyDesign": "analysis.design",
    "WeightingError": "analysis.weighting",
    "calibrate_weights": "analysis.weighting",
    "chisq": "analysis.tests_of_association",
    "expand_multi": "analysis.variables",
    "gap": "analysis.estimators",
    "mean": "analysis.estimators",
    "missing_to_nan": "analysis.variables",
    "nonresponse_adjust": "analysis.weighting",
    "poststratify": "analysis.weighting",
    "proportion": "analysis.estimators",
    "quantile": "analysis.estimators",
    "rake": "analysis.weighting",
    "ratio": "analysis.estimators",
    "total": "analysis.estimators",
    "trim": "analysis.weighting",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
