"""plans hold a real plan: IAP, ISP per domain with services per goal, proposals

Existing plans are migrated forward: every plan is a seed-001 서비스제공계획 (kind 'integrated');
each goal gets its rank within its need domain (in the order it was written); each service is
attached to its plan's first long-term goal (the old form had one service for the whole plan) and
gets a 실행기간 from the plan's creation day (Seoul) over its duration in months. The participant's
words were never asked before, so they stay empty on old goals (nothing is invented).

Revision ID: c481f987ba29
Revises: 09cc75abcf58
Create Date: 2026-12-08 00:26:02.482441

"""

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c481f987ba29"
down_revision = "09cc75abcf58"
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(enabled: bool) -> None:
    # SQLite changes a NOT NULL or CHECK only by rebuilding the table; with foreign keys on, dropping
    # the old case_service_plans would cascade to its goals and services (and those to the checks).
    # The switch takes effect only outside a transaction.
    with op.get_context().autocommit_block():
        raw = op.get_bind().connection.dbapi_connection
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def _without_sqlite_foreign_keys(work: Callable[[], None]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(False)
    work()
    if sqlite:
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        _sqlite_foreign_keys(True)


def upgrade():
    _without_sqlite_foreign_keys(_upgrade)


def downgrade():
    _without_sqlite_foreign_keys(_downgrade)


def _upgrade():
    op.create_table(
        "case_action_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("counselled_on", sa.Date(), nullable=False),
        sa.Column("security_type", sa.String(length=60), nullable=True),
        sa.Column("work_team", sa.String(length=100), nullable=True),
        sa.Column("weaknesses", sa.Text(), nullable=False),
        sa.Column("strengths", sa.Text(), nullable=False),
        sa.Column("short_term_goal", sa.Text(), nullable=False),
        sa.Column("short_term_target_on", sa.Date(), nullable=False),
        sa.Column("long_term_goal", sa.Text(), nullable=False),
        sa.Column("long_term_target_on", sa.Date(), nullable=False),
        sa.Column(
            "target_path",
            sa.Enum(
                "general_employment",
                "jahwal_employment",
                "general_startup",
                "jahwal_startup",
                "other",
                name="iap_target_path",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("target_path_other", sa.String(length=200), nullable=True),
        sa.Column("help_wanted", sa.Text(), nullable=True),
        sa.Column("written_by_participant", sa.Boolean(), nullable=False),
        sa.Column("proxy_reason", sa.String(length=200), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=True),
        sa.Column("revision_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_action_plans_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["people.id"], name=op.f("fk_case_action_plans_counsellor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_case_action_plans_created_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_action_plans")),
        sa.UniqueConstraint("case_id", "version", name="uq_action_plan_version"),
    )
    with op.batch_alter_table("case_action_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_action_plans_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_plan_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role_assignment_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.String(length=100), nullable=False),
        sa.Column("duration", sa.String(length=100), nullable=False),
        sa.Column("intensity", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                name="plan_proposal_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("accepted_plan_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_plan_id"],
            ["case_service_plans.id"],
            name=op.f("fk_case_plan_proposals_accepted_plan_id_case_service_plans"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_case_plan_proposals_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_plan_proposals_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_case_plan_proposals_decided_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_plan_proposals")),
    )
    with op.batch_alter_table("case_plan_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_plan_proposals_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_plan_proposals_role_assignment_id"), ["role_assignment_id"], unique=False
        )

    with op.batch_alter_table("case_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("affiliation", sa.String(length=100), nullable=True))

    with op.batch_alter_table("case_plan_goals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "support_domain",
                sa.Enum(
                    "work",
                    "welfare",
                    name="goal_support_domain",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("rank", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("participant_words", sa.Text(), nullable=True))
        batch_op.alter_column("domain", existing_type=sa.VARCHAR(length=40), nullable=True)

    with op.batch_alter_table("case_plan_services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goal_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("checked_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("checked_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "check_phase",
                sa.Enum(
                    "gateway",
                    "work_team",
                    name="service_check_phase",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("check_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("proposal_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_case_plan_services_checked_by_id_people"), "people", ["checked_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_case_plan_services_goal_id_case_plan_goals"),
            "case_plan_goals",
            ["goal_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("case_service_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "integrated",
                    "jahwal",
                    name="service_plan_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("revision_reason", sa.Text(), nullable=True))

    _migrate_plans_forward(op.get_bind())
    with op.batch_alter_table("case_service_plans", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.VARCHAR(length=40), nullable=False)


_SEOUL = timezone(timedelta(hours=9))


def _add_months(day, months):
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _seoul_day(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_SEOUL).date()


def _migrate_plans_forward(bind):
    """Give the existing plans their kind, goal ranks, and each service its goal and period."""
    bind.execute(sa.text("UPDATE case_service_plans SET kind = 'integrated'"))
    goals = bind.execute(
        sa.text("SELECT id, plan_id, domain, term FROM case_plan_goals ORDER BY plan_id, id")
    ).all()
    seen = {}
    first_goal = {}
    for goal_id, plan_id, domain, term in goals:
        seen[(plan_id, domain)] = seen.get((plan_id, domain), 0) + 1
        bind.execute(
            sa.text("UPDATE case_plan_goals SET rank = :rank WHERE id = :id"),
            {"rank": seen[(plan_id, domain)], "id": goal_id},
        )
        if plan_id not in first_goal or (term == "long" and first_goal[plan_id][1] != "long"):
            first_goal[plan_id] = (goal_id, term)
    services = bind.execute(
        sa.text(
            "SELECT s.id, s.plan_id, s.duration_months, p.created_at FROM case_plan_services s "
            "JOIN case_service_plans p ON p.id = s.plan_id"
        )
    ).all()
    for service_id, plan_id, months, created_at in services:
        starts = _seoul_day(created_at)
        bind.execute(
            sa.text(
                "UPDATE case_plan_services SET goal_id = :goal, starts_on = :starts, ends_on = :ends WHERE id = :id"
            ),
            {
                "goal": first_goal.get(plan_id, (None, None))[0],
                "starts": starts,
                "ends": _add_months(starts, max(1, months or 1)) - timedelta(days=1),
                "id": service_id,
            },
        )


def _downgrade():
    with op.batch_alter_table("case_service_plans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_case_service_plans_service_plan_kind"), type_="check")
        batch_op.drop_column("revision_reason")
        batch_op.drop_column("kind")

    with op.batch_alter_table("case_plan_services", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_case_plan_services_goal_id_case_plan_goals"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_case_plan_services_checked_by_id_people"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_case_plan_services_service_check_phase"), type_="check")
        batch_op.drop_column("proposal_id")
        batch_op.drop_column("check_note")
        batch_op.drop_column("check_phase")
        batch_op.drop_column("checked_by_id")
        batch_op.drop_column("checked_on")
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")
        batch_op.drop_column("goal_id")

    # Seed-000 goals have a support domain instead of a need domain: before this revision every goal
    # needed one, so work support reads as 직업능력 and welfare support as 기타.
    op.get_bind().execute(
        sa.text(
            "UPDATE case_plan_goals SET domain = CASE support_domain WHEN 'work' THEN 'vocational' "
            "ELSE 'other' END WHERE domain IS NULL"
        )
    )
    with op.batch_alter_table("case_plan_goals", schema=None) as batch_op:
        batch_op.alter_column("domain", existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.drop_constraint(op.f("ck_case_plan_goals_goal_support_domain"), type_="check")
        batch_op.drop_column("participant_words")
        batch_op.drop_column("rank")
        batch_op.drop_column("support_domain")

    with op.batch_alter_table("case_evaluations", schema=None) as batch_op:
        batch_op.drop_column("affiliation")

    with op.batch_alter_table("case_plan_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_plan_proposals_role_assignment_id"))
        batch_op.drop_index(batch_op.f("ix_case_plan_proposals_case_id"))

    op.drop_table("case_plan_proposals")
    with op.batch_alter_table("case_action_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_action_plans_case_id"))

    op.drop_table("case_action_plans")
