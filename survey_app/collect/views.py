"""Enumerator screens and the JSON endpoints the browser form engine calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from questionnaires.rounds import round_placeholders

from ..core.access import can_see_submission, role_required, visible_submissions
from ..core.audit import record
from ..core.i18n import current_language
from ..core.questionnaire_store import current_version, questionnaire_for
from ..core.rounds import open_round
from ..extensions import db
from ..models import EDITABLE_STATUSES, Assignment, QuestionnaireVersion, Role, Submission
from ..submissions import (
    SubmissionProblem,
    open_answers,
    put_answers,
    read_json,
    save_draft,
    start,
    submit,
    valid_uuid,
)
from ..submissions.services import no_open_round_message
from .forms import StartInterviewForm
from .services import (
    handoff_for,
    handoff_values,
    initial_answers,
    interview_summary,
    selected_person,
    usable_prefill,
)

bp = Blueprint("collect", __name__, url_prefix="/collect")


def progress_by_assignment(assignments: list[Assignment]) -> dict[int, dict[str, int]]:
    """Count the submissions of each assignment by status."""
    counts: dict[int, dict[str, int]] = {a.id: {} for a in assignments}
    if not assignments:
        return counts
    rows = db.session.execute(
        select(Submission.assignment_id, Submission.status, func.count())
        .where(Submission.assignment_id.in_(list(counts)))
        .group_by(Submission.assignment_id, Submission.status)
    )
    for assignment_id, status, n in rows:
        if assignment_id is not None:
            counts[assignment_id][status] = n
    return counts


@bp.route("/")
@role_required(Role.ENUMERATOR)
def assignments() -> ResponseReturnValue:
    """The enumerator's assignments in the open round with progress against target, and those
    of closed rounds that still hold a draft or returned interview to finish."""
    current = open_round()
    rows = list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.enumerator_id == current_user.id)
            .order_by(Assignment.id)
        )
    )
    versions = {a.questionnaire_id: current_version(a.questionnaire_id) for a in rows}
    open_interviews: dict[int, list[Submission]] = {a.id: [] for a in rows}
    for submission in db.session.scalars(
        select(Submission)
        .where(
            Submission.enumerator_id == current_user.id, Submission.status.in_(EDITABLE_STATUSES)
        )
        .order_by(Submission.updated_at.desc())
    ):
        if submission.assignment_id is not None:
            open_interviews.setdefault(submission.assignment_id, []).append(submission)
    rows = [
        a
        for a in rows
        if (current is not None and a.round_id == current.id) or open_interviews.get(a.id)
    ]
    return render_template(
        "collect/assignments.html",
        assignments=rows,
        current_round=current,
        no_round_message=no_open_round_message(),
        progress=progress_by_assignment(rows),
        open_interviews=open_interviews,
        versions=versions,
        form=StartInterviewForm(),
        lang=current_language(),
    )


@bp.route("/assignments/<int:assignment_id>/start", methods=["POST"])
@role_required(Role.ENUMERATOR)
def start_interview(assignment_id: int) -> ResponseReturnValue:
    """Create a draft for the assignment and open it."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.enumerator_id != current_user.id:
        abort(404)
    form = StartInterviewForm()
    if not form.validate_on_submit():
        abort(400)
    client_uuid = form.client_uuid.data or None
    if client_uuid and valid_uuid(client_uuid) is None:
        flash(_("The interview id made by the tablet is not valid."), "error")
        return redirect(url_for("collect.assignments"))
    if client_uuid:
        existing = db.session.scalar(
            select(Submission).where(Submission.uuid == valid_uuid(client_uuid))
        )
        if existing is not None:
            if existing.enumerator_id != current_user.id:
                abort(409)
            return redirect(url_for("collect.interview", uuid=existing.uuid))
    version = current_version(assignment.questionnaire_id)
    if version is None:
        flash(
            _(
                "Questionnaire %(id)s is not published yet; ask the administrator.",
                id=assignment.questionnaire_id,
            ),
            "error",
        )
        return redirect(url_for("collect.assignments"))
    others = list(
        db.session.scalars(
            select(Submission).where(
                Submission.assignment_id == assignment.id,
                Submission.enumerator_id == current_user.id,
            )
        )
    )
    return _begin(
        assignment,
        version,
        client_uuid,
        lambda: initial_answers(version, assignment.area, others, assignment.households),
    )


