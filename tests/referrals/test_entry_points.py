"""Every way into a referral is a link: the case page, "새 의뢰" on the list, the directory."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from referrals import entry
from referrals.entry import PAGE_SIZE
from referrals.models import ReferralStatus
from tests.fixtures.pager import follow_pager, ids_by
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


REFERRAL_LINK = re.compile(r'href="/referrals/(\d+)"')


def _listed(client: FlaskClient, url: str) -> list[list[int]]:
    return follow_pager(client, url, ids_by(REFERRAL_LINK))


def test_the_list_sorts_filters_and_pages_in_sql_with_every_referral_once(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Any],
    login_as: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(entry, "PAGE_SIZE", 3)
    made = [make_referral() for _ in range(8)]
    # Two finished (nothing to do), one refused and re-routed (done with), one refused and waiting.
    for referral in made[:2]:
        referral.status = ReferralStatus.completed
    made[2].status = ReferralStatus.rejected
    made[3].status = ReferralStatus.rejected
    rerouted = make_referral()
    rerouted.rerouted_from_id = made[2].id
    db.session.commit()
    login_as(network.sender)

    pages = _listed(client, "/referrals/?box=sent")
    listed = [referral_id for page in pages for referral_id in page]
    assert len(pages) == 3
    assert sorted(listed) == sorted([r.id for r in made] + [rerouted.id])
    # Needing action first (drafts, the refusal not yet re-routed), newest first within each group.
    waiting = {made[3].id, rerouted.id, *(r.id for r in made[4:])}
    assert set(listed[: len(waiting)]) == waiting
    assert set(listed[len(waiting) :]) == {made[0].id, made[1].id, made[2].id}

    completed = _listed(client, "/referrals/?box=sent&status=completed")
    assert sorted(i for page in completed for i in page) == sorted([made[0].id, made[1].id])
    filtered = client.get("/referrals/?box=sent&status=draft").get_data(as_text=True)
    assert re.search(r'<a href="[^"]*status=draft[^"]*" rel="next">', filtered)
    assert "조건에 맞는 의뢰가 없습니다" in client.get("/referrals/?box=sent&status=revoked").get_data(
        as_text=True
    )


@pytest.mark.parametrize("query", ["order=bogus", "status=nope", "box=%00", "status=" + "x" * 5000])
def test_bad_list_values_fall_back_with_a_note(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Any],
    login_as: Callable[..., Any],
    query: str,
) -> None:
    draft = make_referral()
    db.session.commit()
    login_as(network.sender)
    response = client.get(f"/referrals/?{query}&box=sent")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "알 수 없는 조건 값이라 기본값으로 바꿔 보여 드립니다" in html
    if not query.startswith("box="):
        assert f'href="/referrals/{draft.id}"' in html
