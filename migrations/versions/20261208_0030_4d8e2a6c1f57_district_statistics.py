"""district statistics: coded 가구유형 (two typologies), staff positions, low-income counts, 민관 교육

The free-text household type is mapped to the two coded typologies through the spelling table
below; text that matches neither is coded 기타 (other) in both and stays in ``household_type`` as a
note, and the number of such households is logged. Membership titles become typed positions where
the title names one; otherwise a case worker of a public dong centre or district team is a
사례관리 담당 공무원 and one of a private agency a 민간 사례관리자.

Revision ID: 4d8e2a6c1f57
Revises: 6e8c0a2d4f51
Create Date: 2026-12-08 00:30:00.000000

"""

import logging
import re
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d8e2a6c1f57"
down_revision = "6e8c0a2d4f51"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

PROBLEM_TYPES = ("alcohol_mental", "disability_illness", "abuse_violence", "economic", "other")
COMPOSITIONS = (
    "elderly_alone",
    "elderly_couple",
    "single_mother",
    "single_father",
    "grandparent",
    "disabled",
    "multicultural",
    "general",
    "other",
)
POSITIONS = (
    "integrated_case_manager",
    "welfare_planner",
    "public_case_officer",
    "private_case_manager",
    "other",
)

#: the spellings found in practice, after dropping spaces and punctuation (·, ., /, 및, ( ) …): the
#: first fragment found in the text decides (so 알코올 beats 질병 in 알코올성 질병)
PROBLEM_SPELLINGS = (
    (("알코올", "알콜", "음주", "중독", "정신", "우울", "조현"), "alcohol_mental"),
    (("학대", "폭력", "방임", "가정폭력"), "abuse_violence"),
    (("장애", "질병", "질환", "투병", "환자", "거동"), "disability_illness"),
    (("경제", "생계", "빈곤", "저소득", "채무", "부채", "실직", "주거", "체납"), "economic"),
)
COMPOSITION_SPELLINGS = (
    (("독거노인", "독거어르신", "노인단독", "홀몸노인", "1인노인", "독거"), "elderly_alone"),
    (("노인부부", "노부부", "고령부부", "어르신부부"), "elderly_couple"),
    (("부자가정", "부자가구", "한부모부자", "부자세대"), "single_father"),
    (("모자가정", "모자가구", "한부모모자", "모자세대", "미혼모"), "single_mother"),
    (("조손",), "grandparent"),
    (("다문화", "결혼이민", "이주"), "multicultural"),
    (("장애인가구", "장애인가정", "장애가구"), "disabled"),
    (("일반가구", "일반가정", "일반"), "general"),
)
#: 한부모 without 모자/부자 is still a single-parent home; most are mothers with children, but the
#: migration does not guess: it goes to 한부모(모자) only when the text says 모, else stays uncoded
SINGLE_PARENT = ("한부모",)
POSITION_SPELLINGS = (
    (("통합사례관리사", "통합사례"), "integrated_case_manager"),
    (("복지플래너", "플래너"), "welfare_planner"),
    (("주무관", "공무원", "사회복지직", "담당공무원"), "public_case_officer"),
    (("사회복지사", "사례관리자", "팀장", "실무자"), "private_case_manager"),
)

_NOISE = re.compile(r"[\s·ㆍ.,/()\[\]\-_~+]|및")


def _normal(text):
    return _NOISE.sub("", text or "")


def _first(spellings, text):
    for fragments, code in spellings:
        if any(fragment in text for fragment in fragments):
            return code
    return None


def classify_household(text):
    """Return (problem_type, composition_type) for a free-text 가구유형 (None: not said)."""
    normal = _normal(text)
    if not normal:
        return None, None
    problem = _first(PROBLEM_SPELLINGS, normal)
    composition = _first(COMPOSITION_SPELLINGS, normal)
    if composition is None and any(word in normal for word in SINGLE_PARENT):
        composition = "single_father" if "부자" in normal else "single_mother"
    if composition is None and problem is None:
        return "other", "other"
    if composition is None and problem == "disability_illness" and "장애인" in normal:
        composition = "disabled"
    return problem, composition


def _enum(name, values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _add_enum_column(table, column, name, values):
    # Not batch mode on SQLite: it rebuilds the table, and dropping the old copy (foreign keys on)
    # deletes the rows that reference it with ON DELETE CASCADE (every membership_roles row). SQLite
    # adds a column with its own CHECK in place.
    if op.get_bind().dialect.name == "sqlite":
        listed = ", ".join(f"'{value}'" for value in values)
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(40) "
            f"CONSTRAINT ck_{table}_{name} CHECK ({column} IN ({listed}))"
        )
    else:
        op.add_column(table, sa.Column(column, _enum(name, values), nullable=True))


def _drop_enum_column(table, column, name):
    # In place on SQLite too (3.35+ drops a column whose only constraint is its own CHECK).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
        op.drop_column(table, column)


