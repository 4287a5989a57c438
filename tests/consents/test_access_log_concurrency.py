"""The access log under concurrent appenders and appends deferred to the end of a block (issue 19).

Many live joins at once used to race for the chain head: each read the same head, the losers waited
on the winner's UNIQUE ``prev_hash`` and retried, and some gave up ("kept losing the chain head"), so
a participant joined without a case panel. Appenders now queue on a lock of the head, and a block of
work whose output leaves after the commit appends its rows once, at its end.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from consents import access_log
from consents.access_log import AccessLogUnavailable, Disclosure, appended_together, verify_chain
from consents.models import LOG_GUARD_TRIGGERS, AccessLogEntry
from hamkke.db import db as _db

#: concurrent appenders; each keeps its transaction open a moment after appending, as a join does
WRITERS = 6
BATCHES_PER_WRITER = 3
#: actor id that marks the rows of the concurrency test (removed again afterwards)
CONCURRENT_ACTOR = 9_191_919


def _disclosures(first_client: int, count: int) -> list[Disclosure]:
    return [
        Disclosure(client_id=first_client + index, field_groups=["basic"], basis="owner")
        for index in range(count)
    ]


@pytest.fixture
def committed_rows(app: Flask, backend: str) -> Iterator[None]:
    """Remove the rows this test committed for real (only the chain's tail, so the chain stays whole)."""
    if backend != "postgresql":
        pytest.skip("concurrent writers on PostgreSQL; SQLite admits one writer at a time anyway")
    yield
    with _db.engine.begin() as connection:
        for name in LOG_GUARD_TRIGGERS["postgresql"]:
            connection.exec_driver_sql(f"ALTER TABLE consent_access_log DISABLE TRIGGER {name}")
        connection.execute(sa.delete(AccessLogEntry).where(AccessLogEntry.actor_id == CONCURRENT_ACTOR))
        for name in LOG_GUARD_TRIGGERS["postgresql"]:
            connection.exec_driver_sql(f"ALTER TABLE consent_access_log ENABLE TRIGGER {name}")


def test_concurrent_appenders_queue_for_the_head_instead_of_racing(
    app: Flask, committed_rows: None, caplog: pytest.LogCaptureFixture
) -> None:
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(index: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                for batch in range(BATCHES_PER_WRITER):
                    access_log.log_disclosures(
                        _disclosures(100_000 + 1_000 * index + 10 * batch, 3),
                        actor_id=CONCURRENT_ACTOR,
                        agency_id=index + 1,
                        purpose="conference_sharing",
                        channel="socket",
                    )
                    # Hold the transaction a moment, as a join building its panels did: every other
                    # writer reads the head in the meantime.
                    time.sleep(0.02)
                    _db.session.commit()
            except BaseException as error:  # reported by the main thread
                failures.append(error)
                _db.session.rollback()
            finally:
                _db.session.remove()

    caplog.set_level(logging.INFO, logger="consents.access_log")
    threads = [threading.Thread(target=writer, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    with _db.engine.connect() as connection:
        rows = connection.execute(
            sa.select(AccessLogEntry.id, AccessLogEntry.prev_hash, AccessLogEntry.row_hash)
            .where(AccessLogEntry.actor_id == CONCURRENT_ACTOR)
            .order_by(AccessLogEntry.id)
        ).all()
    assert len(rows) == WRITERS * BATCHES_PER_WRITER * 3
    # Nobody lost the head: no writer had to retry (before: most of them, some until they gave up).
    assert [
        r.message for r in caplog.records if "head moved" in r.message or "kept losing" in r.message
    ] == []
    # The rows of one writer's batches may interleave with others', but the whole log is one chain.
    assert len({row.prev_hash for row in rows}) == len(rows)
    with app.app_context():
        try:
            assert verify_chain().ok
        finally:
            _db.session.remove()


@contextlib.contextmanager
def _log_inserts(db: Any) -> Iterator[list[str]]:
    """Collect the INSERT statements into the access log while the block runs."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CONSENT_ACCESS_LOG"):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def _count(db: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) or 0)


@pytest.mark.embedded
def test_a_deferred_block_appends_every_viewer_once_at_its_end_in_one_insert(db: Any) -> None:
    before = _count(db)
    with _log_inserts(db) as seen, appended_together():
        for agency_id in (1, 2, 3):
            assert (
                access_log.log_disclosures(
                    _disclosures(500 + 10 * agency_id, 2),
                    actor_id=agency_id * 10,
                    agency_id=agency_id,
                    purpose="conference_sharing",
                    channel="socket",
                )
                == 2
            )
        # Nothing is written while the block builds its payloads.
        assert _count(db) == before
        assert seen == []
    rows = db.session.scalars(sa.select(AccessLogEntry).order_by(AccessLogEntry.id.desc()).limit(6)).all()[
        ::-1
    ]
    assert [(row.agency_id, row.client_id) for row in rows] == [
        (1, 510),
        (1, 511),
        (2, 520),
        (2, 521),
        (3, 530),
        (3, 531),
    ]
    assert [row.actor_id for row in rows] == [10, 10, 20, 20, 30, 30]
    if db.engine.dialect.name == "postgresql":
        assert len(seen) == 1  # one round trip for the whole block
    else:
        assert len(seen) == 6  # SQLite runs in-process: one executemany, one statement per row
    assert verify_chain().ok


@pytest.mark.embedded
def test_a_deferred_block_that_fails_appends_nothing(db: Any) -> None:
    before = _count(db)

    def build_then_fail() -> None:
        with appended_together():
            access_log.log_disclosures(
                _disclosures(600, 2), actor_id=1, agency_id=1, purpose="conference_sharing", channel="socket"
            )
            raise ValueError("payload failed")

    with pytest.raises(ValueError, match="payload failed"):
        build_then_fail()
    assert _count(db) == before


@pytest.mark.embedded
def test_a_deferred_append_that_fails_raises_at_the_end_of_the_block(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_head(count: int) -> tuple[str, list[int] | None]:
        raise sa.exc.OperationalError("SELECT head", {}, Exception("disk full"))

    monkeypatch.setattr(access_log, "_head_and_ids", broken_head)
    before = _count(db)
    with pytest.raises(AccessLogUnavailable), appended_together():
        access_log.log_disclosures(
            _disclosures(700, 1), actor_id=1, agency_id=1, purpose="conference_sharing", channel="socket"
        )
    monkeypatch.undo()
    assert _count(db) == before
