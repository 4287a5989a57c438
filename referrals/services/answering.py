"""Answering a referral (receipt, accept, reject, start, complete), closing it and re-routing it."""

from __future__ import annotations

from agencies.models import Agency, Person, Service
from cases.models import Case
from consents import sharing
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import now_utc, today_local
from referrals import access
from referrals.models import LetterKind, Referral, ReferralStatus, RejectionReason
from referrals.services.creation import create_referral, next_document_number, send_referral
from referrals.services.reissue import queue_letter
from referrals.services.rules import REROUTABLE, TEXT_LIMIT, ReferralContent, S, allowed_transition
from referrals.services.steps import move


def mark_received(referral: Referral, *, actor: access.Actor) -> Referral:
    """Confirm receipt (접수 확인) on the receiving side; the deadline stays."""
    access.require_side(actor, referral, "receiver")
    referral.received_at = now_utc()
    move(referral, S.received, actor=actor)
    return referral


def accept(referral: Referral, *, actor: access.Actor, note: str = "") -> Referral:
    """Accept the referral for the receiving agency; the accepting worker becomes its contact."""
    access.require_side(actor, referral, "receiver")
    allowed_transition(referral.status, S.accepted)
    referral.receiver_id = None if referral.is_external else access.actor_person_id(actor)
    referral.responded_at = now_utc()
    if referral.linkage is not None:
        referral.linkage.result = "수락"
    move(referral, S.accepted, actor=actor, note=note.strip()[:500])
    return referral


def reject(
    referral: Referral, *, actor: access.Actor, reason: RejectionReason | str, note: str = ""
) -> Referral:
    """Decline with a structured reason (and a note, required for 기타)."""
    access.require_side(actor, referral, "receiver")
    allowed_transition(referral.status, S.rejected)
    try:
        code = RejectionReason(reason)
    except ValueError:
        raise ValidationFailed("거절 사유를 골라 주세요.", field="rejection_reason") from None
    note = note.strip()
    if code is RejectionReason.other and not note:
        raise ValidationFailed("'기타' 사유는 내용을 적어 주세요.", field="rejection_note")
    referral.rejection_reason = code
    referral.rejection_note = note[:TEXT_LIMIT] or None
    referral.receiver_id = None if referral.is_external else access.actor_person_id(actor)
    referral.responded_at = now_utc()
    if referral.linkage is not None:
        referral.linkage.result = f"거절({code.label})"
    move(referral, S.rejected, actor=actor, note=code.label)
    return referral


def start(referral: Referral, *, actor: access.Actor) -> Referral:
    """Record that the service to the client has begun."""
    access.require_side(actor, referral, "receiver")
    move(referral, S.in_progress, actor=actor)
    return referral


def complete(referral: Referral, *, actor: access.Actor, outcome: str, result_report: str = "") -> Referral:
    """Close the loop with the 회신서 / 결과보고서; the reply letter is rendered by the worker."""
    access.require_side(actor, referral, "receiver")
    allowed_transition(referral.status, S.completed)
    outcome = outcome.strip()
    if not outcome:
        raise ValidationFailed("서비스 결과를 적어 주세요.", field="outcome")
    if len(outcome) > TEXT_LIMIT or len(result_report) > TEXT_LIMIT:
        raise ValidationFailed(f"{TEXT_LIMIT}자 이내로 적어 주세요.", field="outcome")
    referral.outcome = outcome
    referral.result_report = result_report.strip() or None
    referral.completed_at = now_utc()
    if referral.receiving_agency is not None:
        referral.reply_document_number = next_document_number(referral.receiving_agency, today_local().year)
    if referral.linkage is not None:
        referral.linkage.result = f"완료: {outcome[:200]}"
    move(referral, S.completed, actor=actor)
    if referral.receiving_agency is not None:
        # An outside organisation answers on its own paper; only a network agency issues a 회신서 here.
        queue_letter(referral.id, LetterKind.reply)
    return referral


