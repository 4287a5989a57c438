"""Referral life cycle: create from a case, send within consent, answer, close the loop, re-route."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import render_template

from agencies.access import active_memberships
from agencies.models import Agency, AgencyType, Membership, MembershipStatus, Person, Service, StaffRole
from cases.models import Case, Client, PlanService, ServicePlan
from conference.models import ActionItem
from consents import sharing
from hamkke.audit import record
from hamkke.db import after_commit, db
from hamkke.errors import ConsentRequired, InvalidTransition, NotFound, ValidationFailed
from hamkke.korean import with_particle
from hamkke.realtime import publish
from hamkke.time import SEOUL, now_utc, today_local
from notifications.models import Notification, WebhookEndpoint
from notifications.services import notify
from notifications.webhooks import queue_webhook
from referrals import access, disclosure, letters
from referrals.deadlines import previous_working_day, response_due_on, working_days_between
from referrals.disclosure import group_label
from referrals.models import (
    AWAITING_RESPONSE,
    DocumentCounter,
    LetterKind,
    LetterReissue,
    LinkageRecord,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    RejectionReason,
)

logger = logging.getLogger(__name__)

S = ReferralStatus
#: the whole life cycle in one place: (from, to) → the side allowed to make that move
TRANSITIONS: dict[tuple[ReferralStatus, ReferralStatus], access.Side] = {
    (S.draft, S.requested): "sender",
    (S.draft, S.cancelled): "sender",
    (S.requested, S.received): "receiver",
    (S.requested, S.accepted): "receiver",
    (S.requested, S.rejected): "receiver",
    (S.requested, S.cancelled): "sender",
    (S.received, S.accepted): "receiver",
    (S.received, S.rejected): "receiver",
    (S.received, S.cancelled): "sender",
    (S.accepted, S.in_progress): "receiver",
    (S.accepted, S.completed): "receiver",
    (S.accepted, S.revoked): "sender",
    (S.in_progress, S.completed): "receiver",
    (S.in_progress, S.revoked): "sender",
}
#: states from which the sender may re-route the client to another agency
REROUTABLE = frozenset({S.requested, S.received, S.rejected})
#: the maximum length of the free-text fields of the form
TEXT_LIMIT = 4000


@dataclass(frozen=True)
class ReferralContent:
    """What the sender writes (활용서식6) and chooses to share."""

    reason: str
    requested_services: str
    main_problem: str = ""
    service_history: str = ""
    notes: str = ""
    field_groups: tuple[str, ...] = ()


#: a plain mailbox address: local part, @, a domain of dot-separated labels (no display names, no lists)
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


@dataclass(frozen=True)
class OutsideRecipient:
    """An organisation outside the network (no account), reached by e-mail."""

    name: str
    email: str


def clean_outside_recipient(name: str, email: str) -> OutsideRecipient:
    """Return the outside organisation's name and e-mail address, checked; ValidationFailed if wrong."""
    name = " ".join(name.split())
    email = email.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "받는 기관 이름을 200자 이내로 적어 주세요.",
            field="external_name",
            english="Give the organisation's name (200 characters at most).",
        )
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise ValidationFailed(
            "받는 기관의 이메일 주소가 올바르지 않습니다. 예: office@example.or.kr",
            field="external_email",
            english="The organisation's e-mail address is not valid.",
        )
    return OutsideRecipient(name=name, email=email.lower())


class EligibilityWarning(ValidationFailed):
    """The service's eligibility rules speak against this referral; the sender may override with a reason."""

    code = "eligibility_warning"

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(
            " ".join(warnings) + " 그래도 의뢰하려면 사유를 적어 주세요.",
            field="eligibility_override_reason",
            english="The service's eligibility rules speak against this referral; give a reason to override.",
        )
        self.warnings = warnings


def allowed_transition(current: ReferralStatus, target: ReferralStatus) -> access.Side:
    """Return the side that may move a referral from ``current`` to ``target``; InvalidTransition if none."""
    side = TRANSITIONS.get((current, target))
    if side is None:
        if current.value in {s.value for s in (S.rejected, S.completed, S.cancelled, S.revoked)}:
            message = f"이미 종결된 의뢰({current.label})는 바꿀 수 없습니다."
        else:
            target_quoted = with_particle(f"'{target.label}'", "으로")
            message = f"'{current.label}' 상태의 의뢰는 {target_quoted} 바꿀 수 없습니다."
        raise InvalidTransition(message, english=f"Cannot move a referral from {current} to {target}.")
    return side


