"""The consent pages show a Flask-WTF form's own errors through the shared macros, input kept, nothing saved.

The consent form, the fulfilment of a 정정 request and the release of a 처리정지 each post bad input
here; every refusal must be on the page, beside its field (or above the form when no field is its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Client
from consents import services
from consents.models import Consent, DataSubjectRequest, RequestStatus
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.consents import CANARY, ConsentWorld, consent_form_data, grant

pytestmark = pytest.mark.embedded


@pytest.fixture
def owner_page(client: FlaskClient, login_as: Callable[..., Any], consent_world: ConsentWorld) -> FlaskClient:
    """The test client signed in as the owning agency's case worker."""
    login_as(consent_world.worker, agency_id=consent_world.owner.id)
    return client


def _error(page: str, field_id: str) -> str:
    """Return the error shown beside a field by the shared ``field_errors`` macro."""
    found = re.search(rf'<p class="field__error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    assert found, f"no error beside {field_id}"
    return found.group(1).strip()


def _consents(db: Any, client: Client) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).where(Consent.client_id == client.id)) or 0)


def test_every_typed_error_of_the_consent_form_is_shown_at_once_with_the_input_kept(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], owner_page: FlaskClient
) -> None:
    record = create_client()
    data = consent_form_data(
        consent_world,
        signed_on="어제",
        valid_until="2026-02-30",
        **{"grants-0-conference_id": "열다섯", "grants-0-field_groups": ["basic"]},
    )

    response = owner_page.post(
        f"/consents/clients/{record.id}", data={**data, "csrf_token": page_csrf_token(owner_page)}
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _error(page, "signed_on") == "날짜 형식이 올바르지 않습니다."
    assert _error(page, "valid_until") == "날짜 형식이 올바르지 않습니다."
    assert _error(page, "grants-0-conference_id") == "숫자를 입력해 주십시오."
    for kept in (
        'value="어제"',
        'value="2026-02-30"',
        'value="열다섯"',
        'value="본인서명"',
        'value="자원 연계"',
    ):
        assert kept in page
    assert 'aria-invalid="true" aria-describedby="signed_on-error"' in page
    assert _consents(db, record) == 0


def test_a_consent_without_any_grant_row_is_refused_above_the_form(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], owner_page: FlaskClient
) -> None:
    record = create_client()
    data = consent_form_data(consent_world, **{"grants-0-field_groups": ["basic"]})
    del data["grants-0-include"]

    response = owner_page.post(
        f"/consents/clients/{record.id}", data={**data, "csrf_token": page_csrf_token(owner_page)}
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = re.search(r'<div class="form-errors" role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert summary is not None
    assert "동의 내용(목적과 받는 자)이 없습니다." in summary.group(1)
    # The row left unticked comes back unticked, its texts as typed.
    assert 'id="grants-0-include" name="grants-0-include" value="1" >' in page
    assert 'value="자원 연계"' in page
    assert _consents(db, record) == 0


def test_a_refused_correction_shows_the_reason_beside_its_field_with_what_was_typed(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], owner_page: FlaskClient
) -> None:
    person = create_client()
    item = services.record_request(
        person, actor=consent_world.worker, agency=consent_world.owner, kind="correction"
    )
    db.session.commit()
    path = f"/consents/requests/{item.id}/fulfil"

    response = owner_page.post(
        path,
        data={
            "csrf_token": page_csrf_token(owner_page, path),
            "monthly_income": "많음",
            "address": "바뀐주소",
        },
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "숫자(만원)를 입력해 주십시오" in _error(page, "fix-monthly_income")
    assert 'aria-describedby="fix-monthly_income-error"' in page
    assert 'value="많음"' in page
    assert 'value="바뀐주소"' in page
    db.session.refresh(person)
    assert person.address == f"{CANARY}주소"
    assert db.session.get(DataSubjectRequest, item.id).status == RequestStatus.open


def test_a_refused_release_shows_its_reasons_on_its_own_row(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Any],
    owner_page: FlaskClient,
) -> None:
    person = create_client()
    sign_consent(person, grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic",)))
    item = services.record_request(
        person, actor=consent_world.worker, agency=consent_world.owner, kind="suspension"
    )
    services.fulfil_suspension(item, person, actor=consent_world.worker)
    db.session.commit()
    token = page_csrf_token(owner_page, "/consents/requests")

    response = owner_page.post(
        f"/consents/requests/{item.id}/lift-suspension",
        data={"csrf_token": token, "ground": "마음대로", "reason": "대상자 요청"},
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "처리 재개의 근거를 선택해 주십시오" in _error(page, f"lift-ground-{item.id}")
    assert f'aria-describedby="lift-ground-{item.id}-error"' in page
    assert 'value="대상자 요청"' in page
    db.session.refresh(item)
    assert item.suspension_lifted_at is None


def test_a_request_the_service_refuses_is_shown_beside_its_field_with_the_details_kept(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], owner_page: FlaskClient
) -> None:
    record = create_client()
    path = f"/consents/clients/{record.id}"

    response = owner_page.post(
        f"{path}/requests",
        data={
            "csrf_token": page_csrf_token(owner_page, path),
            "kind": "everything",
            "details": "전부 보여 주세요",
        },
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _error(page, "kind") == "요청 종류를 선택해 주십시오."
    assert "전부 보여 주세요</textarea>" in page
    found = db.session.scalar(sa.select(DataSubjectRequest).where(DataSubjectRequest.client_id == record.id))
    assert found is None


def test_closing_a_request_without_what_was_done_is_refused_on_its_row(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], owner_page: FlaskClient
) -> None:
    person = create_client()
    item = services.record_request(
        person, actor=consent_world.worker, agency=consent_world.owner, kind="access"
    )
    db.session.commit()
    token = page_csrf_token(owner_page, "/consents/requests")

    response = owner_page.post(
        f"/consents/requests/{item.id}/close", data={"csrf_token": token, "outcome": "  ", "refused": "1"}
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _error(page, f"outcome-{item.id}") == "처리 내용을 적어 주십시오."
    assert f'id="refused-{item.id}" name="refused" value="1" checked>' in page
    assert db.session.get(DataSubjectRequest, item.id).status == RequestStatus.open


def test_a_refused_withdrawal_comes_back_on_its_grant_with_the_ticks_and_reason_kept(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    owner_page: FlaskClient,
) -> None:
    consent = sign_consent(
        create_client(), grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic",))
    )
    db.session.commit()
    [only] = consent.grants
    path = f"/consents/{consent.id}"
    token = page_csrf_token(owner_page, path)

    unknown = owner_page.post(
        f"{path}/revoke",
        data={
            "csrf_token": token,
            "grant_id": str(only.id),
            "field_groups": ["basic", "secrets"],
            "reason": "이사",
        },
    )
    owner_page.post(f"{path}/revoke", data={"csrf_token": token})  # the whole consent, withdrawn
    twice = owner_page.post(f"{path}/revoke", data={"csrf_token": token})

    assert unknown.status_code == 422
    page = unknown.get_data(as_text=True)
    assert _error(page, f"r-{only.id}") == "알 수 없는 정보 항목입니다."
    assert f'id="r-{only.id}-basic" name="field_groups" value="basic" checked>' in page
    assert 'value="이사"' in page
    assert twice.status_code == 409
    summary = re.search(
        r'<div class="form-errors" role="alert"[^>]*>(.*?)</div>', twice.get_data(as_text=True), re.S
    )
    assert summary is not None
    assert "이미 철회된 동의입니다." in summary.group(1)
    assert len(db.session.get(Consent, consent.id).revocations) == 1
