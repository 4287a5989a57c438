"""The 지역자활센터's figures on its agency dashboard: track states, 사업단 placements, deadlines.

Counts only (no names), as of today; shown for a 지역자활센터's agency scope and no other.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, AgencyType
from cases.models import Case
from cases.models.selfsufficiency import SelfSufficiencyTrack, TrackState, WorkTeamPlacement
from cases.queries.selfsufficiency import TRACK_CLOCKS, track_clocks
from dashboards.scopes import Scope
from dashboards.tables import Column, Ratio, Table
from hamkke.db import db


def _tracks(agency_id: int) -> list[SelfSufficiencyTrack]:
    return list(
        db.session.scalars(
            sa.select(SelfSufficiencyTrack)
            .join(Case, Case.id == SelfSufficiencyTrack.case_id)
            .where(Case.owning_agency_id == agency_id, Case.is_deleted.is_(False))
            .order_by(SelfSufficiencyTrack.id)
        )
    )


def _states(tracks: list[SelfSufficiencyTrack]) -> Table:
    counts = Counter(track.state for track in tracks)
    table = Table(
        key="jahwal_states",
        title="자활 과정 단계별 인원 (현재)",
        columns=[Column("단계", "text"), Column("인원")],
        note="참여 결정 전은 주민, 참여 결정 후는 참여자입니다.",
        chart="bar",
    )
    for state in TrackState:
        table.body.append([state.label, counts.get(state, 0)])
    table.body.append(["합계", len(tracks)])
    return table


def _teams(tracks: list[SelfSufficiencyTrack]) -> Table:
    placements = db.session.scalars(
        sa.select(WorkTeamPlacement)
        .where(WorkTeamPlacement.track_id.in_([track.id for track in tracks]))
        .order_by(WorkTeamPlacement.team_name, WorkTeamPlacement.id)
    ).all()
    table = Table(
        key="jahwal_teams",
        title="사업단별 배치",
        columns=[Column("사업단", "text"), Column("지금 참여 중"), Column("누적 배치")],
        note="사업단을 떠나도 사례관리는 종결 때까지 이어집니다.",
    )
    current: Counter[str] = Counter(p.team_name for p in placements if p.moved_out_on is None)
    total: Counter[str] = Counter(p.team_name for p in placements)
    for name in sorted(total):
        table.body.append([name, current.get(name, 0), total[name]])
    return table


def _deadlines(tracks: list[SelfSufficiencyTrack], today: date) -> Table:
    table = Table(
        key="jahwal_deadlines",
        title="자활 과정 기한 준수",
        columns=[
            Column("기한", "text"),
            Column("기한 내 완료"),
            Column("기한 후 완료"),
            Column("진행 중"),
            Column("기한 지남"),
            Column("준수율", "rate"),
        ],
        note=(
            "초기상담 3일(지자체 의뢰부터), 사정 2개월·계획 3개월(게이트웨이 시작부터), "
            "재계획 3개월(사업단 이동부터)."
        ),
    )
    states: dict[str, Counter[str]] = {code: Counter() for code in TRACK_CLOCKS}
    for track in tracks:
        for clock in track_clocks(track, today):
            states[clock.code][clock.state] += 1
    for code, (label, _amount, _unit) in TRACK_CLOCKS.items():
        seen = states[code]
        met, late = seen["met"], seen["late"]
        table.body.append(
            [label, met, late, seen["running"], seen["overdue"], Ratio(met, met + late + seen["overdue"])]
        )
    return table


def selfsufficiency_tables(scope: Scope, *, today: date) -> list[Table]:
    """Return the 자활 tables of a 지역자활센터's agency dashboard (none for any other scope)."""
    if scope.kind != "agency":
        return []
    agency = db.session.get(Agency, scope.object_id)
    if agency is None or agency.type != AgencyType.self_sufficiency_centre:
        return []
    tracks = _tracks(agency.id)
    return [_states(tracks), _teams(tracks), _deadlines(tracks, today)]
