"""Fixtures of the network tests: a small district network and helpers for forms with CSRF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from agencies.models import Agency, AgencySector, AgencyStatus, AgencyType, District, Person, StaffRole
from hamkke.extensions import limiter
from tests.fixtures.auth import page_csrf_token


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Start every test that uses the app with empty rate-limit counters (they live as long as the app)."""
    if "app" in request.fixturenames:
        # The session-wide autouse fixture has pushed the app context already (plugins come first).
        request.getfixturevalue("app")
        limiter.reset()


@dataclass
class Network:
    """A district with a district team, two agencies, and a second district."""

    district: District
    team: Agency
    coordinator: Person
    agency: Agency
    admin: Person
    worker: Person
    peer: Agency
    peer_admin: Person
    other_district: District
    foreign: Agency
    foreign_admin: Person


@pytest.fixture
def network(
    dummy_district: District,
    create_district: Callable[..., District],
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> Network:
    """Build the standard network of these tests."""
    team = create_agency(
        type=AgencyType.district_team, sector=AgencySector.public, name="시험구청 희망복지지원단"
    )
    agency = create_agency(name="가람종합사회복지관")
    peer = create_agency(name="누리지역자활센터", type=AgencyType.self_sufficiency_centre)
    other = create_district()
    foreign = create_agency(district=other, name="다른구복지관")
    return Network(
        district=dummy_district,
        team=team,
        coordinator=create_person(agency=team, roles=[StaffRole.coordinator], name="김조정"),
        agency=agency,
        admin=create_person(agency=agency, roles=[StaffRole.agency_admin], name="정관리"),
        worker=create_person(agency=agency, roles=[StaffRole.case_worker], name="최사례"),
        peer=peer,
        peer_admin=create_person(agency=peer, roles=[StaffRole.agency_admin], name="강자활"),
        other_district=other,
        foreign=foreign,
        foreign_admin=create_person(agency=foreign, roles=[StaffRole.agency_admin], name="남관리"),
    )


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., Any]:
    """Return a function that POSTs a form with this client's CSRF token."""

    def post(path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        payload = dict(data or {})
        payload.setdefault("csrf_token", page_csrf_token(client))
        return client.post(path, data=payload, **kwargs)

    return post


@pytest.fixture
def suspended_agency(create_agency: Callable[..., Agency]) -> Agency:
    """A suspended agency of the dummy district."""
    return create_agency(status=AgencyStatus.suspended, name="정지된기관")
