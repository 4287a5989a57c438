"""Reads of notifications and deliveries."""

from __future__ import annotations

import sqlalchemy as sa

from agencies.models import Person
from hamkke.db import db
from notifications.models import Notification, OutboxMessage

#: kinds a person can choose e-mail for, with their Korean names (domains add theirs here)
NOTIFICATION_KINDS: dict[str, str] = {
    "agency.membership": "기관 가입·권한 변경",
    "case.escalation": "구청 의뢰(고난도 사례)",
    "conference.invitation": "통합사례회의 초대·일정",
    "conference.minutes": "회의록 배포",
    "referral.received": "받은 의뢰",
    "referral.updated": "보낸 의뢰의 진행",
    "reminder": "기한 알림",
    "digest.weekly": "주간 요약",
}


def list_notifications(person: Person, *, limit: int, offset: int = 0) -> list[Notification]:
    """Return a page of the person's notifications, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.person_id == person.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
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


def list_deliveries_for_agency(agency_id: int, *, limit: int = 100) -> list[OutboxMessage]:
    """Return the agency's most recent deliveries with their status (for its delivery status page)."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.agency_id == agency_id)
            .order_by(OutboxMessage.created_at.desc())
            .limit(limit)
        )
    )
