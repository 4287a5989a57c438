"""The case process's enumerations: stages, types and the labelled codes the forms offer."""

from __future__ import annotations

import enum


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
