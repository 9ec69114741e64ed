"""Route the home page by role."""

import functools
from importlib import metadata

from flask import Blueprint, Response, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.i18n import current_language
from ..models import Role

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {
    Role.ADMIN: "admin.progress",
    Role.SUPERVISOR: "review.queue",
    Role.ENUMERATOR: "collect.assignments",
    Role.ANALYST: "admin.progress",
    Role.VIEWER: "admin.progress",
}


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """Redirect to the user's starting screen."""
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


def status_label(status: str) -> str:
    """A submission status in the user's language."""
    labels = {
        "draft": _("Draft"),
        "submitted": _("Submitted"),
        "returned": _("Returned for correction"),
        "approved": _("Approved"),
        "rejected": _("Rejected"),
    }
    return labels.get(status, status)


def role_label(role: str) -> str:
    """A role in the user's language."""
    labels = {
        "admin": _("Administrator"),
        "supervisor": _("Supervisor"),
        "enumerator": _("Enumerator"),
        "analyst": _("Analyst"),
        "viewer": _("Department viewer"),
    }
    return labels.get(role, role)


@functools.cache
def app_version() -> str:
    """The installed gesurvey version, recorded in each interview's paradata."""
    try:
        return f"gesurvey {metadata.version('gesurvey')}"
    except metadata.PackageNotFoundError:
        return "gesurvey"


@bp.app_context_processor
def template_helpers() -> dict:
    """Helpers every template can use."""
    return {
        "app_version": app_version(),
        "status_label": status_label,
        "role_label": role_label,
        "Role": Role,
        "current_lang": current_language(),
        "format_datetime": format_datetime,
    }


# Every asset is served by the app: the policy forbids loading anything from elsewhere, so a
# stray CDN link fails loudly in testing instead of silently on a tablet without internet.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Add the content security policy and the usual hardening headers to every response
    (a header the view set itself is kept); the response's header names are read once."""
    present = {name.lower() for name, _value in response.headers}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            response.headers.add(name, value)
    return response
