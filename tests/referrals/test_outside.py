"""Referrals to an organisation outside the network: the 의뢰서 by e-mail, replies recorded by the sender."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consents import services as consent_services
from consents.models import AccessLogEntry
from hamkke.errors import ConsentRequired, InvalidTransition, ValidationFailed
from notifications.delivery import deliver
from notifications.models import DeliveryStatus, OutboxMessage
from referrals import letters, services
from referrals.models import LetterKind, Referral, ReferralStatus
from referrals.services import OutsideRecipient, ReferralContent
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.consents import consent_input, grant
from tests.fixtures.mail import SmtpSink
from tests.fixtures.referrals import ConsentBook, ReferralNetwork

OUTSIDE = OutsideRecipient(name="푸른하늘 지역아동센터", email="Office@Purun.example")


def _draft(network: ReferralNetwork, groups: tuple[str, ...] = ("basic",), **overrides: Any) -> Referral:
    values: dict[str, Any] = {
        "actor": network.sender,
        "outside": OUTSIDE,
        "content": ReferralContent(
            reason="방과 후 돌봄 공백", requested_services="방과 후 돌봄", field_groups=groups
        ),
    }
    values.update(overrides)
    return services.create_referral(network.case, **values)


def _outbox(db: Any) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.parametrize(
    "address", ["", "no-at-sign", "two@@purun.example", "a@b", "이름 <office@purun.example>", "a@b.c d"]
)
def test_a_bad_email_address_is_refused_in_korean(
    db: Any, network: ReferralNetwork, consents: ConsentBook, address: str
) -> None:
    consents.grant_outside(network.client, {"basic"})
    with pytest.raises(ValidationFailed, match="이메일 주소가 올바르지 않습니다") as refused:
        _draft(network, outside=OutsideRecipient(name="푸른하늘", email=address))
    assert refused.value.field == "external_email"
    assert refused.value.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_only_groups_under_the_network_referral_consent_may_go_outside(
    db: Any, network: ReferralNetwork, consents: ConsentBook
) -> None:
    # Consent to the welfare centre by name does not reach an organisation outside the network.
    consents.grant(network.client, network.welfare_centre, {"basic", "household"})
    with pytest.raises(ConsentRequired, match="네트워크 밖 기관"):
        _draft(network)
    consents.grant_outside(network.client, {"basic"})
    with pytest.raises(ConsentRequired, match="가구정보"):
        _draft(network, groups=("basic", "household"))
    draft = _draft(network)
    assert draft.is_external
    assert draft.receiving_agency_id is None
    assert draft.external_email == "office@purun.example"
    assert draft.recipient_name == "푸른하늘 지역아동센터"

    # Checked again at sending: consent withdrawn since the draft → refused, nothing sent.
    consents.withdraw_outside(network.client)
    with pytest.raises(ConsentRequired):
        services.send_referral(draft, actor=network.sender)


def test_the_real_gate_allows_only_network_wide_referral_grants_outside(
    app: Flask, db: Any, network: ReferralNetwork
) -> None:
    consent_services.record_consent(
        network.client,
        consent_input(grant(recipient_agency_id=network.welfare_centre.id, field_groups=("basic",))),
        actor=network.sender,
        agency=network.dong_centre,
    )
    with pytest.raises(ConsentRequired):
        _draft(network)
    consent_services.record_consent(
        network.client,
        consent_input(grant(recipient_kind="network", field_groups=("basic",))),
        actor=network.sender,
        agency=network.dong_centre,
    )
    referral = services.send_referral(_draft(network), actor=network.sender)
    db.session.commit()
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    assert letter.field_groups == ["basic"]


@pytest.mark.embedded
def test_the_letter_goes_by_email_with_the_pdf_and_the_sender_records_the_reply(
    app: Flask, db: Any, network: ReferralNetwork, consents: ConsentBook, mailbox: SmtpSink
) -> None:
    consents.grant_outside(network.client, {"basic"})
    referral = services.send_referral(_draft(network), actor=network.sender)
    db.session.commit()
    assert _outbox(db) == []  # no in-app or e-mail notice to agency staff: there is no receiving agency

    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    assert letters.ensure_letter(referral.id, LetterKind.request) == letter  # a redelivered task
    [message] = _outbox(db)
    assert message.recipient == "office@purun.example"
    assert message.agency_id == network.dong_centre.id
    assert deliver(message.id) == "sent"
    assert deliver(message.id) == "skipped"

    [email] = mailbox.to("office@purun.example")
    assert referral.request_document_number in str(email["Subject"])
    assert email["Reply-To"] == network.sender.email
    text = email.get_body(("plain",)).get_content()
    assert "푸른하늘 지역아동센터 담당자님께" in text
    assert "김하나" not in text  # client data only in the consented PDF
    assert email.get_body(("html",)) is not None
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{letter.document_number}.pdf"
    assert hashlib.sha256(attachment.get_content()).hexdigest() == letter.sha256
    # The letter and the e-mail that carried it out of the network are both in the access log.
    logged = db.session.scalars(
        sa.select(AccessLogEntry)
        .where(AccessLogEntry.client_id == network.client.id)
        .order_by(AccessLogEntry.id)
    ).all()
    assert [(entry.channel, entry.agency_id, entry.field_groups) for entry in logged] == [
        ("letter", None, ["basic"]),
        ("email", None, ["basic"]),
    ]

    # The outside organisation has no account: the sender records its answers.
    with pytest.raises(ValidationFailed):
        services.record_outside_reply(referral, actor=network.sender, answer="maybe")
    services.record_outside_reply(referral, actor=network.sender, answer="accepted", note="전화로 수락")
    services.record_outside_reply(
        referral, actor=network.sender, answer="completed", outcome="주 3회 방과 후 돌봄 제공"
    )
    db.session.commit()
    assert referral.status == ReferralStatus.completed
    assert referral.outcome == "주 3회 방과 후 돌봄 제공"
    assert referral.reply_document_number is None  # the outside organisation answers on its own paper
    assert referral.linkage is not None
    assert referral.linkage.agency_name == "푸른하늘 지역아동센터"
    assert [event.to_status for event in referral.events] == ["draft", "requested", "accepted", "completed"]
    assert "회신 기록" in referral.events[2].note
    # Nobody from another agency can record it, and a closed referral takes no further answer.
    with pytest.raises(Exception, match="의뢰"):
        services.record_outside_reply(referral, actor=network.receiver, answer="accepted")
    with pytest.raises(InvalidTransition):
        services.record_outside_reply(referral, actor=network.sender, answer="accepted")


def test_the_email_is_held_back_when_consent_goes_or_the_referral_is_cancelled(
    app: Flask, db: Any, network: ReferralNetwork, consents: ConsentBook, mailbox: SmtpSink
) -> None:
    consents.grant_outside(network.client, {"basic"})
    first = services.send_referral(_draft(network), actor=network.sender)
    second = services.send_referral(_draft(network), actor=network.sender)
    db.session.commit()
    letters.ensure_letter(first.id, LetterKind.request)
    letters.ensure_letter(second.id, LetterKind.request)
    held, cancelled = _outbox(db)

    consents.withdraw_outside(network.client)
    assert deliver(held.id) == "cancelled"
    consents.grant_outside(network.client, {"basic"})
    services.cancel(second, actor=network.sender, note="대상자가 원하지 않음")
    db.session.commit()
    assert deliver(cancelled.id) == "cancelled"
    assert [m.status for m in _outbox(db)] == [DeliveryStatus.cancelled, DeliveryStatus.cancelled]
    assert mailbox.messages == []


def test_a_network_referral_cannot_take_a_recorded_reply(
    db: Any, network: ReferralNetwork, make_referral: Any
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    with pytest.raises(InvalidTransition, match="네트워크 밖"):
        services.record_outside_reply(referral, actor=network.sender, answer="accepted")


def test_the_outside_form_refuses_a_bad_address_with_a_korean_422_and_saves_nothing(
    db: Any, client: FlaskClient, login_as: Any, network: ReferralNetwork, consents: ConsentBook
) -> None:
    consents.grant_outside(network.client, {"basic"})
    login_as(network.sender, agency_id=network.dong_centre.id)
    path = f"/referrals/new-outside?case_id={network.case.id}"
    form = {
        "csrf_token": page_csrf_token(client, path),
        "external_name": "푸른하늘 지역아동센터",
        "external_email": "office@@purun",
        "reason": "방과 후 돌봄 공백",
        "requested_services": "방과 후 돌봄",
        "field_groups": ["basic"],
        "action": "send",
    }
    refused = client.post(path, data=form)
    assert refused.status_code == 422
    assert "이메일 주소가 올바르지 않습니다" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0

    form["external_email"] = "office@purun.example"
    sent = client.post(path, data=form)
    assert sent.status_code == 302
    referral = db.session.scalar(sa.select(Referral))
    assert referral is not None
    assert referral.status == ReferralStatus.requested
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "푸른하늘 지역아동센터" in page
    assert "담당자가 여기에 기록합니다" in page
    assert f'action="/referrals/{referral.id}/accept"' in page  # the sender records the answers
