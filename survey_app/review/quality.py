"""The field-quality table a supervisor reads: per enumerator (and day), from paradata.

The checks themselves live in ``analysis.paradata`` (median duration, short interviews, don't
know, straight-lined Likert blocks, optional questions skipped, each against the team with a
robust z-score). This module gathers what they need from the stored interviews the user may
see. Sensitive questionnaires are left out: their per-question paradata is not kept and their
answers are not opened for a quality table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.access import visible_submissions
from ..core.questionnaire_store import questionnaire_for
from ..extensions import db
from ..models import QuestionnaireVersion, Status, Submission, User
from ..submissions.services import open_answers

__all__ = [
    "CHECK_LABELS",
    "QualityReport",
    "quality_report",
    "questionnaires_with_paradata",
    "short_minutes",
]

DEFAULT_SHORT_MINUTES = 10.0
# The table's checks in the order shown; labels are the interface's (translated) strings.
CHECK_LABELS = (
    ("median_minutes", _l("Median duration (min)")),
    ("share_short", _l("Short interviews")),
    ("share_dont_know", _l("Don't know")),
    ("share_straightlined", _l("Straight-lined Likert blocks")),
    ("share_optional_skipped", _l("Optional questions skipped")),
    ("share_selection_off", _l("Selection not the Kish grid's")),
)
REVIEWED = (Status.SUBMITTED.value, Status.APPROVED.value, Status.RETURNED.value)


@dataclass
class QualityReport:
    """The table's rows (dicts) and what they were computed from."""

    rows: list[dict[str, Any]]
    interviews: int
    short_minutes: float


def short_minutes(version: QuestionnaireVersion) -> float:
    """The questionnaire's own threshold for a too-short interview (``quality`` in its JSON)."""
    quality = (version.definition or {}).get("quality") or {}
    return float(quality.get("short_interview_minutes", DEFAULT_SHORT_MINUTES))


def questionnaires_with_paradata(user: User) -> list[QuestionnaireVersion]:
    """Published, non-sensitive versions that hold interviews this user may see."""
    query = visible_submissions(
        user,
        select(Submission.questionnaire_version_id).where(Submission.paradata.is_not(None)),
    ).distinct()
    ids = set(db.session.scalars(query))
    if not ids:
        return []
    versions = db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.id.in_(ids))
        .order_by(QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.id)
    )
    return [version for version in versions if not version.sensitive]


def quality_report(
    user: User,
    version: QuestionnaireVersion,
    since: date | None = None,
    until: date | None = None,
    by_day: bool = False,
) -> QualityReport:
    """The quality table for one questionnaire version over the user's interviews."""
    import pandas as pd

    from analysis.paradata import interview_quality, quality_by_enumerator

    threshold = short_minutes(version)
    query = visible_submissions(
        user,
        select(Submission).where(
            Submission.questionnaire_version_id == version.id,
            Submission.status.in_(REVIEWED),
            Submission.paradata.is_not(None),
        ),
    ).order_by(Submission.id)
    heads: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    for submission in db.session.scalars(query):
        paradata = submission.paradata or {}
        started, ended = paradata.get("started_at"), paradata.get("ended_at")
        if not started or not ended:
            continue
        day = pd.Timestamp(started).date()
        if (since and day < since) or (until and day > until):
            continue
        heads.append(
            {
                "submission_uuid": submission.uuid,
                "enumerator": submission.enumerator.username,
                "started_at": started,
                "ended_at": ended,
            }
        )
        answers.append(open_answers(submission))
        for question_id, entry in (paradata.get("questions") or {}).items():
            questions.append(
                {"submission_uuid": submission.uuid, "question_id": question_id, **entry}
            )
    if not heads:
        return QualityReport([], 0, threshold)
    per_interview = interview_quality(
        questionnaire_for(version),
        pd.DataFrame(heads),
        answers,
        pd.DataFrame(
            questions, columns=["submission_uuid", "question_id", "seconds", "visits", "changes"]
        ),
    )
    table = quality_by_enumerator(per_interview, short_minutes=threshold, by_day=by_day)
    rows = table.astype(object).where(table.notna(), None).to_dict("records")
    return QualityReport(rows, len(heads), threshold)
