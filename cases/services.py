"""Writes of the case process. Every function validates, changes, flushes and audits; none commits.

Refusals are `ValidationFailed` (with the form field) or `InvalidTransition`, with Korean messages;
a refused call leaves nothing behind because it raises before adding anything to the session.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from agencies.access import active_memberships
from agencies.models import Agency, AgencySector, AgencyType, Membership, Person, StaffRole
from cases import consent_basis, workflow
from cases.models import (
    Attachment,
    AttachmentKind,
    CapacityAssessment,
    Case,
    CaseEvaluation,
    CaseEvent,
    CaseIntensity,
    CaseStage,
    CaseType,
    Client,
    ClosureReview,
    ClosureType,
    ContactMethod,
    CounsellingLog,
    CrisisRating,
    DongMeeting,
    DongMeetingDecision,
    Escalation,
    EscalationPlacement,
    EscalationStatus,
    EscalationUrgency,
    FollowUpMethod,
    FollowUpOutcome,
    FollowUpPlan,
    GoalTerm,
    Household,
    IntakeRecord,
    IntakeRoute,
    MonitoringAction,
    MonitoringChannel,
    MonitoringFinding,
    Need,
    NeedDomain,
    PlanGoal,
    PlanService,
    RiskLevel,
    SelectionDecision,
    SelectionOutcome,
    ServiceCheck,
    ServicePlan,
)
from cases.scores import EvaluationRow, capacity_score, evaluation_result
from hamkke import audit
from hamkke.crypto import encrypt_text
from hamkke.db import db
from hamkke.errors import DomainError, InvalidTransition, PermissionDenied, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import today_local

#: monitoring → action (seed 001 §2.6; seed 000 §1.4)
MONITORING_ACTIONS: dict[MonitoringFinding, MonitoringAction] = {
    MonitoringFinding.on_track: MonitoringAction.none,
    MonitoringFinding.new_need: MonitoringAction.reassess,
    MonitoringFinding.environment_changed: MonitoringAction.reassess,
    MonitoringFinding.change_requested: MonitoringAction.revise_plan,
    MonitoringFinding.service_inappropriate: MonitoringAction.revise_plan,
    MonitoringFinding.provider_stopped: MonitoringAction.revise_plan,
    MonitoringFinding.effect_minimal: MonitoringAction.revise_plan,
    MonitoringFinding.improved: MonitoringAction.closure_review,
    MonitoringFinding.moved_or_lost_contact: MonitoringAction.closure_review,
    MonitoringFinding.refused: MonitoringAction.closure_review,
    MonitoringFinding.trust_broken: MonitoringAction.closure_review,
}
#: the loop transition each monitoring action leads to
ACTION_TRANSITIONS = {
    MonitoringAction.reassess: "reassess",
    MonitoringAction.revise_plan: "revise_plan",
    MonitoringAction.closure_review: "propose_closure",
}
RRN_PATTERN = re.compile(r"^\d{6}-?[1-8]\d{6}$")
#: attachments: what may be uploaded and how large
ATTACHMENT_TYPES = {"application/pdf": b"%PDF", "image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff"}
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
#: records are destroyed this long after closure or 미선정 (PIPA; seed 000 L684)
RETENTION_YEARS = 5
MAX_TEXT = 4000


# --- small validators ----------------------------------------------------------------------------


def _text(
    value: str | None, field_name: str, label: str, limit: int = MAX_TEXT, *, required: bool = True
) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationFailed(f"{with_particle(label, '을')} 입력해 주세요.", field=field_name)
    if len(cleaned) > limit:
        raise ValidationFailed(
            f"{with_particle(label, '은')} {limit}자 이내로 적어 주세요.", field=field_name
        )
    return cleaned


def _optional(value: str | None, field_name: str, label: str, limit: int = MAX_TEXT) -> str | None:
    return _text(value, field_name, label, required=False, limit=limit) or None


def _past(day: date | None, field_name: str, label: str) -> date:
    if day is None:
        raise ValidationFailed(f"{with_particle(label, '을')} 입력해 주세요.", field=field_name)
    if day > today_local():
        raise ValidationFailed(f"{with_particle(label, '은')} 미래일 수 없습니다.", field=field_name)
    return day


def _event(
    case: Case,
    kind: str,
    *,
    actor: Person,
    agency_id: int | None,
    note: str | None = None,
    action: str | None = None,
    from_stage: CaseStage | None = None,
    to_stage: CaseStage | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        kind=kind,
        actor_id=actor.id,
        agency_id=agency_id,
        note=note,
        action=action,
        from_stage=from_stage.value if from_stage else None,
        to_stage=to_stage.value if to_stage else None,
    )
    db.session.add(event)
    db.session.flush()
    # The audit row carries codes and IDs only; the reason text stays on the case record.
    audit.record(
        f"case.{kind}" if kind != "transition" else f"case.transition.{action}",
        actor_id=actor.id,
        agency_id=agency_id,
        obj=case,
        data={
            "event_id": event.id,
            **({"from": event.from_stage, "to": event.to_stage} if action else {}),
            **(data or {}),
        },
    )
    return event


def _require_stage(case: Case, *stages: CaseStage, what: str) -> None:
    if case.stage not in stages:
        names = ", ".join(stage.label for stage in stages)
        raise InvalidTransition(
            f"'{case.stage.label}' 단계에서는 {with_particle(what, '을')} 기록할 수 없습니다. "
            f"({names} 단계에서 합니다.)",
            english=f"Cannot record {what} in stage {case.stage.value}.",
        )


def _staff_of(person_id: int, agency_ids: set[int | None], role: StaffRole) -> Person | None:
    person = db.session.get(Person, person_id)
    if person is None:
        return None
    for membership in active_memberships(person):
        if membership.agency_id in agency_ids and role in membership.role_set:
            return person
    return None


# --- households, clients, cases ------------------------------------------------------------------


@dataclass(frozen=True)
class ClientInput:
    """The 기본정보 (and optional groups) of one household member, as typed on the intake form."""

    name: str = field(repr=False)
    sex: str | None = None
    birth_date: date | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    relationship_to_head: str | None = None
    rrn: str | None = field(default=None, repr=False)
    rrn_legal_basis: str | None = None
    benefit_category: str | None = None
    physical_health: str | None = field(default=None, repr=False)
    mental_health: str | None = field(default=None, repr=False)


def _build_client(
    household: Household, agency: Agency, data: ClientInput, *, prefix: str = "", head: bool = False
) -> Client:
    birth = data.birth_date
    if birth is not None and birth > today_local():
        raise ValidationFailed("생년월일은 미래일 수 없습니다.", field=f"{prefix}birth_date")
    if data.sex not in (None, "", "남", "여"):
        raise ValidationFailed("성별은 남 또는 여로 고릅니다.", field=f"{prefix}sex")
    client = Client(
        household=household,
        owning_agency_id=agency.id,
        name=_text(data.name, f"{prefix}name", "이름", limit=100),
        sex=data.sex or None,
        birth_date=birth,
        phone=_optional(data.phone, f"{prefix}phone", "연락처", 40),
        address=_optional(data.address, f"{prefix}address", "주소", 300),
        # The main client heads the household unless the form said otherwise.
        relationship_to_head=_optional(data.relationship_to_head, f"{prefix}relationship_to_head", "관계", 30)
        or ("본인" if head else None),
        benefit_category=_optional(data.benefit_category, f"{prefix}benefit_category", "보장구분", 60),
        physical_health=_optional(data.physical_health, f"{prefix}physical_health", "신체건강"),
        mental_health=_optional(data.mental_health, f"{prefix}mental_health", "정신건강"),
    )
    rrn = (data.rrn or "").strip()
    if rrn:
        # 주민등록번호 needs a statute (PIPA 제24조의2): only a public agency, and only with the basis named.
        if agency.sector != AgencySector.public:
            raise ValidationFailed("민간기관은 주민등록번호를 저장할 수 없습니다.", field=f"{prefix}rrn")
        basis = _optional(data.rrn_legal_basis, f"{prefix}rrn_legal_basis", "법적 근거", 200)
        if basis is None:
            raise ValidationFailed(
                "주민등록번호를 저장하려면 처리 근거 법령을 적어야 합니다.", field=f"{prefix}rrn_legal_basis"
            )
        if not RRN_PATTERN.match(rrn):
            raise ValidationFailed("주민등록번호 형식(000000-0000000)을 확인해 주세요.", field=f"{prefix}rrn")
        client.rrn_encrypted = encrypt_text(rrn.replace("-", ""))
        client.rrn_legal_basis = basis
    return client


def open_case(
    agency: Agency,
    main_client: ClientInput,
    *,
    actor: Person,
    opened_on: date,
    intake_route: IntakeRoute | None = None,
    referred_on: date | None = None,
    referrer: str | None = None,
    household_type: str | None = None,
    dong_id: int | None = None,
    case_worker_id: int | None = None,
) -> Case:
    """Register a found or referred household (접수/발굴): household, main client and case."""
    opened = _past(opened_on, "opened_on", "접수일")
    if referred_on is not None and (referred_on > opened or referred_on > today_local()):
        raise ValidationFailed("의뢰일은 접수일보다 늦을 수 없습니다.", field="referred_on")
    if case_worker_id is not None and _staff_of(case_worker_id, {agency.id}, StaffRole.case_worker) is None:
        raise ValidationFailed("담당자는 이 기관의 사례관리자여야 합니다.", field="case_worker_id")
    household = Household(
        owning_agency_id=agency.id,
        dong_id=dong_id if dong_id is not None else agency.dong_id,
        household_type=_optional(household_type, "household_type", "가구 유형", 60),
    )
    client = _build_client(household, agency, main_client, head=True)
    client.is_main_client = True
    case = Case(
        household=household,
        main_client=client,
        owning_agency_id=agency.id,
        case_worker_id=case_worker_id,
        dong_id=household.dong_id,
        stage=CaseStage.intake_pending,
        opened_on=opened,
        referred_on=referred_on,
        intake_route=intake_route,
        referrer=_optional(referrer, "referrer", "의뢰자", 200),
    )
    db.session.add_all([household, client, case])
    db.session.flush()
    _event(case, "opened", actor=actor, agency_id=agency.id, to_stage=CaseStage.intake_pending)
    return case


def add_household_member(case: Case, data: ClientInput, *, actor: Person, agency_id: int | None) -> Client:
    """Add a member to the case's household (each member may become a client elsewhere too)."""
    agency = db.session.get(Agency, case.owning_agency_id)
    assert agency is not None  # noqa: S101 -- a foreign key guarantees it
    client = _build_client(case.household, agency, data)
    db.session.add(client)
    db.session.flush()
    _event(case, "member_added", actor=actor, agency_id=agency_id, data={"client_id": client.id})
    return client


