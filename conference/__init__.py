"""The 통합사례회의: agenda, live meeting, lead agency, roles, SOAP minutes and actions."""

from __future__ import annotations

from flask import Flask

from hamkke.signals import consent_changed
from notifications.digest import register_digest_section


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, sockets, receivers and its part of the weekly digest."""
    # function-level: every `import conference.<module>` runs this file, and the sockets and views
    # import referrals.services, which imports conference.models: a module-level import would close
    # that cycle (the digest section reads conference.models, so it waits for the app as well).
    from conference.cadence_views import bp as cadences_bp
    from conference.digest import add_overdue_actions
    from conference.sockets import register_namespaces
    from conference.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(cadences_bp)
    register_namespaces()
    register_digest_section("conference", add_overdue_actions)
    # A revocation mid-meeting must redact open panels at once, not at the next event.
    consent_changed.connect(_on_consent_changed, weak=False)


def _on_consent_changed(client_id: int, **_kwargs: object) -> None:
    # function-level: the socket edge, not loaded with the package (see init_app)
    from conference.sockets import refresh_after_consent_change

    refresh_after_consent_change(client_id)
