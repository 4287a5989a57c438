"""The ``/live`` namespace: authenticated connects, per-event re-checks, cutting and the sweep."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient

from agencies.models import Agency, MembershipStatus, Person, UserSession
from agencies.sessions import SESSION_TOKEN_KEY, end_session, end_sessions_of, start_session
from agencies.signin.services import cut_live_sessions
from agencies.sockets import LIVE_NAMESPACE, registry, sweep_live_sessions
from hamkke.audit import AuditEntry
from hamkke.extensions import socketio
from hamkke.time import now_utc

SocketFactory = Callable[..., SocketIOTestClient]


@pytest.fixture
def live_socket(app: Flask, client: FlaskClient) -> Iterator[SocketFactory]:
    """Return a factory of /live test sockets sharing the test client's cookie; all closed afterwards."""
    opened: list[SocketIOTestClient] = []

    def connect(test_client: FlaskClient | None = None) -> SocketIOTestClient:
        socket = socketio.test_client(app, namespace=LIVE_NAMESPACE, flask_test_client=test_client or client)
        opened.append(socket)
        return socket

    yield connect
    for socket in opened:
        if socket.is_connected(LIVE_NAMESPACE):
            socket.disconnect(namespace=LIVE_NAMESPACE)
    assert registry.snapshot() == {}, "a socket stayed registered after the test"


@pytest.fixture
def worker(create_person: Callable[..., Person], dummy_agency: Agency) -> Person:
    return create_person(agency=dummy_agency)


def received(socket: SocketIOTestClient) -> list[dict[str, Any]]:
    """Events the socket got, readable after a disconnect too (``get_received`` refuses then)."""
    return [event for event in socket.queue if event["namespace"] == LIVE_NAMESPACE]


def event_names(socket: SocketIOTestClient) -> list[str]:
    return [event["name"] for event in received(socket)]


def disable_person(db: Any, person: Person) -> None:
    """Disable a person the way the staff service does: flag, bump, end sessions, commit, then cut."""
    person.is_active = False
    person.session_version += 1
    session_ids = end_sessions_of(person.id, "person_disabled")
    db.session.commit()
    cut_live_sessions(session_ids)


def test_anonymous_socket_is_refused_and_hears_nothing(live_socket: SocketFactory) -> None:
    socket = live_socket()

    assert not socket.is_connected(LIVE_NAMESPACE)
    assert received(socket) == []
    assert registry.snapshot() == {}


def test_signed_in_socket_connects_and_joins_its_rooms(
    live_socket: SocketFactory, login_as: Any, worker: Person
) -> None:
    record = login_as(worker)

    socket = live_socket()

    assert socket.is_connected(LIVE_NAMESPACE)
    assert set(registry.snapshot().values()) == {record.id}
    socketio.emit("ping_room", {"n": 1}, to=f"person:{worker.id}", namespace=LIVE_NAMESPACE)
    socketio.emit("ping_room", {"n": 2}, to=f"session:{record.id}", namespace=LIVE_NAMESPACE)
    assert event_names(socket) == ["ping_room", "ping_room"]


def test_check_session_reports_the_time_left(
    live_socket: SocketFactory, login_as: Any, worker: Person
) -> None:
    login_as(worker)
    socket = live_socket()

    answer = socket.emit("check_session", {}, namespace=LIVE_NAMESPACE, callback=True)

    assert answer["ok"] is True
    assert 29 * 60 <= answer["seconds_left"] <= 30 * 60


