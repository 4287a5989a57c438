"""OpenID Connect clients, one per agency identity provider, and ID-token validation.

Authlib's Flask client does the protocol (discovery, authorization code + PKCE S256, state and
nonce in the signed session cookie, token exchange, JWKS signature check). This module pins what
Authlib would otherwise take from the provider itself: the expected issuer is the one configured
for the provider (not the one its discovery document claims), the audience is our client ID, and
only asymmetric signature algorithms are accepted.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App
from joserfc import errors as jose_errors

from agencies.models import IdentityProvider
from hamkke.crypto import decrypt_text
from hamkke.extensions import oauth

logger = logging.getLogger(__name__)

SCOPE = "openid profile email"
#: asymmetric algorithms only: "none" and HMAC with a public key as secret are never accepted
ALLOWED_SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
#: seconds of clock difference tolerated between us and the provider for exp/iat
CLOCK_LEEWAY = 60
#: seconds before a call to the provider (discovery, token, JWKS, userinfo) is abandoned
HTTP_TIMEOUT = 10


class SignInError(Exception):
    """The provider's answer cannot be trusted or used; ``reason`` is the stable audit code."""

    def __init__(
        self,
        reason: str,
        *,
        status: int = 400,
        provider_error: str | None = None,
        person_id: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        #: the ``error`` code the provider sent, if any (a protocol code, never personal data)
        self.provider_error = provider_error
        #: the person the refusal concerns, when already known (audited as the actor)
        self.person_id = person_id


@dataclass(frozen=True)
class VerifiedClaims:
    """What a validated ID token (plus userinfo) says about the person who signed in."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    #: every claim, for the provider's claim rule (e.g. ``hamkke_agency``)
    raw: dict[str, Any] = field(repr=False)
    #: the raw ID token, kept for RP-initiated logout (``id_token_hint``)
    id_token: str = field(repr=False, default="")


def normalise_issuer(issuer: str) -> str:
    """Return the issuer without a trailing slash, so configured and discovered values compare equal."""
    return issuer.rstrip("/")


def client_name(provider: IdentityProvider) -> str:
    """Return the Authlib registry name of the provider's client.

    The name carries a fingerprint of the settings, so an edited provider (new issuer or secret)
    gets a fresh client instead of one with stale discovery metadata and keys.
    """
    fingerprint = hashlib.sha256(
        "\x00".join((provider.issuer, provider.client_id, provider.client_secret_encrypted)).encode("utf-8")
    ).hexdigest()[:12]
    return f"idp{provider.id}_{fingerprint}"


def client_for(provider: IdentityProvider) -> FlaskOAuth2App:
    """Return the OAuth client of ``provider``, registering it with Authlib on first use."""
    name = client_name(provider)
    client = oauth.create_client(name)
    if client is None:
        try:
            secret = decrypt_text(provider.client_secret_encrypted)
        except ValueError as exc:
            # Stored with another HAMKKE_FIELD_ENCRYPTION_KEY: an operator problem, not the user's.
            logger.error("Client secret of identity provider %s cannot be decrypted", provider.id)
            raise SignInError("provider_misconfigured", status=503) from exc
        client = oauth.register(
            name,
            client_id=provider.client_id,
            client_secret=secret,
            server_metadata_url=normalise_issuer(provider.issuer) + "/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT},
        )
    return cast(FlaskOAuth2App, client)


def load_metadata(provider: IdentityProvider) -> dict[str, Any]:
    """Fetch (once per process) and check the provider's discovery document.

    :raises SignInError: the provider is unreachable or its document names another issuer.
    """
    client = client_for(provider)
    try:
        metadata = cast(dict[str, Any], client.load_server_metadata())
    except (requests.RequestException, ValueError) as exc:
        logger.warning("Discovery of identity provider %s failed: %s", provider.id, type(exc).__name__)
        raise SignInError("provider_unreachable", status=503) from exc
    if normalise_issuer(str(metadata.get("issuer", ""))) != normalise_issuer(provider.issuer):
        # A discovery document for someone else's issuer is a mix-up or a misconfiguration.
        raise SignInError("issuer_mismatch")
    # Authlib checks signatures with the algorithms the provider advertises; narrow them to ours.
    advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    metadata["id_token_signing_alg_values_supported"] = [
        alg for alg in advertised if alg in ALLOWED_SIGNING_ALGORITHMS
    ] or ["RS256"]
    return metadata


def authorization_redirect(
    provider: IdentityProvider, redirect_uri: str, *, login_hint: str | None
) -> tuple[str, str]:
    """Prepare an authorization request; return (URL to send the browser to, its ``state``).

    State, nonce and PKCE verifier are stored by Authlib in the signed session cookie.
    """
    client = client_for(provider)
    load_metadata(provider)
    extra: dict[str, str] = {"login_hint": login_hint} if login_hint else {}
    try:
        request_data = client.create_authorization_url(redirect_uri, **extra)
    except (requests.RequestException, RuntimeError) as exc:
        raise SignInError("provider_unreachable", status=503) from exc
    client.save_authorize_data(redirect_uri=redirect_uri, **request_data)
    return str(request_data["url"]), str(request_data["state"])


def complete_authorization(provider: IdentityProvider) -> VerifiedClaims:
    """Exchange the callback's code and validate the ID token; return the verified claims.

    :raises SignInError: with a reason code for every way the answer can be wrong.
    """
    client = client_for(provider)
    load_metadata(provider)
    options = {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "value": provider.client_id},
    }
    try:
        token = client.authorize_access_token(claims_options=options, leeway=CLOCK_LEEWAY)
    except MismatchingStateError as exc:
        raise SignInError("state_mismatch") from exc
    except OAuthError as exc:
        # The token endpoint refused the code: replayed, expired, or issued to someone else.
        error = str(exc.error or "")[:40]
        raise SignInError(
            "code_rejected" if error == "invalid_grant" else "token_error", provider_error=error or None
        ) from exc
    except jose_errors.ExpiredTokenError as exc:
        raise SignInError("token_expired") from exc
    except jose_errors.ClaimError as exc:
        raise SignInError(_claim_reason(exc.claim)) from exc
    except jose_errors.BadSignatureError as exc:
        raise SignInError("bad_signature") from exc
    except (jose_errors.UnsupportedAlgorithmError, jose_errors.MissingAlgorithmError) as exc:
        raise SignInError("unsupported_algorithm") from exc
    except jose_errors.JoseError as exc:
        raise SignInError("invalid_id_token") from exc
    except requests.RequestException as exc:
        raise SignInError("provider_unreachable", status=503) from exc
    except (ValueError, KeyError, TypeError) as exc:
        # Malformed JSON or tokens from the provider: treat as an invalid answer, never a crash.
        raise SignInError("invalid_id_token") from exc
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):
        # Without a validated ID token there is no authenticated subject (a plain OAuth answer).
        raise SignInError("id_token_missing")
    merged = dict(claims)
    rule_claim = _rule_claim(provider)
    if "email" not in merged or (rule_claim is not None and rule_claim not in merged):
        merged = _merge_userinfo(client, token, merged)
    subject = str(merged.get("sub") or "")
    if not subject:
        raise SignInError("invalid_id_token")
    email = merged.get("email")
    return VerifiedClaims(
        subject=subject,
        email=str(email).strip().lower() if email else None,
        email_verified=email_is_verified(provider, merged.get("email_verified")),
        name=str(merged["name"]).strip() if merged.get("name") else None,
        raw=merged,
        id_token=str(token["id_token"]),
    )


def email_is_verified(provider: IdentityProvider, claim: object) -> bool:
    """Apply the provider's ``email_verified`` policy to the claim's value (absent: ``None``).

    ``true`` (boolean, or the string some providers send) is verified and an explicit ``false``
    never is. A missing claim counts as verified only where the coordinator said the provider
    issues every address itself (``email_verified_required`` off).
    """
    if claim is True or (isinstance(claim, str) and claim.strip().lower() == "true"):
        return True
    return claim is None and not provider.email_verified_required


def check_response_issuer(provider: IdentityProvider, iss: str | None) -> None:
    """Check the ``iss`` parameter of an authorization response (RFC 9207, mix-up defence).

    A response that carries ``iss`` must name this provider's issuer; a provider that advertises
    ``authorization_response_iss_parameter_supported`` must send it.

    :raises SignInError: ``issuer_parameter_mismatch`` or ``issuer_parameter_missing``.
    """
    if iss is not None:
        if normalise_issuer(iss) != normalise_issuer(provider.issuer):
            raise SignInError("issuer_parameter_mismatch")
        return
    if load_metadata(provider).get("authorization_response_iss_parameter_supported") is True:
        raise SignInError("issuer_parameter_missing")


def logout_url(
    provider: IdentityProvider, *, id_token_hint: str | None, post_logout_redirect_uri: str
) -> str | None:
    """Return the provider's RP-initiated logout URL, or None if it has no end-session endpoint."""
    try:
        metadata = load_metadata(provider)
    except SignInError:
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    # Built here rather than with Authlib's create_logout_url, which always adds a ``state`` that
    # nobody checks on the way back and that would only clutter the start page's address.
    params = {"post_logout_redirect_uri": post_logout_redirect_uri, "client_id": provider.client_id}
    if id_token_hint:
        params["id_token_hint"] = id_token_hint
    return str(add_params_to_uri(str(endpoint), params))


def _rule_claim(provider: IdentityProvider) -> str | None:
    claim = (provider.claim_rule or {}).get("claim")
    return str(claim) if claim else None


def _merge_userinfo(client: FlaskOAuth2App, token: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    """Add userinfo claims the ID token lacks; the userinfo subject must be the token's subject."""
    try:
        info = dict(client.userinfo(token=token))
    except (requests.RequestException, OAuthError, ValueError) as exc:
        logger.warning("Userinfo request failed: %s", type(exc).__name__)
        return claims
    if info.get("sub") != claims.get("sub"):
        # OIDC Core 5.3.2: a userinfo answer for another subject must not be used.
        raise SignInError("userinfo_subject_mismatch")
    return {**info, **claims}


def _claim_reason(claim: str) -> str:
    return {
        "iss": "wrong_issuer",
        "aud": "wrong_audience",
        "azp": "wrong_audience",
        "nonce": "wrong_nonce",
        "exp": "token_expired",
    }.get(claim, "invalid_claims")
