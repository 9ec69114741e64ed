"""The gesurvey collection web app: ``create_app`` configures it and does nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from .config import default_config
from .extensions import babel, csrf, db, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

__all__ = ["create_app", "MIGRATIONS_DIR"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers.

    config overrides the defaults (tests pass their database URL and switches here).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(default_config(app.instance_path))
    if config:
        app.config.from_mapping(config)
    if app.config.get("SECRET_KEY_IS_RANDOM") and not (config or {}).get("SECRET_KEY"):
        app.logger.warning(
            "no session key: set GESURVEY_SECRET_KEY or run `gesurvey setup`; with a random key "
            "sessions end at restart and differ between worker processes"
        )

    from . import auth as auth_module
    from . import delivery
    from .i18n import select_locale, select_timezone
    from .security import database as _database  # noqa: F401  (SQLite file made 0600)
    from .security import limits

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    limits.install(app)  # before CSRF, which reads the form
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    auth_module.init_login(login_manager)
    delivery.init_app(app)

    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .collect import bp as collect_bp
    from .errors import register_error_handlers
    from .main import bp as main_bp
    from .offline import bp as offline_bp
    from .results import bp as results_bp
    from .review import bp as review_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(collect_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(results_bp)
    register_error_handlers(app)
    return app
