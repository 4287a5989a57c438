"""Worker tasks of notifications: send one outbox message; sweep the outbox for due ones."""

from __future__ import annotations

import logging

from celery import shared_task

from hamkke.retry import RETRY_TRANSIENT
from notifications.delivery import deliver, due_message_ids
from notifications.digest import send_weekly_digests

logger = logging.getLogger(__name__)


# SMTP failures are retried by the outbox itself (its own backoff, recorded on the row); a busy or
# disconnected database while claiming or recording is retried here, within seconds.
@shared_task(name="notifications.deliver_outbox_message", acks_late=True, **RETRY_TRANSIENT)
def deliver_outbox_message(outbox_id: int) -> str:
    """Send one outbox message if it is still due; a duplicate or late delivery of this task does nothing."""
    return deliver(outbox_id)


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox() -> int:
    """Send every due delivery, including lost enqueues and ones whose worker died; return the count."""
    sent = 0
    for outbox_id in due_message_ids():
        if deliver(outbox_id) == "sent":
            sent += 1
    return sent


@shared_task(name="notifications.weekly_digest")
def weekly_digest() -> int:
    """Queue this week's "needs update" digest of every agency (once per agency, person and ISO week)."""
    count = send_weekly_digests()
    return count
