"""The disclosure access log (접속기록): append to the hash chain, verify it, purge past retention."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.exc import DBAPIError, IntegrityError

from consents.models import AccessChannel, AccessLogAnchor, AccessLogCheckpoint, AccessLogEntry
from hamkke.audit import current_request_id
from hamkke.db import db
from hamkke.errors import DomainError
from hamkke.korean import with_particle
from hamkke.time import now_utc
from hamkke.unit_of_work import keep_after_rollback

logger = logging.getLogger(__name__)

#: prev_hash of the first row ever written
GENESIS_HASH = "0" * 64
#: 고시 제8조①: two years when 민감정보 or 고유식별정보 are processed; no setting may go below it
MIN_RETENTION_DAYS = 730
DEFAULT_RETENTION_DAYS = 5 * 365
#: attempts to append after losing the chain head to a concurrent writer
APPEND_ATTEMPTS = 20
#: PostgreSQL transaction-level advisory lock on the chain head ("HAMK"): appenders queue on it
#: instead of racing on the UNIQUE prev_hash and retrying; it is released when the transaction ends
CHAIN_HEAD_LOCK = 0x48414D4B


class AccessLogUnavailable(DomainError):
    """The disclosure could not be logged, so it does not happen (fail closed): 503, nothing shown."""

    status_code = 503
    code = "access_log_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "접속기록을 남길 수 없어 대상자 정보를 보여 드리지 않습니다. 잠시 후 다시 시도해 주십시오. "
            "/ The access log cannot be written, so no client data is shown; please try again shortly.",
            english="The access log cannot be written, so no client data is shown; please try again shortly.",
        )


def content_hash(content: dict[str, Any]) -> str:
    """Return the SHA-256 over a row's hashed content (see ``AccessLogEntry.hashed_content``)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def row_hash_of(entry: AccessLogEntry) -> str:
    """Return the SHA-256 over the row's content and its predecessor's hash."""
    return content_hash(entry.hashed_content())


def _lock_chain_head() -> None:
    """Queue for the chain head until this transaction ends (PostgreSQL; SQLite has one writer anyway).

    Without it, writers that read the same head raced: the loser waited on the winner's UNIQUE
    prev_hash entry until the winner committed, then failed and retried, and under many concurrent
    joins some gave up after :data:`APPEND_ATTEMPTS` ("kept losing the chain head"). With it they wait
    their turn once and read the head after the previous holder committed (READ COMMITTED: each
    statement sees what committed before it started), so the UNIQUE index stays a guard only.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_HEAD_LOCK})


def _head_hash() -> str:
    # Ids grow with commit order along the chain: a row is only inserted after its predecessor
    # committed (appenders hold the head lock, or SQLite's one write lock), so the highest id is the head.
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

    A failure raises :class:`AccessLogUnavailable` (503): a disclosure that cannot be logged must
    not happen (fail closed). Callers build the view only after this returns.
    """
    created_at = now_utc().astimezone(UTC)
    request_id = current_request_id()
    ip_address = request.remote_addr if has_request_context() else None
    field_groups = sorted(set(field_groups))  # read once: every attempt (and a redo) needs the groups
    for _attempt in range(APPEND_ATTEMPTS):
        try:
            with db.session.begin_nested():
                _lock_chain_head()
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
                db.session.add(entry)
            # Shown is shown: if the unit of work rolls back (a 4xx form page), the row is written again.
            keep_after_rollback(
                lambda: log_disclosure(
                    actor_id=actor_id,
                    agency_id=agency_id,
                    client_id=client_id,
                    field_groups=field_groups,
                    purpose=purpose,
                    channel=channel,
                    basis=basis,
                    reason=reason,
                )
            )
            return entry
        except IntegrityError:
            # Another writer appended after the same head; read the new head and try again.
            logger.info("Access log head moved; retrying append for client %s", client_id)
        except DBAPIError as error:
            # Permissions, a full disk, a lock timeout: the savepoint rolled back, nothing is disclosed.
            logger.error("Access log write failed for client %s: %s", client_id, error.orig)
            raise AccessLogUnavailable() from error
    logger.error("Access log append kept losing the chain head for client %s", client_id)
    raise AccessLogUnavailable()


