"""An unreachable database, Redis or broker is an outage: 503, Retry-After, Korean words, nothing saved.

tests/test_production.py stops the real PostgreSQL and Redis behind nginx; here each kind of
outage error is raised inside a request of the session app, after the request flushed a row.
"""

from __future__ import annotations

from typing import Any

import kombu.exceptions
import pytest
import redis.exceptions
import sqlalchemy as sa
import sqlalchemy.exc
from flask import Flask
from flask.testing import FlaskClient

from agencies.models import District

OUTAGES = [
    sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused")),
    redis.exceptions.ConnectionError("Error 111 connecting to redis"),
    redis.exceptions.TimeoutError("Timeout reading from socket"),
    kombu.exceptions.OperationalError("[Errno 111] Connection refused"),
]


@pytest.fixture(
    params=OUTAGES, ids=lambda error: type(error).__module__.split(".")[0] + "." + type(error).__name__
)
def outage(request: pytest.FixtureRequest, app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch) -> Exception:
    error: Exception = request.param

    def half_done() -> str:
        db.session.add(District(code="half-saved", name="반쯤 저장된 구", settings={}))
        db.session.flush()
        raise error

    # Routes cannot be added to an app that already served requests; replace a view instead.
    monkeypatch.setitem(app.view_functions, "core.index", half_done)
    return error


def saved(db: Any) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(District).where(District.code == "half-saved")
        )
    )


def test_an_outage_is_a_korean_503_page_with_retry_after(
    client: FlaskClient, outage: Exception, db: Any
) -> None:
    response = client.get("/")

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "잠시 후 다시 시도해 주세요" in html
    assert str(outage) not in html
    assert saved(db) == 0


def test_an_outage_is_json_for_htmx_and_the_api(client: FlaskClient, outage: Exception, db: Any) -> None:
    response = client.get("/", headers={"HX-Request": "true"})

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "unavailable"
    assert "잠시 후 다시 시도" in error["message"]
    assert error["message_en"]
    assert saved(db) == 0
