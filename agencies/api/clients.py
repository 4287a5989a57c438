"""The API clients' side of the OAuth2 server: agencies' clients and tokens as Authlib sees them.

The authorization server and the bearer check live in ``hamkke.api.oauth2``; this module is the
credential store they read: a token works only while its client is not revoked and its agency is
active, so revoking a client or suspending an agency kills every token at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749.util import scope_to_list

from agencies.models import Agency, AgencyStatus, ApiClient, ApiToken
from hamkke import audit
from hamkke.api.credentials import credential_matches, hash_credential
from hamkke.api.oauth2 import CLIENT_AUTH_METHODS, GRANT_TYPE
from hamkke.db import db
from hamkke.time import now_utc


@dataclass
class OAuthClient:
    """Authlib's view of an `ApiClient` (ClientMixin); the model stays free of protocol code."""

    model: ApiClient

    def get_client_id(self) -> str:
        """Return the public client ID."""
        return self.model.client_id

    def get_default_redirect_uri(self) -> None:
        """Return None: the client-credentials grant has no redirects."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """Return the scopes to grant: all granted ones by default; None (invalid_scope) if asked for more."""
        granted = list(self.model.scopes)
        if not scope:
            return " ".join(granted)
        requested = scope_to_list(scope) or []
        if any(item not in granted for item in requested):
            return None
        return " ".join(item for item in granted if item in requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Refuse every redirect URI (no browser flows)."""
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare the presented secret with the stored hash in constant time."""
        return credential_matches(client_secret, self.model.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Allow HTTP Basic or form credentials; never unauthenticated ("none")."""
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        """Refuse every response type (no authorization endpoint)."""
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        """Allow the client-credentials grant only."""
        return grant_type == GRANT_TYPE


@dataclass
class OAuthToken:
    """Authlib's view of an `ApiToken` (TokenMixin)."""

    model: ApiToken

    def check_client(self, client: OAuthClient) -> bool:
        """Tell whether the token belongs to ``client``."""
        return self.model.api_client_id == client.model.id

    def get_scope(self) -> str:
        """Return the granted scopes."""
        return self.model.scope

    def get_expires_in(self) -> int:
        """Return the lifetime in seconds."""
        return int((self.model.expires_at - self.model.issued_at).total_seconds())

    def is_expired(self) -> bool:
        """Tell whether the token has expired."""
        return self.model.expires_at <= now_utc()

    def is_revoked(self) -> bool:
        """Tell whether the token, its client or its agency has been switched off."""
        client = self.model.client
        return (
            self.model.revoked_at is not None
            or client.revoked_at is not None
            or client.agency.status != AgencyStatus.active
        )

    def get_user(self) -> None:
        """Return None: client-credentials tokens act for an agency system, not a person."""
        return None

    def get_client(self) -> OAuthClient:
        """Return the client the token was issued to."""
        return OAuthClient(self.model.client)

    def principal(self) -> tuple[ApiClient, Agency]:
        """Return what a bearer-protected view receives: the client and its agency."""
        return self.model.client, self.model.client.agency


def query_client(client_id: str) -> OAuthClient | None:
    """Return a usable client (not revoked, agency active) for ``client_id``; None makes it invalid_client."""
    if not client_id or len(client_id) > 64:
        return None
    model = db.session.scalar(
        sa.select(ApiClient).join(ApiClient.agency).where(ApiClient.client_id == client_id)
    )
    if model is None or model.revoked_at is not None or model.agency.status != AgencyStatus.active:
        return None
    return OAuthClient(model)


def save_token(token: dict[str, Any], request: Any) -> None:
    """Store the hash of a newly issued token (flushes; the token view commits)."""
    client: OAuthClient = request.client
    now = now_utc()
    record = ApiToken(
        api_client_id=client.model.id,
        token_hash=hash_credential(token["access_token"]),
        scope=token.get("scope", ""),
        issued_at=now,
        expires_at=now + timedelta(seconds=int(token["expires_in"])),
    )
    client.model.last_used_at = now
    db.session.add(record)
    db.session.flush()
    audit.record(
        "api.token_issued",
        agency_id=client.model.agency_id,
        obj=client.model,
        data={"client_id": client.model.client_id, "scope": record.scope, "token_id": record.id},
    )


def find_token(token_string: str) -> OAuthToken | None:
    """Find a token by its hash (refresh tokens do not exist here)."""
    model = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_credential(token_string)))
    return OAuthToken(model) if model is not None else None


def revoke_token(token: OAuthToken) -> None:
    """Mark the token revoked (never deleted, so its hash cannot be reissued unnoticed)."""
    if token.model.revoked_at is None:
        token.model.revoked_at = now_utc()
        audit.record(
            "api.token_revoked",
            agency_id=token.model.client.agency_id,
            obj=token.model.client,
            data={"client_id": token.model.client.client_id, "token_id": token.model.id},
        )
    db.session.flush()


@dataclass(frozen=True)
class AgencyCredentialStore:
    """The credential store of ``hamkke.api.oauth2``, backed by `ApiClient` and `ApiToken`."""

    def query_client(self, client_id: str) -> OAuthClient | None:
        """Return a usable client for ``client_id`` or None."""
        return query_client(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Store the hash of a newly issued token."""
        save_token(token, request)

    def find_token(self, token_string: str) -> OAuthToken | None:
        """Return the token presented as ``token_string`` or None."""
        return find_token(token_string)

    def revoke_token(self, token: OAuthToken) -> None:
        """Mark a token revoked and audit it."""
        revoke_token(token)


STORE = AgencyCredentialStore()
