"""The consent pages' forms: typed input, refusals next to their fields, rows left out ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Client
from consents.models import Consent, DataSubjectRequest
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.consents import ConsentWorld, consent_form_data, post_consent_form

pytestmark = pytest.mark.embedded


def _consents_of(db: Any, client: Client) -> list[Consent]:
    return list(db.session.scalars(sa.select(Consent).where(Consent.client_id == client.id)))


def test_a_bad_date_is_refused_next_to_its_field_and_saves_nothing(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    response = post_consent_form(http, client_record.id, consent_world, valid_until="2026-02-30")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="valid_until-error">날짜 형식이 올바르지 않습니다.</p>' in html
    # The form is shown again as posted.
    assert 'value="본인서명"' in html
    assert _consents_of(db, client_record) == []


def test_a_service_refusal_about_a_grant_row_is_shown_next_to_that_rows_field(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    response = post_consent_form(http, client_record.id, consent_world, **{"grants-0-notice_purpose": " "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field__error" id="grants-0-notice_purpose-error">고지 사항이 빠졌습니다' in html
    assert _consents_of(db, client_record) == []


def test_a_number_field_of_an_included_row_must_be_a_number(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    response = post_consent_form(
        http, client_record.id, consent_world, **{"grants-0-recipient_agency_id": "둘"}
    )
    assert response.status_code == 422
    assert 'id="grants-0-recipient_agency_id-error">숫자를 입력해 주십시오.' in response.get_data(
        as_text=True
    )
    assert _consents_of(db, client_record) == []


def test_rows_left_out_are_ignored_whatever_they_hold(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    response = http.post(
        f"/consents/clients/{client_record.id}",
        data={
            **consent_form_data(consent_world),
            # Row 2 is not ticked: its half-filled contents are neither checked nor recorded.
            "grants-1-purpose": "referral",
            "grants-1-conference_id": "x",
            "grants-1-field_groups": ["health"],
            "csrf_token": page_csrf_token(http),
        },
    )
    assert response.status_code == 303
    (consent,) = _consents_of(db, client_record)
    assert [grant.field_groups for grant in consent.grants] == [["basic", "economic"]]


def test_a_request_with_a_bad_date_is_refused_with_a_message_and_not_recorded(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    record = create_client()
    http = signed_in(consent_world.coordinator, consent_world.owner.id)
    response = http.post(
        f"/consents/clients/{record.id}/requests",
        data={"csrf_token": page_csrf_token(http), "kind": "access", "received_on": "어제"},
    )
    # Shown again on the history page, the reason beside the date, what was typed kept.
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<p class="field__error" id="received_on-error">날짜 형식이 올바르지 않습니다.</p>' in page
    assert 'value="어제"' in page
    assert '<option value="access" selected>' in page
    found = db.session.scalar(sa.select(DataSubjectRequest).where(DataSubjectRequest.client_id == record.id))
    assert found is None
