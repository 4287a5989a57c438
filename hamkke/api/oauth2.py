"""The OAuth2 authorization server (client credentials only) and the bearer-token check of the API.

* Clients: an agency admin registers them; the secret (256 random bits) is stored as SHA-256.
* Tokens: opaque, random, stored as SHA-256, 15 minutes by default and never more than an hour
  (``API_TOKEN_LIFETIME_SECONDS``); no refresh tokens.
* A token works only while its client is not revoked and its agency is active, so revoking a
  client or suspending an agency kills every token at once (the services also mark them revoked).
* RFC 7009 revocation endpoint for clients to revoke their own tokens.
* The token and revocation endpoints answer errors in RFC 6749 §5.2 form (``{"error": "..."}``),
  which every OAuth2 client library expects; the resource endpoints use the API's error form.
* Clients and tokens are stored by the domain that owns them: agencies installs its store
  (``agencies.api.clients``) with `use_credential_store`, so the shell imports no domain.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import MissingAuthorizationError, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator, InsufficientScopeError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from hamkke import audit
from hamkke.api.credentials import generate_access_token
from hamkke.api.errors import ApiError
from hamkke.api.registry import api
from hamkke.api.schemas import EmptyObject, RevocationRequest, TokenRequest, TokenResponse
from hamkke.api.scopes import SCOPES
from hamkke.db import db
from hamkke.extensions import limiter

logger = logging.getLogger(__name__)

#: default and ceiling of the token lifetime, in seconds
DEFAULT_TOKEN_LIFETIME = 15 * 60
MAX_TOKEN_LIFETIME = 60 * 60
#: default limit of the token and revocation endpoints per client address
DEFAULT_TOKEN_RATE_LIMIT = "30 per minute"  # noqa: S105 -- a rate, not a secret
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPE = "client_credentials"
REALM = "hamkke"


class CredentialStore(Protocol):
    """Where API clients and their tokens live; the domain that owns API clients supplies it.

    Clients and tokens are Authlib adapters (``ClientMixin`` and ``TokenMixin``); a token's
    ``principal()`` returns what a bearer-protected view receives as ``(client, agency)``.
    """

    def query_client(self, client_id: str) -> Any:
        """Return a usable client for ``client_id`` or None (invalid_client)."""

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Store a newly issued token (flushes; the token view commits)."""

    def find_token(self, token_string: str) -> Any:
        """Return the token presented as ``token_string`` or None."""

    def revoke_token(self, token: Any) -> None:
        """Mark a token revoked and audit it (flushes)."""


_store: CredentialStore | None = None


def use_credential_store(store: CredentialStore) -> None:
    """Install the store the authorization server and the bearer check read clients and tokens from."""
    global _store  # one store per process, set by the owning domain's init_app
    _store = store


def credential_store() -> CredentialStore:
    """Return the installed credential store; without one the API cannot authenticate anybody."""
    if _store is None:
        raise RuntimeError("no API credential store is installed (agencies.api.register_endpoints)")
    return _store


def token_lifetime(client: Any, grant_type: str) -> int:
    """Return the configured token lifetime in seconds, never above one hour."""
    configured = int(current_app.config.get("API_TOKEN_LIFETIME_SECONDS") or DEFAULT_TOKEN_LIFETIME)
    return max(60, min(configured, MAX_TOKEN_LIFETIME))


