"""Write report tables to a PDF (reportlab): contents, each table with its notes, and charts.

The font is DejaVu Sans Condensed, a free font with every Vietnamese diacritic, embedded in the
PDF as a TrueType subset. Debian's ``fonts-dejavu-core`` copy is used when present; otherwise
the copy shipped in ``analysis/fonts/`` (Bitstream Vera licence, ``LICENSE-DejaVu.txt``).
Pages are A4 landscape so the ten standard columns fit; each table starts a page and long tables
continue with their header repeated. Each headline indicator gets a bar chart of women and men
with 95% CI whiskers. Tables are rendered once and joined with pypdf behind a title page and a
contents page, so department packs reuse the pages of the main report.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from analysis.tables import SUPPRESSED, TableResult, format_cell, text

__all__ = ["pdf_worker", "register_fonts", "render_table", "write_pdf", "write_pdfs"]

FONT = "DejaVuSansCondensed"
FONT_BOLD = "DejaVuSansCondensed-Bold"
_SYSTEM_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_WOMEN_COLOUR = colors.HexColor("#B2457A")
_MEN_COLOUR = colors.HexColor("#3A6EA5")

#: Cell colours of a target's status (table M1 and the plan at a glance).
STATUS_COLOURS = {
    "status_achieved": colors.HexColor("#C6EFCE"),
    "status_on_track": colors.HexColor("#DDEBF7"),
    "status_off_track": colors.HexColor("#F4CCCC"),
    "status_cannot_tell": colors.HexColor("#EDEDED"),
}

#: Relative column widths (by column key, else by kind) in the PDF tables.
_SHARES = {
    "text": 3.0,
    "ci": 1.5,
    "ci2": 1.5,
    "indicator": 4.0,
    "agency": 3.0,
    "target": 1.2,
    "source": 1.8,
    "status": 1.8,
    "finding": 12.0,
    "number": 1.2,
    "comparable": 1.5,
    "table": 1.0,
    "goal": 1.4,
    "change": 1.3,
    "year": 0.8,
    "estimator": 1.5,  # the small-area tables (analysis/report_sae.py)
    "reason": 2.4,
}

_PDF_TEXT = {
    "contents": {"vi": "Mục lục", "en": "Contents"},
    "made": {"vi": "Lập ngày {date}", "en": "Produced on {date}"},
    "chart": {
        "vi": "Biểu đồ: {label}, theo giới (thanh: ước lượng; vạch: KTC 95%)",
        "en": "Chart: {label}, by sex (bars: estimate; whiskers: 95% CI)",
    },
    "no_rows": {"vi": "Không có dòng nào.", "en": "No rows."},
    "trend_chart": {
        "vi": "Ước lượng mỗi vòng (điểm) và KTC 95% (vạch), theo chỉ số",
        "en": "Estimate per round (dots) and 95% CI (whiskers), by indicator",
    },
}


def _t(key: str, lang: str, **values: Any) -> str:
    template = _PDF_TEXT[key]["vi" if lang == "vi" else "en"]
    return template.format(**values) if values else template


def _font_path(name: str) -> Path:
    system = _SYSTEM_FONTS / f"{name}.ttf"
    if system.is_file():
        return system
    return Path(str(resources.files("analysis"))) / "fonts" / f"{name}.ttf"


def register_fonts() -> None:
    """Register the embedded Unicode fonts and their family with reportlab (once per process;
    every PDF of the project, the indicator reports' too, goes through here)."""
    registered = pdfmetrics.getRegisteredFontNames()
    if FONT in registered and FONT_BOLD in registered:
        return
    pdfmetrics.registerFont(TTFont(FONT, str(_font_path(FONT))))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_font_path(FONT_BOLD))))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle(
            "title", fontName=FONT_BOLD, fontSize=20, leading=26, spaceAfter=12
        ),
        "h1": ParagraphStyle(
            "TableHeading", fontName=FONT_BOLD, fontSize=12, leading=15, spaceBefore=6, spaceAfter=6
        ),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12),
        "note": ParagraphStyle("note", fontName=FONT, fontSize=7.5, leading=9.5),
        "source": ParagraphStyle(
            "source", fontName=FONT, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444")
        ),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=7, leading=8.5),
        "head": ParagraphStyle("head", fontName=FONT_BOLD, fontSize=7, leading=8.5, alignment=1),
        "toc0": ParagraphStyle("toc0", fontName=FONT, fontSize=9, leading=12, leftIndent=0),
    }


