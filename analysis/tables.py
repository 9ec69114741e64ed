"""Build sex-disaggregated tables in the DHS/MICS layout, with suppression and parity flags.

Each cell of an indicator table gives, for women and for men, the weighted percentage (or mean),
its 95% CI and the unweighted n; then the gap W − M in points with its design-based CI and
p-value, and the gender parity index W / M (both from :func:`analysis.estimators.gap`, which
keeps the covariance of the two groups). Conventions (DHS *Guide to DHS Statistics*; MICS
tabulation plan):

- a figure based on ``parentheses_below`` (50) or fewer unweighted cases, but at least
  ``suppress_below`` (25), is shown in parentheses;
- a figure based on fewer than ``suppress_below`` cases is suppressed and shown as ``*``;
- a gap or GPI takes the stricter mark of its two sides;
- a GPI outside ``gpi_low``–``gpi_high`` (0.97–1.03) is flagged with ``†``.

Proportions use logit CIs (R ``svyciprop(method="xlogit")``); means Wald CIs with the domain's
design degrees of freedom (Lumley, *Complex Surveys*, §2.3).

A :class:`TableResult` is what every writer (Excel, PDF, CSV) and the results page read.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from analysis import estimators
from analysis.design import SurveyDesign
from analysis.indicators import SurveyData, indicator_values, source_design
from questionnaires.codes import MISSING
from questionnaires.model import Questionnaire
from questionnaires.plans import TablePlan

__all__ = [
    "Column",
    "Row",
    "TableResult",
    "WorkFrames",
    "commune_table",
    "for_department",
    "format_cell",
    "indicator_table",
    "median_cells",
    "median_table",
    "monitoring_table",
    "sex_cells",
    "single_cells",
    "text",
]

SUPPRESSED = "suppressed"
PARENTHESES = "parentheses"
GPI_FLAG = "gpi_flag"

_TEXT: dict[str, dict[str, str]] = {
    "women": {"vi": "Nữ", "en": "Women"},
    "men": {"vi": "Nam", "en": "Men"},
    "gap": {"vi": "Chênh lệch Nữ − Nam (điểm %)", "en": "Gap W − M (points)"},
    "gap_mean": {"vi": "Chênh lệch Nữ − Nam", "en": "Gap W − M"},
    "gpi": {"vi": "GPI (Nữ/Nam)", "en": "GPI (W/M)"},
    "median": {"vi": "Trung vị", "en": "Median"},
    "quantile": {"vi": "Phân vị {q:g}", "en": "Quantile {q:g}"},
    "ratio_wm": {"vi": "Tỷ số Nữ/Nam", "en": "Ratio W/M"},
    "note_median": {
        "vi": '{stat} có trọng số theo quy tắc qrule="math" của hàm svyquantile (gói survey '
        'của R). KTC 95% của nữ và của nam theo phương pháp Woodruff (interval.type="mean", '
        "tuyến tính hóa Taylor trên tầng và cụm). Chênh lệch Nữ − Nam và tỷ số Nữ/Nam: sai số "
        "chuẩn từ {reps} mẫu lặp bootstrap Rao–Wu của thiết kế mẫu (hạt giống {seed}), mỗi mẫu "
        "lặp tính lại cả hai {stat_lower} (withReplicates của R); KTC = ước lượng ± t(bậc tự do) "
        "× sai số chuẩn.",
        "en": 'Weighted {stat_lower}s by R\'s svyquantile rule qrule="math" (survey package). '
        "Women's and men's 95% CIs: Woodruff (interval.type=\"mean\", Taylor linearisation on "
        "strata and PSUs). Gap W − M and ratio W/M: SEs from {reps} Rao–Wu bootstrap replicates "
        "of the design (seed {seed}), both {stat_lower}s recomputed in every replicate (R's "
        "withReplicates); CI = estimate ± t(df) × SE.",
    },
    "note_no_gap": {
        "vi": "Có tầng chỉ có một PSU nên không lấy được mẫu lặp bootstrap: bảng không có chênh "
        "lệch và tỷ số Nữ/Nam; hãy gộp tầng.",
        "en": "A stratum has one PSU, so the design cannot be bootstrapped: the table has no gap "
        "or ratio W/M; merge strata.",
    },
    "difference": {"vi": "Chênh lệch", "en": "Difference"},
    "pct": {"vi": "%", "en": "%"},
    "mean": {"vi": "Trung bình", "en": "Mean"},
    "ratio": {"vi": "Tỷ số", "en": "Ratio"},
    "ci": {"vi": "KTC 95%", "en": "95% CI"},
    "n": {"vi": "n", "en": "n"},
    "weighted_n": {"vi": "N (gia quyền)", "en": "N (weighted)"},
    "p": {"vi": "p", "en": "p"},
    "background": {"vi": "Đặc điểm", "en": "Background characteristic"},
    "item": {"vi": "Nội dung", "en": "Item"},
    "count": {"vi": "Số", "en": "Number"},
    "of": {"vi": "Trên tổng số", "en": "Out of"},
    "communes": {"vi": "Số xã báo cáo", "en": "Communes reporting"},
    "districts": {"vi": "Số huyện báo cáo", "en": "Districts reporting"},
    "provinces": {"vi": "Số phiếu tỉnh", "en": "Province forms"},
    "code": {"vi": "Mã", "en": "Code"},
    "indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "target": {"vi": "Mục tiêu", "en": "Target"},
    "estimate": {"vi": "Ước lượng", "en": "Estimate"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "agency": {"vi": "Cơ quan chịu trách nhiệm", "en": "Responsible agency"},
    "status": {"vi": "Tình trạng", "en": "Status"},
    "no_data": {"vi": "Chưa có số liệu", "en": "No data"},
    "objective": {"vi": "Mục tiêu", "en": "Objective"},
    "each_sex": {"vi": "mỗi giới", "en": "each sex"},
    "per_unit": {"vi": "mỗi đơn vị", "en": "per unit"},
    "population_col": {"vi": "Đối tượng", "en": "Population"},
    "baseline": {"vi": "Cơ sở", "en": "Baseline"},
    "year": {"vi": "Năm", "en": "Year"},
    "district_form": {"vi": "Phiếu huyện/tỉnh", "en": "District/province form"},
    "commune_form": {"vi": "Phiếu xã", "en": "Commune form"},
    "note_m1_sources": {
        "vi": "Mục tiêu, đối tượng và cơ quan chịu trách nhiệm theo Kế hoạch (mục II.2 và VI). "
        "Số liệu sổ đăng ký lấy dòng cấp tỉnh mới nhất của chỉ tiêu (register.csv), giá trị cơ sở "
        "là dòng của năm cơ sở. Dòng ghi 'chỉ cấp xã' hoặc 'tham khảo' chỉ đo một phần đối tượng "
        "của chỉ tiêu nên được ghi 'chưa kết luận được'. Số liệu phiếu xã là tổng của các xã đã "
        "báo cáo. Khi báo cáo có các vòng trước, giá trị cơ sở của chỉ tiêu khảo sát (không có "
        "sổ đăng ký) là ước lượng của vòng đầu tiên.",
        "en": "Targets, populations and responsible agencies as the plan states them (sections "
        "II.2 and VI). Register figures are the target's latest province-level row of "
        "register.csv; the baseline is its baseline-year row. Rows marked 'commune level only' "
        "or 'indicative' measure part of the target's population and are marked 'cannot tell'. "
        "Commune-form figures are sums over the communes that reported. When the report is given "
        "earlier rounds, a survey target's baseline (without a register one) is the first "
        "round's estimate.",
    },
    "too_few": {"vi": "Quá ít trường hợp (*)", "en": "Too few cases (*)"},
    "survey": {"vi": "Khảo sát", "en": "Survey"},
    "commune": {"vi": "Phiếu xã", "en": "Commune form"},
    "register": {"vi": "Sổ đăng ký/báo cáo hành chính", "en": "Register"},
    "note_marks": {
        "vi": "( ) dựa trên {p_low}–{p_high} trường hợp chưa gia quyền; * dưới {s} trường hợp, "
        "đã ẩn; † GPI ngoài khoảng {g_low}–{g_high}.",
        "en": "( ) based on {p_low}–{p_high} unweighted cases; * fewer than {s} cases, "
        "suppressed; † GPI outside {g_low}–{g_high}.",
    },
    "note_ci": {
        "vi": "KTC 95% theo thiết kế mẫu (tuyến tính hóa Taylor, tầng và cụm); "
        "tỷ lệ dùng KTC logit.",
        "en": "95% CIs from the survey design (Taylor linearisation on strata and PSUs); "
        "proportions use logit CIs.",
    },
    "note_missing_block": {
        "vi": "Không có dữ liệu cho nhóm '{block}'; khối dòng này bị bỏ qua.",
        "en": "No data for '{block}'; this block of rows is left out.",
    },
    "note_no_data": {
        "vi": "Không có dữ liệu cho bảng này trong thư mục dữ liệu.",
        "en": "The data folder has no data for this table.",
    },
    "note_no_cases": {
        "vi": "Dữ liệu không có trường hợp nào thuộc dân số của chỉ số này.",
        "en": "No case in the data belongs to this indicator's population.",
    },
    "population": {"vi": "Dân số: {label}.", "en": "Population: {label}."},
    "source_line": {"vi": "Nguồn: {source}, {plan}.", "en": "Source: {source}, {plan}."},
    "total": {"vi": "Tổng", "en": "Total"},
    "quintile": {"vi": "Nhóm {q}", "en": "Quintile {q}"},
    "poorest": {"vi": "nghèo nhất", "en": "poorest"},
    "richest": {"vi": "giàu nhất", "en": "richest"},
}


def text(key: str, lang: str, **values: Any) -> str:
    """A user-facing string of the reports in ``lang`` (``vi`` or ``en``)."""
    template = _TEXT[key]["vi" if lang == "vi" else "en"]
    return template.format(**values) if values else template


@dataclass(frozen=True)
class Column:
    """A table column: ``kind`` says how to format it (pct, mean, ci, n, p, gpi, text, int…)."""

    key: str
    header: str
    kind: str
    group: str | None = None


@dataclass
class Row:
    """A table row: numbers (or text, or a CI pair) by column key, and marks by column key."""

    label: str
    values: dict[str, Any]
    flags: dict[str, str] = field(default_factory=dict)
    block: str | None = None
    # The plan's row variable and the domain's code, so a figure can be stored by area/group.
    variable: str | None = None
    code: float | None = None


@dataclass
class TableResult:
    """One finished table, ready for the writers."""

    id: str
    title: str
    departments: list[str]
    columns: list[Column]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    source: str = ""
    chart: list[dict[str, Any]] | None = None
    chart_unit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Display strings, one column per table column (the CSV layout)."""
        records = []
        for row in self.rows:
            record = {"": row.label}
            if any(r.block for r in self.rows):
                record = {"block": row.block or "", "": row.label}
            for column in self.columns:
                record[_column_title(column)] = format_cell(
                    row.values.get(column.key), column.kind, row.flags.get(column.key)
                )
            records.append(record)
        return pd.DataFrame.from_records(records)


