"""The district statistics (issue 17.5) against hand-computed figures on a small two-dong district.

Dong 가동: case 1 (selected 3/20, escalated 3/10), case 2 (미선정 3/25), case 3 (서비스연계, closed 4/20)
and case 7, a second case of case 1's household (7/1). Dong 나동: case 4 (selected 5/10, escalated
5/2, 종결 into 사후관리 8/1), case 5 (접수 only, escalated 6/3), case 6 (opened 2024, selected
2025-01-10, closed 2025-02-01). So in 2025: 발굴 가동 3 (households), 나동 2; 의뢰 1 / 2; 선정 1 / 2;
미선정 1 / 0; 연계 1 / 0; 종결 0 / 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from agencies.district_records import (
    LowIncomeCount,
    StaffPosition,
    TrainingAudience,
    TrainingParticipant,
    TrainingRecord,
)
from agencies.models import AgencyType, District, Dong, Person, Region, StaffRole
from cases.models import (
    Case,
    CaseIntensity,
    CaseStage,
    ConsentStatus,
    Escalation,
    EscalationUrgency,
    HouseholdComposition,
    HouseholdProblemType,
)
from conference.models import AgendaItem, Conference, ConferenceKind, ConferenceStatus
from dashboards import district_tables, roster
from dashboards.scopes import Period, Scope
from dashboards.tables import Measure, Ratio, cell_text
from tests.dashboards.conftest import _agency, _person, add_case
from tests.fixtures.auth import page_csrf_token

YEAR = Period("year", 2025)


@dataclass
class Stats:
    """The small district of the module docstring."""

    district: District
    dong_a: Dong
    dong_b: Dong
    coordinator: Person
    worker: Person
    cases: dict[int, Case]


def _escalate(db: Any, case: Case, sender: Any, team: Any, worker: Person, day: date) -> None:
    db.session.add(
        Escalation(
            case_id=case.id,
            from_agency_id=sender.id,
            to_agency_id=team.id,
            reason="고난도",
            urgency=EscalationUrgency.normal,
            tried="상담",
            consent_status=ConsentStatus.third_party,
            submitted_by_id=worker.id,
            submitted_on=day,
        )
    )


def _conference(
    db: Any, district: District, host: Any, kind: ConferenceKind, status: ConferenceStatus, day: int
) -> Conference:
    item = Conference(
        district_id=district.id,
        kind=kind,
        title=kind.label,
        status=status,
        starts_at=datetime(2025, 9, day, 5, tzinfo=UTC),
        host_agency_id=host.id,
    )
    db.session.add(item)
    db.session.flush()
    return item


@pytest.fixture
def stats(db: Any) -> Stats:
    district = District(code="stats-gu", name="통계구", settings={})
    db.session.add(district)
    region = Region(district=district, code="stats-r1", name="1권역", position=0)
    dong_a = Dong(district=district, region=region, code="stats-a", name="가동", position=0)
    dong_b = Dong(district=district, region=region, code="stats-b", name="나동", position=1)
    db.session.add_all([region, dong_a, dong_b])
    db.session.flush()
    team = _agency(db, district, "통계구 희망복지지원단", AgencyType.district_team)
    centre_a = _agency(db, district, "가동 주민센터", AgencyType.dong_centre, dong_a)
    centre_b = _agency(db, district, "나동 주민센터", AgencyType.dong_centre, dong_b)
    db.session.flush()
    coordinator = _person(db, team, StaffRole.coordinator, "김조정")
    worker = _person(db, centre_a, StaffRole.case_worker, "가플래너")
    manager = _person(db, team, StaffRole.case_worker, "나관리사")
    db.session.flush()
    worker.memberships[0].position = StaffPosition.welfare_planner
    manager.memberships[0].position = StaffPosition.integrated_case_manager
    c: dict[int, Case] = {}
    c[1] = add_case(
        db,
        centre_a,
        dong_a,
        opened_on=date(2025, 3, 1),
        stage=CaseStage.delivery,
        worker=worker,
        intensity=CaseIntensity.intensive,
        household_type="경제적 어려움",
    )
    c[1].selected_on = date(2025, 3, 20)
    c[2] = add_case(db, centre_a, dong_a, opened_on=date(2025, 3, 5), stage=CaseStage.not_selected)
    c[2].selected_on = date(2025, 3, 25)
    c[3] = add_case(db, centre_a, dong_a, opened_on=date(2025, 4, 1), stage=CaseStage.closed)
    c[3].closed_on = date(2025, 4, 20)
    c[4] = add_case(
        db,
        centre_b,
        dong_b,
        opened_on=date(2025, 5, 1),
        stage=CaseStage.follow_up,
        worker=worker,
        household_type="독거노인",
    )
    c[4].selected_on, c[4].closed_on = date(2025, 5, 10), date(2025, 8, 1)
    c[5] = add_case(
        db, centre_b, dong_b, opened_on=date(2025, 6, 1), stage=CaseStage.intake_pending, worker=worker
    )
    c[6] = add_case(db, centre_b, dong_b, opened_on=date(2024, 12, 1), stage=CaseStage.closed, worker=manager)
    c[6].selected_on, c[6].closed_on = date(2025, 1, 10), date(2025, 2, 1)
    c[7] = add_case(db, centre_a, dong_a, opened_on=date(2025, 7, 1), stage=CaseStage.assessment)
    c[7].household_id = c[1].household_id  # the same household again: one discovered household
    _escalate(db, c[1], centre_a, team, worker, date(2025, 3, 10))
    _escalate(db, c[4], centre_b, team, worker, date(2025, 5, 2))
    _escalate(db, c[5], centre_b, team, worker, date(2025, 6, 3))
    # 확대사례회의: two held (case 1 in both, case 4 in one) and one cancelled; a regional one apart.
    first = _conference(db, district, team, ConferenceKind.expanded, ConferenceStatus.closed, 3)
    second = _conference(db, district, team, ConferenceKind.expanded, ConferenceStatus.closed, 17)
    cancelled = _conference(db, district, team, ConferenceKind.expanded, ConferenceStatus.cancelled, 24)
    regional = _conference(db, district, team, ConferenceKind.regional, ConferenceStatus.closed, 10)
    for conference, case in (
        (first, c[1]),
        (first, c[4]),
        (second, c[1]),
        (cancelled, c[2]),
        (regional, c[5]),
    ):
        db.session.add(AgendaItem(conference_id=conference.id, case_id=case.id, title="안건"))
    db.session.add(
        LowIncomeCount(
            district_id=district.id,
            dong_id=dong_a.id,
            year=2025,
            basic_livelihood_households=400,
            near_poverty_households=200,
        )
    )
    # 나동 has a count for 2024 only: 2025 has no reference data there.
    db.session.add(
        LowIncomeCount(
            district_id=district.id,
            dong_id=dong_b.id,
            year=2024,
            basic_livelihood_households=300,
            near_poverty_households=100,
        )
    )
    training = TrainingRecord(
        district_id=district.id,
        course_name="사례관리 기본교육",
        held_on=date(2025, 4, 30),
        organiser="통계구청",
        audience=TrainingAudience.private,
        hours=3.0,
        outsider_count=4,
    )
    training.participants.append(TrainingParticipant(person_id=worker.id))
    db.session.add(training)
    db.session.flush()
    return Stats(district, dong_a, dong_b, coordinator, worker, c)


def scope(stats: Stats, *, dong: Dong | None = None) -> Scope:
    if dong is not None:
        return Scope("dong", stats.district.id, dong.id, dong.name, suppress=False, is_own=True)
    return Scope("district", stats.district.id, stats.district.id, "통계구", suppress=True)


def rows(table: Any) -> dict[Any, list[Any]]:
    return {row[0]: row[1:] for row in table.body}


@pytest.mark.embedded
def test_district_flow_per_dong_matches_the_hand_count(stats: Stats) -> None:
    table = district_tables.district_flow(scope(stats), YEAR)
    assert [column.label for column in table.columns] == [
        "동",
        "발굴",
        "의뢰",
        "선정",
        "미선정",
        "연계",
        "종결",
    ]
    assert rows(table) == {
        "가동": [3, 1, 1, 1, 1, 0],
        "나동": [2, 2, 2, 0, 0, 2],
        "합계": [5, 3, 3, 1, 1, 2],
    }
    for name, definition in district_tables.FLOW_DEFINITIONS:
        assert f"{name} = {definition}" in table.note
    # A dong's own dashboard shows its row only; an earlier year counts what happened then.
    assert rows(district_tables.district_flow(scope(stats, dong=stats.dong_b), YEAR)) == {
        "나동": [2, 2, 2, 0, 0, 2],
        "합계": [2, 2, 2, 0, 0, 2],
    }
    assert rows(district_tables.district_flow(scope(stats), Period("year", 2024)))["합계"] == [
        1,
        0,
        0,
        0,
        0,
        0,
    ]
    march = rows(district_tables.district_flow(scope(stats), Period.parse("2025-03")))
    assert march["합계"] == [2, 1, 1, 1, 0, 0]


@pytest.mark.embedded
def test_discovery_rate_uses_the_years_reference_and_never_divides_by_zero(stats: Stats) -> None:
    table = district_tables.discovery_rate(scope(stats), YEAR)
    body = rows(table)
    assert body["가동"] == [600, 3, Ratio(3, 600), Measure(200.0, 3)]
    assert body["나동"] == ["기준 자료 없음", 2, "기준 자료 없음", "기준 자료 없음"]
    assert body["합계"] == [600, 3, Ratio(3, 600), Measure(200.0, 3)]
    assert cell_text(body["가동"][2], table.columns[3], suppress=False) == "0.5%"
    # 2024: 나동 has 400 low-income households and discovered one (case 6); 가동 has no reference.
    earlier = rows(district_tables.discovery_rate(scope(stats), Period("year", 2024)))
    assert earlier["나동"] == [400, 1, Ratio(1, 400), Measure(400.0, 1)]
    # A dong with reference data and nobody discovered shows no ratio instead of dividing by zero.
    march_2024 = rows(district_tables.discovery_rate(scope(stats), Period.parse("2024-03")))
    assert march_2024["나동"][:3] == [400, 0, Ratio(0, 400)]
    assert march_2024["합계"][3] == Measure(None, 0)
    assert cell_text(Measure(None, 0), table.columns[4], suppress=False) == "-"


@pytest.mark.embedded
def test_expanded_conferences_count_households_and_sessions(stats: Stats) -> None:
    table = district_tables.expanded_conferences(scope(stats), YEAR)
    assert table.body == [[2, 2]]  # households of cases 1 and 4; two sessions held
    own = district_tables.expanded_conferences(scope(stats, dong=stats.dong_a), YEAR)
    assert own.body == [[1, 2]]  # case 1's household, discussed in both sessions


@pytest.mark.embedded
def test_roster_shows_posts_caseloads_by_intensity_and_training(stats: Stats) -> None:
    rows_ = roster.roster(stats.district.id, today=date(2025, 12, 31))
    by_name = {row.name: row for row in rows_}
    assert [row.name for row in rows_] == ["나관리사", "가플래너"]  # 통합사례관리사 first
    planner = by_name["가플래너"]
    assert planner.position == StaffPosition.welfare_planner
    # open cases carried: 1 (intensive, delivery) and 5 (simple, 접수); case 4 is in 사후관리
    assert planner.caseload == {CaseIntensity.intensive: 1, CaseIntensity.simple: 1}
    assert (planner.open_cases, planner.trainings, planner.hours, planner.below_minimum) == (2, 1, 3.0, True)
    assert by_name["나관리사"].open_cases == 0
    table = roster.roster_table(stats.district.id, today=date(2025, 12, 31))
    assert table.body[1] == ["가플래너", "복지플래너", "가동 주민센터", 2, 1, 1, 0, 1, "미달"]
    trainings = roster.training_table(stats.district.id, YEAR)
    assert trainings.body == [["사례관리 기본교육", "2025-04-30", "통계구청", "민간", "3시간", 1, 4, 5]]
    assert roster.training_table(stats.district.id, Period("year", 2024)).body == []


@pytest.mark.embedded
def test_households_counted_by_both_codes(stats: Stats, db: Any) -> None:
    from dashboards.household_tables import households_by_composition, households_by_type

    types, _monthly = households_by_type(scope(stats), YEAR)
    assert rows(types)["경제적 어려움"] == [1]  # case 1's household (selected)
    assert rows(types)["미분류"] == [1]  # case 4's household: 독거노인 names the make-up only
    compositions = rows(households_by_composition(scope(stats), YEAR))
    assert compositions["독거노인"] == [1]
    assert compositions["일반"] == [1]
    assert compositions["합계"] == [2]
    household = stats.cases[4].household
    household.problem_type = HouseholdProblemType.disability_illness
    household.composition_type = HouseholdComposition.elderly_couple
    db.session.flush()
    assert rows(households_by_type(scope(stats), YEAR)[0])["장애·질병"] == [1]
    assert rows(households_by_composition(scope(stats), YEAR))["노인부부"] == [1]


def _url(stats: Stats, suffix: str) -> str:
    return f"/dashboards/district/{stats.district.id}{suffix}"


@pytest.mark.embedded
def test_pages_are_for_the_coordinator_only(stats: Stats, client: FlaskClient, login_as: Any) -> None:
    login_as(stats.worker)
    for suffix in ("/roster", "/trainings", "/trainings/new", "/low-income"):
        assert client.get(_url(stats, suffix)).status_code == 404
    login_as(stats.coordinator)
    page = client.get(_url(stats, "/roster"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("가플래너", "복지플래너", "미달"):
        assert text in html
    assert "사례관리 기본교육" in html  # the per-person training history
    dashboard = client.get(f"/dashboards/district/{stats.district.id}?period=2025").get_data(as_text=True)
    assert _url(stats, "/roster") in dashboard
    assert "동별 발굴·의뢰·선정·연계·종결" in dashboard


@pytest.mark.embedded
def test_low_income_form_saves_and_refuses_a_negative_count(
    stats: Stats, client: FlaskClient, login_as: Any, db: Any
) -> None:
    login_as(stats.coordinator)
    token = page_csrf_token(client, _url(stats, "/low-income"))
    bad = {
        "csrf_token": token,
        "dong_id": str(stats.dong_b.id),
        "year": "2025",
        "basic_livelihood_households": "-5",
        "near_poverty_households": "10",
    }
    refused = client.post(_url(stats, "/low-income"), data=bad)
    assert refused.status_code == 422
    assert "기초생활수급 가구 수는 0 이상" in refused.get_data(as_text=True)
    query = sa.select(sa.func.count()).select_from(LowIncomeCount).where(LowIncomeCount.year == 2025)
    assert db.session.scalar(query) == 1  # only 가동's
    saved = client.post(_url(stats, "/low-income"), data={**bad, "basic_livelihood_households": "250"})
    assert saved.status_code == 303
    record = db.session.scalar(
        sa.select(LowIncomeCount).where(
            LowIncomeCount.dong_id == stats.dong_b.id, LowIncomeCount.year == 2025
        )
    )
    assert record is not None
    assert record.total == 260
    rate = rows(district_tables.discovery_rate(scope(stats), YEAR))
    assert rate["나동"][:2] == [260, 2]


@pytest.mark.embedded
def test_training_form_refuses_a_missing_date_and_saves_a_whole_one(
    stats: Stats, client: FlaskClient, login_as: Any, db: Any
) -> None:
    login_as(stats.coordinator)
    token = page_csrf_token(client, _url(stats, "/trainings/new"))
    data = {
        "csrf_token": token,
        "course_name": "민관 실무자 교육",
        "held_on": "",
        "organiser": "통계구청",
        "audience": "dong_centre",
        "hours": "2.5",
        "outsider_count": "3",
        "participant_ids": [str(stats.worker.id)],
    }
    refused = client.post(_url(stats, "/trainings/new"), data=data)
    assert refused.status_code == 422
    assert "날짜를 YYYY-MM-DD 형식으로" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingRecord)) == 1
    saved = client.post(_url(stats, "/trainings/new"), data={**data, "held_on": "2025-11-05"})
    assert saved.status_code == 303
    record = db.session.scalar(
        sa.select(TrainingRecord).where(TrainingRecord.course_name == "민관 실무자 교육")
    )
    assert record is not None
    assert (record.hours, record.outsider_count, [p.person_id for p in record.participants]) == (
        2.5,
        3,
        [stats.worker.id],
    )
    edited = client.post(
        _url(stats, f"/trainings/{record.id}/edit"),
        data={**data, "held_on": "2025-11-06", "participant_ids": []},
    )
    assert edited.status_code == 303
    db.session.refresh(record)
    assert record.held_on == date(2025, 11, 6)
    assert record.participants == []
    listing = client.get(_url(stats, "/trainings")).get_data(as_text=True)
    assert "민관 실무자 교육" in listing
    assert "2025-11-06" in listing


@pytest.mark.embedded
def test_exports_and_the_monthly_report_carry_the_new_tables(
    stats: Stats, client: FlaskClient, login_as: Any
) -> None:
    login_as(stats.coordinator)
    base = f"/dashboards/district/{stats.district.id}"
    flow = client.get(f"{base}/export/district_flow.csv?period=2025")
    assert flow.status_code == 200
    lines = list(csv.reader(io.StringIO(flow.data.decode("utf-8-sig"))))
    assert lines[1] == ["동", "발굴", "의뢰", "선정", "미선정", "연계", "종결"]
    assert [line[0] for line in lines[2:5]] == ["가동", "나동", "합계"]
    assert lines[4][1] == "5"  # 5 discovered in total is not a small cell
    workbook = load_workbook(io.BytesIO(client.get(f"{base}/export.xlsx?period=2025").data))
    titles = {sheet.title for sheet in workbook.worksheets}
    assert {"동별 발굴·의뢰·선정·연계·종결", "통합사례관리 인력 현황", "민관 실무자 교육"} <= titles
    roster_sheet = workbook["통합사례관리 인력 현황"]
    assert [cell.value for cell in roster_sheet[4]][:3] == ["가플래너", "복지플래너", "가동 주민센터"]
    report = client.get(f"{base}/report.pdf?period=2025-09")
    assert report.status_code == 200
    text = "".join(
        "".join(page.extract_text().replace("\x00", "").split())
        for page in PdfReader(io.BytesIO(report.data)).pages
    )
    for title in (
        "동별발굴·의뢰·선정·연계·종결",
        "발굴률",
        "통합사례관리인력현황",
        "확대사례회의:가구와회차",
        "선정가구유형(가구구성)",
    ):
        assert title in text
