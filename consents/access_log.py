"""The disclosure access log (접속기록): append to the hash chain, verify it, purge past retention."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.exc import IntegrityError

from consents.models import AccessChannel, AccessLogCheckpoint, AccessLogEntry
from hamkke.audit import current_request_id
from hamkke.db import db
from hamkke.time import now_utc

logger = logging.getLogger(__name__)

#: prev_hash of the first row ever written
GENESIS_HASH = "0" * 64
#: 고시 제8조①: two years when 민감정보 or 고유식별정보 are processed; no setting may go below it
MIN_RETENTION_DAYS = 730
DEFAULT_RETENTION_DAYS = 5 * 365
#: attempts to append after losing the chain head to a concurrent writer
APPEND_ATTEMPTS = 20


def row_hash_of(entry: AccessLogEntry) -> str:
    """Return the SHA-256 over the row's content and its predecessor's hash."""
    canonical = json.dumps(entry.hashed_content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _head_hash() -> str:
    # Ids grow with commit order along the chain: a row is only inserted after its predecessor
    # committed (the UNIQUE prev_hash makes the loser wait and retry), so the highest id is the head.
    last = db.session.scalar(sa.select(AccessLogEntry.row_hash).order_by(AccessLogEntry.id.desc()).limit(1))
    if last is not None:
        return last
    checkpoint = db.session.scalar(
        sa.select(AccessLogCheckpoint.last_hash).order_by(AccessLogCheckpoint.id.desc()).limit(1)
    )
    return checkpoint or GENESIS_HASH


def log_disclosure(
    *,
    actor_id: int | None,
    agency_id: int | None,
    client_id: int,
    field_groups: Iterable[str],
    purpose: str,
    channel: AccessChannel | str,
    basis: str,
    reason: str | None = None,
) -> AccessLogEntry:
    """Append one disclosure to the chain in the current transaction (flushed, never committed).

    A failure propagates: a disclosure that cannot be logged must not happen (fail closed).
    """
    created_at = now_utc().astimezone(UTC)
    request_id = current_request_id()
    ip_address = request.remote_addr if has_request_context() else None
    for _attempt in range(APPEND_ATTEMPTS):
        entry = AccessLogEntry(
            created_at=created_at,
            actor_id=actor_id,
            agency_id=agency_id,
            client_id=client_id,
            field_groups=sorted(set(field_groups)),
            purpose=str(purpose),
            channel=AccessChannel(channel),
            basis=basis[:200],
            request_id=request_id,
            ip_address=ip_address,
            reason=reason[:300] if reason else None,
            prev_hash=_head_hash(),
        )
        entry.row_hash = row_hash_of(entry)
        try:
            with db.session.begin_nested():
                db.session.add(entry)
            return entry
        except IntegrityError:
            # Another writer appended after the same head; read the new head and try again.
            logger.info("Access log head moved; retrying append for client %s", client_id)
    raise RuntimeError("access log append kept losing the chain head")


@dataclass(frozen=True)
class ChainReport:
    """Outcome of a chain verification."""

    ok: bool
    checked: int
    #: id of the first row that breaks the chain
    broken_at: int | None = None
    problem: str | None = None


def verify_chain(batch_size: int = 1000) -> ChainReport:
    """Walk the whole log in id order and check every row's hash and link to its predecessor."""
    checkpoint = db.session.scalar(
        sa.select(AccessLogCheckpoint).order_by(AccessLogCheckpoint.id.desc()).limit(1)
    )
    expected_prev = checkpoint.last_hash if checkpoint is not None else GENESIS_HASH
    checked = 0
    last_id = checkpoint.purged_through_id if checkpoint is not None else 0
    while True:
        rows = db.session.scalars(
            sa.select(AccessLogEntry)
            .where(AccessLogEntry.id > last_id)
            .order_by(AccessLogEntry.id)
            .limit(batch_size)
            .execution_options(populate_existing=True)
        ).all()
        if not rows:
            return ChainReport(ok=True, checked=checked)
        for row in rows:
            if row.prev_hash != expected_prev:
                return ChainReport(False, checked, row.id, "연결 끊김(행 삭제 또는 순서 변경)")
            if row_hash_of(row) != row.row_hash:
                return ChainReport(False, checked, row.id, "내용 변경")
            expected_prev = row.row_hash
            checked += 1
            last_id = row.id


def retention_days() -> int:
    """Return the configured retention, never below the legal two-year floor."""
    configured = int(current_app.config.get("CONSENTS_ACCESS_LOG_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
    return max(configured, MIN_RETENTION_DAYS)


def purge_expired(*, dry_run: bool = False) -> int:
    """Delete the oldest rows past retention, keeping the chain verifiable through a checkpoint.

    Only a prefix of the chain is removed: the first row younger than the cutoff, and everything
    after it, stays, even if a later row carries an older time.
    """
    cutoff = now_utc() - timedelta(days=retention_days())
    first_kept = db.session.scalar(
        sa.select(sa.func.min(AccessLogEntry.id)).where(AccessLogEntry.created_at >= cutoff)
    )
    condition = AccessLogEntry.created_at < cutoff
    if first_kept is not None:
        condition = sa.and_(condition, AccessLogEntry.id < first_kept)
    last = db.session.scalar(
        sa.select(AccessLogEntry).where(condition).order_by(AccessLogEntry.id.desc()).limit(1)
    )
    if last is None:
        return 0
    count = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry).where(condition)) or 0
    if dry_run:
        return count
    db.session.add(AccessLogCheckpoint(purged_through_id=last.id, last_hash=last.row_hash, purged_rows=count))
    db.session.execute(sa.delete(AccessLogEntry).where(AccessLogEntry.id <= last.id, condition))
    db.session.flush()
    return count
