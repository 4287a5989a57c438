"""Meeting series from the cadences page (issue 17 point 2): created, generated ahead once, reminded,
changed and ended; an impossible rule is a Korean 422 with nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, AgencyType, District, Dong, Person, StaffRole
from conference.cadence import Cadence, build_rrule
from conference.models import (
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceRule,
    ConferenceStatus,
)
from conference.services import cadences
from conference.services.scheduling import send_reminders
from conference.tasks import generate_regular_conferences
from hamkke.time import to_local, today_local
from notifications.models import Notification
from tests.fixtures.auth import page_csrf_token

pytestmark = pytest.mark.embedded


@dataclass
class Team:
    """The district team with its coordinator, a partner agency and the dong's community centre."""

    district: District
    team: Agency
    coordinator: Person
    partner: Agency
    centre: Agency
    centre_worker: Person
    dong: Dong


@pytest.fixture
def team(
    db: Any,
    dummy_district: District,
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> Team:
    district_team = create_agency(name="시험구 희망복지지원단", type=AgencyType.district_team)
    coordinator = create_person(agency=district_team, roles=[StaffRole.coordinator], name="구청조정")
    partner = create_agency(name="시험종합사회복지관")
    dong = db.session.scalar(sa.select(Dong).where(Dong.district_id == dummy_district.id))
    centre = create_agency(name="시험동 행정복지센터", type=AgencyType.dong_centre)
    centre.dongs.append(dong)
    worker = create_person(agency=centre, name="동담당")
    db.session.commit()
    return Team(dummy_district, district_team, coordinator, partner, centre, worker, dong)


def _input(**overrides: Any) -> cadences.SeriesInput:
    values: dict[str, Any] = {
        "kind": ConferenceKind.supervision,
        "title": "분기 사례 슈퍼비전",
        "rrule": build_rrule(Cadence.quarterly, weekday=2, weeks=[3]),
        "starts_on": date(2026, 1, 1),
        "ends_on": None,
        "start_minute": 14 * 60,
        "place": "구청 3층 회의실",
    }
    values.update(overrides)
    return cadences.SeriesInput(**values)


def _series_meetings(db: Any, rule_id: int) -> list[Conference]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Conference).where(Conference.rule_id == rule_id).order_by(Conference.starts_at)
        )
    )


def test_generator_creates_the_coming_weeks_once_and_running_it_again_adds_nothing(
    db: Any, team: Team
) -> None:
    weekly = build_rrule(Cadence.weekly, weekday=1)
    rule = cadences.create_series(
        actor=team.coordinator,
        district_id=team.district.id,
        host=team.team,
        data=_input(kind=ConferenceKind.high_risk_review, title="고위험 점검", rrule=weekly, weeks_ahead=4),
    )
    db.session.commit()
    today = today_local()
    first = _series_meetings(db, rule.id)
    again = cadences.generate_ahead(rule, today=today)
    db.session.commit()

    # Tuesdays from today to four weeks on: four or five of them, each once.
    horizon = [today + timedelta(days=offset) for offset in range(4 * 7 + 1)]
    assert [to_local(c.starts_at).date() for c in first] == [d for d in horizon if d.weekday() == 1]
    assert again == []
    assert [c.id for c in _series_meetings(db, rule.id)] == [c.id for c in first]
    assert all(to_local(c.starts_at).hour == 14 for c in first)
    # The beat task is idempotent too.
    generate_regular_conferences()
    db.session.commit()
    assert len(_series_meetings(db, rule.id)) == len(first)


