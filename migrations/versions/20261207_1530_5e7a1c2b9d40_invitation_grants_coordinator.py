"""invitation grants coordinator (hamkke setup's first coordinator)

Revision ID: 5e7a1c2b9d40
Revises: 6db287795e8b
Create Date: 2026-12-07 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e7a1c2b9d40"
down_revision = "6db287795e8b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("grants_coordinator", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("grants_coordinator")
