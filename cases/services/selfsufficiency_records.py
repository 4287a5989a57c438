"""The 자활 track's forms: 필수서식6, 활용서식5 and 11 per case, 활용서식3/4 per course of the centre.

Each service takes the form's values already typed by Flask-WTF, checks the manual's rules
(dates in order, the outcome's details, score ranges), adds the record, flushes and writes the
timeline event and the audit row; nothing commits here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from agencies.models import Agency, AgencyType, Person
from cases.models import Case
from cases.models.selfsufficiency import (
    FIELD_LEARNING_PASS,
    BudgetCategory,
    CourseBudgetLine,
    CourseSession,
    CourseStage,
    DropoutReason,
    EducationCourse,
    EmploymentConfirmation,
    FieldLearningEvaluation,
    GatewayClosureReport,
    GatewayOutcome,
)
from cases.queries.selfsufficiency import is_selfsufficiency_case
from cases.services.common import _event, _past
from hamkke import audit
from hamkke.db import db
from hamkke.errors import ValidationFailed

#: the nine items of 활용서식5, in the form's order
FIELD_LEARNING_ITEMS = (
    "fitness",
    "understanding",
    "initiative",
    "punctuality",
    "kindness",
    "diligence",
    "cooperation",
    "listening",
    "positivity",
)
#: the eight 규정준수 breaches of 활용서식5
BREACHES = (
    "breach_hygiene",
    "breach_rough",
    "breach_drinking",
    "breach_absence",
    "breach_property",
    "breach_theft",
    "breach_conflict",
    "breach_complaint",
)
#: 세부종결결과: the details each outcome needs (field, Korean label)
OUTCOME_DETAILS: dict[GatewayOutcome, tuple[tuple[str, str], ...]] = {
    GatewayOutcome.employment: (("company_name", "업체명"), ("industry", "업종")),
    GatewayOutcome.enterprise: (("company_name", "업체명"), ("industry", "업종")),
    GatewayOutcome.startup: (("startup_on", "창업개시일자"), ("trade_name", "상호명")),
    GatewayOutcome.work_team: (("outcome_team_name", "사업단명"),),
    GatewayOutcome.pilot_team: (("outcome_team_name", "사업단명"),),
}


def _require_centre_case(case: Case) -> None:
    if not is_selfsufficiency_case(case):
        raise ValidationFailed("자활 서식은 지역자활센터의 사례에서만 작성합니다.", field="case")


def _order(first: date | None, second: date | None, field: str, message: str) -> None:
    if first is not None and second is not None and second < first:
        raise ValidationFailed(message, field=field)


def record_gateway_closure_report(
    case: Case, values: Mapping[str, Any], *, actor: Person, agency_id: int | None
) -> GatewayClosureReport:
    """Add a 게이트웨이 종결보고서 (필수서식6): the outcome's details and the drop-out reason are required."""
    _require_centre_case(case)
    _past(values.get("written_on"), "written_on", "작성일")
    if not values.get("benefit_types"):
        raise ValidationFailed("수급유형을 하나 이상 골라 주세요.", field="benefit_types")
    if "other" in values["benefit_types"] and not (values.get("benefit_other") or "").strip():
        raise ValidationFailed("기타 수급유형을 적어 주세요.", field="benefit_other")
    _order(
        values.get("field_started_on"),
        values.get("field_ended_on"),
        "field_ended_on",
        "현장학습 참여종료일은 참여시작일보다 이를 수 없습니다.",
    )
    outcome = GatewayOutcome(values["closure_outcome"])
    for name, label in OUTCOME_DETAILS.get(outcome, ()):
        if values.get(name) in (None, ""):
            raise ValidationFailed(f"종결여부가 '{outcome.label}'이면 {label}도 적어 주세요.", field=name)
    reason = values.get("dropout_reason") or None
    if outcome == GatewayOutcome.dropout and reason is None:
        raise ValidationFailed("중도탈락이면 중도탈락사유를 골라 주세요.", field="dropout_reason")
    if outcome != GatewayOutcome.dropout and reason is not None:
        raise ValidationFailed(
            "중도탈락사유는 종결여부가 '중도탈락'일 때만 고릅니다.", field="dropout_reason"
        )
    report = GatewayClosureReport(
        case_id=case.id,
        created_by_id=actor.id,
        **{**values, "closure_outcome": outcome, "dropout_reason": DropoutReason(reason) if reason else None},
    )
    db.session.add(report)
    db.session.flush()
    _event(case, "jahwal_form", actor=actor, agency_id=agency_id, note="게이트웨이 종결보고서 (필수서식6)")
    return report


def record_field_learning(
    case: Case, values: Mapping[str, Any], *, actor: Person, agency_id: int | None
) -> FieldLearningEvaluation:
    """Add a 현장학습 평가서 (활용서식5); the total of the nine 1–4 items is computed (25 or more: 적합)."""
    _require_centre_case(case)
    _past(values.get("period_start"), "period_start", "평가기간 시작일")
    _order(
        values["period_start"], values.get("period_end"), "period_end", "평가기간의 끝이 시작보다 이릅니다."
    )
    _past(values.get("period_end"), "period_end", "평가기간 종료일")
    for name in FIELD_LEARNING_ITEMS:
        if not 1 <= int(values[name]) <= 4:
            raise ValidationFailed("점수는 1점에서 4점 사이입니다.", field=name)
    total = sum(int(values[name]) for name in FIELD_LEARNING_ITEMS)
    record = FieldLearningEvaluation(case_id=case.id, created_by_id=actor.id, score_total=total, **values)
    db.session.add(record)
    db.session.flush()
    verdict = "적합" if total >= FIELD_LEARNING_PASS else "부적합"
    _event(
        case,
        "jahwal_form",
        actor=actor,
        agency_id=agency_id,
        note=f"현장학습 평가서 (활용서식5): {total}/36점, {verdict}",
    )
    return record


