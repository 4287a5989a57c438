"""Wiring of the network pages: status codes, Korean errors next to fields, CSRF, and the onboarding flow."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, url_for
from flask.testing import FlaskClient

from agencies.models import (
    Agency,
    AgencyStatus,
    ApiClient,
    IdentityProvider,
    Invitation,
    Membership,
    MembershipStatus,
    Person,
    Service,
    StaffRole,
    UserSession,
)
from hamkke.audit import AuditEntry
from hamkke.crypto import encrypt_text
from hamkke.time import now_utc
from tests.agencies.conftest import Network
from tests.fixtures.auth import page_csrf_token


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Capture invitation e-mails handed to Celery after commit."""
    from agencies.tasks import send_invitation_email

    calls: list[tuple[int, str]] = []
    monkeypatch.setattr(
        send_invitation_email, "delay", lambda invitation_id, token: calls.append((invitation_id, token))
    )
    return calls


def membership_of(person: Person, agency: Agency) -> Membership:
    return next(m for m in person.memberships if m.agency_id == agency.id)


def audit_count(db: Any, action: str) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )
    )


# --- directory -----------------------------------------------------------------------------------


def test_directory_sends_anonymous_users_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/agencies/")

    assert response.status_code == 302
    assert response.location == url_for("auth.sign_in", next="/agencies/", _external=False)


def test_directory_lists_active_agencies_of_the_own_district(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, suspended_agency: Agency
) -> None:
    login_as(network.worker)

    response = client.get("/agencies/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert network.agency.name in html
    assert network.peer.name in html
    assert network.team.name in html
    assert network.foreign.name not in html
    assert suspended_agency.name not in html
    assert 'role="search"' in html
    assert '<label for="q">' in html
    assert 'href="/agencies/"' in html
    assert "기관 찾기" in html


@pytest.fixture
def services_catalogue(db: Any, network: Network) -> None:
    db.session.add_all(
        [
            Service(agency=network.agency, name="밑반찬 배달", category="돌봄", eligibility="독거 어르신"),
            Service(agency=network.peer, name="자활근로사업단", category="고용", eligibility="조건부 수급자"),
        ]
    )
    region = network.district.regions[0]
    network.peer.regions = [region]
    db.session.flush()


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("q=밑반찬", "agency", "peer"),
        ("category=고용", "peer", "agency"),
        ("type=self_sufficiency_centre", "peer", "agency"),
        ("q=자활", "peer", "agency"),
    ],
)
def test_directory_filters(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    services_catalogue: None,
    query: str,
    expected: str,
    absent: str,
) -> None:
    login_as(network.worker)

    html = client.get(f"/agencies/?{query}").get_data(as_text=True)

    results = html.split('id="results-title"', 1)[1]
    assert getattr(network, expected).name in results
    assert getattr(network, absent).name not in results


def test_directory_region_filter_keeps_district_wide_agencies(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, services_catalogue: None
) -> None:
    login_as(network.worker)
    region = network.district.regions[0]

    results = (
        client.get(f"/agencies/?region={region.code}").get_data(as_text=True).split('id="results-title"')[1]
    )

    # The peer serves this 권역; the agency lists no 권역, so it serves the whole district.
    assert network.peer.name in results
    assert network.agency.name in results


