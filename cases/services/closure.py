"""Closure: the 종결심사, a supervisor's approval, the 종결보고서, the 사후관리 plan and its outcome."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, Person, StaffRole
from cases.models import (
    Case,
    CaseStage,
    ClosureReport,
    ClosureReview,
    ClosureType,
    FollowUpMethod,
    FollowUpOutcome,
    FollowUpPlan,
)
from cases.services.common import _event, _optional, _past, _require_stage, _staff_of, _text
from hamkke.db import db
from hamkke.errors import InvalidTransition, PermissionDenied, ValidationFailed
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
    history_summary: str | None = None,
    current_situation: str | None = None,
    main_services: str | None = None,
    worker_opinion: str | None = None,
) -> FollowUpPlan:
    """Write the 사후관리 계획서 (활용서식12): method, period and texts, agreed with the client."""
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
        history_summary=_optional(history_summary, "history_summary", "주요 사례관리 이력"),
        current_situation=_optional(current_situation, "current_situation", "현상황 요약"),
        main_services=_optional(main_services, "main_services", "주요 서비스 내용"),
        worker_opinion=_optional(worker_opinion, "worker_opinion", "사례관리사 의견"),
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


#: stages in which the 종결보고서 can be written: the case has been decided closed (종결)
REPORTABLE_STAGES = (CaseStage.follow_up, CaseStage.closed)


def write_closure_report(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    written_on: date,
    current_status: str,
    closure_reason: str,
    benefit_category_at_closure: str | None = None,
    follow_up_plan_note: str | None = None,
    participant_opinion: str | None = None,
    worker_opinion: str | None = None,
    notes: str | None = None,
) -> ClosureReport:
    """Write the 종결보고서 (필수서식10) of a case decided closed; a later one supersedes, both are kept."""
    if case.stage not in REPORTABLE_STAGES or case.closed_on is None:
        raise InvalidTransition(
            "종결보고서는 종결이 결정된 뒤(사후관리 또는 종결 단계)에 씁니다.",
            english="Write the closure report once the case has been decided closed.",
        )
    written = _past(written_on, "written_on", "작성일자")
    if written < case.closed_on:
        raise ValidationFailed("작성일자는 종결일자 이후여야 합니다.", field="written_on")
    report = ClosureReport(
        case_id=case.id,
        written_on=written,
        author_id=actor.id,
        current_status=_text(current_status, "current_status", "현재상태"),
        closure_reason=_text(closure_reason, "closure_reason", "종결사유"),
        benefit_category_at_closure=_optional(
            benefit_category_at_closure, "benefit_category_at_closure", "보장구분(종결시점)", limit=60
        ),
        follow_up_plan_note=_optional(follow_up_plan_note, "follow_up_plan_note", "사후관리 계획"),
        participant_opinion=_optional(participant_opinion, "participant_opinion", "참여자의견"),
        worker_opinion=_optional(worker_opinion, "worker_opinion", "사례관리사의견"),
        notes=_optional(notes, "notes", "비고"),
    )
    db.session.add(report)
    db.session.flush()
    _event(case, "closure_report", actor=actor, agency_id=agency_id, data={"report_id": report.id})
    return report
