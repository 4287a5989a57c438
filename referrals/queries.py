"""Read-side queries: sent and received lists, and which referrals need the agency's action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from cases.fields import FIELD_GROUPS
from hamkke.db import db
from hamkke.time import today_local
from notifications.models import OutboxMessage
from referrals.models import Referral, ReferralLetter, ReferralStatus

Box = Literal["received", "sent"]
S = ReferralStatus

#: what the receiving side still has to do: answer, or report the result
RECEIVER_ACTION = frozenset({S.requested, S.received, S.accepted, S.in_progress})
#: what the sending side still has to do: send a draft, or find another agency after a refusal
SENDER_ACTION = frozenset({S.draft, S.rejected})


def needs_action(referral: Referral, box: Box) -> bool:
    """Tell whether the agency on the ``box`` side has something to do on this referral."""
    if box == "received":
        return referral.status in RECEIVER_ACTION
    if referral.status == S.rejected:
        # A refusal needs the sender's action until they re-route it.
        return not _rerouted(referral.id)
    return referral.status in SENDER_ACTION


def _rerouted(referral_id: int) -> bool:
    return (
        db.session.scalar(sa.select(Referral.id).where(Referral.rerouted_from_id == referral_id).limit(1))
        is not None
    )


def is_overdue(referral: Referral) -> bool:
    """Tell whether the receiving agency has missed the response deadline."""
    return (
        referral.status in {S.requested, S.received}
        and referral.response_due_on is not None
        and referral.response_due_on < today_local()
    )


def action_count(agency_id: int) -> int:
    """Count the referrals waiting on the agency (received needing an answer or result, drafts to send)."""
    received = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Referral)
        .where(Referral.receiving_agency_id == agency_id, Referral.status.in_(list(RECEIVER_ACTION)))
    )
    drafts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Referral)
        .where(Referral.sending_agency_id == agency_id, Referral.status == S.draft)
    )
    return int(received or 0) + int(drafts or 0)


@dataclass(frozen=True)
class OutsideDelivery:
    """One 의뢰서 e-mailed to an outside organisation: what went, when, and how it ended."""

    document_number: str
    version: int
    status_label: str
    #: when it left (None while it waits or after it was held back)
    sent_at: datetime | None
    #: the field groups the e-mailed letter carried, as they were when it went
    groups: list[str]


def outside_deliveries(referral: Referral) -> list[OutsideDelivery]:
    """Return the letters e-mailed to the referral's outside organisation, oldest first.

    What already went out is shown as delivered at that time; a later withdrawal cannot call it back
    and nothing re-sends it (a letter still waiting is re-checked against consent when it is sent).
    """
    letters = {
        f"referral:{referral.id}:outside-letter:{letter.id}": letter
        for letter in db.session.scalars(
            sa.select(ReferralLetter).where(ReferralLetter.referral_id == referral.id)
        )
    }
    if not letters:
        return []
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(list(letters)))
        .order_by(OutboxMessage.id)
    )
    deliveries = []
    for message in messages:
        letter = letters[message.idempotency_key]
        deliveries.append(
            OutsideDelivery(
                document_number=letter.document_number,
                version=letter.version,
                status_label=message.status.label,
                sent_at=message.sent_at,
                groups=[FIELD_GROUPS[code].label for code in letter.field_groups if code in FIELD_GROUPS],
            )
        )
    return deliveries
