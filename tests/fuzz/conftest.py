"""Fuzz tests: keep background threads off the shared test connection, anchors in the test's folder."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def _no_background_conference_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the conference's ``consent_changed`` receiver from starting a thread (as tests/consents does).

    Fuzzed requests record and revoke real consents; the receiver's thread would share the test's
    single rolled-back connection and release its savepoints.
    """
    if importlib.util.find_spec("conference.sockets") is not None:
        monkeypatch.setattr("conference.sockets.refresh_after_consent_change", lambda client_id: None)


@pytest.fixture(autouse=True)
def _own_anchor_file(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Point the access log's anchor file at this test's folder: rolled-back anchors must not linger."""
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
