"""필수서식 1 기본면접기록지 over real HTTP: a save is committed, a refused save leaves nothing behind.

Both are checked through a second database connection, which sees committed rows only.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.edge.live import csrf_token, signed_in
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded


def _open_case(live_server: LiveServer) -> tuple[int, int, int]:
    """An open demo case with its worker and agency: (case, worker, agency)."""
    from cases.models import Case, CaseStage
    from hamkke.db import db

    with live_server.app.app_context():
        case = db.session.scalar(
            sa.select(Case)
            .where(
                Case.case_worker_id.is_not(None), Case.stage != CaseStage.closed, Case.is_deleted.is_(False)
            )
            .order_by(Case.id.desc())
            .limit(1)
        )
        assert case is not None
        assert case.case_worker_id is not None
        found = (case.id, case.case_worker_id, case.owning_agency_id)
        db.session.remove()
    return found


def _form(token: str, opened_on: str, **extra: object) -> dict[str, object]:
    return {
        "csrf_token": token,
        "counselled_on": opened_on,
        "method": "방문",
        "participation": "신규참여",
        "intake_route": "본인요청",
        "composition": "부부",
        "traits": ["노인부부가구"],
        "family-0-relation": "본인",
        "family-0-name": "실험가족",
        "family-0-age": "70",
        "family-0-lives_together": "동거",
        **extra,
    }


def _saved(engine: sa.Engine, case_id: int) -> tuple[int, int]:
    with engine.connect() as connection:
        interviews = connection.scalar(
            sa.text("SELECT count(*) FROM case_basic_interviews WHERE case_id = :id"), {"id": case_id}
        )
        family = connection.scalar(
            sa.text("SELECT count(*) FROM case_interview_family WHERE case_id = :id AND name = '실험가족'"),
            {"id": case_id},
        )
    return int(interviews or 0), int(family or 0)


def test_a_refused_save_leaves_nothing_and_a_good_one_is_committed(
    live_server: LiveServer, second_connection: sa.Engine
) -> None:
    from cases.models import Case
    from hamkke.db import db

    case_id, worker_id, agency_id = _open_case(live_server)
    with live_server.app.app_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        opened_on = case.opened_on.isoformat()
        db.session.remove()
    http = signed_in(live_server.app, worker_id, agency_id)
    url = f"{live_server.url}/cases/{case_id}/basic-interview"
    before = _saved(second_connection, case_id)

    token = csrf_token(http.get(url, timeout=30))
    too_many = ["1인가구", "다문화가구", "조손가구", "장애인가구", "독거노인"]
    refused = http.post(url, data=_form(token, opened_on, traits=too_many), timeout=30, allow_redirects=False)
    assert refused.status_code == 422
    assert 'id="traits-error"' in refused.text
    assert _saved(second_connection, case_id) == before

    token = csrf_token(http.get(url, timeout=30))
    saved = http.post(url, data=_form(token, opened_on), timeout=30, allow_redirects=False)
    assert saved.status_code == 303, saved.text[:800]
    assert _saved(second_connection, case_id) == (1, 1)
    with second_connection.connect() as connection:
        composition = connection.scalar(
            sa.text(
                "SELECT h.composition FROM households h"
                " JOIN cases c ON c.household_id = h.id WHERE c.id = :id"
            ),
            {"id": case_id},
        )
    assert composition == "부부"
