"""The OAuth2 client-credentials server: tokens, scopes, revocation, expiry and rate limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from agencies import services
from agencies.models import ApiToken
from hamkke.api.credentials import hash_credential
from hamkke.audit import AuditEntry
from hamkke.time import now_utc
from tests.agencies.conftest import Network
from tests.api.conftest import Credentials

TOKEN_URL = "/api/v1/oauth/token"
REVOKE_URL = "/api/v1/oauth/revoke"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_client_credentials_token_is_opaque_short_lived_and_stored_hashed(
    client: FlaskClient, directory_client: Credentials, db: Any
) -> None:
    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=directory_client.basic)

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "directory:read"
    assert "refresh_token" not in body
    assert response.headers["Cache-Control"] == "no-store"
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored is not None
    assert stored.token_hash == hash_credential(body["access_token"])
    assert body["access_token"] not in stored.token_hash
    assert (stored.expires_at - stored.issued_at) == timedelta(minutes=15)
    issued = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api.token_issued"))
    assert issued is not None
    assert body["access_token"] not in str(issued.data)


def test_form_credentials_work_too(client: FlaskClient, directory_client: Credentials) -> None:
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": directory_client.client.client_id,
            "client_secret": directory_client.secret,
        },
    )
    assert response.status_code == 200


def test_token_lifetime_is_configurable_but_never_above_an_hour(
    app: Flask, client: FlaskClient, directory_client: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_TOKEN_LIFETIME_SECONDS", 7 * 24 * 3600)

    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=directory_client.basic)

    assert response.get_json()["expires_in"] == 3600


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, ("nobody", "x"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "wrong-secret", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "good", 400, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "good", 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "referrals:write"}, "good", 400, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": "admin"}, "good", 400, "invalid_scope"),
    ],
)
def test_token_request_refusals_follow_rfc_6749(
    client: FlaskClient,
    directory_client: Credentials,
    db: Any,
    data: dict[str, str],
    auth: Any,
    status: int,
    error: str,
) -> None:
    if auth == "good":
        auth = directory_client.basic
    elif auth == "wrong-secret":
        auth = (directory_client.client.client_id, "hks_wrong")

    response = client.post(TOKEN_URL, data=data, auth=auth)

    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    refused = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api.token_refused"))
    assert refused is not None
    assert refused.data["error"] == error


def test_scope_within_the_granted_ones(
    client: FlaskClient,
    network: Network,
    register_client: Callable[..., Credentials],
    get_token: Callable[..., str],
) -> None:
    both = register_client(network.agency, network.admin, scopes=("directory:read", "referrals:read"))

    narrow = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials", "scope": "referrals:read"}, auth=both.basic
    ).get_json()

    assert narrow["scope"] == "referrals:read"
    assert client.get("/api/v1/regions", headers=bearer(narrow["access_token"])).status_code == 403


def test_api_call_within_scope_is_allowed(
    client: FlaskClient, directory_client: Credentials, get_token: Callable[..., str]
) -> None:
    response = client.get("/api/v1/regions", headers=bearer(get_token(directory_client)))

    assert response.status_code == 200
    assert "items" in response.get_json()


def test_api_call_outside_scope_is_403_insufficient_scope(
    client: FlaskClient,
    network: Network,
    register_client: Callable[..., Credentials],
    get_token: Callable[..., str],
) -> None:
    referrals_only = register_client(network.agency, network.admin, scopes=("referrals:read",))

    response = client.get("/api/v1/agencies", headers=bearer(get_token(referrals_only)))

    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_scope"
    assert "directory:read" in error["message"]
    assert error["message_en"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer not-a-token"}, "invalid_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_token"),
        ({"Authorization": "Bearer"}, "invalid_token"),
    ],
)
def test_api_call_without_a_valid_token_is_401(
    client: FlaskClient, db: Any, headers: dict[str, str], code: str
) -> None:
    response = client.get("/api/v1/agencies", headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_cookie_does_not_open_the_api(
    client: FlaskClient, login_as: Callable[..., Any], network: Network
) -> None:
    login_as(network.admin)
    assert client.get("/api/v1/agencies").status_code == 401


def test_expired_token_is_refused(
    client: FlaskClient, directory_client: Credentials, get_token: Callable[..., str]
) -> None:
    token = get_token(directory_client)

    with time_machine.travel(now_utc() + timedelta(minutes=15, seconds=1), tick=False):
        response = client.get("/api/v1/regions", headers=bearer(token))

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_revoking_the_client_kills_its_tokens_and_its_credentials(
    client: FlaskClient,
    directory_client: Credentials,
    get_token: Callable[..., str],
    network: Network,
    db: Any,
) -> None:
    token = get_token(directory_client)
    services.revoke_api_client(directory_client.client, actor=network.admin)
    db.session.commit()

    assert client.get("/api/v1/regions", headers=bearer(token)).status_code == 401
    again = client.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=directory_client.basic)
    assert again.status_code == 401
    assert again.get_json()["error"] == "invalid_client"


def test_suspending_the_agency_kills_its_tokens(
    client: FlaskClient,
    directory_client: Credentials,
    get_token: Callable[..., str],
    network: Network,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agencies.signin.services

    monkeypatch.setattr(agencies.signin.services, "cut_live_sessions", lambda ids: None)
    token = get_token(directory_client)
    services.suspend_agency(network.agency, actor=network.coordinator, reason="점검")
    db.session.commit()

    assert client.get("/api/v1/regions", headers=bearer(token)).status_code == 401
    refused = client.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=directory_client.basic)
    assert refused.status_code == 401


def test_rfc_7009_revocation(
    client: FlaskClient,
    network: Network,
    directory_client: Credentials,
    register_client: Callable[..., Credentials],
    get_token: Callable[..., str],
    db: Any,
) -> None:
    token = get_token(directory_client)
    stranger = register_client(network.peer, network.peer_admin)

    # Another client cannot revoke it, and an unknown token is answered 200 as the RFC requires.
    assert client.post(REVOKE_URL, data={"token": token}, auth=stranger.basic).status_code == 400
    assert client.post(REVOKE_URL, data={"token": "unknown"}, auth=directory_client.basic).status_code == 200
    assert client.post(REVOKE_URL, data={"token": token}).status_code in (400, 401)
    assert client.get("/api/v1/regions", headers=bearer(token)).status_code == 200

    response = client.post(
        REVOKE_URL, data={"token": token, "token_type_hint": "access_token"}, auth=directory_client.basic
    )

    assert response.status_code == 200
    assert response.get_json() == {}
    assert client.get("/api/v1/regions", headers=bearer(token)).status_code == 401
    revoked = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api.token_revoked"))
    assert revoked is not None


def test_token_endpoint_is_rate_limited(
    app: Flask, client: FlaskClient, directory_client: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_TOKEN_RATE_LIMIT", "3 per minute")
    statuses = [
        client.post(
            TOKEN_URL, data={"grant_type": "client_credentials"}, auth=directory_client.basic
        ).status_code
        for _ in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
    limited = client.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=directory_client.basic)
    assert limited.get_json()["error"]["code"] == "http_429"


def test_oauth_endpoints_need_no_csrf_token(client: FlaskClient, directory_client: Credentials) -> None:
    # The API is for systems with bearer tokens; the token endpoint is CSRF-exempt (no cookies involved).
    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=directory_client.basic)
    assert response.status_code == 200
