"""Conference forms: a refused post comes back as its own page, the reason shown above, nothing saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from conference.models import AgendaItem, Conference
from hamkke.time import now_utc, to_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting


def _post(client: FlaskClient, url: str, page: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": page_csrf_token(client, page), **data})


def _count(db: Any, model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_a_refused_schedule_shows_the_form_again_with_what_was_typed(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair)
    before = _count(db, Conference)
    day = (to_local(now_utc()) + timedelta(days=10)).date().isoformat()

    response = _post(
        client,
        "/conferences/new",
        "/conferences/new",
        kind="regional",
        title="둘째 주 권역회의",
        date=day,
        time="14:00",
        briefing_days="열흘",
        place="구청 별관",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="form-errors"' in page
    assert "사전자료 공개일은 숫자여야 합니다." in page
    assert 'value="둘째 주 권역회의"' in page
    assert _count(db, Conference) == before


def test_a_service_refusal_is_shown_on_the_plan_page_with_its_status(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    url = f"/conferences/{meeting.conference.id}/items"
    plan = f"/conferences/{meeting.conference.id}/plan"
    login_as(meeting.partner_worker)
    before = _count(db, AgendaItem)

    not_a_number = _post(client, url, plan, title="안건", time_box_minutes="열다섯")
    too_long = _post(client, url, plan, title="안건", time_box_minutes="500")
    no_title = _post(client, url, plan, title="  ", time_box_minutes="15")

    assert not_a_number.status_code == 422
    assert "시간은 숫자여야 합니다." in not_a_number.get_data(as_text=True)
    assert too_long.status_code == 422
    assert "시간은 1분에서 180분 사이로 정하세요." in too_long.get_data(as_text=True)
    assert no_title.status_code == 422
    page = no_title.get_data(as_text=True)
    assert "안건 제목을 입력하세요." in page
    assert 'id="form-errors"' in page
    assert 'id="agenda"' in page
    assert _count(db, AgendaItem) == before


def test_an_unknown_choice_is_refused_by_name(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    invitation = next(i for i in meeting.conference.invitations if i.agency_id == meeting.partner.id)
    plan = f"/conferences/{meeting.conference.id}/plan"
    login_as(meeting.partner_worker)

    response = _post(client, f"/conferences/invitations/{invitation.id}/rsvp", plan, rsvp="maybe")

    assert response.status_code == 422
    assert "참석 여부를 고르세요." in response.get_data(as_text=True)
