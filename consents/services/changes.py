"""Announcing consent changes: the socket push and the after-commit signal, and expiry announcements."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from consents.models import Consent
from hamkke.db import after_commit, db
from hamkke.realtime import publish
from hamkke.signals import consent_changed as consent_changed_signal
from hamkke.time import today_local

logger = logging.getLogger(__name__)


_COMMITTED_CHANGES = "consents_changed_clients"


def consent_changed(client_id: int) -> None:
    """Announce after commit that a client's consents changed: socket room ``client:<id>`` and the signal.

    The payload carries only the id; subscribers re-fetch through the gate. The signal goes out once
    the committing transaction has fully ended (see :func:`_send_committed_changes`), on the same
    thread, app context and session, so receivers may read and write the database there.
    """
    publish("consent_changed", {"client_id": client_id}, room=f"client:{client_id}", namespace="/live")
    session = db.session()
    after_commit(lambda: session.info.setdefault(_COMMITTED_CHANGES, set()).add(client_id), session)


@event.listens_for(Session, "after_transaction_end")
def _send_committed_changes(session: Session, transaction: SessionTransaction) -> None:
    # SQLAlchemy forbids SQL inside ``after_commit``; by ``after_transaction_end`` of the outermost
    # transaction the session has let go of it and begins a new one on the next statement. Sending
    # here (instead of from a background thread with a session of its own) keeps receivers on the
    # caller's connection: the data they read is exactly what was just committed, and under the
    # tests' rolled-back outer transaction nothing runs on a second thread over the same connection.
    if transaction.parent is not None:
        return
    client_ids = session.info.pop(_COMMITTED_CHANGES, None)
    if not client_ids:
        return
    for client_id in sorted(client_ids):
        for receiver in list(consent_changed_signal.receivers_for(client_id)):
            try:
                receiver(client_id)
            except Exception:
                # The change is committed already; a failing receiver (a live view that could not be
                # refreshed) must not turn the caller's success into an error. It re-syncs on its
                # next event anyway.
                logger.exception("consent_changed receiver failed for client %s", client_id)
                session.rollback()


def announce_expired_consents(on: date | None = None) -> list[int]:
    """Announce the clients whose consents ran out yesterday (expiry needs no write; the gate reads dates)."""
    day = (on or today_local()) - timedelta(days=1)
    client_ids = sorted(
        set(db.session.scalars(sa.select(Consent.client_id).where(Consent.valid_until == day)).all())
    )
    for client_id in client_ids:
        consent_changed(client_id)
    return client_ids
