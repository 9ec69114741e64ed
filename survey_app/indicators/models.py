"""Indicator figures (one row per indicator × area × period × cell) and their revisions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..models import Area, User, utcnow


class FigureStatus(enum.StrEnum):
    """Life of a figure: draft → submitted → approved (the Labour department approves)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class SourceKind(enum.StrEnum):
    """Where a figure came from."""

    SURVEY = "survey"  # a published report run
    DEPARTMENT = "department"  # typed in by a provincial department, or its province form
    DISTRICT = "district"  # typed in by a district official, or the district's form
    COMMUNE_FORM = "commune_form"  # summed from approved commune forms
    IMPORT = "import"  # a long-format file loaded with `gesurvey indicators import`


class IndicatorValue(Model):
    """One figure: an indicator in one area, period and cell (sex, and optionally a group).

    ``value`` is the figure in the catalogue's unit (a percentage, a mean, a ratio or a count);
    ``numerator`` and ``denominator`` are the counts it was computed from, when entered;
    ``std_error``, ``ci_low``, ``ci_high`` and ``n_unweighted`` come with survey estimates, whose
    ``estimator`` says how they were made (``direct`` design-based, or ``model`` small-area).
    ``flag`` carries the report's mark (``suppressed``: fewer cases than the plan's threshold;
    the value is then not kept at all; ``parentheses``: few cases).
    """

    __tablename__ = "indicator_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    period: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(1), default="T")
    cell: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    std_error: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n_unweighted: Mapped[int | None] = mapped_column(Integer)
    flag: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default=FigureStatus.DRAFT.value)
    source_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200), default="")
    report_run_id: Mapped[int | None] = mapped_column(ForeignKey("report_run.id"))
    estimator: Mapped[str | None] = mapped_column(String(8))
    department: Mapped[str] = mapped_column(String(32), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    area: Mapped[Area] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    __table_args__ = (
        # The browse page reads one indicator in one area (or the districts of a province)
        # over the periods, and the API filters by code, area, period and sex: all are
        # prefixes of this key.
        UniqueConstraint(
            "indicator_code",
            "area_id",
            "period",
            "sex",
            "cell",
            name="uq_indicator_value_cell",
        ),
        Index("ix_indicator_value_area_period", "area_id", "period"),
        Index("ix_indicator_value_status_period", "status", "period"),
        CheckConstraint("sex IN ('T', 'F', 'M')", name="sex_known"),
        CheckConstraint("status IN ('draft', 'submitted', 'approved')", name="status_known"),
        CheckConstraint(
            "source_kind IN ('survey', 'department', 'district', 'commune_form', 'import')",
            name="source_known",
        ),
        CheckConstraint("estimator IS NULL OR estimator IN ('direct', 'model')", name="estimator"),
    )

    @property
    def approved(self) -> bool:
        """True once the Labour department (or an administrator) has approved the figure."""
        return self.status == FigureStatus.APPROVED.value

    def snapshot(self) -> dict[str, object]:
        """The figure's numbers and provenance, for the audit log and revisions."""
        return {
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


class IndicatorRevision(Model):
    """The previous state of a figure, kept whenever an approved figure is changed."""

    __tablename__ = "indicator_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_id: Mapped[int] = mapped_column(ForeignKey("indicator_value.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    std_error: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")

    figure: Mapped[IndicatorValue] = relationship()
