"""Conference pages: check-in, the pledge gate, the room, state JSON and the minutes PDF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from conference import services
from conference.models import Conference, ConferenceKind, ItemOutcome
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting, seat


def test_outsider_gets_404(
    client: FlaskClient, login_as: Any, meeting: Meeting, create_person: Any, create_agency: Any
) -> None:
    login_as(create_person(agency=create_agency()))

    assert client.get(f"/conferences/{meeting.conference.id}").status_code == 404


def test_check_in_then_pledge_then_room(client: FlaskClient, login_as: Any, meeting: Meeting) -> None:
    login_as(meeting.partner_worker)
    url = f"/conferences/{meeting.conference.id}"

    assert "체크인" in client.get(url).get_data(as_text=True)
    token = page_csrf_token(client, url)
    assert client.post(f"{url}/check-in", data={"csrf_token": token}).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "비밀유지 서약" in page
    assert client.get(f"{url}/state.json").get_json()["case_data"]["items"] == {}

    client.post(f"{url}/pledge", data={"csrf_token": token, "version": "2026-11"})
    assert "비밀유지 서약" in client.get(url).get_data(as_text=True)

    client.post(f"{url}/pledge", data={"csrf_token": token, "version": "2026-11", "agree": "yes"})
    room = client.get(url).get_data(as_text=True)
    assert 'id="conference-room"' in room
    assert "<script>" not in room


def test_minutes_pdf_download_needs_the_pledge(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner, pledge=False)
    services.start_conference(meeting.conference, actor=meeting.chair)
    services.open_item(meeting.item, actor=meeting.chair)
    services.close_item(meeting.item, actor=meeting.chair, outcome=ItemOutcome.reconvene)
    services.finalize_minutes(meeting.conference, actor=meeting.chair)
    login_as(meeting.chair)

    response = client.get(f"/conferences/{meeting.conference.id}/minutes.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    login_as(meeting.partner_worker)
    assert client.get(f"/conferences/{meeting.conference.id}/minutes.pdf").status_code == 403


def test_attendee_signs_the_finalized_minutes_from_the_room(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    attendance = seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    services.start_conference(meeting.conference, actor=meeting.chair)
    services.finalize_minutes(meeting.conference, actor=meeting.chair)
    db.session.commit()
    login_as(meeting.partner_worker)
    url = f"/conferences/{meeting.conference.id}"
    assert "회의록 확인" in client.get(url).get_data(as_text=True)

    objected = client.post(
        f"{url}/sign-off", data={"csrf_token": page_csrf_token(client, url), "decision": "object"}
    )
    assert objected.status_code == 422
    signed = client.post(
        f"{url}/sign-off", data={"csrf_token": page_csrf_token(client, url), "decision": "sign"}
    )

    assert signed.status_code == 303
    db.session.refresh(attendance)
    assert attendance.signoff == "signed"


def test_scheduling_form_offers_and_creates_a_supervision_session(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair, agency_id=meeting.owner.id)
    form = client.get("/conferences/new").get_data(as_text=True)
    assert '<option value="supervision">사례 슈퍼비전</option>' in form

    response = client.post(
        "/conferences/new",
        data={
            "csrf_token": page_csrf_token(client, "/conferences/new"),
            "kind": "supervision",
            "title": "분기 사례 슈퍼비전",
            "date": (today_local() + timedelta(days=14)).isoformat(),
            "time": "14:00",
            "place": "구청 별관",
            "briefing_days": "3",
        },
    )

    assert response.status_code == 303
    created = db.session.scalar(sa.select(Conference).where(Conference.title == "분기 사례 슈퍼비전"))
    assert created is not None
    assert created.kind == ConferenceKind.supervision
