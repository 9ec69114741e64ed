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


BEFORE_ROUNDS = "gedb_indicator_store"
OLD_ROWS = [
    "INSERT INTO area (id, code, name, level) VALUES (1, '17801001', 'Khối 1', 'village')",
    'INSERT INTO "user" (id, username, full_name, password_hash, role, language, active, '
    "created_at) VALUES (1, 'enum', '', 'x', 'enumerator', 'vi', TRUE, '2017-10-01 08:00:00')",
    "INSERT INTO questionnaire_version (id, questionnaire_id, version, content_hash, title_vi, "
    "title_en, unit, definition, published_at) VALUES (1, 'household', '1.0.0', 'h', 'Hộ', "
    "'Household', 'household', '{}', '2017-10-01 08:00:00')",
    "INSERT INTO assignment (id, enumerator_id, area_id, questionnaire_id, target, created_at) "
    "VALUES (1, 1, 1, 'household', 20, '2017-10-01 08:00:00')",
    "INSERT INTO submission (id, uuid, questionnaire_version_id, area_id, enumerator_id, "
    "assignment_id, answers, page, status, review_comment, created_at, updated_at, row_version) "
    "VALUES (1, '00000000-0000-0000-0000-000000000001', 1, 1, 1, 1, '{\"HH01\": 2}', 0, "
    "'approved', '', '2017-10-02 08:00:00', '2017-10-02 08:00:00', 1)",
    "INSERT INTO report_run (id, title, source, lang, plan, folder, manifest, created_at) "
    "VALUES (1, 'Old', 'upload', 'vi', '', 'run-1', '{}', '2017-12-01 08:00:00')",
]


def test_existing_data_moves_into_one_open_default_round(empty_database) -> None:
    """Rows collected before rounds existed all land in one default round, dated by the oldest
    interview, and nothing is lost either way."""
    from sqlalchemy import text

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision=BEFORE_ROUNDS)
        with db.engine.begin() as connection:
            for statement in OLD_ROWS:
                connection.execute(text(statement))
        upgrade()
        with db.engine.connect() as connection:
            rounds = connection.execute(
                text("SELECT id, code, reference_year, kind, status FROM survey_round")
            ).all()
            stamped = [
                connection.execute(text(f"SELECT round_id FROM {table}")).scalar_one()
                for table in ("assignment", "submission", "report_run")
            ]
            answers = connection.execute(text("SELECT answers FROM submission")).scalar_one()
        # A second round gets the next id (the default round's id was written by hand).
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO survey_round (code, label_vi, label_en, reference_year, kind, "
                    "status, settings, created_at) VALUES ('2018', 'Giữa kỳ', 'Mid-term', 2018, "
                    "'mid-term', 'closed', '{}', '2018-01-01 00:00:00')"
                )
            )
            second = connection.execute(
                text("SELECT id FROM survey_round WHERE code = '2018'")
            ).scalar_one()
        downgrade(revision=BEFORE_ROUNDS)
        with db.engine.connect() as connection:
            kept = connection.execute(text("SELECT uuid, status FROM submission")).all()
        db.engine.dispose()
    assert rounds == [(1, "2017", 2017, "baseline", "open")]
    assert stamped == [1, 1, 1] and second == 2
    assert "HH01" in (answers if isinstance(answers, str) else str(answers))
    assert kept == [("00000000-0000-0000-0000-000000000001", "approved")]
