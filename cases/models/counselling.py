"""상담일지 (필수서식7) codes, the counselling session that counts once, and the 위기도 items (seed 001).

Seed 000's 상담일지 names who was counselled (상담영역), one of 26 상담유형 in five groups and one of
nine 상담방법. A group session with several cases is one `CounsellingSession` with one log per case:
the session is what a worker's statistics count (seed 000 §1.4: "180분 × 10명" counts 180 minutes).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.enums import CaseStage, Labelled, _labelled
from hamkke.db import Model, TimestampMixin, str_enum

if TYPE_CHECKING:
    from cases.models.assessment import CrisisRating


#: stages in which a 상담일지 may be written (and a case may join a group session)
LOG_STAGES = (
    CaseStage.assessment,
    CaseStage.planning,
    CaseStage.delivery,
    CaseStage.closure_review,
    CaseStage.follow_up,
)


class CounsellingArea(Labelled):
    """상담영역 of 필수서식7: who was counselled."""

    client = "client"
    family = "family"
    related = "related"
    agency_expert = "agency_expert"
    employer = "employer"
    other = "other"


_labelled(
    CounsellingArea,
    {
        "client": "본인",
        "family": "가족",
        "related": "관련자",
        "agency_expert": "기관 및 전문가",
        "employer": "취업처 관련자",
        "other": "기타",
    },
)


class CounsellingType(Labelled):
    """상담유형 of 필수서식7: 26 types in five groups, labelled "<group>type" as the form prints them."""

    motivation_counselling = "motivation_counselling"
    motivation_debt = "motivation_debt"
    motivation_aptitude_test = "motivation_aptitude_test"
    motivation_information = "motivation_information"
    motivation_other = "motivation_other"
    capacity_external_training = "capacity_external_training"
    capacity_information = "capacity_information"
    capacity_other = "capacity_other"
    employment_placement = "employment_placement"
    employment_interview_escort = "employment_interview_escort"
    employment_resume = "employment_resume"
    employment_job_information = "employment_job_information"
    employment_other = "employment_other"
    startup_early = "startup_early"
    startup_expert_advice = "startup_expert_advice"
    startup_funding = "startup_funding"
    startup_business_plan = "startup_business_plan"
    startup_information = "startup_information"
    startup_other = "startup_other"
    welfare_debt = "welfare_debt"
    welfare_medical = "welfare_medical"
    welfare_education = "welfare_education"
    welfare_housing = "welfare_housing"
    welfare_family_conflict = "welfare_family_conflict"
    welfare_childcare = "welfare_childcare"
    welfare_other = "welfare_other"

    @property
    def group(self) -> str:
        """The type's group as the form prints it (근로동기강화 … 복지서비스)."""
        return COUNSELLING_TYPE_GROUPS[self.value.split("_", 1)[0]]


COUNSELLING_TYPE_GROUPS: dict[str, str] = {
    "motivation": "근로동기강화",
    "capacity": "근로역량강화",
    "employment": "취업지원",
    "startup": "창업지원",
    "welfare": "복지서비스",
}

_TYPE_NAMES: dict[str, str] = {
    "motivation_counselling": "상담",
    "motivation_debt": "채무조정상담",
    "motivation_aptitude_test": "직업심리검사",
    "motivation_information": "정보제공",
    "motivation_other": "기타",
    "capacity_external_training": "외부위탁교육",
    "capacity_information": "정보제공",
    "capacity_other": "기타",
    "employment_placement": "취업알선",
    "employment_interview_escort": "동행면접",
    "employment_resume": "이력서작성",
    "employment_job_information": "직업정보제공",
    "employment_other": "기타",
    "startup_early": "창업초기 상담",
    "startup_expert_advice": "전문기관·전문가자문",
    "startup_funding": "자금관련",
    "startup_business_plan": "사업계획서",
    "startup_information": "정보제공",
    "startup_other": "기타",
    "welfare_debt": "부채관련",
    "welfare_medical": "의료",
    "welfare_education": "교육훈련",
    "welfare_housing": "주택",
    "welfare_family_conflict": "가정불화",
    "welfare_childcare": "양육",
    "welfare_other": "기타",
}

