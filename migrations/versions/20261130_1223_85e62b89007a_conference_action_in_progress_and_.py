"""conference action in progress and result note

Revision ID: 85e62b89007a
Revises: c76a7f81b695
Create Date: 2026-11-30 12:23:36.088747

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "85e62b89007a"
down_revision = "c76a7f81b695"
branch_labels = None
depends_on = None

STATUSES = ("open", "done", "carried")
#: the CHECK of the status column as the naming convention built it
STATUS_CHECK = "ck_conference_action_items_action_item_status"


def _status_check(statuses: tuple[str, ...]) -> sa.TextClause:
    return sa.text("status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")")


def upgrade():
    # No foreign key points at this table, so SQLite's batch rebuild needs no foreign-key switch.
    with op.batch_alter_table("conference_action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("result_note", sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(STATUS_CHECK), _status_check((*STATUSES, "in_progress")))


def downgrade():
    # Items in progress are still unfinished: they go back to open so the old CHECK holds.
    op.execute("UPDATE conference_action_items SET status = 'open' WHERE status = 'in_progress'")
    with op.batch_alter_table("conference_action_items", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(STATUS_CHECK), _status_check(STATUSES))
        batch_op.drop_column("result_note")
        batch_op.drop_column("started_at")
