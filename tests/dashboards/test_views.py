"""Dashboard pages and exports: scoping (404 outside), suppression, bad input, and each export opened."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from consents.models import AccessLogEntry
from hamkke.audit import AuditEntry
from tests.dashboards.conftest import World

Login = Callable[..., Any]


class _Tables(HTMLParser):
    """Collect the cell texts of every ``<table data-table=…>`` on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._key = dict(attrs).get("data-table")
            if self._key:
                self.tables[self._key] = []
        elif tag == "tr" and self._key:
            self.tables[self._key].append([])
        elif tag in {"td", "th"} and self._key:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._key and self._cell is not None:
            self.tables[self._key][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def district_url(world: World, suffix: str = "", period: str = "2025") -> str:
    return f"/dashboards/district/{world.district.id}{suffix}?period={period}"


def test_coordinator_sees_the_district_with_small_cells_suppressed(
    world: World, client: FlaskClient, login_as: Login, db: Any
) -> None:
    login_as(world.coordinator)
    page = client.get(district_url(world))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "사례관리 대상자 의뢰·선정 현황" in html
    assert "5 미만" in html
    assert 'role="img"' in html
    assert '<title id="chart-selection-title">' in html
    assert '<th scope="row">합계</th>' in html
    # The hand-counted totals: 9 received, 5 selected (both ≥ 5, shown); 4 in progress is suppressed.
    selection = page_tables(html)["selection"]
    assert selection[0] == [
        "해당 월",
        "의뢰(접수)",
        "선정 소계",
        "선정 진행",
        "선정 종결",
        "미선정",
        "서비스연계",
        "판정 전",
    ]
    assert selection[-1] == ["합계", "9", "5", "5 미만", "5 미만", "5 미만", "5 미만", "5 미만"]
    assert page_tables(html)["escalations"][-1][:3] == ["합계", "5 미만", "5 미만"]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "dashboard.viewed")).all()
    assert audit
    assert audit[-1].data["period"] == "2025"


def test_home_sends_each_viewer_to_their_scope(world: World, client: FlaskClient, login_as: Login) -> None:
    login_as(world.coordinator)
    assert (
        client.get("/dashboards/").headers["Location"].endswith(f"/dashboards/district/{world.district.id}")
    )
    login_as(world.worker_a)
    assert client.get("/dashboards/").headers["Location"].endswith(f"/dashboards/dong/{world.dongs[0].id}")
    login_as(world.worker_w)
    assert client.get("/dashboards/").headers["Location"].endswith(f"/dashboards/agency/{world.welfare.id}")


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("worker_w", "district"),
        ("outsider_coordinator", "district"),
        ("worker_w", "agency_a"),
        ("worker_a", "dong_b"),
        ("outsider_coordinator", "agency_w"),
    ],
)
def test_dashboards_outside_ones_scope_are_not_found(
    world: World, client: FlaskClient, login_as: Login, who: str, path: str
) -> None:
    login_as(getattr(world, who))
    urls = {
        "district": f"/dashboards/district/{world.district.id}",
        "agency_a": f"/dashboards/agency/{world.dong_a.id}",
        "agency_w": f"/dashboards/agency/{world.welfare.id}",
        "dong_b": f"/dashboards/dong/{world.dongs[1].id}",
    }
    for suffix in ("", "/export/selection.csv", "/export.xlsx", "/report.pdf?period=2025-03"):
        response = client.get(urls[path] + suffix)
        assert response.status_code == 404, suffix
    assert "대시보드를 찾을 수 없습니다" in client.get(urls[path]).get_data(as_text=True)


