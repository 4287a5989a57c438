"""The district network: 권역, dongs, agencies, staff and roles; sign-in and the agency API."""

from __future__ import annotations

from typing import Any

from flask import Flask

from agencies import sockets, views
from agencies.api import register_endpoints
from agencies.cli import agencies_cli
from agencies.sessions import current_pending_session, current_person, load_session_for_request
from agencies.setup_cli import setup_command
from agencies.signin import views as signin_views
from agencies.signin.break_glass import confine_break_glass


def init_app(app: Flask) -> None:
    """Register session loading, the blueprints, the live socket namespace, the CLI and template helpers."""
    app.before_request(load_session_for_request)
    app.before_request(confine_break_glass)
    app.register_blueprint(signin_views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.account_bp)
    register_endpoints()
    sockets.register_namespaces()
    app.cli.add_command(agencies_cli)
    app.cli.add_command(setup_command)

    @app.context_processor
    def inject_person() -> dict[str, Any]:
        return {"current_person": current_person(), "pending_session": current_pending_session()}
