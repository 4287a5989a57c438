"""How often sign-in may be tried: generously per address, tightly per account.

A whole office behind one NAT address signs in every morning (forty people in ten minutes is two
requests each through the provider), so the per-address limits only stop floods. Guessing at one
account is what the per-account limits stop: the break-glass password (keyed by the e-mail typed)
and repeated provider sign-ins of one subject. Counters live in the limiter's storage (Redis in
production), keyed by a hash so no e-mail address is written there.
"""

from __future__ import annotations

import hashlib

from flask import request
from limits import parse

from hamkke.extensions import limiter

#: per client address on the provider round trip (login + callback): about 150 sign-ins per 10 minutes
ADDRESS_LIMIT = "300 per 10 minutes"
#: per client address on the break-glass form
LOCAL_ADDRESS_LIMIT = "60 per 10 minutes"
#: per account: break-glass attempts for one e-mail, or completed provider sign-ins of one subject
ACCOUNT_LIMIT = "10 per 10 minutes"
_NAMESPACE = "hamkke-sign-in-account"


def _digest(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().casefold().encode("utf-8")).hexdigest()[:32]


def local_account_key() -> str:
    """Key the break-glass form by the account it tries (the typed e-mail), not by the address."""
    return f"local:{_digest(request.form.get('email', '')[:200])}"


def allow_account(kind: str, identifier: str) -> bool:
    """Count one sign-in of an account; return False once it is over `ACCOUNT_LIMIT`."""
    return bool(limiter.limiter.hit(parse(ACCOUNT_LIMIT), _NAMESPACE, kind, _digest(identifier)))
