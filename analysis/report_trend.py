"""The trend table of the report (T1): each indicator's estimate per round, by sex, with changes.

When the report is run with earlier rounds (``gesurvey analyze report DATA --earlier DIR``), the
trend tables of :mod:`analysis.trend` are turned into one report table: a block per indicator,
a row per round, the women's and men's (or the whole population's) estimate with its 95% CI, and
the change since the previous round with its p-value (independent samples unless the trend was
computed on a panel). The PDF draws it as small multiples — one small line chart per indicator,
women and men as two lines with CI whiskers — and the department packs keep their own
indicators. The trend's own CSV files (levels, changes, gaps, comparability, targets) are
written beside the report in ``trend/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.tables import Column, Row, TableResult

if TYPE_CHECKING:
    from analysis.trend import TrendResult
    from questionnaires.plans import TablePlan

__all__ = ["read_trend", "trend_table"]

_TEXT = {
    "title": {
        "vi": "Xu hướng qua các vòng khảo sát: ước lượng theo giới và thay đổi so với vòng trước",
        "en": "Trends across survey rounds: estimates by sex and change since the previous round",
    },
    "women": {"vi": "Nữ", "en": "Women"},
    "men": {"vi": "Nam", "en": "Men"},
    "all": {"vi": "Chung", "en": "Both sexes"},
    "est": {"vi": "Ước lượng", "en": "Estimate"},
    "ci": {"vi": "KTC 95%", "en": "95% CI"},
    "change": {"vi": "Thay đổi", "en": "Change"},
    "p": {"vi": "p", "en": "p"},
    "note": {
        "vi": "Thay đổi giữa hai vòng liên tiếp; sai số chuẩn của thay đổi √(SE₁² + SE₂²) với mẫu "
        "độc lập, hoặc theo tương phản trên thiết kế ghép khi các vòng dùng chung PSU; kiểm định "
        "Wald theo thiết kế. Chỉ số có câu hỏi thay đổi giữa hai vòng được ghi 'không so sánh "
        "được'. Bảng đầy đủ (mọi nhóm, chênh lệch giới) ở thư mục trend/.",
        "en": "Changes between consecutive rounds; the change's SE is √(SE₁² + SE₂²) for "
        "independent samples, or a contrast in the stacked design when rounds share PSUs; "
        "design-based Wald tests. An indicator whose questions changed between two rounds is "
        "marked 'not comparable'. The full tables (every group, gender gaps) are in trend/.",
    },
    "not_comparable": {"vi": "không so sánh được", "en": "not comparable"},
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key]["vi" if lang == "vi" else "en"]


def _departments(plan: TablePlan) -> dict[str, list[str]]:
    """Which departments each indicator's tables go to."""
    found: dict[str, list[str]] = {}
    for table in plan.tables:
        iid = table.get("indicator")
        if iid:
            found.setdefault(iid, [])
            for dep in table.get("departments", ()):
                if dep not in found[iid]:
                    found[iid].append(dep)
    return found


