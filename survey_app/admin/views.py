"""Admin screens, the fieldwork progress page and the analysis export."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..core.access import area_ids_within, role_required
from ..core.audit import action_label, object_label, record
from ..core.i18n import current_language
from ..core.questionnaire_store import (
    PublishError,
    current_version,
    publish_bundled,
    questionnaire_for,
)
from ..extensions import db
from ..models import (
    Area,
    Assignment,
    AuditLog,
    QuestionnaireVersion,
    Role,
    Status,
    Submission,
    SurveyRound,
    User,
)
from . import bulk
from . import rounds as round_services
from .forms import (
    CreateAreaForm,
    CreateAssignmentForm,
    CreateUserForm,
    EditUserForm,
    ImportAssignmentsForm,
    PublishQuestionnairesForm,
    RoundForm,
    RoundStatusForm,
    ToggleUserForm,
)
from .services import (
    AdminError,
    create_assignment,
    create_user,
    find_area,
    generate_password,
    update_user,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _flash_form_errors(form) -> None:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for error in errors:
            flash(f"{label}: {error}", "error")


@bp.route("/users", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """List accounts and create one."""
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            create_user(
                form.username.data,
                form.role.data,
                form.password.data,
                area_code=form.area_code.data,
                full_name=form.full_name.data,
                language=form.language.data,
                by=current_user,
            )
            db.session.commit()
            flash(_("Account created."), "success")
            return redirect(url_for("admin.users"))
        except AdminError as error:
            db.session.rollback()
            flash(str(error), "error")
    elif request.method == "POST":
        _flash_form_errors(form)
    rows = list(db.session.scalars(select(User).order_by(User.username)))
    return render_template("admin/users.html", users=rows, form=form, toggle=ToggleUserForm())


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    """Change an account's role, area, language, active flag, or reset its password.

    A generated password is shown once on the page that answers the change and never stored
    in clear; the audit log records that it was reset, not the password.
    """
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = EditUserForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.area_code.data = user.area.code if user.area else ""
    generated = None
    if form.validate_on_submit():
        password = None
        if form.password_action.data == "typed":
            password = form.new_password.data or ""
        elif form.password_action.data == "generate":
            password = generated = generate_password()
        try:
            changed = update_user(
                user,
                role=form.role.data,
                area_code=form.area_code.data,
                language=form.language.data,
                active=form.active.data,
                password=password,
                by=current_user,
            )
            db.session.commit()
        except AdminError as error:
            db.session.rollback()
            flash(str(error), "error")
            generated = None
        else:
            if changed:
                flash(_("Account %(name)s updated.", name=user.username), "success")
            else:
                flash(_("Nothing changed."), "info")
            if generated is None:
                return redirect(url_for("admin.users"))
    elif request.method == "POST":
        _flash_form_errors(form)
    return render_template("admin/edit_user.html", user=user, form=form, generated=generated)


@bp.route("/users/<int:user_id>/toggle", methods=["POST"])
@role_required(Role.ADMIN)
def toggle_user(user_id: int) -> ResponseReturnValue:
    """Activate or deactivate an account."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not ToggleUserForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.users"))
    user.active = not user.active
    record(
        "user.active",
        user=current_user,
        object_type="user",
        object_id=user.id,
        field="active",
        old=not user.active,
        new=user.active,
    )
    db.session.commit()
    return redirect(url_for("admin.users"))


