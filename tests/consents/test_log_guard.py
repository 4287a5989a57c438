"""The access log in the database: append-only triggers, the purge they allow, anchors, fail-closed pages."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from cases.models import Client
from consents import tasks
from consents.access_log import (
    log_disclosure,
    publish_anchor,
    purge_expired,
    verify_anchors,
    verify_chain,
    write_anchor,
)
from consents.models import AccessLogAnchor, AccessLogCheckpoint, AccessLogEntry
from hamkke.time import now_utc
from tests.fixtures.consents import CANARY, ConsentWorld, drop_log_guard

pytestmark = pytest.mark.embedded


def _append(count: int, *, client_id: int = 1) -> list[AccessLogEntry]:
    return [
        log_disclosure(
            actor_id=10,
            agency_id=20,
            client_id=client_id + index,
            field_groups=["basic"],
            purpose="referral",
            channel="page",
            basis="consent:1",
        )
        for index in range(count)
    ]


def _refused(db: Any, statement: str, **params: Any) -> str:
    """Run raw SQL in a savepoint and return the database's refusal message."""
    with pytest.raises(sa.exc.DBAPIError) as caught, db.session.begin_nested():
        db.session.execute(sa.text(statement), params)
    return str(caught.value.orig)


# 1. Append-only in the database -------------------------------------------------------------------


def test_raw_update_of_a_log_row_is_refused_by_the_database(db: Any) -> None:
    row = _append(1)[0]
    message = _refused(db, "UPDATE consent_access_log SET purpose = 'other' WHERE id = :id", id=row.id)
    assert "append-only" in message
    assert (
        db.session.scalar(sa.select(AccessLogEntry.purpose).where(AccessLogEntry.id == row.id)) == "referral"
    )


def test_raw_delete_of_a_log_row_is_refused_even_when_old(db: Any) -> None:
    with time_machine.travel(now_utc() - timedelta(days=1000), tick=False):
        old = _append(1, client_id=40)[0]
    young = _append(1, client_id=41)[0]
    # Neither a young row nor an old row without a purge checkpoint covering it may go.
    for row in (young, old):
        assert "append-only" in _refused(db, "DELETE FROM consent_access_log WHERE id = :id", id=row.id)
    assert {old.id, young.id} <= set(db.session.scalars(sa.select(AccessLogEntry.id)))


def test_a_checkpoint_does_not_unlock_rows_younger_than_two_years(db: Any) -> None:
    row = _append(1, client_id=42)[0]
    db.session.add(AccessLogCheckpoint(purged_through_id=row.id, last_hash=row.row_hash, purged_rows=1))
    db.session.flush()
    assert "append-only" in _refused(db, "DELETE FROM consent_access_log WHERE id = :id", id=row.id)


def test_checkpoints_and_anchors_refuse_update_and_delete(db: Any) -> None:
    row = _append(1, client_id=43)[0]
    db.session.add(AccessLogCheckpoint(purged_through_id=0, last_hash=row.prev_hash, purged_rows=0))
    db.session.add(AccessLogAnchor(head_id=row.id, head_hash=row.row_hash, chain_length=1))
    db.session.flush()
    for table in ("consent_access_log_checkpoints", "consent_access_log_anchors"):
        # Table names come from the fixed tuple above, not from input.
        assert "append-only" in _refused(db, f"UPDATE {table} SET id = id")  # noqa: S608
        assert "append-only" in _refused(db, f"DELETE FROM {table}")  # noqa: S608


