"""Every way into a referral is a link: the case page, "새 의뢰" on the list, the directory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from referrals.entry import PAGE_SIZE
from tests.fixtures.referrals import ReferralNetwork

pytestmark = pytest.mark.embedded


def test_case_page_and_new_referral_lead_to_the_form_for_a_case(
    client: FlaskClient, network: ReferralNetwork, login_as: Callable[..., Any]
) -> None:
    login_as(network.sender)
    case_page = client.get(f"/cases/{network.case.id}").get_data(as_text=True)
    assert f'href="/referrals/new?case_id={network.case.id}"' in case_page

    listing = client.get("/referrals/").get_data(as_text=True)
    assert 'href="/referrals/new"' in listing
    picker = client.get("/referrals/new")
    assert picker.status_code == 200
    html = picker.get_data(as_text=True)
    assert network.case.number in html
    assert f"/referrals/new?case_id={network.case.id}" in html
    assert f"#{network.case.id}" not in html

    # From the directory: the agency's name carries through the case choice into the service search.
    directory = client.get(f"/agencies/{network.welfare_centre.code}").get_data(as_text=True)
    assert "이 기관에 의뢰" in directory
    chosen = client.get("/referrals/new", query_string={"q": network.welfare_centre.name})
    assert "q=" in chosen.get_data(as_text=True)
    form = client.get(
        "/referrals/new", query_string={"case_id": network.case.id, "q": network.welfare_centre.name}
    ).get_data(as_text=True)
    assert network.service.name in form
    assert network.case.number in form


def test_someone_who_may_not_refer_is_told_so_instead_of_a_form(
    client: FlaskClient, network: ReferralNetwork, login_as: Callable[..., Any]
) -> None:
    login_as(network.outsider)
    html = client.get("/referrals/new").get_data(as_text=True)
    assert "의뢰할 수 있는 진행 중 사례가 없습니다" in html
    assert network.case.number not in html


def test_the_list_is_ordered_and_paginated(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Any],
    login_as: Callable[..., Any],
) -> None:
    drafts = [make_referral() for _ in range(PAGE_SIZE + 3)]
    db.session.commit()
    login_as(network.sender)

    first = client.get("/referrals/?box=sent&order=newest").get_data(as_text=True)
    assert first.count('href="/referrals/' + str(drafts[-1].id) + '"') == 1
    assert f'href="/referrals/{drafts[0].id}"' not in first
    assert f"1–{PAGE_SIZE} / 모두 {PAGE_SIZE + 3}건" in first
    second = client.get("/referrals/?box=sent&order=newest&page=2").get_data(as_text=True)
    assert f'href="/referrals/{drafts[0].id}"' in second
    assert f'href="/referrals/{drafts[-1].id}"' not in second
    oldest = client.get("/referrals/?box=sent&order=oldest").get_data(as_text=True)
    assert f'href="/referrals/{drafts[0].id}"' in oldest
    # An unknown order or page falls back instead of failing.
    assert client.get("/referrals/?box=sent&order=bogus&page=99").status_code == 200


def test_home_page_is_my_work_with_each_referral_one_click_away(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Any],
    login_as: Callable[..., Any],
) -> None:
    from referrals import services

    anonymous = client.get("/").get_data(as_text=True)
    assert "내 할 일" not in anonymous
    referral = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()

    login_as(network.receiver)
    html = client.get("/").get_data(as_text=True)
    assert "내 할 일" in html
    section = html.split('data-section="referrals"')[1].split("</section>")[0]
    assert f'href="/referrals/{referral.id}"' in section
    assert network.dong_centre.name in section
    assert referral.response_due_on.isoformat() in section
    assert 'data-section="actions"' in html
    assert 'data-section="conferences"' in html