@bp.route("/areas", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def areas() -> ResponseReturnValue:
    """List areas and add one (communes and villages under the loaded districts)."""
    form = CreateAreaForm()
    if form.validate_on_submit():
        try:
            parent = find_area(form.parent_code.data)
            if db.session.scalar(select(Area).where(Area.code == form.code.data.strip())):
                raise AdminError(_("Area code %(code)s exists already.", code=form.code.data))
            area = Area(
                code=form.code.data.strip(),
                name=form.name.data.strip(),
                level=form.level.data,
                parent=parent,
            )
            db.session.add(area)
            db.session.flush()
            record(
                "area.create",
                user=current_user,
                object_type="area",
                object_id=area.code,
                new={
                    "name": area.name,
                    "level": area.level,
                    "parent": parent.code if parent else None,
                },
            )
            db.session.commit()
            flash(_("Area added."), "success")
            return redirect(url_for("admin.areas"))
        except AdminError as error:
            db.session.rollback()
            flash(str(error), "error")
    elif request.method == "POST":
        _flash_form_errors(form)
    rows = list(db.session.scalars(select(Area).order_by(Area.code)))
    return render_template("admin/areas.html", areas=rows, form=form)


def _round_fields(form: RoundForm) -> dict[str, Any]:
    return {
        "label_vi": form.label_vi.data or "",
        "label_en": form.label_en.data or "",
        "reference_year": form.reference_year.data,
        "kind": form.kind.data,
        "field_start": form.field_start.data,
        "field_end": form.field_end.data,
        "settings": {"party_term": form.party_term.data or ""},
    }


@bp.route("/rounds", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rounds() -> ResponseReturnValue:
    """List the survey rounds and create one (closed until opened)."""
    form = RoundForm()
    if form.validate_on_submit():
        try:
            round_services.create_round(form.code.data, **_round_fields(form), by=current_user)
            db.session.commit()
            flash(_("Survey round created; open it to collect into it."), "success")
            return redirect(url_for("admin.rounds"))
        except AdminError as error:
            db.session.rollback()
            flash(str(error), "error")
    elif request.method == "POST":
        _flash_form_errors(form)
    return render_template(
        "admin/rounds.html",
        rounds=round_services.list_rounds(),
        form=form,
        status_form=RoundStatusForm(),
        lang=current_language(),
        kinds=dict(form.kind.choices),
    )


@bp.route("/rounds/<code>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_round(code: str) -> ResponseReturnValue:
    """Change a round's names, year, kind, field dates and party term (its code stays)."""
    try:
        item = round_services.find_round(code)
    except AdminError:
        abort(404)
    form = RoundForm(
        obj=item, party_term=(item.settings or {}).get("party_term", ""), code=item.code
    )
    form.code.data = item.code
    if form.validate_on_submit():
        try:
            round_services.update_round(item, **_round_fields(form), by=current_user)
            db.session.commit()
            flash(_("Survey round saved."), "success")
            return redirect(url_for("admin.rounds"))
        except AdminError as error:
            db.session.rollback()
            flash(str(error), "error")
    elif request.method == "POST":
        _flash_form_errors(form)
    return render_template("admin/edit_round.html", item=item, form=form)


@bp.route("/rounds/<code>/status", methods=["POST"])
@role_required(Role.ADMIN)
def round_status(code: str) -> ResponseReturnValue:
    """Open the round (closing the open one) or close it."""
    action = request.form.get("action")
    if not RoundStatusForm().validate_on_submit() or action not in ("open", "close"):
        abort(400)
    try:
        if action == "open":
            round_services.open_round_code(code, by=current_user)
            flash(
                _("Survey round %(code)s is open: new interviews go into it.", code=code), "success"
            )
        else:
            round_services.close_round_code(code, by=current_user)
            flash(
                _(
                    "Survey round %(code)s is closed: no new interviews until a round is opened.",
                    code=code,
                ),
                "success",
            )
        db.session.commit()
    except AdminError as error:
        db.session.rollback()
        abort(404, str(error))
    return redirect(url_for("admin.rounds"))


def _questionnaire_ids() -> list[str]:
    return list(
        db.session.scalars(
            select(QuestionnaireVersion.questionnaire_id)
            .distinct()
            .order_by(QuestionnaireVersion.questionnaire_id)
        )
    )


@bp.route("/assignments", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def assignments() -> ResponseReturnValue:
    """List assignments and create one."""
    form = CreateAssignmentForm()
    form.questionnaire_id.choices = [(q, q) for q in _questionnaire_ids()]
    if form.validate_on_submit():
        try:
            create_assignment(
                form.enumerator.data,
                form.area_code.data,
                form.questionnaire_id.data,
                form.target.data,
                by=current_user,
            )
            db.session.commit()
            flash(_("Assignment created."), "success")
            return redirect(url_for("admin.assignments"))
        except AdminError as error:
            db.session.rollback()
            flash(str(error), "error")
    elif request.method == "POST":
        _flash_form_errors(form)
    return _assignments_page(form, ImportAssignmentsForm())


# At most this many import problems are listed on the page; the rest are counted.
SHOWN_IMPORT_ERRORS = 200


def _assignments_page(
    form: CreateAssignmentForm,
    upload: ImportAssignmentsForm,
    import_errors: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    rows = list(db.session.scalars(select(Assignment).order_by(Assignment.id)))
    errors = import_errors or []
    return (
        render_template(
            "admin/assignments.html",
            assignments=rows,
            form=form,
            upload=upload,
            import_errors=errors[:SHOWN_IMPORT_ERRORS],
            more_errors=max(0, len(errors) - SHOWN_IMPORT_ERRORS),
        ),
        status,
    )


@bp.route("/assignments/import", methods=["POST"])
@role_required(Role.ADMIN)
def import_assignments() -> ResponseReturnValue:
    """Create or update assignments from an uploaded CSV, all or nothing.

    When any row is wrong nothing is saved and the page lists every problem by row and column.
    """
    upload = ImportAssignmentsForm()
    form = CreateAssignmentForm(formdata=None)
    form.questionnaire_id.choices = [(q, q) for q in _questionnaire_ids()]
    if not upload.validate_on_submit():
        flash(_("Choose a CSV file of assignments."), "error")
        return _assignments_page(form, upload, status=400)
    stored = upload.file.data
    name = Path(stored.filename or "assignments.csv").name
    text = io.TextIOWrapper(stored.stream, encoding="utf-8-sig", newline="")
    try:
        result = bulk.import_assignments(text, name, by=current_user)
        db.session.commit()
    except bulk.AssignmentImportError as error:
        db.session.rollback()
        flash(str(error).splitlines()[0], "error")
        return _assignments_page(form, upload, [str(e) for e in error.errors], status=400)
    except AdminError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _assignments_page(form, upload, status=400)
    flash(
        _(
            "Assignments imported: %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for("admin.assignments"))


@bp.route("/assignments.csv")
@role_required(Role.ADMIN)
def export_assignments() -> ResponseReturnValue:
    """The current assignments as a CSV file, in the format the import reads."""
    return Response(
        bulk.export_assignments_text(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=assignments.csv"},
    )


@bp.route("/questionnaires")
@role_required(Role.ADMIN)
def questionnaires() -> ResponseReturnValue:
    """Published questionnaire versions, newest first."""
    rows = list(
        db.session.scalars(
            select(QuestionnaireVersion).order_by(
                QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.published_at.desc()
            )
        )
    )
    return render_template(
        "admin/questionnaires.html",
        versions=rows,
        form=PublishQuestionnairesForm(),
        lang=current_language(),
    )


@bp.route("/questionnaires/publish", methods=["POST"])
@role_required(Role.ADMIN)
def publish() -> ResponseReturnValue:
    """Publish the bundled questionnaires that have a new version number."""
    if not PublishQuestionnairesForm().validate_on_submit():
        abort(400)
    try:
        results = publish_bundled(current_user)
        db.session.commit()
    except PublishError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.questionnaires"))
    published = [f"{r.questionnaire_id} {r.version}" for r in results if r.outcome == "published"]
    if published:
        flash(_("Published: %(list)s.", list=", ".join(published)), "success")
    else:
        flash(_("Nothing new to publish."), "info")
    return redirect(url_for("admin.questionnaires"))


COMPLETED = (Status.SUBMITTED.value, Status.APPROVED.value, Status.RETURNED.value)


@bp.route("/progress")
@role_required(Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.VIEWER)
def progress() -> ResponseReturnValue:
    """Interviews completed, approved and returned by district and enumerator, against targets.

    Only counts: no page here shows an individual submission.
    """
    limit = area_ids_within(current_user.area) if current_user.role == Role.SUPERVISOR else None
    # Targets are households of one questionnaire: they add up within a questionnaire only
    # (a household's individual interview is not a second household).
    targets: dict[tuple, int] = defaultdict(int)
    assignment_query = select(Assignment)
    if limit is not None:
        assignment_query = assignment_query.where(Assignment.area_id.in_(limit))
    for assignment in db.session.scalars(assignment_query):
        district = assignment.area.district()
        key = (
            district.label if district else "",
            assignment.questionnaire_id,
            assignment.enumerator.username,
        )
        targets[key] += assignment.target
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    query = (
        select(
            Area,
            QuestionnaireVersion.questionnaire_id,
            User.username,
            Submission.status,
            func.count(),
        )
        .join(Area, Submission.district_id == Area.id, isouter=True)
        .join(User, Submission.enumerator_id == User.id)
        .join(QuestionnaireVersion, Submission.questionnaire_version_id == QuestionnaireVersion.id)
        .group_by(Area.id, QuestionnaireVersion.questionnaire_id, User.username, Submission.status)
    )
    if limit is not None:
        query = query.where(Submission.area_id.in_(limit))
    for district, questionnaire_id, username, status, n in db.session.execute(query):
        counts[(district.label if district else "", questionnaire_id, username)][status] += n
    keys = sorted(set(targets) | set(counts))
    show_names = current_user.role in (Role.ADMIN, Role.SUPERVISOR)
    lang = current_language()
    titles: dict[str, str] = {}
    for _district, questionnaire_id, _name in keys:
        if questionnaire_id not in titles:
            version = current_version(questionnaire_id)
            titles[questionnaire_id] = version.title(lang) if version else questionnaire_id
    rows = []
    by_district: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key in keys:
        c = counts.get(key, {})
        row: dict[str, Any] = {
            "district": key[0],
            "questionnaire": titles[key[1]],
            "enumerator": key[2],
            "target": targets.get(key, 0),
            "completed": sum(c.get(s, 0) for s in COMPLETED),
            "approved": c.get(Status.APPROVED.value, 0),
            "returned": c.get(Status.RETURNED.value, 0),
        }
        rows.append(row)
        for name in ("target", "completed", "approved", "returned"):
            by_district[(key[0], key[1])][name] += row[name]
    return render_template(
        "admin/progress.html",
        rows=rows if show_names else [],
        by_district=[
            ((district, titles[questionnaire_id]), c)
            for (district, questionnaire_id), c in sorted(by_district.items())
        ],
    )


@bp.app_template_filter("plain_json")
def plain_json(value: Any) -> str:
    """A value as JSON with its letters as they are (no \\u escapes of Vietnamese text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit() -> ResponseReturnValue:
    """The audit log, newest first (500 entries a page)."""
    page = max(request.args.get("page", 1, type=int), 1)
    entries = list(
        db.session.scalars(
            select(AuditLog).order_by(AuditLog.id.desc()).offset((page - 1) * 500).limit(500)
        )
    )
    return render_template(
        "admin/audit.html",
        entries=entries,
        page=page,
        action_label=action_label,
        object_label=object_label,
    )


def _withheld_ids(version: QuestionnaireVersion) -> frozenset[str]:
    """Ids of the questions whose answers this endpoint never returns."""
    questionnaire = questionnaire_for(version)
    return frozenset(q.id for q in questionnaire.iter_questions() if q.identifying or q.sensitive)


def _without_withheld(answers: Any, withheld: frozenset[str]) -> Any:
    """The answers with withheld questions removed, inside roster rows too."""
    if isinstance(answers, dict):
        return {
            key: _without_withheld(value, withheld)
            for key, value in answers.items()
            if key not in withheld
        }
    if isinstance(answers, list):
        return [_without_withheld(item, withheld) for item in answers]
    return answers


@bp.route("/export/<questionnaire_id>.json")
@role_required(Role.ADMIN, Role.ANALYST)
def export(questionnaire_id: str) -> ResponseReturnValue:
    """Submissions of a questionnaire as JSON for analysis: approved only unless ?status=all,
    of every round unless ?round=CODE names one; each record says its round.

    Rows carry the questionnaire version, area codes and answers, without identifying or
    sensitive answers (names, phones, the women's module): those leave the server only through
    ``gesurvey export`` with its explicit, audited options.
    """
    current = current_version(questionnaire_id)
    if current is not None and questionnaire_for(current).sensitive:
        abort(403)
    status = request.args.get("status", Status.APPROVED.value)
    query = (
        select(Submission)
        .join(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(Submission.id)
    )
    if status != "all":
        if status not in {s.value for s in Status}:
            abort(400)
        query = query.where(Submission.status == status)
    round_code = request.args.get("round")
    if round_code:
        try:
            query = query.where(Submission.round_id == round_services.find_round(round_code).id)
        except AdminError as error:
            abort(404, str(error))
    codes = dict(db.session.execute(select(SurveyRound.id, SurveyRound.code)).tuples().all())
    records = [
        {
            "uuid": s.uuid,
            "questionnaire_id": s.questionnaire_version.questionnaire_id,
            "version": s.questionnaire_version.version,
            "status": s.status,
            "round": codes.get(s.round_id),
            "area_code": s.area.code,
            "district_code": s.district.code if s.district else None,
            "submitted_at": s.submitted_at.isoformat() if s.submitted_at else None,
            "answers": _without_withheld(s.answers, _withheld_ids(s.questionnaire_version)),
        }
        for s in db.session.scalars(query)
    ]
    return jsonify(
        {
            "questionnaire_id": questionnaire_id,
            "status": status,
            "round": round_code or None,
            "records": records,
        }
    )


IMPORT_MAX_BYTES = 50 * 1024 * 1024


@bp.route("/import-outbox", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_outbox() -> ResponseReturnValue:
    """Upload an outbox file exported from a tablet; the exactly-once rules apply."""
    from ..offline.services import ImportFileError, import_outbox_file

    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose an outbox file exported from a tablet."), "error")
        else:
            try:
                report = import_outbox_file(
                    upload.read(), upload.filename, current_user, current_language()
                )
            except ImportFileError as error:
                db.session.rollback()
                flash(str(error), "error")
    return render_template("admin/import_outbox.html", report=report, lang=current_language())
