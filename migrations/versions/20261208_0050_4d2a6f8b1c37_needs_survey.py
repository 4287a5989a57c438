"""cases: 사례관리 욕구조사지 (활용서식2) and the two 만족도 평가지 — case_needs_surveys, case_satisfaction_surveys

Revision ID: 4d2a6f8b1c37
Revises: 2c235149b691
Create Date: 2026-12-08 00:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d2a6f8b1c37"
down_revision = "2c235149b691"
branch_labels = None
depends_on = None


def upgrade():
    # New forms: no earlier record holds their answers, so there is nothing to carry over.
    op.create_table(
        "case_needs_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("surveyed_on", sa.Date(), nullable=False),
        sa.Column("has_school_children", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("illness_names", sa.JSON(), nullable=False),
        sa.Column("support", sa.JSON(), nullable=False),
        sa.Column("other_requests", sa.Text(), nullable=True),
        sa.Column("domain_totals", sa.JSON(), nullable=False),
        sa.Column("risk_flag", sa.Boolean(), nullable=False),
        sa.Column("surveyed_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_needs_surveys_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["surveyed_by_id"], ["people.id"], name=op.f("fk_case_needs_surveys_surveyed_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_needs_surveys")),
    )
    with op.batch_alter_table("case_needs_surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_needs_surveys_case_id"), ["case_id"], unique=False)
    op.create_table(
        "case_satisfaction_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("answered_by_family", sa.Boolean(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("average", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_satisfaction_surveys_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["people.id"], name=op.f("fk_case_satisfaction_surveys_entered_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_satisfaction_surveys")),
    )
    with op.batch_alter_table("case_satisfaction_surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_satisfaction_surveys_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("case_satisfaction_surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_satisfaction_surveys_case_id"))
    op.drop_table("case_satisfaction_surveys")
    with op.batch_alter_table("case_needs_surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_needs_surveys_case_id"))
    op.drop_table("case_needs_surveys")
