"""Every page reachable from the navigation, as every demo role: no dead link, and no internals shown.

A breadth-first crawl with the test client over the demo district: the header's links and the links
on those pages (two clicks from the home page). Each page must answer 200 and its visible text must
carry no unresolved particle ("을(를)"), no raw ``None``/``True``/``False``, no snake_case key and no
row id written as "#<number>".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Person
from demo.district import load_demo
from devidp.accounts import DEMO_ACCOUNTS

#: pages two clicks deep are enough to reach every list and its first detail page
DEPTH = 2
#: a role's crawl stops after this many pages (the demo's lists are long; one of each kind suffices)
MAX_PAGES = 60
#: links not followed: leaving, downloads, and pages that change state on GET-free forms
SKIP = re.compile(r"^/(auth/|logout|static/|api/)|\.(pdf|csv|xlsx|json)(\?|$)|/export|/scan|/download")
UNRESOLVED = re.compile(r"(을|은|이|과|와)\((를|는|가|와|과)\)|\(으\)로")
RAW_VALUE = re.compile(r"(?<![\w.])(None|True|False)(?![\w.])")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
ROW_ID = re.compile(r"#\d+")
#: technical values an administrator types in (the identity provider's claim name), shown on purpose
TECHNICAL = {"hamkke_agency"}


class _Page(HTMLParser):
    """Collects the visible text and the same-site links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("/"):
                self.links.append(urldefrag(href)[0])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _problems(path: str, html: str) -> tuple[list[str], list[str]]:
    page = _Page()
    page.feed(html)
    text = "\n".join(page.text)
    found = []
    for name, pattern in (
        ("particle", UNRESOLVED),
        ("raw value", RAW_VALUE),
        ("code", SNAKE),
        ("row id", ROW_ID),
    ):
        found += [
            f"{path}: {name} {match.group(0)!r}"
            for match in pattern.finditer(text)
            if match.group(0) not in TECHNICAL
        ]
    return found, page.links


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda account: account.subject)
def test_every_page_reachable_from_navigation_is_finished_and_in_words(
    client: FlaskClient, db: Any, login_as: Callable[..., Any], account: Any
) -> None:
    load_demo()
    db.session.commit()
    person = db.session.scalar(sa.select(Person).where(Person.email == account.email))
    if person is None:
        # The invited agency's director exists only after opening the invitation (a browser journey).
        pytest.skip(f"{account.email} joins through the demo invitation link")
    login_as(person)

    seen: set[str] = set()
    visited: list[dict[str, Any]] = []
    frontier = ["/"]
    problems: list[str] = []
    for _depth in range(DEPTH + 1):
        following: list[str] = []
        for path in frontier:
            if path in seen or len(seen) >= MAX_PAGES:
                continue
            seen.add(path)
            response = client.get(path, follow_redirects=True)
            if response.status_code != 200:
                problems.append(f"{path}: status {response.status_code}")
                continue
            if not response.content_type.startswith("text/html"):
                continue
            found, links = _problems(path, response.get_data(as_text=True))
            visited.append(_fingerprint(path, response.get_data(as_text=True), links))
            problems += found
            following += [
                link
                for link in links
                if not SKIP.search(link) and urlsplit(link).path not in {urlsplit(s).path for s in seen}
            ]
        frontier = list(dict.fromkeys(following))
    _dump(account.subject, visited)
    assert not problems, "\n".join(sorted(set(problems)))


def _fingerprint(path: str, html: str, links: list[str]) -> dict[str, Any]:
    """What a person meets on a page, for comparing two versions of the product page by page."""
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    headings = re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html, re.S)
    forms = re.findall(r'<form[^>]*action="([^"]*)"', html)
    return {
        "path": path,
        "title": title.group(1).strip() if title else "",
        "headings": [re.sub(r"<[^>]+>|\s+", " ", heading).strip() for heading in headings],
        "links": sorted(set(links)),
        "forms": sorted(set(forms)),
    }


def _dump(role: str, visited: list[dict[str, Any]]) -> None:
    """With CRAWL_DUMP_FOLDER set to a folder, write the role's crawl there (a before/after check)."""
    folder = os.environ.get("CRAWL_DUMP_FOLDER")
    if folder:
        with open(os.path.join(folder, f"{role}.json"), "w", encoding="utf-8") as handle:
            json.dump(visited, handle, ensure_ascii=False, indent=1, sort_keys=True)
