"""Report runs shown on the results page, and the department each viewer belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..models import SurveyRound, User, utcnow


class ReportRun(Model):
    """One report run: a folder written by ``gesurvey analyze report`` (run here or uploaded).

    Only published runs are shown to supervisors and department viewers.
    """

    __tablename__ = "report_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))  # "upload" or "approved" (run here)
    lang: Mapped[str] = mapped_column(String(2), default="vi")
    plan: Mapped[str] = mapped_column(String(64), default="")
    folder: Mapped[str] = mapped_column(String(64), unique=True)
    manifest: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The survey round the report is about (None for an upload whose folder names no round).
    round_id: Mapped[int | None] = mapped_column(ForeignKey("survey_round.id"), index=True)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    survey_round: Mapped[SurveyRound | None] = relationship()

    @property
    def published(self) -> bool:
        """True once an analyst has published the run."""
        return self.published_at is not None

    def departments(self) -> dict[str, str]:
        """Department code → label of the packs in this run (from its manifest)."""
        found = self.manifest.get("departments", {}) if isinstance(self.manifest, dict) else {}
        return {
            code: (info.get("label", code) if isinstance(info, dict) else code)
            for code, info in found.items()
        }


class ViewerDepartment(Model):
    """The department whose pack a department viewer may download (one per viewer)."""

    __tablename__ = "viewer_department"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    department: Mapped[str] = mapped_column(String(32))

    user: Mapped[User] = relationship()
