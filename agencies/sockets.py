"""Live sockets tied to sign-in sessions: authenticate on connect, re-check on every event, cut on end.

Every Socket.IO namespace authenticates through `authenticate_socket` (from the Flask session
cookie sent with the handshake) and wraps its event handlers in `authenticated_event`, because
Flask's ``before_request`` hooks never run for socket events. Each web process keeps a registry
of its own sockets and the sign-in session behind each; `cut_live_sessions` disconnects the
local ones at once, and a sweep every `SWEEP_INTERVAL_SECONDS` seconds disconnects sockets whose
session was ended by another process (or simply expired), so no socket outlives its session by
more than that interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any, NoReturn, TypeVar, cast

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from flask_socketio import ConnectionRefusedError as SocketRefused
from flask_socketio import disconnect, emit, join_room
from sqlalchemy.exc import SQLAlchemyError

from agencies.models import UserSession
from agencies.sessions import (
    SESSION_TOKEN_KEY,
    expire_session,
    find_session,
    session_expiry_reason,
    touch_session,
)
from hamkke.db import db
from hamkke.errors import UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE_EN
from hamkke.extensions import socketio
from hamkke.time import now_utc
from hamkke.unit_of_work import UnitOfWorkNamespace

logger = logging.getLogger(__name__)

LIVE_NAMESPACE = "/live"
#: how often each web process looks for sockets whose session has ended elsewhere
SWEEP_INTERVAL_SECONDS = 20
SESSION_ENDED_EVENT = "session_ended"

H = TypeVar("H", bound=Callable[..., Any])

#: why a socket was refused on connect → (Korean, English); the page maps the code to its own label
REFUSAL_MESSAGES: dict[str, tuple[str, str]] = {
    "not_signed_in": ("로그인이 필요합니다. 다시 로그인해 주세요.", "Please sign in."),
    "session_ended": (
        "로그인 시간이 끝나 연결을 끊었습니다. 다시 로그인해 주세요.",
        "Your session ended; please sign in again.",
    ),
    "awaiting_approval": (
        "기관의 승인을 기다리는 중이라 실시간 화면을 쓸 수 없습니다.",
        "Your membership awaits approval; live pages open once it is approved.",
    ),
    "unavailable": (UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE_EN),
}


def refuse_connection(code: str, message: str | None = None, english: str | None = None) -> NoReturn:
    """Refuse a connecting socket with a reason the browser receives (``connect_error``).

    Flask-SocketIO's ConnectionRefusedError, not the built-in one: python-socketio answers the
    built-in exception with a generic "Connection rejected by server" and the reason is lost.
    """
    korean, default_english = REFUSAL_MESSAGES.get(code, ("연결할 수 없습니다.", "Connection refused."))
    raise SocketRefused(
        code, {"code": code, "message": message or korean, "message_en": english or default_english}
    )


class SocketRegistry:
    """The sockets connected to this process, by (sid, namespace), and the session behind each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], int] = {}

    def add(self, sid: str, namespace: str, session_id: int) -> None:
        """Remember that a socket belongs to a sign-in session."""
        with self._lock:
            self._sessions[(sid, namespace)] = session_id

    def remove(self, sid: str, namespace: str) -> None:
        """Forget a socket (it disconnected)."""
        with self._lock:
            self._sessions.pop((sid, namespace), None)

    def session_of(self, sid: str, namespace: str) -> int | None:
        """Return the sign-in session ID of a socket, or None if it is not authenticated here."""
        with self._lock:
            return self._sessions.get((sid, namespace))

    def snapshot(self) -> dict[tuple[str, str], int]:
        """Return a copy of the registry, safe to iterate while sockets come and go."""
        with self._lock:
            return dict(self._sessions)

    def sockets_of(self, session_ids: Iterable[int]) -> list[tuple[str, str]]:
        """Return the (sid, namespace) pairs of this process's sockets that belong to the sessions."""
        wanted = set(session_ids)
        return [key for key, session_id in self.snapshot().items() if session_id in wanted]