def test_generated_meetings_invite_the_host_so_the_reminders_reach_its_staff(db: Any, team: Team) -> None:
    weekly = build_rrule(Cadence.weekly, weekday=today_local().weekday())
    rule = cadences.create_series(
        actor=team.coordinator,
        district_id=team.district.id,
        host=team.team,
        data=_input(
            kind=ConferenceKind.high_risk_review,
            title="고위험 점검",
            rrule=weekly,
            starts_on=today_local(),
            agency_ids=[team.partner.id],
        ),
    )
    db.session.commit()
    week_on = next(c for c in _series_meetings(db, rule.id) if to_local(c.starts_at).date() > today_local())
    invited = {
        row.agency_id
        for row in db.session.scalars(
            sa.select(ConferenceInvitation).where(ConferenceInvitation.conference_id == week_on.id)
        )
    }

    sent = send_reminders(week_on, days_before=7)
    db.session.commit()

    assert invited == {team.team.id, team.partner.id}
    assert sent >= 1
    reminded = db.session.scalars(
        sa.select(Notification).where(Notification.person_id == team.coordinator.id)
    ).all()
    assert any("[D-7]" in note.title and "고위험 점검" in note.title for note in reminded)


def test_the_dong_judgment_series_is_hosted_by_the_dong_centre(db: Any, team: Team) -> None:
    data = _input(
        kind=ConferenceKind.dong_judgment,
        title="내부판정회의",
        rrule=build_rrule(Cadence.weekly, weekday=3),
        dong_id=team.dong.id,
    )
    host = cadences.host_for(team.district.id, data, team.team)
    rule = cadences.create_series(actor=team.coordinator, district_id=team.district.id, host=host, data=data)
    db.session.commit()

    assert rule.host_agency_id == team.centre.id
    assert rule.dong_id == team.dong.id
    assert all(c.host_agency_id == team.centre.id for c in _series_meetings(db, rule.id))


def test_ending_a_series_cancels_its_meetings_after_the_last_day(db: Any, team: Team) -> None:
    rule = cadences.create_series(
        actor=team.coordinator,
        district_id=team.district.id,
        host=team.team,
        data=_input(kind=ConferenceKind.high_risk_review, rrule=build_rrule(Cadence.weekly, weekday=1)),
    )
    db.session.commit()
    last = today_local() + timedelta(days=7)

    cancelled = cadences.end_series(rule, actor=team.coordinator, last_day=last)
    db.session.commit()

    meetings = _series_meetings(db, rule.id)
    assert cancelled
    assert all(
        (c.status == ConferenceStatus.cancelled) == (to_local(c.starts_at).date() > last) for c in meetings
    )
    assert not rule.is_active
    assert cadences.generate_ahead(rule) == []


def _form(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": page_csrf_token(client, "/conferences/cadences/"),
        "kind": "supervision",
        "title": "분기 사례 슈퍼비전",
        "cadence": "quarterly",
        "weekday": "2",
        "weeks": ["3"],
        "interval": "1",
        "starts_on": "2026-01-01",
        "ends_on": "",
        "start_time": "14:00",
        "place": "구청 3층 회의실",
        "weeks_ahead": "8",
    }
    data.update(overrides)
    return data


def _counts(db: Any) -> tuple[int, int]:
    db.session.expire_all()
    rules = db.session.scalar(sa.select(sa.func.count()).select_from(ConferenceRule))
    meetings = db.session.scalar(sa.select(sa.func.count()).select_from(Conference))
    return rules or 0, meetings or 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cadence": "weekly", "interval": "0"}, "반복 간격은 1주 이상이어야 합니다"),
        ({"weekday": "9"}, "요일을 월요일부터 일요일 중에서 고르세요"),
        ({"starts_on": "2026-05-01", "ends_on": "2026-04-01"}, "끝나는 날이 시작일보다 앞섭니다"),
        ({"starts_on": "2026-04-01", "ends_on": "2026-05-31"}, "기간 안에 열리는 회의가 없습니다"),
        ({"cadence": "custom", "rrule": "FREQ=WEEKLY;BYDAY=XX"}, "반복 규칙을 읽을 수 없습니다"),
        (
            {"cadence": "custom", "rrule": "FREQ=WEEKLY;INTERVAL=0;BYDAY=MO"},
            "반복 간격은 1 이상이어야 합니다",
        ),
        ({"cadence": "twice_monthly", "weeks": ["2"]}, "서로 다른 두 주"),
        ({"starts_on": "어제"}, "시작일을 바르게 입력하세요"),
    ],
)
def test_an_impossible_rule_is_a_korean_422_with_nothing_saved(
    client: FlaskClient, login_as: Any, db: Any, team: Team, overrides: dict[str, str], message: str
) -> None:
    login_as(team.coordinator, agency_id=team.team.id)
    before = _counts(db)

    response = client.post("/conferences/cadences/", data=_form(client, **overrides))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="분기 사례 슈퍼비전"' in html  # the input is kept
    assert _counts(db) == before


