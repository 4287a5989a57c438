"""Regression (issue 13, finding 3): withdrawal and 처리정지 reach every copy the platform serves.

The stored 의뢰서 PDF used to be served after the client withdrew consent (each download logged as a
fresh disclosure with no consent in force), and the referral's free texts (의뢰사유, 주호소문제, …)
reached the recipient whatever groups were consented. Real consents and real HTTP throughout.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from consents import services as consent_services
from consents.models import AccessLogEntry, Consent
from hamkke.audit import AuditEntry
from notifications.delivery import deliver
from notifications.models import OutboxMessage
from referrals import letters, services
from referrals.models import LetterKind, Referral
from referrals.services import OutsideRecipient, ReferralContent
from tests.fixtures.consents import consent_input, grant
from tests.fixtures.mail import SmtpSink
from tests.fixtures.referrals import ReferralNetwork

REASON = "야간 결식과 단전 위기"
MAIN_PROBLEM = "우울감으로 외출을 피함"


def _pdf_text(data: bytes) -> str:
    # The embedded CID font extracts with NUL separators and layout whitespace; compare without them.
    return "".join(
        "".join((page.extract_text() or "").replace("\x00", "").split())
        for page in PdfReader(io.BytesIO(data)).pages
    )


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _consent(network: ReferralNetwork, groups: tuple[str, ...]) -> Consent:
    return consent_services.record_consent(
        network.client,
        consent_input(grant(recipient_agency_id=network.welfare_centre.id, field_groups=groups)),
        actor=network.sender,
        agency=network.dong_centre,
    )


def _sent_referral(network: ReferralNetwork, groups: tuple[str, ...]) -> Referral:
    referral = services.create_referral(
        network.case,
        actor=network.sender,
        receiving_agency=network.welfare_centre,
        service=network.service,
        content=ReferralContent(
            reason=REASON, requested_services="밑반찬", main_problem=MAIN_PROBLEM, field_groups=groups
        ),
    )
    return services.send_referral(referral, actor=network.sender)


@pytest.fixture
def receiver_browser(
    network: ReferralNetwork, client: FlaskClient, login_as: Callable[..., Any]
) -> FlaskClient:
    """The welfare centre's worker, signed in."""
    login_as(network.receiver, agency_id=network.welfare_centre.id)
    return client


def _download(browser: FlaskClient, letter_id: int) -> str:
    with browser.get(f"/referrals/letters/{letter_id}") as response:
        assert response.status_code == 200, response.status_code
        data = response.data
    assert data[:4] == b"%PDF"
    return _pdf_text(data)


def _last_download_row(db: Any, client_id: int) -> Any:
    return db.session.execute(
        sa.select(AccessLogEntry.channel, AccessLogEntry.field_groups, AccessLogEntry.basis)
        .where(AccessLogEntry.client_id == client_id, AccessLogEntry.channel == "download")
        .order_by(AccessLogEntry.id.desc())
        .limit(1)
    ).one()


@pytest.mark.embedded
@pytest.mark.parametrize("withdrawal", ["revocation", "suspension"])
def test_a_stored_letter_downloaded_after_withdrawal_carries_no_withdrawn_field(
    app: Flask, db: Any, network: ReferralNetwork, receiver_browser: FlaskClient, withdrawal: str
) -> None:
    consent = _consent(network, ("basic", "needs"))
    referral = _sent_referral(network, ("basic", "needs"))
    db.session.commit()
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    before = _download(receiver_browser, letter.id)
    assert "김하나" in before
    assert _squeeze(REASON) in before

    if withdrawal == "revocation":
        consent_services.revoke_consent(consent, actor=network.sender)
    else:
        request = consent_services.record_request(
            network.client, actor=network.sender, agency=network.dong_centre, kind="suspension"
        )
        consent_services.fulfil_suspension(request, network.client, actor=network.sender)
    db.session.commit()

    after = _download(receiver_browser, letter.id)
    assert "김하나" not in after
    assert "010-0000-1111" not in after
    assert _squeeze(REASON) not in after
    assert "동의철회또는처리정지" in after  # the served version says why it is narrower
    assert str(referral.request_document_number) in after
    row = _last_download_row(db, network.client.id)
    assert row.field_groups == []
    assert row.basis.endswith("rerendered")
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "referrals.letter_rerendered")
    ).all()
    assert [entry.data["withheld_groups"] for entry in audit] == [["basic", "needs"]]


