"""Database models: users, areas, survey rounds, assignments, questionnaire versions, submissions,
audit log."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from questionnaires.errors import GesurveyError
from questionnaires.rounds import RoundInfo

from .extensions import Model


def utcnow() -> datetime:
    """Return the current time in UTC (every timestamp is stored in UTC)."""
    return datetime.now(UTC)


class Role(enum.StrEnum):
    """What a user may do; stored as its value."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    ENUMERATOR = "enumerator"
    ANALYST = "analyst"
    VIEWER = "viewer"  # department viewer: aggregate progress only, never a submission


class AreaLevel(enum.StrEnum):
    """Levels of the area hierarchy, from the top."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    VILLAGE = "village"


AREA_LEVEL_ORDER = [level.value for level in AreaLevel]


class Status(enum.StrEnum):
    """Life of a submission: draft → submitted → approved | returned (→ submitted) | rejected."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"


EDITABLE_STATUSES = (Status.DRAFT.value, Status.RETURNED.value)


class Area(Model):
    """A unit of the province → district → commune → village hierarchy, keyed by its code."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent")

    __table_args__ = (
        CheckConstraint(
            "level IN ('province', 'district', 'commune', 'village')", name="level_known"
        ),
    )

    def ancestors(self) -> list[Area]:
        """Return this area and its ancestors, nearest first."""
        chain: list[Area] = []
        node: Area | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def district(self) -> Area | None:
        """Return the district this area lies in (itself for a district), or None above it."""
        for node in self.ancestors():
            if node.level == AreaLevel.DISTRICT:
                return node
        return None

    def contains(self, other: Area) -> bool:
        """True when other is this area or lies inside it."""
        return any(node.id == self.id for node in other.ancestors())

    @property
    def label(self) -> str:
        """Code and name, for lists."""
        return f"{self.code} {self.name}"


class User(UserMixin, Model):
    """A person who logs in; role decides what they may see, area limits where."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2), default="vi")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Part of the login session's id: raising it ends every session of the user (logout,
    # password change or reset), including cookies copied before.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    area: Mapped[Area | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'supervisor', 'enumerator', 'analyst', 'viewer')",
            name="role_known",
        ),
        CheckConstraint("language IN ('vi', 'en')", name="language_known"),
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of password (werkzeug's scrypt unless the config says otherwise)."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def get_id(self) -> str:
        """Flask-Login's session id: user id and session version, so old cookies stop working."""
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Invalidate every session of this user (the next request of each must log in)."""
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        """True when password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in (Flask-Login reads this)."""
        return self.active

    def has_role(self, *roles: str) -> bool:
        """True when the user's role is one of roles."""
        return self.role in roles

    def covers(self, area: Area | None) -> bool:
        """True when area lies inside the user's area; a user without an area covers all."""
        if self.area is None:
            return True
        return area is not None and self.area.contains(area)


@dataclass(frozen=True)
class TokenUser:
    """The owner of a personal API token, as the sync API reads it: plain values, no ORM object.

    Read with the token in one Core statement (and kept a few seconds, see
    ``survey_app.api.services.user_for_token``); it answers what the API's routes, the intake
    and Flask-Login ask of a user (id, name, role, language, authenticated and active). A route
    that needs the full row (its area, its department) loads it with :meth:`row`.
    """

    id: int
    username: str
    role: str
    language: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """Flask-Login's id; never stored in a session (token requests set no cookie)."""
        return str(self.id)

    def has_role(self, *roles: str) -> bool:
        """True when the user's role is one of roles."""
        return self.role in roles

    def row(self) -> User:
        """The user's row in the current session."""
        from .extensions import db

        user = db.session.get(User, self.id)
        assert user is not None  # a user with a token cannot be deleted (the token refers to it)
        return user


class SurveyRound(Model):
    """One survey round (baseline, mid-term, final, annual): assignments and submissions belong
    to one. At most one round is open at a time; enumerators collect only into the open round.

    Its identity outside the database is ``questionnaires.rounds.RoundInfo`` (``round.json``).
    """

    __tablename__ = "survey_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label_vi: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    reference_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    field_start: Mapped[date | None] = mapped_column(Date)
    field_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="closed")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint("kind IN ('baseline', 'mid-term', 'final', 'annual')", name="kind_known"),
        # The database itself keeps a second round from being opened (two admins at once).
        Index(
            "ix_survey_round_one_open",
            "status",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    @property
    def is_open(self) -> bool:
        """True while enumerators collect into this round."""
        return self.status == "open"

    def label(self, lang: str) -> str:
        """The label in lang (Vietnamese unless lang is 'en')."""
        return self.label_en if lang == "en" else self.label_vi

    def info(self) -> RoundInfo:
        """The round as ``round.json`` describes it (written beside exports and reports)."""
        return RoundInfo(
            code=self.code,
            label_vi=self.label_vi,
            label_en=self.label_en,
            reference_year=self.reference_year,
            kind=self.kind,
            field_start=self.field_start,
            field_end=self.field_end,
            settings=dict(self.settings or {}),
        )


class Assignment(Model):
    """An enumerator's task: a questionnaire in a village with a target number of households,
    in one survey round."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id"), index=True)
    enumerator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    target: Mapped[int] = mapped_column(Integer)
    # The sampled households' numbers in the village, space-separated, when the sample names
    # them (new interviews take them in order); empty when the enumerator lists the village.
    households: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    enumerator: Mapped[User] = relationship()
    area: Mapped[Area] = relationship()
    survey_round: Mapped[SurveyRound] = relationship()

    __table_args__ = (
        UniqueConstraint("enumerator_id", "area_id", "questionnaire_id", "round_id"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )


class QuestionnaireVersion(Model):
    """A published questionnaire definition; immutable once published."""

    __tablename__ = "questionnaire_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(128))
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict] = mapped_column(JSON, deferred=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    published_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    def title(self, lang: str) -> str:
        """The title in lang (Vietnamese unless lang is 'en')."""
        return self.title_en if lang == "en" else self.title_vi

    @property
    def sensitive(self) -> bool:
        """True for the women's safety questionnaire, whose answers are sealed and never listed.

        Read from the parsed questionnaire kept per process, so the large definition column is
        not loaded again for every submission.
        """
        from .core.questionnaire_store import questionnaire_for

        return self.unit == "women" or questionnaire_for(self).sensitive


class Submission(Model):
    """One interview, keyed by the UUID the tablet made; answers are keyed by question id."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id"), index=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    # Denormalised from area so the review queue filters by district with one index.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    enumerator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"), index=True)
    # The round the interview was collected in: its assignment's round, kept when it is
    # corrected or sent again after the round closes.
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id"), index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    # How the interview was done (time per question, corrections): beside the answers, never in
    # them; see survey_app/submissions/paradata.py.
    paradata: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    page: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT.value, index=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    area: Mapped[Area] = relationship(foreign_keys=[area_id])
    district: Mapped[Area | None] = relationship(foreign_keys=[district_id])
    enumerator: Mapped[User] = relationship()
    assignment: Mapped[Assignment | None] = relationship()
    survey_round: Mapped[SurveyRound] = relationship()

    # SQLAlchemy bumps row_version on every UPDATE and adds it to the WHERE clause, so two
    # writers that read the same version cannot both win (optimistic locking).
    __mapper_args__ = {"version_id_col": row_version}

    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'approved', 'rejected')",
            name="status_known",
        ),
    )

    @property
    def editable(self) -> bool:
        """True while the enumerator may still change the answers."""
        return self.status in EDITABLE_STATUSES


