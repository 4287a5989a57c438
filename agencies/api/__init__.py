"""The agency API under ``/api/v1``: OAuth2 client credentials, directory endpoints, OpenAPI document."""

from __future__ import annotations

from flask import Flask


def init_api(app: Flask) -> None:
    """Register the API blueprint (CSRF-exempt: bearer tokens only, no cookies) and the OAuth2 server."""
    from agencies.api import openapi, routes  # noqa: F401 -- importing declares the routes
    from agencies.api.oauth2 import init_oauth2
    from agencies.api.registry import bp
    from hamkke.extensions import csrf
    from referrals import api as referral_api  # noqa: F401 -- declares /referrals before bp is registered

    csrf.exempt(bp)
    init_oauth2(app)
    app.register_blueprint(bp)
