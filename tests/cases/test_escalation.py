"""The dong's 내부판정회의 and the escalation round trip to the district coordinator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from cases import access, services
from cases.models import (
    Case,
    CaseStage,
    CaseType,
    ConsentStatus,
    EscalationPlacement,
    EscalationStatus,
    EscalationUrgency,
    SelectionDecision,
    SelectionOutcome,
)
from consents.models import Consent
from hamkke.audit import AuditEntry
from hamkke.errors import InvalidTransition, NotFound, ValidationFailed
from hamkke.time import today_local
from tests.fixtures.cases import CaseKit


def _meeting(kit: CaseKit, *decisions: services.MeetingDecisionInput) -> Any:
    return services.hold_dong_meeting(
        kit.dong_centre,
        actor=kit.worker,
        held_on=today_local(),
        attendees="동장, 맞춤형복지팀장, 복지플래너 2명",
        decisions=decisions,
    )


def test_meeting_records_a_decision_per_household(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    managed, linked, refused, hard = (create_case(CaseStage.selection) for _ in range(4))
    meeting = _meeting(
        case_kit,
        services.MeetingDecisionInput(managed.id, SelectionOutcome.case_management, "복합 욕구"),
        services.MeetingDecisionInput(linked.id, SelectionOutcome.service_link, "밑반찬 연계로 충분"),
        services.MeetingDecisionInput(
            refused.id,
            SelectionOutcome.not_selected,
            "일회성 지원으로 해결",
            alternative_services="긴급지원 안내",
        ),
        services.MeetingDecisionInput(
            hard.id,
            SelectionOutcome.escalate,
            "알코올 의존과 아동 방임",
            urgency=EscalationUrgency.urgent,
            tried="정신건강복지센터 연계 거부",
        ),
    )
    assert [d.outcome for d in meeting.decisions] == [
        SelectionOutcome.case_management,
        SelectionOutcome.service_link,
        SelectionOutcome.not_selected,
        SelectionOutcome.escalate,
    ]
    decision = db.session.query(SelectionDecision).filter_by(case_id=refused.id).one()
    assert decision.meeting_id == meeting.id
    case_kit.do(refused, "not_select")
    assert refused.stage == CaseStage.not_selected
    assert hard.case_type == CaseType.crisis  # urgent escalation marks it a crisis case


def test_meeting_refuses_cases_not_yet_assessed_and_saves_nothing(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    early = create_case(CaseStage.assessment)
    ready = create_case(CaseStage.selection)
    with pytest.raises(InvalidTransition, match="사정을 마친 사례만"):
        _meeting(
            case_kit,
            services.MeetingDecisionInput(ready.id, SelectionOutcome.case_management, "복합 욕구"),
            services.MeetingDecisionInput(early.id, SelectionOutcome.case_management, "복합 욕구"),
        )
    assert db.session.query(SelectionDecision).filter_by(case_id=ready.id).count() == 0


def test_escalation_round_trip_accept(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.selection)
    meeting = _meeting(
        case_kit,
        services.MeetingDecisionInput(
            case.id,
            SelectionOutcome.escalate,
            "고난도: 저장강박과 단전",
            tried="청소 지원 2회 거부",
        ),
    )
    escalation = next(iter(services.db.session.query(services.Escalation).filter_by(meeting_id=meeting.id)))
    assert escalation.to_agency_id == case_kit.team.id
    assert escalation.status == EscalationStatus.submitted
    # The coordinator now sees the case (facts only) and decides; the dong sees the status.
    assert access.can_on_case(case_kit.coordinator, case, "view", agency_id=case_kit.team.id)
    assert (
        access.get_escalation_for(case_kit.coordinator, escalation.id, agency_id=case_kit.team.id)
        is escalation
    )
    assert (
        access.get_escalation_for(case_kit.worker, escalation.id, agency_id=case_kit.dong_centre.id)
        is escalation
    )
    services.accept_escalation(
        escalation,
        actor=case_kit.coordinator,
        agency_id=case_kit.team.id,
        placement=EscalationPlacement.regular_conference,
    )
    assert escalation.status == EscalationStatus.accepted
    assert escalation.placement == EscalationPlacement.regular_conference
    assert escalation.decided_on == today_local()
    with pytest.raises(InvalidTransition, match="이미 처리한"):
        services.return_escalation(
            escalation, actor=case_kit.coordinator, agency_id=case_kit.team.id, guidance="x"
        )
    kinds = [event.kind for event in case.events]
    assert {"escalated", "escalation_accepted"} <= set(kinds)


def test_escalation_round_trip_return_and_resubmit(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.selection)
    first = services.escalate_case(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        reason="고난도",
        urgency=EscalationUrgency.normal,
        tried="상담 3회",
    )
    # Only the collection consent the kit took at intake is on file.
    assert first.consent_status == ConsentStatus.collection_only
    with pytest.raises(InvalidTransition, match="검토 중인 의뢰"):
        services.escalate_case(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            reason="다시",
            urgency=EscalationUrgency.normal,
            tried="상담",
        )
    with pytest.raises(ValidationFailed, match="반려 사유"):
        services.return_escalation(
            first, actor=case_kit.coordinator, agency_id=case_kit.team.id, guidance=" "
        )
    services.return_escalation(
        first,
        actor=case_kit.coordinator,
        agency_id=case_kit.team.id,
        guidance="제3자 제공 동의를 받아 다시 의뢰해 주세요.",
    )
    assert first.status == EscalationStatus.returned
    # A returned case is no longer the coordinator's to see.
    with pytest.raises(NotFound):
        access.get_case_for(case_kit.coordinator, case.id, "view", agency_id=case_kit.team.id)
    provision = case_kit.consent(case, to_team=True)
    second = services.escalate_case(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        reason="동의 받음",
        urgency=EscalationUrgency.urgent,
        tried="상담 3회",
    )
    services.accept_escalation(
        second,
        actor=case_kit.coordinator,
        agency_id=case_kit.team.id,
        placement=EscalationPlacement.urgent_conference,
    )
    assert second.placement == EscalationPlacement.urgent_conference
    assert second.consent_status == ConsentStatus.third_party
    assert second.consent_ids == [provision.id]
    assert first.consent_status == ConsentStatus.collection_only  # each keeps its own snapshot


@pytest.mark.embedded
def test_escalation_consent_status_is_derived_when_sent_and_kept(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    from consents import services as consent_services

    case = create_case(CaseStage.selection)
    [collection] = db.session.scalars(
        sa.select(Consent).where(Consent.client_id == case.main_client_id)
    ).all()
    # The client withdrew the only consent: nothing on file when the dong escalates.
    consent_services.revoke_consent(collection, actor=case_kit.worker, reason="철회")
    escalation = services.escalate_case(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        reason="고난도",
        urgency=EscalationUrgency.normal,
        tried="상담",
    )

    assert (escalation.consent_status, escalation.consent_ids) == (ConsentStatus.none, None)
    row = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "case.escalated")).one()
    assert (row.data["consent_status"], row.data["consent_ids"]) == ("none", [])


def test_escalation_needs_reason_and_tries(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.selection)
    with pytest.raises(ValidationFailed) as caught:
        services.escalate_case(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            reason="고난도",
            urgency=EscalationUrgency.normal,
            tried="",
        )
    assert caught.value.field == "tried"


def test_strangers_do_not_see_an_escalation(
    case_kit: CaseKit, create_case: Callable[..., Case], create_person: Callable[..., Any]
) -> None:
    case = create_case(CaseStage.selection)
    escalation = services.escalate_case(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        reason="고난도",
        urgency=EscalationUrgency.normal,
        tried="상담",
    )
    team_worker = create_person(agency=case_kit.team)  # a case worker of the team, not its coordinator
    with pytest.raises(NotFound):
        access.get_escalation_for(team_worker, escalation.id, agency_id=case_kit.team.id)
    assert not access.can_on_case(case_kit.coordinator, case, "edit", agency_id=case_kit.team.id)
    assert access.can_on_case(case_kit.coordinator, case, "decide_escalation", agency_id=case_kit.team.id)
