"""Fixtures of the API tests: the network of the agency tests plus registered API clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from agencies.models import Agency, ApiClient, Person
from agencies.services import register_api_client
from tests.agencies.conftest import Network, _fresh_rate_limits, network, suspended_agency

__all__ = ["_fresh_rate_limits", "network", "suspended_agency"]


@dataclass
class Credentials:
    """A registered client and its one-time secret."""

    client: ApiClient
    secret: str

    @property
    def basic(self) -> tuple[str, str]:
        return (self.client.client_id, self.secret)


@pytest.fixture
def register_client(db: Any) -> Callable[..., Credentials]:
    """Return a factory of API clients registered by an agency admin."""

    def factory(agency: Agency, admin: Person, scopes: tuple[str, ...] = ("directory:read",)) -> Credentials:
        client, secret = register_api_client(agency, actor=admin, name="시험 시스템", scopes=scopes)
        db.session.commit()
        return Credentials(client, secret)

    return factory


@pytest.fixture
def directory_client(network: Network, register_client: Callable[..., Credentials]) -> Credentials:
    """A client of the network's agency with ``directory:read``."""
    return register_client(network.agency, network.admin)


@pytest.fixture
def get_token(client: FlaskClient) -> Callable[..., str]:
    """Return a function that obtains an access token for credentials (HTTP Basic)."""

    def fetch(credentials: Credentials, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = client.post("/api/v1/oauth/token", data=data, auth=credentials.basic)
        assert response.status_code == 200, response.get_data(as_text=True)
        return str(response.get_json()["access_token"])

    return fetch
