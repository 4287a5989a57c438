"""Referrals (의뢰/회신), letters and the resource directory."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint and its API endpoints."""
    from referrals import views

    app.register_blueprint(views.bp)
