"""The OpenAPI 3.1 document: covers every /api/v1 rule, is well-formed, and matches real responses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from agencies.models import Service
from hamkke.api.openapi import openapi_path
from hamkke.api.scopes import SCOPE_NAMES
from tests.agencies.conftest import Network
from tests.api.conftest import Credentials

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client: FlaskClient, db: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def test_every_api_rule_is_documented(app: Flask, document: dict[str, Any]) -> None:
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]
    assert rules
    documented = {(path, method) for path, item in document["paths"].items() for method in item}

    for rule in rules:
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (openapi_path(rule.rule), method.lower()) in documented, (
                f"{rule.rule} {method} is not documented"
            )
    # …and nothing is documented that does not exist.
    routed = {
        (openapi_path(rule.rule), m.lower()) for rule in rules for m in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routed


def test_token_endpoint_and_security_schemes(document: dict[str, Any]) -> None:
    token = document["paths"]["/api/v1/oauth/token"]["post"]
    assert token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "$ref": "#/components/schemas/TokenRequest"
    }
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "http://localhost/api/v1/oauth/token"
    assert (
        set(flow["scopes"])
        == SCOPE_NAMES
        == {"directory:read", "referrals:read", "referrals:write", "conferences:read"}
    )


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_document_shape(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    assert document["info"]["version"]
    assert document["servers"] == [{"url": "http://localhost"}]
    schemas = document["components"]["schemas"]
    operation_ids: list[str] = []
    for path, item in document["paths"].items():
        assert path.startswith("/api/v1/")
        assert set(item) <= HTTP_METHODS
        placeholders = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert operation["summary"], f"{method} {path}"
            assert operation["responses"], f"{method} {path}"
            assert "200" in operation["responses"]
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == placeholders, f"path parameters of {method} {path}"
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"path", "query"}
                assert "schema" in parameter
                assert parameter["description"]
                assert parameter["required"] is True or parameter["in"] == "query"
            for requirement in operation["security"]:
                for scheme, scopes in requirement.items():
                    assert scheme in document["components"]["securitySchemes"]
                    assert set(scopes) <= SCOPE_NAMES
            if operation["security"] and "oauth2" in operation["security"][0]:
                assert {"401", "403"} <= set(operation["responses"])
    assert len(operation_ids) == len(set(operation_ids))
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref


# --- the documented schemas match what the endpoints send ----------------------------------------


def validate(instance: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str = "$") -> None:
    """Check ``instance`` against the subset of JSON Schema the generator emits."""
    if "$ref" in schema:
        validate(instance, schemas[schema["$ref"].rsplit("/", 1)[1]], schemas, where)
        return
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                validate(instance, option, schemas, where)
                return
            except AssertionError as error:
                errors.append(str(error))
        raise AssertionError(f"{where}: no anyOf branch matches ({errors})")
    kinds = schema.get("type")
    if kinds is not None:
        allowed = kinds if isinstance(kinds, list) else [kinds]
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }
        assert any(checks[kind](instance) for kind in allowed), f"{where}: {instance!r} is not {allowed}"
    if "enum" in schema:
        assert instance in schema["enum"], f"{where}: {instance!r} not in enum"
    if isinstance(instance, dict) and schema.get("type") == "object":
        for key in schema.get("required", []):
            assert key in instance, f"{where}: missing {key}"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(instance) <= set(properties), (
                f"{where}: undocumented {set(instance) - set(properties)}"
            )
        for key, value in instance.items():
            if key in properties:
                validate(value, properties[key], schemas, f"{where}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for index, value in enumerate(instance):
            validate(value, schema["items"], schemas, f"{where}[{index}]")


def response_schema(document: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    content = document["paths"][path][method]["responses"][status]["content"]
    return dict(next(iter(content.values()))["schema"])


def test_real_responses_match_their_documented_schemas(
    client: FlaskClient,
    document: dict[str, Any],
    network: Network,
    directory_client: Credentials,
    register_client: Callable[..., Credentials],
    db: Any,
) -> None:
    db.session.add(Service(agency=network.agency, name="밑반찬 배달", category="돌봄", capacity=None))
    network.agency.regions = list(network.district.regions)
    db.session.commit()
    schemas = document["components"]["schemas"]

    token_response = client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=directory_client.basic
    )
    validate(
        token_response.get_json(), response_schema(document, "/api/v1/oauth/token", "post", "200"), schemas
    )
    token = token_response.get_json()["access_token"]
    bad_token = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=("x", "y"))
    validate(bad_token.get_json(), response_schema(document, "/api/v1/oauth/token", "post", "401"), schemas)

    headers = {"Authorization": f"Bearer {token}"}
    calls = [
        ("/api/v1/agencies", "/api/v1/agencies", "200"),
        (f"/api/v1/agencies/{network.agency.code}", "/api/v1/agencies/{code}", "200"),
        ("/api/v1/agencies/nope", "/api/v1/agencies/{code}", "404"),
        ("/api/v1/services", "/api/v1/services", "200"),
        ("/api/v1/regions", "/api/v1/regions", "200"),
        ("/api/v1/agencies?per_page=0", "/api/v1/agencies", "400"),
    ]
    for url, path, status in calls:
        response = client.get(url, headers=headers)
        assert str(response.status_code) == status, url
        validate(response.get_json(), response_schema(document, path, "get", status), schemas, url)

    unauthenticated = client.get("/api/v1/regions")
    validate(unauthenticated.get_json(), response_schema(document, "/api/v1/regions", "get", "401"), schemas)
    revoked = client.post("/api/v1/oauth/revoke", data={"token": token}, auth=directory_client.basic)
    validate(revoked.get_json(), response_schema(document, "/api/v1/oauth/revoke", "post", "200"), schemas)


def test_registry_refuses_a_route_whose_path_parameters_do_not_match() -> None:
    from flask import Blueprint

    from hamkke.api.registry import ApiRegistry, Param

    registry = ApiRegistry(Blueprint("scratch", __name__, url_prefix="/api/v1"))
    with pytest.raises(ValueError, match="path parameters"):

        @registry.operation("/things/<int:thing_id>", summary="x", tags=("x",), scopes=("directory:read",))
        def get_thing(call: Any) -> dict[str, Any]:
            return {}

    with pytest.raises(ValueError, match="scopes"):

        @registry.operation("/things", summary="x", tags=("x",), query=(Param("q", str, "x"),))
        def list_things(call: Any) -> dict[str, Any]:
            return {}


def test_a_new_write_endpoint_is_documented_from_its_declaration(app: Flask) -> None:
    from typing import TypedDict

    from flask import Blueprint

    from hamkke.api.errors import ApiError
    from hamkke.api.openapi import build_document
    from hamkke.api.registry import ApiRegistry, Param, _json_body

    class NoteIn(TypedDict):
        """A note to add."""

        text: str

    class NoteOut(TypedDict):
        """The stored note."""

        id: int
        text: str

    registry = ApiRegistry(Blueprint("scratch_api", __name__, url_prefix="/api/v1"))

    @registry.operation(
        "/referrals/<int:referral_id>/notes",
        method="POST",
        summary="Add a note",
        tags=("Referrals",),
        scopes=("referrals:write",),
        path=(Param("referral_id", int, "The referral.", required=True),),
        request_json=NoteIn,
        response=NoteOut,
        errors=(404,),
    )
    def add_note(call: Any) -> NoteOut:
        return {"id": 1, "text": str(call.body["text"])}

    document = build_document(registry, base_url="https://hamkke.example")
    operation = document["paths"]["/api/v1/referrals/{referral_id}/notes"]["post"]
    assert operation["security"] == [{"oauth2": ["referrals:write"]}]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoteIn"
    }
    assert operation["parameters"][0] == {
        "name": "referral_id",
        "in": "path",
        "required": True,
        "description": "The referral.",
        "schema": {"type": "integer"},
    }
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    assert document["components"]["schemas"]["NoteOut"]["required"] == ["id", "text"]

    with (
        app.test_request_context("/", method="POST", data="[1, 2]", content_type="application/json"),
        pytest.raises(ApiError, match="JSON") as refused,
    ):
        _json_body()
    assert refused.value.code == "invalid_body"
