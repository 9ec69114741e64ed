"""Put figures into the indicator store, decide who may see and change them, and read them back.

Who does what (departments are those of the table plan; a department user is a department
viewer, ``gesurvey results`` / Results → Departments of viewers):

- every logged-in role but enumerators reads approved ("published") figures;
- a department user enters and submits the figures of the indicators their department answers
  for, at province level; a district official (a viewer whose area is a district and who
  belongs to no department) enters district figures of the indicators kept at district level,
  for their own district only; their own drafts and submitted figures are visible to them;
- the Labour department (``ldtbxh``, which consolidates every agency's yearly report) and
  administrators see every figure and approve submitted ones;
- analysts and administrators load survey figures by publishing a report run;
- sensitive indicators (violence) are never shown below district, and a figure the report
  suppressed (too few cases) is kept without its number.

Every change goes to the audit log; an approved figure that changes keeps its old numbers as a
revision (:class:`~survey_app.indicators.models.IndicatorRevision`).
"""

from __future__ import annotations

import csv
import functools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import selectinload

from questionnaires.errors import GesurveyError
from questionnaires.indicator_catalogue import Catalogue, Indicator, load_bundled_catalogue

from ..core.audit import record
from ..extensions import db
from ..models import Area, AreaLevel, Role, User, utcnow
from ..results.models import ReportRun
from ..results.services import department_of, run_folder
from .models import FigureStatus, IndicatorRevision, IndicatorValue, SourceKind

#: The department that consolidates and approves every agency's and district's figures.
LABOUR = "ldtbxh"
#: Report row variables stored as province cells, and the catalogue disaggregation each is.
CELL_VARIABLES = {"ethnicity": "ethnicity", "residence": "residence"}
READ_ROLES = (Role.ADMIN.value, Role.ANALYST.value, Role.SUPERVISOR.value, Role.VIEWER.value)
NUMBER_FIELDS = ("value", "numerator", "denominator", "std_error", "ci_low", "ci_high")


class IndicatorError(GesurveyError):
    """A figure cannot be stored or changed; ``problems`` hold (field, message) pairs."""

    code = "indicator"

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        self.problems = list(problems)
        super().__init__(message)


def catalogue() -> Catalogue:
    """The indicator catalogue the app uses (the bundled, checked one)."""
    return load_bundled_catalogue()


# --------------------------------------------------------------------------------------------
# who may do what


def may_read(user: User) -> bool:
    """True for the roles that see the indicator database."""
    return user.is_authenticated and user.role in READ_ROLES


def is_labour(user: User) -> bool:
    """True for administrators and Labour department users (they approve)."""
    if user.role == Role.ADMIN.value:
        return True
    return user.role == Role.VIEWER.value and department_of(user) == LABOUR


def district_of(user: User) -> Area | None:
    """The district a district official answers for (a viewer with a district, no department)."""
    if user.role != Role.VIEWER.value or user.area is None:
        return None
    if user.area.level != AreaLevel.DISTRICT.value or department_of(user) is not None:
        return None
    return user.area


def province() -> Area | None:
    """The province (the top area)."""
    return db.session.scalar(
        select(Area).where(Area.level == AreaLevel.PROVINCE.value).order_by(Area.id).limit(1)
    )


def editable_indicators(user: User) -> list[Indicator]:
    """Indicators the user may type figures in for (never survey estimates)."""
    entered = [i for i in catalogue().indicators.values() if i.entered]
    if user.role == Role.ADMIN.value:
        return entered
    if user.role != Role.VIEWER.value:
        return []
    own = department_of(user)
    if own is not None:
        return [i for i in entered if i.department == own and "province" in i.levels]
    if district_of(user) is not None:
        return [i for i in entered if "district" in i.levels]
    return []


def entry_areas(user: User, indicator: Indicator) -> list[Area]:
    """Areas the user may enter this indicator's figures for."""
    if indicator not in editable_indicators(user):
        return []
    district = district_of(user)
    if district is not None:
        return [district]
    if user.role == Role.ADMIN.value:
        query = select(Area).where(Area.level.in_(indicator.levels)).order_by(Area.code)
        return list(db.session.scalars(query))
    top = province()
    return [top] if top is not None else []


def may_edit(user: User, indicator: Indicator, area: Area) -> bool:
    """True when the user may enter or change this indicator's figure in this area."""
    return any(a.id == area.id for a in entry_areas(user, indicator))