def trend_table(result: TrendResult, plan: TablePlan, lang: str) -> TableResult:
    """T1: per indicator (total row), each round's estimate and CI by sex, and the change."""
    levels = result.levels[result.levels["by"] == "total"]
    changes = result.changes[result.changes["by"] == "total"]
    order = {r.code: i for i, r in enumerate(result.rounds)}
    labels = {r.code: (r.label_vi if lang == "vi" else r.label_en) for r in result.rounds}
    years = {r.code: r.year for r in result.rounds}
    consecutive = {
        (result.rounds[i].code, result.rounds[i + 1].code) for i in range(len(order) - 1)
    }
    departments = _departments(plan)
    rows: list[Row] = []
    chart: dict[str, dict[str, Any]] = {}
    sexes_used: set[str] = set()
    for iid, frame in levels.groupby("indicator", sort=False):
        label = str(frame[f"label_{'vi' if lang == 'vi' else 'en'}"].iloc[0])
        sexes = [s for s in ("women", "men") if s in set(frame["sex"])] or ["all"]
        sexes_used.update(sexes)
        series: dict[str, list[tuple[str, float, float, float]]] = {s: [] for s in sexes}
        for code in sorted(set(frame["round"]), key=lambda c: order.get(c, 0)):
            values: dict[str, Any] = {
                "_departments": departments.get(str(iid), []),
                "_indicator": str(iid),
            }
            for sex in sexes:
                level = frame[(frame["round"] == code) & (frame["sex"] == sex)]
                if level.empty:
                    continue
                est, low, high = (
                    float(level[c].iloc[0]) for c in ("estimate", "ci_low", "ci_high")
                )
                values[f"{sex}_est"], values[f"{sex}_ci"] = est, (low, high)
                series[sex].append((labels.get(code, code), est, low, high))
                change = changes[
                    (changes["indicator"] == iid)
                    & (changes["sex"] == sex)
                    & (changes["to_round"] == code)
                ]
                change = change[
                    [
                        (a, b) in consecutive
                        for a, b in zip(change["from_round"], change["to_round"], strict=True)
                    ]
                ]
                if not change.empty:
                    values[f"{sex}_change"] = float(change["change"].iloc[0])
                    values[f"{sex}_p"] = float(change["p_value"].iloc[0])
                    if not bool(change["comparable"].iloc[0]):
                        values["comparable"] = _t("not_comparable", lang)
            year = years.get(code)
            name = labels.get(code, code) + (f" ({year})" if year else "")
            rows.append(Row(name, values, block=f"{iid}. {label}", variable="round"))
        chart[str(iid)] = {"label": f"{iid}. {label}", "series": series}
    columns = []
    for sex in [s for s in ("women", "men", "all") if s in sexes_used]:
        group = _t(sex, lang)
        columns += [
            Column(f"{sex}_est", _t("est", lang), "number", group),
            Column(f"{sex}_ci", _t("ci", lang), "ci", group),
            Column(f"{sex}_change", _t("change", lang), "number", group),
            Column(f"{sex}_p", _t("p", lang), "p", group),
        ]
    columns.append(Column("comparable", "", "text"))
    notes = [_t("note", lang)] + [vi if lang == "vi" else en for en, vi in result.notes]
    return TableResult(
        "T1",
        _t("title", lang),
        sorted({d for deps in departments.values() for d in deps}),
        columns,
        rows,
        notes,
        "",
        extra={"trend_chart": chart},
    )


def read_trend(folder: str | Path) -> TrendResult:
    """The trend tables a ``gesurvey analyze trend --out FOLDER`` run wrote, read back.

    So a report can take a trend computed once (``analyze report DATA --trend FOLDER``) instead
    of recomputing it from the rounds' data folders. Round codes stay text ("2017", not 2017).
    """
    import json

    import pandas as pd

    from analysis.errors import AnalysisError
    from analysis.trend import RoundRef, TrendResult

    folder = Path(folder)
    names = ("levels", "changes", "gaps", "comparability", "targets")
    missing = [f"{n}.csv" for n in names if not (folder / f"{n}.csv").is_file()]
    if not (folder / "rounds.json").is_file():
        missing.append("rounds.json")
    if missing:
        raise AnalysisError(
            f"{folder}: not a trend folder (missing {', '.join(missing)}); give the folder "
            f"'gesurvey analyze trend … --out' wrote",
            f"{folder}: không phải thư mục xu hướng (thiếu {', '.join(missing)}); hãy chỉ thư mục "
            f"do 'gesurvey analyze trend … --out' tạo ra",
        )
    text_columns = {
        c: str
        for c in ("round", "from_round", "to_round", "baseline_round", "latest_round", "by_value")
    }
    frames = {n: pd.read_csv(folder / f"{n}.csv", dtype=text_columns) for n in names}
    rounds = [
        RoundRef(
            str(r["code"]),
            r["label"]["vi"],
            r["label"]["en"],
            r.get("reference_year"),
            r.get("kind"),
            Path(r.get("folder") or folder),
        )
        for r in json.loads((folder / "rounds.json").read_text(encoding="utf-8"))
    ]
    return TrendResult(
        rounds,
        frames["levels"],
        frames["changes"],
        frames["gaps"],
        frames["comparability"],
        frames["targets"],
    )
