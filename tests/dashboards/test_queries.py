"""Each dashboard figure against a hand-computed value on the fixed data set (see conftest.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cases import deadlines
from dashboards import household_tables, queries
from dashboards.queries import Period, Scope
from dashboards.tables import Column, Measure, Ratio, Table, cell_text, suppressed
from hamkke.errors import ValidationFailed
from tests.dashboards.conftest import TODAY, World, add_case

YEAR = Period("year", 2025)


def district(world: World, *, region: int | None = None) -> Scope:
    return Scope("district", world.district.id, world.district.id, "대시구", suppress=True, region_id=region)


def agency(world: World, agency_id: int) -> Scope:
    return Scope("agency", world.district.id, agency_id, "기관", suppress=False, is_own=True)


def rows_by_label(table: Table) -> dict[Any, list[Any]]:
    return {row[0]: row[1:] for row in table.body}


@pytest.mark.embedded
def test_selection_table_matches_the_hand_count(world: World) -> None:
    table = queries.selection_table(district(world), YEAR)
    rows = rows_by_label(table)
    # received, selected, in progress, closed, not selected, service link, pending
    assert rows["2025-01"] == [3, 3, 2, 1, 0, 0, 0]  # cases 1, 2, 7
    assert rows["2025-02"] == [3, 1, 1, 0, 1, 1, 0]  # cases 3, 4, 9
    assert rows["2025-03"] == [2, 1, 1, 0, 0, 0, 1]  # cases 5, 6
    assert rows["2025-04"] == [1, 0, 0, 0, 1, 0, 0]  # case 8
    assert rows["2025-05"] == [0] * 7
    assert rows["합계"] == [9, 5, 4, 1, 2, 1, 1]  # the other district's case is not counted
    assert len(table.body) == 13


def test_selection_table_per_quarter_month_and_agency(world: World) -> None:
    quarter = rows_by_label(queries.selection_table(district(world), Period.parse("2025-Q1")))
    assert quarter["합계"] == [8, 5, 4, 1, 1, 1, 1]
    month = queries.selection_table(district(world), Period.parse("2025-02"))
    assert month.body == [["2025-02", 3, 1, 1, 0, 1, 1, 0]]  # one month: no total row
    own = rows_by_label(queries.selection_table(agency(world, world.dong_a.id), YEAR))
    assert own["합계"] == [6, 3, 2, 1, 1, 1, 1]  # 가동's cases 1–6
    region2 = rows_by_label(queries.selection_table(district(world, region=world.regions[1].id), YEAR))
    assert region2["합계"] == [1, 1, 1, 0, 0, 0, 0]  # only case 9 (다동) in 2025


def test_households_by_both_coded_typologies(world: World) -> None:
    total, monthly = queries.households_by_type(district(world), YEAR)
    # selected households of 2025 (cases 1, 2, 5, 7, 9): codes from FIXTURE_CODES
    assert rows_by_label(total) == {
        "알코올·정신질환": [1],
        "장애·질병": [1],
        "아동학대·가정폭력": [0],
        "경제적 어려움": [2],
        "기타": [0],
        "미분류": [1],  # 독거노인 says the make-up only
        "합계": [5],
    }
    assert rows_by_label(monthly)["2025-01"] == [1, 1, 0, 1, 0, 0]
    composition = household_tables.households_by_composition(district(world), YEAR)
    rows = rows_by_label(composition)
    assert rows["독거노인"] == [1]
    assert rows["일반"] == [2]
    assert rows["장애인 가구"] == [1]
    assert rows["미분류"] == [1]
    assert rows["합계"] == [5]


def test_long_unclosed_by_year_opened(world: World) -> None:
    table = queries.long_unclosed(district(world), YEAR)
    # open at 2025-12-31: case 10 (2023, intensive), 1, 5, 6, 7, 9 (2025; 1 intensive, 7 crisis);
    # case 11 (2024) is in 사후관리: closed at 종결, counted in the last column, not as 미종결
    assert table.body == [["2023년", 1, 1, 0], ["2024년", 0, 0, 1], ["2025년", 5, 2, 0]]
    earlier = queries.long_unclosed(district(world), Period("year", 2024))
    assert earlier.body == [["2023년", 1, 1, 0], ["2024년", 0, 0, 1]]


@pytest.mark.embedded
def test_escalations_by_dong_and_clock_compliance(world: World) -> None:
    table = queries.escalations_by_dong(district(world), YEAR, today=TODAY)
    rows = rows_by_label(table)
    # sent, urgent, under review, accepted, returned, met, late, running, overdue, compliance
    # 가동: case 1 assessed in time (due 1/20) but planned late (due 2/10, Sun 2/9 rolled to Monday);
    # case 3 is 미선정 and its unfinished clocks are dropped.
    assert rows["가동"][:9] == [2, 1, 0, 1, 1, 1, 1, 0, 0]
    assert rows["가동"][9] == Ratio(1, 2)
    # 나동: case 7 assessed late (due 1/15), classified in time (due Sat 2/8 → 2/10), plan overdue (due 2/4).
    assert rows["나동"][:9] == [1, 0, 1, 0, 0, 1, 1, 0, 1]
    assert rows["나동"][9] == Ratio(1, 3)
    assert rows["합계"][:9] == [3, 1, 1, 1, 1, 2, 2, 0, 1]
    assert [row[0] for row in table.body] == ["가동", "나동", "합계"]


def test_sql_clocks_agree_with_the_cases_module(world: World) -> None:
    profile = deadlines.DEFAULT_PROFILE
    states = [
        clock.state
        for case in (world.cases[1], world.cases[7])
        for clock in deadlines.case_clocks(case, profile, TODAY)
    ]
    assert sorted(states) == sorted(["met", "late", "late", "met", "overdue"])


def test_conferences_per_region_with_attendance(world: World) -> None:
    table = queries.conferences_by_region(district(world), YEAR)
    rows = rows_by_label(table)
    # 1권역: two held meetings; invited 3 + 2 agencies, of which 2 + 1 came → 60 %
    assert rows["1권역"][:3] == [2, 2, Ratio(3, 5)]
    assert rows["1권역"][3] == "가동 주민센터, 대시종합사회복지관"
    assert rows["2권역"][:3] == [0, 0, Ratio(0, 0)]  # the scheduled meeting was not held


def test_expanded_urgent_and_supervision_sessions(world: World) -> None:
    rows = rows_by_label(queries.special_sessions(district(world), YEAR))
    assert rows["확대사례회의"] == [1]
    assert rows["긴급 위기사례회의"] == [1]
    # Only the held 사례 슈퍼비전 kind counts: not the 1권역 meeting of March nor the expanded
    # one that the advisor attended as a guest, nor the scheduled December supervision.
    assert rows["사례 슈퍼비전"] == [1]
    assert rows["권역 정기회의"] == [2]
    assert rows["전체 회의"] == [5]
    north = rows_by_label(queries.special_sessions(district(world, region=world.regions[0].id), YEAR))
    assert north["사례 슈퍼비전"] == [1]
    assert north["확대사례회의"] == [0]  # district-wide, no 권역
    south = rows_by_label(queries.special_sessions(district(world, region=world.regions[1].id), YEAR))
    assert south["사례 슈퍼비전"] == [0]  # 2권역's session is only scheduled


@pytest.mark.embedded
def test_action_items_on_time_in_local_days(world: World) -> None:
    # centre_a finished on 3/19 (due 3/20) and edited the item on 4/5: completed_at decides, on time.
    table = queries.action_items(district(world), YEAR, today=TODAY)
    assert table.body == [[5, 1, 1, 1, 1, 1, Ratio(1, 4)]]
    own = queries.action_items(agency(world, world.welfare.id), YEAR, today=TODAY)
    assert own.body == [[2, 0, 1, 0, 1, 0, Ratio(0, 1)]]


@pytest.mark.embedded
def test_referral_acceptance_and_median_response(world: World) -> None:
    rows = rows_by_label(queries.referral_stats(district(world), YEAR))
    assert rows["대시종합사회복지관"] == [
        5,
        4,
        3,
        1,
        Ratio(3, 4),
        Measure(30.0, 4),
    ]  # median of 12, 24, 36, 48
    assert rows["대시정신건강복지센터"] == [1, 1, 1, 0, Ratio(1, 1), Measure(6.0, 1)]
    own = queries.referral_stats(agency(world, world.welfare.id), YEAR)
    assert [row[0] for row in own.body] == ["대시종합사회복지관"]


def test_caseload_per_worker_and_the_intensive_cap(world: World, db: Any) -> None:
    rows = rows_by_label(queries.caseload(district(world)))
    assert rows["가담당"] == [3, 1, ""]  # cases 1, 5, 6
    assert rows["나담당"] == [1, 1, ""]
    assert rows["복지담당"] == [3, 1, ""]  # 9, 10, 11 (12 is closed)
    for _ in range(21):
        add_case(
            db,
            world.welfare,
            world.dongs[2],
            opened_on=date(2025, 5, 1),
            stage=world.cases[9].stage,
            selected=True,
            worker=world.worker_w,
            intensity=world.cases[10].intensity,
        )
    rows = rows_by_label(queries.caseload(agency(world, world.welfare.id)))
    assert rows["복지담당"] == [24, 22, "초과"]


def test_dong_activity(world: World) -> None:
    scope = Scope(
        "dong",
        world.district.id,
        world.dongs[0].id,
        "가동",
        suppress=False,
        is_own=True,
        dong_agency_id=world.dong_a.id,
    )
    visits, decisions, escalations, listed = queries.dong_activity(scope, YEAR)
    assert rows_by_label(visits) == {
        "새로 접수한 가구": [6],
        "초기상담 방문": [1],
        "점검 방문(상담일지, 집단 방문은 1회)": [2],
    }
    assert rows_by_label(decisions) == {
        "사례관리": [1],
        "서비스연계": [0],
        "미선정": [1],
        "구청 의뢰(고난도)": [1],
        "합계": [3],
    }
    assert "1회" in decisions.note
    assert rows_by_label(escalations) == {"구청 검토 중": [0], "구청 접수": [1], "보완 요청(반려)": [1]}
    three, one = world.cases[3].id, world.cases[1].id
    assert listed.body == [
        [f"250205-{three:03d}", "2025-02-08", "일반", "보완 요청(반려)", "", ""],
        [f"250110-{one:03d}", "2025-01-12", "긴급(위기)", "구청 접수", "", ""],
    ]


def test_small_cells_are_suppressed_only_outside_the_owner() -> None:
    count = Column("n")
    assert cell_text(4, count, suppress=True) == "5 미만"
    assert cell_text(0, count, suppress=True) == "0"
    assert cell_text(5, count, suppress=True) == "5"
    assert cell_text(4, count, suppress=False) == "4"
    rate = Column("r", "rate")
    assert cell_text(Ratio(3, 10), rate, suppress=True) == "5 미만"
    assert cell_text(Ratio(6, 10), rate, suppress=True) == "60.0%"
    assert cell_text(Measure(30.0, 4), Column("m", "measure", "시간"), suppress=True) == "5 미만"
    assert cell_text(Measure(30.0, 4), Column("m", "measure", "시간"), suppress=False) == "30.0시간"


@pytest.mark.parametrize("code", ["2025-13", "abc", "25", "2025-Q5", "1999", "2025-00"])
def test_unknown_periods_are_refused(code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Period.parse(code, today=date(2026, 1, 1))
    assert "알 수 없는 기간" in caught.value.message


def test_periods() -> None:
    assert Period.parse("2025-Q2").months == [(2025, 4), (2025, 5), (2025, 6)]
    assert Period.parse("2025-12").next().code == "2026-01"
    assert Period.parse("2025-Q1").previous().code == "2024-Q4"
    assert Period.parse(None, today=date(2026, 3, 5)).code == "2026"
    assert queries.median_of([(1, 1), (5, 1), (9, 2)]) == 7.0
    assert queries.median_of([]) is None


def test_the_benchmark_entry_point_computes_the_district_tables(world: World) -> None:
    tables = queries.district_dashboard(world.district.id, "2025")
    assert [table.key for table in tables] == [
        "selection",
        "household_types",
        "household_types_monthly",
        "long_unclosed",
        "escalations",
        "stale",
        "fund",
        "conferences",
        "sessions",
        "actions",
        "referrals",
        "caseload",
        "district_flow",
        "discovery_rate",
        "household_compositions",
        "expanded_conferences",
        "roster",
        "trainings",
        "supervision",
    ]
    # The district's numbers leave the owning agencies: small cells are already withheld here.
    assert tables[0].body[-1] == ["합계", 9, 5, "5 미만", "5 미만", "5 미만", "5 미만", "5 미만"]
    with pytest.raises(ValidationFailed):
        queries.district_dashboard(world.district.id + 10_000, "2025")


def test_a_total_does_not_give_away_the_only_hidden_cell() -> None:
    table = Table("t", "t", [Column("동", "text"), Column("건수"), Column("다른 건수")])
    table.body = [["가", 3, 10], ["나", 7, 12], ["다", 9, 0], ["합계", 19, 22]]
    protected = suppressed(table)
    # 3 is hidden; 7 (the smallest other count) goes too, or 19 - 7 - 9 would reveal it.
    assert [row[1] for row in protected.body] == ["5 미만", "비공개", 9, 19]
    assert [row[2] for row in protected.body] == [10, 12, 0, 22]
    table.body = [["가", 3, 0], ["나", 0, 0], ["합계", 3, 0]]
    assert suppressed(table).body[-1] == ["합계", "5 미만", 0]
    single = Table("s", "s", [Column("구분", "text"), Column("n")], [["가", 4], ["나", 0], ["합계", 4]])
    assert [row[1] for row in suppressed(single).body] == ["5 미만", 0, "5 미만"]


def test_row_sums_do_not_give_away_a_hidden_part(world: World) -> None:
    table = queries.selection_table(district(world), Period("month", 2025, 8))
    table.body = [["2025-08", 6, 5, 3, 2, 0, 1, 0]]
    # 의뢰 6 = 선정 5 + 미선정 0 + 서비스연계 1 + 판정 전 0 would reveal the 1: 선정 is hidden too.
    assert suppressed(table).body == [["2025-08", 6, "비공개", "5 미만", "5 미만", 0, "5 미만", 0]]


def test_a_rate_beside_a_protected_count_is_hidden_too(world: World) -> None:
    table = queries.referral_stats(district(world), YEAR)
    table.body = [["기관", 20, 12, 9, 3, Ratio(9, 12), Measure(30.0, 12)]]
    # 거절 3 is small; 회신 12 = 수락 + 거절 would give it back, so 수락 goes, and with it the rate
    # (9/12 would return 수락) and the median beside it.
    assert suppressed(table).body == [["기관", 20, 12, "비공개", "5 미만", "비공개", "비공개"]]
