"""Conference pages that carry case data leave committed access-log rows for the viewers they reach.

A conference of the network's district discusses the case; the client consented to share with the
district network's conferences. The invited welfare centre reads the briefing (page and PDF) and the
attendee's state.json; when the dong centre marks an action item started or done over HTTP, the case
panels go to the chair connected to the room with a real Socket.IO client, and are logged for them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.edge.live import RoomSocket, cookie_header, csrf_token, eventually, log_rows, signed_in
from tests.edge.world import Meeting, World, add_action, check_in, open_item, schedule_meeting
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded

#: the disclosing routes this module proves logged
LIVE = frozenset(
    {
        "conference.briefing_page",
        "conference.briefing_pdf",
        "conference.state",
        "conference.start_action",
        "conference.complete_action",
    }
)


@pytest.mark.parametrize(
    ("endpoint", "suffix"),
    [("conference.briefing_page", "briefing"), ("conference.briefing_pdf", "briefing.pdf")],
)
def test_briefing_is_logged(
    endpoint: str, suffix: str, live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    """The invited welfare centre reads the briefing packet of the consented case: logged."""
    meeting = schedule_meeting(live_server.app, world)
    http = signed_in(live_server.app, world.receiver_id, world.welfare_centre_id)
    before = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    page = http.get(f"{live_server.url}/conferences/{meeting.conference_id}/{suffix}", timeout=60)
    assert page.status_code == 200, page.text[:500]
    after = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    assert after > before, f"{endpoint} disclosed the case but left no log row"


def test_state_json_is_logged(live_server: LiveServer, world: World, second_connection: sa.Engine) -> None:
    """A pledged attendee's state.json with the case item open carries the case panel: logged."""
    meeting = schedule_meeting(live_server.app, world)
    check_in(live_server.app, meeting, world.receiver_id, world.welfare_centre_id)
    open_item(live_server.app, world, meeting)
    http = signed_in(live_server.app, world.receiver_id, world.welfare_centre_id)
    before = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    answer = http.get(f"{live_server.url}/conferences/{meeting.conference_id}/state.json", timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json()["case_data"]["items"], "state.json carried no case panel"
    after = log_rows(second_connection, actor_id=world.receiver_id, client_id=world.client_id)
    assert after > before, "state.json disclosed the case but left no log row"


@pytest.fixture
def room(live_server: LiveServer, world: World) -> Iterator[tuple[Meeting, RoomSocket]]:
    """A live meeting with the case item open and the pledged chair connected to its room."""
    meeting = schedule_meeting(live_server.app, world)
    check_in(live_server.app, meeting, world.coordinator_id, world.district_team_id)
    open_item(live_server.app, world, meeting)
    chair = signed_in(live_server.app, world.coordinator_id, world.district_team_id)
    socket = RoomSocket(live_server.url, cookie_header(live_server.app, chair))
    socket.connect(meeting.conference_id)
    assert eventually(lambda: socket.count("case_data") > 0), "the chair got no case panel on joining"
    yield meeting, socket
    socket.close()


@pytest.mark.parametrize(
    ("endpoint", "steps"),
    [("conference.start_action", ("start",)), ("conference.complete_action", ("complete",))],
)
def test_action_change_is_logged_for_the_room(
    endpoint: str,
    steps: tuple[str, ...],
    live_server: LiveServer,
    world: World,
    room: tuple[Meeting, RoomSocket],
    second_connection: sa.Engine,
) -> None:
    """Marking an action item over HTTP sends the case panels to the room: logged for its attendee."""
    meeting, socket = room
    action_id = add_action(live_server.app, world, meeting)
    http = signed_in(live_server.app, world.sender_id, world.dong_centre_id)
    page = http.get(f"{live_server.url}/conferences/actions", timeout=30)
    assert page.status_code == 200, page.text[:500]
    panels = socket.count("case_data")
    before = log_rows(second_connection, actor_id=world.coordinator_id, client_id=world.client_id)
    answer = http.post(
        f"{live_server.url}/conferences/actions/{action_id}/{steps[-1]}",
        data={"csrf_token": csrf_token(page), "result_note": "안부 확인함"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.text[:500]
    assert eventually(lambda: socket.count("case_data") > panels), "the room got no case panel"
    after = log_rows(second_connection, actor_id=world.coordinator_id, client_id=world.client_id)
    assert after > before, f"{endpoint} sent the case to the room but left no log row"
