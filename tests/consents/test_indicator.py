"""The consent indicator on every client panel: what the viewer may see, and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from cases.fields import FIELD_GROUPS
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
    # The owner sees every field group (the account and career groups of 필수서식 1 included).
    assert box.count("scope--visible") == len(FIELD_GROUPS) == 12
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
    assert box.count("scope--hidden") == len(FIELD_GROUPS) - 2
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


# --- what is missing, for what (issue 16, point 2) -------------------------------------------------


def _gaps(html: str) -> dict[str, str]:
    """Return each missing-consent line of the indicator by its kind, its text squeezed."""
    box = _indicator(html)
    return {
        kind: " ".join(re.sub(r"<[^>]+>", " ", text).split())
        for kind, text in re.findall(r'<li class="consent-gap" data-gap="(\w+)">(.*?)</li>', box, re.DOTALL)
    }


def _links(html: str) -> dict[str, str]:
    box = _indicator(html)
    return {
        kind: href.replace("&amp;", "&")
        for kind, href in re.findall(
            r'<li class="consent-gap" data-gap="(\w+)">.*?href="([^"]+)"', box, re.DOTALL
        )
    }


def test_owner_sees_no_conference_and_no_referral_consent_each_with_a_link_preselecting_it(
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

    gaps = _gaps(html)
    assert set(gaps) == {"conference", "referral"}
    assert "통합사례회의 공유 동의가 없습니다" in gaps["conference"]
    assert "회의에서 다른 기관에 이 대상자의 정보를 보여 줄 수 없습니다" in gaps["conference"]
    assert "서비스 의뢰 동의가 없습니다" in gaps["referral"]
    links = _links(html)
    assert links["conference"] == (
        f"/consents/clients/{person.id}/new?purpose=conference_sharing&recipient_kind=network"
    )
    assert links["referral"] == f"/consents/clients/{person.id}/new?purpose=referral&recipient_kind=agency"
    # The link opens the consent form with that purpose and recipient chosen in the first row.
    form = client.get(links["conference"]).get_data(as_text=True)
    assert '<option value="conference_sharing" selected>' in form
    assert re.search(r'id="grants-0-recipient_kind".*?<option value="network" selected>', form, re.DOTALL)
    assert re.search(r'id="grants-0-include"[^>]*checked', form)


def test_owner_sees_a_referral_to_an_agency_without_consent_and_no_line_once_consented(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Case],
    sign_consent: Callable[..., Consent],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    from referrals.models import Referral, ReferralSource, ReferralStatus

    person = create_client()
    case = create_plain_case(person)
    sign_consent(
        person,
        grant(purpose="conference_sharing", recipient_kind="network"),
    )
    db.session.add(
        Referral(
            case_id=case.id,
            client_id=person.id,
            district_id=consent_world.district.id,
            sending_agency_id=consent_world.owner.id,
            sender_id=consent_world.worker.id,
            receiving_agency_id=consent_world.recipient.id,
            status=ReferralStatus.draft,
            source_type=ReferralSource.case,
            reason="주거 지원",
            requested_services="월세 지원",
        )
    )
    db.session.commit()
    login_as(consent_world.worker, agency_id=consent_world.owner.id)

    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    gaps = _gaps(html)
    assert set(gaps) == {"referral_agency"}
    assert "다음정신건강복지센터에 보내는 의뢰에 대한 동의가 없습니다" in gaps["referral_agency"]
    assert _links(html)["referral_agency"] == (
        f"/consents/clients/{person.id}/new?purpose=referral&recipient_kind=agency"
        f"&recipient_agency_id={consent_world.recipient.id}"
    )
    form = client.get(_links(html)["referral_agency"]).get_data(as_text=True)
    assert re.search(
        rf'id="grants-0-recipient_agency_id".*?<option value="{consent_world.recipient.id}" selected>',
        form,
        re.DOTALL,
    )

    sign_consent(person, grant(recipient_agency_id=consent_world.recipient.id))
    db.session.commit()
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _gaps(html) == {}
    assert "지금 빠진 동의가 없습니다" in _indicator(html)


def test_owner_sees_expiring_withdrawn_groups_withdrawn_and_suspended_on_case_and_consent_pages(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Case],
    sign_consent: Callable[..., Consent],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    from datetime import timedelta

    from consents import services
    from hamkke.time import today_local

    person = create_client()
    case = create_plain_case(person)
    until = today_local() + timedelta(days=20)
    sign_consent(
        person,
        grant(purpose="conference_sharing", recipient_kind="network"),
        valid_until=until,
    )
    narrowed = sign_consent(
        person, grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic", "economic"))
    )
    services.revoke_consent(
        narrowed, actor=consent_world.worker, grant=narrowed.grants[0], field_groups=("economic",)
    )
    withdrawn = sign_consent(person, grant(recipient_agency_id=consent_world.public.id))
    services.revoke_consent(withdrawn, actor=consent_world.worker)
    db.session.commit()
    login_as(consent_world.worker, agency_id=consent_world.owner.id)

    for path in (f"/cases/{case.id}", f"/consents/clients/{person.id}"):
        html = client.get(path).get_data(as_text=True)
        gaps = _gaps(html)
        assert set(gaps) == {"expiring", "withdrawn_groups", "withdrawn"}, path
        assert (
            f"통합사례회의 공유 동의(받는 자: 구 통합사례관리 네트워크)가 {until.isoformat()}에 끝납니다"
            in (gaps["expiring"])
        )
        assert (
            "특정 기관 의뢰 동의(받는 자: 다음정신건강복지센터)에서 대상자가 철회한 항목: 경제상황"
            in (gaps["withdrawn_groups"])
        )
        assert "대상자가 특정 기관 의뢰 동의(받는 자: " in gaps["withdrawn"]
        assert consent_world.public.name in gaps["withdrawn"]
        # A person reads purposes, recipients and dates, never a consent's row id.
        for consent_id in (narrowed.id, withdrawn.id):
            assert f"#{consent_id}" not in _indicator(html)

    request = services.record_request(
        person, actor=consent_world.worker, agency=consent_world.owner, kind="suspension"
    )
    services.fulfil_suspension(request, person, actor=consent_world.worker)
    db.session.commit()
    gaps = _gaps(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "suspended" in gaps
    assert "처리정지 중입니다" in gaps["suspended"]


def test_another_agency_sees_no_missing_consent_lines_and_no_consent_row_ids(
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
    assert "consent-gap" not in box
    assert "빠진 동의" not in box
    # Each visible group names the consent it rests on by date and purpose, not by row id.
    assert f"동의서 {consent.id}" not in box
    assert re.search(r"scope--visible.*?기본정보.*?부터 유효한 특정 기관 의뢰 동의", box, re.DOTALL)
    # Nor may the recipient open the owner's consent pages where the missing consents are listed.
    assert client.get(f"/consents/clients/{person.id}").status_code == 404
    assert client.get(f"/consents/clients/{person.id}/new?purpose=referral").status_code == 404
