"""/healthz reports the database, the broker and the message queue, and answers 503 when one is down."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.services import RedisServer


@pytest.mark.embedded
def test_healthz_reports_every_dependency_ok(client: FlaskClient, backend: str) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "message_queue"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    expected_broker = "filesystem" if backend == "sqlite" else "redis"
    assert body["checks"]["broker"]["detail"] == expected_broker


def test_healthz_is_503_while_redis_is_down(
    app: Flask, client: FlaskClient, redis_server: RedisServer | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if redis_server is None:
        pytest.skip("HAMKKE_TEST_REDIS_URL points at a server this suite must not stop")
    # The session app runs without a Socket.IO queue; give it one on the same Redis for this test.
    monkeypatch.setitem(app.config, "SOCKETIO_MESSAGE_QUEUE", redis_server.url)
    redis_server.stop()
    try:
        response = client.get("/healthz")
    finally:
        redis_server.start()

    assert response.status_code == 503
    body: dict[str, Any] = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["message_queue"]["status"] == "down"
    assert client.get("/healthz").status_code == 200
