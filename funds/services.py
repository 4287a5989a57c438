"""Changes to the case fund: budgets, the cap, requests, the 결재 chain and the spend.

Each service validates, writes, flushes and records an audit row; it never commits (the edge does).
A refusal raises a DomainError whose Korean message names what is wrong (and how much is left).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import sqlalchemy as sa

from agencies.models import Agency, District, Dong, Person
from cases.models import AttachmentKind, Case, Household, PlanGoal, ServicePlan
from cases.services.documents import add_attachment
from funds import access
from funds.models import (
    CAP_SETTING,
    FundBudget,
    FundPurpose,
    FundRequest,
    FundRequestItem,
    FundRequestStatus,
    PayeeKind,
    won,
)
from funds.queries import dong_budget, dong_held, household_cap, household_held
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, PermissionDenied, ValidationFailed
from hamkke.time import now_utc, today_local

#: a single line or request above this is a typing error, not a household's need (₩100,000,000)
MAX_AMOUNT = 100_000_000
#: the most lines a request has
MAX_ITEMS = 10


@dataclass(frozen=True)
class Evidence:
    """An uploaded evidence file (견적서, 영수증, 진료비 내역서)."""

    name: str
    content_type: str
    data: bytes


def _amount(value: object, field: str, *, allow_zero: bool = False) -> int:
    """Return a won amount as an int; refuse floats, negatives and absurd sums (422)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(
            "금액은 원 단위 정수로 적어 주세요.", field=field, english="Amounts are whole won."
        )
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationFailed(
            "금액은 0원보다 커야 합니다.", field=field, english="The amount must be positive."
        )
    if value > MAX_AMOUNT:
        raise ValidationFailed(
            f"금액이 너무 큽니다 ({won(MAX_AMOUNT)} 이하).", field=field, english="The amount is too large."
        )
    return value


def save_budget(
    district: District,
    *,
    actor: Person,
    agency_id: int | None,
    dong_id: int | None,
    fiscal_year: int,
    operating_amount: int,
    project_amount: int,
    national_share: int,
    city_share: int,
    district_share: int,
) -> FundBudget:
    """Create or change a dong's (or the district's own) budget of a fiscal year; shares must sum to 100."""
    access.require_coordinator(actor, district.id)
    if not 2000 <= fiscal_year <= today_local().year + 2:
        raise ValidationFailed(
            "회계연도를 확인해 주세요.", field="fiscal_year", english="Check the fiscal year."
        )
    operating = _amount(operating_amount, "operating_amount", allow_zero=True)
    project = _amount(project_amount, "project_amount", allow_zero=True)
    shares = (national_share, city_share, district_share)
    if any(share < 0 or share > 100 for share in shares) or sum(shares) != 100:
        raise ValidationFailed(
            f"국비·시비·구비 비율의 합이 100%여야 합니다 (지금 {sum(shares)}%).",
            field="national_share",
            english=f"The national, city and district shares must sum to 100% (now {sum(shares)}%).",
        )
    if dong_id is not None:
        dong = db.session.get(Dong, dong_id)
        if dong is None or dong.district_id != district.id:
            raise ValidationFailed(
                "이 구의 동이 아닙니다.", field="dong", english="Not a dong of this district."
            )
    budget = db.session.scalars(
        sa.select(FundBudget).where(
            FundBudget.district_id == district.id,
            FundBudget.dong_id.is_(None) if dong_id is None else FundBudget.dong_id == dong_id,
            FundBudget.fiscal_year == fiscal_year,
        )
    ).first()
    if budget is None:
        budget = FundBudget(district_id=district.id, dong_id=dong_id, fiscal_year=fiscal_year)
        db.session.add(budget)
    before = {"operating": budget.operating_amount, "project": budget.project_amount}
    budget.operating_amount, budget.project_amount = operating, project
    budget.national_share, budget.city_share, budget.district_share = shares
    budget.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        "fund.budget_saved",
        actor_id=actor.id,
        agency_id=agency_id,
        obj=budget,
        data={
            "dong_id": dong_id,
            "fiscal_year": fiscal_year,
            "before": before,
            "operating": operating,
            "project": project,
            "shares": list(shares),
        },
    )
    return budget


