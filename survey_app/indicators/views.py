"""Indicator pages: browse and download figures, enter them, approve them, the yearly report."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core.access import role_required
from ..core.i18n import current_language
from ..extensions import db
from ..models import Area

# Imported for what they register: GET /api/v1/indicators on the API blueprint, the store's tables.
from . import api as _api  # noqa: F401, I001
from . import models as _models  # noqa: F401, I001
from .chart import chart_svg
from .downloads import to_csv, to_xlsx
from .forms import ApproveForm, EntryForm
from .models import FigureStatus, IndicatorValue
from .reports import consolidated_pdf, consolidated_report
from .services import (
    READ_ROLES,
    EntryCell,
    IndicatorError,
    TableRow,
    areas_for,
    by_area,
    by_period,
    catalogue,
    district_of,
    editable_indicators,
    enter_figures,
    entry_areas,
    figures_around,
    figures_by_ids,
    find_area,
    find_figure,
    is_labour,
    may_see_figure,
    pending_for,
    province,
    set_status,
)
from .targets import target_for

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

SEX_ORDER = ("F", "M", "T")


def _labels() -> dict[str, str]:
    """Names of the sex cells, levels and statuses in the user's language."""
    return {
        "F": _("Women"),
        "M": _("Men"),
        "T": _("Total"),
        "gap": _("Gap (women − men)"),
        "target": _("Target"),
        "province": _("Province"),
        "district": _("District"),
        "commune": _("Commune"),
        "draft": _("Draft"),
        "submitted": _("Submitted"),
        "approved": _("Approved"),
    }


def _selection() -> tuple[Any, str, Area | None]:
    """The indicator, level and area picked in the query string (defaults: first, province)."""
    indicators = catalogue().indicators
    code = request.args.get("code") or next(iter(indicators))
    indicator = indicators.get(code)
    if indicator is None:
        abort(404)
    own = current_user.area
    default_level = own.level if own is not None and own.level in indicator.levels else "province"
    level = request.args.get("level") or default_level
    if level not in indicator.levels:
        level = indicator.levels[0]
    area = find_area(request.args.get("area"))
    if area is None and own is not None and own.level == level:
        area = own  # a district official opens on her own district
    if area is None or area.level != level:
        choices = areas_for(level)
        area = choices[0] if choices else None
    if indicator.sensitive and level == "commune":
        abort(403)
    return indicator, level, area


def _view_rows(indicator: Any, area: Area | None, period: str | None) -> dict[str, Any]:
    """The area's figures over the periods and, for one period, the areas directly below it."""
    if area is None:
        return {"over_time": [], "below": [], "periods": [], "period": None}
    children = sorted(area.children, key=lambda a: a.code)
    if children and children[0].level not in indicator.levels:
        children = []
    figures = figures_around(current_user, indicator.code, area, children)
    over_time = by_period([f for f in figures if f.area_id == area.id])
    periods = sorted({f.period for f in figures})
    if period not in periods:
        period = periods[-1] if periods else None
    below: list[TableRow] = []
    if period is not None and children:
        below = by_area(
            [f for f in figures if f.period == period and f.area_id != area.id], children
        )
    return {"over_time": over_time, "below": below, "periods": periods, "period": period}


@bp.route("/")
@role_required(*READ_ROLES)
def browse():  # noqa: ANN201
    """Pick an indicator, level and area: the table over the periods, the chart, the areas below."""
    indicator, level, area = _selection()
    view = _view_rows(indicator, area, request.args.get("period"))
    lang = current_language()
    target = target_for(indicator)
    labels = _labels()
    chart = chart_svg(view["over_time"], labels, target, indicator.label(lang))
    levels = [lv for lv in ("province", "district", "commune") if lv in indicator.levels]
    if indicator.sensitive:
        levels = [lv for lv in levels if lv != "commune"]
    return render_template(
        "indicators/browse.html",
        indicators=list(catalogue().indicators.values()),
        indicator=indicator,
        level=level,
        levels=levels,
        area=area,
        areas=areas_for(level),
        target=target,
        chart=chart,
        labels=labels,
        lang=lang,
        labour=is_labour(current_user),
        can_enter=bool(editable_indicators(current_user)),
        **view,
    )


