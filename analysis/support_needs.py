"""Rank support needs (SN01–SN04): weighted shares, priority points 3/2/1 and rank; barriers.

Each respondent names the needs (SN01, multi) and up to three priorities
(SN02_1–3, distinct); priorities 1/2/3 earn 3/2/1 points, and a need not chosen as a priority
earns 0. For every need the report gives the weighted share choosing it, the weighted mean
points, the weighted share choosing it as priority 1, and its rank by mean points (1 = most
pressing; ties share the smaller rank), by sex, by district and by ethnicity. The denominator
is every respondent who answered SN01 (including "none"). Barriers (SN04) are shares by sex
with the standard women | men | gap | GPI cells, among respondents asked SN04.

Points and ranks are weighted point estimates (ratio of weighted sums); shares by sex carry
their unweighted n, suppressed below ``suppress_below`` cases like every other cell.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.tables import (
    PARENTHESES,
    SUPPRESSED,
    Column,
    Row,
    TableResult,
    empty_table,
    sex_columns,
    source_line,
    standard_notes,
    text,
)
from analysis.variables import parse_multi_distinct

__all__ = ["need_matrix", "priority_points", "rank_needs", "support_needs_table", "barriers_table"]

_TEXT = {
    "share": {"vi": "% cần", "en": "% needing"},
    "points": {"vi": "Điểm ưu tiên", "en": "Priority points"},
    "first": {"vi": "% ưu tiên 1", "en": "% priority 1"},
    "rank": {"vi": "Hạng", "en": "Rank"},
    "points_short": {"vi": "Điểm", "en": "Pts"},
    "need": {"vi": "Nhu cầu hỗ trợ", "en": "Support need"},
    "note_points": {
        "vi": "Ưu tiên 1, 2, 3 được 3, 2, 1 điểm; điểm ưu tiên là điểm trung bình gia quyền; "
        "hạng 1 là nhu cầu cấp thiết nhất.",
        "en": "Priorities 1, 2, 3 earn 3, 2, 1 points; priority points are weighted means; "
        "rank 1 is the most pressing need.",
    },
    "note_denominator": {
        "vi": "Mẫu số: người trả lời câu SN01 (kể cả 'không cần').",
        "en": "Denominator: respondents who answered SN01 (including 'none').",
    },
    "note_barriers": {
        "vi": "Dân số: người có nhu cầu hỗ trợ được hỏi câu SN04.",
        "en": "Population: respondents with a support need who were asked SN04.",
    },
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key]["vi" if lang == "vi" else "en"]


def need_matrix(values: pd.Series, codes: list[int]) -> np.ndarray:
    """n × k 0/1 matrix of the needs chosen; NaN rows for unanswered."""
    parsed, position = parse_multi_distinct(values)
    distinct = np.zeros((len(parsed), len(codes)))
    where = {c: j for j, c in enumerate(codes)}
    for i, chosen in enumerate(parsed):
        if chosen is None:
            distinct[i, :] = np.nan
            continue
        for code in chosen:
            j = where.get(code)
            if j is not None:
                distinct[i, j] = 1.0
    return np.asarray(distinct[position])


def priority_points(
    priorities: list[np.ndarray], codes: list[int], points: tuple[int, ...] = (3, 2, 1)
) -> tuple[np.ndarray, np.ndarray]:
    """n × k points (3/2/1 for priority 1/2/3, else 0) and the n × k priority-1 indicator."""
    n = len(priorities[0]) if priorities else 0
    out = np.zeros((n, len(codes)))
    first = np.zeros((n, len(codes)))
    for rank, (choice, score) in enumerate(zip(priorities, points, strict=False)):
        for j, code in enumerate(codes):
            hit = choice == code
            out[:, j] += np.where(hit, score, 0.0)
            if rank == 0:
                first[:, j] = hit
    return out, first


def rank_needs(mean_points: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest mean points; ties share the smaller rank (``min`` method)."""
    return np.asarray(pd.Series(-mean_points).rank(method="min").to_numpy())


