"""Every periodic job of the product, in one auditable place."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

#: every job, by name: jobs are computed from data, so re-running one sends nothing twice
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Safety net of the outbox: deliveries whose enqueue was lost (broker down) or whose worker
    # died are sent from here; a healthy system finds nothing to do.
    "notifications-sweep-outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": timedelta(seconds=30),
    },
    # Referral deadlines: due-soon and overdue reminders and escalation, deduplicated per step.
    "referrals-deadline-reminders": {
        "task": "referrals.deadline_reminders",
        "schedule": timedelta(minutes=30),
    },
    # The weekly "needs update" digest per agency: hourly, but once per agency, person and ISO week.
    "notifications-weekly-digest": {
        "task": "notifications.weekly_digest",
        "schedule": timedelta(hours=1),
    },
    # Letters whose render task was lost (broker down) or whose worker died are rendered here.
    "referrals-sweep-letters": {
        "task": "referrals.sweep_letters",
        "schedule": timedelta(minutes=2),
    },
    # Consents: expiry needs no write (the gate reads dates), but live views are told at once.
    "consents-announce-expired": {
        "task": "consents.announce_expired_consents",
        "schedule": timedelta(hours=1),
    },
    # 열람·정정·삭제·처리정지 must be answered within 10 days (PIPA 시행령 제41조④).
    "consents-remind-request-deadlines": {
        "task": "consents.remind_request_deadlines",
        "schedule": timedelta(hours=6),
    },
    "consents-purge-access-log": {
        "task": "consents.purge_access_log",
        "schedule": timedelta(days=1),
    },
    # 고시 제8조②: the access log is reviewed at least monthly; daily runs notify once per month.
    "consents-review-access-log": {
        "task": "consents.review_access_log",
        "schedule": timedelta(days=1),
    },
    "consents-verify-access-log": {
        "task": "consents.verify_access_log",
        "schedule": timedelta(days=1),
    },
    # The chain cannot show its own newest rows cut off; an anchor of its head every 10 minutes can.
    "consents-anchor-access-log": {
        "task": "consents.anchor_access_log",
        "schedule": timedelta(minutes=10),
    },
    # Conferences: D-7/D-1 reminders, minutes sent and locked on time, next regular instances.
    "conference-send-reminders": {
        "task": "conference.send_reminders",
        "schedule": timedelta(hours=1),
    },
    "conference-sweep-minutes": {
        "task": "conference.sweep_minutes",
        "schedule": timedelta(minutes=10),
    },
    "conference-generate-regular": {
        "task": "conference.generate_regular",
        "schedule": timedelta(hours=6),
    },
    # Action items: D-1 and overdue reminders of unfinished ones, once per step and person.
    "conference-action-reminders": {
        "task": "conference.action_reminders",
        "schedule": timedelta(hours=1),
    },
    # Retention (PIPA): case records 5 years after closure or 미선정; re-running finds nothing new.
    "cases-purge-expired-records": {
        "task": "cases.purge_expired_records",
        "schedule": timedelta(hours=24),
    },
    # Stale cases (3 months of refusal or lost contact, a plan past its period): the worker and the
    # supervisors are told once per stale episode, however often this runs.
    "cases-notify-stale-cases": {
        "task": "cases.notify_stale_cases",
        "schedule": timedelta(hours=24),
    },
    "worker-heartbeat": {
        "task": "hamkke.record_heartbeat",
        "schedule": timedelta(minutes=1),
        "kwargs": {"source": "beat"},
    },
}


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Return a copy of the Celery beat schedule (Celery may add to the entries it is given)."""
    return copy.deepcopy(BEAT_SCHEDULE)
