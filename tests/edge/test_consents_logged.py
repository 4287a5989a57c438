"""Consent pages, the scanned form, and the data-subject request pages leave committed access-log rows.

The dong centre that collected the client opens the recorded consent and its scan, exports the client's
data for a 열람 request, reviews a 정정 request, and posts a 삭제 request without confirming it (the
4xx page shows the client again), all over real HTTP.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.edge.live import committed, csrf_token, log_rows, signed_in
from tests.edge.world import World
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded

#: the disclosing routes this module proves logged
LIVE = frozenset(
    {
        "consents.show_consent",
        "consents.download_scan",
        "consents.export_request",
        "consents.fulfil_request_page",
        "consents.fulfil_request",
        "consents.create_request",
        "consents.revoke_consent",
    }
)


def _request(app: Flask, world: World, kind: str) -> int:
    """Record a data-subject request of the client at the dong centre; return its ID."""
    from agencies.models import Agency, Person
    from cases.models import Client
    from consents import services

    with committed(app) as session:
        item = services.record_request(
            session.get(Client, world.client_id),
            actor=session.get(Person, world.sender_id),
            agency=session.get(Agency, world.dong_centre_id),
            kind=kind,
            details="시험 요청",
        )
        session.flush()
        return int(item.id)


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ("consents.show_consent", lambda app, w: f"/consents/{w.consent_id}"),
        ("consents.download_scan", lambda app, w: f"/consents/{w.consent_id}/scan"),
        (
            "consents.export_request",
            lambda app, w: f"/consents/requests/{_request(app, w, 'access')}/export.json",
        ),
        (
            "consents.fulfil_request_page",
            lambda app, w: f"/consents/requests/{_request(app, w, 'correction')}/fulfil",
        ),
    ],
)
def test_consent_page_is_logged(
    endpoint: str, path: object, live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    """Each consent page or download, fetched by the collecting agency's worker: logged."""
    target = path(live_server.app, world)  # type: ignore[operator]
    http = signed_in(live_server.app, world.sender_id, world.dong_centre_id)
    before = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    page = http.get(live_server.url + target, timeout=30)
    assert page.status_code == 200, page.text[:500]
    after = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    assert after > before, f"{endpoint} disclosed the client but left no log row"


def test_unconfirmed_erasure_is_logged(
    live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    """A 삭제 request posted without the confirmation answers 4xx with the client shown again: logged."""
    request_id = _request(live_server.app, world, "deletion")
    http = signed_in(live_server.app, world.sender_id, world.dong_centre_id)
    page = http.get(f"{live_server.url}/consents/requests/{request_id}/fulfil", timeout=30)
    assert page.status_code == 200, page.text[:500]
    before = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    answer = http.post(
        f"{live_server.url}/consents/requests/{request_id}/fulfil",
        data={"csrf_token": csrf_token(page)},
        timeout=30,
    )
    assert 400 <= answer.status_code < 500, answer.text[:500]
    after = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    assert after > before, "the refused erasure showed the client again but left no log row"


@pytest.mark.parametrize(
    ("endpoint", "page", "target", "data"),
    [
        # no kind chosen: the history page comes back with the reason beside the field
        (
            "consents.create_request",
            lambda w: f"/consents/clients/{w.client_id}",
            lambda w: f"/consents/clients/{w.client_id}/requests",
            {},
        ),
        # an unknown field group: the consent page comes back with the reason, nothing withdrawn
        (
            "consents.revoke_consent",
            lambda w: f"/consents/{w.consent_id}",
            lambda w: f"/consents/{w.consent_id}/revoke",
            {"field_groups": "no_such_group", "reason": "시험"},
        ),
    ],
)
def test_refused_consent_form_is_logged(
    endpoint: str,
    page: object,
    target: object,
    data: dict[str, str],
    live_server: LiveServer,
    world: World,
    second_connection: sa.Engine,
) -> None:
    """A consent form refused with the client shown again answers 4xx and leaves committed log rows."""
    http = signed_in(live_server.app, world.sender_id, world.dong_centre_id)
    form_page = http.get(live_server.url + page(world), timeout=30)  # type: ignore[operator]
    assert form_page.status_code == 200, form_page.text[:500]
    before = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    answer = http.post(
        live_server.url + target(world),  # type: ignore[operator]
        data={"csrf_token": csrf_token(form_page), **data},
        timeout=30,
    )
    assert 400 <= answer.status_code < 500, answer.text[:500]
    after = log_rows(second_connection, actor_id=world.sender_id, client_id=world.client_id)
    assert after > before, f"{endpoint}: the refused form showed the client again but left no log row"
