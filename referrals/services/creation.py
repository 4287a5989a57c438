"""Creating a referral (from a case, an ISP item or a conference action item) and sending it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from agencies.models import Agency, Person, Service
from cases.models import Case, Client, PlanService, ServicePlan
from conference.models import ActionItem
from consents import sharing
from hamkke.audit import record
from hamkke.db import db
from hamkke.errors import ConsentRequired, InvalidTransition, NotFound, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import SEOUL, now_utc, today_local
from referrals import access, disclosure
from referrals.deadlines import response_due_on
from referrals.disclosure import group_label
from referrals.models import (
    DocumentCounter,
    LetterKind,
    LinkageRecord,
    Referral,
    ReferralEvent,
    ReferralSource,
)
from referrals.services.reissue import queue_letter
from referrals.services.rules import (
    TEXT_LIMIT,
    EligibilityWarning,
    OutsideRecipient,
    ReferralContent,
    S,
    allowed_transition,
    clean_outside_recipient,
)
from referrals.services.steps import move


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


def check_consent_for(client: Client, referral: Referral) -> None:
    """Refuse (ConsentRequired) unless the referral's shared groups are within the client's consent."""
    if referral.receiving_agency is not None:
        check_consent(client, referral.receiving_agency, referral.shared_field_groups)
    else:
        check_outside_consent(
            client, referral.district_id, referral.recipient_name, referral.shared_field_groups
        )


def check_recipient(receiving_agency: Agency, service: Service | None, sending_agency: Agency) -> None:
    """Refuse an inactive receiver, the sender itself, another district, or a service it does not offer."""
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


def _check_recipient_choice(
    case: Case,
    sending_agency: Agency,
    receiving_agency: Agency | None,
    service: Service | None,
    outside: OutsideRecipient | None,
) -> tuple[OutsideRecipient | None, list[str]]:
    """Check that exactly one recipient is chosen; return the cleaned outside one and eligibility warnings."""
    warnings: list[str] = []
    if receiving_agency is not None:
        if outside is not None:
            raise ValidationFailed("받는 곳은 한 곳만 고를 수 있습니다.", field="receiving_agency")
        check_recipient(receiving_agency, service, sending_agency)
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
    return outside, warnings


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
    outside, warnings = _check_recipient_choice(case, sending_agency, receiving_agency, service, outside)
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
        check_recipient(receiving, referral.service, referral.sending_agency)
    # Consent may have been withdrawn or expired since the draft was written.
    client = db.session.get(Client, referral.client_id)
    assert client is not None  # noqa: S101 -- foreign key
    check_consent_for(client, referral)
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
    move(referral, S.requested, actor=actor, note=f"회신 기한 {referral.response_due_on:%Y-%m-%d}")
    queue_letter(referral.id, LetterKind.request)
    return referral
