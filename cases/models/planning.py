"""The 서비스제공계획 (ISP) with its goals and services, and the records of its delivery."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.counselling import CounsellingArea, CounsellingMethod, CounsellingSession, CounsellingType
from cases.models.enums import GoalTerm, MonitoringChannel, MonitoringFinding, NeedDomain
from cases.models.pii import _pii
from cases.models.selfplans import ExecutionPhase, PlanKind, SupportDomain
from hamkke.db import Model, TimestampMixin, str_enum


class ServicePlan(TimestampMixin, Model):
    """서비스제공계획 (ISP), versioned: a revision adds a new plan, the old one stays on the record."""

    __tablename__ = "case_service_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    #: which manual's form: seed 001 서비스제공계획 or seed 000 개인별 자활 지원 계획 (ISP)
    kind: Mapped[PlanKind] = mapped_column(
        str_enum(PlanKind, "service_plan_kind"), default=PlanKind.integrated
    )
    #: horizon chosen first (3 months to 5 years: the seed-000 ISP runs while the participant works)
    horizon_months: Mapped[int]
    client_role: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    family_role: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: date of the written agreement signed face to face; None while the plan is a draft
    agreed_on: Mapped[date | None]
    #: why this version replaced the previous one; None on the first version
    revision_reason: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.id"
    )
    services: Mapped[list[PlanService]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanService.id"
    )


class PlanGoal(Model):
    """A goal of a plan: per need domain and term (seed 001) or per support domain and rank (seed 000)."""

    __tablename__ = "case_plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_service_plans.id", ondelete="CASCADE"), index=True
    )
    #: the need domain (seed 001, and seed 000 goals tied to a need); None on a seed-000 goal without one
    domain: Mapped[NeedDomain | None] = mapped_column(str_enum(NeedDomain, "goal_domain"))
    #: 구분 of the seed-000 ISP (근로 지원 / 복지서비스 지원); None on a seed-001 plan
    support_domain: Mapped[SupportDomain | None] = mapped_column(
        str_enum(SupportDomain, "goal_support_domain")
    )
    #: 순위 within the domain (1–3)
    rank: Mapped[int | None]
    term: Mapped[GoalTerm] = mapped_column(str_enum(GoalTerm, "goal_term"))
    #: 참여자의 제시된 욕구(애로사항), in the participant's own words
    participant_words: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: 합의된 목표
    statement: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    target_on: Mapped[date]

    plan: Mapped[ServicePlan] = relationship(back_populates="goals")
    #: loaded with the goals (selectin): the gate copies each goal's services into its record, and a
    #: page must not issue one query per goal
    services: Mapped[list[PlanService]] = relationship(
        back_populates="goal", order_by="PlanService.id", lazy="selectin"
    )


class PlanService(Model):
    """A planned service for a goal (자활지원계획): provider, 양, 기간, 강도, 실행점검 and its result."""

    __tablename__ = "case_plan_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_service_plans.id", ondelete="CASCADE"), index=True
    )
    #: the goal the service serves; None only on plans written before goals carried their services
    goal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_plan_goals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200), info=_pii("service_history"))
    provider_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: provider in words when it is not in the network (이웃, 종교단체 …)
    provider_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: 양, e.g. 주 1회
    quantity: Mapped[str] = mapped_column(sa.String(100))
    #: 기간 in months (kept for the counts; derived from the period on new plans)
    duration_months: Mapped[int]
    #: 실행기간: first and last day of the service
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    #: 강도, e.g. 집중 / 보통 / 가벼움
    intensity: Mapped[str] = mapped_column(sa.String(40))
    #: 실행점검: ticked in the delivery stage (when, by whom, in which phase, with a note)
    checked_on: Mapped[date | None]
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    check_phase: Mapped[ExecutionPhase | None] = mapped_column(
        str_enum(ExecutionPhase, "service_check_phase")
    )
    check_note: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: the conference proposal this service was accepted from
    proposal_id: Mapped[int | None]
    result: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    result_on: Mapped[date | None]

    plan: Mapped[ServicePlan] = relationship(back_populates="services")
    goal: Mapped[PlanGoal | None] = relationship(back_populates="services")


class CounsellingLog(TimestampMixin, Model):
    """상담일지 (필수서식7) of one case: a session's record for this case; opinion apart from facts.

    The date, method and minutes are the session's, copied so the staleness checks and the case
    statistics read one table; a group session has one log per case and one `CounsellingSession`.
    """

    __tablename__ = "case_counselling_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_counselling_sessions.id", ondelete="CASCADE"), index=True
    )
    contacted_on: Mapped[date] = mapped_column(index=True)
    #: 상담 시작 시각 (local time), when noted
    starts_at: Mapped[time | None]
    channel: Mapped[MonitoringChannel] = mapped_column(str_enum(MonitoringChannel, "monitoring_channel"))
    method: Mapped[CounsellingMethod] = mapped_column(str_enum(CounsellingMethod, "log_contact_method"))
    #: 상담영역: who was counselled (본인, 가족 …)
    area: Mapped[CounsellingArea] = mapped_column(str_enum(CounsellingArea, "counselling_area"))
    counselling_type: Mapped[CounsellingType] = mapped_column(str_enum(CounsellingType, "counselling_type"))
    #: 상담시간, 10–180 minutes (the session's real time, not multiplied by the group's size)
    minutes: Mapped[int]
    #: 상담장소 (기관 상담실, 대상자 자택 …): a place, not an address
    place: Mapped[str | None] = mapped_column(sa.String(200))
    #: 참여자: who took part for this case (본인, 배우자 …)
    participant_names: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("counselling"))
    purpose: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 상담내용: service and intervention given and the client's change (summary recording)
    content: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 상담자 의견1
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    worker_opinion_2: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    worker_opinion_3: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    result: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 비고
    remarks: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    finding: Mapped[MonitoringFinding] = mapped_column(
        str_enum(MonitoringFinding, "monitoring_finding"), default=MonitoringFinding.on_track
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    session: Mapped[CounsellingSession] = relationship()


class ServiceCheck(TimestampMixin, Model):
    """A check of a planned service on 충분성, 적절성, 효율성 (1 = 매우 부족 … 4 = 충분)."""

    __tablename__ = "case_service_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    plan_service_id: Mapped[int] = mapped_column(sa.ForeignKey("case_plan_services.id", ondelete="CASCADE"))
    checked_on: Mapped[date]
    sufficiency: Mapped[int]
    appropriateness: Mapped[int]
    efficiency: Mapped[int]
    note: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    __table_args__ = (
        sa.CheckConstraint(
            "sufficiency BETWEEN 1 AND 4 AND appropriateness BETWEEN 1 AND 4 AND efficiency BETWEEN 1 AND 4",
            name="scores_1_to_4",
        ),
    )
