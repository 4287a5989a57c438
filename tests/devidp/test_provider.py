"""The development OIDC provider over real HTTP: discovery, code + PKCE, tokens, keys, logout, refusals."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from authlib.oidc.discovery import OpenIDProviderMetadata
from flask import Flask, jsonify, url_for
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet, KeySetSerialization

from devidp.__main__ import main, settings_from
from devidp.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from devidp.app import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    ID_TOKEN_LIFETIME,
    MISBEHAVIOUR_MODES,
    IdpClient,
    IdpSettings,
    IdpState,
    create_idp_app,
    rotate_keys,
)
from devidp.keys import CLOCK_LEEWAY_SECONDS
from devidp.server import IdpServer

REDIRECT = "http://127.0.0.1:9/callback"
LOGGED_OUT = "http://127.0.0.1:9/"
CLIENT = IdpClient("rp", "rp-secret", (REDIRECT,), (LOGGED_OUT,))
OTHER = IdpClient(
    "other-rp", "other-secret", ("http://127.0.0.1:9/other",), ("http://127.0.0.1:9/other-out",)
)
#: a relying party built on Authlib's Flask client, served through Flask's test client
RP_CALLBACK = "http://localhost/callback"
AUTHLIB_RP = IdpClient("authlib-rp", "authlib-rp-secret", (RP_CALLBACK,), ("http://localhost/",))
WORKER = next(a for a in DEMO_ACCOUNTS if a.subject == "demo-dong-worker")
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def _settings(**overrides: Any) -> IdpSettings:
    values: dict[str, Any] = {"issuer": "", "clients": (CLIENT, OTHER, AUTHLIB_RP), "testing": True}
    values.update(overrides)
    return IdpSettings(**values)


@pytest.fixture(scope="module")
def idp_module_server() -> Iterator[IdpServer]:
    with IdpServer(_settings()) as server:
        yield server


@pytest.fixture
def idp_server(idp_module_server: IdpServer) -> Iterator[IdpServer]:
    """The shared provider, with no misbehaviour left armed and its clock on real time."""
    state = _state(idp_module_server)
    state.misbehaviour = None
    yield idp_module_server
    state.misbehaviour = None
    state.clock = time.time


@pytest.fixture
def idp_fresh_server() -> Iterator[IdpServer]:
    """A provider of its own, for tests that move its clock or rotate its keys."""
    with IdpServer(_settings()) as server:
        yield server


@pytest.fixture
def idp_browsers() -> Iterator[Callable[[], requests.Session]]:
    """Return a factory of HTTP sessions (a browser each: they keep the provider's cookie)."""
    sessions: list[requests.Session] = []

    def factory() -> requests.Session:
        browser = requests.Session()
        browser.trust_env = False  # loopback only; never through a proxy from the environment
        sessions.append(browser)
        return browser

    yield factory
    for browser in sessions:
        browser.close()


@pytest.fixture
def idp_http(idp_browsers: Callable[[], requests.Session]) -> requests.Session:
    """One HTTP session for back-channel calls (token, userinfo, JWKS)."""
    return idp_browsers()


def _state(server: IdpServer) -> IdpState:
    state: IdpState = server.app.extensions["devidp"]
    return state


def _shift_clock(server: IdpServer, seconds: float) -> None:
    _state(server).clock = lambda: time.time() + seconds


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize_params(challenge: str | None, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "rp",
        "redirect_uri": REDIRECT,
        "scope": "openid profile email",
        "state": "st-1",
        "nonce": secrets.token_urlsafe(8),
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def _csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def _authorize(
    idp: IdpServer,
    browser: requests.Session,
    *,
    challenge: str | None,
    subject: str = WORKER.subject,
    form: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> requests.Response:
    """Open the sign-in page and submit it (one-click ``subject`` unless ``form`` is given)."""
    page = browser.get(
        f"{idp.url}/authorize",
        params=_authorize_params(challenge, **(params or {})),
        allow_redirects=False,
        timeout=10,
    )
    if page.status_code != 200:
        return page
    data = {"csrf": _csrf(page), **(form if form is not None else {"subject": subject})}
    return browser.post(page.url, data=data, allow_redirects=False, timeout=10)


def _redirect_query(response: requests.Response, target: str = REDIRECT) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == target
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def _code_from(response: requests.Response) -> str:
    query = _redirect_query(response)
    assert query["state"] == "st-1"
    return query["code"]


def _token(
    http: requests.Session,
    idp: IdpServer,
    code: str,
    verifier: str | None,
    *,
    auth: tuple[str, str] | None = None,
) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        data["code_verifier"] = verifier
    return http.post(f"{idp.url}/token", auth=auth or ("rp", "rp-secret"), data=data, timeout=10)


def _sign_in(
    idp: IdpServer, http: requests.Session, browser: requests.Session, **extra: str
) -> dict[str, Any]:
    """Sign in through the provider; the result carries the nonce it used as ``_nonce``."""
    nonce = extra.pop("nonce", secrets.token_urlsafe(8))
    verifier, challenge = _pkce()
    response = _authorize(idp, browser, challenge=challenge, params={"nonce": nonce, **extra})
    answer = _token(http, idp, _code_from(response), verifier)
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "_nonce": nonce}


def _keyset(http: requests.Session, idp: IdpServer) -> KeySet:
    return KeySet.import_key_set(cast(KeySetSerialization, _jwks(http, idp)))


def _jwks(http: requests.Session, idp: IdpServer) -> dict[str, Any]:
    answer = http.get(f"{idp.url}/jwks", timeout=10)
    assert answer.status_code == 200
    jwks: dict[str, Any] = answer.json()
    return jwks


def _verify(http: requests.Session, idp: IdpServer, id_token: str, nonce: str) -> dict[str, Any]:
    """Verify an ID token as a relying party must: signature by a published key, then the claims."""
    token = jwt.decode(id_token, _keyset(http, idp), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": idp.url},
        aud={"essential": True, "value": "rp"},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
    ).validate(token.claims)
    return {"header": token.header, **token.claims}


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


# -- discovery and keys ---------------------------------------------------------------------------


def test_discovery_describes_the_provider(idp_server: IdpServer, idp_http: requests.Session) -> None:
    meta = idp_http.get(f"{idp_server.url}/.well-known/openid-configuration", timeout=10).json()

    OpenIDProviderMetadata(meta).validate()
    base = idp_server.url
    assert meta["issuer"] == base
    assert meta["authorization_endpoint"] == f"{base}/authorize"
    assert meta["token_endpoint"] == f"{base}/token"
    assert meta["userinfo_endpoint"] == f"{base}/userinfo"
    assert meta["jwks_uri"] == f"{base}/jwks"
    assert meta["end_session_endpoint"] == f"{base}/end-session"
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code"]
    assert meta["subject_types_supported"] == ["public"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["scopes_supported"] == ["openid", "profile", "email"]
    assert meta["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"sub", "name", "email", "email_verified", "hamkke_agency", "nonce"} <= set(
        meta["claims_supported"]
    )
    assert meta["authorization_response_iss_parameter_supported"] is True


def test_authorization_responses_name_the_issuer(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()
    granted = _redirect_query(_authorize(idp_server, idp_browsers(), challenge=challenge))
    denied = _redirect_query(
        _authorize(idp_server, idp_browsers(), challenge=challenge, form={"action": "deny"})
    )

    # RFC 9207 §2: success and error responses alike carry ``iss``.
    assert granted["iss"] == idp_server.url
    assert denied["error"] == "access_denied"
    assert denied["iss"] == idp_server.url


def test_jwks_publishes_public_rsa_keys_only(idp_server: IdpServer, idp_http: requests.Session) -> None:
    keys = _jwks(idp_http, idp_server)["keys"]

    assert keys
    for key in keys:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["use"] == "sig"
        assert key["kid"]
        assert not PRIVATE_JWK_MEMBERS & set(key)


def test_issuer_follows_the_bound_port(idp_server: IdpServer) -> None:
    assert idp_server.port != 0
    assert idp_server.url == f"http://127.0.0.1:{idp_server.port}"


# -- a real OIDC client -----------------------------------------------------------------------------


def _authlib_rp(idp: IdpServer) -> Flask:
    """A relying party as the main app builds one: Authlib's Flask client, discovery, PKCE S256."""
    rp = Flask("authlib_rp")
    rp.config.update(SECRET_KEY="rp-session-key", SERVER_NAME="localhost")
    oauth = OAuth(rp)
    oauth.register(
        "dev",
        client_id=AUTHLIB_RP.client_id,
        client_secret=AUTHLIB_RP.client_secret,
        server_metadata_url=f"{idp.url}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )

    @rp.get("/login")
    def login() -> Any:
        return oauth.dev.authorize_redirect(url_for("callback", _external=True))

    @rp.get("/callback")
    def callback() -> Any:
        try:
            token = oauth.dev.authorize_access_token()
        except Exception as error:  # the test asserts which check refused the token
            return jsonify(refused=type(error).__name__), 400
        return jsonify(claims=dict(token["userinfo"]), userinfo=dict(oauth.dev.userinfo(token=token)))

    return rp


def _authlib_sign_in(idp: IdpServer, browser: requests.Session) -> tuple[int, dict[str, Any]]:
    rp = _authlib_rp(idp)
    with rp.test_client() as rp_browser:
        start = rp_browser.get("/login")
        assert start.status_code == 302
        authorize_url = start.headers["Location"]
        query = parse_qs(urlsplit(authorize_url).query)
        assert query["code_challenge_method"] == ["S256"]
        assert "nonce" in query
        page = browser.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        back = browser.post(
            page.url, data={"csrf": _csrf(page), "subject": WORKER.subject}, allow_redirects=False, timeout=10
        )
        assert back.status_code == 302, back.text
        location = urlsplit(back.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == RP_CALLBACK
        answer = rp_browser.get(f"/callback?{location.query}")
        body: dict[str, Any] = answer.get_json()
        return answer.status_code, body


def test_authlib_flask_client_signs_in_with_discovery_and_pkce(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    status, body = _authlib_sign_in(idp_server, idp_browsers())

    assert status == 200, body
    assert body["claims"]["sub"] == WORKER.subject
    assert body["claims"]["iss"] == idp_server.url
    assert body["claims"]["aud"] == AUTHLIB_RP.client_id
    assert body["claims"]["hamkke_agency"] == WORKER.agency_code
    assert body["userinfo"]["email"] == WORKER.email


@pytest.mark.parametrize(
    ("mode", "refusal"),
    [
        ("bad_signature", "BadSignatureError"),
        ("wrong_issuer", "InvalidClaimError"),
        # Authlib's client finds a foreign audience through OIDC Core's azp rule: an ID token for
        # another audience would need an azp claim naming this client.
        ("wrong_audience", "MissingClaimError"),
        ("expired", "ExpiredTokenError"),
        ("wrong_nonce", "InvalidClaimError"),
        ("none_alg", "UnsupportedAlgorithmError"),
    ],
)
def test_authlib_flask_client_refuses_each_misbehaviour(
    idp_server: IdpServer,
    idp_browsers: Callable[[], requests.Session],
    idp_http: requests.Session,
    mode: str,
    refusal: str,
) -> None:
    assert (
        idp_http.post(f"{idp_server.url}/_test/misbehave", json={"mode": mode}, timeout=10).status_code == 200
    )

    status, body = _authlib_sign_in(idp_server, idp_browsers())

    assert (status, body) == (400, {"refused": refusal})


# -- the code flow over raw HTTP ------------------------------------------------------------------


def test_code_flow_with_pkce_gives_a_valid_id_token(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    before = int(time.time())
    tokens = _sign_in(idp_server, idp_http, idp_browsers())

    assert tokens["token_type"].lower() == "bearer"
    assert tokens["expires_in"] == ACCESS_TOKEN_LIFETIME
    claims = _verify(idp_http, idp_server, tokens["id_token"], tokens["_nonce"])
    assert claims["header"]["alg"] == "RS256"
    assert claims["header"]["kid"] in {k["kid"] for k in _jwks(idp_http, idp_server)["keys"]}
    assert claims["sub"] == WORKER.subject
    assert claims["aud"] == "rp"
    assert claims["email"] == WORKER.email
    assert claims["name"] == WORKER.name
    assert claims["hamkke_agency"] == WORKER.agency_code
    assert claims["at_hash"] == _at_hash(tokens["access_token"])
    assert claims["exp"] - claims["iat"] == ID_TOKEN_LIFETIME
    assert before - 1 <= claims["auth_time"] <= claims["iat"] <= int(time.time()) + 1


def test_token_response_is_not_cacheable(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge))

    response = _token(idp_http, idp_server, code, verifier)

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_userinfo_returns_the_claims_with_the_agency(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    tokens = _sign_in(idp_server, idp_http, idp_browsers())
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    by_get = idp_http.get(f"{idp_server.url}/userinfo", headers=bearer, timeout=10)
    by_post = idp_http.post(f"{idp_server.url}/userinfo", headers=bearer, timeout=10)

    expected = {
        "sub": WORKER.subject,
        "hamkke_agency": WORKER.agency_code,
        "name": WORKER.name,
        "email": WORKER.email,
        "email_verified": True,
    }
    assert (by_get.status_code, by_get.json()) == (200, expected)
    assert (by_post.status_code, by_post.json()) == (200, expected)


def test_userinfo_scope_limits_the_claims(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    tokens = _sign_in(idp_server, idp_http, idp_browsers(), scope="openid")

    info = idp_http.get(
        f"{idp_server.url}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()

    assert info == {"sub": WORKER.subject, "hamkke_agency": WORKER.agency_code}


def test_userinfo_refuses_missing_and_unknown_tokens(
    idp_server: IdpServer, idp_http: requests.Session
) -> None:
    missing = idp_http.get(f"{idp_server.url}/userinfo", timeout=10)
    unknown = idp_http.get(
        f"{idp_server.url}/userinfo", headers={"Authorization": "Bearer not-a-token"}, timeout=10
    )

    assert missing.status_code == 401
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_token"
    assert unknown.headers["WWW-Authenticate"].startswith("Bearer")


def test_client_secret_post_is_accepted(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge))

    response = idp_http.post(
        f"{idp_server.url}/token",
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "rp",
            "client_secret": "rp-secret",
        },
    )

    assert response.status_code == 200, response.text
    assert response.json()["id_token"].count(".") == 2


@pytest.mark.parametrize(
    "credentials",
    [("rp", "wrong-secret"), ("nobody", "rp-secret"), ("rp", "비밀번호"), ("other-rp", "other-secret")],
)
def test_token_endpoint_refuses_bad_or_foreign_clients(
    idp_server: IdpServer,
    idp_http: requests.Session,
    idp_browsers: Callable[[], requests.Session],
    credentials: tuple[str, str],
) -> None:
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge))

    # requests encodes a non-ASCII password as Latin-1; send the header ourselves in UTF-8.
    basic = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    response = idp_http.post(
        f"{idp_server.url}/token",
        headers={"Authorization": f"Basic {basic}"},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        timeout=10,
    )

    if credentials[0] == "other-rp":
        # A real client, but the code was issued to another one: refused, and the code is spent.
        assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
        assert _token(idp_http, idp_server, code, verifier).status_code == 400
    else:
        # Refused before the code is looked at: its own client can still redeem it.
        assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
        assert _token(idp_http, idp_server, code, verifier).status_code == 200


def test_unsupported_grant_type_is_refused(idp_server: IdpServer, idp_http: requests.Session) -> None:
    response = idp_http.post(
        f"{idp_server.url}/token", auth=("rp", "rp-secret"), data={"grant_type": "password"}, timeout=10
    )

    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


def test_replayed_code_is_refused_and_revokes_its_tokens(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge))
    first = _token(idp_http, idp_server, code, verifier)
    assert first.status_code == 200
    bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert idp_http.get(f"{idp_server.url}/userinfo", headers=bearer, timeout=10).status_code == 200

    second = _token(idp_http, idp_server, code, verifier)

    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    assert idp_http.get(f"{idp_server.url}/userinfo", headers=bearer, timeout=10).status_code == 401


def test_concurrent_redemptions_of_one_code_give_one_token(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge))
    sessions = [idp_browsers() for _ in range(8)]
    barrier = threading.Barrier(len(sessions))
    statuses: list[int] = []

    def redeem(http: requests.Session) -> None:
        barrier.wait()
        statuses.append(_token(http, idp_server, code, verifier).status_code)

    threads = [threading.Thread(target=redeem, args=(http,)) for http in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [400] * 7


def test_concurrent_sign_ins_all_succeed(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    pairs = [(idp_browsers(), idp_browsers()) for _ in range(6)]
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def sign_in(http: requests.Session, browser: requests.Session) -> None:
        try:
            results.append(_sign_in(idp_server, http, browser))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=sign_in, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len({tokens["access_token"] for tokens in results}) == len(pairs)
    verifier_http = idp_browsers()
    for tokens in results:
        _verify(verifier_http, idp_server, tokens["id_token"], tokens["_nonce"])


def test_code_expires_after_a_minute(
    idp_fresh_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    verifier, challenge = _pkce()
    code = _code_from(_authorize(idp_fresh_server, idp_browsers(), challenge=challenge))

    _shift_clock(idp_fresh_server, CODE_LIFETIME + 1)
    response = _token(idp_http, idp_fresh_server, code, verifier)

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_access_token_expires_after_ten_minutes(
    idp_fresh_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    tokens = _sign_in(idp_fresh_server, idp_http, idp_browsers())
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    _shift_clock(idp_fresh_server, ACCESS_TOKEN_LIFETIME - 5)
    assert idp_http.get(f"{idp_fresh_server.url}/userinfo", headers=bearer, timeout=10).status_code == 200
    _shift_clock(idp_fresh_server, ACCESS_TOKEN_LIFETIME + 1)
    assert idp_http.get(f"{idp_fresh_server.url}/userinfo", headers=bearer, timeout=10).status_code == 401


# -- PKCE and the authorization request's refusals ------------------------------------------------


def test_wrong_or_missing_verifier_is_refused(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()
    wrong = _token(
        idp_http,
        idp_server,
        _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge)),
        secrets.token_urlsafe(48),
    )
    missing = _token(
        idp_http, idp_server, _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge)), None
    )

    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    "pkce",
    [
        {},
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "x" * 43},  # no method means plain
        {"code_challenge_method": "S256"},
    ],
    ids=["missing", "plain", "no-method", "no-challenge"],
)
def test_authorization_without_s256_pkce_is_refused(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session], pkce: dict[str, str]
) -> None:
    response = idp_browsers().get(
        f"{idp_server.url}/authorize",
        params=_authorize_params(None, **pkce),
        allow_redirects=False,
        timeout=10,
    )

    query = _redirect_query(response)
    assert query["error"] == "invalid_request"
    assert query["state"] == "st-1"
    assert "code" not in query


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": "https://evil.example/cb"},
        {"redirect_uri": REDIRECT + "/extra"},
        {"redirect_uri": ""},
        {"client_id": "nobody"},
        {"client_id": ""},
        {"response_type": "token", "redirect_uri": "https://evil.example/cb"},
    ],
    ids=["foreign", "prefix-only", "missing", "unknown-client", "no-client", "bad-type-and-uri"],
)
def test_bad_client_or_redirect_uri_shows_an_error_page_and_never_redirects(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session], params: dict[str, str]
) -> None:
    _, challenge = _pkce()

    response = idp_browsers().get(
        f"{idp_server.url}/authorize",
        params=_authorize_params(challenge, **params),
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code in (400, 401)
    assert "Location" not in response.headers
    assert 'lang="ko"' in response.text
    assert "요청을 처리할 수 없습니다" in response.text


def test_unknown_response_type_is_reported_to_a_registered_redirect_uri(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()

    response = idp_browsers().get(
        f"{idp_server.url}/authorize",
        params=_authorize_params(challenge, response_type="token"),
        allow_redirects=False,
        timeout=10,
    )

    query = _redirect_query(response)
    assert query["error"] == "unsupported_response_type"
    assert query["state"] == "st-1"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"scope": "profile email"}, "invalid_scope"),
        ({"response_mode": "form_post"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"max_age": "²"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"code_challenge": "not a challenge!"}, "invalid_request"),
    ],
    ids=["no-openid", "form-post", "bad-max-age", "superscript-max-age", "bad-prompt", "bad-challenge"],
)
def test_unsupported_authorization_parameters_are_reported_to_the_client(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session], params: dict[str, str], error: str
) -> None:
    _, challenge = _pkce()

    response = idp_browsers().get(
        f"{idp_server.url}/authorize",
        params=_authorize_params(challenge, **params),
        allow_redirects=False,
        timeout=10,
    )

    query = _redirect_query(response)
    assert (query["error"], query["state"]) == (error, "st-1")