def _column_title(column: Column) -> str:
    return f"{column.group} – {column.header}" if column.group else column.header


def format_cell(value: Any, kind: str, flag: str | None = None) -> str:
    """The printed form of a cell: one decimal for % and means, ``*`` when suppressed."""
    if flag == SUPPRESSED:
        return "*"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "ci":
        low, high = value
        if any(v is None or math.isnan(v) for v in (low, high)):
            return ""
        shown = f"{low:.1f}–{high:.1f}"
    elif kind in ("pct", "mean", "points", "number"):
        shown = f"{value:.1f}"
    elif kind == "ci2":
        low, high = value
        if any(v is None or math.isnan(v) for v in (low, high)):
            return ""
        shown = f"{low:.2f}–{high:.2f}"
    elif kind == "mean2":
        shown = f"{value:.2f}"
    elif kind == "gpi":
        shown = f"{value:.2f}" + (" †" if flag == GPI_FLAG else "")
    elif kind == "p":
        shown = "<0.001" if value < 0.001 else f"{value:.3f}"
    elif kind in ("n", "int"):
        shown = f"{int(round(value)):,}".replace(",", " ")
    else:
        shown = str(value)
    if flag == PARENTHESES:
        return f"({shown})"
    return shown


def _mark(n: int, settings: dict[str, float]) -> str | None:
    if n < settings["suppress_below"]:
        return SUPPRESSED
    if n < settings["parentheses_below"]:
        return PARENTHESES
    return None


