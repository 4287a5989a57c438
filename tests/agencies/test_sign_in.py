"""Sign-in through an agency's OpenID Connect provider, over real HTTP to the development provider."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from agencies.models import (
    Agency,
    AgencyStatus,
    Identity,
    IdentityProvider,
    Invitation,
    Membership,
    MembershipStatus,
    Person,
    UserSession,
)
from hamkke.audit import AuditEntry
from hamkke.time import now_utc
from tests.fixtures.live import OTHER_AGENCY, SIGN_IN_AGENCY, TEST_ACCOUNTS, ProviderBrowser

pytestmark = pytest.mark.usefixtures("reset_rate_limits")

ACCOUNTS = {account.subject: account for account in TEST_ACCOUNTS}


@pytest.fixture
def agency(create_agency: Callable[..., Agency]) -> Agency:
    return create_agency(code=SIGN_IN_AGENCY, name="시험종합사회복지관")


@pytest.fixture
def provider(create_provider: Callable[..., IdentityProvider], agency: Agency) -> IdentityProvider:
    return create_provider(agencies=(agency,))


@pytest.fixture
def known_worker(create_person: Callable[..., Person], agency: Agency) -> Person:
    account = ACCOUNTS["t-known"]
    return create_person(agency=agency, name=account.name, email=account.email)


def start_login(client: FlaskClient, provider: IdentityProvider, **params: str) -> str:
    """Ask the app to start a sign-in; return the provider URL it sends the browser to."""
    response = client.get(f"/auth/login/{provider.id}", query_string=params)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(provider.issuer + "/authorize?")
    return location


def sign_in(
    client: FlaskClient, browser: ProviderBrowser, provider: IdentityProvider, subject: str, **params: str
) -> TestResponse:
    """Go the whole way: app → provider page → pick the account → back to the app's callback."""
    callback = browser.sign_in(start_login(client, provider, **params), subject=subject)
    assert callback.startswith("http://localhost/auth/callback?")
    return client.get(callback)


def refusals(db: Any) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.sign_in_refused")))


def assert_refused(db: Any, response: TestResponse, *, status: int, reason: str, subject: str | None) -> None:
    """The refusal is a clear Korean page with a 4xx code, audited, and left nothing behind."""
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert "로그인할 수 없습니다" in text
    assert reason in text
    [row] = refusals(db)
    assert row.data["reason"] == reason
    assert set(row.data) <= {"reason", "provider_id", "provider_error"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    if subject is not None:
        account = ACCOUNTS[subject]
        assert db.session.scalar(sa.select(Identity).where(Identity.subject == subject)) is None
        person = db.session.scalar(sa.select(Person).where(Person.email == account.email))
        if person is not None:
            assert person.identities == []


def test_round_trip_signs_in_an_existing_person_by_verified_email(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    agency: Agency,
    db: Any,
) -> None:
    authorize = start_login(client, provider)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == ["openid profile email"]
    assert query["response_type"] == ["code"]
    for name in ("code_challenge", "state", "nonce"):
        assert len(query[name][0]) >= 20

    response = client.get(provider_browser.sign_in(authorize, subject="t-known"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert f'<span class="account__name">{known_worker.name}</span>' in home
    [identity] = known_worker.identities
    assert (identity.provider_id, identity.subject) == (provider.id, "t-known")
    record = db.session.scalar(sa.select(UserSession).where(UserSession.person_id == known_worker.id))
    assert record is not None
    assert record.acting_agency_id == agency.id
    assert record.method == "oidc"
    assert not record.awaiting_approval
    assert record.id_token_hint
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.actor_id == known_worker.id)
    ).all()
    assert {"auth.identity_linked", "auth.sign_in"} <= set(actions)
    # Authlib's state, nonce and verifier are gone from the cookie once used.
    with client.session_transaction() as cookie:
        assert not [key for key in cookie if key.startswith("_state_")]


def test_second_sign_in_reuses_the_identity(
    app: Flask,
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    db: Any,
) -> None:
    sign_in(client, provider_browser, provider, "t-known")
    other_browser = app.test_client()

    response = sign_in(other_browser, ProviderBrowser(provider_browser.idp), provider, "t-known")

    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 2


def test_signing_in_again_ends_the_previous_session_of_that_browser(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    db: Any,
) -> None:
    sign_in(client, provider_browser, provider, "t-known")
    first = db.session.scalar(sa.select(UserSession))

    sign_in(client, provider_browser, provider, "t-known")

    db.session.refresh(first)
    assert first.end_reason == "replaced"


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/agencies/", "/agencies/"), ("https://evil.example/steal", "/"), ("//evil.example/", "/")],
    ids=["on-site", "absolute-url", "scheme-relative"],
)
def test_next_is_followed_only_within_the_site(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    next_url: str,
    expected: str,
) -> None:
    response = sign_in(client, provider_browser, provider, "t-known", next=next_url)

    assert response.headers["Location"] == expected


