"""Configuration defaults: SQLite under instance/ unless DATABASE_URL names another database."""

import os
import secrets
from pathlib import Path

LANGUAGES = ("vi", "en")


def database_url(instance_path: str) -> str:
    """Return the SQLAlchemy URL: DATABASE_URL when set, else instance/gesurvey.sqlite."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "gesurvey.sqlite")
    # Heroku-style and plain postgresql:// URLs both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: str) -> tuple[str, bool]:
    """Return (key, is_random): GESURVEY_SECRET_KEY, else the key `gesurvey setup` wrote
    (instance/secret_key, or GESURVEY_SECRET_KEY_FILE).

    Without either, a random key is used: the app works but sessions end at restart.
    """
    key = os.environ.get("GESURVEY_SECRET_KEY")
    if key:
        return key, False
    path = Path(os.environ.get("GESURVEY_SECRET_KEY_FILE") or Path(instance_path) / "secret_key")
    if path.is_file():
        return path.read_text(encoding="utf-8").strip(), False
    return secrets.token_hex(32), True


def default_config(instance_path: str) -> dict:
    """Build the default configuration for an app whose instance folder is instance_path."""
    secure = os.environ.get("GESURVEY_SECURE_COOKIES", "0") == "1"
    key, is_random = secret_key(instance_path)
    return {
        "SECRET_KEY": key,
        "SECRET_KEY_IS_RANDOM": is_random,
        "SECRET_KEY_FILE": os.environ.get("GESURVEY_SECRET_KEY_FILE")
        or str(Path(instance_path) / "secret_key"),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # hide_parameters: a database error never writes the statement's values (answers) to
        # the log.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "DATA_KEY_FILE": os.environ.get("GESURVEY_DATA_KEY_FILE")
        or str(Path(instance_path) / "data_key"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "WTF_CSRF_TIME_LIMIT": None,  # an interview can stay open all day on a tablet
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": LANGUAGES,
        # Tests lower this to a fast method; production keeps werkzeug's scrypt default.
        "PASSWORD_HASH_METHOD": "scrypt",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }
