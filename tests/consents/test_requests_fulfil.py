"""Data-subject requests are fulfilled, not only recorded: 정정 applied, 삭제 erased, 처리정지 enforced."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cases.models import Case, Client
from consents import queries, services
from consents.gate import groups_allowed_now, view_client
from consents.models import AccessLogEntry, AppendOnlyViolation, DataSubjectRequest, RequestStatus
from hamkke.audit import AuditEntry
from hamkke.errors import InvalidTransition, NotFound, ValidationFailed
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.consents import CANARY, ConsentWorld, grant

pytestmark = pytest.mark.embedded


def _request(world: ConsentWorld, client: Client, kind: str, details: str = "") -> DataSubjectRequest:
    return services.record_request(client, actor=world.worker, agency=world.owner, kind=kind, details=details)


@pytest.fixture
def owner_page(client: FlaskClient, login_as: Callable[..., Any], consent_world: ConsentWorld) -> FlaskClient:
    """The test client signed in as the owning agency's case worker."""
    login_as(consent_world.worker, agency_id=consent_world.owner.id)
    return client


# 정정 ----------------------------------------------------------------------------------------------


def test_correction_applies_changes_and_keeps_before_and_after_in_the_audit_row(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    owner_page: FlaskClient,
) -> None:
    person = create_client()
    item = _request(consent_world, person, "correction", "주소와 생년월일이 틀림")
    db.session.commit()
    path = f"/consents/requests/{item.id}/fulfil"
    form = owner_page.get(path)
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'for="fix-address"' in html
    assert f"{CANARY}주소" in html  # the current value, to review with the client
    token = page_csrf_token(owner_page, path)

    response = owner_page.post(
        path,
        data={
            "csrf_token": token,
            "address": "새주소 1",
            "birth_date": "1971-02-03",
            "name": f"{CANARY}이름",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    db.session.refresh(person)
    db.session.refresh(item)
    assert person.address == "새주소 1"
    assert person.birth_date == date(1971, 2, 3)
    assert item.status == RequestStatus.fulfilled
    assert item.closed_by_id == consent_world.worker.id
    assert item.closed_at is not None
    assert item.outcome == "정정 반영: 생년월일, 주소"
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "consents.request_correction_applied")
    ).one()
    assert audit.actor_id == consent_world.worker.id
    assert audit.data["before"] == {"address": f"{CANARY}주소", "birth_date": "1970-05-01"}
    assert audit.data["after"] == {"address": "새주소 1", "birth_date": "1971-02-03"}
    # The access log records that values were shown, never the values.
    rows = db.session.scalars(sa.select(AccessLogEntry).where(AccessLogEntry.client_id == person.id)).all()
    assert rows  # the review page was a logged disclosure
    assert not any("새주소" in str(row.hashed_content()) for row in rows)
    listing = owner_page.get("/consents/requests").get_data(as_text=True)
    assert "정정 반영: 생년월일, 주소" in listing
    assert consent_world.worker.name in listing


def test_correction_refuses_bad_values_and_nothing_changed_in_korean(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], owner_page: FlaskClient
) -> None:
    person = create_client()
    item = _request(consent_world, person, "correction")
    db.session.commit()
    path = f"/consents/requests/{item.id}/fulfil"
    token = page_csrf_token(owner_page, path)
    bad = owner_page.post(path, data={"csrf_token": token, "monthly_income": "많음", "address": "바뀐주소"})
    assert bad.status_code == 422
    assert "숫자(만원)를 입력해 주십시오" in bad.get_data(as_text=True)
    same = owner_page.post(path, data={"csrf_token": token, "address": f"{CANARY}주소"})
    assert same.status_code == 422
    assert "바뀐 항목이 없습니다" in same.get_data(as_text=True)
    db.session.refresh(person)
    db.session.refresh(item)
    assert person.address == f"{CANARY}주소"
    assert person.monthly_income == 87654
    assert item.status == RequestStatus.open


def test_fulfilling_twice_is_refused_with_409(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client], owner_page: FlaskClient
) -> None:
    person = create_client()
    item = _request(consent_world, person, "suspension")
    db.session.commit()
    path = f"/consents/requests/{item.id}/fulfil"
    token = page_csrf_token(owner_page, path)
    assert owner_page.post(path, data={"csrf_token": token}).status_code == 303
    again = owner_page.post(path, data={"csrf_token": token})
    assert again.status_code == 409
    assert "이미 처리된 요청입니다" in again.get_data(as_text=True)
    with pytest.raises(InvalidTransition):
        services.fulfil_suspension(item, person, actor=consent_world.worker)


def test_a_request_of_another_agency_answers_404(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    item = _request(consent_world, person, "deletion")
    db.session.commit()
    login_as(consent_world.recipient_worker, agency_id=consent_world.recipient.id)
    path = f"/consents/requests/{item.id}/fulfil"
    assert client.get(path).status_code == 404
    token = page_csrf_token(client, "/")
    refused = client.post(path, data={"csrf_token": token, "confirm": "1"})
    assert refused.status_code == 404
    assert "요청을 찾을 수 없습니다" in refused.get_data(as_text=True)
    db.session.refresh(person)
    assert person.phone == "010-0000-1234"


def test_generic_close_cannot_mark_an_erasure_done_without_applying_it(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    item = _request(consent_world, create_client(), "deletion")
    with pytest.raises(InvalidTransition):
        services.close_request(item, actor=consent_world.worker, outcome="삭제함")
    services.close_request(item, actor=consent_world.worker, outcome="법정 보존 대상", refused=True)
    assert item.status == RequestStatus.refused


# 삭제 ----------------------------------------------------------------------------------------------


def test_erasure_under_retention_removes_what_is_not_kept_by_law(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Case],
    owner_page: FlaskClient,
) -> None:
    person = create_client()
    case = create_plain_case(person)
    item = _request(consent_world, person, "deletion")
    db.session.commit()
    path = f"/consents/requests/{item.id}/fulfil"
    page = owner_page.get(path).get_data(as_text=True)
    assert "사례기록 법정 보존기간" in page
    token = page_csrf_token(owner_page, path)
    unconfirmed = owner_page.post(path, data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    assert owner_page.post(path, data={"csrf_token": token, "confirm": "1"}).status_code == 303
    db.session.refresh(person)
    for name in services.ERASED_ALWAYS:
        assert getattr(person, name) is None, name
    assert person.rrn_legal_basis is None  # no number stored: nothing under a statute to keep
    assert person.name == f"{CANARY}이름"
    assert person.birth_date == date(1970, 5, 1)
    assert not person.is_deleted
    assert db.session.get(Case, case.id) is not None
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "consents.request_erasure_applied")
    ).one()
    assert "phone" in audit.data["erased"]
    assert CANARY not in str(audit.data)
    db.session.refresh(item)
    assert item.status == RequestStatus.fulfilled
    assert "보존" in (item.outcome or "")


def test_erasure_without_retained_records_pseudonymises_the_client(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    person = create_client()
    view_client(
        person, consent_world.worker, purpose="case_management", acting_agency_id=consent_world.owner.id
    )
    logged = db.session.scalar(
        sa.select(sa.func.count()).select_from(AccessLogEntry).where(AccessLogEntry.client_id == person.id)
    )
    item = _request(consent_world, person, "deletion")
    plan = services.fulfil_deletion(item, person, actor=consent_world.worker)
    assert not plan.retained_by_law
    assert person.name == services.ERASED_MARK
    assert person.birth_date is None
    assert person.benefit_category is None
    assert person.is_deleted
    # The access log is evidence of past disclosures and stays.
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.client_id == person.id)
        )
        == logged
    )
    with pytest.raises(NotFound):
        view_client(
            person, consent_world.worker, purpose="case_management", acting_agency_id=consent_world.owner.id
        )


# 처리정지 ------------------------------------------------------------------------------------------


