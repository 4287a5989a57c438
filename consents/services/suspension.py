"""Fulfilling a 처리정지 (suspension) request and lifting it again (PIPA 제37조)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consents.models import SUSPENSION_LIFT_GROUNDS, DataSubjectRequest, RequestKind, RequestStatus
from consents.services.base import fail
from consents.services.changes import consent_changed
from consents.services.requests import check_request_client, finish_request
from hamkke.audit import record
from hamkke.db import db
from hamkke.errors import InvalidTransition
from hamkke.time import now_utc

if TYPE_CHECKING:
    from agencies.models import Person
    from cases.models import Client


def fulfil_suspension(item: DataSubjectRequest, client: Client, *, actor: Person) -> DataSubjectRequest:
    """Stop sharing the client's data (처리정지): from now on the gate shows nothing to other agencies.

    The owning agency keeps its record (it must, to answer the request and for retention) but no
    consent carries anything further; live views are told at once.
    """
    check_request_client(item, client, RequestKind.suspension)
    finish_request(item, actor, "처리정지 반영: 다른 기관에 대한 제공·공유 중지")
    db.session.flush()
    record(
        "consents.request_suspension_applied",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={"client_id": client.id},
    )
    consent_changed(client.id)
    return item


def lift_suspension(
    item: DataSubjectRequest, *, actor: Person, ground: str, reason: str
) -> DataSubjectRequest:
    """End a fulfilled 처리정지 (PIPA 제37조): record who, when, on which ground and why; sharing resumes.

    The request row keeps its fulfilment; the end is written beside it once and never changed, so the
    history shows both. From then on the gate shares again as far as the consents allow.

    :raises InvalidTransition: when the request is not a fulfilled suspension or is already lifted.
    :raises ValidationFailed: for an unknown ground or an empty reason (nothing is saved).
    """
    if item.kind != RequestKind.suspension or item.status != RequestStatus.fulfilled:
        raise InvalidTransition(
            "처리정지를 반영한 요청만 해제할 수 있습니다.",
            english="Only a fulfilled suspension request can be lifted.",
        )
    if item.suspension_lifted_at is not None:
        raise InvalidTransition("이미 해제된 처리정지입니다.", english="The suspension is already lifted.")
    if ground not in SUSPENSION_LIFT_GROUNDS:
        raise fail(
            "처리 재개의 근거를 선택해 주십시오.", "ground", "Choose the ground on which processing resumes."
        )
    text = reason.strip()
    if not text:
        raise fail("해제 사유를 적어 주십시오.", "reason", "Give the reason for lifting the suspension.")
    if len(text) > 1000:
        raise fail(
            "해제 사유는 1000자 이내로 적어 주십시오.", "reason", "Keep the reason within 1000 characters."
        )
    item.suspension_lifted_at = now_utc()
    item.suspension_lifted_by_id = actor.id
    item.suspension_lift_ground = ground
    item.suspension_lift_reason = text
    db.session.flush()
    record(
        "consents.request_suspension_lifted",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={"client_id": item.client_id, "ground": ground, "reason": text},
    )
    # Live views and queued letters re-check the gate, as after any change of consent.
    consent_changed(item.client_id)
    return item
