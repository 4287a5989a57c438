"""The database base: UTC columns, after-commit side effects and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from hamkke.audit import AuditEntry, record
from hamkke.db import after_commit


@pytest.mark.embedded
def test_utc_datetimes_round_trip_aware(db: Any) -> None:
    seoul_noon = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=9)))
    entry = record("test.utc")
    entry.created_at = seoul_noon
    db.session.flush()
    db.session.expire(entry)

    assert entry.created_at == seoul_noon
    assert entry.created_at.tzinfo is not None
    assert entry.created_at.utcoffset() == timedelta(0)
    assert entry.created_at.hour == 3


@pytest.mark.embedded
def test_naive_datetimes_are_refused(db: Any) -> None:
    entry = record("test.naive")
    entry.created_at = datetime(2026, 3, 2, 12, 0)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.embedded
def test_after_commit_runs_only_after_commit(db: Any) -> None:
    calls: list[str] = []
    after_commit(lambda: calls.append("sent"))
    record("test.side_effect")
    db.session.flush()
    assert calls == []

    db.session.commit()
    assert calls == ["sent"]


@pytest.mark.embedded
def test_after_commit_is_discarded_on_rollback(db: Any) -> None:
    calls: list[str] = []
    after_commit(lambda: calls.append("sent"))
    db.session.rollback()
    db.session.commit()
    assert calls == []


def test_audit_record_keeps_ids_not_objects(db: Any, dummy_agency: Any) -> None:
    entry = record("agency.test", actor_id=None, obj=dummy_agency, data={"reason": "test"})
    db.session.flush()

    stored = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.id == entry.id))
    assert stored is not None
    assert (stored.object_type, stored.object_id) == ("agencies", dummy_agency.id)
    assert stored.request_id
    assert stored.created_at <= datetime.now(UTC)
