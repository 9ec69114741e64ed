"""Tables of submission intake: the receipt of each stored interview and kept conflicts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..models import Area, Submission, User, utcnow


class SubmissionReceipt(Model):
    """How an interview reached the server through the sync API: the content hash that decides
    whether a resend is the same interview (200) or a different one under the same UUID (409).
    """

    __tablename__ = "submission_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))

    submission: Mapped[Submission] = relationship()


class SubmissionConflict(Model):
    """A different interview sent under a UUID the server already holds: kept for a supervisor,
    never applied to the stored record. One row per distinct content.
    """

    __tablename__ = "submission_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    content: Mapped[dict] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    submission: Mapped[Submission] = relationship()
    user: Mapped[User] = relationship()
    area: Mapped[Area] = relationship()

    __table_args__ = (UniqueConstraint("uuid", "content_hash"),)