# --- creation and sending ---------------------------------------------------------------------------


def eligibility_warnings(service: Service, case: Case) -> list[str]:
    """Return the reasons, computed from data, why the client may not fit the service (empty: none)."""
    warnings: list[str] = []
    agency_dongs = {dong.id for dong in service.agency.dongs}
    if agency_dongs and case.dong_id is not None and case.dong_id not in agency_dongs:
        warnings.append("대상자의 거주 동이 이 기관의 서비스 지역 밖입니다.")
    if service.capacity is not None:
        month_start = today_local().replace(day=1)
        taken = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Referral)
            .where(
                Referral.service_id == service.id,
                Referral.status.in_([S.accepted, S.in_progress]),
                Referral.responded_at >= datetime(month_start.year, month_start.month, 1, tzinfo=SEOUL),
            )
        )
        if int(taken or 0) >= service.capacity:
            warnings.append(f"이번 달 정원({service.capacity}명)이 찼습니다.")
    return warnings


def _clean_content(content: ReferralContent) -> ReferralContent:
    errors: dict[str, str] = {}
    if not content.reason.strip():
        errors["reason"] = "의뢰사유를 적어 주세요."
    if not content.requested_services.strip():
        errors["requested_services"] = "대상자 요구 서비스를 적어 주세요."
    for name in ("reason", "requested_services", "main_problem", "service_history", "notes"):
        if len(getattr(content, name)) > TEXT_LIMIT:
            errors[name] = f"{TEXT_LIMIT}자 이내로 적어 주세요."
    if errors:
        field, message = next(iter(errors.items()))
        error = ValidationFailed(message, field=field, english="Invalid referral content.")
        error.errors = errors  # type: ignore[attr-defined]
        raise error
    return ReferralContent(
        reason=content.reason.strip(),
        requested_services=content.requested_services.strip(),
        main_problem=content.main_problem.strip(),
        service_history=content.service_history.strip(),
        notes=content.notes.strip(),
        field_groups=tuple(sorted(set(content.field_groups))),
    )


def check_consent(client: Client, recipient: Agency, groups: Iterable[str]) -> None:
    """Refuse (ConsentRequired) unless every chosen field group is within the client's referral consent."""
    chosen = set(groups)
    if not chosen:
        return
    missing = chosen - disclosure.consented_field_groups(client, recipient)
    if missing:
        names = ", ".join(group_label(group) for group in sorted(missing))
        raise ConsentRequired(
            f"대상자가 {recipient.name}에 제공하는 것에 동의하지 않은 항목이 있습니다: {names}",
            field="field_groups",
            english="The client's consent does not cover: " + ", ".join(sorted(missing)),
        )


def check_outside_consent(client: Client, district_id: int, name: str, groups: Iterable[str]) -> None:
    """Refuse (ConsentRequired) unless every chosen group may go outside the network (network consent)."""
    chosen = set(groups)
    if not chosen:
        return
    missing = chosen - disclosure.consented_field_groups_outside(client, district_id)
    if missing:
        names = ", ".join(group_label(group) for group in sorted(missing))
        raise ConsentRequired(
            f"대상자가 네트워크 밖 기관({name})에 제공하는 것에 동의하지 않은 항목이 있습니다: {names}"
            " (외부 기관 의뢰는 구 네트워크 전체에 대한 '특정 기관 의뢰' 동의 범위 안에서만"
            " 보낼 수 있습니다)",
            field="field_groups",
            english="The client's consent does not cover, for an outside organisation: "
            + ", ".join(sorted(missing)),
        )


def _check_consent_for(client: Client, referral: Referral) -> None:
    if referral.receiving_agency is not None:
        check_consent(client, referral.receiving_agency, referral.shared_field_groups)
    else:
        check_outside_consent(
            client, referral.district_id, referral.recipient_name, referral.shared_field_groups
        )


