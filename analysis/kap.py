"""Score the KAP module: knowledge, attitudes, wife-beating, decisions, chores; and reliability.

Scoring:

- **Knowledge**: 1 per correct answer (the key is the choice attribute ``correct``), "don't know"
  (98) counts as answered and wrong, refused (99) as not answered. Score = 100 × correct /
  answered, computed only with at least ``min_answered`` (12) of 15 answered. "Adequate" =
  score ≥ 70; Bloom's cut-offs: good ≥ 80, moderate 60–79, poor < 60.
- **Attitudes** (likert5): reverse-coded items become 6 − x; 98/99 are missing; index =
  25 × (item mean − 1) on 0–100, needing ≥ 80% of items answered; bands low < 33.3,
  moderate 33.3–66.6, high > 66.6.
- **Wife-beating** (A15a–e, DHS): % agreeing with at least one reason and the number of
  reasons; 98 counts as "not agree" (DHS), 99 as missing.
- **Decisions** (P02 grid): deciding alone or jointly on each item, on all three of own health,
  large purchases and family visits, and on none of them.
- **Chores** (P01 grid): the share of applicable tasks done "both equally" or mainly by a man
  (the respondent if he is a man, the spouse if she is a woman, or another man).

Reliability: Cronbach's alpha, α = k/(k−1) · (1 − Σ s²ᵢ / s²ₜ) (Cronbach 1951), on complete
cases, unweighted, with item-rest correlations (each item against the sum of the others); and
Kuder–Richardson 20 for the 0/1 knowledge items, KR-20 = k/(k−1) · (1 − Σ pᵢqᵢ / σ²ₜ) (Kuder &
Richardson 1937), with the total-score variance using the same divisor n as pᵢqᵢ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from questionnaires.codes import DONT_KNOW, REFUSED

__all__ = [
    "Reliability",
    "attitude_index",
    "chore_index",
    "cronbach_alpha",
    "decision_indicators",
    "knowledge_scores",
    "kr20",
    "reliability",
    "wife_beating",
]


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float))


def knowledge_scores(
    frame: pd.DataFrame,
    items: list[str],
    keys: dict[str, int],
    min_answered: int = 12,
    adequate: float = 70.0,
    bloom: tuple[float, float] = (80.0, 60.0),
) -> pd.DataFrame:
    """Per respondent: ``score`` (0–100 or NaN), ``adequate`` (1/0), ``level`` and 0/1 items.

    ``keys`` maps each item to the answer code that is correct. ``level`` is 3 good, 2 moderate,
    1 poor (Bloom's cut-offs ``bloom = (good, moderate)``). ``correct_<item>`` is 1 correct,
    0 wrong or don't know, NaN refused or unanswered.
    """
    out = pd.DataFrame(index=frame.index)
    answered = np.zeros(len(frame))
    correct = np.zeros(len(frame))
    for item in items:
        values = _numeric(frame, item)
        is_answered = ~np.isnan(values) & (values != REFUSED)
        hit = is_answered & (values == keys[item])
        answered += is_answered
        correct += hit
        out[f"correct_{item}"] = np.where(is_answered, hit.astype(float), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(answered >= min_answered, 100.0 * correct / answered, np.nan)
    out["score"] = score
    out["adequate"] = np.where(np.isnan(score), np.nan, (score >= adequate).astype(float))
    good, moderate = bloom
    level = np.where(score >= good, 3.0, np.where(score >= moderate, 2.0, 1.0))
    out["level"] = np.where(np.isnan(score), np.nan, level)
    return out


def attitude_index(
    frame: pd.DataFrame,
    items: list[str],
    reverse: list[str],
    min_share: float = 0.8,
    bands: tuple[float, float] = (33.3, 66.6),
) -> pd.DataFrame:
    """Per respondent: the recoded items (``att_<item>``), ``index`` 0–100 and ``band`` 1/2/3."""
    out = pd.DataFrame(index=frame.index)
    matrix = []
    for item in items:
        values = _numeric(frame, item)
        values = np.where(np.isin(values, (DONT_KNOW, REFUSED)), np.nan, values)
        if item in reverse:
            values = 6.0 - values
        out[f"att_{item}"] = values
        matrix.append(values)
    stack = np.vstack(matrix).T if matrix else np.empty((len(frame), 0))
    answered = (~np.isnan(stack)).sum(axis=1)
    needed = math.ceil(min_share * len(items) - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        item_mean = np.nansum(stack, axis=1) / answered
    index = np.where(answered >= needed, 25.0 * (item_mean - 1.0), np.nan)
    low, high = bands
    band = np.where(index < low, 1.0, np.where(index <= high, 2.0, 3.0))
    out["index"] = index
    out["band"] = np.where(np.isnan(index), np.nan, band)
    return out


def wife_beating(frame: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Per respondent: 0/1 agreement per reason (98 = not agree), ``any`` and ``count``."""
    out = pd.DataFrame(index=frame.index)
    agree = []
    for item in items:
        values = _numeric(frame, item)
        values = np.where(values == DONT_KNOW, 0.0, values)
        values = np.where(values == REFUSED, np.nan, values)
        values = np.where(np.isnan(values), np.nan, (values == 1).astype(float))
        out[f"wb_{item}"] = values
        agree.append(values)
    stack = np.vstack(agree).T
    all_missing = np.isnan(stack).all(axis=1)
    count = np.nansum(stack, axis=1)
    out["count"] = np.where(all_missing, np.nan, count)
    out["any"] = np.where(all_missing, np.nan, (count >= 1).astype(float))
    return out


def decision_indicators(
    frame: pd.DataFrame,
    grid: str,
    rows: list[str],
    three: list[str],
    codes: tuple[int, ...] = (1, 2),
    not_applicable: tuple[int, ...] = (5,),
) -> pd.DataFrame:
    """Per respondent: 0/1 ``dec_<row>`` (alone or jointly), ``all_three`` and ``none``."""
    out = pd.DataFrame(index=frame.index)
    for row in rows:
        values = _numeric(frame, f"{grid}_{row}")
        bad = np.isnan(values) | np.isin(values, (DONT_KNOW, REFUSED) + tuple(not_applicable))
        out[f"dec_{row}"] = np.where(bad, np.nan, np.isin(values, codes).astype(float))
    sub = out[[f"dec_{r}" for r in three]].to_numpy()
    complete = ~np.isnan(sub).any(axis=1)
    out["all_three"] = np.where(complete, (sub == 1).all(axis=1).astype(float), np.nan)
    out["none"] = np.where(complete, (sub == 0).all(axis=1).astype(float), np.nan)
    return out


def chore_index(
    frame: pd.DataFrame,
    grid: str,
    rows: list[str],
    sex: np.ndarray,
    shared: tuple[int, ...] = (3, 5),
    self_code: int = 1,
    spouse_code: int = 2,
    not_applicable: tuple[int, ...] = (6,),
    man: int = 1,
    woman: int = 2,
) -> pd.DataFrame:
    """Per respondent: 0/1 ``chore_<row>`` (shared or mainly a man) and ``index`` (share)."""
    out = pd.DataFrame(index=frame.index)
    for row in rows:
        values = _numeric(frame, f"{grid}_{row}")
        bad = np.isnan(values) | np.isin(values, (DONT_KNOW, REFUSED) + tuple(not_applicable))
        by_man = (
            np.isin(values, shared)
            | ((values == self_code) & (sex == man))
            | ((values == spouse_code) & (sex == woman))
        )
        out[f"chore_{row}"] = np.where(bad, np.nan, by_man.astype(float))
    stack = out.to_numpy()
    applicable = (~np.isnan(stack)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["index"] = np.where(applicable > 0, np.nansum(stack, axis=1) / applicable, np.nan)
    return out


def cronbach_alpha(items: np.ndarray | pd.DataFrame) -> float:
    """Cronbach's alpha of an n × k item matrix on complete cases (variances with n − 1)."""
    matrix = _complete(items)
    n, k = matrix.shape
    if k < 2 or n < 2:
        return math.nan
    total_var = matrix.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return math.nan
    return float(k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / total_var))


def kr20(items: np.ndarray | pd.DataFrame) -> float:
    """Kuder–Richardson 20 of an n × k 0/1 matrix on complete cases."""
    matrix = _complete(items)
    n, k = matrix.shape
    if k < 2 or n < 2:
        return math.nan
    p = matrix.mean(axis=0)
    total_var = matrix.sum(axis=1).var(ddof=0)
    if total_var == 0:
        return math.nan
    return float(k / (k - 1) * (1 - (p * (1 - p)).sum() / total_var))


def item_rest(items: np.ndarray | pd.DataFrame) -> list[float]:
    """Correlation of each item with the sum of the other items (complete cases)."""
    matrix = _complete(items)
    total = matrix.sum(axis=1)
    out = []
    for j in range(matrix.shape[1]):
        rest = total - matrix[:, j]
        if matrix.shape[0] < 3 or matrix[:, j].std() == 0 or rest.std() == 0:
            out.append(math.nan)
        else:
            out.append(float(np.corrcoef(matrix[:, j], rest)[0, 1]))
    return out


def _complete(items: np.ndarray | pd.DataFrame) -> np.ndarray:
    matrix = np.asarray(items, dtype=float)
    if matrix.ndim != 2:
        raise ValueError("items must be a two-dimensional n × k matrix")
    return np.asarray(matrix[~np.isnan(matrix).any(axis=1)])


@dataclass(frozen=True)
class Reliability:
    """A reliability coefficient for one group, with its complete-case n."""

    group: str
    coefficient: float
    n: int


def reliability(
    items: pd.DataFrame, groups: dict[str, np.ndarray], kind: str = "alpha"
) -> list[Reliability]:
    """Alpha (or KR-20) overall and within each group mask (``{"Women": mask, ...}``)."""
    fn = kr20 if kind == "kr20" else cronbach_alpha
    out = []
    for label, mask in groups.items():
        sub = items.to_numpy(dtype=float)[mask]
        complete = int((~np.isnan(sub).any(axis=1)).sum())
        out.append(Reliability(label, fn(sub), complete))
    return out


def knowledge_keys(form: Any, items: list[str]) -> dict[str, int]:
    """The correct answer code of each knowledge item, from its choices' ``correct`` attribute."""
    keys = {}
    for item in items:
        question = form.question(item)
        for choice in question.choices or ():
            if choice.attributes.get("correct") == 1:
                keys[item] = choice.code
    return keys


# --------------------------------------------------------------------------------------------
# the KAP columns and tables of a report

_LEVELS = {
    "good": {"vi": "Tốt (≥ 80 điểm)", "en": "Good (≥ 80)"},
    "moderate": {"vi": "Trung bình (60–79 điểm)", "en": "Moderate (60–79)"},
    "poor": {"vi": "Kém (< 60 điểm)", "en": "Poor (< 60)"},
    "low": {"vi": "Thấp (< 33,3)", "en": "Low (< 33.3)"},
    "mid": {"vi": "Trung bình (33,3–66,6)", "en": "Moderate (33.3–66.6)"},
    "high": {"vi": "Cao (> 66,6)", "en": "High (> 66.6)"},
    "any": {"vi": "Đồng ý với ít nhất một lý do", "en": "Agrees with at least one reason"},
    "count0": {"vi": "Số lý do: 0", "en": "Number of reasons: 0"},
    "count12": {"vi": "Số lý do: 1–2", "en": "Number of reasons: 1–2"},
    "count34": {"vi": "Số lý do: 3–4", "en": "Number of reasons: 3–4"},
    "count5": {"vi": "Số lý do: 5", "en": "Number of reasons: 5"},
    "all_three": {
        "vi": "Cả ba quyết định (sức khỏe, mua sắm lớn, thăm gia đình)",
        "en": "All three (own health, large purchases, family visits)",
    },
    "none": {"vi": "Không quyết định nào trong ba", "en": "None of the three"},
    "kr20": {"vi": "Độ tin cậy KR-20: {values}.", "en": "Reliability KR-20: {values}."},
    "alpha": {
        "vi": "Hệ số Cronbach α: {values} (chấp nhận được khi ≥ 0,70).",
        "en": "Cronbach's α: {values} (acceptable at ≥ 0.70).",
    },
    "item_rest": {
        "vi": "Tương quan mục–phần còn lại: {values}; mục < 0,20 được đánh dấu !.",
        "en": "Item-rest correlations: {values}; items below 0.20 marked !.",
    },
    "overall": {"vi": "chung", "en": "overall"},
    "married_pop": {
        "vi": "Dân số: người đang có vợ/chồng hoặc sống chung.",
        "en": "Population: currently married or cohabiting respondents.",
    },
    "wb_98": {
        "vi": "'Không biết' được tính là không đồng ý (theo DHS).",
        "en": "'Don't know' counts as not agreeing (as in DHS).",
    },
    "correct": {"vi": "Trả lời đúng: {label}", "en": "Correct: {label}"},
    "chore_note": {
        "vi": "Làm 'cả hai như nhau' hoặc chủ yếu do nam giới làm; chỉ tính công "
        "việc áp dụng được.",
        "en": "Done 'both equally' or mainly by a man; applicable tasks only.",
    },
}


def _t(key: str, lang: str, **values: Any) -> str:
    template = _LEVELS[key]["vi" if lang == "vi" else "en"]
    return template.format(**values) if values else template


def _fmt(value: float, lang: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    shown = f"{value:.2f}"
    return shown.replace(".", ",") if lang == "vi" else shown


def add_kap_columns(work: Any) -> None:
    """Score the KAP module into the KAP source frame (``kap_*`` columns; plans.KAP_DERIVED)."""
    spec = work.plan.kap
    sid = spec.get("source")
    if not spec or sid is None or not work.has(sid):
        return
    frame = work.frame(sid)
    if "kap_knowledge_score" in frame.columns:
        return
    form = work.forms[work.plan.sources[sid]["form"]]
    new: dict[str, np.ndarray] = {}
    sex_column = spec.get("sex", "resp_sex")
    sex = (
        pd.to_numeric(frame[sex_column], errors="coerce").to_numpy(dtype=float)
        if sex_column in frame.columns
        else np.full(len(frame), np.nan)
    )
    k = spec.get("knowledge", {})
    if k:
        scored = knowledge_scores(
            frame,
            k["items"],
            knowledge_keys(form, k["items"]),
            k.get("min_answered", 12),
            k.get("adequate", 70),
            tuple(k.get("bloom", (80, 60))),
        )
        new["kap_knowledge_score"] = scored["score"].to_numpy()
        new["kap_knowledge_adequate"] = scored["adequate"].to_numpy()
        new["kap_knowledge_level"] = scored["level"].to_numpy()
        for item in k["items"]:
            new[f"_kc_{item}"] = scored[f"correct_{item}"].to_numpy()
    a = spec.get("attitude", {})
    if a:
        scored = attitude_index(
            frame,
            a["items"],
            a.get("reverse", []),
            a.get("min_share", 0.8),
            tuple(a.get("bands", (33.3, 66.6))),
        )
        new["kap_attitude_index"] = scored["index"].to_numpy()
        new["kap_attitude_band"] = scored["band"].to_numpy()
        for item in a["items"]:
            new[f"_ka_{item}"] = scored[f"att_{item}"].to_numpy()
    w = spec.get("wife_beating", {})
    if w:
        scored = wife_beating(frame, w["items"])
        new["kap_wb_any"] = scored["any"].to_numpy()
        new["kap_wb_count"] = scored["count"].to_numpy()
        for item in w["items"]:
            new[f"_kw_{item}"] = scored[f"wb_{item}"].to_numpy()
    d = spec.get("decisions")
    if d:
        rows = [r.id for r in form.question(d["grid"]).rows]
        scored = decision_indicators(
            frame,
            d["grid"],
            rows,
            d["three"],
            tuple(d.get("codes", (1, 2))),
            tuple(d.get("not_applicable", (5,))),
        )
        new["kap_decide_all_three"] = scored["all_three"].to_numpy()
        new["kap_decide_none"] = scored["none"].to_numpy()
        for row in rows:
            new[f"_kd_{row}"] = scored[f"dec_{row}"].to_numpy()
    c = spec.get("chores")
    if c:
        rows = [r.id for r in form.question(c["grid"]).rows]
        scored = chore_index(
            frame,
            c["grid"],
            rows,
            sex,
            tuple(c.get("shared", (3, 5))),
            c.get("self_man", 1),
            c.get("spouse_man", 2),
            tuple(c.get("not_applicable", (6,))),
        )
        new["kap_chore_index"] = scored["index"].to_numpy()
        for row in rows:
            new[f"_kh_{row}"] = scored[f"chore_{row}"].to_numpy()
    work.data.frames[sid] = pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)
    work.data._designs.pop(sid, None)


def _married_mask(work: Any, sid: str) -> np.ndarray:
    from analysis.indicators import evaluate_frame

    married = work.plan.kap.get("married")
    frame = work.frame(sid)
    if not married:
        return np.ones(len(frame), dtype=bool)
    from questionnaires.expressions import compile_expression
    from questionnaires.plans import source_scope

    ast = compile_expression(married, source_scope(work.plan.document, sid, work.forms))
    values = evaluate_frame(ast, frame, work.data.missing_codes.get(sid, {}))
    return np.asarray(~np.isnan(values) & (values != 0))


def _item_rows(
    work: Any,
    sid: str,
    table_id: str,
    items: list[tuple[str, np.ndarray]],
    stat: str = "proportion",
) -> list[Any]:
    from analysis.tables import Row, sex_cells

    sex = work.sex_column(sid)
    source = work.plan.sources[sid]
    design = work.design(sid)
    rows = []
    for number, (label, values) in enumerate(items):
        column = work.add(sid, f"_item_{table_id}_{number}", values)
        cells = sex_cells(
            design,
            column,
            stat,
            sex,
            source.get("women", 2),
            source.get("men", 1),
            None,
            work.plan.settings,
        )
        if 0.0 in cells:
            row_values, flags = cells[0.0]
            rows.append(Row(label, row_values, flags))
    return rows


def _group_masks(work: Any, sid: str) -> dict[str, np.ndarray]:
    from analysis.tables import text

    lang = work.lang
    frame = work.frame(sid)
    source = work.plan.sources[sid]
    sex = pd.to_numeric(frame[source["sex"]], errors="coerce").to_numpy()
    masks = {
        _t("overall", lang): np.ones(len(frame), dtype=bool),
        text("women", lang): sex == source.get("women", 2),
        text("men", lang): sex == source.get("men", 1),
    }
    groups = work.plan.kap.get("alpha_groups")
    if groups and groups.get("column") in frame.columns:
        values = pd.to_numeric(frame[groups["column"]], errors="coerce").to_numpy()
        for group in groups["groups"]:
            masks[group["label"][lang]] = np.isin(values, group["codes"])
    return masks


def _reliability_note(results: list[Reliability], key: str, lang: str) -> str:
    values = "; ".join(f"{r.group} {_fmt(r.coefficient, lang)} (n = {r.n})" for r in results)
    return _t(key, lang, values=values)


def _kap_table(work: Any, table: dict[str, Any], rows: list[Any], notes: list[str]) -> Any:
    from analysis.tables import TableResult, sex_columns, source_line, standard_notes

    sid = work.plan.kap["source"]
    lang = work.lang
    return TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        sex_columns("proportion", lang),
        rows,
        [n[lang] for n in table.get("notes", ())] + notes + standard_notes(work.plan, lang),
        source_line(work.plan, sid, lang),
    )