def choose_main_client(
    case: Case, client: Client, *, actor: Person, agency_id: int | None, reason: str
) -> None:
    """Make ``client`` the household's main client (주요 클라이언트), with the strategic reason."""
    if client.household_id != case.household_id:
        raise ValidationFailed("이 가구의 구성원만 주요 클라이언트로 정할 수 있습니다.", field="client_id")
    why = _text(reason, "reason", "선정 이유")
    for member in case.household.members:
        member.is_main_client = member.id == client.id
    case.household.main_client_reason = why
    case.main_client_id = client.id
    db.session.flush()
    _event(case, "main_client", actor=actor, agency_id=agency_id, data={"client_id": client.id})


def assign_case_worker(case: Case, worker_id: int, *, actor: Person, agency_id: int | None) -> None:
    """Give the case to a case worker of the owning or lead agency."""
    if _staff_of(worker_id, {case.owning_agency_id, case.lead_agency_id}, StaffRole.case_worker) is None:
        raise ValidationFailed(
            "담당자는 이 사례를 맡은 기관의 사례관리자여야 합니다.", field="case_worker_id"
        )
    case.case_worker_id = worker_id
    db.session.flush()
    _event(case, "assigned", actor=actor, agency_id=agency_id, data={"case_worker_id": worker_id})


