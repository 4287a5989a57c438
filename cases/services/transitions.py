"""The state machine: moving a case by one transition of `cases.workflow`."""

from __future__ import annotations

from agencies.models import Person
from cases import workflow
from cases.models import Case, CaseEvent, CaseStage
from cases.services.common import _event, _optional, _text
from hamkke.db import db
from hamkke.errors import InvalidTransition
from hamkke.time import today_local

_MILESTONES = {
    CaseStage.initial_counselling: "counselling_started_on",
    CaseStage.selection: "assessed_on",
    CaseStage.delivery: "plan_agreed_on",
}
#: stages that date the closure (closed_on): 종결 with or without 사후관리, and 미선정
_CLOSURE_STAGES = frozenset({CaseStage.follow_up, CaseStage.closed, CaseStage.not_selected})


def transition_case(
    case: Case,
    action: str,
    *,
    actor: Person,
    agency_id: int | None,
    reason: str | None = None,
    target: CaseStage | None = None,
) -> CaseEvent:
    """Move the case by one transition of `cases.workflow`; refuse illegal moves and failed guards.

    :param target: the stage a 재개입 re-enters (only for ``reintervene``).
    :raises InvalidTransition: the table has no such move from the current stage, or a guard refuses.
    """
    transition = workflow.find_transition(case.stage, action)
    if transition is None:
        raise InvalidTransition(
            f"'{case.stage.label}' 단계에서는 이 작업을 할 수 없습니다.",
            english=f"Action {action!r} is not allowed from stage {case.stage.value}.",
        )
    if transition.target is None and target not in workflow.REENTRY_STAGES:
        raise InvalidTransition(
            "재개입할 단계를 골라 주세요.", field="target", english="Choose a re-entry stage."
        )
    if transition.guard is not None:
        refusal = transition.guard(case, target)
        if refusal is not None:
            raise InvalidTransition(
                refusal.message, field=refusal.field, english=f"Guard of {action} refused."
            )
    why = (
        _text(reason, "reason", "사유") if transition.reason_required else _optional(reason, "reason", "사유")
    )
    source = case.stage
    destination = transition.target if transition.target is not None else target
    assert destination is not None  # noqa: S101 -- checked above for reintervene
    case.stage = destination
    today = today_local()
    milestone = _MILESTONES.get(destination)
    if milestone and getattr(case, milestone) is None:
        setattr(case, milestone, today)
    if destination == CaseStage.selection:
        case.assessed_on = today
    if destination in _CLOSURE_STAGES:
        # 종결 is decided when the case enters 사후관리 or closes directly; 종결확정 keeps that date,
        # so 사후관리 is counted after the closure and never as an open (미종결) case.
        if not (source == CaseStage.follow_up and case.closed_on is not None):
            case.closed_on = today
    elif source == CaseStage.follow_up:
        case.closed_on = None  # 재개입: the case is open again
    if action == "select_case_management" or destination == CaseStage.not_selected:
        case.selected_on = today
    db.session.flush()
    return _event(
        case,
        "transition",
        actor=actor,
        agency_id=agency_id,
        note=why,
        action=action,
        from_stage=source,
        to_stage=destination,
    )
