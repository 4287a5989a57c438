"""In-app, e-mail and webhook notifications with visible delivery status."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the inbox and the unread badge of the header."""
    from notifications.views import bp, unread_badge

    app.register_blueprint(bp)
    app.context_processor(unread_badge)