def kap_table(work: Any, table: dict[str, Any]) -> Any:
    """A KAP table of kind knowledge, attitude, wife_beating, decisions or chores."""
    from analysis.tables import empty_table, text

    plan, lang = work.plan, work.lang
    sid = plan.kap.get("source")
    if sid is None or not work.has(sid) or work.sex_column(sid) is None:
        return empty_table(plan, table, lang, text("note_no_data", lang))
    add_kap_columns(work)
    frame = work.frame(sid)
    form = work.forms[plan.sources[sid]["form"]]
    kind = table["kind"]
    notes: list[str] = []
    items: list[tuple[str, np.ndarray]] = []
    if kind == "knowledge":
        level = frame["kap_knowledge_level"].to_numpy()
        for key, code in (("good", 3), ("moderate", 2), ("poor", 1)):
            items.append((_t(key, lang), np.where(np.isnan(level), np.nan, level == code)))
        k_items = plan.kap["knowledge"]["items"]
        for item in k_items:
            label = f"{item}: {form.question(item).export_label[lang]}"
            items.append((_t("correct", lang, label=label), frame[f"_kc_{item}"].to_numpy()))
        matrix = frame[[f"_kc_{i}" for i in k_items]]
        notes.append(
            _reliability_note(reliability(matrix, _group_masks(work, sid), "kr20"), "kr20", lang)
        )
    elif kind == "attitude":
        band = frame["kap_attitude_band"].to_numpy()
        for key, code in (("low", 1), ("mid", 2), ("high", 3)):
            items.append((_t(key, lang), np.where(np.isnan(band), np.nan, band == code)))
        # an item no interview in the data was asked (A01b before version 1.1.0) would leave
        # no complete case; reliability is computed over the items the data hold
        a_items = [i for i in plan.kap["attitude"]["items"] if frame[f"_ka_{i}"].notna().any()]
        matrix = frame[[f"_ka_{i}" for i in a_items]]
        notes.append(
            _reliability_note(reliability(matrix, _group_masks(work, sid), "alpha"), "alpha", lang)
        )
        correlations = item_rest(matrix)
        shown = ", ".join(
            f"{item} {_fmt(r, lang)}{'!' if not math.isnan(r) and r < 0.20 else ''}"
            for item, r in zip(a_items, correlations, strict=True)
        )
        notes.append(_t("item_rest", lang, values=shown))
    elif kind == "wife_beating":
        married = _married_mask(work, sid)
        for item in plan.kap["wife_beating"]["items"]:
            label = form.question(item).export_label[lang]
            items.append((label, np.where(married, frame[f"_kw_{item}"], np.nan)))
        any_ = np.where(married, frame["kap_wb_any"], np.nan)
        items.append((_t("any", lang), any_))
        count = np.where(married, frame["kap_wb_count"], np.nan)
        for key, low, high in (
            ("count0", 0, 0),
            ("count12", 1, 2),
            ("count34", 3, 4),
            ("count5", 5, 5),
        ):
            items.append(
                (_t(key, lang), np.where(np.isnan(count), np.nan, (count >= low) & (count <= high)))
            )
        notes += [_t("married_pop", lang), _t("wb_98", lang)]
    elif kind == "decisions":
        married = _married_mask(work, sid)
        grid = form.question(plan.kap["decisions"]["grid"])
        for row in grid.rows:
            items.append((row.label[lang], np.where(married, frame[f"_kd_{row.id}"], np.nan)))
        items.append(
            (_t("all_three", lang), np.where(married, frame["kap_decide_all_three"], np.nan))
        )
        items.append((_t("none", lang), np.where(married, frame["kap_decide_none"], np.nan)))
        notes.append(_t("married_pop", lang))
    elif kind == "chores":
        married = _married_mask(work, sid)
        grid = form.question(plan.kap["chores"]["grid"])
        for row in grid.rows:
            items.append((row.label[lang], np.where(married, frame[f"_kh_{row.id}"], np.nan)))
        notes += [_t("married_pop", lang), _t("chore_note", lang)]
    items = [(label, np.asarray(values, dtype=float)) for label, values in items]
    return _kap_table(work, table, _item_rows(work, sid, table["id"], items), notes)