def _code_households(bind):
    households = sa.table(
        "households",
        sa.column("id", sa.Integer),
        sa.column("household_type", sa.String),
        sa.column("problem_type", sa.String),
        sa.column("composition_type", sa.String),
    )
    rows = bind.execute(
        sa.select(households.c.id, households.c.household_type).where(
            households.c.household_type.is_not(None)
        )
    ).all()
    groups = defaultdict(list)
    unmapped = 0
    for household_id, text in rows:
        codes = classify_household(text)
        if codes == ("other", "other"):
            unmapped += 1
        if codes != (None, None):
            groups[codes].append(household_id)
    for (problem, composition), ids in groups.items():
        for start in range(0, len(ids), 500):
            bind.execute(
                households.update()
                .where(households.c.id.in_(ids[start : start + 500]))
                .values(problem_type=problem, composition_type=composition)
            )
    log.info(
        "가구유형: %d households coded from free text, %d unmapped (coded 기타, text kept in household_type)",
        len(rows) - unmapped,
        unmapped,
    )


def _position_memberships(bind):
    memberships = sa.table(
        "memberships",
        sa.column("id", sa.Integer),
        sa.column("agency_id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("position", sa.String),
    )
    for membership_id, title in bind.execute(
        sa.select(memberships.c.id, memberships.c.title).where(memberships.c.title.is_not(None))
    ).all():
        position = _first(POSITION_SPELLINGS, _normal(title))
        if position is not None:
            bind.execute(
                memberships.update().where(memberships.c.id == membership_id).values(position=position)
            )
    # Untitled case workers: a public (dong centre, district team) one is a 사례관리 담당 공무원,
    # a private agency's a 민간 사례관리자.
    for sector, position in (("public", "public_case_officer"), ("private", "private_case_manager")):
        bind.execute(
            sa.text(
                """
                UPDATE memberships SET position = :position
                WHERE position IS NULL
                  AND agency_id IN (SELECT id FROM agencies WHERE sector = :sector)
                  AND id IN (SELECT membership_id FROM membership_roles WHERE role = 'case_worker')
                """
            ),
            {"position": position, "sector": sector},
        )


def upgrade():
    _add_enum_column("households", "problem_type", "household_problem_type", PROBLEM_TYPES)
    _add_enum_column("households", "composition_type", "household_composition_type", COMPOSITIONS)
    op.create_index(op.f("ix_households_problem_type"), "households", ["problem_type"], unique=False)
    op.create_index(op.f("ix_households_composition_type"), "households", ["composition_type"], unique=False)
    _add_enum_column("memberships", "position", "staff_position", POSITIONS)
    op.create_table(
        "low_income_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("dong_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("basic_livelihood_households", sa.Integer(), nullable=False),
        sa.Column("near_poverty_households", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "basic_livelihood_households >= 0 AND near_poverty_households >= 0",
            name=op.f("ck_low_income_counts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_low_income_counts_district_id_districts")
        ),
        sa.ForeignKeyConstraint(["dong_id"], ["dongs.id"], name=op.f("fk_low_income_counts_dong_id_dongs")),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["people.id"], name=op.f("fk_low_income_counts_entered_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_low_income_counts")),
        sa.UniqueConstraint("dong_id", "year", name="uq_low_income_counts_dong_year"),
    )
    with op.batch_alter_table("low_income_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_low_income_counts_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_low_income_counts_dong_id"), ["dong_id"], unique=False)
    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("course_name", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("organiser", sa.String(length=200), nullable=False),
        sa.Column(
            "audience",
            _enum("training_audience", ("dong_centre", "district_office", "private")),
            nullable=False,
        ),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("outsider_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours > 0 AND outsider_count >= 0", name=op.f("ck_training_records_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_training_records_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_training_records_district_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_records_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_records_held_on"), ["held_on"], unique=False)
    op.create_table(
        "training_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_training_participants_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["training_records.id"],
            name=op.f("fk_training_participants_training_id_training_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_participants")),
        sa.UniqueConstraint("training_id", "person_id", name="uq_training_participants_person"),
    )
    with op.batch_alter_table("training_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_participants_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_training_participants_training_id"), ["training_id"], unique=False
        )
    bind = op.get_bind()
    _code_households(bind)
    _position_memberships(bind)


def downgrade():
    # The free text was never changed, so dropping the codes loses nothing that was there before.
    with op.batch_alter_table("training_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_participants_training_id"))
        batch_op.drop_index(batch_op.f("ix_training_participants_person_id"))
    op.drop_table("training_participants")
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_records_held_on"))
        batch_op.drop_index(batch_op.f("ix_training_records_district_id"))
    op.drop_table("training_records")
    with op.batch_alter_table("low_income_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_low_income_counts_dong_id"))
        batch_op.drop_index(batch_op.f("ix_low_income_counts_district_id"))
    op.drop_table("low_income_counts")
    _drop_enum_column("memberships", "position", "staff_position")
    op.drop_index(op.f("ix_households_composition_type"), table_name="households")
    op.drop_index(op.f("ix_households_problem_type"), table_name="households")
    _drop_enum_column("households", "composition_type", "household_composition_type")
    _drop_enum_column("households", "problem_type", "household_problem_type")
