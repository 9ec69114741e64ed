"""paradata: how each interview was done, kept beside its answers

Adds the nullable ``submission.paradata`` (JSON): start and end, time per question, visits,
corrections, interruptions, position and app version, as the form engine sends them.

Revision ID: paradata_submission_column
Revises: sec_sessions_logins_sealed
Create Date: 2026-12-03 09:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "paradata_submission_column"
down_revision = "sec_sessions_logins_sealed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("paradata", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("paradata")
