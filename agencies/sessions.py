"""Server-side sign-in sessions: idle and absolute timeouts, sign-out, and ending them on disable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import current_app, g, has_request_context, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from agencies.models import Person, UserSession
from hamkke.db import db
from hamkke.time import now_utc
from hamkke.web import error_response, wants_json

SESSION_TOKEN_KEY = "sid"
#: last_seen_at is written at most this often, so page views do not each cost a write
TOUCH_INTERVAL = timedelta(seconds=60)

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_session(person: Person, *, method: str, acting_agency_id: int | None = None,
                  identity_provider_id: int | None = None, id_token_hint: str | None = None) -> UserSession:
    """Open a server-side session for ``person`` and put its token in the cookie (flushes; caller commits)."""
    token = secrets.token_urlsafe(32)
    now = now_utc()
    record = UserSession(
        token_hash=_hash(token), person_id=person.id, acting_agency_id=acting_agency_id, method=method,
        identity_provider_id=identity_provider_id, id_token_hint=id_token_hint, created_at=now, last_seen_at=now,
        ip_address=request.remote_addr if has_request_context() else None,
        user_agent=(request.user_agent.string[:300] if has_request_context() else None),
    )
    db.session.add(record)
    db.session.flush()
    # A fresh cookie on every sign-in: nothing from the anonymous session carries over (fixation).
    session.clear()
    session[SESSION_TOKEN_KEY] = token
    session.permanent = False
    return record


def end_session(record: UserSession, reason: str) -> None:
    """End one session now (flushes; the caller commits)."""
    if record.ended_at is None:
        record.ended_at = now_utc()
        record.end_reason = reason
        db.session.flush()


def end_sessions_of(person_id: int, reason: str) -> list[int]:
    """End every open session of a person; return their IDs so live sockets can be cut after commit."""
    records = db.session.scalars(
        sa.select(UserSession).where(UserSession.person_id == person_id, UserSession.ended_at.is_(None))
    ).all()
    for record in records:
        end_session(record, reason)
    return [record.id for record in records]


def session_expiry_reason(record: UserSession) -> str | None:
    """Say why a session is no longer valid, or None if it is."""
    if record.ended_at is not None:
        return record.end_reason or "ended"
    now = now_utc()
    config = current_app.config
    if now - record.created_at > timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]):
        return "absolute_timeout"
    if now - record.last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return "idle_timeout"
    if not record.person.is_active:
        return "person_disabled"
    return None


def find_session(token: str | None) -> UserSession | None:
    """Return the session a cookie token belongs to, if any."""
    if not token:
        return None
    return db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == _hash(token)))


def load_session_for_request() -> None:
    """Resolve the cookie to a live session and person for this request (``g.user_session``, ``g.person``)."""
    g.user_session = None
    g.person = None
    record = find_session(session.get(SESSION_TOKEN_KEY))
    if record is None:
        return
    reason = session_expiry_reason(record)
    if reason is not None:
        end_session(record, reason)
        db.session.commit()
        session.pop(SESSION_TOKEN_KEY, None)
        g.session_ended_reason = reason
        return
    now = now_utc()
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    g.user_session = record
    g.person = record.person


def current_person() -> Person | None:
    """Return the signed-in person of this request, or None."""
    return cast(Person | None, g.get("person"))


def current_session() -> UserSession | None:
    """Return the server-side session of this request, or None."""
    return cast(UserSession | None, g.get("user_session"))


def login_required(view: F) -> F:
    """Send anonymous users to the sign-in page (401 JSON for API and htmx callers)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_person() is None:
            if wants_json():
                return error_response(401, code="not_signed_in")
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapper)
