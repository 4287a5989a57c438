"""The invitation e-mail, delivered to a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from agencies import onboarding
from agencies.models import AgencySector, AgencyType, IdentityProvider, Invitation
from agencies.tasks import send_invitation_email
from hamkke.crypto import encrypt_text
from hamkke.time import now_utc
from tests.agencies.conftest import Network
from tests.fixtures.mail import SmtpSink


@pytest.fixture
def invitation(db: Any, network: Network, monkeypatch: pytest.MonkeyPatch) -> tuple[Invitation, str]:
    # The view would enqueue the task after commit; here the test runs it itself.
    monkeypatch.setattr(send_invitation_email, "delay", lambda *args: None)
    provider = IdentityProvider(
        name="계정",
        issuer="https://login.mail.example",
        client_id="c",
        client_secret_encrypted=encrypt_text("s"),
        allowed_email_domains=["mail.example"],
        claim_rule={},
        district_id=network.district.id,
    )
    db.session.add(provider)
    db.session.flush()
    data = onboarding.AgencyInvitationData(
        name="바다가족센터",
        code="bada-family",
        type=AgencyType.family_centre,
        sector=AgencySector.private,
        region_ids=(),
        email="director@mail.example",
        identity_provider_id=provider.id,
    )
    result = onboarding.invite_agency(data, actor=network.coordinator, district=network.district)
    db.session.commit()
    return result


def test_invitation_email_is_sent_in_korean_with_the_link(
    db: Any, mailbox: SmtpSink, invitation: tuple[Invitation, str]
) -> None:
    record, token = invitation

    assert send_invitation_email(record.id, token) == "sent"

    (message,) = mailbox.to("director@mail.example")
    assert message["Subject"] == "[함께] 바다가족센터 통합사례관리 네트워크 참여 초대"
    link = onboarding.invitation_link(token)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert link in text.get_content()
    assert "업무협약" in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert 'lang="ko"' in html.get_content()
    db.session.refresh(record)
    assert record.email_sent_at is not None


def test_invitation_email_is_sent_once(
    db: Any, mailbox: SmtpSink, invitation: tuple[Invitation, str]
) -> None:
    record, token = invitation

    send_invitation_email(record.id, token)
    assert send_invitation_email(record.id, token) == "skipped:already_sent"

    assert len(mailbox.to("director@mail.example")) == 1


def test_stale_or_wrong_token_sends_nothing(
    db: Any, mailbox: SmtpSink, invitation: tuple[Invitation, str]
) -> None:
    record, _token = invitation

    assert send_invitation_email(record.id, "not-the-token") == "skipped:unknown"
    assert send_invitation_email(record.id + 10_000, "x") == "skipped:unknown"
    assert mailbox.messages == []


def test_expired_invitation_is_not_mailed(
    db: Any, mailbox: SmtpSink, invitation: tuple[Invitation, str]
) -> None:
    record, token = invitation

    with time_machine.travel(now_utc() + timedelta(days=8), tick=False):
        assert send_invitation_email(record.id, token) == "skipped:expired"
    assert mailbox.messages == []


def test_smtp_refusal_raises_so_celery_retries(
    db: Any, mailbox: SmtpSink, invitation: tuple[Invitation, str]
) -> None:
    from hamkke.mail import MailTransportError

    record, token = invitation
    mailbox.refuse_next = 1

    # The shared transport raises its one retryable error, which the task's autoretry_for names.
    assert MailTransportError in send_invitation_email.autoretry_for
    with pytest.raises(MailTransportError):
        send_invitation_email(record.id, token)
    db.session.refresh(record)
    assert record.email_sent_at is None
    assert send_invitation_email(record.id, token) == "sent"
