"""Referrals (의뢰/회신), letters and the resource directory."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, API endpoints, outside letters' send check and the digest's referrals part."""
    # function-level: the app factory imports this package by name, and every referrals module (models,
    # services) runs this file first; the views, API and hooks load only when the app wires the package.
    from notifications.digest import register_digest_section
    from notifications.send_checks import register_send_check
    from referrals import api, views  # noqa: F401 -- importing api declares /api/v1/referrals
    from referrals.digest import add_referrals
    from referrals.outside import CHECK_KIND, log_email_disclosure, outside_email_allowed

    app.register_blueprint(views.bp)
    # A letter e-mailed to an outside organisation is re-checked against consent when it goes, and
    # its disclosure is logged once it has gone.
    register_send_check(CHECK_KIND, allows=outside_email_allowed, on_sent=log_email_disclosure)
    register_digest_section("referrals", add_referrals)
