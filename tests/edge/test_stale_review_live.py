"""The demo district's stale cases: listed on the worker's dashboard, one click starts the closure review.

Over real HTTP against the live server (demo district loaded); what the click saved, and what a refused
click did not, is read through a second connection that sees committed rows only.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.edge.live import committed, csrf_token, signed_in
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded


def _stage(engine: sa.Engine, case_id: int) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                sa.text("SELECT stage FROM cases WHERE id = :id"), {"id": case_id}
            ).scalar_one()
        )


def _count(engine: sa.Engine, query: str, **params: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(query), params).scalar_one())


def _demo_stale(live_server: LiveServer) -> list[tuple[int, int, int]]:
    """(case, worker, agency) of the demo's stale cases whose review can start, oldest first."""
    from cases.queries.staleness import stale_cases
    from hamkke.time import today_local

    with committed(live_server.app):
        return [
            (stale.case_id, stale.case_worker_id, stale.owning_agency_id)
            for stale in stale_cases(today_local())
            if stale.can_start_review and stale.case_worker_id is not None
        ]


def test_one_click_from_the_dashboard_starts_the_closure_review(
    live_server: LiveServer, second_connection: sa.Engine
) -> None:
    found = _demo_stale(live_server)
    assert len(found) >= 2, "the demo district should have stale cases to review"
    case_id, worker_id, agency_id = found[0]
    http = signed_in(live_server.app, worker_id, agency_id)
    dashboard = http.get(f"{live_server.url}/dashboards/", timeout=30)
    assert dashboard.status_code == 200, dashboard.text[:500]
    assert "종결 검토가 필요한 사례" in dashboard.text
    assert f"/cases/{case_id}/closure-review/start" in dashboard.text
    home = http.get(f"{live_server.url}/", timeout=30)
    assert 'data-section="stale"' in home.text
    events = _count(second_connection, "SELECT count(*) FROM case_events WHERE case_id = :id", id=case_id)
    response = http.post(
        f"{live_server.url}/cases/{case_id}/closure-review/start",
        data={"csrf_token": csrf_token(dashboard)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303, response.text[:500]
    assert response.headers["Location"].endswith(f"/cases/{case_id}")
    assert _stage(second_connection, case_id) == "closure_review"
    assert (
        _count(
            second_connection,
            "SELECT count(*) FROM case_events WHERE case_id = :id AND action = 'propose_closure'",
            id=case_id,
        )
        == 1
    )
    assert _count(second_connection, "SELECT count(*) FROM case_events WHERE case_id = :id", id=case_id) == (
        events + 1
    )
    assert (
        _count(
            second_connection,
            "SELECT count(*) FROM audit_entries WHERE action = 'case.transition.propose_closure' "
            "AND object_type = 'cases' AND object_id = :id",
            id=case_id,
        )
        == 1
    )
    # The case left the stale list: a second click is refused in Korean, nothing more saved.
    again = http.post(
        f"{live_server.url}/cases/{case_id}/closure-review/start",
        data={"csrf_token": csrf_token(dashboard)},
        allow_redirects=False,
        timeout=30,
    )
    assert again.status_code == 409
    assert "해당하지 않습니다" in again.text
    assert _count(second_connection, "SELECT count(*) FROM case_events WHERE case_id = :id", id=case_id) == (
        events + 1
    )


def test_a_click_from_another_agency_is_refused_and_saves_nothing(
    live_server: LiveServer, second_connection: sa.Engine
) -> None:
    from agencies.models import Membership, MembershipRole, MembershipStatus, StaffRole

    found = _demo_stale(live_server)
    assert found, "the demo district should have stale cases to review"
    case_id, _, agency_id = found[-1]
    with committed(live_server.app) as session:
        outsider, other_agency = session.execute(
            sa.select(Membership.person_id, Membership.agency_id)
            .join(MembershipRole, MembershipRole.membership_id == Membership.id)
            .where(
                Membership.agency_id != agency_id,
                Membership.status == MembershipStatus.active,
                MembershipRole.role == StaffRole.case_worker,
            )
            .order_by(Membership.id)
            .limit(1)
        ).one()
    http = signed_in(live_server.app, outsider, other_agency)
    page = http.get(f"{live_server.url}/", timeout=30)
    before = _count(second_connection, "SELECT count(*) FROM case_events WHERE case_id = :id", id=case_id)
    response = http.post(
        f"{live_server.url}/cases/{case_id}/closure-review/start",
        data={"csrf_token": csrf_token(page)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code in {403, 404}
    assert "사례를 찾을 수 없습니다" in response.text or "권한이 없습니다" in response.text
    assert _stage(second_connection, case_id) == "delivery"
    assert (
        _count(second_connection, "SELECT count(*) FROM case_events WHERE case_id = :id", id=case_id)
        == before
    )
