"""The common step of every transition (timeline, audit, live push, notices, webhooks) and who is told."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from agencies.access import active_memberships
from agencies.models import Agency, AgencyType, Membership, MembershipStatus, Person, StaffRole
from hamkke.audit import record
from hamkke.db import db
from hamkke.korean import with_particle
from hamkke.realtime import publish
from notifications.models import WebhookEndpoint
from notifications.services import notify
from notifications.webhooks import queue_webhook
from referrals import access
from referrals.models import Referral, ReferralEvent, ReferralStatus
from referrals.services.rules import S, allowed_transition


def move(referral: Referral, target: ReferralStatus, *, actor: access.Actor | None, note: str = "") -> None:
    """Apply one allowed transition: timeline, audit, live push to both sides, notification of the other."""
    side = allowed_transition(referral.status, target)
    if actor is not None:
        access.require_side(actor, referral, side)
    previous = referral.status
    referral.status = target
    agency_id = (
        referral.sending_agency_id
        if access.acting_side(referral, side) == "sender"
        else referral.receiving_agency_id
    )
    referral.events.append(
        ReferralEvent(
            from_status=previous.value,
            to_status=target.value,
            actor_id=access.actor_person_id(actor),
            agency_id=agency_id,
            note=note,
        )
    )
    data: dict[str, object] = {"from": previous.value, "to": target.value}
    if isinstance(actor, access.AgencySystem):
        data["api_client_id"] = actor.api_client_id
    record(
        f"referral.{target.value.replace('-', '_')}",
        actor_id=access.actor_person_id(actor),
        agency_id=agency_id,
        obj=referral,
        data=data,
    )
    db.session.flush()
    payload = {"id": referral.id, "status": target.value, "status_label": target.label}
    for room_agency in {referral.sending_agency_id, referral.receiving_agency_id} - {None}:
        publish("referral.updated", payload, room=f"agency:{room_agency}", namespace="/live")
    _notify_other_side(referral, side, previous)
    _queue_webhooks(referral, previous)


def _queue_webhooks(referral: Referral, previous: ReferralStatus) -> None:
    """Tell both agencies' systems by signed webhooks (through the outbox); IDs and codes, no client data."""
    event = f"referral.{referral.status.value.replace('-', '_')}"
    if referral.status == S.requested:
        event = "referral.received"  # what the receiving system subscribes to
    agencies = [a for a in (referral.sending_agency_id, referral.receiving_agency_id) if a is not None]
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.agency_id.in_(agencies), WebhookEndpoint.is_active)
        .order_by(WebhookEndpoint.id)
    )
    body = {
        "referral_id": referral.id,
        "status": referral.status.value,
        "previous_status": previous.value,
        "sending_agency_code": referral.sending_agency.code,
        "receiving_agency_code": referral.receiving_agency.code if referral.receiving_agency else None,
        "service_id": referral.service_id,
    }
    for endpoint in endpoints:
        if event in endpoint.events or "referral.*" in endpoint.events:
            queue_webhook(
                endpoint,
                event=event,
                body=body,
                idempotency_key=f"referral:{referral.id}:step:{len(referral.events)}:webhook:{endpoint.id}",
            )


def _notify_other_side(referral: Referral, side: access.Side, previous: ReferralStatus) -> None:
    status = referral.status
    link = f"/referrals/{referral.id}"
    if referral.receiving_agency is None:
        return  # an outside organisation gets the letter by e-mail; the sender records its answers
    if side == "sender":
        if status == S.requested:
            title = f"{referral.sending_agency.name}에서 서비스 의뢰가 도착했습니다"
            for person in agency_staff(referral.receiving_agency):
                _notify(referral, person, "referral.received", title, link)
        elif previous != S.draft:
            title = f"{with_particle(referral.sending_agency.name, '이')} 의뢰를 {status.label}했습니다"
            for person in agency_staff(referral.receiving_agency):
                _notify(referral, person, f"referral.{status.value}", title, link)
        return
    if status == S.received:
        return  # receipt is shown on the timeline; a notification for it would only be noise
    sender = referral.sender
    if sender.is_active and access.is_member(sender, referral.sending_agency_id):
        title = f"{with_particle(referral.receiving_agency.name, '이')} 의뢰에 답했습니다: {status.label}"
        _notify(referral, sender, f"referral.{status.value.replace('-', '_')}", title, link)


def _notify(referral: Referral, person: Person, kind: str, title: str, link: str) -> None:
    context = {"referral": referral, "title": title, "link": link}
    notify(
        person,
        kind,
        title=title,
        body=summary(referral),
        link=link,
        dedupe_key=f"referral:{referral.id}:{referral.status.value}:{len(referral.events)}:p{person.id}",
        email_text=render_template("emails/referrals/update.txt", **context),
        email_html=render_template("emails/referrals/update.html", **context),
        agency_id=referral.receiving_agency_id,
    )


def summary(referral: Referral) -> str:
    """Return the one-line summary of a referral for notifications: agencies, service and deadline."""
    # Agency and service names only: the client's details stay behind the gate on the referral page.
    service = f" · {referral.service.name}" if referral.service is not None else ""
    due = f" · 회신 기한 {referral.response_due_on:%Y-%m-%d}" if referral.response_due_on else ""
    return f"{referral.sending_agency.name} → {referral.recipient_name}{service}{due}"


def agency_staff(agency: Agency) -> list[Person]:
    """Return the people who act on referrals for ``agency`` (active members with acting roles)."""
    memberships = db.session.scalars(
        sa.select(Membership).where(
            Membership.agency_id == agency.id, Membership.status == MembershipStatus.active
        )
    )
    return [m.person for m in memberships if m.person.is_active and m.role_set & access.ACTING_ROLES]


def owing_people(referral: Referral) -> list[Person]:
    """Return who is reminded of the answer: the receiving agency's staff, or the sender for an outsider."""
    if referral.receiving_agency is not None:
        return agency_staff(referral.receiving_agency)
    # The outside organisation has no account: its sender chases the answer and records it.
    sender = referral.sender
    return [sender] if sender.is_active and access.is_member(sender, referral.sending_agency_id) else []


def district_coordinators(district_id: int) -> list[Person]:
    """Return the district's 통합사례관리 조정자 (coordinators of its district team)."""
    agencies = db.session.scalars(
        sa.select(Agency).where(Agency.district_id == district_id, Agency.type == AgencyType.district_team)
    )
    people: list[Person] = []
    for agency in agencies:
        for person in agency_staff_with(agency, StaffRole.coordinator):
            if person not in people:
                people.append(person)
    return people


def agency_staff_with(agency: Agency, role: StaffRole) -> list[Person]:
    """Return active members of an active agency holding ``role``."""
    result = []
    for membership in agency.memberships:
        if (
            membership.status == MembershipStatus.active
            and role in membership.role_set
            and membership in active_memberships(membership.person)
        ):
            result.append(membership.person)
    return result
