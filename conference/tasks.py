"""Worker tasks of conferences: send the minutes, lock them, remind, generate regular conferences."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from celery import shared_task

from conference.models import Conference, ConferenceRule, ConferenceStatus
from conference.services.actions import remind_due_actions
from conference.services.cadences import generate_all_series
from conference.services.minutes import lock_minutes_if_due, send_minutes
from conference.services.scheduling import generate_next_instance
from conference.services.scheduling import send_reminders as remind
from hamkke.db import after_commit, db
from hamkke.extensions import socketio
from hamkke.time import now_utc, to_local, today_local

logger = logging.getLogger(__name__)


def schedule_after_finalize(conference_id: int) -> None:
    """After the finalizing commit, queue the per-agency minutes mail; the sweep is the safety net.

    The enqueue runs in a background thread: a slow or unreachable broker must not delay the live
    events of the same commit (the room learns at once that the meeting ended).
    """

    def enqueue(celery_app: Any) -> None:
        try:
            celery_app.tasks["conference.send_minutes"].apply_async((conference_id,), retry=False)
        except Exception:
            # The conference is committed; the sweep every few minutes sends the minutes instead.
            logger.warning("Broker unavailable; minutes of conference %s left for the sweep", conference_id)

    def start() -> None:
        from flask import current_app

        # The app's own Celery app: the thread has no app context to find it through.
        socketio.start_background_task(enqueue, current_app.extensions["celery"])

    after_commit(start)


@shared_task(name="conference.send_minutes", acks_late=True)
def send_conference_minutes(conference_id: int) -> int:
    """Send the minutes of one finalized conference to attendees not yet served; return how many."""
    conference = db.session.get(Conference, conference_id)
    if conference is None or conference.finalized_at is None:
        return 0
    sent = send_minutes(conference)
    logger.info("Sent minutes of conference %s to %s attendee(s)", conference_id, sent)
    return sent


@shared_task(name="conference.sweep_minutes")
def sweep_minutes() -> int:
    """Send any unsent minutes and lock minutes whose sign-off window closed; return conferences touched."""
    touched = 0
    finalized = db.session.scalars(
        sa.select(Conference).where(Conference.finalized_at.is_not(None), Conference.locked_at.is_(None))
    ).all()
    for conference in finalized:
        sent = send_minutes(conference)
        locked = lock_minutes_if_due(conference)
        touched += int(bool(sent) or locked)
    return touched


@shared_task(name="conference.send_reminders")
def send_reminders() -> int:
    """Send D-7 and D-1 reminders of scheduled conferences (deduplicated); return how many went out."""
    today = today_local()
    sent = 0
    upcoming = db.session.scalars(
        sa.select(Conference).where(
            Conference.status == ConferenceStatus.scheduled,
            Conference.starts_at >= now_utc(),
            Conference.starts_at <= now_utc() + timedelta(days=8),
        )
    ).all()
    for conference in upcoming:
        days = (to_local(conference.starts_at).date() - today).days
        if days in (7, 1):
            sent += remind(conference, days_before=days)
    return sent


@shared_task(name="conference.generate_regular")
def generate_regular_conferences() -> int:
    """Create the next instance of every active monthly rule and the coming weeks of every RRULE series.

    Idempotent: a meeting is known by its series and start. Returns how many monthly rules ran.
    """
    rules = db.session.scalars(
        sa.select(ConferenceRule).where(ConferenceRule.is_active.is_(True), ConferenceRule.rrule.is_(None))
    ).all()
    for rule in rules:
        generate_next_instance(rule)
    created = generate_all_series()
    logger.info("Generated %s meeting(s) of the meeting series", created)
    return len(rules)


@shared_task(name="conference.action_reminders")
def send_action_reminders() -> int:
    """Remind owners of unfinished action items due tomorrow or overdue (deduplicated); return how many."""
    sent = remind_due_actions(today_local())
    return sent
