"""The only module that builds an app at import time: ``celery -A worker.main worker``."""

from __future__ import annotations

from hamkke.app import create_app

app = create_app()
celery = app.extensions["celery"]
