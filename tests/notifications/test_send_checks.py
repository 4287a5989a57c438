"""The registry of send-time checks: the outbox asks the check a domain registered for an e-mail's kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from notifications import send_checks
from notifications.delivery import deliver
from notifications.services import queue_email
from referrals.outside import CHECK_KIND, log_email_disclosure, outside_email_allowed
from tests.fixtures.mail import SmtpSink

KIND = "test_letters"


@pytest.fixture
def recorded() -> Iterator[list[int]]:
    """Register a check that lets through e-mails marked ``ok`` and records every sent one."""
    sent: list[int] = []
    send_checks.register_send_check(
        KIND, allows=lambda check: bool(check["ok"]), on_sent=lambda check: sent.append(check["n"])
    )
    yield sent
    send_checks._checks.pop(KIND, None)


def _queue(n: int, check: dict[str, Any]) -> int:
    message = queue_email(
        to=f"office{n}@outside.example",
        subject=f"편지 {n}",
        text="본문",
        idempotency_key=f"test:send-check:{n}",
        consent_check=check,
    )
    return message.id


@pytest.mark.embedded
def test_the_registered_check_decides_at_send_time_and_records_what_went(
    db: Any, mailbox: SmtpSink, recorded: list[int]
) -> None:
    blocked = _queue(1, {"kind": KIND, "ok": False, "n": 1})
    allowed = _queue(2, {"kind": KIND, "ok": True, "n": 2})
    unknown = _queue(3, {"kind": "nobody_registered_this", "ok": True, "n": 3})
    db.session.commit()

    assert deliver(blocked) == "cancelled"
    assert deliver(allowed) == "sent"
    # A kind no domain registered fails closed.
    assert deliver(unknown) == "cancelled"
    assert recorded == [2]
    assert [str(m["To"]) for m in mailbox.messages] == ["office2@outside.example"]


@pytest.mark.embedded
def test_referrals_register_the_outside_letter_check_from_init_app(app: Any) -> None:
    registered = send_checks.send_check(CHECK_KIND)
    assert registered is not None
    assert registered.allows is outside_email_allowed
    assert registered.on_sent is log_email_disclosure