#: this process's sockets; module-level because every namespace and the sweep share it
registry = SocketRegistry()
_sweeper_lock = threading.Lock()
_sweeper_apps: set[int] = set()


def authenticate_socket() -> UserSession:
    """Authenticate the connecting socket from the session cookie, join its rooms, and register it.

    Call from a namespace's ``on_connect``. Joins ``person:<id>`` and ``session:<id>``.

    :raises SocketRefused: no live, approved session stands behind the cookie (``not_signed_in``,
        ``session_ended``, ``awaiting_approval``).
    """
    record = find_session(session.get(SESSION_TOKEN_KEY))
    if record is None:
        refuse_connection("not_signed_in")
    reason = session_expiry_reason(record)
    if reason is not None:
        expire_session(record, reason)
        # The refusal rolls the connect's unit of work back; the session's end must be saved all the same.
        db.session.commit()
        refuse_connection("session_ended")
    if record.awaiting_approval:
        refuse_connection("awaiting_approval")
    sid = cast(str, request.sid)  # type: ignore[attr-defined]
    namespace = cast(str, request.namespace)  # type: ignore[attr-defined]
    registry.add(sid, namespace, record.id)
    join_room(f"person:{record.person_id}")
    join_room(f"session:{record.id}")
    g.user_session = record
    g.person = record.person
    logger.info(
        "Socket connected: namespace %s, person %s, session %s", namespace, record.person_id, record.id
    )
    ensure_sweeper(current_app._get_current_object())  # type: ignore[attr-defined]
    return record


def forget_socket() -> None:
    """Drop the current socket from the registry; call from a namespace's ``on_disconnect``."""
    registry.remove(cast(str, request.sid), cast(str, request.namespace))  # type: ignore[attr-defined]


def revalidate_socket(*, touch: bool = True) -> UserSession | None:
    """Check again that the current socket's session is live; disconnect it and return None if not.

    On success ``g.user_session`` and ``g.person`` are set, so `current_person()` works in handlers.
    ``touch`` counts the event as user activity for the idle timeout.
    """
    sid = cast(str, request.sid)  # type: ignore[attr-defined]
    namespace = cast(str, request.namespace)  # type: ignore[attr-defined]
    session_id = registry.session_of(sid, namespace)
    record = db.session.get(UserSession, session_id) if session_id is not None else None
    if record is None:
        _refuse_event("not_signed_in")
        return None
    reason = session_expiry_reason(record)
    if reason is not None:
        expire_session(record, reason)
        _refuse_event(reason)
        return None
    if touch:
        touch_session(record)  # saved by the event's unit of work
    g.user_session = record
    g.person = record.person
    return record


def _refuse_event(reason: str) -> None:
    # Tell the browser why before cutting, so it can show the sign-in page with a reason.
    emit(SESSION_ENDED_EVENT, {"reason": reason})
    disconnect()


def authenticated_event(handler: H | None = None, *, touch: bool = True) -> Any:
    """Decorate a socket event handler so it runs only while the socket's session is still valid.

    Use as ``@authenticated_event`` or ``@authenticated_event(touch=False)`` for events that are
    not user activity (polling the session's remaining time, for example).
    """

    def decorate(func: H) -> H:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if revalidate_socket(touch=touch) is None:
                return None
            return func(*args, **kwargs)

        return cast(H, wrapper)

    return decorate(handler) if handler is not None else decorate


class AuthenticatedNamespace(UnitOfWorkNamespace):
    """A namespace whose sockets are authenticated on connect and registered for cutting.

    Every ``on_*`` handler is one unit of work (committed at its end, see ``hamkke.unit_of_work``).
    """

    def on_connect(self, auth: dict[str, Any] | None = None) -> None:
        """Accept the socket only for a live, approved sign-in session (``unavailable`` in an outage)."""
        try:
            authenticate_socket()
        except SQLAlchemyError:
            db.session.rollback()
            logger.warning("Socket refused: database unavailable", exc_info=True)
            refuse_connection("unavailable")

    def on_disconnect(self, reason: str | None = None) -> None:
        """Forget the socket."""
        forget_socket()


