"""Results page: list runs, add and publish them, download reports and department packs."""

from __future__ import annotations

import io
import zipfile

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.security import safe_join

from ..core.access import role_required
from ..core.i18n import current_language
from ..extensions import db
from ..models import Role, User
from .forms import PublishRunForm, RunReportForm, SetDepartmentForm, UploadRunForm
from .models import ReportRun, ViewerDepartment
from .services import (
    MANAGE_ROLES,
    READ_ROLES,
    ResultsError,
    add_zip,
    clean_relative,
    department_of,
    known_departments,
    may_manage,
    may_see_path,
    may_see_run,
    pack_files,
    packs_for,
    publish,
    report_files,
    run_folder,
    run_on_approved,
    set_department,
    visible_runs,
    withdraw,
)

bp = Blueprint("results", __name__, url_prefix="/results")


def _run_or_404(run_id: int) -> ReportRun:
    run = db.session.get(ReportRun, run_id)
    if run is None or not may_see_run(current_user, run):
        abort(404)
    return run


def _run_form(form: RunReportForm) -> RunReportForm:
    """The run form with the survey rounds to choose from (the open one first)."""
    from ..export.service import choose_round
    from ..models import SurveyRound

    lang = current_language()
    rounds = list(db.session.scalars(select(SurveyRound).order_by(SurveyRound.id.desc())))
    first = choose_round(None).code if rounds else None
    rounds.sort(key=lambda r: r.code != first)
    form.round.choices = [(r.code, f"{r.code} · {r.label(lang)}") for r in rounds]
    return form


@bp.route("/")
@role_required(*READ_ROLES)
def index():  # noqa: ANN201
    """Runs the user may see; analysts also get the forms to add runs."""
    runs = visible_runs(current_user)
    own = department_of(current_user) if current_user.role == Role.VIEWER.value else None
    return render_template(
        "results/index.html",
        runs=runs,
        manage=may_manage(current_user),
        upload=UploadRunForm(),
        run_form=_run_form(RunReportForm(lang=current_language())),
        publish_form=PublishRunForm(),
        department=own,
        departments=known_departments(),
    )


@bp.route("/<int:run_id>")
@role_required(*READ_ROLES)
def run(run_id: int):  # noqa: ANN201
    """One run: the full report's files (if allowed) and the department packs."""
    report_run = _run_or_404(run_id)
    viewer = current_user.role == Role.VIEWER.value
    packs = packs_for(current_user, report_run)
    return render_template(
        "results/run.html",
        run=report_run,
        manage=may_manage(current_user),
        files=[] if viewer else report_files(report_run),
        packs={code: (label, pack_files(report_run, code)) for code, label in packs.items()},
        publish_form=PublishRunForm(),
        department=department_of(current_user) if viewer else None,
    )


@bp.route("/<int:run_id>/files/<path:filename>")
@role_required(*READ_ROLES)
def download(run_id: int, filename: str):  # noqa: ANN201
    """One file of a run, if the user's role allows that file."""
    report_run = _run_or_404(run_id)
    if clean_relative(filename) is None:
        abort(404)  # ".." and the like name no file of the run
    if not may_see_path(current_user, report_run, filename):
        abort(403)
    path = safe_join(str(run_folder(report_run)), filename)
    if path is None:
        abort(404)
    try:
        return send_file(path, as_attachment=True)
    except FileNotFoundError:
        abort(404)


@bp.route("/<int:run_id>/packs/<department>.zip")
@role_required(*READ_ROLES)
def pack(run_id: int, department: str):  # noqa: ANN201
    """One department's pack as a zip (viewers: only their own department)."""
    report_run = _run_or_404(run_id)
    if department not in packs_for(current_user, report_run):
        abort(403 if current_user.role == Role.VIEWER.value else 404)
    files = pack_files(report_run, department)
    if not files:
        abort(404)
    folder = run_folder(report_run)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            archive.write(folder / name, arcname=name.split("/", 1)[1])
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{department}_{report_run.id}.zip",
    )


@bp.route("/upload", methods=["POST"])
@role_required(*MANAGE_ROLES)
def upload():  # noqa: ANN201
    """Add a run from a zip of a report folder (not yet published)."""
    form = UploadRunForm()
    if not form.validate_on_submit():
        flash(_("Choose the zip file of a report folder."), "error")
        return redirect(url_for("results.index"))
    try:
        added = add_zip(form.archive.data.stream, form.title.data or "", current_user)
        db.session.commit()
    except ResultsError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("results.index"))
    flash(_("Run added; publish it to show it to departments."), "success")
    return redirect(url_for("results.run", run_id=added.id))


@bp.route("/run", methods=["POST"])
@role_required(*MANAGE_ROLES)
def run_report():  # noqa: ANN201
    """Run the table plan on the approved submissions and add the result (not yet published)."""
    form = _run_form(RunReportForm())
    if not form.validate_on_submit():
        flash(_("Choose the report language."), "error")
        return redirect(url_for("results.index"))
    try:
        added = run_on_approved(
            form.title.data or "", form.lang.data, current_user, round_code=form.round.data or None
        )
        db.session.commit()
    except ResultsError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("results.index"))
    flash(
        _("Report made from the approved submissions; publish it to show it to departments."),
        "success",
    )
    return redirect(url_for("results.run", run_id=added.id))


@bp.route("/<int:run_id>/publish", methods=["POST"])
@role_required(*MANAGE_ROLES)
def publish_run(run_id: int):  # noqa: ANN201
    """Publish a run."""
    report_run = _run_or_404(run_id)
    if PublishRunForm().validate_on_submit():
        publish(report_run, current_user)
        db.session.commit()
        flash(_("Run published."), "success")
    return redirect(url_for("results.run", run_id=report_run.id))


@bp.route("/<int:run_id>/withdraw", methods=["POST"])
@role_required(*MANAGE_ROLES)
def withdraw_run(run_id: int):  # noqa: ANN201
    """Withdraw a published run."""
    report_run = _run_or_404(run_id)
    if PublishRunForm().validate_on_submit():
        withdraw(report_run, current_user)
        db.session.commit()
        flash(_("Run withdrawn."), "success")
    return redirect(url_for("results.run", run_id=report_run.id))


@bp.route("/departments", methods=["GET", "POST"])
@role_required(Role.ADMIN.value)
def departments():  # noqa: ANN201
    """Which department each department viewer belongs to."""
    form = SetDepartmentForm()
    if form.validate_on_submit():
        viewer = db.session.scalar(select(User).where(User.username == form.username.data))
        if viewer is None:
            flash(_("No user %(name)s.", name=form.username.data), "error")
        else:
            try:
                set_department(viewer, form.department.data, current_user)
                db.session.commit()
                flash(_("Department saved."), "success")
            except ResultsError as error:
                db.session.rollback()
                flash(str(error), "error")
        return redirect(url_for("results.departments"))
    viewers = db.session.scalars(
        select(User).where(User.role == Role.VIEWER.value).order_by(User.username)
    ).all()
    links = {link.user_id: link.department for link in db.session.scalars(select(ViewerDepartment))}
    return render_template(
        "results/departments.html",
        form=form,
        viewers=viewers,
        links=links,
        departments=known_departments(),
    )
