"""The OpenAPI 3.1 document of the agency API, generated from the route registry on every request."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from hamkke.api.registry import ApiRegistry, Operation, SchemaRegistry, api
from hamkke.api.schemas import ErrorBody, OAuthErrorBody
from hamkke.api.scopes import SCOPES

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
TOKEN_PATH = "/api/v1/oauth/token"  # noqa: S105 -- a URL path, not a secret
#: errors every bearer-protected route can answer (bad or unknown parameter, token, scope)
BEARER_ERRORS = (400, 401, 403)

#: what each error status means on this API (the web pages' wording would mislead API clients)
ERROR_DESCRIPTIONS = {
    400: "Bad request: a parameter is missing, unknown or invalid (OAuth2: invalid_request, invalid_scope, "
    "unsupported_grant_type).",
    401: "Missing, invalid, expired or revoked access token; on the OAuth2 endpoints, "
    "client authentication failed.",
    403: "The access token lacks a required scope (insufficient_scope).",
    404: "No such object in the client's district.",
    429: "Too many requests; retry later.",
}

TAGS = (
    {"name": "OAuth2", "description": "Client-credentials tokens for agency systems."},
    {"name": "Directory", "description": "Agencies, services and regions of the client's district."},
    {"name": "Meta", "description": "About the API itself."},
)


def openapi_path(rule: str) -> str:
    """Turn a Flask rule (``/agencies/<code>``, ``/x/<int:id>``) into an OpenAPI path (``{code}``)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _parameter(param: Any, location: str) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": location,
        "required": True if location == "path" else param.required,
        "description": param.description,
        "schema": param.schema(),
    }


def _operation(operation: Operation, schemas: SchemaRegistry) -> dict[str, Any]:
    error_schema = schemas.ref(OAuthErrorBody if operation.error_style == "oauth" else ErrorBody)
    errors = set(operation.errors) | (set(BEARER_ERRORS) if operation.auth == "bearer" else set())
    responses: dict[str, Any] = {
        "200": {
            "description": operation.response_description,
            "content": {operation.content_type: {"schema": schemas.schema_of(operation.response)}},
        }
    }
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS.get(status, "Error."),
            "content": {"application/json": {"schema": error_schema}},
        }
    document: dict[str, Any] = {
        "operationId": operation.endpoint.replace(".", "_"),
        "summary": operation.summary,
        "description": operation.description,
        "tags": list(operation.tags),
        "responses": responses,
    }
    parameters = [_parameter(p, "path") for p in operation.path] + [
        _parameter(p, "query") for p in operation.query
    ]
    if parameters:
        document["parameters"] = parameters
    if operation.request_form is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schemas.ref(operation.request_form)}},
        }
    elif operation.request_json is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(operation.request_json)}},
        }
    if operation.auth == "bearer":
        document["security"] = [{"oauth2": list(operation.scopes)}]
    elif operation.auth == "client":
        # HTTP Basic, or client_id/client_secret in the form body (the empty alternative).
        document["security"] = [{"clientBasic": []}, {}]
    else:
        document["security"] = []
    return document


def build_document(registry: ApiRegistry, *, base_url: str) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document from the registered operations."""
    schemas = SchemaRegistry()
    paths: dict[str, dict[str, Any]] = {}
    for operation in sorted(registry.operations, key=lambda op: (op.rule, op.method)):
        item = paths.setdefault(openapi_path(operation.rule), {})
        item[operation.method.lower()] = _operation(operation, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "함께 (Hamkke) agency API",
            "version": API_VERSION,
            "summary": "Directory of the 통합사례관리 network for agency systems.",
            "description": (
                "Agency systems call this API with OAuth2 client credentials registered by their agency "
                'admin. Errors have the form {"error": {"code", "message", "message_en", '
                '"request_id"}}, except the OAuth2 endpoints, which follow RFC 6749 §5.2. '
                "Directory data only: no staff lists, no personal data."
            ),
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "tags": list(TAGS),
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "description": "Bearer access tokens from the client-credentials grant.",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": base_url.rstrip("/") + TOKEN_PATH,
                            "scopes": {scope.name: scope.description for scope in SCOPES},
                        }
                    },
                },
                "clientBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "client_id and client_secret of a registered API client.",
                },
            },
        },
    }


@api.operation(
    "/openapi.json",
    auth="none",
    summary="This OpenAPI 3.1 document",
    description="Generated from the route declarations of the running server, so it always matches them.",
    tags=("Meta",),
    response=dict[str, Any],
)
def openapi_document() -> ResponseReturnValue:
    """Serve the OpenAPI document."""
    return jsonify(build_document(api, base_url=current_app.config["BASE_URL"]))
