"""The report's small-area tables: ``small_areas.csv`` side by side, as sheets and PDF pages.

The small-area step (:func:`analysis.sae.small_area_estimates`) gives each district and commune
its direct estimate, the Fay-Herriot model estimate, their precision, the shrinkage factor and
the figure the publication rule publishes, with the reason. A reader of the workbook or the PDF
should see that choice, not only the gender database, so the report carries it as an appendix:

- ``SAE.1``: every district, indicator and sex, side by side (workbook and PDF);
- ``SAE.2``: every commune the same way (workbook and CSV only: a few thousand rows, which on
  paper would be a hundred pages), up to :data:`WORKBOOK_COMMUNE_ROWS` rows; past that (a
  survey far larger than a province's) the commune rows stay in ``small_areas.csv`` alone,
  since a sheet of hundreds of thousands of rows is of no use to a reader and would cost most
  of the report's time and memory;
- ``SAE.3``: per indicator and sex, how many communes publish the direct estimate, the model
  or nothing, with the median CV and shrinkage (workbook and PDF).

Figures are on the report's scale (percentages for proportions, the plan's multiplier for
means); a CV is a percentage of the figure; the shrinkage factor γ = A / (A + D) is the weight of
the direct estimate in the EBLUP. Rows carry the departments of the indicator's tables, so each
department pack gets its own indicators' small-area figures.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.sae import ESTIMATOR_NOTES, REASONS
from analysis.tables import SUPPRESSED, Column, Row, TableResult, text
from questionnaires.plans import TablePlan

__all__ = ["SAE_TABLE_IDS", "WORKBOOK_COMMUNE_ROWS", "small_area_tables"]

#: The ids of the small-area tables, in report order.
SAE_TABLE_IDS = ("SAE.1", "SAE.2", "SAE.3")

#: Most commune rows the workbook's ``SAE.2`` holds (Lạng Sơn's ~200 communes × the catalogue's
#: commune indicators × sex are under 10,000); more stay in ``small_areas.csv`` only.
WORKBOOK_COMMUNE_ROWS = 20_000

_WORDS: dict[str, dict[str, str]] = {
    "title_district": {
        "vi": "Ước lượng cấp huyện: trực tiếp và mô hình địa bàn nhỏ (Fay-Herriot), số liệu "
        "công bố và lý do",
        "en": "District figures: direct and small-area model (Fay-Herriot) estimates, the "
        "published figure and why",
    },
    "title_commune": {
        "vi": "Ước lượng cấp xã: trực tiếp và mô hình địa bàn nhỏ (Fay-Herriot), số liệu công "
        "bố và lý do",
        "en": "Commune figures: direct and small-area model (Fay-Herriot) estimates, the "
        "published figure and why",
    },
    "title_summary": {
        "vi": "Số liệu cấp xã được công bố theo loại ước lượng",
        "en": "Commune figures published, by estimator",
    },
    "direct": {"vi": "Trực tiếp", "en": "Direct"},
    "model": {"vi": "Mô hình (EBLUP)", "en": "Model (EBLUP)"},
    "published": {"vi": "Công bố", "en": "Published"},
    "n": {"vi": "n", "en": "n"},
    "estimate": {"vi": "Ước lượng", "en": "Estimate"},
    "se": {"vi": "SE", "en": "SE"},
    "rmse": {"vi": "√MSE", "en": "√MSE"},
    "cv": {"vi": "CV (%)", "en": "CV (%)"},
    "shrinkage": {"vi": "γ", "en": "γ"},
    "ci": {"vi": "KTC 95%", "en": "95% CI"},
    "estimator": {"vi": "Loại", "en": "Estimator"},
    "reason": {"vi": "Lý do", "en": "Why"},
    "communes": {"vi": "Số xã", "en": "Communes"},
    "median_cv": {"vi": "CV trung vị (%)", "en": "Median CV (%)"},
    "median_shrinkage": {"vi": "γ trung vị", "en": "Median γ"},
    "suppressed": {"vi": "Không công bố", "en": "Suppressed"},
    "commune": {"vi": "Xã {code}", "en": "Commune {code}"},
    "note_scale": {
        "vi": "Số liệu theo thang của báo cáo (tỉ lệ tính bằng %); n: số phỏng vấn; CV = sai "
        "số chuẩn (hoặc √MSE) chia cho ước lượng, tính bằng %; γ, hệ số co, = A / (A + D): "
        "trọng số của ước lượng trực tiếp trong EBLUP (A: phương sai của hiệu ứng địa bàn, D: "
        "phương sai mẫu).",
        "en": "Figures on the report's scale (proportions in %); n: interviews; CV = standard "
        "error (or √MSE) over the estimate, in %; γ, the shrinkage factor, = A / (A + D): the "
        "weight of the direct estimate in the EBLUP (A: variance of the area effect, D: "
        "sampling variance).",
    },
    "note_communes": {
        "vi": "Số liệu của từng xã: bảng SAE.2 trong tệp Excel và tệp small_areas.csv.",
        "en": "Each commune's figures: table SAE.2 in the workbook and small_areas.csv.",
    },
    "note_communes_csv": {
        "vi": "Số liệu của từng xã: tệp small_areas.csv ({rows} dòng, quá nhiều cho một trang "
        "tính nên không có bảng SAE.2).",
        "en": "Each commune's figures: small_areas.csv ({rows} rows, too many for a worksheet, "
        "so there is no table SAE.2).",
    },
}

#: A short form of each reason for the table cell; the notes give the full text.
_SHORT_REASONS = {
    "direct_precise": {"vi": "CV < 20%, n ≥ 30", "en": "CV < 20%, n ≥ 30"},
    "direct_imprecise": {"vi": "trực tiếp không đủ chính xác", "en": "direct too imprecise"},
    "no_sample": {"vi": "không có phỏng vấn", "en": "no interview"},
    "model_failed": {"vi": "mô hình không đạt kiểm định", "en": "model checks failed"},
    "area_misfit": {"vi": "mô hình không khớp (|phần dư| > 3)", "en": "misfit (|residual| > 3)"},
}


def _w(key: str, lang: str, **values: Any) -> str:
    words = _WORDS[key]["vi" if lang == "vi" else "en"]
    return words.format(**values) if values else words


def _scale(spec: dict[str, Any]) -> float:
    """The report's scale of an indicator: % for proportions, else the plan's multiplier."""
    return 100.0 if spec["type"] == "proportion" else float(spec.get("multiplier", 1.0))


def _departments(plan: TablePlan) -> dict[str, list[str]]:
    """Each indicator's departments: those of the plan's tables of it."""
    out: dict[str, list[str]] = {}
    for table in plan.tables:
        iid = table.get("indicator")
        if table["kind"] == "indicator" and iid:
            for dep in table["departments"]:
                if dep not in out.setdefault(iid, []):
                    out[iid].append(dep)
    return out


def _block(plan: TablePlan, iid: str, sex: str, lang: str) -> str:
    label = plan.indicators[iid]["label"]["vi" if lang == "vi" else "en"]
    who = {"F": text("women", lang), "M": text("men", lang)}.get(sex)
    return f"{iid}. {label}" + (f" — {who}" if who else "")


def _number(value: Any, scale: float = 1.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number * scale if math.isfinite(number) else math.nan


def _area_columns(lang: str) -> list[Column]:
    direct, model, shown = _w("direct", lang), _w("model", lang), _w("published", lang)
    return [
        Column("n", _w("n", lang), "n"),
        Column("direct", _w("estimate", lang), "number", direct),
        Column("direct_se", _w("se", lang), "number", direct),
        Column("direct_cv", _w("cv", lang), "number", direct),
        Column("model", _w("estimate", lang), "number", model),
        Column("model_rmse", _w("rmse", lang), "number", model),
        Column("model_cv", _w("cv", lang), "number", model),
        Column("shrinkage", _w("shrinkage", lang), "mean2", model),
        Column("published", _w("estimate", lang), "number", shown),
        Column("ci", _w("ci", lang), "ci", shown),
        Column("estimator", _w("estimator", lang), "text", shown),
        Column("reason", _w("reason", lang), "text", shown),
    ]


def _area_rows(
    frame: pd.DataFrame,
    plan: TablePlan,
    lang: str,
    names: dict[int, str],
    departments: dict[str, list[str]],
) -> list[Row]:
    rows = []
    for record in frame.to_dict("records"):
        iid = str(record["indicator"])
        scale = _scale(plan.indicators[iid])
        estimator = str(record["estimator"])
        hidden = estimator == "suppressed"
        area = int(record["area"])
        if record["level"] == "district":
            label = names.get(area, str(area))
        else:
            district = names.get(int(record["district"]), str(record["district"]))
            label = f"{_w('commune', lang, code=area)} ({district})"
        flags = {"published": SUPPRESSED, "ci": SUPPRESSED} if hidden else {}
        rows.append(
            Row(
                label,
                {
                    "n": 0 if math.isnan(_number(record["n"])) else int(record["n"]),
                    "direct": _number(record["direct"], scale),
                    "direct_se": _number(record["direct_se"], scale),
                    "direct_cv": _number(record["direct_cv"], 100.0),
                    "model": _number(record["model"], scale),
                    "model_rmse": math.sqrt(_number(record["model_mse"]) * scale * scale)
                    if _number(record["model_mse"]) >= 0
                    else math.nan,
                    "model_cv": _number(record["model_cv"], 100.0),
                    "shrinkage": _number(record["shrinkage"]),
                    "published": math.nan if hidden else _number(record["published"], scale),
                    "ci": (math.nan, math.nan)
                    if hidden
                    else (_number(record["ci_low"], scale), _number(record["ci_high"], scale)),
                    "estimator": _w(estimator, lang),
                    "reason": _SHORT_REASONS[str(record["reason"])]["vi" if lang == "vi" else "en"],
                    "_departments": departments.get(iid, []),
                    "_indicator": iid,
                },
                flags,
                block=_block(plan, iid, str(record["sex"]), lang),
            )
        )
    return rows


def _summary_rows(
    communes: pd.DataFrame, plan: TablePlan, lang: str, departments: dict[str, list[str]]
) -> list[Row]:
    rows = []
    for (iid, sex), group in communes.groupby(["indicator", "sex"], sort=False):
        estimator = group["estimator"].astype(str)
        published_cv = np.where(
            estimator == "direct",
            pd.to_numeric(group["direct_cv"], errors="coerce"),
            np.where(
                estimator == "model", pd.to_numeric(group["model_cv"], errors="coerce"), np.nan
            ),
        )
        shown = published_cv[np.isfinite(published_cv)]
        shrink = pd.to_numeric(group["shrinkage"], errors="coerce").to_numpy(float)
        shrink = shrink[np.isfinite(shrink)]
        rows.append(
            Row(
                _block(plan, str(iid), str(sex), lang),
                {
                    "communes": len(group),
                    "direct": int((estimator == "direct").sum()),
                    "model": int((estimator == "model").sum()),
                    "suppressed": int((estimator == "suppressed").sum()),
                    "median_cv": float(np.median(shown)) * 100 if len(shown) else math.nan,
                    "median_shrinkage": float(np.median(shrink)) if len(shrink) else math.nan,
                    "_departments": departments.get(str(iid), []),
                    "_indicator": str(iid),
                },
            )
        )
    return rows


def small_area_tables(
    frame: pd.DataFrame, plan: TablePlan, lang: str, source: str = ""
) -> list[TableResult]:
    """The report's small-area tables (``SAE.1`` districts, ``SAE.2`` communes, ``SAE.3`` the
    commune summary) from the side-by-side table of :func:`analysis.sae.small_area_estimates`.

    ``SAE.2`` is marked ``extra["pdf"] = False``: the report leaves it out of the PDFs (the
    commune summary ``SAE.3`` stands for it there); past :data:`WORKBOOK_COMMUNE_ROWS` commune
    rows it is not made at all and ``SAE.3``'s note sends the reader to ``small_areas.csv``.
    Tables with no row are not returned.
    """
    from analysis.synthetic.frame import load_districts

    if not len(frame):
        return []
    districts = load_districts()
    name_column = "name_vi" if lang == "vi" else "name_en"
    names = {
        int(code): str(name)
        for code, name in zip(districts["district_code"], districts[name_column], strict=True)
    }
    departments = _departments(plan)
    notes = [_w("note_scale", lang)]
    notes += list(ESTIMATOR_NOTES["vi" if lang == "vi" else "en"].values())
    words = "vi" if lang == "vi" else "en"
    notes += [f"{_SHORT_REASONS[key][words]}: {REASONS[key][words]}" for key in _SHORT_REASONS]
    tables = []
    for table_id, level, title in (
        ("SAE.1", "district", "title_district"),
        ("SAE.2", "commune", "title_commune"),
    ):
        part = frame[frame["level"] == level]
        if not len(part) or (level == "commune" and len(part) > WORKBOOK_COMMUNE_ROWS):
            continue
        rows = _area_rows(part, plan, lang, names, departments)
        tables.append(
            TableResult(
                table_id,
                _w(title, lang),
                sorted({d for row in rows for d in row.values["_departments"]}),
                _area_columns(lang),
                rows,
                list(notes),
                source,
                extra={"small_areas": level, "pdf": level != "commune"},
            )
        )
    communes = frame[frame["level"] == "commune"]
    if len(communes):
        rows = _summary_rows(communes, plan, lang, departments)
        columns = [
            Column("communes", _w("communes", lang), "n"),
            Column("direct", _w("direct", lang), "n", _w("published", lang)),
            Column("model", _w("model", lang), "n", _w("published", lang)),
            Column("suppressed", _w("suppressed", lang), "n", _w("published", lang)),
            Column("median_cv", _w("median_cv", lang), "number"),
            Column("median_shrinkage", _w("median_shrinkage", lang), "mean2"),
        ]
        tables.append(
            TableResult(
                "SAE.3",
                _w("title_summary", lang),
                sorted({d for row in rows for d in row.values["_departments"]}),
                columns,
                rows,
                [
                    _w("note_communes", lang)
                    if len(communes) <= WORKBOOK_COMMUNE_ROWS
                    else _w("note_communes_csv", lang, rows=len(communes)),
                    *notes,
                ],
                source,
                extra={"small_areas": "summary"},
            )
        )
    return tables
