"""Referral pages, letters and the referral API leave committed access-log rows for their viewer.

The receiving agency opens a referral sent to it under a recorded referral consent (basic group):
its page, a step refused with the page shown again, the letter rendered by the letter task, and the
agency API's read and three answers with a client-credentials token, all over real HTTP.
"""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from tests.edge.live import csrf_token, log_rows, signed_in
from tests.edge.world import World, add_person, letter_of, send_referral
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded

#: the disclosing routes this module proves logged
LIVE = frozenset(
    {
        "referrals.detail",
        "referrals.act",
        "referrals.new",
        "referrals.new_outside",
        "referrals.download_letter",
        "api.get_referral",
        "api.accept_referral",
        "api.reject_referral",
        "api.complete_referral",
    }
)


def test_referral_page_is_logged(live_server: LiveServer, world: World, second_connection: sa.Engine) -> None:
    """GET /referrals/<id> as the receiver shows the consented client fields: logged."""
    referral_id = send_referral(live_server.app, world)
    http = signed_in(live_server.app, world.receiver_id, world.welfare_centre_id)
    before = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    page = http.get(f"{live_server.url}/referrals/{referral_id}", timeout=30)
    assert page.status_code == 200, page.text[:500]
    after = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    assert after > before, "the referral page disclosed the client but left no log row"


