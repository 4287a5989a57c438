"""Every disclosing route and event leaves access-log rows that another database connection can see.

The live server (its own database, the demo district) is reached over real HTTP; the rows are
counted through a new engine, never through the app's session, so only committed rows count.
``test_the_enumeration_is_complete`` fails when a route or event starts disclosing without being
listed here; every listed one is exercised over HTTP in ``test_disclosing_page_is_logged`` or listed
in :data:`NOT_YET_LIVE` (reported as open work, see the lead's note).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from tests.edge.disclosing import disclosing_events, disclosing_routes
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded


@dataclass(frozen=True)
class Demo:
    """The case the tests open, its client, and a worker of the agency that owns it."""

    case_id: int
    client_id: int
    worker_id: int
    agency_id: int


#: disclosing GET pages of one case (and its client), opened by the owning agency's worker
CASE_PAGES: dict[str, Callable[[Demo], str]] = {
    "cases.show_case": lambda d: f"/cases/{d.case_id}",
    "cases.print_case": lambda d: f"/cases/{d.case_id}/print",
    "cases.caseload": lambda d: "/cases/",
    "cases.main_client": lambda d: f"/cases/{d.case_id}/main-client",
    "cases.service_check": lambda d: f"/cases/{d.case_id}/service-checks",
    "cases.service_result": lambda d: f"/cases/{d.case_id}/service-results",
    "consents.client_consents": lambda d: f"/consents/clients/{d.client_id}",
    "consents.new_consent": lambda d: f"/consents/clients/{d.client_id}/new",
    "consents.client_panel": lambda d: f"/consents/panel/{d.client_id}",
    "consents.client_json": lambda d: f"/consents/api/clients/{d.client_id}",
    "dashboards.show": lambda d: f"/dashboards/agency/{d.agency_id}",
}

#: forms posted with an error: the 4xx page shows the client again, and its log rows must survive the
#: rollback of the failed change (``hamkke.unit_of_work.keep_after_rollback``)
FORMS_WITH_ERRORS: dict[str, Callable[[Demo], tuple[str, str]]] = {
    "cases.transition": lambda d: (f"/cases/{d.case_id}", f"/cases/{d.case_id}/transition"),
    "consents.create_consent": lambda d: (
        f"/consents/clients/{d.client_id}/new",
        f"/consents/clients/{d.client_id}",
    ),
}


#: disclosing routes and events found by the enumeration that have no live scenario here yet
NOT_YET_LIVE = frozenset(
    {
        "api.accept_referral",
        "api.complete_referral",
        "api.get_referral",
        "api.reject_referral",
        "cases.dong_meeting",
        "cases.download_attachment",
        "conference.briefing_page",
        "conference.briefing_pdf",
        "conference.complete_action",
        "conference.start_action",
        "conference.state",
        "consents.download_scan",
        "consents.export_request",
        "consents.fulfil_request",
        "consents.fulfil_request_page",
        "consents.show_consent",
        "referrals.act",
        "referrals.detail",
        "referrals.download_letter",
        "/conference accept_pledge",
        "/conference close_item",
        "/conference connect",
        "/conference open_item",
        "/conference start",
        "/conference sync",
    }
)


def test_the_enumeration_is_complete(live_server: LiveServer) -> None:
    """A route or event that reaches the gate or the access log must be listed here, or this fails."""
    app = live_server.app
    with app.app_context():
        found = set(disclosing_routes(app)) | set(disclosing_events(app))
    listed = set(CASE_PAGES) | set(FORMS_WITH_ERRORS) | NOT_YET_LIVE
    assert found - listed == set(), "disclosing routes/events without a logged-disclosure test"
    assert listed - found == set(), "listed but no longer disclosing: update the lists"
    # The count the issue asks for (32 routes and 6 Socket.IO events when this was written).
    assert len(found) == len(listed)


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> Demo:
    """An open demo case with an assigned worker of its owning agency."""
    from cases.models import Case, CaseStage
    from hamkke.db import db

    with live_server.app.app_context():
        case = db.session.scalar(
            sa.select(Case)
            .where(
                Case.case_worker_id.is_not(None), Case.stage != CaseStage.closed, Case.is_deleted.is_(False)
            )
            .order_by(Case.id)
            .limit(1)
        )
        assert case is not None, "the demo has no assigned open case"
        assert case.case_worker_id is not None
        found = Demo(case.id, case.main_client_id, case.case_worker_id, case.owning_agency_id)
        db.session.remove()
    return found


def _signed_in(app: Flask, url: str, person_id: int, agency_id: int) -> requests.Session:
    """A real HTTP session whose cookie carries a fresh sign-in session of the person."""
    from agencies.models import Person
    from agencies.sessions import SESSION_TOKEN_KEY, start_session
    from hamkke.db import db

    with app.app_context(), app.test_request_context("/"):
        from flask import session

        person = db.session.get(Person, person_id)
        assert person is not None
        start_session(person, method="test", acting_agency_id=agency_id)
        cookie_value = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
            {SESSION_TOKEN_KEY: session[SESSION_TOKEN_KEY]}
        )
        db.session.commit()
        db.session.remove()
    http = requests.Session()
    http.trust_env = False  # loopback only
    http.cookies.set(app.config["SESSION_COOKIE_NAME"], cookie_value, domain="127.0.0.1")
    return http


@pytest.fixture
def second_connection(live_database_url: str) -> Iterator[sa.Engine]:
    """A new engine on the live database: it sees committed rows only."""
    engine = sa.create_engine(live_database_url)
    yield engine
    engine.dispose()


def _log_rows(engine: sa.Engine, *, actor_id: int, client_id: int | None = None) -> int:
    query = "SELECT count(*) FROM consent_access_log WHERE actor_id = :actor"
    params: dict[str, Any] = {"actor": actor_id}
    if client_id is not None:
        query += " AND client_id = :client"
        params["client"] = client_id
    with engine.connect() as connection:
        return int(connection.execute(sa.text(query), params).scalar_one())


def test_case_page_of_the_owning_agency_is_logged(
    live_server: LiveServer, demo: Demo, second_connection: sa.Engine
) -> None:
    """GET /cases/<id> as the owning agency's worker: the log rows survive the request (failed before)."""
    http = _signed_in(live_server.app, live_server.url, demo.worker_id, demo.agency_id)
    before = _log_rows(second_connection, actor_id=demo.worker_id, client_id=demo.client_id)
    page = http.get(f"{live_server.url}/cases/{demo.case_id}", timeout=30)
    assert page.status_code == 200, page.text[:500]
    after = _log_rows(second_connection, actor_id=demo.worker_id, client_id=demo.client_id)
    assert after > before, "the case page disclosed the client but no access-log row was committed"


