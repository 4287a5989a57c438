"""Dashboards, statistics, exports and the monthly report: a reporting layer over every domain."""

from __future__ import annotations

from flask import Flask

from dashboards import views


def init_app(app: Flask) -> None:
    """Register the dashboards blueprint."""
    app.register_blueprint(views.bp)
