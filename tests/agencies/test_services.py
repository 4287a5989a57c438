"""Staff, roles, agency status, identity providers and API clients: state changes and their audit rows."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from agencies import services
from agencies.models import (
    Agency,
    AgencyStatus,
    ApiToken,
    IdentityProvider,
    Membership,
    MembershipStatus,
    Person,
    StaffRole,
    UserSession,
)
from agencies.sessions import start_session
from hamkke.audit import AuditEntry
from hamkke.crypto import decrypt_text
from hamkke.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from hamkke.time import now_utc
from tests.agencies.conftest import Network


def audit_rows(db: Any, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def membership_of(person: Person, agency: Agency) -> Membership:
    return next(m for m in person.memberships if m.agency_id == agency.id)


def open_session(app: Any, person: Person, agency: Agency | None = None) -> UserSession:
    with app.test_request_context("/"):
        return start_session(person, method="test", acting_agency_id=agency.id if agency else None)


@pytest.fixture
def cut_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Record what is handed to agencies.signin.services.cut_live_sessions after commit."""
    calls: list[list[int]] = []
    import agencies.signin.services

    monkeypatch.setattr(agencies.signin.services, "cut_live_sessions", lambda ids: calls.append(list(ids)))
    return calls


# --- memberships and roles -----------------------------------------------------------------------


def test_approve_pending_member_grants_roles_and_audits_each(
    db: Any, network: Network, create_person: Callable[..., Person]
) -> None:
    newcomer = create_person(agency=network.agency, roles=[], status=MembershipStatus.pending)
    membership = membership_of(newcomer, network.agency)

    services.approve_membership(
        membership, actor=network.admin, roles=[StaffRole.supervisor, StaffRole.case_worker], title="팀장"
    )

    assert membership.status == MembershipStatus.active
    assert membership.role_set == {StaffRole.supervisor, StaffRole.case_worker}
    assert membership.title == "팀장"
    granted = audit_rows(db, "agency.role_granted")
    assert sorted(row.data["role"] for row in granted) == ["case_worker", "supervisor"]
    assert {row.actor_id for row in granted} == {network.admin.id}
    assert all(row.agency_id == network.agency.id and row.data["person_id"] == newcomer.id for row in granted)
    (approved,) = audit_rows(db, "agency.membership_approved")
    assert approved.object_id == membership.id


def test_approve_needs_at_least_one_role(
    db: Any, network: Network, create_person: Callable[..., Person]
) -> None:
    newcomer = create_person(agency=network.agency, roles=[], status=MembershipStatus.pending)

    with pytest.raises(ValidationFailed) as refused:
        services.approve_membership(membership_of(newcomer, network.agency), actor=network.admin, roles=[])

    assert refused.value.field == "roles"


def test_only_the_agency_admin_approves(
    db: Any, network: Network, create_person: Callable[..., Person]
) -> None:
    newcomer = create_person(agency=network.agency, roles=[], status=MembershipStatus.pending)
    membership = membership_of(newcomer, network.agency)

    for outsider in (network.worker, network.peer_admin, network.coordinator):
        with pytest.raises(PermissionDenied):
            services.approve_membership(membership, actor=outsider, roles=[StaffRole.case_worker])
    assert membership.status == MembershipStatus.pending
    assert audit_rows(db, "agency.role_granted") == []


def test_grant_and_revoke_role_are_audited(db: Any, network: Network) -> None:
    membership = membership_of(network.worker, network.agency)

    services.grant_role(membership, StaffRole.supervisor, actor=network.admin)
    services.revoke_role(membership, StaffRole.case_worker, actor=network.admin)

    assert membership.role_set == {StaffRole.supervisor}
    (granted,) = audit_rows(db, "agency.role_granted")
    (revoked,) = audit_rows(db, "agency.role_revoked")
    assert (granted.data["role"], revoked.data["role"]) == ("supervisor", "case_worker")
    assert revoked.actor_id == network.admin.id


def test_granting_a_role_twice_is_refused(db: Any, network: Network) -> None:
    with pytest.raises(ValidationFailed, match="이미 가진 역할"):
        services.grant_role(
            membership_of(network.worker, network.agency), StaffRole.case_worker, actor=network.admin
        )


def test_coordinator_role_exists_only_in_the_district_team(db: Any, network: Network) -> None:
    with pytest.raises(ValidationFailed, match="구청 통합사례관리팀"):
        services.grant_role(
            membership_of(network.admin, network.agency), StaffRole.coordinator, actor=network.admin
        )


