"""The case fund over real HTTP against the live server; what was saved is read through a second connection.

Figures are worked out by hand: a dong budget of ₩4,000,000 and three spends of 120,000 + 300,000 +
80,000 leave ₩3,500,000; a household holding ₩450,000 that asks for ₩60,000 is refused with ₩50,000 left.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from hamkke.time import today_local
from tests.fixtures.live import LiveServer
from tests.funds.world import Browser, FundWorld, build_fund_world, location_id, request_data, scalar

pytestmark = pytest.mark.embedded

#: the smallest file the attachment checks accept as a PDF (the request's evidence)
PDF = b"%PDF-1.4\n% fund evidence\n%%EOF\n"


def _browsers(live_server: LiveServer, world: FundWorld) -> dict[str, Browser]:
    app, url = live_server.app, live_server.url
    return {
        "worker": Browser(app, url, world.worker_id, world.centre_id),
        "lead": Browser(app, url, world.lead_id, world.centre_id),
        "other_lead": Browser(app, url, world.other_lead_id, world.other_centre_id),
        "coordinator": Browser(app, url, world.coordinator_id, world.team_id),
    }


def _budget(
    coordinator: Browser, dong_id: int, project: int = 4_000_000, shares: tuple[int, ...] = (50, 25, 25)
) -> Any:
    national, city, district = shares
    return coordinator.post(
        "/funds/budgets",
        "/funds/budgets",
        {
            "dong": str(dong_id),
            "fiscal_year": str(today_local().year),
            "operating_amount": "2,000,000",
            "project_amount": f"{project:,}",
            "national_share": str(national),
            "city_share": str(city),
            "district_share": str(district),
        },
    )


def _request(worker: Browser, case_id: int, items: list[tuple[str, int]], **extra: Any) -> Any:
    page = f"/funds/cases/{case_id}/request"
    return worker.post(page, page, request_data("living", items, **extra))


def _approve_and_spend(people: dict[str, Browser], request_id: int, amount: int) -> None:
    page = f"/funds/requests/{request_id}"
    for who in ("lead", "coordinator"):
        answer = people[who].post(page, f"{page}/decide", {"decision": "approve", "reason": ""})
        assert answer.status_code == 303, answer.text[:800]
    spent = people["worker"].post(
        page, f"{page}/spend", {"spent_on": today_local().isoformat(), "amount": f"{amount:,}"}
    )
    assert spent.status_code == 303, spent.text[:800]


@pytest.fixture
def world(live_server: LiveServer) -> FundWorld:
    """A fresh district with two dongs and four households of 솔내동 on the live database."""
    return build_fund_world(live_server.app)


def test_budget_shares_must_sum_to_100_and_only_the_coordinator_sets_budgets(
    live_server: LiveServer, world: FundWorld, second_connection: sa.Engine
) -> None:
    people = _browsers(live_server, world)
    refused = _budget(people["coordinator"], world.dong_id, shares=(50, 25, 20))
    assert refused.status_code == 422
    assert "100%여야 합니다 (지금 95%)" in refused.text
    count = "SELECT count(*) FROM fund_budgets WHERE district_id = :d"
    assert scalar(second_connection, count, d=world.district_id) == 0
    # A dong worker has no budgets page at all (403 from the coordinator check).
    assert people["worker"].get("/funds/budgets").status_code == 403
    saved = _budget(people["coordinator"], world.dong_id)
    assert saved.status_code == 303, saved.text[:800]
    assert (
        scalar(
            second_connection, "SELECT project_amount FROM fund_budgets WHERE dong_id = :d", d=world.dong_id
        )
        == 4_000_000
    )
    assert (
        scalar(
            second_connection,
            "SELECT count(*) FROM audit_entries WHERE action = 'fund.budget_saved' AND actor_id = :a",
            a=world.coordinator_id,
        )
        == 1
    )


def test_three_spends_leave_the_remaining_budget_and_the_settlement_adds_up(
    live_server: LiveServer, world: FundWorld, second_connection: sa.Engine
) -> None:
    people = _browsers(live_server, world)
    assert _budget(people["coordinator"], world.dong_id).status_code == 303
    first = _request(
        people["worker"],
        world.case_ids[0],
        [("진료비", 100_000), ("약제비", 20_000)],
        payee="medical_provider",
        goal=world.goal_id,
    )
    ids = [location_id(first)]
    ids.append(location_id(_request(people["worker"], world.case_ids[1], [("월세 일부", 300_000)])))
    ids.append(location_id(_request(people["worker"], world.case_ids[2], [("교재비", 80_000)])))
    assert scalar(second_connection, "SELECT total FROM fund_requests WHERE id = :i", i=ids[0]) == 120_000
    assert (
        scalar(second_connection, "SELECT plan_goal_id FROM fund_requests WHERE id = :i", i=ids[0])
        == world.goal_id
    )
    for request_id, amount in zip(ids, (120_000, 300_000, 80_000), strict=True):
        _approve_and_spend(people, request_id, amount)
    spent = "SELECT sum(spent_amount) FROM fund_requests WHERE dong_id = :d AND status = 'spent'"
    assert scalar(second_connection, spent, d=world.dong_id) == 500_000
    budgets = people["coordinator"].get("/funds/budgets")
    assert "₩3,500,000" in budgets.text
    index = people["worker"].get("/funds/")
    assert 'data-figure="remaining">₩3,500,000' in index.text

    quarter = (today_local().month - 1) // 3 + 1
    query = f"?year={today_local().year}&quarter={quarter}"
    workbook = people["coordinator"].get(f"/funds/settlement.xlsx{query}")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "동" and "잔액" in row)
    table = {row[0]: row for row in rows[header + 1 :] if row and row[0] in {"솔내동", "다온동", "합계"}}
    heading = rows[header]
    column = {name: heading.index(name) for name in heading if name}
    assert table["솔내동"][column["사업비 예산"]] == 4_000_000
    assert table["솔내동"][column["의료비"]] == 0
    assert table["솔내동"][column["생활지원비"]] == 500_000
    assert table["솔내동"][column["분기 집행액"]] == 500_000
    assert table["솔내동"][column["지원 가구 수"]] == 3
    assert table["솔내동"][column["잔액"]] == 3_500_000
    assert table["다온동"][column["분기 집행액"]] == 0
    assert table["합계"][column["집행 누계"]] == 500_000
    assert table["합계"][column["잔액"]] == 3_500_000
    assert table["합계"][column["교부액 (누계)"]] == 4_000_000 * quarter // 4 if quarter < 4 else 4_000_000
    assert any(row and row[0] == "결재" for row in rows)
    pdf = people["worker"].get(f"/funds/settlement.pdf{query}")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    page = people["worker"].get(f"/funds/settlement{query}")
    assert "₩3,500,000" in page.text


def test_the_household_cap_counts_pending_requests_and_names_what_is_left(
    live_server: LiveServer, world: FundWorld, second_connection: sa.Engine
) -> None:
    people = _browsers(live_server, world)
    assert _budget(people["coordinator"], world.dong_id).status_code == 303
    case_id = world.case_ids[0]
    location_id(_request(people["worker"], case_id, [("생필품", 450_000)]))  # pending, held against the cap
    before = scalar(second_connection, "SELECT count(*) FROM fund_requests WHERE case_id = :c", c=case_id)
    refused = _request(people["worker"], case_id, [("난방비", 60_000)])
    assert refused.status_code == 422
    assert "₩50,000" in refused.text
    assert "가구당 연간 한도(₩500,000)를 넘습니다" in refused.text
    assert (
        scalar(second_connection, "SELECT count(*) FROM fund_requests WHERE case_id = :c", c=case_id)
        == before
    )
    allowed = _request(people["worker"], case_id, [("난방비", 50_000)])
    assert allowed.status_code == 303, allowed.text[:800]
    # A coordinator's lower cap applies at once.
    capped = people["coordinator"].post("/funds/budgets", "/funds/cap", {"cap": "100,000"})
    assert capped.status_code == 303, capped.text[:800]
    refused = _request(people["worker"], world.case_ids[1], [("교통비", 100_001)])
    assert refused.status_code == 422
    assert "₩100,000" in refused.text


def test_the_dong_budget_remaining_is_enforced(
    live_server: LiveServer, world: FundWorld, second_connection: sa.Engine
) -> None:
    people = _browsers(live_server, world)
    assert _budget(people["coordinator"], world.dong_id, project=700_000).status_code == 303
    location_id(_request(people["worker"], world.case_ids[0], [("의료비", 400_000)]))
    refused = _request(people["worker"], world.case_ids[1], [("의료비", 400_000)])
    assert refused.status_code == 422
    assert "동의 사례사업비 잔액(₩300,000)을 넘습니다" in refused.text
    assert (
        scalar(
            second_connection, "SELECT count(*) FROM fund_requests WHERE case_id = :c", c=world.case_ids[1]
        )
        == 0
    )


def test_a_decision_without_the_role_is_refused_and_nothing_is_saved(
    live_server: LiveServer, world: FundWorld, second_connection: sa.Engine
) -> None:
    people = _browsers(live_server, world)
    assert _budget(people["coordinator"], world.dong_id).status_code == 303
    request_id = location_id(_request(people["worker"], world.case_ids[3], [("생필품", 90_000)]))
    page = f"/funds/requests/{request_id}"
    status = "SELECT status FROM fund_requests WHERE id = :i"
    # The worker who asked holds no team lead role: 403 with a Korean reason, nothing saved.
    refused = people["worker"].post(page, f"{page}/decide", {"decision": "approve", "reason": ""})
    assert refused.status_code == 403
    assert "팀장만 이 결재를 할 수 있습니다" in refused.text
    # The coordinator may not skip the 동 내부결재.
    refused = people["coordinator"].post(page, f"{page}/decide", {"decision": "approve", "reason": ""})
    assert refused.status_code == 403
    # Another dong's team lead does not even see the request.
    assert people["other_lead"].get(page).status_code == 404
    assert scalar(second_connection, status, i=request_id) == "requested"
    # A return needs its reason (422), then the lead returns it with one.
    refused = people["lead"].post(page, f"{page}/decide", {"decision": "return", "reason": ""})
    assert refused.status_code == 422
    assert scalar(second_connection, status, i=request_id) == "requested"
    returned = people["lead"].post(
        page, f"{page}/decide", {"decision": "return", "reason": "견적서 보완 필요"}
    )
    assert returned.status_code == 303
    assert scalar(second_connection, status, i=request_id) == "returned"
    assert (
        scalar(second_connection, "SELECT return_reason FROM fund_requests WHERE id = :i", i=request_id)
        == "견적서 보완 필요"
    )
    assert (
        scalar(
            second_connection,
            "SELECT count(*) FROM audit_entries WHERE action = 'fund.dong_returned' AND object_id = :i",
            i=request_id,
        )
        == 1
    )
    # A returned request no longer holds the household's cap.
    assert _request(people["worker"], world.case_ids[3], [("생필품", 500_000)]).status_code == 303


def test_evidence_is_kept_with_the_case_and_the_case_page_offers_the_request(
    live_server: LiveServer, world: FundWorld, second_connection: sa.Engine
) -> None:
    people = _browsers(live_server, world)
    assert _budget(people["coordinator"], world.dong_id).status_code == 303
    case_page = people["worker"].get(f"/cases/{world.case_ids[0]}")
    assert f"/funds/cases/{world.case_ids[0]}/request" in case_page.text
    assert "사례관리사업비" in people["worker"].get("/").text
    page = f"/funds/cases/{world.case_ids[0]}/request"
    response = people["worker"].post(
        page,
        page,
        request_data("medical", [("진료비", 70_000)], payee="medical_provider"),
        files={"evidence": ("영수증.pdf", PDF, "application/pdf")},
    )
    request_id = location_id(response)
    attachment = scalar(
        second_connection, "SELECT attachment_id FROM fund_requests WHERE id = :i", i=request_id
    )
    assert attachment is not None
    assert (
        scalar(second_connection, "SELECT case_id FROM case_attachments WHERE id = :i", i=attachment)
        == world.case_ids[0]
    )
    # A decimal amount is refused beside its field, nothing saved.
    refused = people["worker"].post(
        page, page, {**request_data("medical", []), "items-0-description": "약", "items-0-amount": "1.5"}
    )
    assert refused.status_code == 422
    assert "원 단위" in refused.text
    assert (
        scalar(
            second_connection, "SELECT count(*) FROM fund_requests WHERE case_id = :c", c=world.case_ids[0]
        )
        == 1
    )


def test_dashboards_exports_the_monthly_report_and_home_show_the_fund(
    live_server: LiveServer, world: FundWorld
) -> None:
    people = _browsers(live_server, world)
    assert _budget(people["coordinator"], world.dong_id).status_code == 303
    spent_id = location_id(_request(people["worker"], world.case_ids[0], [("의료비", 120_000)]))
    _approve_and_spend(people, spent_id, 100_000)
    pending_id = location_id(_request(people["worker"], world.case_ids[1], [("생필품", 30_000)]))
    # The team lead's home lists the request waiting for the 동 내부결재.
    home = people["lead"].get("/")
    assert 'data-section="funds"' in home.text
    assert f"/funds/requests/{pending_id}" in home.text
    month = today_local().strftime("%Y-%m")
    dashboard = people["coordinator"].get(f"/dashboards/district/{world.district_id}?period={month}")
    assert dashboard.status_code == 200, dashboard.text[:800]
    assert 'data-table="fund"' in dashboard.text
    # 4,000,000 budget; 100,000 spent + 30,000 pending held (130,000, 3.2%); 100,000 spent this month.
    for figure in ("₩4,000,000", "₩130,000", "3.2%", "₩100,000"):
        assert figure in dashboard.text, figure
    assert "/funds/" in dashboard.text
    dong_page = people["worker"].get(f"/dashboards/dong/{world.dong_id}?period={month}")
    assert dong_page.status_code == 200, dong_page.text[:800]
    assert 'data-table="fund"' in dong_page.text
    workbook = people["coordinator"].get(
        f"/dashboards/district/{world.district_id}/export.xlsx?period={month}"
    )
    sheet = load_workbook(io.BytesIO(workbook.content))["사례관리사업비 집행"]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert rows["솔내동"][1:3] == (4_000_000, 130_000)
    assert rows["합계"][4] == 100_000
    csv = people["coordinator"].get(
        f"/dashboards/district/{world.district_id}/export/fund.csv?period={month}"
    )
    assert "₩130,000" in csv.content.decode("utf-8-sig")
    report = people["coordinator"].get(f"/dashboards/district/{world.district_id}/report.pdf?period={month}")
    assert report.status_code == 200
    assert report.content.startswith(b"%PDF")