def classify_case(
    case: Case, *, actor: Person, agency_id: int | None, case_type: CaseType, intensity: CaseIntensity
) -> None:
    """Set the case type (위기/일반/통합) and intensity (단순/집중/위기) and start their cadence."""
    case.case_type = case_type
    case.intensity = intensity
    case.classified_on = today_local()
    db.session.flush()
    _event(
        case,
        "classified",
        actor=actor,
        agency_id=agency_id,
        data={"case_type": case_type.value, "intensity": intensity.value},
    )


# --- the state machine ---------------------------------------------------------------------------

_MILESTONES = {
    CaseStage.initial_counselling: "counselling_started_on",
    CaseStage.selection: "assessed_on",
    CaseStage.delivery: "plan_agreed_on",
}


def transition_case(
    case: Case,
    action: str,
    *,
    actor: Person,
    agency_id: int | None,
    reason: str | None = None,
    target: CaseStage | None = None,
) -> CaseEvent:
    """Move the case by one transition of `cases.workflow`; refuse illegal moves and failed guards.

    :param target: the stage a 재개입 re-enters (only for ``reintervene``).
    :raises InvalidTransition: the table has no such move from the current stage, or a guard refuses.
    """
    transition = workflow.find_transition(case.stage, action)
    if transition is None:
        raise InvalidTransition(
            f"'{case.stage.label}' 단계에서는 이 작업을 할 수 없습니다.",
            english=f"Action {action!r} is not allowed from stage {case.stage.value}.",
        )
    if transition.target is None and target not in workflow.REENTRY_STAGES:
        raise InvalidTransition(
            "재개입할 단계를 골라 주세요.", field="target", english="Choose a re-entry stage."
        )
    if transition.guard is not None:
        refusal = transition.guard(case, target)
        if refusal is not None:
            raise InvalidTransition(
                refusal.message, field=refusal.field, english=f"Guard of {action} refused."
            )
    why = (
        _text(reason, "reason", "사유") if transition.reason_required else _optional(reason, "reason", "사유")
    )
    source = case.stage
    destination = transition.target if transition.target is not None else target
    assert destination is not None  # noqa: S101 -- checked above for reintervene
    case.stage = destination
    today = today_local()
    milestone = _MILESTONES.get(destination)
    if milestone and getattr(case, milestone) is None:
        setattr(case, milestone, today)
    if destination == CaseStage.selection:
        case.assessed_on = today
    if destination in {CaseStage.closed, CaseStage.not_selected}:
        case.closed_on = today
    elif source in {CaseStage.follow_up} and destination.is_open:
        case.closed_on = None
    if action == "select_case_management" or destination == CaseStage.not_selected:
        case.selected_on = today
    db.session.flush()
    return _event(
        case,
        "transition",
        actor=actor,
        agency_id=agency_id,
        note=why,
        action=action,
        from_stage=source,
        to_stage=destination,
    )


# --- stage records -------------------------------------------------------------------------------


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
    )
    db.session.add(record)
    if is_urgent:
        case.case_type = CaseType.crisis
    db.session.flush()
    _event(
        case,
        "intake",
        actor=actor,
        agency_id=agency_id,
        data={"record_id": record.id, "basis": ground.basis.value, "consent_ids": list(ground.consent_ids)},
    )
    return record


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