def set_household_cap(district: District, *, actor: Person, agency_id: int | None, cap: int) -> None:
    """Set the district's per-household yearly cap (won)."""
    access.require_coordinator(actor, district.id)
    amount = _amount(cap, "cap")
    before = household_cap(district)
    # A new dict: the JSON column notices reassignment, not an in-place change.
    district.settings = {**(district.settings or {}), CAP_SETTING: amount}
    db.session.flush()
    audit.record(
        "fund.cap_set",
        actor_id=actor.id,
        agency_id=agency_id,
        obj=district,
        data={"before": before, "cap": amount},
    )


def _goal_of_case(case: Case, plan_goal_id: int | None) -> int | None:
    """Return the goal's ID if it belongs to one of the case's plans; refuse another case's goal."""
    if plan_goal_id is None:
        return None
    owner = db.session.scalar(
        sa.select(ServicePlan.case_id)
        .join(PlanGoal, PlanGoal.plan_id == ServicePlan.id)
        .where(PlanGoal.id == plan_goal_id)
    )
    if owner != case.id:
        raise ValidationFailed(
            "이 사례의 서비스제공계획 목표를 골라 주세요.",
            field="plan_goal",
            english="Pick a goal of this case's plan.",
        )
    return plan_goal_id


def _check_room(case: Case, agency: Agency, district: District, fiscal_year: int, total: int) -> None:
    """Refuse a total beyond the household's cap or the dong's remaining 사업비, naming what is left."""
    # Lock the household and the budget rows: two requests at once must not both fit under the cap.
    db.session.execute(sa.select(Household.id).where(Household.id == case.household_id).with_for_update())
    assert agency.dong_id is not None  # noqa: S101 -- a dong centre (checked by access.requesting_centre)
    budget = dong_budget(district.id, agency.dong_id, fiscal_year)
    if budget is None:
        raise ValidationFailed(
            f"{fiscal_year}년 이 동의 사례관리사업비 예산이 아직 없습니다. 구에 예산 배정을 요청해 주세요.",
            field="items",
            english=f"This dong has no case fund budget for {fiscal_year} yet.",
        )
    db.session.execute(sa.select(FundBudget.id).where(FundBudget.id == budget.id).with_for_update())
    cap = household_cap(district)
    remaining = max(cap - household_held(case.household_id, fiscal_year), 0)
    if total > remaining:
        raise ValidationFailed(
            f"가구당 연간 한도({won(cap)})를 넘습니다. 이 가구가 {fiscal_year}년에 더 받을 수 있는 금액은 "
            f"{won(remaining)}입니다 (신청 {won(total)}).",
            field="items",
            english=f"Over the household's yearly cap of {cap:,} won; {remaining:,} won remain.",
        )
    left = max(budget.project_amount - dong_held(agency.dong_id, fiscal_year), 0)
    if total > left:
        raise ValidationFailed(
            f"동의 사례사업비 잔액({won(left)})을 넘습니다 (신청 {won(total)}).",
            field="items",
            english=f"Over the dong's remaining case fund of {left:,} won.",
        )


def request_fund(
    case: Case,
    *,
    actor: Person,
    agency: Agency | None,
    purpose: FundPurpose,
    payee_kind: PayeeKind,
    items: list[tuple[str, int]],
    plan_goal_id: int | None,
    evidence: Evidence | None,
    today: date | None = None,
) -> FundRequest:
    """Ask for 사례사업비 for the case's household: items, purpose, goal, evidence; cap and budget checked.

    ``today`` is the request's local day (the demo's history passes past days; the pages never do).
    """
    centre = access.requesting_centre(actor, agency, case)
    lines: list[tuple[str, int]] = []
    for index, (description, amount) in enumerate(items):
        text = (description or "").strip()
        if not text:
            raise ValidationFailed("항목 내용을 적어 주세요.", field="items", english="Describe every item.")
        lines.append((text[:200], _amount(amount, "items")))
        if index >= MAX_ITEMS:
            raise ValidationFailed("항목은 10개까지입니다.", field="items", english="At most 10 items.")
    if not lines:
        raise ValidationFailed(
            "항목을 하나 이상 적어 주세요.", field="items", english="Add at least one item."
        )
    total = _amount(sum(amount for _, amount in lines), "items")
    goal_id = _goal_of_case(case, plan_goal_id)
    today = today or today_local()
    district = centre.district
    _check_room(case, centre, district, today.year, total)
    attachment_id = None
    if evidence is not None:
        attachment = add_attachment(
            case,
            actor=actor,
            agency_id=centre.id,
            kind=AttachmentKind.scanned_form,
            filename=evidence.name,
            content_type=evidence.content_type,
            data=evidence.data,
        )
        attachment_id = attachment.id
    assert centre.dong_id is not None  # noqa: S101 -- a dong centre (checked by access.requesting_centre)
    request = FundRequest(
        district_id=district.id,
        dong_id=centre.dong_id,
        agency_id=centre.id,
        case_id=case.id,
        household_id=case.household_id,
        plan_goal_id=goal_id,
        attachment_id=attachment_id,
        fiscal_year=today.year,
        purpose=purpose,
        payee_kind=payee_kind,
        total=total,
        status=FundRequestStatus.requested,
        requested_by_id=actor.id,
        requested_on=today,
        items=[
            FundRequestItem(position=position, description=text, amount=amount)
            for position, (text, amount) in enumerate(lines, start=1)
        ],
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "fund.requested",
        actor_id=actor.id,
        agency_id=centre.id,
        obj=request,
        data={"case_id": case.id, "total": total, "purpose": purpose.value, "items": len(lines)},
    )
    return request


