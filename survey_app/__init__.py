"""The gesurvey collection web app: ``create_app`` configures it and does nothing else.

Importing the package loads nothing else: Flask and the database layer are imported when an app
is built, so the ``gesurvey`` command's analysis and questionnaire commands (which live in the
same command group) start without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

__all__ = ["create_app", "MIGRATIONS_DIR", "__version__"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers.

    config overrides the defaults (tests pass their database URL and switches here).
    """
    from flask import Flask

    from .config import default_config
    from .extensions import babel, csrf, db, login_manager, migrate
    from .security.session_cookie import SessionInterface

    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = SessionInterface()
    app.config.from_mapping(default_config(app.instance_path))
    if config:
        app.config.from_mapping(config)
    if app.config.get("SECRET_KEY_IS_RANDOM") and not (config or {}).get("SECRET_KEY"):
        _warn_on_first_request_without_key(app)

    from . import delivery
    from .auth.views import init_login
    from .core.i18n import select_locale, select_timezone
    from .security import database as _database  # noqa: F401  (SQLite file made 0600)
    from .security import limits

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    limits.install(app)  # before CSRF, which reads the form
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_login(login_manager)
    delivery.init_app(app)

    from .admin.views import bp as admin_bp
    from .api.views import bp as api_bp
    from .auth.views import bp as auth_bp
    from .collect.views import bp as collect_bp
    from .errors import register_error_handlers
    from .indicators.views import bp as indicators_bp
    from .main.views import bp as main_bp
    from .offline.views import bp as offline_bp
    from .results.views import bp as results_bp
    from .review.views import bp as review_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(collect_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(indicators_bp)
    register_error_handlers(app)
    return app


def _warn_on_first_request_without_key(app: Flask) -> None:
    """Log once, when the app first serves a page, that its session key is a random one.

    Said when serving rather than when the app is built, so commands that do not serve pages
    (``gesurvey setup``, which writes the key, among them) do not tell the user to run themselves.
    """
    warned = False

    @app.before_request
    def warn_once() -> None:
        nonlocal warned
        if not warned and app.config.get("SECRET_KEY_IS_RANDOM"):
            warned = True
            app.logger.warning(
                "no session key: set GESURVEY_SECRET_KEY or run `gesurvey setup`; with a random "
                "key sessions end at restart and differ between worker processes"
            )
