"""Conference ISP items as proposals: they reach the case's plan only when its worker accepts them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case, CaseStage, ServicePlan
from cases.models.plan_versions import copy_plan
from cases.models.selfplans import PlanProposal, ProposalStatus
from cases.services.common import _event, _require_stage, _text
from cases.services.planning import ServiceInput, _plan_service, add_months
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
    """Accept a proposal: a new plan version, the current one with the service under the chosen goal."""
    _pending(proposal)
    case = db.session.get(Case, proposal.case_id)
    assert case is not None  # noqa: S101
    _require_stage(case, CaseStage.planning, CaseStage.delivery, what="계획 변경")
    plan = _current_plan(case)
    position = next((index for index, goal in enumerate(plan.goals) if goal.id == goal_id), None)
    if position is None:
        raise ValidationFailed("서비스를 넣을 목표를 골라 주세요.", field="goal_id")
    starts = starts_on or today_local()
    service = _plan_service(
        0,
        ServiceInput(
            name=proposal.service,
            quantity=proposal.quantity or "-",
            duration_months=None,
            intensity=proposal.intensity or "-",
            provider_agency_id=proposal.agency_id,
            starts_on=starts,
            ends_on=ends_on or proposal.due_on or add_months(starts, 3),
            proposal_id=proposal.id,
        ),
        horizon_end=add_months(today_local(), plan.horizon_months),
    )
    new_plan = copy_plan(
        plan,
        version=plan.version + 1,
        created_by_id=actor.id,
        revision_reason=f"통합사례회의 제안 반영: {proposal.service}",
    )
    service.goal = new_plan.goals[position]
    new_plan.services.append(service)
    db.session.add(new_plan)
    proposal.status = ProposalStatus.accepted
    proposal.decided_by_id = actor.id
    proposal.decided_at = now_utc()
    db.session.flush()
    proposal.accepted_plan_id = new_plan.id
    db.session.flush()
    _event(
        case,
        "plan",
        actor=actor,
        agency_id=agency_id,
        data={"plan_id": new_plan.id, "version": new_plan.version},
    )
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
