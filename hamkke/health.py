"""``/healthz``: the state of the database, the broker and the message queue for load balancers."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from hamkke.db import db
from hamkke.extensions import csrf, limiter
from hamkke.heartbeat import latest_heartbeat
from hamkke.time import now_utc

bp = Blueprint("health", __name__)

#: a worker that has not answered for this long is reported stale (beat sends one a minute)
WORKER_STALE_AFTER = timedelta(minutes=5)
CHECK_TIMEOUT_SECONDS = 2


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = check()
        result: dict[str, Any] = {"status": "ok"}
        if detail:
            result["detail"] = detail
    except Exception as exc:  # a health check reports failures; it must never raise them
        result = {"status": "down", "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _check_database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def _ping_redis(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def _check_broker() -> str:
    url = current_app.config["BROKER_URL"]
    if url.startswith("filesystem://"):
        folder = Path(current_app.config["BROKER_FOLDER"])
        if not folder.is_dir():
            raise FileNotFoundError(str(folder))
        return "filesystem"
    _ping_redis(url)
    return "redis"


def _check_message_queue() -> str:
    url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return "embedded"
    if url.startswith("filesystem://"):
        return "filesystem"
    _ping_redis(url)
    return "redis"


def _worker_state() -> dict[str, Any]:
    try:
        beat = latest_heartbeat()
    except Exception as exc:  # the database check above already reports the cause
        db.session.rollback()
        return {"status": "unknown", "error": type(exc).__name__}
    if beat is None:
        return {"status": "unknown"}
    age = now_utc() - beat.handled_at
    return {
        "status": "ok" if age <= WORKER_STALE_AFTER else "stale",
        "last_seen": beat.handled_at.isoformat(),
    }


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz() -> ResponseReturnValue:
    """Report each dependency; 503 when the database, the broker or the message queue is down."""
    checks = {
        "database": _timed(_check_database),
        "broker": _timed(_check_broker),
        "message_queue": _timed(_check_message_queue),
    }
    if checks["database"]["status"] != "ok":
        db.session.rollback()
    healthy = all(check["status"] == "ok" for check in checks.values())
    body = {"status": "ok" if healthy else "down", "checks": checks, "worker": _worker_state()}
    return jsonify(body), 200 if healthy else 503