def _download_rows(indicator: Any, area: Area | None, period: str | None) -> list[list[Any]]:
    view = _view_rows(indicator, area, period)
    rows: list[list[Any]] = []
    for part, table in (("period", view["over_time"]), ("area", view["below"])):
        for row in table:
            line: list[Any] = [
                indicator.code,
                area.code if part == "period" and area else row.key,
                row.label if part == "area" else (area.name if area else ""),
                row.key if part == "period" else view["period"],
            ]
            for sex in SEX_ORDER:
                figure = row.cells.get(sex)
                if figure is None:
                    line += [None, None, None, None]
                elif figure.flag == "suppressed":
                    line += [None, None, None, "*"]
                else:
                    line += [figure.value, figure.ci_low, figure.ci_high, figure.flag or None]
            line.append(None if _any_hidden(row) else row.gap)
            rows.append(line)
    return rows


def _any_hidden(row: TableRow) -> bool:
    return any(f is not None and f.flag == "suppressed" for f in row.cells.values())


def _download_header() -> list[str]:
    header = [_("Indicator"), _("Area code"), _("Area"), _("Period")]
    for sex in SEX_ORDER:
        name = _labels()[sex]
        header += [name, f"{name} – {_('CI low')}", f"{name} – {_('CI high')}", f"{name} – *"]
    header.append(_labels()["gap"])
    return header


@bp.route("/download.<fmt>")
@role_required(*READ_ROLES)
def download(fmt: str):  # noqa: ANN201
    """The browse view as CSV (UTF-8 with BOM) or XLSX."""
    indicator, _level, area = _selection()
    rows = _download_rows(indicator, area, request.args.get("period"))
    name = f"{indicator.code}_{area.code if area else 'none'}"
    if fmt == "csv":
        body = to_csv(_download_header(), rows)
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = to_xlsx([(indicator.code, _download_header(), rows)])
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


# --------------------------------------------------------------------------------------------
# entry


def _number(text: str | None, lang: str) -> tuple[float | None, str | None]:
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None, None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None, ("Không phải là số." if lang == "vi" else "Not a number.")
    if number != number or number in (float("inf"), float("-inf")):
        return None, ("Không phải là số." if lang == "vi" else "Not a number.")
    return number, None


@bp.route("/entry", methods=["GET", "POST"])
@role_required(*READ_ROLES)
def entry():  # noqa: ANN201
    """Enter an indicator's figures for one area and period (saved as draft, or submitted)."""
    mine = editable_indicators(current_user)
    if not mine:
        abort(403)
    lang = current_language()
    codes = {i.code: i for i in mine}
    code = request.values.get("code") or mine[0].code
    indicator = codes.get(code)
    if indicator is None:
        abort(403)
    areas = entry_areas(current_user, indicator)
    area = find_area(request.values.get("area")) or (areas[0] if areas else None)
    if area is None or not any(a.id == area.id for a in areas):
        abort(403)
    form = EntryForm()
    period = (request.values.get("period") or str(date.today().year)).strip()
    sexes = ("F", "M") if indicator.by_sex else ("T",)
    problems: dict[str, list[str]] = {}
    if request.method == "POST" and form.validate_on_submit():
        if not period.isdigit() or len(period) != 4:
            problems["period"] = [
                "Kỳ báo cáo là một năm, ví dụ 2019." if lang == "vi" else "The period is a year."
            ]
        cells = []
        for sex in sexes:
            cell = EntryCell(sex)
            for part in ("numerator", "denominator", "value"):
                number, error = _number(request.form.get(f"{sex}-{part}"), lang)
                if error:
                    problems.setdefault(f"{sex}.{part}", []).append(error)
                setattr(cell, part, number)
            cells.append(cell)
        if not problems:
            cells = _with_total(indicator, cells)
            try:
                result = enter_figures(
                    current_user,
                    indicator,
                    area,
                    period,
                    cells,
                    form.comment.data or "",
                    bool(form.submit_figures.data),
                    lang,
                )
            except IndicatorError:
                abort(403)
            problems = result.problems
            if not problems:
                db.session.commit()
                flash(
                    _("Figures submitted to the Labour department for approval.")
                    if form.submit_figures.data
                    else _("Figures saved as a draft."),
                    "success",
                )
                return redirect(
                    url_for("indicators.entry", code=indicator.code, area=area.code, period=period)
                )
            db.session.rollback()
    stored = {sex: find_figure(indicator.code, area, period, sex) for sex in (*sexes, "T")}
    if request.method == "GET" and stored.get("T") is not None:
        form.comment.data = stored["T"].comment
    return render_template(
        "indicators/entry.html",
        form=form,
        mine=mine,
        indicator=indicator,
        areas=areas,
        area=area,
        period=period,
        sexes=sexes,
        stored=stored,
        values=request.form if request.method == "POST" else {},
        problems=problems,
        labels=_labels(),
        lang=lang,
    ), (422 if problems else 200)


