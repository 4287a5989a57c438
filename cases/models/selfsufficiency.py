"""The 자활 (self-sufficiency) track of seed 000 and its forms: 필수서식6, 활용서식3–5 and 11.

A case of a 지역자활센터 runs this track beside the integrated-case process: 참여 결정 at intake, the
게이트웨이 (assessment, education, field learning), IAP/ISP, 게이트웨이 종결, 사업단 배치 and 재계획.
The track's states and dates are case facts (like the case's stage); what the forms say about the
participant is personal and marked for the gate's field groups. The education plan and result
(활용서식3/4) are the centre's own documents about a course, not about one participant.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.models.enums import Labelled, _labelled
from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum
from hamkke.time import now_utc

#: 활용서식5: a total of 25 or more of 36 is 적합
FIELD_LEARNING_PASS = 25


class TrackState(Labelled):
    """States of the 자활 track (seed 000 §1, §9.1)."""

    intake = "intake"
    gateway = "gateway"
    planning = "planning"
    gateway_closed = "gateway_closed"
    placed = "placed"
    replanning = "replanning"
    not_eligible = "not_eligible"
    closed = "closed"

    @property
    def is_open(self) -> bool:
        """Tell whether the track still runs (not 부적합, not 종결)."""
        return self not in {TrackState.not_eligible, TrackState.closed}


_labelled(
    TrackState,
    {
        "intake": "인테이크 (참여 결정 전)",
        "gateway": "게이트웨이 (사정·교육·현장학습)",
        "planning": "계획 수립 (IAP·ISP)",
        "gateway_closed": "게이트웨이 종결",
        "placed": "사업단 참여 (실행·점검)",
        "replanning": "재계획 (IAP·ISP 재수립)",
        "not_eligible": "부적합 (지자체 재의뢰)",
        "closed": "자활사례관리 종결",
    },
)


class ParticipantStatus(Labelled):
    """주민 until participation is confirmed, 참여자 after (seed 000 L755)."""

    resident = "resident"
    participant = "participant"


_labelled(ParticipantStatus, {"resident": "주민", "participant": "참여자"})


class BenefitType(Labelled):
    """수급유형 of 필수서식6."""

    general = "general"
    conditional = "conditional"
    medical = "medical"
    education = "education"
    housing = "housing"
    special = "special"
    other = "other"


_labelled(
    BenefitType,
    {
        "general": "일반수급자",
        "conditional": "조건부수급자(생계급여)",
        "medical": "개별급여(의료)",
        "education": "개별급여(교육)",
        "housing": "개별급여(주거)",
        "special": "자활특례",
        "other": "기타",
    },
)


class GatewayOutcome(Labelled):
    """종결여부 of 필수서식6."""

    employment = "employment"
    startup = "startup"
    enterprise = "enterprise"
    work_team = "work_team"
    pilot_team = "pilot_team"
    other_programme = "other_programme"
    welfare_link = "welfare_link"
    dropout = "dropout"


_labelled(
    GatewayOutcome,
    {
        "employment": "취업",
        "startup": "창업",
        "enterprise": "자활기업",
        "work_team": "자활근로사업단",
        "pilot_team": "시범사업단",
        "other_programme": "타 자활프로그램 연계",
        "welfare_link": "복지서비스 연계",
        "dropout": "중도탈락",
    },
)


class DropoutReason(Labelled):
    """중도탈락사유 of 필수서식6."""

    maladjustment = "maladjustment"
    moved = "moved"
    health = "health"
    family = "family"
    finance = "finance"
    other = "other"


_labelled(
    DropoutReason,
    {
        "maladjustment": "사업단 부적응",
        "moved": "거주이전",
        "health": "건강문제",
        "family": "가족문제",
        "finance": "부채 등 재정문제",
        "other": "기타",
    },
)


class TeamKind(Labelled):
    """The kind of work place a participant is placed in."""

    work_team = "work_team"
    pilot_team = "pilot_team"
    enterprise = "enterprise"


_labelled(TeamKind, {"work_team": "자활근로사업단", "pilot_team": "시범사업단", "enterprise": "자활기업"})


class BudgetCategory(Labelled):
    """The three budget groups of 활용서식3/4."""

    personnel = "personnel"
    programme = "programme"
    operations = "operations"


_labelled(BudgetCategory, {"personnel": "인건비", "programme": "사업비", "operations": "관리운영비"})


class CourseStage(enum.StrEnum):
    """Whether a budget or programme row belongs to the plan (활용서식3) or the result (활용서식4)."""

    plan = "plan"
    result = "result"


class SelfSufficiencyTrack(TimestampMixin, Model):
    """The 자활 track of one case of a 지역자활센터, with the dates its deadlines run from."""

    __tablename__ = "case_selfsufficiency_tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    state: Mapped[TrackState] = mapped_column(
        str_enum(TrackState, "selfsufficiency_state"), default=TrackState.intake, index=True
    )
    #: 지자체 의뢰일: the 3-day intake clock runs from it
    referred_on: Mapped[date]
    #: the day participation was confirmed: the person is 참여자 from then on
    participant_since: Mapped[date | None]
    gateway_started_on: Mapped[date | None]
    assessed_on: Mapped[date | None]
    gateway_closed_on: Mapped[date | None]
    #: the last 재계획 finished (IAP/ISP re-made after a move to a 사업단)
    replanned_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    placements: Mapped[list[WorkTeamPlacement]] = relationship(
        back_populates="track", order_by="WorkTeamPlacement.id", cascade="all, delete-orphan"
    )
    steps: Mapped[list[TrackStep]] = relationship(
        back_populates="track", order_by="TrackStep.id", cascade="all, delete-orphan"
    )

    @property
    def participant_status(self) -> ParticipantStatus:
        """주민 until participation was confirmed, 참여자 after."""
        return ParticipantStatus.participant if self.participant_since else ParticipantStatus.resident

    @property
    def current_placement(self) -> WorkTeamPlacement | None:
        """The open 사업단 placement, if any."""
        return next((p for p in reversed(self.placements) if p.moved_out_on is None), None)


class TrackStep(Model):
    """One move of the track: from and to state, the day it took effect, who moved it; never updated."""

    __tablename__ = "case_selfsufficiency_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_selfsufficiency_tracks.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(40))
    to_state: Mapped[str] = mapped_column(sa.String(40))
    effective_on: Mapped[date]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    track: Mapped[SelfSufficiencyTrack] = relationship(back_populates="steps")


class WorkTeamPlacement(TimestampMixin, Model):
    """A 사업단 placement; leaving a 사업단 is not the end of case management (seed 000 L1742)."""

    __tablename__ = "case_work_team_placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_selfsufficiency_tracks.id", ondelete="CASCADE"), index=True
    )
    team_name: Mapped[str] = mapped_column(sa.String(200))
    team_kind: Mapped[TeamKind] = mapped_column(str_enum(TeamKind, "work_team_kind"))
    placed_on: Mapped[date]
    moved_out_on: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    track: Mapped[SelfSufficiencyTrack] = relationship(back_populates="placements")


class GatewayClosureReport(TimestampMixin, Model):
    """필수서식6 게이트웨이 종결보고서."""

    __tablename__ = "case_gateway_closure_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    written_on: Mapped[date]
    author_name: Mapped[str] = mapped_column(sa.String(100))
    #: 수급유형: codes of `BenefitType`, several may apply (개별급여 has three parts)
    benefit_types: Mapped[list[str]] = mapped_column(sa.JSON, info=_pii("service_history"))
    benefit_other: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    #: 현장학습 참여현황
    field_team_name: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    field_started_on: Mapped[date | None] = mapped_column(info=_pii("service_history"))
    field_ended_on: Mapped[date | None] = mapped_column(info=_pii("service_history"))
    #: 자립 계획 수립여부
    iap_written: Mapped[bool] = mapped_column(info=_pii("service_history"))
    closure_outcome: Mapped[GatewayOutcome] = mapped_column(
        str_enum(GatewayOutcome, "gateway_outcome"), info=_pii("service_history")
    )
    dropout_reason: Mapped[DropoutReason | None] = mapped_column(
        str_enum(DropoutReason, "gateway_dropout_reason"), info=_pii("service_history")
    )
    dropout_other: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    #: 세부종결결과: 취업 and 자활기업 (업체명, 업종, 업무유형, 근로조건)
    company_name: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    industry: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    job_type: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    work_conditions: Mapped[str | None] = mapped_column(sa.String(400), info=_pii("service_history"))
    #: 창업 (창업개시일자, 대표자명, 창업업종, 상호명)
    startup_on: Mapped[date | None] = mapped_column(info=_pii("service_history"))
    owner_name: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("service_history"))
    startup_industry: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    trade_name: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    #: 자활근로사업단 (사업단명, 유형) and 시범사업단 (사업단명)
    outcome_team_name: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("service_history"))
    team_type: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("service_history"))
    #: 종결의견
    participant_opinion: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    worker_opinion: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class FieldLearningEvaluation(TimestampMixin, Model):
    """활용서식5 자활사업단 현장학습 평가서: nine items scored 1–4 (max 36; 25 or more is 적합)."""

    __tablename__ = "case_field_learning_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: 차수 (N주차)
    week_no: Mapped[int]
    period_start: Mapped[date] = mapped_column(info=_pii("needs"))
    period_end: Mapped[date] = mapped_column(info=_pii("needs"))
    #: 대상기관 (사업단/기업)
    host_name: Mapped[str] = mapped_column(sa.String(200), info=_pii("needs"))
    #: 평가자 (사업단담당)
    evaluator_name: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[str] = mapped_column(sa.Text, info=_pii("needs"))
    fitness: Mapped[int] = mapped_column(info=_pii("needs"))
    understanding: Mapped[int] = mapped_column(info=_pii("needs"))
    initiative: Mapped[int] = mapped_column(info=_pii("needs"))
    punctuality: Mapped[int] = mapped_column(info=_pii("needs"))
    kindness: Mapped[int] = mapped_column(info=_pii("needs"))
    diligence: Mapped[int] = mapped_column(info=_pii("needs"))
    cooperation: Mapped[int] = mapped_column(info=_pii("needs"))
    listening: Mapped[int] = mapped_column(info=_pii("needs"))
    positivity: Mapped[int] = mapped_column(info=_pii("needs"))
    #: 규정준수: how often each breach happened
    breach_hygiene: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    breach_rough: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    breach_drinking: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    breach_absence: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    breach_property: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    breach_theft: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    breach_conflict: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    breach_complaint: Mapped[int] = mapped_column(default=0, info=_pii("needs"))
    #: 총평
    overall: Mapped[str] = mapped_column(sa.Text, info=_pii("needs"))
    #: 총점, computed by the service from the nine items
    score_total: Mapped[int] = mapped_column(info=_pii("needs"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    __table_args__ = (
        sa.CheckConstraint(
            " AND ".join(
                f"{name} BETWEEN 1 AND 4"
                for name in (
                    "fitness",
                    "understanding",
                    "initiative",
                    "punctuality",
                    "kindness",
                    "diligence",
                    "cooperation",
                    "listening",
                    "positivity",
                )
            ),
            name="field_learning_scores_1_to_4",
        ),
        sa.CheckConstraint("period_start <= period_end", name="field_learning_period_order"),
    )


class EmploymentConfirmation(TimestampMixin, Model):
    """활용서식11 취업확인서: the employer confirms the job (name, sex, age, address: the client)."""

    __tablename__ = "case_employment_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    employer_name: Mapped[str] = mapped_column(sa.String(200), info=_pii("economic"))
    industry: Mapped[str] = mapped_column(sa.String(200), info=_pii("economic"))
    business_number: Mapped[str | None] = mapped_column(sa.String(20), info=_pii("economic"))
    representative: Mapped[str | None] = mapped_column(sa.String(100), info=_pii("economic"))
    site_address: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("economic"))
    site_phone: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("economic"))
    staff_count: Mapped[int | None] = mapped_column(info=_pii("economic"))
    #: 월급여 in 만원
    monthly_pay: Mapped[int] = mapped_column(info=_pii("economic"))
    employed_on: Mapped[date] = mapped_column(info=_pii("economic"))
    left_on: Mapped[date | None] = mapped_column(info=_pii("economic"))
    weekly_hours: Mapped[int] = mapped_column(info=_pii("economic"))
    total_hours: Mapped[int | None] = mapped_column(info=_pii("economic"))
    health_insurance: Mapped[bool] = mapped_column(default=False, info=_pii("economic"))
    national_pension: Mapped[bool] = mapped_column(default=False, info=_pii("economic"))
    employment_insurance: Mapped[bool] = mapped_column(default=False, info=_pii("economic"))
    #: 고용보험 사업장관리번호
    employment_insurance_number: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("economic"))
    accident_insurance: Mapped[bool] = mapped_column(default=False, info=_pii("economic"))
    confirmer_name: Mapped[str] = mapped_column(sa.String(100), info=_pii("economic"))
    confirmer_phone: Mapped[str] = mapped_column(sa.String(40), info=_pii("economic"))
    confirmed_on: Mapped[date]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class EducationCourse(TimestampMixin, Model):
    """활용서식3 교육계획서 and, once held, 활용서식4 교육 결과 보고서: a 게이트웨이 course of the centre."""

    __tablename__ = "selfsufficiency_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    held_on: Mapped[date]
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    place: Mapped[str] = mapped_column(sa.String(200))
    audience: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.Text)
    expected_effects: Mapped[str] = mapped_column(sa.Text)
    #: 활용서식4, filled after the course
    reported_on: Mapped[date | None]
    satisfaction: Mapped[str | None] = mapped_column(sa.Text)
    #: 활동사진: what the photos on file show and where they are kept
    photos: Mapped[str | None] = mapped_column(sa.Text)
    usage_plan: Mapped[str | None] = mapped_column(sa.Text)
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text)
    supervision: Mapped[str | None] = mapped_column(sa.Text)
    next_title: Mapped[str | None] = mapped_column(sa.String(200))
    next_when: Mapped[str | None] = mapped_column(sa.String(200))
    next_place: Mapped[str | None] = mapped_column(sa.String(200))
    next_audience: Mapped[str | None] = mapped_column(sa.String(200))
    next_purpose: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    budget_lines: Mapped[list[CourseBudgetLine]] = relationship(
        back_populates="course", order_by="CourseBudgetLine.id", cascade="all, delete-orphan"
    )
    sessions: Mapped[list[CourseSession]] = relationship(
        back_populates="course", order_by="CourseSession.id", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="course_time_order"),)

    def lines(self, stage: CourseStage) -> list[CourseBudgetLine]:
        """Return the budget rows of the plan or of the result."""
        return [line for line in self.budget_lines if line.stage == stage]

    def programme(self, stage: CourseStage) -> list[CourseSession]:
        """Return the programme rows of the plan or of the result."""
        return [row for row in self.sessions if row.stage == stage]


class CourseBudgetLine(Model):
    """One row of 교육예산 (plan) or 교육예산 집행내역 (result): 목, 세목, 세세목, 계, 산출근거, 조달."""

    __tablename__ = "selfsufficiency_course_budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("selfsufficiency_courses.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[CourseStage] = mapped_column(str_enum(CourseStage, "course_budget_stage"))
    category: Mapped[BudgetCategory] = mapped_column(str_enum(BudgetCategory, "course_budget_category"))
    item: Mapped[str] = mapped_column(sa.String(100))
    sub_item: Mapped[str | None] = mapped_column(sa.String(100))
    sub_sub_item: Mapped[str | None] = mapped_column(sa.String(100))
    #: 계, in won
    amount: Mapped[int]
    basis: Mapped[str | None] = mapped_column(sa.String(300))
    #: 신청금액 and 자부담 (won); their 비율 is computed from 계
    requested: Mapped[int] = mapped_column(default=0)
    own_share: Mapped[int] = mapped_column(default=0)
    #: 자부담 재원 (result only)
    own_source: Mapped[str | None] = mapped_column(sa.String(200))

    course: Mapped[EducationCourse] = relationship(back_populates="budget_lines")

    __table_args__ = (
        sa.CheckConstraint("requested + own_share = amount", name="course_budget_funding_adds_up"),
    )


class CourseSession(Model):
    """One row of 교육내용: 교육시간, 소요시간, 내용, 담당자, 비고."""

    __tablename__ = "selfsufficiency_course_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("selfsufficiency_courses.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[CourseStage] = mapped_column(str_enum(CourseStage, "course_session_stage"))
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    content: Mapped[str] = mapped_column(sa.String(300))
    person: Mapped[str] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.String(200))

    course: Mapped[EducationCourse] = relationship(back_populates="sessions")

    @property
    def minutes(self) -> int:
        """소요시간 in minutes."""
        return (self.ends_at.hour * 60 + self.ends_at.minute) - (
            self.starts_at.hour * 60 + self.starts_at.minute
        )
