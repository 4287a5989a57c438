"""Clients, households and the case process from 발굴 to 사후관리."""

from __future__ import annotations

from flask import Flask

from notifications.digest import register_digest_section


def init_app(app: Flask) -> None:
    """Register the blueprint, the commands and the weekly digest part (cases due for closure review)."""
    # function-level: every `import cases.<module>` runs this file, and cases.views imports consents
    # and referrals, which import cases.models: a module-level import here closes that cycle.
    # The digest section reads cases.models too, so it waits for the app as well.
    from cases.cli import cases_cli
    from cases.queries.staleness import add_stale_cases_to_digest
    from cases.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(cases_cli)
    register_digest_section("cases", add_stale_cases_to_digest)