@dataclass(frozen=True)
class Disclosure:
    """One client's disclosure inside a batch: who, which field groups, on which basis."""

    client_id: int
    field_groups: Iterable[str]
    basis: str


def _head_and_ids(count: int) -> tuple[str, list[int] | None]:
    """Read the chain head and take ``count`` ascending ids after it, in one round trip (PostgreSQL).

    Explicit ids put the batch in chain order whatever order the database evaluates a multi-row
    list in; they are taken under the head lock, so they also follow every earlier holder's rows.
    SQLite has no sequence (None): it numbers the rows of one INSERT in VALUES order.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return _head_hash(), None
    row = db.session.execute(
        sa.text(
            "SELECT (SELECT row_hash FROM consent_access_log ORDER BY id DESC LIMIT 1) AS head,"
            " (SELECT last_hash FROM consent_access_log_checkpoints ORDER BY id DESC LIMIT 1) AS checkpoint,"
            " ARRAY(SELECT nextval(pg_get_serial_sequence('consent_access_log', 'id'))"
            " FROM generate_series(1, :n)) AS ids"
        ),
        {"n": count},
    ).one()
    return row.head or row.checkpoint or GENESIS_HASH, sorted(int(value) for value in row.ids)


#: PostgreSQL: the whole batch as one statement with one array parameter per column. A multi-row
#: VALUES list has 14 parameters per row, and psycopg parses a statement with more than 50
#: parameters again on every execution (a 1,000-row page spent most of its logging time there).
#: Every column is an array, so one statement carries batches of several viewers (a deferred block).
_UNNEST_INSERT = sa.text(
    "INSERT INTO consent_access_log (id, created_at, actor_id, agency_id, client_id, field_groups, purpose,"
    " channel, basis, request_id, ip_address, reason, prev_hash, row_hash)"
    " SELECT batch.id, batch.created_at, batch.actor_id, batch.agency_id, batch.client_id,"
    " CAST(batch.field_groups AS json), batch.purpose, batch.channel, batch.basis, batch.request_id,"
    " batch.ip_address, batch.reason, batch.prev_hash, batch.row_hash"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:created_ats AS timestamptz[]),"
    " CAST(:actor_ids AS integer[]), CAST(:agency_ids AS integer[]), CAST(:client_ids AS integer[]),"
    " CAST(:field_groups AS text[]),"
    " CAST(:purposes AS text[]), CAST(:channels AS text[]), CAST(:bases AS text[]),"
    " CAST(:request_ids AS text[]), CAST(:ip_addresses AS text[]), CAST(:reasons AS text[]),"
    " CAST(:prev_hashes AS text[]), CAST(:row_hashes AS text[]))"
    " AS batch(id, created_at, actor_id, agency_id, client_id, field_groups, purpose, channel, basis,"
    " request_id, ip_address, reason, prev_hash, row_hash)"
    " ORDER BY batch.id"
)


def _unnest_parameters(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Return the parameters of :data:`_UNNEST_INSERT`: one array per column, in chain order."""
    return {
        "ids": [row["id"] for row in rows],
        "created_ats": [row["created_at"] for row in rows],
        "actor_ids": [row["actor_id"] for row in rows],
        "agency_ids": [row["agency_id"] for row in rows],
        "client_ids": [row["client_id"] for row in rows],
        "field_groups": [json.dumps(row["field_groups"]) for row in rows],
        "purposes": [row["purpose"] for row in rows],
        "channels": [row["channel"].value for row in rows],
        "bases": [row["basis"] for row in rows],
        "request_ids": [row["request_id"] for row in rows],
        "ip_addresses": [row["ip_address"] for row in rows],
        "reasons": [row["reason"] for row in rows],
        "prev_hashes": [row["prev_hash"] for row in rows],
        "row_hashes": [row["row_hash"] for row in rows],
    }