def _stricter(a: str | None, b: str | None) -> str | None:
    for mark in (SUPPRESSED, PARENTHESES):
        if mark in (a, b):
            return mark
    return None


# --------------------------------------------------------------------------------------------
# work frames: one slim frame per source with the analysis columns


class WorkFrames:
    """The per-source frames the tables are computed on, with row variables coded once."""

    def __init__(
        self, data: SurveyData, plan: TablePlan, forms: dict[str, Questionnaire], lang: str
    ) -> None:
        self.data = data
        self.plan = plan
        self.forms = forms
        self.lang = lang
        self._row_labels: dict[tuple[str, str], list[tuple[float, str]] | None] = {}
        self._added: set[tuple[str, str]] = set()
        #: The survey round's reference year (round.json), for the status's path to 2020.
        self.latest_year: int | None = None
        #: Each survey indicator's baseline (total, both sexes) and its year, from the first of
        #: the earlier rounds the report is given, for M1's path from baseline to target.
        self.survey_baselines: dict[str, tuple[float, int | None]] = {}

    def design(self, sid: str) -> SurveyDesign:
        return source_design(self.data, self.plan, sid)

    def frame(self, sid: str) -> pd.DataFrame:
        return self.data.frames[sid]

    def has(self, sid: str) -> bool:
        return sid in self.data.frames

    def sex_column(self, sid: str) -> str | None:
        source = self.plan.sources[sid]
        sex = source.get("sex")
        frame = self.frame(sid)
        if sex is None or sex not in frame.columns:
            return None
        if "_sex" not in frame.columns:
            frame["_sex"] = pd.to_numeric(frame[sex], errors="coerce")
        return "_sex"

    def add(self, sid: str, name: str, values: np.ndarray) -> str:
        """Put an analysis column into a source frame (the design reads the same frame).

        The estimators cache factor codes by column name on the design, so a name that is
        reused drops its cached codes.
        """
        frame = self.frame(sid)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            frame[name] = values
        self._forget(sid, name)
        self._added.add((sid, name))
        return name

    def _forget(self, sid: str, name: str) -> None:
        design = self.data._designs.get(sid)
        if design is not None:
            design.__dict__.get("_codes_cache", {}).pop(name, None)
            domains = design.__dict__.get("_domain_cache", {})
            for key in [k for k in domains if name in k]:
                del domains[key]

    def release(self) -> None:
        """Drop the analysis columns :meth:`add` put in (and their cached codes).

        Called after each table: on a million persons every column is 8 MB, and a table's
        columns are not used by the next one; the coded row variables are kept.
        """
        for sid, name in self._added:
            frame = self.frame(sid)
            if name in frame.columns:
                del frame[name]
            self._forget(sid, name)
        self._added.clear()

    def row_variable(self, sid: str, rid: str) -> tuple[str, list[tuple[float, str]]] | None:
        """Code a row variable in a source: the column name and its (code, label) rows."""
        column = f"_rv_{rid}"
        key = (sid, rid)
        if key in self._row_labels:
            labels = self._row_labels[key]
            return None if labels is None else (column, labels)
        labels = self._code_row_variable(sid, rid, column)
        self._row_labels[key] = labels
        return None if labels is None else (column, labels)

    def _code_row_variable(self, sid: str, rid: str, column: str) -> list[tuple[float, str]] | None:
        spec = self.plan.row_variables[rid]
        frame = self.frame(sid)
        lang = self.lang
        if spec.get("derived") == "total":
            frame[column] = 0.0
            return [(0.0, text("total", lang))]
        if spec.get("derived") == "wealth_quintile":
            if "wealth_quintile" not in frame.columns:
                return None
            frame[column] = pd.to_numeric(frame["wealth_quintile"], errors="coerce")
            labels = []
            for q in range(1, 6):
                label = text("quintile", lang, q=q)
                if q == 1:
                    label += f" ({text('poorest', lang)})"
                if q == 5:
                    label += f" ({text('richest', lang)})"
                labels.append((float(q), label))
            return labels
        source_column = spec.get("column")
        if isinstance(source_column, dict):
            source_column = source_column.get(sid)
        # a list names the columns to try in turn, row by row: the women's record has carried
        # the respondent's ethnicity since 1.1.0, a 1.0.0 record takes her roster line's
        candidates = [source_column] if isinstance(source_column, str) else source_column or []
        present_columns = [c for c in candidates if c in frame.columns]
        if not present_columns:
            return None
        values = np.full(len(frame), np.nan)
        for name in present_columns:
            found = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            found = np.where(np.isin(found, MISSING), np.nan, found)
            values = np.where(np.isnan(values), found, values)
        if "groups" in spec:
            coded = np.full(len(values), np.nan)
            labels = []
            for i, group in enumerate(spec["groups"]):
                coded[np.isin(values, group["codes"])] = i
                labels.append((float(i), group["label"][lang]))
            frame[column] = coded
            return labels
        if "bins" in spec:
            bins = spec["bins"]
            if isinstance(bins, dict):  # per source: individuals 18–64, household members 15+
                bins = bins.get(sid)
                if bins is None:
                    return None
            coded = np.full(len(values), np.nan)
            labels = []
            for i, (low, high) in enumerate(zip(bins[:-1], bins[1:], strict=True)):
                coded[(values >= low) & (values < high)] = i
                # ages stop at 97 (98/99 are missing codes): a last bin reaching 98 is "65+"
                label = f"{int(low)}+" if high >= 98 else f"{int(low)}–{int(high) - 1}"
                labels.append((float(i), label))
            frame[column] = coded
            return labels
        frame[column] = values
        present = sorted(set(values[~np.isnan(values)].tolist()))
        choices = spec.get("choices")
        if choices is not None and choices["form"] in self.forms:
            question = self.forms[choices["form"]].question(choices["question"])
            ordered = [(float(c.code), c.label[lang]) for c in question.choices or ()]
            known = {code for code, _ in ordered}
            return [item for item in ordered if item[0] in present] + [
                (v, _code_text(v)) for v in present if v not in known
            ]
        return [(v, _code_text(v)) for v in present]


