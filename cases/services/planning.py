"""The ISP: plan versions of both manuals, the written agreement, the 실행점검 tick and the results.

Seed 001's 서비스제공계획 holds goals per need domain (long and short term); seed 000's 필수서식5
개인별 자활 지원 계획 holds goals per support domain (근로 지원 / 복지서비스 지원). Both allow at most
three goals per domain, each goal with the participant's own words and its services.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases.models import Case, CaseStage, GoalTerm, NeedDomain, PlanGoal, PlanService, ServicePlan
from cases.models.selfplans import ExecutionPhase, PlanKind, SupportDomain
from cases.services.common import _event, _optional, _past, _require_stage, _text
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import today_local

#: plan horizons in months: seed 001 plans for 3, 6 or 12 months; the seed-000 ISP runs while the
#: participant works in the 사업단, at most 5 years
HORIZONS: dict[PlanKind, tuple[int, ...]] = {
    PlanKind.integrated: (3, 6, 12),
    PlanKind.jahwal: (3, 6, 12, 24, 36, 60),
}
#: 합의된 목표 per domain (seed 000 L1567: "각 영역별로 최대 3개")
MAX_GOALS_PER_DOMAIN = 3


@dataclass(frozen=True)
class ServiceInput:
    """A planned service as typed in the ISP form."""

    name: str
    quantity: str
    duration_months: int | None
    intensity: str
    provider_agency_id: int | None = None
    provider_name: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    proposal_id: int | None = None


@dataclass(frozen=True)
class GoalInput:
    """A goal as typed in the ISP form, with the services that serve it."""

    domain: NeedDomain | None
    term: GoalTerm
    statement: str
    target_on: date | None
    support_domain: SupportDomain | None = None
    participant_words: str | None = None
    services: tuple[ServiceInput, ...] = field(default_factory=tuple)


def add_months(day: date, months: int) -> date:
    """Return the same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months_between(start: date, end: date) -> int:
    """Count started months from ``start`` to ``end`` (at least 1)."""
    months = (end.year - start.year) * 12 + end.month - start.month + (1 if end.day >= start.day else 0)
    return max(1, months)


def _plan_goal(
    index: int, goal: GoalInput, *, kind: PlanKind, today: date, horizon_end: date, rank: int
) -> PlanGoal:
    """Validate one typed goal of the ISP form and build its row (errors name the goal's fields)."""
    if kind == PlanKind.jahwal and goal.support_domain is None:
        raise ValidationFailed(
            "목표의 구분(근로 지원/복지서비스 지원)을 골라 주세요.", field=f"goals-{index}-domain"
        )
    if kind == PlanKind.integrated and goal.domain is None:
        raise ValidationFailed("목표의 욕구영역을 골라 주세요.", field=f"goals-{index}-domain")
    if goal.target_on is None:
        raise ValidationFailed("목표마다 목표일을 적어 주세요.", field=f"goals-{index}-target_on")
    if goal.target_on < today or goal.target_on > horizon_end:
        raise ValidationFailed(
            "목표일은 오늘부터 계획 기간 안이어야 합니다.", field=f"goals-{index}-target_on"
        )
    words_required = kind == PlanKind.jahwal
    return PlanGoal(
        domain=goal.domain,
        support_domain=goal.support_domain,
        rank=rank,
        term=goal.term,
        target_on=goal.target_on,
        participant_words=_text(
            goal.participant_words,
            f"goals-{index}-participant_words",
            "참여자의 제시된 욕구",
            required=words_required,
        )
        or None,
        statement=_text(goal.statement, f"goals-{index}-statement", "목표"),
    )


def _plan_service(index: int, service: ServiceInput, *, horizon_end: date) -> PlanService:
    """Validate one typed service of the ISP form and build its row (errors name the service's fields)."""
    if service.provider_agency_id is None and not (service.provider_name or "").strip():
        raise ValidationFailed("제공기관을 고르거나 적어 주세요.", field=f"services-{index}-provider")
    if service.provider_agency_id is not None and db.session.get(Agency, service.provider_agency_id) is None:
        raise ValidationFailed("제공기관을 목록에서 골라 주세요.", field=f"services-{index}-provider")
    starts_on, ends_on = service.starts_on, service.ends_on
    if (starts_on is None) != (ends_on is None):
        raise ValidationFailed(
            "실행기간의 시작일과 종료일을 함께 적어 주세요.", field=f"services-{index}-ends_on"
        )
    if starts_on is not None and ends_on is not None:
        if ends_on < starts_on:
            raise ValidationFailed(
                "실행기간의 종료일이 시작일보다 빠릅니다.", field=f"services-{index}-ends_on"
            )
        if ends_on > horizon_end:
            raise ValidationFailed("실행기간은 계획 기간 안이어야 합니다.", field=f"services-{index}-ends_on")
        duration = _months_between(starts_on, ends_on)
    else:
        duration = service.duration_months or 0
    if not 1 <= duration <= 60:
        raise ValidationFailed("기간은 1~60개월입니다.", field=f"services-{index}-duration_months")
    return PlanService(
        name=_text(service.name, f"services-{index}-name", "서비스", 200),
        provider_agency_id=service.provider_agency_id,
        provider_name=_optional(service.provider_name, f"services-{index}-provider", "제공기관", 200),
        quantity=_text(service.quantity, f"services-{index}-quantity", "양(횟수)", 100),
        duration_months=duration,
        starts_on=starts_on,
        ends_on=ends_on,
        intensity=_text(service.intensity, f"services-{index}-intensity", "강도", 40),
        proposal_id=service.proposal_id,
    )