def record_employment_confirmation(
    case: Case, values: Mapping[str, Any], *, actor: Person, agency_id: int | None
) -> EmploymentConfirmation:
    """Add a 취업확인서 (활용서식11): dates in order, the 고용보험 number only with 고용보험."""
    _require_centre_case(case)
    _order(
        values.get("employed_on"),
        values.get("left_on"),
        "left_on",
        "퇴직일자는 취업일자보다 이를 수 없습니다.",
    )
    _past(values.get("confirmed_on"), "confirmed_on", "확인일")
    if values.get("employment_insurance_number") and not values.get("employment_insurance"):
        raise ValidationFailed(
            "고용보험 사업장관리번호는 고용보험에 가입했을 때 적습니다.", field="employment_insurance_number"
        )
    if values.get("total_hours") is not None and values["total_hours"] < values["weekly_hours"]:
        raise ValidationFailed("총 근무시간이 주당 근무시간보다 적습니다.", field="total_hours")
    record = EmploymentConfirmation(case_id=case.id, created_by_id=actor.id, **values)
    db.session.add(record)
    db.session.flush()
    _event(case, "jahwal_form", actor=actor, agency_id=agency_id, note="취업확인서 (활용서식11)")
    return record


@dataclass(frozen=True)
class BudgetRow:
    """One budget row as typed in the form (won)."""

    category: BudgetCategory
    item: str
    sub_item: str | None
    sub_sub_item: str | None
    amount: int
    basis: str | None
    requested: int
    own_share: int
    own_source: str | None = None


@dataclass(frozen=True)
class SessionRow:
    """One programme row as typed in the form."""

    starts_at: time
    ends_at: time
    content: str
    person: str
    note: str | None


def _rows(
    course: EducationCourse,
    stage: CourseStage,
    budget: Sequence[BudgetRow],
    sessions: Sequence[SessionRow],
) -> None:
    if not sessions:
        raise ValidationFailed("교육내용을 한 줄 이상 적어 주세요.", field="sessions")
    for index, line in enumerate(budget):
        if line.requested + line.own_share != line.amount:
            raise ValidationFailed(
                "신청금액과 자부담을 더하면 계와 같아야 합니다.", field=f"budget-{index}-amount"
            )
        course.budget_lines.append(CourseBudgetLine(stage=stage, **vars(line)))
    previous: time | None = None
    for index, row in enumerate(sessions):
        if row.ends_at <= row.starts_at or (previous is not None and row.starts_at < previous):
            raise ValidationFailed("교육시간이 앞뒤가 맞지 않습니다.", field=f"sessions-{index}-ends_at")
        previous = row.ends_at
        course.sessions.append(CourseSession(stage=stage, **vars(row)))


def create_course(
    agency: Agency,
    values: Mapping[str, Any],
    budget: Sequence[BudgetRow],
    sessions: Sequence[SessionRow],
    *,
    actor: Person,
) -> EducationCourse:
    """Add a 게이트웨이 교육계획서 (활용서식3) of a 지역자활센터."""
    if agency.type != AgencyType.self_sufficiency_centre:
        raise ValidationFailed("교육계획서는 지역자활센터가 작성합니다.", field="title")
    if values["ends_at"] <= values["starts_at"]:
        raise ValidationFailed("교육 끝나는 시각이 시작보다 이릅니다.", field="ends_at")
    course = EducationCourse(agency_id=agency.id, created_by_id=actor.id, **values)
    _rows(course, CourseStage.plan, budget, sessions)
    db.session.add(course)
    db.session.flush()
    audit.record("selfsufficiency.course_planned", actor_id=actor.id, agency_id=agency.id, obj=course)
    return course


def report_course(
    course: EducationCourse,
    values: Mapping[str, Any],
    budget: Sequence[BudgetRow],
    sessions: Sequence[SessionRow],
    *,
    actor: Person,
) -> EducationCourse:
    """Write the 교육 결과 보고서 (활용서식4) of a held course; a second report replaces the first."""
    if values.get("reported_on") is not None and values["reported_on"] < course.held_on:
        raise ValidationFailed("결과보고일은 교육일보다 이를 수 없습니다.", field="reported_on")
    _past(values.get("reported_on"), "reported_on", "결과보고일")
    course.budget_lines = [line for line in course.budget_lines if line.stage == CourseStage.plan]
    course.sessions = [row for row in course.sessions if row.stage == CourseStage.plan]
    for name, value in values.items():
        setattr(course, name, value)
    _rows(course, CourseStage.result, budget, sessions)
    db.session.flush()
    audit.record("selfsufficiency.course_reported", actor_id=actor.id, agency_id=course.agency_id, obj=course)
    return course
