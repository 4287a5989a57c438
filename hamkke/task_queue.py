"""Bind a Celery app to a Flask app: JSON only, tasks run inside the app context."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask, has_app_context

from hamkke import filesystem_broker
from hamkke.config import PACKAGES
from hamkke.db import db
from hamkke.retry import RETRY_TRANSIENT
from hamkke.schedule import beat_schedule
from hamkke.unit_of_work import run_task

#: modules that may define tasks: the shell's, then each installed package's (skipped when it has none)
TASK_MODULES = ("hamkke.tasks", *(f"{name}.tasks" for name in PACKAGES))


def filesystem_transport_options(folder: str) -> dict[str, Any]:
    """Return kombu filesystem-transport options for the embedded, server-less broker."""
    filesystem_broker.register()  # whole messages only: kombu's own writer races its reader
    queue_folder = Path(folder) / "queue"
    processed = Path(folder) / "processed"
    control = Path(folder) / "control"
    for path in (queue_folder, processed, control):
        path.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue_folder),
        "data_folder_out": str(queue_folder),
        "processed_folder": str(processed),
        "control_folder": str(control),
        "store_processed": False,
    }


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for ``app`` and store it in ``app.extensions['celery']``."""

    class FlaskTask(Task):
        # Every task retries transient failures (a busy SQLite file, a restarting database, a broker
        # hiccup) with backoff instead of failing and waiting for a sweeper; tasks are idempotent.
        autoretry_for = RETRY_TRANSIENT["autoretry_for"]
        retry_backoff = RETRY_TRANSIENT["retry_backoff"]
        retry_backoff_max = RETRY_TRANSIENT["retry_backoff_max"]
        retry_jitter = RETRY_TRANSIENT["retry_jitter"]
        max_retries = RETRY_TRANSIENT["max_retries"]

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            # Called in-process (a command, another task, a test) the task runs in the caller's app:
            # tasks are shared, so the Celery app they resolve to is the last one created, whose Flask
            # app may hold other settings. In a worker no context is active and this app's is pushed.
            # The task is one unit of work: committed when it returns, rolled back when it raises
            # (joining the caller's unit when called in-process from a request, event or task).
            if has_app_context():
                return run_task(self.name, self.run, args, kwargs)
            with app.app_context():
                return run_task(self.name, self.run, args, kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    broker_url = app.config["BROKER_URL"]
    transport_options: dict[str, Any] = {}
    if broker_url.startswith("filesystem://"):
        transport_options = filesystem_transport_options(app.config["BROKER_FOLDER"])
    else:
        # Redis redelivers an unacknowledged task after this long; it must exceed the longest task.
        # Short socket timeouts keep a web request from hanging on a publish while Redis is down
        # (the outbox sweeper sends whatever could not be enqueued then).
        transport_options = {
            "visibility_timeout": int(app.config.get("BROKER_VISIBILITY_TIMEOUT", 3600)),
            "socket_connect_timeout": 3,
            "socket_timeout": 5,
        }
    celery_app.conf.update(
        broker_url=broker_url,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_always_eager=app.config.get("CELERY_TASK_ALWAYS_EAGER", False),
        task_eager_propagates=True,
        timezone="Asia/Seoul",
        enable_utc=True,
        beat_schedule=beat_schedule(),
        worker_hijack_root_logger=False,
        include=[name for name in TASK_MODULES if importlib.util.find_spec(name) is not None],
    )
    celery_app.set_default()

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_: Any) -> None:
        # A forked pool process must not share the parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)

    app.extensions["celery"] = celery_app
    return celery_app
