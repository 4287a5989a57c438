"""The consent indicator on every client panel: what the viewer may see, and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from cases.models import Case, Client
from consents.models import Consent
from tests.fixtures.consents import CANARY, ConsentWorld, grant

pytestmark = pytest.mark.embedded


def _indicator(html: str) -> str:
    match = re.search(r'<aside class="scope-indicator.*?</aside>', html, re.DOTALL)
    assert match, "no consent indicator on the page"
    return match.group(0)


def test_case_page_tells_the_owner_it_sees_everything_as_collector(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Case],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    case = create_plain_case(person)
    db.session.commit()
    login_as(consent_world.worker, agency_id=consent_world.owner.id)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    box = _indicator(html)
    assert 'data-scope="owner"' in box
    assert "함께복지관이 수집한 기록입니다" in box
    assert "모든 항목을 볼 수 있습니다" in box
    assert box.count("scope--visible") == 10
    assert "scope--hidden" not in box
    assert "(수집 기관)" in box
    # Accessible: a labelled landmark with a heading.
    assert 'aria-labelledby="scope-' in box
    assert "<h2" in box
    printed = client.get(f"/cases/{case.id}/print").get_data(as_text=True)
    assert 'data-scope="owner"' in _indicator(printed)


def test_panel_of_another_agency_names_consent_purpose_recipient_validity_and_what_is_outside(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    consent = sign_consent(
        person, grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic", "economic"))
    )
    db.session.commit()
    login_as(consent_world.recipient_worker, agency_id=consent_world.recipient.id)
    html = client.get(f"/consents/panel/{person.id}?purpose=referral").get_data(as_text=True)
    box = _indicator(html)
    assert 'data-scope="consent"' in box
    assert "함께복지관이 수집한 기록입니다. 대상자가 동의한 항목만 보입니다." in box
    reason = re.search(r'<li class="scope-reason">(.*?)</li>', box, re.DOTALL)
    assert reason is not None
    text = " ".join(reason.group(1).split())
    assert f"{consent.valid_from}부터 유효한 동의서" in text
    assert f"#{consent.id}" not in text
    assert "특정 기관 의뢰" in text
    assert "다음정신건강복지센터" in text
    assert f"{consent.valid_from} ~ 사례 종결 시까지" in text
    assert "기본정보, 경제상황" in text
    assert box.count("scope--visible") == 2
    assert box.count("scope--hidden") == 8
    assert re.search(r"scope--hidden.*?건강정보.*?동의 범위 밖", box, re.DOTALL)
    # The withheld values themselves are not on the page.
    assert f"{CANARY}신체건강" not in html
    assert f"{CANARY}주소" in html


def test_case_page_outside_consent_says_so_and_shows_no_client_data(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Case],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    case = create_plain_case(person)
    case.lead_agency_id = consent_world.recipient.id
    db.session.commit()
    login_as(consent_world.recipient_worker, agency_id=consent_world.recipient.id)
    page = client.get(f"/cases/{case.id}")  # the lead agency may open the case, not the client record
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "동의 범위 밖" in html
    assert "scope-indicator" not in html
    assert CANARY not in html
