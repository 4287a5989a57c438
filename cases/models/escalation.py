"""The dong's 내부판정회의 and escalation of a case to the district (구청 의뢰)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.case import Case
from cases.models.enums import (
    ConsentStatus,
    EscalationPlacement,
    EscalationStatus,
    EscalationUrgency,
    SelectionOutcome,
)
from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin, str_enum


class DongMeeting(TimestampMixin, Model):
    """A dong centre's weekly internal judgment meeting (내부판정회의)."""

    __tablename__ = "case_dong_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    held_on: Mapped[date]
    attendees: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    decisions: Mapped[list[DongMeetingDecision]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="DongMeetingDecision.id"
    )


class DongMeetingDecision(Model):
    """The meeting's decision for one visited household's case."""

    __tablename__ = "case_dong_meeting_decisions"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "case_id", name="uq_case_dong_meeting_decisions_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("case_dong_meetings.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[SelectionOutcome] = mapped_column(str_enum(SelectionOutcome, "dong_decision_outcome"))
    reason: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))

    meeting: Mapped[DongMeeting] = relationship(back_populates="decisions")
    case: Mapped[Case] = relationship()


class Escalation(TimestampMixin, Model):
    """A dong's 구청 의뢰 of a 고난도 case to the district coordinator."""

    __tablename__ = "case_escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: the district team (희망복지지원단) that receives it
    to_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_dong_meetings.id"))
    reason: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    urgency: Mapped[EscalationUrgency] = mapped_column(str_enum(EscalationUrgency, "escalation_urgency"))
    #: what the dong already tried
    tried: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    #: derived from the consent records when the escalation was sent, never typed (``cases.consent_basis``)
    consent_status: Mapped[ConsentStatus] = mapped_column(str_enum(ConsentStatus, "escalation_consent"))
    #: the consents that status was derived from (evidence snapshot, by id)
    consent_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    status: Mapped[EscalationStatus] = mapped_column(
        str_enum(EscalationStatus, "escalation_status"), default=EscalationStatus.submitted, index=True
    )
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    submitted_on: Mapped[date]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    decided_on: Mapped[date | None]
    placement: Mapped[EscalationPlacement | None] = mapped_column(
        str_enum(EscalationPlacement, "escalation_placement")
    )
    #: the coordinator's guidance when returning it (or notes when accepting)
    guidance: Mapped[str | None] = mapped_column(sa.Text)

    case: Mapped[Case] = relationship()
