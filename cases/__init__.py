"""Clients, households and the case process from 발굴 to 사후관리."""

from __future__ import annotations

from flask import Flask

from notifications.digest import register_digest_section


def init_app(app: Flask) -> None:
    """Register this domain's blueprint and its part of the weekly digest (cases due for closure review)."""
    # function-level: every `import cases.<module>` runs this file, and cases.views imports consents
    # and referrals, which import cases.models: a module-level import here closes that cycle.
    # The digest section reads cases.models too, so it waits for the app as well.
    from cases.queries.staleness import add_stale_cases_to_digest
    from cases.views import bp

    app.register_blueprint(bp)
    register_digest_section("cases", add_stale_cases_to_digest)
