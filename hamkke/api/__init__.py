"""The API framework under ``/api/v1``: route registry, OAuth2 server, OpenAPI document.

The shell owns the machinery; each domain declares its endpoints with ``hamkke.api.registry.api``
from its own ``init_app`` (agencies: the directory and the API clients' credentials; referrals: the
referral endpoints). The blueprint is registered by `init_api` once every domain has declared its
routes (Flask refuses routes added to a registered blueprint).
"""

from __future__ import annotations

from flask import Flask

from hamkke.api.registry import bp
from hamkke.extensions import csrf


def init_api(app: Flask) -> None:
    """Register the API blueprint (CSRF-exempt: bearer tokens only, no cookies) and the OAuth2 server."""
    # function-level: importing these declares their operations (/openapi.json, the token endpoints) on
    # the registry; that belongs to building an app, not to every import of hamkke.api.registry.
    from hamkke.api import openapi  # noqa: F401 -- importing declares /openapi.json
    from hamkke.api.oauth2 import init_oauth2

    csrf.exempt(bp)
    init_oauth2(app)
    app.register_blueprint(bp)
