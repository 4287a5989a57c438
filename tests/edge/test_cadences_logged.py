"""The supervision page shows advice about a case to agencies other than its owner only through the
consent check, and logs each such showing; refused posts of the cadences pages save nothing.

The live server (its own database) is reached over real HTTP; rows are counted through a second
connection, so only what was committed counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from tests.edge.live import committed, csrf_token, log_rows, signed_in
from tests.edge.world import World, check_in, open_item, schedule_meeting
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.embedded

#: the disclosing routes this module proves logged
LIVE = frozenset({"cadences.supervision_page", "cadences.record_attendance", "cadences.record_advice"})
ADVICE = "동기강화 상담으로 거부의 이유를 먼저 찾으세요"


@dataclass(frozen=True)
class Session:
    """A live supervision meeting with its case item open, an adviser and one piece of advice."""

    conference_id: int
    item_id: int
    adviser_id: int


@pytest.fixture
def session(live_server: LiveServer, world: World) -> Session:
    from agencies.models import Person
    from conference.models import Conference, ConferenceKind
    from conference.services import supervision

    meeting = schedule_meeting(live_server.app, world)
    with committed(live_server.app) as db_session:
        db_session.get(Conference, meeting.conference_id).kind = ConferenceKind.supervision
    check_in(live_server.app, meeting, world.coordinator_id, world.district_team_id)
    open_item(live_server.app, world, meeting)
    with committed(live_server.app) as db_session:
        conference = db_session.get(Conference, meeting.conference_id)
        chair = db_session.get(Person, world.coordinator_id)
        adviser = supervision.add_adviser(
            actor=chair,
            district_id=world.district_id,
            data=supervision.AdviserInput(
                "최민석", "정신건강", "정신건강의학과의원", None, date(2020, 1, 1), None
            ),
        )
        supervision.record_advice(
            conference,
            actor=chair,
            item_id=meeting.item_id,
            adviser_id=adviser.id,
            advice=ADVICE,
            follow_up="",
        )
        adviser_id = int(adviser.id)
    return Session(meeting.conference_id, meeting.item_id, adviser_id)


def _page(live_server: LiveServer, session: Session) -> str:
    return f"{live_server.url}/conferences/cadences/meetings/{session.conference_id}/supervision"


def test_the_supervision_page_logs_the_advice_shown_to_another_agency(
    live_server: LiveServer, world: World, session: Session, second_connection: sa.Engine
) -> None:
    http = signed_in(live_server.app, world.coordinator_id, world.district_team_id)
    before = log_rows(second_connection, actor_id=world.coordinator_id, client_id=world.client_id)

    page = http.get(_page(live_server, session), timeout=60)

    assert page.status_code == 200, page.text[:500]
    assert ADVICE in page.text
    after = log_rows(second_connection, actor_id=world.coordinator_id, client_id=world.client_id)
    assert after > before, "the advice was shown to the district team but left no log row"


@pytest.mark.parametrize(
    ("endpoint", "suffix", "data"),
    [
        ("cadences.record_advice", "advice", {"item_id": "", "adviser_id": "", "advice": ""}),
        ("cadences.record_attendance", "attendance", {"adviser_ids": ["999999"]}),
    ],
)
def test_a_refused_post_saves_nothing_and_its_page_is_still_logged(
    endpoint: str,
    suffix: str,
    data: dict[str, object],
    live_server: LiveServer,
    world: World,
    session: Session,
    second_connection: sa.Engine,
) -> None:
    http = signed_in(live_server.app, world.coordinator_id, world.district_team_id)
    token = csrf_token(http.get(_page(live_server, session), timeout=60))
    before = log_rows(second_connection, actor_id=world.coordinator_id, client_id=world.client_id)

    answer = http.post(
        f"{_page(live_server, session)}/{suffix}", data={**data, "csrf_token": token}, timeout=60
    )

    assert answer.status_code == 422, answer.text[:500]
    with second_connection.connect() as connection:
        advice = connection.execute(
            sa.text("SELECT count(*) FROM conference_supervision_advice WHERE conference_id = :id"),
            {"id": session.conference_id},
        ).scalar_one()
        attendance = connection.execute(
            sa.text("SELECT count(*) FROM conference_adviser_attendances WHERE conference_id = :id"),
            {"id": session.conference_id},
        ).scalar_one()
    assert (advice, attendance) == (1, 0), f"{endpoint} saved part of a refused post"
    after = log_rows(second_connection, actor_id=world.coordinator_id, client_id=world.client_id)
    assert after > before, f"{endpoint}'s 422 page showed the advice but its log row did not survive"


def test_an_impossible_series_is_a_korean_422_and_nothing_reaches_the_database(
    live_server: LiveServer, world: World, second_connection: sa.Engine
) -> None:
    http = signed_in(live_server.app, world.coordinator_id, world.district_team_id)
    url = f"{live_server.url}/conferences/cadences/"
    token = csrf_token(http.get(url, timeout=60))

    def counts() -> tuple[int, int]:
        with second_connection.connect() as connection:
            return (
                int(connection.execute(sa.text("SELECT count(*) FROM conference_rules")).scalar_one()),
                int(connection.execute(sa.text("SELECT count(*) FROM conferences")).scalar_one()),
            )

    before = counts()
    answer = http.post(
        url,
        data={
            "csrf_token": token,
            "kind": "high_risk_review",
            "title": "고위험 사례 점검회의",
            "cadence": "custom",
            "rrule": "FREQ=WEEKLY;INTERVAL=0;BYDAY=TU",
            "starts_on": "2026-01-01",
            "start_time": "10:00",
            "place": "주민센터",
            "weeks_ahead": "8",
        },
        timeout=60,
    )

    assert answer.status_code == 422
    assert "반복 간격은 1 이상이어야 합니다" in answer.text
    assert counts() == before
