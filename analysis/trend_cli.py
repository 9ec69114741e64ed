"""The ``gesurvey analyze trend`` command: the plan's indicators across survey rounds, as CSVs.

``gesurvey analyze trend DIR_2017 DIR_2018 DIR_2020 --out trend/`` writes ``levels.csv``,
``changes.csv``, ``gaps.csv``, ``comparability.csv``, ``rounds.json`` and a short
``README.md`` (:mod:`analysis.trend` says what each holds and how each SE is computed).
Bad input exits with status 2 and a message in Vietnamese and English.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from analysis.trend import TrendResult

__all__ = ["trend", "write_trend"]

_README = """# Trend tables / Bảng xu hướng

Rounds / Các đợt: {rounds}

- `levels.csv`: estimate per round, indicator, row variable and sex, with SE, CI, df, n /
  ước lượng mỗi đợt theo chỉ số, biến hàng và giới tính.
- `changes.csv`: change between consecutive rounds and first → last, SE, t, df, p /
  thay đổi giữa các đợt liên tiếp và từ đợt đầu đến đợt cuối.
- `gaps.csv`: women − men gap in each round and its change, SE, t, df, p /
  chênh lệch nữ − nam mỗi đợt và thay đổi của nó.
- `comparability.csv`: indicators whose questions changed between the rounds' questionnaire
  versions / chỉ số có câu hỏi thay đổi giữa các phiên bản phiếu.
- `targets.csv`: each survey target: baseline, latest estimate and CI, the straight path from
  the baseline to the 2020 target at the latest year, and the status decided from the CI /
  mỗi chỉ tiêu: giá trị cơ sở, ước lượng mới nhất, lộ trình và tình trạng theo KTC.
- `rounds.json`: the rounds compared, in order / các đợt được so sánh.

{status_rule}

Proportions are in percent, so changes are percentage points. / Tỷ lệ tính theo %, thay đổi
tính theo điểm phần trăm.

{method}

Test: Wald t = change / SE, two-sided, significant when p < {alpha:g}. Rows with
`comparable = False` compare two definitions and are not a change on the ground. / Kiểm định
Wald t = thay đổi / SE, hai phía, có ý nghĩa khi p < {alpha:g}. Dòng `comparable = False` so sánh
hai định nghĩa khác nhau, không phải thay đổi thực tế.

Significant changes (total row, everyone; with many indicators about 1 in 20 truly flat ones
is significant by chance) / Thay đổi có ý nghĩa (dòng tổng, chung; với nhiều chỉ số, khoảng
1/20 chỉ số không đổi vẫn có ý nghĩa do ngẫu nhiên):
{significant}
"""

_INDEPENDENT = (
    "Rounds are independent samples: SE(change) = √(SE₁² + SE₂²), df = df₁ + df₂ (each "
    "estimate's design df). / Các đợt là mẫu độc lập: SE(thay đổi) = √(SE₁² + SE₂²), "
    "bậc tự do = df₁ + df₂."
)
_PANEL = (
    "Rounds share PSUs (panel): both rounds are stacked in one design (same strata and PSU "
    "codes) and the change is linearised as one contrast, so the PSU-level covariance of the "
    "rounds enters its SE (R: svycontrast of svyby on rbind of the rounds); df = the stacked "
    "domain's PSUs minus strata. / Các đợt dùng chung PSU (mẫu lặp): ghép hai đợt trong một "
    "thiết kế, thay đổi được tuyến tính hóa như một tương phản, giữ hiệp phương sai giữa các đợt."
)


def write_trend(result: TrendResult, out: Path) -> list[Path]:
    """Write the trend tables and README into ``out``; return the files written."""
    from analysis.target_status import STATUS_RULE

    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name in ("levels", "changes", "gaps", "comparability", "targets"):
        path = out / f"{name}.csv"
        getattr(result, name).to_csv(path, index=False, encoding="utf-8")
        files.append(path)
    rounds = [
        {
            "code": r.code,
            "label": {"vi": r.label_vi, "en": r.label_en},
            "reference_year": r.year,
            "kind": r.kind,
            "folder": str(r.folder),
        }
        for r in result.rounds
    ]
    path = out / "rounds.json"
    path.write_text(json.dumps(rounds, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    files.append(path)
    changes = result.changes
    total = changes[(changes["by"] == "total") & (changes["sex"] == "all") & changes["significant"]]
    lines = [
        f"- {r.indicator} {r.from_round} → {r.to_round}: {r.change:+.3g} (p = {r.p_value:.2g})"
        + ("" if r.comparable else " — not comparable / không so sánh được")
        for r in total.itertuples(index=False)
    ]
    path = out / "README.md"
    path.write_text(
        _README.format(
            rounds=", ".join(f"{r.code} ({r.label_en} / {r.label_vi})" for r in result.rounds),
            method=_PANEL if result.panel else _INDEPENDENT,
            alpha=1 - result.level,
            significant="\n".join(lines) or "- none / không có",
            status_rule=f"{STATUS_RULE['en']}\n\n{STATUS_RULE['vi']}",
        ),
        encoding="utf-8",
    )
    files.append(path)
    return files


@click.command("trend")
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder / thư mục kết quả.",
)
@click.option(
    "--plan",
    "plan_path",
    default=None,
    help="Table plan JSON (default: the bundled langson plan) / kế hoạch bảng.",
)
@click.option(
    "--panel",
    is_flag=True,
    help="The rounds share PSUs: SEs of changes keep their covariance / các đợt dùng chung PSU.",
)
@click.option(
    "--indicator",
    "indicators",
    multiple=True,
    help="Only these indicators (repeatable) / chỉ các chỉ số này.",
)
@click.option(
    "--level",
    type=float,
    default=0.95,
    show_default=True,
    help="Confidence level; tests at 1 − level / mức tin cậy.",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of row labels / ngôn ngữ nhãn.",
)
def trend(
    folders: tuple[str, ...],
    out: Path,
    plan_path: str | None,
    panel: bool,
    indicators: tuple[str, ...],
    level: float,
    lang: str,
) -> None:
    """Compare survey rounds: every plan indicator per round, its changes and their tests.

    So sánh các đợt điều tra: mỗi chỉ số theo đợt, thay đổi và kiểm định.
    """
    from analysis.trend import trend_tables
    from questionnaires.errors import QuestionnaireError
    from questionnaires.loader import load_bundled
    from questionnaires.plans import bundled_plan_path, load_plan

    try:
        forms = load_bundled()
        plan = load_plan(Path(plan_path) if plan_path else bundled_plan_path(), forms)
        result = trend_tables(
            [Path(f) for f in folders],
            plan,
            lang=lang,
            level=level,
            panel=panel,
            indicators=list(indicators) or None,
            forms=forms,
            progress=lambda code: click.echo(f"  {code}", err=True),
        )
        files = write_trend(result, out)
    except AnalysisError as error:
        click.echo(f"Lỗi: {error.message('vi')}", err=True)
        click.echo(f"Error: {error.message('en')}", err=True)
        raise SystemExit(2) from None
    except QuestionnaireError as error:
        for line in error.messages_vi:
            click.echo(f"Lỗi: {line}", err=True)
        for line in error.messages:
            click.echo(f"Error: {line}", err=True)
        raise SystemExit(2) from None
    except OSError as error:
        click.echo(f"Lỗi / Error: {error}", err=True)
        raise SystemExit(2) from None
    done = "Đã ghi" if lang == "vi" else "Wrote"
    click.echo(f"{done} {len(result.rounds)} {'đợt' if lang == 'vi' else 'rounds'} → {out}")
    for path in files:
        click.echo(f"  {path}")
