"""Consent records, the disclosure gate and the access log."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, commands, audit-link helper, grants reader and the outbox's consent check."""
    # function-level: the app factory imports this package by name, and every consents module (models,
    # gate) runs this file first; the views, CLI and hooks load only when the app wires the package.
    from agencies.sessions import current_person, current_session
    from cases import consent_basis
    from consents import access, case_grants, views
    from consents.cli import consents_cli
    from notifications.send_checks import provide_message_gate

    consent_basis.provide_grants_in_force(app, case_grants.grants_in_force)
    # Every outbox e-mail about a client is re-checked against consent as it goes.
    provide_message_gate(app, access.outbox_message_allowed)
    app.register_blueprint(views.bp)
    app.cli.add_command(consents_cli)

    @app.context_processor
    def inject_audit_link() -> dict[str, Any]:
        def can_audit() -> bool:
            session = current_session()
            agency_id = session.acting_agency_id if session is not None else None
            return access.audit_scope(current_person(), agency_id) is not None

        return {"can_audit_access_log": can_audit}
