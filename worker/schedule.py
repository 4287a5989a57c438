"""Every periodic job of the product, in one auditable place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Return the Celery beat schedule; jobs are computed from data, so re-running one sends nothing twice."""
    return {
        # Safety net of the outbox: deliveries whose enqueue was lost (broker down) or whose worker
        # died are sent from here; a healthy system finds nothing to do.
        "notifications-sweep-outbox": {
            "task": "notifications.sweep_outbox",
            "schedule": timedelta(seconds=30),
        },
        "worker-heartbeat": {
            "task": "hamkke.record_heartbeat",
            "schedule": timedelta(minutes=1),
            "kwargs": {"source": "beat"},
        },
    }