def rate_crisis(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    rated_on: date,
    level: RiskLevel,
    life_safety: bool,
    notes: str | None = None,
) -> CrisisRating:
    """Record a 위기도 rating; a life or safety issue flags the case (closure then needs approval)."""
    _require_stage(case, CaseStage.assessment, CaseStage.delivery, what="위기도")
    rating = CrisisRating(
        case_id=case.id,
        rated_on=_past(rated_on, "rated_on", "조사일"),
        level=level,
        life_safety=life_safety,
        notes=_optional(notes, "notes", "메모"),
        rated_by_id=actor.id,
    )
    db.session.add(rating)
    if life_safety:
        # The flag only ever goes on here; lifting it is a supervisor's closure approval, not a new rating.
        case.is_life_safety = True
    db.session.flush()
    _event(
        case,
        "crisis",
        actor=actor,
        agency_id=agency_id,
        data={"level": level.value, "life_safety": life_safety},
    )
    return rating


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


@dataclass(frozen=True)
class GoalInput:
    """A goal as typed in the ISP form."""

    domain: NeedDomain
    term: GoalTerm
    statement: str
    target_on: date | None


@dataclass(frozen=True)
class ServiceInput:
    """A planned service as typed in the ISP form."""

    name: str
    quantity: str
    duration_months: int
    intensity: str
    provider_agency_id: int | None = None
    provider_name: str | None = None


def create_plan(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    horizon_months: int,
    client_role: str,
    family_role: str | None,
    goals: Sequence[GoalInput],
    services: Sequence[ServiceInput],
    agreed_on: date | None = None,
) -> ServicePlan:
    """Write a 서비스제공계획 (ISP) version: goals per domain with dates, services, roles, agreement."""
    _require_stage(case, CaseStage.planning, what="서비스제공계획")
    if case.case_worker_id is None:
        raise ValidationFailed(
            "담당 사례관리자가 없는 사례에는 계획을 세울 수 없습니다.", field="case_worker_id"
        )
    if horizon_months not in {3, 6, 12}:
        raise ValidationFailed("계획 기간은 3개월, 6개월, 1년 중에서 고릅니다.", field="horizon_months")
    if not goals:
        raise ValidationFailed("목표를 하나 이상 적어 주세요.", field="goals")
    if not any(goal.term == GoalTerm.long for goal in goals):
        raise ValidationFailed(
            "장기목표를 하나 이상 적어 주세요. 단기목표는 장기목표의 과정 목표입니다.", field="goals"
        )
    if not services:
        raise ValidationFailed("서비스를 하나 이상 적어 주세요.", field="services")
    today = today_local()
    horizon_end = today + timedelta(days=31 * horizon_months)
    if agreed_on is not None:
        _past(agreed_on, "agreed_on", "서면 합의일")
    previous = db.session.scalar(
        sa.select(sa.func.max(ServicePlan.version)).where(ServicePlan.case_id == case.id)
    )
    plan = ServicePlan(
        case_id=case.id,
        version=(previous or 0) + 1,
        horizon_months=horizon_months,
        client_role=_text(client_role, "client_role", "대상자의 역할"),
        family_role=_optional(family_role, "family_role", "가족의 역할"),
        agreed_on=agreed_on,
        created_by_id=actor.id,
    )
    for index, goal in enumerate(goals):
        if goal.target_on is None:
            raise ValidationFailed("목표마다 목표일을 적어 주세요.", field=f"goals-{index}-target_on")
        if goal.target_on < today or goal.target_on > horizon_end:
            raise ValidationFailed(
                "목표일은 오늘부터 계획 기간 안이어야 합니다.", field=f"goals-{index}-target_on"
            )
        plan.goals.append(
            PlanGoal(
                domain=goal.domain,
                term=goal.term,
                target_on=goal.target_on,
                statement=_text(goal.statement, f"goals-{index}-statement", "목표"),
            )
        )
    for index, service in enumerate(services):
        if service.provider_agency_id is None and not (service.provider_name or "").strip():
            raise ValidationFailed("제공기관을 고르거나 적어 주세요.", field=f"services-{index}-provider")
        if (
            service.provider_agency_id is not None
            and db.session.get(Agency, service.provider_agency_id) is None
        ):
            raise ValidationFailed("제공기관을 목록에서 골라 주세요.", field=f"services-{index}-provider")
        if not 1 <= service.duration_months <= 60:
            raise ValidationFailed("기간은 1~60개월입니다.", field=f"services-{index}-duration_months")
        plan.services.append(
            PlanService(
                name=_text(service.name, f"services-{index}-name", "서비스", 200),
                provider_agency_id=service.provider_agency_id,
                provider_name=_optional(service.provider_name, f"services-{index}-provider", "제공기관", 200),
                quantity=_text(service.quantity, f"services-{index}-quantity", "양(횟수)", 100),
                duration_months=service.duration_months,
                intensity=_text(service.intensity, f"services-{index}-intensity", "강도", 40),
            )
        )
    db.session.add(plan)
    db.session.flush()
    _event(case, "plan", actor=actor, agency_id=agency_id, data={"plan_id": plan.id, "version": plan.version})
    return plan


