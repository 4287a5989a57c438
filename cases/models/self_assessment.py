"""자활사정지 (필수서식3): the 자활 participant's assessment interview, work wishes, money and agreed path."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin


def _amount(label: str) -> Mapped[int | None]:
    # 만원 per month, as the paper form asks; the household's money is economic data
    return mapped_column(sa.Integer, info=_pii("economic", label=label))


class SelfSufficiencyAssessment(TimestampMixin, Model):
    """One 자활사정지; choices are codes of `cases.self_assessment`, amounts 만원, the 욕구영역 ranked."""

    __tablename__ = "case_self_sufficiency_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    counselled_on: Mapped[date]
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    duration: Mapped[str] = mapped_column(sa.String(10))
    method: Mapped[str] = mapped_column(sa.String(10))
    #: 참여자 주요 호소내용, verbatim
    main_complaint: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 근로욕구 희망업종, 1st to 3rd
    desired_industries: Mapped[list[str]] = mapped_column(sa.JSON, default=list, info=_pii("needs"))
    transport: Mapped[str | None] = mapped_column(sa.String(20))
    transport_other: Mapped[str | None] = mapped_column(sa.String(100))
    max_commute_minutes: Mapped[int | None]
    #: 세전 월 ( )만원 이상
    desired_monthly_pay: Mapped[int | None] = _amount("희망 임금")
    employment_type: Mapped[str | None] = mapped_column(sa.String(20))
    part_time_days_per_month: Mapped[int | None]
    part_time_hours_per_week: Mapped[int | None]
    housing_type: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("economic"))
    housing_type_other: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("economic"))
    housing_stability: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("economic"))
    housing_stability_other: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("economic"))
    tenure: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("economic"))
    tenure_other: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("economic"))
    deposit: Mapped[int | None] = _amount("보증금")
    monthly_rent: Mapped[int | None] = _amount("월세")
    maintenance_fee: Mapped[int | None] = _amount("관리비")
    earned_income: Mapped[int | None] = _amount("근로수입")
    private_transfer_income: Mapped[int | None] = _amount("사적이전소득")
    other_earned_income: Mapped[int | None] = _amount("기타")
    public_assistance_income: Mapped[int | None] = _amount("공공부조")
    allowance_income: Mapped[int | None] = _amount("수당")
    child_support_income: Mapped[int | None] = _amount("자녀지원")
    pension_income: Mapped[int | None] = _amount("연금")
    other_income: Mapped[int | None] = _amount("기타(근로소득 외)")
    monthly_spending: Mapped[int | None] = _amount("월평균 지출")
    #: 주요지출내역, 1st to 3rd
    main_spending: Mapped[list[str]] = mapped_column(sa.JSON, default=list, info=_pii("economic"))
    debt_total: Mapped[int | None] = _amount("부채금액")
    debt_cause: Mapped[str | None] = mapped_column(sa.Text, info=_pii("economic"))
    credit_status: Mapped[str | None] = mapped_column(sa.String(30), info=_pii("economic"))
    credit_status_other: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("economic"))
    #: 사례관리사 종합의견: 자활사업 참여여부 결정
    participation_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    other_notes: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    #: 욕구영역 codes in order of urgency (the intervention's priority)
    need_domains: Mapped[list[str]] = mapped_column(sa.JSON, default=list, info=_pii("needs"))
    agreed_path: Mapped[str | None] = mapped_column(sa.String(30))
    agreed_path_other: Mapped[str | None] = mapped_column(sa.String(100))