@pytest.mark.parametrize(
    ("method", "path", "params", "data", "headers"),
    [
        ("GET", "/authorize", {}, None, {}),
        (
            "GET",
            "/authorize",
            [("client_id", "rp"), ("client_id", "rp"), ("response_type", "code")],
            None,
            {},
        ),
        ("POST", "/authorize", {}, {"csrf": "위조"}, {}),
        ("POST", "/token", {}, {}, {}),
        ("POST", "/token", {}, {"grant_type": "authorization_code"}, {"Authorization": "Basic !!!"}),
        ("POST", "/token", {}, {"grant_type": "authorization_code"}, {"Authorization": "Basic cnA="}),
        (
            "POST",
            "/token",
            {},
            {"grant_type": "authorization_code", "code": "x", "code_verifier": "ü" * 50},
            {"Authorization": "Basic cnA6cnAtc2VjcmV0"},
        ),
        ("GET", "/userinfo", {}, None, {"Authorization": "Bearer"}),
        (
            "POST",
            "/userinfo",
            {},
            "{not json",
            {"Authorization": "Bearer x", "Content-Type": "application/json"},
        ),
        ("GET", "/end-session", {"id_token_hint": "ü"}, None, {}),
        ("POST", "/end-session", {}, {"csrf": "위조"}, {}),
        ("POST", "/_test/misbehave", {}, "{not json", {"Content-Type": "application/json"}),
    ],
)
def test_odd_requests_never_cause_a_server_error(
    idp_server: IdpServer,
    idp_http: requests.Session,
    method: str,
    path: str,
    params: Any,
    data: Any,
    headers: dict[str, str],
) -> None:
    response = idp_http.request(
        method,
        f"{idp_server.url}{path}",
        params=params,
        data=data,
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )

    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert "Location" not in response.headers


