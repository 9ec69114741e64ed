"""The consolidated yearly report for the Labour department, as an XLSX workbook.

One sheet lists every figure departments and districts entered (or imported) for the year, with
its status and who entered and approved it; a second sheet lists what is missing: for each
entered indicator, each area it must be reported for (the province for departments, every
district for district-level indicators) that has no figure yet.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Area
from .downloads import to_xlsx
from .models import IndicatorValue, SourceKind
from .services import areas_for, catalogue, keys_present

_TEXT: dict[str, Any] = {
    "title": {
        "vi": "Báo cáo tổng hợp số liệu bình đẳng giới năm {year}",
        "en": "Consolidated gender-equality figures, {year}",
    },
    "entries": {"vi": "Số liệu đã nhập", "en": "Entries"},
    "missing": {"vi": "Còn thiếu", "en": "Missing"},
    "header": {
        "vi": [
            "Mã",
            "Chỉ tiêu",
            "Sở/ngành",
            "Mã địa bàn",
            "Địa bàn",
            "Giới",
            "Tử số",
            "Mẫu số",
            "Giá trị",
            "Trạng thái",
            "Nguồn",
            "Người nhập",
            "Người duyệt",
            "Ghi chú",
        ],
        "en": [
            "Code",
            "Indicator",
            "Department",
            "Area code",
            "Area",
            "Sex",
            "Numerator",
            "Denominator",
            "Value",
            "Status",
            "Source",
            "Entered by",
            "Approved by",
            "Comment",
        ],
    },
    "missing_header": {
        "vi": ["Mã", "Chỉ tiêu", "Sở/ngành chịu trách nhiệm", "Mã địa bàn", "Địa bàn"],
        "en": ["Code", "Indicator", "Responsible department", "Area code", "Area"],
    },
}


def consolidated_report(year: str, lang: str) -> bytes:
    """Every department's and district's figures for ``year`` and what is missing, as XLSX."""
    lang = "vi" if lang == "vi" else "en"
    rows, missing = _report_rows(year, lang)
    return to_xlsx(
        [
            (_TEXT["entries"][lang], _TEXT["header"][lang], rows),
            (_TEXT["missing"][lang], _TEXT["missing_header"][lang], missing),
        ]
    )


def _report_rows(year: str, lang: str) -> tuple[list[list[Any]], list[list[Any]]]:
    """The entered figures of a year, and the (indicator, area) pairs still without one."""
    cat = catalogue()
    entered_kinds = [k.value for k in SourceKind if k != SourceKind.SURVEY]
    figures = db.session.scalars(
        select(IndicatorValue)
        .where(IndicatorValue.period == year, IndicatorValue.source_kind.in_(entered_kinds))
        .order_by(IndicatorValue.indicator_code, IndicatorValue.area_id, IndicatorValue.sex)
    ).all()
    rows: list[list[Any]] = []
    for figure in figures:
        indicator = cat.indicators.get(figure.indicator_code)
        rows.append(
            [
                figure.indicator_code,
                indicator.label(lang) if indicator else "",
                indicator.department if indicator else figure.department,
                figure.area.code,
                figure.area.name,
                figure.sex,
                figure.numerator,
                figure.denominator,
                figure.value,
                figure.status,
                figure.source,
                figure.entered_by.username if figure.entered_by else "",
                figure.approved_by.username if figure.approved_by else "",
                figure.comment,
            ]
        )
    present = keys_present(year)
    provinces: list[Area] = areas_for("province")
    districts: list[Area] = areas_for("district")
    missing: list[list[Any]] = []
    for indicator in cat.indicators.values():
        if not indicator.entered or indicator.period != "year":
            continue
        expected = list(provinces) if "province" in indicator.levels else []
        if "district" in indicator.levels:
            expected += districts
        for area in expected:
            if (indicator.code, area.id) not in present:
                missing.append(
                    [
                        indicator.code,
                        indicator.label(lang),
                        indicator.department,
                        area.code,
                        area.name,
                    ]
                )
    return rows, missing


def consolidated_pdf(year: str, lang: str) -> bytes:
    """The same report as :func:`consolidated_report`, as a landscape A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    lang = "vi" if lang == "vi" else "en"
    from analysis.report_pdf import FONT, register_fonts

    register_fonts()
    rows, missing = _report_rows(year, lang)
    body = ParagraphStyle("body", fontName=FONT, fontSize=7, leading=8.5)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=13, leading=16)
    title = _TEXT["title"][lang].format(year=year)

    def table(header: list[str], lines: list[list[Any]]) -> Table:
        cells = [[Paragraph(str(h), body) for h in header]]
        for line in lines:
            cells.append(
                [
                    Paragraph(
                        "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)), body
                    )
                    for v in line
                ]
            )
        made = Table(cells, repeatRows=1)
        made.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return made

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title)
    story = [
        Paragraph(title, heading),
        Spacer(0, 6),
        Paragraph(_TEXT["entries"][lang], heading),
        table(_TEXT["header"][lang], rows),
        Spacer(0, 12),
        Paragraph(_TEXT["missing"][lang], heading),
        table(_TEXT["missing_header"][lang], missing),
    ]
    document.build(story)
    return buffer.getvalue()
