"""Signing keys of the development provider: RS256 keys that rotate, old ones kept while tokens live.

Keys are joserfc keys: Authlib 1.9 signs and verifies with joserfc itself, and its own
``authlib.jose`` module is deprecated (it warns on import, which the test suite treats as an error).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet, RSAKey

#: extra time a retired key stays published, as Authlib's client allows for clock skew
CLOCK_LEEWAY_SECONDS = 120
#: how many retired keys are remembered (unpublished) to verify old ``id_token_hint`` values at logout
REMEMBERED_RETIRED_KEYS = 16


@dataclass(frozen=True)
class SigningKey:
    """One RSA key with its ``kid`` and the time it started signing."""

    kid: str
    key: RSAKey
    created_at: float

    def public_jwk(self) -> dict[str, Any]:
        """Return the public half as a JWK (never the private parameters)."""
        return {**self.key.as_dict(private=False), "kid": self.kid, "use": "sig", "alg": "RS256"}


def new_signing_key(created_at: float) -> SigningKey:
    """Generate a fresh 2048-bit RSA key with a random ``kid``."""
    kid = secrets.token_hex(8)
    return SigningKey(kid=kid, key=RSAKey.generate_key(2048, parameters={"kid": kid}), created_at=created_at)


class KeyRing:
    """The current signing key plus the previous ones that may still verify live tokens.

    A key is retired from the JWK set once every token it signed has expired: tokens are signed
    only until its successor starts, so that is the successor's start plus one token lifetime.
    """

    def __init__(
        self,
        *,
        rotation_seconds: float,
        token_lifetime_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rotation_seconds = rotation_seconds
        self.token_lifetime_seconds = token_lifetime_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._published: list[SigningKey] = [new_signing_key(clock())]
        self._retired: deque[SigningKey] = deque(maxlen=REMEMBERED_RETIRED_KEYS)

    def current(self) -> SigningKey:
        """Return the key that signs now, rotating first if it is older than the rotation period."""
        with self._lock:
            self._rotate_if_due()
            return self._published[-1]

    def rotate(self) -> SigningKey:
        """Start signing with a new key now; the previous key stays published until its tokens expire."""
        with self._lock:
            self._published.append(new_signing_key(self.clock()))
            self._forget_expired()
            return self._published[-1]

    def jwks(self) -> dict[str, Any]:
        """Return the published public keys as a JWK set (rotating first if due)."""
        with self._lock:
            self._rotate_if_due()
            keys = list(self._published)
        return {"keys": [key.public_jwk() for key in keys]}

    def verification_keys(self) -> KeySet:
        """Return the public keys of every key this process signed with that it still remembers.

        Logout accepts an ``id_token_hint`` long after the token expired (RP-Initiated Logout §2),
        so its signature is checked against retired keys too, which are no longer published.
        """
        with self._lock:
            keys = [*self._retired, *self._published]
        return KeySet.import_key_set({"keys": [key.public_jwk() for key in keys]})

    def _rotate_if_due(self) -> None:
        # Lazy rotation: the first signature or JWKS request after the period starts the next key.
        now = self.clock()
        if now - self._published[-1].created_at >= self.rotation_seconds:
            self._published.append(new_signing_key(now))
        self._forget_expired()

    def _forget_expired(self) -> None:
        now = self.clock()
        keep = [self._published[-1]]
        for older, successor in zip(self._published[-2::-1], self._published[:0:-1], strict=True):
            if now - successor.created_at <= self.token_lifetime_seconds + CLOCK_LEEWAY_SECONDS:
                keep.insert(0, older)
            else:
                self._retired.append(older)
        self._published = keep

    @staticmethod
    def stranger() -> SigningKey:
        """Return a key that is in no JWK set (to sign deliberately bad tokens in tests)."""
        return new_signing_key(time.time())
