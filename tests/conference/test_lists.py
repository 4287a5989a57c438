"""The conference list and the actions page page, sort and filter in SQL, and show only what one may reach."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from conference import queries, services
from conference.models import ActionItem, Conference, ConferenceKind, ConferenceStatus
from hamkke.time import now_utc, today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting
from tests.fixtures.pager import follow_pager, ids_by

pytestmark = pytest.mark.embedded

ROOM_LINK = re.compile(r'href="/conferences/(\d+)"')
ACTION_ROW = re.compile(r'id="action-(\d+)"')


def _schedule(
    meeting: Meeting, count: int, *, title: str, kind: ConferenceKind, hours: int
) -> list[Conference]:
    """Schedule ``count`` conferences hosted by the meeting's owner, an hour apart from ``hours`` on."""
    return [
        services.create_conference(
            actor=meeting.chair,
            district_id=meeting.conference.district_id,
            kind=kind,
            title=f"{title} {index + 1}",
            starts_at=now_utc() + timedelta(hours=hours + index),
            host_agency_id=meeting.owner.id,
            place="구청 회의실",
            chair_id=meeting.chair.id,
        )
        for index in range(count)
    ]


def _pages(client: FlaskClient, url: str, pattern: re.Pattern[str]) -> list[list[int]]:
    return follow_pager(client, url, ids_by(pattern))


def test_paging_the_conference_list_shows_every_conference_exactly_once(
    client: FlaskClient, db: Any, login_as: Any, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "CONFERENCES_PAGE_SIZE", 3)
    made = _schedule(meeting, 7, title="정기회의", kind=ConferenceKind.regional, hours=2)
    db.session.commit()
    login_as(meeting.partner_worker)  # invited through the partner agency only to the fixture's meeting
    assert _pages(client, "/conferences/", ROOM_LINK) == [[meeting.conference.id]]

    login_as(meeting.chair)
    pages = _pages(client, "/conferences/", ROOM_LINK)
    listed = [conference_id for page in pages for conference_id in page]
    expected = {conference.id for conference in made} | {meeting.conference.id}
    assert len(pages) == 3
    assert sorted(listed) == sorted(expected)  # every conference once, none twice
    first = client.get("/conferences/").get_data(as_text=True)
    assert "1–3 / 모두 8건" in first
    assert 'aria-current="page"' in first
    # Newest first by default (the latest start first), oldest first on request.
    assert listed[0] == made[-1].id
    oldest = _pages(client, "/conferences/?order=oldest", ROOM_LINK)
    assert [conference_id for page in oldest for conference_id in page] == list(reversed(listed))


def test_the_conference_list_filters_by_status_kind_and_title_and_keeps_them_in_page_links(
    client: FlaskClient, db: Any, login_as: Any, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "CONFERENCES_PAGE_SIZE", 2)
    urgent = _schedule(meeting, 3, title="긴급회의", kind=ConferenceKind.urgent, hours=3)
    cancelled = _schedule(meeting, 1, title="취소될 회의", kind=ConferenceKind.regional, hours=9)[0]
    cancelled.status = ConferenceStatus.cancelled
    db.session.commit()
    login_as(meeting.chair)

    by_kind = _pages(client, "/conferences/?kind=urgent", ROOM_LINK)
    assert sorted(i for page in by_kind for i in page) == sorted(c.id for c in urgent)
    html = client.get("/conferences/?kind=urgent").get_data(as_text=True)
    assert re.search(r'<a href="[^"]*kind=urgent[^"]*page=2[^"]*" rel="next">', html)

    by_title = _pages(client, "/conferences/?q=긴급회의 2", ROOM_LINK)
    assert by_title == [[urgent[1].id]]
    # Typed % matches itself, not everything.
    assert "조건에 맞는 회의가 없습니다" in client.get("/conferences/?q=%25").get_data(as_text=True)

    everything = [i for page in _pages(client, "/conferences/", ROOM_LINK) for i in page]
    assert cancelled.id not in everything
    assert _pages(client, "/conferences/?status=cancelled", ROOM_LINK) == [[cancelled.id]]


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "kind=%00", "order=sideways", "q=" + "가" * 101, "page=-3", "page=99999999999999999999"],
)
def test_bad_list_values_fall_back_with_a_note_instead_of_an_error(
    client: FlaskClient, login_as: Any, meeting: Meeting, query: str
) -> None:
    login_as(meeting.chair)
    response = client.get(f"/conferences/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert meeting.conference.title in html
    if not query.startswith("page="):
        assert "알 수 없는 조건 값이라 기본값으로 바꿔 보여 드립니다" in html


def test_the_actions_page_pages_every_item_exactly_once_instead_of_a_silent_cap(
    client: FlaskClient, db: Any, login_as: Any, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "ACTIONS_PAGE_SIZE", 4)
    today = today_local()
    made = []
    for index in range(10):
        action = ActionItem(
            conference_id=meeting.conference.id,
            item_id=meeting.item.id,
            case_id=meeting.case.id,
            text=f"과제 {index}",
            owner_agency_id=meeting.owner.id,
            # Several items share a due date: the row id breaks the tie, so no row is on two pages.
            due_on=today + timedelta(days=index // 3),
        )
        db.session.add(action)
        made.append(action)
    db.session.commit()
    login_as(meeting.recorder)

    pages = _pages(client, "/conferences/actions?status=all", ACTION_ROW)
    listed = [action_id for page in pages for action_id in page]
    assert len(pages) == 3
    assert sorted(listed) == sorted(action.id for action in made)
    assert listed == [action.id for action in made]  # by due date, then as created
    last = client.get("/conferences/actions?status=all&page=3").get_data(as_text=True)
    assert "9–10 / 모두 10건" in last
    assert 'name="return_page" value="3"' in last


def test_a_refused_change_re_renders_its_page_with_page_links_that_work(
    client: FlaskClient, db: Any, login_as: Any, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "ACTIONS_PAGE_SIZE", 2)
    today = today_local()
    made = [
        ActionItem(
            conference_id=meeting.conference.id,
            item_id=meeting.item.id,
            case_id=meeting.case.id,
            text=f"과제 {index}",
            owner_agency_id=meeting.owner.id,
            due_on=today + timedelta(days=index),
        )
        for index in range(5)
    ]
    db.session.add_all(made)
    db.session.commit()
    services.start_action(made[2], actor=meeting.recorder)
    db.session.commit()
    login_as(meeting.recorder)
    token = page_csrf_token(client, "/conferences/actions?status=all&page=2")

    # Starting an item already in progress is refused: the page it came from is shown again.
    refused = client.post(
        f"/conferences/actions/{made[2].id}/start",
        data={"csrf_token": token, "return_status": "all", "return_page": "2"},
    )
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert f'id="action-{made[2].id}"' in html
    assert f'id="action-{made[0].id}"' not in html
    links = re.findall(r'<a href="([^"]*page=\d+[^"]*)"', html)
    assert links
    assert all(link.startswith("/conferences/actions?") for link in links), links
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200