def may_edit_figure(user: User, figure: IndicatorValue) -> bool:
    """True when the user may change this stored figure (never a survey estimate)."""
    indicator = catalogue().indicators.get(figure.indicator_code)
    if indicator is None or figure.source_kind == SourceKind.SURVEY.value:
        return False
    return may_edit(user, indicator, figure.area)


def may_see_figure(user: User, figure: IndicatorValue, area: Area | None = None) -> bool:
    """Approved figures for every reader; drafts and submitted ones for their owners and Labour."""
    if not may_read(user):
        return False
    indicator = catalogue().indicators.get(figure.indicator_code)
    area = area or figure.area
    if indicator is not None and indicator.sensitive and area.level not in ("province", "district"):
        return False
    if figure.status == FigureStatus.APPROVED.value or is_labour(user):
        return True
    return may_edit_figure(user, figure)


def visible(user: User, query: Select) -> Select:
    """Restrict an IndicatorValue query to the figures the user may see (see may_see_figure)."""
    sensitive = [i.code for i in catalogue().indicators.values() if i.sensitive]
    if sensitive:
        low = select(Area.id).where(Area.level.not_in(("province", "district")))
        query = query.where(
            ~(IndicatorValue.indicator_code.in_(sensitive) & IndicatorValue.area_id.in_(low))
        )
    if is_labour(user):
        return query
    approved = IndicatorValue.status == FigureStatus.APPROVED.value
    codes = [i.code for i in editable_indicators(user)]
    district = district_of(user)
    if codes and district is not None:
        own = IndicatorValue.indicator_code.in_(codes) & (IndicatorValue.area_id == district.id)
        return query.where(approved | (own & (IndicatorValue.source_kind != "survey")))
    if codes:
        top = province()
        own = IndicatorValue.indicator_code.in_(codes) & (
            IndicatorValue.area_id == (top.id if top else -1)
        )
        return query.where(approved | (own & (IndicatorValue.source_kind != "survey")))
    return query.where(approved)


# --------------------------------------------------------------------------------------------
# writing figures


@dataclass
class Figure:
    """The numbers and provenance of one figure to store."""

    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_unweighted: int | None = None
    flag: str = ""
    status: str = FigureStatus.DRAFT.value
    source_kind: str = SourceKind.DEPARTMENT.value
    source: str = ""
    report_run_id: int | None = None
    estimator: str | None = None
    department: str = ""
    comment: str = ""

    def same_as(self, stored: IndicatorValue) -> bool:
        """True when storing this would change nothing (re-import, re-publish)."""
        mine = {
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "std_error": self.std_error,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n_unweighted": self.n_unweighted,
            "flag": self.flag,
            "status": self.status,
            "source_kind": self.source_kind,
            "source": self.source,
            "estimator": self.estimator,
            "comment": self.comment,
        }
        return mine == stored.snapshot()


def find_figure(
    code: str, area: Area, period: str, sex: str = "T", cell: str = ""
) -> IndicatorValue | None:
    """The stored figure with this key, or None."""
    return db.session.scalar(
        select(IndicatorValue).where(
            IndicatorValue.indicator_code == code,
            IndicatorValue.area_id == area.id,
            IndicatorValue.period == period,
            IndicatorValue.sex == sex,
            IndicatorValue.cell == cell,
        )
    )


def _keep_revision(stored: IndicatorValue, user: User | None, reason: str) -> None:
    db.session.add(
        IndicatorRevision(
            value_id=stored.id,
            revision=stored.revision,
            value=stored.value,
            numerator=stored.numerator,
            denominator=stored.denominator,
            std_error=stored.std_error,
            ci_low=stored.ci_low,
            ci_high=stored.ci_high,
            status=stored.status,
            source=stored.source,
            comment=stored.comment,
            approved_by_id=stored.approved_by_id,
            approved_at=stored.approved_at,
            replaced_by_id=user.id if user is not None else None,
            reason=reason,
        )
    )


