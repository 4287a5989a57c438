"""Random credentials of the agency API and how they are stored (hashed, never in clear).

Client secrets and access tokens are 256-bit values from ``secrets``; only their SHA-256 is stored.
A slow password hash (argon2) protects *guessable* human passwords; a 256-bit random value cannot
be guessed or brute-forced from its SHA-256, so a fast hash loses nothing here, and it keeps the
token endpoint and every API call cheap (an argon2 check per call would itself invite a DoS).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: prefixes make leaked credentials recognisable to secret scanners and in support requests
CLIENT_ID_PREFIX = "hkc_"
CLIENT_SECRET_PREFIX = "hks_"  # noqa: S105 -- a public prefix, not a secret
ACCESS_TOKEN_PREFIX = "hka_"  # noqa: S105 -- a public prefix, not a secret


def hash_credential(value: str) -> str:
    """Return the SHA-256 (hex) under which a secret or token is stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def credential_matches(value: str, stored_hash: str) -> bool:
    """Compare a presented secret with a stored hash in constant time."""
    return hmac.compare_digest(hash_credential(value), stored_hash)


def generate_client_id() -> str:
    """Return a new public client identifier."""
    return CLIENT_ID_PREFIX + secrets.token_urlsafe(16)


def generate_client_secret() -> str:
    """Return a new client secret (32 random bytes)."""
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def generate_access_token() -> str:
    """Return a new opaque access token (32 random bytes)."""
    return ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)