def test_directory_htmx_request_gets_only_the_results(
    client: FlaskClient, login_as: Callable[..., Any], network: Network
) -> None:
    login_as(network.worker)

    response = client.get("/agencies/?q=가람", headers={"HX-Request": "true"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert network.agency.name in html


def test_directory_refuses_an_unknown_filter_value_in_korean(
    client: FlaskClient, login_as: Callable[..., Any], network: Network
) -> None:
    login_as(network.worker)

    response = client.get("/agencies/?type=spaceship&q=" + "가" * 101)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="type-error"' in html
    assert 'aria-describedby="type-error"' in html
    assert "검색어는 100자 이내로 적어 주세요." in html


def test_advisor_does_not_browse_the_directory(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, create_person: Callable[..., Person]
) -> None:
    advisor = create_person(agency=network.team, roles=[StaffRole.advisor])
    login_as(advisor)

    assert client.get("/agencies/").status_code == 404
    assert client.get(f"/agencies/{network.agency.code}").status_code == 404


# --- agency page ---------------------------------------------------------------------------------


def test_agency_page_shows_staff_contacts_to_network_members(
    client: FlaskClient, login_as: Callable[..., Any], network: Network
) -> None:
    login_as(network.peer_admin)

    html = client.get(f"/agencies/{network.agency.code}").get_data(as_text=True)

    assert "직원 연락처" in html
    assert network.admin.email in html
    assert network.worker.name in html
    assert "직원·역할 관리" not in html  # not their agency


def test_agency_of_another_district_is_not_found(
    client: FlaskClient, login_as: Callable[..., Any], network: Network
) -> None:
    login_as(network.worker)

    response = client.get(f"/agencies/{network.foreign.code}")

    assert response.status_code == 404
    assert "기관을 찾을 수 없습니다." in response.get_data(as_text=True)


# --- staff and roles -----------------------------------------------------------------------------


def test_staff_page_is_for_the_agency_admin(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, create_person: Callable[..., Person]
) -> None:
    waiting = create_person(agency=network.agency, roles=[], status=MembershipStatus.pending, name="대기자")
    login_as(network.worker)
    assert client.get(f"/agencies/{network.agency.code}/staff").status_code == 403

    login_as(network.admin)
    html = client.get(f"/agencies/{network.agency.code}/staff").get_data(as_text=True)

    assert html.index("승인 대기") < html.index(waiting.name) < html.index("활동 중인 직원")
    assert "<legend>줄 역할" in html


def test_approve_member_through_the_page(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    create_person: Callable[..., Person],
    post_form: Callable[..., Any],
    db: Any,
) -> None:
    waiting = create_person(agency=network.agency, roles=[], status=MembershipStatus.pending)
    membership = membership_of(waiting, network.agency)
    login_as(network.admin)
    prefix = f"approve-{membership.id}"

    response = post_form(
        f"/agencies/{network.agency.code}/staff/{membership.id}/approve",
        {f"{prefix}-roles": ["case_worker", "auditor"], f"{prefix}-title": "복지플래너"},
    )

    assert response.status_code == 303
    db.session.refresh(membership)
    assert membership.status == MembershipStatus.active
    assert membership.role_set == {StaffRole.case_worker, StaffRole.auditor}
    assert audit_count(db, "agency.role_granted") == 2


def test_approve_without_roles_is_refused_next_to_the_field(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    create_person: Callable[..., Person],
    post_form: Callable[..., Any],
    db: Any,
) -> None:
    waiting = create_person(agency=network.agency, roles=[], status=MembershipStatus.pending)
    membership = membership_of(waiting, network.agency)
    login_as(network.admin)

    response = post_form(f"/agencies/{network.agency.code}/staff/{membership.id}/approve", {})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    field_id = f"approve-{membership.id}-roles"
    assert f'<p class="field__error" id="{field_id}-error">역할을 하나 이상 고르세요.</p>' in html
    assert f'aria-describedby="{field_id}-hint {field_id}-error"' in html
    db.session.refresh(membership)
    assert membership.status == MembershipStatus.pending
    assert audit_count(db, "agency.role_granted") == 0


def test_post_without_csrf_token_is_refused(
    client: FlaskClient, login_as: Callable[..., Any], network: Network
) -> None:
    login_as(network.admin)
    membership = membership_of(network.worker, network.agency)

    response = client.post(
        f"/agencies/{network.agency.code}/staff/{membership.id}/roles/grant",
        data={f"role-{membership.id}-role": "supervisor"},
    )

    assert response.status_code == 400
    assert "보안 토큰" in response.get_data(as_text=True)


def test_grant_and_revoke_role_through_the_page(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    post_form: Callable[..., Any],
    db: Any,
) -> None:
    login_as(network.admin)
    membership = membership_of(network.worker, network.agency)
    base = f"/agencies/{network.agency.code}/staff/{membership.id}/roles"

    assert post_form(f"{base}/grant", {f"role-{membership.id}-role": "supervisor"}).status_code == 303
    assert post_form(f"{base}/revoke", {f"role-{membership.id}-role": "case_worker"}).status_code == 303

    db.session.refresh(membership)
    assert membership.role_set == {StaffRole.supervisor}


def test_revoking_the_last_admin_is_a_409_with_the_reason(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, post_form: Callable[..., Any]
) -> None:
    login_as(network.admin)
    membership = membership_of(network.admin, network.agency)

    response = post_form(
        f"/agencies/{network.agency.code}/staff/{membership.id}/roles/revoke",
        {f"role-{membership.id}-role": "agency_admin"},
    )

    assert response.status_code == 409
    assert "기관관리자가 한 명은 있어야 합니다." in response.get_data(as_text=True)


def test_admin_cannot_touch_members_of_another_agency(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, post_form: Callable[..., Any]
) -> None:
    login_as(network.peer_admin)
    membership = membership_of(network.worker, network.agency)

    response = post_form(f"/agencies/{network.agency.code}/staff/{membership.id}/remove", {})

    assert response.status_code == 403


def test_disable_person_through_the_page(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    post_form: Callable[..., Any],
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agencies.signin.services

    monkeypatch.setattr(agencies.signin.services, "cut_live_sessions", lambda ids: None)
    login_as(network.admin)
    membership = membership_of(network.worker, network.agency)
    url = f"/agencies/{network.agency.code}/staff/{membership.id}/disable"

    refused = post_form(url, {})
    assert refused.status_code == 422
    assert "사유를 적어 주세요." in refused.get_data(as_text=True)

    assert post_form(url, {f"person-{membership.id}-reason": "퇴직"}).status_code == 303
    db.session.refresh(network.worker)
    assert network.worker.is_active is False


# --- agency status (coordinator) -----------------------------------------------------------------


def test_coordinator_suspends_and_reactivates_an_agency(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    post_form: Callable[..., Any],
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agencies.signin.services

    monkeypatch.setattr(agencies.signin.services, "cut_live_sessions", lambda ids: None)
    login_as(network.coordinator)

    refused = post_form(f"/agencies/{network.peer.code}/suspend", {"reason": ""})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    assert (
        post_form(f"/agencies/{network.peer.code}/suspend", {"reason": "협약 위반 조사"}).status_code == 303
    )
    db.session.refresh(network.peer)
    assert network.peer.status == AgencyStatus.suspended
    assert post_form(f"/agencies/{network.peer.code}/reactivate").status_code == 303
    db.session.refresh(network.peer)
    assert network.peer.status == AgencyStatus.active


def test_admin_cannot_suspend(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, post_form: Callable[..., Any]
) -> None:
    login_as(network.admin)
    assert post_form(f"/agencies/{network.peer.code}/suspend", {"reason": "?"}).status_code == 403


# --- API clients ---------------------------------------------------------------------------------


def test_register_api_client_shows_the_secret_once(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    post_form: Callable[..., Any],
    db: Any,
) -> None:
    login_as(network.admin)
    url = f"/agencies/{network.agency.code}/api-clients"

    refused = post_form(url, {"name": "", "scopes": []})
    assert refused.status_code == 422
    assert "꼭 입력해 주세요." in refused.get_data(as_text=True)

    response = post_form(url, {"name": "사례관리 프로그램", "scopes": ["directory:read"]})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="client-secret">([^<]+)<', html)
    assert secret is not None
    registered = db.session.scalar(sa.select(ApiClient).where(ApiClient.agency_id == network.agency.id))
    assert registered is not None
    assert secret.group(1) not in registered.secret_hash
    listing = client.get(url).get_data(as_text=True)
    assert registered.client_id in listing
    assert secret.group(1) not in listing

    assert post_form(f"{url}/{registered.id}/revoke").status_code == 303
    db.session.refresh(registered)
    assert registered.revoked_at is not None


def test_worker_cannot_see_api_clients(
    client: FlaskClient, login_as: Callable[..., Any], network: Network
) -> None:
    login_as(network.worker)
    assert client.get(f"/agencies/{network.agency.code}/api-clients").status_code == 403


# --- network administration and onboarding -------------------------------------------------------


@pytest.fixture
def provider(db: Any, network: Network) -> IdentityProvider:
    provider = IdentityProvider(
        name="한빛 통합 계정",
        issuer="https://login.hanbit.example",
        client_id="hamkke",
        client_secret_encrypted=encrypt_text("secret"),
        allowed_email_domains=["bada.or.kr"],
        claim_rule={},
        district_id=network.district.id,
    )
    db.session.add(provider)
    db.session.flush()
    return provider


def test_network_page_is_for_coordinators(
    client: FlaskClient, login_as: Callable[..., Any], network: Network, provider: IdentityProvider
) -> None:
    login_as(network.admin)
    assert client.get("/agencies/network").status_code == 403

    login_as(network.coordinator)
    html = client.get("/agencies/network").get_data(as_text=True)
    assert "기관 초대" in html
    assert provider.issuer in html


def test_invitation_form_errors_are_korean_and_save_nothing(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    provider: IdentityProvider,
    post_form: Callable[..., Any],
    db: Any,
    queued: list[tuple[int, str]],
) -> None:
    login_as(network.coordinator)
    db.session.commit()

    response = post_form(
        "/agencies/network/invite",
        {"name": "", "code": "Bad Code", "type": "school", "email": "nope", "identity_provider": "new"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field__error" id="name-error">꼭 입력해 주세요.</p>' in html
    assert "영문 소문자, 숫자, 하이픈(-)" in html
    assert "공공 또는 민간을 골라 주세요." in html
    assert 'id="issuer-error"' in html
    assert 'id="allowed_email_domains-error"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    assert queued == []


def test_service_refusal_is_shown_next_to_the_field(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    provider: IdentityProvider,
    post_form: Callable[..., Any],
    queued: list[tuple[int, str]],
) -> None:
    login_as(network.coordinator)

    response = post_form(
        "/agencies/network/invite",
        {
            "name": "바다복지관",
            "code": network.agency.code,
            "type": "community_welfare_centre",
            "sector": "private",
            "email": "head@bada.or.kr",
            "identity_provider": str(provider.id),
        },
    )

    assert response.status_code == 422
    assert (
        '<p class="field__error" id="code-error">이미 쓰이고 있는 기관 코드입니다.</p>'
        in response.get_data(as_text=True)
    )


def test_onboarding_from_invitation_to_active_agency(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    provider: IdentityProvider,
    post_form: Callable[..., Any],
    create_person: Callable[..., Person],
    db: Any,
    queued: list[tuple[int, str]],
) -> None:
    login_as(network.coordinator)
    region = network.district.regions[0]

    created = post_form(
        "/agencies/network/invite",
        {
            "name": "바다종합사회복지관",
            "code": "bada-welfare",
            "type": "community_welfare_centre",
            "sector": "private",
            "regions": [str(region.id)],
            "email": "Head@bada.or.kr",
            "identity_provider": str(provider.id),
        },
    )

    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    link = re.search(
        r'<code class="secret">(http://localhost/agencies/join/[^<]+)</code>', created.get_data(as_text=True)
    )
    assert link is not None
    ((_invitation_id, token),) = queued
    assert link.group(1).endswith("/" + token)
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == "bada-welfare"))
    assert agency is not None
    assert agency.status == AgencyStatus.invited

    # The invitee signs in (the OIDC round trip has its own tests) in another browser.
    invitee = create_person(email="head@bada.or.kr", name="바다관장")
    browser = app.test_client()
    anonymous = browser.get(f"/agencies/join/{token}")
    assert anonymous.status_code == 302
    assert anonymous.location == url_for("auth.sign_in", next=f"/agencies/join/{token}", _external=False)
    login_as(invitee, test_client=browser)

    page = browser.get(f"/agencies/join/{token}")
    assert page.status_code == 200
    assert "초대 수락" in page.get_data(as_text=True)
    accepted = browser.post(f"/agencies/join/{token}", data={"csrf_token": page_csrf_token(browser)})
    assert accepted.status_code == 303
    assert accepted.location.endswith("/agencies/bada-welfare/agreement")
    db.session.refresh(agency)
    assert agency.status == AgencyStatus.pending_agreement

    agreement_page = browser.get("/agencies/bada-welfare/agreement").get_data(as_text=True)
    assert "목적 외 이용 금지" in agreement_page
    assert 'name="agree"' in agreement_page
    version = re.search(r'name="version" type="hidden" value="([^"]+)"', agreement_page)
    assert version is not None
    unticked = browser.post(
        "/agencies/bada-welfare/agreement",
        data={"csrf_token": page_csrf_token(browser), "version": version.group(1)},
    )
    assert unticked.status_code == 422
    assert "동의하려면 확인란을 선택해 주세요." in unticked.get_data(as_text=True)
    db.session.refresh(agency)
    assert agency.status == AgencyStatus.pending_agreement

    done = browser.post(
        "/agencies/bada-welfare/agreement",
        data={"csrf_token": page_csrf_token(browser), "version": version.group(1), "agree": "y"},
    )
    assert done.status_code == 303
    db.session.refresh(agency)
    assert agency.status == AgencyStatus.active
    assert agency.agreement_version == version.group(1)
    assert agency.agreement_accepted_by_id == invitee.id
    # The link was single-use.
    again = browser.get(f"/agencies/join/{token}")
    assert again.status_code == 410
    assert "이미 사용한 초대 링크입니다." in again.get_data(as_text=True)


@pytest.fixture
def invitation_token(
    db: Any, network: Network, provider: IdentityProvider, queued: list[tuple[int, str]]
) -> tuple[Invitation, str]:
    from agencies import onboarding
    from agencies.models import AgencySector, AgencyType

    data = onboarding.AgencyInvitationData(
        name="바다센터",
        code="bada-centre",
        type=AgencyType.family_centre,
        sector=AgencySector.private,
        region_ids=(),
        email="head@bada.or.kr",
        identity_provider_id=provider.id,
    )
    result = onboarding.invite_agency(data, actor=network.coordinator, district=network.district)
    db.session.commit()
    return result


def test_expired_link_is_refused_in_korean_and_audited(
    client: FlaskClient, invitation_token: tuple[Invitation, str], db: Any
) -> None:
    _invitation, token = invitation_token

    with time_machine.travel(now_utc() + timedelta(days=7, minutes=1), tick=False):
        response = client.get(f"/agencies/join/{token}")

    assert response.status_code == 410
    assert "유효기간(7일)이 지났습니다" in response.get_data(as_text=True)
    assert audit_count(db, "agency.invitation_refused") == 1


def test_unknown_link_is_404(client: FlaskClient, db: Any) -> None:
    response = client.get("/agencies/join/" + quote("no-such-token-at-all-xxxxxxxx"))

    assert response.status_code == 404
    assert "초대 링크를 찾을 수 없습니다." in response.get_data(as_text=True)


def test_link_opened_by_someone_else_is_refused_and_saves_nothing(
    client: FlaskClient,
    login_as: Callable[..., Any],
    create_person: Callable[..., Person],
    invitation_token: tuple[Invitation, str],
    db: Any,
) -> None:
    invitation, token = invitation_token
    intruder = create_person(email="intruder@bada.or.kr")
    login_as(intruder)

    response = client.post(f"/agencies/join/{token}", data={"csrf_token": page_csrf_token(client)})

    assert response.status_code == 403
    assert "초대받은 전자우편 주소와 로그인한 계정의 주소가 다릅니다." in response.get_data(as_text=True)
    db.session.refresh(invitation)
    assert invitation.accepted_at is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Membership).where(Membership.person_id == intruder.id)
        )
        == 0
    )
    assert audit_count(db, "agency.invitation_refused") == 1


def test_a_provider_bound_only_by_a_public_mail_domain_is_refused_in_korean(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    post_form: Callable[..., Any],
    db: Any,
) -> None:
    login_as(network.coordinator)

    refused = post_form(
        "/agencies/network/identity-providers/new",
        {
            "provider_name": "아무나 계정",
            "issuer": "https://id.anyone.example",
            "client_id": "hamkke",
            "client_secret": "s",
            "allowed_email_domains": "gmail.com",
            "is_active": "y",
        },
    )

    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert '<p class="field__error" id="allowed_email_domains-error">' in text
    assert "누구나 가입할 수 있는 전자우편 서비스" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityProvider)) == 0


