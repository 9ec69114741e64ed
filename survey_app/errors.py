"""Error pages in the user's language; JSON errors for the form engine's requests."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .security.sealing import SealingError


def wants_json() -> bool:
    """True for the browser form engine's fetch calls, which send and expect JSON."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _message(code: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        403: _("You do not have permission to open this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        409: _("Someone else changed this record; reload the page."),
        413: _("The data sent is too large."),
        500: _("Something went wrong on the server; your saved work is safe. Try again."),
    }
    return messages.get(code, _("The request could not be completed."))


def register_error_handlers(app: Flask) -> None:
    """Install handlers for CSRF failures, HTTP errors and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        message = _(
            "The form has expired or was changed outside the app (security token check "
            "failed). Reload the page and try again; nothing was saved."
        )
        if wants_json():
            return jsonify({"error": message}), 400
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(SealingError)
    def sealing_error(error: SealingError) -> ResponseReturnValue:
        # A missing or wrong data key is the operator's to fix; nothing was stored in clear.
        db.session.rollback()
        app.logger.error("data key problem: %s", error.message)
        message = _(
            "The server cannot encrypt or open the women's module (data key missing or wrong); "
            "nothing was saved. Tell the administrator."
        )
        if wants_json():
            return jsonify({"error": message}), 503
        return render_template("errors/error.html", code=503, message=message), 503

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        message = _message(code)
        if wants_json():
            return jsonify({"error": message}), code
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.exception("unhandled error")
        if isinstance(error, HTTPException):
            return http_error(error)
        message = _message(500)
        if wants_json():
            return jsonify({"error": message}), 500
        return render_template("errors/error.html", code=500, message=message), 500