def test_login_hint_preselects_the_account_at_the_provider(
    client: FlaskClient, provider_browser: ProviderBrowser, provider: IdentityProvider
) -> None:
    authorize = start_login(client, provider, login_hint="newcomer@signin.example")

    assert parse_qs(urlsplit(authorize).query)["login_hint"] == ["newcomer@signin.example"]
    page = provider_browser.http.get(authorize, timeout=10).text
    assert 'class="hinted" autofocus\n          data-email="newcomer@signin.example"' in page


def test_unknown_staff_member_of_a_bound_agency_waits_for_approval(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    agency: Agency,
    db: Any,
) -> None:
    response = sign_in(client, provider_browser, provider, "t-newcomer")

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/pending"
    person = db.session.scalar(sa.select(Person).where(Person.email == "newcomer@signin.example"))
    assert person is not None
    assert person.name == "새직원"
    [membership] = person.memberships
    assert (membership.agency_id, membership.status, membership.roles) == (
        agency.id,
        MembershipStatus.pending,
        [],
    )
    record = db.session.scalar(sa.select(UserSession).where(UserSession.person_id == person.id))
    assert record is not None
    assert record.awaiting_approval
    assert record.acting_agency_id is None
    # Nothing but the waiting page and sign-out.
    assert client.get("/").headers["Location"] == "/auth/pending"
    assert client.get("/agencies/").headers["Location"] == "/auth/pending"
    waiting = client.get("/auth/pending").get_data(as_text=True)
    assert "가입 승인 대기" in waiting
    assert agency.name in waiting
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == person.id)))
    assert {"auth.person_created", "agency.membership_requested", "auth.sign_in"} <= actions


def test_a_pending_request_is_not_duplicated_on_the_next_sign_in(
    client: FlaskClient, provider_browser: ProviderBrowser, provider: IdentityProvider, db: Any
) -> None:
    sign_in(client, provider_browser, provider, "t-newcomer")
    sign_in(client, provider_browser, provider, "t-newcomer")

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 1


def test_invited_person_signs_in_without_membership(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    create_provider: Callable[..., IdentityProvider],
    create_agency: Callable[..., Agency],
    db: Any,
) -> None:
    invited_agency = create_agency(code=OTHER_AGENCY, status=AgencyStatus.invited)
    provider = create_provider(agencies=(invited_agency,))
    db.session.add(
        Invitation(
            district_id=invited_agency.district_id,
            agency_id=invited_agency.id,
            email="invited@signin.example",
            token_hash="0" * 64,
            expires_at=now_utc() + timedelta(days=7),
        )
    )
    db.session.flush()

    response = sign_in(client, provider_browser, provider, "t-invited", next="/invitations/some-token")

    assert response.headers["Location"] == "/invitations/some-token"
    person = db.session.scalar(sa.select(Person).where(Person.email == "invited@signin.example"))
    assert person is not None
    assert person.memberships == []
    record = db.session.scalar(sa.select(UserSession).where(UserSession.person_id == person.id))
    assert record is not None
    assert not record.awaiting_approval


# -- refusals ------------------------------------------------------------------------------------


def test_tampered_state_is_refused(
    client: FlaskClient, provider_browser: ProviderBrowser, provider: IdentityProvider, db: Any
) -> None:
    callback = provider_browser.sign_in(start_login(client, provider), subject="t-newcomer")
    parts = urlsplit(callback)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query["state"] = query["state"][:-4] + "AAAA"

    response = client.get(urlunsplit(parts._replace(query=urlencode(query))))

    assert_refused(db, response, status=400, reason="state_mismatch", subject="t-newcomer")