Step = Literal["dong", "district"]


def decide(
    request: FundRequest,
    *,
    actor: Person,
    agency_id: int | None,
    step: Step,
    approve: bool,
    reason: str | None,
) -> FundRequest:
    """Approve or return (with a reason) at the 동 내부결재 or the 구 결재; only the role holder may."""
    if step == "dong":
        allowed, expected = access.can_decide_dong(actor, request), FundRequestStatus.requested
        who = "이 동 주민센터의 팀장"
    else:
        allowed, expected = access.can_decide_district(actor, request), FundRequestStatus.dong_approved
        who = "구 통합사례관리 조정자"
    if not allowed:
        raise PermissionDenied(
            f"{who}만 이 결재를 할 수 있습니다.", english="You do not hold the role that decides this step."
        )
    if request.status != expected:
        raise InvalidTransition(
            f"이미 처리된 신청입니다 (지금: {request.status.label}).",
            english="This request is not waiting for this decision.",
        )
    text = (reason or "").strip()
    if not approve and not text:
        raise ValidationFailed(
            "반려 사유를 적어 주세요.", field="reason", english="Give the reason for returning."
        )
    now = now_utc()
    if step == "dong":
        request.dong_decided_by_id, request.dong_decided_at = actor.id, now
        request.status = FundRequestStatus.dong_approved if approve else FundRequestStatus.returned
    else:
        request.district_decided_by_id, request.district_decided_at = actor.id, now
        request.status = FundRequestStatus.approved if approve else FundRequestStatus.returned
    if not approve:
        request.return_reason = text[:2000]
    db.session.flush()
    audit.record(
        f"fund.{step}_{'approved' if approve else 'returned'}",
        actor_id=actor.id,
        agency_id=agency_id,
        obj=request,
        data={"status": request.status.value, "has_reason": bool(text)},
    )
    return request


def record_spend(
    request: FundRequest, *, actor: Person, agency_id: int | None, spent_on: date, amount: int
) -> FundRequest:
    """Record what was paid and when (at most the approved total, not before the request)."""
    if not access.can_record_spend(actor, request):
        raise PermissionDenied(
            "이 동 주민센터 직원이나 구 조정자만 집행을 기록할 수 있습니다.",
            english="Only the dong centre's staff or the coordinator record a spend.",
        )
    if request.status != FundRequestStatus.approved:
        raise InvalidTransition(
            f"구 결재가 끝난 신청만 집행할 수 있습니다 (지금: {request.status.label}).",
            english="Only an approved request can be spent.",
        )
    paid = _amount(amount, "amount")
    if paid > request.total:
        raise ValidationFailed(
            f"집행액은 승인액({won(request.total)})을 넘을 수 없습니다.",
            field="amount",
            english="The spend cannot exceed the approved total.",
        )
    if spent_on < request.requested_on or spent_on > today_local() or spent_on.year != request.fiscal_year:
        raise ValidationFailed(
            "집행일은 신청일부터 오늘까지, 같은 회계연도 안이어야 합니다.",
            field="spent_on",
            english="The spend date must lie between the request and today, in its fiscal year.",
        )
    request.status = FundRequestStatus.spent
    request.spent_on, request.spent_amount, request.spent_by_id = spent_on, paid, actor.id
    db.session.flush()
    audit.record(
        "fund.spent",
        actor_id=actor.id,
        agency_id=agency_id,
        obj=request,
        data={"amount": paid, "spent_on": spent_on.isoformat()},
    )
    return request
