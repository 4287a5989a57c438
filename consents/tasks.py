"""Worker tasks of consents: expiry announcements, request deadlines, access-log purge and checks."""

from __future__ import annotations

import logging

from celery import shared_task

from consents.access_log import publish_anchor, purge_expired, verify_anchors, verify_chain, write_anchor
from consents.services import announce_expired_consents as announce
from consents.services import remind_overdue_requests, review_last_month
from hamkke.db import after_commit

logger = logging.getLogger(__name__)


@shared_task(name="consents.announce_expired_consents")
def announce_expired_consents() -> int:
    """Push ``consent_changed`` for clients whose consents ended yesterday; re-running only re-announces."""
    client_ids = announce()
    logger.info("Announced expired consents of %s clients", len(client_ids))
    return len(client_ids)


@shared_task(name="consents.remind_request_deadlines")
def remind_request_deadlines() -> int:
    """Remind workers of data-subject requests due within three days (each request once)."""
    reminded = remind_overdue_requests()
    return len(reminded)


@shared_task(name="consents.purge_access_log")
def purge_access_log() -> int:
    """Delete access-log rows past retention (never younger than two years), leaving a checkpoint."""
    count = purge_expired()
    logger.info("Purged %s access-log rows past retention", count)
    return count


@shared_task(name="consents.verify_access_log")
def verify_access_log() -> bool:
    """Verify the hash chain daily and log an error naming the first altered row."""
    report = verify_chain()
    if not report.ok:
        logger.error("Access log chain broken at row %s: %s", report.broken_at, report.problem)
        return False
    anchors = verify_anchors()
    if not anchors.ok:
        logger.error("Access log truncated or altered: %s", anchors.problem)
    return anchors.ok


@shared_task(name="consents.review_access_log")
def review_access_log() -> int:
    """Run last month's unusual-access review and notify auditors (once per month, daily safety net)."""
    report = review_last_month()
    return len(report)


@shared_task(name="consents.anchor_access_log")
def anchor_access_log() -> int | None:
    """Anchor the access log's head (row, hash, length) so a cut-off tail is detectable; idempotent."""
    anchor = write_anchor()
    if anchor is None:
        return None
    # Only a committed anchor is copied out of the database: after the task's unit of work commits.
    after_commit(lambda: publish_anchor(anchor))
    return anchor.head_id
