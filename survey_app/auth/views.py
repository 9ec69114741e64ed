"""Log in, log out, switch language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from ..extensions import db
from ..models import User
from ..security.login import authenticate, locked_for, note_failure, note_success
from .forms import ChooseLanguageForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_login(login_manager: LoginManager) -> None:
    """Tell Flask-Login how to load users and where the login page is."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # The id is "<user id>:<session version>"; a bumped version ends old sessions.
        user_id, _sep, version = str(session_id).partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or (user.session_version or 0) != int(version):
            return None
        return user


def safe_next(target: str | None) -> str | None:
    """Return target if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        name = form.username.data.strip()
        wait = locked_for(name)
        if wait:
            flash(
                _(
                    "Too many failed logins for this account or from this device. Wait "
                    "%(minutes)s minute(s) and try again, or ask an administrator.",
                    minutes=max(1, -(-wait // 60)),
                ),
                "error",
            )
            return render_template(
                "auth/login.html", form=form, language_form=ChooseLanguageForm()
            ), 429
        user = authenticate(name, form.password.data)
        if user is None:
            note_failure(name)
            db.session.commit()
            flash(_("Wrong user name or password."), "error")
        else:
            note_success(name)
            db.session.commit()
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for("main.index"))
    return render_template("auth/login.html", form=form, language_form=ChooseLanguageForm())


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Log out everywhere (every session of the user ends) and go back to the login page."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    """Remember the chosen language: on the user when logged in, else in the session."""
    form = ChooseLanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.language.data
        if current_user.is_authenticated:
            current_user.language = form.language.data
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("main.index"))
