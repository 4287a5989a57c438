"""The development OpenID Connect provider: authorization code + PKCE (S256), tokens, userinfo, logout.

Built on Authlib's server classes (authorization server, code grant, OpenID Connect code extension,
PKCE, userinfo and RP-initiated logout endpoints) with in-memory clients, codes and tokens. It
serves the demo accounts of 한빛구 for ``make run`` and is the real identity provider of the test
suite. It refuses to exist in production mode.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.errors import LoginRequiredError
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from flask import Flask, Response, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue
from jinja2 import FileSystemLoader
from joserfc import jwt
from joserfc.jwk import KeySet

from devidp.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoAccount
from devidp.keys import KeyRing
from devidp.metadata import discovery_document, with_issuer

#: seconds an ID token is valid
ID_TOKEN_LIFETIME = 300
#: seconds an access token is valid
ACCESS_TOKEN_LIFETIME = 600
#: seconds an authorization code is valid
CODE_LIFETIME = 60
SCOPES = ("openid", "profile", "email")
MISBEHAVIOUR_MODES = frozenset(
    {
        "bad_signature",
        "wrong_issuer",
        "wrong_audience",
        "expired",
        "wrong_nonce",
        "none_alg",
    }
)
#: test modes that keep the token valid but change what it says, as enterprise directories do:
#: no ``email_verified`` claim at all, or an explicit ``false``
CLAIM_MODES = frozenset({"omit_email_verified", "unverified_email"})
#: printed as one line by ``python -m devidp`` and raised by ``create_idp_app``
PRODUCTION_REFUSAL = (
    "개발용 인증 서버는 운영 모드(HAMKKE_ENV=production)에서 실행할 수 없습니다"
    " / the development OIDC provider refuses to run in production mode"
)
#: fields of the provider's own sign-in forms, as opposed to the client's authorization parameters
_FORM_FIELDS = frozenset({"csrf", "subject", "action", "email", "password"})


def is_production(environ: Mapping[str, str] | None = None) -> bool:
    """Tell whether ``HAMKKE_ENV`` says production (the provider must then refuse to run)."""
    env = os.environ if environ is None else environ
    return env.get("HAMKKE_ENV", "").strip().lower() == "production"


def _same_secret(given: str | None, expected: str | None) -> bool:
    # compare_digest on str raises TypeError for non-ASCII input; bytes never do, so a client
    # sending Korean text as a secret gets a refusal rather than a server error.
    if not given or not expected:
        return False
    return secrets.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class IdpClient(ClientMixin):
    """A relying party registered with the provider (a confidential client)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = SCOPES

    @property
    def client_metadata(self) -> dict[str, Any]:
        """Return the registered metadata Authlib's endpoints read (RFC 7591 names)."""
        return {
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "scope": " ".join(self.scopes),
            "token_endpoint_auth_method": "client_secret_basic",
        }

    def get_client_id(self) -> str:
        """Return the client id."""
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        """Return the first registered redirect URI."""
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        """Keep only the scopes this client may ask for (OIDC: unknown scopes are ignored)."""
        return " ".join(s for s in (scope or "").split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Accept only an exact match of a registered redirect URI."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare the secret in constant time."""
        return _same_secret(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Confidential clients authenticate with HTTP Basic or form fields."""
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        """Only the authorization code flow."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Only the authorization code grant."""
        return grant_type == "authorization_code"


@dataclass(frozen=True)
class IdpSettings:
    """How one provider instance is set up."""

    issuer: str
    clients: tuple[IdpClient, ...]
    accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS
    key_rotation_seconds: float = 24 * 3600
    #: enables ``POST /_test/misbehave``; never on outside the test suite
    testing: bool = False
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)


@dataclass
class AuthorizationCode:
    """An issued code, single use, with the PKCE challenge and the nonce to put into the ID token."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    subject: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: int
    expires_at: float

    def get_redirect_uri(self) -> str:
        """Return the redirect URI the code was issued for."""
        return self.redirect_uri

    def get_scope(self) -> str:
        """Return the granted scope."""
        return self.scope

    def get_nonce(self) -> str | None:
        """Return the client's nonce."""
        return self.nonce

    def get_auth_time(self) -> int:
        """Return when the user authenticated."""
        return self.auth_time

    def get_acr(self) -> None:
        """No authentication context class."""
        return None

    def get_amr(self) -> None:
        """No authentication methods reference."""
        return None


@dataclass
class IssuedToken(TokenMixin):
    """An opaque access token and what it may read."""

    client: IdpClient
    account: DemoAccount
    scope: str
    issued_at: float
    expires_at: float
    #: the code it came from, so a replayed code can revoke it
    code: str
    clock: Callable[[], float] = field(repr=False, compare=False)

    def check_client(self, client: ClientMixin) -> bool:
        """Tell whether the token was issued to ``client``."""
        return bool(client.get_client_id() == self.client.client_id)

    def get_scope(self) -> str:
        """Return the granted scope."""
        return self.scope

    def get_expires_in(self) -> int:
        """Return the lifetime in seconds."""
        return int(self.expires_at - self.issued_at)

    def is_expired(self) -> bool:
        """Tell whether the token has expired."""
        return self.clock() >= self.expires_at

    def is_revoked(self) -> bool:
        """Revoked tokens are deleted, so a token that is found is not revoked."""
        return False

    def get_user(self) -> DemoAccount:
        """Return the demo person the token speaks for."""
        return self.account

    def get_client(self) -> IdpClient:
        """Return the client the token was issued to."""
        return self.client


@dataclass
class CodeUse:
    """A code that was redeemed: kept so that a second redemption is recognised as a replay."""

    expires_at: float
    replayed: bool = False


class IdpState:
    """Everything the provider remembers, behind one lock (the server is threaded)."""

    def __init__(self, settings: IdpSettings) -> None:
        self.lock = threading.Lock()
        #: the provider's notion of now; tests move it forward to expire codes, tokens and keys
        self.clock: Callable[[], float] = time.time
        self.issuer = settings.issuer.rstrip("/")
        self.clients = {client.client_id: client for client in settings.clients}
        self.accounts = {account.subject: account for account in settings.accounts}
        self.codes: dict[str, AuthorizationCode] = {}
        self.code_uses: dict[str, CodeUse] = {}
        self.tokens: dict[str, IssuedToken] = {}
        #: the test misbehaviour the next ID token gets, if any (see ``MISBEHAVIOUR_MODES``)
        self.misbehaviour: str | None = None
        self.keys = KeyRing(
            rotation_seconds=settings.key_rotation_seconds,
            token_lifetime_seconds=ID_TOKEN_LIFETIME,
            clock=lambda: self.clock(),
        )

    def now(self) -> float:
        """Return the current time as the provider sees it."""
        return self.clock()

    def account_by_email(self, email: str) -> DemoAccount | None:
        """Find a demo account by e-mail address."""
        wanted = email.strip().lower()
        return next((a for a in self.accounts.values() if a.email.lower() == wanted), None)

    def take_misbehaviour(self) -> str | None:
        """Return the pending test misbehaviour once, then forget it."""
        with self.lock:
            mode, self.misbehaviour = self.misbehaviour, None
            return mode

    def save_code(self, code: AuthorizationCode) -> None:
        """Remember a new code, dropping codes that expired unused."""
        with self.lock:
            now = self.now()
            for value in [v for v, c in self.codes.items() if c.expires_at <= now]:
                del self.codes[value]
            self.codes[code.code] = code

    def redeem_code(self, value: str, client_id: str) -> AuthorizationCode | None:
        """Take a code out of circulation and return it, or None if it is unknown, expired or reused.

        Taking and marking happen under one lock, so two concurrent redemptions cannot both
        succeed. A second redemption revokes every access token issued from the code
        (RFC 6749 §4.1.2), including one whose issuance is still in flight (see ``save_token``).
        """
        with self.lock:
            now = self.now()
            use = self.code_uses.get(value)
            if use is not None:
                use.replayed = True
                for token in [t for t, issued in self.tokens.items() if issued.code == value]:
                    del self.tokens[token]
                return None
            code = self.codes.pop(value, None)
            if code is None:
                return None
            # Kept as long as a token issued from it may be valid: after that, revoking is moot.
            self.code_uses[value] = CodeUse(expires_at=now + CODE_LIFETIME + ACCESS_TOKEN_LIFETIME)
            if code.client_id != client_id or code.expires_at <= now:
                return None
            return code

    def save_token(self, access_token: str, issued: IssuedToken) -> None:
        """Remember an access token unless its code was replayed meanwhile; drop expired records."""
        with self.lock:
            now = self.now()
            for value in [v for v, t in self.tokens.items() if t.expires_at <= now]:
                del self.tokens[value]
            for value in [v for v, u in self.code_uses.items() if u.expires_at <= now]:
                del self.code_uses[value]
            use = self.code_uses.get(issued.code)
            if use is not None and use.replayed:
                return
            self.tokens[access_token] = issued

    def find_token(self, access_token: str) -> IssuedToken | None:
        """Return the access token's record if the provider issued it and has not revoked it."""
        with self.lock:
            return self.tokens.get(access_token)


class IdpAuthorizationServer(AuthorizationServer):
    """Authlib's Flask authorization server, carrying the provider's in-memory state for its grants."""

    def __init__(self, app: Flask, state: IdpState) -> None:
        self.state = state
        super().__init__(app, query_client=state.clients.get, save_token=self._save)

    def _save(self, token: dict[str, Any], req: Any) -> None:
        now = self.state.now()
        self.state.save_token(
            token["access_token"],
            IssuedToken(
                client=req.client,
                account=req.user,
                scope=token.get("scope", ""),
                issued_at=now,
                expires_at=now + int(token.get("expires_in", ACCESS_TOKEN_LIFETIME)),
                code=req.authorization_code.code,
                clock=self.state.now,
            ),
        )


class S256Only(CodeChallenge):
    """PKCE is mandatory here, and only with S256: a plain or missing challenge is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 -- Authlib reads the class attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """Require a challenge and the S256 method before Authlib's own checks."""
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        # Without a method, RFC 7636 means "plain", which this provider does not accept.
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class IdpCodeGrant(grants.AuthorizationCodeGrant):
    """The authorization code grant over the provider's in-memory codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    @staticmethod
    def validate_authorization_redirect_uri(req: Any, client: IdpClient) -> str:
        """Require ``redirect_uri`` (OpenID Connect Core 3.1.2.1) and an exact registered match."""
        if not req.payload.redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if not client.check_redirect_uri(req.payload.redirect_uri):
            raise InvalidRequestError("The 'redirect_uri' is not registered for this client.")
        return str(req.payload.redirect_uri)

    def save_authorization_code(self, code: str, req: Any) -> None:
        """Remember the code with its PKCE challenge, nonce and the user's sign-in time."""
        state: IdpState = self.server.state
        data = req.payload.data
        state.save_code(
            AuthorizationCode(
                code=code,
                client_id=req.client.client_id,
                redirect_uri=req.payload.redirect_uri,
                scope=req.scope if req.scope is not None else req.payload.scope,
                subject=req.user.subject,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                auth_time=int(session.get("auth_time", state.now())),
                expires_at=state.now() + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: IdpClient) -> AuthorizationCode | None:
        """Redeem the code: it is gone after this, whatever the rest of the request brings."""
        state: IdpState = self.server.state
        return state.redeem_code(code, client.client_id)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing left to do: ``query_authorization_code`` already took the code out."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> DemoAccount | None:
        """Return the demo person the code was issued for."""
        state: IdpState = self.server.state
        return state.accounts.get(authorization_code.subject)


class IdpOpenIDCode(OpenIDCode):
    """ID tokens signed with the key ring, with the test misbehaviours applied on request."""

    def __init__(self, state: IdpState) -> None:
        super().__init__(require_nonce=False)
        self.state = state

    def exists_nonce(self, nonce: str, req: Any) -> bool:
        """Refuse a nonce already used by a pending code of the same client (replay)."""
        with self.state.lock:
            return any(
                c.nonce == nonce and c.client_id == req.payload.client_id for c in self.state.codes.values()
            )

    def generate_user_info(self, user: DemoAccount, scope: str) -> UserInfo:
        """Claims about the signed-in demo person."""
        return user_claims(user, scope)

    def encode_id_token(self, token: dict[str, Any], req: Any) -> str:
        """Sign the ID token (RS256, current kid), unless a test asked for a broken one."""
        now = int(self.state.now())
        code: AuthorizationCode = req.authorization_code
        claims: dict[str, Any] = {
            "iss": self.state.issuer,
            "sub": req.user.subject,
            "aud": req.client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME,
            "auth_time": code.auth_time,
            "at_hash": create_half_hash(token["access_token"], "RS256").decode("ascii"),
            **dict(user_claims(req.user, token["scope"])),
        }
        if code.nonce:
            claims["nonce"] = code.nonce
        signing = self.state.keys.current()
        key = signing.key
        header = {"alg": "RS256", "typ": "JWT", "kid": signing.kid}
        mode = self.state.take_misbehaviour()
        if mode == "bad_signature":
            key = KeyRing.stranger().key  # the published kid, but a key nobody published
        elif mode == "wrong_issuer":
            claims["iss"] = self.state.issuer + "/someone-else"
        elif mode == "wrong_audience":
            claims["aud"] = "someone-else"
        elif mode == "expired":
            claims["iat"], claims["exp"] = now - 2 * ID_TOKEN_LIFETIME, now - ID_TOKEN_LIFETIME
        elif mode == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif mode == "none_alg":
            return _unsigned(claims)
        elif mode == "omit_email_verified":
            claims.pop("email_verified", None)
        elif mode == "unverified_email":
            claims["email_verified"] = False
        return str(jwt.encode(header, claims, key, algorithms=["RS256"]))


def _unsigned(claims: dict[str, Any]) -> str:
    # joserfc will not produce an "alg": "none" token, which is the point of this test misbehaviour.
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


class IdpBearerTokenValidator(BearerTokenValidator):
    """Find the provider's opaque access tokens."""

    def __init__(self, state: IdpState) -> None:
        super().__init__()
        self.state = state

    def authenticate_token(self, token_string: str) -> IssuedToken | None:
        """Return the token's record, or None for an unknown or revoked token."""
        return self.state.find_token(token_string)


class IdpUserInfo(UserInfoEndpoint):
    """The userinfo endpoint: standard claims by scope plus ``hamkke_agency``."""

    def __init__(self, state: IdpState, resource_protector: ResourceProtector) -> None:
        super().__init__(resource_protector=resource_protector)
        self.state = state

    def generate_user_info(self, user: DemoAccount, scope: str) -> UserInfo:
        """Claims about the token's demo person."""
        return user_claims(user, scope)

    def get_issuer(self) -> str:
        """Return the issuer identifier."""
        return self.state.issuer


class IdpEndSession(EndSessionEndpoint):
    """RP-initiated logout: clear the provider session; redirect only to a registered URI."""

    def __init__(self, state: IdpState) -> None:
        super().__init__()
        self.state = state

    def get_server_jwks(self) -> KeySet:
        """Return every public key this process signed with that it remembers (hints may be old)."""
        return self.state.keys.verification_keys()

    def get_algorithms(self) -> list[str]:
        """Only RS256, the provider's only signing algorithm."""
        return ["RS256"]

    def is_post_logout_redirect_uri_legitimate(
        self, req: Any, post_logout_redirect_uri: str, client: IdpClient, logout_hint: str | None
    ) -> bool:
        """Without an ID token hint, only the user's own confirmation (our page's form) counts."""
        return request.method == "POST" and _csrf_ok()

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        """Forget who is signed in to the provider in this browser."""
        session.clear()


def _csrf_ok() -> bool:
    return _same_secret(request.form.get("csrf"), session.get("csrf"))


def _csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def user_claims(user: DemoAccount, scope: str) -> UserInfo:
    """Return the standard claims for ``scope`` plus ``hamkke_agency`` (the agency code)."""
    scopes = set((scope or "").split())
    info = UserInfo(sub=user.subject, hamkke_agency=user.agency_code)
    if "profile" in scopes:
        info["name"] = user.name
    if "email" in scopes:
        info["email"] = user.email
        info["email_verified"] = True
    return info


def create_idp_app(settings: IdpSettings) -> Flask:
    """Build the provider app; refuse in production mode."""
    if is_production():
        raise RuntimeError(PRODUCTION_REFUSAL)
    here = Path(__file__).parent
    app = Flask("devidp", root_path=str(here))
    # Its own loader, so the main app's templates of the same name can never be picked up.
    app.jinja_loader = FileSystemLoader(str(here / "templates"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Cookies are per host, not per port: a name of its own keeps it apart from the main
        # app's session cookie when both run on 127.0.0.1.
        SESSION_COOKIE_NAME="devidp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": ACCESS_TOKEN_LIFETIME},
    )
    state = IdpState(settings)
    app.extensions["devidp"] = state
    server = IdpAuthorizationServer(app, state)
    server.register_grant(IdpCodeGrant, [S256Only(required=True), IdpOpenIDCode(state)])
    protector = ResourceProtector()
    protector.register_token_validator(IdpBearerTokenValidator(state))
    server.register_endpoint(IdpUserInfo(state, protector))
    server.register_endpoint(IdpEndSession(state))
    _register_routes(app, server, state)
    if settings.testing:
        _register_test_routes(app, state)

    @app.after_request
    def security_headers(response: Response) -> Response:
        # Nothing here may be framed (one-click sign-in invites clickjacking) or cached.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def rotate_keys(app: Flask) -> str:
    """Make the provider sign with a new key now; return its kid."""
    state: IdpState = app.extensions["devidp"]
    return state.keys.rotate().kid


def _register_routes(app: Flask, server: IdpAuthorizationServer, state: IdpState) -> None:
    """Register the discovery, keys, authorization, token and userinfo routes, then logout."""

    @app.get("/.well-known/openid-configuration")
    def discovery() -> ResponseReturnValue:
        """Publish the provider's metadata."""
        return jsonify(discovery_document(state.issuer, SCOPES))

    @app.get("/jwks")
    def jwks() -> ResponseReturnValue:
        """Publish the public signing keys."""
        return jsonify(state.keys.jwks())

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> ResponseReturnValue:
        """Show the sign-in page; on a chosen account, issue a code to the client."""
        try:
            grant = server.get_consent_grant(
                end_user=state.accounts.get(session.get("subject", "")),
            )
            _check_openid_request(grant)
            signed_in = _reusable_session(state, grant)
            prompts = request.values.get("prompt", "").split()
            if "none" in prompts and signed_in is None:
                raise LoginRequiredError(redirect_uri=grant.redirect_uri, state=request.values.get("state"))
        except OAuth2Error as error:
            return _oauth_error(server, state, error)
        # An authorization request may itself be a POST (OIDC Core 3.1.2.1); only a POST carrying
        # the CSRF field comes from this provider's own sign-in page.
        if request.method == "GET" or "csrf" not in request.form:
            if "none" in prompts:
                return with_issuer(
                    server.create_authorization_response(grant_user=signed_in, grant=grant), state.issuer
                )
            return _sign_in_page(state, grant, signed_in)
        if not _csrf_ok():
            return _error_page("보안 토큰이 맞지 않습니다. 다시 시도해 주세요. / CSRF check failed.")
        if request.form.get("action") == "deny":
            return with_issuer(
                server.create_authorization_response(grant_user=None, grant=grant), state.issuer
            )
        account = _chosen_account(state, signed_in)
        if account is None:
            message = "전자우편 또는 비밀번호가 맞지 않습니다. / Wrong e-mail or password."
            return _sign_in_page(
                state, grant, signed_in, hint=request.form.get("email", ""), error=message
            ), 401
        if account is not signed_in:
            session["subject"] = account.subject
            session["auth_time"] = int(state.now())
        return with_issuer(
            server.create_authorization_response(grant_user=account, grant=grant), state.issuer
        )

    @app.post("/token")
    def token() -> ResponseReturnValue:
        """Exchange a code (with the PKCE verifier) for tokens."""
        return server.create_token_response()

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> ResponseReturnValue:
        """Return the claims of the bearer token's subject."""
        return server.create_endpoint_response("userinfo")

    _register_end_session(app, server)


def _error_page(error: OAuth2Error | str, status: int = 400) -> ResponseReturnValue:
    """Render an OAuth2 error (or a plain message) as this provider's error page."""
    if isinstance(error, str):
        code, description = "invalid_request", error
    else:
        code, description = error.error, error.description or error.error
        status = error.status_code or status
    return render_template("error.html", error=code, description=description), status


def _oauth_error(server: IdpAuthorizationServer, state: IdpState, error: OAuth2Error) -> ResponseReturnValue:
    """Answer an authorization error: back at a validated redirect URI, else on the error page."""
    # Authlib sets redirect_uri on an error only once the client exists and the URI matched
    # a registered one; otherwise the error is shown here and nobody is redirected.
    if getattr(error, "redirect_uri", None):
        return with_issuer(server.handle_error_response(request, error), state.issuer)
    return _error_page(error)


def _sign_in_page(state: IdpState, grant: Any, signed_in: DemoAccount | None, **extra: Any) -> str:
    """Render the sign-in page for ``grant``, carrying the authorization request along."""
    query = urlencode([(k, v) for k, v in request.values.items(multi=True) if k not in _FORM_FIELDS])
    return render_template(
        "signin.html",
        accounts=list(state.accounts.values()),
        signed_in=signed_in,
        hint=extra.pop("hint", request.values.get("login_hint", "")),
        client_id=grant.client.client_id,
        csrf=_csrf_token(),
        query=query,
        demo_password=DEMO_PASSWORD,
        **extra,
    )


def _check_openid_request(grant: Any) -> None:
    """Refuse what this OpenID-only provider cannot honour, back at the (validated) redirect URI."""
    where = {"redirect_uri": grant.redirect_uri, "state": request.values.get("state")}
    if "openid" not in (request.values.get("scope") or "").split():
        raise InvalidScopeError("The 'openid' scope is required.", **where)
    if request.values.get("response_mode", "query") != "query":
        raise InvalidRequestError("Only response_mode=query is supported.", **where)
    max_age = request.values.get("max_age")
    if max_age is not None and not (max_age.isascii() and max_age.isdigit()):
        raise InvalidRequestError("Invalid 'max_age'.", **where)


def _reusable_session(state: IdpState, grant: Any) -> DemoAccount | None:
    """Return the person signed in to the provider if the request lets them continue as is."""
    signed_in = state.accounts.get(session.get("subject", ""))
    if signed_in is None or grant.prompt == "login":
        return None
    max_age = request.values.get("max_age")
    if max_age is not None and state.now() - float(session.get("auth_time", 0)) > int(max_age):
        return None
    return signed_in


def _register_end_session(app: Flask, server: IdpAuthorizationServer) -> None:
    """Register RP-initiated logout (``/end-session``)."""

    @app.route("/end-session", methods=["GET", "POST"])
    def end_session() -> ResponseReturnValue:
        """RP-initiated logout: clear the provider session, then return only to a registered URI."""
        try:
            logout = server.validate_endpoint_request("end_session")
        except OAuth2Error as error:
            return _error_page(error)
        wanted = request.values.get("post_logout_redirect_uri")
        client: IdpClient | None = logout.client
        if wanted and (client is None or wanted not in client.post_logout_redirect_uris):
            return _error_page(
                "등록되지 않은 로그아웃 후 주소입니다. / Unregistered post_logout_redirect_uri."
            )
        confirmed = request.method == "POST" and _csrf_ok()
        if logout.needs_confirmation and not confirmed:
            # Without a valid ID token hint anyone could log the user out; ask them first.
            return render_template(
                "confirm_logout.html",
                csrf=_csrf_token(),
                fields={k: v for k, v in request.values.items() if k not in _FORM_FIELDS},
                client_id=client.client_id if client else None,
            )
        response = server.create_endpoint_response("end_session", logout)
        return response if response is not None else render_template("signed_out.html")


def _register_test_routes(app: Flask, state: IdpState) -> None:
    @app.post("/_test/misbehave")
    def misbehave() -> ResponseReturnValue:
        """Make the next ID token wrong, or odd in its claims, in one chosen way (test suite only)."""
        body = request.get_json(silent=True)
        mode = body.get("mode") if isinstance(body, dict) else None
        if mode not in MISBEHAVIOUR_MODES | CLAIM_MODES:
            return jsonify(error="unknown mode", modes=sorted(MISBEHAVIOUR_MODES | CLAIM_MODES)), 400
        with state.lock:
            state.misbehaviour = mode
        return jsonify(mode=mode)


def _chosen_account(state: IdpState, signed_in: DemoAccount | None) -> DemoAccount | None:
    form = request.form
    if form.get("action") == "continue" and signed_in is not None:
        return signed_in
    if form.get("subject"):
        # One-click demo sign-in: the development provider's whole purpose.
        return state.accounts.get(form["subject"])
    account = state.account_by_email(form.get("email", ""))
    if account is not None and _same_secret(form.get("password"), DEMO_PASSWORD):
        return account
    return None