def _with_total(indicator: Any, cells: list[EntryCell]) -> list[EntryCell]:
    """Add the total cell computed from women and men (sums of counts), when both are given."""
    if not indicator.by_sex or len(cells) != 2 or any(c.blank for c in cells):
        return cells
    women, men = cells
    total = EntryCell("T")
    if indicator.has_denominator:
        if (
            women.numerator is None
            or women.denominator is None
            or men.numerator is None
            or men.denominator is None
        ):
            return cells
        total.numerator = women.numerator + men.numerator
        total.denominator = women.denominator + men.denominator
    else:
        if women.value is None and women.numerator is None:
            return cells
        first = women.value if women.value is not None else women.numerator
        second = men.value if men.value is not None else men.numerator
        if first is None or second is None:
            return cells
        total.value = first + second
    return [*cells, total]


# --------------------------------------------------------------------------------------------
# approval and the yearly report


@bp.route("/approvals", methods=["GET", "POST"])
@role_required(*READ_ROLES)
def approvals():  # noqa: ANN201
    """Submitted figures waiting for the Labour department; approve the ticked ones."""
    if not is_labour(current_user):
        abort(403)
    form = ApproveForm()
    if request.method == "POST" and form.validate_on_submit():
        ids = [int(v) for v in request.form.getlist("figure") if v.isdigit()]
        chosen = [f for f in figures_by_ids(ids) if f.status == FigureStatus.SUBMITTED.value]
        changed = set_status(chosen, FigureStatus.APPROVED.value, current_user)
        db.session.commit()
        flash(_("%(n)s figures approved.", n=changed), "success")
        return redirect(url_for("indicators.approvals"))
    pending = pending_for(current_user)
    return render_template(
        "indicators/approvals.html",
        form=form,
        pending=pending,
        catalogue=catalogue(),
        labels=_labels(),
        lang=current_language(),
    )


@bp.route("/report.xlsx")
@role_required(*READ_ROLES)
def yearly_report():  # noqa: ANN201
    """The consolidated yearly report for the Labour department (every entry, what is missing)."""
    if not is_labour(current_user):
        abort(403)
    year = (request.args.get("year") or str(date.today().year)).strip()
    if not year.isdigit():
        abort(404)
    body = consolidated_report(year, current_language())
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="bao_cao_tong_hop_{year}.xlsx"'},
    )


@bp.route("/report.pdf")
@role_required(*READ_ROLES)
def yearly_report_pdf():  # noqa: ANN201
    """The consolidated yearly report as PDF."""
    if not is_labour(current_user):
        abort(403)
    year = (request.args.get("year") or str(date.today().year)).strip()
    if not year.isdigit():
        abort(404)
    return Response(
        consolidated_pdf(year, current_language()),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bao_cao_tong_hop_{year}.pdf"'},
    )


@bp.route("/figures/<int:figure_id>")
@role_required(*READ_ROLES)
def figure(figure_id: int):  # noqa: ANN201
    """One figure with its provenance and its revisions."""
    found = db.session.get(IndicatorValue, figure_id)
    if found is None or not may_see_figure(current_user, found):
        abort(404)
    from .models import IndicatorRevision

    revisions = db.session.scalars(
        select(IndicatorRevision)
        .where(IndicatorRevision.value_id == found.id)
        .order_by(IndicatorRevision.revision)
    ).all()
    return render_template(
        "indicators/figure.html",
        figure=found,
        indicator=catalogue().indicators.get(found.indicator_code),
        revisions=revisions,
        labels=_labels(),
        lang=current_language(),
        district=district_of(current_user),
        province=province(),
    )
