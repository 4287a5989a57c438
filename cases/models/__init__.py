"""Households, clients and cases: the records conferences, referrals and consents point at.

Personal columns carry ``info={"pii": True, "field_group": <code>}`` so the consent gate, exports
and the retention purge find them; the groups themselves are described in `cases.fields`.
Dates a worker types are local dates (``_on``); instants are UTC (``_at``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkke.db import Model, SoftDeleteMixin, TimestampMixin, UTCDateTime, str_enum
from hamkke.time import now_utc


def _pii(group: str, **extra: Any) -> dict[str, Any]:
    return {"pii": True, "field_group": group, **extra}


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

    @property
    def is_open(self) -> bool:
        """Tell whether the case is still being worked (not closed, not 미선정)."""
        return self not in {CaseStage.closed, CaseStage.not_selected}


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

    @property
    def label(self) -> str:
        """Korean name of the type."""
        return {"crisis": "위기", "general": "일반", "integrated": "통합"}[self.value]


class CaseIntensity(enum.StrEnum):
    """단순 / 집중 / 위기 (seed 004); drives the monitoring cadence."""

    simple = "simple"
    intensive = "intensive"
    crisis = "crisis"

    @property
    def label(self) -> str:
        """Korean name of the intensity."""
        return {"simple": "단순", "intensive": "집중", "crisis": "위기"}[self.value]


class Labelled(enum.StrEnum):
    """A StrEnum whose members have Korean labels in ``LABELS``."""

    @property
    def label(self) -> str:
        """Korean name of the member."""
        labels: dict[str, str] = getattr(type(self), "_labels", {})
        return labels.get(self.value, self.value)


def _labelled(cls: type[Labelled], labels: dict[str, str]) -> None:
    cls._labels = labels  # type: ignore[attr-defined]


class IntakeRoute(Labelled):
    """접수경로 (필수서식1)."""

    self_request = "self_request"
    local_government = "local_government"
    internal = "internal"
    other_agency = "other_agency"
    outreach = "outreach"
    other = "other"


_labelled(
    IntakeRoute,
    {
        "self_request": "본인요청",
        "local_government": "지자체 의뢰",
        "internal": "기관내의뢰",
        "other_agency": "타기관의뢰",
        "outreach": "대상자발굴",
        "other": "기타",
    },
)


class ContactMethod(Labelled):
    """상담방법 (필수서식1·7)."""

    home_visit = "home_visit"
    office_visit = "office_visit"
    phone = "phone"
    message = "message"
    other = "other"


_labelled(
    ContactMethod,
    {
        "home_visit": "방문",
        "office_visit": "내방",
        "phone": "전화",
        "message": "문자·메신저",
        "other": "기타",
    },
)


class NeedDomain(Labelled):
    """욕구영역 of 필수서식3 (10 domains)."""

    family = "family"
    mental_health = "mental_health"
    economy = "economy"
    housing = "housing"
    social = "social"
    medical = "medical"
    vocational = "vocational"
    mobility = "mobility"
    work_motivation = "work_motivation"
    other = "other"


_labelled(
    NeedDomain,
    {
        "family": "가족관계",
        "mental_health": "정신건강",
        "economy": "경제",
        "housing": "주거환경",
        "social": "사회관계",
        "medical": "의료",
        "vocational": "직업능력",
        "mobility": "이동/교통",
        "work_motivation": "근로의욕",
        "other": "기타",
    },
)


class RiskLevel(Labelled):
    """위험도 of a need, and 위기도 of a case."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


_labelled(RiskLevel, {"low": "낮음", "medium": "보통", "high": "높음", "critical": "위기(긴급)"})


class SelectionOutcome(Labelled):
    """선정 결과 (seed 001 §2.4; the dong's 내부판정회의 adds 구청 의뢰)."""

    case_management = "case_management"
    service_link = "service_link"
    not_selected = "not_selected"
    escalate = "escalate"


_labelled(
    SelectionOutcome,
    {
        "case_management": "사례관리",
        "service_link": "서비스연계",
        "not_selected": "미선정",
        "escalate": "구청 의뢰(고난도)",
    },
)


class GoalTerm(Labelled):
    """장기 / 단기 목표."""

    long = "long"
    short = "short"


_labelled(GoalTerm, {"long": "장기목표", "short": "단기목표"})