def record_agreement(plan: ServicePlan, *, actor: Person, agency_id: int | None, agreed_on: date) -> None:
    """Record the face-to-face written agreement (서비스 계약) of a plan."""
    plan.agreed_on = _past(agreed_on, "agreed_on", "서면 합의일")
    db.session.flush()
    case = db.session.get(Case, plan.case_id)
    assert case is not None  # noqa: S101
    _event(case, "agreement", actor=actor, agency_id=agency_id, data={"plan_id": plan.id})


def record_service_result(
    service: PlanService, *, actor: Person, agency_id: int | None, result: str, result_on: date
) -> None:
    """Record the result of a planned intervention (until then it shows as "결과 대기")."""
    service.result = _text(result, "result", "결과")
    service.result_on = _past(result_on, "result_on", "결과 기록일")
    db.session.flush()
    case = db.session.get(Case, service.plan.case_id)
    assert case is not None  # noqa: S101
    _event(case, "service_result", actor=actor, agency_id=agency_id, data={"service_id": service.id})


def add_counselling_log(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    contacted_on: date,
    channel: MonitoringChannel,
    method: ContactMethod,
    minutes: int,
    content: str,
    worker_opinion: str | None = None,
    finding: MonitoringFinding = MonitoringFinding.on_track,
) -> tuple[CounsellingLog, MonitoringAction]:
    """Write a 상담일지 entry; return it with the action the monitoring table calls for."""
    _require_stage(
        case,
        CaseStage.assessment,
        CaseStage.planning,
        CaseStage.delivery,
        CaseStage.closure_review,
        CaseStage.follow_up,
        what="상담일지",
    )
    if not 10 <= minutes <= 180:
        raise ValidationFailed("상담시간은 10분부터 180분까지입니다.", field="minutes")
    log = CounsellingLog(
        case_id=case.id,
        contacted_on=_past(contacted_on, "contacted_on", "상담일"),
        channel=channel,
        method=method,
        minutes=minutes,
        content=_text(content, "content", "상담내용(제공 서비스와 대상자의 변화)"),
        worker_opinion=_optional(worker_opinion, "worker_opinion", "상담자 의견"),
        finding=finding,
        author_id=actor.id,
    )
    db.session.add(log)
    db.session.flush()
    action = MONITORING_ACTIONS[finding]
    _event(
        case,
        "log",
        actor=actor,
        agency_id=agency_id,
        data={"log_id": log.id, "finding": finding.value, "action": action.value},
    )
    return log, action


def add_service_check(
    case: Case,
    service: PlanService,
    *,
    actor: Person,
    agency_id: int | None,
    checked_on: date,
    sufficiency: int,
    appropriateness: int,
    efficiency: int,
    note: str | None = None,
) -> ServiceCheck:
    """Check a planned service on sufficiency, appropriateness and efficiency (1–4 each)."""
    _require_stage(case, CaseStage.delivery, what="서비스 점검")
    if service.plan.case_id != case.id:
        raise ValidationFailed("이 사례의 계획에 있는 서비스를 골라 주세요.", field="service_id")
    for name, value in (
        ("sufficiency", sufficiency),
        ("appropriateness", appropriateness),
        ("efficiency", efficiency),
    ):
        if not 1 <= value <= 4:
            raise ValidationFailed("점검 점수는 1부터 4까지입니다.", field=name)
    check = ServiceCheck(
        case_id=case.id,
        plan_service_id=service.id,
        checked_on=_past(checked_on, "checked_on", "점검일"),
        sufficiency=sufficiency,
        appropriateness=appropriateness,
        efficiency=efficiency,
        note=_optional(note, "note", "메모"),
        author_id=actor.id,
    )
    db.session.add(check)
    db.session.flush()
    _event(case, "service_check", actor=actor, agency_id=agency_id, data={"check_id": check.id})
    return check


