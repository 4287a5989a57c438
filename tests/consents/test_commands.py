"""Commands, beat tasks and guards of consents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from cases.models import Client
from consents import access, services, tasks
from consents.access_log import log_disclosure
from consents.models import AccessLogEntry, Consent
from hamkke.errors import ConsentRequired, ValidationFailed
from hamkke.schedule import beat_schedule
from hamkke.time import now_utc
from tests.fixtures.consents import ConsentWorld, grant

pytestmark = pytest.mark.embedded


def test_beat_schedule_runs_the_consent_jobs() -> None:
    tasks_scheduled = {job["task"] for job in beat_schedule().values()}
    assert {
        "consents.announce_expired_consents",
        "consents.remind_request_deadlines",
        "consents.purge_access_log",
        "consents.verify_access_log",
    } <= tasks_scheduled


def test_tasks_run_and_are_idempotent(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    services.record_request(
        create_client(), actor=consent_world.worker, agency=consent_world.owner, kind="access"
    )
    assert tasks.remind_request_deadlines.run() == 0  # due in 10 days: not yet
    assert tasks.verify_access_log.run() is True
    assert tasks.purge_access_log.run() == 0
    assert tasks.announce_expired_consents.run() == 0


def test_purge_log_command_dry_run_counts_only(app: Flask, db: Any) -> None:
    with time_machine.travel(now_utc() - timedelta(days=3000), tick=False):
        log_disclosure(
            actor_id=1,
            agency_id=1,
            client_id=1,
            field_groups=["basic"],
            purpose="x",
            channel="page",
            basis="owner",
        )
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    result = app.test_cli_runner().invoke(args=["consents", "purge-log", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "past retention" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) == before


def test_collection_consent_guard(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    assert not access.has_collection_consent(client)
    consent = sign_consent(client, grant("case_management", "collector", ("basic", "economic")))
    assert access.has_collection_consent(client)
    services.revoke_consent(consent, actor=consent_world.worker)
    assert not access.has_collection_consent(client)


def test_require_consent_raises_for_groups_outside_consent(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic",)))
    access.require_consent(client, consent_world.recipient, purpose="referral", field_groups={"basic"})
    with pytest.raises(ConsentRequired, match="동의 범위"):
        access.require_consent(
            client, consent_world.recipient, purpose="referral", field_groups={"basic", "family"}
        )


def test_oversized_scan_is_refused(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    data = b"%PDF-" + b"0" * services.MAX_ATTACHMENT_BYTES
    with pytest.raises(ValidationFailed, match="10MB"):
        sign_consent(
            create_client(),
            grant(recipient_agency_id=consent_world.recipient.id),
            method="scanned_form",
            attachment=services.Attachment("big.pdf", "application/pdf", data),
        )


def test_monthly_review_notifies_auditors_once_per_month(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], app: Flask, monkeypatch: Any
) -> None:
    from consents.gate import view_clients
    from notifications.models import Notification

    monkeypatch.setitem(app.config, "CONSENTS_UNUSUAL_ACCESS_THRESHOLD", 1)
    last_month = (now_utc().replace(day=1) - timedelta(days=3)).replace(hour=3)
    with time_machine.travel(last_month, tick=False):
        clients = [create_client() for _ in range(3)]
        view_clients(
            clients, consent_world.worker, purpose="case_management", acting_agency_id=consent_world.owner.id
        )
    report = services.review_last_month()
    assert [item.actor_id for item in report] == [consent_world.worker.id]
    services.review_last_month()
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.person_id == consent_world.auditor.id)
    ).all()
    assert len(notes) == 1
    assert "이상 접근 1명" in notes[0].title
