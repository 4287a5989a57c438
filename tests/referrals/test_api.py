"""The referral endpoints of the agency API: an agency's own system receives and answers referrals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Person, StaffRole
from agencies.services import register_api_client
from consents.models import AccessLogEntry
from hamkke.audit import AuditEntry
from hamkke.extensions import limiter
from referrals import services
from referrals.models import Referral, ReferralStatus
from tests.fixtures.referrals import ConsentBook, ReferralNetwork


@pytest.fixture
def token(
    client: FlaskClient, db: Any, network: ReferralNetwork, create_person: Callable[..., Person]
) -> Callable[[str], dict[str, str]]:
    """Return a function giving Authorization headers of the welfare centre's system for a scope."""
    limiter.reset()
    admin = create_person(agency=network.welfare_centre, roles=(StaffRole.agency_admin,))
    api_client, secret = register_api_client(
        network.welfare_centre,
        actor=admin,
        name="복지관 시스템",
        scopes=("referrals:read", "referrals:write"),
    )
    db.session.commit()

    def headers(scope: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials", "scope": scope},
            auth=(api_client.client_id, secret),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return headers


def test_openapi_document_lists_the_referral_endpoints(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert "get" in paths["/api/v1/referrals"]
    assert "post" in paths["/api/v1/referrals/{referral_id}/accept"]
    assert "post" in paths["/api/v1/referrals/{referral_id}/reject"]
    assert "post" in paths["/api/v1/referrals/{referral_id}/complete"]
    assert "ReferralDetail" in document["components"]["schemas"]


def test_a_system_lists_reads_accepts_and_completes_a_referral(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    token: Callable[[str], dict[str, str]],
) -> None:
    # 기본정보 and 욕구사정 (의뢰사유, 요구 서비스) are shared; 상담기록 (주호소문제, 특이사항) is not.
    referral = services.send_referral(make_referral(groups=("basic", "needs")), actor=network.sender)
    make_referral(groups=("basic", "needs"))  # a draft: never visible to the receiving agency
    db.session.commit()
    read = token("referrals:read")

    listing = client.get("/api/v1/referrals", headers=read).get_json()
    assert [item["id"] for item in listing["items"]] == [referral.id]
    assert listing["items"][0]["status"] == "requested"

    detail = client.get(f"/api/v1/referrals/{referral.id}", headers=read).get_json()
    assert detail["reason"] == "독거 생활로 식사를 거르는 일이 잦음"
    assert detail["main_problem"] == "동의 범위 밖"
    assert detail["notes"] == "동의 범위 밖"
    assert {"label": "성명", "value": "김하나"} in detail["client_fields"]
    logged = db.session.scalars(
        sa.select(AccessLogEntry).where(AccessLogEntry.client_id == network.client.id)
    ).all()
    assert [(entry.channel, entry.agency_id, entry.field_groups) for entry in logged] == [
        ("api", network.welfare_centre.id, ["basic", "needs"])
    ]

    # Reading is not answering: the write scope is needed.
    assert (
        client.post(f"/api/v1/referrals/{referral.id}/accept", json={"note": ""}, headers=read).status_code
        == 403
    )

    write = token("referrals:write")
    accepted = client.post(f"/api/v1/referrals/{referral.id}/accept", json={"note": "접수"}, headers=write)
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["status"] == "accepted"
    completed = client.post(
        f"/api/v1/referrals/{referral.id}/complete",
        json={"outcome": "주 2회 배달", "result_report": "3개월"},
        headers=write,
    )
    assert completed.status_code == 200
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.completed
    audit = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "referral.completed", AuditEntry.object_id == referral.id
        )
    )
    assert audit is not None
    assert audit.actor_id is None
    assert "api_client_id" in audit.data

    again = client.post(
        f"/api/v1/referrals/{referral.id}/complete",
        json={"outcome": "또", "result_report": ""},
        headers=write,
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["message"].startswith("이미 종결된 의뢰")


def test_a_system_cannot_see_other_agencies_referrals_or_send_bad_reasons(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    token: Callable[[str], dict[str, str]],
) -> None:
    elsewhere = services.send_referral(
        make_referral(receiving_agency=network.other_centre, service=network.other_service),
        actor=network.sender,
    )
    mine = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    write = token("referrals:write referrals:read")
    assert client.get(f"/api/v1/referrals/{elsewhere.id}", headers=write).status_code == 404
    bad = client.post(
        f"/api/v1/referrals/{mine.id}/reject", json={"reason": "bored", "note": ""}, headers=write
    )
    assert bad.status_code == 422
    db.session.refresh(mine)
    assert mine.status == ReferralStatus.requested


def test_after_withdrawal_the_api_carries_no_client_field_or_text_and_audits_the_refusal(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    consents: ConsentBook,
    token: Callable[[str], dict[str, str]],
) -> None:

    referral = services.send_referral(make_referral(groups=("basic", "needs")), actor=network.sender)
    db.session.commit()
    consents.withdraw(network.client, network.welfare_centre)

    response = client.get(f"/api/v1/referrals/{referral.id}", headers=token("referrals:read"))
    assert response.status_code == 200
    detail = response.get_json()
    assert detail["client_fields"] == []
    assert detail["shared_field_groups"] == []
    assert detail["reason"] == "동의 범위 밖"
    assert "김하나" not in response.get_data(as_text=True)
    refused = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "referrals.disclosure_refused")
    ).all()
    assert [(entry.agency_id, entry.object_id) for entry in refused] == [
        (network.welfare_centre.id, network.client.id)
    ]
