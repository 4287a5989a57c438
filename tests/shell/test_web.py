"""Errors, language, dates and security headers of the shell."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hamkke.i18n import local_date, local_datetime
from hamkke.web import MAX_PAGE, page_arg, parse_id, safe_next_url
from tests.fixtures.auth import page_csrf_token


@pytest.mark.embedded
def test_start_page_is_korean_with_landmarks(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)

    assert '<html lang="ko">' in html
    for landmark in ('role="banner"', "<main", 'role="contentinfo"', "<nav", 'href="#main"'):
        assert landmark in html
    assert "본문으로 건너뛰기" in html


def test_english_is_available(client: FlaskClient) -> None:
    html = client.get("/?lang=en").get_data(as_text=True)

    assert '<html lang="en">' in html
    assert "Skip to main content" in html
    # The choice sticks for the next request of the same browser.
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_browser_language_is_respected(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_unknown_page_is_a_korean_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "찾는 페이지가 없습니다" in html
    assert response.headers["X-Request-ID"] in html


def test_api_and_htmx_errors_are_json(client: FlaskClient) -> None:
    api = client.get("/api/v1/no-such-thing")
    htmx = client.get("/no-such-page", headers={"HX-Request": "true"})

    for response in (api, htmx):
        assert response.status_code == 404
        error = response.get_json()["error"]
        assert error["code"] == "http_404"
        assert error["message"] == "찾는 페이지가 없습니다."
        assert error["message_en"] == "The page does not exist."


def test_post_without_csrf_token_is_refused_in_korean(client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "en"})

    assert response.status_code == 400
    assert "보안 토큰" in response.get_data(as_text=True)


def test_unexpected_error_is_a_korean_500_without_details(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode() -> str:
        raise RuntimeError("secret internal detail")

    # Routes cannot be added to an app that already served requests; replace a view instead.
    monkeypatch.setitem(app.view_functions, "core.index", explode)
    response = client.get("/")

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "일시적인 오류" in html
    assert "secret internal detail" not in html


def test_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "HttpOnly" in headers.get("Set-Cookie", "HttpOnly")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cases/1", "/cases/1"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil", "/"),
        ("", "/"),
        (None, "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_safe_next_url_keeps_redirects_on_site(target: str | None, expected: str) -> None:
    assert safe_next_url(target) == expected


def test_dates_are_shown_in_seoul_time(app: Flask) -> None:
    # 15:30 UTC on 31 December is already 1 January in Seoul (UTC+9).
    instant = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        assert local_datetime(instant) == "2027-01-01 00:30"
        assert local_date(instant) == "2027-01-01"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7", 7),
        ("2147483647", 2**31 - 1),
        ("2147483648", None),  # beyond the integer columns: the database would refuse to compare
        ("0", None),
        ("²", None),  # str.isdigit says yes, int says no
        ("-3", None),
        ("", None),
        (None, None),
        ("9" * 5000, None),  # int() refuses digit strings this long
    ],
)
def test_parse_id_accepts_only_row_ids(raw: str | None, expected: int | None) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 1),
        ("?page=3", 3),
        ("?page=0", 1),
        ("?page=abc", 1),
        ("?page=%C2%B2", 1),
        ("?page=" + "9" * 5000, MAX_PAGE),
    ],
)
def test_page_arg_is_bounded(app: Flask, query: str, expected: int) -> None:
    with app.test_request_context("/" + query):
        assert page_arg() == expected


@pytest.mark.embedded
def test_a_nul_character_in_any_posted_form_is_a_clear_400(client: FlaskClient) -> None:
    # PostgreSQL cannot store NUL: the conference's proposal form used to reach the flush and answer 500.
    token = page_csrf_token(client)
    for body in ({"title": "a\x00b"}, {"note": "\x00", "other": "fine"}):
        answer = client.post(
            "/conferences/1/items", data={"csrf_token": token, **body}, headers={"Accept": "application/json"}
        )
        assert answer.status_code == 400
        error = answer.get_json()["error"]
        assert error["code"] == "nul_character"
        assert "NUL" in error["message"]
        assert "NUL" in error["message_en"]
    page = client.post("/cases/", data={"csrf_token": token, "name": "a\x00b"})
    assert page.status_code == 400
    assert "저장할 수 없는 문자" in page.get_data(as_text=True)
