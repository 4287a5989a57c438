"""The demo's 지역자활센터 runs the 자활 track: participants at different stages, overdue clocks flagged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, Person
from cases.models.selfsufficiency import (
    EducationCourse,
    EmploymentConfirmation,
    GatewayClosureReport,
    SelfSufficiencyTrack,
    TrackState,
)
from cases.queries.selfsufficiency import overdue_tracks, track_clocks
from dashboards.scopes import Scope
from dashboards.selfsufficiency_tables import selfsufficiency_tables
from demo.district import load_demo
from hamkke.time import today_local

pytestmark = pytest.mark.embedded


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


def test_the_centre_sees_overdue_tracks_at_home_and_its_figures_on_the_dashboard(
    db: Any, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    load_demo()
    db.session.commit()
    centre = db.session.scalars(sa.select(Agency).where(Agency.code == "hanbit-jahwal")).one()
    worker = db.session.scalars(sa.select(Person).where(Person.name == "강자활")).one()
    login_as(worker, agency_id=centre.id)
    late = {case.number: clock.label for case, clock in overdue_tracks(centre.id, today_local())}
    assert len(late) == 2

    home = client.get("/").get_data(as_text=True)
    assert 'data-section="jahwal"' in home
    for number, label in late.items():
        assert f"사례 {number} · {label}" in home

    tables = {
        table.key: table
        for table in selfsufficiency_tables(
            Scope("agency", centre.district_id, centre.id, centre.name, suppress=False, is_own=True),
            today=today_local(),
        )
    }
    states = {row[0]: row[1] for row in tables["jahwal_states"].body}
    assert states["인테이크 (참여 결정 전)"] == 2
    assert states["사업단 참여 (실행·점검)"] == 1
    assert states["합계"] == 5
    assert tables["jahwal_teams"].body == [["한빛 청소사업단", 1, 1]]
    compliance = {row[0]: row[1:5] for row in tables["jahwal_deadlines"].body}
    # 한수진's 재계획 and 오민재's 사정 are overdue; 배성호 met his; 정다은 and 윤지호 are running.
    assert compliance["사업단 이동 → 재계획"] == [0, 0, 0, 1]
    assert compliance["게이트웨이 시작 → 사정 완료"] == [2, 0, 0, 1]
    page = client.get(f"/dashboards/agency/{centre.id}").get_data(as_text=True)
    assert "자활 과정 단계별 인원 (현재)" in page
    assert "자활 과정 기한 준수" in page
