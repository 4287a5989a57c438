"""In-app, e-mail and webhook notifications with visible delivery status."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, sockets, receivers and commands."""
