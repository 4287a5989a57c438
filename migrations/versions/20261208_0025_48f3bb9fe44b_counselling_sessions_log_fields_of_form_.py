"""counselling sessions, log fields of form 7, crisis items

Every existing 상담일지 becomes its own session (same id, so the link needs no lookup), its method is
mapped onto the nine methods of 필수서식7, and its 상담영역/상담유형, unknown then, are recorded as
본인 and <복지서비스>기타. Existing 위기도 ratings keep their level; their total stays empty (no items).

Revision ID: 48f3bb9fe44b
Revises: 4d8e2a6c1f57
Create Date: 2026-12-08 00:25:53.936639

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "48f3bb9fe44b"
down_revision = "4d8e2a6c1f57"
branch_labels = None
depends_on = None

OLD_METHODS = ("home_visit", "office_visit", "phone", "message", "other")
NEW_METHODS = (
    "face_office",
    "face_visit",
    "phone_in",
    "phone_out",
    "email_in",
    "email_out",
    "message_in",
    "message_out",
    "other",
)
#: old method -> new method (a call or message of the old records was the worker's: 발신)
METHOD_MAP = {
    "home_visit": "face_visit",
    "office_visit": "face_office",
    "phone": "phone_out",
    "message": "message_out",
    "other": "other",
}
#: the CHECK of the log's method column as the naming convention built it
METHOD_CHECK = "ck_case_counselling_logs_log_contact_method"


def _method_check(methods: tuple[str, ...]) -> sa.TextClause:
    return sa.text("method IN (" + ", ".join(f"'{method}'" for method in methods) + ")")


def _mapped(mapping: dict[str, str], column: str = "method") -> str:
    cases = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in mapping.items())
    return f"CASE {column} {cases} ELSE 'other' END"


def upgrade():
    op.create_table(
        "case_counselling_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "face_office",
                "face_visit",
                "phone_in",
                "phone_out",
                "email_in",
                "email_out",
                "message_in",
                "message_out",
                "other",
                name="session_method",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("case_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "minutes BETWEEN 10 AND 180", name=op.f("ck_case_counselling_sessions_session_minutes_10_to_180")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_case_counselling_sessions_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["people.id"], name=op.f("fk_case_counselling_sessions_counsellor_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_counselling_sessions")),
    )
    with op.batch_alter_table("case_counselling_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_counselling_sessions_counsellor_id"), ["counsellor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_counselling_sessions_held_on"), ["held_on"], unique=False)

    op.create_table(
        "case_crisis_item_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column(
            "item",
            sa.Enum(
                "safety",
                "health",
                "daily_living",
                "family",
                "social",
                "economy",
                "education",
                "employment",
                "living_environment",
                "rights",
                name="crisis_item",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "score BETWEEN 0 AND 4", name=op.f("ck_case_crisis_item_scores_crisis_score_0_to_4")
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["case_crisis_ratings.id"],
            name=op.f("fk_case_crisis_item_scores_rating_id_case_crisis_ratings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_crisis_item_scores")),
        sa.UniqueConstraint("rating_id", "item", name="uq_crisis_item_per_rating"),
    )
    with op.batch_alter_table("case_crisis_item_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_crisis_item_scores_rating_id"), ["rating_id"], unique=False)

    with op.batch_alter_table("case_counselling_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("starts_at", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "area",
                sa.Enum(
                    "client",
                    "family",
                    "related",
                    "agency_expert",
                    "employer",
                    "other",
                    name="counselling_area",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "counselling_type",
                sa.Enum(
                    "motivation_counselling",
                    "motivation_debt",
                    "motivation_aptitude_test",
                    "motivation_information",
                    "motivation_other",
                    "capacity_external_training",
                    "capacity_information",
                    "capacity_other",
                    "employment_placement",
                    "employment_interview_escort",
                    "employment_resume",
                    "employment_job_information",
                    "employment_other",
                    "startup_early",
                    "startup_expert_advice",
                    "startup_funding",
                    "startup_business_plan",
                    "startup_information",
                    "startup_other",
                    "welfare_debt",
                    "welfare_medical",
                    "welfare_education",
                    "welfare_housing",
                    "welfare_family_conflict",
                    "welfare_childcare",
                    "welfare_other",
                    name="counselling_type",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("place", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("participant_names", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("purpose", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("worker_opinion_2", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("worker_opinion_3", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("result", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("remarks", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_case_counselling_logs_session_id"), ["session_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_case_counselling_logs_session_id_case_counselling_sessions"),
            "case_counselling_sessions",
            ["session_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f(METHOD_CHECK), type_="check")

    # One session per existing log, with the log's id; its agency is the case's owning agency.
    # The SQL is built from this revision's constant codes only (no input), hence the S608 waivers.
    insert = (
        "INSERT INTO case_counselling_sessions "
        "(id, held_on, method, minutes, counsellor_id, agency_id, case_count, created_at, updated_at) "
        "SELECT l.id, l.contacted_on, " + _mapped(METHOD_MAP, "l.method") + ", "
        "CASE WHEN l.minutes < 10 THEN 10 WHEN l.minutes > 180 THEN 180 ELSE l.minutes END, "
        "l.author_id, c.owning_agency_id, 1, l.created_at, l.updated_at "
        "FROM case_counselling_logs l JOIN cases c ON c.id = l.case_id"
    )
    op.execute(insert)
    update = "UPDATE case_counselling_logs SET session_id = id, method = " + _mapped(METHOD_MAP)  # noqa: S608
    op.execute(update + ", area = 'client', counselling_type = 'welfare_other'")
    if op.get_bind().dialect.name == "postgresql":
        # The sessions took explicit ids: move the sequence past them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('case_counselling_sessions', 'id'), "
            "COALESCE((SELECT MAX(id) FROM case_counselling_sessions), 0) + 1, false)"
        )
    with op.batch_alter_table("case_counselling_logs", schema=None) as batch_op:
        batch_op.alter_column("session_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("area", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("counselling_type", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_check_constraint(op.f(METHOD_CHECK), _method_check(NEW_METHODS))

    with op.batch_alter_table("case_crisis_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("total", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("case_crisis_ratings", schema=None) as batch_op:
        batch_op.drop_column("total")

    # A group session's logs stay, one per case; the methods go back to the four old ones.
    reverse = {
        "face_visit": "home_visit",
        "face_office": "office_visit",
        "phone_in": "phone",
        "phone_out": "phone",
        "email_in": "message",
        "email_out": "message",
        "message_in": "message",
        "message_out": "message",
    }
    with op.batch_alter_table("case_counselling_logs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(METHOD_CHECK), type_="check")
    op.execute("UPDATE case_counselling_logs SET method = " + _mapped(reverse))  # noqa: S608
    with op.batch_alter_table("case_counselling_logs", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(METHOD_CHECK), _method_check(OLD_METHODS))
        batch_op.drop_constraint(
            batch_op.f("fk_case_counselling_logs_session_id_case_counselling_sessions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_case_counselling_logs_session_id"))
        # SQLite's batch rebuild keeps the CHECKs of the enum columns unless they go first.
        batch_op.drop_constraint(op.f("ck_case_counselling_logs_counselling_type"), type_="check")
        batch_op.drop_constraint(op.f("ck_case_counselling_logs_counselling_area"), type_="check")
        batch_op.drop_column("remarks")
        batch_op.drop_column("result")
        batch_op.drop_column("worker_opinion_3")
        batch_op.drop_column("worker_opinion_2")
        batch_op.drop_column("purpose")
        batch_op.drop_column("participant_names")
        batch_op.drop_column("place")
        batch_op.drop_column("counselling_type")
        batch_op.drop_column("area")
        batch_op.drop_column("starts_at")
        batch_op.drop_column("session_id")

    with op.batch_alter_table("case_crisis_item_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_crisis_item_scores_rating_id"))

    op.drop_table("case_crisis_item_scores")
    with op.batch_alter_table("case_counselling_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_counselling_sessions_held_on"))
        batch_op.drop_index(batch_op.f("ix_case_counselling_sessions_counsellor_id"))

    op.drop_table("case_counselling_sessions")