def _new_access_token(**_: Any) -> str:
    return generate_access_token()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """The client-credentials grant, with client credentials in the Basic header or the form."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS


class TokenRevocationEndpoint(RevocationEndpoint):
    """RFC 7009: a client revokes one of its own access tokens."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        """Find a token by its hash (refresh tokens do not exist here)."""
        return credential_store().find_token(token_string)

    def revoke_token(self, token: Any, request: Any) -> None:
        """Mark the token revoked (never deleted, so its hash cannot be reissued unnoticed)."""
        credential_store().revoke_token(token)


class BearerValidator(BearerTokenValidator):
    """Look bearer tokens up by hash."""

    def authenticate_token(self, token_string: str) -> Any:
        """Return the token for ``token_string`` or None."""
        if not token_string or len(token_string) > 200:
            return None
        return credential_store().find_token(token_string)


authorization = AuthorizationServer()
authorization.register_grant(ClientCredentialsGrant)
authorization.register_endpoint(TokenRevocationEndpoint)
require_oauth = ResourceProtector()
require_oauth.register_token_validator(BearerValidator(realm=REALM))


def authenticate_bearer(scopes: tuple[str, ...]) -> tuple[Any, Any]:
    """Check the request's bearer token for ``scopes`` (all of them); raise `ApiError` 401/403."""
    required = [" ".join(scopes)] if scopes else None
    try:
        token = require_oauth.acquire_token(required)
    except MissingAuthorizationError:
        raise ApiError(
            401,
            "missing_token",
            "액세스 토큰이 필요합니다. Authorization: Bearer <토큰> 헤더를 보내 주세요.",
            "An access token is required (Authorization: Bearer <token>).",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        ) from None
    except InsufficientScopeError:
        wanted = " ".join(scopes)
        raise ApiError(
            403,
            "insufficient_scope",
            f"이 토큰에는 필요한 권한 범위({wanted})가 없습니다.",
            f"The token lacks the required scope ({wanted}).",
            headers={
                "WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", scope="{wanted}"'
            },
        ) from None
    except OAuth2Error:
        # Unknown, expired or revoked tokens, and other schemes than Bearer, all look alike to the caller.
        raise ApiError(
            401,
            "invalid_token",
            "액세스 토큰이 올바르지 않거나 만료되었거나 폐기되었습니다.",
            "The access token is invalid, expired or revoked.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'},
        ) from None
    principal: tuple[Any, Any] = token.principal()
    return principal


api.authenticate = authenticate_bearer


def _rate_limit() -> str:
    return str(current_app.config.get("API_TOKEN_RATE_LIMIT") or DEFAULT_TOKEN_RATE_LIMIT)


def _finish(response: Response, *, action: str) -> Response:
    """Commit a successful OAuth2 exchange, or roll it back and audit the refusal on its own."""
    if response.status_code == 200:
        return response
    db.session.rollback()
    error = (response.get_json(silent=True) or {}).get("error", "unknown")
    # The public client ID (never the secret) shows which client is failing or being guessed.
    credentials = request.authorization
    client_id = (credentials.username if credentials else None) or request.form.get("client_id") or ""
    # The refusal's audit row outlives the 4xx answer: the edge adds it again after its rollback.
    audit.record_refusal(action, data={"error": str(error)[:40], "client_id": client_id[:64]})
    return response


OAUTH_SCOPE_DESCRIPTION = "Scopes: " + ", ".join(f"`{scope.name}` ({scope.description})" for scope in SCOPES)


@api.operation(
    "/oauth/token",
    method="POST",
    auth="client",
    summary="Issue an access token (OAuth2 client credentials)",
    description=(
        "RFC 6749 §4.4. Authenticate the client with HTTP Basic (client_secret_basic) or with "
        "client_id and client_secret in the form (client_secret_post). Tokens are opaque and live "
        "15 minutes by default (never more than an hour); there are no refresh tokens. "
        "Rate-limited per address (429). " + OAUTH_SCOPE_DESCRIPTION
    ),
    tags=("OAuth2",),
    request_form=TokenRequest,
    response=TokenResponse,
    errors=(400, 401, 429),
    error_style="oauth",
    decorators=(limiter.limit(_rate_limit),),
)
def issue_token() -> ResponseReturnValue:
    """Issue an access token to an authenticated client."""
    response = authorization.create_token_response()
    return _finish(response, action="api.token_refused")


@api.operation(
    "/oauth/revoke",
    method="POST",
    auth="client",
    summary="Revoke an access token (RFC 7009)",
    description=(
        "A client revokes one of its own tokens. The answer is 200 with an empty object even if the "
        "token was unknown, as RFC 7009 requires. Rate-limited per address (429)."
    ),
    tags=("OAuth2",),
    request_form=RevocationRequest,
    response=EmptyObject,
    errors=(400, 401, 429),
    error_style="oauth",
    decorators=(limiter.limit(_rate_limit),),
)
def revoke_token() -> ResponseReturnValue:
    """Revoke an access token of the authenticated client."""
    response = authorization.create_endpoint_response(TokenRevocationEndpoint.ENDPOINT_NAME)
    return _finish(response, action="api.revocation_refused")


def init_oauth2(app: Flask) -> None:
    """Bind the authorization server and the bearer check to ``app``."""
    authorization.init_app(
        app,
        query_client=lambda client_id: credential_store().query_client(client_id),
        save_token=lambda token, request: credential_store().save_token(token, request),
    )
    # After init_app: Authlib's default generator would issue 10-day tokens for this grant.
    authorization.register_token_generator(
        "default", BearerTokenGenerator(_new_access_token, expires_generator=token_lifetime)
    )
    authorization.scopes_supported = [scope.name for scope in SCOPES]
