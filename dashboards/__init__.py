"""Dashboards, statistics, exports and the monthly report: a reporting layer over every domain."""

from __future__ import annotations

from flask import Flask

from dashboards import district_views, views


def init_app(app: Flask) -> None:
    """Register the dashboards blueprint and the district coordinator's statistics pages."""
    app.register_blueprint(views.bp)
    app.register_blueprint(district_views.bp)
