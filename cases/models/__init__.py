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
from cases.models.closure import ClosureReview, FollowUpPlan
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
from cases.models.households import Client, Household
from cases.models.planning import CounsellingLog, PlanGoal, PlanService, ServiceCheck, ServicePlan
from cases.models.selfsufficiency import (
    EducationCourse,
    EmploymentConfirmation,
    FieldLearningEvaluation,
    GatewayClosureReport,
    SelfSufficiencyTrack,
    TrackState,
    WorkTeamPlacement,
)

__all__ = [
    "CLOSURE_TYPES_WITHOUT_NOTICE",
    "Attachment",
    "AttachmentKind",
    "CapacityAssessment",
    "Case",
    "CaseEvaluation",
    "CaseEvent",
    "CaseIntensity",
    "CaseStage",
    "CaseType",
    "Client",
    "ClosureReview",
    "ClosureType",
    "ConsentStatus",
    "ContactMethod",
    "CounsellingLog",
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
    "FieldLearningEvaluation",
    "FollowUpMethod",
    "FollowUpOutcome",
    "FollowUpPlan",
    "GatewayClosureReport",
    "GoalTerm",
    "Household",
    "IntakeRecord",
    "IntakeRoute",
    "Labelled",
    "MonitoringAction",
    "MonitoringChannel",
    "MonitoringFinding",
    "Need",
    "NeedDomain",
    "PlanGoal",
    "PlanService",
    "RiskLevel",
    "SelectionDecision",
    "SelectionOutcome",
    "SelfSufficiencyTrack",
    "ServiceCheck",
    "ServicePlan",
    "TrackState",
    "WorkTeamPlacement",
    "case_number",
]