def _weighted_means(matrix: np.ndarray, weights: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Weighted column means over the ``valid`` rows (a group: one sex, one district).

    Only the group's rows are copied: the whole n × k matrix times the weights, once per
    group and measure, was most of the needs tables' time on a million persons.
    """
    rows = np.flatnonzero(valid)
    w = weights[rows]
    total = w.sum()
    if total <= 0:
        return np.full(matrix.shape[1], np.nan)
    return np.asarray((np.nan_to_num(matrix[rows]) * w[:, None]).sum(axis=0) / total)


def _needs_setup(work: Any) -> tuple[str, pd.DataFrame, list[Any]] | None:
    spec = work.plan.support_needs
    sid = spec.get("source")
    if sid is None or not work.has(sid) or spec["need"] not in work.frame(sid).columns:
        return None
    form = work.forms[work.plan.sources[sid]["form"]]
    choices = [
        c
        for c in form.question(spec["need"]).choices or ()
        if c.name not in spec.get("exclude", ())
    ]
    return sid, work.frame(sid), choices


def support_needs_table(work: Any, table: dict[str, Any]) -> TableResult:
    """Needs by sex (share, points, % priority 1, rank) or by district/ethnicity (points, rank)."""
    plan, lang = work.plan, work.lang
    setup = _needs_setup(work)
    if setup is None:
        return empty_table(plan, table, lang, text("note_no_data", lang))
    sid, frame, choices = setup
    spec = plan.support_needs
    codes = [c.code for c in choices]
    needs = need_matrix(frame[spec["need"]], codes)
    valid = ~np.isnan(needs).any(axis=1)
    priorities = [
        pd.to_numeric(frame[p], errors="coerce").to_numpy()
        if p in frame.columns
        else np.full(len(frame), np.nan)
        for p in spec["priorities"]
    ]
    points, first = priority_points(priorities, codes, tuple(spec.get("points", (3, 2, 1))))
    weights = work.design(sid).weights
    by = table.get("by", "sex")
    groups: list[tuple[str, np.ndarray]] = []
    if by == "sex":
        sex_col = work.sex_column(sid)
        source = plan.sources[sid]
        sex = frame[sex_col].to_numpy() if sex_col else np.full(len(frame), np.nan)
        groups = [
            (text("women", lang), sex == source.get("women", 2)),
            (text("men", lang), sex == source.get("men", 1)),
        ]
    else:
        rid = spec.get("by", {}).get(by, by)
        coded = work.row_variable(sid, rid) if rid in plan.row_variables else None
        if coded is None:
            return empty_table(plan, table, lang, text("note_missing_block", lang, block=by))
        column, labels = coded
        group_codes = frame[column].to_numpy()
        groups = [(label, group_codes == code) for code, label in labels]
    columns: list[Column] = []
    per_group: list[dict[str, Any]] = []
    settings = plan.settings
    for label, mask in groups:
        in_group = valid & mask
        share = _weighted_means(needs, weights, in_group) * 100
        mean_points = _weighted_means(points, weights, in_group)
        first_share = _weighted_means(first, weights, in_group) * 100
        per_group.append(
            {
                "share": share,
                "points": mean_points,
                "first": first_share,
                "rank": rank_needs(mean_points),
                "n": int(in_group.sum()),
            }
        )
        key = f"g{len(per_group)}"
        if by == "sex":
            columns += [
                Column(f"{key}_share", _t("share", lang), "pct", label),
                Column(f"{key}_points", _t("points", lang), "mean2", label),
                Column(f"{key}_first", _t("first", lang), "pct", label),
                Column(f"{key}_rank", _t("rank", lang), "int", label),
            ]
        else:
            columns += [
                Column(f"{key}_points", _t("points_short", lang), "mean2", label),
                Column(f"{key}_rank", _t("rank", lang), "int", label),
            ]
    rows = []
    for j, choice in enumerate(choices):
        values: dict[str, Any] = {}
        flags: dict[str, str] = {}
        for g, group_result in enumerate(per_group, start=1):
            key = f"g{g}"
            n = group_result["n"]
            mark = (
                SUPPRESSED
                if n < settings["suppress_below"]
                else PARENTHESES
                if n < settings["parentheses_below"]
                else None
            )
            for stat in ("share", "points", "first", "rank"):
                values[f"{key}_{stat}"] = float(group_result[stat][j])
                if mark:
                    flags[f"{key}_{stat}"] = mark
        rows.append(Row(choice.label[lang], values, flags))
    notes = [n[lang] for n in table.get("notes", ())]
    notes += [_t("note_points", lang), _t("note_denominator", lang)]
    notes += standard_notes(plan, lang, by_sex=False)[:1]
    result = TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        columns,
        rows,
        notes,
        source_line(plan, sid, lang),
    )
    result.extra["group_n"] = [r["n"] for r in per_group]
    return result


def barriers_table(work: Any, table: dict[str, Any]) -> TableResult:
    """Share naming each barrier (SN04), women | men | gap | GPI."""
    from analysis.tables import sex_cells

    plan, lang = work.plan, work.lang
    spec = plan.support_needs
    sid = spec.get("source")
    if sid is None or not work.has(sid) or spec.get("barriers") not in work.frame(sid).columns:
        return empty_table(plan, table, lang, text("note_no_data", lang))
    frame = work.frame(sid)
    form = work.forms[plan.sources[sid]["form"]]
    choices = list(form.question(spec["barriers"]).choices or ())
    matrix = need_matrix(frame[spec["barriers"]], [c.code for c in choices])
    sex = work.sex_column(sid)
    source = plan.sources[sid]
    design = work.design(sid)
    rows = []
    for j, choice in enumerate(choices):
        column = work.add(sid, f"_barrier_{choice.code}", matrix[:, j])
        cells = sex_cells(
            design,
            column,
            "proportion",
            sex,
            source.get("women", 2),
            source.get("men", 1),
            None,
            plan.settings,
        )
        if 0.0 in cells:
            values, flags = cells[0.0]
            rows.append(Row(choice.label[lang], values, flags))
    notes = [n[lang] for n in table.get("notes", ())] + [_t("note_barriers", lang)]
    notes += standard_notes(plan, lang)
    return TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        sex_columns("proportion", lang),
        rows,
        notes,
        source_line(plan, sid, lang),
    )
