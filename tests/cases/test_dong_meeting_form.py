"""The 내부판정회의 form: one Flask-WTF row per household, every error at once, input kept, nothing saved."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Case, CaseStage, DongMeeting, DongMeetingDecision, Escalation, SelectionDecision
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit

PAGE = "/cases/dong-meetings/new"


def _nothing_saved(db: Any) -> bool:
    tables = (DongMeeting, DongMeetingDecision, Escalation, SelectionDecision)
    return all(db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 0 for table in tables)


def _error(page: str, field_id: str) -> str:
    marker = f'<p class="field__error" id="{field_id}-error">'
    assert marker in page, re.findall(r"field__error[^<]*<|form-errors.*?</div>", page, re.S)
    start = page.index(marker) + len(marker)
    return page[start : page.index("</p>", start)]


@pytest.fixture
def two_households(
    client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit, create_case: Callable[..., Case]
) -> tuple[Case, Case]:
    """Two assessed households of the dong centre, its worker signed in."""
    cases = (create_case(CaseStage.selection), create_case(CaseStage.selection))
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return cases


@pytest.mark.embedded
def test_every_error_of_every_row_is_shown_at_once_with_the_input_kept(
    client: FlaskClient, db: Any, two_households: tuple[Case, Case]
) -> None:
    first, second = two_households
    token = page_csrf_token(client, PAGE)

    response = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "held_on": "어제",
            "attendees": "",
            f"case_{first.id}-decision": "not_selected",
            f"case_{first.id}-reason": "소득 기준 초과",
            f"case_{second.id}-decision": "escalate",
            f"case_{second.id}-urgency": "urgent",
        },
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _error(page, "held_on") == "올바르지 않은 날짜 값입니다."
    assert _error(page, "attendees") == "꼭 입력해 주세요."
    assert _error(page, f"case_{first.id}-alternatives") == "미선정 시 안내한 대체 서비스를 적어 주세요."
    assert _error(page, f"case_{second.id}-reason") == "판정 사유를 입력해 주세요."
    assert _error(page, f"case_{second.id}-tried") == "지금까지 한 개입을 입력해 주세요."
    assert f'id="case_{first.id}-reason-error"' not in page
    # What was typed and chosen comes back as posted.
    assert 'value="어제"' in page
    assert "소득 기준 초과</textarea>" in page
    assert '<option selected value="not_selected">' in page
    assert '<option selected value="urgent">' in page
    assert _nothing_saved(db)


@pytest.mark.embedded
def test_an_unknown_choice_and_no_decision_at_all_are_refused_in_korean(
    client: FlaskClient, db: Any, two_households: tuple[Case, Case]
) -> None:
    first, second = two_households
    token = page_csrf_token(client, PAGE)
    meeting = {"csrf_token": token, "held_on": today_local().isoformat(), "attendees": "동장 외 2명"}

    unknown = client.post(
        PAGE,
        data={
            **meeting,
            f"case_{first.id}-decision": "approve",
            f"case_{first.id}-reason": "사유",
            f"case_{second.id}-decision": "case_management",
            f"case_{second.id}-reason": "사유",
            f"case_{second.id}-urgency": "tomorrow",
        },
    )
    none_decided = client.post(PAGE, data=meeting)

    assert unknown.status_code == 422
    page = unknown.get_data(as_text=True)
    assert _error(page, f"case_{first.id}-decision") == "목록에서 골라 주세요."
    assert _error(page, f"case_{second.id}-urgency") == "목록에서 골라 주세요."
    assert none_decided.status_code == 422
    assert "판정할 가구를 하나 이상 골라 주세요." in none_decided.get_data(as_text=True)
    assert "동장 외 2명</textarea>" in none_decided.get_data(as_text=True)
    assert _nothing_saved(db)


@pytest.mark.embedded
def test_a_future_meeting_date_is_refused_by_the_service_next_to_the_date(
    client: FlaskClient, db: Any, two_households: tuple[Case, Case]
) -> None:
    first, _ = two_households
    token = page_csrf_token(client, PAGE)

    response = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "held_on": "2999-01-01",
            "attendees": "동장 외 2명",
            f"case_{first.id}-decision": "case_management",
            f"case_{first.id}-reason": "위기 가구",
        },
    )

    assert response.status_code == 422
    assert _error(response.get_data(as_text=True), "held_on") == "회의일은 미래일 수 없습니다."
    assert _nothing_saved(db)


@pytest.mark.embedded
def test_each_row_is_saved_for_its_own_household(
    client: FlaskClient, db: Any, two_households: tuple[Case, Case]
) -> None:
    first, second = two_households
    token = page_csrf_token(client, PAGE)

    response = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "held_on": today_local().isoformat(),
            "attendees": "동장 외 2명",
            f"case_{first.id}-decision": "not_selected",
            f"case_{first.id}-reason": "소득 기준 초과",
            f"case_{first.id}-alternatives": "긴급복지 안내",
            f"case_{second.id}-decision": "case_management",
            f"case_{second.id}-reason": "복합 욕구",
        },
    )

    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    saved = dict(
        db.session.execute(sa.select(DongMeetingDecision.case_id, DongMeetingDecision.reason)).tuples().all()
    )
    assert saved == {first.id: "소득 기준 초과", second.id: "복합 욕구"}
    alternatives = db.session.scalar(
        sa.select(SelectionDecision.alternative_services).where(SelectionDecision.case_id == first.id)
    )
    assert alternatives == "긴급복지 안내"


@pytest.mark.embedded
def test_the_coordinators_two_forms_are_told_apart_by_what_was_posted(
    app: Any,
    client: FlaskClient,
    db: Any,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    two_households: tuple[Case, Case],
) -> None:
    first, _ = two_households
    sent = client.post(
        PAGE,
        data={
            "csrf_token": page_csrf_token(client, PAGE),
            "held_on": today_local().isoformat(),
            "attendees": "동장 외 2명",
            f"case_{first.id}-decision": "escalate",
            f"case_{first.id}-reason": "알코올 의존",
            f"case_{first.id}-tried": "정신건강복지센터 연계 거부",
        },
    )
    assert sent.status_code == 303
    escalation = db.session.scalars(sa.select(Escalation)).one()
    coordinator = app.test_client()
    login_as(case_kit.coordinator, agency_id=case_kit.team.id, test_client=coordinator)
    path = f"/cases/escalations/{escalation.id}"
    token = page_csrf_token(coordinator, path)

    no_guidance = coordinator.post(path, data={"return-csrf_token": token, "return-guidance": " "})
    bad_placement = coordinator.post(path, data={"accept-csrf_token": token, "accept-placement": "someday"})

    assert no_guidance.status_code == 422
    assert _error(no_guidance.get_data(as_text=True), "return-guidance") == "꼭 입력해 주세요."
    assert bad_placement.status_code == 422
    assert "accept-placement-error" in bad_placement.get_data(as_text=True)
    db.session.refresh(escalation)
    assert escalation.status.value == "submitted"
