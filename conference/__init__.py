"""The 통합사례회의: agenda, live meeting, lead agency, roles, SOAP minutes and actions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint, sockets, receivers and its part of the weekly digest."""
    from conference.digest import add_overdue_actions
    from conference.sockets import register_namespaces
    from conference.views import bp
    from hamkke.signals import consent_changed
    from notifications.digest import register_digest_section

    app.register_blueprint(bp)
    register_namespaces()
    register_digest_section("conference", add_overdue_actions)
    # A revocation mid-meeting must redact open panels at once, not at the next event.
    consent_changed.connect(_on_consent_changed, weak=False)


def _on_consent_changed(client_id: int, **_kwargs: object) -> None:
    from conference.sockets import refresh_after_consent_change

    refresh_after_consent_change(client_id)
