"""Log in, log out, switch language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..models import User
from .forms import ChooseLanguageForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_login(login_manager: LoginManager) -> None:
    """Tell Flask-Login how to load users and where the login page is."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))


def safe_next(target: str | None) -> str | None:
    """Return target if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None or not user.check_password(form.password.data) or not user.active:
            flash(_("Wrong user name or password."), "error")
        else:
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for("main.index"))
    return render_template("auth/login.html", form=form, language_form=ChooseLanguageForm())


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # noqa: ANN201
    """Log out and go back to the login page."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():  # noqa: ANN201
    """Remember the chosen language: on the user when logged in, else in the session."""
    form = ChooseLanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.language.data
        if current_user.is_authenticated:
            current_user.language = form.language.data
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("main.index"))
