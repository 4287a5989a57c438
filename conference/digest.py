"""The conference's part of the weekly digest, registered into ``notifications.digest`` by ``init_app``.

Notifications sits below the domains (they notify through it), so the digest does not read
conferences itself: this section fills in the agency's overdue action items.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from conference.models import UNFINISHED_ACTION_STATUSES, ActionItem, Conference
from hamkke.db import db
from notifications.digest import AgencyDigest


def add_overdue_actions(digest: AgencyDigest, today: date) -> None:
    """Fill the digest with the agency's open action items past their due date."""
    # Named by the conference's title (its attendees' shared name for it), never by a row id.
    digest.overdue_actions = [
        (title, due_on)
        for title, due_on in db.session.execute(
            sa.select(Conference.title, ActionItem.due_on)
            .join(Conference, Conference.id == ActionItem.conference_id)
            .where(
                ActionItem.owner_agency_id == digest.agency.id,
                ActionItem.status.in_(UNFINISHED_ACTION_STATUSES),
                ActionItem.due_on < today,
            )
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    ]
