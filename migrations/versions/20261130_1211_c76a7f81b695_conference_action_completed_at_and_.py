"""conference action completed_at and supervision kind

Revision ID: c76a7f81b695
Revises: cad066097d8d
Create Date: 2026-11-30 12:11:21.926712

"""

from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c76a7f81b695"
down_revision = "cad066097d8d"
branch_labels = None
depends_on = None

KINDS = ("regional", "expanded", "urgent", "dong", "internal", "closure_review")
#: (table, CHECK name as the naming convention built it) of the two conference-kind columns
KIND_CHECKS = (
    ("conferences", "conference_kind"),
    ("conference_rules", "conference_rule_kind"),
)


def _kind_check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _sqlite_foreign_keys(enabled: bool) -> None:
    # SQLite changes a CHECK only by rebuilding the table, and dropping a referenced table fails
    # while foreign keys are on; the switch takes effect only outside a transaction.
    with op.get_context().autocommit_block():
        raw: Any = op.get_bind().connection.dbapi_connection
        # hamkke.db's "begin" listener opened an (empty) transaction for the block: end it first.
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def _replace_kind_checks(kinds: tuple[str, ...]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(False)
    for table, name in KIND_CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), sa.text(_kind_check(kinds)))
    if sqlite:
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        _sqlite_foreign_keys(True)


def upgrade():
    with op.batch_alter_table("conference_action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
    # Items done before the column existed: their last change was the completion.
    op.execute(
        "UPDATE conference_action_items SET completed_at = updated_at "
        "WHERE status = 'done' AND completed_at IS NULL"
    )
    _replace_kind_checks((*KINDS, "supervision"))


def downgrade():
    # Supervision sessions become expanded conferences (the nearest kind) so the old CHECK holds.
    op.execute("UPDATE conferences SET kind = 'expanded' WHERE kind = 'supervision'")
    op.execute("UPDATE conference_rules SET kind = 'expanded' WHERE kind = 'supervision'")
    _replace_kind_checks(KINDS)
    with op.batch_alter_table("conference_action_items", schema=None) as batch_op:
        batch_op.drop_column("completed_at")
