"""The referrals' part of the weekly digest, registered into ``notifications.digest`` by ``init_app``.

Notifications sits below referrals (referrals notify through it), so the digest does not read
referrals itself: this section fills in what waits on the agency and what it sent unanswered.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from hamkke.db import db
from notifications.digest import AgencyDigest
from referrals.models import AWAITING_RESPONSE, Referral
from referrals.queries import RECEIVER_ACTION


def add_referrals(digest: AgencyDigest, today: date) -> None:
    """Fill the digest with referrals waiting on the agency (overdue ones marked) and its unanswered ones."""
    agency = digest.agency
    waiting = db.session.scalars(
        sa.select(Referral)
        .where(Referral.receiving_agency_id == agency.id, Referral.status.in_(list(RECEIVER_ACTION)))
        .order_by(Referral.response_due_on.is_(None), Referral.response_due_on, Referral.id)
    ).all()
    digest.waiting = list(waiting)
    digest.overdue_ids = {
        referral.id
        for referral in waiting
        if referral.status in AWAITING_RESPONSE
        and referral.response_due_on is not None
        and referral.response_due_on < today
    }
    digest.unanswered = list(
        db.session.scalars(
            sa.select(Referral)
            .where(Referral.sending_agency_id == agency.id, Referral.status.in_(list(AWAITING_RESPONSE)))
            .order_by(Referral.sent_at, Referral.id)
        )
    )
