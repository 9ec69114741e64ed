"""The report's front pages: the plan at a glance and the key findings, built from the tables.

What a provincial leader reads first, before the tables (issue 12 §2):

- **G1, the plan at a glance**: every target of the plan as a row under its objective, with the
  latest figure and its CI, the year, the change since the last round when earlier rounds are
  given, and the status from the CI rule (:mod:`analysis.target_status`), which the writers
  colour. Each row is table M1's main row for that target (the register figure, else the
  survey estimate over the target's population, else an indicative figure).
- **G2, key findings**: the largest gender gaps that are significant (total rows of the
  percentage tables, p < 0.05, largest in points first), what moved since the last round
  (trend changes with p < 0.05), and which districts lag (a district whose CI lies wholly
  below the province's figure on an indicator the plan sets a "≥" target for). Each finding
  names its table, and the writers link it there (a PDF link, an Excel hyperlink).

Nothing is typed: every number is read from the finished tables (or the trend tables), so the
front pages cannot disagree with them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.tables import Column, Row, TableResult, format_cell

__all__ = ["FRONT_TEXT", "front_tables", "glance_table", "findings_table"]

#: Significance level of the findings (two-sided p-value of the design-based test).
ALPHA = 0.05
#: How many gender gaps and changes the findings list.
TOP = 5

FRONT_TEXT: dict[str, dict[str, str]] = {
    "glance": {"vi": "Kế hoạch trong một trang", "en": "The plan at a glance"},
    "findings": {"vi": "Phát hiện chính", "en": "Key findings"},
    "target_col": {"vi": "Chỉ tiêu", "en": "Target"},
    "goal": {"vi": "Mục tiêu", "en": "Goal"},
    "latest": {"vi": "Số liệu mới nhất", "en": "Latest"},
    "change": {"vi": "Thay đổi so với vòng trước", "en": "Change since last round"},
    "finding": {"vi": "Phát hiện", "en": "Finding"},
    "table": {"vi": "Bảng", "en": "Table"},
    "gaps": {
        "vi": "Chênh lệch giới lớn nhất có ý nghĩa thống kê",
        "en": "Largest significant gender gaps",
    },
    "moved": {"vi": "Thay đổi so với vòng trước", "en": "What moved since the last round"},
    "lag": {"vi": "Các huyện chậm hơn toàn tỉnh", "en": "Districts that lag"},
    "gap_line": {
        "vi": "{title}: nữ {w}, nam {m}; chênh lệch {gap} điểm (KTC 95% {ci}; p {p}).",
        "en": "{title}: women {w}, men {m}; gap {gap} points (95% CI {ci}; p {p}).",
    },
    "moved_line": {
        "vi": "{title} ({group}): {a} ({ra}) → {b} ({rb}), thay đổi {change} (p {p}).",
        "en": "{title} ({group}): {a} ({ra}) → {b} ({rb}), change {change} (p {p}).",
    },
    "lag_line": {
        "vi": "{district}: thấp hơn toàn tỉnh ở {k}/{n} chỉ số có mục tiêu (KTC nằm dưới số "
        "liệu toàn tỉnh): {items}.",
        "en": "{district}: below the province on {k} of {n} target indicators (CI wholly under "
        "the province figure): {items}.",
    },
    "none_gaps": {
        "vi": "Không có chênh lệch giới nào có ý nghĩa thống kê ở dòng tổng.",
        "en": "No gender gap in a total row is statistically significant.",
    },
    "none_moved": {
        "vi": "Không có vòng khảo sát trước: thay đổi cần các vòng trước "
        "(gesurvey analyze report --earlier DIR).",
        "en": "No earlier round was given: changes need earlier rounds "
        "(gesurvey analyze report --earlier DIR).",
    },
    "none_moved_sig": {
        "vi": "Không có thay đổi nào có ý nghĩa thống kê so với vòng trước.",
        "en": "Nothing changed significantly since the last round.",
    },
    "none_lag": {
        "vi": "Không có huyện nào thấp hơn toàn tỉnh một cách có ý nghĩa.",
        "en": "No district is significantly below the province.",
    },
    "women": {"vi": "nữ", "en": "women"},
    "men": {"vi": "nam", "en": "men"},
    "all": {"vi": "chung", "en": "both sexes"},
    "note_glance": {
        "vi": "Mỗi dòng là dòng chính của chỉ tiêu trong bảng M1 (số liệu sổ đăng ký, nếu không "
        "có thì ước lượng khảo sát); màu theo tình trạng: xanh lá – đã đạt, xanh dương – đúng "
        "tiến độ, đỏ – chậm tiến độ, xám – chưa kết luận được.",
        "en": "Each row is the target's main row of table M1 (the register figure, else the "
        "survey estimate); colours by status: green achieved, blue on track, red off track, "
        "grey cannot tell.",
    },
    "note_findings": {
        "vi": "Mọi số liệu lấy từ các bảng của báo cáo; ý nghĩa thống kê ở mức p < 0,05 "
        "(kiểm định theo thiết kế mẫu). Mỗi phát hiện dẫn tới bảng của nó.",
        "en": "Every number is taken from the report's tables; significance at p < 0.05 "
        "(design-based tests). Each finding links to its table.",
    },
}


def _t(key: str, lang: str, **values: Any) -> str:
    template = FRONT_TEXT[key]["vi" if lang == "vi" else "en"]
    return template.format(**values) if values else template


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(float(value))


def _num(value: Any) -> float:
    """A cell's number, NaN when it has none."""
    return float(value) if _finite(value) else math.nan


