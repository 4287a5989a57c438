"""cases: 종결보고서 (필수서식10), 활용서식12 complete, 활용서식1's self-check, 자활사정지 (필수서식3)

Revision ID: 6e8c0a2d4f51
Revises: 4d2a6f8b1c37
Create Date: 2026-12-08 01:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6e8c0a2d4f51"
down_revision = "4d2a6f8b1c37"
branch_labels = None
depends_on = None

#: the 활용서식12 fields a plan written before this revision did not ask: left empty (NULL)
FOLLOW_UP_TEXTS = ("history_summary", "current_situation", "main_services", "worker_opinion")


def upgrade():
    with op.batch_alter_table("case_follow_up_plans", schema=None) as batch_op:
        for name in FOLLOW_UP_TEXTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
    # Scorecards written before had no self-check: an empty list, as the form leaves it unticked.
    with op.batch_alter_table("case_capacity_assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_check", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "case_closure_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("current_status", sa.Text(), nullable=False),
        sa.Column("closure_reason", sa.Text(), nullable=False),
        sa.Column("benefit_category_at_closure", sa.String(length=60), nullable=True),
        sa.Column("follow_up_plan_note", sa.Text(), nullable=True),
        sa.Column("participant_opinion", sa.Text(), nullable=True),
        sa.Column("worker_opinion", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_case_closure_reports_author_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_closure_reports_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_closure_reports")),
    )
    with op.batch_alter_table("case_closure_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_closure_reports_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_self_sufficiency_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("counselled_on", sa.Date(), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("duration", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("main_complaint", sa.Text(), nullable=False),
        sa.Column("desired_industries", sa.JSON(), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=True),
        sa.Column("transport_other", sa.String(length=100), nullable=True),
        sa.Column("max_commute_minutes", sa.Integer(), nullable=True),
        sa.Column("desired_monthly_pay", sa.Integer(), nullable=True),
        sa.Column("employment_type", sa.String(length=20), nullable=True),
        sa.Column("part_time_days_per_month", sa.Integer(), nullable=True),
        sa.Column("part_time_hours_per_week", sa.Integer(), nullable=True),
        sa.Column("housing_type", sa.String(length=20), nullable=True),
        sa.Column("housing_type_other", sa.String(length=100), nullable=True),
        sa.Column("housing_stability", sa.String(length=20), nullable=True),
        sa.Column("housing_stability_other", sa.String(length=100), nullable=True),
        sa.Column("tenure", sa.String(length=20), nullable=True),
        sa.Column("tenure_other", sa.String(length=100), nullable=True),
        sa.Column("deposit", sa.Integer(), nullable=True),
        sa.Column("monthly_rent", sa.Integer(), nullable=True),
        sa.Column("maintenance_fee", sa.Integer(), nullable=True),
        sa.Column("earned_income", sa.Integer(), nullable=True),
        sa.Column("private_transfer_income", sa.Integer(), nullable=True),
        sa.Column("other_earned_income", sa.Integer(), nullable=True),
        sa.Column("public_assistance_income", sa.Integer(), nullable=True),
        sa.Column("allowance_income", sa.Integer(), nullable=True),
        sa.Column("child_support_income", sa.Integer(), nullable=True),
        sa.Column("pension_income", sa.Integer(), nullable=True),
        sa.Column("other_income", sa.Integer(), nullable=True),
        sa.Column("monthly_spending", sa.Integer(), nullable=True),
        sa.Column("main_spending", sa.JSON(), nullable=False),
        sa.Column("debt_total", sa.Integer(), nullable=True),
        sa.Column("debt_cause", sa.Text(), nullable=True),
        sa.Column("credit_status", sa.String(length=30), nullable=True),
        sa.Column("credit_status_other", sa.String(length=100), nullable=True),
        sa.Column("participation_opinion", sa.Text(), nullable=True),
        sa.Column("other_notes", sa.Text(), nullable=True),
        sa.Column("need_domains", sa.JSON(), nullable=False),
        sa.Column("agreed_path", sa.String(length=30), nullable=True),
        sa.Column("agreed_path_other", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_self_sufficiency_assessments_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
            ["people.id"],
            name=op.f("fk_case_self_sufficiency_assessments_counsellor_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_self_sufficiency_assessments")),
    )
    with op.batch_alter_table("case_self_sufficiency_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_self_sufficiency_assessments_case_id"), ["case_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("case_self_sufficiency_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_self_sufficiency_assessments_case_id"))
    op.drop_table("case_self_sufficiency_assessments")
    with op.batch_alter_table("case_closure_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_closure_reports_case_id"))
    op.drop_table("case_closure_reports")
    with op.batch_alter_table("case_capacity_assessments", schema=None) as batch_op:
        batch_op.drop_column("self_check")
    with op.batch_alter_table("case_follow_up_plans", schema=None) as batch_op:
        for name in reversed(FOLLOW_UP_TEXTS):
            batch_op.drop_column(name)
