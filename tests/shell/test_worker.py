"""A task goes through the real Redis broker to a real Celery worker process and happens once."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from hamkke.heartbeat import WorkerHeartbeat
from tests.fixtures.processes import celery_worker_command, clean_environment, running, wait_until


@pytest.fixture
def worker_env(database_url: str, session_redis_url: str | None, tmp_path: Path) -> dict[str, str]:
    if session_redis_url is None:
        pytest.skip("the embedded pass runs the worker through tests/shell/test_embedded.py")
    return clean_environment(
        {
            "HAMKKE_DATABASE_URL": database_url,
            "HAMKKE_REDIS_URL": session_redis_url,
            "HAMKKE_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        }
    )


def _heartbeats(db: Any, token: str) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).where(WorkerHeartbeat.token == token)))


def test_task_runs_through_redis_and_a_real_worker_once(
    app: Flask, db: Any, worker_env: dict[str, str], tmp_path: Path
) -> None:
    celery = app.extensions["celery"]
    # A queue of its own, so messages other tests published are not this worker's business.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    token = f"test-{uuid.uuid4().hex}"
    try:
        with running(celery_worker_command("--queues", queue), worker_env, tmp_path / "worker.log"):
            # The same token twice stands for a redelivered task: its effect must happen once.
            for _ in range(2):
                celery.send_task(
                    "hamkke.record_heartbeat", kwargs={"token": token, "source": "test"}, queue=queue
                )
            wait_until(
                lambda: _heartbeats(db, token) == 1, timeout=60, message="heartbeat written by the worker"
            )
            # The duplicate delivery must not add a second row: wait for the queue to drain.
            wait_until(
                lambda: _queue_length(worker_env["HAMKKE_REDIS_URL"], queue) == 0,
                timeout=30,
                message="queue drained",
            )
        assert _heartbeats(db, token) == 1
    finally:
        with db.engine.begin() as connection:
            connection.execute(sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.token == token))
    log = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert "hamkke.record_heartbeat" in log


def _queue_length(redis_url: str, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def test_a_task_called_in_process_runs_in_the_callers_app(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery import shared_task
    from flask import current_app

    from hamkke.app import create_app

    # Another app created later becomes Celery's default, so shared tasks resolve to it.
    other = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "MAIL_PORT": 2})
    monkeypatch.setitem(app.config, "MAIL_PORT", 2525)
    try:

        @shared_task(name="tests.mail_port_seen_by_task")
        def mail_port_seen_by_task() -> int:
            return int(current_app.config["MAIL_PORT"])

        assert other.extensions["celery"] is not app.extensions["celery"]
        assert mail_port_seen_by_task() == 2525
    finally:
        app.extensions["celery"].set_default()
