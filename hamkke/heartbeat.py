"""Worker heartbeats: proof that a task went through the broker and a real worker."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hamkke.db import Model, UTCDateTime, db
from hamkke.time import now_utc


class WorkerHeartbeat(Model):
    """A token written by the ``hamkke.heartbeat`` task; the token makes the task idempotent."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: idempotency key chosen by whoever enqueued the task
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: where the heartbeat came from: ``beat``, ``cli``, ``health``, ``test``
    source: Mapped[str] = mapped_column(sa.String(20))
    #: when the worker handled it
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)
    #: host name and pid of the worker process
    worker: Mapped[str] = mapped_column(sa.String(200))


def latest_heartbeat() -> WorkerHeartbeat | None:
    """Return the most recent heartbeat, or None before the first one."""
    return db.session.scalars(
        sa.select(WorkerHeartbeat).order_by(WorkerHeartbeat.handled_at.desc()).limit(1)
    ).first()
