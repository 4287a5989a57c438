"""The only module that builds an app at import time: ``celery -A worker.main worker``."""

from __future__ import annotations

from hamkke.app import create_app

# Not named ``app``: Celery's ``-A worker.main`` looks for an attribute called ``app`` first.
flask_app = create_app()
celery = flask_app.extensions["celery"]