def _code_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --------------------------------------------------------------------------------------------
# cells


def _domain_key(value: Any) -> float:
    return float(value)


def sex_cells(
    design: SurveyDesign,
    column: str,
    stat: str,
    sex: str,
    women: Any,
    men: Any,
    by: str | None,
    settings: dict[str, float],
    scale: float = 1.0,
) -> dict[float, tuple[dict[str, Any], dict[str, str]]]:
    """Women/men estimates, CIs, n, the gap with its CI and p, and the GPI, per ``by`` value.

    ``stat`` is ``proportion`` (a 0/1 column; shown ×100 as %) or ``mean`` (×``scale``).
    Returns ``{by value: (values, flags)}``; without ``by`` the key is 0.0.
    """
    level = settings["confidence"]
    by_list = [by, sex] if by else [sex]
    if stat == "proportion":
        table = estimators.proportion(design, column, by=by_list, level=level)
        pick = "1"
        factor = 100.0
    else:
        table = estimators.mean(design, column, by=by_list, level=level)
        pick = None
        factor = scale
    # Domains without a case (estimate NaN, n 0) are rows the table does not show.
    shown = [est for est in table if est.n_unweighted > 0]
    if not shown:
        return {}
    sides: dict[tuple[float, float], estimators.Estimate] = {}
    for est in shown:
        if est.level != pick:
            continue
        key = _domain_key(est.domain[by]) if by else 0.0
        sides[(key, float(est.domain[sex]))] = est
    counts: dict[tuple[float, float], int] = {}
    if stat == "proportion":
        for est in shown:
            key = _domain_key(est.domain[by]) if by else 0.0
            counts[(key, float(est.domain[sex]))] = est.n_unweighted
    gaps = estimators.gap(
        design, column, between=(sex, women, men), stat="mean", by=by, level=level
    )
    out: dict[float, tuple[dict[str, Any], dict[str, str]]] = {}
    keys = {k for k, _ in list(sides) + list(counts)}
    gap_by = {(_domain_key(g.domain[by]) if by else 0.0): g for g in gaps}
    for key in keys:
        values: dict[str, Any] = {}
        flags: dict[str, str] = {}
        side_marks = []
        for prefix, group in (("w", women), ("m", men)):
            side = sides.get((key, float(group)))
            n = counts.get((key, float(group)), side.n_unweighted if side else 0)
            if side is None and n:
                # every valid case is 0: the share is 0 (logit CI undefined)
                values.update({f"{prefix}_est": 0.0, f"{prefix}_ci": (math.nan, math.nan)})
            elif side is not None:
                values[f"{prefix}_est"] = side.estimate * factor
                values[f"{prefix}_se"] = side.std_error * factor
                values[f"{prefix}_ci"] = (side.ci_low * factor, side.ci_high * factor)
            values[f"{prefix}_n"] = n
            mark = _mark(n, settings)
            side_marks.append(mark)
            if mark:
                flags[f"{prefix}_est"] = mark
                flags[f"{prefix}_ci"] = mark
        g = gap_by.get(key)
        if g is not None:
            gfactor = 100.0 if stat == "proportion" else scale
            values["gap"] = g.difference * gfactor
            values["gap_ci"] = (g.ci_low * gfactor, g.ci_high * gfactor)
            values["p"] = g.p_value
            values["gpi"] = g.ratio
            mark = _stricter(*side_marks)
            if mark:
                for k in ("gap", "gap_ci", "p", "gpi"):
                    flags[k] = mark
            elif math.isfinite(g.ratio) and not (
                settings["gpi_low"] <= g.ratio <= settings["gpi_high"]
            ):
                flags["gpi"] = GPI_FLAG
        out[key] = (values, flags)
    return out


def single_cells(
    design: SurveyDesign,
    column: str,
    stat: str,
    by: str | None,
    settings: dict[str, float],
    scale: float = 1.0,
    denominator: str | None = None,
) -> dict[float, tuple[dict[str, Any], dict[str, str]]]:
    """Estimate, CI, unweighted n and weighted N per ``by`` value (no sex split)."""
    level = settings["confidence"]
    if stat == "proportion":
        table = estimators.proportion(design, column, by=by, level=level)
        pick, factor = "1", 100.0
    elif stat == "ratio":
        assert denominator is not None, "a ratio needs its denominator column"
        table = estimators.ratio(design, column, denominator, by=by, level=level)
        pick, factor = None, scale
    else:
        table = estimators.mean(design, column, by=by, level=level)
        pick, factor = None, scale
    out: dict[float, tuple[dict[str, Any], dict[str, str]]] = {}
    for est in table:
        if est.n_unweighted == 0:  # a domain without a case is not a row of the table
            continue
        key = _domain_key(est.domain[by]) if by else 0.0
        values, flags = out.setdefault(key, ({}, {}))
        values["n"] = est.n_unweighted
        values["weighted_n"] = est.sum_weights
        if est.level == pick:
            values["est"] = est.estimate * factor
            values["se"] = est.std_error * factor
            values["ci"] = (est.ci_low * factor, est.ci_high * factor)
    for values, flags in out.values():
        values.setdefault("est", 0.0)
        values.setdefault("ci", (math.nan, math.nan))
        mark = _mark(values["n"], settings)
        if mark:
            flags["est"] = flags["ci"] = mark
    return out