def test_refused_referral_step_is_logged(
    live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    """A rejection without a reason answers 422 with the referral shown again: its log rows are committed."""
    referral_id = send_referral(live_server.app, world)
    http = signed_in(live_server.app, world.receiver_id, world.welfare_centre_id)
    page = http.get(f"{live_server.url}/referrals/{referral_id}", timeout=30)
    assert page.status_code == 200, page.text[:500]
    before = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    answer = http.post(
        f"{live_server.url}/referrals/{referral_id}/reject", data={"csrf_token": csrf_token(page)}, timeout=30
    )
    assert answer.status_code == 422, answer.text[:500]
    after = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    assert after > before, "the refused step showed the client again but left no log row"


def test_letter_download_is_logged(
    live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    """The request letter, rendered by the letter task, downloaded by the receiver: logged."""
    referral_id = send_referral(live_server.app, world, letter=True)
    letter_id = letter_of(live_server.app, referral_id)
    http = signed_in(live_server.app, world.receiver_id, world.welfare_centre_id)
    before = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    download = http.get(f"{live_server.url}/referrals/letters/{letter_id}", timeout=60)
    assert download.status_code == 200, download.text[:500]
    assert download.content.startswith(b"%PDF-")
    after = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    assert after > before, "the letter named the client but its download left no log row"


def _sent_from_the_form(live_server: LiveServer, world: World, path: str, fields: dict[str, str]) -> int:
    """Post a referral form with "send" as the sender; return the new referral's ID (from the redirect)."""
    http = signed_in(live_server.app, world.sender_id, world.dong_centre_id)
    page = http.get(f"{live_server.url}{path}", timeout=30)
    assert page.status_code == 200, page.text[:500]
    sent = http.post(
        f"{live_server.url}{path}",
        data={
            "csrf_token": csrf_token(page),
            "reason": "독거 생활로 식사를 거르는 일이 잦음",
            "requested_services": "밑반찬 지원",
            "action": "send",
            **fields,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert sent.status_code == 302, sent.text[:500]
    return int(sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


@pytest.mark.parametrize(
    ("endpoint", "path", "fields", "agency"),
    [
        (
            "referrals.new",
            "/referrals/new?case_id={case_id}",
            {
                "service": "{service_id}",
                "field_groups": "basic",
                "eligibility_override_reason": "시험: 담당자가 이용요건을 확인함",
            },
            "welfare_centre_id",
        ),
        (
            "referrals.new_outside",
            "/referrals/new-outside?case_id={case_id}",
            {"external_name": "바깥 상담소", "external_email": "office@outside.example"},
            None,
        ),
    ],
)
def test_a_referral_sent_from_the_form_has_its_letter_logged(
    endpoint: str,
    path: str,
    fields: dict[str, str],
    agency: str | None,
    live_server: LiveServer,
    world: World,
    second_connection: sa.Engine,
) -> None:
    """Sending from the form queues the 의뢰서; the letter task that renders it logs the disclosure."""
    from referrals.models import LetterKind
    from referrals.tasks import render_letter

    values = {"case_id": world.case_id, "service_id": world.service_id}
    referral_id = _sent_from_the_form(
        live_server,
        world,
        path.format(**values),
        {name: value.format(**values) for name, value in fields.items()},
    )
    agency_id = getattr(world, agency) if agency is not None else None
    before = log_rows(second_connection, agency_id=agency_id, client_id=world.client_id)
    with live_server.app.app_context():
        # The letter task, run in-process as the worker does after the commit.
        render_letter(referral_id, LetterKind.request.value)
    after = log_rows(second_connection, agency_id=agency_id, client_id=world.client_id)
    assert after > before, f"the letter of a referral sent by {endpoint} left no log row"


@pytest.fixture(scope="module")
def api_token(live_server: LiveServer, world: World) -> dict[str, str]:
    """Authorization headers of the welfare centre's own system (client credentials over HTTP)."""
    from agencies.models import Agency, Person
    from agencies.services import register_api_client
    from tests.edge.live import committed

    admin_id = add_person(live_server.app, world.welfare_centre_id, "agency_admin")
    with committed(live_server.app) as session:
        api_client, secret = register_api_client(
            session.get(Agency, world.welfare_centre_id),
            actor=session.get(Person, admin_id),
            name="복지관 시스템",
            scopes=("referrals:read", "referrals:write"),
        )
        client_id = api_client.client_id
    answer = requests.post(
        f"{live_server.url}/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "scope": "referrals:read referrals:write"},
        auth=(client_id, secret),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[:500]
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _api(
    live_server: LiveServer,
    headers: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None = None,
) -> requests.Response:
    session = requests.Session()
    session.trust_env = False  # loopback only
    return session.request(method, f"{live_server.url}/api/v1{path}", headers=headers, json=body, timeout=30)


@pytest.mark.parametrize(
    ("endpoint", "steps"),
    [
        ("api.get_referral", [("GET", "", None)]),
        ("api.accept_referral", [("POST", "/accept", {"note": "다음 주 방문"})]),
        ("api.reject_referral", [("POST", "/reject", {"reason": "capacity_full", "note": "정원 마감"})]),
        (
            "api.complete_referral",
            [("POST", "/accept", {}), ("POST", "/complete", {"outcome": "주 2회 제공 시작"})],
        ),
    ],
)
def test_referral_api_is_logged(
    endpoint: str,
    steps: list[tuple[str, str, dict[str, str] | None]],
    live_server: LiveServer,
    world: World,
    api_token: dict[str, str],
    second_connection: sa.Engine,
) -> None:
    """Each referral endpoint of the agency API answers with the consented fields: logged for the agency."""
    referral_id = send_referral(live_server.app, world)
    *earlier, (method, suffix, body) = steps
    for earlier_method, earlier_suffix, earlier_body in earlier:
        answer = _api(
            live_server, api_token, earlier_method, f"/referrals/{referral_id}{earlier_suffix}", earlier_body
        )
        assert answer.status_code == 200, answer.text[:500]
    before = log_rows(second_connection, agency_id=world.welfare_centre_id, client_id=world.client_id)
    answer = _api(live_server, api_token, method, f"/referrals/{referral_id}{suffix}", body)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json()["client_fields"], "the answer carries no client field to disclose"
    after = log_rows(second_connection, agency_id=world.welfare_centre_id, client_id=world.client_id)
    assert after > before, f"{endpoint} disclosed the client but left no log row"
