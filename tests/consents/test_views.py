"""Pages: the consent form, history, gated panel and JSON, the auditor's log, requests and exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Client
from consents import services
from consents.models import AccessLogEntry, Consent, DataSubjectRequest
from hamkke.audit import AuditEntry
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.consents import CANARY, ConsentWorld, consent_form_data, grant, post_consent_form

pytestmark = pytest.mark.embedded


def test_consent_form_walks_through_the_five_notice_items(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    response = http.get(f"/consents/clients/{client_record.id}/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The legal notice names the agency with the particle its name takes.
    assert "함께복지관은 「개인정보 보호법」" in html
    assert "은(는)" not in html
    for item in (
        "① 제공받는 자",
        "② 제공받는 자의 이용 목적",
        "③ 제공하는 항목",
        "④ 보유·이용 기간",
        "⑤ 동의를 거부할 권리",
    ):
        assert item in html
    assert 'enctype="multipart/form-data"' in html
    assert "print-only" in html


def test_post_consent_records_it_and_history_shows_it(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    response = http.post(
        f"/consents/clients/{client_record.id}",
        data={**consent_form_data(consent_world), "csrf_token": page_csrf_token(http)},
    )
    assert response.status_code == 303
    consent = db.session.scalar(sa.select(Consent).where(Consent.client_id == client_record.id))
    assert consent is not None
    assert consent.grants[0].field_groups == ["basic", "economic"]
    html = http.get(f"/consents/clients/{client_record.id}").get_data(as_text=True)
    assert consent_world.recipient.name in html
    assert "열람 범위" in html


def test_bad_consent_form_is_refused_in_korean_and_saves_nothing(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    response = post_consent_form(http, client_record.id, consent_world, **{"grants-0-notice_refusal": ""})
    assert response.status_code == 422
    assert "고지 사항이 빠졌습니다" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Consent).where(Consent.client_id == client_record.id)) is None


def test_other_agency_cannot_open_consent_pages(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    http = signed_in(consent_world.recipient_worker, consent_world.recipient.id)
    assert http.get(f"/consents/clients/{client_record.id}").status_code == 404
    assert http.get(f"/consents/clients/{client_record.id}/new").status_code == 404


def test_panel_and_json_show_only_consented_fields_and_revocation_applies_next_request(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()
    consent = sign_consent(client_record, grant(recipient_agency_id=consent_world.recipient.id))
    db.session.commit()
    http = signed_in(consent_world.recipient_worker, consent_world.recipient.id)
    html = http.get(f"/consents/panel/{client_record.id}?purpose=referral").get_data(as_text=True)
    assert f"{CANARY}이름" in html
    assert f"{CANARY}정신건강" not in html
    assert f"{CANARY}주거" not in html
    assert "동의 범위 밖" in html
    payload = http.get(f"/consents/api/clients/{client_record.id}?purpose=referral").get_json()
    assert payload["fields"]["mental_health"] == "동의 범위 밖"
    assert CANARY not in json.dumps(
        {k: v for k, v in payload["fields"].items() if k not in {"name", "address"}}
    )
    channels = db.session.scalars(
        sa.select(AccessLogEntry.channel).where(AccessLogEntry.client_id == client_record.id)
    ).all()
    assert {"page", "api"} <= set(channels)
    services.revoke_consent(consent, actor=consent_world.worker)
    db.session.commit()
    assert http.get(f"/consents/panel/{client_record.id}?purpose=referral").status_code == 404
    assert http.get(f"/consents/api/clients/{client_record.id}?purpose=referral").status_code == 404


def test_revoke_twice_through_the_page_is_refused(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    signed_in: Callable[..., FlaskClient],
) -> None:
    consent = sign_consent(create_client(), grant(recipient_agency_id=consent_world.recipient.id))
    db.session.commit()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    token = page_csrf_token(http)
    assert http.post(f"/consents/{consent.id}/revoke", data={"csrf_token": token}).status_code == 303
    response = http.post(f"/consents/{consent.id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "이미 철회된 동의입니다" in response.get_data(as_text=True)
    assert len(consent.revocations) == 1


def test_access_log_page_is_for_auditors_only_and_export_is_audited(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
    client: FlaskClient,
) -> None:
    from consents.gate import view_client

    record = create_client()
    view_client(
        record, consent_world.worker, purpose="case_management", acting_agency_id=consent_world.owner.id
    )
    db.session.commit()
    http = signed_in(consent_world.worker, consent_world.owner.id)
    assert http.get("/consents/access-log").status_code == 404
    assert "접속기록" not in http.get("/").get_data(as_text=True).split("<main")[0]
    http = signed_in(consent_world.auditor, consent_world.team.id)
    assert 'href="/consents/access-log"' in http.get("/").get_data(as_text=True)
    page = http.get(f"/consents/access-log?client_id={record.id}&channel=page")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html.split("<tbody>")[1].split("</tbody>")[0]
    # Names and Korean labels, never row ids or stored codes.
    assert consent_world.worker.name in table
    assert consent_world.owner.name in table
    assert "사례 기록 없는 대상자" in table
    for label in ("화면", "사례관리(수집·이용)", "수집 기관"):
        assert label in table
    for raw in ("None", "case_management", ">page<", ">owner<", f">{record.id}<"):
        assert raw not in table, raw
    csv_response = http.get(f"/consents/access-log.csv?client_id={record.id}")
    assert csv_response.status_code == 200
    lines = csv_response.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 2
    assert lines[1].split(",")[4] == str(record.id)
    # After the machine columns, the same row in words for the person who opens the file.
    words = next(csv.reader(io.StringIO(lines[1])))[8:]
    assert words[1:4] == [consent_world.worker.name, consent_world.owner.name, "사례 기록 없는 대상자"]
    assert words[5:] == ["사례관리(수집·이용)", "화면", "수집 기관"]
    assert CANARY not in csv_response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "consents.access_log_exported"))


def test_unusual_access_report_flags_many_clients_outside_own_cases(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Any],
    signed_in: Callable[..., FlaskClient],
) -> None:
    from consents.gate import view_clients

    clients = [create_client() for _ in range(4)]
    create_plain_case(clients[0])
    view_clients(
        clients, consent_world.worker, purpose="case_management", acting_agency_id=consent_world.owner.id
    )
    today = today_local()
    report = services.unusual_access_report(today.year, today.month, threshold=2)
    assert [(item.actor_id, item.clients_outside_cases) for item in report] == [(consent_world.worker.id, 3)]
    assert services.unusual_access_report(today.year, today.month, threshold=3) == []
    db.session.commit()
    http = signed_in(consent_world.auditor, consent_world.team.id)
    html = http.get(f"/consents/access-log/unusual?month={today:%Y-%m}&threshold=2").get_data(as_text=True)
    assert consent_world.worker.name in html


def test_data_subject_request_listed_and_exported_as_json_and_html(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    record = create_client()
    http = signed_in(consent_world.coordinator, consent_world.owner.id)
    token = page_csrf_token(http)
    response = http.post(
        f"/consents/clients/{record.id}/requests",
        data={
            "csrf_token": token,
            "kind": "access",
            "received_on": (today_local() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 303
    item = db.session.scalar(sa.select(DataSubjectRequest).where(DataSubjectRequest.client_id == record.id))
    assert item is not None
    assert item.due_on == today_local() + timedelta(days=9)
    assert "열람" in http.get("/consents/requests").get_data(as_text=True)
    exported = http.get(f"/consents/requests/{item.id}/export.json")
    data = json.loads(exported.get_data(as_text=True))
    assert data["client"]["fields"]["name"] == f"{CANARY}이름"
    assert "disclosures" in data
    assert "consents" in data
    html = http.get(f"/consents/requests/{item.id}/export.html").get_data(as_text=True)
    assert "제3자 제공 현황" in html
    assert db.session.scalar(
        sa.select(AccessLogEntry).where(
            AccessLogEntry.client_id == record.id, AccessLogEntry.channel == "export"
        )
    )
    assert (
        http.post(
            f"/consents/requests/{item.id}/close", data={"csrf_token": token, "outcome": "제공함"}
        ).status_code
        == 303
    )
    assert item.status == "fulfilled"
    outsider = signed_in(consent_world.outsider_worker, consent_world.outsider.id)
    assert outsider.get(f"/consents/requests/{item.id}/export.json").status_code == 404


def test_a_refused_disclosure_is_audited_although_the_404_rolls_the_request_back(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    signed_in: Callable[..., FlaskClient],
) -> None:
    client_record = create_client()  # no consent names the recipient agency
    db.session.commit()
    http = signed_in(consent_world.recipient_worker, consent_world.recipient.id)
    assert http.get(f"/consents/panel/{client_record.id}?purpose=referral").status_code == 404
    refusals = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "consents.disclosure_refused", AuditEntry.object_id == client_record.id
        )
    ).all()
    assert [(row.actor_id, row.agency_id, row.data["purpose"]) for row in refusals] == [
        (consent_world.recipient_worker.id, consent_world.recipient.id, "referral")
    ]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.client_id == client_record.id)
        )
        == 0
    )