def sex_columns(stat: str, lang: str) -> list[Column]:
    """The standard columns: women | men | gap | GPI."""
    head = text("pct" if stat == "proportion" else "mean", lang)
    columns = []
    for prefix, group in (("w", "women"), ("m", "men")):
        g = text(group, lang)
        columns += [
            Column(f"{prefix}_est", head, "pct" if stat == "proportion" else "mean", g),
            Column(f"{prefix}_ci", text("ci", lang), "ci", g),
            Column(f"{prefix}_n", text("n", lang), "n", g),
        ]
    gap = text("gap" if stat == "proportion" else "gap_mean", lang)
    columns += [
        Column("gap", text("difference", lang), "points", gap),
        Column("gap_ci", text("ci", lang), "ci", gap),
        Column("p", text("p", lang), "p", gap),
        Column("gpi", text("gpi", lang), "gpi"),
    ]
    return columns


def single_columns(stat: str, lang: str) -> list[Column]:
    """Estimate | CI | n | weighted N."""
    head = text({"proportion": "pct", "mean": "mean", "ratio": "ratio"}[stat], lang)
    return [
        Column("est", head, "pct" if stat == "proportion" else "mean"),
        Column("ci", text("ci", lang), "ci"),
        Column("n", text("n", lang), "n"),
        Column("weighted_n", text("weighted_n", lang), "int"),
    ]


def standard_notes(plan: TablePlan, lang: str, by_sex: bool = True) -> list[str]:
    """The marks note and the CI note every survey table carries."""
    s = plan.settings
    marks = text(
        "note_marks",
        lang,
        p_low=int(s["suppress_below"]),
        p_high=int(s["parentheses_below"]) - 1,
        s=int(s["suppress_below"]),
        g_low=s["gpi_low"],
        g_high=s["gpi_high"],
    )
    if not by_sex:
        marks = marks.split(";")[0] + ";" + marks.split(";")[1].rstrip(";") + "."
    return [marks, text("note_ci", lang)]


def source_line(plan: TablePlan, sid: str, lang: str) -> str:
    """``Source: <source label>, <plan title>.``"""
    return text("source_line", lang, source=plan.sources[sid]["label"][lang], plan=plan.title[lang])


# --------------------------------------------------------------------------------------------
# indicator tables


def _department_names(plan: TablePlan, ids: list[str], lang: str) -> list[str]:
    return [plan.departments[d][lang] for d in ids]


def empty_table(plan: TablePlan, table: dict[str, Any], lang: str, reason: str) -> TableResult:
    """A table whose data are missing: title, notes and the reason, no rows."""
    return TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        [Column("label", text("item", lang), "text")],
        [],
        notes=[reason] + [n[lang] for n in table.get("notes", ())],
    )


def indicator_table(work: WorkFrames, table: dict[str, Any]) -> TableResult:
    """One indicator by the plan's background rows: women | men | gap | GPI, or one block."""
    plan, lang = work.plan, work.lang
    iid = table["indicator"]
    spec = plan.indicators[iid]
    if not work.has(spec["source"]):
        return empty_table(plan, table, lang, text("note_no_data", lang))
    sid, values, denominator = indicator_values(work.data, plan, iid)
    if not np.isfinite(values).any():
        return empty_table(plan, table, lang, text("note_no_cases", lang))
    column = work.add(sid, f"_i_{iid}", values)
    den_column = None
    if denominator is not None:
        den_column = work.add(sid, f"_d_{iid}", denominator)
    design = work.design(sid)
    settings = plan.settings
    stat = spec["type"]
    sex = work.sex_column(sid) if table.get("by_sex", True) and stat != "ratio" else None
    source = plan.sources[sid]
    notes: list[str] = []
    rows: list[Row] = []
    chart: list[dict[str, Any]] = []
    scale = float(spec.get("multiplier", 1.0))
    for rid in table.get("rows", ["total"]):
        coded = work.row_variable(sid, rid)
        block = plan.row_variables[rid]["label"][lang]
        if coded is None:
            notes.append(text("note_missing_block", lang, block=block))
            continue
        rv_column, labels = coded
        by = None if plan.row_variables[rid].get("derived") == "total" else rv_column
        if sex is not None:
            cells = sex_cells(
                design,
                column,
                stat,
                sex,
                source.get("women", 2),
                source.get("men", 1),
                by,
                settings,
            )
        else:
            cells = single_cells(design, column, stat, by, settings, scale, den_column)
        for code, label in labels:
            key = 0.0 if by is None else code
            if key not in cells:
                continue
            row_values, flags = cells[key]
            rows.append(Row(label, row_values, flags, block if by is not None else None, rid, key))
            if sex is not None and spec.get("headline") and rid in ("residence", "total"):
                chart.append(
                    {
                        "label": label,
                        **{k: row_values.get(k) for k in ("w_est", "w_ci", "m_est", "m_ci")},
                        "suppressed": bool(
                            flags.get("w_est") == SUPPRESSED or flags.get("m_est") == SUPPRESSED
                        ),
                    }
                )
    columns = sex_columns(stat, lang) if sex is not None else single_columns(stat, lang)
    all_notes = [n[lang] for n in table.get("notes", ())]
    all_notes.append(text("population", lang, label=spec["label"][lang]))
    all_notes += notes + standard_notes(plan, lang, sex is not None)
    return TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        columns,
        rows,
        all_notes,
        source_line(plan, sid, lang),
        chart or None,
        "%" if stat == "proportion" else "",
        extra={
            "indicator": iid,
            "aliases": spec.get("aliases", []),
            "label": spec["label"][lang],
            "headline": bool(spec.get("headline")),
        },
    )


# --------------------------------------------------------------------------------------------
# median (quantile) tables