def test_callback_from_another_browser_is_refused(
    app: Flask, client: FlaskClient, provider_browser: ProviderBrowser, provider: IdentityProvider, db: Any
) -> None:
    callback = provider_browser.sign_in(start_login(client, provider), subject="t-newcomer")

    # The state is bound to the browser that started the sign-in (login CSRF).
    response = app.test_client().get(callback)

    assert_refused(db, response, status=400, reason="state_mismatch", subject="t-newcomer")


def test_replayed_callback_is_refused(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    db: Any,
) -> None:
    callback = provider_browser.sign_in(start_login(client, provider), subject="t-known")
    assert client.get(callback).status_code == 302

    response = client.get(callback)

    assert response.status_code == 400
    assert [row.data["reason"] for row in refusals(db)] == ["state_mismatch"]


def test_replayed_code_is_refused_by_the_provider(
    app: Flask,
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    db: Any,
) -> None:
    used = provider_browser.sign_in(start_login(client, provider), subject="t-known")
    assert client.get(used).status_code == 302
    used_code = parse_qs(urlsplit(used).query)["code"][0]
    attacker = app.test_client()
    fresh = provider_browser.sign_in(start_login(attacker, provider), subject="t-known")
    state = parse_qs(urlsplit(fresh).query)["state"][0]

    response = attacker.get(
        "/auth/callback?" + urlencode({"code": used_code, "state": state, "iss": provider.issuer})
    )

    assert response.status_code == 400
    [row] = refusals(db)
    assert row.data["reason"] == "code_rejected"
    assert row.data["provider_error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("bad_signature", "bad_signature"),
        ("wrong_issuer", "wrong_issuer"),
        ("wrong_audience", "wrong_audience"),
        ("expired", "token_expired"),
        ("wrong_nonce", "wrong_nonce"),
        ("none_alg", "unsupported_algorithm"),
    ],
)
def test_wrong_id_tokens_are_refused_and_leave_nothing_behind(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    db: Any,
    mode: str,
    reason: str,
) -> None:
    callback = provider_browser.sign_in(start_login(client, provider), subject="t-newcomer")
    provider_browser.misbehave(mode)

    response = client.get(callback)

    assert_refused(db, response, status=400, reason=reason, subject="t-newcomer")
    assert db.session.scalar(sa.select(Person).where(Person.email == "newcomer@signin.example")) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0


def test_email_outside_the_allowed_domains_is_refused(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    create_provider: Callable[..., IdentityProvider],
    agency: Agency,
    db: Any,
) -> None:
    provider = create_provider(agencies=(agency,), allowed_email_domains=["signin.example"])

    response = sign_in(client, provider_browser, provider, "t-outsider")

    assert_refused(db, response, status=403, reason="email_domain_not_allowed", subject="t-outsider")
    assert db.session.scalar(sa.select(Person).where(Person.email == "outsider@elsewhere.example")) is None


def test_email_inside_the_allowed_domains_is_accepted(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    create_provider: Callable[..., IdentityProvider],
    agency: Agency,
    known_worker: Person,
) -> None:
    provider = create_provider(agencies=(agency,), allowed_email_domains=["signin.example"], claim_rule={})

    assert sign_in(client, provider_browser, provider, "t-known").headers["Location"] == "/"


def test_error_from_the_provider_is_refused(
    client: FlaskClient, provider_browser: ProviderBrowser, provider: IdentityProvider, db: Any
) -> None:
    callback = provider_browser.sign_in(start_login(client, provider), deny=True)
    assert "error=access_denied" in callback

    response = client.get(callback)

    assert_refused(db, response, status=403, reason="provider_error", subject=None)
    assert refusals(db)[0].data["provider_error"] == "access_denied"
    assert "기관 계정 서버에서 로그인이 취소되었거나 거부되었습니다" in response.get_data(as_text=True)


def test_unknown_provider_is_refused(client: FlaskClient, db: Any) -> None:
    response = client.get("/auth/login/987654")

    assert_refused(db, response, status=400, reason="unknown_provider", subject=None)


def test_disabled_person_is_refused(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    db: Any,
) -> None:
    known_worker.is_active = False
    db.session.flush()

    response = sign_in(client, provider_browser, provider, "t-known")

    assert_refused(db, response, status=403, reason="person_disabled", subject="t-known")
    assert refusals(db)[0].actor_id == known_worker.id