def test_identity_provider_pages(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    post_form: Callable[..., Any],
    db: Any,
) -> None:
    login_as(network.coordinator)
    fields = {
        "provider_name": "새 계정",
        "issuer": "ftp://wrong.example",
        "client_id": "hamkke",
        "client_secret": "s",
        "allowed_email_domains": "new.example",
        "is_active": "y",
    }

    refused = post_form("/agencies/network/identity-providers/new", fields)
    assert refused.status_code == 422
    assert '<p class="field__error" id="issuer-error">발급자(issuer) 주소는' in refused.get_data(as_text=True)

    assert (
        post_form(
            "/agencies/network/identity-providers/new", {**fields, "issuer": "https://id.new.example"}
        ).status_code
        == 303
    )
    provider = db.session.scalar(
        sa.select(IdentityProvider).where(IdentityProvider.issuer == "https://id.new.example")
    )
    assert provider is not None
    edit_url = f"/agencies/network/identity-providers/{provider.id}"
    form_html = client.get(edit_url).get_data(as_text=True)
    assert "https://id.new.example" in form_html
    assert "s3cret" not in form_html
    saved = post_form(
        edit_url,
        {**fields, "issuer": "https://id.new.example", "client_secret": "", "provider_name": "바뀐 이름"},
    )
    assert saved.status_code == 303
    db.session.refresh(provider)
    assert provider.name == "바뀐 이름"

    login_as(network.admin)
    assert client.get(edit_url).status_code == 404


