"""One agency's identity provider never acts for another: two independent issuers over real HTTP.

The session provider (``idp``) is trusted by the victim's agency; a second development provider,
run as its own server with its own keys and accounts, is trusted only by another agency whose
staff control it. Everything goes through the sign-in pages and the providers' real endpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient

from agencies import services
from agencies.models import (
    Agency,
    Identity,
    IdentityProvider,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    StaffRole,
    UserSession,
)
from devidp.accounts import DemoAccount
from devidp.app import IdpClient, IdpSettings
from devidp.server import IdpServer
from hamkke.audit import AuditEntry
from hamkke.time import now_utc
from tests.agencies.test_sign_in import sign_in, start_login
from tests.fixtures.live import SIGN_IN_AGENCY, TEST_CLIENT_ID, TEST_CLIENT_SECRET, ProviderBrowser

pytestmark = [pytest.mark.usefixtures("reset_rate_limits"), pytest.mark.embedded]

#: the agency whose staff run the second provider
OTHER_ISSUER_AGENCY = "second-issuer-agency"
#: the victim: agency admin of the agency bound to the session provider
VICTIM_EMAIL = "known.worker@signin.example"
SECOND_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "evil-admin", VICTIM_EMAIL, "가짜관리자", OTHER_ISSUER_AGENCY, "agency_admin", "남의 주소를 쓰는 계정"
    ),
    DemoAccount(
        "x-staff",
        "both.worker@signin.example",
        "겸직직원",
        OTHER_ISSUER_AGENCY,
        "case_worker",
        "두 기관 소속",
    ),
)


@pytest.fixture(scope="module")
def second_idp(app: Flask) -> Iterator[IdpServer]:
    """A second, independent development provider (own port, issuer, keys and accounts)."""
    with app.test_request_context("/"):
        callback = url_for("auth.callback", _external=True)
    client = IdpClient(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, redirect_uris=(callback,))
    server = IdpServer(
        IdpSettings(issuer="", clients=(client,), accounts=SECOND_ACCOUNTS, testing=True)
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def second_browser(second_idp: IdpServer) -> Iterator[ProviderBrowser]:
    browser = ProviderBrowser(second_idp)
    yield browser
    browser.http.close()


@pytest.fixture
def victim_agency(create_agency: Callable[..., Agency]) -> Agency:
    return create_agency(code=SIGN_IN_AGENCY, name="피해종합사회복지관")


@pytest.fixture
def first(create_provider: Callable[..., IdentityProvider], victim_agency: Agency) -> IdentityProvider:
    """The session provider, trusted by the victim's agency."""
    return create_provider(agencies=(victim_agency,), name="피해기관 계정")


@pytest.fixture
def other_agency(create_agency: Callable[..., Agency]) -> Agency:
    return create_agency(code=OTHER_ISSUER_AGENCY, name="다른인증기관")


@pytest.fixture
def second(
    create_provider: Callable[..., IdentityProvider], second_idp: IdpServer, other_agency: Agency
) -> IdentityProvider:
    """The second provider, registered with a claim rule and no domain list (the finding's setup)."""
    return create_provider(agencies=(other_agency,), issuer=second_idp.url, name="다른 기관 계정")


@pytest.fixture
def victim(create_person: Callable[..., Person], victim_agency: Agency) -> Person:
    return create_person(
        agency=victim_agency, roles=[StaffRole.agency_admin], name="피해관리자", email=VICTIM_EMAIL
    )


@pytest.fixture
def other_admin(create_person: Callable[..., Person], other_agency: Agency) -> Person:
    return create_person(agency=other_agency, roles=[StaffRole.agency_admin], name="다른기관관리자")


def refusal_reasons(db: Any) -> list[str]:
    rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.sign_in_refused"))
    return [row.data["reason"] for row in rows]


def test_another_agencys_provider_cannot_take_over_an_admin_by_email(
    client: FlaskClient,
    second_browser: ProviderBrowser,
    first: IdentityProvider,
    second: IdentityProvider,
    victim: Person,
    victim_agency: Agency,
    other_admin: Person,
    db: Any,
) -> None:
    # The second provider vouches (email_verified: true) for the victim's address.
    response = sign_in(client, second_browser, second, "evil-admin")

    assert response.headers["Location"] == "/auth/pending"
    db.session.expire_all()
    identity = db.session.scalar(sa.select(Identity).where(Identity.provider_id == second.id))
    assert identity is not None
    assert identity.person_id != victim.id
    assert victim.identities == []
    assert [m.agency_id for m in victim.memberships] == [victim_agency.id]
    newcomer = identity.person
    assert newcomer.email == VICTIM_EMAIL
    [pending] = newcomer.memberships
    assert pending.status == MembershipStatus.pending
    created = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "auth.person_created", AuditEntry.actor_id == newcomer.id
        )
    )
    assert created is not None
    assert created.data["same_email_elsewhere"] is True

    # The other agency's admin approves "their" newcomer, even as an admin; they sign in again.
    services.approve_membership(pending, actor=other_admin, roles=[StaffRole.agency_admin])
    db.session.commit()
    assert sign_in(client, second_browser, second, "evil-admin").headers["Location"] == "/"

    # Nothing of the victim's agency is theirs: no staff management, no API clients.
    for path in (f"/agencies/{victim_agency.code}/staff", f"/agencies/{victim_agency.code}/api-clients"):
        page = client.get(path)
        assert page.status_code in (403, 404), path
        assert victim.name not in page.get_data(as_text=True)


