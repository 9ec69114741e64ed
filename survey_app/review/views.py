"""Review queue, submission detail with labels, decisions and corrections."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm.exc import StaleDataError

from questionnaires.rounds import round_placeholders
from questionnaires.selection import selection_mismatch

from ..core.access import area_ids_within, can_see_submission, role_required, visible_submissions
from ..core.audit import action_label, record
from ..core.i18n import current_language
from ..core.questionnaire_store import questionnaire_for
from ..extensions import db
from ..models import (
    Area,
    AreaLevel,
    AuditLog,
    QuestionnaireVersion,
    Role,
    Status,
    Submission,
    User,
)
from ..submissions import SubmissionProblem, correct, review, valid_uuid
from ..submissions.models import SubmissionConflict
from ..submissions.services import Correction, may_correct
from .display import answer_rows
from .forms import CorrectAnswerForm, ReviewSubmissionForm

bp = Blueprint("review", __name__, url_prefix="/review")


def districts_for(user: User) -> list[Area]:
    """Districts the user may filter by."""
    query = select(Area).where(Area.level == AreaLevel.DISTRICT.value).order_by(Area.code)
    ids = area_ids_within(user.area)
    if ids is not None:
        query = query.where(Area.id.in_(ids))
    return list(db.session.scalars(query))


@bp.route("/")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def queue() -> ResponseReturnValue:
    """Submissions to review, filtered by district and status (default: submitted)."""
    status = request.args.get("status", Status.SUBMITTED.value)
    district_code = request.args.get("district", "")
    query = visible_submissions(current_user, select(Submission))
    if status != "all":
        if status not in {s.value for s in Status}:
            abort(400)
        query = query.where(Submission.status == status)
    if district_code:
        district = db.session.scalar(select(Area).where(Area.code == district_code))
        if district is None:
            abort(400)
        query = query.where(Submission.district_id == district.id)
    query = query.order_by(Submission.submitted_at.desc().nullslast(), Submission.id.desc())
    submissions = list(db.session.scalars(query.limit(500)))
    return render_template(
        "review/queue.html",
        submissions=submissions,
        selection_flagged={s.uuid for s in submissions if _selection_flagged(s)},
        districts=districts_for(current_user),
        status=status,
        district_code=district_code,
        statuses=[s.value for s in Status],
        lang=current_language(),
    )


def _selection_flagged(submission: Submission) -> bool:
    """Is this a household whose recorded person is not the Kish grid's? (Never opens a
    sensitive questionnaire's answers.)"""
    version = submission.questionnaire_version
    if version.sensitive:
        return False
    rule = questionnaire_for(version).selection
    return rule is not None and selection_mismatch(rule, submission.answers or {}) is not None


def _visible(uuid: str) -> Submission:
    canonical = valid_uuid(uuid)
    submission = (
        db.session.scalar(select(Submission).where(Submission.uuid == canonical))
        if canonical
        else None
    )
    if submission is None:
        abort(404)
    if not can_see_submission(current_user, submission):
        abort(403)
    return submission


@bp.route("/<uuid>")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def detail(uuid: str) -> ResponseReturnValue:
    """One submission with question labels and answer labels, and its audit trail."""
    submission = _visible(uuid)
    lang = current_language()
    questionnaire = questionnaire_for(submission.questionnaire_version)
    audit = list(
        db.session.scalars(
            select(AuditLog).where(AuditLog.submission_id == submission.id).order_by(AuditLog.id)
        )
    )
    sensitive = not may_correct(submission)
    # A household whose recorded person is not the Kish grid's is flagged, not refused: the
    # enumerator may have changed the app's selection for a reason the supervisor should ask.
    mismatch = (
        None if sensitive else selection_mismatch(questionnaire.selection, submission.answers or {})
    )
    return render_template(
        "review/detail.html",
        submission=submission,
        sensitive=sensitive,
        selection_mismatch=mismatch,
        # A sensitive interview shows no rows at all: even which questions were answered
        # tells what the hidden answers are.
        sections=[]
        if sensitive
        else answer_rows(
            questionnaire,
            submission.answers or {},
            lang,
            round_placeholders(submission.survey_round.settings),
        ),
        audit=audit,
        review_form=ReviewSubmissionForm(),
        correct_form=CorrectAnswerForm(),
        lang=lang,
        action_label=action_label,
    )


@bp.route("/<uuid>/decide", methods=["POST"])
@role_required(Role.SUPERVISOR, Role.ADMIN)
def decide(uuid: str) -> ResponseReturnValue:
    """Approve, return with a comment, or reject."""
    submission = _visible(uuid)
    form = ReviewSubmissionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        review(submission, current_user, form.action.data, form.comment.data)
        db.session.commit()
    except SubmissionProblem as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return redirect(url_for("review.detail", uuid=submission.uuid))
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed this record; reload the page."), "error")
        return redirect(url_for("review.detail", uuid=submission.uuid))
    flash(_("Decision saved."), "success")
    return redirect(url_for("review.queue"))


def parse_value(text: str) -> Any:
    """Read the correction box: JSON when it parses (numbers, lists, objects), else text."""
    text = (text or "").strip()
    if text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


