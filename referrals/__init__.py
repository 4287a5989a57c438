"""Referrals (의뢰/회신), letters and the resource directory."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint and its API endpoints."""
    from referrals import api, views  # noqa: F401 -- importing api declares /api/v1/referrals

    app.register_blueprint(views.bp)
