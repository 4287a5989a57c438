"""Schemathesis drives every operation of ``/api/v1/openapi.json`` against the app in process (WSGI).

Each operation is fuzzed four ways: valid and invalid (negative) input, each with a token that holds
every scope, then again without a token and with a forged one. Every response must be a non-5xx answer
whose status code, content type, headers and body the document declares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS

from agencies.models import Person, StaffRole
from agencies.services import register_api_client
from hamkke.api.scopes import SCOPE_NAMES
from hamkke.extensions import limiter
from referrals import services as referral_services
from referrals.models import Referral
from tests.fixtures.referrals import ConsentBook, ReferralNetwork

pytestmark = pytest.mark.slow

#: no shrinking: every example is a real request on a large database; a failure is reported as found
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)

#: generated requests per operation, per generation mode and per authentication
EXAMPLES = 25

#: checks every response must pass (5xx, undocumented status, content type, headers, body schema)
RESPONSE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


def _checks(*names: str) -> list[Any]:
    return [CHECKS.get_one(name) for name in names]


@dataclass
class Authentication:
    """How the fuzzed requests authenticate: one label and the headers sent."""

    label: str
    headers: dict[str, str]


@pytest.fixture
def api_schema(app: Flask, db: Any) -> Any:
    """The OpenAPI document the running app serves, loaded by schemathesis over WSGI."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def full_token(
    client: FlaskClient,
    db: Any,
    network: ReferralNetwork,
    consents: ConsentBook,
    create_person: Callable[..., Person],
) -> str:
    """A token of the welfare centre's system holding every scope the API knows."""
    limiter.reset()
    admin = create_person(agency=network.welfare_centre, roles=(StaffRole.agency_admin,))
    api_client, secret = register_api_client(
        network.welfare_centre, actor=admin, name="퍼징 시스템", scopes=tuple(sorted(SCOPE_NAMES))
    )
    db.session.commit()
    response = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "scope": " ".join(sorted(SCOPE_NAMES))},
        auth=(api_client.client_id, secret),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert set(response.get_json()["scope"].split()) == SCOPE_NAMES
    return str(response.get_json()["access_token"])


KnownObjects = Callable[[], dict[str, list[Any]]]


@pytest.fixture
def known_objects(db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]) -> KnownObjects:
    """Return a factory of path values that exist: fresh referrals (sent, in progress, draft), agencies.

    Called once per operation, so accepting every referral does not leave only 409s for rejecting.
    """

    def fresh() -> dict[str, list[Any]]:
        sent = [
            referral_services.send_referral(make_referral(groups=("basic", "contact")), actor=network.sender)
            for _ in range(2)
        ]
        started = [
            referral_services.start(
                referral_services.accept(
                    referral_services.send_referral(make_referral(), actor=network.sender),
                    actor=network.receiver,
                ),
                actor=network.receiver,
            )
            for _ in range(2)
        ]
        draft = make_referral()
        db.session.commit()
        return {
            "referral_id": [
                *(referral.id for referral in sent),
                *(referral.id for referral in started),
                draft.id,
            ],
            "code": [network.welfare_centre.code, network.dong_centre.code],
        }

    return fresh


#: schemathesis never fuzzes the operation that serves the document it loaded; checked on its own below
DOCUMENT_OPERATION = "GET /api/v1/openapi.json"


def _documented(api_schema: Any) -> set[str]:
    """Return the labels (``GET /api/v1/agencies``) of every operation the document declares."""
    return {
        f"{method.upper()} {path}" for path, item in api_schema.raw_schema["paths"].items() for method in item
    }


def _bearer_operations(api_schema: Any) -> set[str]:
    """Return the labels of the operations that require an OAuth2 access token."""
    return {
        f"{method.upper()} {path}"
        for path, item in api_schema.raw_schema["paths"].items()
        for method, operation in item.items()
        if any("oauth2" in requirement for requirement in operation.get("security", []))
    }


