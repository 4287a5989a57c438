"""Referrals against the real consents gate: consent recorded, checked at creation and at sending."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from consents import services as consent_services
from hamkke.errors import ConsentRequired
from referrals import letters, services
from referrals.models import LetterKind
from referrals.services import ReferralContent
from tests.fixtures.consents import consent_input, grant
from tests.fixtures.referrals import ReferralNetwork


def _draft(network: ReferralNetwork) -> Any:
    return services.create_referral(
        network.case,
        actor=network.sender,
        receiving_agency=network.welfare_centre,
        service=network.service,
        content=ReferralContent(reason="결식 우려", requested_services="밑반찬", field_groups=("basic",)),
    )


def test_the_gate_decides_which_groups_may_go_and_the_letter_follows_it(
    app: Flask, db: Any, network: ReferralNetwork
) -> None:
    with pytest.raises(ConsentRequired, match="기본정보"):
        _draft(network)

    consent_services.record_consent(
        network.client,
        consent_input(grant(recipient_agency_id=network.welfare_centre.id, field_groups=("basic",))),
        actor=network.sender,
        agency=network.dong_centre,
    )
    referral = services.send_referral(_draft(network), actor=network.sender)
    db.session.commit()
    letter = letters.ensure_letter(referral.id, LetterKind.request)
    assert letter is not None
    assert letter.field_groups == ["basic"]

    # Consent for one agency does not reach another.
    with pytest.raises(ConsentRequired):
        services.reroute(referral, actor=network.sender, receiving_agency=network.other_centre)
