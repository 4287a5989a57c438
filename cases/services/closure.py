"""Closure and follow-up: the 종결심사, a supervisor's approval, the 사후관리 plan and its outcome."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, Person, StaffRole
from cases.models import (
    Case,
    CaseStage,
    ClosureReview,
    ClosureType,
    FollowUpMethod,
    FollowUpOutcome,
    FollowUpPlan,
)
from cases.services.common import _event, _optional, _past, _require_stage, _staff_of, _text
from hamkke.db import db
from hamkke.errors import PermissionDenied, ValidationFailed
from hamkke.time import now_utc


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
