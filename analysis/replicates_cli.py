"""Command-line pieces for replicate weights: the ``--replicates`` options of ``gesurvey analyze
estimate`` and the dispatch from a statistic name to :mod:`analysis.replicates`.

Kept apart from :mod:`analysis.cli` so that the estimate command gains one decorator and one
branch; the ``gesurvey analyze replicates`` command itself is :mod:`analysis.replicates_command`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from analysis import replicates as rp
    from analysis.design import SurveyDesign
    from analysis.estimators import EstimateTable

# numpy, pandas and the estimators load inside the functions: ``gesurvey analyze --help`` stays
# light.

__all__ = [
    "build_replicates",
    "public_use_replicates",
    "read_sidecar",
    "replicate_estimate",
    "replicate_options",
]


def read_sidecar(data_path: str) -> dict[str, Any] | None:
    """The replicate settings a public-use file carries beside it (``DATA.replicates.json``,
    written by ``gesurvey analyze replicates``), or None when there is no such file."""
    import json
    from pathlib import Path

    path = Path(data_path)
    side = path.with_name(path.name + ".replicates.json")
    if not side.is_file():
        return None
    meta = json.loads(side.read_text(encoding="utf-8"))
    if not isinstance(meta, dict) or not meta.get("repweights"):
        raise AnalysisError(
            f"{side}: no replicate weight columns listed (repweights)",
            f"{side}: không liệt kê cột trọng số mẫu lặp nào (repweights)",
        )
    meta["file"] = side.name
    return meta


def public_use_replicates(design: SurveyDesign, meta: dict[str, Any]) -> rp.ReplicateDesign:
    """The replicate design of a public-use file from its settings (:func:`read_sidecar`):
    the same weights, scale, rscales and mse as R's ``svrepdesign`` call the settings name."""
    from analysis import replicates as rp

    return rp.from_columns(
        design.data,
        str(meta["weight"]),
        [str(c) for c in meta["repweights"]],
        type=str(meta.get("type", "other")),
        scale=float(meta.get("scale", 1.0)),
        rscales=meta.get("rscales"),
        mse=bool(meta.get("mse", False)),
    )


def replicate_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--replicates``, ``--replicates-n``, ``--seed`` and ``--interval-type`` options."""
    options = [
        click.option(
            "--replicates",
            type=click.Choice(["jk", "bootstrap", "brr", "fay"]),
            default=None,
            help="Standard errors from replicate weights (JKn jackknife, Rao-Wu bootstrap, BRR, "
            "Fay) instead of linearisation / sai số chuẩn theo trọng số mẫu lặp.",
        ),
        click.option(
            "--replicates-n",
            type=int,
            default=50,
            show_default=True,
            help="Bootstrap replicates / số mẫu lặp bootstrap.",
        ),
        click.option(
            "--seed",
            type=int,
            default=20261203,
            show_default=True,
            help="Bootstrap random seed / hạt giống ngẫu nhiên.",
        ),
        click.option(
            "--interval-type",
            type=click.Choice(["quantile", "mean"]),
            default="quantile",
            show_default=True,
            help="Quantile CIs with replicates: replicate quantiles or Woodruff (R's "
            "interval.type) / cách tính KTC phân vị.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def build_replicates(
    design: SurveyDesign, kind: str, replicates_n: int = 50, seed: int | None = None
) -> rp.ReplicateDesign:
    """Replicate weights of the kind named on the command line."""
    from analysis import replicates as rp

    if replicates_n < 2:
        raise AnalysisError(
            "--replicates-n must be at least 2", "--replicates-n phải lớn hơn hoặc bằng 2"
        )
    return rp.replicate(design, kind, replicates=replicates_n, seed=seed)


def replicate_estimate(
    rep: rp.ReplicateDesign,
    stat: str,
    variable: str,
    denominator: str | None,
    quantiles: Sequence[float],
    by: Sequence[str],
    level: float,
    interval_type: str = "quantile",
) -> EstimateTable[Any]:
    """One statistic of one variable with replicate SEs."""
    from analysis import replicates as rp

    if stat == "mean":
        return rp.mean(rep, variable, by=by, level=level)
    if stat == "proportion":
        return rp.proportion(rep, variable, by=by, level=level)
    if stat == "total":
        return rp.total(rep, variable, by=by, level=level)
    if stat == "ratio":
        if not denominator:
            raise AnalysisError(
                "--stat ratio needs --denominator", "--stat ratio cần --denominator"
            )
        return rp.ratio(rep, variable, denominator, by=by, level=level)
    return rp.quantile(
        rep, variable, quantiles or (0.25, 0.5, 0.75), by=by, level=level, interval=interval_type
    )
