"""Sending one outbox message: claim it, send it over SMTP, record the outcome."""

from __future__ import annotations

import hashlib
import logging
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from hamkke.audit import record
from hamkke.db import db
from hamkke.mail import MailTransportError, build_message, send_message
from hamkke.time import now_utc
from notifications.models import DeliveryChannel, DeliveryStatus, OutboxMessage
from notifications.send_checks import message_gate, send_check
from notifications.services import CLAIM_DURATION, backoff_for

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A delivery attempt failed in a way worth retrying."""


def claim(outbox_id: int) -> OutboxMessage | None:
    """Take a due delivery for this worker (the claim is committed); None if it is not ours to send."""
    now = now_utc()
    claimable = sa.or_(
        sa.and_(OutboxMessage.status == DeliveryStatus.pending, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == DeliveryStatus.sending, OutboxMessage.claimed_until < now),
    )
    # One conditional UPDATE is the lock: of two workers racing, only one sees rowcount 1.
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, claimable)
        .values(
            status=DeliveryStatus.sending,
            claimed_until=now + CLAIM_DURATION,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    # The claim is saved before the e-mail goes out: no other worker may send it too.
    db.session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(OutboxMessage, outbox_id, populate_existing=True)


def message_id_for(message: OutboxMessage) -> str:
    """Return a stable Message-ID, so a resend after a crash is recognisable as the same message."""
    digest = hashlib.sha256(message.idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@hamkke>"


def build_email(message: OutboxMessage) -> EmailMessage:
    """Build the MIME message (plain text, plus HTML when given) for an e-mail delivery."""
    email = build_message(
        to=message.recipient,
        subject=message.payload["subject"],
        text=message.payload["text"],
        html=message.payload.get("html"),
        message_id=message_id_for(message),
        reply_to=message.payload.get("reply_to"),
    )
    for attachment in message.payload.get("attachments") or []:
        email.add_attachment(
            _attachment_bytes(attachment),
            maintype=attachment["content_type"].split("/")[0],
            subtype=attachment["content_type"].split("/")[1],
            filename=attachment["filename"],
        )
    return email


def _attachment_bytes(attachment: dict[str, str]) -> bytes:
    """Read an attachment from the instance folder; a missing or changed file is a failure to retry."""
    path = Path(current_app.instance_path) / attachment["path"]
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise DeliveryError(f"attachment missing: {attachment['filename']}") from exc
    if attachment.get("sha256") and hashlib.sha256(content).hexdigest() != attachment["sha256"]:
        raise DeliveryError(f"attachment changed: {attachment['filename']}")
    return content


def send_email(message: OutboxMessage) -> None:
    """Send one e-mail through the configured SMTP server; raise DeliveryError on a failure to retry."""
    email = build_email(message)
    try:
        send_message(email)
    except MailTransportError as exc:
        raise DeliveryError(str(exc)) from exc


def deliver(outbox_id: int) -> str:
    """Send one outbox message if it is due and unclaimed; return what happened (for logs and tests)."""
    message = claim(outbox_id)
    if message is None:
        return "skipped"
    if not _consent_still_allows(message):
        return "cancelled"
    try:
        if message.channel == DeliveryChannel.email:
            send_email(message)
        else:
            # function-level: notifications.webhooks imports this module (DeliveryError)
            from notifications.webhooks import send_webhook

            send_webhook(message)
    except DeliveryError as error:
        return _record_failure(message, str(error))
    message.status = DeliveryStatus.sent
    message.sent_at = now_utc()
    message.claimed_until = None
    message.last_error = None
    _record_sent(message)
    # Each message's outcome is saved before the sweep sends the next one.
    db.session.commit()
    logger.info("Outbox message %s sent on attempt %s", message.id, message.attempts)
    return "sent"


def _consent_still_allows(message: OutboxMessage) -> bool:
    """Re-check the consent gate at send time; a message whose client withdrew consent is cancelled."""
    check = message.payload.get("consent_check")
    if message_gate()(message) and (check is None or _domain_check(check)):
        return True
    message.status = DeliveryStatus.cancelled
    message.claimed_until = None
    message.last_error = "consent_withdrawn"
    record("notifications.delivery_cancelled", obj=message, data={"reason": "consent_withdrawn"})
    # Each message's outcome is saved before the sweep sends the next one.
    db.session.commit()
    return False


def _domain_check(check: dict[str, Any]) -> bool:
    """Run the re-check a domain registered for its e-mail's kind (e.g. letters to outside organisations)."""
    registered = send_check(check.get("kind"))
    if registered is None:
        return False  # an unknown check fails closed
    return registered.allows(check)


def _record_sent(message: OutboxMessage) -> None:
    """Log what a sent e-mail disclosed, for domains whose e-mails carry client data (outside letters)."""
    check = message.payload.get("consent_check")
    if check is None:
        return
    registered = send_check(check.get("kind"))
    if registered is not None and registered.on_sent is not None:
        registered.on_sent(check)


def _record_failure(message: OutboxMessage, error: str) -> str:
    message.last_error = error[:300]
    message.claimed_until = None
    if message.attempts >= message.max_attempts:
        message.status = DeliveryStatus.failed
        outcome = "failed"
    else:
        message.status = DeliveryStatus.pending
        message.next_attempt_at = now_utc() + backoff_for(message.attempts)
        outcome = "retry"
    # Each message's outcome is saved before the sweep sends the next one.
    db.session.commit()
    logger.warning("Outbox message %s attempt %s: %s (%s)", message.id, message.attempts, outcome, error)
    return outcome


def due_message_ids(limit: int = 500) -> list[int]:
    """Return deliveries that are due now, including ones whose worker died holding them."""
    now = now_utc()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                sa.or_(
                    sa.and_(
                        OutboxMessage.status == DeliveryStatus.pending, OutboxMessage.next_attempt_at <= now
                    ),
                    sa.and_(
                        OutboxMessage.status == DeliveryStatus.sending, OutboxMessage.claimed_until < now
                    ),
                )
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        )
    )
