"""Every disclosing /conference Socket.IO event leaves committed access-log rows for the attendees it reaches.

Real python-socketio clients join the live server's room with a signed-in cookie; the client consented
to share with the district network's conferences, so the case panels reach pledged attendees. After each
event's acknowledgement (and the panel it sends), the rows are counted from a separate connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from tests.edge.live import RoomSocket, cookie_header, eventually, log_rows, signed_in
from tests.edge.world import (
    Meeting,
    World,
    check_in,
    item_version,
    open_item,
    schedule_meeting,
    start_meeting,
)
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded

#: the disclosing events this module proves logged
LIVE = frozenset(
    {
        "/conference connect",
        "/conference sync",
        "/conference accept_pledge",
        "/conference start",
        "/conference open_item",
        "/conference close_item",
    }
)

Join = Callable[..., RoomSocket]


@pytest.fixture
def join(live_server: LiveServer) -> Iterator[Join]:
    """Return ``join(person_id, agency_id, meeting)``: a connected socket of that person in the room."""
    opened: list[RoomSocket] = []

    def connect(person_id: int, agency_id: int, meeting: Meeting) -> RoomSocket:
        http = signed_in(live_server.app, person_id, agency_id)
        socket = RoomSocket(live_server.url, cookie_header(live_server.app, http))
        opened.append(socket)
        socket.connect(meeting.conference_id)
        return socket

    yield connect
    for socket in opened:
        socket.close()


def _rows(engine: sa.Engine, world: World, person_id: int) -> int:
    return log_rows(engine, actor_id=person_id, client_id=world.client_id)


def test_joining_the_room_is_logged(
    live_server: LiveServer, world: World, join: Join, second_connection: sa.Engine
) -> None:
    """A pledged attendee joining while the case item is open gets its panel: logged."""
    meeting = schedule_meeting(live_server.app, world)
    check_in(live_server.app, meeting, world.receiver_id, world.welfare_centre_id)
    open_item(live_server.app, world, meeting)
    before = _rows(second_connection, world, world.receiver_id)
    socket = join(world.receiver_id, world.welfare_centre_id, meeting)
    assert eventually(lambda: socket.count("case_data") > 0), "no case panel on joining"
    assert eventually(lambda: _rows(second_connection, world, world.receiver_id) > before), (
        "connect left no log row"
    )


def test_sync_is_logged(
    live_server: LiveServer, world: World, join: Join, second_connection: sa.Engine
) -> None:
    """``sync`` answers with the attendee's case panel: logged."""
    meeting = schedule_meeting(live_server.app, world)
    check_in(live_server.app, meeting, world.receiver_id, world.welfare_centre_id)
    open_item(live_server.app, world, meeting)
    socket = join(world.receiver_id, world.welfare_centre_id, meeting)
    assert eventually(lambda: socket.count("case_data") > 0)
    before = _rows(second_connection, world, world.receiver_id)
    ack = socket.call("sync", {"conference_id": meeting.conference_id})
    assert ack["case_data"]["items"], ack
    assert _rows(second_connection, world, world.receiver_id) > before, "sync left no log row"


def test_accepting_the_pledge_is_logged(
    live_server: LiveServer, world: World, join: Join, second_connection: sa.Engine
) -> None:
    """An attendee who accepts the pledge in the room gets the case panel: logged."""
    from conference.access import CURRENT_PLEDGE_VERSION

    meeting = schedule_meeting(live_server.app, world)
    check_in(live_server.app, meeting, world.receiver_id, world.welfare_centre_id, pledge=False)
    open_item(live_server.app, world, meeting)
    socket = join(world.receiver_id, world.welfare_centre_id, meeting)
    before = _rows(second_connection, world, world.receiver_id)
    panels = socket.count("case_data")
    ack = socket.call(
        "accept_pledge", {"conference_id": meeting.conference_id, "version": CURRENT_PLEDGE_VERSION}
    )
    assert ack.get("ok", True) is not False, ack
    assert eventually(lambda: socket.count("case_data") > panels), "no case panel after the pledge"
    assert _rows(second_connection, world, world.receiver_id) > before, "accept_pledge left no log row"


@pytest.mark.parametrize("event", ["start", "open_item", "close_item"])
def test_chair_event_is_logged(
    event: str, live_server: LiveServer, world: World, join: Join, second_connection: sa.Engine
) -> None:
    """The chair's start, open and close events send the case panels to the room: logged."""
    meeting = schedule_meeting(live_server.app, world)
    check_in(live_server.app, meeting, world.coordinator_id, world.district_team_id)
    check_in(live_server.app, meeting, world.sender_id, world.dong_centre_id)
    if event == "open_item":
        start_meeting(live_server.app, world, meeting)
    elif event == "close_item":
        open_item(live_server.app, world, meeting)
    chair = join(world.coordinator_id, world.district_team_id, meeting)
    owner = join(world.sender_id, world.dong_centre_id, meeting)
    data: dict[str, int | str] = {"conference_id": meeting.conference_id, "item_id": meeting.item_id}
    data["version"] = item_version(live_server.app, meeting)
    if event == "close_item":
        data["outcome"] = "reconvene"
    panels = owner.count("case_data")
    before = log_rows(second_connection, client_id=world.client_id)
    ack = chair.call(event, data)
    assert ack.get("ok", True) is not False, ack
    assert eventually(lambda: owner.count("case_data") > panels), f"no case panel after {event}"
    after = log_rows(second_connection, client_id=world.client_id)
    assert after > before, f"{event} sent the case to the room but left no log row"