def test_reused_nonce_of_a_pending_code_is_refused(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()
    _code_from(_authorize(idp_server, idp_browsers(), challenge=challenge, params={"nonce": "same-nonce"}))

    replay = _authorize(idp_server, idp_browsers(), challenge=challenge, params={"nonce": "same-nonce"})

    assert _redirect_query(replay)["error"] == "invalid_request"


# -- the sign-in page -------------------------------------------------------------------------------


def test_sign_in_page_is_korean_accessible_and_lists_the_demo_accounts(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()

    page = idp_browsers().get(f"{idp_server.url}/authorize", params=_authorize_params(challenge), timeout=10)

    text = page.text
    assert page.status_code == 200
    assert '<html lang="ko">' in text
    assert "<title>함께 개발용 로그인 (개발 전용)</title>" in text
    assert "<main" in text
    assert "개발 전용" in text.split("<main", 1)[0]  # the banner, before the content
    for account in DEMO_ACCOUNTS:
        assert f'name="subject" value="{account.subject}"' in text
        for shown in (account.name, account.description, account.email):
            assert html.escape(shown) in text
    for field in ("email", "password"):
        assert f'<label for="{field}">' in text
        assert f'id="{field}" name="{field}"' in text
    assert not re.search(r'(?:src|href)="https?:', text), "the page must not fetch anything from elsewhere"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_email_and_demo_password_sign_in(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    verifier, challenge = _pkce()
    account = DEMO_ACCOUNTS[0]

    response = _authorize(
        idp_server,
        idp_browsers(),
        challenge=challenge,
        form={"email": account.email.upper(), "password": DEMO_PASSWORD},
    )

    tokens = _token(idp_http, idp_server, _code_from(response), verifier).json()
    assert jwt.decode(tokens["id_token"], _keyset(idp_http, idp_server)).claims["sub"] == (account.subject)


@pytest.mark.parametrize(
    "form",
    [
        {"email": DEMO_ACCOUNTS[0].email, "password": "wrong"},
        {"email": "nobody@hanbit.go.kr", "password": DEMO_PASSWORD},
        {"email": DEMO_ACCOUNTS[0].email, "password": "비밀번호"},
        {"subject": "nobody"},
    ],
    ids=["wrong-password", "unknown-email", "korean-password", "unknown-subject"],
)
def test_wrong_credentials_show_the_page_again(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session], form: dict[str, str]
) -> None:
    _, challenge = _pkce()

    response = _authorize(idp_server, idp_browsers(), challenge=challenge, form=form)

    assert response.status_code == 401
    assert "Location" not in response.headers
    assert "전자우편 또는 비밀번호가 맞지 않습니다" in response.text


@pytest.mark.parametrize("token", ["forged", "위조", None])
def test_sign_in_form_needs_the_providers_csrf_token(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session], token: str | None
) -> None:
    browser = idp_browsers()
    _, challenge = _pkce()
    url = f"{idp_server.url}/authorize?{urlencode(_authorize_params(challenge))}"
    assert browser.get(url, timeout=10).status_code == 200  # the session now has a real token

    data = {"subject": WORKER.subject, **({"csrf": token} if token is not None else {})}
    response = browser.post(url, data=data, allow_redirects=False, timeout=10)

    assert "Location" not in response.headers
    # Without the field at all, the POST is an authorization request and gets the sign-in page.
    assert response.status_code == (400 if token is not None else 200)
    assert "code=" not in response.text


def test_cancel_returns_access_denied(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()

    response = _authorize(idp_server, idp_browsers(), challenge=challenge, form={"action": "deny"})

    query = _redirect_query(response)
    assert (query["error"], query["state"]) == ("access_denied", "st-1")


def test_signed_in_user_continues_with_one_click(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    browser = idp_browsers()
    _sign_in(idp_server, idp_http, browser)
    verifier, challenge = _pkce()
    page = browser.get(f"{idp_server.url}/authorize", params=_authorize_params(challenge), timeout=10)
    assert "이미 로그인됨" in page.text
    assert WORKER.name in page.text.split('id="demo-title"', 1)[0]

    response = browser.post(
        page.url, data={"csrf": _csrf(page), "action": "continue"}, allow_redirects=False, timeout=10
    )

    tokens = _token(idp_http, idp_server, _code_from(response), verifier).json()
    assert jwt.decode(tokens["id_token"], _keyset(idp_http, idp_server)).claims["sub"] == (WORKER.subject)


def test_continue_without_a_provider_session_signs_nobody_in(
    idp_server: IdpServer, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()

    response = _authorize(idp_server, idp_browsers(), challenge=challenge, form={"action": "continue"})

    assert response.status_code == 401
    assert "Location" not in response.headers


def test_prompt_none_and_prompt_login(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    _, challenge = _pkce()
    stranger = idp_browsers().get(
        f"{idp_server.url}/authorize",
        params=_authorize_params(challenge, prompt="none"),
        allow_redirects=False,
        timeout=10,
    )
    assert _redirect_query(stranger)["error"] == "login_required"

    browser = idp_browsers()
    _sign_in(idp_server, idp_http, browser)
    silent = browser.get(
        f"{idp_server.url}/authorize",
        params=_authorize_params(challenge, prompt="none"),
        allow_redirects=False,
        timeout=10,
    )
    assert _code_from(silent)

    forced = browser.get(
        f"{idp_server.url}/authorize", params=_authorize_params(challenge, prompt="login"), timeout=10
    )
    assert forced.status_code == 200
    assert "이미 로그인됨" not in forced.text


def test_max_age_asks_for_a_fresh_sign_in(
    idp_fresh_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    browser = idp_browsers()
    _sign_in(idp_fresh_server, idp_http, browser)
    _, challenge = _pkce()
    _shift_clock(idp_fresh_server, 120)

    recent_enough = browser.get(
        f"{idp_fresh_server.url}/authorize", params=_authorize_params(challenge, max_age="600"), timeout=10
    )
    too_old = browser.get(
        f"{idp_fresh_server.url}/authorize", params=_authorize_params(challenge, max_age="60"), timeout=10
    )

    assert "이미 로그인됨" in recent_enough.text
    assert too_old.status_code == 200
    assert "이미 로그인됨" not in too_old.text


# -- keys -------------------------------------------------------------------------------------------


def test_rotation_on_demand_keeps_the_old_key_until_its_tokens_expire(
    idp_fresh_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    idp = idp_fresh_server
    old_tokens = _sign_in(idp, idp_http, idp_browsers())
    old_kid = jwt.decode(old_tokens["id_token"], _keyset(idp_http, idp)).header["kid"]

    new_kid = rotate_keys(idp.app)
    new_tokens = _sign_in(idp, idp_http, idp_browsers())

    assert new_kid != old_kid
    assert _verify(idp_http, idp, new_tokens["id_token"], new_tokens["_nonce"])["header"]["kid"] == new_kid
    assert _verify(idp_http, idp, old_tokens["id_token"], old_tokens["_nonce"])["header"]["kid"] == old_kid
    _shift_clock(idp, ID_TOKEN_LIFETIME + CLOCK_LEEWAY_SECONDS - 5)
    assert {old_kid, new_kid} <= {key["kid"] for key in _jwks(idp_http, idp)["keys"]}
    _shift_clock(idp, ID_TOKEN_LIFETIME + CLOCK_LEEWAY_SECONDS + 5)
    assert {key["kid"] for key in _jwks(idp_http, idp)["keys"]} == {new_kid}


def test_keys_rotate_after_the_rotation_period(
    idp_browsers: Callable[[], requests.Session], idp_http: requests.Session
) -> None:
    with IdpServer(_settings(key_rotation_seconds=3600)) as idp:
        first = _sign_in(idp, idp_http, idp_browsers())
        _shift_clock(idp, 3599)
        same = _sign_in(idp, idp_http, idp_browsers())
        _shift_clock(idp, 3601)
        rotated = _sign_in(idp, idp_http, idp_browsers())

        kids = [
            jwt.decode(t["id_token"], _keyset(idp_http, idp)).header["kid"] for t in (first, same, rotated)
        ]
        assert kids[0] == kids[1] != kids[2]
        assert set(kids) <= {key["kid"] for key in _jwks(idp_http, idp)["keys"]}


# -- test misbehaviours -----------------------------------------------------------------------------

_EXPECTED_FAILURE: dict[str, tuple[type[JoseError], str | None]] = {
    "bad_signature": (BadSignatureError, None),
    "wrong_issuer": (InvalidClaimError, "iss"),
    "wrong_audience": (InvalidClaimError, "aud"),
    "expired": (ExpiredTokenError, None),
    "wrong_nonce": (InvalidClaimError, "nonce"),
    "none_alg": (UnsupportedAlgorithmError, None),
}


def test_every_misbehaviour_mode_is_covered() -> None:
    assert set(_EXPECTED_FAILURE) == MISBEHAVIOUR_MODES


@pytest.mark.parametrize("mode", sorted(_EXPECTED_FAILURE))
def test_each_misbehaviour_fails_its_own_check_once(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session], mode: str
) -> None:
    assert (
        idp_http.post(f"{idp_server.url}/_test/misbehave", json={"mode": mode}, timeout=10).status_code == 200
    )
    bad = _sign_in(idp_server, idp_http, idp_browsers())
    error_type, claim = _EXPECTED_FAILURE[mode]

    with pytest.raises(error_type) as refused:
        _verify(idp_http, idp_server, bad["id_token"], bad["_nonce"])

    if claim is not None:
        assert getattr(refused.value, "claim", None) == claim
    # The mode was for one token only.
    good = _sign_in(idp_server, idp_http, idp_browsers())
    _verify(idp_http, idp_server, good["id_token"], good["_nonce"])


def test_bad_signature_carries_a_published_kid(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    idp_http.post(f"{idp_server.url}/_test/misbehave", json={"mode": "bad_signature"}, timeout=10)
    bad = _sign_in(idp_server, idp_http, idp_browsers())

    header = json.loads(base64.urlsafe_b64decode(bad["id_token"].split(".")[0] + "=="))

    assert header["alg"] == "RS256"
    assert header["kid"] in {key["kid"] for key in _jwks(idp_http, idp_server)["keys"]}


@pytest.mark.parametrize(("mode", "expected"), [("omit_email_verified", None), ("unverified_email", False)])
def test_claim_modes_change_email_verified_in_a_valid_token_once(
    idp_server: IdpServer,
    idp_http: requests.Session,
    idp_browsers: Callable[[], requests.Session],
    mode: str,
    expected: bool | None,
) -> None:
    assert (
        idp_http.post(f"{idp_server.url}/_test/misbehave", json={"mode": mode}, timeout=10).status_code == 200
    )
    odd = _sign_in(idp_server, idp_http, idp_browsers())

    claims = _verify(idp_http, idp_server, odd["id_token"], odd["_nonce"])

    assert claims.get("email_verified") is expected
    assert claims["email"] == WORKER.email
    good = _sign_in(idp_server, idp_http, idp_browsers())
    assert _verify(idp_http, idp_server, good["id_token"], good["_nonce"])["email_verified"] is True


def test_misbehave_refuses_unknown_modes(idp_server: IdpServer, idp_http: requests.Session) -> None:
    for body in ({"mode": "chaos"}, {}, ["expired"]):
        assert idp_http.post(f"{idp_server.url}/_test/misbehave", json=body, timeout=10).status_code == 400
    assert _state(idp_server).misbehaviour is None


def test_misbehave_endpoint_does_not_exist_outside_tests() -> None:
    app = create_idp_app(IdpSettings(issuer="http://127.0.0.1:9", clients=(CLIENT,)))

    assert app.test_client().post("/_test/misbehave", json={"mode": "expired"}).status_code == 404


# -- logout -----------------------------------------------------------------------------------------


def _signed_in_browser(
    idp: IdpServer, http: requests.Session, browsers: Callable[[], requests.Session]
) -> tuple[requests.Session, str]:
    browser = browsers()
    return browser, _sign_in(idp, http, browser)["id_token"]


def _has_provider_session(idp: IdpServer, browser: requests.Session) -> bool:
    _, challenge = _pkce()
    page = browser.get(f"{idp.url}/authorize", params=_authorize_params(challenge), timeout=10)
    assert page.status_code == 200
    return "이미 로그인됨" in page.text


def test_end_session_with_hint_clears_the_session_and_returns_with_state(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    browser, id_token = _signed_in_browser(idp_server, idp_http, idp_browsers)
    assert _has_provider_session(idp_server, browser)

    response = browser.get(
        f"{idp_server.url}/end-session",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": LOGGED_OUT, "state": "bye"},
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"{LOGGED_OUT}?state=bye"
    assert not _has_provider_session(idp_server, browser)


def test_end_session_as_the_main_app_sends_it(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    browser, id_token = _signed_in_browser(idp_server, idp_http, idp_browsers)

    response = browser.get(
        f"{idp_server.url}/end-session",
        params={"post_logout_redirect_uri": LOGGED_OUT, "client_id": "rp", "id_token_hint": id_token},
        allow_redirects=False,
        timeout=10,
    )

    assert (response.status_code, response.headers["Location"]) == (302, LOGGED_OUT)


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": "https://evil.example/"},
        {"post_logout_redirect_uri": "http://127.0.0.1:9/other-out"},  # another client's
        {"post_logout_redirect_uri": LOGGED_OUT, "client_id": "other-rp"},  # not the hint's audience
        {"post_logout_redirect_uri": LOGGED_OUT, "id_token_hint": "not.a.token"},
    ],
    ids=["foreign", "other-clients", "client-mismatch", "garbage-hint"],
)
def test_end_session_never_redirects_to_an_unregistered_uri(
    idp_server: IdpServer,
    idp_http: requests.Session,
    idp_browsers: Callable[[], requests.Session],
    params: dict[str, str],
) -> None:
    browser, id_token = _signed_in_browser(idp_server, idp_http, idp_browsers)

    response = browser.get(
        f"{idp_server.url}/end-session",
        params={"id_token_hint": id_token, **params},
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert _has_provider_session(idp_server, browser)


def test_end_session_without_hint_asks_the_user_first(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    browser, _ = _signed_in_browser(idp_server, idp_http, idp_browsers)
    params = {"client_id": "rp", "post_logout_redirect_uri": LOGGED_OUT, "state": "s"}

    page = browser.get(f"{idp_server.url}/end-session", params=params, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    assert "로그아웃할까요" in page.text
    assert _has_provider_session(idp_server, browser)
    forged = browser.post(
        f"{idp_server.url}/end-session", data={**params, "csrf": "forged"}, allow_redirects=False, timeout=10
    )
    assert forged.status_code == 200
    assert _has_provider_session(idp_server, browser)

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    confirmed = browser.post(f"{idp_server.url}/end-session", data=fields, allow_redirects=False, timeout=10)

    assert (confirmed.status_code, confirmed.headers["Location"]) == (302, f"{LOGGED_OUT}?state=s")
    assert not _has_provider_session(idp_server, browser)


def test_end_session_accepts_a_hint_signed_by_a_retired_key(
    idp_fresh_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    browser, id_token = _signed_in_browser(idp_fresh_server, idp_http, idp_browsers)
    old_kid = jwt.decode(id_token, _keyset(idp_http, idp_fresh_server)).header["kid"]
    rotate_keys(idp_fresh_server.app)
    _shift_clock(idp_fresh_server, 3 * 3600)
    assert old_kid not in {key["kid"] for key in _jwks(idp_http, idp_fresh_server)["keys"]}

    response = browser.get(
        f"{idp_fresh_server.url}/end-session",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": LOGGED_OUT},
        allow_redirects=False,
        timeout=10,
    )

    assert (response.status_code, response.headers["Location"]) == (302, LOGGED_OUT)


def test_end_session_without_redirect_shows_the_signed_out_page(
    idp_server: IdpServer, idp_http: requests.Session, idp_browsers: Callable[[], requests.Session]
) -> None:
    browser, id_token = _signed_in_browser(idp_server, idp_http, idp_browsers)

    response = browser.get(f"{idp_server.url}/end-session", params={"id_token_hint": id_token}, timeout=10)

    assert response.status_code == 200
    assert "로그아웃되었습니다" in response.text
    assert not _has_provider_session(idp_server, browser)


# -- serving, command line, production refusal ---------------------------------------------------


def test_stop_frees_the_port() -> None:
    server = IdpServer(_settings()).start()
    port = server.port
    with requests.Session() as http:
        http.trust_env = False
        assert http.get(f"{server.url}/jwks", timeout=10).status_code == 200

    server.stop()

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_command_line_options_and_environment() -> None:
    env = {
        "HAMKKE_DEVIDP_CLIENT_ID": "from-env",
        "HAMKKE_DEVIDP_REDIRECT_URI": "http://127.0.0.1:5000/a http://127.0.0.1:5000/b",
        "HAMKKE_DEVIDP_PORT": "5099",
    }

    args, from_env = settings_from([], env)
    _, from_argv = settings_from(
        ["--client-id", "cli", "--redirect-uri", "http://x.test/cb", "--redirect-uri", "http://y.test/cb"],
        env,
    )

    assert args.port == 5099
    assert from_env.clients[0].client_id == "from-env"
    assert from_env.clients[0].redirect_uris == ("http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b")
    assert from_argv.clients[0].client_id == "cli"
    assert from_argv.clients[0].redirect_uris == ("http://x.test/cb", "http://y.test/cb")
    assert from_argv.clients[0].post_logout_redirect_uris == ("http://127.0.0.1:5000/",)


def test_refuses_production(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HAMKKE_ENV", "production")

    with pytest.raises(RuntimeError, match="production"):
        create_idp_app(IdpSettings(issuer="http://127.0.0.1:9", clients=(CLIENT,)))
    with pytest.raises(RuntimeError, match="운영 모드"):
        IdpServer(_settings())
    assert main(["--port", "0"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "운영 모드" in lines[0]
    assert "production" in lines[0]


def test_module_entry_point_refuses_production() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "devidp", "--port", "0"],
        env={"HAMKKE_ENV": "production", "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "production" in result.stderr


def test_provider_stands_alone() -> None:
    """The provider must run without the main app: it imports none of its packages."""
    script = (
        "import sys, devidp.app, devidp.server, devidp.__main__\n"
        "app_packages = {'hamkke', 'agencies', 'cases', 'consents', 'conference', 'referrals',"
        " 'notifications', 'dashboards', 'home', 'demo', 'worker'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in app_packages))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "[]"
