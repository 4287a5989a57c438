"""The case process as one transition table with guards (발굴 → 사후관리, loops, 재개입).

Each transition is ``(from stage, action) → Transition``. A guard returns ``None`` when the move
is allowed, or the Korean reason it is refused (with the form field it is about). The table is
the single source for the services, the case page's buttons and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cases.models import (
    CLOSURE_TYPES_WITHOUT_NOTICE,
    Case,
    ClosureReview,
    CrisisRating,
    FollowUpOutcome,
    FollowUpPlan,
    IntakeRecord,
    Need,
    SelectionDecision,
    SelectionOutcome,
    ServicePlan,
)
from cases.models import CaseStage as S
from hamkke.db import db

#: the notice of a planned closure goes out about a month ahead (seed 001 §2.7); 28 days tolerates
#: a notice given at a session a few days short of a calendar month
CLOSURE_NOTICE_DAYS = 28
#: stages a 재개입 may re-enter
REENTRY_STAGES = (S.initial_counselling, S.assessment, S.planning, S.delivery)


@dataclass(frozen=True)
class Refusal:
    """Why a guard refuses, and the form field it concerns."""

    message: str
    field: str | None = None


Guard = Callable[[Case, "S | None"], Refusal | None]


@dataclass(frozen=True)
class Transition:
    """One legal move: target stage, Korean button label, guard, and whether a reason is required."""

    action: str
    source: S
    target: S | None
    label: str
    guard: Guard | None = None
    reason_required: bool = False


def _latest(model: Any, case: Case) -> object | None:
    return db.session.scalars(
        sa.select(model).where(model.case_id == case.id).order_by(model.id.desc()).limit(1)
    ).first()


def _count(model: Any, case: Case) -> int:
    return int(
        db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.case_id == case.id)) or 0
    )


def _needs_intake(case: Case, _: S | None) -> Refusal | None:
    if _count(IntakeRecord, case) == 0:
        return Refusal("초기상담 기록을 먼저 작성해야 사정 단계로 넘어갈 수 있습니다.", "intake")
    return None


def _needs_assessment(case: Case, _: S | None) -> Refusal | None:
    if _count(Need, case) == 0:
        return Refusal("욕구를 하나 이상 사정해야 선정 단계로 넘어갈 수 있습니다.", "needs")
    if _count(CrisisRating, case) == 0:
        return Refusal("위기도 조사를 먼저 기록해 주세요. 욕구사정과 따로 합니다.", "crisis")
    return None


def _decision_is(outcome: SelectionOutcome) -> Guard:
    def guard(case: Case, _: S | None) -> Refusal | None:
        decision = _latest(SelectionDecision, case)
        if not isinstance(decision, SelectionDecision) or decision.outcome != outcome:
            return Refusal(f"선정 결과 '{outcome.label}'를 먼저 기록해 주세요.", "selection")
        if outcome == SelectionOutcome.not_selected and not (decision.alternative_services or "").strip():
            return Refusal("미선정에는 안내한 대체 서비스를 기록해야 합니다.", "alternative_services")
        if outcome == SelectionOutcome.case_management and case.case_worker_id is None:
            return Refusal("사례관리로 선정하려면 담당 사례관리자를 정해야 합니다.", "case_worker")
        return None

    return guard


def _plan_ready(case: Case, _: S | None) -> Refusal | None:
    if case.case_worker_id is None:
        return Refusal("담당 사례관리자가 없는 계획은 실행할 수 없습니다.", "case_worker")
    plan = _latest(ServicePlan, case)
    if not isinstance(plan, ServicePlan):
        return Refusal("서비스제공계획을 먼저 세워 주세요.", "plan")
    if not plan.goals or not plan.services:
        return Refusal("계획에 목표와 서비스가 하나 이상 있어야 합니다.", "plan")
    if plan.agreed_on is None:
        return Refusal("대상자와의 서면 합의(서비스 계약)를 기록해야 실행할 수 있습니다.", "agreed_on")
    return None


def _closure_reviewed(case: Case, _: S | None) -> Refusal | None:
    review = _latest(ClosureReview, case)
    if not isinstance(review, ClosureReview):
        return Refusal("종결심사회의 기록 없이 종결할 수 없습니다.", "review")
    if case.is_life_safety and review.approved_by_id is None:
        return Refusal("생명·안전 사례는 슈퍼바이저의 종결 승인이 필요합니다.", "approval")
    if review.closure_type not in CLOSURE_TYPES_WITHOUT_NOTICE:
        if review.notice_given_on is None:
            return Refusal("종결 예정을 대상자에게 미리 알린 날을 기록해 주세요.", "notice_given_on")
        if (review.planned_closure_on - review.notice_given_on).days < CLOSURE_NOTICE_DAYS:
            return Refusal("종결은 약 한 달 전에 미리 알려야 합니다.", "notice_given_on")
    return None


def _follow_up_planned(case: Case, target: S | None) -> Refusal | None:
    refusal = _closure_reviewed(case, target)
    if refusal is not None:
        return refusal
    if _count(FollowUpPlan, case) == 0:
        return Refusal("사후관리 계획(방법·기간)을 먼저 세워 주세요.", "follow_up")
    return None


def _follow_up_outcome(*outcomes: FollowUpOutcome) -> Guard:
    def guard(case: Case, target: S | None) -> Refusal | None:
        plan = _latest(FollowUpPlan, case)
        if not isinstance(plan, FollowUpPlan) or plan.outcome not in outcomes:
            names = " 또는 ".join(outcome.label for outcome in outcomes)
            return Refusal(f"사후관리 결과 '{names}'를 먼저 기록해 주세요.", "outcome")
        if outcomes == (FollowUpOutcome.reintervene,) and target not in REENTRY_STAGES:
            return Refusal("재개입할 단계를 골라 주세요.", "target")
        return None

    return guard


_TRANSITIONS: tuple[Transition, ...] = (
    Transition("start_counselling", S.intake_pending, S.initial_counselling, "초기상담 시작"),
    Transition("start_assessment", S.initial_counselling, S.assessment, "사정 시작", _needs_intake),
    Transition("submit_assessment", S.assessment, S.selection, "선정으로", _needs_assessment),
    Transition(
        "select_case_management",
        S.selection,
        S.planning,
        "사례관리 대상으로 선정",
        _decision_is(SelectionOutcome.case_management),
    ),
    Transition(
        "link_service_only",
        S.selection,
        S.closed,
        "서비스연계 후 종료",
        _decision_is(SelectionOutcome.service_link),
    ),
    Transition(
        "not_select", S.selection, S.not_selected, "미선정", _decision_is(SelectionOutcome.not_selected)
    ),
    Transition("start_delivery", S.planning, S.delivery, "계획 합의, 실행 시작", _plan_ready),
    # Loops from monitoring (seed 001 §2.6 table); each needs the worker's reason.
    Transition("reassess", S.delivery, S.assessment, "재사정", reason_required=True),
    Transition("revise_plan", S.delivery, S.planning, "계획 변경", reason_required=True),
    Transition("propose_closure", S.delivery, S.closure_review, "종결심사 요청", reason_required=True),
    Transition(
        "review_reassess", S.closure_review, S.assessment, "심사 결과: 욕구 재조사", reason_required=True
    ),
    Transition("resume_delivery", S.closure_review, S.delivery, "종결하지 않고 계속", reason_required=True),
    Transition(
        "close_to_follow_up", S.closure_review, S.follow_up, "종결, 사후관리 시작", _follow_up_planned
    ),
    Transition(
        "close_without_follow_up",
        S.closure_review,
        S.closed,
        "사후관리 없이 종결",
        _closure_reviewed,
        reason_required=True,
    ),
    Transition(
        "confirm_closure",
        S.follow_up,
        S.closed,
        "종결확정",
        _follow_up_outcome(FollowUpOutcome.confirmed, FollowUpOutcome.referred),
    ),
    Transition(
        "reintervene",
        S.follow_up,
        None,
        "재개입",
        _follow_up_outcome(FollowUpOutcome.reintervene),
        reason_required=True,
    ),
)

#: (from stage, action) → transition
TRANSITIONS: dict[tuple[S, str], Transition] = {(t.source, t.action): t for t in _TRANSITIONS}
#: every action code
ACTIONS: frozenset[str] = frozenset(t.action for t in _TRANSITIONS)


def transitions_from(stage: S) -> list[Transition]:
    """Return the transitions the table allows from ``stage``, in process order."""
    return [t for t in _TRANSITIONS if t.source == stage]


def find_transition(stage: S, action: str) -> Transition | None:
    """Return the transition for ``action`` from ``stage``, or None if the table has none."""
    return TRANSITIONS.get((stage, action))
