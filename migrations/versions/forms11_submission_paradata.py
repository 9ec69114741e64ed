"""submission: paradata beside the answers (interruptions of a protected module)

Revision ID: f11a7d2c0b31
Revises: sec_sessions_logins_sealed
Create Date: 2026-12-03 09:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "f11a7d2c0b31"
down_revision = "sec_sessions_logins_sealed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("paradata", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("paradata")