# --- 내 계정 -------------------------------------------------------------------------------------


def test_account_page_lists_memberships_roles_and_sessions(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    post_form: Callable[..., Any],
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agencies.signin.services

    monkeypatch.setattr(agencies.signin.services, "cut_live_sessions", lambda ids: None)
    other_browser = login_as(network.worker, test_client=app.test_client())
    current = login_as(network.worker)

    html = client.get("/account").get_data(as_text=True)

    assert network.agency.name in html
    assert "사례관리자" in html
    assert "지금 이 세션" in html
    assert post_form(f"/account/sessions/{other_browser.id}/end").status_code == 303
    db.session.refresh(other_browser)
    assert other_browser.end_reason == "ended_by_person"
    assert db.session.get(UserSession, current.id).ended_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_renders_with_landmarks_in_both_languages(
    client: FlaskClient,
    login_as: Callable[..., Any],
    network: Network,
    provider: IdentityProvider,
    invitation_token: tuple[Invitation, str],
    create_person: Callable[..., Person],
    lang: str,
) -> None:
    both = create_person(agency=network.team, roles=[StaffRole.coordinator, StaffRole.agency_admin])
    login_as(both)
    client.get(f"/?lang={lang}")
    invitation, _token = invitation_token
    pages = [
        "/agencies/",
        f"/agencies/{network.agency.code}",
        f"/agencies/{network.team.code}/staff",
        f"/agencies/{network.team.code}/api-clients",
        f"/agencies/{network.agency.code}/agreement",
        "/agencies/network",
        "/agencies/network/invite",
        "/agencies/network/identity-providers/new",
        f"/agencies/network/identity-providers/{provider.id}",
        "/account",
    ]
    for page in pages:
        response = client.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, page
        assert f'<html lang="{lang}">' in html, page
        for landmark in ("<main", "<nav", "<h1"):
            assert landmark in html, (page, landmark)
    assert invitation.agency.name in client.get("/agencies/network").get_data(as_text=True)
