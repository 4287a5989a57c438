"""Server-side sign-in sessions: idle and absolute timeouts, sign-out, and ending them on disable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import abort, current_app, flash, g, has_request_context, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.access import active_memberships
from agencies.models import Agency, AgencyStatus, Person, UserSession
from hamkke import audit
from hamkke.db import db
from hamkke.errors import NotFound
from hamkke.time import now_utc
from hamkke.web import error_response, wants_json

#: how break-glass sessions are marked (``UserSession.method``; auth_services.METHOD_BREAK_GLASS)
BREAK_GLASS_METHOD = "break_glass"
#: a break-glass session ends this long after sign-in, however active it is
BREAK_GLASS_SESSION_LIFETIME = timedelta(hours=1)

SESSION_TOKEN_KEY = "sid"  # noqa: S105 -- the name of a cookie-session key, not a secret
#: last_seen_at is written at most this often, so page views do not each cost a write
TOUCH_INTERVAL = timedelta(seconds=60)
#: reasons that are timeouts (audited as ``auth.session_timeout``, the rest as ``auth.session_ended``)
TIMEOUT_REASONS = frozenset({"idle_timeout", "absolute_timeout"})
#: blueprints and endpoints a session awaiting approval may reach: the waiting page, sign-in and
#: sign-out, the language switch, static files and health checks; nothing that shows data
AWAITING_APPROVAL_BLUEPRINTS = frozenset({"auth", "health"})
AWAITING_APPROVAL_ENDPOINTS = frozenset({"static", "core.switch_language"})

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_session(
    person: Person,
    *,
    method: str,
    acting_agency_id: int | None = None,
    identity_provider_id: int | None = None,
    id_token_hint: str | None = None,
    awaiting_approval: bool = False,
) -> UserSession:
    """Open a server-side session for ``person`` and put its token in the cookie (flushes; caller commits)."""
    token = secrets.token_urlsafe(32)
    now = now_utc()
    record = UserSession(
        token_hash=_hash(token),
        person_id=person.id,
        acting_agency_id=acting_agency_id,
        method=method,
        identity_provider_id=identity_provider_id,
        id_token_hint=id_token_hint,
        created_at=now,
        last_seen_at=now,
        awaiting_approval=awaiting_approval,
        ip_address=request.remote_addr if has_request_context() else None,
        user_agent=(request.user_agent.string[:300] if has_request_context() else None),
    )
    db.session.add(record)
    db.session.flush()
    # A fresh cookie on every sign-in: nothing from the anonymous session carries over (fixation).
    # The language choice is not a secret and survives, so the next page keeps the user's language.
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
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


def end_sessions_for_agency(agency_id: int, reason: str) -> list[int]:
    """End every open session acting for an agency (suspension); return their IDs for cutting sockets."""
    records = db.session.scalars(
        sa.select(UserSession).where(
            UserSession.acting_agency_id == agency_id, UserSession.ended_at.is_(None)
        )
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
    if record.method == BREAK_GLASS_METHOD and now - record.created_at > BREAK_GLASS_SESSION_LIFETIME:
        # The emergency account is time-boxed: one hour, then a fresh (audited) sign-in.
        return "break_glass_expired"
    if now - record.last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return "idle_timeout"
    if not record.person.is_active:
        return "person_disabled"
    if record.acting_agency_id is not None:
        agency = db.session.get(Agency, record.acting_agency_id)
        # Only suspension ends sessions: an agency still accepting the agreement has active staff.
        if agency is None or agency.status == AgencyStatus.suspended:
            return "agency_disabled"
        if (
            record.identity_provider_id is not None
            and agency.identity_provider_id != record.identity_provider_id
        ):
            # The agency no longer trusts the provider that authenticated this session.
            return "provider_unbound"
    return None


def expire_session(record: UserSession, reason: str) -> None:
    """End a session found invalid on use, with its audit row (flushes; the caller commits)."""
    already_ended = record.ended_at is not None
    end_session(record, reason)
    if already_ended:
        return
    action = "auth.session_timeout" if reason in TIMEOUT_REASONS else "auth.session_ended"
    audit.record(
        action,
        actor_id=record.person_id,
        agency_id=record.acting_agency_id,
        obj=record,
        data={"reason": reason},
    )


def touch_session(record: UserSession) -> bool:
    """Note activity on a session (at most once per `TOUCH_INTERVAL`); return whether it changed."""
    now = now_utc()
    if now - record.last_seen_at < TOUCH_INTERVAL:
        return False
    record.last_seen_at = now
    return True


def find_session(token: str | None) -> UserSession | None:
    """Return the session a cookie token belongs to, if any."""
    if not token:
        return None
    return db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == _hash(token)))


def load_session_for_request() -> ResponseReturnValue | None:
    """Resolve the cookie to a live session and person for this request (``g.user_session``, ``g.person``).

    A session awaiting approval never yields a person: it only reaches the waiting page and sign-out.
    """
    g.user_session = None
    g.person = None
    g.pending_session = None
    record = find_session(session.get(SESSION_TOKEN_KEY))
    if record is None:
        return None
    reason = session_expiry_reason(record)
    if reason is not None:
        expire_session(record, reason)
        # Saved now: the request may still end in a 4xx, which the edge rolls back.
        db.session.commit()
        session.pop(SESSION_TOKEN_KEY, None)
        g.session_ended_reason = reason
        _explain_ended_session(reason)
        return None
    if touch_session(record):
        # Activity counts even when the request then fails: saved before the request's own unit of work.
        db.session.commit()
    if record.awaiting_approval:
        g.pending_session = record
        return _confine_awaiting_approval()
    g.user_session = record
    g.person = record.person
    return None


def _confine_awaiting_approval() -> ResponseReturnValue | None:
    endpoint = request.endpoint or ""
    if request.blueprint in AWAITING_APPROVAL_BLUEPRINTS or endpoint in AWAITING_APPROVAL_ENDPOINTS:
        return None
    if wants_json():
        return error_response(
            403,
            code="awaiting_approval",
            message=_("기관관리자의 가입 승인을 기다리고 있습니다."),
            english="Your agency administrator has not approved your account yet.",
        )
    return redirect(url_for("auth.pending"))


def _explain_ended_session(reason: str) -> None:
    # Say why the user is signed out, on the page they land on next; only for browser pages.
    if wants_json():
        return
    config = current_app.config
    if reason == "idle_timeout":
        flash(
            _(
                "%(minutes)s분 동안 활동이 없어 로그아웃되었습니다. 다시 로그인해 주세요.",
                minutes=config["SESSION_IDLE_MINUTES"],
            ),
            "info",
        )
    elif reason == "absolute_timeout":
        flash(
            _(
                "로그인한 지 %(hours)s시간이 지나 로그아웃되었습니다. 다시 로그인해 주세요.",
                hours=config["SESSION_ABSOLUTE_HOURS"],
            ),
            "info",
        )
    elif reason == "break_glass_expired":
        flash(_("긴급 관리자 로그인은 1시간만 유효합니다. 다시 로그인해 주세요."), "info")
    elif reason in {"person_disabled", "agency_disabled", "provider_unbound"}:
        flash(_("계정 또는 기관이 사용 중지되어 로그아웃되었습니다."), "error")


def current_person() -> Person | None:
    """Return the signed-in person of this request, or None."""
    return cast(Person | None, g.get("person"))


def current_session() -> UserSession | None:
    """Return the server-side session of this request, or None."""
    return cast(UserSession | None, g.get("user_session"))


def current_pending_session() -> UserSession | None:
    """Return this request's session that still awaits an agency admin's approval, or None."""
    return cast(UserSession | None, g.get("pending_session"))


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


def signed_in_person() -> Person:
    """Return the signed-in person of a view behind ``login_required`` (401 if there is none)."""
    person = current_person()
    if person is None:  # login_required ran first; this narrows the type and guards a missed decorator
        abort(401)
    return person


def acting_agency_id() -> int | None:
    """Return the agency the signed-in person acts for in this request, or None."""
    record = current_session()
    return record.acting_agency_id if record is not None else None


def current_actor() -> tuple[Person, Agency]:
    """Return the signed-in person and the agency they act for; refuse a person acting for none."""
    person = current_person()
    agency_id = acting_agency_id()
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    active = {membership.agency_id for membership in active_memberships(person)} if person else set()
    if person is None or agency is None or agency.id not in active:
        raise NotFound("기관 소속으로 로그인해 주세요.", english="Sign in for an agency.")
    return person, agency
