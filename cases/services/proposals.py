"""Conference ISP items as proposals: they reach the case's plan only when its worker accepts them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case, PlanGoal, PlanService, ServicePlan
from cases.models.selfplans import PlanProposal, ProposalStatus
from cases.services.common import _event, _text
from cases.services.planning import GoalInput, ServiceInput, add_months, create_plan
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.time import now_utc, today_local


def receive_isp_items(
    case_id: int,
    *,
    role_assignment_id: int,
    agency_id: int,
    items: Iterable[Mapping[str, Any]],
    actor: Person,
) -> list[PlanProposal]:
    """Turn a conference role's ISP items into pending proposals; a re-assignment replaces pending ones."""
    pending = db.session.scalars(
        sa.select(PlanProposal).where(
            PlanProposal.role_assignment_id == role_assignment_id,
            PlanProposal.status == ProposalStatus.pending,
        )
    )
    for proposal in pending:
        db.session.delete(proposal)
    created: list[PlanProposal] = []
    for item in items:
        due = item.get("due_on")
        proposal = PlanProposal(
            case_id=case_id,
            role_assignment_id=role_assignment_id,
            agency_id=agency_id,
            service=str(item.get("service") or "").strip()[:200],
            quantity=str(item.get("quantity") or "").strip()[:100],
            duration=str(item.get("duration") or "").strip()[:100],
            intensity=str(item.get("intensity") or "").strip()[:40],
            due_on=date.fromisoformat(due) if isinstance(due, str) and due else None,
        )
        db.session.add(proposal)
        created.append(proposal)
    db.session.flush()
    for proposal in created:
        audit.record(
            "case.plan_proposal_received", actor_id=actor.id, obj=proposal, data={"case_id": case_id}
        )
    return created


def _current_plan(case: Case) -> ServicePlan:
    plan = db.session.scalars(
        sa.select(ServicePlan).where(ServicePlan.case_id == case.id).order_by(ServicePlan.version.desc())
    ).first()
    if plan is None:
        raise ValidationFailed("먼저 계획을 세운 뒤 제안을 반영할 수 있습니다.", field="goal_id")
    return plan


def _copy_goal(goal: PlanGoal, extra: ServiceInput | None) -> GoalInput:
    if goal.target_on < today_local():
        # Carrying a goal whose date has passed would either move its date silently or refuse later.
        raise ValidationFailed(
            "목표일이 지난 목표가 있습니다. 계획을 새로 세운 뒤 제안을 반영해 주세요.", field="goal_id"
        )
    services = tuple(_copy_service(service) for service in goal.services)
    return GoalInput(
        domain=goal.domain,
        term=goal.term,
        statement=goal.statement,
        target_on=goal.target_on,
        support_domain=goal.support_domain,
        participant_words=goal.participant_words,
        services=(*services, extra) if extra is not None else services,
    )


def _carry_ticks(old: ServicePlan, new: ServicePlan) -> None:
    """Keep each carried service's 실행점검 and result on the new version (the new service has none)."""
    for old_goal, new_goal in zip(old.goals, new.goals, strict=True):
        for before, after in zip(old_goal.services, new_goal.services, strict=False):
            after.checked_on, after.checked_by_id = before.checked_on, before.checked_by_id
            after.check_phase, after.check_note = before.check_phase, before.check_note
            after.result, after.result_on = before.result, before.result_on


def _copy_service(service: PlanService) -> ServiceInput:
    return ServiceInput(
        name=service.name,
        quantity=service.quantity,
        duration_months=service.duration_months,
        intensity=service.intensity,
        provider_agency_id=service.provider_agency_id,
        provider_name=service.provider_name,
        starts_on=service.starts_on,
        ends_on=service.ends_on,
        proposal_id=service.proposal_id,
    )


def _pending(proposal: PlanProposal) -> None:
    if proposal.status != ProposalStatus.pending:
        raise InvalidTransition("이미 결정한 제안입니다.", english="The proposal has already been decided.")


def accept_proposal(
    proposal: PlanProposal,
    *,
    actor: Person,
    agency_id: int | None,
    goal_id: int | None,
    starts_on: date | None,
    ends_on: date | None,
) -> ServicePlan:
    """Accept a proposal: a new plan version carries the service under the chosen goal."""
    _pending(proposal)
    case = db.session.get(Case, proposal.case_id)
    assert case is not None  # noqa: S101
    plan = _current_plan(case)
    if goal_id is None or not any(goal.id == goal_id for goal in plan.goals):
        raise ValidationFailed("서비스를 넣을 목표를 골라 주세요.", field="goal_id")
    starts = starts_on or today_local()
    service = ServiceInput(
        name=proposal.service,
        quantity=proposal.quantity or "-",
        duration_months=None,
        intensity=proposal.intensity or "-",
        provider_agency_id=proposal.agency_id,
        starts_on=starts,
        ends_on=ends_on or proposal.due_on or add_months(starts, 3),
        proposal_id=proposal.id,
    )
    goals = [_copy_goal(goal, service if goal.id == goal_id else None) for goal in plan.goals]
    new_plan = create_plan(
        case,
        actor=actor,
        agency_id=agency_id,
        horizon_months=plan.horizon_months,
        client_role=plan.client_role,
        family_role=plan.family_role,
        goals=goals,
        kind=plan.kind,
        revision_reason=f"통합사례회의 제안 반영: {proposal.service}",
    )
    _carry_ticks(plan, new_plan)
    proposal.status = ProposalStatus.accepted
    proposal.decided_by_id = actor.id
    proposal.decided_at = now_utc()
    proposal.accepted_plan_id = new_plan.id
    db.session.flush()
    _event(case, "proposal_accepted", actor=actor, agency_id=agency_id, data={"proposal_id": proposal.id})
    audit.record(
        "case.plan_proposal_accepted", actor_id=actor.id, obj=proposal, data={"plan_id": new_plan.id}
    )
    return new_plan


def decline_proposal(proposal: PlanProposal, *, actor: Person, agency_id: int | None, reason: str) -> None:
    """Decline a proposal with the worker's reason; the plan stays as it is."""
    _pending(proposal)
    proposal.decline_reason = _text(reason, "reason", "반영하지 않는 사유")
    proposal.status = ProposalStatus.declined
    proposal.decided_by_id = actor.id
    proposal.decided_at = now_utc()
    db.session.flush()
    case = db.session.get(Case, proposal.case_id)
    assert case is not None  # noqa: S101
    _event(case, "proposal_declined", actor=actor, agency_id=agency_id, data={"proposal_id": proposal.id})
    audit.record("case.plan_proposal_declined", actor_id=actor.id, obj=proposal, data={"case_id": case.id})
