"""Who may record consents, review the access log and handle requests; the send-time consent check."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from agencies.access import active_memberships
from agencies.models import Agency, AgencyType, StaffRole
from cases.models import Client
from consents.gate import grant_facts, groups_allowed_now
from consents.models import Consent, DataSubjectRequest
from consents.policy import grant_is_active
from hamkke.db import db
from hamkke.errors import ConsentRequired, NotFound
from hamkke.time import today_local

if TYPE_CHECKING:
    from agencies.models import Person
    from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

_NOT_FOUND = "대상자를 찾을 수 없습니다."


def acting_agency(person: Person | None, agency_id: int | None) -> Agency:
    """Return the agency the person acts for, if they are an active member of it; else NotFound."""
    for membership in active_memberships(person):
        if membership.agency_id == agency_id:
            return membership.agency
    raise NotFound("찾을 수 없습니다.", english="Not found.")


def roles_for(person: Person | None, agency_id: int | None) -> frozenset[StaffRole]:
    """Return the person's roles in the agency they act for (empty when not a member)."""
    for membership in active_memberships(person):
        if membership.agency_id == agency_id:
            return membership.role_set
    return frozenset()


def get_client_for_owner(person: Person | None, agency_id: int | None, client_id: int) -> Client:
    """Return a client the acting agency collected (only it records consents and requests); else NotFound."""
    agency = acting_agency(person, agency_id)
    client = db.session.get(Client, client_id)
    if client is None or client.is_deleted or client.owning_agency_id != agency.id:
        raise NotFound(_NOT_FOUND, english="The client does not exist.")
    return client


def get_consent_for(person: Person | None, agency_id: int | None, consent_id: int) -> Consent:
    """Return a consent held by the acting agency's client; else NotFound."""
    consent = db.session.get(Consent, consent_id)
    if consent is None:
        raise NotFound("동의서를 찾을 수 없습니다.", english="The consent does not exist.")
    get_client_for_owner(person, agency_id, consent.client_id)
    return consent


def audit_scope(person: Person | None, agency_id: int | None) -> list[int] | None:
    """Return the agency ids whose access log the person may review; None when they are no auditor.

    An auditor of the district team reviews the whole district; any other auditor reviews their
    own agency (its staff's access and access to the clients it collected).
    """
    if StaffRole.auditor not in roles_for(person, agency_id):
        return None
    agency = acting_agency(person, agency_id)
    if agency.type == AgencyType.district_team:
        return list(db.session.scalars(sa.select(Agency.id).where(Agency.district_id == agency.district_id)))
    return [agency.id]


def can_handle_requests(person: Person | None, agency_id: int | None) -> bool:
    """Tell whether the person may list and close data-subject requests for the agency they act for."""
    return bool(
        roles_for(person, agency_id)
        & {StaffRole.coordinator, StaffRole.agency_admin, StaffRole.supervisor, StaffRole.case_worker}
    )


def get_request_for(person: Person | None, agency_id: int | None, request_id: int) -> DataSubjectRequest:
    """Return a data-subject request of the acting agency; else NotFound."""
    item = db.session.get(DataSubjectRequest, request_id)
    if item is None or item.agency_id != agency_id or not can_handle_requests(person, agency_id):
        raise NotFound("요청을 찾을 수 없습니다.", english="The request does not exist.")
    return item


def require_consent(
    client: Client, agency: Agency, *, purpose: str, field_groups: set[str] | frozenset[str]
) -> None:
    """Raise ConsentRequired unless the agency may receive all these groups of the client now."""
    allowed = groups_allowed_now(client, agency, purpose=purpose)
    if not set(field_groups) <= allowed:
        raise ConsentRequired(
            "대상자의 동의 범위를 벗어난 정보입니다.", english="The client's consent does not cover this."
        )


def consent_scope_of(message_payload: dict[str, Any]) -> dict[str, Any] | None:
    """Return the consent scope an outbox payload carries (``{"client_id", "agency_id", …}``), if any."""
    scope = message_payload.get("consent_scope")
    return scope if isinstance(scope, dict) else None


def outbox_message_allowed(message: OutboxMessage) -> bool:
    """Re-check at send time that a queued message about a client is still within consent.

    Messages without a consent scope carry no client data and pass. The scope names the client, the
    receiving agency, the purpose and the field groups the text contains.
    """
    scope = consent_scope_of(message.payload)
    if scope is None:
        return True
    client = db.session.get(Client, int(scope["client_id"]))
    agency = db.session.get(Agency, int(scope["agency_id"]))
    if client is None or agency is None:
        return False
    allowed = groups_allowed_now(client, agency, purpose=str(scope["purpose"]))
    # Nothing may go out about a client the agency may no longer see at all, whatever the text holds.
    ok = bool(allowed) and set(scope.get("field_groups", [])) <= allowed
    if not ok:
        logger.info("Outbox message %s held back: consent for client %s changed", message.id, client.id)
    return ok


def has_collection_consent(client: Client) -> bool:
    """Tell whether the client (or their representative) consented to collection and use now.

    The case process asks this before recording anything beyond the minimum at intake (PIPA 제15조).
    """
    today = today_local()
    consents = db.session.scalars(sa.select(Consent).where(Consent.client_id == client.id)).all()
    return any(
        fact.recipient_kind == "collector" and grant_is_active(fact, today)
        for consent in consents
        for fact in grant_facts(consent, frozenset())
    )
