"""Shapes the API framework itself answers with: errors and the OAuth2 token and revocation exchanges.

TypedDicts, turned into OpenAPI components by ``hamkke.api.registry.SchemaRegistry``; each domain's
response shapes live beside its endpoints.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from hamkke.api.registry import Doc


class ErrorDetail(TypedDict):
    """What went wrong: a stable code and messages in Korean and English."""

    code: Annotated[str, Doc("Stable machine-readable code, e.g. invalid_token, insufficient_scope.")]
    message: Annotated[str, Doc("Korean message for people.")]
    message_en: Annotated[str, Doc("English message for people.")]
    request_id: Annotated[str, Doc("Quote it when asking for support.")]
    field: NotRequired[Annotated[str, Doc("The parameter the error is about.")]]


class ErrorBody(TypedDict):
    """Error response of every API endpoint except the OAuth2 endpoints."""

    error: ErrorDetail


class OAuthErrorBody(TypedDict):
    """Error response of the OAuth2 endpoints (RFC 6749 §5.2), as OAuth2 client libraries expect."""

    error: Annotated[str, Doc("e.g. invalid_client, invalid_scope, unsupported_grant_type.")]
    error_description: NotRequired[str]


class TokenRequest(TypedDict):
    """Client-credentials token request (form-encoded).

    Authenticate with HTTP Basic, or send client_id and client_secret in the form.
    """

    grant_type: Literal["client_credentials"]
    scope: NotRequired[Annotated[str, Doc("Space-separated scopes; default: every scope granted.")]]
    client_id: NotRequired[str]
    client_secret: NotRequired[str]


class TokenResponse(TypedDict):
    """An opaque bearer token; send it as ``Authorization: Bearer <token>``."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: Annotated[int, Doc("Seconds until the token expires (at most 3600).")]
    scope: str


class RevocationRequest(TypedDict):
    """Token revocation request (RFC 7009, form-encoded), authenticated like the token request."""

    token: str
    token_type_hint: NotRequired[Literal["access_token", "refresh_token"]]
    client_id: NotRequired[str]
    client_secret: NotRequired[str]


class EmptyObject(TypedDict):
    """An empty JSON object."""