@pytest.mark.embedded
def test_free_texts_reach_the_recipient_only_inside_their_field_groups(
    app: Flask, db: Any, network: ReferralNetwork, receiver_browser: FlaskClient
) -> None:
    # 욕구사정 (의뢰사유) is consented and shared, 상담기록 (주호소문제) is not.
    from notifications.webhooks import create_endpoint

    create_endpoint(
        agency_id=network.welfare_centre.id,
        url="http://127.0.0.1:9/hook",
        secret="s" * 40,
        events=["referral.*"],
    )
    consent = _consent(network, ("basic", "needs"))
    referral = _sent_referral(network, ("basic", "needs"))
    db.session.commit()
    # Webhooks and e-mail notices carry IDs, codes and a link: no free text, consented or not.
    outbox = db.session.scalars(sa.select(OutboxMessage)).all()
    assert {message.channel.value for message in outbox} >= {"webhook", "email"}
    for message in outbox:
        carried = json.dumps(message.payload, ensure_ascii=False)
        assert REASON not in carried
        assert MAIN_PROBLEM not in carried

    page = receiver_browser.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert REASON in page
    assert MAIN_PROBLEM not in page
    assert "동의 범위 밖" in page
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    text = _download(receiver_browser, letter.id)
    assert _squeeze(REASON) in text
    assert _squeeze(MAIN_PROBLEM) not in text

    # Withdrawing 욕구사정 takes the reason off the page as well.
    consent_services.revoke_consent(
        consent, actor=network.sender, grant=consent.grants[0], field_groups=["needs"]
    )
    db.session.commit()
    page = receiver_browser.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert REASON not in page
    assert "김하나" in page  # 기본정보 is still consented
    assert _squeeze(REASON) not in _download(receiver_browser, letter.id)


@pytest.mark.embedded
def test_the_sender_sees_what_went_to_an_outside_organisation_as_delivered_then(
    app: Flask,
    db: Any,
    network: ReferralNetwork,
    client: FlaskClient,
    login_as: Callable[..., Any],
    mailbox: SmtpSink,
) -> None:
    consent = consent_services.record_consent(
        network.client,
        consent_input(grant(recipient_kind="network", field_groups=("basic",))),
        actor=network.sender,
        agency=network.dong_centre,
    )
    referral = services.create_referral(
        network.case,
        actor=network.sender,
        outside=OutsideRecipient(name="푸른하늘 지역아동센터", email="office@purun.example"),
        content=ReferralContent(reason=REASON, requested_services="돌봄", field_groups=("basic",)),
    )
    services.send_referral(referral, actor=network.sender)
    db.session.commit()
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert deliver(message.id) == "sent"
    consent_services.revoke_consent(consent, actor=network.sender)
    db.session.commit()

    login_as(network.sender, agency_id=network.dong_centre.id)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "외부 기관 이메일 전달 기록" in page
    assert letter.document_number in page
    assert "보냄" in page
    assert "다시 보내지 않으며" in page
    # Nothing is re-sent: the one delivery stays the only e-mail.
    assert len(mailbox.to("office@purun.example")) == 1
    assert deliver(message.id) == "skipped"


@pytest.mark.embedded
def test_a_download_that_cannot_be_logged_fails_closed_and_an_outsider_gets_a_korean_404(
    app: Flask,
    db: Any,
    network: ReferralNetwork,
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    from tests.consents.test_log_guard import _refuse_log

    consent = _consent(network, ("basic", "needs"))
    referral = _sent_referral(network, ("basic", "needs"))
    db.session.commit()
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    consent_services.revoke_consent(consent, actor=network.sender)
    db.session.commit()

    login_as(network.outsider, agency_id=network.other_centre.id)
    with client.get(f"/referrals/letters/{letter.id}") as refused:
        assert refused.status_code == 404
        assert "의뢰를 찾을 수 없습니다" in refused.get_data(as_text=True)

    login_as(network.receiver, agency_id=network.welfare_centre.id)
    stop_refusing = _refuse_log(db)
    try:
        with client.get(f"/referrals/letters/{letter.id}") as response:
            assert response.status_code == 503
            body = response.get_data()
    finally:
        stop_refusing()
    assert not body.startswith(b"%PDF")
    assert "김하나".encode() not in body


@pytest.mark.embedded
def test_the_consent_notice_names_the_referral_texts_each_group_carries(
    db: Any, network: ReferralNetwork
) -> None:
    consent = _consent(network, ("basic", "needs", "counselling"))
    assert "욕구사정(의뢰서의 의뢰사유·대상자 요구 서비스 포함)" in consent.notice_text
    assert "상담기록(의뢰서의 참여자 주호소문제·기타 특이사항 포함)" in consent.notice_text
    assert "기본정보," in consent.notice_text  # a group without texts keeps its plain name