def test_a_session_acts_only_for_agencies_bound_to_its_provider(
    client: FlaskClient,
    second_browser: ProviderBrowser,
    first: IdentityProvider,
    second: IdentityProvider,
    victim_agency: Agency,
    other_agency: Agency,
    create_person: Callable[..., Person],
    db: Any,
) -> None:
    # Admin of the victim's agency AND case worker of the other one: the same person in both.
    both = create_person(
        agency=victim_agency,
        roles=[StaffRole.agency_admin],
        name="겸직직원",
        email="both.worker@signin.example",
    )
    second_job = Membership(person=both, agency=other_agency, status=MembershipStatus.active)
    second_job.roles.append(MembershipRole(role=StaffRole.case_worker, granted_at=now_utc()))
    db.session.add(second_job)
    db.session.flush()

    response = sign_in(client, second_browser, second, "x-staff")

    assert response.headers["Location"] == "/"
    [identity] = both.identities
    assert identity.provider_id == second.id
    # Signed in through the second provider: their admin role in the first provider's agency is out of reach.
    staff = client.get(f"/agencies/{victim_agency.code}/staff")
    assert staff.status_code in (403, 404)
    assert client.get(f"/agencies/{victim_agency.code}/api-clients").status_code in (403, 404)
    assert client.get(f"/agencies/{other_agency.code}").status_code == 200


def test_an_answer_from_the_other_issuer_is_refused_by_its_iss(
    client: FlaskClient,
    second_browser: ProviderBrowser,
    first: IdentityProvider,
    second: IdentityProvider,
    second_idp: IdpServer,
    victim: Person,
    db: Any,
) -> None:
    # Mix-up: the browser started a sign-in with the first provider but the answer comes from the second.
    authorize = start_login(client, first)
    mixed = authorize.replace(first.issuer, second_idp.url, 1)
    callback = second_browser.sign_in(mixed, subject="evil-admin")
    assert parse_qs(urlsplit(callback).query)["iss"] == [second_idp.url]

    response = client.get(callback)

    assert response.status_code == 400
    assert "다른 인증 서버의 응답" in response.get_data(as_text=True)
    assert refusal_reasons(db) == ["issuer_parameter_mismatch"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 0


def test_a_response_without_iss_is_refused_when_the_provider_advertises_it(
    client: FlaskClient, provider_browser: ProviderBrowser, first: IdentityProvider, victim: Person, db: Any
) -> None:
    callback = provider_browser.sign_in(start_login(client, first), subject="t-known")
    parts = urlsplit(callback)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query.pop("iss") == first.issuer

    response = client.get(urlunsplit(parts._replace(query=urlencode(query))))

    assert response.status_code == 400
    assert refusal_reasons(db) == ["issuer_parameter_missing"]
    assert victim.identities == []


def test_an_error_answer_carries_iss_and_is_checked(
    client: FlaskClient, provider_browser: ProviderBrowser, first: IdentityProvider, db: Any
) -> None:
    callback = provider_browser.sign_in(start_login(client, first), deny=True)
    parts = urlsplit(callback)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query["iss"] == first.issuer
    query["iss"] = "https://someone-else.example"

    response = client.get(urlunsplit(parts._replace(query=urlencode(query))))

    assert response.status_code == 400
    assert refusal_reasons(db) == ["issuer_parameter_mismatch"]


@pytest.mark.parametrize(
    ("required", "mode", "signed_in"),
    [
        (True, "omit_email_verified", False),
        (False, "omit_email_verified", True),
        (False, "unverified_email", False),
        (True, "unverified_email", False),
    ],
    ids=["required-missing", "trusted-missing", "trusted-false", "required-false"],
)
def test_email_verified_policy_is_per_provider(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    create_provider: Callable[..., IdentityProvider],
    victim_agency: Agency,
    victim: Person,
    db: Any,
    required: bool,
    mode: str,
    signed_in: bool,
) -> None:
    provider = create_provider(agencies=(victim_agency,), email_verified_required=required)
    callback = provider_browser.sign_in(start_login(client, provider), subject="t-known")
    provider_browser.misbehave(mode)

    response = client.get(callback)

    if signed_in:
        assert response.headers["Location"] == "/"
        assert [identity.provider_id for identity in victim.identities] == [provider.id]
    else:
        assert response.status_code == 403
        assert refusal_reasons(db) == ["email_unverified"]
        assert victim.identities == []


def test_a_session_ends_when_its_agency_stops_trusting_the_provider(
    client: FlaskClient,
    provider_browser: ProviderBrowser,
    first: IdentityProvider,
    second: IdentityProvider,
    victim: Person,
    victim_agency: Agency,
    db: Any,
) -> None:
    assert sign_in(client, provider_browser, first, "t-known").headers["Location"] == "/"
    assert client.get(f"/agencies/{victim_agency.code}/staff").status_code == 200

    # The coordinator moves the agency to another provider: the open session may no longer act for it.
    victim_agency.identity_provider_id = second.id
    db.session.commit()

    assert client.get(f"/agencies/{victim_agency.code}/staff").status_code == 302
    record = db.session.scalars(sa.select(UserSession).where(UserSession.person_id == victim.id)).one()
    db.session.refresh(record)
    assert record.end_reason == "provider_unbound"
