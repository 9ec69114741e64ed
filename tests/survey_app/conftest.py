"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests create and drop their own database on 127.0.0.1:5432 (user postgres). They are
skipped only when no server answers and GESURVEY_REQUIRE_POSTGRES is not set (CI sets it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from survey_app import create_app
from survey_app.extensions import db

PG_ADMIN_URL = os.environ.get(
    "GESURVEY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_PASSWORD = "correct horse battery"

BASE_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
    "SERVER_NAME": "localhost",
}


def _pg_admin_engine():  # noqa: ANN202
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={
        "connect_timeout": 3})


def create_pg_database() -> str | None:
    """Create a fresh PostgreSQL database and return its URL; None when no server answers."""
    from sqlalchemy.exc import OperationalError

    name = f"gesurvey_test_{uuid.uuid4().hex[:12]}"
    engine = _pg_admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        if os.environ.get("GESURVEY_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (GESURVEY_REQUIRE_POSTGRES) but: {error}")
        return None
    finally:
        engine.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database (closing leftover connections)."""
    name = url.rsplit("/", 1)[1]
    engine = _pg_admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A database with the models' schema, for the whole session, on each backend."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    else:
        url = create_pg_database()
        if url is None:
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    if request.param == "postgres":
        drop_pg_database(url)


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def app(database_url):  # noqa: ANN001, ANN201
    """An app on a clean database (rows are removed after each test)."""
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    yield application
    with application.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):  # noqa: ANN001, ANN201
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self._client = client

    def login(self, username: str, password: str = TEST_PASSWORD):  # noqa: ANN201
        return self._client.post(
            "/auth/login", data={"username": username, "password": password}
        )

    def logout(self):  # noqa: ANN201
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client) -> AuthActions:  # noqa: ANN001
    """Login helper."""
    return AuthActions(client)
