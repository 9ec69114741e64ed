"""Receive interviews through the sync API exactly once, and manage personal API tokens.

A resend of the same content under a UUID answers with the stored record; different content
under a stored UUID is kept as a conflict for a supervisor and never applied. The same rules
apply to an admin's import of an outbox file.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..audit import record
from ..extensions import db
from ..models import (
    Area,
    Assignment,
    QuestionnaireVersion,
    Role,
    Status,
    Submission,
    User,
    utcnow,
)
from ..submissions import known_question_ids, validate
from .canonical import CONTENT_FIELDS, content_hash, content_of
from .models import ApiToken, SubmissionConflict, SubmissionReceipt

TOKEN_PREFIX = "gs_"
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
ENVELOPE_FIELDS = (*CONTENT_FIELDS, "sha256")
MAX_TEXT = 200


# ----------------------------------------------------------------------------- tokens


def hash_token(token: str) -> str:
    """SHA-256 of a token (tokens are long and random, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """Make a new personal token for user, revoking the previous ones; return it (shown once)."""
    now = utcnow()
    for old in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        old.revoked_at = now
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    record(
        "user.token",
        user=None,
        object_type="user",
        object_id=user.id,
        field="api_token",
        new="issued",
    )
    return token


def user_for_token(token: str) -> User | None:
    """The active user a token belongs to, or None for an unknown, revoked or inactive one."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row.user


# ----------------------------------------------------------------------------- submissions


@dataclass(frozen=True)
class EnvelopeProblem:
    """One field-level error: field names the envelope key; question_id/row an answer."""

    field: str
    message: str
    question_id: str | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of the 422 body's errors list."""
        return {
            "field": self.field,
            "question_id": self.question_id,
            "row": self.row,
            "message": self.message,
        }


class EnvelopeInvalid(Exception):
    """The submission cannot be accepted (HTTP 422 / 403); nothing was stored."""

    def __init__(self, problems: list[EnvelopeProblem], status: int = 422) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
        self.status = status


@dataclass
class Received:
    """Outcome of receiving one submission: 'created' (201), 'duplicate' (200) or 'conflict'
    (409); submission is the stored record, conflict the kept conflicting copy.
    """

    outcome: str
    submission: Submission
    conflict: SubmissionConflict | None = None

    @property
    def status(self) -> int:
        """The HTTP status for the outcome."""
        return {"created": 201, "duplicate": 200, "conflict": 409}[self.outcome]


def _clean_text(value: Any) -> bool:
    """True when every string in value can be stored (no NUL, no lone surrogate)."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_clean_text(item) for item in value)
    if isinstance(value, dict):
        return all(_clean_text(k) and _clean_text(v) for k, v in value.items())
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return True


def _timestamp(body: dict, name: str, problems: list[EnvelopeProblem]) -> datetime | None:
    value = body.get(name)
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        problems.append(
            EnvelopeProblem(
                name,
                _(
                    "'%(name)s' must be a date and time with its time zone (ISO 8601, e.g. "
                    "2026-11-30T08:15:00Z).",
                    name=name,
                ),
            )
        )
        return None
    return parsed


@dataclass
class Envelope:
    """A checked submission envelope with the rows it refers to."""

    uuid: str
    version: QuestionnaireVersion
    area: Area
    assignment: Assignment
    answers: dict[str, Any]
    started_at: datetime
    ended_at: datetime
    sha256: str
    body: dict[str, Any]


def check_envelope(user: User, body: Any, lang: str) -> Envelope:
    """Check a submission envelope field by field; raise EnvelopeInvalid listing every problem.

    The checks, in order: shape, the questionnaire version, the user's assignment in the area,
    the answers (the questionnaire's own validation), then the content hash.
    """
    if not user.has_role(Role.ENUMERATOR):
        raise EnvelopeInvalid(
            [
                EnvelopeProblem(
                    "", _("Only enumerators send interviews; this account is not an enumerator.")
                )
            ],
            403,
        )
    if not isinstance(body, dict):
        raise EnvelopeInvalid([EnvelopeProblem("", _("The request body must be a JSON object."))])
    problems: list[EnvelopeProblem] = []
    for name in sorted(set(body) - set(ENVELOPE_FIELDS)):
        problems.append(EnvelopeProblem(str(name)[:MAX_TEXT], _("Unknown field.")))
    for name in ENVELOPE_FIELDS:
        if name not in body:
            problems.append(EnvelopeProblem(name, _("This field is required.")))
    if problems:
        raise EnvelopeInvalid(problems)
    if not _clean_text(body):
        raise EnvelopeInvalid(
            [
                EnvelopeProblem(
                    "",
                    _(
                        "The data contains characters that cannot be stored "
                        "(NUL or broken Unicode) or a number that is not finite."
                    ),
                )
            ]
        )
    uuid = body["uuid"]
    if not isinstance(uuid, str) or not UUID_PATTERN.match(uuid):
        problems.append(
            EnvelopeProblem("uuid", _("'uuid' must be a UUID in lower case with hyphens."))
        )
    sha = body["sha256"]
    if not isinstance(sha, str) or not SHA256_PATTERN.match(sha):
        problems.append(
            EnvelopeProblem("sha256", _("'sha256' must be 64 lower-case hexadecimal characters."))
        )
    qid, qversion, area_code = (
        body["questionnaire_id"],
        body["questionnaire_version"],
        body["area"],
    )
    for name, value in (
        ("questionnaire_id", qid),
        ("questionnaire_version", qversion),
        ("area", area_code),
    ):
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            problems.append(EnvelopeProblem(name, _("'%(name)s' must be a short text.", name=name)))
    answers = body["answers"]
    if not isinstance(answers, dict):
        problems.append(
            EnvelopeProblem("answers", _("'answers' must be an object keyed by question id."))
        )
    started = _timestamp(body, "started_at", problems)
    ended = _timestamp(body, "ended_at", problems)
    if started and ended and ended < started:
        problems.append(
            EnvelopeProblem("ended_at", _("The interview cannot end before it started."))
        )
    if problems:
        raise EnvelopeInvalid(problems)

    version = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == qid, QuestionnaireVersion.version == qversion
        )
    )
    if version is None:
        raise EnvelopeInvalid(
            [
                EnvelopeProblem(
                    "questionnaire_version",
                    _(
                        "Questionnaire %(id)s version %(version)s is not published on this server.",
                        id=qid,
                        version=qversion,
                    ),
                )
            ]
        )
    area = db.session.scalar(select(Area).where(Area.code == area_code))
    assignment = None
    if area is not None:
        assignment = db.session.scalar(
            select(Assignment).where(
                Assignment.enumerator_id == user.id,
                Assignment.area_id == area.id,
                Assignment.questionnaire_id == qid,
            )
        )
    if assignment is None:
        raise EnvelopeInvalid(
            [
                EnvelopeProblem(
                    "area",
                    _(
                        "You have no assignment for questionnaire %(id)s in area %(area)s.",
                        id=qid,
                        area=area_code,
                    ),
                )
            ]
        )

    known = known_question_ids(version)
    unknown = sorted(key for key in answers if key not in known)
    if unknown:
        raise EnvelopeInvalid(
            [
                EnvelopeProblem("answers", _("This question is not in the questionnaire."), key)
                for key in unknown[:50]
            ]
        )
    errors = answer_problems(version, answers, lang)
    if errors:
        raise EnvelopeInvalid(errors)
    if content_hash(body) != sha:
        raise EnvelopeInvalid(
            [
                EnvelopeProblem(
                    "sha256",
                    _(
                        "The SHA-256 does not match the content: the data was changed on the way. "
                        "Send it again from the tablet."
                    ),
                )
            ]
        )
    return Envelope(uuid, version, area, assignment, answers, started, ended, sha, body)


def answer_problems(
    version: QuestionnaireVersion, answers: dict, lang: str
) -> list[EnvelopeProblem]:
    """The questionnaire's own validation (Questionnaire.validate_answers) as field problems."""
    return [
        EnvelopeProblem("answers", problem.message, problem.question_id, problem.row)
        for problem in validate(_VersionHolder(version), answers, lang)
    ]


class _VersionHolder:
    """Lets submissions.validate (which reads .questionnaire_version) check a new interview."""

    def __init__(self, version: QuestionnaireVersion) -> None:
        self.questionnaire_version = version


def receive(
    user: User, body: Any, *, lang: str, channel: str = "api", actor: User | None = None
) -> Received:
    """Check and store one submission exactly once; commits. actor is who acted (an importing
    admin), user whose interview it is.

    Raises EnvelopeInvalid when the submission cannot be accepted (nothing stored).
    """
    envelope = check_envelope(user, body, lang)
    for _attempt in range(3):
        try:
            result = _store(user, envelope, channel, actor or user)
            db.session.commit()
            return result
        except (IntegrityError, StaleDataError):
            # A concurrent request stored the same UUID (or conflict) first: look again.
            db.session.rollback()
    raise RuntimeError(f"could not store submission {envelope.uuid} after 3 attempts")


def _store(user: User, envelope: Envelope, channel: str, actor: User) -> Received:
    existing = db.session.scalar(select(Submission).where(Submission.uuid == envelope.uuid))
    if existing is None:
        submission = Submission(
            uuid=envelope.uuid,
            questionnaire_version=envelope.version,
            area=envelope.area,
            district=envelope.area.district(),
            enumerator=user,
            assignment=envelope.assignment,
            answers=envelope.answers,
            page=0,
            status=Status.SUBMITTED.value,
            submitted_at=utcnow(),
        )
        db.session.add(submission)
        return _receipt(submission, envelope, channel, actor, Status.DRAFT.value)
    receipt = db.session.scalar(
        select(SubmissionReceipt).where(SubmissionReceipt.submission_id == existing.id)
    )
    if receipt is not None:
        if receipt.content_hash == envelope.sha256 and existing.enumerator_id == user.id:
            return Received("duplicate", existing)
        return _conflict(user, existing, envelope, channel, actor)
    # Started online as a server draft, finished offline: the envelope submits that draft.
    if (
        existing.enumerator_id == user.id
        and existing.editable
        and existing.questionnaire_version_id == envelope.version.id
        and existing.area_id == envelope.area.id
    ):
        old_status = existing.status
        existing.answers = envelope.answers
        existing.status = Status.SUBMITTED.value
        existing.submitted_at = utcnow()
        return _receipt(existing, envelope, channel, actor, old_status)
    return _conflict(user, existing, envelope, channel, actor)


def _receipt(
    submission: Submission, envelope: Envelope, channel: str, actor: User, old_status: str
) -> Received:
    db.session.flush()
    db.session.add(
        SubmissionReceipt(
            submission_id=submission.id,
            uuid=envelope.uuid,
            content_hash=envelope.sha256,
            started_at=envelope.started_at,
            ended_at=envelope.ended_at,
            channel=channel,
        )
    )
    record(
        "submission.submit",
        user=actor,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        field="status",
        old=old_status,
        new=Status.SUBMITTED.value,
        reason=f"sync:{channel}",
    )
    db.session.flush()
    return Received("created", submission)


def _conflict(
    user: User, existing: Submission, envelope: Envelope, channel: str, actor: User
) -> Received:
    conflict = db.session.scalar(
        select(SubmissionConflict).where(
            SubmissionConflict.uuid == envelope.uuid,
            SubmissionConflict.content_hash == envelope.sha256,
        )
    )
    if conflict is None:
        conflict = SubmissionConflict(
            uuid=envelope.uuid,
            content_hash=envelope.sha256,
            submission_id=existing.id,
            user_id=user.id,
            area_id=envelope.area.id,
            content=content_of(envelope.body),
            channel=channel,
        )
        db.session.add(conflict)
        db.session.flush()
        record(
            "submission.conflict",
            user=actor,
            object_type="submission_conflict",
            object_id=conflict.id,
            submission=existing,
            field="content_hash",
            old=None,
            new=envelope.sha256,
            reason=f"sync:{channel}",
        )
        db.session.flush()
    return Received("conflict", existing, conflict)


def stored_record(submission: Submission) -> dict[str, Any]:
    """The stored interview as the API returns it."""
    receipt = db.session.scalar(
        select(SubmissionReceipt).where(SubmissionReceipt.submission_id == submission.id)
    )
    version = submission.questionnaire_version
    return {
        "uuid": submission.uuid,
        "questionnaire_id": version.questionnaire_id,
        "questionnaire_version": version.version,
        "area": submission.area.code,
        "status": submission.status,
        "answers": submission.answers or {},
        "sha256": receipt.content_hash if receipt else None,
        "started_at": receipt.started_at.isoformat() if receipt else None,
        "ended_at": receipt.ended_at.isoformat() if receipt else None,
        "received_at": receipt.received_at.isoformat() if receipt else None,
        "submitted_at": submission.submitted_at.isoformat() if submission.submitted_at else None,
    }