#: the answers of an outside organisation the sender can record (회신 기록)
OUTSIDE_REPLIES = ("received", "accepted", "rejected", "started", "completed")


def record_outside_reply(
    referral: Referral,
    *,
    actor: Person,
    answer: str,
    note: str = "",
    rejection_reason: RejectionReason | str = RejectionReason.other,
    outcome: str = "",
    result_report: str = "",
) -> Referral:
    """Record, for an outside organisation without an account, the answer it gave by phone or e-mail."""
    if not referral.is_external:
        raise InvalidTransition(
            "회신 기록은 네트워크 밖 기관에 보낸 의뢰에만 씁니다. 받은 기관이 직접 답합니다.",
            english="Only referrals to outside organisations take a recorded reply.",
        )
    access.require_side(actor, referral, "sender")
    prefix = f"{referral.recipient_name} 회신 기록"
    if answer == "received":
        return mark_received(referral, actor=actor)
    if answer == "accepted":
        return accept(referral, actor=actor, note=f"{prefix}: {note.strip()}" if note.strip() else prefix)
    if answer == "rejected":
        return reject(referral, actor=actor, reason=rejection_reason, note=note)
    if answer == "started":
        return start(referral, actor=actor)
    if answer == "completed":
        return complete(referral, actor=actor, outcome=outcome, result_report=result_report)
    raise ValidationFailed("회신 내용을 골라 주세요.", field="answer", english="Choose the answer.")


def cancel(referral: Referral, *, actor: Person, note: str = "") -> Referral:
    """Withdraw a referral the receiver has not accepted yet."""
    access.require_side(actor, referral, "sender")
    return close_by_sender(referral, S.cancelled, actor=actor, note=note)


def revoke(referral: Referral, *, actor: Person, note: str) -> Referral:
    """Withdraw an accepted referral (a reason is required: the receiver has started work)."""
    access.require_side(actor, referral, "sender")
    if not note.strip():
        raise ValidationFailed("철회 사유를 적어 주세요.", field="closing_note")
    return close_by_sender(referral, S.revoked, actor=actor, note=note)


def close_by_sender(referral: Referral, target: ReferralStatus, *, actor: Person, note: str) -> Referral:
    """Close a referral on the sender's side (cancelled or revoked) with its note."""
    allowed_transition(referral.status, target)
    referral.closing_note = note.strip()[:TEXT_LIMIT] or None
    if referral.linkage is not None:
        referral.linkage.result = target.label
    move(referral, target, actor=actor, note=note.strip()[:500])
    return referral


def reroute(
    referral: Referral, *, actor: Person, receiving_agency: Agency, service: Service | None = None
) -> Referral:
    """Send the same content to another agency; the original is cancelled (unless already rejected)."""
    access.require_side(actor, referral, "sender")
    if referral.status not in REROUTABLE:
        raise InvalidTransition(
            f"'{referral.status.label}' 상태의 의뢰는 다른 기관으로 다시 보낼 수 없습니다.",
            english="This referral cannot be re-routed.",
        )
    case = db.session.get(Case, referral.case_id)
    assert case is not None  # noqa: S101 -- foreign key
    texts = sharing.owner_texts(referral)
    content = ReferralContent(
        reason=texts["reason"],
        requested_services=texts["requested_services"],
        main_problem=texts["main_problem"],
        service_history=texts["service_history"],
        notes=texts["notes"],
        field_groups=tuple(referral.shared_field_groups),
    )
    # Eligibility was already weighed by the sender; a re-route keeps their override reason.
    new = create_referral(
        case,
        actor=actor,
        receiving_agency=receiving_agency,
        content=content,
        service=service,
        eligibility_override_reason=referral.eligibility_override_reason or "재의뢰",
        source_type=referral.source_type,
        source_id=referral.source_id,
    )
    new.rerouted_from_id = referral.id
    if referral.status != S.rejected:
        close_by_sender(
            referral, S.cancelled, actor=actor, note=f"{with_particle(receiving_agency.name, '으로')} 재의뢰"
        )
    send_referral(new, actor=actor)
    return new
