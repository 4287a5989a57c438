"""Decisions of the live meeting: the lead agency (주 사례관리기관) and each agency's role and ISP items.

Every function flushes and never commits; the view, socket handler, task or command commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case
from cases.services.proposals import receive_isp_items
from conference.models import (
    AgendaItem,
    CaseRole,
    LeadDecision,
    LeadMethod,
    RoleAssignment,
)
from hamkke import audit
from hamkke.db import db
from hamkke.errors import NotFound, ValidationFailed
from hamkke.time import now_utc, today_local


def decide_lead_agency(
    item: AgendaItem,
    *,
    actor: Person,
    method: LeadMethod,
    candidate_agency_ids: Sequence[int],
    chosen_agency_id: int,
    rationale: str,
    votes: dict[str, int] | None = None,
    objections: str | None = None,
    effective_on: date | None = None,
) -> LeadDecision:
    """Record the lead-agency decision of the open item and make it the case's 주 사례관리기관.

    The cases domain has no lead-agency service yet, so the case's ``lead_agency_id`` is set here,
    with an audit row naming the decision.
    """
    item.require("decide_lead")
    candidates = list(dict.fromkeys(candidate_agency_ids))
    if chosen_agency_id not in candidates:
        raise ValidationFailed("후보 기관 중에서 고르세요.", field="chosen_agency_id")
    if method == LeadMethod.client_choice and len(candidates) < 2:
        raise ValidationFailed("대상자 선택은 제공기관이 둘 이상일 때만 쓸 수 있습니다.", field="method")
    if not rationale.strip():
        raise ValidationFailed("결정 사유를 적으세요.", field="rationale")
    if votes and any(choice not in candidates for choice in votes.values()):
        raise ValidationFailed("후보가 아닌 기관에 투표했습니다.", field="votes")
    case = db.session.get(Case, item.case_id)
    if case is None:
        raise NotFound("사례를 찾을 수 없습니다.")
    decision = LeadDecision(
        item_id=item.id,
        case_id=case.id,
        method=method,
        candidate_agency_ids=candidates,
        votes=dict(votes or {}),
        chosen_agency_id=chosen_agency_id,
        previous_agency_id=case.lead_agency_id,
        objections=(objections or "").strip() or None,
        rationale=rationale.strip(),
        effective_on=effective_on or today_local(),
        decided_by_id=actor.id,
        created_at=now_utc(),
    )
    db.session.add(decision)
    case.lead_agency_id = chosen_agency_id
    db.session.flush()
    _upsert_role(item, case.id, chosen_agency_id, CaseRole.lead)
    for assignment in _roles_of(item):
        if assignment.agency_id != chosen_agency_id and assignment.role == CaseRole.lead:
            assignment.role = CaseRole.partner
    item.version += 1
    db.session.flush()
    audit.record(
        "case.lead_agency_set",
        actor_id=actor.id,
        obj=case,
        data={"decision_id": decision.id, "agency_id": chosen_agency_id, "method": str(method)},
    )
    return decision


def _roles_of(item: AgendaItem) -> list[RoleAssignment]:
    return list(db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.item_id == item.id)))


def _upsert_role(item: AgendaItem, case_id: int, agency_id: int, role: CaseRole) -> RoleAssignment:
    assignment = next((a for a in _roles_of(item) if a.agency_id == agency_id), None)
    if assignment is None:
        assignment = RoleAssignment(item_id=item.id, case_id=case_id, agency_id=agency_id, role=role)
        db.session.add(assignment)
    else:
        assignment.role = role
    db.session.flush()
    return assignment


@dataclass(frozen=True)
class IspItem:
    """One ISP line: a service with quantity, duration, intensity and due date (seed 001 §3.4)."""

    service: str
    quantity: str
    duration: str
    intensity: str
    due_on: date | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the JSON form stored on the role."""
        return {
            "service": self.service,
            "quantity": self.quantity,
            "duration": self.duration,
            "intensity": self.intensity,
            "due_on": self.due_on.isoformat() if self.due_on else None,
        }


def assign_role(
    item: AgendaItem,
    *,
    actor: Person,
    agency_id: int,
    role: CaseRole,
    responsibilities: str,
    isp_items: Iterable[IspItem] = (),
    due_on: date | None = None,
) -> RoleAssignment:
    """Give an agency its role in the open item's case; a second lead is refused."""
    item.require("assign_role")
    if role == CaseRole.lead and any(
        a.role == CaseRole.lead and a.agency_id != agency_id for a in _roles_of(item)
    ):
        raise ValidationFailed("주 사례관리기관은 하나입니다. 먼저 주관기관 결정을 바꾸세요.", field="role")
    items = [entry.as_json() for entry in isp_items]
    for entry in items:
        if not entry["service"].strip():
            raise ValidationFailed("서비스 이름을 적으세요.", field="isp_items")
    # The table refused an item without a case above.
    assignment = _upsert_role(item, cast(int, item.case_id), agency_id, role)
    assignment.responsibilities = responsibilities.strip()
    assignment.isp_items = items
    assignment.due_on = due_on
    item.version += 1
    db.session.flush()
    # Each ISP item reaches the case's plan only as a proposal its worker accepts or declines.
    receive_isp_items(
        assignment.case_id,
        role_assignment_id=assignment.id,
        agency_id=agency_id,
        items=items,
        actor=actor,
    )
    audit.record("conference.role_assigned", actor_id=actor.id, obj=assignment, data={"agency_id": agency_id})
    return assignment
