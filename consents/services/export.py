"""The client's own data for a 열람 (access) request: record, consents and disclosures to others."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from consents.gate import view_client
from consents.models import AccessChannel, AccessLogEntry, Consent
from consents.services.base import json_safe
from hamkke.db import db

if TYPE_CHECKING:
    from agencies.models import Agency, Person
    from cases.models import Client


def export_client_data(client: Client, *, actor: Person, agency: Agency, reason: str) -> dict[str, Any]:
    """Return the client's own data (record, consents, disclosures to others) for a 열람 request; logged."""
    view = view_client(
        client,
        actor,
        purpose="case_management",
        acting_agency_id=agency.id,
        channel=AccessChannel.export,
        reason=reason,
    )
    consents = db.session.scalars(
        sa.select(Consent).where(Consent.client_id == client.id).order_by(Consent.id)
    ).all()
    disclosures = db.session.scalars(
        sa.select(AccessLogEntry)
        .where(AccessLogEntry.client_id == client.id, AccessLogEntry.basis != "owner")
        .order_by(AccessLogEntry.id)
    ).all()
    return {
        "client": view.as_dict(),
        "consents": [
            {
                "id": consent.id,
                "signed_on": consent.signed_on.isoformat(),
                "signer_capacity": str(consent.signer_capacity),
                "valid_from": consent.valid_from.isoformat(),
                "valid_until": json_safe(consent.valid_until),
                "notice_text": consent.notice_text,
                "grants": [
                    {
                        "purpose": str(grant.purpose),
                        "recipient": grant.notice_recipient,
                        "field_groups": grant.field_groups,
                        "retention": grant.notice_retention,
                    }
                    for grant in consent.grants
                ],
                "revocations": [
                    {
                        "revoked_at": json_safe(r.revoked_at),
                        "grant_id": r.grant_id,
                        "field_groups": r.field_groups,
                    }
                    for r in consent.revocations
                ],
            }
            for consent in consents
        ],
        # 제3자 제공 현황 (시행령 제41조①4호): which agency received which groups, when
        "disclosures": [
            {
                "at": json_safe(entry.created_at),
                "agency_id": entry.agency_id,
                "field_groups": entry.field_groups,
                "purpose": entry.purpose,
                "channel": str(entry.channel),
            }
            for entry in disclosures
        ],
    }