def test_suspended_agency_is_refused(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    agency: Agency,
    db: Any,
) -> None:
    agency.status = AgencyStatus.suspended
    db.session.flush()

    response = sign_in(client, provider_browser, provider, "t-known")

    assert_refused(db, response, status=403, reason="agency_suspended", subject="t-known")


def test_claim_for_an_agency_not_bound_to_the_provider_is_refused(
    client: FlaskClient, provider_browser: ProviderBrowser, provider: IdentityProvider, db: Any
) -> None:
    response = sign_in(client, provider_browser, provider, "t-other")

    assert_refused(db, response, status=403, reason="no_matching_agency", subject="t-other")
    assert db.session.scalar(sa.select(Person).where(Person.email == "other.worker@signin.example")) is None


# -- sign-out, page, limits -----------------------------------------------------------------------


def test_sign_out_also_ends_the_provider_session(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    provider: IdentityProvider,
    known_worker: Person,
    db: Any,
) -> None:
    sign_in(client, provider_browser, provider, "t-known")
    home = client.get("/").get_data(as_text=True)
    token = home.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]

    response = client.post("/auth/sign-out", data={"csrf_token": token})

    # A page of ours continues to the provider: browsers block cross-origin redirects after a form
    # POST under CSP form-action 'self'.
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/signed-out"
    page = client.get("/auth/signed-out").get_data(as_text=True)
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)
    assert refresh is not None
    location = html.unescape(refresh.group(1))
    assert location.startswith(provider.issuer + "/end-session?")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/"]
    assert query["id_token_hint"][0].count(".") == 2
    back = provider_browser.http.get(location, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://localhost/"
    record = db.session.scalar(sa.select(UserSession))
    assert record is not None
    assert record.end_reason == "signed_out"
    assert known_worker.name not in client.get("/").get_data(as_text=True)
    # The continuation page works once; afterwards it is just the start page.
    assert client.get("/auth/signed-out").headers["Location"] == "/"


def test_sign_in_page_lists_providers_and_demo_accounts(
    app: Flask, client: FlaskClient, create_provider: Callable[..., IdentityProvider]
) -> None:
    from devidp.accounts import DEMO_ACCOUNTS

    demo = create_provider(name="한빛구 개발용 통합 계정", issuer=app.config["DEVIDP_URL"])

    response = client.get("/auth/sign-in?next=/agencies/")

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "소속 기관의 계정으로 로그인" in text
    assert f'href="/auth/login/{demo.id}?next=/agencies/"' in text
    assert "데모 계정" in text
    for account in DEMO_ACCOUNTS:
        assert account.name in text
        assert account.description in text
    assert f'href="/auth/login/{demo.id}?login_hint=lee.dong@hanbit.go.kr&amp;next=/agencies/"' in text
    assert "<main" in text
    assert 'aria-labelledby="providers-title"' in text


def test_sign_in_endpoints_are_rate_limited_per_address(client: FlaskClient, db: Any) -> None:
    from limits import parse

    from agencies.signin.limits import ADDRESS_LIMIT

    allowed = parse(ADDRESS_LIMIT).amount
    logins = [client.get("/auth/login/987654").status_code for _ in range(allowed + 1)]
    callbacks = [client.get("/auth/callback?state=nothing").status_code for _ in range(allowed + 1)]

    assert logins == [400] * allowed + [429]
    assert callbacks == [400] * allowed + [429]


def test_unreachable_provider_is_a_clear_error_not_a_crash(
    client: FlaskClient, create_provider: Callable[..., IdentityProvider], db: Any
) -> None:
    # A closed port on loopback: discovery fails at once.
    provider = create_provider(issuer="http://127.0.0.1:9")

    response = client.get(f"/auth/login/{provider.id}")

    assert response.status_code == 503
    assert "기관 계정 서버에 연결할 수 없습니다" in response.get_data(as_text=True)
    assert refusals(db)[0].data["reason"] == "provider_unreachable"


def test_undecryptable_client_secret_is_a_clear_error_not_a_crash(
    client: FlaskClient, create_provider: Callable[..., IdentityProvider], db: Any
) -> None:
    from hamkke.crypto import encrypt_text

    provider = create_provider(
        client_secret_encrypted=encrypt_text("s", key_material="another-key-" + "x" * 32)
    )

    response = client.get(f"/auth/login/{provider.id}")

    assert response.status_code == 503
    assert refusals(db)[0].data["reason"] == "provider_misconfigured"
