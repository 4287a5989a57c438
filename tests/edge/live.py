"""Helpers of the logged-disclosure tests: sign-in cookies, CSRF tokens and log rows seen from outside.

The rows are counted through a new engine, never through the app's session, so only committed rows
count. Sessions are made for the live server (its own database), and the objects the tests open are
built in the live app's context with the product's services and committed before any request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask


@contextmanager
def committed(app: Flask) -> Iterator[Any]:
    """Run a block in the live app's context with its session; commit it at the end."""
    from hamkke.db import db

    with app.app_context():
        try:
            yield db.session
            db.session.commit()
        finally:
            db.session.remove()


def signed_in(app: Flask, person_id: int, agency_id: int) -> requests.Session:
    """A real HTTP session whose cookie carries a fresh sign-in session of the person."""
    from agencies.models import Person
    from agencies.sessions import SESSION_TOKEN_KEY, start_session
    from hamkke.db import db

    with app.app_context(), app.test_request_context("/"):
        from flask import session

        person = db.session.get(Person, person_id)
        assert person is not None
        start_session(person, method="test", acting_agency_id=agency_id)
        cookie_value = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
            {SESSION_TOKEN_KEY: session[SESSION_TOKEN_KEY]}
        )
        db.session.commit()
        db.session.remove()
    http = requests.Session()
    http.trust_env = False  # loopback only
    http.cookies.set(app.config["SESSION_COOKIE_NAME"], cookie_value, domain="127.0.0.1")
    return http


def cookie_header(app: Flask, http: requests.Session) -> str:
    """The ``Cookie`` header of a signed-in session, for a Socket.IO client."""
    name = app.config["SESSION_COOKIE_NAME"]
    return f"{name}={http.cookies.get(name)}"


def csrf_token(page: requests.Response) -> str:
    """The CSRF token a page carries in its meta tag."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def log_rows(
    engine: sa.Engine,
    *,
    actor_id: int | None = None,
    agency_id: int | None = None,
    client_id: int | None = None,
) -> int:
    """Count committed access-log rows of a viewer (person, or agency system) from a separate connection."""
    query = "SELECT count(*) FROM consent_access_log WHERE 1 = 1"
    params: dict[str, Any] = {}
    for column, value in (("actor_id", actor_id), ("agency_id", agency_id), ("client_id", client_id)):
        if value is not None:
            query += f" AND {column} = :{column}"
            params[column] = value
    with engine.connect() as connection:
        return int(connection.execute(sa.text(query), params).scalar_one())


def eventually(check: Callable[[], bool], *, attempts: int = 100) -> bool:
    """Poll a condition that another thread makes true (socket handlers run in the server's threads)."""
    import time

    for _ in range(attempts):
        if check():
            return True
        time.sleep(0.1)
    return check()


class RoomSocket:
    """A real python-socketio client of /conference on the live server, recording what it receives."""

    def __init__(self, url: str, cookie: str) -> None:
        import threading

        import socketio

        self.url = url
        self.cookie = cookie
        self.events: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record, namespace="/conference")

    def _record(self, event: str, data: Any = None) -> None:
        with self._lock:
            self.events.append((event, data))

    def connect(self, conference_id: int) -> None:
        """Join the conference's room (polling: the live server is plain Werkzeug)."""
        self.client.connect(
            self.url,
            namespaces=["/conference"],
            headers={"Cookie": self.cookie},
            auth={"conference_id": conference_id},
            transports=["polling"],
            wait_timeout=30,
        )

    def call(self, event: str, data: dict[str, Any]) -> Any:
        """Emit an event and wait for its acknowledgement."""
        return self.client.call(event, data, namespace="/conference", timeout=60)

    def count(self, name: str) -> int:
        """How many events of a name arrived so far."""
        with self._lock:
            return sum(1 for event, _data in self.events if event == name)

    def close(self) -> None:
        """Leave the room."""
        if self.client.connected:
            self.client.disconnect()
