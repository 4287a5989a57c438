"""The registry of send-time checks: a domain whose e-mails carry client data re-checks them as they go.

An outbox e-mail may carry ``payload["consent_check"] = {"kind": ..., ...}``. At send time the
delivery looks the kind up here: the registered ``allows`` decides whether the e-mail may still go
(a withdrawn consent cancels it), and ``on_sent`` records what the sent e-mail disclosed. Domains
register their kinds from their ``init_app`` (referrals: letters to outside organisations), so the
outbox needs no knowledge of them. An unregistered kind fails closed: the e-mail is cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

#: the check dictionary stored in the outbox payload
Check = dict[str, Any]


@dataclass(frozen=True)
class SendTimeCheck:
    """What a domain runs when one of its e-mails is about to go, and once it has gone."""

    #: True if the e-mail may still be sent (runs in the sending worker, before the SMTP exchange)
    allows: Callable[[Check], bool]
    #: writes what the sent e-mail disclosed (in the commit that records the send)
    on_sent: Callable[[Check], None] | None = None


_checks: dict[str, SendTimeCheck] = {}


def register_send_check(
    kind: str, allows: Callable[[Check], bool], on_sent: Callable[[Check], None] | None = None
) -> None:
    """Register (or replace, when an app is built again) the send-time check of ``kind``."""
    _checks[kind] = SendTimeCheck(allows=allows, on_sent=on_sent)


def send_check(kind: object) -> SendTimeCheck | None:
    """Return the check registered for ``kind``, or None (the caller fails closed)."""
    return _checks.get(kind) if isinstance(kind, str) else None


#: where the app keeps the consent check every outbox e-mail passes at send time
MESSAGE_GATE_KEY = "notifications.message_gate"


def provide_message_gate(app: Flask, allows: Callable[[Any], bool]) -> None:
    """Install the consent check every outbox message passes as it goes (consents provides it)."""
    app.extensions[MESSAGE_GATE_KEY] = allows


def message_gate() -> Callable[[Any], bool]:
    """Return the installed consent check; without one nothing is sent (fail closed, loudly)."""
    allows = current_app.extensions.get(MESSAGE_GATE_KEY)
    if allows is None:
        raise RuntimeError(
            "No consent check is installed for outbox e-mail: the consents package is not set up"
        )
    return allows
