"""Consents tests: anchors go to a file of the test's own, not the session's instance folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask


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
