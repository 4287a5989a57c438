"""사례관리사업비 (the case fund): yearly budgets per district and dong, spend requests, their items.

Money is stored in integer won only. A request moves 동 결재 대기 → 구 결재 대기 → 승인 (집행 대기) →
집행 완료, or is returned (반려) with a reason at either 결재 step.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agencies.models import Agency, Dong
from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum

#: the per-household cap a district has until its coordinator sets another (seed 004: 1가구당 최대 50만원)
DEFAULT_HOUSEHOLD_CAP = 500_000
#: the key of the cap in ``District.settings``
CAP_SETTING = "fund_household_cap"


class FundPurpose(enum.StrEnum):
    """What the money is for (seed 004: 의료비, 생활지원비, 교육훈련비 …)."""

    medical = "medical"
    living = "living"
    education = "education"
    housing = "housing"
    other = "other"

    @property
    def label(self) -> str:
        """Korean name of the purpose."""
        return PURPOSE_LABELS[self]


PURPOSE_LABELS: dict[FundPurpose, str] = {
    FundPurpose.medical: "의료비",
    FundPurpose.living: "생활지원비",
    FundPurpose.education: "교육훈련비",
    FundPurpose.housing: "주거지원비",
    FundPurpose.other: "기타",
}


class PayeeKind(enum.StrEnum):
    """How the money reaches the household: the dong buys with its card, or pays the medical provider."""

    card = "card"
    medical_provider = "medical_provider"

    @property
    def label(self) -> str:
        """Korean name of the payment route."""
        return "카드구매" if self is PayeeKind.card else "의료기관 지급"


class FundRequestStatus(enum.StrEnum):
    """Where a spend request stands in the 결재 chain."""

    requested = "requested"
    dong_approved = "dong_approved"
    approved = "approved"
    spent = "spent"
    returned = "returned"

    @property
    def label(self) -> str:
        """Korean name of the state."""
        return STATUS_LABELS[self]


STATUS_LABELS: dict[FundRequestStatus, str] = {
    FundRequestStatus.requested: "동 결재 대기",
    FundRequestStatus.dong_approved: "구 결재 대기",
    FundRequestStatus.approved: "승인 (집행 대기)",
    FundRequestStatus.spent: "집행 완료",
    FundRequestStatus.returned: "반려",
}

#: states whose amount is held against the cap and the budget (everything but a returned request)
HOLDING_STATUSES = frozenset(
    {
        FundRequestStatus.requested,
        FundRequestStatus.dong_approved,
        FundRequestStatus.approved,
        FundRequestStatus.spent,
    }
)
#: states still waiting for a 결재
PENDING_STATUSES = frozenset({FundRequestStatus.requested, FundRequestStatus.dong_approved})


class FundBudget(TimestampMixin, Model):
    """One fiscal year's budget of a dong (or of the district itself when ``dong_id`` is empty)."""

    __tablename__ = "fund_budgets"
    __table_args__ = (
        sa.UniqueConstraint("district_id", "dong_id", "fiscal_year", name="uq_fund_budgets_scope_year"),
        sa.CheckConstraint("national_share + city_share + district_share = 100", name="shares_sum_to_100"),
        sa.CheckConstraint("operating_amount >= 0 AND project_amount >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    #: the dong the budget is for; empty for the district's own budget line
    dong_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dongs.id"), index=True)
    fiscal_year: Mapped[int] = mapped_column(index=True)
    #: 운영비 (meetings, expert fees, publicity), in won
    operating_amount: Mapped[int] = mapped_column(sa.BigInteger)
    #: 사례사업비 (spent on households), in won
    project_amount: Mapped[int] = mapped_column(sa.BigInteger)
    #: source shares in percent (국비 / 시비 / 구비), summing to 100
    national_share: Mapped[int]
    city_share: Mapped[int]
    district_share: Mapped[int]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    dong: Mapped[Dong | None] = relationship()


class FundRequest(TimestampMixin, Model):
    """A dong worker's request to spend 사례사업비 on one case's household."""

    __tablename__ = "fund_requests"
    __table_args__ = (
        sa.Index("ix_fund_requests_household_year", "household_id", "fiscal_year"),
        sa.Index("ix_fund_requests_dong_year", "dong_id", "fiscal_year"),
        sa.CheckConstraint("total > 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    dong_id: Mapped[int] = mapped_column(sa.ForeignKey("dongs.id"))
    #: the dong centre that asks (its team lead decides the 동 내부결재)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    plan_goal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_plan_goals.id"))
    #: the evidence file (견적서, 진료비 영수증 …), kept with the case's attachments
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_attachments.id"))
    fiscal_year: Mapped[int]
    purpose: Mapped[FundPurpose] = mapped_column(str_enum(FundPurpose, "fund_purpose"))
    payee_kind: Mapped[PayeeKind] = mapped_column(str_enum(PayeeKind, "fund_payee_kind"))
    #: the sum of the items, in won
    total: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[FundRequestStatus] = mapped_column(
        str_enum(FundRequestStatus, "fund_request_status"), default=FundRequestStatus.requested, index=True
    )
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: the local day of the request (its quarter is the quarter it counts in until it is spent)
    requested_on: Mapped[date]
    dong_decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    dong_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    district_decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    district_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: why it was returned (반려 사유)
    return_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the spend: local day and amount actually paid (at most the approved total)
    spent_on: Mapped[date | None]
    spent_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    spent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    agency: Mapped[Agency] = relationship()
    dong: Mapped[Dong] = relationship()
    items: Mapped[list[FundRequestItem]] = relationship(
        back_populates="request", order_by="FundRequestItem.position", cascade="all, delete-orphan"
    )

    @property
    def held_amount(self) -> int:
        """The amount this request holds against the cap and the budget (what was paid, once spent)."""
        if self.status not in HOLDING_STATUSES:
            return 0
        return self.spent_amount if self.spent_amount is not None else self.total


class FundRequestItem(Model):
    """One line of a request (what is bought or paid, and how much)."""

    __tablename__ = "fund_request_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("fund_requests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(200))
    amount: Mapped[int] = mapped_column(sa.BigInteger)

    request: Mapped[FundRequest] = relationship(back_populates="items")


def won(amount: int | None) -> str:
    """Show an amount the way people read it: ₩123,000 (a dash when there is none)."""
    return "-" if amount is None else f"₩{amount:,}"
