"""The demo district's coordinator sees meaningful dashboards (figures, not only zeros and '5 미만')."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, District, Person
from demo.district import load_demo
from hamkke.time import today_local
from tests.dashboards.test_views import page_tables


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


@pytest.mark.embedded
def test_demo_coordinator_dashboard_shows_figures(db: Any, client: FlaskClient, login_as: Any) -> None:
    load_demo()
    db.session.commit()
    district = db.session.scalar(sa.select(District).where(District.code == "hanbit"))
    coordinator = db.session.scalar(sa.select(Person).where(Person.email == "kim.coordinator@hanbit.go.kr"))
    team = db.session.scalar(sa.select(Agency).where(Agency.code == "hanbit-gu-team"))
    assert district is not None
    assert coordinator is not None
    assert team is not None
    login_as(coordinator, agency_id=team.id)
    last_year = str(today_local().year - 1)
    page = client.get(f"/dashboards/district/{district.id}?period={last_year}")
    assert page.status_code == 200
    tables = page_tables(page.get_data(as_text=True))
    total = tables["selection"][-1]
    assert total[0] == "합계"
    assert _number(total[1]) >= 20  # referrals received over the year
    assert _number(total[2]) >= 5  # selected
    conferences = {row[0]: row for row in tables["conferences"][1:]}
    assert set(conferences) == {"1권역(북부)", "2권역(중부)", "3권역(남부)"}
    assert all(_number(row[1]) == 12 for row in conferences.values())  # monthly, every 권역
    assert all(row[3].endswith("%") for row in conferences.values())
    sessions = {row[0]: row for row in tables["sessions"][1:]}
    assert _number(sessions["사례 슈퍼비전"][1]) == 12  # quarterly, every 권역
    actions = tables["actions"][1]
    assert _number(actions[1]) >= 5  # done on time: the history carries completion instants
    assert any(_number(row[1]) >= 5 for row in tables["referrals"][1:])
    assert _number(tables["household_types"][-1][1]) >= 5
    assert "<svg" in page.get_data(as_text=True)
    # The default page (this year) renders too, and the monthly report of last December.
    assert client.get(f"/dashboards/district/{district.id}").status_code == 200
    report = client.get(f"/dashboards/district/{district.id}/report.pdf?period={last_year}-12")
    assert report.status_code == 200
    assert report.data.startswith(b"%PDF")


def test_demo_agency_worker_lands_on_a_meaningful_agency_dashboard(
    db: Any, client: FlaskClient, login_as: Any
) -> None:
    load_demo()
    db.session.commit()
    worker = db.session.scalar(sa.select(Person).where(Person.email == "choi.cm@hanbit-welfare.or.kr"))
    assert worker is not None
    login_as(worker)
    landing = client.get("/dashboards/")
    assert landing.status_code == 302
    page = client.get(landing.headers["Location"] + f"?period={today_local().year - 1}")
    html = page.get_data(as_text=True)
    assert "조치가 필요한 일" in html
    tables = page_tables(html)
    assert _number(tables["selection"][-1][1]) >= 5  # cases it leads
    assert _number(tables["referrals"][1][1]) >= 5  # referrals it received
    assert "5 미만" not in html  # its own numbers are whole
