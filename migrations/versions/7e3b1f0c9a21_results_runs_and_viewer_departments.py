"""results: report runs and the department of each department viewer

Revision ID: 7e3b1f0c9a21
Revises: c5c1134b2041
Create Date: 2026-11-30 02:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7e3b1f0c9a21"
down_revision = "c5c1134b2041"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("folder", sa.String(length=64), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"],
                                name=op.f("fk_report_run_created_by_id_user")),
        sa.ForeignKeyConstraint(["published_by_id"], ["user.id"],
                                name=op.f("fk_report_run_published_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run")),
        sa.UniqueConstraint("folder", name=op.f("uq_report_run_folder")),
    )
    op.create_table(
        "viewer_department",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_viewer_department_user_id_user")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_viewer_department")),
    )


def downgrade():
    op.drop_table("viewer_department")
    op.drop_table("report_run")
