"""SQLite as an embedded database: writers wait for the lock instead of failing, readers block nobody.

Each test uses engines of its own on a file in ``tmp_path`` (as the web app, the worker and beat each
have theirs on ``instance/hamkke.db``), with the connection events of ``hamkke.db``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import hamkke.db  # noqa: F401 -- registers the SQLite connection and transaction events

pytestmark = pytest.mark.embedded

ROWS = sa.table("rows", sa.column("id"), sa.column("who"))


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """Two processes' worth of engines on one SQLite file with a table ``rows``."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = sa.create_engine(url, connect_args={"timeout": 30})
    second = sa.create_engine(url, connect_args={"timeout": 30})
    with first.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE rows (id INTEGER PRIMARY KEY, who TEXT NOT NULL)")
    yield first, second
    first.dispose()
    second.dispose()


def _count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(ROWS)) or 0)


def test_a_unit_that_read_before_another_process_committed_still_writes(
    engines: tuple[sa.Engine, sa.Engine],
) -> None:
    # The access-log case: a request reads (page data, the chain head), another process commits, the
    # request then appends. A transaction begun as a reader failed here at once ("database is locked",
    # SQLITE_BUSY_SNAPSHOT) however long the busy timeout.
    web, worker = engines
    with web.connect() as request:
        request.execute(sa.select(sa.func.count()).select_from(ROWS)).scalar()
        with worker.begin() as task:
            task.execute(ROWS.insert().values(who="worker"))
        request.execute(ROWS.insert().values(who="web"))
        request.commit()
    assert _count(web) == 2


def test_a_writer_waits_for_another_writer_instead_of_failing(engines: tuple[sa.Engine, sa.Engine]) -> None:
    web, worker = engines
    holding = threading.Event()

    def long_task() -> None:
        with worker.begin() as task:
            task.execute(ROWS.insert().values(who="worker"))
            holding.set()
            time.sleep(1.0)  # a letter being rendered inside its transaction

    thread = threading.Thread(target=long_task)
    with web.connect() as request:
        request.execute(sa.select(sa.func.count()).select_from(ROWS)).scalar()
        thread.start()
        assert holding.wait(10)
        request.execute(ROWS.insert().values(who="web"))  # waits for the worker's commit, then writes
        request.commit()
    thread.join()
    assert _count(web) == 2


def test_a_reader_left_open_blocks_no_writer(engines: tuple[sa.Engine, sa.Engine]) -> None:
    # A loop polling for a worker's result keeps its unit of work open between looks; the worker
    # must still be able to write (a short busy timeout makes a blocked write fail fast here).
    poller, worker = engines
    with poller.connect() as polling:
        polling.execute(sa.select(sa.func.count()).select_from(ROWS)).scalar()
        with worker.connect() as task:
            task.exec_driver_sql("PRAGMA busy_timeout=200")
            task.execute(ROWS.insert().values(who="worker"))
            task.commit()
        assert polling.execute(sa.select(sa.func.count()).select_from(ROWS)).scalar() == 1


def test_a_write_that_cannot_get_the_lock_fails_cleanly_after_bounded_waits(
    engines: tuple[sa.Engine, sa.Engine], caplog: pytest.LogCaptureFixture
) -> None:
    web, worker = engines
    with worker.connect() as holder:
        holder.execute(ROWS.insert().values(who="worker"))  # holds the write lock until rolled back
        with web.connect() as request:
            request.exec_driver_sql("PRAGMA busy_timeout=50")
            with (
                caplog.at_level(logging.WARNING, logger="hamkke.db"),
                pytest.raises(sa.exc.OperationalError, match="database is locked"),
            ):
                request.execute(ROWS.insert().values(who="web"))
            request.rollback()
        holder.rollback()
    # Tried again a bounded number of times (SQLITE_BEGIN_ATTEMPTS), then gave up.
    assert len([r for r in caplog.records if "waiting again" in r.getMessage()]) == 2
    assert _count(web) == 0  # nothing half-saved


def test_a_row_locking_read_starts_the_write_transaction(engines: tuple[sa.Engine, sa.Engine]) -> None:
    # SELECT … FOR UPDATE (SQLite's dialect drops the clause) must still serialise a read-modify-write:
    # it takes the write lock, so another writer waits (here: gives up after its short timeout).
    web, worker = engines
    with web.connect() as request:
        request.execute(sa.select(ROWS.c.id).with_for_update()).all()
        with worker.connect() as task:
            task.exec_driver_sql("PRAGMA busy_timeout=50")
            with pytest.raises(sa.exc.OperationalError, match="database is locked"):
                task.execute(ROWS.insert().values(who="worker"))
            task.rollback()
        request.execute(ROWS.insert().values(who="web"))
        request.commit()
    assert _count(web) == 1
