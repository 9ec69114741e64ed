"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests create and drop their own database on 127.0.0.1:5432 (user postgres). They are
skipped only when no server answers and GESURVEY_REQUIRE_POSTGRES is not set (CI sets it).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
    # The women's module is sealed with this fixed test key (production: instance/data_key).
    "DATA_KEY": "Aoa8Dn5DEPE5HX5li_iCE5x7O5UiUI5VUt4B1wHwCaA=",
}


def _pg_admin_engine():
    from sqlalchemy import create_engine

    return create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )


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


@pytest.fixture(scope="session")
def shared_app(database_url):
    """One app per database for the whole session (building one compiles every template)."""
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with application.app_context():
        skip_disk_flushes(db.engine)
    yield application
    with application.app_context():
        db.engine.dispose()


def skip_disk_flushes(engine) -> None:
    """Commit without waiting for the disk: test data need not survive a power cut, and the
    suite runs several times faster on a busy machine. Transactions behave as before."""
    from sqlalchemy import event

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET synchronous_commit = off")
        else:
            cursor.execute("PRAGMA synchronous = OFF")
        cursor.close()
        if engine.dialect.name == "postgresql":
            dbapi_connection.commit()

    event.listen(engine, "connect", on_connect)


@pytest.fixture
def app(shared_app):
    """The app on a clean database: rows and config changes are undone after each test."""
    saved = dict(shared_app.config)
    yield shared_app
    shared_app.config.clear()
    shared_app.config.update(saved)
    with shared_app.app_context():
        from survey_app.core.rounds import forget_open_round

        db.session.remove()
        _empty_tables()
        forget_open_round()  # the next test's rounds are new rows


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture(scope="session")
def report_folder(tmp_path_factory) -> Path:
    """What `gesurvey analyze report` writes (no PDF) for a simulated survey of 1,500 households
    with the bundled plan: built once for every test that publishes a real report, on both
    database backends (the SQLite tests all run before the PostgreSQL ones, so a module
    fixture would be built twice)."""
    from analysis.report import run_report
    from analysis.synthetic.run import simulate
    from questionnaires.plans import bundled_plan_path

    root = tmp_path_factory.mktemp("report_folder")
    simulate(1500, 5, root / "data")
    run_report(root / "data", bundled_plan_path(), root / "out", pdf=False)
    return root / "out"


class GesurveyRunner:
    """Invoke the ``gesurvey`` command group against the test app."""

    def __init__(self, app) -> None:
        self._runner = app.test_cli_runner()

    def invoke(self, args: list[str], **kwargs):
        from survey_app.cli import cli

        return self._runner.invoke(cli, args=args, **kwargs)


@pytest.fixture
def runner(app) -> GesurveyRunner:
    """A CLI runner bound to the app."""
    return GesurveyRunner(app)


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, username: str, password: str = TEST_PASSWORD):
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    """Login helper."""
    return AuthActions(client)


TEST_FORM = Path(__file__).parent / "data" / "test_household.json"


def load_test_form() -> dict:
    """The small household form used by the web tests (roster, skipped section, constraints)."""
    return json.loads(TEST_FORM.read_text(encoding="utf-8"))


@dataclass
class World:
    """Ids and names of the rows the access tests need."""

    version_id: int
    own_draft: str
    own_submitted: str
    other_submitted: str
    assignment_id: int
    other_assignment_id: int
    users: dict[str, str] = field(default_factory=dict)


ROLES_USERS = {
    "admin": ("admin", None),
    "supervisor": ("sup178", "178"),
    "enumerator": ("enum178", "17801001"),
    "analyst": ("analyst", None),
    "viewer": ("viewer", None),
}


def build_world(app) -> World:
    """Areas (province 20, districts 178 and 180, a commune and village in each), one user per
    role plus a second supervisor and enumerator in district 180, the test form published, two
    assignments and three submissions.
    """
    from survey_app.admin.services import create_assignment, create_user
    from survey_app.core.questionnaire_store import publish
    from survey_app.models import Area, Status, Submission
    from survey_app.submissions import start

    with app.app_context():
        province = Area(code="20", name="Tỉnh Lạng Sơn", level="province")
        d178 = Area(code="178", name="Thành phố Lạng Sơn", level="district", parent=province)
        d180 = Area(code="180", name="Huyện Tràng Định", level="district", parent=province)
        c1 = Area(code="17801", name="Phường Chi Lăng", level="commune", parent=d178)
        c2 = Area(code="18001", name="Thị trấn Thất Khê", level="commune", parent=d180)
        v1 = Area(code="17801001", name="Khối 1", level="village", parent=c1)
        v2 = Area(code="18001001", name="Khu 1", level="village", parent=c2)
        db.session.add_all([province, d178, d180, c1, c2, v1, v2])
        db.session.flush()
        users = {}
        for role, (name, area) in ROLES_USERS.items():
            create_user(name, role, TEST_PASSWORD, area_code=area)
            users[role] = name
        create_user("sup180", "supervisor", TEST_PASSWORD, area_code="180")
        create_user("enum180", "enumerator", TEST_PASSWORD, area_code="18001001")
        publish(load_test_form())
        db.session.flush()
        from survey_app.core.questionnaire_store import current_version

        version = current_version("test_household")
        a1 = create_assignment("enum178", "17801001", "test_household", 20)
        a2 = create_assignment("enum180", "18001001", "test_household", 15)
        enum178 = a1.enumerator
        draft = start(enum178, a1, version, None)
        submitted = start(enum178, a1, version, None)
        submitted.status = Status.SUBMITTED.value
        other = start(a2.enumerator, a2, version, None)
        other.status = Status.SUBMITTED.value
        db.session.add_all([draft, submitted, other])
        db.session.commit()
        assert isinstance(draft, Submission)
        return World(
            version_id=version.id,
            own_draft=draft.uuid,
            own_submitted=submitted.uuid,
            other_submitted=other.uuid,
            assignment_id=a1.id,
            other_assignment_id=a2.id,
            users=users,
        )


@pytest.fixture
def world(app) -> World:
    """A small populated database (see build_world)."""
    return build_world(app)
