"""Letters: rendered once per (referral, kind, version), consent-filtered, downloaded only through a check."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from consents.models import AccessLogEntry
from hamkke.errors import NotFound
from referrals import letters, services, tasks
from referrals.models import LetterKind, Referral, ReferralLetter
from tests.fixtures.referrals import ConsentBook, ReferralNetwork


def _text(app: Flask, letter: ReferralLetter) -> str:
    data = (Path(app.instance_path) / letter.path).read_bytes()
    # The embedded CID font extracts with NUL separators and layout whitespace; compare without them.
    return "".join(
        "".join(page.extract_text().replace("\x00", "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def _letters(db: Any, referral_id: int) -> list[ReferralLetter]:
    return list(
        db.session.scalars(sa.select(ReferralLetter).where(ReferralLetter.referral_id == referral_id))
    )


@pytest.mark.embedded
def test_request_letter_is_rendered_once_with_letterhead_number_and_consented_fields(
    app: Flask, db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(groups=("basic", "needs")), actor=network.sender)
    db.session.commit()

    first_id = tasks.render_letter(referral.id, "request")
    second_id = tasks.render_letter(referral.id, "request")  # a redelivered task
    assert first_id is not None
    assert first_id == second_id
    [letter] = _letters(db, referral.id)
    assert letter.kind == LetterKind.request
    assert letter.version == 1
    assert letter.document_number == referral.request_document_number
    assert letter.field_groups == ["basic", "needs"]
    text = _text(app, letter)
    assert "솔내동주민센터" in text  # letterhead of the sender
    assert referral.request_document_number in text
    assert "김하나" in text  # basic info was consented
    assert "독거생활로식사를거르는일이잦음" in text  # 의뢰사유 belongs to 욕구사정, which was shared
    assert "영양부족" not in text  # 주호소문제 belongs to 상담기록, which was not
    assert "한빛종합사회복지관" in text  # 수신


def test_a_group_withdrawn_before_rendering_stays_out_of_the_letter(
    app: Flask,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    consents: ConsentBook,
) -> None:
    referral = services.send_referral(make_referral(groups=("basic",)), actor=network.sender)
    db.session.commit()
    consents.withdraw(network.client, network.welfare_centre)

    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    assert letter.field_groups == []
    text = _text(app, letter)
    assert "김하나" not in text
    assert "010-0000-1111" not in text
    assert "동의한정보가없습니다" in text


def test_reply_letter_exists_only_after_completion_and_carries_the_outcome(
    app: Flask, db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    services.accept(referral, actor=network.receiver)
    db.session.commit()
    assert letters.ensure_letter(referral.id, LetterKind.reply) is None

    services.complete(
        referral, actor=network.receiver, outcome="주2회밑반찬배달", result_report="만족도 높음"
    )
    db.session.commit()
    letter = letters.ensure_letter(referral.id, "reply")
    assert letter is not None
    text = _text(app, letter)
    assert "한빛종합사회복지관" in text
    assert "주2회밑반찬배달" in text
    assert "회신" in text


def test_the_sweeper_renders_letters_whose_task_was_lost(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    assert (referral.id, LetterKind.request, 1) in letters.missing_letters()
    assert tasks.sweep_letters() >= 1
    assert (referral.id, LetterKind.request, 1) not in letters.missing_letters()
    assert len(_letters(db, referral.id)) == 1


def test_download_needs_a_side_of_the_referral_and_is_logged(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None

    with pytest.raises(NotFound):
        letters.open_letter(letter.id, actor=network.outsider, acting_agency_id=network.other_centre.id)
    opened, path = letters.open_letter(
        letter.id, actor=network.receiver, acting_agency_id=network.welfare_centre.id
    )
    assert opened.id == letter.id
    assert path.read_bytes()[:4] == b"%PDF"
    logged = db.session.scalars(
        sa.select(AccessLogEntry)
        .where(AccessLogEntry.client_id == network.client.id)
        .order_by(AccessLogEntry.id)
    ).all()
    # The letter went to the receiving agency (rendered by the worker), then the receiver downloaded it.
    assert [(entry.channel, entry.actor_id) for entry in logged] == [
        ("letter", None),
        ("download", network.receiver.id),
    ]


@pytest.mark.embedded
def test_letter_values_are_words_not_codes(
    app: Flask, db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    network.client.lives_together = True
    network.client.relationship_to_head = "본인"
    referral = services.send_referral(make_referral(groups=("basic", "household")), actor=network.sender)
    db.session.commit()

    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    text = _text(app, letter)
    assert "동거여부:함께삶" in text
    assert "True" not in text
    assert "lives_together" not in text
