"""The revision adding completed_at and the supervision kind: backfill, CHECK change and downgrade."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate, downgrade, upgrade

from agencies.models import AgencySector, AgencyStatus, AgencyType
from conference.models import ActionStatus, ConferenceKind, ConferenceStatus
from hamkke.config import REPO_ROOT
from hamkke.db import db, import_all_models

MIGRATIONS = str(REPO_ROOT / "migrations")
REVISION = "c76a7f81b695"
BEFORE = "cad066097d8d"
FINISHED = datetime(2025, 3, 19, 10, tzinfo=UTC)


@pytest.fixture(params=["postgresql", pytest.param("sqlite", marks=pytest.mark.embedded)])
def migration_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kinds.db'}"
    else:
        url = str(
            request.getfixturevalue("postgres_server").create_database(f"kinds_{uuid.uuid4().hex[:12]}")
        )
    # A bare app bound to the database only, as in tests/shell/test_migrations.py.
    import_all_models()
    app = Flask("hamkke-conference-migration")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS, render_as_batch=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def _conference(connection: sa.Connection, district_id: int, agency_id: int, kind: ConferenceKind) -> int:
    result = connection.execute(
        _table("conferences")
        .insert()
        .values(
            district_id=district_id,
            kind=kind,
            title=kind.label,
            status=ConferenceStatus.closed,
            starts_at=datetime(2025, 3, 12, 5, tzinfo=UTC),
            host_agency_id=agency_id,
        )
        .returning(_table("conferences").c.id)
    )
    return int(result.scalar_one())


def test_revision_backfills_completed_at_and_admits_supervision(migration_app: Flask) -> None:
    with migration_app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as connection:
            district_id = connection.execute(
                _table("districts")
                .insert()
                .values(code="mig", name="이관구", settings={})
                .returning(_table("districts").c.id)
            ).scalar_one()
            agency_id = connection.execute(
                _table("agencies")
                .insert()
                .values(
                    district_id=district_id,
                    code="mig-team",
                    name="이관구청",
                    type=AgencyType.district_team,
                    sector=AgencySector.public,
                    status=AgencyStatus.active,
                )
                .returning(_table("agencies").c.id)
            ).scalar_one()
            conference_id = _conference(connection, district_id, agency_id, ConferenceKind.regional)
            item_id = connection.execute(
                _table("conference_agenda_items")
                .insert()
                .values(conference_id=conference_id, title="안건")
                .returning(_table("conference_agenda_items").c.id)
            ).scalar_one()
            actions = _table("conference_action_items")
            for status, updated in ((ActionStatus.done, FINISHED), (ActionStatus.open, FINISHED)):
                connection.execute(
                    actions.insert().values(
                        conference_id=conference_id,
                        item_id=item_id,
                        text="주거비 지원 신청",
                        owner_agency_id=agency_id,
                        due_on=date(2025, 3, 20),
                        status=status,
                        created_at=FINISHED,
                        updated_at=updated,
                    )
                )
        # Before the revision the CHECK refuses the new kind.
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            _conference(connection, district_id, agency_id, ConferenceKind.supervision)

        upgrade(directory=MIGRATIONS, revision=REVISION)
        with db.engine.begin() as connection:
            rows = connection.execute(
                sa.select(actions.c.status, actions.c.completed_at).order_by(actions.c.id)
            ).all()
            supervision_id = _conference(connection, district_id, agency_id, ConferenceKind.supervision)
        assert [(str(status), completed) for status, completed in rows] == [
            ("done", FINISHED),
            ("open", None),
        ]

        downgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as connection:
            kind = connection.execute(
                sa.select(_table("conferences").c.kind).where(_table("conferences").c.id == supervision_id)
            ).scalar_one()
        assert str(kind) == "expanded"
        db.engine.dispose()
