"""Reads of the 자활 track: is the plan agreed, the track of a case, and its deadline clocks.

The deadlines of seed 000 (L506, L848, L1367): 초기상담 within 3 days of the 지자체 referral,
사정 within 2 months and the plan within 3 months of the gateway start, and a 재계획 within 3
months of a move to a 사업단. Days count as in `cases.deadlines` (a deadline on a weekend moves to
the Monday).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, AgencyType
from cases.deadlines import Clock, due_date
from cases.models import Case, ServicePlan
from cases.models.selfsufficiency import SelfSufficiencyTrack, TrackState
from hamkke.db import db

#: code → (label, amount, unit) of each clock of the track
TRACK_CLOCKS: dict[str, tuple[str, int, str]] = {
    "referral_to_intake": ("지자체 의뢰 → 초기상담·참여 결정", 3, "days"),
    "gateway_to_assessment": ("게이트웨이 시작 → 사정 완료", 2, "months"),
    "gateway_to_plan": ("게이트웨이 시작 → 계획 수립(IAP·ISP)", 3, "months"),
    "placement_to_replan": ("사업단 이동 → 재계획", 3, "months"),
}


def plan_agreed(case_id: int) -> bool:
    """Tell whether the case has an agreed plan (IAP/ISP): the one place the track's guards ask.

    For now this reads the 서비스제공계획's written agreement (``ServicePlan.agreed_on``); when the
    IAP and ISP of 필수서식4/5 land, this function is the one to point at them.
    """
    agreed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ServicePlan)
        .where(ServicePlan.case_id == case_id, ServicePlan.agreed_on.is_not(None))
    )
    return bool(agreed)


def is_selfsufficiency_case(case: Case) -> bool:
    """Tell whether the case belongs to a 지역자활센터 (and so may run the 자활 track)."""
    agency = db.session.get(Agency, case.owning_agency_id)
    return agency is not None and agency.type == AgencyType.self_sufficiency_centre


def track_of(case_id: int) -> SelfSufficiencyTrack | None:
    """Return the case's 자활 track, if one was started."""
    return db.session.scalar(sa.select(SelfSufficiencyTrack).where(SelfSufficiencyTrack.case_id == case_id))


def _clock(code: str, start: date, done: date | None, today: date) -> Clock:
    label, amount, unit = TRACK_CLOCKS[code]
    due = due_date(start, amount, unit)
    if done is not None:
        return Clock(code, label, start, due, done, "met" if done <= due else "late", None)
    left = (due - today).days
    return Clock(code, label, start, due, None, "running" if left >= 0 else "overdue", left)


def track_clocks(track: SelfSufficiencyTrack, today: date) -> list[Clock]:
    """Return the track's deadline clocks as of ``today`` (a finished track keeps only those met or late)."""
    clocks = [_clock("referral_to_intake", track.referred_on, track.participant_since, today)]
    if track.gateway_started_on is not None:
        start = track.gateway_started_on
        clocks.append(_clock("gateway_to_assessment", start, track.assessed_on, today))
        clocks.append(_clock("gateway_to_plan", start, track.gateway_closed_on, today))
    placed = track.placements[0].placed_on if track.placements else None
    if placed is not None:
        replanned = track.replanned_on if track.replanned_on and track.replanned_on >= placed else None
        clocks.append(_clock("placement_to_replan", placed, replanned, today))
    if not track.state.is_open:
        clocks = [clock for clock in clocks if clock.done_on is not None]
    return clocks


def overdue_tracks(agency_id: int, today: date, *, worker_id: int | None = None) -> list[tuple[Case, Clock]]:
    """Return the agency's open tracks with an overdue clock (the first one), oldest deadline first."""
    query = (
        sa.select(SelfSufficiencyTrack, Case)
        .join(Case, Case.id == SelfSufficiencyTrack.case_id)
        .where(
            Case.owning_agency_id == agency_id,
            Case.is_deleted.is_(False),
            SelfSufficiencyTrack.state.not_in([TrackState.not_eligible, TrackState.closed]),
        )
        .order_by(SelfSufficiencyTrack.id)
    )
    if worker_id is not None:
        query = query.where(Case.case_worker_id == worker_id)
    found: list[tuple[Case, Clock]] = []
    for track, case in db.session.execute(query).all():
        late = [clock for clock in track_clocks(track, today) if clock.state == "overdue"]
        if late:
            found.append((case, min(late, key=lambda clock: clock.due_on)))
    return sorted(found, key=lambda pair: (pair[1].due_on, pair[0].id))
