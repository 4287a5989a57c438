"""Fixtures of the edge tests: a second connection to the live database, and the network built on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.edge.world import World, build_world
from tests.fixtures.live import LiveServer


@pytest.fixture
def second_connection(live_database_url: str) -> Iterator[sa.Engine]:
    """A new engine on the live database: it sees committed rows only."""
    engine = sa.create_engine(live_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    """A fresh referral network with a recorded consent on the live database (one per test module)."""
    return build_world(live_server.app)