@dataclass(frozen=True)
class _Batch:
    """One call's disclosures with everything but the chain links fixed (the links change on retry)."""

    shared: dict[str, Any]
    fixed: tuple[tuple[int, list[str], str], ...]
    created_at: datetime
    channel: AccessChannel


def _chained_rows(batches: Sequence[_Batch], ids: list[int] | None, prev_hash: str) -> list[dict[str, Any]]:
    """Build the batches' rows in order, each hashing its content and linking to the previous row's hash."""
    rows: list[dict[str, Any]] = []
    for batch in batches:
        for client_id, groups, basis in batch.fixed:
            content = {
                **batch.shared,
                "client_id": client_id,
                "field_groups": groups,
                "basis": basis,
                "prev_hash": prev_hash,
            }
            row_hash = content_hash(content)
            row = {**content, "created_at": batch.created_at, "channel": batch.channel, "row_hash": row_hash}
            if ids is not None:
                row["id"] = ids[len(rows)]
            rows.append(row)
            prev_hash = row_hash
    return rows


#: the batches of the current :func:`appended_together` block, waiting for its end
_deferred: ContextVar[list[_Batch] | None] = ContextVar("access_log_deferred", default=None)


@contextlib.contextmanager
def appended_together() -> Iterator[None]:
    """Collect the block's disclosures and append them as one chained batch when the block ends.

    For work whose output leaves only after the transaction commits (a live conference's case
    panels go out through ``hamkke.realtime.publish``): the views are built first and the chain head
    is taken once, at the end, just before the commit, so it is held for one INSERT instead of for
    the whole payload. Fail closed all the same: if the append fails, the block raises, the unit
    rolls back and its queued emits are dropped. Never use it around output that leaves at once.
    """
    if _deferred.get() is not None:
        yield  # an outer block appends these too
        return
    pending: list[_Batch] = []
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    if pending:
        _append(pending)


def log_disclosures(
    disclosures: Sequence[Disclosure],
    *,
    actor_id: int | None,
    agency_id: int | None,
    purpose: str,
    channel: AccessChannel | str,
    reason: str | None = None,
) -> int:
    """Append one chained row per disclosure in one savepoint: one head read, one multi-row INSERT.

    Same guarantees as :func:`log_disclosure`: the rows chain from the head read inside the
    savepoint under the head lock, the UNIQUE ``prev_hash`` of the first row refuses a fork (the whole
    batch then retries from the new head), and any other failure raises :class:`AccessLogUnavailable`
    (fail closed). Inside :func:`appended_together` the rows wait for the block's end. Returns how
    many rows were (or will be) appended; flushes, never commits.
    """
    if not disclosures:
        return 0
    created_at = now_utc().astimezone(UTC)
    channel_value = AccessChannel(channel)
    # The hashed content every row of the batch shares; _chained_rows adds each row's own and the link.
    shared = {
        "created_at": created_at.isoformat(),
        "actor_id": actor_id,
        "agency_id": agency_id,
        "purpose": str(purpose),
        "channel": str(channel_value),
        "request_id": current_request_id(),
        "ip_address": request.remote_addr if has_request_context() else None,
        "reason": reason[:300] if reason else None,
    }
    # Everything but the chain links is fixed before the first attempt; only prev_hash changes on retry.
    fixed = tuple((item.client_id, sorted(set(item.field_groups)), item.basis[:200]) for item in disclosures)
    batch = _Batch(shared, fixed, created_at, channel_value)
    pending = _deferred.get()
    if pending is not None:
        pending.append(batch)
        return len(fixed)
    return _append([batch])