def test_suspension_stops_sharing_with_other_agencies(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Any],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    sign_consent(person, grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic",)))
    db.session.commit()
    assert groups_allowed_now(person, consent_world.recipient, purpose="referral") == {"basic"}
    item = _request(consent_world, person, "suspension")
    services.fulfil_suspension(item, person, actor=consent_world.worker)
    db.session.commit()

    assert groups_allowed_now(person, consent_world.recipient, purpose="referral") == frozenset()
    with pytest.raises(NotFound):
        view_client(
            person,
            consent_world.recipient_worker,
            purpose="referral",
            acting_agency_id=consent_world.recipient.id,
        )
    login_as(consent_world.recipient_worker, agency_id=consent_world.recipient.id)
    assert client.get(f"/consents/panel/{person.id}?purpose=referral").status_code == 404
    # The owning agency keeps its record.
    own = view_client(
        person, consent_world.worker, purpose="case_management", acting_agency_id=consent_world.owner.id
    )
    assert own.is_owner


def test_unknown_correction_field_is_refused(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    person = create_client()
    item = _request(consent_world, person, "correction")
    with pytest.raises(ValidationFailed):
        services.fulfil_correction(item, person, actor=consent_world.worker, changes={"rrn_encrypted": "x"})
    assert item.status == RequestStatus.open


# 처리정지 해제 -------------------------------------------------------------------------------------


def _suspended(
    db: Any, world: ConsentWorld, person: Client, sign_consent: Callable[..., Any]
) -> DataSubjectRequest:
    sign_consent(person, grant(recipient_agency_id=world.recipient.id, field_groups=("basic",)))
    item = _request(world, person, "suspension", "연락을 원하지 않음")
    services.fulfil_suspension(item, person, actor=world.worker)
    db.session.commit()
    return item


def _lift_audits(db: Any) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "consents.request_suspension_lifted")
        )
    )


