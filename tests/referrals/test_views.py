"""The referral pages in Korean: lists with "action needed", the form, the page with its timeline, replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from consents import services as consent_services
from referrals import letters, services
from referrals.models import LetterKind, Referral, ReferralStatus
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.consents import consent_input, grant
from tests.fixtures.referrals import ConsentBook, ReferralNetwork


def _count(db: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Referral)))


def _form(service_id: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "service": str(service_id),
        "reason": "독거 생활로 식사를 거름",
        "requested_services": "밑반찬 지원",
        "field_groups": ["basic"],
        "action": "send",
    }
    data.update(overrides)
    return data


@pytest.mark.embedded
def test_sending_from_the_form_reaches_the_received_list_as_action_needed(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    consents: ConsentBook,
    login_as: Callable[..., Any],
) -> None:
    consents.grant(network.client, network.welfare_centre, {"basic"})
    # The referral page asks the real gate, so the consent is also recorded for real.
    consent_services.record_consent(
        network.client,
        consent_input(grant(recipient_agency_id=network.welfare_centre.id, field_groups=("basic",))),
        actor=network.sender,
        agency=network.dong_centre,
    )
    login_as(network.sender)
    page = client.get(f"/referrals/new?case_id={network.case.id}&q=밑반찬")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "서비스 의뢰서 작성" in html
    assert "한빛종합사회복지관 · 밑반찬 지원" in html

    response = client.post(
        f"/referrals/new?case_id={network.case.id}",
        data={**_form(network.service.id), "csrf_token": page_csrf_token(client)},
    )
    assert response.status_code == 302
    referral = db.session.scalars(sa.select(Referral)).one()
    assert referral.status == ReferralStatus.requested

    login_as(network.receiver)
    listing = client.get("/referrals/?box=received").get_data(as_text=True)
    assert "솔내동 주민센터" in listing
    assert "처리 필요" in listing
    detail = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "김하나" in detail  # consented basic information
    assert "의뢰함" in detail
    assert "수락" in detail


def test_invalid_form_saves_nothing_and_shows_errors_by_their_fields(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    consents: ConsentBook,
    login_as: Callable[..., Any],
) -> None:
    consents.grant(network.client, network.welfare_centre, {"basic"})
    login_as(network.sender)
    response = client.post(
        f"/referrals/new?case_id={network.case.id}",
        data={**_form(network.service.id, reason=""), "csrf_token": page_csrf_token(client)},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="reason-error"' in html
    assert "의뢰사유를 적어 주세요." in html
    assert _count(db) == 0

    response = client.post(
        f"/referrals/new?case_id={network.case.id}",
        data={
            **_form(network.service.id, field_groups=["basic", "health"]),
            "csrf_token": page_csrf_token(client),
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "동의하지 않은 항목" in html
    assert "건강" in html
    assert _count(db) == 0


def test_reject_form_needs_a_reason_and_a_reply_to_a_closed_referral_is_refused(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    login_as: Callable[..., Any],
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    login_as(network.receiver)

    response = client.post(
        f"/referrals/{referral.id}/reject",
        data={"rejection_note": "자리 없음", "csrf_token": page_csrf_token(client)},
    )
    assert response.status_code == 422
    assert "거절 사유를 골라 주세요." in response.get_data(as_text=True)

    response = client.post(
        f"/referrals/{referral.id}/reject",
        data={"rejection_reason": "capacity_full", "csrf_token": page_csrf_token(client)},
    )
    assert response.status_code == 302
    response = client.post(
        f"/referrals/{referral.id}/complete",
        data={"outcome": "제공함", "csrf_token": page_csrf_token(client)},
    )
    assert response.status_code == 409
    assert "이미 종결된 의뢰" in response.get_data(as_text=True)
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.rejected
    assert referral.outcome is None


def test_letter_download_is_for_the_two_sides_only(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    login_as: Callable[..., Any],
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None

    login_as(network.outsider)
    assert client.get(f"/referrals/letters/{letter.id}").status_code == 404
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    login_as(network.receiver)
    response = client.get(f"/referrals/letters/{letter.id}")
    assert response.status_code == 200
    body = response.data
    response.close()  # send_file streams from an open file
    assert response.mimetype == "application/pdf"
    assert body[:4] == b"%PDF"


def test_directory_page_and_hsds_export(
    client: FlaskClient, db: Any, network: ReferralNetwork, login_as: Callable[..., Any]
) -> None:
    login_as(network.sender)
    html = client.get("/referrals/directory?q=돌봄").get_data(as_text=True)
    assert "밑반찬 지원" in html
    assert "노인 맞춤돌봄" in html
    assert "독거 어르신" in html
    html = client.get("/referrals/directory?q=반찬").get_data(as_text=True)
    assert "밑반찬 지원" in html
    assert "노인 맞춤돌봄" not in html

    document = client.get("/referrals/directory.hsds.json").get_json()
    service = next(row for row in document["services"] if row["name"] == "밑반찬 지원")
    assert service["eligibility_description"] == "독거 어르신"
    organization_ids = {row["id"] for row in document["organizations"]}
    assert service["organization_id"] in organization_ids
    location = next(
        row for row in document["locations"] if row["organization_id"] == service["organization_id"]
    )
    assert location["addresses"][0]["address_1"] == "한빛구 한빛로 12"
    assert service["service_at_locations"][0]["location_id"] == location["id"]
