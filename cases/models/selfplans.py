"""개인별 자립 계획 (IAP, 필수서식4) and the ISP's own codes, and conference ISP items as proposals.

The ISP itself stays `cases.models.planning.ServicePlan` (one table for both manuals, told apart by
``kind``); this module adds what seed 000 adds to it: the two support domains, the 실행점검 phase,
the IAP with its 1- and 5-year horizons, and the proposals a conference sends to a case's plan.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cases.models.enums import Labelled, _labelled
from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum


class PlanKind(Labelled):
    """Which manual's plan form a plan follows."""

    #: seed 001 서비스제공계획 (goals per need domain, long and short term)
    integrated = "integrated"
    #: seed 000 필수서식5 개인별 자활 지원 계획 (근로 지원 / 복지서비스 지원, up to 3 goals each)
    jahwal = "jahwal"


_labelled(PlanKind, {"integrated": "서비스제공계획", "jahwal": "개인별 자활 지원 계획(ISP)"})


class SupportDomain(Labelled):
    """구분 of the seed-000 ISP: the two support domains."""

    work = "work"
    welfare = "welfare"


_labelled(SupportDomain, {"work": "근로 지원", "welfare": "복지서비스 지원"})


class ExecutionPhase(Labelled):
    """실행점검 of the seed-000 ISP: the phase in which the service was delivered."""

    gateway = "gateway"
    work_team = "work_team"


_labelled(ExecutionPhase, {"gateway": "게이트", "work_team": "사업단"})


class TargetPath(Labelled):
    """목표경로 of the IAP (합의된 자활경로)."""

    general_employment = "general_employment"
    jahwal_employment = "jahwal_employment"
    general_startup = "general_startup"
    jahwal_startup = "jahwal_startup"
    other = "other"


_labelled(
    TargetPath,
    {
        "general_employment": "일반기업 취업",
        "jahwal_employment": "자활기업 취업",
        "general_startup": "일반기업 창업",
        "jahwal_startup": "자활기업 창업",
        "other": "기타",
    },
)


class ProposalStatus(Labelled):
    """The fate of a conference's ISP item on the case's plan."""

    pending = "pending"
    accepted = "accepted"
    declined = "declined"


_labelled(ProposalStatus, {"pending": "검토 대기", "accepted": "계획에 반영", "declined": "반영하지 않음"})


class IndividualActionPlan(TimestampMixin, Model):
    """개인별 자립 계획 (IAP, 필수서식4), versioned: a revision adds a row, the old one stays readable."""

    __tablename__ = "case_action_plans"
    __table_args__ = (sa.UniqueConstraint("case_id", "version", name="uq_action_plan_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    #: 상담자 and 상담일자 of the ■ IAP(자립경로) header
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    counselled_on: Mapped[date]
    #: 보장구분 (e.g. 조건부수급자) and 사업단명 of the header
    security_type: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("service_history"))
    work_team: Mapped[str | None] = mapped_column(sa.String(100))
    #: ■ 자가진단: 단점 (문제점, 취업 장애요인) and 장점 (잘하는 것, 하고 싶은 것)
    weaknesses: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    strengths: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    #: ■ 자신의 자활계획: 단기목표 (1년 이내) and 장기목표 (5년 이내), each with its target date
    short_term_goal: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    short_term_target_on: Mapped[date]
    long_term_goal: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    long_term_target_on: Mapped[date]
    #: ■ 합의된 자활경로 및 요청사항: 목표경로 (기타 in words) and 도움을 받고 싶은 것
    target_path: Mapped[TargetPath] = mapped_column(str_enum(TargetPath, "iap_target_path"))
    target_path_other: Mapped[str | None] = mapped_column(sa.String(200))
    help_wanted: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: the participant writes the IAP; the worker may write it for an illiterate participant who agrees
    written_by_participant: Mapped[bool] = mapped_column(default=True)
    proxy_reason: Mapped[str | None] = mapped_column(sa.String(200))
    #: the day the participant signed the agreed plan; None while it is a draft
    agreed_on: Mapped[date | None]
    #: why this version replaced the previous one (재사정, 욕구 변화 …); None on the first
    revision_reason: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class PlanProposal(TimestampMixin, Model):
    """An ISP item a conference gave an agency's role, waiting for the case worker to accept or decline."""

    __tablename__ = "case_plan_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: the conference role assignment the item came with (no FK: conference sits above the cases core)
    role_assignment_id: Mapped[int] = mapped_column(index=True)
    #: the agency whose role carries the item: the service's provider once accepted
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    service: Mapped[str] = mapped_column(sa.String(200), info=_pii("service_history"))
    quantity: Mapped[str] = mapped_column(sa.String(100), default="")
    duration: Mapped[str] = mapped_column(sa.String(100), default="")
    intensity: Mapped[str] = mapped_column(sa.String(40), default="")
    due_on: Mapped[date | None]
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "plan_proposal_status"), default=ProposalStatus.pending
    )
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: the plan version the acceptance created
    accepted_plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_service_plans.id", ondelete="SET NULL")
    )
