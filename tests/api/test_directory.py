"""The directory endpoints: district scoping, filters, pagination, bad parameters, no personal data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from agencies.models import Agency, AgencyStatus, AgencyType, Service
from tests.agencies.conftest import Network
from tests.api.conftest import Credentials


@pytest.fixture
def headers(directory_client: Credentials, get_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {get_token(directory_client)}"}


@pytest.fixture
def catalogue(db: Any, network: Network, create_agency: Callable[..., Agency]) -> None:
    region = network.district.regions[0]
    network.peer.regions = [region]
    network.agency.description = "가족과 노인을 돕는 종합사회복지관"
    db.session.add_all(
        [
            Service(
                agency=network.agency,
                name="밑반찬 배달",
                category="돌봄",
                eligibility="독거 어르신",
                capacity=30,
            ),
            Service(agency=network.peer, name="자활근로사업단", category="고용", eligibility="조건부 수급자"),
            Service(agency=network.foreign, name="다른구 서비스", category="돌봄"),
            Service(agency=network.agency, name="종료된 사업", category="교육", is_active=False),
        ]
    )
    create_agency(name="초대 중인 기관", status=AgencyStatus.invited)
    db.session.commit()


def names(response: Any) -> set[str]:
    return {item["name"] for item in response.get_json()["items"]}


def test_agencies_are_those_of_the_client_district_only(
    client: FlaskClient, headers: dict[str, str], network: Network, catalogue: None
) -> None:
    response = client.get("/api/v1/agencies", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert names(response) == {network.team.name, network.agency.name, network.peer.name}
    assert body["total"] == 3
    assert body["page"] == 1
    assert body["per_page"] == 20


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type=self_sufficiency_centre", {"peer"}),
        ("category=돌봄", {"agency"}),
        ("q=밑반찬", {"agency"}),
        ("q=노인", {"agency"}),
        ("q=100%25", set()),  # a literal % is searched for, not used as a wildcard
    ],
)
def test_agency_filters(
    client: FlaskClient,
    headers: dict[str, str],
    network: Network,
    catalogue: None,
    query: str,
    expected: set[str],
) -> None:
    response = client.get(f"/api/v1/agencies?{query}", headers=headers)

    assert response.status_code == 200
    assert names(response) == {getattr(network, key).name for key in expected}


def test_region_filter_and_pagination(
    client: FlaskClient, headers: dict[str, str], network: Network, catalogue: None
) -> None:
    region = network.district.regions[0]

    first = client.get(f"/api/v1/agencies?region={region.code}&per_page=2", headers=headers).get_json()
    second = client.get(
        f"/api/v1/agencies?region={region.code}&per_page=2&page=2", headers=headers
    ).get_json()

    assert first["total"] == 3
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    assert {item["code"] for item in first["items"] + second["items"]} == {
        network.team.code,
        network.agency.code,
        network.peer.code,
    }


def test_agency_detail_has_services_but_no_staff(
    client: FlaskClient, headers: dict[str, str], network: Network, catalogue: None
) -> None:
    response = client.get(f"/api/v1/agencies/{network.agency.code}", headers=headers)

    body = response.get_json()
    assert response.status_code == 200
    assert body["type"] == AgencyType.community_welfare_centre.value
    assert body["type_label"] == "종합사회복지관"
    assert [service["name"] for service in body["services"]] == ["밑반찬 배달"]
    text = response.get_data(as_text=True)
    for person in (network.admin, network.worker):
        assert person.email not in text
        assert person.name not in text


@pytest.mark.parametrize("which", ["foreign", "invited", "unknown"])
def test_agency_outside_the_directory_is_404(
    client: FlaskClient, headers: dict[str, str], network: Network, catalogue: None, which: str
) -> None:
    code = {"foreign": network.foreign.code, "invited": "no-such", "unknown": "nope"}[which]
    if which == "invited":
        network.peer.status = AgencyStatus.invited
        code = network.peer.code

    response = client.get(f"/api/v1/agencies/{code}", headers=headers)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert response.get_json()["error"]["message"] == "기관을 찾을 수 없습니다."


def test_services_endpoint(
    client: FlaskClient, headers: dict[str, str], network: Network, catalogue: None
) -> None:
    everything = client.get("/api/v1/services", headers=headers).get_json()
    care = client.get("/api/v1/services?category=돌봄", headers=headers).get_json()

    assert {item["name"] for item in everything["items"]} == {"밑반찬 배달", "자활근로사업단"}
    assert [(item["name"], item["agency_code"], item["capacity"]) for item in care["items"]] == [
        ("밑반찬 배달", network.agency.code, 30)
    ]


def test_regions_endpoint(client: FlaskClient, headers: dict[str, str], network: Network) -> None:
    body = client.get("/api/v1/regions", headers=headers).get_json()

    region = network.district.regions[0]
    assert body["items"] == [
        {
            "code": region.code,
            "name": region.name,
            "dongs": [
                {"code": dong.code, "name": dong.name, "region_code": region.code} for dong in region.dongs
            ],
        }
    ]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("type=spaceship", "invalid_parameter", "type"),
        ("per_page=0", "invalid_parameter", "per_page"),
        ("per_page=1000", "invalid_parameter", "per_page"),
        ("page=abc", "invalid_parameter", "page"),
        ("q=" + "가" * 101, "invalid_parameter", "q"),
        ("region=nowhere", "invalid_parameter", "region"),
        ("colour=blue", "unknown_parameter", "colour"),
        ("page=1&page=2", "invalid_parameter", "page"),
    ],
)
def test_bad_query_parameters_are_400_with_the_field(
    client: FlaskClient, headers: dict[str, str], network: Network, query: str, code: str, field: str
) -> None:
    response = client.get(f"/api/v1/agencies?{query}", headers=headers)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert error["message_en"]
    assert error["request_id"]


def test_unknown_api_path_is_a_json_404(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get("/api/v1/nothing-here", headers=headers)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "http_404"