class MonitoringChannel(Labelled):
    """The four monitoring channels of seed 001 §2.6."""

    regular_contact = "regular_contact"
    informal = "informal"
    formal = "formal"
    provider = "provider"


_labelled(
    MonitoringChannel,
    {
        "regular_contact": "정기 접촉(방문·상담)",
        "informal": "비공식·질적(이웃 반응 등)",
        "formal": "공식·양적(척도·기록 분석)",
        "provider": "제공기관 통해(연락·방문·회의)",
    },
)


class MonitoringFinding(Labelled):
    """Findings of the monitoring → action table (seed 001 §2.6, seed 000 §1.4)."""

    on_track = "on_track"
    new_need = "new_need"
    environment_changed = "environment_changed"
    change_requested = "change_requested"
    service_inappropriate = "service_inappropriate"
    provider_stopped = "provider_stopped"
    effect_minimal = "effect_minimal"
    improved = "improved"
    moved_or_lost_contact = "moved_or_lost_contact"
    refused = "refused"
    trust_broken = "trust_broken"


_labelled(
    MonitoringFinding,
    {
        "on_track": "계획대로 진행",
        "new_need": "새로운 욕구·문제 발생",
        "environment_changed": "가구 환경 변화로 검토 필요",
        "change_requested": "대상자의 변경 요청(기간·횟수 등)",
        "service_inappropriate": "서비스가 적절하지 않다고 판단",
        "provider_stopped": "제공기관이 더 이상 제공할 수 없음",
        "effect_minimal": "효과가 미미해 새 대안 필요",
        "improved": "상황 호전으로 서비스 불필요",
        "moved_or_lost_contact": "이사·연락두절 등 가구 변화",
        "refused": "일정 기간 거부·포기",
        "trust_broken": "신뢰관계 훼손",
    },
)


class MonitoringAction(Labelled):
    """What a monitoring finding calls for."""

    none = "none"
    reassess = "reassess"
    revise_plan = "revise_plan"
    closure_review = "closure_review"


_labelled(
    MonitoringAction,
    {
        "none": "조치 없음",
        "reassess": "욕구 재조사(재사정)",
        "revise_plan": "서비스제공계획 변경·재수립",
        "closure_review": "종결을 위한 사례관리 평가",
    },
)


class ClosureType(Labelled):
    """종결 유형 of 활용서식10."""

    long_term_goal_met = "long_term_goal_met"
    short_term_goal_met = "short_term_goal_met"
    improved = "improved"
    dropped_out = "dropped_out"
    refused = "refused"
    lost_contact = "lost_contact"
    moved = "moved"
    died = "died"
    referred = "referred"
    other = "other"


_labelled(
    ClosureType,
    {
        "long_term_goal_met": "장기목표 달성",
        "short_term_goal_met": "단기목표 달성",
        "improved": "상황호전",
        "dropped_out": "자활사업단 중도탈락",
        "refused": "사례관리 거절",
        "lost_contact": "연락두절",
        "moved": "이사",
        "died": "사망",
        "referred": "타서비스기관으로 의뢰",
        "other": "기타",
    },
)

#: closure types where the client cannot be told a month ahead (seed 001 §2.7 box)
CLOSURE_TYPES_WITHOUT_NOTICE = frozenset({ClosureType.died, ClosureType.lost_contact, ClosureType.moved})


class FollowUpMethod(Labelled):
    """사후 관리 방법 of 활용서식12."""

    phone = "phone"
    face_to_face = "face_to_face"
    home_visit = "home_visit"
    referral = "referral"
    other = "other"


_labelled(
    FollowUpMethod,
    {
        "phone": "전화상담",
        "face_to_face": "대면상담",
        "home_visit": "가정/방문상담",
        "referral": "서비스 의뢰",
        "other": "기타",
    },
)


class FollowUpOutcome(Labelled):
    """추후 계획 of 활용서식12."""

    reintervene = "reintervene"
    referred = "referred"
    confirmed = "confirmed"


_labelled(
    FollowUpOutcome, {"reintervene": "재개입", "referred": "타기관 서비스 의뢰", "confirmed": "종결확정"}
)


class EscalationStatus(Labelled):
    """Where a dong's 구청 의뢰 stands."""

    submitted = "submitted"
    accepted = "accepted"
    returned = "returned"


