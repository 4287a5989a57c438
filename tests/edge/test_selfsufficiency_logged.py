"""The 자활 track of the demo's 지역자활센터 over real HTTP, checked through a second connection.

Its print pages and refused steps show the participant: their access-log rows are committed (a
refused step rolls back everything else: nothing of it is saved). A step that succeeds is seen by
another connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from tests.edge.live import csrf_token, log_rows, signed_in
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded

#: the routes this module proves live (read by test_disclosures_logged's completeness test)
LIVE = {
    "cases.jahwal_print",
    "cases.jahwal_print_gateway_closure",
    "cases.jahwal_print_field_learning",
    "cases.jahwal_print_employment",
    "cases.jahwal_start",
    "cases.jahwal_move",
}


@dataclass(frozen=True)
class Participant:
    """A demo participant's case, the centre and its worker."""

    case_id: int
    client_id: int
    worker_id: int
    agency_id: int


def _participant(live_server: LiveServer, name: str) -> Participant:
    from cases.models import Case, Client
    from hamkke.db import db

    with live_server.app.app_context():
        # Test lookup by the demo's name for the participant; the names are the demo's fixtures.
        clients = db.session.scalars(sa.select(Client)).all()
        client = next(c for c in clients if c.name == name)
        case = db.session.scalars(sa.select(Case).where(Case.main_client_id == client.id)).one()
        assert case.case_worker_id is not None
        found = Participant(case.id, client.id, case.case_worker_id, case.owning_agency_id)
        db.session.remove()
    return found


def _scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def test_print_pages_of_the_track_forms_are_logged(
    live_server: LiveServer, second_connection: sa.Engine
) -> None:
    who = _participant(live_server, "한수진")
    http = signed_in(live_server.app, who.worker_id, who.agency_id)
    report_id = _scalar(
        second_connection, "SELECT id FROM case_gateway_closure_reports WHERE case_id = :id", id=who.case_id
    )
    learning_id = _scalar(
        second_connection,
        "SELECT id FROM case_field_learning_evaluations WHERE case_id = :id",
        id=who.case_id,
    )
    for page, record_id, title in (
        ("gateway-closure", report_id, "게이트웨이 종결보고서"),
        ("field-learning", learning_id, "자활사업단 현장학습 평가서"),
    ):
        before = log_rows(second_connection, actor_id=who.worker_id, client_id=who.client_id)
        answer = http.get(
            f"{live_server.url}/cases/{who.case_id}/jahwal/{page}/{record_id}/print", timeout=30
        )
        assert answer.status_code == 200, answer.text[:500]
        assert title in answer.text
        assert "한수진" in answer.text
        assert log_rows(second_connection, actor_id=who.worker_id, client_id=who.client_id) > before
    # The latest of each form (or the blank one, 취업확인서 here) from the case's own print links.
    for page in ("gateway-closure", "field-learning", "employment"):
        before = log_rows(second_connection, actor_id=who.worker_id, client_id=who.client_id)
        answer = http.get(f"{live_server.url}/cases/{who.case_id}/jahwal/{page}/print", timeout=30)
        assert answer.status_code == 200, answer.text[:500]
        assert "출력일시" in answer.text
        assert log_rows(second_connection, actor_id=who.worker_id, client_id=who.client_id) > before


def test_a_refused_step_is_logged_and_saves_nothing(
    live_server: LiveServer, second_connection: sa.Engine
) -> None:
    who = _participant(live_server, "오민재")
    http = signed_in(live_server.app, who.worker_id, who.agency_id)
    page = http.get(f"{live_server.url}/cases/{who.case_id}", timeout=30)
    assert "사정 완료, 계획 수립으로" in page.text
    steps = (
        "SELECT count(*) FROM case_selfsufficiency_steps s"
        " JOIN case_selfsufficiency_tracks t ON t.id = s.track_id WHERE t.case_id = :id"
    )
    before_steps = _scalar(second_connection, steps, id=who.case_id)
    before_log = log_rows(second_connection, actor_id=who.worker_id, client_id=who.client_id)

    # 게이트웨이 종결 is not a move from the gateway itself (the assessment comes first).
    refused = http.post(
        f"{live_server.url}/cases/{who.case_id}/jahwal/move",
        data={"csrf_token": csrf_token(page), "action": "close_gateway", "effective_on": "2026-01-01"},
        timeout=30,
    )
    assert refused.status_code == 422, refused.text[:500]
    assert "단계에서는 이 작업을 할 수 없습니다" in refused.text
    again = http.post(
        f"{live_server.url}/cases/{who.case_id}/jahwal/start",
        data={"csrf_token": csrf_token(page), "referred_on": "2026-01-01"},
        timeout=30,
    )
    assert again.status_code == 422, again.text[:500]
    assert "이미 시작했습니다" in again.text
    placement = http.post(
        f"{live_server.url}/cases/{who.case_id}/jahwal/placement",
        data={
            "csrf_token": csrf_token(page),
            "team_name": "한빛 청소사업단",
            "team_kind": "work_team",
            "started_on": "2026-01-01",
        },
        timeout=30,
    )
    assert placement.status_code == 422
    assert "게이트웨이를 종결하기 전에는 사업단에 배치할 수 없습니다." in placement.text

    assert _scalar(second_connection, steps, id=who.case_id) == before_steps
    placements = (
        "SELECT count(*) FROM case_work_team_placements p"
        " JOIN case_selfsufficiency_tracks t ON t.id = p.track_id WHERE t.case_id = :id"
    )
    assert _scalar(second_connection, placements, id=who.case_id) == 0
    state = "SELECT state FROM case_selfsufficiency_tracks WHERE case_id = :id"
    assert _scalar(second_connection, state, id=who.case_id) == "gateway"
    assert log_rows(second_connection, actor_id=who.worker_id, client_id=who.client_id) > before_log


def test_deciding_participation_makes_the_resident_a_participant(
    live_server: LiveServer, second_connection: sa.Engine
) -> None:
    from hamkke.time import today_local

    who = _participant(live_server, "정다은")
    http = signed_in(live_server.app, who.worker_id, who.agency_id)
    page = http.get(f"{live_server.url}/cases/{who.case_id}", timeout=30)
    assert '<strong id="jahwal-status">주민</strong>' in page.text
    today = today_local().isoformat()
    moved = http.post(
        f"{live_server.url}/cases/{who.case_id}/jahwal/move",
        data={"csrf_token": csrf_token(page), "action": "decide_participation", "effective_on": today},
        timeout=30,
        allow_redirects=False,
    )
    assert moved.status_code == 303, moved.text[:500]
    row = (
        "SELECT state, participant_since, gateway_started_on"
        " FROM case_selfsufficiency_tracks WHERE case_id = :id"
    )
    with second_connection.connect() as connection:
        state, since, gateway = connection.execute(sa.text(row), {"id": who.case_id}).one()
    assert state == "gateway"
    assert str(since)[:10] == today
    assert str(gateway)[:10] == today
    audit = (
        "SELECT count(*) FROM case_events"
        " WHERE case_id = :id AND kind = 'jahwal' AND action = 'decide_participation'"
    )
    assert _scalar(second_connection, audit, id=who.case_id) == 1
