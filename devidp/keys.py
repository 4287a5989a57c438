"""Signing keys of the development provider: RS256 keys that rotate, old ones kept while tokens live."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import RSAKey


@dataclass(frozen=True)
class SigningKey:
    """One RSA key with its ``kid`` and the time it started signing."""

    kid: str
    key: RSAKey
    created_at: float


class KeyRing:
    """The current signing key plus the previous ones that may still verify live tokens."""

    def __init__(self, *, rotation_seconds: float, token_lifetime_seconds: float) -> None:
        self.rotation_seconds = rotation_seconds
        self.token_lifetime_seconds = token_lifetime_seconds
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = [self._new_key()]

    @staticmethod
    def _new_key() -> SigningKey:
        kid = secrets.token_hex(8)
        return SigningKey(
            kid=kid, key=RSAKey.generate_key(2048, parameters={"kid": kid}), created_at=time.time()
        )

    def current(self) -> SigningKey:
        """Return the key that signs now, rotating first if it is older than the rotation period."""
        with self._lock:
            if time.time() - self._keys[-1].created_at >= self.rotation_seconds:
                self._keys.append(self._new_key())
            self._forget_expired()
            return self._keys[-1]

    def rotate(self) -> SigningKey:
        """Start signing with a new key now; the previous key stays published until its tokens expire."""
        with self._lock:
            self._keys.append(self._new_key())
            self._forget_expired()
            return self._keys[-1]

    def _forget_expired(self) -> None:
        # A retired key is kept for one token lifetime after its successor started signing.
        now = time.time()
        keep = [self._keys[-1]]
        for older, newer in zip(self._keys[-2::-1], self._keys[:0:-1], strict=False):
            if now - newer.created_at <= self.token_lifetime_seconds:
                keep.insert(0, older)
        self._keys = keep

    def jwks(self) -> dict[str, Any]:
        """Return the public keys as a JWK set."""
        with self._lock:
            keys = list(self._keys)
        return {
            "keys": [
                {**k.key.as_dict(private=False), "kid": k.kid, "use": "sig", "alg": "RS256"} for k in keys
            ]
        }

    @staticmethod
    def stranger() -> SigningKey:
        """Return a key that is in no JWK set (to sign deliberately bad tokens in tests)."""
        return KeyRing._new_key()
