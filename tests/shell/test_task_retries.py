"""Tasks retry transient failures (a busy or disconnected database, a broker hiccup) with backoff."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from hamkke.retry import TRANSIENT_ERRORS
from referrals import tasks as referral_tasks

pytestmark = pytest.mark.embedded


def _busy() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("INSERT INTO referral_letters …", {}, sqlite3.OperationalError("busy"))


def _failing_once(result: Any) -> tuple[Callable[..., Any], list[int]]:
    calls: list[int] = []

    def run(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise _busy()
        return result

    return run, calls


def test_every_task_retries_transient_failures_with_backoff(app: Flask) -> None:
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    ours = [task for name, task in celery.tasks.items() if not name.startswith("celery.")]
    assert ours
    for task in ours:
        assert sa.exc.OperationalError in tuple(task.autoretry_for), task.name
        assert task.retry_backoff, task.name
        assert task.max_retries, task.name
    assert OSError in TRANSIENT_ERRORS


def test_a_letter_render_that_meets_a_busy_database_is_retried_not_left_to_the_sweeper(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Letter:
        id = 41

    run, calls = _failing_once(Letter())
    monkeypatch.setattr(referral_tasks.letters, "ensure_letter", run)
    # Run as the worker runs it (not called directly): the busy database is retried, then succeeds.
    result = referral_tasks.render_letter.apply(args=(7, "request"), throw=False)
    assert result.get() == 41
    assert len(calls) == 2


def test_an_outbox_delivery_that_meets_a_busy_database_is_retried(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications import tasks as notification_tasks

    run, calls = _failing_once("sent")
    monkeypatch.setattr(notification_tasks, "deliver", run)
    result = notification_tasks.deliver_outbox_message.apply(args=(7,), throw=False)
    assert result.get() == "sent"
    assert len(calls) == 2