def test_a_coordinator_creates_a_series_from_the_page_and_it_is_listed(
    client: FlaskClient, login_as: Any, db: Any, team: Team
) -> None:
    login_as(team.coordinator, agency_id=team.team.id)
    nav = client.get("/").get_data(as_text=True)
    assert "/conferences/cadences/" in nav

    response = client.post(
        "/conferences/cadences/",
        data=_form(client, agency_ids=[str(team.partner.id)], starts_on=today_local().isoformat()),
    )

    assert response.status_code == 303
    db.session.expire_all()
    rule = db.session.scalar(sa.select(ConferenceRule).where(ConferenceRule.title == "분기 사례 슈퍼비전"))
    assert rule is not None
    assert rule.rrule == "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=+3WE"
    assert rule.agency_ids == [team.partner.id]
    listed = client.get("/conferences/cadences/").get_data(as_text=True)
    assert "3·6·9·12월 셋째 주 수요일" in listed


def test_editing_a_series_moves_its_empty_future_meetings_to_the_new_rhythm(
    client: FlaskClient, login_as: Any, db: Any, team: Team
) -> None:
    rule = cadences.create_series(
        actor=team.coordinator,
        district_id=team.district.id,
        host=team.team,
        data=_input(kind=ConferenceKind.high_risk_review, rrule=build_rrule(Cadence.weekly, weekday=1)),
    )
    db.session.commit()
    login_as(team.coordinator, agency_id=team.team.id)

    response = client.post(
        f"/conferences/cadences/{rule.id}/edit",
        data=_form(
            client,
            kind="high_risk_review",
            cadence="weekly",
            weekday="3",
            starts_on="2026-01-01",
            csrf_token=page_csrf_token(client, f"/conferences/cadences/{rule.id}/edit"),
        ),
    )

    assert response.status_code == 303
    live = [c for c in _series_meetings(db, rule.id) if c.status == ConferenceStatus.scheduled]
    assert live
    assert {to_local(c.starts_at).weekday() for c in live} == {3}


def test_a_worker_without_the_role_may_not_create_a_series(
    client: FlaskClient, login_as: Any, db: Any, team: Team
) -> None:
    login_as(team.centre_worker, agency_id=team.centre.id)
    before = _counts(db)

    response = client.post("/conferences/cadences/", data=_form(client))

    assert response.status_code == 403
    assert _counts(db) == before


def test_the_edit_page_ends_a_series_and_refuses_a_last_day_before_its_start(
    client: FlaskClient, login_as: Any, db: Any, team: Team
) -> None:
    rule = cadences.create_series(
        actor=team.coordinator,
        district_id=team.district.id,
        host=team.team,
        data=_input(kind=ConferenceKind.high_risk_review, rrule=build_rrule(Cadence.weekly, weekday=1)),
    )
    db.session.commit()
    login_as(team.coordinator, agency_id=team.team.id)
    page = f"/conferences/cadences/{rule.id}/edit"
    shown = client.get(page)
    assert shown.status_code == 200
    assert "매주 화요일" in shown.get_data(as_text=True)

    refused = client.post(
        f"/conferences/cadences/{rule.id}/end",
        data={"csrf_token": page_csrf_token(client, page), "ends_on": "2025-06-30"},
    )
    assert refused.status_code == 422
    assert "끝나는 날이 시작일보다 앞섭니다" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ConferenceRule, rule.id).is_active

    ended = client.post(
        f"/conferences/cadences/{rule.id}/end",
        data={"csrf_token": page_csrf_token(client, page), "ends_on": ""},
    )
    assert ended.status_code == 303
    db.session.expire_all()
    assert not db.session.get(ConferenceRule, rule.id).is_active
