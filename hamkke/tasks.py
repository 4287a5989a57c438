"""Tasks of the shell: the heartbeat that proves a task went through broker and worker."""

from __future__ import annotations

import logging
import os
import socket

import sqlalchemy as sa
from celery import shared_task
from sqlalchemy.exc import IntegrityError

from hamkke.db import db
from hamkke.heartbeat import WorkerHeartbeat
from hamkke.time import now_utc

logger = logging.getLogger(__name__)


@shared_task(name="hamkke.record_heartbeat")
def record_heartbeat(token: str | None = None, source: str = "beat") -> str:
    """Write a heartbeat row once per token (a redelivered task writes nothing more)."""
    token = token or now_utc().strftime("beat-%Y%m%dT%H%M")
    exists = db.session.scalar(sa.select(WorkerHeartbeat.id).where(WorkerHeartbeat.token == token))
    if exists is None:
        db.session.add(
            WorkerHeartbeat(
                token=token, source=source[:20], worker=f"{socket.gethostname()}:{os.getpid()}"[:200]
            )
        )
        try:
            db.session.commit()
        except IntegrityError:
            # Two deliveries of the same task raced; the unique token kept the effect single.
            db.session.rollback()
        else:
            logger.info("Heartbeat %s recorded", token)
    return token
