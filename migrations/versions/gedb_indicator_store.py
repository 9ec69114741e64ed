"""gedb: the indicator store (figures by indicator, area, period and cell) and its revisions

Revision ID: gedb_indicator_store
Revises: paradata_submission_column
Create Date: 2026-12-03 09:09:24.832080

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "gedb_indicator_store"
down_revision = "paradata_submission_column"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "indicator_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=32), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("cell", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("std_error", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n_unweighted", sa.Integer(), nullable=True),
        sa.Column("flag", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("report_run_id", sa.Integer(), nullable=True),
        sa.Column("estimator", sa.String(length=8), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "estimator IS NULL OR estimator IN ('direct', 'model')",
            name=op.f("ck_indicator_value_estimator"),
        ),
        sa.CheckConstraint("sex IN ('T', 'F', 'M')", name=op.f("ck_indicator_value_sex_known")),
        sa.CheckConstraint(
            "source_kind IN ('survey', 'department', 'district', 'commune_form', 'import')",
            name=op.f("ck_indicator_value_source_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved')",
            name=op.f("ck_indicator_value_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user.id"], name=op.f("fk_indicator_value_approved_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_indicator_value_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["user.id"], name=op.f("fk_indicator_value_entered_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["report_run_id"],
            ["report_run.id"],
            name=op.f("fk_indicator_value_report_run_id_report_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_value")),
        sa.UniqueConstraint(
            "indicator_code", "area_id", "period", "sex", "cell", name="uq_indicator_value_cell"
        ),
    )
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_value_area_period", ["area_id", "period"], unique=False)
        batch_op.create_index(
            "ix_indicator_value_status_period", ["status", "period"], unique=False
        )

    op.create_table(
        "indicator_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("std_error", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user.id"], name=op.f("fk_indicator_revision_approved_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["user.id"], name=op.f("fk_indicator_revision_replaced_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["value_id"],
            ["indicator_value.id"],
            name=op.f("fk_indicator_revision_value_id_indicator_value"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_revision")),
    )
    with op.batch_alter_table("indicator_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_revision_value_id"), ["value_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("indicator_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_revision_value_id"))

    op.drop_table("indicator_revision")
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_value_status_period")
        batch_op.drop_index("ix_indicator_value_area_period")

    op.drop_table("indicator_value")
