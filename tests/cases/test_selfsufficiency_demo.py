"""The demo's 지역자활센터 runs the 자활 track: participants at different stages, overdue clocks flagged."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from agencies.models import Agency
from cases.models.selfsufficiency import (
    EducationCourse,
    EmploymentConfirmation,
    GatewayClosureReport,
    SelfSufficiencyTrack,
    TrackState,
)
from cases.queries.selfsufficiency import overdue_tracks, track_clocks
from demo.district import load_demo
from hamkke.time import today_local


def test_demo_participants_stand_at_different_stages_of_the_track(db: Any) -> None:
    load_demo()
    db.session.commit()

    tracks = db.session.scalars(sa.select(SelfSufficiencyTrack)).all()
    states = sorted(track.state.value for track in tracks)
    assert states == sorted(
        [
            TrackState.intake.value,
            TrackState.gateway.value,
            TrackState.placed.value,
            TrackState.closed.value,
            TrackState.intake.value,
        ]
    )
    today = today_local()
    late = {
        clock.code for track in tracks for clock in track_clocks(track, today) if clock.state == "overdue"
    }
    assert late == {"gateway_to_assessment", "placement_to_replan"}
    centre = db.session.scalars(sa.select(Agency).where(Agency.code == "hanbit-jahwal")).one()
    assert {clock.code for _case, clock in overdue_tracks(centre.id, today)} == late
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatewayClosureReport)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmploymentConfirmation)) == 1
    course = db.session.scalars(sa.select(EducationCourse)).one()
    assert course.reported_on is not None
