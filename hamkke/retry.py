"""Which task failures are transient, and how tasks retry them: with backoff, a bounded number of times."""

from __future__ import annotations

from typing import Any

import kombu.exceptions
import sqlalchemy.exc

#: failures that pass by themselves: a busy or restarting database, a dropped connection, a broker
#: hiccup, a full disk or network blip (OSError). Retrying is safe because every task is idempotent.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    kombu.exceptions.OperationalError,
    OSError,
)

#: the retry policy of every task (hamkke/task_queue.py sets it on the task base class): first retry after
#: about a second, doubling up to a minute, with jitter so that retries of many tasks do not collide
RETRY_TRANSIENT: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 10,
}