def _check_recipient(receiving_agency: Agency, service: Service | None, sending_agency: Agency) -> None:
    if not receiving_agency.is_active:
        raise ValidationFailed(
            f"{with_particle(receiving_agency.name, '은')} 지금 네트워크에서 활동하지 않는 기관이라 "
            "의뢰할 수 없습니다.",
            field="receiving_agency",
            english="The receiving agency is not active.",
        )
    if receiving_agency.id == sending_agency.id:
        raise ValidationFailed("자기 기관에는 의뢰할 수 없습니다.", field="receiving_agency")
    if receiving_agency.district_id != sending_agency.district_id:
        raise ValidationFailed("같은 구의 기관에만 의뢰할 수 있습니다.", field="receiving_agency")
    if service is not None and (service.agency_id != receiving_agency.id or not service.is_active):
        raise ValidationFailed(
            "선택한 서비스는 이 기관에서 지금 제공하지 않습니다.",
            field="service",
            english="Service not offered.",
        )


def create_referral(
    case: Case,
    *,
    actor: Person,
    receiving_agency: Agency | None = None,
    content: ReferralContent,
    service: Service | None = None,
    eligibility_override_reason: str | None = None,
    source_type: ReferralSource = ReferralSource.case,
    source_id: int | None = None,
    outside: OutsideRecipient | None = None,
) -> Referral:
    """Create a draft referral of the case's main client; content, recipient and consent are checked first.

    The recipient is a network agency (``receiving_agency``, optionally one of its services) or an
    outside organisation reached by e-mail (``outside``, from :func:`clean_outside_recipient`).
    """
    sending_agency = access.can_refer_from_case(actor, case)
    if sending_agency is None:
        raise NotFound("사례를 찾을 수 없습니다.", english="Case not found.")
    content = _clean_content(content)
    client = case.main_client
    warnings: list[str] = []
    if receiving_agency is not None:
        if outside is not None:
            raise ValidationFailed("받는 곳은 한 곳만 고를 수 있습니다.", field="receiving_agency")
        _check_recipient(receiving_agency, service, sending_agency)
        warnings = eligibility_warnings(service, case) if service is not None else []
    elif outside is not None:
        outside = clean_outside_recipient(outside.name, outside.email)
        if service is not None:
            raise ValidationFailed(
                "외부 기관 의뢰에는 자원목록의 서비스를 고를 수 없습니다.", field="service"
            )
    else:
        raise ValidationFailed(
            "의뢰할 기관을 골라 주세요.", field="receiving_agency", english="Choose an agency."
        )
    override = (eligibility_override_reason or "").strip() or None
    if warnings and override is None:
        raise EligibilityWarning(warnings)
    if receiving_agency is not None:
        check_consent(client, receiving_agency, content.field_groups)
    else:
        assert outside is not None  # noqa: S101 -- checked above
        check_outside_consent(client, sending_agency.district_id, outside.name, content.field_groups)
    referral = Referral(
        case_id=case.id,
        client_id=client.id,
        district_id=sending_agency.district_id,
        sending_agency_id=sending_agency.id,
        sender_id=actor.id,
        receiving_agency_id=receiving_agency.id if receiving_agency is not None else None,
        external_name=outside.name if outside is not None else None,
        external_email=outside.email if outside is not None else None,
        service_id=service.id if service is not None else None,
        status=S.draft,
        source_type=source_type,
        source_id=source_id,
        reason=content.reason,
        requested_services=content.requested_services,
        main_problem=content.main_problem,
        service_history=content.service_history,
        notes=content.notes,
        shared_field_groups=list(content.field_groups),
        eligibility_override_reason=override if warnings else None,
    )
    referral.sending_agency = sending_agency
    referral.receiving_agency = receiving_agency
    db.session.add(referral)
    db.session.flush()
    referral.events.append(
        ReferralEvent(
            from_status=None, to_status=S.draft.value, actor_id=actor.id, agency_id=sending_agency.id
        )
    )
    record(
        "referral.created",
        actor_id=actor.id,
        agency_id=sending_agency.id,
        obj=referral,
        data={
            "receiving_agency_id": referral.receiving_agency_id,
            "outside": referral.is_external,
            "service_id": referral.service_id,
            "groups": list(content.field_groups),
            "eligibility_overridden": bool(warnings),
            "source": source_type.value,
        },
    )
    db.session.flush()
    return referral


