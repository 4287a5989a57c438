"""The closure-date revision backfills closed_on of cases in 사후관리 from the day they entered it.

The day comes from the case timeline (the latest transition into follow_up, as a Seoul date); a case
without that event keeps no date, other stages are left alone, and the downgrade clears the dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from hamkke.db import db
from tests.shell.test_migrations import MIGRATIONS, _migration_app

#: the revision before the backfill, and the backfill itself
BEFORE, BACKFILL = "7b79a91d34d1", "9c3d5e7f1a24"


@pytest.fixture(params=["postgresql", pytest.param("sqlite", marks=pytest.mark.embedded)])
def app_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/backfill.db"
    else:
        import uuid

        url = str(
            request.getfixturevalue("postgres_server").create_database(f"backfill_{uuid.uuid4().hex[:12]}")
        )
    app = _migration_app(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
    yield app
    with app.app_context():
        db.engine.dispose()


def _seed(connection: sa.Connection) -> None:
    tables = db.metadata.tables
    now = datetime(2026, 1, 5, tzinfo=UTC)
    stamps = {"created_at": now, "updated_at": now}
    connection.execute(
        sa.insert(tables["districts"]), [{"id": 1, "code": "bf", "name": "시험구", "settings": {}}]
    )
    connection.execute(
        sa.insert(tables["agencies"]),
        [
            {
                "id": 1,
                "district_id": 1,
                "code": "bf-dong",
                "name": "시험동",
                "type": "dong_centre",
                "sector": "public",
                "status": "active",
                **stamps,
            }
        ],
    )
    connection.execute(sa.insert(tables["households"]), [{"id": 1, "owning_agency_id": 1, **stamps}])
    connection.execute(
        sa.insert(tables["clients"]),
        [
            {
                "id": 1,
                "household_id": 1,
                "owning_agency_id": 1,
                "name": "시험",
                "is_main_client": True,
                **stamps,
            }
        ],
    )
    case = {"household_id": 1, "main_client_id": 1, "owning_agency_id": 1, "case_type": "general"}
    case |= {"intensity": "simple", "opened_on": date(2025, 6, 1), **stamps}
    connection.execute(
        sa.insert(tables["cases"]),
        [
            {"id": 1, "stage": "follow_up", **case},  # entered 사후관리 twice: the latest counts
            {"id": 2, "stage": "follow_up", **case},  # no transition on record: stays without a date
            {"id": 3, "stage": "delivery", **case},  # not closed: untouched
        ],
    )
    event = {"kind": "transition", "action": "close_to_follow_up", "to_stage": "follow_up"}
    connection.execute(
        sa.insert(tables["case_events"]),
        [
            {"case_id": 1, "at": datetime(2025, 9, 1, 3, 0, tzinfo=UTC), **event},
            # 2026-03-01 16:00 UTC is 2026-03-02 01:00 in Seoul
            {"case_id": 1, "at": datetime(2026, 3, 1, 16, 0, tzinfo=UTC), **event},
            {"case_id": 3, "at": datetime(2026, 3, 1, 16, 0, tzinfo=UTC), **event},
        ],
    )


def _closed_on(app: Flask) -> dict[int, object]:
    with app.app_context(), db.engine.connect() as connection:
        cases = db.metadata.tables["cases"]
        rows = connection.execute(sa.select(cases.c.id, cases.c.closed_on).order_by(cases.c.id))
        return {row[0]: row[1] for row in rows}


def test_follow_up_cases_get_the_day_they_entered_it(app_before: Flask) -> None:
    with app_before.app_context(), db.engine.begin() as connection:
        _seed(connection)
    assert _closed_on(app_before) == {1: None, 2: None, 3: None}
    with app_before.app_context():
        upgrade(directory=MIGRATIONS, revision=BACKFILL)
    assert _closed_on(app_before) == {1: date(2026, 3, 2), 2: None, 3: None}
    with app_before.app_context():
        downgrade(directory=MIGRATIONS, revision=BEFORE)
    assert _closed_on(app_before) == {1: None, 2: None, 3: None}
