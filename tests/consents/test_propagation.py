"""Revocation reaches live views and queued e-mails: the socket event, the signal, the send-time check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cases.models import Client
from consents import services
from consents.gate import view_client
from consents.models import Consent
from notifications.delivery import deliver
from notifications.models import DeliveryStatus
from tests.fixtures.consents import CANARY, ConsentWorld, grant
from tests.fixtures.mail import SmtpSink

pytestmark = pytest.mark.embedded


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any], str, str]]:
    """Capture what ``hamkke.realtime`` emits after commit."""
    calls: list[tuple[str, dict[str, Any], str, str]] = []

    def capture(event: str, payload: dict[str, Any], *, room: str, namespace: str = "/") -> None:
        calls.append((event, payload, room, namespace))

    monkeypatch.setattr("hamkke.realtime.emit_now", capture)
    return calls


def test_revocation_publishes_consent_changed_to_the_client_room_after_commit(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    emitted: list[tuple[str, dict[str, Any], str, str]],
) -> None:
    client = create_client()
    consent = sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id))
    db.session.commit()
    emitted.clear()
    heard: list[int] = []

    def receiver(sender: int) -> None:
        heard.append(sender)

    services.consent_changed_signal.connect(receiver)
    try:
        services.revoke_consent(consent, actor=consent_world.worker)
        assert emitted == []
        assert heard == []
        db.session.commit()
    finally:
        services.consent_changed_signal.disconnect(receiver)
    assert emitted == [("consent_changed", {"client_id": client.id}, f"client:{client.id}", "/live")]
    assert heard == [client.id]


def test_rolled_back_revocation_announces_nothing(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    emitted: list[tuple[str, dict[str, Any], str, str]],
) -> None:
    consent = sign_consent(create_client(), grant(recipient_agency_id=consent_world.recipient.id))
    db.session.commit()
    emitted.clear()
    services.revoke_consent(consent, actor=consent_world.worker)
    db.session.rollback()
    assert emitted == []


def _queue(world: ConsentWorld, client: Client, key: str) -> int:
    view = view_client(
        client,
        world.recipient_worker,
        purpose="referral",
        acting_agency_id=world.recipient.id,
        channel="email",
    )
    message = services.queue_client_email(
        view,
        to="recipient@example.org",
        subject="의뢰 대상자 안내",
        fields=["name", "mental_health"],
        recipient_agency_id=world.recipient.id,
        idempotency_key=key,
    )
    return message.id


def test_queued_email_is_sent_while_consent_holds_and_carries_only_consented_fields(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    mailbox: SmtpSink,
) -> None:
    client = create_client()
    sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id))
    outbox_id = _queue(consent_world, client, "consent-test-1")
    db.session.commit()
    assert deliver(outbox_id) == "sent"
    body = mailbox.messages[-1].get_body(("plain",)).get_content()
    assert f"{CANARY}이름" in body
    assert f"{CANARY}정신건강" not in body
    assert "동의 범위 밖" in body


def test_queued_email_is_cancelled_when_consent_is_withdrawn_before_sending(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    mailbox: SmtpSink,
) -> None:
    from notifications.models import OutboxMessage

    client = create_client()
    consent = sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id))
    outbox_id = _queue(consent_world, client, "consent-test-2")
    db.session.commit()
    services.revoke_consent(consent, actor=consent_world.worker)
    db.session.commit()
    sent_before = len(mailbox.messages)
    assert deliver(outbox_id) == "cancelled"
    message = db.session.get(OutboxMessage, outbox_id)
    assert message is not None
    assert message.status == DeliveryStatus.cancelled
    assert message.last_error == "consent_withdrawn"
    assert len(mailbox.messages) == sent_before


def test_receivers_run_after_commit_on_the_same_session_and_see_the_committed_change(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    import threading

    import sqlalchemy as sa

    from consents.models import ConsentRevocation

    client = create_client()
    consent = sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id))
    db.session.commit()
    seen: list[tuple[int, str]] = []

    def receiver(sender: int) -> None:
        # SQL is allowed here (the committing transaction has ended) and reads the committed row.
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ConsentRevocation)
            .where(ConsentRevocation.consent_id == consent.id)
        )
        seen.append((int(count or 0), threading.current_thread().name))

    services.consent_changed_signal.connect(receiver)
    try:
        services.revoke_consent(consent, actor=consent_world.worker)
        db.session.commit()
    finally:
        services.consent_changed_signal.disconnect(receiver)
    assert seen == [(1, threading.current_thread().name)]


def test_a_failing_receiver_does_not_undo_or_fail_the_committed_revocation(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    consent = sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id))
    db.session.commit()

    def broken(sender: int) -> None:
        raise RuntimeError("live view unreachable")

    services.consent_changed_signal.connect(broken)
    try:
        services.revoke_consent(consent, actor=consent_world.worker)
        db.session.commit()
    finally:
        services.consent_changed_signal.disconnect(broken)
    db.session.expire_all()
    assert len(db.session.get(Consent, consent.id).revocations) == 1


def test_revocation_redacts_the_live_conference_through_the_real_receiver(
    db: Any, meeting: Any, conference_socket: Any, grant_conference_consent: Any
) -> None:
    """The conference's receiver runs for real (no stub): the partner's panel is redacted by commit's end."""
    from conference.sockets import NAMESPACE
    from tests.fixtures.conferences import latest, seat

    def emit(socket: Any, event: str, **data: Any) -> Any:
        return socket.emit(
            event, {"conference_id": meeting.conference.id, **data}, namespace=NAMESPACE, callback=True
        )

    consent = grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    chair = conference_socket(meeting.chair, meeting.conference.id)
    assert emit(chair, "start")["ok"]
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)
    assert emit(chair, "open_item", item_id=meeting.item.id, version=meeting.item.version)["ok"]
    item_id = str(meeting.item.id)
    assert latest(partner, "case_data")["items"][item_id]["visible"] is True

    services.revoke_consent(consent, actor=meeting.chair, reason="대상자 요청")
    db.session.commit()

    # No waiting: the refresh ran inside the commit's aftermath, on this thread.
    assert latest(partner, "case_data")["items"][item_id] == {"visible": False}
    assert latest(chair, "case_data")["items"][item_id]["visible"] is True
