"""Fixtures shared by the browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture
def database(live_database_url: str) -> Iterator[sa.Engine]:
    """A connection pool of its own to the live server's database (never the app's session)."""
    engine = sa.create_engine(live_database_url)
    try:
        yield engine
    finally:
        engine.dispose()
