"""The district network: 권역, dongs, agencies, staff and roles; sign-in and the agency API."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Register sign-in session loading, the blueprints and the template helpers of the network."""
    from agencies.sessions import current_person, load_session_for_request

    app.before_request(load_session_for_request)

    @app.context_processor
    def inject_person() -> dict[str, Any]:
        return {"current_person": current_person()}
