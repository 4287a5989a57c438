"""Consents tests: keep the conference's background refresh off the shared test connection."""

from __future__ import annotations

import importlib.util

import pytest


@pytest.fixture(autouse=True)
def _no_background_conference_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the conference's ``consent_changed`` receiver from starting a thread during these tests.

    That receiver opens a session in a background thread; under the test's single rolled-back
    connection, the thread's session shares the connection and releases the test's savepoint. The
    signal itself is still sent and asserted on (tests/consents/test_propagation.py).
    """
    if importlib.util.find_spec("conference.sockets") is not None:
        monkeypatch.setattr("conference.sockets.refresh_after_consent_change", lambda client_id: None)
    return
