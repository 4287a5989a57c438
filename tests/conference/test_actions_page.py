"""The 조치 항목 page: an agency works its action items (in progress, done) and the rest follows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade

from agencies.models import AgencySector, AgencyStatus, AgencyType, StaffRole
from conference import services
from conference.models import ActionItem, ActionStatus, ConferenceKind
from conference.sockets import NAMESPACE
from conference.tasks import send_action_reminders
from dashboards import queries as dashboards
from dashboards.queries import Period, Scope
from hamkke.audit import AuditEntry
from hamkke.db import db as db_
from hamkke.time import today_local
from notifications.models import Notification
from tests.conference import test_migration as migration_case
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting, events, latest, seat

PAGE = "/conferences/actions"
#: the PostgreSQL and SQLite migration app of the previous conference revision's test
migration_app = migration_case.migration_app


def _action(
    db: Any, meeting: Meeting, *, text: str, due_on: date, agency_id: int | None = None
) -> ActionItem:
    action = ActionItem(
        conference_id=meeting.conference.id,
        item_id=meeting.item.id,
        case_id=meeting.case.id,
        text=text,
        owner_agency_id=agency_id or meeting.owner.id,
        due_on=due_on,
    )
    db.session.add(action)
    db.session.commit()
    return action


def _audit_actions(db: Any, action: ActionItem) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "conference_action_items", AuditEntry.object_id == action.id)
            .order_by(AuditEntry.id)
        )
    )


def test_page_lists_the_agencys_items_unfinished_first_and_overdue_marked(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    today = today_local()
    late = _action(db, meeting, text="주거급여 신청 지원", due_on=today - timedelta(days=2))
    later = _action(db, meeting, text="정신건강 상담 연계", due_on=today + timedelta(days=5))
    finished = _action(db, meeting, text="긴급지원 신청", due_on=today + timedelta(days=1))
    services.complete_action(finished, actor=meeting.recorder, result_note="지원 결정")
    partners = _action(db, meeting, text="다른 기관 과제", due_on=today, agency_id=meeting.partner.id)
    db.session.commit()
    login_as(meeting.recorder)

    html = client.get(PAGE).get_data(as_text=True)

    assert html.index("주거급여 신청 지원") < html.index("정신건강 상담 연계")
    assert f'id="action-{late.id}" class="row--overdue"' in html
    assert f'id="action-{later.id}" class="row--overdue"' not in html
    assert "긴급지원 신청" not in html
    assert partners.text not in html
    assert meeting.conference.title in html
    assert meeting.item.title in html
    done = client.get(f"{PAGE}?status=done").get_data(as_text=True)
    assert "긴급지원 신청" in done
    assert "지원 결정" in done
    assert "주거급여 신청 지원" not in done
    every = client.get(f"{PAGE}?status=all").get_data(as_text=True)
    assert every.index("정신건강 상담 연계") < every.index("긴급지원 신청")
    assert client.get(f"{PAGE}?status=bogus").status_code == 422
    assert 'href="/conferences/actions"' in client.get("/").get_data(as_text=True)


def test_member_marks_in_progress_then_done_with_audit_and_notice_to_the_chair(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    action = _action(db, meeting, text="상담 연계", due_on=today_local() + timedelta(days=3))
    login_as(meeting.recorder)
    token = page_csrf_token(client, PAGE)

    started = client.post(f"{PAGE}/{action.id}/start", data={"csrf_token": token})
    assert started.status_code == 303
    again = client.post(f"{PAGE}/{action.id}/start", data={"csrf_token": token})
    assert again.status_code == 409
    assert "이미 진행 중" in again.get_data(as_text=True)
    done = client.post(
        f"{PAGE}/{action.id}/complete", data={"csrf_token": token, "result_note": "상담 3회 완료"}
    )
    assert done.status_code == 303

    db.session.expire_all()
    stored = db.session.get(ActionItem, action.id)
    assert stored is not None
    assert stored.status == ActionStatus.done
    assert stored.started_at is not None
    assert stored.completed_at is not None
    assert stored.result_note == "상담 3회 완료"
    assert _audit_actions(db, action) == ["conference.action_started", "conference.action_done"]
    notices = db.session.scalars(
        sa.select(Notification).where(
            Notification.person_id == meeting.chair.id, Notification.kind == "conference.action"
        )
    ).all()
    assert len(notices) == 2

    first_completion = stored.completed_at
    twice = client.post(f"{PAGE}/{action.id}/complete", data={"csrf_token": token}, follow_redirects=True)
    assert "이미 완료한 실행과제입니다" in twice.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ActionItem, action.id).completed_at == first_completion
    assert _audit_actions(db, action).count("conference.action_done") == 1


def test_other_agency_gets_404_and_coordinator_reads_only(
    client: FlaskClient,
    login_as: Any,
    db: Any,
    meeting: Meeting,
    create_agency: Any,
    create_person: Any,
) -> None:
    action = _action(db, meeting, text="상담 연계", due_on=today_local() + timedelta(days=3))
    login_as(meeting.partner_worker)
    token = page_csrf_token(client, PAGE)
    assert "상담 연계" not in client.get(PAGE).get_data(as_text=True)
    assert client.post(f"{PAGE}/{action.id}/complete", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{PAGE}/{action.id + 999}/start", data={"csrf_token": token}).status_code == 404

    team = create_agency(name="희망복지지원단", type=AgencyType.district_team)
    coordinator = create_person(agency=team, roles=[StaffRole.coordinator])
    db.session.commit()
    login_as(coordinator)
    token = page_csrf_token(client, PAGE)
    page = client.get(PAGE).get_data(as_text=True)
    assert "상담 연계" in page
    assert "보기 전용" in page
    assert client.post(f"{PAGE}/{action.id}/complete", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ActionItem, action.id).status == ActionStatus.open


def test_changes_need_the_csrf_token(client: FlaskClient, login_as: Any, db: Any, meeting: Meeting) -> None:
    action = _action(db, meeting, text="상담 연계", due_on=today_local() + timedelta(days=3))
    login_as(meeting.recorder)

    assert client.post(f"{PAGE}/{action.id}/complete").status_code == 400
    db.session.expire_all()
    assert db.session.get(ActionItem, action.id).status == ActionStatus.open


def test_assignee_of_another_agency_may_work_the_item(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    action = _action(db, meeting, text="상담 연계", due_on=today_local() + timedelta(days=3))
    action.assignee_id = meeting.partner_worker.id
    db.session.commit()
    login_as(meeting.partner_worker)

    assert "상담 연계" in client.get(PAGE).get_data(as_text=True)
    token = page_csrf_token(client, PAGE)
    assert client.post(f"{PAGE}/{action.id}/start", data={"csrf_token": token}).status_code == 303


def test_reminders_stop_once_the_item_is_done(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    tomorrow = today_local() + timedelta(days=1)
    reminded = _action(db, meeting, text="내일 기한 과제", due_on=tomorrow)
    finished = _action(db, meeting, text="끝낸 과제", due_on=tomorrow)
    reminded.assignee_id = finished.assignee_id = meeting.recorder.id
    db.session.commit()
    login_as(meeting.recorder)
    token = page_csrf_token(client, PAGE)
    assert client.post(f"{PAGE}/{finished.id}/complete", data={"csrf_token": token}).status_code == 303

    assert send_action_reminders() == 1
    assert send_action_reminders() == 1  # the same step again: deduplicated, nothing new stored
    keys = db.session.scalars(sa.select(Notification.dedupe_key).where(Notification.kind == "reminder")).all()
    assert keys == [f"action-reminder:{reminded.id}:d-1:{meeting.recorder.id}"]

    assert client.post(f"{PAGE}/{reminded.id}/complete", data={"csrf_token": token}).status_code == 303
    assert send_action_reminders() == 0


def test_completion_through_the_page_counts_on_time_on_the_dashboard(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    today = today_local()
    on_time = _action(db, meeting, text="기한 내 과제", due_on=today + timedelta(days=2))
    running = _action(db, meeting, text="진행 과제", due_on=today + timedelta(days=2))
    scope = Scope("agency", meeting.conference.district_id, meeting.owner.id, "기관", suppress=False)
    period = Period("year", today.year)
    if (today + timedelta(days=2)).year != today.year:
        period = Period("year", today.year + 1)
    before = dashboards.action_items(scope, period, today=today).body[0]
    login_as(meeting.recorder)
    token = page_csrf_token(client, PAGE)

    client.post(f"{PAGE}/{running.id}/start", data={"csrf_token": token})
    client.post(f"{PAGE}/{on_time.id}/complete", data={"csrf_token": token})

    after = dashboards.action_items(scope, period, today=today).body[0]
    # columns: total, on time, late, overdue, running (in progress counts as running), carried, rate
    assert before[:5] == [2, 0, 0, 0, 2]
    assert after[:5] == [2, 1, 0, 0, 1]


def test_a_change_reaches_the_open_conference_room(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, conference_socket: Any
) -> None:
    action = _action(db, meeting, text="상담 연계", due_on=today_local() + timedelta(days=3))
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    socket = conference_socket(meeting.chair, meeting.conference.id)
    assert socket.is_connected(NAMESPACE)
    events(socket, "case_data")
    login_as(meeting.recorder)

    client.post(f"{PAGE}/{action.id}/start", data={"csrf_token": page_csrf_token(client, PAGE)})

    actions = latest(socket, "case_data")["items"][str(meeting.item.id)]["actions"]
    assert [(entry["id"], entry["status"]) for entry in actions] == [(action.id, "in_progress")]


def test_action_reminders_are_on_the_beat_schedule() -> None:
    from hamkke.schedule import beat_schedule

    assert beat_schedule()["conference-action-reminders"]["task"] == send_action_reminders.name


def test_revision_admits_in_progress_and_downgrade_reopens_it(migration_app: Flask) -> None:
    table = db_.metadata.tables
    actions = table["conference_action_items"]
    with migration_app.app_context():
        upgrade(directory=migration_case.MIGRATIONS, revision="85e62b89007a")
        with db_.engine.begin() as connection:
            district_id: int = connection.execute(
                table["districts"]
                .insert()
                .values(code="mig", name="이관구", settings={})
                .returning(sa.column("id"))
            ).scalar_one()
            agency_id: int = connection.execute(
                table["agencies"]
                .insert()
                .values(
                    district_id=district_id,
                    code="mig-team",
                    name="이관구청",
                    type=AgencyType.district_team,
                    sector=AgencySector.public,
                    status=AgencyStatus.active,
                )
                .returning(sa.column("id"))
            ).scalar_one()
            conference_id = migration_case._conference(
                connection, district_id, agency_id, ConferenceKind.regional
            )
            item_id: int = connection.execute(
                table["conference_agenda_items"]
                .insert()
                .values(conference_id=conference_id, title="안건")
                .returning(sa.column("id"))
            ).scalar_one()
            connection.execute(
                actions.insert().values(
                    conference_id=conference_id,
                    item_id=item_id,
                    text="상담 연계",
                    owner_agency_id=agency_id,
                    due_on=date(2026, 12, 1),
                    status=ActionStatus.in_progress,
                    result_note="중간 점검",
                    created_at=datetime(2026, 11, 30, tzinfo=UTC),
                    updated_at=datetime(2026, 11, 30, tzinfo=UTC),
                )
            )

        downgrade(directory=migration_case.MIGRATIONS, revision="c76a7f81b695")
        with db_.engine.begin() as connection:
            status = connection.execute(sa.text("SELECT status FROM conference_action_items")).scalar_one()
        assert status == "open"
        # The old CHECK is back: in progress is refused again.
        with pytest.raises(sa.exc.IntegrityError), db_.engine.begin() as connection:
            connection.execute(sa.text("UPDATE conference_action_items SET status = 'in_progress'"))
        db_.engine.dispose()


def test_an_action_without_a_case_says_why_it_cannot_be_referred_before_any_form(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    with_case = _action(db, meeting, text="주거 점검", due_on=today_local() + timedelta(days=3))
    without = _action(db, meeting, text="기관 간 협약 검토", due_on=today_local() + timedelta(days=3))
    without.case_id = None
    db.session.commit()
    login_as(meeting.recorder)

    html = client.get(PAGE).get_data(as_text=True)
    row = html.split(f'id="action-{without.id}"')[1].split("</tr>")[0]
    assert "사례가 연결되지 않아 의뢰할 수 없습니다" in row
    assert f"/conferences/actions/{without.id}/referral" not in row
    assert f"/conferences/actions/{with_case.id}/referral" in html

    page = client.get(f"/conferences/actions/{without.id}/referral").get_data(as_text=True)
    assert "사례가 연결되어 있지 않아 의뢰할 수 없습니다" in page
    assert 'id="referral-create"' not in page