def record_closure_review(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    reviewed_on: date,
    closure_type: ClosureType,
    short_term_achievement: int,
    long_term_achievement: int,
    review_opinion: str,
    supervisor_id: int,
    planned_closure_on: date,
    notice_given_on: date | None = None,
    worker_opinion: str | None = None,
    other_attendees: str | None = None,
) -> ClosureReview:
    """Record the 종결심사회의 (활용서식10) attended by at least the case worker and a supervisor."""
    _require_stage(case, CaseStage.closure_review, what="종결심사")
    if case.case_worker_id is None:
        raise ValidationFailed("담당 사례관리자가 있어야 종결심사를 할 수 있습니다.", field="case_worker_id")
    if _staff_of(supervisor_id, {case.owning_agency_id, case.lead_agency_id}, StaffRole.supervisor) is None:
        raise ValidationFailed(
            "참석 슈퍼바이저를 이 기관의 슈퍼바이저 중에서 골라 주세요.", field="supervisor_id"
        )
    for name, value in (
        ("short_term_achievement", short_term_achievement),
        ("long_term_achievement", long_term_achievement),
    ):
        if not 1 <= value <= 4:
            raise ValidationFailed("달성여부는 1점부터 4점까지입니다.", field=name)
    reviewed = _past(reviewed_on, "reviewed_on", "심사일")
    if notice_given_on is not None:
        _past(notice_given_on, "notice_given_on", "종결 안내일")
        if notice_given_on > planned_closure_on:
            raise ValidationFailed("종결 안내일은 종결 예정일보다 앞서야 합니다.", field="notice_given_on")
    if planned_closure_on < reviewed:
        raise ValidationFailed("종결 예정일은 심사일 이후여야 합니다.", field="planned_closure_on")
    review = ClosureReview(
        case_id=case.id,
        reviewed_on=reviewed,
        closure_type=closure_type,
        short_term_achievement=short_term_achievement,
        long_term_achievement=long_term_achievement,
        review_opinion=_text(review_opinion, "review_opinion", "종결 심사 의견"),
        worker_opinion=_optional(worker_opinion, "worker_opinion", "사례관리자 의견"),
        case_worker_id=case.case_worker_id,
        supervisor_id=supervisor_id,
        other_attendees=_optional(other_attendees, "other_attendees", "기타 참석자"),
        notice_given_on=notice_given_on,
        planned_closure_on=planned_closure_on,
    )
    db.session.add(review)
    db.session.flush()
    _event(
        case,
        "closure_review",
        actor=actor,
        agency_id=agency_id,
        data={"review_id": review.id, "closure_type": closure_type.value},
    )
    return review


def approve_closure(review: ClosureReview, *, actor: Person, agency_id: int | None) -> None:
    """A supervisor approves the closure of a case flagged for life or safety."""
    case = db.session.get(Case, review.case_id)
    assert case is not None  # noqa: S101
    if _staff_of(actor.id, {case.owning_agency_id, case.lead_agency_id}, StaffRole.supervisor) is None:
        raise PermissionDenied("종결 승인은 슈퍼바이저만 할 수 있습니다.")
    from hamkke.time import now_utc

    review.approved_by_id = actor.id
    review.approved_at = now_utc()
    db.session.flush()
    _event(case, "closure_approved", actor=actor, agency_id=agency_id, data={"review_id": review.id})


def plan_follow_up(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    method: FollowUpMethod,
    starts_on: date,
    ends_on: date,
    services_needed: str | None = None,
) -> FollowUpPlan:
    """Write the 사후관리 계획 (method and period), agreed with the client at closure."""
    _require_stage(case, CaseStage.closure_review, what="사후관리 계획")
    if ends_on <= starts_on:
        raise ValidationFailed("사후관리 종료일은 시작일 이후여야 합니다.", field="ends_on")
    if (ends_on - starts_on).days > 366 * 2:
        raise ValidationFailed("사후관리 기간은 2년을 넘을 수 없습니다.", field="ends_on")
    plan = FollowUpPlan(
        case_id=case.id,
        method=method,
        starts_on=starts_on,
        ends_on=ends_on,
        services_needed=_optional(services_needed, "services_needed", "필요 서비스"),
    )
    db.session.add(plan)
    db.session.flush()
    _event(case, "follow_up_plan", actor=actor, agency_id=agency_id, data={"plan_id": plan.id})
    return plan


def record_follow_up_outcome(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    outcome: FollowUpOutcome,
    outcome_on: date,
    note: str,
    referred_agency_id: int | None = None,
) -> FollowUpPlan:
    """Record the follow-up's outcome: 재개입, 타기관 의뢰 (naming the agency) or 종결확정."""
    _require_stage(case, CaseStage.follow_up, what="사후관리 결과")
    plan = db.session.scalars(
        sa.select(FollowUpPlan).where(FollowUpPlan.case_id == case.id).order_by(FollowUpPlan.id.desc())
    ).first()
    if plan is None:
        raise ValidationFailed("사후관리 계획이 없습니다.", field="outcome")
    if outcome == FollowUpOutcome.referred and (
        referred_agency_id is None or db.session.get(Agency, referred_agency_id) is None
    ):
        raise ValidationFailed("의뢰한 기관을 골라 주세요.", field="referred_agency_id")
    plan.outcome = outcome
    plan.outcome_on = _past(outcome_on, "outcome_on", "결정일")
    plan.outcome_note = _text(note, "note", "사후관리 결과 내용")
    plan.referred_agency_id = referred_agency_id if outcome == FollowUpOutcome.referred else None
    db.session.flush()
    _event(case, "follow_up_outcome", actor=actor, agency_id=agency_id, data={"outcome": outcome.value})
    return plan


# --- the dong's 내부판정회의 and escalation ------------------------------------------------------------


@dataclass(frozen=True)
class MeetingDecisionInput:
    """The meeting's decision for one case; escalation details only for 구청 의뢰."""

    case_id: int
    outcome: SelectionOutcome
    reason: str
    alternative_services: str | None = None
    urgency: EscalationUrgency = EscalationUrgency.normal
    tried: str | None = None