_labelled(
    EscalationStatus, {"submitted": "구청 검토 중", "accepted": "구청 접수", "returned": "보완 요청(반려)"}
)


class EscalationUrgency(Labelled):
    """How fast the district must look at an escalation."""

    normal = "normal"
    urgent = "urgent"


_labelled(EscalationUrgency, {"normal": "일반", "urgent": "긴급(위기)"})


class EscalationPlacement(Labelled):
    """Where an accepted escalation goes."""

    regular_conference = "regular_conference"
    urgent_conference = "urgent_conference"


_labelled(
    EscalationPlacement,
    {"regular_conference": "권역 정기 통합사례회의 안건", "urgent_conference": "긴급 위기사례회의"},
)


class ConsentStatus(Labelled):
    """What consent the dong holds when it escalates, derived from the consent records (never typed)."""

    none = "none"
    collection_only = "collection_only"
    third_party = "third_party"


_labelled(
    ConsentStatus,
    {
        "none": "동의 없음",
        "collection_only": "수집·이용 동의만 있음",
        "third_party": "제3자 제공 동의 있음",
    },
)


class AttachmentKind(Labelled):
    """Documents kept with a case."""

    genogram = "genogram"
    ecomap = "ecomap"
    scanned_form = "scanned_form"
    other = "other"


_labelled(
    AttachmentKind, {"genogram": "가계도", "ecomap": "생태도", "scanned_form": "서식 스캔본", "other": "기타"}
)


# --- households and clients -----------------------------------------------------------------------


class Household(TimestampMixin, SoftDeleteMixin, Model):
    """A household served by the network; its members are clients. Owned by the collecting agency."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the agency that collected this record and answers for it
    owning_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    dong_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dongs.id"), index=True)
    #: household type as the district counts it (seed 004), e.g. 경제적 어려움
    household_type: Mapped[str | None] = mapped_column(sa.String(60))
    #: 세대유형 (필수서식1), e.g. 한부모+자녀
    composition: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("household"))
    #: 가구특성, at most four (필수서식1)
    characteristics: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'"), info=_pii("household")
    )
    #: why this member was chosen as the main client (주요 클라이언트), a strategic choice
    main_client_reason: Mapped[str | None] = mapped_column(sa.Text, info=_pii("household"))

    members: Mapped[list[Client]] = relationship(back_populates="household", order_by="Client.id")

    @property
    def main_client(self) -> Client | None:
        """Return the household's main client, if one was chosen."""
        return next((member for member in self.members if member.is_main_client), None)


