"""The 서비스제공계획 (ISP): plan versions, the written agreement and the services' results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases.models import Case, CaseStage, GoalTerm, NeedDomain, PlanGoal, PlanService, ServicePlan
from cases.services.common import _event, _optional, _past, _require_stage, _text
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import today_local


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


def _plan_goal(index: int, goal: GoalInput, *, today: date, horizon_end: date) -> PlanGoal:
    """Validate one typed goal of the ISP form and build its row (errors name the goal's fields)."""
    if goal.target_on is None:
        raise ValidationFailed("목표마다 목표일을 적어 주세요.", field=f"goals-{index}-target_on")
    if goal.target_on < today or goal.target_on > horizon_end:
        raise ValidationFailed(
            "목표일은 오늘부터 계획 기간 안이어야 합니다.", field=f"goals-{index}-target_on"
        )
    return PlanGoal(
        domain=goal.domain,
        term=goal.term,
        target_on=goal.target_on,
        statement=_text(goal.statement, f"goals-{index}-statement", "목표"),
    )


def _plan_service(index: int, service: ServiceInput) -> PlanService:
    """Validate one typed service of the ISP form and build its row (errors name the service's fields)."""
    if service.provider_agency_id is None and not (service.provider_name or "").strip():
        raise ValidationFailed("제공기관을 고르거나 적어 주세요.", field=f"services-{index}-provider")
    if service.provider_agency_id is not None and db.session.get(Agency, service.provider_agency_id) is None:
        raise ValidationFailed("제공기관을 목록에서 골라 주세요.", field=f"services-{index}-provider")
    if not 1 <= service.duration_months <= 60:
        raise ValidationFailed("기간은 1~60개월입니다.", field=f"services-{index}-duration_months")
    return PlanService(
        name=_text(service.name, f"services-{index}-name", "서비스", 200),
        provider_agency_id=service.provider_agency_id,
        provider_name=_optional(service.provider_name, f"services-{index}-provider", "제공기관", 200),
        quantity=_text(service.quantity, f"services-{index}-quantity", "양(횟수)", 100),
        duration_months=service.duration_months,
        intensity=_text(service.intensity, f"services-{index}-intensity", "강도", 40),
    )


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
    plan.goals.extend(
        _plan_goal(index, goal, today=today, horizon_end=horizon_end) for index, goal in enumerate(goals)
    )
    plan.services.extend(_plan_service(index, service) for index, service in enumerate(services))
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