@pytest.mark.parametrize("endpoint", sorted(CASE_PAGES))
def test_disclosing_page_is_logged(
    endpoint: str, live_server: LiveServer, demo: Demo, second_connection: sa.Engine
) -> None:
    """Each disclosing page, fetched over HTTP, leaves committed access-log rows for its viewer."""
    http = _signed_in(live_server.app, live_server.url, demo.worker_id, demo.agency_id)
    before = _log_rows(second_connection, actor_id=demo.worker_id)
    page = http.get(live_server.url + CASE_PAGES[endpoint](demo), timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert _log_rows(second_connection, actor_id=demo.worker_id) > before, f"{endpoint} left no log row"


@pytest.mark.parametrize("endpoint", sorted(FORMS_WITH_ERRORS))
def test_form_page_with_errors_is_logged(
    endpoint: str, live_server: LiveServer, demo: Demo, second_connection: sa.Engine
) -> None:
    """A form posted with an error answers 4xx with the client shown again: its log rows are committed."""
    import re

    http = _signed_in(live_server.app, live_server.url, demo.worker_id, demo.agency_id)
    page, target = FORMS_WITH_ERRORS[endpoint](demo)
    form_page = http.get(live_server.url + page, timeout=30)
    assert form_page.status_code == 200, form_page.text[:500]
    token = re.search(r'name="csrf-token" content="([^"]+)"', form_page.text)
    assert token is not None, "no CSRF token on the form page"
    before = _log_rows(second_connection, actor_id=demo.worker_id, client_id=demo.client_id)
    answer = http.post(live_server.url + target, data={"csrf_token": token.group(1)}, timeout=30)
    assert 400 <= answer.status_code < 500, answer.text[:500]
    after = _log_rows(second_connection, actor_id=demo.worker_id, client_id=demo.client_id)
    assert after > before, f"{endpoint}: the {answer.status_code} page showed the client but left no log row"