def _append(batches: list[_Batch]) -> int:
    """Append the batches' rows in order after the chain head, holding the head lock; return the count."""
    count = sum(len(batch.fixed) for batch in batches)
    table = cast(sa.Table, AccessLogEntry.__table__)
    # SQLite: RETURNING makes SQLAlchemy send the rows as multi-row INSERT … VALUES statements
    # ("insertmanyvalues", up to 1,000 rows each) instead of one INSERT per row. PostgreSQL: _UNNEST_INSERT.
    insert = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for _attempt in range(APPEND_ATTEMPTS):
        try:
            with db.session.begin_nested():
                _lock_chain_head()
                prev_hash, ids = _head_and_ids(count)
                rows = _chained_rows(batches, ids, prev_hash)
                if ids is not None:
                    db.session.execute(_UNNEST_INSERT, _unnest_parameters(rows))
                else:
                    inserted = db.session.execute(insert, rows).scalars().all()
                    if inserted != sorted(inserted):
                        # The chain must run in id order: a batch numbered otherwise is rolled back.
                        raise AccessLogUnavailable()
            # Shown is shown: if the unit of work rolls back (a 4xx form page), the rows are written again.
            keep_after_rollback(lambda: _append(batches))
            return count
        except IntegrityError:
            # Another writer appended after the same head; read the new head and try the batch again.
            logger.info("Access log head moved; retrying a batch of %s rows", count)
        except DBAPIError as error:
            # Permissions, a full disk, a lock timeout: the savepoint rolled back, nothing is disclosed.
            logger.error("Access log batch write failed: %s", error.orig)
            raise AccessLogUnavailable() from error
    logger.error("Access log batch kept losing the chain head (%s rows)", count)
    raise AccessLogUnavailable()


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
    # The checkpoint must be in the table first: the database's append-only trigger deletes only rows
    # that a checkpoint covers (and that are past the legal floor by its own clock).
    db.session.flush()
    db.session.execute(sa.delete(AccessLogEntry).where(AccessLogEntry.id <= last.id, condition))
    db.session.flush()
    return count


# Anchors: detect a chain whose newest rows were cut off ------------------------------------------


def _purged_before(row_id: int) -> int:
    # Checkpoints record how many rows each purge removed; all of them lie before the rows kept.
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(AccessLogCheckpoint.purged_rows), 0)).where(
                AccessLogCheckpoint.purged_through_id < row_id
            )
        )
        or 0
    )


def anchor_file() -> Path | None:
    """Return the file anchors are appended to outside the database (None when switched off)."""
    configured = current_app.config.get("CONSENTS_ACCESS_LOG_ANCHOR_FILE")
    if configured is None:
        return Path(current_app.instance_path) / "consent_access_log_anchors.jsonl"
    if str(configured).strip().lower() in {"", "off"}:
        return None
    return Path(str(configured))


@dataclass(frozen=True)
class AnchorRecord:
    """One anchor as read back from the database or the anchor file."""

    source: str
    created_at: str
    head_id: int
    head_hash: str
    chain_length: int


def write_anchor() -> AccessLogAnchor | None:
    """Record the chain's current head (row, hash, length) in the table, the app log and the anchor file.

    Returns None when the head has not moved since the last anchor (re-running adds nothing).
    Flushes; the task commits. The file line is written only after the commit by the caller, so a
    rolled-back anchor never reaches the file.
    """
    head = db.session.scalar(sa.select(AccessLogEntry).order_by(AccessLogEntry.id.desc()).limit(1))
    if head is None:
        return None
    last = db.session.scalar(sa.select(AccessLogAnchor).order_by(AccessLogAnchor.id.desc()).limit(1))
    if last is not None and last.head_id == head.id:
        return None
    present = db.session.scalar(
        sa.select(sa.func.count()).select_from(AccessLogEntry).where(AccessLogEntry.id <= head.id)
    )
    anchor = AccessLogAnchor(
        created_at=now_utc(),
        head_id=head.id,
        head_hash=head.row_hash,
        chain_length=int(present or 0) + _purged_before(head.id),
    )
    db.session.add(anchor)
    db.session.flush()
    return anchor


