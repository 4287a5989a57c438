"""Delivery and monitoring: the monitoring table a 상담일지 applies, and the checks of planned services."""

from __future__ import annotations

from datetime import date

from agencies.models import Person
from cases.models import (
    Case,
    CaseStage,
    MonitoringAction,
    MonitoringFinding,
    PlanService,
    ServiceCheck,
)
from cases.services.common import _event, _optional, _past, _require_stage
from hamkke.db import db
from hamkke.errors import ValidationFailed

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