#: Bootstrap replicates and seed of a median table's gap: fixed, so a report run twice on the
#: same data prints the same CI (``analysis.quantiles.median_gap_from_design``'s defaults).
MEDIAN_REPLICATES = 200
MEDIAN_SEED = 20261203


def median_cells(
    design: SurveyDesign,
    column: str,
    sex: str,
    women: Any,
    men: Any,
    by: str | None,
    settings: dict[str, float],
    q: float = 0.5,
    with_gap: bool = True,
) -> dict[float, tuple[dict[str, Any], dict[str, str]]]:
    """Women's and men's quantile ``q`` with Woodruff CIs, and the gap W − M and ratio W/M with
    their bootstrap CIs, per ``by`` value.

    The sides are :func:`analysis.estimators.quantile` (R's ``svyquantile`` with
    ``qrule="math"`` and the Woodruff interval, pinned to R in the tests); the gap and ratio are
    :func:`analysis.quantiles.median_gap_from_design` (``MEDIAN_REPLICATES`` Rao–Wu bootstrap
    replicates, seed ``MEDIAN_SEED``): a median is not a smooth function of totals, so its gap
    has no linearised SE; ``with_gap=False`` leaves them out (a design with a one-PSU stratum
    cannot be bootstrapped). Suppression and parentheses follow the unweighted n of each side,
    as in :func:`sex_cells`; the gap and the ratio take the stricter mark of the two.
    """
    from analysis.quantiles import median_gap_from_design

    level = settings["confidence"]
    by_list = [by, sex] if by else [sex]
    table = estimators.quantile(design, column, (q,), by=by_list, level=level)
    sides: dict[tuple[float, float], estimators.Estimate] = {}
    for est in table:
        if est.n_unweighted == 0:
            continue
        key = _domain_key(est.domain[by]) if by else 0.0
        sides[(key, float(est.domain[sex]))] = est
    if not sides:
        return {}
    gaps: list[estimators.GapEstimate] = []
    if with_gap:
        gaps = median_gap_from_design(
            design,
            column,
            (sex, women, men),
            q=q,
            by=by,
            level=level,
            replicates=MEDIAN_REPLICATES,
            seed=MEDIAN_SEED,
        )
    gap_by = {(_domain_key(g.domain[by]) if by else 0.0): g for g in gaps}
    out: dict[float, tuple[dict[str, Any], dict[str, str]]] = {}
    for key in sorted({k for k, _ in sides}):
        values: dict[str, Any] = {}
        flags: dict[str, str] = {}
        side_marks = []
        for prefix, group in (("w", women), ("m", men)):
            side = sides.get((key, float(group)))
            n = side.n_unweighted if side is not None else 0
            if side is not None:
                values[f"{prefix}_est"] = side.estimate
                values[f"{prefix}_se"] = side.std_error
                values[f"{prefix}_ci"] = (side.ci_low, side.ci_high)
            values[f"{prefix}_n"] = n
            mark = _mark(n, settings)
            side_marks.append(mark)
            if mark:
                flags[f"{prefix}_est"] = flags[f"{prefix}_ci"] = mark
        g = gap_by.get(key)
        if g is not None:
            values["gap"] = g.difference
            values["gap_se"] = g.std_error
            values["gap_ci"] = (g.ci_low, g.ci_high)
            values["p"] = g.p_value
            values["gpi"] = g.ratio
            values["gpi_se"] = g.ratio_std_error
            values["gpi_ci"] = (g.ratio_ci_low, g.ratio_ci_high)
            mark = _stricter(*side_marks)
            if mark:
                for k in ("gap", "gap_ci", "p", "gpi", "gpi_ci"):
                    flags[k] = mark
            elif math.isfinite(g.ratio) and not (
                settings["gpi_low"] <= g.ratio <= settings["gpi_high"]
            ):
                flags["gpi"] = GPI_FLAG
        out[key] = (values, flags)
    return out


def median_columns(q: float, lang: str) -> list[Column]:
    """Women | men (median, CI, n) | gap W − M (difference, CI, p) | ratio W/M with its CI."""
    head = text("median", lang) if q == 0.5 else text("quantile", lang, q=q)
    columns = []
    for prefix, group in (("w", "women"), ("m", "men")):
        g = text(group, lang)
        columns += [
            Column(f"{prefix}_est", head, "mean", g),
            Column(f"{prefix}_ci", text("ci", lang), "ci", g),
            Column(f"{prefix}_n", text("n", lang), "n", g),
        ]
    gap = text("gap_mean", lang)
    ratio = text("ratio_wm", lang)
    columns += [
        Column("gap", text("difference", lang), "points", gap),
        Column("gap_ci", text("ci", lang), "ci", gap),
        Column("p", text("p", lang), "p", gap),
        Column("gpi", text("ratio", lang), "gpi", ratio),
        Column("gpi_ci", text("ci", lang), "ci2", ratio),
    ]
    return columns


