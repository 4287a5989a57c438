"""The access log: hash chain, tamper detection, no forks, retention floor, the verify command."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from consents import access_log
from consents.access_log import GENESIS_HASH, log_disclosure, purge_expired, verify_chain
from consents.models import AccessLogCheckpoint, AccessLogEntry
from hamkke.time import now_utc
from tests.fixtures.consents import drop_log_guard

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


def test_rows_link_to_their_predecessor(db: Any) -> None:
    rows = _append(5)
    first = rows[0]
    assert first.prev_hash in {GENESIS_HASH} | set(
        db.session.scalars(sa.select(AccessLogEntry.row_hash).where(AccessLogEntry.id < first.id))
    )
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("column", "value"),
    [("field_groups", ["basic", "health"]), ("client_id", 999), ("actor_id", 11), ("channel", "export")],
)
def test_direct_edit_in_the_database_is_detected(db: Any, column: str, value: Any) -> None:
    rows = _append(6)
    target = rows[3]
    # Edit the stored row with plain SQL, as an intruder with the owner's rights would.
    drop_log_guard(db)
    db.session.execute(
        sa.update(AccessLogEntry).where(AccessLogEntry.id == target.id).values({column: value})
    )
    report = verify_chain()
    assert not report.ok
    assert report.broken_at == target.id
    assert report.problem == "내용 변경"


def test_deleted_row_is_detected(db: Any) -> None:
    rows = _append(4)
    drop_log_guard(db)
    db.session.execute(sa.delete(AccessLogEntry).where(AccessLogEntry.id == rows[1].id))
    report = verify_chain()
    assert not report.ok
    assert report.broken_at == rows[2].id


def test_verify_log_command_exits_1_on_tampering(app: Flask, db: Any) -> None:
    rows = _append(3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["consents", "verify-log"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    drop_log_guard(db)
    db.session.execute(
        sa.update(AccessLogEntry).where(AccessLogEntry.id == rows[0].id).values(purpose="other")
    )
    result = runner.invoke(args=["consents", "verify-log"])
    assert result.exit_code == 1
    assert f"row {rows[0].id}" in result.output


def test_a_writer_that_lost_the_head_retries_instead_of_forking(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _append(2)
    stale = rows[0].row_hash  # the head another writer saw before rows[1] was appended
    real_head = access_log._head_hash
    calls: list[str] = []

    def head_once_stale() -> str:
        calls.append("x")
        return stale if len(calls) == 1 else real_head()

    monkeypatch.setattr(access_log, "_head_hash", head_once_stale)
    entry = log_disclosure(
        actor_id=1,
        agency_id=2,
        client_id=3,
        field_groups=["basic"],
        purpose="referral",
        channel="api",
        basis="owner",
    )
    assert len(calls) == 2
    assert entry.prev_hash == rows[1].row_hash
    assert verify_chain().ok


def test_unique_prev_hash_refuses_a_fork(db: Any) -> None:
    rows = _append(2)
    fork = AccessLogEntry(
        created_at=now_utc(),
        client_id=1,
        field_groups=[],
        purpose="x",
        channel="page",
        basis="owner",
        prev_hash=rows[0].row_hash,
        row_hash="0" * 64,
    )
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(fork)


def test_purge_never_deletes_rows_younger_than_two_years(
    app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A configuration below the legal floor is raised to two years.
    monkeypatch.setitem(app.config, "CONSENTS_ACCESS_LOG_RETENTION_DAYS", 10)
    assert access_log.retention_days() == 730
    start = now_utc()
    with time_machine.travel(start - timedelta(days=800), tick=False):
        old = _append(2, client_id=100)
    with time_machine.travel(start - timedelta(days=729), tick=False):
        young = _append(2, client_id=200)
    with time_machine.travel(start, tick=False):
        purged = purge_expired()
    remaining = set(db.session.scalars(sa.select(AccessLogEntry.id)))
    assert purged >= 2
    assert not {row.id for row in old} & remaining
    assert {row.id for row in young} <= remaining
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogCheckpoint)) == 1
    # The chain still verifies from the checkpoint on.
    assert verify_chain().ok


def test_purge_keeps_everything_after_the_first_young_row(db: Any) -> None:
    start = now_utc()
    with time_machine.travel(start - timedelta(days=100), tick=False):
        young = _append(1, client_id=300)
    with time_machine.travel(start - timedelta(days=900), tick=False):
        # An out-of-order old time after a young row stays, so the chain is only cut at its start.
        late_old = _append(1, client_id=400)
    with time_machine.travel(start, tick=False):
        purge_expired()
    remaining = set(db.session.scalars(sa.select(AccessLogEntry.id)))
    assert {young[0].id, late_old[0].id} <= remaining


def test_purge_dry_run_deletes_nothing(db: Any, create_client: Callable[..., Any]) -> None:
    with time_machine.travel(now_utc() - timedelta(days=2000), tick=False):
        _append(1, client_id=500)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    assert purge_expired(dry_run=True) >= 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) == before


def _batch(db: Any, count: int, *, client_id: int = 700) -> list[AccessLogEntry]:
    appended = access_log.log_disclosures(
        [
            access_log.Disclosure(
                client_id=client_id + index, field_groups=["basic", "contact"], basis="owner"
            )
            for index in range(count)
        ],
        actor_id=10,
        agency_id=20,
        purpose="case_management",
        channel="page",
    )
    assert appended == count
    return list(
        db.session.scalars(
            sa.select(AccessLogEntry)
            .where(AccessLogEntry.client_id >= client_id, AccessLogEntry.client_id < client_id + count)
            .order_by(AccessLogEntry.id)
        )
    )


def test_a_batch_continues_the_chain_in_id_order_and_verifies(db: Any) -> None:
    before = _append(2)
    rows = _batch(db, 150)  # more rows than one SQLite statement takes: the batch spans statements
    assert [row.client_id for row in rows] == list(range(700, 850))
    assert rows[0].prev_hash == before[-1].row_hash
    for earlier, later in itertools.pairwise(rows):
        assert later.prev_hash == earlier.row_hash
        assert later.id > earlier.id
    # Single appends after a batch chain from its last row.
    after = _append(1, client_id=900)[0]
    assert after.prev_hash == rows[-1].row_hash
    assert verify_chain().ok


def test_a_batch_that_lost_the_head_retries_whole_instead_of_forking(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _append(2)
    stale = rows[0].row_hash
    real_head = access_log._head_and_ids
    calls: list[str] = []

    def head_once_stale(count: int) -> tuple[str, list[int] | None]:
        calls.append("x")
        head, ids = real_head(count)
        return (stale if len(calls) == 1 else head), ids

    monkeypatch.setattr(access_log, "_head_and_ids", head_once_stale)
    batch = _batch(db, 3, client_id=950)
    assert len(calls) == 2
    assert [row.client_id for row in batch] == [950, 951, 952]
    assert batch[0].prev_hash == rows[1].row_hash
    assert verify_chain().ok


def test_an_empty_batch_writes_nothing(db: Any) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    assert access_log.log_disclosures([], actor_id=1, agency_id=2, purpose="referral", channel="page") == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) == before
