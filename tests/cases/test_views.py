"""Wiring of the case pages: status codes, Korean errors next to fields, nothing saved on bad input."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, Person
from cases.models import (
    CapacityAssessment,
    Case,
    CaseStage,
    ConsentStatus,
    Escalation,
    EscalationStatus,
    IntakeRecord,
)
from consents.models import Consent
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


def test_anonymous_users_are_sent_to_sign_in(client: FlaskClient, create_case: Callable[..., Case]) -> None:
    case = create_case()
    for url in (
        "/cases/",
        f"/cases/{case.id}",
        "/cases/new",
        "/cases/escalations",
        "/cases/dong-meetings/new",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/auth/sign-in" in response.headers["Location"]


def test_caseload_lists_cases_with_filters(
    worker_client: FlaskClient, create_case: Callable[..., Case]
) -> None:
    first = create_case(CaseStage.assessment)
    second = create_case()
    page = worker_client.get("/cases/").get_data(as_text=True)
    assert first.number in page
    assert second.number in page
    assert "김민수" in page
    filtered = worker_client.get("/cases/?stage=assessment").get_data(as_text=True)
    assert first.number in filtered
    assert f">{second.number}<" not in filtered
    assert worker_client.get("/cases/?stage=bogus").status_code == 400


def test_open_case_form_saves_and_redirects(worker_client: FlaskClient, db: Any) -> None:
    token = page_csrf_token(worker_client, "/cases/new")
    response = worker_client.post(
        "/cases/new",
        data={
            "csrf_token": token,
            "name": "이순자",
            "sex": "여",
            "birth_date": "1948-02-03",
            "opened_on": today_local().isoformat(),
            "intake_route": "outreach",
            "referrer": "통장",
        },
    )
    assert response.status_code == 303
    case = db.session.scalars(sa.select(Case).order_by(Case.id.desc())).first()
    assert response.headers["Location"].endswith(f"/cases/{case.id}/others?after_intake=1")
    assert case.main_client.name == "이순자"


def test_open_case_with_a_future_date_is_refused_next_to_the_field(
    worker_client: FlaskClient, db: Any
) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    token = page_csrf_token(worker_client, "/cases/new")
    response = worker_client.post(
        "/cases/new",
        data={
            "csrf_token": token,
            "name": "이순자",
            "intake_route": "outreach",
            "opened_on": (today_local() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="opened_on-error"' in page
    assert "미래일 수 없습니다" in page
    assert 'aria-describedby="opened_on-error"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == before


def test_case_page_shows_timeline_and_client_through_the_gate(
    worker_client: FlaskClient, create_case: Callable[..., Case]
) -> None:
    case = create_case(CaseStage.delivery)
    page = worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "타임라인" in page
    assert "김민수" in page
    assert "결과 대기" in page  # the planned service has no result yet
    assert "우울감이 보임" in page  # worker's opinion, shown apart from the facts
    assert worker_client.get(f"/cases/{case.id}/print").status_code == 200


def test_illegal_transition_shows_a_korean_refusal(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.initial_counselling)
    db.session.commit()  # a refused request rolls back; the case must outlive it
    token = page_csrf_token(worker_client, f"/cases/{case.id}")
    response = worker_client.post(
        f"/cases/{case.id}/transition", data={"csrf_token": token, "action": "start_assessment"}
    )
    assert response.status_code == 409
    assert "초기상담 기록을 먼저" in response.get_data(as_text=True)
    response = worker_client.post(
        f"/cases/{case.id}/transition", data={"csrf_token": token, "action": "not_select"}
    )
    assert response.status_code == 409


def test_stage_form_saves_and_then_the_transition_works(
    worker_client: FlaskClient, create_case: Callable[..., Case], case_kit: CaseKit, db: Any
) -> None:
    case = create_case(CaseStage.initial_counselling)
    case_kit.consent(case)
    db.session.commit()
    token = page_csrf_token(worker_client, f"/cases/{case.id}/intake")
    bad = worker_client.post(
        f"/cases/{case.id}/intake",
        data={
            "csrf_token": token,
            "counselled_on": today_local().isoformat(),
            "method": "phone",
            "facts": "사실",
        },
    )
    assert bad.status_code == 422
    assert 'id="main_complaint-error"' in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeRecord)) == 0
    good = worker_client.post(
        f"/cases/{case.id}/intake",
        data={
            "csrf_token": token,
            "counselled_on": today_local().isoformat(),
            "method": "phone",
            "main_complaint": "밥을 못 먹고 있어요",
            "facts": "냉장고가 비어 있음",
            "collection_basis": "consent",
        },
    )
    assert good.status_code == 303
    moved = worker_client.post(
        f"/cases/{case.id}/transition", data={"csrf_token": token, "action": "start_assessment"}
    )
    assert moved.status_code == 303
    assert db.session.get(Case, case.id).stage == CaseStage.assessment


INTAKE = {
    "counselled_on": "",
    "method": "phone",
    "main_complaint": "밥을 못 먹고 있어요",
    "facts": "냉장고가 비어 있음",
}


def _post_intake(client: FlaskClient, case: Case, **fields: str) -> Any:
    token = page_csrf_token(client, f"/cases/{case.id}/intake")
    data = {**INTAKE, "counselled_on": today_local().isoformat(), "csrf_token": token, **fields}
    return client.post(f"/cases/{case.id}/intake", data=data)


@pytest.mark.embedded
def test_intake_without_a_collection_consent_or_statute_is_refused_and_nothing_saved(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.initial_counselling)
    db.session.commit()

    form = worker_client.get(f"/cases/{case.id}/intake").get_data(as_text=True)
    refused = _post_intake(worker_client, case, collection_basis="consent")
    unchosen = _post_intake(worker_client, case)

    assert 'name="collection_basis"' in form
    assert "기록된 개인정보 수집·이용 동의" in form
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert '<p class="field__error" id="collection_basis-error">' in text
    assert "개인정보 수집·이용 동의가 기록되어 있지 않습니다" in text
    assert unchosen.status_code == 422
    assert 'id="collection_basis-error"' in unchosen.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeRecord)) == 0


@pytest.mark.embedded
def test_intake_on_a_consent_records_which_consent(
    worker_client: FlaskClient, create_case: Callable[..., Case], case_kit: CaseKit, db: Any
) -> None:
    case = create_case(CaseStage.initial_counselling)
    consent = case_kit.consent(case)
    db.session.commit()

    assert _post_intake(worker_client, case, collection_basis="consent").status_code == 303

    record = db.session.scalars(sa.select(IntakeRecord)).one()
    assert (record.collection_basis, record.consent_ids, record.statutory_basis) == (
        "consent",
        [consent.id],
        None,
    )


@pytest.mark.embedded
def test_intake_on_a_statute_needs_the_article_and_a_public_agency(
    worker_client: FlaskClient,
    client: FlaskClient,
    login_as: Callable[..., Any],
    create_case: Callable[..., Case],
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
    db: Any,
) -> None:
    case = create_case(CaseStage.initial_counselling)
    db.session.commit()

    vague = _post_intake(worker_client, case, collection_basis="statute", statutory_basis="법에 따라")
    assert vague.status_code == 422
    assert 'id="statutory_basis-error"' in vague.get_data(as_text=True)
    article = "개인정보 보호법 제15조 제1항 제3호, 사회보장급여법 제42조의2"
    assert (
        _post_intake(worker_client, case, collection_basis="statute", statutory_basis=article).status_code
        == 303
    )
    record = db.session.scalars(sa.select(IntakeRecord)).one()
    assert (record.collection_basis, record.statutory_basis, record.consent_ids) == ("statute", article, None)

    # A private agency has no statutory ground: only the client's consent will do.
    private = create_agency(name="민간복지관")
    worker = create_person(agency=private, name="민간담당")
    from cases import services

    other = services.open_case(
        private, services.ClientInput(name="박민간"), actor=worker, opened_on=today_local()
    )
    services.transition_case(other, "start_counselling", actor=worker, agency_id=private.id)
    login_as(worker, agency_id=private.id)
    refused = _post_intake(client, other, collection_basis="statute", statutory_basis=article)
    assert refused.status_code == 422
    assert "민간기관은 법령상 근거로" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeRecord)) == 1


def test_other_agencies_get_404(
    client: FlaskClient,
    login_as: Callable[..., Any],
    create_case: Callable[..., Case],
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> None:
    case = create_case()
    other = create_agency()
    login_as(create_person(agency=other), agency_id=other.id)
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/intake").status_code == 404


@pytest.mark.embedded
def test_dong_meeting_to_escalation_round_trip(
    client: FlaskClient,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    create_case: Callable[..., Case],
    db: Any,
    app: Any,
) -> None:
    case = create_case(CaseStage.selection)
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)  # commits the case too
    token = page_csrf_token(client, "/cases/dong-meetings/new")
    page = client.get("/cases/dong-meetings/new").get_data(as_text=True)
    assert f'name="consent-{case.id}"' not in page
    assert "수집·이용 동의만 있음" in page
    single = client.get(f"/cases/{case.id}/escalate").get_data(as_text=True)
    assert 'name="consent_status"' not in single
    assert "동의 상태 (동의 기록에서 자동 판정)" in single
    assert "수집·이용 동의만 있음" in single
    missing = client.post(
        "/cases/dong-meetings/new",
        data={
            "csrf_token": token,
            "held_on": today_local().isoformat(),
            "attendees": "동장 외 3명",
            f"case_{case.id}-decision": "escalate",
            f"case_{case.id}-reason": "알코올 의존, 아동 방임",
        },
    )
    assert missing.status_code == 422
    assert f'id="case_{case.id}-tried-error"' in missing.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 0
    response = client.post(
        "/cases/dong-meetings/new",
        data={
            "csrf_token": token,
            "held_on": today_local().isoformat(),
            "attendees": "동장 외 3명",
            f"case_{case.id}-decision": "escalate",
            f"case_{case.id}-reason": "알코올 의존, 아동 방임",
            f"case_{case.id}-tried": "정신건강복지센터 연계 거부",
            f"case_{case.id}-urgency": "urgent",
            # A typed consent status is not a field any more: it is ignored, never trusted.
            f"consent-{case.id}": "third_party",
        },
    )
    assert response.status_code == 303
    escalation = db.session.scalars(sa.select(Escalation)).one()
    # Derived from the records: the client consented to collection by the dong, not to provision.
    assert escalation.consent_status == ConsentStatus.collection_only
    [consent_id] = escalation.consent_ids
    assert consent_id == db.session.scalar(
        sa.select(Consent.id).where(Consent.client_id == case.main_client_id)
    )
    assert "구청 검토 중" in client.get("/cases/escalations").get_data(as_text=True)

    coordinator = app.test_client()
    login_as(case_kit.coordinator, agency_id=case_kit.team.id, test_client=coordinator)
    assert case.number in coordinator.get("/cases/escalations").get_data(as_text=True)
    token = page_csrf_token(coordinator, f"/cases/escalations/{escalation.id}")
    accepted = coordinator.post(
        f"/cases/escalations/{escalation.id}",
        data={
            "accept-csrf_token": token,
            "accept-placement": "urgent_conference",
        },
    )
    assert accepted.status_code == 303, accepted.get_data(as_text=True)[-3000:]
    assert db.session.get(Escalation, escalation.id).status == EscalationStatus.accepted
    # The coordinator sees the case facts but not the client's data (the gate refuses them).
    page = coordinator.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.number in page
    assert "김민수" not in page
    assert "구청 접수" in client.get("/cases/escalations").get_data(as_text=True)


def test_attachment_upload_and_download_after_access_check(
    db: Any,
    worker_client: FlaskClient,
    create_case: Callable[..., Case],
    client: FlaskClient,
    app: Any,
    login_as: Callable[..., Any],
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> None:
    case = create_case(CaseStage.assessment)
    db.session.commit()
    token = page_csrf_token(worker_client, f"/cases/{case.id}/attachments")
    refused = worker_client.post(
        f"/cases/{case.id}/attachments",
        data={
            "csrf_token": token,
            "kind": "genogram",
            "file": (io.BytesIO(b"<script>"), "g.html", "text/html"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "PDF, PNG, JPEG" in refused.get_data(as_text=True)
    uploaded = worker_client.post(
        f"/cases/{case.id}/attachments",
        data={
            "csrf_token": token,
            "kind": "genogram",
            "file": (io.BytesIO(b"%PDF-1.4 genogram"), "가계도.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303
    page = worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    link = re.search(rf'href="(/cases/{case.id}/attachments/\d+)"', page)
    assert link
    download = worker_client.get(link.group(1))
    assert download.status_code == 200
    assert download.data == b"%PDF-1.4 genogram"
    download.close()
    other_agency = create_agency()
    stranger = app.test_client()
    login_as(create_person(agency=other_agency), agency_id=other_agency.id, test_client=stranger)
    assert stranger.get(link.group(1)).status_code == 404


def test_household_member_and_main_client_pages(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case()
    db.session.commit()
    token = page_csrf_token(worker_client, f"/cases/{case.id}/members")
    added = worker_client.post(
        f"/cases/{case.id}/members",
        data={
            "csrf_token": token,
            "name": "김하늘",
            "sex": "여",
            "relationship_to_head": "자녀",
        },
    )
    assert added.status_code == 303
    child = next(m for m in db.session.get(Case, case.id).household.members if m.name == "김하늘")
    page = worker_client.get(f"/cases/{case.id}/main-client").get_data(as_text=True)
    assert "김하늘" in page
    refused = worker_client.post(
        f"/cases/{case.id}/main-client", data={"csrf_token": token, "client_id": str(child.id), "reason": ""}
    )
    assert refused.status_code == 422
    chosen = worker_client.post(
        f"/cases/{case.id}/main-client",
        data={"csrf_token": token, "client_id": str(child.id), "reason": "아동 보호 우선"},
    )
    assert chosen.status_code == 303
    assert db.session.get(Case, case.id).main_client_id == child.id


def test_service_check_result_capacity_and_evaluation_pages(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.delivery)
    db.session.commit()
    service_id = re.search(
        r'<option value="(\d+)">v1',
        worker_client.get(f"/cases/{case.id}/service-results").get_data(as_text=True),
    ).group(1)
    token = page_csrf_token(worker_client, f"/cases/{case.id}/service-results")
    today = today_local().isoformat()
    assert (
        worker_client.post(
            f"/cases/{case.id}/service-results",
            data={"csrf_token": token, "service_id": service_id, "result_on": today, "result": "체납 해소"},
        ).status_code
        == 303
    )
    assert "결과 대기" not in worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert (
        worker_client.post(
            f"/cases/{case.id}/service-checks",
            data={
                "csrf_token": token,
                "service_id": service_id,
                "checked_on": today,
                "sufficiency": "4",
                "appropriateness": "3",
                "efficiency": "2",
            },
        ).status_code
        == 303
    )
    answers = {
        "age": "le34",
        "work_will": "high",
        "education": "level4",
        "work_capacity": "8h",
        "illness": "none",
        "career_gap": "le1",
        "licences": "two",
        "public_assistance": "0_43",
        "family": "none",
        "credit": "ok",
    }
    scored = worker_client.post(
        f"/cases/{case.id}/capacity",
        data={
            "csrf_token": token,
            "assessed_on": today,
            **answers,
            "worker_will": "10",
            "worker_employability": "6",
            "supervisor_adjustment": "0",
            "will_1": "y",
            "will_6": "y",
            "capacity_1": "y",
            "health_2": "y",
        },
        follow_redirects=True,
    )
    assert "96점, A그룹" in scored.get_data(as_text=True)
    # the participant's self-check is kept beside the score, in the checklist's order, never scored
    assert db.session.scalars(sa.select(CapacityAssessment.self_check)).one() == [
        "will_1",
        "will_6",
        "capacity_1",
        "health_2",
    ]
    blank_rows = {
        f"{score}_{key}": "0"
        for key in ("iap_short", "iap_long", "work2", "work3", "welfare1", "welfare2", "welfare3")
        for score in ("participant", "worker", "external", "achievement")
    }
    evaluated = worker_client.post(
        f"/cases/{case.id}/evaluation",
        data={
            "csrf_token": token,
            "evaluated_on": today,
            **blank_rows,
            "goal_work1": "월세 체납 해소",
            "participant_work1": "9",
            "worker_work1": "8",
            "external_work1": "7",
            "achievement_work1": "9",
        },
        follow_redirects=True,
    )
    assert "종결심사를 검토하세요" in evaluated.get_data(as_text=True)


def test_caseload_lists_open_cases_by_default_and_closed_on_request(
    worker_client: FlaskClient, create_case: Callable[..., Case]
) -> None:
    running = create_case(CaseStage.assessment)
    closed = create_case(CaseStage.closed)
    page = worker_client.get("/cases/").get_data(as_text=True)
    assert f">{running.number}<" in page
    assert f">{closed.number}<" not in page
    with_closed = worker_client.get("/cases/?closed=1").get_data(as_text=True)
    assert f">{running.number}<" in with_closed
    assert f">{closed.number}<" in with_closed
    assert worker_client.get("/cases/?stage=closed").get_data(as_text=True).count(f">{closed.number}<") == 1


def test_caseload_pages_fifty_rows_with_a_keyboard_pager(
    worker_client: FlaskClient, create_case: Callable[..., Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cases import queries

    monkeypatch.setattr(queries, "CASELOAD_PAGE_SIZE", 2)
    cases = [create_case(CaseStage.assessment) for _ in range(5)]
    numbers = [case.number for case in cases]
    first = worker_client.get("/cases/?stage=assessment").get_data(as_text=True)
    shown_first = [number for number in numbers if f">{number}<" in first]
    assert len(shown_first) == 2
    assert 'aria-current="page"' in first
    assert re.search(r'<a href="[^"]*page=2[^"]*" rel="next">', first)
    last = worker_client.get("/cases/?stage=assessment&page=3").get_data(as_text=True)
    shown_last = [number for number in numbers if f">{number}<" in last]
    assert len(shown_last) == 1
    assert not set(shown_first) & set(shown_last)
    assert re.search(r'<a href="[^"]*page=3[^"]*" aria-current="page"', last)
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last
    # A page past the end shows the last page; a page that is not a number shows the first.
    assert (
        worker_client.get("/cases/?stage=assessment&page=99").get_data(as_text=True).count('rel="prev"') == 1
    )
    assert worker_client.get("/cases/?stage=assessment&page=x").status_code == 200
