"""Households, clients and cases: the records conferences, referrals and consents point at.

Personal columns carry ``info={"pii": True, "field_group": <code>}`` so the consent gate, exports
and the retention purge find them; the groups themselves are described in `cases.fields`.
Dates a worker types are local dates (``_on``); instants are UTC (``_at``).

The models live in one module per aggregate: `households` (households and clients), `case` (the
case and its timeline), `assessment`, `planning`, `closure`, `escalation` (내부판정회의, 구청 의뢰) and
`documents`, with the enumerations in `enums`. This module imports them all, so the metadata Alembic
and the gate read is complete, and re-exports their names so callers keep ``from cases.models import
Case``; new code in the package imports from the submodules.
"""

from __future__ import annotations

# Registers the listeners that derive the 중복 서비스 확인 fingerprints on every client write.
from cases.models import fingerprints as fingerprints
from cases.models.assessment import CrisisRating, IntakeRecord, Need, SelectionDecision
from cases.models.case import Case, CaseEvent, case_number
from cases.models.closure import ClosureReport, ClosureReview, FollowUpPlan
from cases.models.counselling import (
    COUNSELLING_TYPE_GROUPS,
    CRISIS_SCORE_LABELS,
    CRISIS_SCORE_MAX,
    LOG_STAGES,
    CounsellingArea,
    CounsellingMethod,
    CounsellingSession,
    CounsellingType,
    CrisisItem,
    CrisisItemScore,
)
from cases.models.documents import Attachment, CapacityAssessment, CaseEvaluation, DestructionLog
from cases.models.enums import (
    CLOSURE_TYPES_WITHOUT_NOTICE,
    AttachmentKind,
    CaseIntensity,
    CaseStage,
    CaseType,
    ClosureType,
    ConsentStatus,
    ContactMethod,
    EscalationPlacement,
    EscalationStatus,
    EscalationUrgency,
    FollowUpMethod,
    FollowUpOutcome,
    GoalTerm,
    IntakeRoute,
    Labelled,
    MonitoringAction,
    MonitoringChannel,
    MonitoringFinding,
    NeedDomain,
    RiskLevel,
    SelectionOutcome,
)
from cases.models.escalation import DongMeeting, DongMeetingDecision, Escalation
from cases.models.household_codes import HouseholdComposition, HouseholdProblemType
from cases.models.households import Client, Household
from cases.models.interview import (
    BasicInterview,
    InterviewAccount,
    InterviewBenefits,
    InterviewCareer,
    InterviewFamilyMember,
    InterviewHealth,
    InterviewLicence,
    InterviewSchooling,
    InterviewTraining,
    PriorService,
)
from cases.models.planning import CounsellingLog, PlanGoal, PlanService, ServiceCheck, ServicePlan
from cases.models.self_assessment import SelfSufficiencyAssessment
from cases.models.selfplans import (
    ExecutionPhase,
    IndividualActionPlan,
    PlanKind,
    PlanProposal,
    ProposalStatus,
    SupportDomain,
    TargetPath,
)
from cases.models.selfsufficiency import (
    EducationCourse,
    EmploymentConfirmation,
    FieldLearningEvaluation,
    GatewayClosureReport,
    SelfSufficiencyTrack,
    TrackState,
    WorkTeamPlacement,
)
from cases.models.surveys import NeedsSurvey, SatisfactionSurvey

__all__ = [
    "CLOSURE_TYPES_WITHOUT_NOTICE",
    "COUNSELLING_TYPE_GROUPS",
    "CRISIS_SCORE_LABELS",
    "CRISIS_SCORE_MAX",
    "LOG_STAGES",
    "Attachment",
    "AttachmentKind",
    "BasicInterview",
    "CapacityAssessment",
    "Case",
    "CaseEvaluation",
    "CaseEvent",
    "CaseIntensity",
    "CaseStage",
    "CaseType",
    "Client",
    "ClosureReport",
    "ClosureReview",
    "ClosureType",
    "ConsentStatus",
    "ContactMethod",
    "CounsellingArea",
    "CounsellingLog",
    "CounsellingMethod",
    "CounsellingSession",
    "CounsellingType",
    "CrisisItem",
    "CrisisItemScore",
    "CrisisRating",
    "DestructionLog",
    "DongMeeting",
    "DongMeetingDecision",
    "EducationCourse",
    "EmploymentConfirmation",
    "Escalation",
    "EscalationPlacement",
    "EscalationStatus",
    "EscalationUrgency",
    "ExecutionPhase",
    "FieldLearningEvaluation",
    "FollowUpMethod",
    "FollowUpOutcome",
    "FollowUpPlan",
    "GatewayClosureReport",
    "GoalTerm",
    "Household",
    "HouseholdComposition",
    "HouseholdProblemType",
    "IndividualActionPlan",
    "IntakeRecord",
    "IntakeRoute",
    "InterviewAccount",
    "InterviewBenefits",
    "InterviewCareer",
    "InterviewFamilyMember",
    "InterviewHealth",
    "InterviewLicence",
    "InterviewSchooling",
    "InterviewTraining",
    "Labelled",
    "MonitoringAction",
    "MonitoringChannel",
    "MonitoringFinding",
    "Need",
    "NeedDomain",
    "NeedsSurvey",
    "PlanGoal",
    "PlanKind",
    "PlanProposal",
    "PlanService",
    "PriorService",
    "ProposalStatus",
    "RiskLevel",
    "SatisfactionSurvey",
    "SelectionDecision",
    "SelectionOutcome",
    "SelfSufficiencyAssessment",
    "SelfSufficiencyTrack",
    "ServiceCheck",
    "ServicePlan",
    "SupportDomain",
    "TargetPath",
    "TrackState",
    "WorkTeamPlacement",
    "case_number",
]