def hold_dong_meeting(
    agency: Agency,
    *,
    actor: Person,
    held_on: date,
    attendees: str,
    decisions: Sequence[MeetingDecisionInput],
) -> DongMeeting:
    """Record a 내부판정회의 with a decision per household; 구청 의뢰 sends an escalation."""
    if agency.type != AgencyType.dong_centre:
        raise ValidationFailed("내부판정회의는 동 주민센터가 엽니다.", field="agency")
    if not decisions:
        raise ValidationFailed("판정할 가구를 하나 이상 골라 주세요.", field="decisions")
    meeting = DongMeeting(
        agency_id=agency.id,
        held_on=_past(held_on, "held_on", "회의일"),
        attendees=_text(attendees, "attendees", "참석자"),
        created_by_id=actor.id,
    )
    db.session.add(meeting)
    seen: set[int] = set()
    cases: list[tuple[Case, MeetingDecisionInput]] = []
    for index, item in enumerate(decisions):
        case = db.session.get(Case, item.case_id)
        if case is None or case.owning_agency_id != agency.id or item.case_id in seen:
            raise ValidationFailed(
                "이 주민센터의 사례만 한 번씩 판정할 수 있습니다.", field=f"decisions-{index}"
            )
        if case.stage != CaseStage.selection:
            raise InvalidTransition(
                f"사례 {with_particle(case.number, '은')} '{case.stage.label}' 단계라 판정할 수 없습니다. "
                "사정을 마친 사례만 판정합니다.",
                field=f"decisions-{index}",
            )
        seen.add(item.case_id)
        cases.append((case, item))
    db.session.flush()
    for index, (case, item) in enumerate(cases):
        reason = _text(item.reason, f"decisions-{index}-reason", "판정 사유")
        meeting.decisions.append(DongMeetingDecision(case_id=case.id, outcome=item.outcome, reason=reason))
        if item.outcome == SelectionOutcome.escalate:
            escalate_case(
                case,
                actor=actor,
                agency_id=agency.id,
                reason=reason,
                urgency=item.urgency,
                tried=item.tried or "",
                meeting_id=meeting.id,
                field_prefix=f"decisions-{index}-",
            )
        else:
            try:
                record_selection(
                    case,
                    actor=actor,
                    agency_id=agency.id,
                    decided_on=meeting.held_on,
                    outcome=item.outcome,
                    reason=reason,
                    alternative_services=item.alternative_services,
                    meeting_id=meeting.id,
                )
            except DomainError as error:
                # Point the refusal at this household's row of the meeting form.
                suffix = (
                    "alternatives" if error.field == "alternative_services" else error.field or "decision"
                )
                error.field = f"decisions-{index}-{suffix}"
                raise
    db.session.flush()
    audit.record(
        "case.dong_meeting", actor_id=actor.id, agency_id=agency.id, obj=meeting, data={"cases": sorted(seen)}
    )
    return meeting


def _district_team(agency: Agency) -> Agency:
    team = db.session.scalars(
        sa.select(Agency)
        .where(Agency.district_id == agency.district_id, Agency.type == AgencyType.district_team)
        .order_by(Agency.id)
    ).first()
    if team is None:
        raise ValidationFailed("이 지역에는 의뢰받을 구청 통합사례관리팀이 없습니다.", field="agency")
    return team


def escalate_case(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    reason: str,
    urgency: EscalationUrgency,
    tried: str,
    meeting_id: int | None = None,
    field_prefix: str = "",
) -> Escalation:
    """Send a 고난도 case to the district coordinator (구청 의뢰) with reason, urgency and tries.

    The consent status it carries is derived from the consent records now, never typed.
    """
    _require_stage(case, CaseStage.selection, what="구청 의뢰")
    open_one = db.session.scalar(
        sa.select(Escalation.id).where(
            Escalation.case_id == case.id, Escalation.status == EscalationStatus.submitted
        )
    )
    if open_one is not None:
        raise InvalidTransition("이미 구청이 검토 중인 의뢰가 있습니다.", field=f"{field_prefix}reason")
    agency = db.session.get(Agency, case.owning_agency_id)
    assert agency is not None  # noqa: S101
    team = _district_team(agency)
    consent = consent_basis.escalation_consent(case, team, today_local())
    escalation = Escalation(
        case_id=case.id,
        from_agency_id=agency.id,
        to_agency_id=team.id,
        meeting_id=meeting_id,
        reason=_text(reason, f"{field_prefix}reason", "의뢰 사유"),
        urgency=urgency,
        tried=_text(tried, f"{field_prefix}tried", "지금까지 한 개입"),
        consent_status=consent.status,
        consent_ids=list(consent.consent_ids) or None,
        submitted_by_id=actor.id,
        submitted_on=today_local(),
    )
    db.session.add(escalation)
    if urgency == EscalationUrgency.urgent:
        case.case_type = CaseType.crisis
    db.session.flush()
    _event(
        case,
        "escalated",
        actor=actor,
        agency_id=agency_id,
        data={
            "escalation_id": escalation.id,
            "urgency": urgency.value,
            "consent_status": consent.status.value,
            "consent_ids": list(consent.consent_ids),
        },
    )
    return escalation


