"""``gesurvey analyze replicates DATA --out FILE``: a public-use file with replicate weights.

The file keeps every column except the design and location codes (strata, PSU, and by default
the commune, village and household codes, which identify villages), and adds the full-sample
``weight`` and one analysis-weight column per replicate. A JSON file beside it
(``FILE.replicates.json``) holds what a user needs to reproduce the SEs: type, scale, rscales,
mse, and the R call (``svrepdesign(..., type="other", combined.weights=TRUE)``).
Calibration (``--poststrat`` / ``--rake`` totals files) is applied to every replicate first.
A file holding the women's module answers is refused: those answers are encrypted at rest and
never released as microdata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from analysis.errors import AnalysisError
from analysis.lonely_psu import LONELY_PSU_RULES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["replicates_command"]

#: Columns that locate a respondent below the district; never in a public-use file.
LOCATION_COLUMNS = (
    "commune",
    "commune_code",
    "village",
    "village_code",
    "village_id",
    "psu_id",
    "hh_id",
    "household_id",
    "interviewer",
    "interviewer_id",
    "gps",
    "latitude",
    "longitude",
)


def _refuse_women_module(table: pd.DataFrame, path: str) -> None:
    """The women's module (violence, sensitive answers) is never released as microdata: its
    answers are encrypted at rest and a public-use file would be a plain copy of them."""
    from questionnaires import load_bundled

    forms = load_bundled()
    if "women" not in forms:
        return
    women = {q.id for q in forms["women"].iter_questions()}
    others = set().union(
        *({q.id for q in form.iter_questions()} for key, form in forms.items() if key != "women")
    )
    found = sorted(set(table.columns) & (women - others))
    if found:
        raise AnalysisError(
            f"'{path}' holds women's-module answers ({', '.join(found[:5])}); they are never "
            f"released in a public-use file",
            f"'{path}' có câu trả lời của phiếu phụ nữ ({', '.join(found[:5])}); không bao giờ "
            f"được công bố trong tệp dữ liệu công khai",
            column=found[0],
        )


def _totals(path: str) -> tuple[list[str], pd.DataFrame]:
    from analysis.cli import read_table

    frame = read_table(path)
    if "Freq" not in frame.columns:
        raise AnalysisError(
            f"totals file '{path}' needs a 'Freq' column",
            f"Tệp tổng thể '{path}' cần cột 'Freq'",
            column="Freq",
        )
    return [c for c in frame.columns if c != "Freq"], frame


@click.command("replicates")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output CSV/Parquet.")
@click.option("--weight", required=True, help="Weight column / cột trọng số.")
@click.option("--strata", default=None, help="Stratum column / cột tầng.")
@click.option("--psu", default=None, help="PSU column / cột đơn vị mẫu cấp 1.")
@click.option("--nest/--no-nest", default=False, help="PSU codes restart in each stratum.")
@click.option(
    "--lonely-psu", type=click.Choice(LONELY_PSU_RULES), default="fail", show_default=True
)
@click.option(
    "--type",
    "kind",
    type=click.Choice(["jk", "bootstrap", "brr", "fay"]),
    default="bootstrap",
    show_default=True,
    help="Replicate method / phương pháp mẫu lặp.",
)
@click.option("--replicates-n", type=int, default=80, show_default=True)
@click.option("--seed", type=int, default=20261203, show_default=True)
@click.option(
    "--poststrat",
    default=None,
    help="Post-stratification totals (columns + Freq) / tổng thể hậu phân tầng.",
)
@click.option(
    "--rake", "rake_files", multiple=True, help="Raking margin totals (repeatable) / biên."
)
@click.option(
    "--drop", multiple=True, help="More columns to remove / các cột cần bỏ thêm (lặp lại)."
)
def replicates_command(
    data: str,
    out: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    nest: bool,
    lonely_psu: str,
    kind: str,
    replicates_n: int,
    seed: int,
    poststrat: str | None,
    rake_files: tuple[str, ...],
    drop: tuple[str, ...],
) -> None:
    """Write a public-use file: replicate weights, no strata/PSU/commune/village codes.

    Ghi tệp dữ liệu công khai: có trọng số mẫu lặp, không có mã tầng/PSU/xã/thôn.
    """
    try:
        _write_public_use_file(
            data,
            out,
            weight,
            strata,
            psu,
            nest,
            lonely_psu,
            kind,
            replicates_n,
            seed,
            poststrat,
            rake_files,
            drop,
        )
    except AnalysisError as error:
        click.echo(f"Lỗi: {error.message('vi')}", err=True)
        click.echo(f"Error: {error.message('en')}", err=True)
        raise SystemExit(2) from None


def _write_public_use_file(
    data: str,
    out: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    nest: bool,
    lonely_psu: str,
    kind: str,
    replicates_n: int,
    seed: int,
    poststrat: str | None,
    rake_files: tuple[str, ...],
    drop: tuple[str, ...],
) -> None:
    from analysis import replicates as rp
    from analysis.cli import read_table
    from analysis.design import SurveyDesign

    table_in = read_table(data)
    _refuse_women_module(table_in, data)
    design = SurveyDesign(
        table_in, weight=weight, strata=strata, psu=psu, lonely_psu=lonely_psu, nest=nest
    )
    rep = rp.replicate(design, kind, replicates=replicates_n, seed=seed)
    if poststrat:
        columns, frame = _totals(poststrat)
        rep = rp.poststratify(rep, columns, frame)
    if rake_files:
        rep = rp.rake(rep, [_totals(path) for path in rake_files], maxit=100, epsilon=1e-10)
    removed = [c for c in (strata, psu, weight, *LOCATION_COLUMNS, *drop) if c]
    table, settings = rp.public_use_file(rep, drop=removed)
    target = Path(out)
    if target.suffix.lower() in (".parquet", ".pq"):
        table.to_parquet(target, index=False)
    else:
        table.to_csv(target, index=False)
    settings["removed_columns"] = [c for c in removed if c in design.data.columns]
    meta = target.with_name(target.name + ".replicates.json")
    meta.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    click.echo(
        f"{target}: {len(table)} rows, {rep.n_replicates} {rep.type} replicates; settings in {meta}"
    )