def put_figure(
    code: str,
    area: Area,
    period: str,
    sex: str,
    figure: Figure,
    user: User | None,
    cell: str = "",
    reason: str = "",
) -> tuple[IndicatorValue, bool]:
    """Store one figure; return it and whether anything changed.

    Storing the same numbers and provenance again changes nothing (no audit entry). Replacing
    an approved figure first copies it into a revision, so the old value is never lost.
    """
    indicator = catalogue().indicators.get(code)
    if (
        indicator is not None
        and indicator.sensitive
        and not figure.flag
        and figure.denominator is not None
        and figure.denominator < suppress_below()
    ):
        # The report's rule for sensitive figures: too few cases, and the number is not shown.
        figure.flag = "suppressed"
    stored = find_figure(code, area, period, sex, cell)
    if stored is not None and figure.same_as(stored):
        return stored, False
    now = utcnow()
    if stored is None:
        stored = IndicatorValue(
            indicator_code=code, area_id=area.id, period=period, sex=sex, cell=cell, revision=1
        )
        stored.area = area
        db.session.add(stored)
        old = None
        action = "indicator.create"
    else:
        old = stored.snapshot()
        action = "indicator.update"
        if stored.approved:
            _keep_revision(stored, user, reason)
            stored.revision = (stored.revision or 1) + 1
            action = "indicator.revise"
    for name in (*NUMBER_FIELDS, "n_unweighted", "flag", "status", "source_kind", "source"):
        setattr(stored, name, getattr(figure, name))
    stored.report_run_id = figure.report_run_id
    stored.estimator = figure.estimator
    stored.department = figure.department
    stored.comment = figure.comment
    stored.entered_by_id = user.id if user is not None else None
    stored.entered_at = now
    stored.submitted_at = now if figure.status != FigureStatus.DRAFT.value else None
    if figure.status == FigureStatus.APPROVED.value:
        stored.approved_by_id = user.id if user is not None else None
        stored.approved_at = now
    else:
        stored.approved_by_id = None
        stored.approved_at = None
    db.session.flush()
    record(
        action,
        user=user,
        object_type="indicator_value",
        object_id=stored.id,
        field=f"{code}/{area.code}/{period}/{sex}" + (f"/{cell}" if cell else ""),
        old=old,
        new=stored.snapshot(),
        reason=reason,
    )
    return stored, True


@functools.cache
def suppress_below() -> float:
    """The plan's threshold of unweighted cases under which a figure is not shown (25)."""
    from questionnaires.plans import DEFAULT_SETTINGS, bundled_plan_path

    document = json.loads(bundled_plan_path().read_text(encoding="utf-8"))
    settings = {**DEFAULT_SETTINGS, **document.get("settings", {})}
    return float(settings["suppress_below"])


def set_status(figures: Iterable[IndicatorValue], status: str, user: User | None) -> int:
    """Move figures to ``submitted`` or ``approved`` (audited); return how many changed."""
    changed = 0
    now = utcnow()
    for figure in figures:
        if figure.status == status:
            continue
        old = figure.status
        figure.status = status
        if status == FigureStatus.SUBMITTED.value:
            figure.submitted_at = now
        if status == FigureStatus.APPROVED.value:
            figure.approved_by_id = user.id if user is not None else None
            figure.approved_at = now
        record(
            f"indicator.{status}",
            user=user,
            object_type="indicator_value",
            object_id=figure.id,
            field="status",
            old=old,
            new=status,
        )
        changed += 1
    return changed


def previous_period(period: str) -> str | None:
    """The period before a yearly one (``2019`` → ``2018``); None for other periods."""
    return str(int(period) - 1) if period.isdigit() else None


def previous_value(code: str, area: Area, period: str, sex: str) -> float | None:
    """Last period's figure (any status but draft), for the change rule."""
    before = previous_period(period)
    if before is None:
        return None
    stored = find_figure(code, area, before, sex)
    if stored is None or stored.status == FigureStatus.DRAFT.value:
        return None
    return stored.value


# --------------------------------------------------------------------------------------------
# department and district entry


@dataclass
class EntryCell:
    """What a user typed for one sex cell (numbers already parsed; None when left blank)."""

    sex: str
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None

    @property
    def blank(self) -> bool:
        return self.numerator is None and self.denominator is None and self.value is None


