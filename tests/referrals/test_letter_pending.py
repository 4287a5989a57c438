"""A sent referral shows its letter as "생성 중" until the worker has rendered it, then the link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from referrals import services, tasks
from referrals.models import Referral
from tests.fixtures.referrals import ReferralNetwork


@pytest.mark.embedded
def test_the_letter_shows_as_being_generated_until_rendered(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    login_as: Callable[..., Any],
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    login_as(network.sender)

    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "생성 중" in page
    part_url = f"/referrals/{referral.id}/letters"
    assert f'hx-get="{part_url}"' in page  # the page asks again until the letter is there
    assert "생성 중" in client.get(part_url).get_data(as_text=True)

    tasks.render_letter(referral.id, "request")
    part = client.get(part_url).get_data(as_text=True)
    assert "생성 중" not in part
    assert "hx-trigger" not in part  # polling stops
    assert "/referrals/letters/" in part
    assert "생성 중" not in client.get(f"/referrals/{referral.id}").get_data(as_text=True)


@pytest.mark.embedded
def test_the_letter_part_is_only_for_those_who_may_see_the_referral(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    login_as: Callable[..., Any],
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    login_as(network.outsider)
    assert client.get(f"/referrals/{referral.id}/letters").status_code == 404