def test_lifting_a_suspension_shares_again_and_keeps_the_history(
    app: Flask,
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Any],
    owner_page: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    item = _suspended(db, consent_world, person, sign_consent)
    other = app.test_client()
    login_as(consent_world.recipient_worker, agency_id=consent_world.recipient.id, test_client=other)
    panel = f"/consents/panel/{person.id}?purpose=referral"
    assert other.get(panel).status_code == 404

    listing = owner_page.get("/consents/requests").get_data(as_text=True)
    path = f"/consents/requests/{item.id}/lift-suspension"
    assert f'action="{path}"' in listing
    assert f'for="lift-reason-{item.id}"' in listing
    token = page_csrf_token(owner_page, "/consents/requests")
    response = owner_page.post(
        path, data={"csrf_token": token, "ground": "withdrawn", "reason": "대상자가 전화로 철회 의사를 밝힘"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:400]

    # The next request of the other agency sees the consented group again, and only that.
    shown = other.get(panel)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert f"{CANARY}이름" in html
    assert f"{CANARY}정신건강" not in html
    assert groups_allowed_now(person, consent_world.recipient, purpose="referral") == {"basic"}

    # History: the fulfilment stays as it was, the end is written beside it, audited once.
    db.session.refresh(item)
    assert item.status == RequestStatus.fulfilled
    assert item.outcome == "처리정지 반영: 다른 기관에 대한 제공·공유 중지"
    assert item.closed_by_id == consent_world.worker.id
    assert item.suspension_lifted_by_id == consent_world.worker.id
    assert item.suspension_lifted_at is not None
    assert item.suspension_lift_ground == "withdrawn"
    assert item.suspension_lift_reason == "대상자가 전화로 철회 의사를 밝힘"
    (audit,) = _lift_audits(db)
    assert audit.actor_id == consent_world.worker.id
    assert audit.data == {
        "client_id": person.id,
        "ground": "withdrawn",
        "reason": "대상자가 전화로 철회 의사를 밝힘",
    }
    listing = owner_page.get("/consents/requests").get_data(as_text=True)
    assert "해제됨" in listing
    assert "대상자가 전화로 철회 의사를 밝힘" in listing
    assert f'action="{path}"' not in listing
    assert "대상자가 전화로 철회 의사를 밝힘" in owner_page.get(
        f"/consents/requests/{item.id}/fulfil"
    ).get_data(as_text=True)

    # The lift is evidence: the ORM refuses to edit it.
    item.suspension_lift_reason = "다른 사유"
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()

    # A new suspension is a new request; the lifted one stays in the history.
    again = _request(consent_world, person, "suspension")
    services.fulfil_suspension(again, person, actor=consent_world.worker)
    db.session.commit()
    assert other.get(panel).status_code == 404
    assert len(queries.list_requests_of_client(person.id)) == 2


def test_lifting_twice_or_a_request_that_is_not_a_fulfilled_suspension_is_refused(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Any],
    owner_page: FlaskClient,
) -> None:
    person = create_client()
    item = _suspended(db, consent_world, person, sign_consent)
    open_one = _request(consent_world, person, "suspension")
    access_one = _request(consent_world, person, "access")
    services.close_request(access_one, actor=consent_world.worker, outcome="사본 교부")
    db.session.commit()
    token = page_csrf_token(owner_page, "/consents/requests")
    for other in (open_one, access_one):
        refused = owner_page.post(
            f"/consents/requests/{other.id}/lift-suspension",
            data={"csrf_token": token, "ground": "withdrawn", "reason": "철회"},
        )
        assert refused.status_code == 409
        assert "처리정지를 반영한 요청만 해제할 수 있습니다" in refused.get_data(as_text=True)

    path = f"/consents/requests/{item.id}/lift-suspension"
    no_ground = owner_page.post(path, data={"csrf_token": token, "ground": "마음대로", "reason": "철회"})
    assert no_ground.status_code == 422
    assert "처리 재개의 근거를 선택해 주십시오" in no_ground.get_data(as_text=True)
    no_reason = owner_page.post(path, data={"csrf_token": token, "ground": "statutory", "reason": "  "})
    assert no_reason.status_code == 422
    assert "해제 사유를 적어 주십시오" in no_reason.get_data(as_text=True)
    too_long = owner_page.post(path, data={"csrf_token": token, "ground": "statutory", "reason": "가" * 1001})
    assert too_long.status_code == 422
    db.session.refresh(item)
    assert item.suspension_lifted_at is None
    assert not _lift_audits(db)
    assert groups_allowed_now(person, consent_world.recipient, purpose="referral") == frozenset()

    done = owner_page.post(path, data={"csrf_token": token, "ground": "statutory", "reason": "법원 명령"})
    assert done.status_code == 303
    db.session.refresh(item)
    lifted_at = item.suspension_lifted_at
    twice = owner_page.post(path, data={"csrf_token": token, "ground": "withdrawn", "reason": "다시"})
    assert twice.status_code == 409
    assert "이미 해제된 처리정지입니다" in twice.get_data(as_text=True)
    db.session.refresh(item)
    assert item.suspension_lifted_at == lifted_at
    assert item.suspension_lift_ground == "statutory"
    assert item.suspension_lift_reason == "법원 명령"
    assert len(_lift_audits(db)) == 1
    with pytest.raises(InvalidTransition):
        services.lift_suspension(item, actor=consent_world.worker, ground="withdrawn", reason="다시")


def test_another_agency_cannot_lift_a_suspension_404(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Any],
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    person = create_client()
    item = _suspended(db, consent_world, person, sign_consent)
    login_as(consent_world.recipient_worker, agency_id=consent_world.recipient.id)
    token = page_csrf_token(client, "/")
    refused = client.post(
        f"/consents/requests/{item.id}/lift-suspension",
        data={"csrf_token": token, "ground": "withdrawn", "reason": "철회"},
    )
    assert refused.status_code == 404
    assert "요청을 찾을 수 없습니다" in refused.get_data(as_text=True)
    assert client.get(f"/consents/panel/{person.id}?purpose=referral").status_code == 404
    db.session.refresh(item)
    assert item.suspension_lifted_at is None
    assert not _lift_audits(db)
