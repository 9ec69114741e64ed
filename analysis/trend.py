"""Trends across survey rounds: every plan indicator per round, its changes, and their tests.

:func:`trend_tables` reads one data folder per round (as ``gesurvey simulate --rounds`` or an
export writes it; the round is named by the folder's ``round.json``, else by the folder) and
evaluates every indicator of the table plan exactly as the report does
(:func:`analysis.indicators.indicator_values`), by the row variables of the indicator's table,
for women, men and everyone. It returns four tables (:class:`TrendResult`):

- ``levels``: the estimate per round with its linearised SE, CI (the report's: logit for
  proportions, Wald otherwise, with the domain's design df), df and unweighted n;
- ``changes``: the change between each pair of consecutive rounds and from the first round to
  the last, with its SE, a Wald t statistic, its df and two-sided p-value;
- ``gaps``: the women − men gap in each of the two rounds and the change of the gap, tested the
  same way;
- ``targets``: the on-track column: every survey target of the plan's monitoring tables with
  its baseline (first round) and latest estimate and CI, each measured as table M1 measures it
  (:func:`analysis.target_status.survey_measure`: the indicator's total within the target's own
  population, e.g. MT3-CT1's remote and ethnic-minority communes only), the value of the
  straight path from the baseline to the target at the latest year, and the status from the
  CI (:func:`analysis.target_status.target_status`: achieved, on track, off track, cannot
  tell);
- ``comparability``: for each indicator and pair of rounds, whether a question it reads changed
  between the questionnaire versions the two rounds were collected on (then its changes are
  flagged ``comparable = False`` and should not be read as change on the ground).

**Independent rounds** (the default): each round is its own sample, so the estimates are
independent and ``se(change) = √(se₁² + se₂²)``. The test is a Wald t test,
``t = change / se(change)``, with ``df = df₁ + df₂`` — the sum of the two estimates' design
degrees of freedom (PSUs minus strata of the domain, R's ``degf(subset(design, domain))``).

**Panel rounds** (``panel=True``: the rounds re-use the same PSUs, e.g. a panel of communes): the
two estimates are correlated through the shared PSUs. The rounds' rows are stacked into one
design (strata and PSU codes as they are, so a PSU present in both rounds is one cluster) and the
change is linearised as one contrast: each row's score is its round's influence on its domain
estimate, ``w (y − θ) / Σ w`` (``w (y − R x) / Σ w x`` for a ratio), with sign − in the earlier
round and + in the later; the variance is the design's with-replacement PSU variance of the
summed scores, so the PSU-level covariance of the two rounds enters. The df are those of the
stacked domain (its PSUs minus its strata). This is R's
``svycontrast(svyby(~y, ~round + domain, design = svydesign(ids = ~psu, strata = ~stratum,
weights = ~w, data = rbind(a, b), nest = TRUE), svymean, covmat = TRUE), …)``.
The gap's change in a panel is the contrast ``(w₂ − m₂) − (w₁ − m₁)`` of the same scores.

Estimates are on the report's scale: percentages for proportions (so changes are percentage
points), the indicator's multiplier for means and ratios.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import estimators
from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.indicators import indicator_values, read_data_dir
from analysis.tables import WorkFrames
from questionnaires.model import Questionnaire
from questionnaires.plans import TablePlan

__all__ = [
    "LEVEL_COLUMNS",
    "CHANGE_COLUMNS",
    "COMPARABILITY_COLUMNS",
    "GAP_COLUMNS",
    "TARGET_COLUMNS",
    "RoundRef",
    "TrendResult",
    "change_between",
    "change_test",
    "contrast",
    "read_round_ref",
    "trend_tables",
]

LEVEL_COLUMNS = [
    "indicator",
    "label_vi",
    "label_en",
    "stat",
    "by",
    "by_value",
    "by_code",
    "sex",
    "round",
    "year",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
]
CHANGE_COLUMNS = [
    "indicator",
    "by",
    "by_value",
    "by_code",
    "sex",
    "from_round",
    "to_round",
    "estimate_from",
    "estimate_to",
    "change",
    "se",
    "statistic",
    "df",
    "p_value",
    "significant",
    "method",
    "comparable",
]
GAP_COLUMNS = [
    "indicator",
    "by",
    "by_value",
    "by_code",
    "from_round",
    "to_round",
    "gap_from",
    "se_from",
    "gap_to",
    "se_to",
    "change",
    "se",
    "statistic",
    "df",
    "p_value",
    "significant",
    "method",
    "comparable",
]
TARGET_COLUMNS = [
    "code",
    "indicator",
    "label_vi",
    "label_en",
    "comparator",
    "target",
    "baseline_round",
    "baseline_year",
    "baseline",
    "latest_round",
    "latest_year",
    "estimate",
    "ci_low",
    "ci_high",
    "path",
    "status",
    "status_vi",
    "status_en",
]
COMPARABILITY_COLUMNS = [
    "indicator",
    "from_round",
    "to_round",
    "comparable",
    "questions",
    "reason_vi",
    "reason_en",
]

SEXES = ("all", "women", "men")


@dataclass(frozen=True)
class RoundRef:
    """A round's identity in the trend tables: its code, labels, year and data folder."""

    code: str
    label_vi: str
    label_en: str
    year: int | None
    kind: str | None
    folder: Path


