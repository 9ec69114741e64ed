"""audit log append-only: the database refuses UPDATE and DELETE on audit_log

Revision ID: 5a9e2c7d1b40
Revises: 1c305a30c5a4
Create Date: 2026-11-30 01:50:00

The ORM already refuses to change audit entries; these triggers make the database refuse it too,
so no script or console session can rewrite history.
"""
from alembic import op

revision = "5a9e2c7d1b40"
down_revision = "1c305a30c5a4"
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
        """)
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
            """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{event}")
