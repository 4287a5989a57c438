"""Closure dated at 종결 and stale cases, against six hand-built cases of one dong centre.

The cases (judged today):
- ``contacted``: refused 4 months ago, then reached 2 months ago: the episode ended, not stale;
- ``refused``: reached 5 months ago, refused 3 months + 1 day ago, lost a month ago: stale (refusal);
- ``plan``: its 6-month plan was agreed so that it ended yesterday: stale (plan ended);
- ``lost``: in 사정, unreachable since exactly 3 months ago: stale (lost contact), no one-click review;
- ``follow_up``: in 사후관리 with an old refusal: closed at 종결, never stale;
- ``closed``: 종결확정: never stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import render_template
from flask.testing import FlaskClient

from agencies.models import StaffRole
from cases import services
from cases.deadlines import add_period
from cases.models import (
    Case,
    CaseEvent,
    CaseStage,
    CounsellingArea,
    CounsellingMethod,
    CounsellingType,
    DestructionLog,
    FollowUpOutcome,
    MonitoringChannel,
    MonitoringFinding,
    ServicePlan,
)
from cases.queries.staleness import StaleReason, stale_cases, staleness_of
from cases.retention import purge_expired_records
from cases.services.staleness import STALE_KIND
from cases.tasks import notify_stale_cases_task
from dashboards import queries
from dashboards.needed import action_needed
from dashboards.scopes import Period, Scope
from dashboards.stale_tables import stale_by_dong
from hamkke.time import today_local
from notifications.digest import build_digest
from notifications.models import Notification
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit

pytestmark = pytest.mark.embedded


@dataclass
class Six:
    """The six cases and the days the hand count rests on."""

    contacted: Case
    refused: Case
    plan: Case
    lost: Case
    follow_up: Case
    closed: Case
    refused_on: date
    lost_on: date
    plan_ended_on: date


def _log(kit: CaseKit, case: Case, day: date, finding: MonitoringFinding) -> None:
    services.add_counselling_log(
        case,
        actor=kit.worker,
        agency_id=kit.dong_centre.id,
        contacted_on=day,
        channel=MonitoringChannel.regular_contact,
        method=CounsellingMethod.phone_out,
        area=CounsellingArea.client,
        counselling_type=CounsellingType.welfare_other,
        minutes=15,
        content="전화 상담",
        finding=finding,
    )


@pytest.fixture
def six(case_kit: CaseKit, create_case: Callable[..., Case], db: Any) -> Six:
    today = today_local()
    opened = today - timedelta(days=200)
    contacted = create_case(CaseStage.delivery, opened_on=opened)
    _log(case_kit, contacted, add_period(today, -4, "months"), MonitoringFinding.refused)
    _log(case_kit, contacted, add_period(today, -2, "months"), MonitoringFinding.on_track)

    refused = create_case(CaseStage.delivery, opened_on=opened)
    refused_on = add_period(today, -3, "months") - timedelta(days=1)
    _log(case_kit, refused, add_period(today, -5, "months"), MonitoringFinding.on_track)
    _log(case_kit, refused, refused_on, MonitoringFinding.refused)
    _log(case_kit, refused, add_period(today, -1, "months"), MonitoringFinding.moved_or_lost_contact)

    plan_case = create_case(CaseStage.delivery, opened_on=opened)
    plan = db.session.scalars(sa.select(ServicePlan).where(ServicePlan.case_id == plan_case.id)).one()
    plan.agreed_on = add_period(today - timedelta(days=1), -6, "months")
    plan_ended_on = add_period(plan.agreed_on, plan.horizon_months, "months")
    assert plan_ended_on < today  # yesterday, or a day or two earlier at a short month's end
    _log(case_kit, plan_case, today - timedelta(days=7), MonitoringFinding.on_track)

    lost = create_case(CaseStage.assessment, opened_on=opened)
    lost_on = add_period(today, -3, "months")
    _log(case_kit, lost, lost_on, MonitoringFinding.moved_or_lost_contact)

    follow_up = create_case(CaseStage.follow_up, opened_on=opened)
    _log(case_kit, follow_up, add_period(today, -4, "months"), MonitoringFinding.refused)
    closed = create_case(CaseStage.closed, opened_on=opened)
    db.session.flush()
    return Six(contacted, refused, plan_case, lost, follow_up, closed, refused_on, lost_on, plan_ended_on)


def _flags(found: list[Any]) -> dict[int, list[tuple[StaleReason, date]]]:
    return {stale.case_id: [(f.reason, f.since) for f in stale.findings] for stale in found}


def test_stale_flags_match_the_hand_count(six: Six, case_kit: CaseKit) -> None:
    today = today_local()
    flags = _flags(stale_cases(today))
    assert flags == {
        six.refused.id: [(StaleReason.refusal, six.refused_on)],
        six.plan.id: [(StaleReason.plan_ended, six.plan_ended_on)],
        six.lost.id: [(StaleReason.lost_contact, six.lost_on)],
    }
    # oldest first; the lost-contact case cannot start a review from 사정
    assert next(s.case_id for s in stale_cases(today)) == six.refused.id
    lost = staleness_of(six.lost.id, today)
    assert lost is not None
    assert not lost.can_start_review
    assert staleness_of(six.contacted.id, today) is None
    # scoped lists: the worker's and the agency's see the same three, another worker none
    assert set(_flags(stale_cases(today, agency_id=case_kit.dong_centre.id))) == set(flags)
    assert set(_flags(stale_cases(today, worker_id=case_kit.worker.id))) == set(flags)
    assert stale_cases(today, worker_id=case_kit.supervisor.id) == []
    # the day before the refusal turned three months old it was not stale yet
    earlier = today - timedelta(days=2)
    if add_period(earlier, -3, "months") < six.refused_on:
        assert six.refused.id not in _flags(stale_cases(earlier))


def test_closure_is_dated_at_follow_up_and_kept_at_confirmation(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    today = today_local()
    case = create_case(CaseStage.follow_up)
    assert case.closed_on == today
    case.closed_on = today - timedelta(days=30)  # as if 종결 was a month ago
    case_kit.advance(case, CaseStage.closed)
    assert case.closed_on == today - timedelta(days=30)
    again = create_case(CaseStage.follow_up)
    services.record_follow_up_outcome(
        again,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        outcome=FollowUpOutcome.reintervene,
        outcome_on=today,
        note="재발",
    )
    case_kit.do(again, "reintervene", target=CaseStage.assessment)
    assert again.closed_on is None


def test_dashboard_counts_follow_up_apart_and_lists_stale_cases(six: Six, case_kit: CaseKit) -> None:
    opened = six.contacted.opened_on
    scope = Scope(
        "agency", case_kit.district.id, case_kit.dong_centre.id, "기관", suppress=False, is_own=True
    )
    period = Period("year", opened.year)
    table = queries.long_unclosed(scope, period)
    # 미종결: contacted, refused, plan (실행·점검) and lost (사정); 사후관리: one, apart; closed: none
    assert table.body == [[f"{opened.year}년", 4, 0, 1]]
    selection = {row[0]: row[1:] for row in queries.selection_table(scope, period).body}
    key = "합계" if "합계" in selection else f"{opened.year}-{opened.month:02d}"
    # received 6, selected 5 (in progress 3, closed 2: 사후관리 and 종결), pending 1 (사정)
    assert selection[key] == [6, 5, 3, 2, 0, 0, 1]
    needed = action_needed(case_kit.dong_centre, case_kit.supervisor, today=today_local())
    listed = {item.case_id: item.target for item in needed.stale}
    assert listed == {six.refused.id: "stale", six.plan.id: "stale", six.lost.id: "case"}
    assert all(item.case_number and item.subject for item in needed.stale)
    assert "3개월 이상" in next(item.detail for item in needed.stale if item.case_id == six.refused.id)


def test_district_table_counts_stale_cases_per_dong(six: Six, case_kit: CaseKit) -> None:
    scope = Scope("district", case_kit.district.id, case_kit.district.id, "시험구", suppress=False)
    table = stale_by_dong(scope, today=today_local())
    dong = case_kit.district.dongs[0].name
    # three stale cases in the centre's dong: one refusal, one lost contact, one ended plan
    assert table.body == [[dong, 3, 1, 1, 1], ["합계", 3, 1, 1, 1]]
    assert stale_by_dong(scope, today=six.refused_on).body == []  # nothing was stale back then


def test_weekly_digest_lists_the_agencys_stale_cases(six: Six, case_kit: CaseKit) -> None:
    digest = build_digest(case_kit.dong_centre, today_local())
    assert [case_id for _, _, case_id in digest.stale_cases] == [
        stale.case_id for stale in stale_cases(today_local())
    ]
    assert {case_id for _, _, case_id in digest.stale_cases} == {six.refused.id, six.plan.id, six.lost.id}
    assert not digest.is_empty
    text = render_template(
        "emails/notifications/weekly_digest.txt", digest=digest, person=case_kit.worker, today=today_local()
    )
    assert f"사례 {six.refused.number} · 대상자의 서비스 거부가 3개월 이상 계속됨" in text
    assert "종결 검토가 필요한 사례" in text


def test_stale_notifications_are_sent_once_when_the_task_runs_twice(
    six: Six, case_kit: CaseKit, db: Any
) -> None:
    first = notify_stale_cases_task()
    second = notify_stale_cases_task()
    # three stale cases, each to its worker and the centre's supervisor
    assert (first, second) == (6, 0)
    rows = db.session.execute(
        sa.select(Notification.person_id, Notification.title).where(Notification.kind == STALE_KIND)
    ).all()
    assert len(rows) == 6
    assert {person for person, _ in rows} == {case_kit.worker.id, case_kit.supervisor.id}
    assert any(six.refused.number in title for _, title in rows)
    # a real contact ends the episode; a later refusal that lasts three months is a new one
    _log(case_kit, six.refused, today_local(), MonitoringFinding.on_track)
    assert six.refused.id not in _flags(stale_cases(today_local()))
    assert notify_stale_cases_task() == 0


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


def test_case_page_shows_the_notice_and_starts_the_review(
    six: Six, worker_client: FlaskClient, db: Any
) -> None:
    page = worker_client.get(f"/cases/{six.refused.id}").get_data(as_text=True)
    assert "종결 검토가 필요한 사례" in page
    assert f"{six.refused_on:%Y-%m-%d}부터" in page
    assert "종결 검토 시작" in page
    assert "None" not in page
    token = page_csrf_token(worker_client, f"/cases/{six.refused.id}")
    response = worker_client.post(f"/cases/{six.refused.id}/closure-review/start", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, six.refused.id).stage == CaseStage.closure_review
    event = db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == six.refused.id).order_by(CaseEvent.id.desc())
    ).first()
    assert event is not None
    assert event.action == "propose_closure"
    assert event.note is not None
    assert "거부" in event.note


def test_lost_contact_in_assessment_shows_the_notice_without_the_button(
    six: Six, worker_client: FlaskClient
) -> None:
    page = worker_client.get(f"/cases/{six.lost.id}").get_data(as_text=True)
    assert "연락두절이 3개월 이상 계속됨" in page
    assert "closure-review/start" not in page


def test_a_case_that_is_not_stale_is_refused_in_korean(six: Six, worker_client: FlaskClient, db: Any) -> None:
    token = page_csrf_token(worker_client, f"/cases/{six.contacted.id}")
    response = worker_client.post(
        f"/cases/{six.contacted.id}/closure-review/start", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "해당하지 않습니다" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, six.contacted.id).stage == CaseStage.delivery


def test_a_click_without_the_right_is_refused_and_saves_nothing(
    six: Six,
    case_kit: CaseKit,
    client: FlaskClient,
    login_as: Callable[..., Any],
    create_person: Callable[..., Any],
    db: Any,
) -> None:
    admin = create_person(agency=case_kit.dong_centre, roles=[StaffRole.agency_admin])
    login_as(admin, agency_id=case_kit.dong_centre.id)
    token = page_csrf_token(client, "/")
    events = db.session.scalar(sa.select(sa.func.count()).where(CaseEvent.case_id == six.refused.id))
    response = client.post(f"/cases/{six.refused.id}/closure-review/start", data={"csrf_token": token})
    assert response.status_code == 403
    assert "권한이 없습니다" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, six.refused.id).stage == CaseStage.delivery
    assert db.session.scalar(sa.select(sa.func.count()).where(CaseEvent.case_id == six.refused.id)) == events


def test_home_lists_stale_cases_for_the_worker_and_the_supervisor(
    six: Six, case_kit: CaseKit, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    for person in (case_kit.worker, case_kit.supervisor):
        login_as(person, agency_id=case_kit.dong_centre.id)
        page = client.get("/").get_data(as_text=True)
        assert 'data-section="stale"' in page
        for case in (six.refused, six.plan, six.lost):
            assert f"사례 {case.number}" in page
        assert f"사례 {six.contacted.number} ·" not in page


def test_retention_of_a_case_closed_through_follow_up_runs_from_its_confirmation(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    noon = lambda day: datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)  # noqa: E731 -- 12:00 in Seoul
    with time_machine.travel(noon(date(2021, 6, 1)), tick=False):
        case = create_case(CaseStage.follow_up, opened_on=date(2021, 1, 4))
    assert case.closed_on == date(2021, 6, 1)  # 종결
    with time_machine.travel(noon(date(2021, 9, 1)), tick=False):
        case_kit.advance(case, CaseStage.closed)  # 종결확정 after three months of 사후관리
    assert case.closed_on == date(2021, 6, 1)
    with time_machine.travel(noon(date(2026, 6, 1)), tick=False):
        assert purge_expired_records(today_local())[0] == 0  # the 사후관리 records are younger
    with time_machine.travel(noon(date(2026, 9, 1)), tick=False):
        assert purge_expired_records(today_local())[0] == 1
    log = db.session.scalars(sa.select(DestructionLog).where(DestructionLog.case_id == case.id)).one()
    assert log.ended_on == date(2021, 9, 1)