def publish_anchor(anchor: AccessLogAnchor) -> None:
    """Copy a committed anchor outside the database: one log line, and one line of the anchor file."""
    line = json.dumps(
        {
            "created_at": anchor.created_at.isoformat(),
            "head_id": anchor.head_id,
            "head_hash": anchor.head_hash,
            "chain_length": anchor.chain_length,
        },
        sort_keys=True,
    )
    logger.info("Access log anchor %s", line)
    path = anchor_file()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        # The anchor is committed and in the log line above; a missing copy is reported, not fatal.
        logger.exception("Could not append the access-log anchor to %s", path)


def recent_anchors(limit: int = 5) -> list[AnchorRecord]:
    """Return the newest anchors from the database and from the anchor file, newest head first."""
    records = [
        AnchorRecord("db", a.created_at.isoformat(), a.head_id, a.head_hash, a.chain_length)
        for a in db.session.scalars(
            sa.select(AccessLogAnchor).order_by(AccessLogAnchor.id.desc()).limit(limit)
        )
    ]
    path = anchor_file()
    if path is not None and path.is_file():
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for raw in lines[-limit:]:
            try:
                item = json.loads(raw)
                records.append(
                    AnchorRecord(
                        "file",
                        str(item["created_at"]),
                        int(item["head_id"]),
                        str(item["head_hash"]),
                        int(item["chain_length"]),
                    )
                )
            except (ValueError, KeyError, TypeError):
                records.append(AnchorRecord("file", "?", -1, "", -1))
    return sorted(records, key=lambda record: -record.head_id)


@dataclass(frozen=True)
class AnchorReport:
    """Outcome of comparing the chain with its anchors."""

    ok: bool
    checked: int
    problem: str | None = None
    anchor: AnchorRecord | None = None


def verify_anchors(limit: int = 5) -> AnchorReport:
    """Check that the head row of each recent anchor is still in the log, unchanged, at its position.

    Run after :func:`verify_chain`: the chain proves nothing before a present row was removed, so a
    present anchored head proves that nothing up to it was cut off.
    """
    checkpoint = db.session.scalar(
        sa.select(AccessLogCheckpoint).order_by(AccessLogCheckpoint.id.desc()).limit(1)
    )
    purged_through = checkpoint.purged_through_id if checkpoint is not None else 0
    checked = 0
    for record in recent_anchors(limit):
        if record.head_id < 0:
            return AnchorReport(False, checked, "기준점 파일의 줄을 읽을 수 없습니다(변조 의심)", record)
        if record.head_id <= purged_through:
            # Legitimately purged after the anchor was taken: the checkpoint vouches for it.
            checked += 1
            continue
        row = db.session.scalar(
            sa.select(AccessLogEntry)
            .where(AccessLogEntry.id == record.head_id)
            .execution_options(populate_existing=True)
        )
        if row is None:
            return AnchorReport(
                False,
                checked,
                f"끝부분 삭제 감지: {record.created_at} 기준점의 마지막 행 "
                f"{with_particle(record.head_id, '이')} 없습니다",
                record,
            )
        if row.row_hash != record.head_hash:
            return AnchorReport(
                False, checked, f"기준점의 마지막 행 {record.head_id}의 해시가 다릅니다", record
            )
        present = db.session.scalar(
            sa.select(sa.func.count()).select_from(AccessLogEntry).where(AccessLogEntry.id <= row.id)
        )
        if int(present or 0) + _purged_before(row.id) != record.chain_length:
            return AnchorReport(
                False,
                checked,
                f"기준점 이후 행 수가 맞지 않습니다(기록 {record.chain_length}행)",
                record,
            )
        checked += 1
    return AnchorReport(True, checked)
