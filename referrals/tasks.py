"""Worker tasks of referrals: letters, the letter sweeper and deadline reminders (IDs as arguments)."""

from __future__ import annotations

import logging

from celery import shared_task

from hamkke.db import db
from hamkke.retry import RETRY_TRANSIENT
from referrals import letters, services

logger = logging.getLogger(__name__)


# A busy database, a dropped connection or a full disk passes: retried within seconds, not left to
# the sweeper, so that the letter is normally ready moments after the referral is sent.
@shared_task(name="referrals.render_letter", **RETRY_TRANSIENT)
def render_letter(referral_id: int, kind: str, version: int = letters.FIRST_VERSION) -> int | None:
    """Render one version of a referral's letter once (a redelivery finds it, does nothing); return its ID."""
    letter = letters.ensure_letter(referral_id, kind, version)
    return letter.id if letter is not None else None


@shared_task(name="referrals.sweep_letters")
def sweep_letters() -> int:
    """Render every letter that is due but missing (its enqueue was lost or its worker died)."""
    done = 0
    for referral_id, kind, version in letters.missing_letters():
        try:
            if letters.ensure_letter(referral_id, kind, version) is not None:
                done += 1
        except Exception:  # one bad letter must not stop the others; it is retried on the next sweep
            db.session.rollback()
            logger.exception("Letter %s/%s could not be rendered", referral_id, kind.value)
    return done


@shared_task(name="referrals.deadline_reminders")
def deadline_reminders() -> int:
    """Send due-soon and overdue reminders and escalations computed from the referrals' deadlines."""
    count = services.run_deadline_reminders()
    return count