def test_last_admin_keeps_the_admin_role(db: Any, network: Network) -> None:
    membership = membership_of(network.admin, network.agency)

    with pytest.raises(InvalidTransition, match="기관관리자가 한 명은"):
        services.revoke_role(membership, StaffRole.agency_admin, actor=network.admin)
    with pytest.raises(InvalidTransition):
        services.remove_member(membership, actor=network.admin)

    services.grant_role(
        membership_of(network.worker, network.agency), StaffRole.agency_admin, actor=network.admin
    )
    services.revoke_role(membership, StaffRole.agency_admin, actor=network.admin)
    assert StaffRole.agency_admin not in membership.role_set


def test_remove_member_revokes_every_role_and_audits(db: Any, network: Network) -> None:
    membership = membership_of(network.worker, network.agency)

    services.remove_member(membership, actor=network.admin, reason="퇴직")

    assert membership.status == MembershipStatus.removed
    assert membership.roles == []
    (removed,) = audit_rows(db, "agency.member_removed")
    assert removed.data == {"person_id": network.worker.id, "previous_status": "active", "reason": "퇴직"}
    assert [row.data["role"] for row in audit_rows(db, "agency.role_revoked")] == ["case_worker"]


# --- disabling people ----------------------------------------------------------------------------


def test_disable_person_ends_sessions_and_cuts_sockets_after_commit(
    app: Any, db: Any, network: Network, cut_calls: list[list[int]]
) -> None:
    first = open_session(app, network.worker, network.agency)
    second = open_session(app, network.worker)
    db.session.commit()

    ended = services.disable_person(network.worker, actor=network.admin, reason="퇴직")

    assert sorted(ended) == sorted([first.id, second.id])
    assert network.worker.is_active is False
    assert {first.end_reason, second.end_reason} == {"person_disabled"}
    assert cut_calls == []  # nothing is cut before the change is committed
    (row,) = audit_rows(db, "agency.person_disabled")
    assert row.data == {"reason": "퇴직", "sessions_ended": 2}
    db.session.commit()
    assert [sorted(ids) for ids in cut_calls] == [sorted(ended)]


def test_disable_person_needs_a_reason(db: Any, network: Network) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.disable_person(network.worker, actor=network.admin, reason="  ")
    assert refused.value.field == "reason"
    assert network.worker.is_active is True


def test_rolled_back_disable_cuts_nothing(db: Any, network: Network, cut_calls: list[list[int]]) -> None:
    services.disable_person(network.worker, actor=network.admin, reason="실수")
    db.session.rollback()
    db.session.commit()
    assert cut_calls == []


