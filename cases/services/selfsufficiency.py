"""The 자활 track's state machine: one table of moves with guards, and 사업단 placements.

The track runs beside the integrated-case process for cases of a 지역자활센터 (seed 000 §1):
참여 결정 at intake (주민 → 참여자) → 게이트웨이 (사정, 교육, 현장학습) → 계획 수립 (IAP·ISP) →
게이트웨이 종결 → 사업단 배치 → 재계획 …. A guard returns None when the move is allowed or the Korean
reason and form field; a refusal is a 422 and nothing is saved. Every move writes a `TrackStep`, a
`CaseEvent` on the case's timeline and an audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case
from cases.models.selfsufficiency import (
    GatewayClosureReport,
    SelfSufficiencyTrack,
    TeamKind,
    TrackState,
    TrackStep,
    WorkTeamPlacement,
)
from cases.models.selfsufficiency import TrackState as T
from cases.queries.selfsufficiency import is_selfsufficiency_case, plan_agreed, track_of
from cases.services.common import _event, _optional, _past, _text
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.korean import with_particle

#: states from which a participant may be placed in (or moved to another) 사업단
PLACEABLE = (T.gateway_closed, T.placed, T.replanning)


@dataclass(frozen=True)
class Refusal:
    """Why a guard refuses, and the form field it concerns."""

    message: str
    field: str | None = None


Guard = Callable[[SelfSufficiencyTrack, date], Refusal | None]


@dataclass(frozen=True)
class Move:
    """One legal move of the track: its sources, target, Korean button label, guard and date label."""

    action: str
    sources: tuple[TrackState, ...]
    target: TrackState
    label: str
    date_label: str
    guard: Guard | None = None
    reason_required: bool = False


def _plan_and_report(track: SelfSufficiencyTrack, _: date) -> Refusal | None:
    if not plan_agreed(track.case_id):
        return Refusal(
            "IAP·ISP가 합의되어야 게이트웨이를 종결할 수 있습니다. 계획을 먼저 세우고 합의해 주세요.", "plan"
        )
    reports = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(GatewayClosureReport)
        .where(GatewayClosureReport.case_id == track.case_id)
    )
    if not reports:
        return Refusal("게이트웨이 종결보고서(필수서식6)를 먼저 작성해 주세요.", "report")
    return None


def _replanned(track: SelfSufficiencyTrack, _: date) -> Refusal | None:
    if not plan_agreed(track.case_id):
        return Refusal("다시 세운 IAP·ISP가 합의되어야 재계획을 마칠 수 있습니다.", "plan")
    return None


MOVES: tuple[Move, ...] = (
    Move("decide_participation", (T.intake,), T.gateway, "참여 결정, 게이트웨이 시작", "참여 결정일"),
    Move(
        "refer_back", (T.intake,), T.not_eligible, "부적합: 지자체에 재의뢰", "결정일", reason_required=True
    ),
    Move("finish_assessment", (T.gateway,), T.planning, "사정 완료, 계획 수립으로", "사정 완료일"),
    Move("close_gateway", (T.planning,), T.gateway_closed, "게이트웨이 종결", "종결일", _plan_and_report),
    Move(
        "start_replanning",
        (T.placed,),
        T.replanning,
        "재계획 시작 (IAP·ISP 재수립)",
        "시작일",
        reason_required=True,
    ),
    Move("finish_replanning", (T.replanning,), T.placed, "재계획 완료", "완료일", _replanned),
    Move(
        "leave_after_gateway",
        (T.gateway_closed,),
        T.closed,
        "게이트웨이만 마치고 지역사회로 (사후관리 1년)",
        "종결일",
        reason_required=True,
    ),
    Move(
        "close_track", (T.placed, T.replanning), T.closed, "자활사례관리 종결", "종결일", reason_required=True
    ),
)


def moves_from(state: TrackState) -> list[Move]:
    """Return the moves the table allows from ``state``, in process order."""
    return [move for move in MOVES if state in move.sources]


def find_move(state: TrackState, action: str) -> Move | None:
    """Return the move for ``action`` from ``state``, or None."""
    return next((move for move in moves_from(state) if move.action == action), None)


def _last_day(track: SelfSufficiencyTrack) -> date:
    return max([track.referred_on, *(step.effective_on for step in track.steps)])


def _record_step(
    case: Case,
    track: SelfSufficiencyTrack,
    action: str,
    source: TrackState | None,
    on: date,
    *,
    actor: Person,
    agency_id: int | None,
    note: str | None,
) -> TrackStep:
    step = TrackStep(
        track=track,
        action=action,
        from_state=source.value if source else None,
        to_state=track.state.value,
        effective_on=on,
        actor_id=actor.id,
    )
    db.session.add(step)
    db.session.flush()
    moved = f"{source.label} → {track.state.label}" if source else track.state.label
    _event(
        case,
        "jahwal",
        actor=actor,
        agency_id=agency_id,
        note=f"{moved} ({on:%Y-%m-%d})" + (f": {note}" if note else ""),
        action=action,
        data={"from": step.from_state, "to": step.to_state, "on": on.isoformat()},
    )
    return step


def start_track(
    case: Case, *, referred_on: date | None, actor: Person, agency_id: int | None
) -> SelfSufficiencyTrack:
    """Start the 자활 track of a 지역자활센터 case (the person is 주민 until participation is decided)."""
    if not is_selfsufficiency_case(case):
        raise ValidationFailed(
            "자활 과정은 지역자활센터의 사례에서만 시작할 수 있습니다.",
            field="referred_on",
            english="Only cases of a self-sufficiency centre run the track.",
        )
    if track_of(case.id) is not None:
        raise ValidationFailed("이 사례의 자활 과정은 이미 시작했습니다.", field="referred_on")
    # A referral may predate the case's registration at the centre: only the future is refused.
    day = _past(referred_on, "referred_on", "지자체 의뢰일")
    track = SelfSufficiencyTrack(case_id=case.id, referred_on=day, created_by_id=actor.id)
    db.session.add(track)
    db.session.flush()
    _record_step(case, track, "start", None, day, actor=actor, agency_id=agency_id, note=None)
    return track


def _dated(track: SelfSufficiencyTrack, on: date | None, label: str) -> date:
    day = _past(on, "effective_on", label)
    last = _last_day(track)
    if day < last:
        raise ValidationFailed(
            f"{with_particle(label, '은')} 앞 단계의 날짜({last:%Y-%m-%d})보다 이를 수 없습니다.",
            field="effective_on",
        )
    return day


def move_track(
    case: Case,
    action: str,
    *,
    on: date | None,
    reason: str | None,
    actor: Person,
    agency_id: int | None,
) -> TrackStep:
    """Move the case's 자활 track by one move of the table; refuse illegal moves and failed guards (422)."""
    track = track_of(case.id)
    if track is None:
        raise ValidationFailed("자활 과정을 먼저 시작해 주세요.", field="action")
    move = find_move(track.state, action)
    if move is None:
        raise ValidationFailed(
            f"'{track.state.label}' 단계에서는 이 작업을 할 수 없습니다.",
            field="action",
            english=f"Action {action!r} is not allowed from {track.state.value}.",
        )
    day = _dated(track, on, move.date_label)
    if move.guard is not None:
        refusal = move.guard(track, day)
        if refusal is not None:
            raise ValidationFailed(
                refusal.message, field=refusal.field, english=f"Guard of {action} refused."
            )
    why = _text(reason, "reason", "사유") if move.reason_required else _optional(reason, "reason", "사유")
    source = track.state
    track.state = move.target
    if action == "decide_participation":
        track.participant_since = day
        track.gateway_started_on = day
    elif action == "finish_assessment":
        track.assessed_on = day
    elif action == "close_gateway":
        track.gateway_closed_on = day
    elif action == "finish_replanning":
        track.replanned_on = day
    if move.target in {T.closed, T.not_eligible}:
        track.closed_on = day
        if track.current_placement is not None:
            track.current_placement.moved_out_on = day
    db.session.flush()
    return _record_step(case, track, action, source, day, actor=actor, agency_id=agency_id, note=why)


