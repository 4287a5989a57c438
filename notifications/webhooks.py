"""Signed webhooks: HMAC-SHA256 over timestamp and body, so agency systems can trust and date each call."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import requests
import sqlalchemy as sa

from hamkke.crypto import decrypt_text, encrypt_text
from hamkke.db import after_commit, db
from notifications.delivery import DeliveryError
from notifications.models import DeliveryChannel, OutboxMessage, WebhookEndpoint
from notifications.services import enqueue_delivery

SIGNATURE_HEADER = "X-Hamkke-Signature"
TIMESTAMP_HEADER = "X-Hamkke-Timestamp"
#: a receiver should refuse signatures older than this (replay protection)
MAX_SIGNATURE_AGE_SECONDS = 300
WEBHOOK_TIMEOUT_SECONDS = 10


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str, timestamp_header: str, signature_header: str, body: bytes, *, now: float | None = None
) -> bool:
    """Check a webhook signature and its age; constant-time, for receivers and for our own tests."""
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > MAX_SIGNATURE_AGE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature_header)


def create_endpoint(*, agency_id: int, url: str, secret: str, events: list[str]) -> WebhookEndpoint:
    """Register a webhook endpoint for an agency (the secret is stored encrypted)."""
    endpoint = WebhookEndpoint(
        agency_id=agency_id, url=url, secret_encrypted=encrypt_text(secret), events=events
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def queue_webhook(
    endpoint: WebhookEndpoint, *, event: str, body: dict[str, Any], idempotency_key: str
) -> OutboxMessage:
    """Write a webhook call to the outbox in the current transaction; the worker sends it after commit."""
    existing = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        channel=DeliveryChannel.webhook,
        recipient=endpoint.url,
        payload={"event": event, "body": body, "endpoint_id": endpoint.id},
        agency_id=endpoint.agency_id,
        max_attempts=6,
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    after_commit(lambda: enqueue_delivery(message_id))
    return message


def send_webhook(message: OutboxMessage) -> None:
    """POST one webhook call; any non-2xx answer or network error is a failure worth retrying."""
    endpoint = db.session.get(WebhookEndpoint, message.payload["endpoint_id"])
    if endpoint is None or not endpoint.is_active:
        raise DeliveryError("webhook endpoint removed or inactive")
    body = json.dumps(
        {
            "event": message.payload["event"],
            "delivery": message.idempotency_key,
            "data": message.payload["body"],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Hamkke-Event": message.payload["event"],
        "X-Hamkke-Delivery": message.idempotency_key,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(decrypt_text(endpoint.secret_encrypted), timestamp, body),
    }
    try:
        response = requests.post(endpoint.url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook: HTTP {response.status_code}")
