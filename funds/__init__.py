"""사례관리사업비 (the case fund): budgets, spend requests and their 결재, the quarterly settlement."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the fund's blueprint (its pages and the settlement downloads)."""
    # function-level: the app factory imports this package by name and every funds module runs this
    # file first; the views load only when the app wires the package.
    from funds import settlement_views, views  # noqa: F401 -- settlement_views adds its routes to views.bp

    app.register_blueprint(views.bp)
