"""Clients, households and the case process from 발굴 to 사후관리."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, sockets, receivers and commands."""
    # function-level: every `import cases.<module>` runs this file, and cases.views imports consents
    # and referrals, which import cases.models: a module-level import here closes that cycle.
    from cases.cli import cases_cli
    from cases.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(cases_cli)