def create_from_plan_service(
    plan_service: PlanService,
    *,
    actor: Person,
    content: ReferralContent,
    service: Service | None = None,
    receiving_agency: Agency | None = None,
    eligibility_override_reason: str | None = None,
) -> Referral:
    """Create a draft referral for an ISP item (서비스제공계획의 서비스) to its provider agency or another."""
    plan = db.session.get(ServicePlan, plan_service.plan_id)
    case = db.session.get(Case, plan.case_id) if plan is not None else None
    target = receiving_agency or (service.agency if service is not None else None)
    if target is None and plan_service.provider_agency_id is not None:
        target = db.session.get(Agency, plan_service.provider_agency_id)
    if case is None or target is None:
        raise ValidationFailed(
            "의뢰할 기관을 골라 주세요.", field="receiving_agency", english="Choose an agency."
        )
    return create_referral(
        case,
        actor=actor,
        receiving_agency=target,
        content=content,
        service=service,
        eligibility_override_reason=eligibility_override_reason,
        source_type=ReferralSource.isp_item,
        source_id=plan_service.id,
    )


def create_from_action_item(
    action_item: ActionItem,
    *,
    actor: Person,
    receiving_agency: Agency,
    content: ReferralContent,
    service: Service | None = None,
    eligibility_override_reason: str | None = None,
) -> Referral:
    """Create a draft referral for a conference action item and link the item to it."""
    case = db.session.get(Case, action_item.case_id) if action_item.case_id is not None else None
    if case is None:
        raise ValidationFailed(
            "사례가 연결되지 않은 실행 과제는 의뢰할 수 없습니다.", english="No case linked."
        )
    if action_item.referral_id is not None:
        raise InvalidTransition(
            "이 실행 과제에는 이미 의뢰가 연결되어 있습니다.", english="Already referred."
        )
    referral = create_referral(
        case,
        actor=actor,
        receiving_agency=receiving_agency,
        content=content,
        service=service,
        eligibility_override_reason=eligibility_override_reason,
        source_type=ReferralSource.action_item,
        source_id=action_item.id,
    )
    action_item.referral_id = referral.id
    db.session.flush()
    return referral


def next_document_number(agency: Agency, year: int) -> str:
    """Return the agency's next official document number of ``year`` (e.g. 한빛종합사회복지관-2026-0042)."""
    counter = db.session.scalar(
        sa.select(DocumentCounter)
        .where(DocumentCounter.agency_id == agency.id, DocumentCounter.year == year)
        .with_for_update()
    )
    if counter is None:
        counter = DocumentCounter(agency_id=agency.id, year=year, last_number=0)
        db.session.add(counter)
    counter.last_number += 1
    db.session.flush()
    return f"{agency.name.replace(' ', '')}-{year}-{counter.last_number:04d}"


def send_referral(referral: Referral, *, actor: Person) -> Referral:
    """Send a draft: consent re-checked, deadline set, receiver notified, letter queued."""
    access.require_side(actor, referral, "sender")
    allowed_transition(referral.status, S.requested)
    receiving = referral.receiving_agency
    if receiving is not None:
        _check_recipient(receiving, referral.service, referral.sending_agency)
    # Consent may have been withdrawn or expired since the draft was written.
    client = db.session.get(Client, referral.client_id)
    assert client is not None  # noqa: S101 -- foreign key
    _check_consent_for(client, referral)
    sent = now_utc()
    referral.sent_at = sent
    district = (receiving or referral.sending_agency).district
    referral.response_due_on = response_due_on(today_local(), district.settings)
    referral.request_document_number = next_document_number(referral.sending_agency, today_local().year)
    referral.linkage = LinkageRecord(
        linked_on=today_local(),
        agency_name=referral.recipient_name,
        service_name=referral.service.name if referral.service is not None else "",
        # The sender's own 자원연계표: it owns the text it wrote (read through the gate's registry).
        need=sharing.owner_texts(referral)["requested_services"],
        result="의뢰함",
    )
    _move(referral, S.requested, actor=actor, note=f"회신 기한 {referral.response_due_on:%Y-%m-%d}")
    _queue_letter(referral.id, LetterKind.request)
    return referral


# --- answering and closing ---------------------------------------------------------------------------


def mark_received(referral: Referral, *, actor: access.Actor) -> Referral:
    """Confirm receipt (접수 확인) on the receiving side; the deadline stays."""
    access.require_side(actor, referral, "receiver")
    referral.received_at = now_utc()
    _move(referral, S.received, actor=actor)
    return referral


