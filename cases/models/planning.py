"""The 서비스제공계획 (ISP) with its goals and services, and the records of its delivery."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.counselling import CounsellingArea, CounsellingMethod, CounsellingSession, CounsellingType
from cases.models.enums import GoalTerm, MonitoringChannel, MonitoringFinding, NeedDomain
from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin, str_enum


class ServicePlan(TimestampMixin, Model):
    """서비스제공계획 (ISP), versioned: a revision adds a new plan, the old one stays on the record."""

    __tablename__ = "case_service_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    #: horizon chosen first (1 year, 6 months, 3 months)
    horizon_months: Mapped[int]
    client_role: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    family_role: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: date of the written agreement signed face to face; None while the plan is a draft
    agreed_on: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.id"
    )
    services: Mapped[list[PlanService]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanService.id"
    )


class PlanGoal(Model):
    """A long- or short-term goal of a plan, per need domain, with a target date."""

    __tablename__ = "case_plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_service_plans.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[NeedDomain] = mapped_column(str_enum(NeedDomain, "goal_domain"))
    term: Mapped[GoalTerm] = mapped_column(str_enum(GoalTerm, "goal_term"))
    statement: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    target_on: Mapped[date]

    plan: Mapped[ServicePlan] = relationship(back_populates="goals")


class PlanService(Model):
    """A planned service or intervention; shows its result or stays "결과 대기"."""

    __tablename__ = "case_plan_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_service_plans.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), info=_pii("service_history"))
    provider_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: provider in words when it is not in the network (이웃, 종교단체 …)
    provider_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: 양, e.g. 주 1회
    quantity: Mapped[str] = mapped_column(sa.String(100))
    #: 기간 in months
    duration_months: Mapped[int]
    #: 강도, e.g. 집중 / 보통 / 가벼움
    intensity: Mapped[str] = mapped_column(sa.String(40))
    result: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    result_on: Mapped[date | None]

    plan: Mapped[ServicePlan] = relationship(back_populates="services")


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