def test_ended_session_socket_is_refused(
    live_socket: SocketFactory, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    end_session(record, "signed_out")
    db.session.commit()

    assert not live_socket().is_connected(LIVE_NAMESPACE)


def test_idle_session_socket_is_refused_and_the_session_ends(
    live_socket: SocketFactory, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)

    with time_machine.travel(now_utc() + timedelta(minutes=31), tick=False):
        socket = live_socket()

    assert not socket.is_connected(LIVE_NAMESPACE)
    db.session.refresh(record)
    assert record.end_reason == "idle_timeout"


def test_session_awaiting_approval_cannot_open_a_socket(
    app: Flask,
    client: FlaskClient,
    live_socket: SocketFactory,
    create_person: Callable[..., Person],
    dummy_agency: Agency,
    db: Any,
) -> None:
    person = create_person(agency=dummy_agency, status=MembershipStatus.pending, roles=())
    with app.test_request_context("/"):
        from flask import session

        start_session(person, method="oidc", awaiting_approval=True)
        token = session[SESSION_TOKEN_KEY]
    db.session.commit()
    with client.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = token

    assert not live_socket().is_connected(LIVE_NAMESPACE)


def test_disabling_a_person_cuts_their_session_and_socket(
    client: FlaskClient, live_socket: SocketFactory, login_as: Any, worker: Person, db: Any
) -> None:
    login_as(worker)
    socket = live_socket()
    assert socket.is_connected(LIVE_NAMESPACE)

    disable_person(db, worker)

    assert not socket.is_connected(LIVE_NAMESPACE)
    assert event_names(socket)[0] == "session_ended"
    assert registry.snapshot() == {}
    # The next HTTP request of the same browser is anonymous.
    html = client.get("/").get_data(as_text=True)
    assert worker.name not in html


def test_cut_leaves_other_sessions_connected(
    app: Flask,
    live_socket: SocketFactory,
    login_as: Any,
    worker: Person,
    create_person: Callable[..., Person],
    dummy_agency: Agency,
    db: Any,
) -> None:
    other = create_person(agency=dummy_agency)
    other_client = app.test_client()
    login_as(worker)
    login_as(other, test_client=other_client)
    mine = live_socket()
    theirs = live_socket(other_client)

    disable_person(db, worker)

    assert not mine.is_connected(LIVE_NAMESPACE)
    assert theirs.is_connected(LIVE_NAMESPACE)


def test_sweep_cuts_sockets_whose_session_ended_in_another_process(
    live_socket: SocketFactory, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    socket = live_socket()
    # Another web process ended the session; its cut could not reach this process's sockets.
    end_sessions_of(worker.id, "person_disabled")
    db.session.commit()
    assert socket.is_connected(LIVE_NAMESPACE)

    cut = sweep_live_sessions()

    assert cut == 1
    assert not socket.is_connected(LIVE_NAMESPACE)
    assert received(socket)[0]["args"] == [{"reason": "person_disabled"}]
    assert record.id not in registry.snapshot().values()


def test_sweep_ends_idle_sessions_and_audits_them(
    live_socket: SocketFactory, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    socket = live_socket()

    with time_machine.travel(now_utc() + timedelta(minutes=31), tick=False):
        assert sweep_live_sessions() == 1

    assert not socket.is_connected(LIVE_NAMESPACE)
    db.session.refresh(record)
    assert record.end_reason == "idle_timeout"
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == record.id)).all()
    assert "auth.session_timeout" in actions


def test_sweep_keeps_live_sessions(live_socket: SocketFactory, login_as: Any, worker: Person) -> None:
    login_as(worker)
    socket = live_socket()

    assert sweep_live_sessions() == 0
    assert socket.is_connected(LIVE_NAMESPACE)


def test_every_event_rechecks_the_session(
    live_socket: SocketFactory, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    socket = live_socket()
    end_session(db.session.get(UserSession, record.id), "role_changed")
    db.session.commit()

    answer = socket.emit("check_session", {}, namespace=LIVE_NAMESPACE, callback=True)

    assert answer is None or answer == []
    assert not socket.is_connected(LIVE_NAMESPACE)
    assert received(socket)[0]["args"] == [{"reason": "role_changed"}]


def test_polling_the_session_does_not_keep_it_alive(
    live_socket: SocketFactory, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    socket = live_socket()
    start = now_utc()

    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        socket.emit("check_session", {}, namespace=LIVE_NAMESPACE, callback=True)
    db.session.refresh(record)

    # check_session is polling, not user activity: it must not keep the session alive.
    assert record.last_seen_at < start + timedelta(minutes=1)