def _main_rows(monitoring: TableResult) -> list[Row]:
    """One row per target (or target part): the first non-partial row with a figure."""
    by_code: dict[str, list[Row]] = {}
    for row in monitoring.rows:
        by_code.setdefault(row.label, []).append(row)
    chosen = []
    for rows in by_code.values():
        full = [r for r in rows if not r.values.get("_partial") and _finite(r.values.get("est"))]
        some = [r for r in rows if _finite(r.values.get("est"))]
        chosen.append((full or some or rows)[0])
    return chosen


def _last_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """The rows of the change from the round before the last to the last (not baseline→last)."""
    if changes.empty:
        return changes
    last = changes["to_round"].iloc[-1]
    into_last = changes[changes["to_round"] == last]
    first_from = into_last["from_round"].iloc[0]  # consecutive pairs come before baseline→last
    return into_last[into_last["from_round"] == first_from]


def _change_of(row: Row, changes: pd.DataFrame | None) -> float | None:
    """The survey indicator's total change (both sexes, else women) since the last round."""
    indicator = row.values.get("_indicator")
    if changes is None or changes.empty or not indicator:
        return None
    found = _last_changes(changes)
    found = found[(found["indicator"] == indicator) & (found["by"] == "total")]
    for sex in ("all", "women"):
        picked = found[found["sex"] == sex]
        if not picked.empty:
            return float(picked["change"].iloc[0])
    return None


def glance_table(
    monitoring: TableResult, lang: str, changes: pd.DataFrame | None = None
) -> TableResult:
    """G1: every target under its objective with latest figure, CI, change and status."""
    rows = []
    for row in _main_rows(monitoring):
        values = row.values
        change = _change_of(row, changes)
        rows.append(
            Row(
                row.label,
                {
                    "text": values["indicator"].split(" — ")[0],
                    "goal": values["target"],
                    "est": values["est"],
                    "ci": values["ci"],
                    "year": values["year"],
                    "change": math.nan if change is None else change,
                    "status": values["status"],
                    "_status": values["_status"],
                    "_link": monitoring.id,
                },
                {"status": f"status_{values['_status']}"},
                block=row.block,
            )
        )
    columns = [
        Column("text", _t("target_col", lang), "text"),
        Column("goal", _t("goal", lang), "text"),
        Column("est", _t("latest", lang), "number"),
        Column("ci", "KTC 95%" if lang == "vi" else "95% CI", "ci"),
        Column("year", "Năm" if lang == "vi" else "Year", "text"),
        Column("change", _t("change", lang), "number"),
        Column("status", monitoring.columns[-1].header, "text"),
    ]
    notes = [_t("note_glance", lang)] + [n for n in monitoring.notes[:1]]
    if changes is None:
        notes.append(_t("none_moved", lang))
    return TableResult(
        "G1",
        _t("glance", lang),
        [],
        columns,
        rows,
        notes,
        monitoring.source,
        extra={"front": "glance"},
    )


def _gap_findings(tables: list[TableResult], lang: str) -> list[Row]:
    found = []
    for table in tables:
        if not table.extra.get("indicator") or table.chart_unit != "%":
            continue  # percentages only, so gaps in points compare across tables
        total = next((r for r in table.rows if r.variable == "total"), None)
        if total is None or "gap" not in total.values or total.flags.get("gap"):
            continue
        p = _num(total.values.get("p"))
        gap = _num(total.values.get("gap"))
        if not (math.isfinite(p) and math.isfinite(gap)) or p >= ALPHA:
            continue
        kind = "pct"
        line = _t(
            "gap_line",
            lang,
            title=table.extra.get("label", table.title),
            w=format_cell(total.values.get("w_est"), kind),
            m=format_cell(total.values.get("m_est"), kind),
            gap=f"{gap:+.1f}",
            ci=format_cell(total.values.get("gap_ci"), "ci"),
            p=format_cell(p, "p"),
        )
        found.append((abs(gap), Row(table.id, {"finding": line, "_link": table.id})))
    found.sort(key=lambda item: -item[0])
    return [row for _, row in found[:TOP]]


