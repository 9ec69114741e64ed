"""The ``gesurvey weights`` commands: calibrate or rake the weights of a data file.

``calibrate`` runs the sampling plan's calibration (post-stratify on census cells, or rake to
margins when cells are sparse, then trim at 3.5 × median and re-rake) and writes the data with
the calibrated and final weights as new columns; ``rake`` rakes to margins given one totals file
each. Data and totals files are CSV or Parquet (by suffix); a totals file has the cell columns
and one column of population counts. A JSON summary goes to standard output. Bad input exits
with status 2 and a message in Vietnamese and English.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import pandas as pd

from analysis.cli import read_table
from analysis.errors import AnalysisError
from analysis.weighting import calibrate_weights, rake_weights

__all__ = ["weights"]


def _guard(function: Callable[..., None]) -> Callable[..., None]:
    """Turn AnalysisError into exit status 2 with the message in both languages."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except AnalysisError as error:
            click.echo(f"Lỗi: {error.message('vi')}", err=True)
            click.echo(f"Error: {error.message('en')}", err=True)
            raise SystemExit(2) from None

    return wrapper


def _write(data: pd.DataFrame, path: str) -> None:
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        data.to_csv(target, index=False)
    elif suffix in (".parquet", ".pq"):
        data.to_parquet(target, index=False)
    else:
        raise AnalysisError(
            f"output file '{path}' must end in .csv or .parquet",
            f"Tệp kết quả '{path}' phải có đuôi .csv hoặc .parquet",
        )


def _new_column(data: pd.DataFrame, name: str) -> str:
    if name in data.columns:
        raise AnalysisError(
            f"the data already have a column '{name}'; choose another name for the new weights",
            f"Dữ liệu đã có cột '{name}'; hãy chọn tên khác cho cột trọng số mới",
            column=name,
        )
    return name


def _columns(spec: str) -> list[str]:
    return [c.strip() for c in spec.split(",") if c.strip()]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _summary(**fields: Any) -> None:
    click.echo(
        json.dumps(
            {k: _plain(v) for k, v in fields.items()}, ensure_ascii=False, indent=2, default=str
        )
    )


