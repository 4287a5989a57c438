"""개인별 자립 계획 (IAP, 필수서식4): versions written with the participant, 1- and 5-year horizons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case, CaseStage
from cases.models.selfplans import IndividualActionPlan, TargetPath
from cases.services.common import _event, _optional, _past, _require_stage, _text
from cases.services.planning import add_months
from hamkke.db import db
from hamkke.errors import ValidationFailed

#: 단기목표 is reached within 1 year, 장기목표 within 5 years (seed 000 L1460–1467)
SHORT_TERM_MONTHS = 12
LONG_TERM_MONTHS = 60


@dataclass(frozen=True)
class ActionPlanInput:
    """The IAP as typed: header, 자가진단, 자신의 자활계획 and the agreed path."""

    counselled_on: date | None
    weaknesses: str
    strengths: str
    short_term_goal: str
    short_term_target_on: date | None
    long_term_goal: str
    long_term_target_on: date | None
    target_path: TargetPath
    target_path_other: str | None = None
    help_wanted: str | None = None
    security_type: str | None = None
    work_team: str | None = None
    written_by_participant: bool = True
    proxy_reason: str | None = None
    agreed_on: date | None = None
    revision_reason: str | None = None


def _horizon_dates(data: ActionPlanInput, counselled_on: date) -> tuple[date, date]:
    """Check the two target dates against their horizons (1 year, 5 years) counted from the counselling."""
    short, long = data.short_term_target_on, data.long_term_target_on
    if short is None:
        raise ValidationFailed("단기목표의 목표일을 적어 주세요.", field="short_term_target_on")
    if long is None:
        raise ValidationFailed("장기목표의 목표일을 적어 주세요.", field="long_term_target_on")
    if short < counselled_on or short > add_months(counselled_on, SHORT_TERM_MONTHS):
        raise ValidationFailed(
            "단기목표는 상담일부터 1년 이내에 달성할 목표입니다.",
            field="short_term_target_on",
            english="The short-term goal is reached within one year.",
        )
    if long < short:
        raise ValidationFailed("장기목표의 목표일이 단기목표보다 빠릅니다.", field="long_term_target_on")
    if long > add_months(counselled_on, LONG_TERM_MONTHS):
        raise ValidationFailed(
            "장기목표는 상담일부터 5년 이내에 달성할 목표입니다.",
            field="long_term_target_on",
            english="The long-term goal is reached within five years.",
        )
    return short, long


def write_action_plan(
    case: Case, data: ActionPlanInput, *, actor: Person, agency_id: int | None
) -> IndividualActionPlan:
    """Write an IAP version; a revision needs its reason and leaves the earlier versions as they were."""
    _require_stage(
        case, CaseStage.assessment, CaseStage.planning, CaseStage.delivery, what="개인별 자립 계획"
    )
    counselled_on = _past(data.counselled_on, "counselled_on", "상담일자")
    short, long = _horizon_dates(data, counselled_on)
    if data.target_path == TargetPath.other and not (data.target_path_other or "").strip():
        raise ValidationFailed("기타 목표경로를 적어 주세요.", field="target_path_other")
    if not data.written_by_participant and not (data.proxy_reason or "").strip():
        raise ValidationFailed(
            "사례관리사가 대리 기록한 사유(참여자 동의)를 적어 주세요.", field="proxy_reason"
        )
    agreed_on = _past(data.agreed_on, "agreed_on", "서명일") if data.agreed_on else None
    if agreed_on is not None and agreed_on < counselled_on:
        raise ValidationFailed("서명일이 상담일자보다 빠릅니다.", field="agreed_on")
    previous = db.session.scalar(
        sa.select(sa.func.max(IndividualActionPlan.version)).where(IndividualActionPlan.case_id == case.id)
    )
    plan = IndividualActionPlan(
        case_id=case.id,
        version=(previous or 0) + 1,
        counsellor_id=actor.id,
        counselled_on=counselled_on,
        security_type=_optional(data.security_type, "security_type", "보장구분", 60),
        work_team=_optional(data.work_team, "work_team", "사업단명", 100),
        weaknesses=_text(data.weaknesses, "weaknesses", "단점"),
        strengths=_text(data.strengths, "strengths", "장점"),
        short_term_goal=_text(data.short_term_goal, "short_term_goal", "단기목표"),
        short_term_target_on=short,
        long_term_goal=_text(data.long_term_goal, "long_term_goal", "장기목표"),
        long_term_target_on=long,
        target_path=data.target_path,
        target_path_other=_optional(data.target_path_other, "target_path_other", "기타 목표경로", 200)
        if data.target_path == TargetPath.other
        else None,
        help_wanted=_optional(data.help_wanted, "help_wanted", "도움을 받고 싶은 것"),
        written_by_participant=data.written_by_participant,
        proxy_reason=None
        if data.written_by_participant
        else _text(data.proxy_reason, "proxy_reason", "대리 기록 사유", 200),
        agreed_on=agreed_on,
        revision_reason=_text(data.revision_reason, "revision_reason", "변경 사유", required=bool(previous))
        or None,
        created_by_id=actor.id,
    )
    db.session.add(plan)
    db.session.flush()
    _event(
        case,
        "action_plan",
        actor=actor,
        agency_id=agency_id,
        data={"plan_id": plan.id, "version": plan.version},
    )
    return plan
