"""The header's language switch is a Flask-WTF form: a language the site does not offer is refused."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh

from tests.fixtures.auth import page_csrf_token


@pytest.mark.embedded
def test_an_offered_language_is_remembered_and_the_person_goes_back(client: FlaskClient) -> None:
    token = page_csrf_token(client, "/")

    response = client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/?page=2"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/?page=2"
    refresh()  # the test's app context outlives requests: drop the locale Flask-Babel cached in it
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


@pytest.mark.embedded
def test_an_unknown_language_is_refused_in_korean_and_nothing_changes(client: FlaskClient) -> None:
    token = page_csrf_token(client, "/")

    response = client.post("/language", data={"csrf_token": token, "lang": "xx", "next": "/"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "올바르지 않은 선택값입니다." in page
    assert 'aria-invalid="true"' in page
    # The refused choice is not remembered: the next page is still Korean.
    assert '<html lang="ko">' in client.get("/").get_data(as_text=True)


@pytest.mark.embedded
def test_a_missing_language_is_refused_and_the_way_back_is_kept(client: FlaskClient) -> None:
    token = page_csrf_token(client, "/")

    response = client.post("/language", data={"csrf_token": token, "next": "/notifications/"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="/notifications/"' in page
    assert '<html lang="ko">' in client.get("/").get_data(as_text=True)
