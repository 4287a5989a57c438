"""The case and its timeline: a household's case in the process and the events that moved it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.enums import CaseIntensity, CaseStage, CaseType, IntakeRoute
from cases.models.households import Client, Household
from cases.models.pii import _pii
from hamkke.db import Model, SoftDeleteMixin, TimestampMixin, UTCDateTime, str_enum
from hamkke.time import now_utc


def case_number(opened_on: date, case_id: int) -> str:
    """Return the case number people read: the opening day and the case's own sequence (YYMMDD-000).

    The sequence is the whole row number, padded to three digits: two cases opened on one day must
    never share a number, which ``id % 1000`` allowed once the district passed a thousand cases.
    """
    return f"{opened_on:%y%m%d}-{case_id:03d}"


class Case(TimestampMixin, SoftDeleteMixin, Model):
    """A household's case in the process, owned by one agency and possibly led by another."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    main_client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    #: the agency that opened the case and collected its records
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
    #: date a referring body asked for it (지자체 의뢰일), if referred
    referred_on: Mapped[date | None]
    #: 접수경로
    intake_route: Mapped[IntakeRoute | None] = mapped_column(str_enum(IntakeRoute, "intake_route"))
    #: who found or referred the household, in words (이웃, 통장, 타기관 …)
    referrer: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("counselling"))
    #: stage milestones (local dates), kept for the deadline clocks and the district's counts
    counselling_started_on: Mapped[date | None]
    assessed_on: Mapped[date | None]
    selected_on: Mapped[date | None]
    plan_agreed_on: Mapped[date | None]
    closed_on: Mapped[date | None] = mapped_column(index=True)
    #: the day a conference discussed the case (set by the conference domain); starts that clock
    conference_on: Mapped[date | None]
    #: the day type and intensity were last set
    classified_on: Mapped[date | None]
    #: a life or safety issue (생명·안전): closure needs a supervisor's approval
    is_life_safety: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: set by the retention purge; the row keeps only non-personal facts afterwards
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    household: Mapped[Household] = relationship()
    main_client: Mapped[Client] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        """Case number in the manual's YYMMDD-000 form (see :func:`case_number`)."""
        return case_number(self.opened_on, self.id)


class CaseEvent(Model):
    """One entry of a case's timeline: a transition, a record added, a decision; never updated."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: ``transition`` or a record kind (``intake``, ``need``, ``plan``, ``log`` …)
    kind: Mapped[str] = mapped_column(sa.String(30))
    #: transition code from `cases.workflow.TRANSITIONS`, when a transition
    action: Mapped[str | None] = mapped_column(sa.String(40))
    from_stage: Mapped[str | None] = mapped_column(sa.String(40))
    to_stage: Mapped[str | None] = mapped_column(sa.String(40))
    #: the worker's reason or a short summary (case record: purged with the case)
    note: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))

    case: Mapped[Case] = relationship(back_populates="events")