def _weights_of(data: pd.DataFrame, weight: str) -> pd.Series:
    if weight not in data.columns:
        raise AnalysisError(
            f"weight column '{weight}' is not in the data",
            f"Không có cột trọng số '{weight}' trong dữ liệu",
            column=weight,
        )
    values = pd.to_numeric(data[weight], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        rows = list(data.index[bad])[:10]
        raise AnalysisError(
            f"weight column '{weight}' is missing or not numeric in rows "
            f"{', '.join(map(str, rows))}",
            f"Cột trọng số '{weight}' bị thiếu hoặc không phải số ở các dòng "
            f"{', '.join(map(str, rows))}",
            column=weight,
            rows=rows,
        )
    return values


@click.group()
def weights() -> None:
    """Calibrate survey weights to population totals.

    Hiệu chỉnh trọng số mẫu theo tổng dân số.
    """


@weights.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("--weight", required=True, help="Weight column to calibrate / cột trọng số.")
@click.option(
    "--cells",
    "cells",
    multiple=True,
    required=True,
    help="Census cell column (repeatable) / cột ô điều tra dân số.",
)
@click.option(
    "--totals",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Population of every cell / dân số từng ô (CSV, Parquet).",
)
@click.option(
    "--fallback-margin",
    "fallback",
    multiple=True,
    help="Margin if cells are sparse, e.g. 'sex,age_group' / biên dự phòng.",
)
@click.option(
    "--min-cell",
    type=int,
    default=20,
    show_default=True,
    help="Fewest respondents a cell may have / số người trả lời tối thiểu mỗi ô.",
)
@click.option(
    "--trim-factor",
    type=float,
    default=3.5,
    show_default=True,
    help="Trim weights above this × median / cắt trọng số trên hệ số × trung vị.",
)
@click.option("--no-trim", is_flag=True, help="Do not trim / không cắt trọng số.")
@click.option(
    "--max-iter",
    type=int,
    default=100,
    show_default=True,
    help="Most raking passes / số vòng cào tối đa.",
)
@click.option(
    "--epsilon",
    type=float,
    default=1e-10,
    show_default=True,
    help="Raking tolerance; < 1 is a fraction of the weight total (R) / ngưỡng hội tụ.",
)
@click.option("--out", required=True, help="Output file (.csv or .parquet) / tệp kết quả.")
@_guard
def calibrate(
    data: str,
    weight: str,
    cells: Sequence[str],
    totals: str,
    fallback: Sequence[str],
    min_cell: int,
    trim_factor: float,
    no_trim: bool,
    max_iter: int,
    epsilon: float,
    out: str,
) -> None:
    """Post-stratify (or rake), trim and re-rake; add WEIGHT_calibrated and WEIGHT_final.

    Hậu phân tầng (hoặc cào), cắt và cào lại; thêm cột WEIGHT_calibrated, WEIGHT_final.
    """
    frame = read_table(data)
    population = read_table(totals)
    calibrated_name = _new_column(frame, f"{weight}_calibrated")
    final_name = _new_column(frame, f"{weight}_final")
    result = calibrate_weights(
        _weights_of(frame, weight),
        frame,
        list(cells),
        population,
        min_cell_size=min_cell,
        fallback_margins=[_columns(m) for m in fallback] or None,
        trim_factor=None if no_trim else trim_factor,
        max_iter=max_iter,
        epsilon=epsilon,
    )
    frame[calibrated_name] = result.calibrated
    frame[final_name] = result.weights
    _write(frame, out)
    _summary(
        method=result.method,
        sparse_cells=[list(map(str, c)) for c in result.sparse_cells],
        margins=[list(m) for m in result.margins],
        passes=result.rake.iterations,
        converged=result.rake.converged,
        trim_cap=result.trim_cap,
        n_trimmed=result.n_trimmed,
        sum_weights=float(result.weights.sum()),
        output=out,
    )


@weights.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("--weight", required=True, help="Weight column to rake / cột trọng số.")
@click.option(
    "--margin",
    "margins",
    multiple=True,
    required=True,
    metavar="COLUMNS=FILE",
    help="Margin columns and their totals file, e.g. 'sex,age_group=pop.csv' "
    "(repeatable) / cột biên và tệp tổng.",
)
@click.option(
    "--max-iter",
    type=int,
    default=100,
    show_default=True,
    help="Most raking passes / số vòng cào tối đa.",
)
@click.option(
    "--epsilon",
    type=float,
    default=1e-10,
    show_default=True,
    help="Raking tolerance; < 1 is a fraction of the weight total (R) / ngưỡng hội tụ.",
)
@click.option("--out", required=True, help="Output file (.csv or .parquet) / tệp kết quả.")
@_guard
def rake(
    data: str, weight: str, margins: Sequence[str], max_iter: int, epsilon: float, out: str
) -> None:
    """Rake WEIGHT to the margins; add the column WEIGHT_raked.

    Cào trọng số theo các biên; thêm cột WEIGHT_raked.
    """
    frame = read_table(data)
    raked_name = _new_column(frame, f"{weight}_raked")
    parsed: list[tuple[list[str], pd.DataFrame]] = []
    for spec in margins:
        columns, sep, path = spec.partition("=")
        if not sep or not _columns(columns) or not path:
            raise AnalysisError(
                f"--margin '{spec}' must look like COLUMNS=FILE, e.g. sex,age_group=pop.csv",
                f"--margin '{spec}' phải có dạng CỘT=TỆP, ví dụ sex,age_group=pop.csv",
            )
        if not Path(path).is_file():
            raise AnalysisError(
                f"--margin '{spec}': totals file '{path}' does not exist",
                f"--margin '{spec}': không có tệp tổng '{path}'",
            )
        parsed.append((_columns(columns), read_table(path)))
    result = rake_weights(
        _weights_of(frame, weight),
        frame,
        [(tuple(c), t) for c, t in parsed],
        max_iter=max_iter,
        epsilon=epsilon,
    )
    frame[raked_name] = result.weights
    _write(frame, out)
    _summary(
        margins=[list(m) for m in result.margin_names],
        passes=result.iterations,
        converged=result.converged,
        max_change=result.max_change,
        sum_weights=float(result.weights.sum()),
        output=out,
    )
