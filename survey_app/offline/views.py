"""Routes of the offline app: service worker, manifest, offline pages, outbox, conflicts, import."""

from __future__ import annotations

import json
from pathlib import Path

from flask import (
    Blueprint,
    flash,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import area_ids_within, role_required
from ..api.models import SubmissionConflict
from ..extensions import db
from ..i18n import current_language
from ..models import Role
from .services import ImportFileError, import_outbox

bp = Blueprint("offline", __name__)

IMPORT_MAX_BYTES = 50 * 1024 * 1024
STATIC_JS = Path(__file__).resolve().parent.parent / "static" / "js"


@bp.get("/sw.js")
def service_worker():  # noqa: ANN201
    """The service worker, served from the root so that it may control every page."""
    response = send_from_directory(STATIC_JS, "sw.js", mimetype="application/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():  # noqa: ANN201
    """The web app manifest (installable app that opens on the offline start page)."""
    lang = current_language()
    response = jsonify(
        {
            "name": _("Gender-equality survey"),
            "short_name": "gesurvey",
            "lang": lang,
            "start_url": url_for("offline.home"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f5f8b",
            "icons": [
                {
                    "src": url_for("static", filename="img/icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                    "purpose": "any",
                }
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/collect/offline/")
@role_required(Role.ENUMERATOR)
def home():  # noqa: ANN201
    """Start page that works offline: assignments, drafts kept on the tablet, new interviews."""
    return render_template("offline/home.html", lang=current_language())


@bp.get("/collect/offline/interview")
@role_required(Role.ENUMERATOR)
def interview():  # noqa: ANN201
    """Interview shell: the form engine runs on a questionnaire version kept on the tablet."""
    return render_template("offline/interview.html", lang=current_language())


@bp.get("/collect/outbox")
@role_required(Role.ENUMERATOR)
def outbox():  # noqa: ANN201
    """What waits to be sent, what was sent, and conflicts; send now; export to a file."""
    return render_template("offline/outbox.html", lang=current_language())


@bp.get("/review/conflicts")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def conflicts():  # noqa: ANN201
    """Interviews sent twice under one id with different content: both copies, side by side."""
    query = select(SubmissionConflict).order_by(SubmissionConflict.received_at.desc())
    ids = area_ids_within(current_user.area) if current_user.role == Role.SUPERVISOR else None
    if ids is not None:
        query = query.where(SubmissionConflict.area_id.in_(ids))
    rows = []
    for conflict in db.session.scalars(query):
        stored = conflict.submission.answers or {}
        sent = (conflict.content or {}).get("answers") or {}
        changed = sorted(key for key in set(stored) | set(sent) if stored.get(key) != sent.get(key))
        sensitive = conflict.submission.questionnaire_version.sensitive
        rows.append(
            {
                "conflict": conflict,
                "sensitive": sensitive,
                "changed": [
                    (key, _shown(stored.get(key)), _shown(sent.get(key))) for key in changed
                ],
            }
        )
    return render_template("offline/conflicts.html", rows=rows, lang=current_language())


def _shown(value: object) -> str:
    """An answer as text for the conflict table (text as is, anything else as JSON)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@bp.route("/admin/import-outbox", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_file():  # noqa: ANN201
    """Upload an outbox file exported from a tablet; the exactly-once rules apply."""
    report = None
    if request.method == "POST":
        # An outbox of a long trip offline is larger than one interview: allow 50 MB here.
        request.max_content_length = IMPORT_MAX_BYTES
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose an outbox file exported from a tablet."), "error")
        else:
            try:
                report = import_outbox(
                    upload.read(), upload.filename, current_user, current_language()
                )
            except ImportFileError as error:
                db.session.rollback()
                flash(str(error), "error")
    return render_template("offline/import.html", report=report, lang=current_language())