def accept_escalation(
    escalation: Escalation,
    *,
    actor: Person,
    agency_id: int | None,
    placement: EscalationPlacement,
    note: str | None = None,
) -> None:
    """The coordinator takes the case: onto a regular conference agenda, or an urgent conference for 위기."""
    if escalation.status != EscalationStatus.submitted:
        raise InvalidTransition("이미 처리한 의뢰입니다.", field="placement")
    escalation.status = EscalationStatus.accepted
    escalation.placement = placement
    escalation.guidance = _optional(note, "guidance", "메모")
    escalation.decided_by_id = actor.id
    escalation.decided_on = today_local()
    db.session.flush()
    _event(
        escalation.case,
        "escalation_accepted",
        actor=actor,
        agency_id=agency_id,
        data={"escalation_id": escalation.id, "placement": placement.value},
    )


def return_escalation(escalation: Escalation, *, actor: Person, agency_id: int | None, guidance: str) -> None:
    """The coordinator returns the escalation to the dong with guidance (보완 요청)."""
    if escalation.status != EscalationStatus.submitted:
        raise InvalidTransition("이미 처리한 의뢰입니다.", field="guidance")
    escalation.guidance = _text(guidance, "guidance", "반려 사유와 안내")
    escalation.status = EscalationStatus.returned
    escalation.decided_by_id = actor.id
    escalation.decided_on = today_local()
    db.session.flush()
    _event(
        escalation.case,
        "escalation_returned",
        actor=actor,
        agency_id=agency_id,
        data={"escalation_id": escalation.id},
    )


# --- documents and scores -------------------------------------------------------------------------


def attachment_folder() -> Path:
    """Return the folder case files are kept in: under the instance folder, outside static/."""
    folder = Path(current_app.instance_path) / "case_files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_attachment(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    kind: AttachmentKind,
    filename: str,
    content_type: str,
    data: bytes,
) -> Attachment:
    """Store a genogram, eco-map or scan (PDF, PNG, JPEG up to 5 MB, checked by content)."""
    magic = ATTACHMENT_TYPES.get(content_type)
    if magic is None:
        raise ValidationFailed("PDF, PNG, JPEG 파일만 올릴 수 있습니다.", field="file")
    if not data:
        raise ValidationFailed("빈 파일입니다.", field="file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed("파일은 5MB 이하만 올릴 수 있습니다.", field="file")
    if not data.startswith(magic):
        # The browser's type is a claim; the first bytes are what the file is.
        raise ValidationFailed("파일 내용이 형식과 맞지 않습니다.", field="file")
    name = Path(filename or "").name.strip()[:200] or "첨부파일"
    key = secrets.token_hex(16)
    attachment = Attachment(
        case_id=case.id,
        kind=kind,
        filename=name,
        content_type=content_type,
        size=len(data),
        storage_key=key,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    db.session.flush()
    # Written before the commit so a committed row never names a missing file; if the transaction
    # rolls back, the file is an orphan that the retention purge removes (no row names it).
    (attachment_folder() / key).write_bytes(data)
    _event(case, "attachment", actor=actor, agency_id=agency_id, data={"attachment_id": attachment.id})
    return attachment


def record_capacity_assessment(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    assessed_on: date,
    answers: dict[str, str],
    worker_will: int,
    worker_employability: int,
    supervisor_adjustment: int = 0,
) -> CapacityAssessment:
    """Record a 자활역량평가표 with its total and group computed (supervisor ±5 needs the role)."""
    if (
        supervisor_adjustment
        and _staff_of(actor.id, {case.owning_agency_id, case.lead_agency_id}, StaffRole.supervisor) is None
    ):
        raise PermissionDenied("슈퍼바이저 평가점수는 슈퍼바이저만 줄 수 있습니다.")
    score = capacity_score(
        answers,
        worker_will=worker_will,
        worker_employability=worker_employability,
        supervisor_adjustment=supervisor_adjustment,
    )
    record = CapacityAssessment(
        case_id=case.id,
        assessed_on=_past(assessed_on, "assessed_on", "사정일"),
        answers=dict(answers),
        worker_will=worker_will,
        worker_employability=worker_employability,
        supervisor_adjustment=supervisor_adjustment,
        total=score.total,
        group=score.group,
        assessed_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    _event(
        case, "capacity", actor=actor, agency_id=agency_id, data={"total": score.total, "group": score.group}
    )
    return record


def record_evaluation(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    evaluated_on: date,
    rows: Sequence[EvaluationRow],
    worker_opinion: str | None = None,
) -> CaseEvaluation:
    """Record a 사례관리 평가서 with its averages computed; ≥ 8 shows a closure-review suggestion."""
    result = evaluation_result(rows)
    record = CaseEvaluation(
        case_id=case.id,
        evaluated_on=_past(evaluated_on, "evaluated_on", "평가일"),
        rows=[row.__dict__ for row in rows],
        average_achievement=result.average_achievement,
        worker_opinion=_optional(worker_opinion, "worker_opinion", "사례관리자 의견"),
        evaluated_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    _event(
        case,
        "evaluation",
        actor=actor,
        agency_id=agency_id,
        data={"average": result.average_achievement, "suggests_closure": result.suggests_closure_review},
    )
    return record


def membership_of(person: Person, agency_id: int | None) -> Membership | None:
    """Return the person's active membership in an agency, if any."""
    return next((m for m in active_memberships(person) if m.agency_id == agency_id), None)