def median_table(work: WorkFrames, table: dict[str, Any]) -> TableResult:
    """The median (or quantile ``q``) of a mean indicator's values by sex and the plan's rows.

    The indicator gives the numbers and the population (e.g. EARNINGS: the monthly earnings of
    wage workers); the table shows their weighted quantile for women and for men with Woodruff
    CIs, and the gap W − M and ratio W/M with bootstrap CIs (:func:`median_cells`), row block
    by row block, with the usual suppression marks.
    """
    plan, lang = work.plan, work.lang
    iid = table["indicator"]
    spec = plan.indicators[iid]
    q = float(table.get("q", 0.5))
    if not work.has(spec["source"]):
        return empty_table(plan, table, lang, text("note_no_data", lang))
    sid, values, _ = indicator_values(work.data, plan, iid)
    if not np.isfinite(values).any():
        return empty_table(plan, table, lang, text("note_no_cases", lang))
    column = work.add(sid, f"_q_{iid}", values)
    sex = work.sex_column(sid)
    if sex is None:
        return empty_table(plan, table, lang, text("note_no_data", lang))
    design = work.design(sid)
    source = plan.sources[sid]
    notes: list[str] = []
    rows: list[Row] = []
    with_gap = bool((design.psu_per_stratum >= 2).all())
    if not with_gap:
        notes.append(text("note_no_gap", lang))
    for rid in table.get("rows", ["total"]):
        coded = work.row_variable(sid, rid)
        block = plan.row_variables[rid]["label"][lang]
        if coded is None:
            notes.append(text("note_missing_block", lang, block=block))
            continue
        rv_column, labels = coded
        by = None if plan.row_variables[rid].get("derived") == "total" else rv_column
        cells = median_cells(
            design,
            column,
            sex,
            source.get("women", 2),
            source.get("men", 1),
            by,
            plan.settings,
            q,
            with_gap,
        )
        for code, label in labels:
            key = 0.0 if by is None else code
            if key in cells:
                row_values, flags = cells[key]
                rows.append(
                    Row(label, row_values, flags, block if by is not None else None, rid, key)
                )
    stat = text("median", lang) if q == 0.5 else text("quantile", lang, q=q)
    all_notes = [n[lang] for n in table.get("notes", ())]
    all_notes.append(text("population", lang, label=spec["label"][lang]))
    all_notes += notes + standard_notes(plan, lang, True)[:1]
    all_notes.append(
        text(
            "note_median",
            lang,
            stat=stat,
            stat_lower=stat.lower(),
            reps=MEDIAN_REPLICATES,
            seed=MEDIAN_SEED,
        )
    )
    return TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        median_columns(q, lang),
        rows,
        all_notes,
        source_line(plan, sid, lang),
        extra={"median_of": iid, "q": q, "label": spec["label"][lang]},
    )


# --------------------------------------------------------------------------------------------
# commune-form tables and plan monitoring


def _commune_sid(plan: TablePlan) -> str | None:
    return next((s for s, src in plan.sources.items() if src["form"] == "commune"), None)


def _commune_ratio(
    work: WorkFrames,
    ast_num: dict[str, Any],
    ast_den: dict[str, Any] | None,
    sid: str | None = None,
) -> tuple[float, float, int]:
    from analysis.indicators import evaluate_frame

    sid = sid or _commune_sid(work.plan)
    assert sid is not None, "callers check the plan has a commune source"
    frame = work.frame(sid)
    missing = work.data.missing_codes.get(sid, {})
    num = evaluate_frame(ast_num, frame, missing)
    if ast_den is None:
        den = np.ones(len(frame))
    else:
        den = evaluate_frame(ast_den, frame, missing)
    ok = ~np.isnan(num) & ~np.isnan(den)
    return float(num[ok].sum()), float(den[ok].sum()), int(ok.sum())


#: The "reporting" column of an administrative-form table, by the form's unit.
_REPORTING = {"district": "districts", "province": "provinces"}


def commune_table(work: WorkFrames, table: dict[str, Any]) -> TableResult:
    """Counts and percentages summed over the forms that reported (no CI).

    The forms are the commune form's, or those of the table's ``source`` (the district forms,
    the province form): administrative figures collected in every unit, so plain sums.
    """
    plan, lang = work.plan, work.lang
    sid = table.get("source") or _commune_sid(plan)
    if sid is None or not work.has(sid):
        return empty_table(plan, table, lang, text("note_no_data", lang))
    rows = []
    for number, item in enumerate(table.get("items", ()), start=1):
        num_ast = plan.asts.get(f"{table['id']}#{number}.numerator")
        den_ast = plan.asts.get(f"{table['id']}#{number}.denominator")
        if num_ast is None:
            continue
        num, den, reporting = _commune_ratio(work, num_ast, den_ast, sid)
        pct = 100.0 * num / den if den else math.nan
        rows.append(
            Row(item["label"][lang], {"count": num, "of": den, "pct": pct, "communes": reporting})
        )
    columns = [
        Column("count", text("count", lang), "int"),
        Column("of", text("of", lang), "int"),
        Column("pct", text("pct", lang), "pct"),
        Column(
            "communes",
            text(_REPORTING.get(work.forms[plan.sources[sid]["form"]].unit, "communes"), lang),
            "int",
        ),
    ]
    notes = [n[lang] for n in table.get("notes", ())]
    return TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        columns,
        rows,
        notes,
        source_line(plan, sid, lang),
    )


#: How a target's unit is printed after its value.
_UNIT_SHOWN = {
    "percent": "%",
    "per_100": "/100",
    "per_1000": "/1 000",
    "per_100000": "/100 000",
    "per_unit": "",
    "count": "",
}

_COMPARATOR_SHOWN = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "≈", "parity": "≥"}


def target_text(comparator: str, value: float, unit: str, lang: str) -> str:
    """A target as printed: "≥ 25%", "< 52/100 000", "≈ 115/100", "≥ 50% each sex"."""
    shown = f"{_COMPARATOR_SHOWN[comparator]} {value:g}{_UNIT_SHOWN.get(unit, '')}"
    if comparator == "parity":
        shown += " " + text("each_sex", lang)
    if unit == "per_unit":
        shown += " " + text("per_unit", lang)
    return shown


