"""Live updates: publish a Socket.IO event after the transaction that caused it commits."""

from __future__ import annotations

import logging
from typing import Any

from hamkke.db import after_commit
from hamkke.extensions import socketio

logger = logging.getLogger(__name__)


def publish(event: str, payload: dict[str, Any], *, room: str, namespace: str = "/") -> None:
    """Emit ``event`` to ``room`` once the current transaction commits; never for a rolled-back change.

    Payloads must already be authorized for everyone in the room: rooms are per conference and
    per agency exactly so that consent-filtered payloads can differ between agencies.
    """
    after_commit(lambda: emit_now(event, payload, room=room, namespace=namespace))


def emit_now(event: str, payload: dict[str, Any], *, room: str, namespace: str = "/") -> None:
    """Emit immediately; in the worker this goes through the message queue to the web processes."""
    if socketio.server is None:
        # No Socket.IO server is bound (a CLI command without a queue): nobody could be listening.
        logger.debug("Socket.IO not initialised; dropped %s for room %s", event, room)
        return
    socketio.emit(event, payload, to=room, namespace=namespace)
