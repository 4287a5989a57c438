"""Notifications and the outbox: in-app rows, e-mails through a real SMTP server, retries, no duplicates."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from agencies.models import Agency, Person
from hamkke.time import now_utc
from notifications import services
from notifications.delivery import deliver, due_message_ids
from notifications.models import DeliveryStatus, Notification, OutboxMessage
from notifications.webhooks import create_endpoint, queue_webhook, verify
from tests.fixtures.mail import SmtpSink
from tests.fixtures.services import free_port


@pytest.fixture
def worker_person(create_person: Callable[..., Person], dummy_agency: Agency) -> Person:
    return create_person(agency=dummy_agency, name="최사례", email="choi@welfare.example")


def _outbox(db: Any) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.embedded
def test_notify_writes_inbox_and_outbox_and_sends_only_after_commit(
    db: Any, worker_person: Person, mailbox: SmtpSink
) -> None:
    notification = services.notify(
        worker_person,
        "referral.received",
        title="새 의뢰가 도착했습니다",
        body="솔내동 주민센터에서 보낸 의뢰",
    )
    [message] = _outbox(db)
    assert message.status == DeliveryStatus.pending
    assert message.idempotency_key == f"notification:{notification.id}:email"
    db.session.commit()

    assert deliver(message.id) == "sent"
    [email] = mailbox.to("choi@welfare.example")
    assert email["Subject"] == "새 의뢰가 도착했습니다"
    assert "솔내동 주민센터에서 보낸 의뢰" in email.get_body(("plain",)).get_content()
    db.session.refresh(message)
    assert message.status == DeliveryStatus.sent
    assert message.sent_at is not None

    # A second delivery of the same task (redelivery after a crash, a duplicate enqueue) sends nothing.
    assert deliver(message.id) == "skipped"
    assert len(mailbox.to("choi@welfare.example")) == 1


def test_notification_with_the_same_dedupe_key_is_created_once(db: Any, worker_person: Person) -> None:
    first = services.notify(worker_person, "reminder", title="회신 기한 D-1", dedupe_key="referral:7:due:1")
    second = services.notify(worker_person, "reminder", title="회신 기한 D-1", dedupe_key="referral:7:due:1")

    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    assert len(_outbox(db)) == 1


def test_email_preference_off_keeps_only_the_in_app_notification(db: Any, worker_person: Person) -> None:
    services.set_email_preference(worker_person, "digest.weekly", False, actor=worker_person)
    services.notify(worker_person, "digest.weekly", title="이번 주 요약")

    assert _outbox(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_disabled_person_gets_no_email(db: Any, worker_person: Person) -> None:
    worker_person.is_active = False
    services.notify(worker_person, "reminder", title="기한 알림")
    assert _outbox(db) == []


def test_refusing_smtp_server_is_retried_with_backoff_then_delivered(
    db: Any, worker_person: Person, mailbox: SmtpSink
) -> None:
    services.notify(worker_person, "reminder", title="점검 기한")
    db.session.commit()
    [message] = _outbox(db)
    mailbox.refuse_next = 2
    start = now_utc()

    with time_machine.travel(start, tick=False) as clock:
        assert deliver(message.id) == "retry"
        db.session.refresh(message)
        assert message.next_attempt_at == start + timedelta(seconds=30)
        # Not due yet: neither a duplicate task nor the sweeper may send it early.
        assert deliver(message.id) == "skipped"
        assert message.id not in due_message_ids()

        clock.shift(timedelta(seconds=31))
        assert deliver(message.id) == "retry"
        db.session.refresh(message)
        assert message.next_attempt_at == now_utc() + timedelta(seconds=60)

        clock.shift(timedelta(seconds=61))
        assert message.id in due_message_ids()
        assert deliver(message.id) == "sent"

    assert mailbox.refused == 2
    assert len(mailbox.to(worker_person.email)) == 1
    db.session.refresh(message)
    assert (message.status, message.attempts) == (DeliveryStatus.sent, 3)


def test_delivery_whose_worker_died_is_taken_over_after_the_claim_expires(
    db: Any, worker_person: Person, mailbox: SmtpSink
) -> None:
    services.notify(worker_person, "reminder", title="회의 D-1")
    db.session.commit()
    [message] = _outbox(db)
    # A worker claimed it and died before sending.
    message.status = DeliveryStatus.sending
    message.claimed_until = now_utc() + timedelta(minutes=5)
    message.attempts = 1
    db.session.commit()

    assert deliver(message.id) == "skipped"
    with time_machine.travel(now_utc() + timedelta(minutes=6), tick=False):
        assert message.id in due_message_ids()
        assert deliver(message.id) == "sent"
    assert len(mailbox.to(worker_person.email)) == 1


def test_delivery_gives_up_after_max_attempts_and_shows_failed(
    db: Any, worker_person: Person, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on this port: every attempt is refused at the TCP level.
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    services.notify(worker_person, "reminder", title="기한 알림")
    db.session.commit()
    [message] = _outbox(db)
    message.max_attempts = 3
    db.session.commit()

    outcomes = []
    with time_machine.travel(now_utc(), tick=False) as clock:
        for _ in range(3):
            outcomes.append(deliver(message.id))
            clock.shift(timedelta(hours=2))
    assert outcomes == ["retry", "retry", "failed"]
    db.session.refresh(message)
    assert message.status == DeliveryStatus.failed
    assert message.last_error is not None
    assert message.last_error.startswith("smtp: ConnectionRefusedError")
    assert message.id not in due_message_ids()


class _WebhookReceiver:
    """A real HTTP endpoint that records calls and answers with the status codes it is told to."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.calls: list[dict[str, Any]] = []
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.calls.append({"headers": dict(request.headers), "body": request.get_data()})
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/hamkke"