def monitoring_table(work: WorkFrames, table: dict[str, Any]) -> TableResult:
    """Table M1: every target of the plan with its figures, CI, source, agency and status.

    The targets, their comparators, populations and responsible departments come from
    ``tables/targets.json`` (all 27); the plan's M1 entries say how the survey or the commune
    form measures some of them; the register (``register.csv``, long format) gives the figure
    of any target by its code at province level, and its baseline-year figure. Each row's status
    follows the CI rule of :mod:`analysis.target_status`; register and commune-form figures have
    no sampling error and are passed as their own CI.
    """
    from analysis.target_status import STATUS_RULE, survey_measure, target_status
    from questionnaires.register import find_record
    from questionnaires.targets import load_targets

    plan, lang = work.plan, work.lang
    settings = plan.settings
    measures: dict[str, list[dict[str, Any]]] = {}
    for measure in table.get("targets", ()):
        measures.setdefault(measure["code"], []).append(measure)
    targets = load_targets()
    rows = []
    for target in targets:
        title = targets.objectives[target.objective][lang]
        block = f"{text('objective', lang)} {target.objective}: {title}"
        items = (
            [(p.code, p.text, p.comparator, p.value) for p in target.parts]
            if target.parts
            else [(target.code, target.text, target.comparator, target.value)]
        )
        agency = "; ".join(_department_names(plan, list(target.departments), lang))
        for code, words, comparator, value in items:
            baseline_record = find_record(work.data.register, code, period=target.baseline_year)
            baseline = None if baseline_record is None else baseline_record.value
            found: list[tuple[str, str, float, tuple[float, float], int | None, int | None, bool]]
            found = []
            indicators: list[str | None] = []
            bases: list[tuple[float | None, int | None]] = []
            if "register" in target.sources or not measures.get(code):
                record = find_record(work.data.register, code)
                if record is not None:
                    source = text("register", lang)
                    if record.source_agency or record.source_document:
                        names = ", ".join(
                            s for s in (record.source_agency, record.source_document) if s
                        )
                        source = f"{source}: {names}"
                    pair = (record.value, record.value)
                    found.append(("", source, record.value, pair, None, record.period, False))
                    indicators.append(None)
                    bases.append((baseline, target.baseline_year))
                else:
                    source = f"{text('register', lang)}: {text('no_data', lang).lower()}"
                    found.append(("", source, math.nan, (math.nan, math.nan), None, None, False))
                    indicators.append(None)
                    bases.append((baseline, target.baseline_year))
            for measure in measures.get(code, ()):
                label = measure.get("label", {}).get(lang, "")
                partial = bool(measure.get("partial", False))
                if measure["source"] == "survey":
                    est, ci, n = survey_measure(work, table, measure)
                    source = f"{text('survey', lang)} ({measure['indicator']})"
                    year = work.latest_year
                else:
                    est, ci, n = math.nan, (math.nan, math.nan), None
                    commune_sid = _commune_sid(plan)
                    if commune_sid is not None and work.has(commune_sid):
                        num, den, n = _commune_ratio(
                            work,
                            plan.asts[f"{table['id']}#{code}.numerator"],
                            plan.asts[f"{table['id']}#{code}.denominator"],
                        )
                        est = 100.0 * num / den if den else math.nan
                        ci = (est, est)
                    source = text("commune", lang)
                    year = work.latest_year
                found.append((label, source, est, ci, n, year, partial))
                indicators.append(measure.get("indicator"))
                # The first earlier round's estimate of the same measure (its own population:
                # the trend's on-track table gives it by target code), else of the indicator.
                earlier = work.survey_baselines.get(code)
                if earlier is None and "within" not in measure:
                    earlier = work.survey_baselines.get(measure.get("indicator") or "")
                if baseline is None and earlier is not None:
                    bases.append(earlier)
                else:
                    bases.append((baseline, target.baseline_year))
            for (label, source, est, ci, n, year, partial), iid, (base, base_year) in zip(
                found, indicators, bases, strict=True
            ):
                status = target_status(
                    est,
                    ci[0],
                    ci[1],
                    value,
                    comparator,
                    baseline=base,
                    baseline_year=base_year,
                    latest_year=year,
                    target_year=target.target_year,
                    partial=partial,
                )
                too_few = n is not None and ci[0] != ci[1] and n < settings["suppress_below"]
                is_survey = ci[0] != ci[1]
                shown_ci = ci if is_survey else (math.nan, math.nan)
                rows.append(
                    Row(
                        code,
                        {
                            "indicator": words[lang] + (f" — {label}" if label else ""),
                            "target": target_text(comparator, value, target.unit, lang),
                            "population": target.population[lang],
                            "est": math.nan if too_few else est,
                            "ci": (math.nan, math.nan) if too_few else shown_ci,
                            "n": n,
                            "year": year,
                            "baseline": base,
                            "source": source,
                            "agency": agency,
                            "status": text("too_few", lang) if too_few else status.label(lang),
                            "_departments": list(target.departments),
                            "_status": "cannot_tell" if too_few else status.value,
                            "_objective": target.objective,
                            "_target": value,
                            "_comparator": comparator,
                            "_unit": target.unit,
                            "_partial": partial,
                            "_indicator": iid,
                            "_ci": ci,
                        },
                        {"status": f"status_{'cannot_tell' if too_few else status.value}"},
                        block=block,
                        variable="target",
                    )
                )
    columns = [
        Column("indicator", text("indicator", lang), "text"),
        Column("target", text("target", lang), "text"),
        Column("population", text("population_col", lang), "text"),
        Column("baseline", text("baseline", lang), "number"),
        Column("est", text("estimate", lang), "number"),
        Column("ci", text("ci", lang), "ci"),
        Column("n", text("n", lang), "n"),
        Column("year", text("year", lang), "text"),
        Column("source", text("source", lang), "text"),
        Column("agency", text("agency", lang), "text"),
        Column("status", text("status", lang), "text"),
    ]
    notes = [STATUS_RULE[lang], text("note_m1_sources", lang)]
    notes += [n[lang] for n in table.get("notes", ())]
    return TableResult(
        table["id"],
        table["title"][lang],
        list(table["departments"]),
        columns,
        rows,
        notes,
        plan.title[lang],
        extra={"monitoring": True},
    )


def for_department(table: TableResult, department: str) -> TableResult:
    """The table as a department's pack shows it: M1 keeps only that department's targets, the
    trend table only its indicators."""
    if not any("_departments" in row.values for row in table.rows):
        return table
    rows = [row for row in table.rows if department in row.values.get("_departments", ())]
    extra = {**table.extra, "cache_key": f"{table.id}@{department}"}
    if "trend_chart" in extra:  # the trend charts of the department's own indicators
        kept = {row.values.get("_indicator") for row in rows}
        extra["trend_chart"] = {k: v for k, v in extra["trend_chart"].items() if k in kept}
    return replace(table, rows=rows, extra=extra)
