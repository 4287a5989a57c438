"""Planning pages and the draft agenda keep action texts and cases inside consent and the district."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from agencies.models import StaffRole
from cases.models import CaseStage
from conference import services
from conference.models import ActionItem, ActionStatus, CarryReason, ConferenceKind
from hamkke.db import db as db_
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting, events, latest, seat

SECRET = "주거 지원 연계 - 월세 체납 3개월"


def _action(
    db: Any, meeting: Meeting, *, owner_id: int, text: str = SECRET, due_on: date | None = None
) -> ActionItem:
    action = ActionItem(
        conference_id=meeting.conference.id,
        item_id=meeting.item.id,
        case_id=meeting.case.id,
        text=text,
        owner_agency_id=owner_id,
        due_on=due_on or date(2099, 1, 1),
    )
    db.session.add(action)
    db.session.commit()
    return action


def test_plan_page_withholds_action_text_from_agencies_outside_consent(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    _action(db, meeting, owner_id=meeting.owner.id)
    _action(db, meeting, owner_id=meeting.partner.id, text="협력기관 자체 과제")
    plan = f"/conferences/{meeting.conference.id}/plan"

    login_as(meeting.partner_worker)
    partner_page = client.get(plan).get_data(as_text=True)
    login_as(meeting.chair)
    owner_page = client.get(plan).get_data(as_text=True)

    assert SECRET not in partner_page
    assert "동의 범위 밖" in partner_page
    assert "협력기관 자체 과제" in partner_page
    assert SECRET in owner_page


def _unrelated_conference(
    db: Any, meeting: Meeting, create_agency: Callable[..., Any], create_person: Callable[..., Any]
) -> Any:
    host = create_agency(name="다른권역복지관")
    coordinator = create_person(agency=host, roles=[StaffRole.coordinator], name="다른의장")
    conference = services.create_conference(
        actor=coordinator,
        district_id=meeting.conference.district_id,
        kind=ConferenceKind.regional,
        title="다른 기관의 회의",
        starts_at=meeting.conference.starts_at + timedelta(days=28),
        host_agency_id=host.id,
        place="다른 복지관",
        chair_id=coordinator.id,
    )
    db.session.commit()
    return conference, coordinator


def test_host_of_an_unrelated_conference_neither_sees_nor_carries_other_agencies_actions(
    client: FlaskClient,
    login_as: Any,
    db: Any,
    meeting: Meeting,
    create_agency: Callable[..., Any],
    create_person: Callable[..., Any],
) -> None:
    action = _action(db, meeting, owner_id=meeting.owner.id, due_on=today_local() - timedelta(days=3))
    conference, coordinator = _unrelated_conference(db, meeting, create_agency, create_person)
    plan = f"/conferences/{conference.id}/plan"
    login_as(coordinator)

    assert SECRET not in client.get(plan).get_data(as_text=True)
    carried = client.post(
        f"/conferences/{conference.id}/carry",
        data={
            "csrf_token": page_csrf_token(client, plan),
            "action_id": action.id,
            "reason": "agency_did_not_act",
        },
    )
    drafted = services.build_draft_agenda(conference)
    db.session.commit()

    assert carried.status_code in (404, 409, 422)
    assert not [item for item in drafted if item.source_detail.get("action_id") == action.id]
    db.session.expire_all()
    assert action.status == ActionStatus.open
    assert action.carried_to_item_id is None


def test_a_carried_action_keeps_its_case_and_leaves_its_text_out_of_the_title(
    db: Any, meeting: Meeting
) -> None:
    action = _action(db, meeting, owner_id=meeting.owner.id)
    following = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=meeting.conference.kind,
        title="다음 정기 회의",
        starts_at=meeting.conference.starts_at + timedelta(days=28),
        host_agency_id=meeting.owner.id,
        place="구청",
        chair_id=meeting.chair.id,
    )

    assert [a.id for a in services.carry_candidates(following)] == [action.id]
    item = services.carry_action(action, following, reason=CarryReason.agency_did_not_act)

    assert item.case_id == meeting.case.id
    assert SECRET not in item.title
    # Named by the case number people know, never by the action's row id.
    assert meeting.case.number in item.title
    assert f"#{action.id}" not in item.title
    assert "기관 미이행" in item.title


def test_draft_agenda_takes_review_cases_of_its_own_district_only(
    db: Any,
    meeting: Meeting,
    create_district: Callable[..., Any],
    create_agency: Callable[..., Any],
    create_meeting_case: Callable[..., Any],
) -> None:
    elsewhere = create_district()
    foreign_agency = create_agency(district=elsewhere, name="다른구 복지관")
    foreign = create_meeting_case(foreign_agency, name="이다른", stage=CaseStage.closure_review)
    local = create_meeting_case(meeting.owner, name="박이웃", stage=CaseStage.closure_review)
    assert meeting.conference.region_id is None

    cases = {item.case_id for item in services.build_draft_agenda(meeting.conference)}

    assert local.id in cases
    assert foreign.id not in cases


def test_action_change_reaches_the_room_without_logging_inside_the_locked_transaction(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, conference_socket: Any
) -> None:
    action = _action(db, meeting, owner_id=meeting.owner.id, due_on=today_local() + timedelta(days=3))
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    socket = conference_socket(meeting.chair, meeting.conference.id)
    events(socket, "case_data")
    login_as(meeting.recorder)
    token = page_csrf_token(client, "/conferences/actions")
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.strip().split(None, 3)[0].upper() + " " + statement.lower())

    def record_commit(session: Any) -> None:
        statements.append("COMMIT")

    engine = db_.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    sa.event.listen(Session, "after_commit", record_commit)
    try:
        response = client.post(f"/conferences/actions/{action.id}/start", data={"csrf_token": token})
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        sa.event.remove(Session, "after_commit", record_commit)

    assert response.status_code == 303
    lock = next(i for i, s in enumerate(statements) if s.startswith("UPDATE") and "update conferences" in s)
    commit = next(i for i, s in enumerate(statements[lock:], lock) if s == "COMMIT")
    assert not [s for s in statements[lock:commit] if "insert into consent_access_log" in s]
    assert any("insert into consent_access_log" in s for s in statements[commit:])
    actions = latest(socket, "case_data")["items"][str(meeting.item.id)]["actions"]
    assert [(entry["id"], entry["status"]) for entry in actions] == [(action.id, "in_progress")]
