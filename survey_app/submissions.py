"""The submission life cycle: draft saves, submit with server validation, review, corrections.

Every change goes through here so that the audit log and the optimistic lock (row_version)
are never skipped.
"""

from __future__ import annotations

import copy
import uuid as uuid_module
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from .audit import record
from .models import Area, Assignment, QuestionnaireVersion, Status, Submission, User, utcnow
from .questionnaire_store import questionnaire_for

MAX_PAGE = 10_000


@dataclass(frozen=True)
class FieldProblem:
    """One error shown next to a field (question_id None means the whole interview)."""

    question_id: str | None
    row: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape the browser form engine reads."""
        return {"question_id": self.question_id, "row": self.row, "message": self.message}


class SubmissionProblem(Exception):
    """The request cannot be applied; nothing was changed.

    status is the HTTP status to answer with (409 stale, 422 invalid); problems are field-level.
    """

    def __init__(self, status: int, message: str, problems: list[FieldProblem] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


def valid_uuid(text: str) -> str | None:
    """Return text as a canonical UUID string, or None when it is not one."""
    try:
        return str(uuid_module.UUID(str(text)))
    except (ValueError, AttributeError, TypeError):
        return None


def start(
    user: User, assignment: Assignment, version: QuestionnaireVersion, client_uuid: str | None
) -> Submission:
    """Create a draft for an assignment, keyed by the tablet's UUID (made here when absent)."""
    district = assignment.area.district()
    submission = Submission(
        uuid=valid_uuid(client_uuid) if client_uuid else str(uuid_module.uuid4()),
        questionnaire_version=version,
        area=assignment.area,
        district=district,
        enumerator=user,
        assignment=assignment,
        answers={},
        page=0,
        status=Status.DRAFT.value,
    )
    return submission


def parse_body(body: Any, known_ids: set[str]) -> tuple[dict, int, int]:
    """Check the JSON the form engine posts; return answers, page and row_version.

    Raises SubmissionProblem(422) naming what is wrong.
    """
    if not isinstance(body, dict):
        raise SubmissionProblem(422, _("The request body must be a JSON object."))
    answers = body.get("answers")
    if not isinstance(answers, dict):
        raise SubmissionProblem(422, _("'answers' must be an object keyed by question id."))
    page = body.get("page", 0)
    if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page <= MAX_PAGE:
        raise SubmissionProblem(422, _("'page' must be a whole number of 0 or more."))
    row_version = body.get("row_version")
    if isinstance(row_version, bool) or not isinstance(row_version, int):
        raise SubmissionProblem(422, _("'row_version' must be a whole number."))
    unknown = sorted(key for key in answers if key not in known_ids)
    if unknown:
        raise SubmissionProblem(
            422,
            _("Unknown question ids: %(ids)s.", ids=", ".join(unknown[:10])),
            [
                FieldProblem(key, None, _("This question is not in the questionnaire."))
                for key in unknown
            ],
        )
    return answers, page, row_version


#: Paradata keys the form engine sends, each a whole number (interruptions of a protected module).
PARADATA_KEYS = ("interruptions",)


def parse_paradata(body: dict) -> dict[str, int] | None:
    """The paradata the form posted beside the answers (None when absent); 422 when malformed."""
    paradata = body.get("paradata")
    if paradata is None:
        return None
    if not isinstance(paradata, dict) or any(
        key not in PARADATA_KEYS
        or isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= 1000
        for key, value in paradata.items()
    ):
        raise SubmissionProblem(
            422,
            _("'paradata' must be an object of counts: %(keys)s.", keys=", ".join(PARADATA_KEYS)),
        )
    return dict(paradata)


def known_question_ids(version: QuestionnaireVersion) -> set[str]:
    """Every id an answers object may use: questions and repeat groups."""
    questionnaire = questionnaire_for(version)
    ids = {question.id for question in questionnaire.iter_questions() if not question.group}
    for section in questionnaire.sections:
        for item in section.items:
            ids.add(item.id)
    return ids


def check_version_matches(body: dict, submission: Submission) -> None:
    """Refuse a body that names a different questionnaire version than the interview's."""
    claimed = body.get("questionnaire")
    if claimed is None:
        return
    version = submission.questionnaire_version
    if (
        not isinstance(claimed, dict)
        or claimed.get("id") != version.questionnaire_id
        or claimed.get("version") != version.version
    ):
        raise SubmissionProblem(
            422,
            _(
                "This interview uses questionnaire %(id)s version %(version)s; the data sent "
                "is for another version. Reload the page.",
                id=version.questionnaire_id,
                version=version.version,
            ),
        )


def _check_editable(submission: Submission, row_version: int) -> None:
    if not submission.editable:
        raise SubmissionProblem(
            409,
            _("This interview was already submitted and can no longer be changed here."),
        )
    if row_version != submission.row_version:
        raise SubmissionProblem(
            409,
            _("This interview was saved from another page or device; reload to continue."),
        )