def _begin(
    assignment: Assignment,
    version: QuestionnaireVersion,
    client_uuid: str | None,
    answers: Callable[[], dict[str, Any]],
) -> ResponseReturnValue:
    """Start a draft of the assignment with the answers it begins with (audited) and open it."""
    try:
        submission = start(current_user, assignment, version, client_uuid)
    except SubmissionProblem as problem:
        flash(problem.message, "error")
        return redirect(url_for("collect.assignments"))
    put_answers(submission, answers())
    db.session.add(submission)
    db.session.flush()
    record(
        "submission.start",
        user=current_user,
        object_type="submission",
        object_id=submission.uuid,
        submission=submission,
        field="status",
        new=submission.status,
    )
    db.session.commit()
    return redirect(url_for("collect.interview", uuid=submission.uuid))


def _handoffs(submission: Submission, assignments: list[Assignment]) -> list[dict[str, Any]]:
    """The interviews a household interview can start for the person it selected: the
    enumerator's assignments in its area whose questionnaire's unit the household form hands
    off to (questionnaires/FORMAT.md, "Selection and hand-off")."""
    version = submission.questionnaire_version
    if version.sensitive or version.unit != "household":
        return []
    questionnaire = questionnaire_for(version)
    person = selected_person(questionnaire, open_answers(submission))
    if person is None:
        return []
    found = []
    for assignment in assignments:
        target = current_version(assignment.questionnaire_id)
        if assignment.area_id != submission.area_id or target is None:
            continue
        handoff = handoff_for(questionnaire, target.unit)
        if handoff is None:
            continue
        if handoff_values(questionnaire, open_answers(submission), person, handoff) is None:
            continue
        found.append(
            {"assignment": assignment, "version": target, "name": person.name, "line": person.line}
        )
    return found


@bp.route("/interview/<uuid>/handoff/<int:assignment_id>", methods=["POST"])
@role_required(Role.ENUMERATOR)
def handoff(uuid: str, assignment_id: int) -> ResponseReturnValue:
    """Start the interview of the person a household selected, filled in as the household
    form's selection rule says (the women's module gets only the link code, sex and age)."""
    household = _own_submission(uuid)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.enumerator_id != current_user.id:
        abort(404)
    if not StartInterviewForm().validate_on_submit():
        abort(400)
    offered = {item["assignment"].id: item for item in _handoffs(household, [assignment])}
    if assignment.id not in offered:
        flash(_("This household has not selected a person for that questionnaire yet."), "error")
        return redirect(url_for("collect.submissions"))
    version = offered[assignment.id]["version"]
    source = questionnaire_for(household.questionnaire_version)
    answers = open_answers(household)
    person = selected_person(source, answers)
    rule = handoff_for(source, version.unit)
    assert person is not None and rule is not None  # offered only when both exist
    values = handoff_values(source, answers, person, rule) or {}
    return _begin(
        assignment, version, None, lambda: usable_prefill(questionnaire_for(version), values)
    )


@bp.route("/submissions")
@role_required(Role.ENUMERATOR)
def submissions() -> ResponseReturnValue:
    """The enumerator's own interviews (drafts, submitted, returned...), newest first."""
    query = visible_submissions(current_user, select(Submission)).order_by(
        Submission.updated_at.desc()
    )
    rows = list(db.session.scalars(query))
    assignments = list(
        db.session.scalars(select(Assignment).where(Assignment.enumerator_id == current_user.id))
    )
    return render_template(
        "collect/submissions.html",
        submissions=rows,
        summaries={s.uuid: interview_summary(s) for s in rows},
        handoffs={s.uuid: _handoffs(s, assignments) for s in rows},
        form=StartInterviewForm(),
        lang=current_language(),
    )


