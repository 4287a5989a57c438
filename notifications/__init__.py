"""In-app, e-mail and webhook notifications with visible delivery status."""

from __future__ import annotations

from flask import Flask

from notifications.views import bp, unread_badge


def init_app(app: Flask) -> None:
    """Register the inbox and the unread badge of the header."""
    app.register_blueprint(bp)
    app.context_processor(unread_badge)