def accept(referral: Referral, *, actor: access.Actor, note: str = "") -> Referral:
    """Accept the referral for the receiving agency; the accepting worker becomes its contact."""
    access.require_side(actor, referral, "receiver")
    allowed_transition(referral.status, S.accepted)
    referral.receiver_id = None if referral.is_external else access.actor_person_id(actor)
    referral.responded_at = now_utc()
    if referral.linkage is not None:
        referral.linkage.result = "수락"
    _move(referral, S.accepted, actor=actor, note=note.strip()[:500])
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
    _move(referral, S.rejected, actor=actor, note=code.label)
    return referral


def start(referral: Referral, *, actor: access.Actor) -> Referral:
    """Record that the service to the client has begun."""
    access.require_side(actor, referral, "receiver")
    _move(referral, S.in_progress, actor=actor)
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
    _move(referral, S.completed, actor=actor)
    if referral.receiving_agency is not None:
        # An outside organisation answers on its own paper; only a network agency issues a 회신서 here.
        _queue_letter(referral.id, LetterKind.reply)
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
    return _close_by_sender(referral, S.cancelled, actor=actor, note=note)


def revoke(referral: Referral, *, actor: Person, note: str) -> Referral:
    """Withdraw an accepted referral (a reason is required: the receiver has started work)."""
    access.require_side(actor, referral, "sender")
    if not note.strip():
        raise ValidationFailed("철회 사유를 적어 주세요.", field="closing_note")
    return _close_by_sender(referral, S.revoked, actor=actor, note=note)


def _close_by_sender(referral: Referral, target: ReferralStatus, *, actor: Person, note: str) -> Referral:
    allowed_transition(referral.status, target)
    referral.closing_note = note.strip()[:TEXT_LIMIT] or None
    if referral.linkage is not None:
        referral.linkage.result = target.label
    _move(referral, target, actor=actor, note=note.strip()[:500])
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
        _close_by_sender(
            referral, S.cancelled, actor=actor, note=f"{with_particle(receiving_agency.name, '으로')} 재의뢰"
        )
    send_referral(new, actor=actor)
    return new


# --- the common step ----------------------------------------------------------------------------------


def _move(referral: Referral, target: ReferralStatus, *, actor: access.Actor | None, note: str = "") -> None:
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
        body=_summary(referral),
        link=link,
        dedupe_key=f"referral:{referral.id}:{referral.status.value}:{len(referral.events)}:p{person.id}",
        email_text=render_template("emails/referrals/update.txt", **context),
        email_html=render_template("emails/referrals/update.html", **context),
        agency_id=referral.receiving_agency_id,
    )


def _summary(referral: Referral) -> str:
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


def _queue_letter(referral_id: int, kind: LetterKind, version: int = 1) -> None:
    after_commit(lambda: enqueue_letter(referral_id, kind, version))


def enqueue_letter(referral_id: int, kind: LetterKind, version: int = 1) -> None:
    """Hand a letter to the worker; if the broker is down the letter sweeper renders it later."""
    from referrals.tasks import render_letter

    args: tuple[int, str] | tuple[int, str, int] = (referral_id, kind.value)
    if version != 1:
        args = (referral_id, kind.value, version)
    try:
        render_letter.apply_async(args, retry=False)
    except Exception:  # the referral is committed; a broker outage must not fail the user's request
        logger.warning(
            "Broker unavailable; letter %s/%s left for the sweeper", referral_id, kind, exc_info=True
        )


#: the longest reason a re-issue may give (it is printed on the letter)
REISSUE_REASON_LIMIT = 500


def reissue_letter(
    referral: Referral, kind: LetterKind | str, *, actor: Person, reason: str
) -> LetterReissue:
    """Ask for a new version of a letter (same document number, ``-v2`` …); the worker renders it once.

    The issuing side re-issues (의뢰서: the sender; 회신서: the receiver); earlier versions stay and stay
    downloadable. A repeated request (same referral, kind and version) is refused by the unique key.
    """
    kind = LetterKind(kind)
    access.require_side(actor, referral, "sender" if kind is LetterKind.request else "receiver")
    number = (
        referral.request_document_number if kind is LetterKind.request else referral.reply_document_number
    )
    if number is None:
        raise InvalidTransition(
            f"아직 발급되지 않은 {with_particle(kind.label, '은')} 재발급할 수 없습니다.",
            english="This letter has not been issued yet.",
        )
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed("재발급 사유를 적어 주세요.", field="reason", english="Give a reason.")
    if len(reason) > REISSUE_REASON_LIMIT:
        raise ValidationFailed(f"재발급 사유는 {REISSUE_REASON_LIMIT}자 이내로 적어 주세요.", field="reason")
    version = letters.latest_version(referral.id, kind) + 1
    reissue = LetterReissue(
        referral_id=referral.id, kind=kind, version=version, reason=reason, requested_by_id=actor.id
    )
    db.session.add(reissue)
    referral.events.append(
        ReferralEvent(
            from_status=referral.status.value,
            to_status=referral.status.value,
            actor_id=actor.id,
            agency_id=referral.sending_agency_id
            if kind is LetterKind.request
            else referral.receiving_agency_id,
            note=f"{kind.label} {version}차 재발급: {reason[:200]}",
        )
    )
    record(
        "referral.letter_reissued",
        actor_id=actor.id,
        obj=referral,
        data={"kind": kind.value, "version": version},
    )
    db.session.flush()
    _queue_letter(referral.id, kind, version)
    return reissue