def test_agency_sees_its_own_numbers_unsuppressed_with_action_needed_first(
    world: World, client: FlaskClient, login_as: Login, db: Any
) -> None:
    login_as(world.worker_w)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    html = client.get(f"/dashboards/agency/{world.welfare.id}?period=2025").get_data(as_text=True)
    assert "5 미만" not in html
    assert html.index("조치가 필요한 일") < html.index("사례관리 대상자 의뢰·선정 현황")
    assert "회신을 기다리는 의뢰 (1)" in html  # referral 4, not answered
    assert "만료가 다가온 동의 (1)" in html
    assert "점검·재사정이 다가온 사례 (2)" in html  # cases 9 and 10, never contacted
    # The list names clients only through the gate: one access-log row per client shown.
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    # Cases 9 and 10 are the centre's own clients; the referred client of 가동 has no consent for
    # the centre, so the gate withholds the name (said so, never replaced by a row id) and logs nothing.
    assert after - before == 2
    assert "이름 비공개 대상자" in html
    assert "대상자 #" not in html
    entry = db.session.scalars(sa.select(AccessLogEntry).order_by(AccessLogEntry.id.desc())).first()
    assert entry is not None
    assert entry.channel == "page"


def test_coordinator_sees_an_agency_suppressed_without_lists(
    world: World, client: FlaskClient, login_as: Login
) -> None:
    login_as(world.coordinator)
    html = client.get(f"/dashboards/agency/{world.welfare.id}?period=2025").get_data(as_text=True)
    assert "조치가 필요한 일" not in html
    assert "5 미만" in html


def test_dong_dashboard(world: World, client: FlaskClient, login_as: Login) -> None:
    login_as(world.worker_a)
    html = client.get(f"/dashboards/dong/{world.dongs[0].id}?period=2025").get_data(as_text=True)
    assert "내부판정회의 판정" in html
    assert "구청 의뢰 처리 상태" in html
    assert "발굴·방문" in html
    tables = page_tables(html)
    assert tables["visits"][1:] == [
        ["새로 접수한 가구", "6"],
        ["초기상담 방문", "1"],
        ["점검 방문(상담일지, 집단 방문은 1회)", "2"],
    ]
    assert tables["dong_escalations"][1:] == [
        ["구청 검토 중", "0"],
        ["구청 접수", "1"],
        ["보완 요청(반려)", "1"],
    ]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?period=2025-13", 422, "알 수 없는 기간"),
        ("?period=drop%20table", 422, "알 수 없는 기간"),
        ("?period=2025&region=abc", 422, "권역을 목록에서"),
        ("?period=2025&region=%C2%B2", 422, "권역을 목록에서"),
        ("?period=2025&region=99999999999999999999", 422, "권역을 목록에서"),
    ],
)
def test_bad_input_gets_a_korean_message(
    world: World, client: FlaskClient, login_as: Login, query: str, status: int, message: str
) -> None:
    login_as(world.coordinator)
    response = client.get(f"/dashboards/district/{world.district.id}{query}")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_filters_the_viewer_may_not_use(world: World, client: FlaskClient, login_as: Login, db: Any) -> None:
    login_as(world.worker_w)
    response = client.get(f"/dashboards/agency/{world.welfare.id}?region={world.regions[0].id}")
    assert response.status_code == 422
    assert "권역 거르기는 구 전체 대시보드에서만" in response.get_data(as_text=True)
    login_as(world.coordinator)
    from agencies.models import District, Region

    foreign = Region(
        district=District(code="dash-foreign", name="남의구"), code="dash-foreign", name="남의 권역"
    )
    db.session.add(foreign)
    db.session.flush()
    for region_id in (foreign.id, foreign.id + 1000):
        response = client.get(f"/dashboards/district/{world.district.id}?region={region_id}")
        assert response.status_code == 404
        assert "이 구의 권역이 아닙니다" in response.get_data(as_text=True)
    assert client.get(f"/dashboards/district/{world.district.id}/export/nothing.csv").status_code == 404
    assert client.get(f"/dashboards/district/{world.district.id}/export/selection.json").status_code == 404
    report = client.get(district_url(world, "/report.pdf", "2025"))
    assert report.status_code == 422
    assert "월 단위" in report.get_data(as_text=True)


