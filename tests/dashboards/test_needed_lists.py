"""Each action-needed list of a dashboard has its own page: all of it, paged, ordered and filtered."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from consents.models import AccessLogEntry
from dashboards import views
from tests.dashboards.conftest import World
from tests.fixtures.pager import follow_pager, ids_by

pytestmark = pytest.mark.embedded

Login = Callable[..., Any]
CASE_LINK = re.compile(r'href="/cases/(\d+)"')


def _list_url(world: World, key: str) -> str:
    return f"/dashboards/agency/{world.welfare.id}/needed/{key}"


def _pages(client: FlaskClient, url: str) -> list[list[int]]:
    """Follow the pager from ``url``; return the case ids of each page (in the page's main part)."""
    return follow_pager(client, url, lambda html: ids_by(CASE_LINK)(html.split("<main")[1]))


def test_a_list_pages_every_item_once_in_either_order(
    world: World, client: FlaskClient, login_as: Login, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "NEEDED_PAGE_SIZE", 1)
    login_as(world.worker_w)
    dashboard = client.get(f"/dashboards/agency/{world.welfare.id}?period=2025").get_data(as_text=True)
    assert f'href="{_list_url(world, "monitoring")}"' in dashboard
    assert "점검·재사정이 다가온 사례 2건 모두 보기" in dashboard

    before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry))
    pages = _pages(client, _list_url(world, "monitoring"))
    assert [len(page) for page in pages] == [1, 1]
    soonest = [case_id for page in pages for case_id in page]
    assert len(set(soonest)) == 2
    # Names come through the gate: one access-log row per client shown, page by page.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) - before == 2
    latest = [
        case_id
        for page in _pages(client, _list_url(world, "monitoring") + "?order=latest")
        for case_id in page
    ]
    assert latest == list(reversed(soonest))
    first = client.get(_list_url(world, "monitoring") + "?order=latest").get_data(as_text=True)
    assert re.search(r'<a href="[^"]*order=latest[^"]*page=2[^"]*" rel="next">', first)
    assert "1–1 / 모두 2건" in first


def test_the_overdue_filter_and_bad_values(world: World, client: FlaskClient, login_as: Login) -> None:
    login_as(world.worker_w)
    consents = client.get(_list_url(world, "consents") + "?overdue=1").get_data(as_text=True)
    assert "조건에 맞는 항목이 없습니다" in consents  # an ending consent is still valid, never overdue
    response = client.get(_list_url(world, "referrals") + "?order=sideways&page=abc")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "알 수 없는 조건 값이라 기본값으로 바꿔 보여 드립니다" in html
    assert "/referrals/" in html.split("<main")[1]


@pytest.mark.parametrize(("who", "key"), [("coordinator", "monitoring"), ("worker_w", "everything")])
def test_lists_are_only_for_the_agencys_own_staff(
    world: World, client: FlaskClient, login_as: Login, who: str, key: str
) -> None:
    login_as(getattr(world, who))
    response = client.get(_list_url(world, key))
    assert response.status_code == 404
    assert "찾을 수 없습니다" in response.get_data(as_text=True)
