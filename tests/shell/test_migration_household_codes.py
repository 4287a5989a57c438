"""The district-statistics revision codes the free-text 가구유형 in both typologies and types the posts.

Rows inserted at the revision before it: common spellings map to codes, unmapped text becomes 기타
in both typologies with the text kept, empty text stays uncoded; titles and roles give positions.
The downgrade drops the codes and keeps the text.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from hamkke.db import db
from tests.shell.test_migrations import MIGRATIONS, _migration_app

BEFORE, CODES = "6e8c0a2d4f51", "4d8e2a6c1f57"

#: free text → (problem type, composition) the revision must give
EXPECTED = {
    1: ("경제적 어려움", "economic", None),
    2: ("알코올·정신질환", "alcohol_mental", None),
    3: ("알콜 및 정신질환", "alcohol_mental", None),
    4: ("장애 및 질병", "disability_illness", None),
    5: ("아동학대·가정폭력", "abuse_violence", None),
    6: ("독거노인", None, "elderly_alone"),
    7: ("한부모", None, "single_mother"),
    8: ("한부모(부자)", None, "single_father"),
    9: ("조손가구", None, "grandparent"),
    10: ("장애인 가구", "disability_illness", "disabled"),
    11: ("다문화 가정", None, "multicultural"),
    12: ("노인부부", None, "elderly_couple"),
    13: ("무슨 유형인지 모름", "other", "other"),
    14: (None, None, None),
}


def _revision() -> ModuleType:
    path = next(Path(MIGRATIONS, "versions").glob(f"*_{CODES}_*.py"))
    spec = importlib.util.spec_from_file_location("district_statistics_revision", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_spelling_table_maps_common_spellings() -> None:
    revision = _revision()
    for text, problem, composition in EXPECTED.values():
        if text is not None:
            assert revision.classify_household(text) == (problem, composition), text


@pytest.fixture(params=["postgresql", pytest.param("sqlite", marks=pytest.mark.embedded)])
def app_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/codes.db"
    else:
        url = str(
            request.getfixturevalue("postgres_server").create_database(f"codes_{uuid.uuid4().hex[:12]}")
        )
    app = _migration_app(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
    yield app
    with app.app_context():
        db.engine.dispose()


def _seed(connection: sa.Connection) -> None:
    # Plain tables of the columns that exist at the earlier revision (the models already have more).
    now = datetime(2026, 1, 5, tzinfo=UTC)
    stamps = {"created_at": now, "updated_at": now}
    connection.execute(
        sa.text("INSERT INTO districts (id, code, name, settings) VALUES (1, 'cd', '시험구', '{}')")
    )
    agencies = sa.table(
        "agencies",
        *(sa.column(name) for name in ("id", "district_id", "code", "name", "type", "sector", "status")),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    connection.execute(
        agencies.insert(),
        [
            {"id": 1, "district_id": 1, "code": "cd-dong", "name": "시험동", "type": "dong_centre"}
            | {"sector": "public", "status": "active", **stamps},
            {
                "id": 2,
                "district_id": 1,
                "code": "cd-welfare",
                "name": "시험복지관",
                "type": "community_welfare_centre",
            }
            | {"sector": "private", "status": "active", **stamps},
        ],
    )
    households = sa.table(
        "households",
        sa.column("id"),
        sa.column("owning_agency_id"),
        sa.column("household_type"),
        sa.column("created_at"),
        sa.column("updated_at"),
        sa.column("characteristics"),
        sa.column("is_deleted"),
    )
    connection.execute(
        households.insert(),
        [
            {"id": key, "owning_agency_id": 1, "household_type": text, "characteristics": "[]", **stamps}
            | {"is_deleted": False}
            for key, (text, _, _) in EXPECTED.items()
        ],
    )
    people_rows = [
        {
            "id": i,
            "name": f"사람{i}",
            "email": f"p{i}@example.org",
            "is_active": True,
            "is_break_glass": False,
        }
        for i in range(1, 5)
    ]
    connection.execute(
        sa.text(
            "INSERT INTO people (id, name, email, is_active, is_break_glass, failed_sign_ins, "
            "session_version, created_at, updated_at) "
            "VALUES (:id, :name, :email, :is_active, :is_break_glass, 0, 1, :at, :at)"
        ),
        [{**row, "at": now} for row in people_rows],
    )
    memberships = [
        (1, 1, 1, "복지플래너"),  # the title names the post
        (2, 2, 1, "맞춤형복지팀 주무관"),
        (3, 3, 2, None),  # an untitled case worker of a private agency
        (4, 4, 1, None),  # untitled, no case-worker role: left without a post
    ]
    for membership_id, person_id, agency_id, title in memberships:
        connection.execute(
            sa.text(
                "INSERT INTO memberships (id, person_id, agency_id, status, title, created_at, updated_at) "
                "VALUES (:id, :person, :agency, 'active', :title, :at, :at)"
            ),
            {"id": membership_id, "person": person_id, "agency": agency_id, "title": title, "at": now},
        )
    connection.execute(
        sa.text(
            "INSERT INTO membership_roles (membership_id, role, granted_at) VALUES (3, 'case_worker', :at), "
            "(4, 'supervisor', :at)"
        ),
        {"at": now},
    )


def _codes(app: Flask) -> dict[int, tuple[object, object, object]]:
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id, household_type, problem_type, composition_type FROM households ORDER BY id")
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_free_text_becomes_codes_and_the_text_stays(app_before: Flask) -> None:
    with app_before.app_context(), db.engine.begin() as connection:
        _seed(connection)
    with app_before.app_context():
        upgrade(directory=MIGRATIONS, revision=CODES)
    assert _codes(app_before) == EXPECTED
    with app_before.app_context(), db.engine.connect() as connection:
        positions = dict(
            connection.execute(sa.text("SELECT id, position FROM memberships ORDER BY id")).all()
        )
    assert positions == {1: "welfare_planner", 2: "public_case_officer", 3: "private_case_manager", 4: None}
    # Adding the column must not rebuild memberships: on SQLite that cascades into the role grants.
    with app_before.app_context(), db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM membership_roles")).scalar() == 2
    with app_before.app_context():
        downgrade(directory=MIGRATIONS, revision=BEFORE)
    with app_before.app_context(), db.engine.connect() as connection:
        texts = dict(
            connection.execute(sa.text("SELECT id, household_type FROM households ORDER BY id")).all()
        )
        columns = {column["name"] for column in sa.inspect(connection).get_columns("households")}
    assert texts == {key: text for key, (text, _, _) in EXPECTED.items()}
    assert "problem_type" not in columns
