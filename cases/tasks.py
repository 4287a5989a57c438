"""Scheduled jobs of the cases domain."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from cases.models import Attachment
from cases.retention import purge_expired_records
from cases.services.staleness import notify_stale_cases
from hamkke.db import after_commit, db
from hamkke.time import today_local

logger = logging.getLogger(__name__)

#: files younger than this may belong to an upload not yet committed
ORPHAN_GRACE_SECONDS = 3600


def _remove_files(keys: list[str]) -> None:
    folder = Path(current_app.instance_path) / "case_files"
    for key in keys:
        (folder / key).unlink(missing_ok=True)


def _orphan_files() -> list[str]:
    """Return stored files no attachment row names (left by rolled-back uploads)."""
    folder = Path(current_app.instance_path) / "case_files"
    if not folder.is_dir():
        return []
    # An upload whose transaction is still open has no committed row yet: leave young files alone.
    cutoff = time.time() - ORPHAN_GRACE_SECONDS
    on_disk = {path.name for path in folder.iterdir() if path.is_file() and path.stat().st_mtime < cutoff}
    if not on_disk:
        return []
    named = set(
        db.session.scalars(sa.select(Attachment.storage_key).where(Attachment.storage_key.in_(on_disk)))
    )
    return sorted(on_disk - named)


@shared_task(name="cases.purge_expired_records")
def purge_expired_records_task() -> int:
    """Destroy case records 5 years after closure or 미선정, with a destruction log; safe to re-run."""
    purged, files = purge_expired_records(today_local())
    files.extend(_orphan_files())
    # Files go only once the rows that named them are gone for good.
    after_commit(lambda: _remove_files(files))
    return purged


@shared_task(name="cases.notify_stale_cases")
def notify_stale_cases_task() -> int:
    """Tell workers and supervisors of stale cases (refusal, lost contact, ended plan); safe to re-run."""
    return notify_stale_cases(today_local())
