"""axe-core (from npm) on every page the header links to, as each demo role: no serious or critical
violation, and no Content-Security-Policy error in the console (htmx's injected style is off)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hamkke.config import REPO_ROOT
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ("김조정", "이복지", "박팀장", "최사례", "서감사")


def _sign_in(chromium: Any, live_server: LiveServer, name: str) -> tuple[Any, list[str]]:
    from playwright.sync_api import expect

    context = chromium.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(15_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.goto(live_server.url + "/")
    page.get_by_role("banner").get_by_role("link", name="로그인", exact=True).click()
    page.get_by_role("main").get_by_role("link", name=name, exact=True).click()
    page.locator("button.hinted").click()
    expect(page.locator(".account__name")).to_have_text(name)
    return page, console


def _serious(page: Any, source: str) -> list[str]:
    # Evaluated through the DevTools protocol, so the page's CSP does not stop the injected script.
    page.evaluate(source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        ["wcag2a", "wcag2aa", "wcag21aa"],
    )
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


# Five sign-ins in a row: start and end with empty sign-in rate-limit counters (10 a minute).
@pytest.mark.usefixtures("reset_rate_limits")
def test_pages_reachable_from_navigation_pass_axe_for_every_role(
    chromium: Any, live_server: LiveServer
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} missing: run make install (npm installs axe-core)")
    source = Path(AXE).read_text(encoding="utf-8")
    problems: list[str] = []
    for name in ROLES:
        page, console = _sign_in(chromium, live_server, name)
        try:
            links = page.get_by_role("banner").get_by_role("navigation").get_by_role("link")
            paths = list(dict.fromkeys(links.evaluate_all("nodes => nodes.map(n => n.getAttribute('href'))")))
            for path in paths:
                response = page.goto(live_server.url + path)
                assert response is not None
                if response.status != 200:
                    problems.append(f"{name} {path}: status {response.status}")
                    continue
                problems += [f"{name} {path}: {found}" for found in _serious(page, source)]
            problems += [f"{name}: console {text}" for text in console if "Content Security Policy" in text]
        finally:
            page.context.close()
    assert not problems, "\n".join(problems)


def test_favicon_is_served(page: Any, live_server: LiveServer) -> None:
    response = page.goto(live_server.url + "/favicon.ico")
    assert response is not None
    assert response.status == 200
    assert "svg" in response.headers["content-type"]
