"""The dong's 내부판정회의 and escalation of a 고난도 case to the district (구청 의뢰)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, AgencyType, Person
from cases import consent_basis
from cases.models import (
    Case,
    CaseStage,
    CaseType,
    DongMeeting,
    DongMeetingDecision,
    Escalation,
    EscalationPlacement,
    EscalationStatus,
    EscalationUrgency,
    SelectionOutcome,
)
from cases.services.assessment import record_selection
from cases.services.common import _event, _optional, _past, _require_stage, _text
from hamkke import audit
from hamkke.db import db
from hamkke.errors import DomainError, InvalidTransition, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import today_local


@dataclass(frozen=True)
class MeetingDecisionInput:
    """The meeting's decision for one case; escalation details only for 구청 의뢰."""

    case_id: int
    outcome: SelectionOutcome
    reason: str
    alternative_services: str | None = None
    urgency: EscalationUrgency = EscalationUrgency.normal
    tried: str | None = None


def hold_dong_meeting(
    agency: Agency,
    *,
    actor: Person,
    held_on: date,
    attendees: str,
    decisions: Sequence[MeetingDecisionInput],
) -> DongMeeting:
    """Record a 내부판정회의 with a decision per household; 구청 의뢰 sends an escalation."""
    if agency.type != AgencyType.dong_centre:
        raise ValidationFailed("내부판정회의는 동 주민센터가 엽니다.", field="agency")
    if not decisions:
        raise ValidationFailed("판정할 가구를 하나 이상 골라 주세요.", field="decisions")
    meeting = DongMeeting(
        agency_id=agency.id,
        held_on=_past(held_on, "held_on", "회의일"),
        attendees=_text(attendees, "attendees", "참석자"),
        created_by_id=actor.id,
    )
    db.session.add(meeting)
    seen: set[int] = set()
    cases: list[tuple[Case, MeetingDecisionInput]] = []
    for index, item in enumerate(decisions):
        case = db.session.get(Case, item.case_id)
        if case is None or case.owning_agency_id != agency.id or item.case_id in seen:
            raise ValidationFailed(
                "이 주민센터의 사례만 한 번씩 판정할 수 있습니다.", field=f"decisions-{index}"
            )
        if case.stage != CaseStage.selection:
            raise InvalidTransition(
                f"사례 {with_particle(case.number, '은')} '{case.stage.label}' 단계라 판정할 수 없습니다. "
                "사정을 마친 사례만 판정합니다.",
                field=f"decisions-{index}",
            )
        seen.add(item.case_id)
        cases.append((case, item))
    db.session.flush()
    for index, (case, item) in enumerate(cases):
        reason = _text(item.reason, f"decisions-{index}-reason", "판정 사유")
        meeting.decisions.append(DongMeetingDecision(case_id=case.id, outcome=item.outcome, reason=reason))
        if item.outcome == SelectionOutcome.escalate:
            escalate_case(
                case,
                actor=actor,
                agency_id=agency.id,
                reason=reason,
                urgency=item.urgency,
                tried=item.tried or "",
                meeting_id=meeting.id,
                field_prefix=f"decisions-{index}-",
            )
        else:
            try:
                record_selection(
                    case,
                    actor=actor,
                    agency_id=agency.id,
                    decided_on=meeting.held_on,
                    outcome=item.outcome,
                    reason=reason,
                    alternative_services=item.alternative_services,
                    meeting_id=meeting.id,
                )
            except DomainError as error:
                # Point the refusal at this household's row of the meeting form.
                suffix = (
                    "alternatives" if error.field == "alternative_services" else error.field or "decision"
                )
                error.field = f"decisions-{index}-{suffix}"
                raise
    db.session.flush()
    audit.record(
        "case.dong_meeting", actor_id=actor.id, agency_id=agency.id, obj=meeting, data={"cases": sorted(seen)}
    )
    return meeting


def _district_team(agency: Agency) -> Agency:
    team = db.session.scalars(
        sa.select(Agency)
        .where(Agency.district_id == agency.district_id, Agency.type == AgencyType.district_team)
        .order_by(Agency.id)
    ).first()
    if team is None:
        raise ValidationFailed("이 지역에는 의뢰받을 구청 통합사례관리팀이 없습니다.", field="agency")
    return team


def escalate_case(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    reason: str,
    urgency: EscalationUrgency,
    tried: str,
    meeting_id: int | None = None,
    field_prefix: str = "",
) -> Escalation:
    """Send a 고난도 case to the district coordinator (구청 의뢰) with reason, urgency and tries.

    The consent status it carries is derived from the consent records now, never typed.
    """
    _require_stage(case, CaseStage.selection, what="구청 의뢰")
    open_one = db.session.scalar(
        sa.select(Escalation.id).where(
            Escalation.case_id == case.id, Escalation.status == EscalationStatus.submitted
        )
    )
    if open_one is not None:
        raise InvalidTransition("이미 구청이 검토 중인 의뢰가 있습니다.", field=f"{field_prefix}reason")
    agency = db.session.get(Agency, case.owning_agency_id)
    assert agency is not None  # noqa: S101
    team = _district_team(agency)
    consent = consent_basis.escalation_consent(case, team, today_local())
    escalation = Escalation(
        case_id=case.id,
        from_agency_id=agency.id,
        to_agency_id=team.id,
        meeting_id=meeting_id,
        reason=_text(reason, f"{field_prefix}reason", "의뢰 사유"),
        urgency=urgency,
        tried=_text(tried, f"{field_prefix}tried", "지금까지 한 개입"),
        consent_status=consent.status,
        consent_ids=list(consent.consent_ids) or None,
        submitted_by_id=actor.id,
        submitted_on=today_local(),
    )
    db.session.add(escalation)
    if urgency == EscalationUrgency.urgent:
        case.case_type = CaseType.crisis
    db.session.flush()
    _event(
        case,
        "escalated",
        actor=actor,
        agency_id=agency_id,
        data={
            "escalation_id": escalation.id,
            "urgency": urgency.value,
            "consent_status": consent.status.value,
            "consent_ids": list(consent.consent_ids),
        },
    )
    return escalation


def accept_escalation(
    escalation: Escalation,
    *,
    actor: Person,
    agency_id: int | None,
    placement: EscalationPlacement,
    note: str | None = None,
) -> None:
    """The coordinator takes the case: onto a regular conference agenda, or an urgent conference for 위기."""
    if escalation.status != EscalationStatus.submitted:
        raise InvalidTransition("이미 처리한 의뢰입니다.", field="placement")
    escalation.status = EscalationStatus.accepted
    escalation.placement = placement
    escalation.guidance = _optional(note, "guidance", "메모")
    escalation.decided_by_id = actor.id
    escalation.decided_on = today_local()
    db.session.flush()
    _event(
        escalation.case,
        "escalation_accepted",
        actor=actor,
        agency_id=agency_id,
        data={"escalation_id": escalation.id, "placement": placement.value},
    )


def return_escalation(escalation: Escalation, *, actor: Person, agency_id: int | None, guidance: str) -> None:
    """The coordinator returns the escalation to the dong with guidance (보완 요청)."""
    if escalation.status != EscalationStatus.submitted:
        raise InvalidTransition("이미 처리한 의뢰입니다.", field="guidance")
    escalation.guidance = _text(guidance, "guidance", "반려 사유와 안내")
    escalation.status = EscalationStatus.returned
    escalation.decided_by_id = actor.id
    escalation.decided_on = today_local()
    db.session.flush()
    _event(
        escalation.case,
        "escalation_returned",
        actor=actor,
        agency_id=agency_id,
        data={"escalation_id": escalation.id},
    )
