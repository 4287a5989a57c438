"""The development OIDC provider over real HTTP: discovery, code + PKCE, tokens, keys, logout, refusals."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from devidp.app import IdpClient, IdpSettings, create_idp_app, rotate_keys
from devidp.server import IdpServer

REDIRECT = "http://127.0.0.1:9/callback"
CLIENT = IdpClient("rp", "rp-secret", (REDIRECT,), ("http://127.0.0.1:9/",))


@pytest.fixture(scope="module")
def idp_server() -> Iterator[IdpServer]:
    server = IdpServer(IdpSettings(issuer="", clients=(CLIENT,), testing=True)).start()
    yield server
    server.stop()


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize(
    idp: IdpServer,
    browser: requests.Session,
    *,
    challenge: str | None,
    nonce: str | None = None,
    subject: str = "demo-dong-worker",
    **extra: str,
) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": "rp",
        "redirect_uri": REDIRECT,
        "scope": "openid profile email",
        "state": "st-1",
        "nonce": nonce or secrets.token_urlsafe(8),
        **extra,
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    page = browser.get(f"{idp.url}/authorize", params=params, allow_redirects=False)
    if page.status_code != 200:
        return page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return browser.post(page.url, data={"csrf": csrf.group(1), "subject": subject}, allow_redirects=False)


def _code_from(response: requests.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _token(idp: IdpServer, code: str, verifier: str) -> requests.Response:
    return requests.post(
        f"{idp.url}/token",
        auth=("rp", "rp-secret"),
        timeout=5,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )


def _sign_in(idp: IdpServer, nonce: str = "") -> dict[str, Any]:
    """Sign in through the provider; the nonce used is returned in the result as ``_nonce``."""
    nonce = nonce or secrets.token_urlsafe(8)
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp, requests.Session(), challenge=challenge, nonce=nonce))
    response = _token(idp, code, verifier)
    assert response.status_code == 200, response.text
    return {**response.json(), "_nonce": nonce}


def _verify(idp: IdpServer, id_token: str, nonce: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(requests.get(f"{idp.url}/jwks", timeout=5).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": idp.url},
        aud={"essential": True, "value": "rp"},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(token.claims)
    return dict(token.claims)


def test_discovery_describes_the_endpoints(idp_server: IdpServer) -> None:
    meta = requests.get(f"{idp_server.url}/.well-known/openid-configuration", timeout=5).json()
    assert meta["issuer"] == idp_server.url
    assert meta["code_challenge_methods_supported"] == ["S256"]
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ):
        assert meta[name].startswith(idp_server.url)
    assert all("d" not in key for key in requests.get(meta["jwks_uri"], timeout=5).json()["keys"])


def test_code_flow_with_pkce_gives_a_valid_id_token_and_userinfo(idp_server: IdpServer) -> None:
    tokens = _sign_in(idp_server)
    claims = _verify(idp_server, tokens["id_token"], tokens["_nonce"])
    assert claims["sub"] == "demo-dong-worker"
    assert claims["email"] == "lee.dong@hanbit.go.kr"
    assert claims["hamkke_agency"] == "dong-solnae"
    assert "at_hash" not in claims or claims["at_hash"]
    info = requests.get(
        f"{idp_server.url}/userinfo", timeout=5, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.json() == {
        "sub": "demo-dong-worker",
        "hamkke_agency": "dong-solnae",
        "name": "이복지",
        "email": "lee.dong@hanbit.go.kr",
        "email_verified": True,
    }


def test_replayed_code_is_refused_and_revokes_its_tokens(idp_server: IdpServer) -> None:
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp_server, requests.Session(), challenge=challenge))
    first = _token(idp_server, code, verifier)
    assert first.status_code == 200
    second = _token(idp_server, code, verifier)
    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    info = requests.get(
        f"{idp_server.url}/userinfo",
        timeout=5,
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
    )
    assert info.status_code == 401


def test_reused_nonce_of_a_pending_code_is_refused(idp_server: IdpServer) -> None:
    _, challenge = _pkce()
    _code_from(_authorize(idp_server, requests.Session(), challenge=challenge, nonce="same-nonce"))
    replay = _authorize(idp_server, requests.Session(), challenge=challenge, nonce="same-nonce")
    assert replay.status_code == 302
    assert "error" in parse_qs(urlsplit(replay.headers["Location"]).query)


def test_wrong_verifier_is_refused(idp_server: IdpServer) -> None:
    _, challenge = _pkce()
    code = _code_from(_authorize(idp_server, requests.Session(), challenge=challenge))
    response = _token(idp_server, code, secrets.token_urlsafe(48))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_missing_or_plain_pkce_is_refused(idp_server: IdpServer) -> None:
    missing = _authorize(idp_server, requests.Session(), challenge=None)
    plain = _authorize(
        idp_server, requests.Session(), challenge=None, code_challenge="x" * 43, code_challenge_method="plain"
    )
    for response in (missing, plain):
        assert response.status_code == 302
        assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_request"]


def test_unregistered_redirect_uri_is_an_error_page_not_a_redirect(idp_server: IdpServer) -> None:
    _, challenge = _pkce()
    response = requests.get(
        f"{idp_server.url}/authorize",
        allow_redirects=False,
        timeout=5,
        params={
            "response_type": "code",
            "client_id": "rp",
            "redirect_uri": "https://evil.example/cb",
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "nonce": "n",
        },
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    unknown = requests.get(
        f"{idp_server.url}/authorize",
        params={"client_id": "nobody", "response_type": "code"},
        allow_redirects=False,
        timeout=5,
    )
    assert unknown.status_code == 400


def test_key_rotation_keeps_the_old_key_published(idp_server: IdpServer) -> None:
    old = jwt.decode(
        _sign_in(idp_server)["id_token"],
        KeySet.import_key_set(requests.get(f"{idp_server.url}/jwks", timeout=5).json()),
        algorithms=["RS256"],
    )
    new_kid = rotate_keys(idp_server.app)
    tokens = _sign_in(idp_server)
    assert (
        jwt.decode(
            tokens["id_token"],
            KeySet.import_key_set(requests.get(f"{idp_server.url}/jwks", timeout=5).json()),
            algorithms=["RS256"],
        ).header["kid"]
        == new_kid
    )
    kids = {key["kid"] for key in requests.get(f"{idp_server.url}/jwks", timeout=5).json()["keys"]}
    assert {old.header["kid"], new_kid} <= kids


@pytest.mark.parametrize(
    "mode", ["bad_signature", "wrong_issuer", "wrong_audience", "expired", "wrong_nonce", "none_alg"]
)
def test_each_misbehaviour_yields_a_token_that_fails_verification(idp_server: IdpServer, mode: str) -> None:
    assert (
        requests.post(f"{idp_server.url}/_test/misbehave", json={"mode": mode}, timeout=5).status_code == 200
    )
    bad = _sign_in(idp_server)
    with pytest.raises((JoseError, ValueError)):
        _verify(idp_server, bad["id_token"], bad["_nonce"])
    # The misbehaviour was for one token only.
    good = _sign_in(idp_server)
    _verify(idp_server, good["id_token"], good["_nonce"])


def test_misbehave_endpoint_does_not_exist_outside_tests() -> None:
    app = create_idp_app(IdpSettings(issuer="http://127.0.0.1:9", clients=(CLIENT,)))
    assert app.test_client().post("/_test/misbehave", json={"mode": "expired"}).status_code == 404


def test_end_session_returns_only_to_registered_uris(idp_server: IdpServer) -> None:
    id_token = _sign_in(idp_server)["id_token"]
    good = requests.get(
        f"{idp_server.url}/end-session",
        allow_redirects=False,
        timeout=5,
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "http://127.0.0.1:9/", "state": "bye"},
    )
    assert good.status_code == 302
    assert good.headers["Location"] == "http://127.0.0.1:9/?state=bye"
    evil = requests.get(
        f"{idp_server.url}/end-session",
        allow_redirects=False,
        timeout=5,
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert evil.status_code == 400


def test_refuses_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMKKE_ENV", "production")
    with pytest.raises(RuntimeError, match="production mode"):
        create_idp_app(IdpSettings(issuer="http://127.0.0.1:9", clients=(CLIENT,)))
    from devidp.__main__ import main

    assert main(["--port", "9"]) == 2
