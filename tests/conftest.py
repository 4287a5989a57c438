"""Test configuration: which database backend this pass uses, and the fixture modules."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.app",
    "tests.fixtures.network",
    "tests.fixtures.auth",
    "tests.fixtures.mail",
    "tests.fixtures.live",
    "tests.fixtures.browser",
    "tests.fixtures.conferences",
    "tests.fixtures.cases",
    "tests.fixtures.consents",
    "tests.fixtures.referrals",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="database of this pass: postgresql (the main suite) or sqlite (the embedded default's pass)",
    )
