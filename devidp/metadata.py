"""The development provider's published metadata and the ``iss`` parameter of its authorization responses."""

from __future__ import annotations

from typing import Any

from authlib.common.urls import add_params_to_uri
from flask import Response

CLAIMS_SUPPORTED = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "name",
    "email",
    "email_verified",
    "hamkke_agency",
)


def with_issuer(response: Response, issuer: str) -> Response:
    """Add ``iss`` to a redirect back to the client (RFC 9207 §2: success and error responses alike)."""
    location = response.headers.get("Location")
    if location and response.status_code in (301, 302, 303, 307, 308):
        response.headers["Location"] = add_params_to_uri(location, [("iss", issuer)])
    return response


def discovery_document(issuer: str, scopes: tuple[str, ...]) -> dict[str, Any]:
    """Return the provider's discovery document (OpenID Connect Discovery 1.0, RFC 8414, RFC 9207)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/end-session",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(scopes),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        # RFC 9207: every authorization response (errors too) names the issuer in ``iss``
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "ui_locales_supported": ["ko"],
    }