def place_in_team(
    case: Case,
    *,
    team_name: str | None,
    team_kind: TeamKind,
    started_on: date | None,
    actor: Person,
    agency_id: int | None,
) -> WorkTeamPlacement:
    """Place the participant in a 사업단 (or move them to another); only after the gateway closed (422)."""
    track = track_of(case.id)
    if track is None or track.state not in PLACEABLE:
        raise ValidationFailed(
            "게이트웨이를 종결하기 전에는 사업단에 배치할 수 없습니다.",
            field="started_on",
            english="A work-team placement needs the gateway closed first.",
        )
    name = _text(team_name, "team_name", "사업단명", limit=200)
    day = _past(started_on, "started_on", "참여 시작일")
    last = _last_day(track)
    if day < last or (track.current_placement is not None and day < track.current_placement.placed_on):
        raise ValidationFailed(
            f"참여 시작일은 앞 단계의 날짜({last:%Y-%m-%d})보다 이를 수 없습니다.", field="started_on"
        )
    current = track.current_placement
    if current is not None:
        # Moving to another 사업단 ends the current one that day; case management goes on.
        current.moved_out_on = day
    placement = WorkTeamPlacement(
        track=track, team_name=name, team_kind=team_kind, placed_on=day, created_by_id=actor.id
    )
    db.session.add(placement)
    source = track.state
    if track.state == T.gateway_closed:
        track.state = T.placed
    db.session.flush()
    _record_step(
        case,
        track,
        "place" if current is None else "move_team",
        source,
        day,
        actor=actor,
        agency_id=agency_id,
        note=f"{team_kind.label} {name}",
    )
    return placement