def awaiting(referral: Referral) -> bool:
    """Tell whether the receiving agency still owes an answer."""
    return referral.status in AWAITING_RESPONSE


# --- deadlines ------------------------------------------------------------------------------------------


def run_deadline_reminders(today: date | None = None) -> int:
    """Send the due reminders of every awaiting referral, computed from data; return how many were new.

    Before the deadline (from the last working day before it): the receiving agency. After it: one
    reminder per overdue working day up to two; the second also escalates to the district coordinator.
    Dedupe keys name the referral, its due date, the step and the person, so a re-run sends nothing twice.
    """
    today = today or today_local()
    referrals = db.session.scalars(
        sa.select(Referral).where(
            Referral.status.in_(list(AWAITING_RESPONSE)), Referral.response_due_on.is_not(None)
        )
    ).all()
    sent = 0
    for referral in referrals:
        due = referral.response_due_on
        assert due is not None  # noqa: S101 -- filtered above
        overdue = working_days_between(due, today)
        link = f"/referrals/{referral.id}"
        if overdue == 0 and today >= previous_working_day(due):
            title = f"의뢰 회신 기한이 다가옵니다 ({due:%m월 %d일})"
            for person in owing_people(referral):
                sent += _remind(referral, person, "referral.due_soon", title, link, f"before:p{person.id}")
        for level in range(1, min(overdue, 2) + 1):
            title = f"의뢰 회신 기한({due:%m월 %d일})이 지났습니다" + (
                " — 두 번째 알림" if level == 2 else ""
            )
            for person in owing_people(referral):
                sent += _remind(
                    referral, person, "referral.overdue", title, link, f"overdue{level}:p{person.id}"
                )
            if referral.overdue_reminders < level:
                referral.overdue_reminders = level
                referral.events.append(
                    ReferralEvent(
                        from_status=referral.status.value,
                        to_status=referral.status.value,
                        note=f"회신 기한 경과 알림 {level}회",
                    )
                )
                record(
                    "referral.overdue_reminder", obj=referral, data={"level": level, "due": due.isoformat()}
                )
        if overdue >= 2 and referral.escalated_at is None:
            referral.escalated_at = now_utc()
            referral.events.append(
                ReferralEvent(
                    from_status=referral.status.value,
                    to_status=referral.status.value,
                    note="회신 기한을 두 번 넘겨 구 통합사례관리 조정자에게 알렸습니다",
                )
            )
            record("referral.escalated", obj=referral, data={"due": due.isoformat()})
        if overdue >= 2:
            title = f"회신 지연 의뢰: {referral.sending_agency.name} → {referral.recipient_name}"
            for person in district_coordinators(referral.district_id):
                sent += _remind(
                    referral, person, "referral.escalated", title, link, f"escalated:p{person.id}"
                )
    db.session.flush()
    return sent


def _remind(referral: Referral, person: Person, kind: str, title: str, link: str, step: str) -> int:
    key = f"referral:{referral.id}:due:{referral.response_due_on}:{step}"
    existing = db.session.scalar(sa.select(Notification.id).where(Notification.dedupe_key == key))
    if existing is not None:
        return 0
    context = {"referral": referral, "title": title, "link": link}
    notify(
        person,
        kind,
        title=title,
        body=_summary(referral),
        link=link,
        dedupe_key=key,
        email_text=render_template("emails/referrals/reminder.txt", **context),
        agency_id=referral.receiving_agency_id,
    )
    return 1
