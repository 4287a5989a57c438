"""Sign-in limits: a whole office behind one NAT address signs in; one account cannot be hammered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from limits import parse

from agencies.models import Agency, IdentityProvider, Person
from agencies.signin.limits import ACCOUNT_LIMIT
from devidp.accounts import DemoAccount
from devidp.app import IdpClient, IdpSettings
from devidp.server import IdpServer
from hamkke.audit import AuditEntry
from tests.agencies.test_sign_in import sign_in
from tests.fixtures.live import SIGN_IN_AGENCY, TEST_CLIENT_ID, TEST_CLIENT_SECRET, ProviderBrowser

pytestmark = pytest.mark.usefixtures("reset_rate_limits")

OFFICE_AGENCY = "nat-office-agency"
#: one office's staff, all signing in from the same address in one morning
OFFICE_SIZE = 40
OFFICE_ACCOUNTS: tuple[DemoAccount, ...] = tuple(
    DemoAccount(
        f"office-{number}",
        f"staff{number}@office.example",
        f"직원{number}",
        OFFICE_AGENCY,
        "case_worker",
        "같은 사무실",
    )
    for number in range(OFFICE_SIZE)
)


@pytest.fixture(scope="module")
def office_idp(app: Flask) -> Iterator[IdpServer]:
    """The office's own provider, with forty staff accounts."""
    with app.test_request_context("/"):
        callback = url_for("auth.callback", _external=True)
    client = IdpClient(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, redirect_uris=(callback,))
    server = IdpServer(
        IdpSettings(issuer="", clients=(client,), accounts=OFFICE_ACCOUNTS, testing=True)
    ).start()
    try:
        yield server
    finally:
        server.stop()


def test_forty_people_behind_one_address_all_sign_in(
    app: Flask,
    office_idp: IdpServer,
    create_agency: Callable[..., Agency],
    create_provider: Callable[..., IdentityProvider],
    db: Any,
) -> None:
    office = create_agency(code=OFFICE_AGENCY, name="한사무실복지관")
    provider = create_provider(agencies=(office,), issuer=office_idp.url, name="사무실 계정")

    answers = []
    for account in OFFICE_ACCOUNTS:
        # Each person has their own browser; every request comes from the test client's one address.
        browser = ProviderBrowser(office_idp)
        answers.append(sign_in(app.test_client(), browser, provider, account.subject).status_code)
        browser.http.close()

    assert answers == [302] * OFFICE_SIZE
    emails = set(db.session.scalars(sa.select(Person.email).where(Person.email.like("%@office.example"))))
    assert len(emails) == OFFICE_SIZE


def test_one_account_signing_in_over_and_over_is_stopped_and_others_are_not(
    app: Flask,
    provider_browser: ProviderBrowser,
    create_agency: Callable[..., Agency],
    create_provider: Callable[..., IdentityProvider],
    create_person: Callable[..., Person],
    db: Any,
) -> None:
    agency = create_agency(code=SIGN_IN_AGENCY, name="시험종합사회복지관")
    provider = create_provider(agencies=(agency,))
    create_person(agency=agency, name="기존직원", email="known.worker@signin.example")
    allowed = parse(ACCOUNT_LIMIT).amount

    answers = [
        sign_in(app.test_client(), provider_browser, provider, "t-known").status_code
        for _ in range(allowed + 1)
    ]
    other = sign_in(app.test_client(), ProviderBrowser(provider_browser.idp), provider, "t-newcomer")

    assert answers == [302] * allowed + [429]
    assert other.status_code == 302
    reasons = [
        row.data["reason"]
        for row in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "auth.sign_in_refused")
        )
    ]
    assert reasons == ["rate_limited"]