class Client(TimestampMixin, SoftDeleteMixin, Model):
    """A person served (대상자); personal columns are read only through ``consents.gate.view_client``."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    #: the agency that collected this record and answers for it
    owning_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    # 기본정보
    name: Mapped[str] = mapped_column(sa.String(100), info=_pii("basic"))
    sex: Mapped[str | None] = mapped_column(sa.String(10), info=_pii("basic"))
    birth_date: Mapped[date | None] = mapped_column(info=_pii("basic"))
    phone: Mapped[str | None] = mapped_column(sa.String(40), info=_pii("basic"))
    address: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("basic"))
    #: 비상연락처 (name, relationship, phone in one line)
    emergency_contact: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("basic"))
    # 고유식별정보
    #: 주민등록번호, Fernet-encrypted; stored only with ``rrn_legal_basis`` by a public agency
    rrn_encrypted: Mapped[str | None] = mapped_column(sa.Text, info=_pii("unique_id", encrypted=True))
    #: the statute that allows a public agency to process the number, e.g. 사회보장급여법 제37조
    rrn_legal_basis: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("unique_id"))
    # 가구정보
    #: relationship to the head of household (본인, 배우자, 자녀, …)
    relationship_to_head: Mapped[str | None] = mapped_column(sa.String(30), info=_pii("household"))
    #: lives in the household (동거) or not
    lives_together: Mapped[bool] = mapped_column(
        default=True, server_default=sa.true(), info=_pii("household")
    )
    #: the main client (주요 클라이언트) chosen for the household
    is_main_client: Mapped[bool] = mapped_column(default=False)
    # 경제상황
    #: 보장구분 / 수급 category, e.g. 조건부수급자(생계급여), 차상위
    benefit_category: Mapped[str | None] = mapped_column(sa.String(60), info=_pii("economic"))
    #: monthly household-earned income, 만원
    monthly_income: Mapped[int | None] = mapped_column(info=_pii("economic"))
    #: debts, 만원
    debt_amount: Mapped[int | None] = mapped_column(info=_pii("economic"))
    debt_reason: Mapped[str | None] = mapped_column(sa.String(300), info=_pii("economic"))
    #: 주거형태·점유 in words (월세, 임대 …)
    housing: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("economic"))
    # 건강정보 (sensitive: separate consent)
    physical_health: Mapped[str | None] = mapped_column(sa.Text, info=_pii("health"))
    mental_health: Mapped[str | None] = mapped_column(sa.Text, info=_pii("health"))
    disability: Mapped[str | None] = mapped_column(sa.String(200), info=_pii("health"))
    addiction: Mapped[str | None] = mapped_column(sa.Text, info=_pii("health"))
    # 가족관계
    #: relationships with family members, including the "invisible family" outside the household
    family_relations: Mapped[str | None] = mapped_column(sa.Text, info=_pii("family"))

    household: Mapped[Household] = relationship(back_populates="members")


# --- the case ----------------------------------------------------------------------------------


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


class IntakeRecord(TimestampMixin, Model):
    """초기상담 기록 (필수서식1's worker section): facts and the worker's opinion kept apart."""

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
    #: life or safety at stake (suicide risk, abuse, violence …)
    life_safety: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text, info=_pii("crisis"))
    rated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


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


class ServicePlan(TimestampMixin, Model):
    """서비스제공계획 (ISP), versioned: a revision adds a new plan, the old one stays on the record."""

    __tablename__ = "case_service_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    #: horizon chosen first (1 year, 6 months, 3 months)
    horizon_months: Mapped[int]
    client_role: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    family_role: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    #: date of the written agreement signed face to face; None while the plan is a draft
    agreed_on: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.id"
    )
    services: Mapped[list[PlanService]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanService.id"
    )


class PlanGoal(Model):
    """A long- or short-term goal of a plan, per need domain, with a target date."""

    __tablename__ = "case_plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_service_plans.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[NeedDomain] = mapped_column(str_enum(NeedDomain, "goal_domain"))
    term: Mapped[GoalTerm] = mapped_column(str_enum(GoalTerm, "goal_term"))
    statement: Mapped[str] = mapped_column(sa.Text, info=_pii("service_history"))
    target_on: Mapped[date]

    plan: Mapped[ServicePlan] = relationship(back_populates="goals")


class PlanService(Model):
    """A planned service or intervention; shows its result or stays "결과 대기"."""

    __tablename__ = "case_plan_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_service_plans.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), info=_pii("service_history"))
    provider_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: provider in words when it is not in the network (이웃, 종교단체 …)
    provider_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: 양, e.g. 주 1회
    quantity: Mapped[str] = mapped_column(sa.String(100))
    #: 기간 in months
    duration_months: Mapped[int]
    #: 강도, e.g. 집중 / 보통 / 가벼움
    intensity: Mapped[str] = mapped_column(sa.String(40))
    result: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    result_on: Mapped[date | None]

    plan: Mapped[ServicePlan] = relationship(back_populates="services")


class CounsellingLog(TimestampMixin, Model):
    """상담일지 (필수서식7) through one of the four monitoring channels; opinion apart from facts."""

    __tablename__ = "case_counselling_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    contacted_on: Mapped[date] = mapped_column(index=True)
    channel: Mapped[MonitoringChannel] = mapped_column(str_enum(MonitoringChannel, "monitoring_channel"))
    method: Mapped[ContactMethod] = mapped_column(str_enum(ContactMethod, "log_contact_method"))
    #: 상담시간, 10–180 minutes
    minutes: Mapped[int]
    #: 상담내용: service and intervention given and the client's change (summary recording)
    content: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    finding: Mapped[MonitoringFinding] = mapped_column(
        str_enum(MonitoringFinding, "monitoring_finding"), default=MonitoringFinding.on_track
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class ServiceCheck(TimestampMixin, Model):
    """A check of a planned service on 충분성, 적절성, 효율성 (1 = 매우 부족 … 4 = 충분)."""

    __tablename__ = "case_service_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    plan_service_id: Mapped[int] = mapped_column(sa.ForeignKey("case_plan_services.id", ondelete="CASCADE"))
    checked_on: Mapped[date]
    sufficiency: Mapped[int]
    appropriateness: Mapped[int]
    efficiency: Mapped[int]
    note: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))

    __table_args__ = (
        sa.CheckConstraint(
            "sufficiency BETWEEN 1 AND 4 AND appropriateness BETWEEN 1 AND 4 AND efficiency BETWEEN 1 AND 4",
            name="scores_1_to_4",
        ),
    )


class ClosureReview(TimestampMixin, Model):
    """종결심사회의 record (활용서식10) with at least the case worker and a supervisor."""

    __tablename__ = "case_closure_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[date]
    closure_type: Mapped[ClosureType] = mapped_column(str_enum(ClosureType, "closure_type"))
    #: 단기/장기 달성여부, 1–4
    short_term_achievement: Mapped[int]
    long_term_achievement: Mapped[int]
    review_opinion: Mapped[str] = mapped_column(sa.Text, info=_pii("counselling"))
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    case_worker_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: other attendees (providers, the client), in words
    other_attendees: Mapped[str | None] = mapped_column(sa.Text)
    #: day the client was told of the planned closure (about a month ahead)
    notice_given_on: Mapped[date | None]
    planned_closure_on: Mapped[date]
    #: a supervisor's approval, required when the case is flagged for life or safety
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(
            "short_term_achievement BETWEEN 1 AND 4 AND long_term_achievement BETWEEN 1 AND 4",
            name="achievement_1_to_4",
        ),
    )


class FollowUpPlan(TimestampMixin, Model):
    """사후관리 계획서 (활용서식12) and its outcome."""

    __tablename__ = "case_follow_up_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    method: Mapped[FollowUpMethod] = mapped_column(str_enum(FollowUpMethod, "follow_up_method"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    services_needed: Mapped[str | None] = mapped_column(sa.Text, info=_pii("service_history"))
    outcome: Mapped[FollowUpOutcome | None] = mapped_column(str_enum(FollowUpOutcome, "follow_up_outcome"))
    outcome_on: Mapped[date | None]
    outcome_note: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    referred_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))


# --- the dong's 내부판정회의 and escalation to the district --------------------------------------------


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


# --- documents and scores -----------------------------------------------------------------------


class Attachment(TimestampMixin, Model):
    """A genogram, eco-map or scanned form, stored under the instance folder (never in static/)."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind, "attachment_kind"))
    #: the uploader's file name, shown on the page only
    filename: Mapped[str] = mapped_column(sa.String(200), info=_pii("needs"))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    #: random name of the stored file under ``<instance>/case_files/``
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class CapacityAssessment(TimestampMixin, Model):
    """자활역량평가표 (활용서식1): the criteria chosen, with the total and group computed from them."""

    __tablename__ = "case_capacity_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    assessed_on: Mapped[date]
    #: item code → chosen criterion code (see `cases.scores.CAPACITY_ITEMS`)
    answers: Mapped[dict[str, str]] = mapped_column(sa.JSON, info=_pii("needs"))
    worker_will: Mapped[int]
    worker_employability: Mapped[int]
    supervisor_adjustment: Mapped[int] = mapped_column(default=0)
    total: Mapped[int]
    group: Mapped[str] = mapped_column(sa.String(1))
    assessed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class CaseEvaluation(TimestampMixin, Model):
    """사례관리 평가서 (활용서식9): rows of effort and achievement /10, average computed."""

    __tablename__ = "case_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    evaluated_on: Mapped[date]
    #: [{"section", "goal", "participant", "worker", "external", "achievement"}]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, info=_pii("service_history"))
    average_achievement: Mapped[float]
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    evaluated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class DestructionLog(Model):
    """A record that a case's personal data was destroyed; holds no personal data itself."""

    __tablename__ = "case_destruction_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    case_id: Mapped[int] = mapped_column(index=True)
    owning_agency_id: Mapped[int]
    #: ``closed`` or ``not_selected``
    basis: Mapped[str] = mapped_column(sa.String(20))
    #: the day the retention period started (closure or 미선정)
    ended_on: Mapped[date]
    #: rows removed per table, e.g. {"case_needs": 3}
    counts: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