class LiveNamespace(AuthenticatedNamespace):
    """``/live``: each signed-in browser's channel for session events (``session_ended``)."""

    @authenticated_event(touch=False)
    def on_check_session(self, data: Any = None) -> dict[str, Any]:
        """Tell the client how long its session has left before the idle and absolute timeouts."""
        record = cast(UserSession, g.user_session)
        config = current_app.config
        now = now_utc()
        idle_left = record.last_seen_at + timedelta(minutes=config["SESSION_IDLE_MINUTES"]) - now
        absolute_left = record.created_at + timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]) - now
        return {"ok": True, "seconds_left": max(0, int(min(idle_left, absolute_left).total_seconds()))}


def disconnect_local_sockets(session_ids: Iterable[int], reason: str) -> int:
    """Tell and disconnect this process's sockets of the given sessions; return how many."""
    sockets = registry.sockets_of(session_ids)
    server = socketio.server
    if server is None:
        return 0
    for sid, namespace in sockets:
        # Sent straight to the socket (not through the message queue) so it arrives before the cut.
        server.emit(SESSION_ENDED_EVENT, {"reason": reason}, to=sid, namespace=namespace, ignore_queue=True)
        server.disconnect(sid, namespace=namespace)
        registry.remove(sid, namespace)
    return len(sockets)


def cut_live_sessions(session_ids: list[int], *, reason: str = "ended") -> None:
    """Cut the live sockets of ended sessions: at once in this process, via the sweep elsewhere.

    Call after the commit that ended the sessions. Every web process also gets a ``session_ended``
    event in the sessions' rooms (through the message queue), so browsers stop at once.
    """
    if not session_ids:
        return
    server = socketio.server
    if server is not None:
        for session_id in set(session_ids):
            socketio.emit(
                SESSION_ENDED_EVENT, {"reason": reason}, to=f"session:{session_id}", namespace=LIVE_NAMESPACE
            )
    count = disconnect_local_sockets(session_ids, reason)
    logger.info("Cut %s live socket(s) of %s ended session(s)", count, len(set(session_ids)))


def sweep_live_sessions() -> int:
    """Disconnect this process's sockets whose session ended or expired; return how many were cut.

    Runs inside an app context; ends expired sessions (with their audit rows) and commits.
    """
    snapshot = registry.snapshot()
    if not snapshot:
        return 0
    session_ids = set(snapshot.values())
    records = {
        record.id: record
        for record in db.session.scalars(sa.select(UserSession).where(UserSession.id.in_(session_ids)))
    }
    dead: dict[int, str] = {}
    for session_id in session_ids:
        record = records.get(session_id)
        reason = "ended" if record is None else session_expiry_reason(record)
        if reason is None:
            continue
        if record is not None:
            expire_session(record, reason)
        dead[session_id] = reason
    # The sweep is its own edge (a background loop, not an event): the ends are saved before the cut.
    db.session.commit()
    cut = 0
    for reason in set(dead.values()):
        cut += disconnect_local_sockets([sid for sid, why in dead.items() if why == reason], reason)
    return cut


def ensure_sweeper(app: Flask) -> None:
    """Start this process's sweep once, on its first socket (tests call the sweep directly)."""
    if app.testing:
        return
    with _sweeper_lock:
        if id(app) in _sweeper_apps:
            return
        _sweeper_apps.add(id(app))
    socketio.start_background_task(_sweep_forever, app)


def _sweep_forever(app: Flask) -> None:
    interval = SWEEP_INTERVAL_SECONDS
    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                sweep_live_sessions()
        except Exception:
            # One failed round (database restarting) must not stop the sweep for good.
            logger.exception("Live session sweep failed; retrying in %s s", interval)


def register_namespaces() -> None:
    """Attach the ``/live`` namespace to the app's Socket.IO server."""
    socketio.on_namespace(LiveNamespace(LIVE_NAMESPACE))
