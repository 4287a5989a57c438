"""Stage records before the plan: 초기상담, needs, 위기도 ratings and the 선정 decision."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.counselling import CrisisItemScore
from cases.models.enums import ContactMethod, NeedDomain, RiskLevel, SelectionOutcome
from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin, str_enum


class IntakeRecord(TimestampMixin, Model):
    """초기상담기록지 (seed 001 §2.2): facts and opinion kept apart, the referrer, what was tried."""

    __tablename__ = "case_intake_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    counselled_on: Mapped[date]
    method: Mapped[ContactMethod] = mapped_column(str_enum(ContactMethod, "contact_method"))
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: 주 호소, in the client's own words
    main_complaint: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    #: objective, shareable facts
    facts: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 상담자 의견, kept apart from the facts (seed 001 §2.2)
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 긴급(위기) 지원대상자 rather than 일반
    is_urgent: Mapped[bool] = mapped_column(default=False)
    #: what the collection rests on (``cases.consent_basis``): ``consent`` or ``statute``
    collection_basis: Mapped[str | None] = mapped_column(sa.String(20))
    #: the collection consents in force when the record was written (evidence, by id)
    consent_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    #: the statute and article relied on instead of consent (public agencies only)
    statutory_basis: Mapped[str | None] = mapped_column(sa.String(300))
    # 초기상담기록지 (seed 001 §2.2): who referred the client and what was tried before
    #: 의뢰인 유형: 본인, 이웃, 가족, 전문가, 공공기관, 타 복지기관
    referrer_type: Mapped[str | None] = mapped_column(sa.String(20))
    #: 의뢰인 or 의뢰기관 (a person's or an agency's name)
    referrer_name: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("counselling"))
    referrer_contact: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("counselling"))
    #: 의뢰동기
    referral_motive: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 의뢰인(기관)에서 지원받은 서비스 또는 자원
    referrer_services: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 이전 접근방법과 클라이언트의 반응, 서비스의 결과
    prior_approaches: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 비공식적 지지체계 (가족, 이웃, 종교기관 …)
    informal_support: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 클라이언트가 원하는 변화 (목표와 기대)
    desired_change: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 특이사항
    special_notes: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 담당부서 and 담당자 decided at intake
    assigned_department: Mapped[str | None] = mapped_column(sa.String(100))
    assigned_worker: Mapped[str | None] = mapped_column(sa.String(100))


class Need(TimestampMixin, Model):
    """One assessed need: domain, phenomenon, cause, risk, and 요구 (words) apart from 욕구 (need)."""

    __tablename__ = "case_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"))
    domain: Mapped[NeedDomain] = mapped_column(str_enum(NeedDomain, "need_domain"))
    #: 현상
    phenomenon: Mapped[str] = mapped_column(sa.Text, info=_pii("needs"))
    #: 원인 and 원인제공자
    cause: Mapped[str | None] = mapped_column(sa.Text, info=_pii("needs"))
    risk_level: Mapped[RiskLevel] = mapped_column(str_enum(RiskLevel, "need_risk_level"))
    #: 요구: what the client asks for, verbatim
    client_words: Mapped[str] = mapped_column(sa.Text, info=_pii("needs"))
    #: 욕구: the need the worker and client agreed behind the demand
    need_statement: Mapped[str] = mapped_column(sa.Text, info=_pii("needs"))
    #: 1 = most urgent
    priority: Mapped[int] = mapped_column(default=1)


class CrisisRating(TimestampMixin, Model):
    """위기도 조사, separate from the needs survey (seed 001 §2.3)."""

    __tablename__ = "case_crisis_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    rated_on: Mapped[date]
    level: Mapped[RiskLevel] = mapped_column(str_enum(RiskLevel, "crisis_level"))
    #: sum of the item scores (0–40); None for a rating recorded as one level before the items existed
    total: Mapped[int | None]
    #: life or safety at stake (suicide risk, abuse, violence …)
    life_safety: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text, info=_pii("crisis"))
    rated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    items: Mapped[list[CrisisItemScore]] = relationship(
        back_populates="rating", cascade="all, delete-orphan", order_by="CrisisItemScore.id"
    )


class SelectionDecision(TimestampMixin, Model):
    """선정 결과, with the reason and, for 미선정, the alternative services given."""

    __tablename__ = "case_selection_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    decided_on: Mapped[date]
    outcome: Mapped[SelectionOutcome] = mapped_column(str_enum(SelectionOutcome, "selection_outcome"))
    reason: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    alternative_services: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: the dong's 내부판정회의 that decided, if any
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_dong_meetings.id"))
