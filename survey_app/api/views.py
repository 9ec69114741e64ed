"""Routes of the sync API. Every answer is JSON; errors carry a message in the user's language.

Authentication: the browser session (then unsafe methods need the CSRF token, like any form), or
``Authorization: Bearer TOKEN`` with a personal token (then CSRF does not apply: no cookie is
involved). Anonymous requests get 401.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from questionnaires.rounds import round_placeholders

from ..collect.services import area_prefill
from ..core.i18n import current_language
from ..core.questionnaire_store import current_version, questionnaire_for
from ..core.rounds import open_round
from ..extensions import csrf, db
from ..models import Assignment, QuestionnaireVersion, Role, Submission
from ..submissions import SubmissionProblem, read_json, receive, stored_record
from ..submissions.services import NOT_READ, UUID_PATTERN, check_json, peek_json
from . import models  # noqa: F401  (registers the API's tables)
from .openapi import openapi_document
from .services import user_and_intake_for_token, user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}

csrf.exempt(bp)  # checked in authenticate() for session-authenticated requests only


def error(status: int, message: str, **extra: object):  # noqa: ANN201
    """A JSON error response."""
    return jsonify({"error": message, **extra}), status


@bp.before_request
def authenticate():  # noqa: ANN201
    """Find the user (token or session), refuse anonymous requests, check CSRF for sessions."""
    g.api_user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer":
            user = None
        elif request.endpoint == "api.submissions" and request.method == "POST":
            # The token is read with the intake's look-up of the envelope (one statement for
            # both); the body is parsed quietly first (nothing translated before the user's
            # language is known) and checked in the view, after the 401 and 403 answers.
            g.api_body = peek_json(request)
            user, g.api_intake = user_and_intake_for_token(token.strip(), g.api_body)
        else:
            user = user_for_token(token.strip())
        if user is None:
            return _unauthorised()
        g.api_user = user
        # Flask-Login reads the request's user from g._login_user: messages then follow the
        # token owner's language, and no session cookie is read or written.
        g._login_user = user
        return None
    if not current_user.is_authenticated:
        return _unauthorised()
    g.api_user = current_user._get_current_object()
    unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
    if unsafe and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    return None


def _unauthorised():  # noqa: ANN202
    response, status = error(
        401, _("Log in, or send a personal API token as 'Authorization: Bearer TOKEN'.")
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="gesurvey"'
    return response, status


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):  # noqa: ANN201
    """JSON for every HTTP error inside the API (413, 404, 405 ...)."""
    messages = {
        400: _("The request could not be understood (CSRF token missing or body not JSON)."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The data sent is too large."),
    }
    code = exc.code or 500
    return error(code, messages.get(code, _("The request could not be completed.")))


@bp.get("/openapi.json")
def openapi():  # noqa: ANN201
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


def _plain(text: str) -> bool:
    """True for a path value that can name a row (short, no NUL, which PostgreSQL refuses)."""
    return 0 < len(text) <= 64 and "\x00" not in text


def _version_summary(version: QuestionnaireVersion, lang: str) -> dict:
    return {
        "id": version.questionnaire_id,
        "version": version.version,
        "title": version.title(lang),
        "unit": version.unit,
        "content_hash": version.content_hash,
        "url": url_for(
            "api.questionnaire_version",
            questionnaire_id=version.questionnaire_id,
            version=version.version,
        ),
    }


@bp.get("/questionnaires")
def questionnaires():  # noqa: ANN201
    """The newest published version of every questionnaire (summaries with links)."""
    lang = current_language()
    ids = db.session.scalars(select(QuestionnaireVersion.questionnaire_id).distinct())
    versions = [current_version(qid) for qid in sorted(ids)]
    return jsonify({"questionnaires": [_version_summary(v, lang) for v in versions if v]})


@bp.get("/questionnaires/<questionnaire_id>/versions/<version>")
def questionnaire_version(questionnaire_id: str, version: str):  # noqa: ANN201
    """One published version: the browser definition with every compiled expression AST."""
    if not (_plain(questionnaire_id) and _plain(version)):
        return error(404, _("Not found."))
    row = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id,
            QuestionnaireVersion.version == version,
        )
    )
    if row is None:
        return error(
            404,
            _(
                "Questionnaire %(id)s version %(version)s is not published.",
                id=questionnaire_id,
                version=version,
            ),
        )
    response = jsonify(questionnaire_for(row).to_client_dict())
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@bp.get("/assignments")
def assignments():  # noqa: ANN201
    """The user's assignments in the open survey round (none while every round is closed) with
    the questionnaire version new interviews use."""
    user = g.api_user
    lang = current_language()
    current = open_round()
    rows = list(
        db.session.scalars(
            select(Assignment)
            .where(
                Assignment.enumerator_id == user.id,
                Assignment.round_id == (current.id if current else -1),
            )
            .order_by(Assignment.id)
        )
    )
    done = dict(
        db.session.execute(
            select(Submission.assignment_id, func.count())
            .where(
                Submission.assignment_id.in_([a.id for a in rows] or [-1]),
                Submission.status != "draft",
            )
            .group_by(Submission.assignment_id)
        ).all()
    )
    items = []
    for assignment in rows:
        version = current_version(assignment.questionnaire_id)
        items.append(
            {
                "id": assignment.id,
                "area": {"code": assignment.area.code, "name": assignment.area.name},
                "questionnaire_id": assignment.questionnaire_id,
                "target": assignment.target,
                "done": done.get(assignment.id, 0),
                "current_version": _version_summary(version, lang) if version else None,
                "prefill": area_prefill(assignment.area),
                "households": [int(n) for n in assignment.households.split()],
            }
        )
    # The open round's words that question texts quote ("{round.party_term}"): the offline
    # form fills them from this copy kept on the tablet.
    survey_round = (
        {
            "code": current.code,
            "label": current.label(lang),
            "placeholders": round_placeholders(current.settings),
        }
        if current is not None
        else None
    )
    return jsonify({"user": user.username, "round": survey_round, "assignments": items})


@bp.get("/returned")
def returned():  # noqa: ANN201
    """The user's interviews a supervisor returned for correction, with the comment and the
    answers to fix (a sensitive one only to its own enumerator, like the online form). The
    tablet corrects them and sends them again under the same UUID: a new revision, not a
    conflict. Never cached (the service worker leaves it alone too)."""
    user = g.api_user
    lang = current_language()
    rows = db.session.scalars(
        select(Submission)
        .where(Submission.enumerator_id == user.id, Submission.status == "returned")
        .order_by(Submission.reviewed_at.desc())
    )
    items = []
    for submission in rows:
        record = stored_record(submission)
        version = submission.questionnaire_version
        items.append(
            {
                **record,
                "title": version.title(lang),
                "url": _version_summary(version, lang)["url"],
                "area_name": submission.area.name,
                "assignment_id": submission.assignment_id,
                "review_comment": submission.review_comment,
                "reviewed_at": submission.reviewed_at.isoformat()
                if submission.reviewed_at
                else None,
                "created_at": submission.created_at.isoformat() if submission.created_at else None,
                "sensitive": version.sensitive,
            }
        )
    response = jsonify({"user": user.username, "returned": items})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/submissions")
def submissions():  # noqa: ANN201
    """Store one finished interview exactly once: 201 new, 200 same content, 409 different."""
    if not g.api_user.has_role(Role.ENUMERATOR):
        return error(403, _("Only enumerators send interviews; this account is not an enumerator."))
    try:
        body = g.get("api_body", NOT_READ)
        body = read_json(request) if body is NOT_READ else check_json(body)
        if body is None:
            return error(
                422,
                _("The request body must be JSON (Content-Type: application/json)."),
                errors=[
                    {
                        "field": "",
                        "question_id": None,
                        "row": None,
                        "message": _("The body is not valid JSON."),
                    }
                ],
            )
        result = receive(
            g.api_user,
            body,
            lang=current_language(),
            channel="api",
            checked=True,
            intake=g.get("api_intake"),
        )
    except SubmissionProblem as problem:
        db.session.rollback()
        return error(
            problem.status, problem.message, errors=[p.as_api_dict() for p in problem.problems]
        )
    if result.outcome == "conflict":
        return error(
            409,
            _(
                "Another interview with this id is already stored with different content. Both "
                "copies are kept; a supervisor will decide."
            ),
            uuid=result.uuid,
            conflict_id=result.conflict_id,
            stored_sha256=result.sha256 or None,
        )
    return jsonify(result.record), result.status


@bp.get("/submissions/<uuid>")
def submission(uuid: str):  # noqa: ANN201
    """The stored record of one of the user's own interviews."""
    if not UUID_PATTERN.match(uuid):
        return error(404, _("Not found."))
    row = db.session.scalar(select(Submission).where(Submission.uuid == uuid))
    if row is None or row.enumerator_id != g.api_user.id:
        return error(404, _("Not found."))
    return jsonify(stored_record(row))
