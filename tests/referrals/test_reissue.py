"""Letter re-issue: version 2, 3 … with the same number plus a suffix, reason kept, earlier versions kept."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.exc import IntegrityError

from hamkke.errors import InvalidTransition, PermissionDenied, ValidationFailed
from notifications.models import OutboxMessage
from referrals import letters, services, tasks
from referrals.models import LetterKind, LetterReissue, Referral, ReferralLetter
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.referrals import ConsentBook, ReferralNetwork


def _text(app: Flask, letter: ReferralLetter) -> str:
    data = (Path(app.instance_path) / letter.path).read_bytes()
    return "".join(
        "".join(page.extract_text().replace("\x00", "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def _versions(db: Any, referral_id: int, kind: LetterKind) -> list[ReferralLetter]:
    return list(
        db.session.scalars(
            sa.select(ReferralLetter)
            .where(ReferralLetter.referral_id == referral_id, ReferralLetter.kind == kind)
            .order_by(ReferralLetter.version)
        )
    )


@pytest.mark.embedded
def test_a_reissued_letter_is_a_new_version_with_the_same_number_and_its_reason(
    app: Flask, db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    first = letters.ensure_letter(referral.id, LetterKind.request)
    assert first is not None
    number = referral.request_document_number
    assert number is not None

    reissue = services.reissue_letter(
        referral, LetterKind.request, actor=network.sender, reason="연락처 오기 정정"
    )
    db.session.commit()
    assert reissue.version == 2
    # The task renders it once, however often it is delivered; the sweeper finds nothing left.
    second_id = tasks.render_letter(referral.id, "request", 2)
    assert tasks.render_letter(referral.id, "request", 2) == second_id
    assert (referral.id, LetterKind.request, 2) not in letters.missing_letters()

    services.reissue_letter(referral, "request", actor=network.sender, reason="서비스명 변경")
    db.session.commit()
    assert (referral.id, LetterKind.request, 3) in letters.missing_letters()
    assert tasks.sweep_letters() == 1

    v1, v2, v3 = _versions(db, referral.id, LetterKind.request)
    assert (v1.version, v2.version, v3.version) == (1, 2, 3)
    assert (v1.document_number, v2.document_number, v3.document_number) == (
        number,
        f"{number}-v2",
        f"{number}-v3",
    )
    assert (v1.reason, v2.reason, v3.reason) == (None, "연락처 오기 정정", "서비스명 변경")
    assert len({v1.path, v2.path, v3.path}) == 3
    text = _text(app, v2)
    assert f"{number}-v2" in text
    assert "연락처오기정정" in text
    assert "2차" in text
    assert "재발급" not in _text(app, v1)  # the earlier version is kept as it was
    assert any("2차 재발급" in event.note for event in referral.events)

    # Every version stays downloadable through the check, and each download is logged.
    for version in (v1, v2, v3):
        opened, path = letters.open_letter(
            version.id, actor=network.receiver, acting_agency_id=network.welfare_centre.id
        )
        assert opened.id == version.id
        assert path.read_bytes()[:4] == b"%PDF"


def test_one_letter_row_and_one_reissue_row_per_referral_kind_and_version(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    services.reissue_letter(referral, "request", actor=network.sender, reason="정정")
    db.session.commit()
    letter = letters.ensure_letter(referral.id, "request", 2)
    assert letter is not None
    assert letters.ensure_letter(referral.id, "request", 2) == letter
    # A version nobody asked for is not rendered.
    assert letters.ensure_letter(referral.id, "request", 5) is None

    duplicates = (
        LetterReissue(
            referral_id=referral.id,
            kind=LetterKind.request,
            version=2,
            reason="중복",
            requested_by_id=network.sender.id,
        ),
        ReferralLetter(
            referral_id=referral.id,
            kind=LetterKind.request,
            version=2,
            document_number="x",
            path="x",
            sha256="0" * 64,
            size=1,
        ),
    )
    for duplicate in duplicates:
        savepoint = db.session.begin_nested()
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.flush()
        savepoint.rollback()


def test_only_the_issuing_side_reissues_an_issued_letter_with_a_reason(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    draft = make_referral()
    with pytest.raises(InvalidTransition, match="아직 발급되지 않은"):
        services.reissue_letter(draft, "request", actor=network.sender, reason="정정")
    referral = services.send_referral(draft, actor=network.sender)
    with pytest.raises(ValidationFailed, match="재발급 사유"):
        services.reissue_letter(referral, "request", actor=network.sender, reason="   ")
    with pytest.raises(PermissionDenied):
        services.reissue_letter(referral, "request", actor=network.receiver, reason="정정")
    with pytest.raises(InvalidTransition):
        services.reissue_letter(referral, "reply", actor=network.receiver, reason="정정")

    services.accept(referral, actor=network.receiver)
    services.complete(referral, actor=network.receiver, outcome="밑반찬 주 2회")
    reply = services.reissue_letter(referral, "reply", actor=network.receiver, reason="결과 보완")
    assert (reply.kind, reply.version) == (LetterKind.reply, 2)
    with pytest.raises(PermissionDenied):
        services.reissue_letter(referral, "reply", actor=network.sender, reason="정정")


def test_a_reissued_letter_to_an_outside_organisation_is_emailed_again(
    db: Any, network: ReferralNetwork, consents: ConsentBook
) -> None:
    consents.grant_outside(network.client, {"basic"})
    referral = services.create_referral(
        network.case,
        actor=network.sender,
        outside=services.OutsideRecipient(name="푸른하늘 지역아동센터", email="office@purun.example"),
        content=services.ReferralContent(
            reason="방과 후 돌봄", requested_services="돌봄", field_groups=("basic",)
        ),
    )
    services.send_referral(referral, actor=network.sender)
    db.session.commit()
    letters.ensure_letter(referral.id, "request")
    services.reissue_letter(referral, "request", actor=network.sender, reason="회신 기한 정정")
    db.session.commit()
    letters.ensure_letter(referral.id, "request", 2)
    letters.ensure_letter(referral.id, "request", 2)
    subjects = [
        m.payload["subject"] for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
    ]
    number = referral.request_document_number
    assert len(subjects) == 2
    assert subjects[0].endswith(str(number))
    assert subjects[1].endswith(f"{number}-v2")


def test_the_reissue_form_needs_a_reason_and_queues_the_new_version(
    db: Any,
    client: FlaskClient,
    login_as: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    letters.ensure_letter(referral.id, "request")
    login_as(network.sender, agency_id=network.dong_centre.id)
    path = f"/referrals/{referral.id}"
    token = page_csrf_token(client, path)
    refused = client.post(f"{path}/reissue", data={"csrf_token": token, "kind": "request", "reason": ""})
    assert refused.status_code == 422
    assert "재발급 사유를 적어 주세요" in refused.get_data(as_text=True)
    done = client.post(
        f"{path}/reissue", data={"csrf_token": token, "kind": "request", "reason": "주소 정정"}
    )
    assert done.status_code == 302
    [reissue] = db.session.scalars(sa.select(LetterReissue)).all()
    assert (reissue.version, reissue.reason) == (2, "주소 정정")
