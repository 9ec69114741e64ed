"""Submission intake and life cycle: the one service every answer-carrying route calls."""

from .checks import InputRejected, check_value, load_json
from .services import (
    FieldProblem,
    Received,
    SubmissionProblem,
    correct,
    known_question_ids,
    open_answers,
    put_answers,
    read_json,
    receive,
    review,
    save_draft,
    start,
    stored_record,
    submit,
    valid_uuid,
    validate,
)

__all__ = [
    "FieldProblem",
    "InputRejected",
    "Received",
    "SubmissionProblem",
    "check_value",
    "correct",
    "known_question_ids",
    "load_json",
    "open_answers",
    "put_answers",
    "read_json",
    "receive",
    "review",
    "save_draft",
    "start",
    "stored_record",
    "submit",
    "valid_uuid",
    "validate",
]
