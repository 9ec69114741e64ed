"""The ``gesurvey analyze report`` command: every table of a plan as Excel, PDF, CSV and packs."""

from __future__ import annotations

import re
from pathlib import Path

import click

from analysis.errors import AnalysisError
from questionnaires.rounds import ROUND_FILE, RoundError, RoundInfo, read_round

__all__ = ["report", "report_round"]


def report_round(data_dir: str | Path, code: str | None) -> RoundInfo | None:
    """The survey round a report is of: DATA_DIR's ``round.json``, checked against ``code``.

    Without ``round.json`` a ``code`` starting with a four-digit year names an annual round of
    that year (label ``Đợt <code>`` / ``Round <code>``); any other code, or a code that differs
    from the folder's, is a RoundError naming both, so a report is never labelled with the
    wrong round.
    """
    info = read_round(data_dir)
    if code is None or (info is not None and info.code == code):
        return info
    where = str(Path(data_dir) / ROUND_FILE)
    if info is not None:
        raise RoundError(
            f"{where}: the data are of round {info.code!r}, not {code!r}; drop --round or "
            "export the round you want",
            f"{where}: dữ liệu thuộc đợt {info.code!r}, không phải {code!r}; bỏ --round hoặc "
            "xuất dữ liệu của đợt cần lập báo cáo",
            where=where,
        )
    year = re.match(r"^(\d{4})", code)
    if year is None:
        raise RoundError(
            f"{where}: no round description here and --round {code!r} does not start with a "
            "year; export the data with its round (gesurvey export --round) or write round.json",
            f"{where}: không có mô tả đợt điều tra và --round {code!r} không bắt đầu bằng năm; "
            "hãy xuất dữ liệu kèm đợt (gesurvey export --round) hoặc viết round.json",
            where=where,
        )
    return RoundInfo(code, f"Đợt {code}", f"Round {code}", int(year.group(1)), "annual")


@click.command()
@click.argument("data_dir", type=click.Path(file_okay=False))
@click.option(
    "--plan",
    "plan_path",
    default=None,
    help="Table plan JSON (default: the bundled langson plan) / kế hoạch bảng.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder / thư mục kết quả.",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Report language / ngôn ngữ báo cáo.",
)
@click.option("--no-pdf", is_flag=True, help="Skip the PDF files / không tạo tệp PDF.")
@click.option(
    "--small-areas",
    multiple=True,
    help="Only these indicators in small_areas.csv (repeatable; default: those the gender "
    "database keeps at district and commune level) / chỉ các chỉ tiêu này trong bảng địa bàn nhỏ.",
)
@click.option(
    "--round",
    "round_code",
    default=None,
    help="Survey round of the data (checked against DATA_DIR/round.json; without that file, a "
    "code starting with its year, e.g. 2018) / đợt điều tra của dữ liệu.",
)
@click.option(
    "--no-small-areas",
    is_flag=True,
    help="No district/commune small-area table / không lập bảng địa bàn nhỏ.",
)
@click.option(
    "--earlier",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Data folder of an earlier round (repeatable): adds the trend table, charts and "
    "trend/ CSVs, and the change since the last round on the front pages / thư mục dữ liệu "
    "của vòng trước (lặp lại được): thêm bảng, biểu đồ xu hướng và thay đổi so với vòng trước.",
)
@click.option(
    "--trend",
    "trend_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="A folder 'gesurvey analyze trend' wrote, ending with this round (instead of "
    "--earlier) / thư mục do 'analyze trend' tạo ra, vòng cuối là vòng này.",
)
def report(
    data_dir: str,
    plan_path: str | None,
    out: str,
    lang: str,
    no_pdf: bool,
    small_areas: tuple[str, ...],
    no_small_areas: bool,
    round_code: str | None,
    earlier: tuple[str, ...],
    trend_dir: str | None,
) -> None:
    """Write the report of a survey data folder: Excel, PDF, CSV and department packs.

    Lập báo cáo từ thư mục dữ liệu khảo sát: Excel, PDF, CSV và bộ bảng cho từng sở, ngành.

    The survey round (DATA_DIR/round.json, or --round) is written into every output: round.json,
    the workbook's and the PDF's title, each table CSV's title line.
    """
    # Imported here so the other analyze commands start without the report's libraries.
    from analysis.report import run_report
    from questionnaires.errors import QuestionnaireError
    from questionnaires.plans import bundled_plan_path, load_plan

    plan_file = Path(plan_path) if plan_path else bundled_plan_path()
    try:
        survey_round = report_round(data_dir, round_code)
        plan = load_plan(plan_file)
        total = len(plan.tables)
        trend = None
        if trend_dir:
            from analysis.report_trend import read_trend

            trend = read_trend(trend_dir)
        elif earlier:
            from analysis.trend import trend_tables

            trend = trend_tables([*earlier, data_dir], plan, lang=lang)
        label = "Đang lập bảng" if lang == "vi" else "Building tables"
        with click.progressbar(
            length=total, label=label, file=click.get_text_stream("stderr"), show_pos=True
        ) as bar:
            manifest = run_report(
                data_dir,
                plan_file,
                out,
                lang,
                progress=lambda _table_id: bar.update(1),
                pdf=not no_pdf,
                small_areas=False if no_small_areas else (list(small_areas) or True),
                survey_round=survey_round,
                trend=trend,
            )
    except AnalysisError as error:
        click.echo(f"Lỗi: {error.message('vi')}", err=True)
        click.echo(f"Error: {error.message('en')}", err=True)
        raise SystemExit(2) from None
    except RoundError as error:
        click.echo(f"Lỗi: {error.message_in('vi')}", err=True)
        click.echo(f"Error: {error.message_in('en')}", err=True)
        raise SystemExit(2) from None
    except QuestionnaireError as error:
        for line in error.messages_vi:
            click.echo(f"Lỗi: {line}", err=True)
        for line in error.messages:
            click.echo(f"Error: {line}", err=True)
        raise SystemExit(2) from None
    done = "Đã ghi" if lang == "vi" else "Wrote"
    click.echo(f"{done} {len(manifest['tables'])} {'bảng' if lang == 'vi' else 'tables'} → {out}")
    for name in manifest["files"].values():
        click.echo(f"  {Path(out) / name}")
    for dep_id, pack in manifest["departments"].items():
        click.echo(f"  {Path(out) / 'departments' / dep_id}: {len(pack['tables'])}")
