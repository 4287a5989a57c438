"""The development OpenID Connect provider: authorization code + PKCE (S256), tokens, userinfo, logout.

Built on Authlib's server classes with in-memory clients, codes and tokens. It serves the demo
accounts of 한빛구 for `make run` and is the real identity provider of the test suite. It refuses
to exist in production mode.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, abort, jsonify, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from jinja2 import FileSystemLoader
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from devidp.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoAccount
from devidp.keys import KeyRing

ID_TOKEN_LIFETIME = 300
ACCESS_TOKEN_LIFETIME = 600
CODE_LIFETIME = 60
MISBEHAVIOUR_MODES = frozenset(
    {"bad_signature", "wrong_issuer", "wrong_audience", "expired", "wrong_nonce", "none_alg"}
)


@dataclass(frozen=True)
class IdpClient(ClientMixin):
    """A relying party registered with the provider."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("openid", "profile", "email")

    def get_client_id(self) -> str:
        """Return the client id."""
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        """Return the first registered redirect URI."""
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        """Keep only the scopes this client may ask for."""
        return " ".join(s for s in (scope or "").split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Accept only an exact match of a registered redirect URI."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare the secret in constant time."""
        return secrets.compare_digest(self.client_secret, client_secret or "")

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
class IssuedToken:
    """An access token and what it may read."""

    subject: str
    client_id: str
    scope: str
    expires_at: float
    #: the code it came from, so a replayed code can revoke it
    code: str


class IdpState:
    """Everything the provider remembers, behind one lock (the server is threaded)."""

    def __init__(self, settings: IdpSettings) -> None:
        self.lock = threading.Lock()
        self.clients = {client.client_id: client for client in settings.clients}
        self.accounts = {account.subject: account for account in settings.accounts}
        self.codes: dict[str, AuthorizationCode] = {}
        self.used_codes: set[str] = set()
        self.tokens: dict[str, IssuedToken] = {}
        self.misbehaviour: str | None = None
        self.keys = KeyRing(
            rotation_seconds=settings.key_rotation_seconds, token_lifetime_seconds=ID_TOKEN_LIFETIME
        )

    def account_by_email(self, email: str) -> DemoAccount | None:
        """Find a demo account by e-mail address."""
        return next((a for a in self.accounts.values() if a.email.lower() == email.strip().lower()), None)

    def take_misbehaviour(self) -> str | None:
        """Return the pending test misbehaviour once, then forget it."""
        with self.lock:
            mode, self.misbehaviour = self.misbehaviour, None
            return mode

    def revoke_tokens_of_code(self, code: str) -> None:
        """Revoke every access token issued from ``code`` (RFC 6749 §4.1.2: a replayed code)."""
        with self.lock:
            for value in [v for v, t in self.tokens.items() if t.code == code]:
                del self.tokens[value]


class S256Only(CodeChallenge):
    """PKCE is mandatory here, and only with S256: a plain or missing challenge is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 -- Authlib reads the class attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """Require a challenge and the S256 method before the usual checks."""
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


def _make_grant(state: IdpState) -> type[grants.AuthorizationCodeGrant]:
    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

        def save_authorization_code(self, code: str, req: Any) -> None:
            data = req.payload.data
            with state.lock:
                state.codes[code] = AuthorizationCode(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope,
                    subject=req.user.subject,
                    nonce=data.get("nonce"),
                    code_challenge=data["code_challenge"],
                    code_challenge_method=data["code_challenge_method"],
                    auth_time=int(session.get("auth_time", time.time())),
                    expires_at=time.time() + CODE_LIFETIME,
                )

        def query_authorization_code(self, code: str, client: IdpClient) -> AuthorizationCode | None:
            with state.lock:
                found = state.codes.get(code)
                replayed = code in state.used_codes
            if replayed:
                state.revoke_tokens_of_code(code)
                return None
            if found is None or found.client_id != client.client_id or found.expires_at < time.time():
                return None
            return found

        def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
            with state.lock:
                state.codes.pop(authorization_code.code, None)
                state.used_codes.add(authorization_code.code)

        def authenticate_user(self, authorization_code: AuthorizationCode) -> DemoAccount | None:
            return state.accounts.get(authorization_code.subject)

    return CodeGrant


class IdpOpenIDCode(OpenIDCode):
    """ID tokens signed with the key ring, with the test misbehaviours applied on request."""

    def __init__(self, state: IdpState, issuer: str) -> None:
        super().__init__(require_nonce=True)
        self.state = state
        self.issuer = issuer

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
        now = int(time.time())
        code: AuthorizationCode = req.authorization_code
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": req.user.subject,
            "aud": req.client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME,
            "auth_time": code.auth_time,
            **dict(user_claims(req.user, token["scope"])),
        }
        if code.nonce:
            claims["nonce"] = code.nonce
        signing = self.state.keys.current()
        key = signing.key
        header = {"alg": "RS256", "kid": signing.kid}
        mode = self.state.take_misbehaviour()
        if mode == "bad_signature":
            key = KeyRing.stranger().key  # same kid, a key nobody published
        elif mode == "wrong_issuer":
            claims["iss"] = self.issuer + "/evil"
        elif mode == "wrong_audience":
            claims["aud"] = "someone-else"
        elif mode == "expired":
            claims["iat"], claims["exp"] = now - 2 * ID_TOKEN_LIFETIME, now - ID_TOKEN_LIFETIME
        elif mode == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif mode == "none_alg":
            return _unsigned(claims)
        return str(jwt.encode(header, claims, key, algorithms=["RS256"]))


def _unsigned(claims: dict[str, Any]) -> str:
    import base64
    import json

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


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
    if os.environ.get("HAMKKE_ENV") == "production":
        raise RuntimeError("개발용 인증 서버는 운영 모드에서 쓸 수 없습니다 / refused in production mode")
    if settings.issuer.startswith("http://"):
        # Authlib refuses OAuth over plain HTTP unless told; loopback development is the exception.
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    app = Flask("devidp", root_path=str(Path(__file__).parent))
    app.jinja_loader = FileSystemLoader(str(Path(__file__).parent / "templates"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="devidp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": ACCESS_TOKEN_LIFETIME},
    )
    state = IdpState(settings)
    app.extensions["devidp"] = state
    issuer = settings.issuer.rstrip("/")

    def save_token(token: dict[str, Any], req: Any) -> None:
        with state.lock:
            state.tokens[token["access_token"]] = IssuedToken(
                subject=req.user.subject,
                client_id=req.client.client_id,
                scope=token.get("scope", ""),
                expires_at=time.time() + int(token.get("expires_in", ACCESS_TOKEN_LIFETIME)),
                code=req.authorization_code.code,
            )

    server = AuthorizationServer(app, query_client=state.clients.get, save_token=save_token)
    server.register_grant(_make_grant(state), [S256Only(required=True), IdpOpenIDCode(state, issuer)])
    _register_routes(app, server, state, issuer, settings)
    return app


def rotate_keys(app: Flask) -> str:
    """Make the provider sign with a new key now; return its kid."""
    state: IdpState = app.extensions["devidp"]
    return state.keys.rotate().kid


def _register_routes(
    app: Flask, server: AuthorizationServer, state: IdpState, issuer: str, settings: IdpSettings
) -> None:
    @app.get("/.well-known/openid-configuration")
    def discovery() -> ResponseReturnValue:
        """Publish the provider's metadata."""
        return jsonify(
            issuer=issuer,
            authorization_endpoint=f"{issuer}/authorize",
            token_endpoint=f"{issuer}/token",
            userinfo_endpoint=f"{issuer}/userinfo",
            jwks_uri=f"{issuer}/jwks",
            end_session_endpoint=f"{issuer}/end-session",
            response_types_supported=["code"],
            grant_types_supported=["authorization_code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            scopes_supported=["openid", "profile", "email"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            code_challenge_methods_supported=["S256"],
            claims_supported=[
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "name",
                "email",
                "email_verified",
                "hamkke_agency",
            ],
        )

    @app.get("/jwks")
    def jwks() -> ResponseReturnValue:
        """Publish the public signing keys."""
        return jsonify(state.keys.jwks())

    def error_page(error: OAuth2Error | str, status: int = 400) -> ResponseReturnValue:
        description = error if isinstance(error, str) else (error.description or error.error)
        return render_template("error.html", description=description), status

    def oauth_error(error: OAuth2Error) -> ResponseReturnValue:
        # Redirect back only to a redirect URI that was validated; otherwise show the error here.
        if getattr(error, "redirect_uri", None):
            return server.handle_error_response(request, error)
        return error_page(error)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> ResponseReturnValue:
        """Show the sign-in page; on a chosen account, issue a code to the client."""
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return oauth_error(error)
        signed_in = state.accounts.get(session.get("subject", ""))
        if request.method == "GET":
            session.setdefault("csrf", secrets.token_urlsafe(16))
            hint = request.args.get("login_hint", "")
            return render_template(
                "signin.html",
                accounts=list(state.accounts.values()),
                signed_in=signed_in,
                hint=hint,
                client_id=grant.client.client_id,
                csrf=session["csrf"],
                query=request.query_string.decode(),
            )
        if not secrets.compare_digest(request.form.get("csrf", ""), session.get("csrf", "") or "-"):
            return error_page("보안 토큰이 맞지 않습니다. 다시 시도해 주세요. / CSRF check failed.")
        if request.form.get("action") == "deny":
            return server.create_authorization_response(grant_user=None, grant=grant)
        account = _chosen_account(state, signed_in)
        if account is None:
            return render_template(
                "signin.html",
                accounts=list(state.accounts.values()),
                signed_in=None,
                hint=request.form.get("email", ""),
                client_id=grant.client.client_id,
                csrf=session["csrf"],
                query=request.query_string.decode(),
                error="전자우편 또는 비밀번호가 맞지 않습니다. / Wrong e-mail or password.",
            ), 401
        if account is not signed_in:
            session["subject"] = account.subject
            session["auth_time"] = int(time.time())
        return server.create_authorization_response(grant_user=account, grant=grant)

    @app.post("/token")
    def token() -> ResponseReturnValue:
        """Exchange a code (with the PKCE verifier) for tokens."""
        return server.create_token_response()

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> ResponseReturnValue:
        """Return the claims of the token's subject."""
        header = request.headers.get("Authorization", "")
        value = header[7:] if header.lower().startswith("bearer ") else ""
        with state.lock:
            issued = state.tokens.get(value)
        if issued is None or issued.expires_at < time.time():
            response = jsonify(error="invalid_token")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response, 401
        return jsonify(dict(user_claims(state.accounts[issued.subject], issued.scope)))

    @app.route("/end-session", methods=["GET", "POST"])
    def end_session() -> ResponseReturnValue:
        """RP-initiated logout: clear the provider session, then return only to a registered URI."""
        values = request.values
        target = values.get("post_logout_redirect_uri")
        client = _client_of_hint(state, values.get("id_token_hint"), values.get("client_id"))
        session.pop("subject", None)
        session.pop("auth_time", None)
        if target:
            if client is None or target not in client.post_logout_redirect_uris:
                return error_page("등록되지 않은 로그아웃 주소입니다. / Unregistered post-logout URI.")
            query = urlencode({"state": values["state"]}) if values.get("state") else ""
            return redirect(f"{target}?{query}" if query else target)
        return render_template("signed_out.html")

    @app.post("/_test/misbehave")
    def misbehave() -> ResponseReturnValue:
        """Make the next ID token wrong in one chosen way (test suite only)."""
        if not settings.testing:
            abort(404)
        mode = (request.get_json(silent=True) or {}).get("mode")
        if mode not in MISBEHAVIOUR_MODES:
            return jsonify(error="unknown mode", modes=sorted(MISBEHAVIOUR_MODES)), 400
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
    if account is not None and secrets.compare_digest(form.get("password", ""), DEMO_PASSWORD):
        return account
    return None


def _client_of_hint(state: IdpState, hint: str | None, client_id: str | None) -> IdpClient | None:
    if hint:
        try:
            # Any of our published keys may have signed the hint; expiry does not matter for logout.
            keys = KeySet.import_key_set(state.keys.jwks())  # type: ignore[arg-type]
            token = jwt.decode(hint, keys, algorithms=["RS256"])
        except (JoseError, ValueError):
            return None
        audience = token.claims.get("aud")
        client_id = audience[0] if isinstance(audience, list) else audience
    return state.clients.get(client_id or "")