def test_cut_is_skipped_when_the_socket_module_is_missing(
    db: Any, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Until agencies.signin.services exists the sessions are still ended; there is simply nothing to cut.
    monkeypatch.setattr(services.importlib.util, "find_spec", lambda name: None)
    services.disable_person(network.worker, actor=network.admin, reason="퇴직")
    db.session.commit()
    assert network.worker.is_active is False


def test_enable_person_again(db: Any, network: Network) -> None:
    services.disable_person(network.worker, actor=network.coordinator, reason="휴직")
    services.enable_person(network.worker, actor=network.coordinator)

    assert network.worker.is_active is True
    assert len(audit_rows(db, "agency.person_enabled")) == 1
    with pytest.raises(InvalidTransition):
        services.enable_person(network.worker, actor=network.coordinator)


def test_admin_of_another_agency_cannot_disable(db: Any, network: Network) -> None:
    with pytest.raises(PermissionDenied):
        services.disable_person(network.worker, actor=network.peer_admin, reason="?")
    assert network.worker.is_active is True


# --- agency status -------------------------------------------------------------------------------


def test_suspend_agency_ends_its_sessions_and_kills_api_tokens(
    app: Any, db: Any, network: Network, create_person: Callable[..., Person], cut_calls: list[list[int]]
) -> None:
    acting = open_session(app, network.worker, network.agency)
    # A member of two agencies acting for the other one keeps that session.
    both = create_person(agency=network.peer, roles=[StaffRole.case_worker])
    db.session.add(Membership(person=both, agency=network.agency, status=MembershipStatus.active))
    elsewhere = open_session(app, both, network.peer)
    client, _secret = services.register_api_client(
        network.agency, actor=network.admin, name="시스템", scopes=["directory:read"]
    )
    token = ApiToken(
        api_client_id=client.id,
        token_hash="a" * 64,
        scope="directory:read",
        issued_at=now_utc(),
        expires_at=now_utc(),
    )
    db.session.add(token)
    db.session.commit()

    ended = services.suspend_agency(network.agency, actor=network.coordinator, reason="협약 위반")
    db.session.commit()

    assert network.agency.status == AgencyStatus.suspended
    assert acting.id in ended
    assert acting.end_reason == "agency_disabled"
    assert elsewhere.ended_at is None
    db.session.refresh(token)
    assert token.revoked_at is not None
    (row,) = audit_rows(db, "agency.suspended")
    assert row.data["reason"] == "협약 위반"
    assert row.data["tokens_revoked"] == 1
    assert cut_calls
    assert acting.id in cut_calls[0]


def test_suspension_rules(db: Any, network: Network) -> None:
    with pytest.raises(PermissionDenied):
        services.suspend_agency(network.agency, actor=network.admin, reason="?")
    with pytest.raises(InvalidTransition, match="구청 통합사례관리팀"):
        services.suspend_agency(network.team, actor=network.coordinator, reason="?")
    with pytest.raises(PermissionDenied):
        services.suspend_agency(network.foreign, actor=network.coordinator, reason="?")


def test_reactivate_agency(db: Any, network: Network) -> None:
    services.suspend_agency(network.agency, actor=network.coordinator, reason="점검")
    services.reactivate_agency(network.agency, actor=network.coordinator)

    assert network.agency.status == AgencyStatus.active
    assert len(audit_rows(db, "agency.reactivated")) == 1
    with pytest.raises(InvalidTransition):
        services.reactivate_agency(network.agency, actor=network.coordinator)


# --- identity providers --------------------------------------------------------------------------


def provider_data(**overrides: Any) -> services.IdentityProviderData:
    values: dict[str, Any] = {
        "name": "가람 계정",
        "issuer": "https://login.garam.example/realms/garam/",
        "client_id": "hamkke",
        "client_secret": "s3cret-value",
        "allowed_email_domains": ("Garam.example", "@garam.or.kr", ""),
        "claim_name": None,
    }
    values.update(overrides)
    return services.IdentityProviderData(**values)


def test_create_identity_provider_stores_the_secret_encrypted(db: Any, network: Network) -> None:
    provider = services.create_identity_provider(
        provider_data(), actor=network.coordinator, district=network.district
    )

    assert provider.issuer == "https://login.garam.example/realms/garam"
    assert provider.allowed_email_domains == ["garam.example", "garam.or.kr"]
    assert "s3cret-value" not in provider.client_secret_encrypted
    assert decrypt_text(provider.client_secret_encrypted) == "s3cret-value"
    assert provider.district_id == network.district.id
    (row,) = audit_rows(db, "agency.identity_provider_created")
    assert "secret" not in str(row.data)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"issuer": "http://login.example.org"}, "issuer"),
        ({"issuer": "not a url"}, "issuer"),
        ({"client_secret": ""}, "client_secret"),
        ({"allowed_email_domains": (), "claim_name": None}, "allowed_email_domains"),
        ({"allowed_email_domains": ("bad domain",)}, "allowed_email_domains"),
        ({"claim_name": "has space"}, "claim_name"),
        ({"name": ""}, "provider_name"),
        # anyone can hold a public mail address: such a domain binds nobody to an agency
        ({"allowed_email_domains": ("gmail.com",), "claim_name": None}, "allowed_email_domains"),
        (
            {"allowed_email_domains": ("garam.example", "Naver.com"), "claim_name": "hamkke_agency"},
            "allowed_email_domains",
        ),
    ],
)
def test_identity_provider_validation(
    db: Any, network: Network, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.create_identity_provider(
            provider_data(**overrides), actor=network.coordinator, district=network.district
        )
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityProvider)) == 0


def test_update_identity_provider_keeps_secret_when_left_empty(db: Any, network: Network) -> None:
    provider = services.create_identity_provider(
        provider_data(), actor=network.coordinator, district=network.district
    )

    services.update_identity_provider(
        provider, provider_data(client_secret=None, claim_name="hamkke_agency"), actor=network.coordinator
    )

    assert decrypt_text(provider.client_secret_encrypted) == "s3cret-value"
    assert provider.claim_rule == {"claim": "hamkke_agency", "equals_agency_code": True}
    (row,) = audit_rows(db, "agency.identity_provider_updated")
    assert row.data["changed"] == ["claim_rule"]
    with pytest.raises(PermissionDenied):
        services.update_identity_provider(provider, provider_data(), actor=network.admin)


