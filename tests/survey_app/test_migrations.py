"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from survey_app import create_app
from survey_app.extensions import db

from .conftest import BASE_CONFIG, create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    """An empty database of each kind (no tables at all)."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "empty.sqlite")
        return
    url = create_pg_database()
    if url is None:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    yield url
    drop_pg_database(url)


def test_migrations_on_empty_database_match_models(empty_database) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], f"models and migrations differ: {differences}"


def test_migrations_downgrade_to_empty(empty_database) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(db.inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


def test_migrated_database_refuses_to_change_the_audit_log(empty_database) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_log (created_at, action, object_type, object_id, reason) "
                    "VALUES (CURRENT_TIMESTAMP, 'test', 'test', '1', '')"
                )
            )
        for statement in ("UPDATE audit_log SET reason = 'rewritten'", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as connection:
                connection.execute(text(statement))
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT reason FROM audit_log")).scalars().all() == [""]
        db.engine.dispose()
