"""Revision 48f3bb9fe44b moves every existing 상담일지 into a session of its own with the nine methods."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from hamkke.db import db
from tests.shell.test_migrations import MIGRATIONS, _migration_app

pytestmark = pytest.mark.embedded

BEFORE = "4d8e2a6c1f57"
#: (log id, old method, minutes) -> the method it must become
OLD_LOGS = (
    (1, "home_visit", 50, "face_visit"),
    (2, "phone", 15, "phone_out"),
    (3, "message", 10, "message_out"),
)


def test_existing_logs_become_sessions_with_the_new_methods(tmp_path: Path) -> None:
    app = _migration_app(f"sqlite:///{tmp_path / 'logs.db'}")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.connect() as connection:
            # Foreign keys off for this connection: the case row needs only its own columns.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.execute(
                sa.text(
                    "INSERT INTO cases (id, household_id, main_client_id, owning_agency_id, stage, "
                    "case_type, intensity, opened_on, is_life_safety, is_deleted, created_at, updated_at) "
                    "VALUES (7, 1, 1, 42, 'delivery', 'general', 'simple', '2026-01-02', 0, 0, "
                    "'2026-01-02 00:00:00', '2026-01-02 00:00:00')"
                )
            )
            for log_id, method, minutes, _new in OLD_LOGS:
                connection.execute(
                    sa.text(
                        "INSERT INTO case_counselling_logs (id, case_id, contacted_on, channel, method, "
                        "minutes, content, finding, author_id, created_at, updated_at) "
                        "VALUES (:id, 7, '2026-02-03', 'regular_contact', :method, :minutes, '기록', "
                        "'on_track', 5, '2026-02-03 00:00:00', '2026-02-03 00:00:00')"
                    ),
                    {"id": log_id, "method": method, "minutes": minutes},
                )
            connection.commit()
        upgrade(directory=MIGRATIONS, revision="48f3bb9fe44b")
        with db.engine.connect() as connection:
            logs = connection.execute(
                sa.text(
                    "SELECT id, session_id, method, area, counselling_type "
                    "FROM case_counselling_logs ORDER BY id"
                )
            ).all()
            sessions = connection.execute(
                sa.text(
                    "SELECT id, held_on, method, minutes, counsellor_id, agency_id, case_count "
                    "FROM case_counselling_sessions ORDER BY id"
                )
            ).all()
        db.engine.dispose()
    assert [tuple(row) for row in logs] == [
        (log_id, log_id, new, "client", "welfare_other") for log_id, _old, _minutes, new in OLD_LOGS
    ]
    assert [tuple(row) for row in sessions] == [
        (log_id, "2026-02-03", new, minutes, 5, 42, 1) for log_id, _old, minutes, new in OLD_LOGS
    ]