@dataclass
class EntryResult:
    """Problems by field name (``F.numerator``, ``comment``…) or the figures stored."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    stored: list[IndicatorValue] = field(default_factory=list)


def enter_figures(
    user: User,
    indicator: Indicator,
    area: Area,
    period: str,
    cells: list[EntryCell],
    comment: str,
    submit: bool,
    lang: str,
) -> EntryResult:
    """Check and store a user's figures for one indicator, area and period (all or none)."""
    result = EntryResult()
    if not may_edit(user, indicator, area):
        raise IndicatorError("not allowed")
    filled = [c for c in cells if not c.blank]
    if not filled:
        result.problems.setdefault("form", []).append(
            "Hãy nhập ít nhất một số liệu." if lang == "vi" else "Enter at least one figure."
        )
        return result
    for cell in filled:
        previous = previous_value(indicator.code, area, period, cell.sex)
        for problem in indicator.check_figure(
            cell.value, cell.numerator, cell.denominator, previous, comment.strip()
        ):
            key = "comment" if problem.field == "comment" else f"{cell.sex}.{problem.field}"
            result.problems.setdefault(key, []).append(problem.message(lang))
    if result.problems:
        return result
    kind = SourceKind.DISTRICT if district_of(user) is not None else SourceKind.DEPARTMENT
    status = FigureStatus.SUBMITTED if submit else FigureStatus.DRAFT
    department = department_of(user) or ""
    for cell in filled:
        stored, _changed = put_figure(
            indicator.code,
            area,
            period,
            cell.sex,
            Figure(
                value=indicator.value_of(cell.value, cell.numerator, cell.denominator),
                numerator=cell.numerator,
                denominator=cell.denominator,
                status=status.value,
                source_kind=kind.value,
                source=(department or area.code) + f" ({user.username})",
                department=department,
                comment=comment.strip(),
            ),
            user,
            reason="entry",
        )
        result.stored.append(stored)
    return result


# --------------------------------------------------------------------------------------------
# survey figures from a published report run