def _run(
    strategy: st.SearchStrategy[Any], checks: list[Any], headers: dict[str, str], statuses: list[int]
) -> None:
    """Send ``EXAMPLES`` generated cases of one operation, validate every response, note its status."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=NO_SHRINK,
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        limiter.reset()  # the token endpoints' rate limit would otherwise answer 429 to most cases
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)
        statuses.append(response.status_code)

    run()


def _fuzz(
    api_schema: Any, authentication: Authentication, *, path_values: KnownObjects
) -> dict[str, list[int]]:
    """Fuzz every operation with valid and invalid input; return the statuses answered per operation."""
    statuses: dict[str, list[int]] = {}
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        takes_input = bool(list(operation.iter_parameters())) or bool(operation.body)
        # An operation without parameters or body (GET /regions) has no invalid input to generate.
        modes = (
            (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,)
        )
        known = path_values()
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=mode)
            for name, values in known.items():
                if f"{{{name}}}" not in operation.path:
                    continue
                # Half the cases address objects that exist, so state-changing routes really run.
                strategy = strategy | st.sampled_from(values).flatmap(
                    lambda value, name=name, mode=mode, operation=operation: operation.as_strategy(
                        generation_mode=mode, path_parameters={name: value}
                    )
                )
            checks = _checks(*RESPONSE_CHECKS)
            if mode is GenerationMode.NEGATIVE:
                checks += _checks("negative_data_rejection")
            try:
                _run(strategy, checks, authentication.headers, statuses.setdefault(operation.label, []))
            except (Exception, BaseExceptionGroup) as error:  # gathered: one run reports every operation
                failures.append(f"{operation.label} [{mode.value}, {authentication.label}]: {error}")
    assert not failures, "\n\n".join(failures)
    return statuses


def test_every_operation_with_a_token_holding_every_scope(
    api_schema: Any, full_token: str, known_objects: KnownObjects
) -> None:
    statuses = _fuzz(
        api_schema,
        Authentication("bearer", {"Authorization": f"Bearer {full_token}"}),
        path_values=known_objects,
    )
    assert set(statuses) | {DOCUMENT_OPERATION} == _documented(api_schema), statuses
    # Operations with input get every generated case; one without (GET /regions) has a single case.
    assert all(
        len(answers) >= EXAMPLES for label, answers in statuses.items() if label != "GET /api/v1/regions"
    )
    # The token opens every protected operation: never 401/403, and every read answered 200 at least once
    # (whether a generated write finds its referral in a state that allows it is left to chance).
    for label in _bearer_operations(api_schema):
        assert not {401, 403} & set(statuses[label]), (label, sorted(statuses[label]))
        if label.startswith("GET "):
            assert 200 in statuses[label], (label, sorted(statuses[label]))


@pytest.mark.parametrize(
    "authentication",
    [
        Authentication("none", {}),
        Authentication("forged", {"Authorization": "Bearer not-a-token-" + "x" * 40}),
        Authentication("malformed", {"Authorization": "Bearer"}),
    ],
    ids=lambda auth: auth.label,
)
def test_every_operation_without_a_valid_token(
    api_schema: Any, authentication: Authentication, known_objects: KnownObjects
) -> None:
    statuses = _fuzz(api_schema, authentication, path_values=known_objects)
    assert set(statuses) | {DOCUMENT_OPERATION} == _documented(api_schema), statuses
    for label in _bearer_operations(api_schema):
        # 401 before any input is looked at; only a path Flask cannot route (/referrals/abc) answers 404.
        assert 401 in statuses[label], (label, statuses[label])
        assert set(statuses[label]) <= {401, 404}, (label, statuses[label])


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}], ids=["anonymous", "forged"])
def test_the_document_itself_is_valid_and_public(
    api_schema: Any, client: FlaskClient, headers: dict[str, str]
) -> None:
    api_schema.validate()  # a valid OpenAPI 3.1 document, or this raises naming the problem
    response = client.get("/api/v1/openapi.json", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert DOCUMENT_OPERATION.split()[1] in response.get_json()["paths"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/agencies?category=a%00b", None),
        ("GET", "/api/v1/services?q=%00", None),
        ("GET", "/api/v1/agencies/x%00y", None),
        ("POST", "/api/v1/referrals/{referral}/complete", {"outcome": "완료\u0000"}),
    ],
)
def test_a_nul_character_anywhere_is_a_400_not_a_500(
    client: FlaskClient,
    full_token: str,
    known_objects: KnownObjects,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    # Found by the fuzzing above: PostgreSQL text cannot hold NUL, and the search answered 500.
    referral = known_objects()["referral_id"][2]  # in progress: only the NUL stands in the way
    response = client.open(
        path.format(referral=referral),
        method=method,
        json=body,
        headers={"Authorization": f"Bearer {full_token}"},
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] in {"invalid_parameter", "invalid_body"}
