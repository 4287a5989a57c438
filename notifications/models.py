"""In-app notifications, per-person preferences, and the outbox of deliveries that must happen once."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agencies.models import Person
from hamkke.db import Model, UTCDateTime, str_enum
from hamkke.time import now_utc


class DeliveryChannel(enum.StrEnum):
    """How a delivery leaves the platform."""

    email = "email"
    webhook = "webhook"


class DeliveryStatus(enum.StrEnum):
    """Where a delivery is; ``sending`` is a claim that expires if the worker dies."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        """Korean name of the status."""
        return DELIVERY_STATUS_LABELS[self]


DELIVERY_STATUS_LABELS: dict[DeliveryStatus, str] = {
    DeliveryStatus.pending: "보내는 중(대기)",
    DeliveryStatus.sending: "보내는 중",
    DeliveryStatus.sent: "보냄",
    DeliveryStatus.failed: "실패",
    DeliveryStatus.cancelled: "취소됨",
}


class Notification(Model):
    """A message in one person's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_person_unread", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    #: dotted kind used for preferences, e.g. ``referral.received``, ``agency.invitation``
    kind: Mapped[str] = mapped_column(sa.String(60))
    #: one line, no client data beyond what the recipient may see (callers pass gate-filtered text)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: path inside the app the notification points to
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: makes creating the same notification twice (a re-run reminder) a no-op
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)

    person: Mapped[Person] = relationship()
    deliveries: Mapped[list[OutboxMessage]] = relationship(back_populates="notification")


class NotificationPreference(Model):
    """Whether a person wants e-mail for one kind of notification (in-app is always on)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "kind", name="uq_notification_preferences_person_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    email_enabled: Mapped[bool] = mapped_column(default=True)


class OutboxMessage(Model):
    """A delivery written in the same transaction as its cause and sent by the worker exactly once.

    The unique ``idempotency_key`` stops a cause from queuing the same delivery twice; the status
    claim (``sending`` with ``claimed_until``) stops two workers from sending it at once, and an
    expired claim lets the sweeper recover a delivery whose worker died.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    channel: Mapped[DeliveryChannel] = mapped_column(str_enum(DeliveryChannel, "delivery_channel"))
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.pending
    )
    #: e-mail address or webhook URL
    recipient: Mapped[str] = mapped_column(sa.String(500))
    #: e-mail: subject/text/html; webhook: event and JSON body
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id"), index=True)
    #: agency whose delivery this is (shown on its delivery status page)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: a worker holds the delivery until then; past it, the claim is void
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: short technical reason of the last failure (never message content)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notification: Mapped[Notification | None] = relationship(back_populates="deliveries")


class WebhookEndpoint(Model):
    """An agency system's URL that receives signed event notifications (HMAC-SHA256)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    #: signing secret, encrypted with HAMKKE_FIELD_ENCRYPTION_KEY (the receiver holds it in clear)
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    #: event names it subscribes to, e.g. ["referral.received"]
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