_labelled(
    CounsellingType,
    {code: f"<{COUNSELLING_TYPE_GROUPS[code.split('_', 1)[0]]}>{name}" for code, name in _TYPE_NAMES.items()},
)


class CounsellingMethod(Labelled):
    """상담방법 of 필수서식7: nine methods, incoming and outgoing apart."""

    face_office = "face_office"
    face_visit = "face_visit"
    phone_in = "phone_in"
    phone_out = "phone_out"
    email_in = "email_in"
    email_out = "email_out"
    message_in = "message_in"
    message_out = "message_out"
    other = "other"


_labelled(
    CounsellingMethod,
    {
        "face_office": "대면상담(내방)",
        "face_visit": "대면상담(방문)",
        "phone_in": "전화(수신)",
        "phone_out": "전화(발신)",
        "email_in": "이메일(수신)",
        "email_out": "이메일(발신)",
        "message_in": "SMS·메신저(수신)",
        "message_out": "SMS·메신저(발신)",
        "other": "기타",
    },
)


class CounsellingSession(TimestampMixin, Model):
    """One counselling session as it happened: one case, or a group of cases recorded once.

    Holds no client data (the per-case 상담일지 rows do), so statistics read it without the gate.
    """

    __tablename__ = "case_counselling_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(index=True)
    method: Mapped[CounsellingMethod] = mapped_column(str_enum(CounsellingMethod, "session_method"))
    #: the real time spent, counted once however many cases took part
    minutes: Mapped[int]
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: how many cases the session's logs cover (1 for an individual session)
    case_count: Mapped[int] = mapped_column(default=1)

    __table_args__ = (sa.CheckConstraint("minutes BETWEEN 10 AND 180", name="session_minutes_10_to_180"),)


class CrisisItem(Labelled):
    """The 위기도 items, after the 위기가구 사례관리 업무 매뉴얼 (보건복지부 2011) seed 001 cites."""

    safety = "safety"
    health = "health"
    daily_living = "daily_living"
    family = "family"
    social = "social"
    economy = "economy"
    education = "education"
    employment = "employment"
    living_environment = "living_environment"
    rights = "rights"


_labelled(
    CrisisItem,
    {
        "safety": "안전 (학대·폭력·자해 위험)",
        "health": "건강 (신체·정신)",
        "daily_living": "일상생활 유지 (식사·돌봄)",
        "family": "가족관계",
        "social": "사회적 관계 (고립)",
        "economy": "경제 (생계·부채)",
        "education": "교육",
        "employment": "고용",
        "living_environment": "생활환경 (주거)",
        "rights": "권익보장 (법률)",
    },
)

#: score of one item: 0 위기 없음 … 4 매우 심각(긴급)
CRISIS_SCORE_LABELS: dict[int, str] = {
    0: "0 위기 없음",
    1: "1 경미",
    2: "2 보통",
    3: "3 심각",
    4: "4 매우 심각(긴급)",
}
CRISIS_SCORE_MAX = max(CRISIS_SCORE_LABELS)


class CrisisItemScore(Model):
    """One scored item of a 위기도 rating; the rating's total and level are computed from these."""

    __tablename__ = "case_crisis_item_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_crisis_ratings.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[CrisisItem] = mapped_column(str_enum(CrisisItem, "crisis_item"))
    score: Mapped[int]

    rating: Mapped[CrisisRating] = relationship(back_populates="items")

    __table_args__ = (
        sa.CheckConstraint("score BETWEEN 0 AND 4", name="crisis_score_0_to_4"),
        sa.UniqueConstraint("rating_id", "item", name="uq_crisis_item_per_rating"),
    )
