"""assignments name their sampled households

Adds ``assignment.households``: the household numbers of the sample in the village,
space-separated ("" when the enumerator lists the village), so new interviews take them in order.

Revision ID: fgaps_assignment_households
Revises: rounds_survey_round
Create Date: 2026-12-03 15:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "fgaps_assignment_households"
down_revision = "rounds_survey_round"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assignment") as batch:
        batch.add_column(sa.Column("households", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("assignment") as batch:
        batch.drop_column("households")
