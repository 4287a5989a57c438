"""A person signs in the way a browser does: the app's page, the provider's page, back to the app."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def test_demo_dong_worker_signs_in_through_the_provider_and_out_again(
    page: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/")
    page.get_by_role("banner").get_by_role("link", name="로그인", exact=True).click()

    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/auth/sign-in\?"))
    expect(page.get_by_role("heading", name="소속 기관의 계정으로 로그인")).to_be_visible()
    expect(page.get_by_role("heading", name="데모 계정")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="이복지", exact=True).click()

    # The development provider's own page, with the hinted account pre-selected.
    expect(page).to_have_url(re.compile(re.escape(live_server.idp.url) + r"/authorize\?"))
    hinted = page.locator("button.hinted")
    expect(hinted).to_contain_text("이복지")
    hinted.click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(".account__name")).to_have_text("이복지")

    page.get_by_role("button", name=re.compile("로그아웃")).click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("banner").get_by_role("link", name="로그인", exact=True)).to_be_visible()
    expect(page.locator(".account__name")).to_have_count(0)