def _own_submission(uuid: str) -> Submission:
    canonical = valid_uuid(uuid)
    submission = (
        db.session.scalar(select(Submission).where(Submission.uuid == canonical))
        if canonical
        else None
    )
    if submission is None:
        abort(404)
    if submission.enumerator_id != current_user.id or not can_see_submission(
        current_user, submission
    ):
        abort(403)
    return submission


@bp.route("/interview/<uuid>")
@role_required(Role.ENUMERATOR)
def interview(uuid: str) -> ResponseReturnValue:
    """The interview page: the form engine renders the questionnaire it fetches as JSON."""
    submission = _own_submission(uuid)
    if not submission.editable:
        flash(_("This interview is submitted; it can no longer be changed."), "info")
        return redirect(url_for("collect.submissions"))
    # The mount contract's JSON. The questionnaire is not in it: the form engine fetches it
    # from its versioned API address, which the browser then keeps (published versions never
    # change), so every later page of the same questionnaire arrives without it.
    version = submission.questionnaire_version
    questionnaire_url = url_for(
        "api.questionnaire_version",
        questionnaire_id=version.questionnaire_id,
        version=version.version,
    )
    data_json = htmlsafe_json_dumps(
        {
            "questionnaire_url": questionnaire_url,
            "answers": open_answers(submission),
            "paradata": submission.paradata,
            "page": submission.page,
            "submission": {
                "uuid": submission.uuid,
                "status": submission.status,
                "row_version": submission.row_version,
            },
            "errors": [],
            # The interview's own round fills "{round.…}" in question texts (FORMAT.md).
            "placeholders": round_placeholders(submission.survey_round.settings),
        }
    )
    return render_template(
        "collect/interview.html",
        submission=submission,
        data_json=data_json,
        questionnaire_url=questionnaire_url,
        lang=current_language(),
    )


def _json_problem(problem: SubmissionProblem, submission: Submission) -> ResponseReturnValue:
    db.session.rollback()
    body: dict = {"error": problem.message, "row_version": submission.row_version}
    if problem.status == 422:
        body["errors"] = [p.as_dict() for p in problem.problems] or [
            {"question_id": None, "row": None, "message": problem.message}
        ]
    return jsonify(body), problem.status


def _stale(uuid: str) -> ResponseReturnValue:
    db.session.rollback()
    current = db.session.scalar(select(Submission.row_version).where(Submission.uuid == uuid))
    return (
        jsonify(
            {
                "error": _("This interview was saved from another page or device; reload."),
                "row_version": current,
            }
        ),
        409,
    )


@bp.route("/interview/<uuid>/draft", methods=["POST"])
@role_required(Role.ENUMERATOR)
def draft(uuid: str) -> ResponseReturnValue:
    """Save the answers as they are; 200 with the new row_version, 409 when stale."""
    submission = _own_submission(uuid)
    try:
        save_draft(submission, current_user, read_json(request), checked=True)
        db.session.commit()
    except SubmissionProblem as problem:
        return _json_problem(problem, submission)
    except StaleDataError:
        return _stale(submission.uuid)
    return jsonify({"row_version": submission.row_version})


@bp.route("/interview/<uuid>/submit", methods=["POST"])
@role_required(Role.ENUMERATOR)
def submit_interview(uuid: str) -> ResponseReturnValue:
    """Validate on the server and submit; 422 with field errors in the user's language."""
    submission = _own_submission(uuid)
    try:
        submit(submission, current_user, read_json(request), current_language(), checked=True)
        db.session.commit()
    except SubmissionProblem as problem:
        return _json_problem(problem, submission)
    except StaleDataError:
        return _stale(submission.uuid)
    flash(_("Interview submitted. Thank you."), "success")
    return jsonify(
        {"redirect": url_for("collect.assignments"), "row_version": submission.row_version}
    )
