"""Fund tests: keep the conference's background refresh off the shared test connection."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture(autouse=True)
def _no_background_conference_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the conference's ``consent_changed`` receiver from starting a thread (as tests/consents does).

    Tests here record real consents; the receiver's thread would share the test's single rolled-back
    connection and release its savepoints.
    """
    if importlib.util.find_spec("conference.sockets") is not None:
        monkeypatch.setattr("conference.sockets.refresh_after_consent_change", lambda client_id: None)


@pytest.fixture
def second_connection(live_database_url: str) -> Iterator[sa.Engine]:
    """A new engine on the live database: it sees committed rows only."""
    engine = sa.create_engine(live_database_url)
    yield engine
    engine.dispose()
