"""Notify people in-app and by e-mail; every outgoing delivery goes through the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Person
from hamkke.audit import record
from hamkke.db import after_commit, db
from hamkke.errors import PermissionDenied
from hamkke.realtime import publish
from hamkke.time import now_utc
from notifications.models import (
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    OutboxMessage,
)

logger = logging.getLogger(__name__)

#: how long a worker may hold a delivery before another may take it over
CLAIM_DURATION = timedelta(minutes=5)
#: the first retry waits this long; each further one twice as long, up to MAX_BACKOFF
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
#: kinds that send e-mail only to people who turned them on (everything else is on until turned off)
OPT_IN_KINDS = frozenset({"digest.weekly"})


def wants_email(person: Person, kind: str) -> bool:
    """Tell whether ``person`` gets e-mail for ``kind`` (default yes, opt-in kinds no; in-app always on)."""
    preference = db.session.scalar(
        sa.select(NotificationPreference).where(
            NotificationPreference.person_id == person.id, NotificationPreference.kind == kind
        )
    )
    if preference is None:
        return kind not in OPT_IN_KINDS
    return preference.email_enabled


def set_email_preference(
    person: Person, kind: str, enabled: bool, *, actor: Person
) -> NotificationPreference:
    """Turn e-mail for one kind of notification on or off for ``person`` (only they may)."""
    if actor.id != person.id:
        raise PermissionDenied(
            "다른 사람의 알림 설정은 바꿀 수 없습니다.", english="You can only change your own."
        )
    preference = db.session.scalar(
        sa.select(NotificationPreference).where(
            NotificationPreference.person_id == person.id, NotificationPreference.kind == kind
        )
    )
    if preference is None:
        preference = NotificationPreference(person_id=person.id, kind=kind)
        db.session.add(preference)
    preference.email_enabled = enabled
    db.session.flush()
    return preference


def notify(
    person: Person,
    kind: str,
    *,
    title: str,
    body: str = "",
    link: str | None = None,
    dedupe_key: str | None = None,
    email_subject: str | None = None,
    email_text: str | None = None,
    email_html: str | None = None,
    agency_id: int | None = None,
) -> Notification:
    """Put a notification in the person's inbox, queue its e-mail, and push it live after commit.

    Callers pass text that the recipient may see (consent-filtered by the caller's domain). A repeated
    ``dedupe_key`` returns the existing notification, so re-running a reminder job sends nothing twice.
    """
    if dedupe_key is not None:
        existing = db.session.scalar(sa.select(Notification).where(Notification.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    notification = Notification(
        person_id=person.id, kind=kind, title=title[:200], body=body, link=link, dedupe_key=dedupe_key
    )
    db.session.add(notification)
    db.session.flush()
    if person.is_active and wants_email(person, kind):
        queue_email(
            to=person.email,
            subject=email_subject or title,
            text=email_text or body or title,
            html=email_html,
            idempotency_key=f"notification:{notification.id}:email",
            notification=notification,
            agency_id=agency_id,
        )
    publish(
        "notification",
        {"id": notification.id, "kind": kind, "title": notification.title, "link": link},
        room=f"person:{person.id}",
        namespace="/live",
    )
    return notification


def queue_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    idempotency_key: str,
    notification: Notification | None = None,
    agency_id: int | None = None,
    attachments: list[dict[str, str]] | None = None,
    reply_to: str | None = None,
    consent_check: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Write an e-mail to the outbox in the current transaction; the worker sends it after commit.

    ``attachments`` name files under the instance folder (path, filename, content_type, sha256), read
    at send time; ``consent_check`` names a domain re-check run before sending (see ``delivery``).
    """
    existing = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        channel=DeliveryChannel.email,
        recipient=to,
        payload={
            "subject": subject,
            "text": text,
            "html": html,
            **({"attachments": attachments} if attachments else {}),
            **({"reply_to": reply_to} if reply_to else {}),
            **({"consent_check": consent_check} if consent_check else {}),
        },
        notification=notification,
        agency_id=agency_id,
        next_attempt_at=now_utc(),
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    after_commit(lambda: enqueue_delivery(message_id))
    return message


def enqueue_delivery(outbox_id: int) -> None:
    """Hand a delivery to the worker now; if the broker is down, the sweeper sends it later."""
    # function-level: notifications.tasks imports delivery and the digest, which import this module
    from notifications.tasks import deliver_outbox_message

    try:
        deliver_outbox_message.apply_async((outbox_id,), retry=False)
    except Exception:  # the row is committed; a broker outage must not fail the user's request
        logger.warning("Broker unavailable; outbox message %s left for the sweeper", outbox_id, exc_info=True)


def mark_read(notification: Notification, *, actor: Person) -> None:
    """Mark one of the actor's own notifications as read."""
    if notification.person_id != actor.id:
        raise PermissionDenied("다른 사람의 알림입니다.", english="This notification is not yours.")
    if notification.read_at is None:
        notification.read_at = now_utc()
        db.session.flush()


def mark_all_read(*, actor: Person) -> int:
    """Mark every unread notification of the actor as read; return how many changed."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.person_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=now_utc())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def backoff_for(attempt: int) -> timedelta:
    """Return how long to wait before retry number ``attempt`` (1-based): 30 s, 1 min, 2 min, … ≤ 1 h."""
    return min(FIRST_BACKOFF * (2 ** max(attempt - 1, 0)), MAX_BACKOFF)


def cancel_delivery(message: OutboxMessage, *, reason: str) -> None:
    """Stop a delivery that has not gone out (for example when consent was withdrawn meanwhile)."""
    if message.status in {DeliveryStatus.pending, DeliveryStatus.failed}:
        message.status = DeliveryStatus.cancelled
        message.last_error = reason[:300]
        record("notifications.delivery_cancelled", obj=message, data={"reason": reason[:100]})
        db.session.flush()