def test_truncate_is_refused_on_postgresql(db: Any, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE trigger covers a delete of every row")
    _append(1, client_id=44)
    assert "append-only" in _refused(db, "TRUNCATE consent_access_log")


def test_retention_purge_still_deletes_rows_past_the_floor(app: Flask, db: Any) -> None:
    start = now_utc()
    with time_machine.travel(start - timedelta(days=2000), tick=False):
        old = _append(3, client_id=50)
    young = _append(2, client_id=60)
    purged = purge_expired()
    remaining = set(db.session.scalars(sa.select(AccessLogEntry.id)))
    assert purged >= 3
    assert not {row.id for row in old} & remaining
    assert {row.id for row in young} <= remaining
    assert verify_chain().ok
    result = app.test_cli_runner().invoke(args=["consents", "purge-log"])
    assert result.exit_code == 0, result.output


# 2. Anchors: a cut-off tail is detected ----------------------------------------------------------


def _anchor_now() -> AccessLogAnchor:
    anchor = write_anchor()
    assert anchor is not None
    db_session_commit()
    publish_anchor(anchor)
    return anchor


def db_session_commit() -> None:
    """Commit the test session (only releases a savepoint of the test's outer transaction)."""
    from hamkke.db import db as _db

    _db.session.commit()


def test_anchor_records_head_length_and_file_line(app: Flask, db: Any) -> None:
    rows = _append(3, client_id=70)
    anchor = _anchor_now()
    assert anchor.head_id == rows[-1].id
    assert anchor.head_hash == rows[-1].row_hash
    assert anchor.chain_length == db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    line = json.loads(Path(app.config["CONSENTS_ACCESS_LOG_ANCHOR_FILE"]).read_text().splitlines()[-1])
    assert line["head_id"] == rows[-1].id
    assert line["head_hash"] == rows[-1].row_hash
    # The head has not moved: the beat task adds nothing (idempotent).
    assert write_anchor() is None
    assert tasks.anchor_access_log.run() is None


def test_verify_log_passes_with_intact_chain_and_anchors(app: Flask, db: Any) -> None:
    _append(3, client_id=80)
    assert tasks.anchor_access_log.run() is not None
    _append(2, client_id=90)  # rows after the last anchor are fine
    result = app.test_cli_runner().invoke(args=["consents", "verify-log"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    assert verify_anchors().ok
    assert tasks.verify_access_log.run() is True


def test_verify_log_detects_newest_rows_cut_off(app: Flask, db: Any) -> None:
    rows = _append(5, client_id=100)
    _anchor_now()
    drop_log_guard(db)
    # Cut off the two newest rows: the remaining chain is still perfectly linked.
    db.session.execute(sa.delete(AccessLogEntry).where(AccessLogEntry.id >= rows[3].id))
    # The command is a unit of work that fails (exit 1) and rolls back: the cut must be committed.
    db.session.commit()
    assert verify_chain().ok
    result = app.test_cli_runner().invoke(args=["consents", "verify-log"])
    assert result.exit_code == 1
    assert "끝부분 삭제" in result.output
    assert str(rows[4].id) in result.output
    assert tasks.verify_access_log.run() is False


def test_file_anchor_catches_a_cut_when_the_db_anchors_are_gone_too(app: Flask, db: Any) -> None:
    rows = _append(4, client_id=110)
    _anchor_now()
    drop_log_guard(db)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "ALTER TABLE consent_access_log_anchors DISABLE TRIGGER consent_access_log_anchors_append_only"
        )
    else:
        connection.exec_driver_sql("DROP TRIGGER consent_access_log_anchors_no_delete")
    db.session.execute(sa.delete(AccessLogAnchor))
    db.session.execute(sa.delete(AccessLogEntry).where(AccessLogEntry.id == rows[-1].id))
    report = verify_anchors()
    assert not report.ok
    assert report.anchor is not None
    assert report.anchor.source == "file"
    result = app.test_cli_runner().invoke(args=["consents", "verify-log"])
    assert result.exit_code == 1
    assert "파일" in result.output


def test_anchor_survives_a_legitimate_purge(db: Any) -> None:
    with time_machine.travel(now_utc() - timedelta(days=2000), tick=False):
        _append(3, client_id=120)
        anchor = write_anchor()
    assert anchor is not None
    _append(2, client_id=130)
    second = write_anchor()
    assert second is not None
    assert purge_expired() >= 3
    report = verify_anchors()
    assert report.ok, report.problem
    assert report.checked >= 2


def test_anchor_task_is_on_the_beat_schedule() -> None:
    from hamkke.schedule import beat_schedule

    tasks_scheduled = {job["task"] for job in beat_schedule().values()}
    assert "consents.anchor_access_log" in tasks_scheduled


# 3. Fail closed --------------------------------------------------------------------------------


def test_page_answers_503_and_discloses_nothing_when_the_log_cannot_be_written(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Any],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    case = create_plain_case(person)
    login_as(consent_world.worker, agency_id=consent_world.owner.id)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    ok = client.get(f"/cases/{case.id}")
    assert ok.status_code == 200
    assert CANARY in ok.get_data(as_text=True)
    db.session.commit()

    stop_refusing = _refuse_log(db)
    try:
        for path in (f"/cases/{case.id}", f"/consents/panel/{person.id}?purpose=case_management"):
            page = client.get(path)
            html = page.get_data(as_text=True)
            assert page.status_code == 503, (path, html[:300])
            assert CANARY not in html
            assert "접속기록을 남길 수 없어" in html
            assert "The access log cannot be written" in html
        api = client.get(
            f"/consents/api/clients/{person.id}?purpose=case_management",
            headers={"Accept": "application/json"},
        )
        assert api.status_code == 503
        body = api.get_json()
        assert body["error"]["code"] == "access_log_unavailable"
        assert "access log" in body["error"]["message_en"]
        assert CANARY not in api.get_data(as_text=True)
    finally:
        stop_refusing()
    # Only the first, logged page view left a row; the refused ones left none.
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    assert after == before + 1


def _refuse_log(db: Any) -> Callable[[], None]:
    """Make the database itself refuse INSERT into the access log; return the function that stops it.

    PostgreSQL: the app's connection switches to a role that may do everything except insert log
    rows. SQLite (no roles): a temporary trigger aborts every insert. The test's rollback undoes both.
    """
    connection = db.session.get_bind()
    if connection.dialect.name == "postgresql":
        role = f"hamkke_no_log_{secrets.token_hex(4)}"
        for statement in (
            f"CREATE ROLE {role} NOLOGIN",
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
            f"REVOKE INSERT ON consent_access_log FROM {role}",
            f"SET LOCAL ROLE {role}",
        ):
            connection.exec_driver_sql(statement)
        statement = "RESET ROLE"
    else:
        connection.exec_driver_sql(
            "CREATE TEMP TRIGGER refuse_log_insert BEFORE INSERT ON consent_access_log "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
        statement = "DROP TRIGGER IF EXISTS temp.refuse_log_insert"

    def stop() -> None:
        connection.exec_driver_sql(statement)

    return stop


def test_create_all_schemas_get_the_same_triggers(
    request: pytest.FixtureRequest, backend: str, app: Flask, tmp_path: Path
) -> None:
    """Schemas built with metadata.create_all (not Alembic) refuse edits of the log too."""
    import uuid

    from hamkke.db import db as _db

    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(f"consents_{uuid.uuid4().hex[:10]}")
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    else:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'create_all.db'}")
    try:
        _db.metadata.create_all(engine)
        with engine.connect() as connection:
            connection.execute(
                sa.insert(AccessLogEntry.__table__).values(
                    created_at=now_utc(),
                    client_id=1,
                    field_groups=[],
                    purpose="x",
                    channel="page",
                    basis="owner",
                    prev_hash="0" * 64,
                    row_hash="1" * 64,
                )
            )
            for statement in (
                "UPDATE consent_access_log SET purpose = 'y'",
                "DELETE FROM consent_access_log",
            ):
                with pytest.raises(sa.exc.DBAPIError, match="append-only"), connection.begin_nested():
                    connection.execute(sa.text(statement))
            connection.rollback()
    finally:
        engine.dispose()
