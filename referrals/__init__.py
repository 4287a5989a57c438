"""Referrals (의뢰/회신), letters and the resource directory."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, its API endpoints and its part of the weekly digest."""
    from notifications.digest import register_digest_section
    from referrals import views
    from referrals.digest import add_referrals

    app.register_blueprint(views.bp)
    register_digest_section("referrals", add_referrals)
