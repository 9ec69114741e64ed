"""Pick the interface language: the user's choice, else the session's, else Vietnamese."""

import os

from flask import current_app, has_request_context, session
from flask_login import current_user


def select_locale() -> str:
    """Return 'vi' or 'en' for the current request.

    Outside a request (the command line) messages follow GESURVEY_LANG, English by default.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        lang = os.environ.get("GESURVEY_LANG", "en")
        return lang if lang in languages else "en"
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Show times in Viet Nam's time zone."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    """The language of the current request, for questionnaire labels and messages."""
    return select_locale()
