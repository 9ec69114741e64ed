"""The submission intake and life cycle: draft saves, submit, sync, import, review, corrections.

Every path that carries answers into the server comes here: the sync API (``receive``), the web
form's draft save and submit (``save_draft``, ``submit``) and the admin's outbox import (which
calls ``receive`` per item). Each runs the one input check (:mod:`.checks`), the questionnaire's
own validation, and writes the answers, the receipt and the audit entry in the caller's
transaction, so the audit log and the optimistic lock (row_version) are never skipped.

Answers of a sensitive questionnaire (the women's safety module) are sealed before they reach
the database (:mod:`survey_app.security.sealing`) and opened only by :func:`open_answers`.
"""

from __future__ import annotations

import copy
import json
import re
import uuid as uuid_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from flask import Request
from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    FromClause,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.expression import Executable

from questionnaires.errors import GesurveyError

from ..core.audit import record
from ..core.driver_sql import DriverStatement
from ..core.questionnaire_store import PublishedVersion, questionnaire_for, remember_version
from ..core.rounds import open_round
from ..extensions import db
from ..models import (
    EDITABLE_STATUSES,
    Area,
    AreaLevel,
    Assignment,
    AuditLog,
    QuestionnaireVersion,
    Role,
    Status,
    Submission,
    TokenUser,
    User,
    utcnow,
)
from ..security.sealing import is_sealed, seal, unseal
from .canonical import CONTENT_FIELDS, content_hash, content_of
from .checks import InputRejected, check_value, load_json
from .models import SubmissionConflict, SubmissionReceipt
from .paradata import ParadataRejected, clean_paradata

MAX_PAGE = 10_000
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
ENVELOPE_FIELDS = (*CONTENT_FIELDS, "sha256")
# Optional beside the content, outside its hash: how the interview was done.
OPTIONAL_ENVELOPE_FIELDS = ("paradata",)
MAX_FIELD_NAME = 200


@dataclass(frozen=True)
class FieldProblem:
    """One error: field names the envelope key (sync API), question_id/row an answer
    (question_id None and field '' mean the whole request)."""

    question_id: str | None
    row: int | None
    message: str
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape the browser form engine reads."""
        return {"question_id": self.question_id, "row": self.row, "message": self.message}

    def as_api_dict(self) -> dict[str, Any]:
        """JSON shape of the sync API's 422 errors list (with the envelope field)."""
        return {"field": self.field, **self.as_dict()}


class SubmissionProblem(GesurveyError):
    """The request cannot be applied; nothing was changed.

    status is the HTTP status to answer with (403 not allowed, 409 stale, 422 invalid), also
    given as the code ("http_422"); problems are field-level.
    """

    def __init__(self, status: int, message: str, problems: list[FieldProblem] | None = None):
        super().__init__(message, code=f"http_{status}")
        self.status = status
        self.message = message
        self.problems = problems or []


def _whole(message: str, field: str = "") -> FieldProblem:
    return FieldProblem(None, None, message, field)


def valid_uuid(text: str) -> str | None:
    """Return text as a canonical UUID string, or None when it is not one."""
    try:
        return str(uuid_module.UUID(str(text)))
    except (ValueError, AttributeError, TypeError):
        return None


# ----------------------------------------------------------------------------- input


def read_json(request: Request) -> Any:
    """The request's JSON body through the one input check; None when it is not JSON.

    Raises SubmissionProblem(422) naming the problem (depth, NaN, NUL, broken Unicode, size);
    a body over the request's size limit raises werkzeug's 413. The value returned has passed
    the check: give ``checked=True`` to the function that takes it, so it is not walked twice.
    """
    if not request.is_json:
        return None
    try:
        return load_json(request.get_data(cache=True))
    except InputRejected as rejected:
        raise SubmissionProblem(422, rejected.message, [_whole(rejected.message)]) from None


def _checked(body: Any) -> None:
    try:
        check_value(body)
    except InputRejected as rejected:
        raise SubmissionProblem(422, rejected.message, [_whole(rejected.message)]) from None


class _NotRead:
    """The marker :func:`peek_json` returns when it leaves the body to :func:`read_json`."""

    def __repr__(self) -> str:
        return "NOT_READ"


NOT_READ: Any = _NotRead()
# peek_json parses a body before the request's user is known (the sync API reads its token with
# the intake's look-up, which needs the envelope); larger bodies wait for the token check.
PEEK_MAX_BYTES = 64 * 1024


class _Refused(GesurveyError):
    """A NaN or infinite number met by peek_json (never reaches a user: read_json then names
    it)."""

    code = "not_a_number"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} is not a number JSON allows",
            f"{name} không phải là số mà JSON cho phép",
            where=name,
        )


def _refuse_quietly(name: str) -> Any:
    raise _Refused(name)


def peek_json(request: Request) -> Any:
    """The request's JSON body parsed as :func:`read_json` parses it, but without the input
    check and without translating or raising anything; NOT_READ when that cannot be done
    quietly (not JSON, no length, over ``PEEK_MAX_BYTES`` or the request's limit, not UTF-8,
    broken JSON, a NaN): then :func:`read_json` says why, once the user and their language are
    known. A value returned must go through :func:`check_json` before use."""
    length = request.content_length
    limit = request.max_content_length
    if (
        not request.is_json
        or length is None
        or length > PEEK_MAX_BYTES
        or (limit is not None and length > limit)
    ):
        return NOT_READ
    try:
        return json.loads(
            request.get_data(cache=True).decode("utf-8"), parse_constant=_refuse_quietly
        )
    except (ValueError, RecursionError, _Refused):
        return NOT_READ