def save_draft(submission: Submission, user: User, body: Any) -> Submission:
    """Store the answers and page as they are (no validation beyond shape); bump row_version."""
    answers, page, row_version = parse_body(
        body, known_question_ids(submission.questionnaire_version)
    )
    check_version_matches(body, submission)
    _check_editable(submission, row_version)
    paradata = parse_paradata(body)
    submission.answers = copy.deepcopy(answers)
    submission.page = page
    if paradata is not None:
        submission.paradata = paradata
    return submission


def validate(submission: Submission, answers: dict, lang: str) -> list[FieldProblem]:
    """Run the engine's validation on answers; messages in lang."""
    questionnaire = questionnaire_for(submission.questionnaire_version)
    return [
        FieldProblem(error.question_id, error.row, error.message)
        for error in questionnaire.validate_answers(answers, lang=lang)
    ]


def submit(submission: Submission, user: User, body: Any, lang: str) -> Submission:
    """Validate with the Python engine and mark submitted; on any error change nothing."""
    answers, page, row_version = parse_body(
        body, known_question_ids(submission.questionnaire_version)
    )
    check_version_matches(body, submission)
    _check_editable(submission, row_version)
    paradata = parse_paradata(body)
    problems = validate(submission, answers, lang)
    if problems:
        raise SubmissionProblem(422, _("Some answers need attention."), problems)
    old_status = submission.status
    submission.answers = copy.deepcopy(answers)
    submission.page = page
    if paradata is not None:
        submission.paradata = paradata
    submission.status = Status.SUBMITTED.value
    submission.submitted_at = utcnow()
    record(
        "submission.resubmit" if old_status == Status.RETURNED else "submission.submit",
        user=user,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        field="status",
        old=old_status,
        new=Status.SUBMITTED.value,
    )
    return submission


REVIEW_ACTIONS = {
    "approve": Status.APPROVED.value,
    "return": Status.RETURNED.value,
    "reject": Status.REJECTED.value,
}


def review(submission: Submission, user: User, action: str, comment: str) -> Submission:
    """Approve, return (comment required) or reject (comment required) a submitted interview."""
    if action not in REVIEW_ACTIONS:
        raise SubmissionProblem(422, _("Unknown review action."))
    if submission.status != Status.SUBMITTED:
        raise SubmissionProblem(409, _("Only submitted interviews can be reviewed."))
    comment = (comment or "").strip()
    if action in ("return", "reject") and not comment:
        raise SubmissionProblem(
            422, _("Write a comment saying what the enumerator must fix or why it is rejected.")
        )
    old_status = submission.status
    submission.status = REVIEW_ACTIONS[action]
    submission.review_comment = comment
    submission.reviewed_at = utcnow()
    record(
        f"submission.{action}",
        user=user,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        field="status",
        old=old_status,
        new=submission.status,
        reason=comment,
    )
    return submission


def correct(
    submission: Submission,
    user: User,
    question_id: str,
    row: int | None,
    value: Any,
    reason: str,
    lang: str,
) -> Submission:
    """A supervisor's correction of one answer: reason required, re-validated, audited."""
    reason = (reason or "").strip()
    if not reason:
        raise SubmissionProblem(422, _("A correction needs a reason."))
    if submission.status not in (Status.SUBMITTED.value, Status.APPROVED.value):
        raise SubmissionProblem(409, _("Only submitted or approved interviews can be corrected."))
    questionnaire = questionnaire_for(submission.questionnaire_version)
    answers = copy.deepcopy(submission.answers or {})
    group = _group_of(questionnaire, question_id)
    if group is None and question_id not in known_question_ids(submission.questionnaire_version):
        raise SubmissionProblem(
            422, _("Question %(id)s is not in this questionnaire.", id=question_id)
        )
    if group is not None:
        rows = answers.get(group)
        if row is None or not isinstance(rows, list) or not 0 <= row < len(rows):
            raise SubmissionProblem(
                422, _("Question %(id)s needs an existing row number.", id=question_id)
            )
        target = rows[row]
    else:
        row = None
        target = answers
    old = target.get(question_id)
    if value is None:
        target.pop(question_id, None)
    else:
        target[question_id] = value
    problems = validate(submission, answers, lang)
    if problems:
        raise SubmissionProblem(422, _("The corrected answers are not valid."), problems)
    submission.answers = answers
    record(
        "submission.correct",
        user=user,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        field=question_id if row is None else f"{question_id}[{row}]",
        old=old,
        new=value,
        reason=reason,
    )
    return submission


def _group_of(questionnaire: Any, question_id: str) -> str | None:
    """The repeat group a question belongs to, or None for a top-level question."""
    for question in questionnaire.iter_questions():
        if question.id == question_id:
            return question.group
    return None


def area_label(area: Area | None) -> str:
    """'code name' or empty."""
    return area.label if area is not None else ""