def _moved_findings(
    tables: list[TableResult], changes: pd.DataFrame | None, lang: str
) -> list[Row]:
    if changes is None or changes.empty:
        return []
    by_indicator = {t.extra["indicator"]: t for t in tables if t.extra.get("indicator")}
    last = _last_changes(changes)
    total = last[(last["by"] == "total") & (last["p_value"] < ALPHA)]
    rows = []
    for record in total.sort_values("p_value").itertuples():
        table = by_indicator.get(str(record.indicator))
        if table is None:
            continue
        group = {"women": _t("women", lang), "men": _t("men", lang)}.get(
            str(record.sex), _t("all", lang)
        )
        line = _t(
            "moved_line",
            lang,
            title=table.extra.get("label", table.title),
            group=group,
            a=f"{float(record.estimate_from):.1f}",
            ra=record.from_round,
            b=f"{float(record.estimate_to):.1f}",
            rb=record.to_round,
            change=f"{float(record.change):+.1f}",
            p=format_cell(float(record.p_value), "p"),
        )
        rows.append(Row(table.id, {"finding": line, "_link": table.id}))
    return rows[:TOP]


def _lag_findings(
    tables: list[TableResult], monitoring: TableResult | None, lang: str
) -> list[Row]:
    if monitoring is None:
        return []
    upward = {
        r.values["_indicator"]
        for r in monitoring.rows
        if r.values.get("_indicator") and r.values.get("_comparator") in (">=", ">")
    }
    lagging: dict[str, list[tuple[TableResult, float, float]]] = {}  # district: its lags
    considered = 0
    for table in tables:
        if table.extra.get("indicator") not in upward or not table.id.startswith("D"):
            continue
        total = next((r for r in table.rows if r.variable == "total"), None)
        districts = [r for r in table.rows if r.variable == "district"]
        if total is None or not districts:
            continue
        key = "w_est" if "w_est" in total.values else "est"
        ci_key = key.replace("est", "ci")
        province = _num(total.values.get(key))
        if not math.isfinite(province) or total.flags.get(key):
            continue
        considered += 1
        for row in districts:
            high = _num((row.values.get(ci_key) or (math.nan, math.nan))[1])
            if row.flags.get(key) or not math.isfinite(high):
                continue
            if high < province:
                value = _num(row.values.get(key))
                lagging.setdefault(row.label, []).append((table, value, province))
    rows = []
    for district, items in sorted(lagging.items(), key=lambda item: (-len(item[1]), item[0])):
        shown = "; ".join(f"{t.id} {value:.1f} < {prov:.1f}" for t, value, prov in items)
        line = _t("lag_line", lang, district=district, k=len(items), n=considered, items=shown)
        rows.append(Row(items[0][0].id, {"finding": line, "_link": items[0][0].id}))
    return rows


def findings_table(
    tables: list[TableResult], lang: str, changes: pd.DataFrame | None = None
) -> TableResult:
    """G2: the largest significant gender gaps, what moved, which districts lag."""
    monitoring = next((t for t in tables if t.extra.get("monitoring")), None)
    rows: list[Row] = []
    sections = (
        ("gaps", _gap_findings(tables, lang), "none_gaps"),
        (
            "moved",
            _moved_findings(tables, changes, lang),
            "none_moved" if changes is None else "none_moved_sig",
        ),
        ("lag", _lag_findings(tables, monitoring, lang), "none_lag"),
    )
    for key, found, empty in sections:
        block = _t(key, lang)
        if not found:
            found = [Row("", {"finding": _t(empty, lang)})]
        for row in found:
            row.block = block
            row.values["table"] = row.values.get("_link", "")
            rows.append(row)
    columns = [
        Column("finding", _t("finding", lang), "text"),
        Column("table", _t("table", lang), "text"),
    ]
    return TableResult(
        "G2",
        _t("findings", lang),
        [],
        columns,
        rows,
        [_t("note_findings", lang)],
        "",
        extra={"front": "findings"},
    )


def front_tables(
    tables: list[TableResult], lang: str, changes: pd.DataFrame | None = None
) -> list[TableResult]:
    """The front pages (G1 when the plan has table M1, then G2) from the finished tables."""
    front = []
    monitoring = next((t for t in tables if t.extra.get("monitoring")), None)
    if monitoring is not None:
        front.append(glance_table(monitoring, lang, changes))
    front.append(findings_table(tables, lang, changes))
    return front
