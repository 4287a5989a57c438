"""user session awaiting approval

Revision ID: fa8cd9baa101
Revises: fab11739f417
Create Date: 2026-11-22 20:44:27.340729

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fa8cd9baa101'
down_revision = 'fab11739f417'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting_approval', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('awaiting_approval')
