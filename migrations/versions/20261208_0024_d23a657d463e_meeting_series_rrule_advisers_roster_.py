"""meeting series rrule, advisers roster, attendance and supervision advice

Revision ID: d23a657d463e
Revises: c481f987ba29
Create Date: 2026-12-08 00:24:12.296739

"""

from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d23a657d463e"
down_revision = "c481f987ba29"
branch_labels = None
depends_on = None

OLD_KINDS = ("regional", "expanded", "urgent", "dong", "internal", "closure_review", "supervision")
#: 자문단 회의, 동 내부판정회의 and 고위험 사례 점검회의 join the conference kinds
NEW_KINDS = (*OLD_KINDS, "advisory", "dong_judgment", "high_risk_review")
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
    op.create_table(
        "conference_advisers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("expertise", sa.String(length=200), nullable=False),
        sa.Column("affiliation", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("term_starts_on", sa.Date(), nullable=False),
        sa.Column("term_ends_on", sa.Date(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_conference_advisers_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_conference_advisers_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_advisers")),
    )
    with op.batch_alter_table("conference_advisers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conference_advisers_district_id"), ["district_id"], unique=False)

    op.create_table(
        "conference_adviser_attendances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adviser_id"],
            ["conference_advisers.id"],
            name=op.f("fk_conference_adviser_attendances_adviser_id_conference_advisers"),
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conferences.id"],
            name=op.f("fk_conference_adviser_attendances_conference_id_conferences"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_conference_adviser_attendances_recorded_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_adviser_attendances")),
        sa.UniqueConstraint("conference_id", "adviser_id", name="uq_conference_adviser_attendance"),
    )
    with op.batch_alter_table("conference_adviser_attendances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_adviser_attendances_adviser_id"), ["adviser_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_adviser_attendances_conference_id"), ["conference_id"], unique=False
        )

    op.create_table(
        "conference_supervision_advice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adviser_id"],
            ["conference_advisers.id"],
            name=op.f("fk_conference_supervision_advice_adviser_id_conference_advisers"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_conference_supervision_advice_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conferences.id"],
            name=op.f("fk_conference_supervision_advice_conference_id_conferences"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["conference_agenda_items.id"],
            name=op.f("fk_conference_supervision_advice_item_id_conference_agenda_items"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_conference_supervision_advice_recorded_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_supervision_advice")),
    )
    with op.batch_alter_table("conference_supervision_advice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_supervision_advice_adviser_id"), ["adviser_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_supervision_advice_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_supervision_advice_conference_id"), ["conference_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_supervision_advice_item_id"), ["item_id"], unique=False
        )

    with op.batch_alter_table("conference_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rrule", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("dong_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("weeks_ahead", sa.Integer(), server_default="8", nullable=False))
        batch_op.create_index(batch_op.f("ix_conference_rules_dong_id"), ["dong_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_conference_rules_dong_id_dongs"), "dongs", ["dong_id"], ["id"]
        )

    _replace_kind_checks(NEW_KINDS)


def downgrade():
    # The new kinds become the nearest old ones so the old CHECK holds.
    for kind, nearest in (
        ("advisory", "expanded"),
        ("dong_judgment", "dong"),
        ("high_risk_review", "expanded"),
    ):
        for table in ("conferences", "conference_rules"):
            op.execute(
                sa.text(f"UPDATE {table} SET kind = :nearest WHERE kind = :kind").bindparams(  # noqa: S608
                    nearest=nearest, kind=kind
                )
            )
    _replace_kind_checks(OLD_KINDS)
    with op.batch_alter_table("conference_rules", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_conference_rules_dong_id_dongs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_conference_rules_dong_id"))
        batch_op.drop_column("weeks_ahead")
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")
        batch_op.drop_column("dong_id")
        batch_op.drop_column("rrule")

    with op.batch_alter_table("conference_supervision_advice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_supervision_advice_item_id"))
        batch_op.drop_index(batch_op.f("ix_conference_supervision_advice_conference_id"))
        batch_op.drop_index(batch_op.f("ix_conference_supervision_advice_case_id"))
        batch_op.drop_index(batch_op.f("ix_conference_supervision_advice_adviser_id"))

    op.drop_table("conference_supervision_advice")
    with op.batch_alter_table("conference_adviser_attendances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_adviser_attendances_conference_id"))
        batch_op.drop_index(batch_op.f("ix_conference_adviser_attendances_adviser_id"))

    op.drop_table("conference_adviser_attendances")
    with op.batch_alter_table("conference_advisers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_advisers_district_id"))

    op.drop_table("conference_advisers")
