"""The break-glass account: network administration pages only, every request audited, one hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from agencies import onboarding
from agencies.models import Invitation, Person, UserSession
from hamkke.audit import AuditEntry
from hamkke.time import now_utc
from tests.agencies.conftest import Network
from tests.fixtures.auth import page_csrf_token

PASSWORD = "correct horse battery staple"


@pytest.fixture
def break_glass(app: Flask, db: Any) -> Person:
    result = app.test_cli_runner().invoke(
        args=["agencies", "create-break-glass", "--email", "admin@example.org", "--name", "긴급 관리자"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    person = db.session.scalar(sa.select(Person).where(Person.is_break_glass))
    assert person is not None
    return person


def sign_in(client: FlaskClient) -> None:
    token = page_csrf_token(client, "/auth/local")
    response = client.post(
        "/auth/local",
        data={"csrf_token": token, "email": "admin@example.org", "password": PASSWORD, "next": "/"},
    )
    assert response.status_code == 302


def requests_audited(db: Any) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "auth.break_glass_request").order_by(AuditEntry.id)
    )
    return [row.data for row in rows]


def test_break_glass_reaches_the_network_pages_and_nothing_else(
    client: FlaskClient, break_glass: Person, network: Network, db: Any
) -> None:
    sign_in(client)

    front = client.get("/")
    network_page = client.get(f"/agencies/network?district={network.district.id}")
    invite_page = client.get(f"/agencies/network/invite?district={network.district.id}")
    cases = client.get("/cases/")
    directory = client.get("/agencies/", headers={"HX-Request": "true"})

    assert front.status_code == 302
    assert front.headers["Location"].endswith("/agencies/network")
    assert network_page.status_code == 200
    assert invite_page.status_code == 200
    assert cases.status_code == 403
    assert "네트워크 관리" in cases.get_data(as_text=True)
    assert directory.status_code == 403
    assert directory.get_json()["error"]["code"] == "break_glass_limited"
    audited = requests_audited(db)
    assert [(row["endpoint"], row["allowed"]) for row in audited] == [
        ("core.index", False),
        ("agencies.network", True),
        ("agencies.invite", True),
        ("cases.caseload", False),
        ("agencies.directory", False),
    ]


def test_a_break_glass_session_ends_after_an_hour(
    client: FlaskClient, break_glass: Person, network: Network, db: Any
) -> None:
    sign_in(client)
    assert client.get("/agencies/network").status_code == 200

    with time_machine.travel(now_utc() + timedelta(minutes=61), tick=False):
        # active all along (no idle timeout), yet the hour is up
        record = db.session.scalar(sa.select(UserSession).where(UserSession.person_id == break_glass.id))
        record.last_seen_at = now_utc()
        db.session.commit()
        response = client.get("/agencies/network")

    assert response.status_code == 302
    assert "/auth/sign-in" in response.headers["Location"]
    db.session.refresh(record)
    assert record.end_reason == "break_glass_expired"


def test_an_ordinary_person_keeps_every_page(client: FlaskClient, network: Network, login_as: Any) -> None:
    login_as(network.coordinator)

    assert client.get("/cases/").status_code == 200


def test_break_glass_reissues_the_first_coordinators_link_which_still_grants_the_role(
    break_glass: Person, network: Network, db: Any
) -> None:
    network.coordinator.is_active = False  # nobody else can sign in
    first = Invitation(
        district_id=network.district.id,
        agency_id=network.team.id,
        email="new.coordinator@example.org",
        token_hash=onboarding.hash_token("x" * 43),
        expires_at=now_utc() - timedelta(days=1),
        grants_coordinator=True,
    )
    network.team.status = onboarding.AgencyStatus.invited
    db.session.add(first)
    db.session.flush()

    replacement, _token = onboarding.reissue_invitation(first, actor=break_glass)

    assert replacement.grants_coordinator is True
    assert replacement.created_by_id == break_glass.id


def test_the_sign_in_form_shows_every_missing_field_and_counts_nothing(
    client: FlaskClient, break_glass: Person, db: Any
) -> None:
    token = page_csrf_token(client, "/auth/local")
    answer = client.post("/auth/local", data={"csrf_token": token, "email": "", "password": "", "next": "/"})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert page.count("꼭 입력해 주세요.") == 2  # beside the e-mail and beside the password
    db.session.refresh(break_glass)
    assert break_glass.failed_sign_ins == 0
    refused = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.break_glass_refused"))
    assert refused is None


def test_a_wrong_password_is_counted_and_audited_although_the_answer_is_refused(
    client: FlaskClient, break_glass: Person, db: Any
) -> None:
    token = page_csrf_token(client, "/auth/local")
    answer = client.post(
        "/auth/local",
        data={"csrf_token": token, "email": "admin@example.org", "password": "wrong", "next": "/"},
    )

    assert answer.status_code == 401
    assert "admin@example.org" in answer.get_data(as_text=True)  # the e-mail is kept, the password not
    db.session.refresh(break_glass)
    assert break_glass.failed_sign_ins == 1
    refused = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.break_glass_refused"))
    assert [row.data for row in refused] == [{"reason": "bad_credentials"}]
