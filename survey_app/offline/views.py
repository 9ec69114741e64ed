"""Routes of the offline app: service worker, manifest, offline pages and the outbox."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from ..core.access import role_required
from ..core.i18n import current_language
from ..models import Role

bp = Blueprint("offline", __name__)

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


@bp.get("/collect/offline/unavailable")
@role_required(Role.ENUMERATOR)
def unavailable():  # noqa: ANN201
    """What a page that needs the network shows offline (the service worker keeps a copy): a
    clear message that nothing is lost and the ways on that work without network."""
    return render_template("offline/unavailable.html", lang=current_language())


@bp.get("/collect/outbox")
@role_required(Role.ENUMERATOR)
def outbox():  # noqa: ANN201
    """What waits to be sent, what was sent, and conflicts; send now; export to a file."""
    return render_template("offline/outbox.html", lang=current_language())
