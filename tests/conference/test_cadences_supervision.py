"""재회의 items carried to the series' next meeting with their history, and the 슈퍼비전 block of
필수서식9 filled from the advisers' attendance and advice (issue 17 point 2)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from agencies.models import Agency, Person
from conference import services
from conference.minutes_pdf import render_minutes_pdf
from conference.models import (
    AgendaItem,
    Conference,
    ConferenceKind,
    ItemOutcome,
    ItemSource,
    SupervisionAdvice,
)
from conference.services import supervision
from conference.services.scheduling import make_recurring
from hamkke.time import to_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting, seat

pytestmark = pytest.mark.embedded


def _pdf_text(data: bytes) -> str:
    return "".join(
        "".join((page.extract_text() or "").replace("\x00", "").split())
        for page in PdfReader(io.BytesIO(data)).pages
    )


def _next_meeting(db: Any, meeting: Meeting) -> Conference:
    conference = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=meeting.conference.kind,
        title="다음 정기 회의",
        starts_at=meeting.conference.starts_at + timedelta(days=28),
        host_agency_id=meeting.owner.id,
        place="구청",
        chair_id=meeting.chair.id,
    )
    db.session.commit()
    return conference


def _reconvene(db: Any, meeting: Meeting, *, said: str = "주거 문제 합의 못 함") -> None:
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    services.start_conference(meeting.conference, actor=meeting.chair)
    services.open_item(meeting.item, actor=meeting.chair)
    section = services.soap_section(meeting.item, "A")
    services.save_soap(
        meeting.item, actor=meeting.chair, section="A", text=said, base_version=section.version
    )
    services.close_item(meeting.item, actor=meeting.chair, outcome=ItemOutcome.reconvene)
    services.finalize_minutes(meeting.conference, actor=meeting.chair)
    db.session.commit()


def _carried(conference: Conference) -> list[AgendaItem]:
    return [item for item in conference.items if item.source == ItemSource.carried]


def test_a_reconvened_item_goes_onto_the_next_meeting_of_the_series_when_the_minutes_are_final(
    db: Any, meeting: Meeting
) -> None:
    make_recurring(meeting.conference, actor=meeting.chair, agency_ids=[meeting.partner.id])
    db.session.commit()
    following = _next_meeting(db, meeting)
    following.rule_id = meeting.conference.rule_id
    db.session.commit()

    _reconvene(db, meeting)

    db.session.expire_all()
    carried = _carried(following)
    assert [item.case_id for item in carried] == [meeting.case.id]
    assert carried[0].title == "[재회의] " + meeting.item.title
    history = carried[0].source_detail["history"]
    assert [entry["conference_id"] for entry in history] == [meeting.conference.id]
    assert history[0]["held_on"] == to_local(meeting.conference.starts_at).date().isoformat()
    # The draft agenda does not take it up a second time.
    services.build_draft_agenda(following)
    assert len(_carried(following)) == 1


def test_the_draft_agenda_of_a_meeting_scheduled_later_picks_up_the_reconvened_item(
    db: Any, meeting: Meeting
) -> None:
    _reconvene(db, meeting)
    following = _next_meeting(db, meeting)
    assert _carried(following) == []

    services.build_draft_agenda(following)
    db.session.commit()

    carried = _carried(following)
    assert len(carried) == 1
    assert carried[0].source_detail["reconvened_item_id"] == meeting.item.id


def test_the_carried_item_shows_its_earlier_meeting_and_what_was_said_to_the_case_owner(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    _reconvene(db, meeting, said="주거 지원 범위에 이견, 다음 회의에서 재논의")
    following = _next_meeting(db, meeting)
    services.build_draft_agenda(following)
    db.session.commit()
    login_as(meeting.chair, agency_id=meeting.owner.id)

    html = client.get(f"/conferences/{following.id}/plan").get_data(as_text=True)

    assert "재회의 이력" in html
    assert meeting.conference.title in html
    assert f"/conferences/{meeting.conference.id}/plan" in html
    assert "주거 지원 범위에 이견, 다음 회의에서 재논의" in html


def test_a_reconvened_item_of_another_series_stays_out(db: Any, meeting: Meeting) -> None:
    _reconvene(db, meeting)
    other = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=ConferenceKind.regional,
        title="다른 기관 회의",
        starts_at=meeting.conference.starts_at + timedelta(days=28),
        host_agency_id=meeting.partner.id,
        place="복지관",
    )
    db.session.commit()

    services.build_draft_agenda(other)

    assert _carried(other) == []


# --- supervision: the roster, attendance and advice ----------------------------------------------


def _supervision(db: Any, meeting: Meeting) -> tuple[Conference, Any]:
    conference = meeting.conference
    conference.kind = ConferenceKind.supervision
    db.session.flush()
    adviser = supervision.add_adviser(
        actor=meeting.chair,
        district_id=conference.district_id,
        data=supervision.AdviserInput(
            name="황주연",
            expertise="정신건강",
            affiliation="정신건강의학과의원",
            contact="02-000-0000",
            term_starts_on=date(2026, 1, 1),
            term_ends_on=None,
        ),
    )
    seat(db, conference, meeting.chair, meeting.owner)
    services.start_conference(conference, actor=meeting.chair)
    db.session.commit()
    return conference, adviser


ADVICE = "양가감정을 인정하고 동기강화 상담을 먼저 하세요"
FOLLOW_UP = "정신건강복지센터 연계를 2주 안에 시도"


def test_advice_fills_the_supervision_block_of_the_minutes_pdf(db: Any, meeting: Meeting) -> None:
    conference, adviser = _supervision(db, meeting)
    supervision.record_attendance(conference, actor=meeting.chair, present_ids=[adviser.id])
    supervision.record_advice(
        conference,
        actor=meeting.chair,
        item_id=meeting.item.id,
        adviser_id=adviser.id,
        advice=ADVICE,
        follow_up=FOLLOW_UP,
    )
    db.session.commit()

    owner_copy = _pdf_text(render_minutes_pdf(conference, meeting.owner.id))
    outsider_copy = _pdf_text(render_minutes_pdf(conference, meeting.outsider_agency.id))

    squeezed = "".join(ADVICE.split())
    assert "참석자문위원:황주연(정신건강)" in owner_copy
    assert squeezed in owner_copy
    assert "".join(FOLLOW_UP.split()) in owner_copy
    # No consent to share in conferences: the other agency's copy says why instead of the advice.
    assert squeezed not in outsider_copy
    assert "통합사례회의공유에동의하지않았" in outsider_copy


def test_the_block_of_a_meeting_without_advice_says_so(db: Any, meeting: Meeting) -> None:
    conference, _adviser = _supervision(db, meeting)

    text = _pdf_text(render_minutes_pdf(conference, meeting.owner.id))

    assert "기록된자문없음" in text


def test_advice_is_recorded_from_the_supervision_page_and_shown_there(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    conference, adviser = _supervision(db, meeting)
    login_as(meeting.chair, agency_id=meeting.owner.id)
    page = f"/conferences/cadences/meetings/{conference.id}/supervision"

    attended = client.post(
        f"{page}/attendance",
        data={"csrf_token": page_csrf_token(client, page), "adviser_ids": [str(adviser.id)]},
    )
    advised = client.post(
        f"{page}/advice",
        data={
            "csrf_token": page_csrf_token(client, page),
            "item_id": str(meeting.item.id),
            "adviser_id": str(adviser.id),
            "advice": ADVICE,
            "follow_up": FOLLOW_UP,
        },
    )

    assert attended.status_code == 303
    assert advised.status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert ADVICE in html
    assert FOLLOW_UP in html
    assert "황주연 (정신건강, 정신건강의학과의원)" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"advice": "  "}, "자문 내용을 입력하세요"),
        ({"adviser_id": "999999"}, "임기 중인 이 구의 자문위원을 고르세요"),
        ({"item_id": "999999"}, "이 회의의 사례 안건을 고르세요"),
    ],
)
def test_bad_advice_is_a_korean_422_with_nothing_saved(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, overrides: dict[str, str], message: str
) -> None:
    conference, adviser = _supervision(db, meeting)
    login_as(meeting.chair, agency_id=meeting.owner.id)
    page = f"/conferences/cadences/meetings/{conference.id}/supervision"
    data = {
        "csrf_token": page_csrf_token(client, page),
        "item_id": str(meeting.item.id),
        "adviser_id": str(adviser.id),
        "advice": ADVICE,
        "follow_up": "",
    }
    data.update(overrides)

    response = client.post(f"{page}/advice", data=data)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionAdvice)) == 0


def test_advice_is_refused_outside_a_supervision_meeting(db: Any, meeting: Meeting) -> None:
    from hamkke.errors import InvalidTransition

    adviser = supervision.add_adviser(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        data=supervision.AdviserInput("정순둘", "노인사례관리", "이화여대", None, date(2026, 1, 1), None),
    )
    with pytest.raises(InvalidTransition):
        supervision.record_advice(
            meeting.conference,
            actor=meeting.chair,
            item_id=meeting.item.id,
            adviser_id=adviser.id,
            advice=ADVICE,
            follow_up="",
        )


def test_the_roster_page_adds_an_outside_expert_and_refuses_a_term_ending_before_it_starts(
    client: FlaskClient,
    login_as: Any,
    db: Any,
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> None:
    from agencies.models import AgencyType, StaffRole

    team = create_agency(name="희망복지지원단", type=AgencyType.district_team)
    coordinator = create_person(agency=team, roles=[StaffRole.coordinator])
    db.session.commit()
    login_as(coordinator, agency_id=team.id)
    form = {
        "name": "탁틴내일",
        "expertise": "성폭력",
        "affiliation": "청소년성폭력상담소",
        "contact": "02-111-2222",
        "term_starts_on": "2026-02-01",
        "term_ends_on": "2026-01-01",
    }

    refused = client.post(
        "/conferences/cadences/advisers",
        data={**form, "csrf_token": page_csrf_token(client, "/conferences/cadences/advisers")},
    )
    db.session.expire_all()
    assert refused.status_code == 422
    assert "임기가 끝나는 날이 시작일보다 앞섭니다" in refused.get_data(as_text=True)
    assert supervision.roster(team.district_id) == []

    added = client.post(
        "/conferences/cadences/advisers",
        data={
            **form,
            "term_ends_on": "2027-12-31",
            "csrf_token": page_csrf_token(client, "/conferences/cadences/advisers"),
        },
    )
    assert added.status_code == 303
    assert "청소년성폭력상담소" in client.get("/conferences/cadences/advisers").get_data(as_text=True)