@dataclass
class TrendResult:
    """The trend tables (see the module docstring) and the rounds they compare, in order."""

    rounds: list[RoundRef]
    levels: pd.DataFrame
    changes: pd.DataFrame
    gaps: pd.DataFrame
    comparability: pd.DataFrame
    targets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TARGET_COLUMNS))
    panel: bool = False
    level: float = 0.95
    notes: list[tuple[str, str]] = field(default_factory=list)


def read_round_ref(folder: str | Path) -> RoundRef:
    """The round of a data folder: its ``round.json`` when present, else the folder's name.

    Without ``round.json`` a folder named by a year (``2018``) takes that year.
    """
    path = Path(folder)
    info: dict[str, Any] | None = None
    try:
        contract = importlib.import_module("questionnaires.rounds")
    except ImportError:
        contract = None
    if contract is not None:
        found = contract.read_round(path)
        info = None if found is None else found.to_dict()
    elif (path / "round.json").is_file():
        try:
            info = json.loads((path / "round.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AnalysisError(
                f"{path / 'round.json'}: cannot read the round description: {exc}",
                f"{path / 'round.json'}: không đọc được mô tả đợt điều tra: {exc}",
            ) from None
    if info is None:
        name = path.resolve().name
        year = int(name) if name.isdigit() and len(name) == 4 else None
        return RoundRef(name, name, name, year, None, path)
    label = info.get("label") or {}
    return RoundRef(
        str(info["code"]),
        str(label.get("vi", info["code"])),
        str(label.get("en", info["code"])),
        int(info["reference_year"]) if info.get("reference_year") is not None else None,
        info.get("kind"),
        path,
    )


# --------------------------------------------------------------------------------------------
# the test of a change


def change_test(
    change: float, se: float, df: float, level: float = 0.95
) -> tuple[float, float, bool]:
    """Wald t statistic, two-sided p-value and whether it is significant at ``1 − level``."""
    from scipy import stats

    if not (math.isfinite(change) and math.isfinite(se)) or se <= 0 or df <= 0:
        return math.nan, math.nan, False
    statistic = change / se
    p_value = float(2 * stats.t.sf(abs(statistic), df))
    return statistic, p_value, p_value < 1 - level


def independent_change(
    estimate_a: float, se_a: float, df_a: int, estimate_b: float, se_b: float, df_b: int
) -> tuple[float, float, int]:
    """Change b − a between independent samples: its SE √(se_a² + se_b²) and df df_a + df_b."""
    return estimate_b - estimate_a, math.hypot(se_a, se_b), df_a + df_b


def _change_weights(rows: np.ndarray, second: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Contrast weights of a domain's change from the first to the second stacked round."""
    return [(rows & ~second, -1.0), (rows & second, 1.0)]


def _gap_change_weights(
    women: np.ndarray, men: np.ndarray, second: np.ndarray
) -> list[tuple[np.ndarray, float]]:
    """Contrast weights of the change of the women − men gap between the stacked rounds."""
    return [
        (women & second, 1.0),
        (men & second, -1.0),
        (women & ~second, -1.0),
        (men & ~second, 1.0),
    ]


def _influence(
    y: np.ndarray, x: np.ndarray | None, w: np.ndarray, rows: np.ndarray
) -> tuple[float, np.ndarray]:
    """A domain's ratio estimate ``Σ w y / Σ w x`` (x = 1: a mean) and its weighted scores."""
    valid = rows & ~np.isnan(y)
    xv = np.ones(len(y)) if x is None else x
    valid &= ~np.isnan(xv)
    denominator = float(np.sum(w[valid] * xv[valid]))
    if denominator == 0:
        return math.nan, np.zeros(len(y))
    theta = float(np.sum(w[valid] * y[valid])) / denominator
    scores = np.zeros(len(y))
    scores[valid] = w[valid] * (y[valid] - theta * xv[valid]) / denominator
    return theta, scores


def contrast(
    design: SurveyDesign,
    y: np.ndarray,
    parts: Sequence[tuple[np.ndarray, float]],
    x: np.ndarray | None = None,
) -> tuple[float, float, int]:
    """A linear contrast ``Σ c_k θ_k`` of domain means (ratios with ``x``), its SE and df.

    ``parts`` are ``(rows of domain k, c_k)``; the domains' scores are summed with their
    coefficients before the PSU variance, so their covariance is kept (R's ``svycontrast`` of
    ``svyby(..., covmat = TRUE)``). The df are the design df of all the domains' rows with a
    value together.
    """
    total = 0.0
    scores = np.zeros(design.n)
    present = np.zeros(design.n, bool)
    for rows, coefficient in parts:
        theta, z = _influence(y, x, design.weights, rows)
        total += coefficient * theta
        scores += coefficient * z
        present |= rows & ~np.isnan(y) & (True if x is None else ~np.isnan(x))
    variance = float(design.total_variance(scores)[0, 0])
    return total, math.sqrt(max(variance, 0.0)), design.domain_degf(present)


# --------------------------------------------------------------------------------------------
# one round


@dataclass
class _Cell:
    """One domain of one round: estimate, SE, CI, df, n (report scale)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n: int


@dataclass
class _Gap:
    gap: float
    se: float
    df: int


@dataclass
class _IndicatorRound:
    """What one round gives an indicator: cells by (by, code, sex), gaps by (by, code)."""

    cells: dict[tuple[str, float, str], _Cell]
    gaps: dict[tuple[str, float], _Gap]
    labels: dict[tuple[str, float], str]
    frame: pd.DataFrame | None = None  # the slim frame, kept for panel contrasts


def _indicator_layout(plan: TablePlan) -> dict[str, tuple[list[str], bool]]:
    """Each indicator's row variables and sex split: its table's, else the total row."""
    layout: dict[str, tuple[list[str], bool]] = {}
    for table in plan.tables:
        if table.get("kind") == "indicator" and table["indicator"] not in layout:
            layout[table["indicator"]] = (
                list(table.get("rows", ["total"])),
                bool(table.get("by_sex", True)),
            )
    for iid in plan.indicators:
        layout.setdefault(iid, (["total"], True))
    return layout


def _scale(spec: dict[str, Any]) -> float:
    return 100.0 if spec["type"] == "proportion" else float(spec.get("multiplier", 1.0))


def _estimate_table(
    design: SurveyDesign,
    column: str,
    den: str | None,
    stat: str,
    by: list[str],
    level: float,
) -> Iterable[estimators.Estimate]:
    if stat == "proportion":
        return estimators.proportion(design, column, by=by or None, level=level)
    if stat == "ratio":
        assert den is not None
        return estimators.ratio(design, column, den, by=by or None, level=level)
    return estimators.mean(design, column, by=by or None, level=level)


def _cells_of(
    table: Iterable[estimators.Estimate], stat: str, by: str | None, sex: str | None, factor: float
) -> dict[tuple[float, float | None], _Cell]:
    """Cells keyed by (by code, sex code) from an estimate table (proportions: level "1")."""
    out: dict[tuple[float, float | None], _Cell] = {}
    counts: dict[tuple[float, float | None], tuple[int, int]] = {}
    for est in table:
        if est.n_unweighted == 0:
            continue
        key = (
            float(est.domain[by]) if by else 0.0,
            float(est.domain[sex]) if sex else None,
        )
        counts[key] = (est.n_unweighted, est.df)
        if stat == "proportion" and est.level != "1":
            continue
        out[key] = _Cell(
            est.estimate * factor,
            est.std_error * factor,
            est.ci_low * factor,
            est.ci_high * factor,
            est.df,
            est.n_unweighted,
        )
    for key, (n, df) in counts.items():
        # every valid case is 0: the share is 0 with no sampling variation (CI undefined)
        out.setdefault(key, _Cell(0.0, 0.0, math.nan, math.nan, df, n))
    return out


def _round_indicator(
    work: WorkFrames,
    iid: str,
    rows: list[str],
    by_sex: bool,
    level: float,
    keep_frame: bool,
) -> _IndicatorRound | None:
    plan = work.plan
    spec = plan.indicators[iid]
    if not work.has(spec["source"]):
        return None
    sid, values, denominator = indicator_values(work.data, plan, iid)
    if not np.isfinite(values).any():
        return None
    column = work.add(sid, f"_i_{iid}", values)
    den_column = None
    if denominator is not None:
        den_column = work.add(sid, f"_d_{iid}", denominator)
    design = work.design(sid)
    stat = spec["type"]
    sex = work.sex_column(sid) if by_sex and stat != "ratio" else None
    source = plan.sources[sid]
    women, men = float(source.get("women", 2)), float(source.get("men", 1))
    factor = _scale(spec)
    result = _IndicatorRound({}, {}, {})
    kept = [column] + ([den_column] if den_column else []) + ([sex] if sex else [])
    for rid in rows:
        coded = work.row_variable(sid, rid)
        if coded is None:
            continue
        rv_column, labels = coded
        total = plan.row_variables[rid].get("derived") == "total"
        by = None if total else rv_column
        if not total:
            kept.append(rv_column)
        for code, label in labels:
            result.labels[(rid, 0.0 if total else code)] = label
        by_list = [by] if by else []
        for key, cell in _cells_of(
            _estimate_table(design, column, den_column, stat, by_list, level),
            stat,
            by,
            None,
            factor,
        ).items():
            result.cells[(rid, key[0], "all")] = cell
        if sex is None:
            continue
        for key, cell in _cells_of(
            _estimate_table(design, column, den_column, stat, by_list + [sex], level),
            stat,
            by,
            sex,
            factor,
        ).items():
            name = "women" if key[1] == women else "men" if key[1] == men else None
            if name is not None:
                result.cells[(rid, key[0], name)] = cell
        for g in estimators.gap(
            design, column, between=(sex, women, men), stat="mean", by=by, level=level
        ):
            code = float(g.domain[by]) if by else 0.0
            result.gaps[(rid, code)] = _Gap(g.difference * factor, g.std_error * factor, g.df)
    if keep_frame:
        design_columns = [c for c in (design.weight, design.strata, design.psu) if c]
        frame = work.frame(sid)
        result.frame = frame[list(dict.fromkeys(kept + design_columns))].copy()
        result.frame.attrs.update(
            {
                "column": column,
                "den": den_column,
                "sex": sex,
                "women": women,
                "men": men,
                "weight": design.weight,
                "strata": design.strata,
                "psu": design.psu,
            }
        )
    return result


# --------------------------------------------------------------------------------------------
# comparability


def _round_forms(
    folder: Path, plan: TablePlan, forms: dict[str, Questionnaire]
) -> dict[str, Questionnaire]:
    from analysis.comparability import collected_forms

    return {**forms, **collected_forms(folder, plan, forms)}


def _comparability(
    plan: TablePlan,
    rounds: list[RoundRef],
    round_forms: list[dict[str, Questionnaire]],
    pairs: list[tuple[int, int]],
    indicators: Sequence[str],
) -> pd.DataFrame:
    from questionnaires.versions import plan_comparability

    rows: list[dict[str, Any]] = []
    for a, b in pairs:
        old, new = round_forms[a], round_forms[b]
        differ = [f for f in new if f in old and old[f].version != new[f].version]
        verdicts = {}
        if differ:
            verdicts = {
                v.id: v
                for v in plan_comparability(
                    plan, {f: old[f] for f in differ}, {f: new[f] for f in differ}
                )
                if v.kind == "indicator"
            }
        versions = "; ".join(f"{f} {old[f].version} → {new[f].version}" for f in differ)
        for iid in indicators:
            verdict = verdicts.get(iid)
            comparable = verdict is None or verdict.comparable
            questions = "" if verdict is None else ", ".join(sorted(verdict.questions))
            rows.append(
                {
                    "indicator": iid,
                    "from_round": rounds[a].code,
                    "to_round": rounds[b].code,
                    "comparable": comparable,
                    "questions": questions,
                    "reason_vi": ""
                    if comparable
                    else f"Định nghĩa của {questions} đã thay đổi giữa các phiên bản phiếu "
                    f"({versions}).",
                    "reason_en": ""
                    if comparable
                    else f"The definition of {questions} changed between the questionnaire "
                    f"versions ({versions}).",
                }
            )
    return pd.DataFrame(rows, columns=COMPARABILITY_COLUMNS)


# --------------------------------------------------------------------------------------------
# the whole trend


def _pairs(count: int) -> list[tuple[int, int]]:
    pairs = [(i, i + 1) for i in range(count - 1)]
    if count > 2:
        pairs.append((0, count - 1))
    return pairs


def _stacked(
    first: pd.DataFrame, second: pd.DataFrame
) -> tuple[SurveyDesign, np.ndarray, dict[str, Any]]:
    attrs = dict(first.attrs)
    both = pd.concat([first, second], ignore_index=True)
    in_second = np.r_[np.zeros(len(first), bool), np.ones(len(second), bool)]
    design = SurveyDesign(
        both,
        weight=attrs["weight"],
        strata=attrs["strata"],
        psu=attrs["psu"],
        lonely_psu="adjust",
        nest=True,
    )
    return design, in_second, attrs


def _panel_contrasts(
    first: pd.DataFrame, second: pd.DataFrame, factor: float
) -> tuple[dict[tuple[str, float, str], tuple[float, float, int]], dict[tuple[str, float], Any]]:
    """Changes and gap changes of one indicator between two rounds sharing PSUs."""
    design, in_second, attrs = _stacked(first, second)
    data = design.data
    y = data[attrs["column"]].to_numpy(float)
    x = None if attrs["den"] is None else data[attrs["den"]].to_numpy(float)
    sex = None if attrs["sex"] is None else data[attrs["sex"]].to_numpy(float)
    by_columns = [c for c in data.columns if c.startswith("_rv_")]
    changes: dict[tuple[str, float, str], tuple[float, float, int]] = {}
    gaps: dict[tuple[str, float], Any] = {}
    for rv in [None, *by_columns]:
        rid = "total" if rv is None else rv[len("_rv_") :]
        codes = [0.0] if rv is None else sorted(set(data[rv].dropna().astype(float)))
        for code in codes:
            domain = np.ones(len(data), bool) if rv is None else data[rv].to_numpy(float) == code
            groups = {"all": domain}
            if sex is not None:
                groups["women"] = domain & (sex == attrs["women"])
                groups["men"] = domain & (sex == attrs["men"])
            for name, rows in groups.items():
                est, se, df = contrast(design, y, _change_weights(rows, in_second), x)
                changes[(rid, code, name)] = (est * factor, se * factor, df)
            if sex is not None:
                w, m = groups["women"], groups["men"]
                est, se, df = contrast(design, y, _gap_change_weights(w, m, in_second), x)
                gaps[(rid, code)] = (est * factor, se * factor, df)
    return changes, gaps


def trend_tables(
    folders: Sequence[str | Path],
    plan: TablePlan | None = None,
    *,
    lang: str = "vi",
    level: float = 0.95,
    panel: bool = False,
    indicators: Sequence[str] | None = None,
    forms: dict[str, Questionnaire] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrendResult:
    """The trend tables of the plan's indicators over the rounds in ``folders``.

    Rounds are put in order of their reference year (folders without one keep their place
    after those with one). ``panel=True`` computes changes as contrasts in the stacked design
    (rounds sharing PSUs; see the module docstring), else as independent samples.
    ``indicators`` limits the indicators; ``by_value`` labels are in ``lang``.
    """
    from analysis.kap import add_kap_columns
    from questionnaires.loader import load_bundled
    from questionnaires.plans import bundled_plan_path, load_plan

    if len(folders) < 2:
        raise AnalysisError(
            "a trend needs at least two rounds (data folders)",
            "Xu hướng cần ít nhất hai đợt điều tra (thư mục dữ liệu)",
        )
    forms = load_bundled() if forms is None else forms
    plan = load_plan(bundled_plan_path(), forms) if plan is None else plan
    refs = [read_round_ref(folder) for folder in folders]
    order = sorted(range(len(refs)), key=lambda i: (refs[i].year is None, refs[i].year or 0, i))
    refs = [refs[i] for i in order]
    codes = [r.code for r in refs]
    if len(set(codes)) != len(codes):
        raise AnalysisError(
            f"two data folders belong to the same round ({', '.join(codes)}); give each round once",
            f"Hai thư mục dữ liệu cùng một đợt ({', '.join(codes)}); mỗi đợt chỉ một lần",
        )
    layout = _indicator_layout(plan)
    wanted = list(layout) if indicators is None else list(indicators)
    unknown = [i for i in wanted if i not in plan.indicators]
    if unknown:
        raise AnalysisError(
            f"indicator(s) {', '.join(unknown)} are not in the table plan",
            f"Chỉ số {', '.join(unknown)} không có trong kế hoạch bảng",
        )
    per_round: list[dict[str, _IndicatorRound]] = []
    measured: list[dict[tuple[str, int], _Measured]] = []
    round_forms: list[dict[str, Questionnaire]] = []
    notes: list[tuple[str, str]] = []
    for ref in refs:
        data = read_data_dir(ref.folder, plan, forms)
        notes += [(en, vi) for en, vi in data.notes]
        work = WorkFrames(data, plan, forms, lang)
        add_kap_columns(work)
        found: dict[str, _IndicatorRound] = {}
        for iid in wanted:
            rows, by_sex = layout[iid]
            result = _round_indicator(work, iid, rows, by_sex, level, panel)
            work.release()
            if result is not None:
                found[iid] = result
        per_round.append(found)
        measured.append(_measure_targets(work, plan, wanted))
        round_forms.append(_round_forms(ref.folder, plan, forms))
        del work, data
        if progress is not None:
            progress(ref.code)
    pairs = _pairs(len(refs))
    comparability = _comparability(plan, refs, round_forms, pairs, wanted)
    comparable = {
        (r.indicator, r.from_round, r.to_round): bool(r.comparable)
        for r in comparability.itertuples(index=False)
    }
    level_rows: list[dict[str, Any]] = []
    for ref, found in zip(refs, per_round, strict=True):
        for iid, result in found.items():
            label = plan.indicators[iid]["label"]
            for (rid, code, sex), cell in result.cells.items():
                level_rows.append(
                    {
                        "indicator": iid,
                        "label_vi": label["vi"],
                        "label_en": label["en"],
                        "stat": plan.indicators[iid]["type"],
                        "by": rid,
                        "by_value": result.labels.get((rid, code), ""),
                        "by_code": code,
                        "sex": sex,
                        "round": ref.code,
                        "year": ref.year,
                        "estimate": cell.estimate,
                        "se": cell.se,
                        "ci_low": cell.ci_low,
                        "ci_high": cell.ci_high,
                        "df": cell.df,
                        "n": cell.n,
                    }
                )
    change_rows: list[dict[str, Any]] = []
    gap_rows: list[dict[str, Any]] = []
    method = "panel" if panel else "independent"
    for a, b in pairs:
        first, second = per_round[a], per_round[b]
        for iid in wanted:
            if iid not in first or iid not in second:
                continue
            one, two = first[iid], second[iid]
            ok = comparable.get((iid, refs[a].code, refs[b].code), True)
            panel_changes: dict[tuple[str, float, str], tuple[float, float, int]] = {}
            panel_gaps: dict[tuple[str, float], Any] = {}
            if panel and one.frame is not None and two.frame is not None:
                panel_changes, panel_gaps = _panel_contrasts(
                    one.frame, two.frame, _scale(plan.indicators[iid])
                )
            for key, cell_a in one.cells.items():
                cell_b = two.cells.get(key)
                if cell_b is None:
                    continue
                rid, code, sex = key
                if key in panel_changes:
                    change, se, df = panel_changes[key]
                else:
                    change, se, df = independent_change(
                        cell_a.estimate, cell_a.se, cell_a.df, cell_b.estimate, cell_b.se, cell_b.df
                    )
                statistic, p_value, significant = change_test(change, se, df, level)
                change_rows.append(
                    {
                        "indicator": iid,
                        "by": rid,
                        "by_value": two.labels.get((rid, code), ""),
                        "by_code": code,
                        "sex": sex,
                        "from_round": refs[a].code,
                        "to_round": refs[b].code,
                        "estimate_from": cell_a.estimate,
                        "estimate_to": cell_b.estimate,
                        "change": change,
                        "se": se,
                        "statistic": statistic,
                        "df": df,
                        "p_value": p_value,
                        "significant": significant,
                        "method": method,
                        "comparable": ok,
                    }
                )
            for gkey, gap_a in one.gaps.items():
                gap_b = two.gaps.get(gkey)
                if gap_b is None:
                    continue
                rid, code = gkey
                if gkey in panel_gaps:
                    change, se, df = panel_gaps[gkey]
                else:
                    change, se, df = independent_change(
                        gap_a.gap, gap_a.se, gap_a.df, gap_b.gap, gap_b.se, gap_b.df
                    )
                statistic, p_value, significant = change_test(change, se, df, level)
                gap_rows.append(
                    {
                        "indicator": iid,
                        "by": rid,
                        "by_value": two.labels.get((rid, code), ""),
                        "by_code": code,
                        "from_round": refs[a].code,
                        "to_round": refs[b].code,
                        "gap_from": gap_a.gap,
                        "se_from": gap_a.se,
                        "gap_to": gap_b.gap,
                        "se_to": gap_b.se,
                        "change": change,
                        "se": se,
                        "statistic": statistic,
                        "df": df,
                        "p_value": p_value,
                        "significant": significant,
                        "method": method,
                        "comparable": ok,
                    }
                )
    levels = pd.DataFrame(level_rows, columns=LEVEL_COLUMNS)
    return TrendResult(
        refs,
        levels,
        pd.DataFrame(change_rows, columns=CHANGE_COLUMNS),
        pd.DataFrame(gap_rows, columns=GAP_COLUMNS),
        comparability,
        _targets(plan, refs, measured),
        panel,
        level,
        notes,
    )


#: A survey target's figure in one round: estimate, 95% CI and unweighted n.
_Measured = tuple[float, tuple[float, float], int | None]


def _survey_targets(plan: TablePlan) -> list[tuple[dict[str, Any], int, dict[str, Any]]]:
    """The survey measures of the plan's monitoring tables: (table, position, measure)."""
    return [
        (table, i, measure)
        for table in plan.tables
        if table.get("kind") == "monitoring"
        for i, measure in enumerate(table.get("targets", ()))
        if measure.get("source") == "survey" and measure.get("indicator")
    ]


def _measure_targets(
    work: WorkFrames, plan: TablePlan, wanted: Sequence[str]
) -> dict[tuple[str, int], _Measured]:
    """Each survey target's figure in one round, by (table id, position), measured as table M1
    measures it (:func:`analysis.target_status.survey_measure`: within the target's own
    population)."""
    from analysis.target_status import survey_measure

    out = {}
    for table, i, measure in _survey_targets(plan):
        if measure["indicator"] in wanted:
            out[(table["id"], i)] = survey_measure(work, table, measure)
            work.release()
    return out


def _targets(
    plan: TablePlan, refs: list[RoundRef], measured: list[dict[tuple[str, int], _Measured]]
) -> pd.DataFrame:
    """The on-track table: each survey target's baseline, latest estimate, path and status.

    The baseline is the first round's figure and the latest the last round's, each measured
    within the target's population as M1 measures it; the status follows the CI rule of
    :func:`analysis.target_status.target_status` with the target's own year.
    """
    from analysis.target_status import path_value, target_status
    from questionnaires.targets import load_targets

    # The targets (comparator, value, text, year) live in targets.json; M1 names their survey
    # measures.
    plan_targets = {}
    for known in load_targets():
        plan_targets[known.code] = (known.comparator, known.value, known.text, known.target_year)
        for part in known.parts:
            plan_targets[part.code] = (part.comparator, part.value, part.text, known.target_year)
    first, last = refs[0], refs[-1]
    rows: list[dict[str, Any]] = []
    for table, i, target in _survey_targets(plan):
        key = (table["id"], i)
        if target["code"] not in plan_targets or key not in measured[-1]:
            continue
        comparator, value, words, target_year = plan_targets[target["code"]]
        label = target.get("label") or words
        base_estimate = measured[0].get(key, (math.nan,))[0]
        baseline = None if math.isnan(base_estimate) else float(base_estimate)
        estimate, (low, high), _n = measured[-1][key]
        status = target_status(
            estimate,
            low,
            high,
            value,
            comparator,
            baseline=baseline,
            baseline_year=first.year,
            latest_year=last.year,
            target_year=target_year,
            partial=bool(target.get("partial", False)),
        )
        path = None
        if baseline is not None and first.year is not None and last.year is not None:
            path = path_value(
                value,
                baseline=baseline,
                baseline_year=first.year,
                latest_year=last.year,
                target_year=target_year,
            )
        rows.append(
            {
                "code": target["code"],
                "indicator": target["indicator"],
                "label_vi": label["vi"],
                "label_en": label["en"],
                "comparator": comparator,
                "target": value,
                "baseline_round": first.code,
                "baseline_year": first.year,
                "baseline": math.nan if baseline is None else baseline,
                "latest_round": last.code,
                "latest_year": last.year,
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "path": math.nan if path is None else path,
                "status": status.value,
                "status_vi": status.label("vi"),
                "status_en": status.label("en"),
            }
        )
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


# --------------------------------------------------------------------------------------------
# any variable between two data files (``gesurvey analyze change``)


def _text(value: Any) -> str:
    """A value as the estimators label it (2 and 2.0 alike)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _domain_key(domain: dict[str, Any]) -> tuple[str, ...]:
    """A domain's values as text, to match the domains of two files."""
    return tuple(_text(v) for v in domain.values())


def _estimates(
    design: SurveyDesign, variable: str, stat: str, by: list[str], level: float
) -> dict[tuple[tuple[str, ...], str | None], estimators.Estimate]:
    table = (
        estimators.proportion(design, variable, by=by or None, level=level)
        if stat == "proportion"
        else estimators.mean(design, variable, by=by or None, level=level)
    )
    return {(_domain_key(e.domain), e.level): e for e in table if e.n_unweighted > 0}


def _gaps(
    design: SurveyDesign,
    variable: str,
    stat: str,
    by: list[str],
    between: tuple[str, Any, Any],
    level: float,
) -> dict[tuple[tuple[str, ...], str | None], estimators.GapEstimate]:
    table = estimators.gap(design, variable, between, stat=stat, by=by or None, level=level)
    return {(_domain_key(g.domain), g.level): g for g in table}


def _panel_rows(
    stacked: SurveyDesign,
    second: np.ndarray,
    variable: str,
    stat: str,
    by: list[str],
    between: tuple[str, Any, Any] | None,
) -> dict[tuple[tuple[str, ...], str | None], dict[str, tuple[float, float, int]]]:
    """Change (and gap change) per domain and level as contrasts in the stacked design."""
    data = stacked.data
    raw = data[variable]
    out: dict[tuple[tuple[str, ...], str | None], dict[str, tuple[float, float, int]]] = {}
    ys: list[tuple[str | None, np.ndarray]]
    if stat == "proportion":
        present = raw.notna().to_numpy()
        labels = raw.map(_text).to_numpy()
        ys = [
            (name, np.where(present, (labels == name).astype(float), np.nan))
            for name in sorted({_text(v) for v in raw.dropna().unique()})
        ]
    else:
        ys = [(None, pd.to_numeric(raw, errors="coerce").to_numpy(float))]
    if by:
        groups = data.groupby(by, sort=True, dropna=True).indices
        domains = [
            (_domain_key(dict(zip(by, k if isinstance(k, tuple) else (k,), strict=True))), idx)
            for k, idx in groups.items()
        ]
    else:
        domains = [((), np.arange(len(data)))]
    group_rows = None
    if between is not None:
        column, a_value, b_value = between
        values = data[column].map(_text).to_numpy()
        group_rows = (values == _text(a_value), values == _text(b_value))
    for key, index in domains:
        rows = np.zeros(len(data), bool)
        rows[index] = True
        for name, y in ys:
            entry = {"change": contrast(stacked, y, _change_weights(rows, second))}
            if group_rows is not None:
                ga, gb = group_rows
                entry["gap"] = contrast(
                    stacked, y, _gap_change_weights(rows & ga, rows & gb, second)
                )
            out[(key, name)] = entry
    return out


def change_between(
    design_a: SurveyDesign,
    design_b: SurveyDesign,
    variable: str,
    stat: str = "mean",
    by: Sequence[str] = (),
    between: tuple[str, Any, Any] | None = None,
    level: float = 0.95,
    stacked: tuple[SurveyDesign, np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """Per domain (and level, for proportions): both estimates, the change B − A and its test.

    Independent samples by default: ``se = √(se_A² + se_B²)``, Wald t with ``df = df_A + df_B``.
    With ``stacked=(design, rows of B)`` (both files in one design: a panel sharing PSUs) the
    change and the gap change are contrasts with the PSU covariance kept (:func:`contrast`).
    With ``between=(column, a, b)`` each row also has the a − b gap in A and in B and the change
    of the gap, tested the same way.
    """
    by_list = list(by)
    first = _estimates(design_a, variable, stat, by_list, level)
    second = _estimates(design_b, variable, stat, by_list, level)
    gaps_a = gaps_b = None
    if between is not None:
        gaps_a = _gaps(design_a, variable, stat, by_list, between, level)
        gaps_b = _gaps(design_b, variable, stat, by_list, between, level)
    panel = None
    if stacked is not None:
        panel = _panel_rows(stacked[0], stacked[1], variable, stat, by_list, between)
    rows: list[dict[str, Any]] = []
    for key, a in first.items():
        b = second.get(key)
        if b is None:
            continue
        if panel is not None and key in panel:
            change, se, df = panel[key]["change"]
        else:
            change, se, df = independent_change(
                a.estimate, a.std_error, a.df, b.estimate, b.std_error, b.df
            )
        statistic, p_value, _ = change_test(change, se, df, level)
        row: dict[str, Any] = {
            "variable": variable,
            "level": a.level,
            "domain": dict(zip(by_list, key[0], strict=True)),
            "estimate_a": a.estimate,
            "std_error_a": a.std_error,
            "n_unweighted_a": a.n_unweighted,
            "estimate_b": b.estimate,
            "std_error_b": b.std_error,
            "n_unweighted_b": b.n_unweighted,
            "change": change,
            "std_error": se,
            "statistic": statistic,
            "df": df,
            "p_value": p_value,
            "method": "panel" if panel is not None else "independent",
        }
        if gaps_a is not None and gaps_b is not None:
            ga, gb = gaps_a.get(key), gaps_b.get(key)
            if ga is not None and gb is not None:
                if panel is not None and key in panel and "gap" in panel[key]:
                    g_change, g_se, g_df = panel[key]["gap"]
                else:
                    g_change, g_se, g_df = independent_change(
                        ga.difference, ga.std_error, ga.df, gb.difference, gb.std_error, gb.df
                    )
                g_stat, g_p, _ = change_test(g_change, g_se, g_df, level)
                row.update(
                    {
                        "gap_a": ga.difference,
                        "gap_std_error_a": ga.std_error,
                        "gap_b": gb.difference,
                        "gap_std_error_b": gb.std_error,
                        "gap_change": g_change,
                        "gap_change_std_error": g_se,
                        "gap_statistic": g_stat,
                        "gap_df": g_df,
                        "gap_p_value": g_p,
                    }
                )
        rows.append(row)
    return rows
