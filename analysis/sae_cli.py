"""``gesurvey analyze sae DATA --indicator I… --level district|commune``: the side-by-side
small-area table (direct, Fay–Herriot model, MSE/CV, shrinkage, which one is published)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from analysis.errors import AnalysisError

__all__ = ["sae"]


@click.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--indicator",
    "indicators",
    multiple=True,
    required=True,
    help="Plan indicator id, e.g. I1.1 (repeatable) / mã chỉ tiêu.",
)
@click.option(
    "--level",
    type=click.Choice(["district", "commune"]),
    default="commune",
    show_default=True,
    help="Areas / cấp địa bàn.",
)
@click.option(
    "--variance",
    type=click.Choice(["smoothed", "direct"]),
    default="smoothed",
    show_default=True,
    help="Sampling variances given to the model / phương sai mẫu dùng cho mô hình.",
)
@click.option("--plan", "plan_path", default=None, help="Table plan JSON / kế hoạch bảng.")
@click.option("--frame-scale", type=int, default=1, show_default=True)
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="CSV file to write.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
def sae(
    data_dir: str,
    indicators: tuple[str, ...],
    level: str,
    variance: str,
    plan_path: str | None,
    frame_scale: int,
    out: str | None,
    fmt: str,
) -> None:
    """Small-area (Fay-Herriot) estimates beside the direct ones, with the published figure.

    Ước lượng địa bàn nhỏ (Fay-Herriot) bên cạnh ước lượng trực tiếp, kèm số liệu được công bố.
    """
    from analysis.sae import ESTIMATOR_NOTES, indicator_sae

    try:
        table, models = indicator_sae(data_dir, indicators, level, variance, plan_path, frame_scale)
    except AnalysisError as error:
        click.echo(f"Lỗi: {error.message('vi')}", err=True)
        click.echo(f"Error: {error.message('en')}", err=True)
        raise SystemExit(2) from None
    note = {lang: " | ".join(ESTIMATOR_NOTES[lang].values()) for lang in ("en", "vi")}
    if fmt == "json":
        payload = {
            "note": note,
            "models": models,
            "rows": json.loads(table.to_json(orient="records")),
        }
        text = json.dumps(payload, ensure_ascii=False, indent=2)
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            click.echo(text)
        return
    if out:
        table.to_csv(out, index=False)
        Path(out).with_suffix(".model.json").write_text(
            json.dumps({"note": note, "models": models}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        click.echo(f"{out}: {len(table)} rows; {note['en']}")
    else:
        click.echo(table.to_csv(index=False), nl=False)
