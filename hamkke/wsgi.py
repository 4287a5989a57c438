"""The gunicorn entry point ``hamkke.wsgi:app``; builds the app at import, or exits with one line.

gunicorn runs it with ``--preload`` (deploy/gunicorn.conf.py), so a configuration error stops the
master with exit code 2 instead of making it respawn a failing worker forever.
"""

from __future__ import annotations

import sys

from flask import Flask

from hamkke.app import create_app
from hamkke.config import ConfigError

CONFIG_ERROR_EXIT_CODE = 2


def build_app() -> Flask:
    """Build the app; on a configuration error print one line to stderr and exit with code 2."""
    try:
        return create_app()
    except ConfigError as error:
        print(f"설정 오류 / configuration error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(CONFIG_ERROR_EXIT_CODE) from None


app = build_app()
