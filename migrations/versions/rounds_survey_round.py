"""survey rounds: assignments, submissions and report runs belong to one round

Creates ``survey_round`` (at most one open, kept by a partial unique index), makes one default
round, open, for the data collected before rounds existed (its year is that of the oldest
submission, or this year), and adds ``round_id`` to ``assignment``, ``submission`` and
``report_run`` with every existing row moved into the default round. An assignment is now unique
per round. Nothing is lost; the downgrade drops the rounds again.

Revision ID: rounds_survey_round
Revises: gedb_indicator_store
Create Date: 2026-12-03 12:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "rounds_survey_round"
down_revision = "gedb_indicator_store"
branch_labels = None
depends_on = None


def _default_year(connection) -> int:
    oldest = connection.execute(sa.text("SELECT MIN(created_at) FROM submission")).scalar()
    if isinstance(oldest, str):  # SQLite hands back text
        oldest = datetime.fromisoformat(oldest[:19])
    return oldest.year if oldest is not None else datetime.now(UTC).year


def upgrade():
    survey_round = op.create_table(
        "survey_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label_vi", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("reference_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("field_start", sa.Date(), nullable=True),
        sa.Column("field_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('baseline', 'mid-term', 'final', 'annual')",
            name=op.f("ck_survey_round_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_survey_round_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_round")),
        sa.UniqueConstraint("code", name=op.f("uq_survey_round_code")),
    )
    op.create_index(
        "ix_survey_round_one_open",
        "survey_round",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    connection = op.get_bind()
    year = _default_year(connection)
    op.bulk_insert(
        survey_round,
        [
            {
                "id": 1,
                "code": str(year),
                "label_vi": f"Đợt điều tra {year}",
                "label_en": f"Survey round {year}",
                "reference_year": year,
                "kind": "baseline",
                "status": "open",
                "settings": {},
                "created_at": datetime.now(UTC),
            }
        ],
    )
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('survey_round', 'id'), 1)")
        )

    for table in ("assignment", "submission", "report_run"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        connection.execute(sa.text(f"UPDATE {table} SET round_id = 1"))
    with op.batch_alter_table("assignment") as batch:
        batch.alter_column("round_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_assignment_enumerator_id", type_="unique")
        batch.create_unique_constraint(
            "uq_assignment_enumerator_id",
            ["enumerator_id", "area_id", "questionnaire_id", "round_id"],
        )
        batch.create_index("ix_assignment_round_id", ["round_id"], unique=False)
        batch.create_foreign_key(
            "fk_assignment_round_id_survey_round", "survey_round", ["round_id"], ["id"]
        )
    with op.batch_alter_table("submission") as batch:
        batch.alter_column("round_id", existing_type=sa.Integer(), nullable=False)
        batch.create_index("ix_submission_round_id", ["round_id"], unique=False)
        batch.create_foreign_key(
            "fk_submission_round_id_survey_round", "survey_round", ["round_id"], ["id"]
        )
    with op.batch_alter_table("report_run") as batch:
        batch.create_index("ix_report_run_round_id", ["round_id"], unique=False)
        batch.create_foreign_key(
            "fk_report_run_round_id_survey_round", "survey_round", ["round_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("report_run") as batch:
        batch.drop_constraint("fk_report_run_round_id_survey_round", type_="foreignkey")
        batch.drop_index("ix_report_run_round_id")
        batch.drop_column("round_id")
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint("fk_submission_round_id_survey_round", type_="foreignkey")
        batch.drop_index("ix_submission_round_id")
        batch.drop_column("round_id")
    with op.batch_alter_table("assignment") as batch:
        batch.drop_constraint("fk_assignment_round_id_survey_round", type_="foreignkey")
        batch.drop_constraint("uq_assignment_enumerator_id", type_="unique")
        batch.create_unique_constraint(
            "uq_assignment_enumerator_id", ["enumerator_id", "area_id", "questionnaire_id"]
        )
        batch.drop_index("ix_assignment_round_id")
        batch.drop_column("round_id")
    op.drop_index("ix_survey_round_one_open", table_name="survey_round")
    op.drop_table("survey_round")