@event.listens_for(Submission, "before_insert")
@event.listens_for(Submission, "before_update")
def _seal_sensitive_answers(mapper, connection, target: Submission) -> None:
    """Whatever code stored them, answers of a sensitive questionnaire reach the database sealed."""
    from .core.questionnaire_store import PublishedVersion, session_version
    from .security.sealing import is_sealed, seal

    if not target.answers or is_sealed(target.answers):
        return
    version: QuestionnaireVersion | PublishedVersion | None = target.questionnaire_version
    session = object_session(target)
    if version is None and target.questionnaire_version_id is not None and session is not None:
        version = session_version(session, target.questionnaire_version_id)
        if version is None:
            with session.no_autoflush:
                version = session.get(QuestionnaireVersion, target.questionnaire_version_id)
    if version is not None and version.sensitive:
        target.answers = seal(target.answers)


@event.listens_for(Assignment, "before_insert")
@event.listens_for(Submission, "before_insert")
def _stamp_round(mapper, connection, target: Assignment | Submission) -> None:
    """A row made without a round joins its assignment's round, else the open round.

    The intake and the admin screens set the round themselves (and refuse when none is open);
    this covers rows made elsewhere (the simulator's ``--into-db``, scripts), which would
    otherwise fail on the NOT NULL column.
    """
    if target.round_id is not None:
        return
    if isinstance(target, Submission) and target.assignment is not None:
        if target.assignment.round_id is not None:
            target.round_id = target.assignment.round_id
            return
    from .core.rounds import round_for_new_rows

    target.round_id = round_for_new_rows(connection)


class AuditLog(Model):
    """One change, append-only: who, when, what, old and new value, and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    field: Mapped[str | None] = mapped_column(String(128))
    old: Mapped[object | None] = mapped_column(JSON)
    new: Mapped[object | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()
    submission: Mapped[Submission | None] = relationship()

    @property
    def hides_values(self) -> bool:
        """True when old/new are answers of a sensitive questionnaire (never displayed)."""
        from .security.sealing import is_sealed

        return (
            is_sealed(self.old)
            or is_sealed(self.new)
            or (
                self.submission is not None
                and self.submission.questionnaire_version.sensitive
                and self.action.startswith("submission.correct")
            )
        )


class AuditLogIsAppendOnly(GesurveyError, RuntimeError):
    """Raised when code tries to change or delete an audit record."""

    code = "audit_append_only"


@event.listens_for(AuditLog, "before_update")
def _refuse_audit_update(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly(
        "audit log entries cannot be changed", "không được sửa bản ghi nhật ký kiểm tra"
    )


@event.listens_for(AuditLog, "before_delete")
def _refuse_audit_delete(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly(
        "audit log entries cannot be deleted", "không được xóa bản ghi nhật ký kiểm tra"
    )
