"""Closure: the 종결심사 record and the 사후관리 plan with its outcome."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cases.models.enums import ClosureType, FollowUpMethod, FollowUpOutcome
from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum


class ClosureReview(TimestampMixin, Model):
    """종결심사회의 record (활용서식10) with at least the case worker and a supervisor."""

    __tablename__ = "case_closure_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[date]
    closure_type: Mapped[ClosureType] = mapped_column(str_enum(ClosureType, "closure_type"))
    #: 단기/장기 달성여부, 1–4
    short_term_achievement: Mapped[int]
    long_term_achievement: Mapped[int]
    review_opinion: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    case_worker_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: other attendees (providers, the client), in words
    other_attendees: Mapped[str | None] = mapped_column(sa.Text)
    #: day the client was told of the planned closure (about a month ahead)
    notice_given_on: Mapped[date | None]
    planned_closure_on: Mapped[date]
    #: a supervisor's approval, required when the case is flagged for life or safety
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(
            "short_term_achievement BETWEEN 1 AND 4 AND long_term_achievement BETWEEN 1 AND 4",
            name="achievement_1_to_4",
        ),
    )


class FollowUpPlan(TimestampMixin, Model):
    """사후관리 계획서 (활용서식12) and its outcome."""

    __tablename__ = "case_follow_up_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    method: Mapped[FollowUpMethod] = mapped_column(str_enum(FollowUpMethod, "follow_up_method"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    services_needed: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    outcome: Mapped[FollowUpOutcome | None] = mapped_column(str_enum(FollowUpOutcome, "follow_up_outcome"))
    outcome_on: Mapped[date | None]
    outcome_note: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    referred_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: 주요 사례관리 이력: what the case management did, in short
    history_summary: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: 현상황 요약 at the start of the follow-up
    current_situation: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 주요 서비스 내용 during the follow-up
    main_services: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: 사례관리사 의견
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))


class ClosureReport(TimestampMixin, Model):
    """종결보고서 (필수서식10), written once the case is closed; names and dates come from the record."""

    __tablename__ = "case_closure_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    written_on: Mapped[date]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: 현재상태 of the participant at closure (취업, 창업, 타 기관 이용 …)
    current_status: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 종결사유 in words (the 종결 유형 is on the 종결심사회의 record)
    closure_reason: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 보장구분(종결시점): the benefit category as it stood at closure, kept even if it changes later
    benefit_category_at_closure: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("economic"))
    #: 사후관리 계획, in short
    follow_up_plan_note: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    participant_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 비고
    notes: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
