"""Reads of notifications and deliveries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from agencies.models import Person
from hamkke.db import db
from notifications.models import DeliveryChannel, DeliveryStatus, Notification, OutboxMessage

#: kinds a person can choose e-mail for, with their Korean names (domains add theirs here)
NOTIFICATION_KINDS: dict[str, str] = {
    "agency.membership": "기관 가입·권한 변경",
    "case.escalation": "구청 의뢰(고난도 사례)",
    "case.stale": "종결 검토가 필요한 사례",
    "conference.invitation": "통합사례회의 초대·일정",
    "conference.minutes": "회의록 배포",
    "conference.action": "실행과제 진행",
    "referral.received": "받은 의뢰",
    "referral.updated": "보낸 의뢰의 진행",
    "reminder": "기한 알림",
    "digest.weekly": "주간 요약",
}


def notifications_of(person: Person) -> sa.Select[tuple[Notification]]:
    """Select the person's notifications, newest first (the inbox pages it)."""
    return (
        sa.select(Notification)
        .where(Notification.person_id == person.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def unread_count(person: Person) -> int:
    """Count the person's unread notifications."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Notification.person_id == person.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


#: the status filters of the delivery status page (``retrying``: waiting after a failed attempt)
DELIVERY_FILTERS: dict[str, str] = {
    "pending": "대기",
    "retrying": "재시도 대기",
    "sent": "보냄",
    "failed": "실패",
    "cancelled": "취소됨",
}


def delivery_state(message: OutboxMessage) -> str:
    """Return the page's status of a delivery: pending, retrying, sent, failed or cancelled."""
    if message.status in {DeliveryStatus.pending, DeliveryStatus.sending}:
        return "retrying" if message.attempts > 0 and message.last_error else "pending"
    return message.status.value


def _deliveries(agency_id: int, status: str | None, channel: DeliveryChannel | None) -> sa.Select[Any]:
    statement = sa.select(OutboxMessage).where(OutboxMessage.agency_id == agency_id)
    waiting = OutboxMessage.status.in_([DeliveryStatus.pending, DeliveryStatus.sending])
    failed_before = sa.and_(OutboxMessage.attempts > 0, OutboxMessage.last_error.is_not(None))
    if status == "pending":
        statement = statement.where(waiting, sa.not_(failed_before))
    elif status == "retrying":
        statement = statement.where(waiting, failed_before)
    elif status in {"sent", "failed", "cancelled"}:
        statement = statement.where(OutboxMessage.status == DeliveryStatus(status))
    if channel is not None:
        statement = statement.where(OutboxMessage.channel == channel)
    return statement


def list_deliveries_for_agency(
    agency_id: int,
    *,
    limit: int = 100,
    offset: int = 0,
    status: str | None = None,
    channel: DeliveryChannel | None = None,
) -> list[OutboxMessage]:
    """Return a page of the agency's deliveries, newest first, optionally of one status and channel."""
    return list(
        db.session.scalars(
            _deliveries(agency_id, status, channel)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count_deliveries_for_agency(
    agency_id: int, *, status: str | None = None, channel: DeliveryChannel | None = None
) -> int:
    """Count the agency's deliveries of one status and channel (for the page's pager)."""
    inner = _deliveries(agency_id, status, channel).with_only_columns(OutboxMessage.id).subquery()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0)