@pytest.fixture
def webhook_receiver() -> Iterator[Callable[[list[int]], _WebhookReceiver]]:
    started: list[_WebhookReceiver] = []

    def start(statuses: list[int]) -> _WebhookReceiver:
        receiver = _WebhookReceiver(statuses)
        receiver.thread.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_webhook_is_signed_retried_and_delivered_once(
    db: Any, dummy_agency: Agency, webhook_receiver: Callable[[list[int]], _WebhookReceiver]
) -> None:
    receiver = webhook_receiver([503])
    endpoint = create_endpoint(
        agency_id=dummy_agency.id, url=receiver.url, secret="s3cret-shared", events=["x"]
    )
    message = queue_webhook(
        endpoint, event="referral.received", body={"referral_id": 7}, idempotency_key="wh:7:1"
    )
    db.session.commit()

    with time_machine.travel(now_utc(), tick=False) as clock:
        assert deliver(message.id) == "retry"
        clock.shift(timedelta(seconds=31))
        assert deliver(message.id) == "sent"
    assert deliver(message.id) == "skipped"

    assert len(receiver.calls) == 2
    call = receiver.calls[-1]
    assert verify(
        "s3cret-shared",
        call["headers"]["X-Hamkke-Timestamp"],
        call["headers"]["X-Hamkke-Signature"],
        call["body"],
    )
    assert not verify(
        "wrong-secret",
        call["headers"]["X-Hamkke-Timestamp"],
        call["headers"]["X-Hamkke-Signature"],
        call["body"],
    )
    assert json.loads(call["body"]) == {
        "event": "referral.received",
        "delivery": "wh:7:1",
        "data": {"referral_id": 7},
    }


def test_failing_webhook_ends_failed_and_visible(
    db: Any, dummy_agency: Agency, webhook_receiver: Callable[[list[int]], _WebhookReceiver]
) -> None:
    from notifications.queries import list_deliveries_for_agency

    receiver = webhook_receiver([500] * 10)
    endpoint = create_endpoint(agency_id=dummy_agency.id, url=receiver.url, secret="k", events=["x"])
    message = queue_webhook(endpoint, event="referral.updated", body={}, idempotency_key="wh:8:1")
    db.session.commit()

    with time_machine.travel(now_utc(), tick=False) as clock:
        while deliver(message.id) == "retry":
            clock.shift(timedelta(hours=2))
    db.session.refresh(message)
    assert message.status == DeliveryStatus.failed
    assert message.attempts == message.max_attempts == len(receiver.calls)
    assert message.last_error == "webhook: HTTP 500"
    assert [m.id for m in list_deliveries_for_agency(dummy_agency.id)] == [message.id]


def test_signature_older_than_five_minutes_is_refused() -> None:
    from notifications.webhooks import sign

    body = b'{"event":"x"}'
    signature = sign("k", 1_000_000, body)
    assert verify("k", "1000000", signature, body, now=1_000_000 + 299)
    assert not verify("k", "1000000", signature, body, now=1_000_000 + 301)
    assert not verify("k", "not-a-number", signature, body)
