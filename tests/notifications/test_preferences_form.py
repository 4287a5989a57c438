"""E-mail preferences post through a Flask-WTF form: a kind that does not exist is refused, nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, Person
from notifications.models import NotificationPreference
from tests.fixtures.auth import page_csrf_token

PAGE = "/notifications/preferences"


def _preferences(db: Any, person_id: int) -> dict[str, bool]:
    rows = db.session.execute(
        sa.select(NotificationPreference.kind, NotificationPreference.email_enabled).where(
            NotificationPreference.person_id == person_id
        )
    )
    return {str(kind): bool(enabled) for kind, enabled in rows.tuples()}


@pytest.fixture
def person(
    client: FlaskClient,
    login_as: Callable[..., Any],
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> Person:
    """A signed-in case worker of a new agency."""
    agency = create_agency()
    person = create_person(agency=agency)
    login_as(person, agency_id=agency.id)
    return person


@pytest.mark.embedded
def test_ticked_kinds_are_saved_and_shown_ticked(client: FlaskClient, db: Any, person: Person) -> None:
    token = page_csrf_token(client, PAGE)

    response = client.post(PAGE, data={"csrf_token": token, "email": ["referral.received", "reminder"]})

    assert response.status_code == 303
    saved = _preferences(db, person.id)
    assert saved["referral.received"] is True
    assert saved["reminder"] is True
    assert saved["conference.minutes"] is False
    page = client.get(PAGE).get_data(as_text=True)
    assert page.count("checked") == 2


@pytest.mark.embedded
def test_an_unknown_kind_is_refused_in_korean_with_the_ticks_kept(
    client: FlaskClient, db: Any, person: Person
) -> None:
    token = page_csrf_token(client, PAGE)

    response = client.post(PAGE, data={"csrf_token": token, "email": ["referral.received", "no.such.kind"]})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "목록에 없는 알림 종류는 고를 수 없습니다. 목록에서 골라 주세요." in page
    assert 'aria-invalid="true"' in page
    # What was ticked is shown ticked again, and nothing was saved.
    assert page.count("checked") == 1
    assert _preferences(db, person.id) == {}