def check_json(body: Any) -> Any:
    """Run the one input check on a body :func:`peek_json` parsed; raise SubmissionProblem(422)
    exactly as :func:`read_json` does for the same body. Returns body (checked)."""
    _checked(body)
    return body


# ----------------------------------------------------------------------------- answers at rest


def sealed_answers(version: QuestionnaireVersion | PublishedVersion, answers: Any) -> Any:
    """The answers as stored: sealed for a sensitive questionnaire, else unchanged."""
    return seal(answers) if version.sensitive and answers else answers


def put_answers(
    submission: Submission,
    answers: dict[str, Any],
    version: QuestionnaireVersion | PublishedVersion | None = None,
) -> None:
    """Store answers on a submission (sealed when its questionnaire is sensitive); version is
    the submission's own, given when the caller holds it (a new row has no loaded relation)."""
    submission.answers = sealed_answers(
        version or submission.questionnaire_version, copy.deepcopy(answers)
    )


def open_answers(submission: Submission) -> dict[str, Any]:
    """The submission's answers in clear; only for a role allowed to see them."""
    value = unseal(submission.answers)
    return value if isinstance(value, dict) else {}


def answers_hidden(submission: Submission) -> bool:
    """True when the stored answers are sealed (a sensitive questionnaire)."""
    return is_sealed(submission.answers)


# ----------------------------------------------------------------------------- web form


def start(
    user: User, assignment: Assignment, version: QuestionnaireVersion, client_uuid: str | None
) -> Submission:
    """Create a draft for an assignment, keyed by the tablet's UUID (made here when absent).

    A new interview goes into the open survey round, so the assignment must belong to it;
    SubmissionProblem (409) when no round is open or the assignment's round is closed.
    """
    current = open_round()
    if current is None:
        raise SubmissionProblem(409, no_open_round_message())
    if assignment.round_id != current.id:
        raise SubmissionProblem(
            409,
            _(
                "This assignment belongs to a closed survey round; new interviews go into the "
                "open round %(round)s.",
                round=current.code,
            ),
        )
    district = assignment.area.district()
    submission = Submission(
        uuid=valid_uuid(client_uuid) if client_uuid else str(uuid_module.uuid4()),
        questionnaire_version=version,
        area=assignment.area,
        district=district,
        enumerator=user,
        assignment=assignment,
        round_id=assignment.round_id,
        answers={},
        page=0,
        status=Status.DRAFT.value,
    )
    return submission


def parse_body(body: Any, known_ids: set[str], *, checked: bool = False) -> tuple[dict, int, int]:
    """Check the JSON the form engine posts; return answers, page and row_version.

    checked: body already passed the one input check (it came from :func:`read_json`).
    Raises SubmissionProblem(422) naming what is wrong.
    """
    if not isinstance(body, dict):
        raise SubmissionProblem(422, _("The request body must be a JSON object."))
    if not checked:
        _checked(body)
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
                for key in unknown[:50]
            ],
        )
    return answers, page, row_version


def known_question_ids(version: QuestionnaireVersion | PublishedVersion) -> set[str]:
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


def _paradata(
    version: QuestionnaireVersion | PublishedVersion, body: dict[str, Any]
) -> dict[str, Any] | None:
    """The body's paradata, checked; SubmissionProblem(422) naming the part that is wrong."""
    try:
        return clean_paradata(body.get("paradata"), version.sensitive)
    except ParadataRejected as rejected:
        raise SubmissionProblem(
            422, rejected.message, [_whole(rejected.message, "paradata")]
        ) from None


def save_draft(
    submission: Submission, user: User, body: Any, *, checked: bool = False
) -> Submission:
    """Store the answers and page as they are (no validation beyond shape); bump row_version.

    checked: body came from :func:`read_json`, which ran the input check.
    """
    answers, page, row_version = parse_body(
        body, known_question_ids(submission.questionnaire_version), checked=checked
    )
    check_version_matches(body, submission)
    paradata = _paradata(submission.questionnaire_version, body)
    _check_editable(submission, row_version)
    if paradata is not None:
        submission.paradata = paradata
    put_answers(submission, answers)
    submission.page = page
    return submission


def validate(
    version: QuestionnaireVersion | PublishedVersion, answers: dict, lang: str
) -> list[FieldProblem]:
    """Run the questionnaire's own validation on answers; messages in lang."""
    questionnaire = questionnaire_for(version)
    return [
        FieldProblem(error.question_id, error.row, error.message, "answers")
        for error in questionnaire.validate_answers(answers, lang=lang)
    ]


def submit(
    submission: Submission, user: User, body: Any, lang: str, *, checked: bool = False
) -> Submission:
    """Validate with the Python engine and mark submitted; on any error change nothing.

    checked: body came from :func:`read_json`, which ran the input check.
    """
    answers, page, row_version = parse_body(
        body, known_question_ids(submission.questionnaire_version), checked=checked
    )
    check_version_matches(body, submission)
    paradata = _paradata(submission.questionnaire_version, body)
    _check_editable(submission, row_version)
    problems = validate(submission.questionnaire_version, answers, lang)
    if problems:
        raise SubmissionProblem(422, _("Some answers need attention."), problems)
    if paradata is not None:
        submission.paradata = paradata
    submission.page = page
    mark_submitted(submission, answers, user)
    return submission


