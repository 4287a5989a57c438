"""conferences: recorded_after_reason (사후 기록 사유) for a meeting entered after it was held

Revision ID: 2c235149b691
Revises: 9c3d5e7f1a24
Create Date: 2026-12-07 21:24:13.929297

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2c235149b691"
down_revision = "9c3d5e7f1a24"
branch_labels = None
depends_on = None


def upgrade():
    # Meetings scheduled ahead have no reason: NULL, so existing rows need no backfill.
    with op.batch_alter_table("conferences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_after_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("conferences", schema=None) as batch_op:
        batch_op.drop_column("recorded_after_reason")
