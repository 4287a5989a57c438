"""The district's own reference records: staff positions, low-income household counts, 민관 교육.

These are facts the coordinator of a district keeps about its network rather than about clients:
who holds which post (통합사례관리사, 복지플래너 …), how many low-income households each dong has
per year (the denominator of 발굴률, seed 004), and the joint training the network attended.
"""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkke.db import Model, TimestampMixin, str_enum


class StaffPosition(enum.StrEnum):
    """A staff member's post in the case-management network (직위·직무), apart from their roles."""

    integrated_case_manager = "integrated_case_manager"
    welfare_planner = "welfare_planner"
    public_case_officer = "public_case_officer"
    private_case_manager = "private_case_manager"
    other = "other"

    @property
    def label(self) -> str:
        """Korean name of the post."""
        return STAFF_POSITION_LABELS[self]


STAFF_POSITION_LABELS: dict[StaffPosition, str] = {
    StaffPosition.integrated_case_manager: "통합사례관리사",
    StaffPosition.welfare_planner: "복지플래너",
    StaffPosition.public_case_officer: "사례관리 담당 공무원",
    StaffPosition.private_case_manager: "민간 사례관리자",
    StaffPosition.other: "기타",
}


class TrainingAudience(enum.StrEnum):
    """Whom a 민관 교육 was for (seed 004's three audiences)."""

    dong_centre = "dong_centre"
    district_office = "district_office"
    private = "private"

    @property
    def label(self) -> str:
        """Korean name of the audience."""
        return {"dong_centre": "동주민센터", "district_office": "구청", "private": "민간"}[self.value]


class LowIncomeCount(TimestampMixin, Model):
    """A dong's low-income households in one year, entered by the coordinator (발굴률 denominator)."""

    __tablename__ = "low_income_counts"
    __table_args__ = (
        sa.UniqueConstraint("dong_id", "year", name="uq_low_income_counts_dong_year"),
        sa.CheckConstraint(
            "basic_livelihood_households >= 0 AND near_poverty_households >= 0",
            name="not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    dong_id: Mapped[int] = mapped_column(sa.ForeignKey("dongs.id"), index=True)
    year: Mapped[int]
    #: 기초생활수급 가구 수
    basic_livelihood_households: Mapped[int]
    #: 차상위 가구 수
    near_poverty_households: Mapped[int]
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    @property
    def total(self) -> int:
        """All low-income households of the dong that year (수급 + 차상위)."""
        return self.basic_livelihood_households + self.near_poverty_households


class TrainingRecord(TimestampMixin, Model):
    """One 민관 교육 (joint public-private training) and who of the network took part."""

    __tablename__ = "training_records"
    __table_args__ = (sa.CheckConstraint("hours > 0 AND outsider_count >= 0", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    course_name: Mapped[str] = mapped_column(sa.String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    organiser: Mapped[str] = mapped_column(sa.String(200))
    audience: Mapped[TrainingAudience] = mapped_column(str_enum(TrainingAudience, "training_audience"))
    hours: Mapped[float] = mapped_column(sa.Float)
    #: participants from outside the network, counted only (no names)
    outsider_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    participants: Mapped[list[TrainingParticipant]] = relationship(
        back_populates="training", cascade="all, delete-orphan", order_by="TrainingParticipant.id"
    )


class TrainingParticipant(Model):
    """A person of the network who attended a training."""

    __tablename__ = "training_participants"
    __table_args__ = (
        sa.UniqueConstraint("training_id", "person_id", name="uq_training_participants_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_records.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)

    training: Mapped[TrainingRecord] = relationship(back_populates="participants")
