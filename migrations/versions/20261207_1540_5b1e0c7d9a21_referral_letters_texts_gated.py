"""referral letters: texts_gated marks letters whose free texts were printed only inside consent

Revision ID: 5b1e0c7d9a21
Revises: 5e7a1c2b9d40
Create Date: 2026-12-07 15:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b1e0c7d9a21"
down_revision = "5e7a1c2b9d40"
branch_labels = None
depends_on = None


def upgrade():
    # Letters already stored printed every free text: they stay False and are re-checked accordingly.
    with op.batch_alter_table("referral_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("texts_gated", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("referral_letters", schema=None) as batch_op:
        batch_op.drop_column("texts_gated")
