"""Conferences (통합사례회의) of every kind, from the monthly 권역 meeting to a closure review."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum


class ConferenceKind(enum.StrEnum):
    """Kinds of case conferences the district holds."""

    regional = "regional"
    expanded = "expanded"
    urgent = "urgent"
    dong = "dong"
    internal = "internal"
    closure_review = "closure_review"

    @property
    def label(self) -> str:
        """Korean name of the kind."""
        return CONFERENCE_KIND_LABELS[self]


CONFERENCE_KIND_LABELS: dict[ConferenceKind, str] = {
    ConferenceKind.regional: "권역 정기 통합사례회의",
    ConferenceKind.expanded: "확대사례회의",
    ConferenceKind.urgent: "긴급 위기사례회의",
    ConferenceKind.dong: "동 사례회의",
    ConferenceKind.internal: "기관 내부사례회의",
    ConferenceKind.closure_review: "종결심사회의",
}


class ConferenceStatus(enum.StrEnum):
    """Life of a conference: planned, running, finished."""

    scheduled = "scheduled"
    live = "live"
    closed = "closed"
    cancelled = "cancelled"


class Conference(TimestampMixin, Model):
    """One meeting of agencies about one or more cases."""

    __tablename__ = "conferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    #: the 권역 for regular conferences
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    kind: Mapped[ConferenceKind] = mapped_column(str_enum(ConferenceKind, "conference_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ConferenceStatus] = mapped_column(
        str_enum(ConferenceStatus, "conference_status"), default=ConferenceStatus.scheduled, index=True
    )
    #: when it starts (UTC)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: place, or a video link
    place: Mapped[str | None] = mapped_column(sa.String(300))
    #: the agency hosting it (the district team for regular conferences)
    host_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