def mark_submitted(
    submission: Submission,
    answers: dict[str, Any],
    actor: User | TokenUser,
    reason: str = "",
    version: QuestionnaireVersion | PublishedVersion | None = None,
) -> None:
    """Store the validated answers and mark the interview submitted, with its audit entry.

    The one place where an interview becomes submitted, whichever way it came (web form,
    sync API, outbox import); a returned interview's second submission is a resubmit.
    version: the interview's questionnaire version when the caller holds it.
    """
    old_status = submission.status or Status.DRAFT.value
    put_answers(submission, answers, version)
    submission.status = Status.SUBMITTED.value
    submission.submitted_at = utcnow()
    record(
        "submission.resubmit" if old_status == Status.RETURNED else "submission.submit",
        user=actor,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        field="status",
        old=old_status,
        new=Status.SUBMITTED.value,
        reason=reason,
    )


# ----------------------------------------------------------------------------- sync and import


@dataclass
class Received:
    """Outcome of receiving one submission: 'created' (201), 'corrected' (200: a returned
    interview's correction, applied as a new revision), 'duplicate' (200) or 'conflict' (409);
    submission is the stored record (None when a new interview was written by the
    single-statement insert, which loads no ORM object), conflict the kept conflicting copy.
    """

    outcome: str
    submission: Submission | None
    conflict: SubmissionConflict | None = None
    sha256: str = ""
    # Built before the commit, so answering needs no reload of the committed rows.
    record: dict[str, Any] | None = None
    uuid: str = ""
    conflict_id: int | None = None

    @property
    def status(self) -> int:
        """The HTTP status for the outcome."""
        return {"created": 201, "corrected": 200, "duplicate": 200, "conflict": 409}[self.outcome]


def _timestamp(body: dict, name: str, problems: list[FieldProblem]) -> datetime | None:
    value = body.get(name)
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        # Stored in UTC: SQLite keeps the wall-clock time and drops the offset.
        return parsed.astimezone(UTC)
    problems.append(
        _whole(
            _(
                "'%(name)s' must be a date and time with its time zone (ISO 8601, e.g. "
                "2026-11-30T08:15:00Z).",
                name=name,
            ),
            name,
        )
    )
    return None


@dataclass
class Envelope:
    """A checked submission envelope with what it refers to: the published version, the
    assigned area (id and code), the assignment (id and round) and the area's district."""

    uuid: str
    version: PublishedVersion
    area_id: int
    area_code: str
    assignment_id: int
    round_id: int
    answers: dict[str, Any]
    started_at: datetime
    ended_at: datetime
    sha256: str
    body: dict[str, Any]
    paradata: dict[str, Any] | None = None
    district_id: int | None = None


def no_open_round_message() -> str:
    """Why a new interview is refused when every survey round is closed."""
    return _(
        "No survey round is open, so new interviews cannot be started; ask the administrator "
        "to open a round."
    )


def _invalid(problems: list[FieldProblem], status: int = 422) -> SubmissionProblem:
    message = _("Some fields are not valid.") if status == 422 else problems[0].message
    return SubmissionProblem(status, message, problems)


