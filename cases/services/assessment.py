"""Stage records before the plan: 초기상담, 욕구사정, 위기도 and the 선정 decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from agencies.models import Person
from cases import consent_basis
from cases.models import (
    Case,
    CaseStage,
    CaseType,
    ContactMethod,
    IntakeRecord,
    Need,
    NeedDomain,
    PriorService,
    RiskLevel,
    SelectionDecision,
    SelectionOutcome,
)
from cases.services.common import _event, _optional, _past, _require_stage, _text
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import today_local


def record_intake(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    counselled_on: date,
    method: ContactMethod,
    main_complaint: str,
    facts: str,
    worker_opinion: str | None = None,
    is_urgent: bool = False,
    collection_basis: str | None = None,
    statutory_basis: str | None = None,
    details: Mapping[str, Any] | None = None,
    prior_services: Sequence[Mapping[str, Any]] = (),
) -> IntakeRecord:
    """Write the 초기상담 기록 on a recorded ground: a collection consent in force or a cited statute.

    :raises ValidationFailed: also when no collection consent is on file and no statute is cited.
    """
    _require_stage(case, CaseStage.initial_counselling, what="초기상담 기록")
    day = _past(counselled_on, "counselled_on", "상담일")
    if day < case.opened_on:
        raise ValidationFailed("상담일은 접수일보다 빠를 수 없습니다.", field="counselled_on")
    ground = consent_basis.require_collection_ground(
        case, basis=collection_basis, statute=statutory_basis, on=today_local()
    )
    record = IntakeRecord(
        case_id=case.id,
        counselled_on=day,
        method=method,
        counsellor_id=actor.id,
        main_complaint=_text(main_complaint, "main_complaint", "주 호소(대상자의 말)"),
        facts=_text(facts, "facts", "사실 기록"),
        worker_opinion=_optional(worker_opinion, "worker_opinion", "상담자 의견"),
        is_urgent=is_urgent,
        collection_basis=ground.basis.value,
        consent_ids=list(ground.consent_ids) or None,
        statutory_basis=ground.statute,
        **_intake_details(details or {}),
    )
    db.session.add(record)
    db.session.flush()
    for service in prior_services:
        db.session.add(PriorService(case_id=case.id, intake_record_id=record.id, **service))
    if is_urgent:
        case.case_type = CaseType.crisis
    db.session.flush()
    _event(
        case,
        "intake",
        actor=actor,
        agency_id=agency_id,
        data={
            "record_id": record.id,
            "basis": ground.basis.value,
            "consent_ids": list(ground.consent_ids),
            "prior_services": len(prior_services),
        },
    )
    return record


#: 초기상담기록지 columns a caller may give in ``details`` (seed 001 §2.2), with their Korean labels
INTAKE_DETAILS = {
    "referrer_type": "의뢰인 유형",
    "referrer_name": "의뢰인(기관)",
    "referrer_contact": "의뢰인 연락처",
    "referral_motive": "의뢰동기",
    "referrer_services": "의뢰기관에서 지원받은 서비스",
    "prior_approaches": "이전 접근방법과 결과",
    "informal_support": "비공식적 지지체계",
    "desired_change": "원하는 변화",
    "special_notes": "특이사항",
    "assigned_department": "담당부서",
    "assigned_worker": "담당자",
}


def _intake_details(details: Mapping[str, Any]) -> dict[str, str | None]:
    """Clean the 초기상담기록지 details (unknown names refused, blanks dropped, lengths checked)."""
    unknown = set(details) - set(INTAKE_DETAILS)
    if unknown:
        raise ValidationFailed(f"알 수 없는 항목입니다: {', '.join(sorted(unknown))}")
    return {name: _optional(details.get(name), name, label) for name, label in INTAKE_DETAILS.items()}


def add_need(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    domain: NeedDomain,
    phenomenon: str,
    risk_level: RiskLevel,
    client_words: str,
    need_statement: str,
    cause: str | None = None,
    priority: int = 1,
    client_id: int | None = None,
) -> Need:
    """Record one assessed need; the client's 요구 (words) and the agreed 욕구 are kept apart."""
    _require_stage(case, CaseStage.assessment, what="욕구사정")
    if not 1 <= priority <= 10:
        raise ValidationFailed("우선순위는 1부터 10까지입니다.", field="priority")
    if client_id is not None and client_id not in {member.id for member in case.household.members}:
        raise ValidationFailed("이 가구의 구성원을 골라 주세요.", field="client_id")
    need = Need(
        case_id=case.id,
        client_id=client_id,
        domain=domain,
        phenomenon=_text(phenomenon, "phenomenon", "현상"),
        cause=_optional(cause, "cause", "원인"),
        risk_level=risk_level,
        client_words=_text(client_words, "client_words", "대상자의 말(요구)"),
        need_statement=_text(need_statement, "need_statement", "욕구"),
        priority=priority,
    )
    db.session.add(need)
    db.session.flush()
    _event(case, "need", actor=actor, agency_id=agency_id, data={"need_id": need.id, "domain": domain.value})
    return need


def record_selection(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    decided_on: date,
    outcome: SelectionOutcome,
    reason: str,
    alternative_services: str | None = None,
    meeting_id: int | None = None,
) -> SelectionDecision:
    """Record the 선정 decision; 미선정 needs the reasons and the alternative services given."""
    _require_stage(case, CaseStage.selection, what="선정 결과")
    if outcome == SelectionOutcome.escalate:
        raise ValidationFailed("구청 의뢰는 내부판정회의 또는 의뢰 화면에서 합니다.", field="outcome")
    alternatives = _optional(alternative_services, "alternative_services", "대체 서비스")
    if outcome == SelectionOutcome.not_selected and alternatives is None:
        raise ValidationFailed("미선정 시 안내한 대체 서비스를 적어 주세요.", field="alternative_services")
    decision = SelectionDecision(
        case_id=case.id,
        decided_on=_past(decided_on, "decided_on", "결정일"),
        outcome=outcome,
        reason=_text(reason, "reason", "선정 사유"),
        alternative_services=alternatives,
        decided_by_id=actor.id,
        meeting_id=meeting_id,
    )
    db.session.add(decision)
    db.session.flush()
    _event(case, "selection", actor=actor, agency_id=agency_id, data={"outcome": outcome.value})
    return decision
