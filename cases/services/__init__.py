"""Writes of the case process. Every function validates, changes, flushes and audits; none commits.

Refusals are `ValidationFailed` (with the form field) or `InvalidTransition`, with Korean messages;
a refused call leaves nothing behind because it raises before adding anything to the session.

The writes live in submodules along the process: `households` (접수, members, worker, type),
`transitions` (the state machine), `assessment` (초기상담 to 선정), `planning` (ISP), `monitoring`
(service checks), `counselling` (상담일지 sessions, 위기도 items), `closure` (종결심사, 사후관리),
`escalation` (내부판정회의, 구청 의뢰) and `documents` (attachments and scores), with shared
validators in `common`. This module re-exports their public names so callers keep ``from cases
import services``; new code in the package imports from the submodules. A few model and error names
are re-exported too because callers (the demo loader, tests) read them through this module.
"""

from __future__ import annotations

import sqlalchemy as sa

from cases.models import ClosureReview, Escalation, GoalTerm, IntakeRoute, NeedDomain, PlanService
from cases.services.assessment import add_need, record_intake, record_selection
from cases.services.closure import (
    approve_closure,
    plan_follow_up,
    record_closure_review,
    record_follow_up_outcome,
    write_closure_report,
)
from cases.services.common import MAX_TEXT, RETENTION_YEARS, _event, membership_of
from cases.services.counselling import (
    LogEntry,
    add_counselling_log,
    crisis_level,
    rate_crisis,
    record_session,
)
from cases.services.documents import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    add_attachment,
    attachment_folder,
    record_capacity_assessment,
    record_evaluation,
)
from cases.services.escalation import (
    MeetingDecisionInput,
    accept_escalation,
    escalate_case,
    hold_dong_meeting,
    return_escalation,
)
from cases.services.households import (
    RRN_PATTERN,
    ClientInput,
    add_household_member,
    assign_case_worker,
    choose_main_client,
    classify_case,
    open_case,
)
from cases.services.monitoring import (
    ACTION_TRANSITIONS,
    MONITORING_ACTIONS,
    add_service_check,
)
from cases.services.planning import (
    GoalInput,
    ServiceInput,
    create_plan,
    record_agreement,
    record_service_result,
)
from cases.services.transitions import transition_case
from hamkke.db import db
from hamkke.errors import PermissionDenied, ValidationFailed

__all__ = [
    "ACTION_TRANSITIONS",
    "ATTACHMENT_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "MAX_TEXT",
    "MONITORING_ACTIONS",
    "RETENTION_YEARS",
    "RRN_PATTERN",
    "ClientInput",
    "ClosureReview",
    "Escalation",
    "GoalInput",
    "GoalTerm",
    "IntakeRoute",
    "LogEntry",
    "MeetingDecisionInput",
    "NeedDomain",
    "PermissionDenied",
    "PlanService",
    "ServiceInput",
    "ValidationFailed",
    "_event",
    "accept_escalation",
    "add_attachment",
    "add_counselling_log",
    "add_household_member",
    "add_need",
    "add_service_check",
    "approve_closure",
    "assign_case_worker",
    "attachment_folder",
    "choose_main_client",
    "classify_case",
    "create_plan",
    "crisis_level",
    "db",
    "escalate_case",
    "hold_dong_meeting",
    "membership_of",
    "open_case",
    "plan_follow_up",
    "rate_crisis",
    "record_agreement",
    "record_capacity_assessment",
    "record_closure_review",
    "record_evaluation",
    "record_follow_up_outcome",
    "record_intake",
    "record_selection",
    "record_service_result",
    "record_session",
    "return_escalation",
    "sa",
    "transition_case",
    "write_closure_report",
]
