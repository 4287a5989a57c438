"""The access-log page: paged in SQL, sorted by time, searched by what a person knows, all in words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from agencies.models import Person, StaffRole
from cases.models import Client
from consents import views
from consents.access_log import log_disclosure
from hamkke.time import today_local
from tests.fixtures.consents import ConsentWorld
from tests.fixtures.pager import follow_pager

pytestmark = pytest.mark.embedded

PAGE = "/consents/access-log"
NOTE = "알 수 없는 조건 값이라 기본값으로 바꿔 보여 드립니다"


def _log(person: Person, client: Client, *, purpose: str = "case_management", channel: str = "page") -> None:
    log_disclosure(
        actor_id=person.id,
        agency_id=person.memberships[0].agency_id,
        client_id=client.id,
        field_groups=["basic", "health"],
        purpose=purpose,
        channel=channel,
        basis="owner",
    )


def _table(html: str) -> str:
    return html.split("<tbody>")[1].split("</tbody>")[0]


def _viewers(client: FlaskClient, url: str) -> list[list[str]]:
    """Follow the pager from ``url``; return the viewers' names of each page, in order."""
    return follow_pager(
        client, url, lambda html: re.findall(r'<td data-label="열람자">([^<]*)</td>', _table(html))
    )


@pytest.fixture
def viewers(db: Any, consent_world: ConsentWorld, create_person: Callable[..., Person]) -> list[Person]:
    """Seven staff of the owning agency with names that say the order they looked in."""
    return [
        create_person(agency=consent_world.owner, roles=[StaffRole.case_worker], name=f"열람{index}번")
        for index in range(1, 8)
    ]


def test_paging_shows_every_row_once_newest_first_or_oldest_first(
    db: Any,
    consent_world: ConsentWorld,
    viewers: list[Person],
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "ACCESS_LOG_PAGE_SIZE", 3)
    record = create_client()
    for person in viewers:
        _log(person, record)
    db.session.commit()
    http = signed_in(consent_world.auditor, consent_world.team.id)

    names = [person.name for person in viewers]
    pages = _viewers(http, f"{PAGE}?who=열람")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [name for page in pages for name in page] == list(reversed(names))
    oldest = _viewers(http, f"{PAGE}?who=열람&order=oldest")
    assert [name for page in oldest for name in page] == names
    first = http.get(f"{PAGE}?who=열람").get_data(as_text=True)
    assert "1–3 / 모두 7건" in first
    assert re.search(r'<a href="[^"]*who=[^"]*page=2[^"]*" rel="next">', first)  # the search is kept


def test_search_by_viewer_agency_case_number_name_period_route_and_purpose(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Any],
    signed_in: Callable[..., FlaskClient],
) -> None:
    world = consent_world
    mine = create_client(name="한가람")
    case = create_plain_case(mine)
    theirs = create_client(agency=world.recipient, name="두리온")
    _log(world.worker, mine)
    _log(world.recipient_worker, mine, purpose="referral", channel="api")
    _log(world.recipient_worker, theirs)
    db.session.commit()
    http = signed_in(world.auditor, world.team.id)

    def viewers_of(query: str) -> list[str]:
        return sorted(name for page in _viewers(http, f"{PAGE}?{query}") for name in page)

    assert viewers_of("who=김사") == [world.worker.name]
    assert viewers_of(f"agency_id={world.recipient.id}") == [world.recipient_worker.name] * 2
    assert viewers_of(f"client={case.number}") == sorted([world.worker.name, world.recipient_worker.name])
    assert viewers_of(f"client=사례 {case.number}") == viewers_of(f"client={case.number}")
    assert viewers_of("client=한가") == sorted([world.worker.name, world.recipient_worker.name])
    assert viewers_of("client=두리온") == [world.recipient_worker.name]
    assert viewers_of("channel=api") == [world.recipient_worker.name]
    assert viewers_of("purpose=referral") == [world.recipient_worker.name]
    today = today_local()
    assert len(viewers_of(f"since={today}&until={today}")) == 3
    empty = http.get(f"{PAGE}?since={today + timedelta(days=1)}").get_data(as_text=True)
    assert "조건에 맞는 기록이 없습니다" in empty
    # A case number whose day does not match its sequence is no case (a guessed row id finds nothing).
    wrong_day = f"{(case.opened_on - timedelta(days=1)):%y%m%d}-{case.id:03d}"
    assert viewers_of(f"client={wrong_day}") == []


def test_the_page_is_in_words_never_row_ids_or_codes(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Any],
    signed_in: Callable[..., FlaskClient],
) -> None:
    world = consent_world
    record = create_client()
    case = create_plain_case(record)
    _log(world.recipient_worker, record, purpose="conference_sharing", channel="socket")
    db.session.commit()
    http = signed_in(world.auditor, world.team.id)

    html = http.get(PAGE).get_data(as_text=True)
    table = _table(html)
    for words in (world.recipient_worker.name, world.recipient.name, f"사례 {case.number}", "기본정보"):
        assert words in table, words
    for words in ("통합사례회의 공유", "실시간 회의", "수집 기관"):
        assert words in table, words
    for raw in ("None", "conference_sharing", "socket", "owner", "basic", "health"):
        assert raw not in table, raw
    for row_id in (world.recipient_worker.id, world.recipient.id, record.id, case.id):
        assert f">{row_id}<" not in table
    # The search form offers names and labels, not numbers to type.
    assert "열람자 번호" not in html
    assert "대상자 번호" not in html
    assert f">{world.recipient.name}</option>" in html


def test_an_agency_auditor_sees_and_finds_only_their_own_agency(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_person: Callable[..., Person],
    signed_in: Callable[..., FlaskClient],
) -> None:
    world = consent_world
    auditor = create_person(agency=world.owner, roles=[StaffRole.auditor], name="기관감사")
    mine = create_client(name="우리대상")
    theirs = create_client(agency=world.recipient, name="남의대상")
    _log(world.worker, mine)
    _log(world.recipient_worker, theirs)
    db.session.commit()
    http = signed_in(auditor, world.owner.id)

    assert [name for page in _viewers(http, PAGE) for name in page] == [world.worker.name]
    # Another agency's client is not found by name, and another agency cannot be chosen.
    assert _viewers(http, f"{PAGE}?client=남의대상") == [[]]
    html = http.get(f"{PAGE}?agency_id={world.recipient.id}").get_data(as_text=True)
    assert NOTE in html
    assert world.recipient_worker.name not in _table(html)
    assert signed_in(world.worker, world.owner.id).get(PAGE).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-45",
        "until=99999-01-01",
        "since=0001-01-01",
        "until=9999-12-31",
        "channel=bogus",
        "purpose=case management",
        "order=sideways",
        "agency_id=abc",
        "agency_id=99999999999999999999",
        "who=" + "가" * 101,
        "client=" + "9" * 120,
    ],
)
def test_bad_values_fall_back_with_a_korean_note(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
    query: str,
) -> None:
    _log(consent_world.worker, create_client())
    db.session.commit()
    http = signed_in(consent_world.auditor, consent_world.team.id)
    response = http.get(f"{PAGE}?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert NOTE in html
    assert consent_world.worker.name in _table(html)


@pytest.mark.parametrize("query", ["client=260101-99999999999999999999", "client_id=abc", "page=0"])
def test_odd_numbers_find_nothing_or_the_first_page_without_an_error(
    db: Any, consent_world: ConsentWorld, signed_in: Callable[..., FlaskClient], query: str
) -> None:
    http = signed_in(consent_world.auditor, consent_world.team.id)
    assert http.get(f"{PAGE}?{query}").status_code == 200