def _check_goal_counts(kind: PlanKind, goals: Sequence[GoalInput]) -> list[int]:
    """Refuse a fourth goal in a domain (the field of the offending goal is marked); return the ranks."""
    seen: Counter[object] = Counter()
    ranks: list[int] = []
    for index, goal in enumerate(goals):
        key = goal.support_domain if kind == PlanKind.jahwal else goal.domain
        seen[key] += 1
        if key is not None and seen[key] > MAX_GOALS_PER_DOMAIN:
            label = key.label if hasattr(key, "label") else str(key)
            raise ValidationFailed(
                f"{label} 영역의 목표는 {MAX_GOALS_PER_DOMAIN}개까지입니다.",
                field=f"goals-{index}-domain",
                english=f"At most {MAX_GOALS_PER_DOMAIN} goals per domain.",
            )
        ranks.append(seen[key])
    return ranks


def _check_plan(case: Case, kind: PlanKind, horizon_months: int, goals: Sequence[GoalInput]) -> None:
    """Refuse a plan the manual does not allow (stage, worker, horizon, goals)."""
    _require_stage(case, CaseStage.planning, CaseStage.delivery, what="서비스제공계획")
    if case.case_worker_id is None:
        raise ValidationFailed(
            "담당 사례관리자가 없는 사례에는 계획을 세울 수 없습니다.", field="case_worker_id"
        )
    if horizon_months not in HORIZONS[kind]:
        raise ValidationFailed("계획 기간을 목록에서 골라 주세요.", field="horizon_months")
    if not goals:
        raise ValidationFailed("목표를 하나 이상 적어 주세요.", field="goals")
    if kind == PlanKind.integrated and not any(goal.term == GoalTerm.long for goal in goals):
        raise ValidationFailed(
            "장기목표를 하나 이상 적어 주세요. 단기목표는 장기목표의 과정 목표입니다.", field="goals"
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
    services: Sequence[ServiceInput] = (),
    agreed_on: date | None = None,
    kind: PlanKind = PlanKind.integrated,
    revision_reason: str | None = None,
) -> ServicePlan:
    """Write an ISP version: goals per domain (3 at most) with the participant's words and services."""
    _check_plan(case, kind, horizon_months, goals)
    ranks = _check_goal_counts(kind, goals)
    # Services typed apart from the goals (the one-service form) serve the first goal.
    if not services and not any(goal.services for goal in goals):
        raise ValidationFailed("서비스를 하나 이상 적어 주세요.", field="services")
    today = today_local()
    horizon_end = add_months(today, horizon_months)
    if agreed_on is not None:
        _past(agreed_on, "agreed_on", "서면 합의일")
    previous = db.session.scalar(
        sa.select(sa.func.max(ServicePlan.version)).where(ServicePlan.case_id == case.id)
    )
    plan = ServicePlan(
        case_id=case.id,
        version=(previous or 0) + 1,
        kind=kind,
        horizon_months=horizon_months,
        client_role=_text(client_role, "client_role", "대상자의 역할"),
        family_role=_optional(family_role, "family_role", "가족의 역할"),
        agreed_on=agreed_on,
        revision_reason=_optional(revision_reason, "revision_reason", "변경 사유"),
        created_by_id=actor.id,
    )
    position = 0
    for index, (goal, rank) in enumerate(zip(goals, ranks, strict=True)):
        row = _plan_goal(index, goal, kind=kind, today=today, horizon_end=horizon_end, rank=rank)
        plan.goals.append(row)
        extra = services if index == 0 else ()
        for service in (*goal.services, *extra):
            built = _plan_service(position, service, horizon_end=horizon_end)
            built.goal = row
            plan.services.append(built)
            position += 1
    db.session.add(plan)
    db.session.flush()
    _event(case, "plan", actor=actor, agency_id=agency_id, data={"plan_id": plan.id, "version": plan.version})
    return plan


def record_agreement(plan: ServicePlan, *, actor: Person, agency_id: int | None, agreed_on: date) -> None:
    """Record the face-to-face written agreement (서비스 계약) of a plan version not yet signed."""
    if plan.agreed_on is not None:
        raise ValidationFailed("이미 서면 합의를 기록한 판입니다.", field="agreed_on")
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


def tick_execution(
    service: PlanService,
    *,
    actor: Person,
    agency_id: int | None,
    checked_on: date,
    phase: ExecutionPhase | None,
    note: str | None,
) -> None:
    """Tick the 실행점검 of a planned service: it is being delivered (in the delivery stage only)."""
    case = db.session.get(Case, service.plan.case_id)
    assert case is not None  # noqa: S101
    _require_stage(case, CaseStage.delivery, what="실행점검")
    checked = _past(checked_on, "checked_on", "점검일")
    if service.starts_on is not None and checked < service.starts_on:
        raise ValidationFailed("점검일이 실행기간 시작일보다 빠릅니다.", field="checked_on")
    if service.plan.kind == PlanKind.jahwal and phase is None:
        raise ValidationFailed("게이트 또는 사업단 중 하나를 골라 주세요.", field="phase")
    service.checked_on = checked
    service.checked_by_id = actor.id
    service.check_phase = phase
    service.check_note = _optional(note, "note", "점검 메모")
    db.session.flush()
    _event(case, "execution_check", actor=actor, agency_id=agency_id, data={"service_id": service.id})