def test_a_domain_another_provider_vouches_for_is_refused(db: Any, network: Network) -> None:
    services.create_identity_provider(provider_data(), actor=network.coordinator, district=network.district)

    with pytest.raises(ValidationFailed) as refused:
        services.create_identity_provider(
            provider_data(issuer="https://login.other.example", allowed_email_domains=("GARAM.example",)),
            actor=network.coordinator,
            district=network.district,
        )

    assert refused.value.field == "allowed_email_domains"
    assert "이미 다른 인증 서버가 허용" in refused.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityProvider)) == 1


def test_email_verified_policy_is_stored_per_provider(db: Any, network: Network) -> None:
    strict = services.create_identity_provider(
        provider_data(), actor=network.coordinator, district=network.district
    )
    lenient = services.create_identity_provider(
        provider_data(
            issuer="https://login.corp.example",
            allowed_email_domains=("corp.example",),
            email_verified_required=False,
        ),
        actor=network.coordinator,
        district=network.district,
    )

    assert strict.email_verified_required is True
    assert lenient.email_verified_required is False


def test_loopback_http_issuer_is_allowed_for_development(db: Any, network: Network) -> None:
    provider = services.create_identity_provider(
        provider_data(issuer="http://127.0.0.1:5001"), actor=network.coordinator, district=network.district
    )
    assert provider.issuer == "http://127.0.0.1:5001"


# --- API clients ---------------------------------------------------------------------------------


def test_register_api_client_stores_only_a_hash_of_the_secret(db: Any, network: Network) -> None:
    client, secret = services.register_api_client(
        network.agency,
        actor=network.admin,
        name="사례관리 프로그램",
        scopes=["directory:read", "referrals:read"],
    )

    assert len(secret) >= 40
    assert secret not in client.secret_hash
    assert client.scopes == ["directory:read", "referrals:read"]
    (row,) = audit_rows(db, "agency.api_client_registered")
    assert secret not in str(row.data)


@pytest.mark.parametrize(
    ("name", "scopes", "field"),
    [("", ["directory:read"], "name"), ("x", [], "scopes"), ("x", ["admin"], "scopes")],
)
def test_register_api_client_validation(
    db: Any, network: Network, name: str, scopes: list[str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.register_api_client(network.agency, actor=network.admin, name=name, scopes=scopes)
    assert refused.value.field == field


def test_only_the_agency_admin_manages_api_clients(db: Any, network: Network) -> None:
    with pytest.raises(PermissionDenied):
        services.register_api_client(
            network.agency, actor=network.worker, name="x", scopes=["directory:read"]
        )
    client, _ = services.register_api_client(
        network.agency, actor=network.admin, name="x", scopes=["directory:read"]
    )
    with pytest.raises(PermissionDenied):
        services.revoke_api_client(client, actor=network.peer_admin)


def test_revoke_api_client_revokes_its_tokens(db: Any, network: Network) -> None:
    client, _ = services.register_api_client(
        network.agency, actor=network.admin, name="x", scopes=["directory:read"]
    )
    token = ApiToken(
        api_client_id=client.id,
        token_hash="b" * 64,
        scope="directory:read",
        issued_at=now_utc(),
        expires_at=now_utc(),
    )
    db.session.add(token)
    db.session.flush()

    assert services.revoke_api_client(client, actor=network.admin) == 1
    db.session.refresh(token)
    assert client.revoked_at is not None
    assert token.revoked_at is not None
    with pytest.raises(InvalidTransition):
        services.revoke_api_client(client, actor=network.admin)


# --- own sessions --------------------------------------------------------------------------------


def test_end_own_session_only(app: Any, db: Any, network: Network, cut_calls: list[list[int]]) -> None:
    mine = open_session(app, network.worker)
    theirs = open_session(app, network.admin)
    db.session.commit()

    services.end_own_session(network.worker, mine.id)
    db.session.commit()

    assert mine.end_reason == "ended_by_person"
    assert cut_calls == [[mine.id]]
    with pytest.raises(NotFound):
        services.end_own_session(network.worker, theirs.id)


def test_cut_live_sessions_module_is_loaded_lazily() -> None:
    # services must import without the socket side: the import happens only after a commit.
    module = sys.modules["agencies.services"]
    assert isinstance(module, types.ModuleType)
    assert "cut_live_sessions" not in vars(module)