def _float(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def run_period(run: ReportRun) -> str:
    """The period a run's figures belong to: its round (or reference year), else its year."""
    manifest = run.manifest if isinstance(run.manifest, dict) else {}
    found = manifest.get("round")
    if isinstance(found, dict):
        found = found.get("code") or found.get("reference_year")
    found = found or manifest.get("reference_year")
    if found:
        return str(found)[:16]
    when = run.published_at or run.created_at or utcnow()
    return str(when.year)


def load_report_run(run: ReportRun, user: User | None) -> int:
    """Load a published run's ``estimates.csv`` into the store: province and district figures.

    The province's figures are the report's "total" rows, a district's the report's row for
    that district; a suppressed cell is stored without its numbers and with the report's mark.
    Returns how many figures changed (0 when the run has no estimates file, or when it was
    loaded before).
    """
    path = run_folder(run) / "estimates.csv"
    if not path.is_file():
        return 0
    by_survey = {
        i.survey_indicator: i for i in catalogue().indicators.values() if i.survey_indicator
    }
    top = province()
    districts = {
        a.code: a
        for a in db.session.scalars(select(Area).where(Area.level == AreaLevel.DISTRICT.value))
    }
    period = run_period(run)
    small = _small_area_rows(run)
    modelled = {
        (r["indicator"], r["area"], r["sex"])
        for r in small
        if r["level"] == "district" and r["estimator"] != "direct"
    }
    changed = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            indicator = by_survey.get(row["indicator"])
            if indicator is None:
                continue
            cell = ""
            if row["variable"] == "total" and "province" in indicator.levels:
                area = top
            elif row["variable"] == "district" and "district" in indicator.levels:
                if (row["indicator"], row["code"], row["sex"]) in modelled:
                    continue  # the small-area table's figure (model, or suppressed)
                area = districts.get(row["code"])
            elif row["variable"] in CELL_VARIABLES and (
                CELL_VARIABLES[row["variable"]] in indicator.disaggregations
            ):
                # A province figure for one group, e.g. cell "ethnicity=1" (the plan's code).
                area, cell = top, f"{row['variable']}={row['code']}"
            else:
                continue
            if area is None:
                continue
            estimator = row.get("estimator") or "direct"
            _stored, did = put_figure(
                indicator.code,
                area,
                period,
                row["sex"],
                Figure(
                    value=_float(row["estimate"]),
                    std_error=_float(row["std_error"]),
                    ci_low=_float(row["ci_low"]),
                    ci_high=_float(row["ci_high"]),
                    n_unweighted=int(row["n"]) if row["n"] else None,
                    flag=row["flag"],
                    status=FigureStatus.APPROVED.value,
                    source_kind=SourceKind.SURVEY.value,
                    source=f"report run {run.id}: {run.title}"[:200],
                    report_run_id=run.id,
                    estimator=estimator if estimator in ("direct", "model") else "direct",
                    department=indicator.department,
                ),
                user,
                cell=cell,
                reason=f"report run {run.id} published",
            )
            changed += did
    changed += _load_small_areas(run, small, user, by_survey, districts, period)
    current_app.logger.info("report run %s: %s indicator figures loaded", run.id, changed)
    return changed


def _small_area_comment(row: dict[str, str]) -> str:
    """What a small-area figure is, in both languages: the estimator, its MSE/CV, the rule."""
    if row["estimator"] == "model":
        numbers = (
            f"Fay-Herriot EBLUP: MSE={float(row['model_mse']):.6g}, "
            f"CV={float(row['model_cv']):.1%}, shrinkage={float(row['shrinkage']):.3f}; "
        )
    elif row["estimator"] == "direct":
        numbers = f"direct: CV={float(row['direct_cv']):.1%}; "
    else:
        numbers = ""
    return f"{numbers}{row['reason_en']} / {row['reason_vi']}"


def _small_area_rows(run: ReportRun) -> list[dict[str, str]]:
    """The rows of the run's ``small_areas.csv`` (none when the run has no such file); the
    estimator notes written after the table are left out."""
    path = run_folder(run) / "small_areas.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = [line for line in handle if not line.startswith('"')]
    return list(csv.DictReader(lines))


def _load_small_areas(
    run: ReportRun,
    rows: list[dict[str, str]],
    user: User | None,
    by_survey: dict[str, Indicator],
    districts: dict[str, Area],
    period: str,
) -> int:
    """District and commune figures of the run's ``small_areas.csv`` (the report's publication
    rule: direct, Fay-Herriot model, or suppressed with the reason).

    A district's direct figure is the report's own row (loaded from ``estimates.csv``, with the
    report's t-based interval), so only its model and suppressed figures are taken from here; a
    commune's figures all are, when the catalogue keeps the indicator at commune level (never a
    sensitive one).
    """
    if not rows:
        return 0
    communes = {
        a.code: a
        for a in db.session.scalars(select(Area).where(Area.level == AreaLevel.COMMUNE.value))
    }
    changed = 0
    for row in rows:
        indicator = by_survey.get(row["indicator"])
        level = row["level"]
        if indicator is None or level not in indicator.levels:
            continue
        if level == "district":
            if row["estimator"] == "direct":
                continue
            area = districts.get(row["area"])
        elif indicator.sensitive:
            continue
        else:
            area = communes.get(f"{row['district']}-{int(row['area']):05d}")
        if area is None:
            continue
        shown = row["estimator"] in ("direct", "model")
        _stored, did = put_figure(
            indicator.code,
            area,
            period,
            row["sex"],
            Figure(
                value=_float(row["published"]) if shown else None,
                std_error=_float(row["published_se"]) if shown else None,
                ci_low=_float(row["ci_low"]) if shown else None,
                ci_high=_float(row["ci_high"]) if shown else None,
                n_unweighted=int(row["n"]) if row["n"] else None,
                flag="" if shown else "suppressed",
                status=FigureStatus.APPROVED.value,
                source_kind=SourceKind.SURVEY.value,
                source=f"report run {run.id}: {run.title}"[:200],
                report_run_id=run.id,
                estimator=row["estimator"] if shown else None,
                department=indicator.department,
                comment=_small_area_comment(row),
            ),
            user,
            reason=f"report run {run.id} published",
        )
        changed += did
    return changed


def unload_report_run(run: ReportRun, user: User | None) -> int:
    """Take a withdrawn run's figures off the published view (back to submitted, audited)."""
    figures = db.session.scalars(
        select(IndicatorValue).where(
            IndicatorValue.report_run_id == run.id,
            IndicatorValue.status == FigureStatus.APPROVED.value,
        )
    ).all()
    return set_status(figures, FigureStatus.SUBMITTED.value, user)


# --------------------------------------------------------------------------------------------
# reading figures


def areas_for(level: str) -> list[Area]:
    """Areas of one level, by code."""
    return list(db.session.scalars(select(Area).where(Area.level == level).order_by(Area.code)))


def figures_around(user: User, code: str, area: Area, children: list[Area]) -> list[IndicatorValue]:
    """One indicator's visible figures in an area and the areas directly below it (one query)."""
    ids = [area.id] + [child.id for child in children]
    query = select(IndicatorValue).where(
        IndicatorValue.indicator_code == code,
        IndicatorValue.area_id.in_(ids),
        IndicatorValue.cell == "",
    )
    return list(db.session.scalars(visible(user, query)))


@dataclass
class TableRow:
    """One line of a browse table: women, men, total and the gap in one period or area."""

    key: str
    label: str
    cells: dict[str, IndicatorValue | None]

    def number(self, sex: str) -> float | None:
        figure = self.cells.get(sex)
        return figure.value if figure is not None else None

    @property
    def gap(self) -> float | None:
        """Women − men; None when either is missing or suppressed."""
        if any(f is not None and f.flag == "suppressed" for f in self.cells.values()):
            return None
        women, men = self.number("F"), self.number("M")
        return None if women is None or men is None else women - men


def by_period(figures: list[IndicatorValue]) -> list[TableRow]:
    """Figures of one area grouped into one row per period."""
    rows: dict[str, TableRow] = {}
    for figure in figures:
        row = rows.setdefault(figure.period, TableRow(figure.period, figure.period, {}))
        row.cells[figure.sex] = figure
    return [rows[k] for k in sorted(rows)]


def by_area(figures: list[IndicatorValue], areas: list[Area]) -> list[TableRow]:
    """Figures of one period grouped into one row per area (every area listed, blanks too)."""
    rows = {a.id: TableRow(a.code, a.name, {}) for a in areas}
    for figure in figures:
        if figure.area_id in rows:
            rows[figure.area_id].cells[figure.sex] = figure
    return [rows[a.id] for a in areas]


def api_page(
    user: User,
    code: str | None,
    area: Area | None,
    period: str | None,
    sex: str | None,
    after: tuple[str, int, str, str, str] | None,
    limit: int,
) -> list[IndicatorValue]:
    """One page of figures in key order (keyset pagination: ``after`` is the last key seen).

    The order is the store's unique key (indicator, area, period, sex, cell), so every page is
    one range scan of its index, however deep.
    """
    query = select(IndicatorValue)
    if code:
        query = query.where(IndicatorValue.indicator_code == code)
    if area is not None:
        query = query.where(IndicatorValue.area_id == area.id)
    if period:
        query = query.where(IndicatorValue.period == period)
    if sex:
        query = query.where(IndicatorValue.sex == sex)
    order = (
        IndicatorValue.indicator_code,
        IndicatorValue.area_id,
        IndicatorValue.period,
        IndicatorValue.sex,
        IndicatorValue.cell,
    )
    if after is not None:
        query = query.where(tuple_(*order) > tuple_(*after))
    # The areas of a page come in one more query, not one per figure.
    query = (
        visible(user, query)
        .order_by(*order)
        .limit(limit)
        .options(selectinload(IndicatorValue.area))
    )
    return list(db.session.scalars(query))


def figure_record(figure: IndicatorValue, area: Area | None = None) -> dict[str, Any]:
    """One figure as plain data (API, downloads); a suppressed figure has no numbers."""
    area = area or figure.area
    hidden = figure.flag == "suppressed"
    return {
        "code": figure.indicator_code,
        "area": area.code,
        "area_name": area.name,
        "level": area.level,
        "period": figure.period,
        "sex": figure.sex,
        "cell": figure.cell,
        "value": None if hidden else _clean(figure.value),
        "numerator": None if hidden else _clean(figure.numerator),
        "denominator": None if hidden else _clean(figure.denominator),
        "std_error": None if hidden else _clean(figure.std_error),
        "ci_low": None if hidden else _clean(figure.ci_low),
        "ci_high": None if hidden else _clean(figure.ci_high),
        "n": figure.n_unweighted,
        "flag": figure.flag,
        "status": figure.status,
        "source_kind": figure.source_kind,
        "source": figure.source,
        "estimator": figure.estimator,
        "comment": figure.comment,
    }


def _clean(number: float | None) -> float | None:
    if number is None or (isinstance(number, float) and math.isnan(number)):
        return None
    return number


def find_area(code: str | None) -> Area | None:
    """An area by its code."""
    if not code:
        return None
    return db.session.scalar(select(Area).where(Area.code == code))


def pending_for(user: User) -> list[IndicatorValue]:
    """Submitted figures waiting for approval (Labour and administrators only)."""
    if not is_labour(user):
        return []
    query = (
        select(IndicatorValue)
        .where(IndicatorValue.status == FigureStatus.SUBMITTED.value)
        .order_by(IndicatorValue.period, IndicatorValue.indicator_code, IndicatorValue.area_id)
    )
    return list(db.session.scalars(query))


def figures_by_ids(ids: Iterable[int]) -> list[IndicatorValue]:
    """Stored figures by id."""
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(select(IndicatorValue).where(IndicatorValue.id.in_(ids))))


def keys_present(period: str) -> set[tuple[str, int]]:
    """(indicator code, area id) pairs with any figure in a period."""
    rows = db.session.execute(
        select(IndicatorValue.indicator_code, IndicatorValue.area_id)
        .where(IndicatorValue.period == period)
        .distinct()
    )
    return {(code, area_id) for code, area_id in rows}
