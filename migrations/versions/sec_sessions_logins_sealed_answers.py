"""security: session versions, login throttling, and sealing of the women's module at rest

Adds ``user.session_version`` (part of the login session id: raising it ends every session)
and the ``login_throttle`` table (failed logins per account and per address), then encrypts the
answers of sensitive questionnaires stored in clear before encryption existed: submissions,
kept conflicts and their audit values. Sealing needs the data key (GESURVEY_DATA_KEY or the
instance key file written by ``gesurvey setup``); without one it stops, naming the fix, when
there is anything to seal.

Revision ID: sec_sessions_logins_sealed
Revises: 7e3b1f0c9a21
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "sec_sessions_logins_sealed"
down_revision = "7e3b1f0c9a21"
branch_labels = None
depends_on = None

PLAIN_AUDIT_FIELDS = ("status", "content_hash")


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttle")),
        sa.UniqueConstraint("key", name=op.f("uq_login_throttle_key")),
    )
    _seal_clear_answers()


def _seal_clear_answers():
    from survey_app.security.sealing import is_sealed, seal

    bind = op.get_bind()
    version = sa.table(
        "questionnaire_version",
        sa.column("id", sa.Integer),
        sa.column("unit", sa.String),
        sa.column("definition", sa.JSON),
    )
    submission = sa.table(
        "submission",
        sa.column("id", sa.Integer),
        sa.column("questionnaire_version_id"),
        sa.column("answers", sa.JSON),
    )
    conflict = sa.table(
        "submission_conflict",
        sa.column("id", sa.Integer),
        sa.column("submission_id"),
        sa.column("content", sa.JSON),
    )
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("submission_id"),
        sa.column("field", sa.String),
        sa.column("old", sa.JSON),
        sa.column("new", sa.JSON),
    )
    sensitive_versions = {
        row.id
        for row in bind.execute(sa.select(version.c.id, version.c.unit, version.c.definition))
        if row.unit == "women" or bool((row.definition or {}).get("sensitive"))
    }
    if not sensitive_versions:
        return

    def clear(value):
        return value not in (None, {}, []) and not is_sealed(value)

    sensitive_ids = set()
    for row in bind.execute(
        sa.select(submission.c.id, submission.c.answers).where(
            submission.c.questionnaire_version_id.in_(sensitive_versions)
        )
    ):
        sensitive_ids.add(row.id)
        if clear(row.answers):
            bind.execute(
                submission.update()
                .where(submission.c.id == row.id)
                .values(answers=seal(row.answers))
            )
    if not sensitive_ids:
        return
    for row in bind.execute(
        sa.select(conflict.c.id, conflict.c.content).where(
            conflict.c.submission_id.in_(sensitive_ids)
        )
    ):
        content = row.content if isinstance(row.content, dict) else {}
        if clear(content.get("answers")):
            bind.execute(
                conflict.update()
                .where(conflict.c.id == row.id)
                .values(content={**content, "answers": seal(content["answers"])})
            )
    for row in bind.execute(
        sa.select(audit.c.id, audit.c.field, audit.c.old, audit.c.new).where(
            audit.c.submission_id.in_(sensitive_ids)
        )
    ):
        if row.field in PLAIN_AUDIT_FIELDS:
            continue
        values = {
            name: seal(getattr(row, name))
            for name in ("old", "new")
            if getattr(row, name) is not None and clear(getattr(row, name))
        }
        if values:
            bind.execute(audit.update().where(audit.c.id == row.id).values(**values))


def downgrade():
    # Sealed values stay sealed: decrypting them back into clear text is not offered.
    op.drop_table("login_throttle")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("session_version")