def check_envelope(
    user: User | TokenUser,
    body: Any,
    lang: str,
    *,
    for_owner: bool = True,
    checked: bool = False,
    intake: Intake | None = None,
) -> Envelope:
    """Check a submission envelope field by field; raise SubmissionProblem listing every problem.

    The checks, in order: shape, the one input check, the questionnaire version, the user's
    assignment in the area, the answers (the questionnaire's own validation), then the hash.
    When someone other than the enumerator sends it (an admin's import) the answers of a
    sensitive questionnaire get one general message: per-question messages would tell which
    questions apply, and so what the hidden answers are. checked: body already passed the one
    input check (it came from :func:`read_json`), which is then not walked a second time;
    intake: the look-up already made for this envelope (see :func:`intake_select`).
    """
    if not user.has_role(Role.ENUMERATOR):
        raise _invalid(
            [_whole(_("Only enumerators send interviews; this account is not an enumerator."))],
            403,
        )
    if not isinstance(body, dict):
        raise _invalid([_whole(_("The request body must be a JSON object."))])
    problems: list[FieldProblem] = []
    for name in sorted(set(body) - set(ENVELOPE_FIELDS) - set(OPTIONAL_ENVELOPE_FIELDS)):
        problems.append(_whole(_("Unknown field."), str(name)[:MAX_FIELD_NAME]))
    for name in ENVELOPE_FIELDS:
        if name not in body:
            problems.append(_whole(_("This field is required."), name))
    if problems:
        raise _invalid(problems)
    try:
        if not checked:
            check_value(body)
    except InputRejected as rejected:
        raise _invalid([_whole(rejected.message)]) from None
    uuid = body["uuid"]
    if not isinstance(uuid, str) or not UUID_PATTERN.match(uuid):
        problems.append(_whole(_("'uuid' must be a UUID in lower case with hyphens."), "uuid"))
    sha = body["sha256"]
    if not isinstance(sha, str) or not SHA256_PATTERN.match(sha):
        problems.append(
            _whole(_("'sha256' must be 64 lower-case hexadecimal characters."), "sha256")
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
            problems.append(_whole(_("'%(name)s' must be a short text.", name=name), name))
    answers = body["answers"]
    if not isinstance(answers, dict):
        problems.append(_whole(_("'answers' must be an object keyed by question id."), "answers"))
    started = _timestamp(body, "started_at", problems)
    ended = _timestamp(body, "ended_at", problems)
    if started and ended and ended < started:
        problems.append(_whole(_("The interview cannot end before it started."), "ended_at"))
    if problems:
        raise _invalid(problems)

    current = open_round()
    version, assigned, district_id = _version_and_assignment(
        user, qid, qversion, area_code, uuid, current.id if current else None, intake
    )
    if version is None:
        raise _invalid(
            [
                _whole(
                    _(
                        "Questionnaire %(id)s version %(version)s is not published on this server.",
                        id=qid,
                        version=qversion,
                    ),
                    "questionnaire_version",
                )
            ]
        )
    if assigned is None and current is None:
        raise _invalid([_whole(no_open_round_message(), "uuid")], 403)
    if assigned is None:
        raise _invalid(
            [
                _whole(
                    _(
                        "You have no assignment for questionnaire %(id)s in area %(area)s.",
                        id=qid,
                        area=area_code,
                    ),
                    "area",
                )
            ]
        )

    known = known_question_ids(version)
    unknown = sorted(key for key in answers if key not in known)
    if unknown:
        raise _invalid(
            [
                FieldProblem(key, None, _("This question is not in the questionnaire."), "answers")
                for key in unknown[:50]
            ]
        )
    errors = validate(version, answers, lang)
    if errors and version.sensitive and not for_owner:
        raise _invalid(
            [
                _whole(
                    _(
                        "The answers do not pass the questionnaire's checks; the enumerator must "
                        "open the interview on the tablet and send it again."
                    ),
                    "answers",
                )
            ]
        )
    if errors:
        raise _invalid(errors)
    if content_hash(body) != sha:
        raise _invalid(
            [
                _whole(
                    _(
                        "The SHA-256 does not match the content: the data was changed on the way. "
                        "Send it again from the tablet."
                    ),
                    "sha256",
                )
            ]
        )
    paradata = _paradata(version, body)
    # The checks above refused a missing start or end time.
    assert started is not None and ended is not None
    assignment_id, round_id, area_id = assigned
    return Envelope(
        uuid,
        version,
        area_id,
        area_code,
        assignment_id,
        round_id,
        answers,
        started,
        ended,
        sha,
        body,
        paradata,
        district_id,
    )


@lru_cache(maxsize=8)
def _compiled(build: Callable[[], Executable], dialect: Dialect) -> DriverStatement:
    return DriverStatement.compile(build(), dialect)


def _driver(build: Callable[[], Executable], connection: Connection) -> DriverStatement:
    """The statement build() returns, compiled once per process for the connection's dialect."""
    return _compiled(build, connection.dialect)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def intake_select(
    user_id: ColumnElement[Any], start: FromClause | None = None, leading: tuple[Any, ...] = ()
) -> Select[Any]:
    """The intake's look-up as a Core select (build it once per process: building costs more
    than running it). Bind parameters: qid, qversion, area_code, uuid, open_round_id.

    user_id is whose assignment to find: a bind parameter, or a column of start when the
    look-up hangs off another table (the sync API's reads the token and its user with it, so
    a new interview costs the token no statement of its own). The row is leading's columns,
    then the version's, the assignment's and the district's (see :func:`intake_of`); with
    start, every row of start comes back, the rest NULL when the version is not published.
    Core columns, not ORM objects: loading three ORM objects cost more CPU than the database
    spent on the query.
    """
    version, assignment, submission, areas = (
        _table(model) for model in (QuestionnaireVersion, Assignment, Submission, Area)
    )
    area_id = select(areas.c.id).where(areas.c.code == bindparam("area_code")).scalar_subquery()
    own_round = (
        select(submission.c.round_id)
        .where(submission.c.uuid == bindparam("uuid"))
        .scalar_subquery()
    )
    area, parent, grandparent = (areas.alias(name) for name in ("assigned", "parent", "up"))
    district = AreaLevel.DISTRICT.value
    district_id = case(
        (area.c.level == district, area.c.id),
        (parent.c.level == district, parent.c.id),
        (grandparent.c.level == district, grandparent.c.id),
        else_=None,
    )
    published = and_(
        version.c.questionnaire_id == bindparam("qid"),
        version.c.version == bindparam("qversion"),
    )
    joined = version if start is None else start.outerjoin(version, published)
    statement = select(
        *leading,
        version.c.id,
        version.c.questionnaire_id,
        version.c.version,
        version.c.content_hash,
        version.c.unit,
        version.c.title_vi,
        version.c.title_en,
        assignment.c.id,
        assignment.c.round_id,
        area.c.id,
        district_id,
    ).select_from(
        joined.outerjoin(
            assignment,
            and_(
                assignment.c.enumerator_id == user_id,
                assignment.c.questionnaire_id == version.c.questionnaire_id,
                assignment.c.area_id == area_id,
                assignment.c.round_id
                == func.coalesce(own_round, bindparam("open_round_id", type_=Integer)),
            ),
        )
        .outerjoin(area, area.c.id == assignment.c.area_id)
        .outerjoin(parent, parent.c.id == area.c.parent_id)
        .outerjoin(grandparent, grandparent.c.id == parent.c.parent_id)
    )
    return statement if start is not None else statement.where(published)


@lru_cache(maxsize=1)
def _lookup_statement() -> Select[Any]:
    """The intake's look-up for a known user (bind parameter user_id)."""
    return intake_select(bindparam("user_id"))


IntakeKey = tuple[str, str, str, str, int | None]


@dataclass(frozen=True)
class Intake:
    """What the intake's look-up found for one envelope: the published version (None when it
    is not published), the user's assignment (its id, round and area id; None when there is
    none) and the area's district. user_id and key are what it was looked up by (the user;
    questionnaire id, version, area code, UUID, open round id): :func:`check_envelope` uses it
    only for the same ones."""

    user_id: int
    key: IntakeKey
    version: PublishedVersion | None
    assigned: tuple[int, int, int] | None
    district_id: int | None


def intake_parameters(body: Any, open_round_id: int | None) -> dict[str, Any] | None:
    """The look-up's bind parameters (all but the user) for a body whose questionnaire,
    version, area and UUID have the shapes :func:`check_envelope` accepts; else None (the
    envelope will be refused before any look-up)."""
    if not isinstance(body, dict):
        return None
    qid, qversion, area_code, uuid = (
        body.get(name) for name in ("questionnaire_id", "questionnaire_version", "area", "uuid")
    )
    for value in (qid, qversion, area_code):
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            return None
    if not isinstance(uuid, str) or not UUID_PATTERN.match(uuid):
        return None
    return {
        "qid": qid,
        "qversion": qversion,
        "area_code": area_code,
        "uuid": uuid,
        "open_round_id": open_round_id,
    }


def intake_of(row: Sequence[Any], parameters: dict[str, Any], user_id: int) -> Intake:
    """The Intake from the look-up's columns (:func:`intake_select`, leading ones left out)."""
    key: IntakeKey = (
        parameters["qid"],
        parameters["qversion"],
        parameters["area_code"],
        parameters["uuid"],
        parameters["open_round_id"],
    )
    if row[0] is None:
        return Intake(user_id, key, None, None, None)
    version = PublishedVersion(*row[:7])
    if row[7] is None:
        return Intake(user_id, key, version, None, None)
    return Intake(user_id, key, version, (row[7], row[8], row[9]), row[10])


def _version_and_assignment(
    user: User | TokenUser,
    qid: str,
    qversion: str,
    area_code: str,
    uuid: str,
    open_round_id: int | None,
    intake: Intake | None = None,
) -> tuple[PublishedVersion | None, tuple[int, int, int] | None, int | None]:
    """The published version, the user's assignment for it in the area (its id, round and area
    id) and the id of the area's district, in one query (the intake's one read); intake is the
    same look-up already made for these values (the sync API makes it with the token's).

    The assignment is the one of the interview's own round when the server already holds that
    UUID (a resubmission or a draft finished offline keeps its round, even a closed one), else
    the one of the open round. Areas are province > district > commune > village and a child
    always lies below its parent's level, so an assigned area's district is the area itself,
    its parent or its grandparent.
    """
    key = (qid, qversion, area_code, uuid, open_round_id)
    if intake is None or intake.user_id != user.id or intake.key != key:
        parameters = {
            "qid": qid,
            "qversion": qversion,
            "area_code": area_code,
            "uuid": uuid,
            "open_round_id": open_round_id,
        }
        connection = db.session.connection()
        row = _driver(_lookup_statement, connection).first(
            connection, {"user_id": user.id, **parameters}
        )
        if row is None:
            return None, None, None
        intake = intake_of(row, parameters, user.id)
    return intake.version, intake.assigned, intake.district_id


def receive(
    user: User | TokenUser,
    body: Any,
    *,
    lang: str,
    channel: str = "api",
    actor: User | TokenUser | None = None,
    checked: bool = False,
    intake: Intake | None = None,
) -> Received:
    """Check and store one submission exactly once; commits. actor is who acted (an importing
    admin), user whose interview it is; checked: body came from :func:`read_json`, which ran
    the input check (an import's items are checked one by one here); intake: the look-up
    already made for this envelope (the sync API's, with the token).

    Raises SubmissionProblem when the submission cannot be accepted (nothing stored).
    """
    open_round()  # read (when not cached) before the session may begin in autocommit mode
    single = single_statement_begun() or begin_single_statement()
    envelope = check_envelope(
        user,
        body,
        lang,
        for_owner=actor is None or actor.id == user.id,
        checked=checked,
        intake=intake,
    )
    if single:
        created = _insert_new(user, envelope, channel, actor or user)
        db.session.commit()  # ends the autocommit transaction; the statement itself committed
        if created is not None:
            return created
        # The UUID is stored (a resend, a conflict, a draft finished offline): the general
        # path below reads and writes in one transaction, as on any database.
    for _attempt in range(3):
        try:
            result = _store(user, envelope, channel, actor or user, insert_first=not single)
            db.session.commit()
            return result
        except (IntegrityError, StaleDataError):
            # A concurrent request stored the same UUID (or conflict) first: look again.
            db.session.rollback()
    raise RuntimeError(f"could not store submission {envelope.uuid} after 3 attempts")


_SINGLE_STATEMENT = "gesurvey.single_statement"


def begin_single_statement() -> bool:
    """Begin the session's transaction in autocommit mode when a new interview will be written
    by the single-statement insert (PostgreSQL) and the session holds nothing yet.

    That insert writes the submission, its receipt and its audit entry atomically by itself,
    and at READ COMMITTED the look-up before it sees the same inside a transaction as outside
    one; autocommit spares the BEGIN and COMMIT round trips, two of the happy path's four, and
    their CPU. False (nothing changed) when the session already began a transaction or holds
    changes (an import between items, a round read this request), or on another database.
    The sync API calls it before its token and intake look-up; :func:`receive` then goes on
    in the same mode (:func:`single_statement_begun`).
    """
    session = db.session()
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[_SINGLE_STATEMENT] = session.get_transaction()
    return True


def single_statement_begun() -> bool:
    """True while the session's transaction is the one :func:`begin_single_statement` began in
    autocommit mode (it holds only reads; the insert will commit itself)."""
    session = db.session()
    begun = session.info.get(_SINGLE_STATEMENT)
    return (
        begun is not None
        and begun is session.get_transaction()
        and not (session.new or session.dirty or session.deleted)
    )


def _store(
    user: User | TokenUser,
    envelope: Envelope,
    channel: str,
    actor: User | TokenUser,
    *,
    insert_first: bool = True,
) -> Received:
    """Store the envelope in the session's transaction: on PostgreSQL first by the
    single-statement insert (unless receive tried it already), else by the general path."""
    if insert_first and db.session.get_bind().dialect.name == "postgresql":
        created = _insert_new(user, envelope, channel, actor)
        if created is not None:
            return created
    existing = db.session.scalar(select(Submission).where(Submission.uuid == envelope.uuid))
    if existing is None:
        # The row refers to what the look-up found by id; the session is told the version,
        # so the sealing check at insert needs no second read of it.
        remember_version(db.session(), envelope.version)
        submission = Submission(
            uuid=envelope.uuid,
            questionnaire_version_id=envelope.version.id,
            area_id=envelope.area_id,
            district_id=envelope.district_id,
            enumerator_id=user.id,
            assignment_id=envelope.assignment_id,
            round_id=envelope.round_id,
            page=0,
            status=Status.DRAFT.value,
        )
        db.session.add(submission)
        return _receipt(submission, envelope, channel, actor)
    receipt = db.session.scalar(
        select(SubmissionReceipt).where(SubmissionReceipt.submission_id == existing.id)
    )
    if receipt is not None:
        if receipt.content_hash == envelope.sha256 and existing.enumerator_id == user.id:
            # The same content: the same questionnaire version and area as the envelope's.
            return Received(
                "duplicate",
                existing,
                sha256=receipt.content_hash,
                record=record_of(existing, receipt, envelope.version, envelope.area_code),
                uuid=existing.uuid,
            )
        if _is_correction(user, existing, envelope):
            return _correction(existing, receipt, envelope, channel, actor)
        return _conflict(user, existing, envelope, channel, actor, receipt.content_hash)
    # Started online as a server draft, finished offline: the envelope submits that draft.
    if (
        existing.enumerator_id == user.id
        and existing.editable
        and existing.questionnaire_version_id == envelope.version.id
        and existing.area_id == envelope.area_id
    ):
        return _receipt(existing, envelope, channel, actor)
    return _conflict(user, existing, envelope, channel, actor, None)


# The columns the single-statement insert writes; every column of the table but its key.
_NEW_SUBMISSION_COLUMNS = (
    "uuid",
    "questionnaire_version_id",
    "area_id",
    "district_id",
    "enumerator_id",
    "assignment_id",
    "round_id",
    "answers",
    "paradata",
    "page",
    "status",
    "review_comment",
    "created_at",
    "updated_at",
    "submitted_at",
    "reviewed_at",
    "row_version",
)


@lru_cache(maxsize=1)
def _insert_statement() -> Select[Any]:
    """``INSERT submission … ON CONFLICT (uuid) DO NOTHING RETURNING id`` with the receipt and
    the audit entry inserted from its result, built once per process; bind parameters are the
    submission's columns plus sha256, started_at, ended_at, channel, actor_id, action, field,
    old, new and reason."""
    submission_table, receipt_table, audit_table = (
        cast(Table, model.__table__) for model in (Submission, SubmissionReceipt, AuditLog)
    )
    unset = set(submission_table.c.keys()) - set(_NEW_SUBMISSION_COLUMNS) - {"id"}
    if unset:  # a column added to Submission must be written here too
        raise RuntimeError(f"the single-statement insert does not set {sorted(unset)}")
    new = (
        pg_insert(submission_table)
        .values({name: bindparam(name) for name in _NEW_SUBMISSION_COLUMNS})
        .on_conflict_do_nothing(index_elements=["uuid"])
        .returning(submission_table.c.id)
        .cte("new_submission")
    )
    when = DateTime(timezone=True)
    receipt = insert(receipt_table).from_select(
        ["submission_id", "uuid", "content_hash", "started_at", "ended_at", "received_at"]
        + ["channel"],
        select(
            new.c.id,
            bindparam("uuid", type_=String),
            bindparam("sha256", type_=String),
            bindparam("started_at", type_=when),
            bindparam("ended_at", type_=when),
            bindparam("created_at", type_=when),
            bindparam("channel", type_=String),
        ),
    )
    audit = insert(audit_table).from_select(
        ["created_at", "user_id", "action", "object_type", "object_id", "submission_id"]
        + ["field", "old", "new", "reason"],
        select(
            bindparam("created_at", type_=when),
            bindparam("actor_id", type_=Integer),
            bindparam("action", type_=String),
            bindparam("object_type", type_=String),
            bindparam("uuid", type_=String),
            new.c.id,
            bindparam("field", type_=String),
            bindparam("old", type_=JSON),
            bindparam("new", type_=JSON),
            bindparam("reason", type_=String),
        ),
    )
    return select(new.c.id).add_cte(receipt.cte("new_receipt")).add_cte(audit.cte("new_audit"))


def _insert_new(
    user: User | TokenUser, envelope: Envelope, channel: str, actor: User | TokenUser
) -> Received | None:
    """Write a new interview, its receipt and its audit entry in one PostgreSQL statement.

    ``INSERT … ON CONFLICT (uuid) DO NOTHING`` decides "new" in the database itself, and the
    receipt and audit inserts read the new row's id from it in the same statement, so all three
    rows exist together or not at all. Returns None when the UUID is already stored (a resend, a
    conflict or a server draft finished offline): the caller then takes the general path, in the
    same transaction. The rows written are the ones the general path writes (answers sealed for
    a sensitive questionnaire, the same audit entry); nothing is read back after the commit.
    """
    now = utcnow()
    version = envelope.version
    parameters: dict[str, Any] = {
        "uuid": envelope.uuid,
        "questionnaire_version_id": version.id,
        "area_id": envelope.area_id,
        "district_id": envelope.district_id,
        "enumerator_id": user.id,
        "assignment_id": envelope.assignment_id,
        "round_id": envelope.round_id,
        # Serialised (or sealed) as the statement runs; nothing changes it: no copy needed.
        "answers": sealed_answers(version, envelope.answers),
        "paradata": envelope.paradata,
        "page": 0,
        "status": Status.SUBMITTED.value,
        "review_comment": "",
        "created_at": now,
        "updated_at": now,
        "submitted_at": now,
        "reviewed_at": None,
        "row_version": 1,
        # the receipt
        "sha256": envelope.sha256,
        "started_at": envelope.started_at,
        "ended_at": envelope.ended_at,
        "channel": channel,
        # the audit entry, as mark_submitted writes it for a new interview
        "actor_id": actor.id,
        "action": "submission.submit",
        "object_type": "submission",
        "field": "status",
        "old": Status.DRAFT.value,
        "new": Status.SUBMITTED.value,
        "reason": f"sync:{channel}",
    }
    connection = db.session.connection()
    if _driver(_insert_statement, connection).first(connection, parameters) is None:
        return None
    return Received(
        "created",
        None,
        sha256=envelope.sha256,
        record=_record(
            uuid=envelope.uuid,
            version=version,
            area_code=envelope.area_code,
            status=Status.SUBMITTED.value,
            answers=envelope.answers,
            sha256=envelope.sha256,
            started_at=envelope.started_at,
            ended_at=envelope.ended_at,
            received_at=now,
            submitted_at=now,
        ),
        uuid=envelope.uuid,
    )


def _receipt(
    submission: Submission, envelope: Envelope, channel: str, actor: User | TokenUser
) -> Received:
    # The receipt and the audit entry join the same transaction as the submission row.
    receipt = SubmissionReceipt(
        submission=submission,
        uuid=envelope.uuid,
        content_hash=envelope.sha256,
        started_at=envelope.started_at,
        ended_at=envelope.ended_at,
        received_at=utcnow(),
        channel=channel,
    )
    db.session.add(receipt)
    if envelope.paradata is not None:
        submission.paradata = envelope.paradata
    mark_submitted(submission, envelope.answers, actor, f"sync:{channel}", envelope.version)
    return Received(
        "created",
        submission,
        sha256=envelope.sha256,
        record=record_of(
            submission, receipt, envelope.version, envelope.area_code, envelope.answers
        ),
        uuid=envelope.uuid,
    )


def _is_correction(user: User | TokenUser, existing: Submission, envelope: Envelope) -> bool:
    """True when different content under a stored UUID is the enumerator's correction of an
    interview a supervisor returned to them (same questionnaire version and area)."""
    return (
        existing.enumerator_id == user.id
        and existing.status == Status.RETURNED.value
        and existing.questionnaire_version_id == envelope.version.id
        and existing.area_id == envelope.area_id
    )


def _correction(
    submission: Submission,
    receipt: SubmissionReceipt,
    envelope: Envelope,
    channel: str,
    actor: User | TokenUser,
) -> Received:
    """Apply a returned interview's correction: every changed answer gets an audit entry (old
    and new value; sealed for a sensitive questionnaire), the receipt moves to the new content
    (so a resend of the correction is a duplicate) and the interview is resubmitted."""
    before = open_answers(submission)
    for question_id in sorted(set(before) | set(envelope.answers)):
        old, new = before.get(question_id), envelope.answers.get(question_id)
        if old != new:
            record(
                "submission.correct",
                user=actor,
                object_type="submission",
                object_id=submission.uuid,
                submission=submission,
                field=question_id,
                old=old,
                new=new,
                reason=f"sync:{channel}",
            )
    receipt.content_hash = envelope.sha256
    receipt.started_at = envelope.started_at
    receipt.ended_at = envelope.ended_at
    receipt.received_at = utcnow()
    receipt.channel = channel
    if envelope.paradata is not None:
        submission.paradata = envelope.paradata
    mark_submitted(submission, envelope.answers, actor, f"sync:{channel}", envelope.version)
    return Received(
        "corrected",
        submission,
        sha256=envelope.sha256,
        record=record_of(
            submission, receipt, envelope.version, envelope.area_code, envelope.answers
        ),
        uuid=envelope.uuid,
    )


def conflict_is_sensitive(
    existing: Submission, version: QuestionnaireVersion | PublishedVersion
) -> bool:
    """A conflict is sensitive when either the stored or the sent interview is."""
    return existing.questionnaire_version.sensitive or version.sensitive


def _conflict(
    user: User | TokenUser,
    existing: Submission,
    envelope: Envelope,
    channel: str,
    actor: User | TokenUser,
    stored_sha256: str | None,
) -> Received:
    conflict = db.session.scalar(
        select(SubmissionConflict).where(
            SubmissionConflict.uuid == envelope.uuid,
            SubmissionConflict.content_hash == envelope.sha256,
        )
    )
    if conflict is None:
        content = content_of(envelope.body)
        if conflict_is_sensitive(existing, envelope.version):
            content["answers"] = seal(content["answers"])
        conflict = SubmissionConflict(
            uuid=envelope.uuid,
            content_hash=envelope.sha256,
            submission_id=existing.id,
            user_id=user.id,
            area_id=envelope.area_id,
            content=content,
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
    return Received(
        "conflict",
        existing,
        conflict,
        sha256=stored_sha256 or "",
        uuid=envelope.uuid,
        conflict_id=conflict.id,
    )


def stored_record(submission: Submission) -> dict[str, Any]:
    """The stored interview as the API returns it (see :func:`record_of`)."""
    receipt = db.session.scalar(
        select(SubmissionReceipt).where(SubmissionReceipt.submission_id == submission.id)
    )
    return record_of(submission, receipt)


def _iso(moment: datetime | None) -> str | None:
    """A stored time in ISO 8601, UTC (SQLite returns it without the offset)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def record_of(
    submission: Submission,
    receipt: SubmissionReceipt | None,
    version: QuestionnaireVersion | PublishedVersion | None = None,
    area_code: str | None = None,
    answers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The API's record of an interview; version, area code and answers may be given when
    known (then they are not read again)."""
    version = version or submission.questionnaire_version
    withheld = version.sensitive and not submission.editable
    return _record(
        uuid=submission.uuid,
        version=version,
        area_code=area_code or submission.area.code,
        status=submission.status,
        answers=None if withheld else answers if answers is not None else open_answers(submission),
        sha256=receipt.content_hash if receipt else None,
        started_at=receipt.started_at if receipt else None,
        ended_at=receipt.ended_at if receipt else None,
        received_at=receipt.received_at if receipt else None,
        submitted_at=submission.submitted_at,
    )


def _record(
    *,
    uuid: str,
    version: QuestionnaireVersion | PublishedVersion,
    area_code: str,
    status: str,
    answers: dict[str, Any] | None,
    sha256: str | None,
    started_at: datetime | None,
    ended_at: datetime | None,
    received_at: datetime | None,
    submitted_at: datetime | None,
) -> dict[str, Any]:
    """The record's JSON from its parts.

    Answers of a sensitive questionnaire are withheld once submitted: after that the tablet
    holds no copy and nobody reads them through the API.
    """
    withheld = version.sensitive and status not in EDITABLE_STATUSES
    return {
        "uuid": uuid,
        "questionnaire_id": version.questionnaire_id,
        "questionnaire_version": version.version,
        "area": area_code,
        "status": status,
        "answers": {} if withheld or answers is None else answers,
        "answers_withheld": withheld,
        "sha256": sha256,
        "started_at": _iso(started_at),
        "ended_at": _iso(ended_at),
        "received_at": _iso(received_at),
        "submitted_at": _iso(submitted_at),
    }


# ----------------------------------------------------------------------------- review


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


def may_correct(submission: Submission) -> bool:
    """Supervisors correct answers of ordinary questionnaires only.

    A sensitive questionnaire (the women's safety module) has no correction path: a reviewer
    who finds a problem returns the interview with a comment, and the enumerator who holds the
    answers fixes it in the form and submits again.
    """
    return not submission.questionnaire_version.sensitive


def refuse_correction(submission: Submission, user: User, question_id: str) -> SubmissionProblem:
    """Audit a refused correction of a sensitive interview and return the error to raise.

    The entry names neither the question nor a value, and the message is the same whatever
    was sent, so a refused attempt teaches nothing about the hidden answers.
    """
    record(
        "submission.correct_refused",
        user=user,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        reason="sensitive questionnaire: no correction path",
    )
    return SubmissionProblem(
        403,
        _(
            "Answers of this questionnaire cannot be corrected by a reviewer. Return the "
            "interview with a comment; the enumerator corrects it and submits again."
        ),
    )


@dataclass(frozen=True)
class Correction:
    """A reviewer's correction of one answer: question, roster row (None at top level), new
    value (None removes the answer) and the reason, which is required."""

    question_id: str
    row: int | None
    value: Any
    reason: str


def correct(submission: Submission, user: User, correction: Correction, lang: str) -> Submission:
    """Apply a reviewer's correction: reason required, re-validated, audited.

    Every attempt leaves an audit entry: ``submission.correct`` when applied,
    ``submission.correct_refused`` when not. The caller commits in both cases (a refused
    attempt raises SubmissionProblem after its entry is added to the session).
    """
    if not may_correct(submission):
        raise refuse_correction(submission, user, correction.question_id)
    row = correction.row
    field = correction.question_id if row is None else f"{correction.question_id}[{row}]"
    try:
        answers, old, in_roster = _corrected_answers(submission, correction, lang)
    except SubmissionProblem as problem:
        record(
            "submission.correct_refused",
            user=user,
            object_type="submission",
            object_id=submission.uuid,
            submission=submission,
            field=field[:128],
            reason=problem.message,
        )
        raise
    put_answers(submission, answers)
    record(
        "submission.correct",
        user=user,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        field=field if in_roster else correction.question_id,
        old=old,
        new=correction.value,
        reason=correction.reason.strip(),
    )
    return submission


def _corrected_answers(
    submission: Submission, correction: Correction, lang: str
) -> tuple[dict[str, Any], Any, bool]:
    """The corrected answers, the old value and whether the question is in a roster (the row
    number counts only there); SubmissionProblem when the correction cannot apply."""
    question_id, row, value = correction.question_id, correction.row, correction.value
    if not (correction.reason or "").strip():
        raise SubmissionProblem(422, _("A correction needs a reason."))
    if submission.status not in (Status.SUBMITTED.value, Status.APPROVED.value):
        raise SubmissionProblem(409, _("Only submitted or approved interviews can be corrected."))
    _checked(value)
    questionnaire = questionnaire_for(submission.questionnaire_version)
    answers = copy.deepcopy(open_answers(submission))
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
        target = answers
    old = target.get(question_id)
    if value is None:
        target.pop(question_id, None)
    else:
        target[question_id] = value
    problems = validate(submission.questionnaire_version, answers, lang)
    if problems:
        raise SubmissionProblem(422, _("The corrected answers are not valid."), problems)
    return answers, old, group is not None


def _group_of(questionnaire: Any, question_id: str) -> str | None:
    """The repeat group a question belongs to, or None for a top-level question."""
    for question in questionnaire.iter_questions():
        if question.id == question_id:
            return question.group
    return None


def area_label(area: Area | None) -> str:
    """'code name' or empty."""
    return area.label if area is not None else ""
