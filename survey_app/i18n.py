"""Pick the interface language: the user's choice, else the session's, else Vietnamese."""

from flask import current_app, session
from flask_login import current_user


def select_locale() -> str:
    """Return 'vi' or 'en' for the current request."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    lang = session.get("lang")
    if lang in languages:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Show times in Viet Nam's time zone."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    """The language of the current request, for questionnaire labels and messages."""
    return select_locale()
