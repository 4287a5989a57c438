"""consents: access log append-only triggers and chain-head anchors

Revision ID: b2d9d9e1d2fa
Revises: 01e19417c250
Create Date: 2026-11-30 11:50:00

Hand-written: the triggers are dialect-specific SQL (plpgsql on PostgreSQL, RAISE(ABORT) on SQLite),
taken from consents.models.guard_statements so that migrated and create_all schemas match.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2d9d9e1d2fa"
down_revision = "01e19417c250"
branch_labels = None
depends_on = None

#: copied, not imported: a migration must keep meaning what it meant when it was written
FLOOR_DAYS = 730


def _guards(dialect: str) -> list[str]:
    if dialect == "postgresql":
        statements = [
            f"""
CREATE OR REPLACE FUNCTION consent_access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.created_at < now() - interval '{FLOOR_DAYS} days'
       AND EXISTS (
           SELECT 1 FROM consent_access_log_checkpoints c WHERE c.purged_through_id >= OLD.id
       ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'consent_access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$""",  # noqa: S608 -- FLOOR_DAYS is this module's integer constant
            "CREATE TRIGGER consent_access_log_append_only BEFORE UPDATE OR DELETE ON consent_access_log "
            "FOR EACH ROW EXECUTE FUNCTION consent_access_log_guard()",
            """
CREATE OR REPLACE FUNCTION consent_append_only_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$""",
            "CREATE TRIGGER consent_access_log_no_truncate BEFORE TRUNCATE ON consent_access_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only_guard()",
        ]
        for table in ("consent_access_log_checkpoints", "consent_access_log_anchors"):
            statements += [
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION consent_append_only_guard()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only_guard()",
            ]
        return statements
    statements = [
        "CREATE TRIGGER consent_access_log_no_update BEFORE UPDATE ON consent_access_log "
        "BEGIN SELECT RAISE(ABORT, 'consent_access_log is append-only: UPDATE refused'); END",
        "CREATE TRIGGER consent_access_log_no_delete BEFORE DELETE ON consent_access_log "  # noqa: S608 -- FLOOR_DAYS is an integer constant
        f"WHEN OLD.created_at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-{FLOOR_DAYS} days') "
        "OR NOT EXISTS (SELECT 1 FROM consent_access_log_checkpoints c WHERE c.purged_through_id >= OLD.id) "
        "BEGIN SELECT RAISE(ABORT, 'consent_access_log is append-only: DELETE refused'); END",
    ]
    for table in ("consent_access_log_checkpoints", "consent_access_log_anchors"):
        statements += [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
        ]
    return statements


def upgrade():
    op.create_table(
        "consent_access_log_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_access_log_anchors")),
    )
    with op.batch_alter_table("consent_access_log_anchors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_access_log_anchors_created_at"), ["created_at"], unique=False
        )
    for statement in _guards(op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_access_log_append_only ON consent_access_log")
        op.execute("DROP TRIGGER IF EXISTS consent_access_log_no_truncate ON consent_access_log")
        op.execute(
            "DROP TRIGGER IF EXISTS consent_access_log_checkpoints_append_only ON consent_access_log_checkpoints"
        )
        op.execute(
            "DROP TRIGGER IF EXISTS consent_access_log_checkpoints_no_truncate ON consent_access_log_checkpoints"
        )
    else:
        for name in (
            "consent_access_log_no_update",
            "consent_access_log_no_delete",
            "consent_access_log_checkpoints_no_update",
            "consent_access_log_checkpoints_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("consent_access_log_anchors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_access_log_anchors_created_at"))
    op.drop_table("consent_access_log_anchors")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS consent_access_log_guard()")
        op.execute("DROP FUNCTION IF EXISTS consent_append_only_guard()")