def test_region_filter(world: World, client: FlaskClient, login_as: Login) -> None:
    login_as(world.coordinator)
    page = client.get(f"/dashboards/district/{world.district.id}?period=2025&region={world.regions[1].id}")
    assert page.status_code == 200
    data = client.get(
        f"/dashboards/district/{world.district.id}/export/selection.csv?period=2025&region={world.regions[1].id}"
    )
    rows = list(csv.reader(io.StringIO(data.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[14][:2] == ["합계", "5 미만"]  # only case 9


def test_csv_export_is_suppressed_like_the_page(world: World, client: FlaskClient, login_as: Login) -> None:
    login_as(world.coordinator)
    response = client.get(district_url(world, "/export/selection.csv"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "사례관리 대상자 의뢰·선정 현황"
    assert rows[1] == [
        "해당 월",
        "의뢰(접수)",
        "선정 소계",
        "선정 진행",
        "선정 종결",
        "미선정",
        "서비스연계",
        "판정 전",
    ]
    assert rows[2] == ["2025-01", "5 미만", "5 미만", "5 미만", "5 미만", "0", "0", "0"]
    assert rows[14] == ["합계", "9", "5", "5 미만", "5 미만", "5 미만", "5 미만", "5 미만"]
    # The agency's own export is whole.
    login_as(world.worker_a, agency_id=world.dong_a.id)
    own = client.get(f"/dashboards/dong/{world.dongs[0].id}/export/visits.csv?period=2025")
    rows = list(csv.reader(io.StringIO(own.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[2:5] == [
        ["새로 접수한 가구", "6"],
        ["초기상담 방문", "1"],
        ["점검 방문(상담일지, 집단 방문은 1회)", "2"],
    ]


def test_xlsx_exports_parse_back(world: World, client: FlaskClient, login_as: Login) -> None:
    login_as(world.worker_w)
    response = client.get(f"/dashboards/agency/{world.welfare.id}/export/referrals.xlsx?period=2025")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1][:7] == [
        "받은 기관",
        "받은 의뢰",
        "회신",
        "수락 건수",
        "거절 건수",
        "수락률",
        "회신 시간 중앙값",
    ]
    assert values[2][:7] == ["대시종합사회복지관", 5, 4, 3, 1, 75.0, 30.0]
    login_as(world.coordinator)
    workbook = load_workbook(io.BytesIO(client.get(district_url(world, "/export.xlsx")).data))
    assert "권역별 정기 통합사례회의" in workbook.sheetnames
    conferences = [list(r) for r in workbook["권역별 정기 통합사례회의"].iter_rows(values_only=True)]
    assert conferences[2][:4] == ["1권역", "5 미만", "5 미만", "5 미만"]
    sessions = [list(r) for r in workbook["확대사례회의·슈퍼비전 운영"].iter_rows(values_only=True)]
    assert sessions[2:7] == [
        ["확대사례회의", "5 미만"],
        ["긴급 위기사례회의", "5 미만"],
        ["사례 슈퍼비전", "5 미만"],
        ["권역 정기회의", "5 미만"],
        ["전체 회의", 5],
    ]


@pytest.mark.embedded
def test_monthly_report_pdf_has_the_tables(world: World, client: FlaskClient, login_as: Login) -> None:
    login_as(world.worker_a, agency_id=world.dong_a.id)
    response = client.get(f"/dashboards/dong/{world.dongs[0].id}/report.pdf?period=2025-02")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "".join(
        "".join(page.extract_text().replace("\x00", "").split())
        for page in PdfReader(io.BytesIO(response.data)).pages
    )
    assert "가동통합사례관리월간보고(2025년2월)" in text
    assert "결재" in text
    assert "팀장" in text
    assert "내부판정회의판정" in text
    assert "사례관리대상자의뢰·선정현황" in text
    # February in 가동: cases 3 and 4 opened: received 2, 미선정 1, 서비스연계 1.
    assert "2025-0220001" in text.replace("판정전", "")
    assert "그림:" in text
