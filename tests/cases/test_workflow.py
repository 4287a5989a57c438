"""The case state machine: every legal transition, every illegal one, and each guard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from cases import services, workflow
from cases.models import (
    Case,
    CaseEvent,
    CaseStage,
    ClosureType,
    CrisisItem,
    FollowUpMethod,
    FollowUpOutcome,
    GoalTerm,
    NeedDomain,
    RiskLevel,
    SelectionOutcome,
)
from hamkke.audit import AuditEntry
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.time import today_local
from tests.fixtures.cases import CaseKit

LEGAL = sorted(workflow.TRANSITIONS, key=lambda key: (list(CaseStage).index(key[0]), key[1]))
ILLEGAL = sorted(
    (
        (stage, action)
        for stage in CaseStage
        for action in workflow.ACTIONS
        if (stage, action) not in workflow.TRANSITIONS
    ),
    key=lambda key: (list(CaseStage).index(key[0]), key[1]),
)


def _prepare(kit: CaseKit, case: Case, action: str) -> dict[str, Any]:
    """Record what the guard of ``action`` needs; return extra transition arguments."""
    actor, agency_id, today = kit.worker, kit.dong_centre.id, today_local()
    if action in {"link_service_only", "not_select"}:
        outcome = (
            SelectionOutcome.service_link if action == "link_service_only" else SelectionOutcome.not_selected
        )
        services.record_selection(
            case,
            actor=actor,
            agency_id=agency_id,
            decided_on=today,
            outcome=outcome,
            reason="단순 욕구",
            alternative_services="푸드뱅크 안내",
        )
        return {}
    if action == "close_without_follow_up":
        services.record_closure_review(
            case,
            actor=actor,
            agency_id=agency_id,
            reviewed_on=today,
            closure_type=ClosureType.died,
            short_term_achievement=2,
            long_term_achievement=1,
            review_opinion="사망으로 종결",
            supervisor_id=kit.supervisor.id,
            planned_closure_on=today,
        )
        return {}
    if action == "reintervene":
        services.record_follow_up_outcome(
            case,
            actor=actor,
            agency_id=agency_id,
            outcome=FollowUpOutcome.reintervene,
            outcome_on=today,
            note="재발",
        )
        return {"target": CaseStage.assessment}
    if action in {"reassess", "revise_plan", "propose_closure", "review_reassess", "resume_delivery"}:
        return {}
    kit.satisfy(case)
    return {}


@pytest.mark.parametrize(("source", "action"), LEGAL, ids=[f"{s.value}-{a}" for s, a in LEGAL])
def test_legal_transition_moves_the_case_and_is_audited(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any, source: CaseStage, action: str
) -> None:
    case = create_case(source)
    extra = _prepare(case_kit, case, action)
    event = services.transition_case(
        case, action, actor=case_kit.worker, agency_id=case_kit.dong_centre.id, reason="담당자 판단", **extra
    )
    expected = workflow.TRANSITIONS[(source, action)].target or extra["target"]
    assert case.stage == expected
    assert (event.from_stage, event.to_stage, event.action) == (source.value, expected.value, action)
    assert event.actor_id == case_kit.worker.id
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == f"case.transition.{action}", AuditEntry.object_id == case.id
        )
    ).one()
    assert entry.actor_id == case_kit.worker.id
    assert "담당자 판단" not in str(entry.data)  # the reason stays on the case, not in the audit log


@pytest.mark.parametrize(("source", "action"), ILLEGAL, ids=[f"{s.value}-{a}" for s, a in ILLEGAL])
def test_illegal_transition_is_refused_in_korean(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any, source: CaseStage, action: str
) -> None:
    if source == CaseStage.not_selected:
        case = create_case(CaseStage.selection)
        _prepare(case_kit, case, "not_select")
        case_kit.do(case, "not_select")
    else:
        case = create_case(source)
    events_before = len(case.events)
    with pytest.raises(InvalidTransition, match="단계에서는 이 작업을 할 수 없습니다"):
        services.transition_case(
            case, action, actor=case_kit.worker, agency_id=case_kit.dong_centre.id, reason="x"
        )
    assert case.stage == source
    assert len(case.events) == events_before


def test_every_stage_but_the_terminal_ones_has_a_way_out() -> None:
    for stage in CaseStage:
        assert bool(workflow.transitions_from(stage)) == stage.is_open


# --- guards --------------------------------------------------------------------------------------


def _refused(kit: CaseKit, case: Case, action: str, match: str, **kwargs: Any) -> None:
    with pytest.raises(InvalidTransition, match=match):
        services.transition_case(case, action, actor=kit.worker, agency_id=kit.dong_centre.id, **kwargs)


def test_assessment_needs_an_intake_record(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.initial_counselling)
    _refused(case_kit, case, "start_assessment", "초기상담 기록")


def test_selection_needs_a_need_and_a_separate_crisis_rating(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.assessment)
    _refused(case_kit, case, "submit_assessment", "욕구를 하나 이상")
    services.add_need(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        domain=NeedDomain.housing,
        phenomenon="곰팡이",
        risk_level=RiskLevel.medium,
        client_words="이사 가고 싶어요",
        need_statement="주거환경 개선",
    )
    _refused(case_kit, case, "submit_assessment", "위기도 조사")


@pytest.mark.parametrize(
    ("action", "match"),
    [("select_case_management", "사례관리"), ("link_service_only", "서비스연계"), ("not_select", "미선정")],
)
def test_selection_transitions_need_their_decision(
    case_kit: CaseKit, create_case: Callable[..., Case], action: str, match: str
) -> None:
    case = create_case(CaseStage.selection)
    _refused(case_kit, case, action, match)


def test_case_management_needs_a_case_worker(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.selection)
    case_kit.satisfy(case)
    case.case_worker_id = None
    _refused(case_kit, case, "select_case_management", "담당 사례관리자")


def test_not_selected_needs_reason_and_alternatives(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.selection)
    with pytest.raises(ValidationFailed, match="대체 서비스") as caught:
        services.record_selection(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            decided_on=today_local(),
            outcome=SelectionOutcome.not_selected,
            reason="일회성 지원으로 해결",
        )
    assert caught.value.field == "alternative_services"


def test_delivery_needs_a_plan_with_goals_services_and_written_agreement(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.planning)
    _refused(case_kit, case, "start_delivery", "계획을 먼저")
    today = today_local()
    plan = services.create_plan(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        horizon_months=3,
        client_role="상담 참여",
        family_role="딸: 병원 동행",
        goals=[
            services.GoalInput(
                NeedDomain.medical, GoalTerm.long, "통원 치료 유지", today + timedelta(days=80)
            )
        ],
        services=[
            services.ServiceInput("병원 동행", "월 2회", 3, "보통", provider_agency_id=case_kit.team.id)
        ],
    )
    _refused(case_kit, case, "start_delivery", "서면 합의")
    services.record_agreement(plan, actor=case_kit.worker, agency_id=case_kit.dong_centre.id, agreed_on=today)
    case_kit.do(case, "start_delivery")
    assert case.stage == CaseStage.delivery
    assert case.plan_agreed_on == today


def test_plan_without_a_case_worker_is_refused(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.planning)
    case.case_worker_id = None
    with pytest.raises(ValidationFailed, match="담당 사례관리자") as caught:
        case_kit.satisfy(case)
    assert caught.value.field == "case_worker_id"


def test_closure_without_review_is_refused(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.closure_review)
    _refused(case_kit, case, "close_to_follow_up", "종결심사회의 기록")
    _refused(case_kit, case, "close_without_follow_up", "종결심사회의 기록", reason="사망")


def test_closure_needs_notice_about_a_month_ahead(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.closure_review)
    today = today_local()
    services.record_closure_review(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        reviewed_on=today,
        closure_type=ClosureType.short_term_goal_met,
        short_term_achievement=3,
        long_term_achievement=2,
        review_opinion="단기목표 달성",
        supervisor_id=case_kit.supervisor.id,
        notice_given_on=today - timedelta(days=10),
        planned_closure_on=today,
    )
    services.plan_follow_up(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        method=FollowUpMethod.home_visit,
        starts_on=today,
        ends_on=today + timedelta(days=90),
    )
    _refused(case_kit, case, "close_to_follow_up", "한 달 전")


def test_closure_needs_a_follow_up_plan(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.closure_review)
    _prepare(case_kit, case, "close_without_follow_up")
    _refused(case_kit, case, "close_to_follow_up", "사후관리 계획")


def test_life_safety_case_needs_supervisor_approval(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.delivery)
    services.rate_crisis(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        rated_on=today_local(),
        scores={**dict.fromkeys(CrisisItem, 0), CrisisItem.safety: 4},
        life_safety=True,
        notes="자살 사고",
    )
    case_kit.do(case, "propose_closure")
    case_kit.satisfy(case)
    _refused(case_kit, case, "close_to_follow_up", "슈퍼바이저의 종결 승인")
    review = case.events  # the review exists; approve it as the supervisor
    assert review
    from cases.models import ClosureReview

    record = services.db.session.scalars(
        sa.select(ClosureReview).where(ClosureReview.case_id == case.id)
    ).one()
    with pytest.raises(services.PermissionDenied):
        services.approve_closure(record, actor=case_kit.worker, agency_id=case_kit.dong_centre.id)
    services.approve_closure(record, actor=case_kit.supervisor, agency_id=case_kit.dong_centre.id)
    case_kit.do(case, "close_to_follow_up")
    assert case.stage == CaseStage.follow_up


def test_closure_review_needs_a_supervisor_of_the_agency(
    case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.closure_review)
    with pytest.raises(ValidationFailed, match="슈퍼바이저") as caught:
        services.record_closure_review(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            reviewed_on=today_local(),
            closure_type=ClosureType.moved,
            short_term_achievement=2,
            long_term_achievement=2,
            review_opinion="이사",
            supervisor_id=case_kit.worker.id,
            planned_closure_on=today_local(),
        )
    assert caught.value.field == "supervisor_id"


def test_loops_need_a_reason(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.delivery)
    with pytest.raises(ValidationFailed, match="사유"):
        services.transition_case(case, "reassess", actor=case_kit.worker, agency_id=case_kit.dong_centre.id)


@pytest.mark.parametrize("outcome", [FollowUpOutcome.confirmed, FollowUpOutcome.referred])
def test_confirm_closure_after_confirmed_or_referred(
    case_kit: CaseKit, create_case: Callable[..., Case], outcome: FollowUpOutcome
) -> None:
    case = create_case(CaseStage.follow_up)
    _refused(case_kit, case, "confirm_closure", "사후관리 결과")
    services.record_follow_up_outcome(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        outcome=outcome,
        outcome_on=today_local(),
        note="결과",
        referred_agency_id=case_kit.team.id if outcome == FollowUpOutcome.referred else None,
    )
    case_kit.do(case, "confirm_closure")
    assert case.stage == CaseStage.closed
    assert case.closed_on == today_local()


@pytest.mark.parametrize("target", workflow.REENTRY_STAGES)
def test_reintervention_re_enters_at_the_chosen_stage(
    case_kit: CaseKit, create_case: Callable[..., Case], target: CaseStage
) -> None:
    case = create_case(CaseStage.follow_up)
    _prepare(case_kit, case, "reintervene")
    case_kit.do(case, "reintervene", target=target)
    assert case.stage == target
    assert case.closed_on is None


@pytest.mark.parametrize("target", [None, CaseStage.closed, CaseStage.intake_pending, CaseStage.selection])
def test_reintervention_refuses_a_missing_or_wrong_stage(
    case_kit: CaseKit, create_case: Callable[..., Case], target: CaseStage | None
) -> None:
    case = create_case(CaseStage.follow_up)
    _prepare(case_kit, case, "reintervene")
    _refused(case_kit, case, "reintervene", "재개입할 단계", reason="재발", target=target)


def test_timeline_records_every_step_in_order(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.closed)
    transitions = db.session.scalars(
        sa.select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "transition")
        .order_by(CaseEvent.id)
    ).all()
    assert [event.to_stage for event in transitions] == [
        "initial_counselling",
        "assessment",
        "selection",
        "planning",
        "delivery",
        "closure_review",
        "follow_up",
        "closed",
    ]