class _Document(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type information
    """A4 landscape page with a footer line."""

    def __init__(self, target: Any, lang: str, **kwargs: Any) -> None:
        super().__init__(
            target,
            pagesize=landscape(A4),
            leftMargin=1.5 * cm,
            rightMargin=1.5 * cm,
            topMargin=1.5 * cm,
            bottomMargin=1.5 * cm,
            **kwargs,
        )
        self.lang = lang
        self.footer_text = ""
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._footer)])

    def _footer(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.drawString(self.leftMargin, 0.8 * cm, self.footer_text)
        canvas.restoreState()


class _Anchor(Flowable):  # type: ignore[misc]  # reportlab has no type information
    """A cell that records where it was drawn, so a link to another table can be put there.

    The rectangle and the page (within the table's own PDF) go to ``sink``; :func:`write_pdf`
    turns them into link annotations once it knows the page each table starts on.
    """

    def __init__(self, inner: Any, target: str, sink: list[Any]) -> None:
        super().__init__()
        self.inner = inner
        self.target = target
        self.sink = sink

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width, self.height = self.inner.wrap(available_width, available_height)
        return self.width, self.height

    def draw(self) -> None:
        self.inner.drawOn(self.canv, 0, 0)
        x0, y0 = self.canv.absolutePosition(0, 0)
        x1, y1 = self.canv.absolutePosition(self.width, self.height)
        self.sink.append((self.canv.getPageNumber(), (x0, y0, x1, y1), self.target))


def _chart(table: TableResult, width: float, lang: str) -> Drawing | None:
    items = [
        c
        for c in table.chart or ()
        if not c.get("suppressed") and c.get("w_est") is not None and c.get("m_est") is not None
    ]
    if not items:
        return None
    height = 5.5 * cm
    drawing = Drawing(width, height + 1.2 * cm)
    left, bottom = 1.2 * cm, 0.9 * cm
    plot_w, plot_h = min(width - left - 4 * cm, 3.2 * cm * len(items)), height - 0.3 * cm
    highs = []
    for c in items:
        for key in ("w", "m"):
            ci = c.get(f"{key}_ci") or (math.nan, math.nan)
            highs.append(ci[1] if ci[1] == ci[1] else c[f"{key}_est"])
    top = 100.0 if table.chart_unit == "%" else max(highs) * 1.15 or 1.0
    scale = plot_h / top
    drawing.add(Line(left, bottom, left + plot_w, bottom, strokeColor=colors.black))
    drawing.add(Line(left, bottom, left, bottom + plot_h, strokeColor=colors.black))
    for tick in range(0, 5):
        value = top * tick / 4
        y = bottom + value * scale
        drawing.add(Line(left - 3, y, left, y, strokeColor=colors.black))
        drawing.add(
            String(left - 5, y - 3, f"{value:.0f}", fontName=FONT, fontSize=7, textAnchor="end")
        )
    slot = plot_w / len(items)
    bar = slot * 0.3
    for i, c in enumerate(items):
        x0 = left + i * slot + slot * 0.2
        for j, (key, colour) in enumerate((("w", _WOMEN_COLOUR), ("m", _MEN_COLOUR))):
            est = c[f"{key}_est"]
            x = x0 + j * bar
            drawing.add(
                Rect(x, bottom, bar * 0.9, max(est, 0) * scale, fillColor=colour, strokeColor=None)
            )
            low, high = c.get(f"{key}_ci") or (math.nan, math.nan)
            if low == low and high == high:
                mid = x + bar * 0.45
                y1, y2 = bottom + low * scale, bottom + min(high, top) * scale
                drawing.add(Line(mid, y1, mid, y2, strokeColor=colors.black, strokeWidth=0.8))
                drawing.add(Line(mid - 3, y1, mid + 3, y1, strokeColor=colors.black))
                drawing.add(Line(mid - 3, y2, mid + 3, y2, strokeColor=colors.black))
            drawing.add(
                String(
                    x + bar * 0.45,
                    bottom + max(est, 0) * scale + 2,
                    f"{est:.1f}",
                    fontName=FONT,
                    fontSize=6,
                    textAnchor="middle",
                )
            )
        drawing.add(
            String(
                x0 + bar,
                bottom - 10,
                c["label"][:28],
                fontName=FONT,
                fontSize=7,
                textAnchor="middle",
            )
        )
    legend_x = left + plot_w + 0.6 * cm
    for j, (key, colour) in enumerate((("women", _WOMEN_COLOUR), ("men", _MEN_COLOUR))):
        y = bottom + plot_h - 24 - j * 14
        drawing.add(Rect(legend_x, y, 8, 8, fillColor=colour, strokeColor=None))
        drawing.add(String(legend_x + 12, y, text(key, lang), fontName=FONT, fontSize=8))
    drawing.add(
        String(
            left,
            height + 0.6 * cm,
            _t("chart", lang, label=table.extra.get("label", table.title))[:150],
            fontName=FONT_BOLD,
            fontSize=8,
        )
    )
    return drawing


_SERIES_COLOURS = {"women": _WOMEN_COLOUR, "men": _MEN_COLOUR, "all": colors.HexColor("#555555")}


def _small_chart(entry: dict[str, Any], width: float, height: float) -> Drawing:
    """One indicator's trend: a line per sex across the rounds, with 95% CI whiskers."""
    drawing = Drawing(width, height)
    series = {k: v for k, v in entry["series"].items() if v}
    values = [x for points in series.values() for _, e, lo, hi in points for x in (e, lo, hi)]
    values = [v for v in values if v == v]
    drawing.add(String(2, height - 9, entry["label"][:48], fontName=FONT_BOLD, fontSize=6.5))
    if not values:
        return drawing
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or max(abs(high), 1.0) * 0.1
    low, high = low - pad, high + pad
    left, bottom = 0.9 * cm, 0.55 * cm
    plot_w, plot_h = width - left - 0.2 * cm, height - bottom - 0.6 * cm
    drawing.add(Line(left, bottom, left + plot_w, bottom, strokeColor=colors.black))
    drawing.add(Line(left, bottom, left, bottom + plot_h, strokeColor=colors.black))
    for value in (low + pad, high - pad):
        y = bottom + (value - low) / (high - low) * plot_h
        drawing.add(Line(left - 2, y, left, y, strokeColor=colors.black))
        drawing.add(
            String(left - 3, y - 2, f"{value:.1f}", fontName=FONT, fontSize=5.5, textAnchor="end")
        )
    rounds = [name for name, *_ in max(series.values(), key=len)]
    step = plot_w / max(len(rounds), 1)
    x_of = {name: left + step * (i + 0.5) for i, name in enumerate(rounds)}
    for name, x in x_of.items():
        drawing.add(
            String(x, bottom - 8, name[:14], fontName=FONT, fontSize=5.5, textAnchor="middle")
        )

    def y_of(value: float) -> float:
        return float(bottom + (value - low) / (high - low) * plot_h)

    for offset, (sex, points) in enumerate(series.items()):
        colour = _SERIES_COLOURS.get(sex, colors.black)
        shift = (offset - (len(series) - 1) / 2) * 3
        previous = None
        for name, est, lo, hi in points:
            if est != est or name not in x_of:
                continue
            x = x_of[name] + shift
            if lo == lo and hi == hi:
                drawing.add(Line(x, y_of(lo), x, y_of(hi), strokeColor=colour, strokeWidth=0.6))
            drawing.add(Rect(x - 1.5, y_of(est) - 1.5, 3, 3, fillColor=colour, strokeColor=None))
            if previous is not None:
                drawing.add(Line(*previous, x, y_of(est), strokeColor=colour, strokeWidth=1))
            previous = (x, y_of(est))
    return drawing


def _small_multiples(table: TableResult, width: float, lang: str) -> list[Any]:
    """The trend table's charts, four per row, with a legend line."""
    charts = table.extra.get("trend_chart") or {}
    if not charts:
        return []
    per_row = 4
    cell_w, cell_h = width / per_row, 4.2 * cm
    drawings = [_small_chart(entry, cell_w - 4, cell_h) for entry in charts.values()]
    grid = [drawings[i : i + per_row] for i in range(0, len(drawings), per_row)]
    grid[-1] += [""] * (per_row - len(grid[-1]))
    legend = Drawing(width, 12)
    for j, (key, colour) in enumerate((("women", _WOMEN_COLOUR), ("men", _MEN_COLOUR))):
        legend.add(Rect(j * 60, 2, 8, 8, fillColor=colour, strokeColor=None))
        legend.add(String(j * 60 + 12, 2, text(key, lang), fontName=FONT, fontSize=8))
    legend.add(String(130, 2, _t("trend_chart", lang), fontName=FONT, fontSize=8))
    return [Spacer(1, 6), legend, Table(grid, colWidths=[cell_w] * per_row, hAlign="LEFT")]


def _table_flowable(table: TableResult, width: float, styles: dict[str, ParagraphStyle]) -> Table:
    label_width = 5.2 * cm if len(table.columns) > 4 else 8 * cm
    if len(table.columns) > 12:
        label_width = 4.2 * cm
    if any(c.key == "agency" for c in table.columns) or table.extra.get("front"):
        label_width = 2.6 * cm  # M1 and the front pages: the label is a code
    shares = [_SHARES.get(c.key, _SHARES.get(c.kind, 1.0)) for c in table.columns]
    unit = (width - label_width) / sum(shares) if shares else 0.0
    widths = [label_width] + [unit * share for share in shares]
    groups = [c.group or "" for c in table.columns]
    header_top = [Paragraph("", styles["head"])]
    header_bottom = [Paragraph("", styles["head"])]
    for column, group in zip(table.columns, groups, strict=True):
        header_top.append(Paragraph(escape(group), styles["head"]))
        header_bottom.append(Paragraph(escape(column.header), styles["head"]))
    data = [header_top, header_bottom]
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 7),
        ("LEADING", (0, 0), (-1, -1), 8.5),
        ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#DDE6F0")),
        ("LINEBELOW", (0, 1), (-1, 1), 0.6, colors.black),
        ("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black),
        ("ALIGN", (1, 2), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    # Merge equal group headers side by side.
    start = 0
    for j in range(1, len(groups) + 1):
        if j == len(groups) or groups[j] != groups[start]:
            if groups[start] and j - start > 1:
                style.append(("SPAN", (start + 1, 0), (j, 0)))
            start = j
    block = None
    for row in table.rows:
        if row.block and row.block != block:
            block = row.block
            data.append(
                [Paragraph(f"<b>{escape(block)}</b>", styles["cell"])] + [""] * len(table.columns)
            )
            r = len(data) - 1
            style += [
                ("SPAN", (0, r), (-1, r)),
                ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F2F2F2")),
            ]
        elif not row.block:
            block = None
        link = row.values.get("_link")
        if link:
            label = Paragraph(
                f'<font color="#1F4E9A"><u>{escape(row.label)}</u></font>', styles["cell"]
            )
            cells: list[Any] = [_Anchor(label, link, table.extra.setdefault("links", []))]
        elif len(row.label) <= 38:
            cells = [("   " if row.block else "") + row.label]
        else:
            indent = "&nbsp;&nbsp;&nbsp;" if row.block else ""
            cells = [Paragraph(indent + escape(row.label), styles["cell"])]
        for j, column in enumerate(table.columns, start=1):
            flag = row.flags.get(column.key)
            shown = format_cell(row.values.get(column.key), column.kind, flag)
            if column.kind == "text":
                cells.append(Paragraph(escape(shown), styles["cell"]))
            else:
                cells.append(shown)
            if flag in STATUS_COLOURS:
                style.append(("BACKGROUND", (j, len(data)), (j, len(data)), STATUS_COLOURS[flag]))
        data.append(cells)
    if len(data) > 2:
        style.append(("LINEBELOW", (0, -1), (-1, -1), 0.6, colors.black))
    flowable = Table(data, colWidths=widths, repeatRows=2, hAlign="LEFT")
    flowable.setStyle(TableStyle(style))
    return flowable


def render_table(table: TableResult, title: str, lang: str) -> bytes:
    """One table (heading, table, notes, source, chart) as a PDF of its own, in one pass."""
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    doc = _Document(buffer, lang, title=title, author="gesurvey")
    doc.footer_text = f"{title} – {table.id}"
    story: list[Any] = [Paragraph(escape(f"{table.id}. {table.title}"), styles["h1"])]
    if table.rows:
        story.append(_table_flowable(table, doc.width, styles))
    else:
        story.append(Paragraph(escape(_t("no_rows", lang)), styles["body"]))
    tail: list[Any] = [Spacer(1, 4)]
    for note in table.notes:
        tail.append(Paragraph(escape(note), styles["note"]))
    if table.source:
        tail.append(Paragraph(escape(table.source), styles["source"]))
    story.append(KeepTogether(tail))
    chart = _chart(table, doc.width, lang)
    if chart is not None:
        story += [Spacer(1, 6), KeepTogether([chart])]
    story += _small_multiples(table, doc.width, lang)
    doc.build(story)
    return buffer.getvalue()


def _front(
    title: str,
    lang: str,
    notes: list[str],
    entries: list[tuple[str, int]],
    *,
    heading: bool = True,
    contents: bool = True,
) -> bytes:
    """Title page, notes and contents (table titles with the page each starts on).

    ``heading=False`` leaves out the title (notes and contents on pages of their own, after the
    front pages); ``contents=False`` gives the title page alone.
    """
    styles = _styles()
    buffer = io.BytesIO()
    doc = _Document(buffer, lang, title=title, author="gesurvey")
    doc.footer_text = title
    story: list[Any] = []
    if heading:
        story += [
            Paragraph(escape(title), styles["title"]),
            Paragraph(escape(_t("made", lang, date=_dt.date.today().isoformat())), styles["body"]),
            Spacer(1, 8),
        ]
    if not contents:
        doc.build(story)
        return buffer.getvalue()
    for note in notes:
        story.append(Paragraph(escape(note), styles["note"]))
    story += [Spacer(1, 10), Paragraph(escape(_t("contents", lang)), styles["h1"])]
    rows = [[Paragraph(escape(label), styles["toc0"]), str(page)] for label, page in entries]
    if rows:
        toc = Table(rows, colWidths=[doc.width - 2 * cm, 2 * cm], hAlign="LEFT")
        toc.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(toc)
    doc.build(story)
    return buffer.getvalue()


def write_pdf(
    tables: list[TableResult],
    path: str | Path,
    title: str,
    lang: str = "vi",
    notes: list[str] | None = None,
    rendered: dict[str, bytes] | None = None,
) -> Path:
    """Write the PDF report and return its path.

    Each table is rendered once (``rendered`` caches them by table id, so the department packs
    reuse the main report's pages); the front matter is laid out after, when the page each
    table starts on is known, and the pieces are joined with pypdf, with one outline entry per
    table.
    """
    register_fonts()
    rendered = {} if rendered is None else rendered
    readers = []
    for table in tables:
        key = table.extra.get("cache_key", table.id)
        if key not in rendered:
            rendered[key] = render_table(table, title, lang)
        readers.append(PdfReader(io.BytesIO(rendered[key])))
    labels = [f"{t.id}. {t.title}" for t in tables]
    # The front pages (plan at a glance, key findings) come right after the title page, before
    # the notes and contents; without them the title page holds the notes and contents too.
    lead = 0
    while lead < len(tables) and tables[lead].extra.get("front"):
        lead += 1
    note_list = notes or []
    if lead:
        title_pdf = _front(title, lang, [], [], contents=False)
        title_pages = len(PdfReader(io.BytesIO(title_pdf)).pages)
        dummy = [(label, 0) for label in labels]
        contents_pages = len(
            PdfReader(io.BytesIO(_front("", lang, note_list, dummy, heading=False))).pages
        )
    else:
        title_pages = 0
        contents_pages = len(
            PdfReader(io.BytesIO(_front(title, lang, note_list, [(lb, 0) for lb in labels]))).pages
        )
    entries, page = [], title_pages + 1
    for i, (label, reader) in enumerate(zip(labels, readers, strict=True)):
        if i == lead:
            page += contents_pages
        entries.append((label, page))
        page += len(reader.pages)
    writer = PdfWriter()
    if lead:
        writer.append(PdfReader(io.BytesIO(title_pdf)))
    contents_pdf = (
        _front("", lang, note_list, entries, heading=False)
        if lead
        else _front(title, lang, note_list, entries)
    )
    for i, ((label, start), reader) in enumerate(zip(entries, readers, strict=True)):
        if i == lead:
            writer.append(PdfReader(io.BytesIO(contents_pdf)))
        writer.append(reader, import_outline=False)
        writer.add_outline_item(title=label, page_number=start - 1)
    if lead == len(tables):
        writer.append(PdfReader(io.BytesIO(contents_pdf)))
    starts = {t.id: start for t, (_, start) in zip(tables, entries, strict=True)}
    for table, (_, start) in zip(tables, entries, strict=True):
        for page, rect, target in table.extra.get("links", ()):
            if target in starts:
                writer.add_annotation(
                    page_number=start - 1 + page - 1,
                    annotation=Link(rect=rect, target_page_index=starts[target] - 1),
                )
    writer.add_metadata({"/Title": title, "/Author": "gesurvey"})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_pdfs(
    jobs: list[tuple[list[TableResult], Path, str]],
    lang: str,
    notes: list[str] | None = None,
    rendered: dict[str, bytes] | None = None,
) -> list[Path]:
    """Write several PDFs (the report, then its department packs: tables, path and title of
    each) sharing one cache of rendered tables, so a table drawn for the report is not drawn
    again for a pack. :func:`analysis.report.run_report` runs this in a process of its own,
    beside the workbooks and the small-area estimates."""
    rendered = {} if rendered is None else rendered
    return [write_pdf(tables, path, title, lang, notes, rendered) for tables, path, title in jobs]


def pdf_worker(folder: str | None = None) -> None:
    """The report's PDF process (:class:`analysis.report._PdfWriter`): load reportlab and the
    fonts at once, then serve the requests read from standard input, one a line: ``["render",
    file]`` lays out the pickled tables (tables, title, language) ahead of time, ``["write",
    file]`` writes the pickled PDFs (jobs, language, notes) with the tables laid out so far.

    Each file is written by the report process itself, in its own temporary ``folder``, just
    before it names it here (pickle is only ever read from that trusted source). A file is
    deleted once read, and the folder when the input ends, so a report process killed
    outright (which cannot clean up) leaves nothing behind in the temporary directory.
    """
    import shutil
    import sys

    try:
        _serve(sys.stdin)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _serve(requests: Any) -> None:
    """:func:`pdf_worker`'s requests, one JSON line each."""
    import json
    import pickle

    register_fonts()
    rendered: dict[str, bytes] = {}
    drawn: dict[str, TableResult] = {}
    for line in requests:
        kind, name = json.loads(line)
        with open(name, "rb") as handle:
            payload = pickle.load(handle)
        os.unlink(name)
        if kind == "render":
            tables, title, lang = payload
            for table in tables:
                key = table.extra.get("cache_key", table.id)
                if key not in rendered:
                    rendered[key] = render_table(table, title, lang)
                    drawn[key] = table
            continue
        jobs, lang, notes = payload
        for tables, _, _ in jobs:
            for table in tables:
                # The links found while drawing a table ahead of time belong to its pages.
                earlier = drawn.get(table.extra.get("cache_key", table.id))
                if earlier is not None and "links" in earlier.extra:
                    table.extra["links"] = earlier.extra["links"]
        write_pdfs(jobs, lang, notes, rendered)


def suppressed_share(table: TableResult) -> float:
    """Share of estimate cells that are suppressed (a quick quality figure for a table)."""
    cells = [
        row.flags.get(c.key) for row in table.rows for c in table.columns if c.key.endswith("est")
    ]
    return sum(1 for f in cells if f == SUPPRESSED) / len(cells) if cells else 0.0