@bp.route("/<uuid>/correct", methods=["POST"])
@role_required(Role.SUPERVISOR, Role.ADMIN)
def correct_answer(uuid: str) -> ResponseReturnValue:
    """Correct one answer with a mandatory reason; the old and new values go to the audit log."""
    submission = _visible(uuid)
    form = CorrectAnswerForm()
    if not form.validate_on_submit():
        record(
            "submission.correct_refused",
            user=current_user,
            object_type="submission",
            object_id=submission.uuid,
            submission=submission,
            reason="form incomplete",
        )
        db.session.commit()
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("review.detail", uuid=submission.uuid))
    row = form.row.data - 1 if form.row.data is not None else None
    try:
        correction = Correction(
            form.question_id.data.strip(), row, parse_value(form.value.data), form.reason.data
        )
        correct(submission, current_user, correction, current_language())
        db.session.commit()
    except SubmissionProblem as problem:
        # Nothing of the submission changed; the session holds only the audit entry of the
        # refused attempt, which is kept.
        db.session.commit()
        flash(problem.message, "error")
        for item in problem.problems:
            flash(f"{item.question_id}: {item.message}", "error")
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed this record; reload the page."), "error")
    else:
        flash(_("Correction saved."), "success")
    return redirect(url_for("review.detail", uuid=submission.uuid))


@bp.route("/conflicts")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def conflicts() -> ResponseReturnValue:
    """Interviews sent twice under one id with different content: what differs, side by side.

    A supervisor sees a conflict only when both the sender's area and the stored interview's
    area lie in their own area. Identifying answers (names, phones) are never shown; a conflict
    where either copy is of a sensitive questionnaire shows no question and no value.
    """
    rows = []
    for conflict in db.session.scalars(visible_conflicts(current_user)):
        stored_version = conflict.submission.questionnaire_version
        sent_version = db.session.scalar(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.questionnaire_id
                == str((conflict.content or {}).get("questionnaire_id")),
                QuestionnaireVersion.version
                == str((conflict.content or {}).get("questionnaire_version")),
            )
        )
        sensitive = stored_version.sensitive or (
            sent_version is not None and sent_version.sensitive
        )
        changed: list[tuple[str, str, str]] = []
        if not sensitive:
            questionnaire = questionnaire_for(stored_version)
            stored = conflict.submission.answers or {}
            sent = (conflict.content or {}).get("answers") or {}
            for key in sorted(set(stored) | set(sent)):
                if stored.get(key) != sent.get(key):
                    changed.append(
                        (
                            key,
                            shown_value(questionnaire, key, stored.get(key)),
                            shown_value(questionnaire, key, sent.get(key)),
                        )
                    )
        rows.append({"conflict": conflict, "sensitive": sensitive, "changed": changed})
    return render_template("review/conflicts.html", rows=rows, lang=current_language())


def visible_conflicts(user: User) -> Select:
    """Conflicts the user may see: all for admins; for a supervisor, those whose sender's area
    and stored interview's area both lie inside the supervisor's area."""
    query = select(SubmissionConflict).order_by(SubmissionConflict.received_at.desc())
    ids = area_ids_within(user.area) if user.role == Role.SUPERVISOR else None
    if ids is not None:
        stored_area = select(Submission.area_id).where(
            Submission.id == SubmissionConflict.submission_id
        )
        query = query.where(
            SubmissionConflict.area_id.in_(ids), stored_area.scalar_subquery().in_(ids)
        )
    return query


def shown_value(questionnaire: Any, key: str, value: Any) -> str:
    """An answer as text for the conflict table, identifying answers replaced by a marker."""
    if value is None:
        return ""
    hidden = _("(hidden: identifying)")
    try:
        question = questionnaire.question(key)
    except KeyError:
        question = None
    if question is not None and getattr(question, "identifying", False):
        return hidden
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        value = [
            {
                name: hidden if _identifying(questionnaire, name) else answer
                for name, answer in item.items()
            }
            if isinstance(item, dict)
            else item
            for item in value
        ]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _identifying(questionnaire: Any, question_id: str) -> bool:
    try:
        return bool(getattr(questionnaire.question(question_id), "identifying", False))
    except KeyError:
        return False


def _day_arg(name: str) -> date | None:
    text = request.args.get(name, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400)


@bp.route("/quality")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def quality() -> ResponseReturnValue:
    """Field quality per enumerator (and day) from paradata, with outliers flagged."""
    from .quality import CHECK_LABELS, quality_report, questionnaires_with_paradata

    versions = questionnaires_with_paradata(current_user)
    chosen = request.args.get("version", type=int)
    version = next((v for v in versions if v.id == chosen), versions[0] if versions else None)
    if chosen is not None and (version is None or version.id != chosen):
        abort(404)
    by_day = request.args.get("by") == "day"
    since, until = _day_arg("since"), _day_arg("until")
    report = quality_report(current_user, version, since, until, by_day) if version else None
    return render_template(
        "review/quality.html",
        versions=versions,
        version=version,
        report=report,
        by_day=by_day,
        since=since,
        until=until,
        checks=CHECK_LABELS,
        lang=current_language(),
    )
