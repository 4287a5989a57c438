"""Deadline reminders of awaiting referrals, computed from data, and escalation to the district."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import render_template

from agencies.models import Person
from hamkke.audit import record
from hamkke.db import db
from hamkke.time import now_utc, today_local
from notifications.models import Notification
from notifications.services import notify
from referrals.deadlines import previous_working_day, working_days_between
from referrals.models import AWAITING_RESPONSE, Referral, ReferralEvent
from referrals.services.steps import district_coordinators, owing_people, summary


def run_deadline_reminders(today: date | None = None) -> int:
    """Send the due reminders of every awaiting referral, computed from data; return how many were new.

    Before the deadline (from the last working day before it): the receiving agency. After it: one
    reminder per overdue working day up to two; the second also escalates to the district coordinator.
    Dedupe keys name the referral, its due date, the step and the person, so a re-run sends nothing twice.
    """
    today = today or today_local()
    referrals = db.session.scalars(
        sa.select(Referral).where(
            Referral.status.in_(list(AWAITING_RESPONSE)), Referral.response_due_on.is_not(None)
        )
    ).all()
    sent = 0
    for referral in referrals:
        due = referral.response_due_on
        assert due is not None  # noqa: S101 -- filtered above
        overdue = working_days_between(due, today)
        link = f"/referrals/{referral.id}"
        if overdue == 0 and today >= previous_working_day(due):
            title = f"의뢰 회신 기한이 다가옵니다 ({due:%m월 %d일})"
            for person in owing_people(referral):
                sent += _remind(referral, person, "referral.due_soon", title, link, f"before:p{person.id}")
        for level in range(1, min(overdue, 2) + 1):
            title = f"의뢰 회신 기한({due:%m월 %d일})이 지났습니다" + (
                " — 두 번째 알림" if level == 2 else ""
            )
            for person in owing_people(referral):
                sent += _remind(
                    referral, person, "referral.overdue", title, link, f"overdue{level}:p{person.id}"
                )
            if referral.overdue_reminders < level:
                referral.overdue_reminders = level
                referral.events.append(
                    ReferralEvent(
                        from_status=referral.status.value,
                        to_status=referral.status.value,
                        note=f"회신 기한 경과 알림 {level}회",
                    )
                )
                record(
                    "referral.overdue_reminder", obj=referral, data={"level": level, "due": due.isoformat()}
                )
        if overdue >= 2 and referral.escalated_at is None:
            referral.escalated_at = now_utc()
            referral.events.append(
                ReferralEvent(
                    from_status=referral.status.value,
                    to_status=referral.status.value,
                    note="회신 기한을 두 번 넘겨 구 통합사례관리 조정자에게 알렸습니다",
                )
            )
            record("referral.escalated", obj=referral, data={"due": due.isoformat()})
        if overdue >= 2:
            title = f"회신 지연 의뢰: {referral.sending_agency.name} → {referral.recipient_name}"
            for person in district_coordinators(referral.district_id):
                sent += _remind(
                    referral, person, "referral.escalated", title, link, f"escalated:p{person.id}"
                )
    db.session.flush()
    return sent


def _remind(referral: Referral, person: Person, kind: str, title: str, link: str, step: str) -> int:
    key = f"referral:{referral.id}:due:{referral.response_due_on}:{step}"
    existing = db.session.scalar(sa.select(Notification.id).where(Notification.dedupe_key == key))
    if existing is not None:
        return 0
    context = {"referral": referral, "title": title, "link": link}
    notify(
        person,
        kind,
        title=title,
        body=summary(referral),
        link=link,
        dedupe_key=key,
        email_text=render_template("emails/referrals/reminder.txt", **context),
        agency_id=referral.receiving_agency_id,
    )
    return 1
