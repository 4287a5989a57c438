"""Households, clients and cases: the records conferences, referrals and consents point at."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkke.db import Model, SoftDeleteMixin, TimestampMixin, str_enum


class CaseStage(enum.StrEnum):
    """Stages of the case process shared by both manuals (발굴 → 사후관리)."""

    intake_pending = "intake_pending"
    initial_counselling = "initial_counselling"
    assessment = "assessment"
    selection = "selection"
    planning = "planning"
    delivery = "delivery"
    closure_review = "closure_review"
    follow_up = "follow_up"
    closed = "closed"
    not_selected = "not_selected"

    @property
    def label(self) -> str:
        """Korean name of the stage."""
        return CASE_STAGE_LABELS[self]


CASE_STAGE_LABELS: dict[CaseStage, str] = {
    CaseStage.intake_pending: "접수/발굴",
    CaseStage.initial_counselling: "초기상담",
    CaseStage.assessment: "욕구·위기도 사정",
    CaseStage.selection: "선정",
    CaseStage.planning: "서비스제공계획",
    CaseStage.delivery: "실행·점검",
    CaseStage.closure_review: "종결심사",
    CaseStage.follow_up: "사후관리",
    CaseStage.closed: "종결",
    CaseStage.not_selected: "미선정",
}


class CaseType(enum.StrEnum):
    """위기 / 일반 / 통합 (seed 001)."""

    crisis = "crisis"
    general = "general"
    integrated = "integrated"


class CaseIntensity(enum.StrEnum):
    """단순 / 집중 / 위기 (seed 004); drives the monitoring cadence."""

    simple = "simple"
    intensive = "intensive"
    crisis = "crisis"


class Household(TimestampMixin, SoftDeleteMixin, Model):
    """A household served by the network; its members are clients."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the agency that collected this record and answers for it
    owning_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    dong_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dongs.id"), index=True)
    #: household type as the district counts it (seed 004), e.g. 경제적 어려움
    household_type: Mapped[str | None] = mapped_column(sa.String(60))

    members: Mapped[list[Client]] = relationship(back_populates="household")


class Client(TimestampMixin, SoftDeleteMixin, Model):
    """A person served (대상자); personal columns are read only through the consent gate."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    owning_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: 기본정보
    name: Mapped[str] = mapped_column(sa.String(100), info={"pii": True, "field_group": "basic"})
    sex: Mapped[str | None] = mapped_column(sa.String(10), info={"pii": True, "field_group": "basic"})
    birth_date: Mapped[date | None] = mapped_column(info={"pii": True, "field_group": "basic"})
    phone: Mapped[str | None] = mapped_column(sa.String(40), info={"pii": True, "field_group": "basic"})
    address: Mapped[str | None] = mapped_column(sa.String(300), info={"pii": True, "field_group": "basic"})
    #: relationship to the head of household (본인, 배우자, 자녀, …)
    relationship_to_head: Mapped[str | None] = mapped_column(sa.String(30), info={"field_group": "household"})
    #: the main client (주요 클라이언트) chosen for the household
    is_main_client: Mapped[bool] = mapped_column(default=False)

    household: Mapped[Household] = relationship(back_populates="members")


class Case(TimestampMixin, SoftDeleteMixin, Model):
    """A household's case in the process, owned by one agency and possibly led by another."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    main_client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    owning_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: 주 사례관리기관, decided in a conference
    lead_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    case_worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    dong_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dongs.id"), index=True)
    stage: Mapped[CaseStage] = mapped_column(
        str_enum(CaseStage, "case_stage"), default=CaseStage.intake_pending, index=True
    )
    case_type: Mapped[CaseType] = mapped_column(str_enum(CaseType, "case_type"), default=CaseType.general)
    intensity: Mapped[CaseIntensity] = mapped_column(
        str_enum(CaseIntensity, "case_intensity"), default=CaseIntensity.simple
    )
    #: date the case was registered (접수일), local date
    opened_on: Mapped[date]

    household: Mapped[Household] = relationship()
    main_client: Mapped[Client] = relationship()
