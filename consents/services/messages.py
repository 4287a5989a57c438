"""Messages about a client: e-mail showing gated fields, re-checked against the consent at send time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cases.fields import group_of_column
from hamkke.db import db
from notifications.services import queue_email

if TYPE_CHECKING:
    from consents.gate import ClientView
    from notifications.models import OutboxMessage


def queue_client_email(
    view: ClientView,
    *,
    to: str,
    subject: str,
    fields: Sequence[str],
    recipient_agency_id: int,
    idempotency_key: str,
) -> OutboxMessage:
    """Queue an e-mail showing some of a client's fields as the gate's view allows; re-checked at send time.

    The payload carries the consent scope (client, agency, purpose, groups), so delivery can hold the
    message back if the consent is withdrawn or expires while it waits.
    """
    groups = sorted({group for name in fields if (group := group_of_column(name)) and view.can_see(group)})
    lines = [f"{name}: {view.get(name)}" for name in fields]
    message = queue_email(to=to, subject=subject, text="\n".join(lines), idempotency_key=idempotency_key)
    message.payload = {
        **message.payload,
        "consent_scope": {
            "client_id": view.client_id,
            "agency_id": recipient_agency_id,
            "purpose": view.purpose,
            "field_groups": groups,
        },
    }
    db.session.flush()
    return message
