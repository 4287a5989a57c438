"""Consents tests: anchors go to a file of the test's own, not the session's instance folder; signing in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from agencies.models import Person


@pytest.fixture(autouse=True)
def _own_anchor_file(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Point the anchor file at this test's folder: anchors of rolled-back tests must not linger."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    previous = app.config.get("CONSENTS_ACCESS_LOG_ANCHOR_FILE")
    app.config["CONSENTS_ACCESS_LOG_ANCHOR_FILE"] = str(tmp_path / "anchors.jsonl")
    try:
        yield
    finally:
        if previous is None:
            app.config.pop("CONSENTS_ACCESS_LOG_ANCHOR_FILE", None)
        else:
            app.config["CONSENTS_ACCESS_LOG_ANCHOR_FILE"] = previous


@pytest.fixture
def signed_in(client: FlaskClient, login_as: Callable[..., Any]) -> Callable[[Person, int], FlaskClient]:
    """Sign the test client in as a person acting for an agency."""

    def sign_in(person: Person, agency_id: int) -> FlaskClient:
        login_as(person, agency_id=agency_id)
        return client

    return sign_in
